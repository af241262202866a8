//! Metadata blocks inside JPEG, PNG and WebP containers, through img-parts: ICC as APP2
//! segments (split when large), iCCP or ICCP chunks; EXIF as APP1, eXIf or EXIF chunks.
//! AVIF output gets both from its encoder (libavif).

use img_parts::Bytes;
use img_parts::jpeg::{markers, Jpeg, JpegSegment};
use img_parts::png::Png;
use img_parts::webp::WebP;
use img_parts::{ImageEXIF, ImageICC};

use crate::error::{Error, Result};
use crate::format::Format;

/// Adds `icc` and `exif` (a raw TIFF block) to encoded output.
pub fn embed(format: Format, encoded: Vec<u8>, icc: Option<&[u8]>, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let fail = |e: img_parts::Error| Error::encode("metadata", format!("cannot add metadata to the {} output: {e}", format.name()));
    let bytes = Bytes::from(encoded);
    let out = match format {
        Format::Jpeg => set(Jpeg::from_bytes(bytes).map_err(fail)?, icc, exif).encoder().bytes(),
        Format::Png => set(Png::from_bytes(bytes).map_err(fail)?, icc, exif).encoder().bytes(),
        Format::Webp => set(WebP::from_bytes(bytes).map_err(fail)?, icc, exif).encoder().bytes(),
        Format::Avif => return Err(Error::Internal("AVIF metadata is written by its encoder".into())),
        Format::Gif => return Err(Error::Internal("GIF output carries no metadata".into())),
    };
    Ok(out.into())
}

fn set<I: ImageICC + ImageEXIF>(mut image: I, icc: Option<&[u8]>, exif: Option<&[u8]>) -> I {
    image.set_icc_profile(icc.map(Bytes::copy_from_slice));
    image.set_exif(exif.map(Bytes::copy_from_slice));
    image
}

/// A JPEG's ICC profile from the contents of its APP2 segments, reassembled in sequence
/// order; `None` when segments are missing or inconsistent (libjpeg's rule).
pub fn jpeg_icc<'a>(app2: impl Iterator<Item = &'a [u8]>) -> Option<Vec<u8>> {
    let mut jpeg = Jpeg::from_bytes(Bytes::from_static(&[0xFF, 0xD8, 0xFF, 0xD9])).ok()?;
    for contents in app2 {
        let segment = JpegSegment::new_with_contents(markers::APP2, Bytes::copy_from_slice(contents));
        jpeg.segments_mut().push(segment);
    }
    jpeg.icc_profile().map(Vec::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{self, EncodeOptions};
    use crate::codecs::test_images::photo;
    use crate::metadata::exif::tests::camera_exif;

    #[test]
    fn every_container_carries_icc_and_exif() {
        // Large enough to need three APP2 segments in a JPEG.
        let icc: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
        let exif = camera_exif(1);
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let encoded = codecs::encode(photo(32, 24, false), &EncodeOptions::new(format)).unwrap();
            let out = embed(format, encoded, Some(&icc), Some(&exif)).unwrap();
            let header = codecs::probe(&out).unwrap();
            assert!(header.has_icc, "{format:?}");
            let (_, found) = codecs::probe_with_metadata(&out).unwrap();
            assert_eq!(found.icc.as_deref(), Some(&icc[..]), "{format:?}");
            assert_eq!(found.exif.as_deref(), Some(&exif[..]), "{format:?}");
        }
    }

    #[test]
    fn jpeg_segments_reassemble_in_order() {
        let part = |seq: u8, n: u8, data: &[u8]| [b"ICC_PROFILE\0".as_slice(), &[seq, n], data].concat();
        let parts = [part(2, 2, b"world"), part(1, 2, b"hello ")];
        assert_eq!(jpeg_icc(parts.iter().map(|p| p.as_slice())).as_deref(), Some(&b"hello world"[..]));
        assert_eq!(jpeg_icc([part(1, 2, b"x")].iter().map(|p| p.as_slice())), None);
    }
}
