//! One file per format behind one interface: `probe` reads the header only, `decode`
//! produces an [`Image`], `encode` turns an [`Image`] into file bytes.

mod avif;
mod jpeg;
mod png;
mod webp;

use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;

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

/// Decodes the whole image at full size, after its header passed `check_dimensions`.
pub fn decode(bytes: &[u8], header: &Header) -> Result<Image> {
    match header.format {
        Format::Jpeg => jpeg::decode(bytes),
        Format::Png => png::decode(bytes),
        Format::Webp => webp::decode(bytes),
        Format::Avif => avif::decode(bytes),
    }
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
        Format::Webp => webp::encode(&image, options),
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
mod tests {
    use super::*;

    #[test]
    fn rejects_unknown_and_empty_input() {
        assert!(matches!(probe(b""), Err(Error::EmptyInput)));
        assert!(matches!(probe(b"GIF89a......"), Err(Error::UnsupportedFormat(_))));
        assert!(matches!(check_dimensions(0, 10), Err(Error::CorruptInput { .. })));
        assert!(matches!(check_dimensions(40_000, 10), Err(Error::LimitExceeded { .. })));
    }

    #[test]
    fn every_format_round_trips() {
        let img = test_images::photo(64, 48, false);
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let bytes = encode(img.clone(), &EncodeOptions::new(format)).unwrap();
            let header = probe(&bytes).unwrap();
            assert_eq!((header.format, header.width, header.height), (format, 64, 48));
            let back = decode(&bytes, &header).unwrap();
            assert_eq!((back.width, back.height), (64, 48));
            let diff = mean_abs_diff(&img, &back);
            assert!(diff < 6.0, "{format:?} differs by {diff}");
        }
        let avif = encode(img, &EncodeOptions::new(Format::Avif)).unwrap();
        assert_eq!(Format::sniff(&avif), Some(Format::Avif));
    }

    pub(crate) fn mean_abs_diff(a: &Image, b: &Image) -> f64 {
        let (a, b) = (a.clone().into_rgb(), b.clone().into_rgb());
        let sum: u64 = a.data.iter().zip(&b.data).map(|(x, y)| x.abs_diff(*y) as u64).sum();
        sum as f64 / a.data.len() as f64
    }
}
