//! JPEG through mozjpeg (libjpeg-turbo's decoder, mozjpeg's trellis encoder), in four parts:
//! this file reads the header and its metadata segments in place, `decode` and `encode`
//! drive libjpeg, and `libjpeg` holds the glue libjpeg needs from its application (an error
//! manager that unwinds, the scan watch, the memory manager).
//!
//! libjpeg reports fatal errors by unwinding out of its error handler, so every call into
//! it runs under `catch_unwind`. Its warnings (truncated data, bad Huffman codes) are
//! promoted to errors here: a server should refuse a damaged upload, not serve grey blocks.

mod decode;
mod encode;
mod libjpeg;

pub use decode::decode;
pub use encode::encode;

use mozjpeg::Decompress;

use super::Header;
use crate::error::{Error, Result};
use crate::format::Format;
use crate::limits::Deadline;
use crate::metadata::{container, exif, SourceMetadata};
use libjpeg::{guarded, strict_error_mgr};

const NAME: &str = "JPEG";
const EXIF_PREFIX: &[u8] = b"Exif\0\0";
const ICC_PREFIX: &[u8] = b"ICC_PROFILE\0";
const APP0: u8 = 0xE0;
const APP1: u8 = 0xE1;
const APP2: u8 = 0xE2;
const APP13: u8 = 0xED;
const COM: u8 = 0xFE;

/// The header and the metadata segments before the first scan. libjpeg checks the header;
/// the metadata is read in place by `header_segments`, not saved by libjpeg, which copies
/// saved markers byte by byte (photos from editors carry megabytes of XMP in APP1).
pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let mut found = SourceMetadata::default();
    let mut app2 = Vec::new();
    let mut decoder_bytes = 0;
    for (marker, contents) in header_segments(bytes) {
        if let Some(progressive) = frame_kind(marker) {
            // A coding process libjpeg does not implement is named, not reported as damage.
            check_supported(marker, contents)?;
            decoder_bytes = if progressive { coefficient_bytes(contents) } else { 0 };
            let channels = contents.get(5).copied().unwrap_or(3);
            found.stored.progressive = progressive;
            found.stored.bit_depth = contents.first().copied().unwrap_or(8);
            found.stored.channels = channels;
            found.stored.space = match channels {
                1 => "b-w",
                4 => "cmyk",
                _ => "srgb",
            };
        }
        if let (APP0, Some(&[units, x1, x2, ..])) = (marker, contents.strip_prefix(b"JFIF\0").and_then(|c| c.get(2..))) {
            // Units 1: dots per inch, 2: per centimetre; 0 (an aspect ratio only) reads as
            // 72, as libvips reads it.
            let x = u16::from_be_bytes([x1, x2]) as f64;
            found.stored.density = match units {
                1 => Some(x as u32),
                2 => Some((x * 2.54).round() as u32),
                _ => Some(72),
            };
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
    let (width, height) = guarded(Deadline::NONE, || {
        let d = Decompress::with_err(strict_error_mgr()).from_mem(bytes).map_err(|e| Error::corrupt(NAME, e))?;
        Ok((d.width() as u32, d.height() as u32))
    })?;
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
/// `bytes`. It stops at anything unexpected, so it may run over any bytes; libjpeg checks
/// the header itself.
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

pub struct Jpeg;

impl super::Codec for Jpeg {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
        probe(bytes)
    }
    fn decode(&self, source: &crate::source::Source, ctx: &super::DecodeContext) -> Result<crate::image::Image> {
        decode(source, ctx)
    }
    fn encode(&self, image: crate::image::Image, options: &super::EncodeOptions, ctx: &super::EncodeContext) -> Result<Vec<u8>> {
        encode(image, options, ctx.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::decode::dct_numerator;
    use super::libjpeg::SCANS;
    use super::*;
    use crate::codecs::{DecodeContext, DecodeTarget, EncodeOptions};
    use crate::image::Image;
    use crate::limits::FailOn;
    use crate::codecs::test_images::photo;

    fn sample(quality: u8, fast_mode: bool) -> Vec<u8> {
        let mut o = EncodeOptions::new(Format::Jpeg);
        o.quality = Some(quality);
        o.fast_mode = fast_mode;
        encode(photo(256, 192, false), &o, Deadline::NONE).unwrap()
    }

    /// Each component's sampling factors (h << 4 | v) from the frame header, read from the
    /// bytes rather than through libjpeg.
    fn sampling_factors(jpeg: &[u8]) -> Vec<u8> {
        let at = jpeg.windows(2).position(|w| w == [0xFF, 0xC2] || w == [0xFF, 0xC0]).expect("a frame header");
        let components = jpeg[at + 9] as usize;
        (0..components).map(|i| jpeg[at + 11 + 3 * i]).collect()
    }

    #[test]
    fn chroma_is_halved_unless_4_4_4_is_asked_for() {
        let mut o = EncodeOptions::new(Format::Jpeg);
        assert_eq!(sampling_factors(&encode(photo(64, 48, false), &o, Deadline::NONE).unwrap()), [0x22, 0x11, 0x11]);
        o.chroma_subsampling = Some(crate::codecs::ChromaSubsampling::Full);
        assert_eq!(sampling_factors(&encode(photo(64, 48, false), &o, Deadline::NONE).unwrap()), [0x11, 0x11, 0x11]);
        assert!(crate::codecs::ChromaSubsampling::parse("4:2:2").unwrap_err().to_string().contains("use one of 4:2:0, 4:4:4"));
    }

    #[test]
    fn fail_on_decodes_a_cut_file_only_when_asked_and_the_message_says_so() {
        let whole = sample(90, true);
        let cut = whole[..whole.len() * 2 / 3].to_vec();
        let at = |fail_on| decode(&crate::codecs::tests::source(cut.clone()), &DecodeContext { fail_on, ..Default::default() });
        for level in [FailOn::Warning, FailOn::Error, FailOn::Truncated] {
            let err = at(level).unwrap_err().to_string();
            assert!(err.contains("truncated") && err.contains("failOn: 'none'"), "{level:?}: {err}");
        }
        let image = at(FailOn::None).unwrap();
        assert_eq!((image.width, image.height), (256, 192));
        let header = decode(&crate::codecs::tests::source(b"\xFF\xD8\xFF".to_vec()), &DecodeContext::default()).unwrap_err().to_string();
        assert!(header.contains("truncated"), "{header}");
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
