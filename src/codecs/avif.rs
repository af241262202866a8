//! AVIF: encoded with libavif over libaom (both built from source by `libavif-sys`).
//! Decoding is not wired yet, so AVIF input is recognised and refused with a clear error.

use std::ffi::CStr;
use std::os::raw::c_int;

use libavif_sys as sys;

use super::{EncodeOptions, Header};
use crate::error::{Error, Result};
use crate::heap;
use crate::image::Image;
use crate::metadata::Found;

const NAME: &str = "AVIF";
const NO_DECODER: &str = "AVIF input is not supported yet (AVIF output is); convert the source to JPEG, PNG or WebP";

pub fn probe(_bytes: &[u8]) -> Result<(Header, Found)> {
    Err(Error::UnsupportedFormat(NO_DECODER.into()))
}

pub fn decode(_bytes: &[u8]) -> Result<Image> {
    Err(Error::UnsupportedFormat(NO_DECODER.into()))
}

/// libaom speed (`cpu-used`) for an effort: 0 is slowest. libavif switches libaom to its
/// real-time mode from speed 7, which is fast but much larger at equal DSSIM; 6 is the
/// default; below 3 a megapixel takes tens of seconds.
fn speed(options: &EncodeOptions) -> c_int {
    match (options.fast_mode, options.effort) {
        (true, _) => 8,
        (false, Some(effort)) => (10 - c_int::from(effort)).clamp(3, 9),
        (false, None) => 6,
    }
}

/// 4:4:4 at 10 bits with libaom's quantisation matrices: on the comparison's photo, 10 bits
/// are 16 % and the matrices 3 % smaller at equal DSSIM than 8 bits without them.
/// libaom cannot be interrupted: a deadline is enforced around this call by the pipeline.
/// Colour is written as sRGB (the pipeline converts other profiles first).
pub fn encode(image: &Image, options: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let encoded = encode_with_libaom(image, options, exif);
    // libaom starts new worker threads for every encode, and each leaves ~50 MB freed but
    // held in a glibc arena of its own: without this, RSS rose by that much per output up to
    // the arena limit (measured once: 289 MB after six; peak 109 MB with it).
    heap::release();
    encoded
}

fn encode_with_libaom(image: &Image, options: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let quality = c_int::from(options.quality_or(60));
    // SAFETY: every pointer below comes from libavif and is checked before use; `Owned`
    // destroys each object once; `rgb.pixels` borrows `image.data`, which outlives the
    // conversion that reads it (libavif never writes through it).
    unsafe {
        let yuv = sys::avifImageCreate(image.width, image.height, 10, sys::AVIF_PIXEL_FORMAT_YUV444);
        let yuv = Owned::new(yuv, sys::avifImageDestroy)?;
        let img = &mut *yuv.0;
        img.yuvRange = sys::AVIF_RANGE_FULL;
        img.colorPrimaries = sys::AVIF_COLOR_PRIMARIES_BT709 as _;
        img.transferCharacteristics = sys::AVIF_TRANSFER_CHARACTERISTICS_SRGB as _;
        img.matrixCoefficients = sys::AVIF_MATRIX_COEFFICIENTS_BT601 as _;
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

        let encoder = Owned::new(sys::avifEncoderCreate(), sys::avifEncoderDestroy)?;
        let enc = &mut *encoder.0;
        enc.codecChoice = sys::AVIF_CODEC_CHOICE_AOM;
        enc.quality = quality;
        enc.qualityAlpha = quality;
        enc.speed = speed(options);
        enc.maxThreads = std::thread::available_parallelism().map_or(1, |n| n.get() as c_int);
        check(sys::avifEncoderSetCodecSpecificOption(enc, c"enable-qm".as_ptr(), c"1".as_ptr()), Some(enc))?;

        let mut out: sys::avifRWData = std::mem::zeroed();
        let written = sys::avifEncoderWrite(enc, img, &mut out);
        let bytes = if out.data.is_null() { Vec::new() } else { std::slice::from_raw_parts(out.data, out.size).to_vec() };
        sys::avifRWDataFree(&mut out);
        check(written, Some(enc))?;
        Ok(bytes)
    }
}

/// A libavif object, destroyed with its own function.
struct Owned<T>(*mut T, unsafe extern "C" fn(*mut T));

impl<T> Owned<T> {
    fn new(ptr: *mut T, destroy: unsafe extern "C" fn(*mut T)) -> Result<Owned<T>> {
        if ptr.is_null() {
            return Err(Error::encode(NAME, "libavif could not allocate"));
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

/// libavif's result as ours, with the encoder's diagnostic when there is one.
fn check(result: sys::avifResult, encoder: Option<&sys::avifEncoder>) -> Result<()> {
    if result == sys::AVIF_RESULT_OK {
        return Ok(());
    }
    // SAFETY: libavif returns static strings and NUL-terminates its diagnostics buffer.
    let what = unsafe { CStr::from_ptr(sys::avifResultToString(result)) }.to_string_lossy();
    let detail = encoder
        .map(|e| unsafe { CStr::from_ptr(e.diag.error.as_ptr()) }.to_string_lossy().into_owned())
        .filter(|d| !d.is_empty());
    Err(Error::encode(NAME, match detail {
        Some(detail) => format!("{what}: {detail}"),
        None => what.into_owned(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::format::Format;

    #[test]
    fn quality_is_monotonic() {
        let img = photo(64, 64, false);
        let sizes: Vec<usize> = [20u8, 50, 80]
            .iter()
            .map(|&q| {
                let mut o = EncodeOptions::new(Format::Avif);
                o.quality = Some(q);
                o.fast_mode = true;
                encode(&img, &o, None).unwrap().len()
            })
            .collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }
}
