//! One module per format behind one written contract, [`Codec`]; the pipeline reaches a
//! codec only through [`codec`], the one table of formats.

mod avif;
pub(crate) mod gif;
mod jpeg;
pub mod palette;
mod png;
mod webp;

/// What every codec provides. The pipeline relies on exactly this:
///
/// - `probe` reads the header and the metadata around it (ICC, EXIF, whether other blocks
///   are there), never pixels, in time bounded by the header caps (`limits`); it reports the
///   stored size, alpha, EXIF orientation and what the decoder will hold (`decoder_bytes`).
/// - `decode` delivers the frame into a [`FrameSink`] the pipeline made from `ctx`, and
///   returns what the sink finishes: 8-bit RGB, or RGBA when the header said alpha, in
///   stored orientation, at `ctx.target` when one is given (the sink resamples; the codec
///   may only shrink on load, DCT or libwebp scaling, to at least the target) or else at
///   the header's size. It checks `ctx.deadline` at least once per block of rows (the sink
///   does so on every push) and converts CMYK through `ctx.profile` or the built-in one.
///   [`decode`] checks the size it got.
/// - `encode` turns a frame into file bytes with `options`, checking `ctx.deadline` between
///   blocks where the encoder allows. A codec whose container library writes metadata itself
///   says so with `embeds_metadata`; for every other format [`encode_with`] embeds the kept
///   ICC and EXIF afterwards, in one place (`metadata::container`).
pub trait Codec: Sync {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)>;
    fn decode(&self, source: &Source, ctx: &DecodeContext) -> Result<Image>;
    fn encode(&self, image: Image, options: &EncodeOptions, ctx: &EncodeContext) -> Result<Vec<u8>>;
    /// Whether `encode` writes `ctx.icc` and `ctx.exif` itself.
    fn embeds_metadata(&self) -> bool {
        false
    }
    /// Every frame of an animation in display order, each composed onto the whole canvas
    /// (the previous frames' disposal and this one's blending applied) and put through a
    /// sink of its own at `ctx.target`, handed to `out` before the next one is decoded. The
    /// codec holds its canvas, never the sequence. A still format delivers its one frame.
    fn decode_frames(&self, source: &Source, ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
        out(Frame::still(self.decode(source, ctx)?))
    }
    /// An encoder taking the frames of an animation of `size` that plays `loop_count` times
    /// (0 forever); `None` for a format that holds one frame.
    fn animation(&self, _options: &EncodeOptions, _size: (u32, u32), _loop_count: u32, _deadline: Deadline) -> Option<Result<Box<dyn FrameEncoder>>> {
        None
    }
}

/// An animated output: frames go in one at a time, in display order, each with its delay;
/// the file comes out at the end. The encoder holds what its format needs (the previous
/// canvas to code differences against), not the frames it was given.
pub trait FrameEncoder {
    fn add(&mut self, frame: Frame) -> Result<()>;
    fn finish(self: Box<Self>) -> Result<Vec<u8>>;
}

/// The codec of a format.
pub fn codec(format: Format) -> &'static dyn Codec {
    match format {
        Format::Jpeg => &jpeg::Jpeg,
        Format::Png => &png::Png,
        Format::Webp => &webp::Webp,
        Format::Avif => &avif::Avif,
        Format::Gif => &gif::Gif,
    }
}

use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::limits::{Deadline, FailOn};
use crate::metadata::icc::Icc;
use crate::metadata::{container, SourceMetadata};
use crate::ops::resize::Kernel;
pub(crate) use crate::pipeline::frames::Frame;
pub(crate) use crate::pipeline::FrameSink;
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
    /// What the decoder holds besides the rows it delivers, whatever the target size: a
    /// progressive JPEG's coefficients, an interlaced PNG's whole frame, an AVIF's YUV
    /// frame, an animation's canvas. Part of a job's memory cost (`pipeline::cost`).
    pub decoder_bytes: u64,
}

impl Header {
    /// `width × height × bpp` of the zero-copy memory formula.
    pub fn decoded_bytes(&self) -> u64 {
        self.width as u64 * self.height as u64 * self.format.formula_bpp()
    }
}

pub fn sniff(bytes: &[u8]) -> Result<Format> {
    if bytes.is_empty() {
        return Err(Error::EmptyInput);
    }
    Format::sniff(bytes).ok_or_else(|| {
        Error::UnsupportedFormat(
            "input is not a JPEG, PNG, WebP, AVIF or GIF image (unrecognised signature)".into(),
        )
    })
}

/// Reads the header only (dimensions, alpha, orientation, ICC presence). Size limits are
/// the caller's to apply (`Limits::check_dimensions`).
pub fn probe(bytes: &[u8]) -> Result<Header> {
    probe_with_metadata(bytes).map(|(header, _)| header)
}

/// The header and the metadata around it (ICC profile, EXIF, whether anything else such as
/// XMP or comments is there), from one parse; unreadable blocks count as absent.
pub fn probe_with_metadata(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let (header, found) = codec(sniff(bytes)?).probe(bytes)?;
    if header.width == 0 || header.height == 0 {
        return Err(Error::corrupt("image", format!("header declares {}x{} pixels", header.width, header.height)));
    }
    Ok((header, found))
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

/// How to decode: at full size or straight to `target`, until when, with which source
/// profile (a CMYK profile is applied while rows are decoded), and which damage to the
/// pixel data refuses the input (JPEG and PNG can decode past the rest).
#[derive(Default, Clone, Copy)]
pub struct DecodeContext<'a> {
    pub target: Option<DecodeTarget>,
    pub deadline: Deadline,
    pub profile: Option<&'a Icc>,
    pub fail_on: FailOn,
}

impl DecodeContext<'_> {
    pub fn to(target: Option<DecodeTarget>) -> Self {
        DecodeContext { target, ..Default::default() }
    }
}

/// Decodes the image; the header has passed the caller's limits. A codec that delivered
/// another size than the one planned is a bug, not a picture: refused here.
pub fn decode(source: &Source, header: &Header, ctx: &DecodeContext) -> Result<Image> {
    let image = codec(header.format).decode(source, ctx)?;
    let planned = ctx.target.map_or((header.width, header.height), |t| (t.width, t.height));
    check_delivered(header, &image, planned)?;
    Ok(image)
}

/// Decodes every frame of an animation (a still image's one frame), handing each to `out`
/// as it comes; each is checked as `decode` checks its frame.
pub fn decode_frames(source: &Source, header: &Header, ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
    let planned = ctx.target.map_or((header.width, header.height), |t| (t.width, t.height));
    codec(header.format).decode_frames(source, ctx, &mut |frame| {
        check_delivered(header, &frame.image, planned)?;
        out(frame)
    })
}

/// An encoder for an animation in `options.format` (which must hold one: `Format::animates`).
pub fn animation(options: &EncodeOptions, size: (u32, u32), loop_count: u32, deadline: Deadline) -> Result<Box<dyn FrameEncoder>> {
    codec(options.format)
        .animation(options, size, loop_count, deadline)
        .unwrap_or_else(|| Err(Error::Internal(format!("{} holds no animation", options.format.name()))))
}

/// The contract's promise about a decoded frame: the planned size, RGB or RGBA by the header.
fn check_delivered(header: &Header, image: &Image, (w, h): (u32, u32)) -> Result<()> {
    let channels = if header.has_alpha { 4 } else { 3 };
    if (image.width, image.height, image.channels) != (w, h, channels) {
        let format = header.format.name();
        let got = format!("{}x{} with {} channels", image.width, image.height, image.channels);
        return Err(Error::Internal(format!("the {format} decoder delivered {got} where {w}x{h} with {channels} was planned")));
    }
    Ok(())
}

/// The size to decode at before the final resample: `headroom` times the target, so the
/// resampling filter still has a real reduction to work with and shrink-on-load does not
/// cost sharpness. Never larger than the source.
pub(crate) fn prescale_size(source: (u32, u32), target: DecodeTarget, headroom: f64) -> (u32, u32) {
    let grow = |side: u32, limit: u32| ((side as f64 * headroom).ceil() as u32).min(limit);
    (grow(target.width, source.0), grow(target.height, source.1))
}

crate::names::named! {
    /// How a JPEG or AVIF samples its chroma, named as sharp names it.
    pub enum ChromaSubsampling "chroma subsampling" {
        /// Halved both ways, a quarter of the chroma samples.
        Halved = "4:2:0",
        /// One chroma sample per pixel.
        Full = "4:4:4",
    }
}

/// How to encode; `quality` and `effort` are already validated (1–100, 0–10).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodeOptions {
    pub format: Format,
    pub quality: Option<u8>,
    /// Skip the slow searches (trellis, progressive scans, high libwebp/libaom effort).
    pub fast_mode: bool,
    /// 0–10; for PNG, 7 and above runs oxipng after the fast encoder.
    pub effort: Option<u8>,
    /// WebP only: encode losslessly.
    pub lossless: bool,
    /// What alpha is flattened onto for a format without it (JPEG): white by default.
    pub background: [u8; 3],
    /// JPEG and AVIF: the chroma's resolution; `None` is the format's default (JPEG 4:2:0,
    /// which a quality search raises to 4:4:4 for a frame that 4:2:0 keeps below its target
    /// even at q100; AVIF 4:4:4).
    pub chroma_subsampling: Option<ChromaSubsampling>,
    /// Choose the quality per image: the lowest whose output scores at least this on
    /// SSIMULACRA2 against the frame it encodes (`crate::quality`); `quality` is then unused.
    pub target: Option<f64>,
    /// PNG: write a palette image (`palette::Palette`); GIF always does, with these settings
    /// or the defaults. With a palette, `quality` bounds the quantisation error.
    pub palette: Option<palette::Palette>,
    /// An animation's loop count (0 forever) instead of the source's.
    pub loop_count: Option<u32>,
    /// Frame delays in milliseconds instead of the source's: one for every frame, or one
    /// per frame (the last repeats for frames beyond the list).
    pub delay_ms: Option<Vec<u32>>,
}

impl EncodeOptions {
    pub fn new(format: Format) -> EncodeOptions {
        EncodeOptions {
            format,
            quality: None,
            fast_mode: false,
            effort: None,
            lossless: false,
            background: [255; 3],
            chroma_subsampling: None,
            target: None,
            palette: None,
            loop_count: None,
            delay_ms: None,
        }
    }


    pub fn quality_or(&self, default: u8) -> u8 {
        self.quality.unwrap_or(default)
    }
}

/// What the encoder writes besides pixels, and until when it may run.
#[derive(Default, Clone, Copy)]
pub struct EncodeContext<'a> {
    pub deadline: Deadline,
    pub icc: Option<&'a [u8]>,
    /// Raw TIFF-structured EXIF.
    pub exif: Option<&'a [u8]>,
}

pub fn encode(image: Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    encode_with(image, options, &EncodeContext::default())
}

pub fn encode_with(image: Image, options: &EncodeOptions, ctx: &EncodeContext) -> Result<Vec<u8>> {
    ctx.deadline.check()?;
    let codec = codec(options.format);
    let data = codec.encode(image, options, ctx)?;
    match (ctx.icc, ctx.exif) {
        (None, None) => Ok(data),
        _ if codec.embeds_metadata() => Ok(data),
        (icc, exif) => container::embed(options.format, data, icc, exif),
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
        assert!(matches!(probe(b"BM6\0\0\0......"), Err(Error::UnsupportedFormat(_))));
    }

    pub(crate) fn source(bytes: Vec<u8>) -> Source {
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    /// Formats that are both read and written, for round trips.
    fn both_ways() -> impl Iterator<Item = Format> {
        Format::INPUTS.into_iter().filter(|f| Format::OUTPUTS.contains(f))
    }

    /// Every codec keeps the written contract (`Codec`): the planned size, RGB or RGBA as its
    /// header says, at full size and at a target; and a frame of another shape is refused.
    #[test]
    fn every_codec_keeps_the_contract() {
        for alpha in [false, true] {
            for format in both_ways() {
                let bytes = encode(test_images::photo(97, 61, alpha), &EncodeOptions::new(format)).unwrap();
                let header = probe(&bytes).unwrap();
                assert_eq!(header.has_alpha, alpha && format != Format::Jpeg, "{format:?}");
                let src = source(bytes);
                for target in [None, Some(DecodeTarget { width: 40, height: 25, kernel: Kernel::Lanczos3 })] {
                    let image = decode(&src, &header, &DecodeContext::to(target)).unwrap();
                    let planned = target.map_or((97, 61), |t| (t.width, t.height));
                    assert!(check_delivered(&header, &image, planned).is_ok(), "{format:?} {target:?}");
                }
            }
        }
        let header = probe(&encode(test_images::photo(8, 8, false), &EncodeOptions::new(Format::Png)).unwrap()).unwrap();
        let err = check_delivered(&header, &test_images::photo(8, 8, true), (8, 8)).unwrap_err();
        assert_eq!(err.code(), "LAZY_INTERNAL");
        assert!(check_delivered(&header, &test_images::photo(8, 7, false), (8, 8)).is_err());
    }

    #[test]
    fn every_format_round_trips() {
        let img = test_images::photo(64, 48, false);
        for format in both_ways() {
            let bytes = encode(img.clone(), &EncodeOptions::new(format)).unwrap();
            let header = probe(&bytes).unwrap();
            assert_eq!((header.format, header.width, header.height), (format, 64, 48));
            let back = decode(&source(bytes), &header, &DecodeContext::default()).unwrap();
            assert_eq!((back.width, back.height), (64, 48));
            let diff = mean_abs_diff(&img, &back);
            assert!(diff < 6.0, "{format:?} differs by {diff}");
        }
    }

    #[test]
    fn decoding_to_a_target_matches_decode_then_resize() {
        let img = test_images::photo(400, 300, true);
        let target = DecodeTarget { width: 90, height: 68, kernel: Kernel::Lanczos3 };
        for format in both_ways() {
            let mut o = EncodeOptions::new(format);
            o.quality = Some(95);
            let bytes = encode(img.clone(), &o).unwrap();
            let header = probe(&bytes).unwrap();
            let src = source(bytes);
            let full = decode(&src, &header, &DecodeContext::default()).unwrap();
            let reference = crate::ops::resize::scale(full, (90, 68), Kernel::Lanczos3).unwrap();
            let fused = decode(&src, &header, &DecodeContext::to(Some(target))).unwrap();
            assert_eq!((fused.width, fused.height, fused.channels), (90, 68, reference.channels));
            let diff = mean_abs_diff(&reference, &fused);
            assert!(diff < 2.0, "{format:?}: fused decode differs by {diff}");
        }
    }

    /// The performance issue's bound: shrink-on-load (JPEG DCT scaling, libwebp's scaled
    /// decoding) may differ from decoding whole and then resizing by at most DSSIM 0.002.
    #[test]
    fn shrink_on_load_stays_within_dssim_0_002_of_the_full_decode() {
        let jpeg = include_bytes!("../../examples/sample.jpg").to_vec();
        let whole = decode(&source(jpeg.clone()), &probe(&jpeg).unwrap(), &DecodeContext::default()).unwrap();
        let mut o = EncodeOptions::new(Format::Webp);
        o.quality = Some(90);
        let webp = encode(whole, &o).unwrap();
        for (bytes, width) in [(&jpeg, 800), (&jpeg, 400), (&jpeg, 190), (&webp, 400)] {
            let header = probe(bytes).unwrap();
            let height = header.height * width / header.width;
            let target = DecodeTarget { width, height, kernel: Kernel::Lanczos3 };
            let src = source(bytes.clone());
            let full = decode(&src, &header, &DecodeContext::default()).unwrap();
            let reference = crate::ops::resize::scale(full, (width, height), Kernel::Lanczos3).unwrap();
            let shrunk = decode(&src, &header, &DecodeContext::to(Some(target))).unwrap();
            let d = dssim(&reference, &shrunk);
            assert!(d < 0.002, "{:?} to {width}: DSSIM {d}", header.format);
        }
    }

    fn dssim(a: &Image, b: &Image) -> f64 {
        use rgb::FromSlice;
        let d = dssim_core::Dssim::new();
        let prepare = |i: &Image| d.create_image_rgb(i.data.as_rgb(), i.width as usize, i.height as usize).unwrap();
        d.compare(&prepare(a), prepare(b)).0.into()
    }

    pub(crate) fn mean_abs_diff(a: &Image, b: &Image) -> f64 {
        let (a, b) = (a.clone().into_rgb(), b.clone().into_rgb());
        let sum: u64 = a.data.iter().zip(&b.data).map(|(x, y)| x.abs_diff(*y) as u64).sum();
        sum as f64 / a.data.len() as f64
    }
}
