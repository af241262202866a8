//! WebP: still images are decoded by libwebp, which can scale while decoding (shrink-on-load)
//! into a buffer of the reduced size; animations by image-webp, which gives the first frame.
//! Encoding uses libwebp for its mature rate control.

use std::io::Cursor;

use image_webp::WebPDecoder;
use libwebp_sys as ffi;

use super::{prescale_size, DecodeTarget, EncodeOptions, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::metadata::exif;
use crate::ops::resize;

const NAME: &str = "WebP";

fn decoder(bytes: &[u8]) -> Result<WebPDecoder<Cursor<&[u8]>>> {
    WebPDecoder::new(Cursor::new(bytes)).map_err(|e| Error::corrupt(NAME, e))
}

pub fn probe(bytes: &[u8]) -> Result<Header> {
    let mut d = decoder(bytes)?;
    let (width, height) = d.dimensions();
    let exif = d.exif_metadata().ok().flatten();
    Ok(Header {
        format: Format::Webp,
        width,
        height,
        has_alpha: d.has_alpha(),
        // Some writers keep the JPEG-style "Exif\0\0" prefix inside the chunk.
        orientation: exif
            .as_deref()
            .and_then(|e| exif::orientation(e.strip_prefix(b"Exif\0\0").unwrap_or(e)))
            .unwrap_or(1),
        has_icc: d.icc_profile().ok().flatten().is_some(),
    })
}

pub fn decode(bytes: &[u8], target: Option<DecodeTarget>) -> Result<Image> {
    let mut d = decoder(bytes)?;
    let (width, height) = d.dimensions();
    let channels = if d.has_alpha() { 4 } else { 3 };
    let image = if d.is_animated() {
        let size = d.output_buffer_size().ok_or_else(|| Error::corrupt(NAME, "image size overflows memory"))?;
        let mut buf = vec![0; size];
        d.read_image(&mut buf).map_err(|e| Error::corrupt(NAME, e))?;
        Image::new(width, height, channels, buf)
    } else {
        // libwebp's rescaler averages areas, a clean low-pass, so 1.5× the target leaves
        // Lanczos enough to work with; the prescaled frame is the largest buffer held.
        let size = target.map_or((width, height), |t| prescale_size((width, height), t, 1.5));
        decode_still(bytes, size, channels)?
    };
    match target {
        Some(t) => resize::scale(image, (t.width, t.height), t.kernel),
        None => Ok(image),
    }
}

/// libwebp decode straight into our buffer, scaled to `size` by libwebp's area-averaging
/// rescaler when smaller than the image.
fn decode_still(bytes: &[u8], size: (u32, u32), channels: u8) -> Result<Image> {
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
        config.options.use_scaling = 1;
        config.options.scaled_width = w as i32;
        config.options.scaled_height = h as i32;
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
/// pixels are freed before the (memory-hungry) encode starts.
pub fn encode(image: Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    let mut config = ffi::WebPConfig::new().map_err(|_| Error::Internal("libwebp version mismatch".into()))?;
    config.quality = options.quality_or(80) as f32;
    config.method = match (options.fast_mode, options.effort) {
        (true, _) => 2,
        (false, Some(effort)) => (effort as i32 * 6 + 5) / 10,
        (false, None) => 4,
    };
    if options.lossless {
        config.lossless = 1;
    } else {
        config.use_sharp_yuv = (!options.fast_mode) as i32;
    }
    // SAFETY: picture and writer are initialised by libwebp and freed on every path; the
    // import reads exactly `stride * height` bytes of `image.data`.
    unsafe {
        let mut picture: ffi::WebPPicture = std::mem::zeroed();
        if !ffi::WebPPictureInit(&mut picture) || ffi::WebPValidateConfig(&config) == 0 {
            return Err(Error::Internal("libwebp rejected its configuration".into()));
        }
        // ARGB input lets WebPEncode apply sharp YUV conversion itself.
        picture.use_argb = 1;
        picture.width = image.width as i32;
        picture.height = image.height as i32;
        let stride = image.stride() as i32;
        let imported = if image.has_alpha() {
            ffi::WebPPictureImportRGBA(&mut picture, image.data.as_ptr(), stride)
        } else {
            ffi::WebPPictureImportRGB(&mut picture, image.data.as_ptr(), stride)
        };
        drop(image);
        if imported == 0 {
            ffi::WebPPictureFree(&mut picture);
            return Err(Error::encode(NAME, "out of memory importing the picture"));
        }
        let mut writer: ffi::WebPMemoryWriter = std::mem::zeroed();
        ffi::WebPMemoryWriterInit(&mut writer);
        picture.writer = Some(ffi::WebPMemoryWrite);
        picture.custom_ptr = (&mut writer as *mut ffi::WebPMemoryWriter).cast();
        let ok = ffi::WebPEncode(&config, &mut picture) != 0;
        let error = picture.error_code;
        ffi::WebPPictureFree(&mut picture);
        let out = if ok { Ok(std::slice::from_raw_parts(writer.mem, writer.size).to_vec()) } else { Err(Error::encode(NAME, format!("{error:?}"))) };
        ffi::WebPMemoryWriterClear(&mut writer);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn sample(quality: u8, alpha: bool) -> Vec<u8> {
        let mut o = EncodeOptions::new(Format::Webp);
        o.quality = Some(quality);
        encode(photo(96, 64, alpha), &o).unwrap()
    }

    #[test]
    fn alpha_survives_and_quality_is_monotonic() {
        let bytes = sample(80, true);
        assert!(probe(&bytes).unwrap().has_alpha);
        assert_eq!(decode(&bytes, None).unwrap().channels, 4);
        let sizes: Vec<usize> = (1..=10).map(|q| sample(q * 10, false).len()).collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }

    #[test]
    fn lossless_is_exact() {
        let img = photo(32, 32, false);
        let mut o = EncodeOptions::new(Format::Webp);
        o.lossless = true;
        assert_eq!(decode(&encode(img.clone(), &o).unwrap(), None).unwrap(), img);
    }

    #[test]
    fn truncation_is_an_error() {
        let bytes = sample(80, false);
        assert!(decode(&bytes[..bytes.len() / 2], None).is_err());
    }
}
