//! What a page shows while an image loads, from one small frame: a ThumbHash (the
//! `thumbhash` crate) and a BlurHash (the `blurhash` crate) of it, its dominant colour, and a
//! tiny blurred WebP for a data URI.

use crate::codecs::{self, EncodeOptions};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::ops::{convolve, resize};

/// The largest side the hashes are computed at (ThumbHash takes at most 100).
pub const HASH_SIDE: u32 = 100;
/// The largest side of the data URI's image: small enough to stay under 1 KB.
const PREVIEW_SIDE: u32 = 24;

#[derive(Debug, Clone, PartialEq)]
pub struct Placeholder {
    pub thumbhash: Vec<u8>,
    pub blurhash: String,
    /// `#rrggbb`.
    pub dominant: String,
    /// The tiny blurred WebP.
    pub preview: Vec<u8>,
    /// The size of the image it stands for.
    pub width: u32,
    pub height: u32,
}

/// `image` is the frame after the engine's operations, already shrunk on load to about
/// `HASH_SIDE` when the pipeline could; `(width, height)` the size of the image it stands for.
pub fn make(image: Image, (width, height): (u32, u32)) -> Result<Placeholder> {
    let fit = fitted_size(image.width, image.height, HASH_SIDE);
    let small = resize::scale(image, fit, resize::Kernel::Lanczos3)?;
    let rgba = to_rgba(&small);
    let thumbhash = thumbhash::rgba_to_thumb_hash(small.width as usize, small.height as usize, &rgba);
    let blurhash = blurhash::encode(4, 3, small.width, small.height, &rgba).map_err(|e| Error::Internal(format!("blurhash: {e:?}")))?;
    let dominant = dominant(&small);
    let tiny = resize::scale(small, fitted_size(fit.0, fit.1, PREVIEW_SIDE), resize::Kernel::Lanczos3)?;
    let mut options = EncodeOptions::new(Format::Webp);
    options.quality = Some(40);
    let preview = codecs::encode(convolve::blur(tiny, Some(0.8))?, &options)?;
    Ok(Placeholder { thumbhash, blurhash, dominant, preview, width, height })
}

/// The size `width`×`height` fits at inside a `side`×`side` box (never larger than it is).
fn fitted_size(width: u32, height: u32, side: u32) -> (u32, u32) {
    let scale = (side as f64 / width.max(height) as f64).min(1.0);
    (((width as f64 * scale).round() as u32).max(1), ((height as f64 * scale).round() as u32).max(1))
}

fn to_rgba(image: &Image) -> Vec<u8> {
    if image.has_alpha() {
        return image.data.clone();
    }
    image.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect()
}

/// The mean colour of the most common colour bucket (4 bits per channel), transparent
/// pixels left out.
fn dominant(image: &Image) -> String {
    let c = image.channels as usize;
    let mut buckets = vec![(0u32, [0u64; 3]); 4096];
    for p in image.data.chunks_exact(c) {
        if c == 4 && p[3] < 128 {
            continue;
        }
        let b = &mut buckets[(p[0] as usize >> 4) << 8 | (p[1] as usize >> 4) << 4 | p[2] as usize >> 4];
        b.0 += 1;
        (0..3).for_each(|k| b.1[k] += p[k] as u64);
    }
    let (n, sum) = buckets.iter().max_by_key(|b| b.0).copied().unwrap_or((0, [0; 3]));
    let mean = |k: usize| if n == 0 { 0 } else { (sum[k] / n as u64) as u8 };
    format!("#{:02x}{:02x}{:02x}", mean(0), mean(1), mean(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    #[test]
    fn hashes_round_trip_and_the_preview_is_small() {
        let p = make(photo(640, 360, false), (640, 360)).unwrap();
        assert_eq!((p.width, p.height), (640, 360));
        let (w, h, _) = thumbhash::thumb_hash_to_rgba(&p.thumbhash).unwrap();
        assert!((w as f64 / h as f64 - 640.0 / 360.0).abs() < 0.4, "{w}x{h}");
        assert_eq!(p.blurhash.len(), 4 + 2 * 4 * 3, "4x3 components");
        assert!(p.preview.len() < 1024, "{} bytes", p.preview.len());
        assert_eq!(codecs::probe(&p.preview).unwrap().format, Format::Webp);
        let red = Image::new(8, 8, 3, [250, 10, 10].repeat(64));
        assert_eq!(dominant(&red), "#fa0a0a");
    }
}
