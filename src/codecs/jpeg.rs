//! JPEG through mozjpeg (libjpeg-turbo's decoder, mozjpeg's trellis encoder).
//!
//! libjpeg reports fatal errors by unwinding out of its error handler, so every call into
//! it runs under `catch_unwind`. Its warnings (truncated data, bad Huffman codes) are
//! promoted to errors here: a server should refuse a damaged upload, not serve grey blocks.

use std::cell::Cell;
use std::os::raw::c_int;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use mozjpeg::{ColorSpace, Compress, Decompress, Marker};
use mozjpeg_sys as ffi;

use super::{prescale_size, DecodeContext, DecodeTarget, EncodeOptions, FrameSink, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::limits::Deadline;
use crate::metadata::icc::{Icc, Space};
use crate::metadata::{container, exif, SourceMetadata};
use crate::source::Source;

const NAME: &str = "JPEG";
const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";
const DECODE_MARKERS: &[Marker] = &[Marker::APP(14)];
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const COM: u8 = 0xFE;

/// The header and the metadata segments before the first scan. libjpeg checks the header;
/// the metadata is read in place by `header_segments`, not saved by libjpeg, which copies
/// saved markers byte by byte (photos from editors carry megabytes of XMP in APP1).
pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    // A coding process libjpeg does not implement is named, not reported as damage.
    if let Some((marker, sof)) = header_segments(bytes).find(|&(m, _)| frame_kind(m).is_some()) {
        check_supported(marker, sof)?;
    }
    let (width, height) = guarded(Deadline::NONE, || {
        let d = Decompress::with_err(strict_error_mgr()).from_mem(bytes).map_err(|e| Error::corrupt(NAME, e))?;
        Ok((d.width() as u32, d.height() as u32))
    })?;
    let mut found = SourceMetadata::default();
    let mut app2 = Vec::new();
    let mut decoder_bytes = 0;
    for (marker, contents) in header_segments(bytes) {
        if let Some(progressive) = frame_kind(marker) {
            decoder_bytes = if progressive { coefficient_bytes(contents) } else { 0 };
        }
        match (marker, contents.strip_prefix(EXIF_PREFIX)) {
            (APP1, Some(tiff)) if found.exif.is_none() => found.exif = Some(tiff.to_vec()),
            (APP1, Some(_)) => {}
            // XMP or another APP1, IPTC, a comment.
            (APP1 | APP13 | COM, _) => found.other = true,
            (APP2, _) => app2.push(contents),
            _ => {}
        }
    }
    let has_icc = app2.iter().any(|c| c.starts_with(ICC_PREFIX));
    found.icc = container::jpeg_icc(app2.into_iter());
    let header = Header {
        format: Format::Jpeg,
        width,
        height,
        has_alpha: false,
        orientation: found.exif.as_deref().and_then(exif::orientation).unwrap_or(1),
        has_icc,
        decoder_bytes,
    };
    Ok((header, found))
}

/// Refuses the coding processes this build of libjpeg cannot decode: lossless,
/// hierarchical (differential) and more than 8 bits per sample (libjpeg-turbo decodes 12-bit
/// files only through a separate API that mozjpeg does not build).
fn check_supported(marker: u8, sof: &[u8]) -> Result<()> {
    let process = match marker {
        0xC3 | 0xCB => Some("lossless JPEG"),
        0xC5..=0xC7 | 0xCD..=0xCF => Some("hierarchical (differential) JPEG"),
        _ => None,
    };
    if let Some(process) = process {
        return Err(Error::UnsupportedFormat(format!("{process} (SOF{}) cannot be decoded; convert it to a baseline or progressive JPEG", marker - 0xC0)));
    }
    match sof.first() {
        Some(&bits) if bits != 8 => Err(Error::UnsupportedFormat(format!("{bits}-bit JPEG (SOF{}) cannot be decoded; only 8-bit JPEG is", marker - 0xC0))),
        _ => Ok(()),
    }
}

/// For a start-of-frame marker, whether it is progressive; `None` for other markers.
fn frame_kind(marker: u8) -> Option<bool> {
    match marker {
        0xC4 | 0xC8 | 0xCC => None, // DHT, JPG, DAC share the range
        0xC0..=0xCF => Some(matches!(marker, 0xC2 | 0xC6 | 0xCA | 0xCE)),
        _ => None,
    }
}

/// The whole-image coefficient buffer libjpeg keeps for a progressive file: 64 two-byte
/// coefficients per 8x8 block of every component, at its sampling (`SOF` contents).
fn coefficient_bytes(sof: &[u8]) -> u64 {
    let (Some(&[_, h1, h2, w1, w2, n]), Some(comps)) = (sof.get(..6).map(|b| <&[u8; 6]>::try_from(b).unwrap()), sof.get(6..)) else {
        return 0;
    };
    let (height, width) = (u16::from_be_bytes([h1, h2]) as u64, u16::from_be_bytes([w1, w2]) as u64);
    let factors: Vec<(u64, u64)> = comps.chunks_exact(3).take(n as usize).map(|c| ((c[1] >> 4).max(1) as u64, (c[1] & 15).max(1) as u64)).collect();
    let hmax = factors.iter().map(|f| f.0).max().unwrap_or(1);
    let vmax = factors.iter().map(|f| f.1).max().unwrap_or(1);
    factors.iter().map(|&(h, v)| (width * h).div_ceil(hmax * 8) * (height * v).div_ceil(vmax * 8) * 128).sum()
}

/// The marker segments between SOI and the first scan, as (marker, contents), borrowed from
/// `bytes`. Meant for data libjpeg has already parsed: it stops at anything unexpected.
fn header_segments(bytes: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    let mut pos = 2;
    std::iter::from_fn(move || {
        while bytes.get(pos..pos + 2) == Some(&[0xFF, 0xFF]) {
            pos += 1; // fill bytes before a marker
        }
        let &[0xFF, marker, hi, lo] = bytes.get(pos..pos + 4)? else { return None };
        if marker == 0xDA || marker == 0xD9 {
            return None;
        }
        let end = pos + 2 + u16::from_be_bytes([hi, lo]) as usize;
        let contents = bytes.get(pos + 4..end)?;
        pos = end;
        Some((marker, contents))
    })
}

/// Decodes row block by row block. With a target, libjpeg first shrinks by DCT scaling
/// (`dct_numerator`), and the rows stream into the resampler. CMYK is converted with the
/// source's CMYK profile, or the built-in one (`Icc::default_cmyk`) when it has none.
pub fn decode(source: &Source, ctx: &DecodeContext) -> Result<Image> {
    let target = ctx.target;
    guarded(ctx.deadline, || {
        let mut d = Decompress::with_err(strict_error_mgr())
            .with_markers(DECODE_MARKERS)
            .from_reader(source.reader())
            .map_err(|e| Error::corrupt(NAME, e))?;
        if let Some(t) = target {
            d.scale(dct_numerator((d.width() as u32, d.height() as u32), t));
        }
        let cmyk = matches!(d.color_space(), ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK);
        // Photoshop (the Adobe APP14 marker) stores CMYK inverted.
        let inverted = d.markers().any(|m| m.data.starts_with(b"Adobe"));
        let managed = match (cmyk, ctx.profile.filter(|p| p.space() == Space::Cmyk)) {
            (false, _) => None,
            (true, Some(profile)) => Some(profile.cmyk_to_srgb(inverted)?),
            (true, None) => Some(Icc::default_cmyk()?.cmyk_to_srgb(inverted)?),
        };
        let out_space = if cmyk { ColorSpace::JCS_CMYK } else { ColorSpace::JCS_RGB };
        let mut started = d.to_colorspace(out_space).map_err(|e| Error::corrupt(NAME, e))?;
        let (width, height) = (started.width(), started.height());
        let mut sink = FrameSink::new(width as u32, height as u32, 3, ctx);
        let comps = if cmyk { 4 } else { 3 };
        let block_rows = FrameSink::block_rows(width, comps);
        let mut raw = vec![0u8; block_rows * width * comps];
        let mut rgb = if cmyk { vec![0u8; block_rows * width * 3] } else { Vec::new() };
        let mut done = 0;
        while done < height {
            let n = block_rows.min(height - done);
            let block = started
                .read_scanlines_into(&mut raw[..n * width * comps])
                .map_err(|e| Error::corrupt(NAME, e))?;
            match &managed {
                Some(transform) => {
                    let out = &mut rgb[..n * width * 3];
                    transform.convert(block, out);
                    sink.push(out)?;
                }
                None => sink.push(block)?,
            }
            done += n;
        }
        started.finish().map_err(|e| Error::corrupt(NAME, e))?;
        sink.finish()
    })
}

/// The strongest DCT shrink that still covers the target, as libvips does. Only 1/8, 2/8
/// and 4/8 are used: libjpeg-turbo has SIMD inverse DCTs for those sizes, while the others
/// (3/8, 5/8, ...) run in plain C and cost more than the larger frame they save. Measured
/// with benches/compare.js, shrinking this far also scored a lower DSSIM than keeping 1.5x
/// or 2x the target: the DCT scaling is a clean low-pass ahead of the Lanczos pass.
fn dct_numerator(size: (u32, u32), target: DecodeTarget) -> u8 {
    let (pw, ph) = prescale_size(size, target, 1.0);
    let scaled = |n: u32, side: u32| (side * n).div_ceil(8);
    [1u8, 2, 4].into_iter().find(|&n| scaled(n as u32, size.0) >= pw && scaled(n as u32, size.1) >= ph).unwrap_or(8)
}

/// Effort from which mozjpeg searches for the smallest progressive scan split.
const SCAN_SEARCH_EFFORT: u8 = 7;

/// Rows handed to libjpeg between two deadline checks.
const ENCODE_BLOCK_ROWS: usize = 64;

/// Progressive output is written by `finish`, which cannot be interrupted; the deadline is
/// checked while scanlines go in.
pub fn encode(image: Image, options: &EncodeOptions, deadline: Deadline) -> Result<Vec<u8>> {
    let image = image.into_rgb();
    let quality = options.quality_or(85) as f32;
    guarded_encode(|| {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_size(image.width as usize, image.height as usize);
        if options.fast_mode {
            c.set_fastest_defaults();
        } else {
            // Measured on the comparison's two JPEG tasks: the scan search costs 40-60 % of
            // the encode for 1-3 % of the bytes, so it waits for a high effort.
            let search_scans = options.effort.is_some_and(|e| e >= SCAN_SEARCH_EFFORT);
            c.set_optimize_scans(search_scans);
            c.set_progressive_mode();
        }
        c.set_optimize_coding(true);
        c.set_quality(quality);
        c.set_chroma_sampling_pixel_sizes((2, 2), (2, 2));
        let mut started = c.start_compress(Vec::with_capacity(image.data.len() / 8)).map_err(encode_error)?;
        for rows in image.data.chunks(image.stride() * ENCODE_BLOCK_ROWS) {
            deadline.check()?;
            started.write_scanlines(rows).map_err(encode_error)?;
        }
        started.finish().map_err(encode_error)
    })
}

fn encode_error(e: std::io::Error) -> Error {
    Error::encode(NAME, e)
}

/// Most scans a progressive JPEG may have. Encoders write about ten; a file of a few
/// hundred kilobytes with thousands of scans costs minutes of CPU, each scan one more pass
/// over every coefficient. libjpeg-turbo's TurboJPEG API suggests the same limit.
pub const MAX_SCANS: u32 = 500;

thread_local! {
    /// The scans the decode on this thread has started, its scan limit and its deadline:
    /// libjpeg announces each start of scan to `on_message`, which checks them there.
    static SCANS: Cell<(u32, u32, Deadline)> = const { Cell::new((0, MAX_SCANS, Deadline::NONE)) };
}

/// Runs a libjpeg call: its errors (and the scan watch's) unwind out of the handlers.
fn guarded<T>(deadline: Deadline, f: impl FnOnce() -> Result<T>) -> Result<T> {
    SCANS.set((0, SCANS.get().1, deadline));
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| match p.downcast::<Error>() {
        Ok(e) => Err(*e),
        Err(p) => Err(Error::from_panic(p, |m| Error::corrupt(NAME, m))),
    })
}

/// Counts a start of scan; stops the decode past the scan limit or the deadline.
fn watch_scan() {
    let (scans, limit, deadline) = SCANS.get();
    SCANS.set((scans + 1, limit, deadline));
    if scans + 1 > limit {
        resume_unwind(Box::new(Error::TooMany { what: "scans (progressive JPEG)", count: scans as u64 + 1, limit: limit as u64 }));
    }
    if deadline.passed() {
        resume_unwind(Box::new(deadline.error()));
    }
}

fn guarded_encode(f: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(Error::from_panic(p, |m| Error::encode(NAME, m))))
}

fn strict_error_mgr() -> ffi::jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed struct; we then replace the two
    // handlers with ones that unwind (caught by `guarded`) instead of calling exit().
    unsafe {
        let mut err: ffi::jpeg_error_mgr = std::mem::zeroed();
        ffi::jpeg_std_error(&mut err);
        err.error_exit = Some(fail);
        err.emit_message = Some(on_message);
        err
    }
}

extern "C-unwind" fn fail(cinfo: &mut ffi::jpeg_common_struct) {
    resume_unwind(Box::new(message(cinfo)));
}

extern "C-unwind" fn on_message(cinfo: &mut ffi::jpeg_common_struct, level: c_int) {
    // Level -1 is a warning about corrupt data; extraneous bytes between markers are benign.
    // SAFETY: libjpeg always sets `err` before calling a handler.
    let code = unsafe { (*cinfo.err).msg_code };
    if code == ffi::JTRC_SOS as c_int {
        watch_scan();
    }
    if level < 0 && code != ffi::JWRN_EXTRANEOUS_DATA as c_int {
        resume_unwind(Box::new(message(cinfo)));
    }
}

fn message(cinfo: &mut ffi::jpeg_common_struct) -> String {
    // SAFETY: `format_message` writes at most JMSG_LENGTH_MAX (80) bytes into the buffer.
    unsafe {
        let err = &*cinfo.err;
        let Some(format) = err.format_message else { return format!("libjpeg message {}", err.msg_code) };
        let mut buffer = [0u8; 80];
        let format: unsafe extern "C-unwind" fn(&mut ffi::jpeg_common_struct, *mut [u8; 80]) =
            std::mem::transmute(format);
        format(cinfo, &mut buffer);
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }
}

/// libjpeg's system-dependent memory manager (jmemsys.h), which libjpeg leaves to the
/// application: these definitions take the place of mozjpeg-sys' jmemnobs.c, which the
/// linker then does not pull in. Large blocks (a progressive file's coefficients) come from
/// `heap`'s pool, so a busy engine does not fault them in anew for every image.
mod jmemsys {
    use std::ffi::{c_long, c_void};

    use mozjpeg_sys::{jpeg_common_struct, JERR_NO_BACKING_STORE};

    use crate::heap;

    #[no_mangle]
    extern "C" fn jpeg_get_small(_: &mut jpeg_common_struct, size: usize) -> *mut c_void {
        // SAFETY: plain malloc; libjpeg checks for null.
        unsafe { libc::malloc(size) }
    }

    #[no_mangle]
    unsafe extern "C" fn jpeg_free_small(_: &mut jpeg_common_struct, object: *mut c_void, _: usize) {
        libc::free(object)
    }

    #[no_mangle]
    extern "C" fn jpeg_get_large(_: &mut jpeg_common_struct, size: usize) -> *mut c_void {
        heap::take(size).cast()
    }

    #[no_mangle]
    unsafe extern "C" fn jpeg_free_large(_: &mut jpeg_common_struct, object: *mut c_void, _: usize) {
        heap::give(object.cast())
    }

    /// All that is asked for, unless `max_memory_to_use` is set (it is not, here).
    #[no_mangle]
    unsafe extern "C" fn jpeg_mem_available(cinfo: &mut jpeg_common_struct, _: usize, max_needed: usize, allocated: usize) -> usize {
        match (*cinfo.mem).max_memory_to_use as usize {
            0 => max_needed,
            limit => limit.saturating_sub(allocated),
        }
    }

    /// Never reached while `jpeg_mem_available` grants everything; an error, as in jmemnobs.
    #[no_mangle]
    unsafe extern "C-unwind" fn jpeg_open_backing_store(cinfo: &mut jpeg_common_struct, _: *mut c_void, _: c_long) {
        let err = &mut *cinfo.err;
        err.msg_code = JERR_NO_BACKING_STORE as i32;
        if let Some(exit) = err.error_exit {
            exit(cinfo);
        }
    }

    #[no_mangle]
    extern "C" fn jpeg_mem_init(_: &mut jpeg_common_struct) -> c_long {
        0
    }

    #[no_mangle]
    extern "C" fn jpeg_mem_term(_: &mut jpeg_common_struct) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn sample(quality: u8, fast_mode: bool) -> Vec<u8> {
        let mut o = EncodeOptions::new(Format::Jpeg);
        o.quality = Some(quality);
        o.fast_mode = fast_mode;
        encode(photo(256, 192, false), &o, Deadline::NONE).unwrap()
    }

    fn decode_bytes(bytes: &[u8], target: Option<DecodeTarget>) -> Result<Image> {
        decode(&crate::codecs::tests::source(bytes.to_vec()), &DecodeContext::to(target))
    }

    /// `jpeg` with `segments` (marker, contents) inserted after SOI.
    fn with_segments(jpeg: &[u8], segments: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = jpeg[..2].to_vec();
        for (marker, contents) in segments {
            out.extend([0xFF, *marker]);
            out.extend(((contents.len() + 2) as u16).to_be_bytes());
            out.extend(contents);
        }
        out.extend(&jpeg[2..]);
        out
    }

    #[test]
    fn probe_reads_metadata_in_place_past_large_xmp() {
        let exif = crate::metadata::exif::tests::camera_exif(6);
        let xmp = |i: u8| [b"http://ns.adobe.com/xmp/extension/\0".as_slice(), &[i; 65000]].concat();
        let icc = [ICC_PREFIX, &[1, 1], b"profile bytes"].concat();
        let mut segments: Vec<(u8, Vec<u8>)> = (0..40).map(|i| (APP1, xmp(i))).collect();
        segments.push((APP1, [EXIF_PREFIX, &exif].concat()));
        segments.push((APP2, icc));
        let jpeg = with_segments(&sample(80, true), &segments);
        let (header, found) = probe(&jpeg).unwrap();
        assert_eq!((header.width, header.height, header.orientation), (256, 192, 6));
        assert!(header.has_icc && found.other);
        assert_eq!(found.exif.as_deref(), Some(&exif[..]));
        assert_eq!(found.icc.as_deref(), Some(&b"profile bytes"[..]));
        // The walk stops at the first scan: none of the entropy-coded data is read as segments.
        assert_eq!(header_segments(&jpeg).filter(|(m, _)| *m == APP1).count(), 41);
        assert!(header_segments(&jpeg).all(|(m, _)| m != 0xDA));
    }

    #[test]
    fn libjpeg_allocates_large_blocks_through_the_heap_pool() {
        // If the linker took mozjpeg-sys' jmemnobs.c instead of `jmemsys`, nothing would.
        let before = crate::heap::TAKEN.load(std::sync::atomic::Ordering::SeqCst);
        decode_bytes(&sample(80, false), None).unwrap();
        assert!(crate::heap::TAKEN.load(std::sync::atomic::Ordering::SeqCst) > before);
    }

    #[test]
    fn probe_without_metadata_finds_none() {
        let (header, found) = probe(&sample(80, true)).unwrap();
        assert!(!header.has_icc && !found.other && found.exif.is_none() && found.icc.is_none());
    }

    #[test]
    fn truncated_and_corrupt_data_are_errors() {
        let jpeg = sample(80, false);
        let cut = &jpeg[..jpeg.len() * 2 / 3];
        assert!(probe(cut).is_ok(), "header is intact");
        assert!(matches!(decode_bytes(cut, None), Err(Error::CorruptInput { .. })));
        assert!(matches!(decode_bytes(&jpeg[..20], None), Err(Error::CorruptInput { .. })));
    }

    #[test]
    fn shrinks_on_load_by_powers_of_two_down_to_the_target() {
        use crate::ops::Kernel;
        let t = |w, h| DecodeTarget { width: w, height: h, kernel: Kernel::Lanczos3 };
        assert_eq!(dct_numerator((6000, 4000), t(800, 533)), 2); // 1500x1000; 1/8 would be 750 wide
        assert_eq!(dct_numerator((2725, 2225), t(720, 588)), 4); // 1363x1113; 1/4 would be 682 wide
        assert_eq!(dct_numerator((6000, 4000), t(300, 200)), 1);
        assert_eq!(dct_numerator((6000, 4000), t(3000, 2000)), 4);
        assert_eq!(dct_numerator((6000, 4000), t(3001, 2000)), 8);
        let out = decode_bytes(&sample(90, false), Some(t(60, 45))).unwrap();
        assert_eq!((out.width, out.height), (60, 45));
    }

    #[test]
    fn quality_is_monotonic() {
        for fast in [false, true] {
            let sizes: Vec<usize> = (1..=10).map(|q| sample(q * 10, fast).len()).collect();
            assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "fast={fast}: {sizes:?}");
        }
    }

    #[test]
    fn scan_search_waits_for_a_high_effort() {
        let sof = |jpeg: &[u8]| jpeg.windows(2).position(|w| w[0] == 0xFF && (w[1] == 0xC0 || w[1] == 0xC2)).map(|i| jpeg[i + 1]);
        let encode_at = |fast_mode, effort| {
            let mut o = EncodeOptions::new(Format::Jpeg);
            (o.fast_mode, o.effort) = (fast_mode, effort);
            encode(photo(256, 192, false), &o, Deadline::NONE).unwrap()
        };
        assert_eq!(sof(&encode_at(true, None)), Some(0xC0));
        let default = encode_at(false, None);
        let searched = encode_at(false, Some(9));
        assert_eq!((sof(&default), sof(&searched)), (Some(0xC2), Some(0xC2)));
        assert!(searched.len() <= default.len(), "{} > {}", searched.len(), default.len());
    }

    #[test]
    fn scans_beyond_the_limit_and_the_deadline_stop_a_progressive_decode() {
        let progressive = sample(80, false);
        assert!(decode_bytes(&progressive, None).is_ok());
        let limit = SCANS.get().1;
        SCANS.set((0, 3, Deadline::NONE));
        let err = decode_bytes(&progressive, None).unwrap_err();
        SCANS.set((0, limit, Deadline::NONE));
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains("scans"), "{err}");
        let passed = crate::limits::Limits { timeout: Some(std::time::Duration::from_nanos(1)), ..Default::default() }
            .deadline(std::time::Instant::now());
        std::thread::sleep(std::time::Duration::from_millis(1));
        let ctx = DecodeContext { deadline: passed, ..Default::default() };
        let err = decode(&crate::codecs::tests::source(progressive), &ctx).unwrap_err();
        assert_eq!(err.code(), "LAZY_TIMEOUT");
    }

    #[test]
    fn a_progressive_header_declares_its_coefficient_buffer() {
        let (progressive, baseline) = (probe(&sample(80, false)).unwrap().0, probe(&sample(80, true)).unwrap().0);
        // 256x192 at 4:2:0: 32x24 luma blocks and two 16x12 chroma planes of 128 bytes each.
        assert_eq!(progressive.decoder_bytes, (32 * 24 + 2 * 16 * 12) * 128);
        assert_eq!(baseline.decoder_bytes, 0);
    }

    #[test]
    fn unimplemented_coding_processes_are_unsupported_not_corrupt() {
        let jpeg = sample(80, true);
        let at = (0..jpeg.len() - 1).find(|&i| jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0).unwrap();
        for (marker, precision, named) in [(0xC3, 8, "lossless"), (0xC5, 8, "hierarchical"), (0xC1, 12, "12-bit")] {
            let mut odd = jpeg.clone();
            odd[at + 1] = marker;
            odd[at + 4] = precision;
            let err = probe(&odd).unwrap_err();
            assert_eq!(err.code(), "LAZY_UNSUPPORTED_FORMAT", "{err}");
            assert!(err.to_string().contains(named), "{err}");
        }
    }

    /// libjpeg-turbo's arithmetic-coded test image (mozjpeg-sys' `arith_dec`) is the same
    /// photo as its Huffman-coded one, encoded apart.
    #[test]
    fn arithmetic_coded_files_decode() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/jpeg");
        let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
        let (arith, huffman) = (decode_bytes(&read("testimgari.jpg"), None).unwrap(), decode_bytes(&read("testorig.jpg"), None).unwrap());
        let diff = crate::codecs::tests::mean_abs_diff(&arith, &huffman);
        assert!((arith.width, arith.height) == (227, 149) && diff < 3.0, "{diff}");
    }
}
