//! AVIF: encoded with ravif (rav1e). Decoding would need libdav1d or libaom; neither is
//! built here yet, so AVIF input is recognised and refused with a clear error.

use imgref::Img;
use ravif::Encoder;
use rgb::FromSlice;

use super::{EncodeOptions, Header};
use crate::metadata::Found;
use crate::error::{Error, Result};
use crate::image::Image;

const NAME: &str = "AVIF";
const NO_DECODER: &str = "AVIF input is not supported yet (AVIF output is); convert the source to JPEG, PNG or WebP";

pub fn probe(_bytes: &[u8]) -> Result<(Header, Found)> {
    Err(Error::UnsupportedFormat(NO_DECODER.into()))
}

pub fn decode(_bytes: &[u8]) -> Result<Image> {
    Err(Error::UnsupportedFormat(NO_DECODER.into()))
}

/// rav1e cannot be interrupted: a deadline is enforced around this call by the pipeline.
/// ravif writes EXIF but no ICC profile, so AVIF output is always converted to sRGB.
pub fn encode(image: &Image, options: &EncodeOptions, exif: Option<&[u8]>) -> Result<Vec<u8>> {
    let quality = options.quality_or(60) as f32;
    // rav1e speed 1 (slowest) to 10; effort 0–10 maps onto it inversely.
    let speed = match (options.fast_mode, options.effort) {
        (true, _) => 9,
        (false, Some(effort)) => 10 - effort.min(9),
        (false, None) => 6,
    };
    let mut encoder = Encoder::new().with_quality(quality).with_alpha_quality(quality).with_speed(speed);
    if let Some(exif) = exif {
        encoder = encoder.with_exif(exif);
    }
    let (w, h) = (image.width as usize, image.height as usize);
    let encoded = if image.has_alpha() {
        encoder.encode_rgba(Img::new(image.data.as_rgba(), w, h))
    } else {
        encoder.encode_rgb(Img::new(image.data.as_rgb(), w, h))
    };
    encoded.map(|e| e.avif_file).map_err(|e| Error::encode(NAME, e))
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
