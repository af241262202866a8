//! AVIF through libavif (built from source by `libavif-sys`): encoded by libaom, decoded by
//! dav1d.
//!
//! Decoding reads the container in place (libavif's memory IO over the borrowed or mapped
//! bytes). dav1d hands out whole YUV frames, so unlike JPEG and PNG the decoded frame is
//! held once, as YUV; only its conversion to RGB streams into the sink. libaom's decoder
//! was tried first: it keeps ~180 bytes of mode information per 4x4 block, 271 MB for a
//! 24 MP photo, against dav1d's peak inside the memory formula.

use std::ffi::CStr;
use std::marker::PhantomData;
use std::os::raw::c_int;

use libavif_sys as sys;

use super::{ChromaSubsampling, DecodeContext, EncodeOptions, Frame, FrameSink, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::heap;
use crate::image::Image;
use crate::limits::MAX_SIDE;
use crate::metadata::hdr::{ToneMap, Transfer};
use crate::metadata::{exif, SourceMetadata, Stored};

const NAME: &str = "AVIF";

/// A parsed container: dimensions, alpha, colour and metadata are known, no pixel decoded.
/// libavif keeps reading from `bytes`, hence the borrow.
struct Parsed<'a> {
    decoder: Owned<sys::avifDecoder>,
    _bytes: PhantomData<&'a [u8]>,
}

impl<'a> Parsed<'a> {
    fn new(bytes: &'a [u8]) -> Result<Parsed<'a>> {
        check_item_counts(bytes)?;
        // SAFETY: the decoder comes from libavif and is checked by `Owned::new`; it reads
        // `bytes` only while `Parsed` lives, which the borrow ties to `bytes`.
        unsafe {
            let decoder = Owned::new(sys::avifDecoderCreate(), sys::avifDecoderDestroy)?;
            let d = &mut *decoder.0;
            d.codecChoice = sys::AVIF_CODEC_CHOICE_DAV1D;
            // One thread, the task's: jobs in flight already share the cores, and dav1d's
            // frame threads would each hold a frame of their own.
            d.maxThreads = 1;
            d.imageDimensionLimit = MAX_SIDE;
            // Accept what other readers accept (a missing pixi box, an odd clap).
            d.strictFlags = sys::AVIF_STRICT_DISABLED as _;
            let parsed = Parsed { decoder, _bytes: PhantomData };
            parsed.check(sys::avifDecoderSetIOMemory(d, bytes.as_ptr(), bytes.len()))?;
            parsed.check(sys::avifDecoderParse(d))?;
            Ok(parsed)
        }
    }

    /// The primary image (or first frame): its properties after parsing, its planes after
    /// `decode_next_frame`.
    fn image(&self) -> &sys::avifImage {
        // SAFETY: a parsed decoder always holds an image.
        unsafe { &*(*self.decoder.0).image }
    }

    fn has_alpha(&self) -> bool {
        // SAFETY: the decoder is alive and parsed.
        unsafe { (*self.decoder.0).alphaPresent != 0 }
    }

    /// Frames: more than 1 for an image sequence (libavif reads its track).
    fn frames(&self) -> u32 {
        // SAFETY: the decoder is alive and parsed.
        unsafe { (*self.decoder.0).imageCount.max(1) as u32 }
    }

    /// An image sequence's frame durations in milliseconds, and how often it plays (0
    /// forever): libavif counts repetitions after the first play.
    fn timing(&self) -> (Vec<u32>, u32) {
        let d = self.decoder.0;
        let delays = (0..self.frames())
            .map(|n| {
                let mut timing = sys::avifImageTiming::default();
                // SAFETY: the decoder is alive and parsed; `n` is below its image count.
                let ok = unsafe { sys::avifDecoderNthImageTiming(d, n, &mut timing) } == sys::AVIF_RESULT_OK;
                if ok { (timing.duration * 1000.0).round().clamp(0.0, u32::MAX as f64) as u32 } else { 0 }
            })
            .collect();
        // SAFETY: as above.
        let repetitions = unsafe { (*d).repetitionCount };
        let plays = if repetitions < 0 { 0 } else { (repetitions as u32).saturating_add(1) };
        (delays, plays)
    }

    /// The current frame's duration in milliseconds.
    fn duration_ms(&self) -> u32 {
        // SAFETY: the decoder is alive and has decoded a frame.
        let seconds = unsafe { (*self.decoder.0).imageTiming.duration };
        (seconds * 1000.0).round().clamp(0.0, u32::MAX as f64) as u32
    }

    /// The frame may not hold more pixels than the container declared (`ispe`), which the
    /// caller's limits have passed: dav1d is told so (libavif hands `imageSizeLimit` to it as
    /// its frame size limit) and refuses a larger frame before allocating it. For a
    /// sequence, the next frame.
    fn decode_next_frame(&mut self) -> Result<()> {
        let (width, height) = (self.image().width, self.image().height);
        // SAFETY: the decoder is alive and parsed; its input is still borrowed.
        unsafe { (*self.decoder.0).imageSizeLimit = width.saturating_mul(height).max(1) };
        self.check(unsafe { sys::avifDecoderNextImage(self.decoder.0) })?;
        let frame = (self.image().width, self.image().height);
        if frame != (width, height) {
            return Err(Error::corrupt(NAME, format!("the AV1 frame is {}x{} but the container declares {width}x{height}", frame.0, frame.1)));
        }
        Ok(())
    }

    /// libavif's result as ours; a file declaring more pixels than libavif will decode is a
    /// resource limit, not corruption.
    fn check(&self, result: sys::avifResult) -> Result<()> {
        // SAFETY: the decoder is alive; its diagnostics buffer is NUL-terminated.
        let diag = unsafe { &(*self.decoder.0).diag };
        check(result, Some(diag)).map_err(|reason| match too_large(&reason) {
            Some((width, height)) => Error::LimitExceeded {
                width,
                height,
                reason: format!("exceeds libavif's limit of {MAX_SIDE} px per side and 16384 x 16384 pixels, which no setting raises"),
            },
            None => Error::corrupt(NAME, reason),
        })
    }
}

/// Most entries an item table (`iinf`, `iloc`, `ipma`) may list. libavif's lookups over
/// them are quadratic: 40 000 items took 2.6 s to parse, on the JS thread for
/// `dimensions()`. A large tiled image has a few hundred.
pub const MAX_ITEMS: u64 = 4096;

/// Reads the entry counts of the item tables in the `meta` box and refuses files listing
/// more than `MAX_ITEMS`, before libavif parses them. Malformed boxes are left to libavif.
fn check_item_counts(bytes: &[u8]) -> Result<()> {
    let Some(meta) = boxes(bytes).find(|(kind, _)| kind == b"meta").map(|(_, body)| body) else { return Ok(()) };
    for (kind, body) in boxes(meta.get(4..).unwrap_or_default()) {
        let version = body.first().copied().unwrap_or(0);
        let count = match &kind {
            b"iinf" if version == 0 => be(body.get(4..6)),
            b"iinf" | b"ipma" => be(body.get(4..8)),
            b"iloc" if version < 2 => be(body.get(6..8)),
            b"iloc" => be(body.get(6..10)),
            _ => None,
        };
        if let Some(count) = count.filter(|&n| n > MAX_ITEMS) {
            let what = match &kind { b"ipma" => "item property associations (AVIF)", b"iloc" => "item locations (AVIF)", _ => "items (AVIF)" };
            return Err(Error::TooMany { what, count, limit: MAX_ITEMS });
        }
    }
    Ok(())
}

/// A big-endian number of 2, 4 or 8 bytes.
fn be(bytes: Option<&[u8]>) -> Option<u64> {
    bytes.map(|b| b.iter().fold(0u64, |n, &byte| (n << 8) | byte as u64))
}

/// The ISO-BMFF boxes in `bytes`: (type, body). Stops at the first malformed header.
fn boxes(bytes: &[u8]) -> impl Iterator<Item = ([u8; 4], &[u8])> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let size = be(rest.get(..4))?;
        let kind: [u8; 4] = rest.get(4..8)?.try_into().ok()?;
        let (header, size) = match size {
            0 => (8, rest.len() as u64),
            1 => (16, be(rest.get(8..16))?),
            n => (8, n),
        };
        let body = rest.get(header..usize::try_from(size).ok()?)?;
        rest = &rest[size as usize..];
        Some((kind, body))
    })
}

/// The size in libavif's "dimensions are too large [W x H]" diagnostic.
fn too_large(reason: &str) -> Option<(u64, u64)> {
    let (_, rest) = reason.split_once("too large")?;
    let inside = rest.trim_start_matches([':', ' ']).strip_prefix('[')?.split(']').next()?;
    let (w, h) = inside.split_once('x')?;
    Some((w.trim().parse().ok()?, h.trim().parse().ok()?))
}

/// The header, ICC, EXIF and XMP from the container, without decoding the AV1 payload.
pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let parsed = Parsed::new(bytes)?;
    let img = parsed.image();
    // SAFETY: libavif's buffers are valid for their sizes while the decoder lives.
    let bytes_of = |d: &sys::avifRWData| (d.size > 0).then(|| unsafe { std::slice::from_raw_parts(d.data, d.size) });
    let found = SourceMetadata {
        icc: bytes_of(&img.icc).map(<[u8]>::to_vec),
        exif: bytes_of(&img.exif).and_then(exif::tiff_block).map(<[u8]>::to_vec),
        other: img.xmp.size > 0,
        hdr: Transfer::from_cicp(img.transferCharacteristics).is_some(),
        stored: Stored {
            channels: if img.yuvFormat == sys::AVIF_PIXEL_FORMAT_YUV400 { 1 } else { 3 } + parsed.has_alpha() as u8,
            bit_depth: img.depth as u8,
            space: if img.yuvFormat == sys::AVIF_PIXEL_FORMAT_YUV400 { "b-w" } else { "srgb" },
            ..Stored::default()
        },
    };
    let (delays_ms, loop_count) = parsed.timing();
    let found = SourceMetadata {
        stored: Stored {
            pages: parsed.frames(),
            loop_count: (parsed.frames() > 1).then_some(loop_count),
            delays_ms: if parsed.frames() > 1 { delays_ms } else { Vec::new() },
            ..found.stored
        },
        ..found
    };
    let shown = visible(img);
    let header = Header {
        format: Format::Avif,
        width: shown.width,
        height: shown.height,
        has_alpha: parsed.has_alpha(),
        orientation: orientation(img),
        has_icc: found.icc.is_some(),
        // dav1d keeps up to eight reference frames of a sequence besides the one it returns.
        decoder_bytes: yuv_bytes(img, parsed.has_alpha()) * if parsed.frames() > 1 { 9 } else { 1 },
    };
    Ok((header, found))
}

/// The part of the frame that is the image: the clean aperture (`clap`) when the file has a
/// valid one, as libavif converts it, else the whole frame (an invalid clap is ignored, as
/// other readers do). libavif is told the frame is 4:4:4 whatever its subsampling: its
/// check that a 4:2:0 crop starts on even rows and columns is about cropping YUV planes,
/// and `decode` crops RGB rows, converted with context around the rectangle.
fn visible(img: &sys::avifImage) -> sys::avifCropRect {
    let whole = sys::avifCropRect { x: 0, y: 0, width: img.width, height: img.height };
    if img.transformFlags & sys::AVIF_TRANSFORM_CLAP == 0 {
        return whole;
    }
    let mut rect = whole;
    // SAFETY: plain structs; libavif writes only `rect` and `diag`.
    let valid = unsafe {
        let mut diag: sys::avifDiagnostics = std::mem::zeroed();
        sys::avifCropRectConvertCleanApertureBox(&mut rect, &img.clap, img.width, img.height, sys::AVIF_PIXEL_FORMAT_YUV444, &mut diag) != 0
    };
    if valid && rect.width > 0 && rect.height > 0 { rect } else { whole }
}

/// dav1d's decoded frame, held whole while it is converted: the YUV planes (and alpha) at
/// the stored depth.
fn yuv_bytes(img: &sys::avifImage, alpha: bool) -> u64 {
    let luma = img.width as u64 * img.height as u64 * if img.depth > 8 { 2 } else { 1 };
    let chroma = match img.yuvFormat {
        sys::AVIF_PIXEL_FORMAT_YUV444 => 2 * luma,
        sys::AVIF_PIXEL_FORMAT_YUV422 => luma,
        sys::AVIF_PIXEL_FORMAT_YUV420 => luma / 2,
        _ => 0,
    };
    luma + chroma + if alpha { luma } else { 0 }
}

/// The EXIF orientation (1–8) that the irot and imir boxes describe; in AVIF these boxes,
/// not the EXIF tag, say how to display the image. Rotation (anti-clockwise quarter turns)
/// comes first, then the mirror: axis 1 swaps left and right, which is a half turn and a
/// top-bottom swap.
fn orientation(img: &sys::avifImage) -> u8 {
    let has = |flag| img.transformFlags & flag != 0;
    let mut turns = if has(sys::AVIF_TRANSFORM_IROT) { img.irot.angle & 3 } else { 0 };
    let flip = has(sys::AVIF_TRANSFORM_IMIR);
    if flip && img.imir.axis == 1 {
        turns = (turns + 2) & 3;
    }
    match (turns, flip) {
        (0, false) => 1,
        (1, false) => 8,
        (2, false) => 3,
        (3, false) => 6,
        (0, true) => 4,
        (1, true) => 5,
        (2, true) => 2,
        _ => 7,
    }
}

/// Decodes the first frame to 8-bit RGB, or RGBA when the file has alpha (un-premultiplied).
/// dav1d's YUV frame is converted a band of rows at a time into the sink, so a downscale
/// never holds a full-size RGB copy beside it.
pub fn decode(bytes: &[u8], ctx: &DecodeContext) -> Result<Image> {
    let mut parsed = Parsed::new(bytes)?;
    parsed.decode_next_frame()?;
    let sink = to_rgb(&parsed, ctx)?;
    drop(parsed); // dav1d's frame, before the resampler's last allocations
    sink.finish()
}

/// Every frame of an image sequence (a still image's one frame), each converted as `decode`
/// converts its frame.
fn decode_frames(bytes: &[u8], ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
    let mut parsed = Parsed::new(bytes)?;
    for _ in 0..parsed.frames() {
        ctx.deadline.check()?;
        parsed.decode_next_frame()?;
        let image = to_rgb(&parsed, ctx)?.finish()?;
        out(Frame { image, delay_ms: parsed.duration_ms() })?;
    }
    Ok(())
}

/// The decoded frame, converted into a sink at `ctx.target`.
fn to_rgb(parsed: &Parsed, ctx: &DecodeContext) -> Result<FrameSink> {
    let img = parsed.image();
    let area = visible(img);
    let channels: u8 = if parsed.has_alpha() { 4 } else { 3 };
    let mut sink = FrameSink::new(area.width, area.height, channels, ctx);
    // Each band is converted with two rows and columns of context around it (inside the
    // frame), starting on even rows and columns so 4:2:0 chroma stays aligned: libavif's
    // bilinear chroma upsampling then sees the neighbours a whole-frame pass would, and a
    // clean aperture is cut out of a conversion that did not stop at its edges.
    const CONTEXT: u32 = 2;
    let left = area.x.saturating_sub(CONTEXT) & !1;
    let right = (area.x + area.width + CONTEXT).min(img.width);
    let view_stride = (right - left) as usize * channels as usize;
    let stride = area.width as usize * channels as usize;
    let skip_x = (area.x - left) as usize * channels as usize;
    let band = (FrameSink::block_rows(area.width as usize, channels as usize) as u32) & !1;
    let band_len = view_stride * (band + 2 * CONTEXT + 1).min(img.height) as usize;
    let mut rows = vec![0u8; band_len];
    // An HDR frame is converted to 16-bit RGB, then tone-mapped into `rows`.
    let tone = Transfer::from_cicp(img.transferCharacteristics).map(|t| ToneMap::new(t, img.colorPrimaries, img.clli.maxCLL));
    let mut wide = vec![0u16; if tone.is_some() { band_len } else { 0 }];
    let mut cut = vec![0u8; if skip_x == 0 && view_stride == stride { 0 } else { stride * band as usize }];
    // SAFETY: a plain constructor; `Owned` checks the pointer and destroys it once.
    let view = Owned::new(unsafe { sys::avifImageCreateEmpty() }, sys::avifImageDestroy)?;
    for top in (area.y..area.y + area.height).step_by(band as usize) {
        let bottom = (top + band).min(area.y + area.height);
        let (from, to) = (top.saturating_sub(CONTEXT) & !1, (bottom + CONTEXT).min(img.height));
        let rect = sys::avifCropRect { x: left, y: from, width: right - left, height: to - from };
        // SAFETY: `view` borrows the planes of `img`, which the decoder keeps alive; `rgb`
        // describes the first `to - from` rows of `rows`, and libavif writes only inside them.
        unsafe {
            let view = &mut *view.0;
            convert(sys::avifImageSetViewRect(view, img, &rect))?;
            let mut rgb: sys::avifRGBImage = std::mem::zeroed();
            sys::avifRGBImageSetDefaults(&mut rgb, view);
            rgb.format = if channels == 4 { sys::AVIF_RGB_FORMAT_RGBA } else { sys::AVIF_RGB_FORMAT_RGB };
            if tone.is_some() {
                rgb.depth = 16;
                rgb.pixels = wide.as_mut_ptr().cast();
                rgb.rowBytes = (view_stride * 2) as u32;
            } else {
                rgb.depth = 8;
                rgb.pixels = rows.as_mut_ptr();
                rgb.rowBytes = view_stride as u32;
            }
            convert(sys::avifImageYUVToRGB(view, &mut rgb))?;
        }
        if let Some(tone) = &tone {
            let n = (to - from) as usize * view_stride;
            tone.map(&wide[..n], &mut rows[..n], channels as usize);
        }
        let first = (top - from) as usize * view_stride;
        let band_rows = &mut rows[first..first + (bottom - top) as usize * view_stride];
        if cut.is_empty() {
            sink.push(band_rows)?;
        } else {
            let out = &mut cut[..(bottom - top) as usize * stride];
            for (dst, src) in out.chunks_exact_mut(stride).zip(band_rows.chunks_exact(view_stride)) {
                dst.copy_from_slice(&src[skip_x..skip_x + stride]);
            }
            sink.push(out)?;
        }
    }
    drop(view);
    Ok(sink)
}


fn convert(result: sys::avifResult) -> Result<()> {
    check(result, None).map_err(|reason| Error::corrupt(NAME, format!("cannot convert the decoded frame to RGB: {reason}")))
}

/// libaom speed (`cpu-used`) for an effort: 0 is slowest. From speed 7 libaom's all-intra
/// mode (libavif's choice for a still image) uses its real-time search, which is fast but
/// much larger at equal DSSIM; 6 is the default; below 3 a megapixel takes tens of seconds.
fn speed(options: &EncodeOptions) -> c_int {
    match (options.fast_mode, options.effort) {
        (true, _) => 8,
        (false, Some(effort)) => (10 - c_int::from(effort)).clamp(3, 9),
        (false, None) => 6,
    }
}

/// 4:4:4 (unless `chroma_subsampling` halves it) at 10 bits with libaom's quantisation
/// matrices: on the comparison's photo, 10 bits are 16 % and the matrices 3 % smaller at equal
/// DSSIM than 8 bits without them.
/// libaom cannot be interrupted: a deadline is enforced around this call by the pipeline.
/// The pixels are sRGB unless `icc` describes them.
pub fn encode(image: &Image, options: &EncodeOptions, icc: Option<&[u8]>, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let encoded = encode_with_libaom(image, options, yuv_format(options), icc, exif)
        .map_err(|reason| Error::encode(NAME, reason));
    // libaom starts new worker threads for every encode, and each leaves ~50 MB freed but
    // held in a glibc arena of its own: without this, RSS rose by that much per output up to
    // the arena limit (measured once: 289 MB after six; peak 109 MB with it).
    heap::release();
    encoded
}

fn encode_with_libaom(
    image: &Image,
    options: &EncodeOptions,
    yuv_format: sys::avifPixelFormat,
    icc: Option<&[u8]>,
    exif: Option<&[u8]>,
) -> std::result::Result<Vec<u8>, String> {
    let yuv = yuv_of(image, yuv_format, icc, exif)?;
    let encoder = encoder_for(options)?;
    // SAFETY: both objects come from libavif and live through the call; the output is
    // copied and freed with libavif's allocator.
    unsafe {
        let mut out: sys::avifRWData = std::mem::zeroed();
        let written = sys::avifEncoderWrite(encoder.0, yuv.0, &mut out);
        let bytes = if out.data.is_null() { Vec::new() } else { std::slice::from_raw_parts(out.data, out.size).to_vec() };
        sys::avifRWDataFree(&mut out);
        check(written, Some(&(*encoder.0).diag))?;
        Ok(bytes)
    }
}

/// 4:4:4 unless `chromaSubsampling: '4:2:0'` asks for a quarter of the chroma.
fn yuv_format(options: &EncodeOptions) -> sys::avifPixelFormat {
    match options.chroma_subsampling {
        Some(ChromaSubsampling::Halved) => sys::AVIF_PIXEL_FORMAT_YUV420,
        Some(ChromaSubsampling::Full) | None => sys::AVIF_PIXEL_FORMAT_YUV444,
    }
}

/// The frame as a 10-bit YUV image of `yuv_format`, full range, with `icc` and `exif`.
fn yuv_of(image: &Image, yuv_format: sys::avifPixelFormat, icc: Option<&[u8]>, exif: Option<&[u8]>) -> std::result::Result<Owned<sys::avifImage>, String> {
    // SAFETY: every pointer below comes from libavif and is checked before use; `Owned`
    // destroys the image once; `rgb.pixels` borrows `image.data`, which outlives the
    // conversion that reads it (libavif never writes through it).
    unsafe {
        let yuv = sys::avifImageCreate(image.width, image.height, 10, yuv_format);
        let yuv = Owned::new(yuv, sys::avifImageDestroy).map_err(|e| e.to_string())?;
        let img = &mut *yuv.0;
        img.yuvRange = sys::AVIF_RANGE_FULL;
        img.matrixCoefficients = sys::AVIF_MATRIX_COEFFICIENTS_BT601 as _;
        if let Some(icc) = icc {
            // The profile describes the colours; the nclx box then only carries the matrix.
            check(sys::avifImageSetProfileICC(img, icc.as_ptr(), icc.len()), None)?;
        } else {
            img.colorPrimaries = sys::AVIF_COLOR_PRIMARIES_BT709 as _;
            img.transferCharacteristics = sys::AVIF_TRANSFER_CHARACTERISTICS_SRGB as _;
        }
        let mut rgb: sys::avifRGBImage = std::mem::zeroed();
        sys::avifRGBImageSetDefaults(&mut rgb, img);
        rgb.depth = 8;
        rgb.format = if image.has_alpha() { sys::AVIF_RGB_FORMAT_RGBA } else { sys::AVIF_RGB_FORMAT_RGB };
        rgb.pixels = image.data.as_ptr().cast_mut();
        rgb.rowBytes = image.stride() as u32;
        check(sys::avifImageRGBToYUV(img, &rgb), None)?;
        if let Some(exif) = exif {
            check(sys::avifImageSetMetadataExif(img, exif.as_ptr(), exif.len()), None)?;
        }
        Ok(yuv)
    }
}

/// A libaom encoder set up for `options`.
fn encoder_for(options: &EncodeOptions) -> std::result::Result<Owned<sys::avifEncoder>, String> {
    let quality = c_int::from(options.quality_or(60));
    // SAFETY: the encoder comes from libavif and is checked; the option strings are static.
    unsafe {
        let encoder = Owned::new(sys::avifEncoderCreate(), sys::avifEncoderDestroy).map_err(|e| e.to_string())?;
        let enc = &mut *encoder.0;
        enc.codecChoice = sys::AVIF_CODEC_CHOICE_AOM;
        enc.quality = quality;
        enc.qualityAlpha = quality;
        enc.speed = speed(options);
        enc.maxThreads = std::thread::available_parallelism().map_or(1, |n| n.get() as c_int);
        check(sys::avifEncoderSetCodecSpecificOption(enc, c"enable-qm".as_ptr(), c"1".as_ptr()), Some(&enc.diag))?;
        Ok(encoder)
    }
}

/// An image sequence (animated AVIF) written frame by frame: libaom codes each frame
/// against the ones before it (inter prediction), keeping its look-ahead, not the frames.
struct Sequence {
    encoder: Owned<sys::avifEncoder>,
    yuv_format: sys::avifPixelFormat,
    deadline: crate::limits::Deadline,
}

impl Sequence {
    fn new(options: &EncodeOptions, loop_count: u32, deadline: crate::limits::Deadline) -> Result<Sequence> {
        let encoder = encoder_for(options).map_err(|reason| Error::encode(NAME, reason))?;
        // SAFETY: the encoder is alive; plain fields.
        unsafe {
            let enc = &mut *encoder.0;
            enc.timescale = 1000;
            // libavif counts repetitions after the first play.
            enc.repetitionCount = if loop_count == 0 { sys::AVIF_REPETITION_COUNT_INFINITE } else { (loop_count - 1).min(i32::MAX as u32) as c_int };
        }
        Ok(Sequence { encoder, yuv_format: yuv_format(options), deadline })
    }
}

impl super::FrameEncoder for Sequence {
    fn add(&mut self, frame: Frame) -> Result<()> {
        self.deadline.check()?;
        let fail = |reason| Error::encode(NAME, reason);
        let yuv = yuv_of(&frame.image, self.yuv_format, None, None).map_err(fail)?;
        drop(frame.image);
        // SAFETY: both objects are alive; libavif copies what it keeps of the frame.
        let added = unsafe { sys::avifEncoderAddImage(self.encoder.0, yuv.0, frame.delay_ms.max(1) as u64, sys::AVIF_ADD_IMAGE_FLAG_NONE) };
        // SAFETY: the encoder is alive; its diagnostics are NUL-terminated.
        check(added, Some(unsafe { &(*self.encoder.0).diag })).map_err(fail)
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        // SAFETY: the encoder is alive; the output is copied and freed with libavif's allocator.
        let encoded = unsafe {
            let mut out: sys::avifRWData = std::mem::zeroed();
            let done = sys::avifEncoderFinish(self.encoder.0, &mut out);
            let bytes = if out.data.is_null() { Vec::new() } else { std::slice::from_raw_parts(out.data, out.size).to_vec() };
            sys::avifRWDataFree(&mut out);
            check(done, Some(&(*self.encoder.0).diag)).map(|_| bytes).map_err(|reason| Error::encode(NAME, reason))
        };
        heap::release();
        encoded
    }
}

/// A libavif object, destroyed with its own function.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Owned<T> {
    fn new(ptr: *mut T, destroy: unsafe extern "C" fn(*mut T)) -> Result<Owned<T>> {
        if ptr.is_null() {
            return Err(Error::Internal("libavif could not allocate".into()));
        }
        Ok(Owned(ptr, destroy))
    }
}

impl<T> Drop for Owned<T> {
    fn drop(&mut self) {
        // SAFETY: the pointer came from the matching create function and is dropped once.
        unsafe { (self.1)(self.0) }
    }
}

/// libavif's result, and its diagnostic when there is one, as a reason for the caller's error.
fn check(result: sys::avifResult, diag: Option<&sys::avifDiagnostics>) -> std::result::Result<(), String> {
    if result == sys::AVIF_RESULT_OK {
        return Ok(());
    }
    // SAFETY: libavif returns static strings and NUL-terminates its diagnostics buffer.
    let what = unsafe { CStr::from_ptr(sys::avifResultToString(result)) }.to_string_lossy();
    let detail = diag
        .map(|d| unsafe { CStr::from_ptr(d.error.as_ptr()) }.to_string_lossy().into_owned())
        .filter(|d| !d.is_empty());
    Err(match detail {
        Some(detail) => format!("{what}: {detail}"),
        None => what.into_owned(),
    })
}

pub struct Avif;

impl super::Codec for Avif {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
        probe(bytes)
    }
    fn decode(&self, source: &crate::source::Source, ctx: &DecodeContext) -> Result<Image> {
        decode(source.bytes(), ctx)
    }
    /// libavif writes the ICC profile and EXIF into its own boxes.
    fn encode(&self, image: Image, options: &EncodeOptions, ctx: &super::EncodeContext) -> Result<Vec<u8>> {
        encode(&image, options, ctx.icc, ctx.exif)
    }
    fn embeds_metadata(&self) -> bool {
        true
    }
    fn decode_frames(&self, source: &crate::source::Source, ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
        decode_frames(source.bytes(), ctx, out)
    }
    fn animation(&self, options: &EncodeOptions, _size: (u32, u32), loop_count: u32, deadline: crate::limits::Deadline) -> Option<Result<Box<dyn super::FrameEncoder>>> {
        Some(Sequence::new(options, loop_count, deadline).map(|s| Box::new(s) as Box<dyn super::FrameEncoder>))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::codecs::tests::mean_abs_diff;

    #[test]
    fn an_image_sequence_round_trips_its_frames_delays_and_loop() {
        use crate::codecs::Codec;
        let frames: Vec<Frame> = (0..3u8)
            .map(|i| {
                let mut image = photo(48, 32, false);
                image.data.iter_mut().for_each(|v| *v = v.wrapping_add(i * 70));
                Frame { image, delay_ms: 50 + 25 * i as u32 }
            })
            .collect();
        let mut options = EncodeOptions::new(Format::Avif);
        (options.quality, options.fast_mode) = (Some(90), true);
        let mut sequence = Avif.animation(&options, (48, 32), 2, crate::limits::Deadline::NONE).unwrap().unwrap();
        for f in &frames {
            sequence.add(f.clone()).unwrap();
        }
        let bytes = sequence.finish().unwrap();
        let (header, found) = probe(&bytes).unwrap();
        assert_eq!((header.width, header.height, found.stored.pages, found.stored.loop_count), (48, 32, 3, Some(2)));
        assert_eq!(found.stored.delays_ms, [50, 75, 100]);
        let mut back = Vec::new();
        decode_frames(&bytes, &DecodeContext::default(), &mut |f| {
            back.push(f);
            Ok(())
        })
        .unwrap();
        assert_eq!(back.len(), 3);
        for (b, f) in back.iter().zip(&frames) {
            assert_eq!(b.delay_ms, f.delay_ms);
            assert!(mean_abs_diff(&b.image, &f.image) < 6.0, "{}", mean_abs_diff(&b.image, &f.image));
        }
    }

    use crate::metadata::exif::tests::camera_exif;
    use crate::metadata::icc::tests::display_p3;

    fn fast(quality: u8) -> EncodeOptions {
        let mut o = EncodeOptions::new(Format::Avif);
        o.quality = Some(quality);
        o.fast_mode = true;
        o
    }

    /// The av1C box's chroma_subsampling_x and _y bits (AV1-ISOBMFF §2.3.3), read from the
    /// file rather than through libavif.
    fn av1c_subsampling(bytes: &[u8]) -> (bool, bool) {
        let at = bytes.windows(4).position(|w| w == b"av1C").expect("an av1C box") + 4;
        let flags = bytes[at + 2];
        (flags & 0b1000 != 0, flags & 0b100 != 0)
    }

    #[test]
    fn chroma_is_whole_unless_4_2_0_is_asked_for_stills_and_sequences() {
        let img = photo(63, 47, false);
        let mut halved = fast(70);
        halved.chroma_subsampling = Some(ChromaSubsampling::Halved);
        assert_eq!(av1c_subsampling(&encode(&img, &fast(70), None, None).unwrap()), (false, false));
        let small = encode(&img, &halved, None, None).unwrap();
        assert_eq!(av1c_subsampling(&small), (true, true));
        let back = decode(&small, &DecodeContext::default()).unwrap();
        assert!(mean_abs_diff(&back, &img) < 8.0, "odd sides: {}", mean_abs_diff(&back, &img));
        use crate::codecs::Codec;
        let mut sequence = Avif.animation(&halved, (63, 47), 0, crate::limits::Deadline::NONE).unwrap().unwrap();
        for _ in 0..2 {
            sequence.add(Frame { image: img.clone(), delay_ms: 40 }).unwrap();
        }
        assert_eq!(av1c_subsampling(&sequence.finish().unwrap()), (true, true));
    }

    #[test]
    fn quality_is_monotonic() {
        let img = photo(64, 64, false);
        let sizes: Vec<usize> = [20u8, 50, 80].iter().map(|&q| encode(&img, &fast(q), None, None).unwrap().len()).collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }

    #[test]
    fn decodes_what_it_encodes_with_alpha_icc_and_exif() {
        let img = photo(72, 40, true);
        let icc = display_p3();
        let bytes = encode(&img, &fast(90), Some(&icc), Some(&camera_exif(1))).unwrap();
        let (header, found) = probe(&bytes).unwrap();
        assert_eq!((header.width, header.height, header.has_alpha, header.orientation), (72, 40, true, 1));
        assert_eq!(found.icc.as_deref(), Some(&icc[..]));
        assert_eq!(found.exif.as_deref().and_then(exif::orientation), Some(1));
        assert!(!found.other);
        let back = decode(&bytes, &DecodeContext::default()).unwrap();
        assert_eq!((back.width, back.height, back.channels), (72, 40, 4));
        let alpha_diff = img.data.iter().zip(&back.data).skip(3).step_by(4).map(|(a, b)| a.abs_diff(*b) as u32).max();
        assert!(alpha_diff.unwrap() <= 8, "alpha differs by {alpha_diff:?}");
        let diff = mean_abs_diff(&img, &back);
        assert!(diff < 4.0, "pixels differ by {diff}");
    }

    /// libavif turns an EXIF orientation into irot/imir boxes; reading them back must give
    /// the same orientation for all eight.
    #[test]
    fn irot_and_imir_read_back_as_the_exif_orientation() {
        for o in 1..=8u16 {
            // SAFETY: the image is created and destroyed by libavif; the EXIF is copied in.
            let read = unsafe {
                let img = Owned::new(sys::avifImageCreateEmpty(), sys::avifImageDestroy).unwrap();
                let exif = camera_exif(o);
                assert_eq!(sys::avifImageSetMetadataExif(img.0, exif.as_ptr(), exif.len()), sys::AVIF_RESULT_OK);
                orientation(&*img.0)
            };
            assert_eq!(read, o as u8);
        }
        let bytes = encode(&photo(32, 16, false), &fast(50), None, Some(&camera_exif(6))).unwrap();
        assert_eq!(probe(&bytes).unwrap().0.orientation, 6);
    }

    /// libavif's own conversion of the whole (visible) frame, the reference for `decode`.
    fn whole_frame(bytes: &[u8]) -> Image {
        let mut parsed = Parsed::new(bytes).unwrap();
        parsed.decode_next_frame().unwrap();
        let img = parsed.image();
        let channels = if parsed.has_alpha() { 4 } else { 3 };
        let mut whole = vec![0u8; (img.width * img.height) as usize * channels];
        // SAFETY: `rgb` describes `whole` exactly.
        unsafe {
            let mut rgb: sys::avifRGBImage = std::mem::zeroed();
            sys::avifRGBImageSetDefaults(&mut rgb, img);
            rgb.depth = 8;
            rgb.format = if channels == 4 { sys::AVIF_RGB_FORMAT_RGBA } else { sys::AVIF_RGB_FORMAT_RGB };
            rgb.pixels = whole.as_mut_ptr();
            rgb.rowBytes = img.width * channels as u32;
            convert(sys::avifImageYUVToRGB(img, &mut rgb)).unwrap();
        }
        let frame = Image::new(img.width, img.height, channels as u8, whole);
        let r = visible(img);
        crate::ops::geometry::crop(&frame, r.x, r.y, r.width, r.height).unwrap()
    }

    /// Band by band, as `decode` converts, must equal one whole-frame conversion, also where
    /// 4:2:0 chroma is upsampled across a band edge, and for the monochrome, 4:2:2, 12-bit
    /// and odd-sized files of Link-U's corpus.
    #[test]
    fn banded_conversion_matches_a_whole_frame_conversion() {
        let img = photo(40, 1300, true); // three bands of 512 rows
        let synthetic = encode_with_libaom(&img, &fast(80), sys::AVIF_PIXEL_FORMAT_YUV420, None, None).unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/avif/Link-U");
        let corpus = [
            "fox.profile0.8bpc.yuv420.monochrome.avif",
            "fox.profile0.8bpc.yuv420.monochrome.odd-width.odd-height.avif",
            "fox.profile2.12bpc.yuv422.monochrome.avif",
            "fox.profile0.10bpc.yuv420.odd-width.odd-height.avif",
            "fox.profile1.8bpc.yuv444.odd-height.avif",
        ];
        let files = std::iter::once(("synthetic 4:2:0".to_string(), synthetic))
            .chain(corpus.iter().map(|name| (name.to_string(), std::fs::read(dir.join(name)).unwrap())));
        for (name, bytes) in files {
            let banded = decode(&bytes, &DecodeContext::default()).unwrap();
            let whole = whole_frame(&bytes);
            let row = whole.stride();
            let first_difference = banded.data.iter().zip(&whole.data).position(|(a, b)| a != b);
            assert_eq!((banded.width, banded.height), (whole.width, whole.height), "{name}");
            assert_eq!(first_difference.map(|i| i / row), None, "{name}: first differing row");
        }
    }

    /// An HDR file (10-bit, BT.2020 primaries, PQ transfer, BT.2020 matrix) decodes
    /// tone-mapped: the same samples read as PQ light come out other than read as sRGB, in
    /// the same order, and the tone map's own figures are checked in `metadata::hdr`.
    #[test]
    fn an_hdr_file_decodes_tone_mapped() {
        let bytes = encode_with_libaom(&photo(64, 48, false), &fast(80), sys::AVIF_PIXEL_FORMAT_YUV444, None, None).unwrap();
        let at = bytes.windows(8).position(|w| w == b"colrnclx").unwrap() + 8;
        let mut hdr = bytes.clone();
        hdr[at..at + 6].copy_from_slice(&[0, 9, 0, 16, 0, 9]);
        let (header, found) = probe(&hdr).unwrap();
        assert_eq!((header.width, header.height, found.hdr), (64, 48, true));
        assert!(!probe(&bytes).unwrap().1.hdr);
        let (sdr, mapped) = (decode(&bytes, &DecodeContext::default()).unwrap(), decode(&hdr, &DecodeContext::default()).unwrap());
        assert!(crate::codecs::tests::mean_abs_diff(&sdr, &mapped) > 10.0, "tone mapping changed the pixels");
        let luma = |img: &Image, i: usize| img.data[i * 3..i * 3 + 3].iter().map(|&v| v as u32).sum::<u32>();
        let (dark, bright) = (0..64 * 48).fold((0, 0), |(d, b), i| if luma(&sdr, i) < luma(&sdr, d) { (i, b) } else if luma(&sdr, i) > luma(&sdr, b) { (d, i) } else { (d, b) });
        assert!(luma(&mapped, dark) < luma(&mapped, bright), "order of light kept");
    }

    #[test]
    fn damaged_and_enormous_files_are_refused_with_their_codes() {
        let bytes = encode(&photo(64, 48, false), &fast(50), None, None).unwrap();
        for cut in [20, 200, bytes.len() - 10] {
            let head = &bytes[..cut];
            let refused = probe(head).and_then(|_| decode(head, &DecodeContext::default()));
            assert!(matches!(refused, Err(Error::CorruptInput { .. })), "cut at {cut}: {refused:?}");
        }
        let ispe = bytes.windows(4).position(|w| w == b"ispe").unwrap() + 8;
        let mut bomb = bytes.clone();
        bomb[ispe..ispe + 8].copy_from_slice(&[0, 0, 0x9c, 0x40, 0, 0, 0x9c, 0x40]); // 40000 x 40000
        let refused = probe(&bomb);
        assert!(matches!(refused, Err(Error::LimitExceeded { width: 40_000, height: 40_000, .. })), "{refused:?}");

        // A small ispe around a larger AV1 frame: dav1d refuses the frame instead of
        // allocating what the limits never saw.
        let mut small = bytes.clone();
        small[ispe..ispe + 8].copy_from_slice(&[0, 0, 0, 16, 0, 0, 0, 16]);
        assert_eq!(probe(&small).unwrap().0.width, 16);
        let refused = decode(&small, &DecodeContext::default());
        assert!(matches!(refused, Err(Error::CorruptInput { .. })), "{refused:?}");
    }

    /// Link-U's `kimono.crop.avif` is `kimono.avif` with a clean aperture: decoding it must
    /// give that rectangle of the whole image, pixel for pixel (the conversion does not stop
    /// at the rectangle's edges).
    #[test]
    fn a_clean_aperture_crops_the_frame() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/avif/Link-U");
        let (whole, cropped) = (std::fs::read(dir.join("kimono.avif")).unwrap(), std::fs::read(dir.join("kimono.crop.avif")).unwrap());
        let rect = visible(Parsed::new(&cropped).unwrap().image());
        assert!(rect.width < 722 && rect.height < 1024, "a clap is there: {}x{}", rect.width, rect.height);
        assert_eq!((probe(&cropped).unwrap().0.width, probe(&cropped).unwrap().0.height), (rect.width, rect.height));
        let (whole, cropped) = (decode(&whole, &DecodeContext::default()).unwrap(), decode(&cropped, &DecodeContext::default()).unwrap());
        let expected = crate::ops::geometry::crop(&whole, rect.x, rect.y, rect.width, rect.height).unwrap();
        assert_eq!(cropped, expected);
    }

    #[test]
    fn item_tables_longer_than_the_limit_are_refused_before_libavif_parses_them() {
        let bytes = encode(&photo(16, 16, false), &fast(50), None, None).unwrap();
        assert!(check_item_counts(&bytes).is_ok());
        let iinf = bytes.windows(4).position(|w| w == b"iinf").unwrap() + 4;
        let mut many = bytes.clone();
        assert_eq!(many[iinf], 0, "libavif writes iinf version 0: a 16-bit count");
        many[iinf + 4..iinf + 6].copy_from_slice(&[0xFF, 0xFF]);
        let err = probe(&many).unwrap_err();
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains("65535"), "{err}");
    }
}
