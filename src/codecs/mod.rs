//! One file per format behind one interface: `probe` reads the header only, `decode`
//! produces an [`Image`], `encode` turns an [`Image`] into file bytes.

mod avif;
mod jpeg;
mod png;
mod webp;

use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::ops::resize::{Kernel, RowResampler};
use crate::source::Source;

/// What the header says, before any pixel is decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub has_alpha: bool,
    /// EXIF orientation 1–8 (1 when absent or unreadable).
    pub orientation: u8,
    pub has_icc: bool,
}

impl Header {
    /// `width × height × bpp` of the zero-copy memory formula.
    pub fn decoded_bytes(&self) -> u64 {
        self.width as u64 * self.height as u64 * self.format.formula_bpp()
    }
}

/// Largest side accepted before any pixel buffer is allocated (a default firewall against
/// decompression bombs; configurable limits come with the limits API).
pub const MAX_SIDE: u32 = 32_768;
/// Largest pixel count accepted by default (about 268 MP).
pub const MAX_PIXELS: u64 = 1 << 28;

pub fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::EmptyInput);
    }
    Format::sniff(bytes).ok_or_else(|| {
        Error::UnsupportedFormat(
            "input is not a JPEG, PNG, WebP or AVIF image (unrecognised signature)".into(),
        )
    })
}

/// Reads the header only (dimensions, alpha, orientation, ICC presence).
pub fn probe(bytes: &[u8]) -> Result<Header> {
    let header = match sniff(bytes)? {
        Format::Jpeg => jpeg::probe(bytes),
        Format::Png => png::probe(bytes),
        Format::Webp => webp::probe(bytes),
        Format::Avif => avif::probe(bytes),
    }?;
    check_dimensions(header.width, header.height)?;
    Ok(header)
}

/// A downscale fused into decoding (stored orientation): the decoder may shrink on load
/// (JPEG DCT scaling, libwebp scaling) and stream rows into a resampler, so the full-size
/// frame is never held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodeTarget {
    pub width: u32,
    pub height: u32,
    pub kernel: Kernel,
}

/// Decodes the image, at full size or straight to `target`; the header has passed
/// `check_dimensions`.
pub fn decode(source: &Source, header: &Header, target: Option<DecodeTarget>) -> Result<Image> {
    match header.format {
        Format::Jpeg => jpeg::decode(source, target),
        Format::Png => png::decode(source, target),
        Format::Webp => webp::decode(source.bytes(), target),
        Format::Avif => avif::decode(source.bytes()),
    }
}

/// Where a decoder puts its rows, block by block: into the whole frame, or through a
/// `RowResampler` when a target size was asked for.
pub(crate) enum FrameSink {
    Whole { width: u32, height: u32, channels: u8, data: Vec<u8> },
    Scaled(RowResampler),
}

impl FrameSink {
    /// Rows per block: enough to amortise the per-call cost, small beside the frame.
    pub const BLOCK_ROWS: usize = 32;

    pub fn new(width: u32, height: u32, channels: u8, target: Option<DecodeTarget>) -> FrameSink {
        match target {
            Some(t) if (t.width, t.height) != (width, height) => {
                FrameSink::Scaled(RowResampler::new((width, height), channels, (t.width, t.height), t.kernel))
            }
            _ => FrameSink::Whole {
                width,
                height,
                channels,
                data: Vec::with_capacity(width as usize * height as usize * channels as usize),
            },
        }
    }

    /// `block` holds whole rows in this sink's channel layout; it may be modified.
    pub fn push(&mut self, block: &mut [u8]) -> Result<()> {
        match self {
            FrameSink::Whole { data, .. } => {
                data.extend_from_slice(block);
                Ok(())
            }
            FrameSink::Scaled(r) => r.push(block),
        }
    }

    pub fn finish(self) -> Result<Image> {
        match self {
            FrameSink::Whole { width, height, channels, data } => {
                if data.len() != width as usize * height as usize * channels as usize {
                    return Err(Error::Internal("decoder delivered a partial frame".into()));
                }
                Ok(Image::new(width, height, channels, data))
            }
            FrameSink::Scaled(r) => r.finish(),
        }
    }
}

/// The size to decode at before the final resample: `headroom` times the target, so the
/// resampling filter still has a real reduction to work with and shrink-on-load does not
/// cost sharpness. Never larger than the source.
pub(crate) fn prescale_size(source: (u32, u32), target: DecodeTarget, headroom: f64) -> (u32, u32) {
    let grow = |side: u32, limit: u32| ((side as f64 * headroom).ceil() as u32).min(limit);
    (grow(target.width, source.0), grow(target.height, source.1))
}

fn check_dimensions(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Error::corrupt("image", format!("header declares {width}x{height} pixels")));
    }
    if width > MAX_SIDE || height > MAX_SIDE || width as u64 * height as u64 > MAX_PIXELS {
        return Err(Error::LimitExceeded {
            width: width as u64,
            height: height as u64,
            limit: format!("{MAX_SIDE} px per side and {MAX_PIXELS} pixels"),
        });
    }
    Ok(())
}

/// How to encode; `quality` and `effort` are already validated (1–100, 0–10).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    pub format: Format,
    pub quality: Option<u8>,
    /// Skip the slow searches (trellis, progressive scans, high libwebp/rav1e effort).
    pub fast_mode: bool,
    /// 0–10; for PNG, 7 and above runs oxipng after the fast encoder.
    pub effort: Option<u8>,
    /// WebP only: encode losslessly.
    pub lossless: bool,
}

impl EncodeOptions {
    pub fn new(format: Format) -> EncodeOptions {
        EncodeOptions { format, quality: None, fast_mode: false, effort: None, lossless: false }
    }

    pub fn quality_or(&self, default: u8) -> u8 {
        self.quality.unwrap_or(default)
    }
}

pub fn encode(image: Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    match options.format {
        Format::Jpeg => jpeg::encode(image, options),
        Format::Png => png::encode(&image, options),
        Format::Webp => webp::encode(image, options),
        Format::Avif => avif::encode(&image, options),
    }
}

#[cfg(test)]
pub(crate) mod test_images {
    use crate::image::Image;

    /// A smooth, photo-like gradient with detail, so lossy encoders behave as on photos.
    pub fn photo(width: u32, height: u32, alpha: bool) -> Image {
        let channels = if alpha { 4 } else { 3 };
        let mut data = Vec::with_capacity((width * height * channels) as usize);
        for y in 0..height {
            for x in 0..width {
                let fx = x as f32 / width as f32;
                let fy = y as f32 / height as f32;
                let ripple = ((x as f32 * 0.31).sin() * (y as f32 * 0.17).cos() * 40.0) as i32;
                data.push((fx * 200.0) as i32 as u8 + (ripple.clamp(-20, 40) + 20) as u8 / 2);
                data.push((fy * 220.0) as u8);
                data.push(((1.0 - fx) * 180.0 + ripple as f32 * 0.5).clamp(0.0, 255.0) as u8);
                if alpha {
                    data.push((255.0 - fy * 200.0) as u8);
                }
            }
        }
        Image::new(width, height, channels as u8, data)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_and_empty_input() {
        assert!(matches!(probe(b""), Err(Error::EmptyInput)));
        assert!(matches!(probe(b"GIF89a......"), Err(Error::UnsupportedFormat(_))));
        assert!(matches!(check_dimensions(0, 10), Err(Error::CorruptInput { .. })));
        assert!(matches!(check_dimensions(40_000, 10), Err(Error::LimitExceeded { .. })));
    }

    pub(crate) fn source(bytes: Vec<u8>) -> Source {
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    #[test]
    fn every_format_round_trips() {
        let img = test_images::photo(64, 48, false);
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let bytes = encode(img.clone(), &EncodeOptions::new(format)).unwrap();
            let header = probe(&bytes).unwrap();
            assert_eq!((header.format, header.width, header.height), (format, 64, 48));
            let back = decode(&source(bytes), &header, None).unwrap();
            assert_eq!((back.width, back.height), (64, 48));
            let diff = mean_abs_diff(&img, &back);
            assert!(diff < 6.0, "{format:?} differs by {diff}");
        }
        let avif = encode(img, &EncodeOptions::new(Format::Avif)).unwrap();
        assert_eq!(Format::sniff(&avif), Some(Format::Avif));
    }

    #[test]
    fn decoding_to_a_target_matches_decode_then_resize() {
        let img = test_images::photo(400, 300, true);
        let target = DecodeTarget { width: 90, height: 68, kernel: Kernel::Lanczos3 };
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let mut o = EncodeOptions::new(format);
            o.quality = Some(95);
            let bytes = encode(img.clone(), &o).unwrap();
            let header = probe(&bytes).unwrap();
            let src = source(bytes);
            let full = decode(&src, &header, None).unwrap();
            let reference = crate::ops::resize::scale(full, (90, 68), Kernel::Lanczos3).unwrap();
            let fused = decode(&src, &header, Some(target)).unwrap();
            assert_eq!((fused.width, fused.height, fused.channels), (90, 68, reference.channels));
            let diff = mean_abs_diff(&reference, &fused);
            assert!(diff < 2.0, "{format:?}: fused decode differs by {diff}");
        }
    }

    pub(crate) fn mean_abs_diff(a: &Image, b: &Image) -> f64 {
        let (a, b) = (a.clone().into_rgb(), b.clone().into_rgb());
        let sum: u64 = a.data.iter().zip(&b.data).map(|(x, y)| x.abs_diff(*y) as u64).sum();
        sum as f64 / a.data.len() as f64
    }
}
