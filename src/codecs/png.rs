//! PNG: the `png` crate decodes every bit depth, palette, grey, alpha and interlaced file;
//! encoding uses its fast deflate by default and oxipng when a high effort is asked for.

use std::io::Cursor;

use png::{BitDepth, ColorType, Compression, Decoder, Limits, Transformations};

use super::{EncodeOptions, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::metadata::exif;

const NAME: &str = "PNG";
/// Effort from which the output is recompressed by oxipng.
const OXIPNG_EFFORT: u8 = 7;

fn decoder(bytes: &[u8]) -> Decoder<Cursor<&[u8]>> {
    // Sizes are checked against our own limits from the header; lift the crate's 64 MiB cap.
    Decoder::new_with_limits(Cursor::new(bytes), Limits { bytes: usize::MAX })
}

pub fn probe(bytes: &[u8]) -> Result<Header> {
    let reader = decoder(bytes).read_info().map_err(|e| Error::corrupt(NAME, e))?;
    let info = reader.info();
    let has_alpha = matches!(info.color_type, ColorType::Rgba | ColorType::GrayscaleAlpha) || info.trns.is_some();
    Ok(Header {
        format: Format::Png,
        width: info.width,
        height: info.height,
        has_alpha,
        orientation: info.exif_metadata.as_deref().and_then(exif::orientation).unwrap_or(1),
        has_icc: info.icc_profile.is_some(),
    })
}

pub fn decode(bytes: &[u8]) -> Result<Image> {
    let mut d = decoder(bytes);
    d.set_transformations(Transformations::normalize_to_color8());
    let mut reader = d.read_info().map_err(|e| Error::corrupt(NAME, e))?;
    let size = reader.output_buffer_size().ok_or_else(|| Error::corrupt(NAME, "image size overflows memory"))?;
    let mut buf = vec![0; size];
    let frame = reader.next_frame(&mut buf).map_err(|e| Error::corrupt(NAME, e))?;
    buf.truncate(frame.buffer_size());
    let (w, h) = (frame.width, frame.height);
    debug_assert_eq!(frame.bit_depth, BitDepth::Eight);
    Ok(match frame.color_type {
        ColorType::Rgb => Image::new(w, h, 3, buf),
        ColorType::Rgba => Image::new(w, h, 4, buf),
        ColorType::Grayscale => Image::new(w, h, 3, buf.iter().flat_map(|&g| [g, g, g]).collect()),
        ColorType::GrayscaleAlpha => {
            Image::new(w, h, 4, buf.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect())
        }
        ColorType::Indexed => return Err(Error::Internal("PNG palette was not expanded".into())),
    })
}

pub fn encode(image: &Image, options: &EncodeOptions) -> Result<Vec<u8>> {
    // An opaque RGBA frame is written as RGB: a quarter fewer bytes to deflate.
    let rgb;
    let image = if image.has_alpha() && image.is_opaque() {
        rgb = image.clone().into_rgb();
        &rgb
    } else {
        image
    };
    let mut out = Vec::with_capacity(image.data.len() / 2);
    let mut e = png::Encoder::new(&mut out, image.width, image.height);
    e.set_color(if image.has_alpha() { ColorType::Rgba } else { ColorType::Rgb });
    e.set_depth(BitDepth::Eight);
    e.set_compression(if options.fast_mode { Compression::Fast } else { Compression::Balanced });
    let mut w = e.write_header().map_err(|e| Error::encode(NAME, e))?;
    w.write_image_data(&image.data).map_err(|e| Error::encode(NAME, e))?;
    w.finish().map_err(|e| Error::encode(NAME, e))?;
    match options.effort {
        Some(effort) if effort >= OXIPNG_EFFORT && !options.fast_mode => {
            let preset = (effort - OXIPNG_EFFORT + 2).min(6);
            oxipng::optimize_from_memory(&out, &oxipng::Options::from_preset(preset)).map_err(|e| Error::encode(NAME, e))
        }
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    #[test]
    fn keeps_alpha_and_drops_it_when_opaque() {
        let rgba = photo(40, 30, true);
        let bytes = encode(&rgba, &EncodeOptions::new(Format::Png)).unwrap();
        assert!(probe(&bytes).unwrap().has_alpha);
        assert_eq!(decode(&bytes).unwrap(), rgba, "PNG is lossless");

        let opaque = Image::new(2, 1, 4, vec![1, 2, 3, 255, 4, 5, 6, 255]);
        let bytes = encode(&opaque, &EncodeOptions::new(Format::Png)).unwrap();
        assert_eq!(decode(&bytes).unwrap(), Image::new(2, 1, 3, vec![1, 2, 3, 4, 5, 6]));
    }

    #[test]
    fn oxipng_effort_is_smaller_and_lossless() {
        let img = photo(64, 64, true);
        let fast = encode(&img, &EncodeOptions::new(Format::Png)).unwrap();
        let mut o = EncodeOptions::new(Format::Png);
        o.effort = Some(9);
        let small = encode(&img, &o).unwrap();
        assert!(small.len() <= fast.len());
        assert_eq!(decode(&small).unwrap(), img);
    }

    #[test]
    fn bad_crc_and_truncation_are_errors() {
        let mut bytes = encode(&photo(16, 16, false), &EncodeOptions::new(Format::Png)).unwrap();
        assert!(decode(&bytes[..bytes.len() - 30]).is_err());
        let n = bytes.len();
        bytes[n - 20] ^= 0xFF; // inside IDAT: its CRC no longer matches
        assert!(matches!(decode(&bytes), Err(Error::CorruptInput { .. })));
    }
}
