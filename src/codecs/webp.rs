//! WebP: decoded by image-webp (memory-safe Rust, handles lossy, lossless, alpha and the
//! first frame of animations), encoded by libwebp for its mature rate control.

use std::io::Cursor;

use image_webp::WebPDecoder;
use webp::{Encoder, WebPConfig};

use super::{EncodeOptions, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::metadata::exif;

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

pub fn decode(bytes: &[u8]) -> Result<Image> {
    let mut d = decoder(bytes)?;
    let (width, height) = d.dimensions();
    let size = d.output_buffer_size().ok_or_else(|| Error::corrupt(NAME, "image size overflows memory"))?;
    let mut buf = vec![0; size];
    d.read_image(&mut buf).map_err(|e| Error::corrupt(NAME, e))?;
    Ok(Image::new(width, height, if d.has_alpha() { 4 } else { 3 }, buf))
}

pub fn encode(image: &Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    let mut config = WebPConfig::new().map_err(|_| Error::encode(NAME, "libwebp version mismatch"))?;
    config.quality = options.quality_or(80) as f32;
    config.method = match (options.fast_mode, options.effort) {
        (true, _) => 2,
        (false, Some(effort)) => (effort as i32 * 6 + 5) / 10,
        (false, None) => 4,
    };
    if options.lossless {
        config.lossless = 1;
        config.exact = 0;
    } else {
        config.use_sharp_yuv = (!options.fast_mode) as i32;
    }
    let encoder = if image.has_alpha() {
        Encoder::from_rgba(&image.data, image.width, image.height)
    } else {
        Encoder::from_rgb(&image.data, image.width, image.height)
    };
    let memory = encoder.encode_advanced(&config).map_err(|e| Error::encode(NAME, format!("{e:?}")))?;
    Ok(memory.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn sample(quality: u8, alpha: bool) -> Vec<u8> {
        let mut o = EncodeOptions::new(Format::Webp);
        o.quality = Some(quality);
        encode(&photo(96, 64, alpha), &o).unwrap()
    }

    #[test]
    fn alpha_survives_and_quality_is_monotonic() {
        let bytes = sample(80, true);
        assert!(probe(&bytes).unwrap().has_alpha);
        assert_eq!(decode(&bytes).unwrap().channels, 4);
        let sizes: Vec<usize> = (1..=10).map(|q| sample(q * 10, false).len()).collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sizes:?}");
    }

    #[test]
    fn lossless_is_exact() {
        let img = photo(32, 32, false);
        let mut o = EncodeOptions::new(Format::Webp);
        o.lossless = true;
        assert_eq!(decode(&encode(&img, &o).unwrap()).unwrap(), img);
    }

    #[test]
    fn truncation_is_an_error() {
        let bytes = sample(80, false);
        assert!(decode(&bytes[..bytes.len() / 2]).is_err());
    }
}
