//! WebP: still images are decoded by libwebp, which can scale while decoding (shrink-on-load)
//! into a buffer of the reduced size; animations by libwebp's animation decoder, one
//! composed canvas at a time. Encoding uses libwebp for its mature rate control, and its
//! animation encoder (which codes each frame against the previous canvas) for animations.
//! image-webp reads the headers and metadata chunks.

use std::ffi::{c_int, c_void};
use std::io::Cursor;

use image_webp::WebPDecoder;
use libwebp_sys as ffi;

use super::{prescale_size, DecodeContext, EncodeOptions, Frame, FrameSink, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::limits::Deadline;
use crate::metadata::{exif, SourceMetadata, Stored};

const NAME: &str = "WebP";

fn decoder(bytes: &[u8]) -> Result<WebPDecoder<Cursor<&[u8]>>> {
    WebPDecoder::new(Cursor::new(bytes)).map_err(|e| Error::corrupt(NAME, e))
}

/// The header and the ICC, EXIF and XMP chunks, from one parse.
pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let mut d = decoder(bytes)?;
    let (width, height) = d.dimensions();
    let found = SourceMetadata {
        icc: d.icc_profile().ok().flatten(),
        exif: d.exif_metadata().ok().flatten().and_then(|e| exif::tiff_block(&e).map(<[u8]>::to_vec)),
        other: d.xmp_metadata().ok().flatten().is_some(),
        hdr: false,
        stored: stored(bytes, d.has_alpha()),
    };
    let header = Header {
        format: Format::Webp,
        width,
        height,
        has_alpha: d.has_alpha(),
        orientation: found.exif.as_deref().and_then(exif::orientation).unwrap_or(1),
        has_icc: found.icc.is_some(),
        decoder_bytes: decoder_bytes(&mut d),
    };
    Ok((header, found))
}

/// Channels, and for an animation its frame count, loop count (`ANIM`) and frame
/// durations (`ANMF`), from a walk over the RIFF chunks (image-webp does not report the
/// durations without decoding every frame).
fn stored(bytes: &[u8], alpha: bool) -> Stored {
    let mut stored = Stored { channels: 3 + alpha as u8, ..Stored::default() };
    let mut pos = 12;
    let mut delays = Vec::new();
    while let Some(head) = bytes.get(pos..pos + 8) {
        let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
        let body = bytes.get(pos + 8..(pos + 8).saturating_add(size).min(bytes.len())).unwrap_or(&[]);
        match &head[..4] {
            b"ANIM" if body.len() >= 6 => stored.loop_count = Some(u16::from_le_bytes([body[4], body[5]]) as u32),
            b"ANMF" if body.len() >= 16 => delays.push(u32::from_le_bytes([body[12], body[13], body[14], 0])),
            _ => {}
        }
        pos = pos + 8 + size + (size & 1);
    }
    if !delays.is_empty() {
        stored.pages = delays.len() as u32;
        stored.delays_ms = delays;
    }
    stored
}

/// image-webp composes an animation on a canvas of its own, and decodes the frame before
/// it is composed, beside the image it returns; libwebp decodes a lossless image whole
/// (as ARGB) before scaling it.
fn decoder_bytes(d: &mut WebPDecoder<Cursor<&[u8]>>) -> u64 {
    let (width, height) = d.dimensions();
    let canvas = width as u64 * height as u64 * 4;
    match (d.is_animated(), d.is_lossy()) {
        (true, _) => 2 * canvas,
        (false, false) => canvas,
        (false, true) => 0,
    }
}

pub fn decode(bytes: &[u8], ctx: &DecodeContext) -> Result<Image> {
    let d = decoder(bytes)?;
    let (width, height) = d.dimensions();
    let channels = if d.has_alpha() { 4 } else { 3 };
    if d.is_animated() {
        let mut first = None;
        frames(bytes, ctx, channels, Some(1), &mut |frame| {
            first = Some(frame.image);
            Ok(())
        })?;
        return first.ok_or_else(|| Error::corrupt(NAME, "the animation holds no frame"));
    }
    // libwebp's rescaler averages areas, a clean low-pass, so 1.5× the target leaves
    // Lanczos enough to work with; the prescaled frame is the largest buffer held.
    let size = ctx.target.map_or((width, height), |t| prescale_size((width, height), t, 1.5));
    let image = decode_still(bytes, (width, height), size, channels)?;
    FrameSink::new(image.width, image.height, channels, ctx).push_frame(image)
}

/// libwebp's animation decoder, freed once.
struct AnimDecoder(*mut ffi::WebPAnimDecoder);

impl Drop for AnimDecoder {
    fn drop(&mut self) {
        // SAFETY: created by WebPAnimDecoderNew, deleted once.
        unsafe { ffi::WebPAnimDecoderDelete(self.0) }
    }
}

/// An animation's frames, each the canvas libwebp composed (blending and disposal applied),
/// with its duration; at most `limit` of them.
fn frames(bytes: &[u8], ctx: &DecodeContext, channels: u8, limit: Option<usize>, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
    // SAFETY: the options and info are plain structs libwebp fills; the decoder reads
    // `bytes`, which outlive it; each canvas it returns is `width * height * 4` bytes, valid
    // until the next call, and copied before then.
    unsafe {
        let mut options: ffi::WebPAnimDecoderOptions = std::mem::zeroed();
        if ffi::WebPAnimDecoderOptionsInit(&mut options) == 0 {
            return Err(Error::Internal("libwebp demux version mismatch".into()));
        }
        options.color_mode = ffi::WEBP_CSP_MODE::MODE_RGBA;
        options.use_threads = 0;
        let data = ffi::WebPData { bytes: bytes.as_ptr(), size: bytes.len() };
        let decoder = ffi::WebPAnimDecoderNew(&data, &options);
        if decoder.is_null() {
            return Err(Error::corrupt(NAME, "libwebp cannot read the animation"));
        }
        let decoder = AnimDecoder(decoder);
        let mut info = ffi::WebPAnimInfo::default();
        if ffi::WebPAnimDecoderGetInfo(decoder.0, &mut info) == 0 {
            return Err(Error::corrupt(NAME, "libwebp cannot read the animation's header"));
        }
        let (width, height) = (info.canvas_width, info.canvas_height);
        let (mut shown, mut delivered) = (0, 0);
        while ffi::WebPAnimDecoderHasMoreFrames(decoder.0) != 0 && limit.is_none_or(|n| delivered < n) {
            ctx.deadline.check()?;
            let (mut canvas, mut timestamp) = (std::ptr::null_mut(), 0);
            if ffi::WebPAnimDecoderGetNext(decoder.0, &mut canvas, &mut timestamp) == 0 {
                return Err(Error::corrupt(NAME, format!("frame {} cannot be decoded", delivered + 1)));
            }
            let rgba = std::slice::from_raw_parts(canvas, width as usize * height as usize * 4);
            let image = FrameSink::new(width, height, channels, ctx).push_frame(Image::from_canvas(width, height, rgba, channels))?;
            out(Frame { image, delay_ms: (timestamp - shown).max(0) as u32 })?;
            shown = timestamp;
            delivered += 1;
        }
    }
    Ok(())
}

/// libwebp decode straight into our buffer, scaled to `size` by libwebp's area-averaging
/// rescaler when smaller than the image.
fn decode_still(bytes: &[u8], full: (u32, u32), size: (u32, u32), channels: u8) -> Result<Image> {
    let (w, h) = size;
    let stride = w as usize * channels as usize;
    let mut buf = vec![0u8; stride * h as usize];
    // SAFETY: the config is initialised by libwebp; the output points at `buf`, which is
    // exactly `stride * h` bytes and outlives the call (external memory: libwebp frees nothing).
    let status = unsafe {
        let mut config: ffi::WebPDecoderConfig = std::mem::zeroed();
        if !ffi::WebPInitDecoderConfig(&mut config) {
            return Err(Error::Internal("libwebp decoder version mismatch".into()));
        }
        // libwebp's rescaler is not an identity at the image's own size: it would blur a
        // full-size decode away from libwebp's (and every browser's) output.
        if size != full {
            config.options.use_scaling = 1;
            config.options.scaled_width = w as i32;
            config.options.scaled_height = h as i32;
        }
        config.output.colorspace = if channels == 4 { ffi::WEBP_CSP_MODE::MODE_RGBA } else { ffi::WEBP_CSP_MODE::MODE_RGB };
        config.output.is_external_memory = 1;
        config.output.u.RGBA = ffi::WebPRGBABuffer { rgba: buf.as_mut_ptr(), stride: stride as i32, size: buf.len() };
        let status = ffi::WebPDecode(bytes.as_ptr(), bytes.len(), &mut config);
        ffi::WebPFreeDecBuffer(&mut config.output);
        status
    };
    if status != ffi::VP8StatusCode::VP8_STATUS_OK {
        return Err(Error::corrupt(NAME, format!("libwebp: {status:?}")));
    }
    Ok(Image::new(w, h, channels, buf))
}

/// Takes the image by value: libwebp copies it into its own picture on import, and the
/// pixels are freed before the (memory-hungry) encode starts. libwebp asks its progress
/// hook whether to go on, which is where the deadline stops it.
/// libwebp's settings for `options`, for a still image and for each frame of an animation.
fn config(options: &EncodeOptions) -> Result<ffi::WebPConfig> {
    let mut config = ffi::WebPConfig::new().map_err(|_| Error::Internal("libwebp version mismatch".into()))?;
    config.quality = options.quality_or(80) as f32;
    config.method = match (options.fast_mode, options.effort) {
        (true, _) => 2,
        (false, Some(effort)) => (effort as i32 * 6 + 5) / 10,
        (false, None) => 4,
    };
    if options.lossless {
        config.lossless = 1;
        // Keep the colour under fully transparent pixels: a lossless conversion returns the
        // pixels it was given (libwebp would otherwise zero them for a smaller file).
        config.exact = 1;
    } else {
        config.use_sharp_yuv = (!options.fast_mode) as i32;
    }
    // SAFETY: a plain check of a plain struct.
    if unsafe { ffi::WebPValidateConfig(&config) } == 0 {
        return Err(Error::Internal("libwebp rejected its configuration".into()));
    }
    Ok(config)
}

pub fn encode(image: Image, options: &EncodeOptions, deadline: Deadline) -> Result<Vec<u8>> {
    let config = config(options)?;
    // SAFETY: picture and writer are initialised by libwebp and freed on every path; the
    // import reads exactly `stride * height` bytes of `image.data`.
    unsafe {
        let mut picture: ffi::WebPPicture = std::mem::zeroed();
        if !ffi::WebPPictureInit(&mut picture) {
            return Err(Error::Internal("libwebp version mismatch".into()));
        }
        picture.width = image.width as i32;
        picture.height = image.height as i32;
        let imported = import(&mut picture, &image, options.lossless, config.use_sharp_yuv != 0);
        drop(image);
        if !imported {
            ffi::WebPPictureFree(&mut picture);
            return Err(Error::encode(NAME, "out of memory importing the picture"));
        }
        let mut writer: ffi::WebPMemoryWriter = std::mem::zeroed();
        ffi::WebPMemoryWriterInit(&mut writer);
        picture.writer = Some(ffi::WebPMemoryWrite);
        picture.custom_ptr = (&mut writer as *mut ffi::WebPMemoryWriter).cast();
        picture.progress_hook = Some(go_on);
        picture.user_data = (&deadline as *const Deadline).cast_mut().cast();
        let ok = ffi::WebPEncode(&config, &mut picture) != 0;
        let error = picture.error_code;
        ffi::WebPPictureFree(&mut picture);
        let out = match ok {
            true => Ok(std::slice::from_raw_parts(writer.mem, writer.size).to_vec()),
            false if error == ffi::WebPEncodingError::VP8_ENC_ERROR_USER_ABORT && deadline.passed() => Err(deadline.error()),
            false => Err(Error::encode(NAME, format!("{error:?}"))),
        };
        ffi::WebPMemoryWriterClear(&mut writer);
        out
    }
}

/// libwebp's progress hook: 0 stops the encode.
extern "C" fn go_on(_percent: c_int, picture: *const ffi::WebPPicture) -> c_int {
    // SAFETY: `user_data` points at the `Deadline` that `encode` keeps alive during WebPEncode.
    let deadline = unsafe { &*((*picture).user_data as *const Deadline) };
    deadline.check().is_ok() as c_int
}

// libsharpyuv ships inside libwebp-sys (libwebp links it) but has no Rust bindings.
extern "C" {
    fn SharpYuvConvert(
        r: *const c_void, g: *const c_void, b: *const c_void,
        rgb_step: c_int, rgb_stride: c_int, rgb_bit_depth: c_int,
        y: *mut c_void, y_stride: c_int, u: *mut c_void, u_stride: c_int, v: *mut c_void, v_stride: c_int,
        yuv_bit_depth: c_int, width: c_int, height: c_int, matrix: *const c_void,
    ) -> c_int;
    fn SharpYuvGetConversionMatrix(matrix_type: c_int) -> *const c_void;
}
/// `kSharpYuvMatrixWebp`: the matrix libwebp's own sharp conversion uses.
const SHARP_YUV_MATRIX_WEBP: c_int = 0;

/// Fills `picture` from our pixels. Lossy pictures go straight to YUV(A) 4:2:0: libwebp's
/// own sharp-YUV route first copies the frame to ARGB and keeps that copy (4 bytes a pixel)
/// through the whole encode, so sharp YUV is run here with libsharpyuv instead.
///
/// # Safety
/// `picture` is initialised with this image's width and height.
unsafe fn import(picture: &mut ffi::WebPPicture, image: &Image, lossless: bool, sharp_yuv: bool) -> bool {
    let stride = image.stride() as c_int;
    let rgb = image.data.as_ptr();
    let has_alpha = image.has_alpha();
    picture.use_argb = lossless as c_int;
    if lossless || !sharp_yuv || image.width < 4 || image.height < 4 {
        // ARGB for lossless; otherwise libwebp's direct (non-sharp) RGB → YUV import.
        let imported = if has_alpha {
            ffi::WebPPictureImportRGBA(picture, rgb, stride)
        } else {
            ffi::WebPPictureImportRGB(picture, rgb, stride)
        };
        return imported != 0;
    }
    let translucent = has_alpha && image.data.chunks_exact(4).any(|p| p[3] != 255);
    picture.colorspace = if translucent { ffi::WebPEncCSP::WEBP_YUV420A } else { ffi::WebPEncCSP::WEBP_YUV420 };
    if ffi::WebPPictureAlloc(picture) == 0 {
        return false;
    }
    let converted = SharpYuvConvert(
        rgb.cast(), rgb.add(1).cast(), rgb.add(2).cast(),
        image.channels as c_int, stride, 8,
        picture.y.cast(), picture.y_stride, picture.u.cast(), picture.uv_stride, picture.v.cast(), picture.uv_stride,
        8, picture.width, picture.height, SharpYuvGetConversionMatrix(SHARP_YUV_MATRIX_WEBP),
    );
    if translucent {
        let a_stride = picture.a_stride as usize;
        let alpha = std::slice::from_raw_parts_mut(picture.a, a_stride * image.height as usize);
        for (row, out) in image.data.chunks_exact(image.stride()).zip(alpha.chunks_exact_mut(a_stride)) {
            for (px, a) in row.chunks_exact(4).zip(out.iter_mut()) {
                *a = px[3];
            }
        }
    }
    converted != 0
}

/// libwebp's animation encoder: each frame is coded against the canvas before it (only the
/// changed rectangle, lossy or lossless as smaller), so it holds a few canvases, not the
/// frames already given.
struct AnimEncoder {
    encoder: *mut ffi::WebPAnimEncoder,
    config: ffi::WebPConfig,
    /// When the next frame starts, in milliseconds.
    timestamp: c_int,
    deadline: Box<Deadline>,
}

impl AnimEncoder {
    fn new(options: &EncodeOptions, (width, height): (u32, u32), loop_count: u32, deadline: Deadline) -> Result<AnimEncoder> {
        let mut config = config(options)?;
        // The animation encoder converts each candidate rectangle to YUV itself, from ARGB;
        // libwebp's sharp conversion there would cost every frame its time again (sharp
        // does not use it either).
        config.use_sharp_yuv = 0;
        // SAFETY: the options struct is initialised by libwebp before use; a null encoder is
        // refused.
        let encoder = unsafe {
            let mut anim: ffi::WebPAnimEncoderOptions = std::mem::zeroed();
            if ffi::WebPAnimEncoderOptionsInitInternal(&mut anim, ffi::WEBP_MUX_ABI_VERSION as c_int) == 0 {
                return Err(Error::Internal("libwebp mux version mismatch".into()));
            }
            anim.anim_params.loop_count = loop_count.min(u16::MAX as u32) as c_int;
            // No forced key frames (as libvips): each frame is coded only against the canvas
            // before it, instead of also as a key frame to keep the smaller.
            (anim.kmin, anim.kmax) = (c_int::MAX - 1, c_int::MAX);
            ffi::WebPAnimEncoderNewInternal(width as c_int, height as c_int, &anim, ffi::WEBP_MUX_ABI_VERSION as c_int)
        };
        if encoder.is_null() {
            return Err(Error::encode(NAME, format!("libwebp cannot start an animation of {width}x{height}")));
        }
        Ok(AnimEncoder { encoder, config, timestamp: 0, deadline: Box::new(deadline) })
    }

    fn error(&self) -> Error {
        if self.deadline.passed() {
            return self.deadline.error();
        }
        // SAFETY: libwebp returns a NUL-terminated string it owns (or null).
        let reason = unsafe {
            let text = ffi::WebPAnimEncoderGetError(self.encoder);
            if text.is_null() { "unknown error".into() } else { std::ffi::CStr::from_ptr(text).to_string_lossy().into_owned() }
        };
        Error::encode(NAME, reason)
    }
}

impl Drop for AnimEncoder {
    fn drop(&mut self) {
        // SAFETY: created by WebPAnimEncoderNewInternal, deleted once.
        unsafe { ffi::WebPAnimEncoderDelete(self.encoder) }
    }
}

impl super::FrameEncoder for AnimEncoder {
    fn add(&mut self, frame: Frame) -> Result<()> {
        self.deadline.check()?;
        let image = frame.image;
        // SAFETY: the picture is initialised and freed here; the import reads exactly
        // `stride * height` bytes of `image.data`; the progress hook reads the boxed
        // deadline, which lives as long as the encoder.
        let added = unsafe {
            let mut picture: ffi::WebPPicture = std::mem::zeroed();
            if !ffi::WebPPictureInit(&mut picture) {
                return Err(Error::Internal("libwebp version mismatch".into()));
            }
            (picture.width, picture.height) = (image.width as c_int, image.height as c_int);
            // The animation encoder compares canvases in ARGB.
            picture.use_argb = 1;
            let imported = if image.has_alpha() {
                ffi::WebPPictureImportRGBA(&mut picture, image.data.as_ptr(), image.stride() as c_int)
            } else {
                ffi::WebPPictureImportRGB(&mut picture, image.data.as_ptr(), image.stride() as c_int)
            };
            drop(image);
            picture.progress_hook = Some(go_on);
            picture.user_data = (&*self.deadline as *const Deadline).cast_mut().cast();
            let added = imported != 0 && ffi::WebPAnimEncoderAdd(self.encoder, &mut picture, self.timestamp, &self.config) != 0;
            ffi::WebPPictureFree(&mut picture);
            added
        };
        if !added {
            return Err(self.error());
        }
        self.timestamp = self.timestamp.saturating_add(frame.delay_ms.min(i32::MAX as u32) as c_int);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        // SAFETY: a null frame ends the animation at the last timestamp (its duration);
        // the assembled data is copied, then freed with libwebp's allocator.
        unsafe {
            if ffi::WebPAnimEncoderAdd(self.encoder, std::ptr::null_mut(), self.timestamp, std::ptr::null()) == 0 {
                return Err(self.error());
            }
            let mut data = ffi::WebPData { bytes: std::ptr::null(), size: 0 };
            if ffi::WebPAnimEncoderAssemble(self.encoder, &mut data) == 0 {
                return Err(self.error());
            }
            let out = std::slice::from_raw_parts(data.bytes, data.size).to_vec();
            ffi::WebPDataClear(&mut data);
            Ok(out)
        }
    }
}

pub struct Webp;

impl super::Codec for Webp {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
        probe(bytes)
    }
    fn decode(&self, source: &crate::source::Source, ctx: &DecodeContext) -> Result<Image> {
        decode(source.bytes(), ctx)
    }
    fn encode(&self, image: Image, options: &EncodeOptions, ctx: &super::EncodeContext) -> Result<Vec<u8>> {
        encode(image, options, ctx.deadline)
    }
    fn decode_frames(&self, source: &crate::source::Source, ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
        let bytes = source.bytes();
        let d = decoder(bytes)?;
        if !d.is_animated() {
            return out(Frame::still(decode(bytes, ctx)?));
        }
        frames(bytes, ctx, if d.has_alpha() { 4 } else { 3 }, None, out)
    }
    fn animation(&self, options: &EncodeOptions, size: (u32, u32), loop_count: u32, deadline: Deadline) -> Option<Result<Box<dyn super::FrameEncoder>>> {
        Some(AnimEncoder::new(options, size, loop_count, deadline).map(|e| Box::new(e) as Box<dyn super::FrameEncoder>))
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn sample(quality: u8, alpha: bool) -> Vec<u8> {
        let mut o = EncodeOptions::new(Format::Webp);
        o.quality = Some(quality);
        encode(photo(96, 64, alpha), &o, Deadline::NONE).unwrap()
    }

    /// libwebp's own simple decoder, the reference for a full-size decode.
    fn libwebp_reference(bytes: &[u8], alpha: bool) -> Vec<u8> {
        let (mut w, mut h) = (0, 0);
        // SAFETY: libwebp returns a buffer of w * h * channels bytes, freed with WebPFree.
        unsafe {
            let ptr = if alpha {
                ffi::WebPDecodeRGBA(bytes.as_ptr(), bytes.len(), &mut w, &mut h)
            } else {
                ffi::WebPDecodeRGB(bytes.as_ptr(), bytes.len(), &mut w, &mut h)
            };
            assert!(!ptr.is_null());
            let out = std::slice::from_raw_parts(ptr, (w * h) as usize * if alpha { 4 } else { 3 }).to_vec();
            ffi::WebPFree(ptr.cast());
            out
        }
    }

    #[test]
    fn a_full_size_decode_is_libwebps_own_output() {
        for (alpha, lossless) in [(false, false), (true, false), (true, true)] {
            let mut o = EncodeOptions::new(Format::Webp);
            (o.quality, o.lossless) = (Some(70), lossless);
            let bytes = encode(photo(97, 61, alpha), &o, Deadline::NONE).unwrap();
            let ours = decode(&bytes, &DecodeContext::default()).unwrap();
            assert_eq!(ours.data, libwebp_reference(&bytes, alpha), "alpha={alpha} lossless={lossless}");
        }
    }

    #[test]
    fn lossless_keeps_the_colour_under_transparent_pixels() {
        let mut img = photo(16, 8, true);
        img.data.chunks_exact_mut(4).take(40).for_each(|p| p[3] = 0);
        let mut o = EncodeOptions::new(Format::Webp);
        o.lossless = true;
        let back = decode(&encode(img.clone(), &o, Deadline::NONE).unwrap(), &DecodeContext::default()).unwrap();
        assert_eq!(back, img);
    }

    #[test]
    fn alpha_survives_and_quality_is_monotonic() {
        let bytes = sample(80, true);
        assert!(probe(&bytes).unwrap().0.has_alpha);
        assert_eq!(decode(&bytes, &DecodeContext::default()).unwrap().channels, 4);
        let sizes: Vec<usize> = (1..=10).map(|q| sample(q * 10, false).len()).collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }

    #[test]
    fn sharp_yuv_import_keeps_pixels_and_drops_opaque_alpha() {
        for (alpha, fast_mode) in [(false, false), (true, false), (true, true)] {
            let img = photo(96, 64, alpha);
            let mut o = EncodeOptions::new(Format::Webp);
            o.quality = Some(95);
            o.fast_mode = fast_mode;
            let back = decode(&encode(img.clone(), &o, Deadline::NONE).unwrap(), &DecodeContext::default()).unwrap();
            assert_eq!(back.channels, img.channels);
            let diff = crate::codecs::tests::mean_abs_diff(&img, &back);
            assert!(diff < 4.0, "alpha={alpha} fast={fast_mode}: differs by {diff}");
        }
        let mut opaque = photo(32, 32, true);
        opaque.data.chunks_exact_mut(4).for_each(|p| p[3] = 255);
        assert!(!probe(&encode(opaque, &EncodeOptions::new(Format::Webp), Deadline::NONE).unwrap()).unwrap().0.has_alpha);
    }

    #[test]
    fn lossless_is_exact() {
        let img = photo(32, 32, false);
        let mut o = EncodeOptions::new(Format::Webp);
        o.lossless = true;
        assert_eq!(decode(&encode(img.clone(), &o, Deadline::NONE).unwrap(), &DecodeContext::default()).unwrap(), img);
    }

    #[test]
    fn truncation_is_an_error() {
        let bytes = sample(80, false);
        assert!(decode(&bytes[..bytes.len() / 2], &DecodeContext::default()).is_err());
    }
}
