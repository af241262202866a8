//! Palette (indexed) images: at most 256 colours chosen for the image by quantizr (MIT), a
//! median-cut and k-means quantiser that handles alpha, with Floyd–Steinberg dithering.
//! A palette PNG and every GIF frame are made here.

use std::borrow::Cow;

use crate::error::{Error, Result};
use crate::image::Image;

/// How a palette is made: at most `colours` entries (2–256), dithered by `dither` (0 none,
/// 1 full error diffusion).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Palette {
    pub colours: u16,
    pub dither: f32,
}

impl Default for Palette {
    /// As sharp: 256 colours, full dithering.
    fn default() -> Palette {
        Palette { colours: 256, dither: 1.0 }
    }
}

/// An image as palette entries (RGBA, straight alpha) and one index per pixel, row by row.
pub struct Indexed {
    pub colours: Vec<[u8; 4]>,
    pub indices: Vec<u8>,
}

impl Indexed {
    /// Bits per index a PNG needs for this many colours: 1, 2, 4 or 8.
    pub fn bit_depth(&self) -> u8 {
        match self.colours.len() {
            0..=2 => 1,
            3..=4 => 2,
            5..=16 => 4,
            _ => 8,
        }
    }
}

/// Quantises `image`. With `quality` (1–100) the palette is the smallest of `colours`,
/// `colours / 2`, `colours / 4` … (down to 2) whose root-mean-square error stays within
/// `(100 - quality) / 5` levels (of 255) per channel, so flat graphics get few colours and
/// small files; without it, up to `colours` are used.
pub fn quantise(image: &Image, palette: &Palette, quality: Option<u8>) -> Result<Indexed> {
    let (width, height) = (image.width as usize, image.height as usize);
    let rgba: Cow<[u8]> = if image.has_alpha() {
        Cow::Borrowed(&image.data)
    } else {
        Cow::Owned(image.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect())
    };
    let fail = |e: quantizr::Error| Error::encode("palette", format!("quantizr: {e:?}"));
    let source = quantizr::Image::new(&rgba, width, height).map_err(fail)?;
    let mut histogram = quantizr::Histogram::new();
    histogram.add_image(&source);
    let dither = palette.dither.clamp(0.0, 1.0);
    let remap = |colours: u16| -> Result<Indexed> {
        let mut options = quantizr::Options::default();
        options.set_max_colors(colours.clamp(2, 256) as i32).map_err(fail)?;
        let mut result = quantizr::QuantizeResult::quantize_histogram(&histogram, &options);
        result.set_dithering_level(dither).map_err(fail)?;
        let mut indices = vec![0u8; width * height];
        result.remap_image(&source, &mut indices).map_err(fail)?;
        let found = result.get_palette();
        let colours = found.entries[..found.count as usize].iter().map(|c| [c.r, c.g, c.b, c.a]).collect();
        Ok(Indexed { colours, indices })
    };
    let mut colours = palette.colours.clamp(2, 256);
    let mut best = remap(colours)?;
    if let Some(quality) = quality {
        let allowed = (100 - quality.min(100)) as f64 / 5.0;
        while colours > 2 {
            let fewer = remap(colours / 2)?;
            if rms_error(&rgba, &fewer) > allowed {
                break;
            }
            (best, colours) = (fewer, colours / 2);
        }
    }
    Ok(best)
}

/// Root-mean-square difference per channel between `rgba` and its palette image.
fn rms_error(rgba: &[u8], indexed: &Indexed) -> f64 {
    let sum: u64 = rgba
        .chunks_exact(4)
        .zip(&indexed.indices)
        .map(|(p, &i)| {
            let c = indexed.colours.get(i as usize).copied().unwrap_or_default();
            (0..4).map(|k| (p[k] as i64 - c[k] as i64).pow(2) as u64).sum::<u64>()
        })
        .sum();
    (sum as f64 / rgba.len().max(1) as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    #[test]
    fn a_flat_graphic_keeps_its_colours_exactly_and_quality_shrinks_the_palette_of_a_photo() {
        let mut flat = Image::new(40, 30, 3, vec![0; 40 * 30 * 3]);
        for (i, p) in flat.data.chunks_exact_mut(3).enumerate() {
            p.copy_from_slice(if (i % 40) < 20 { &[200, 30, 40] } else { &[10, 90, 250] });
        }
        let out = quantise(&flat, &Palette::default(), None).unwrap();
        assert_eq!(out.colours.len(), 2);
        assert_eq!((out.bit_depth(), rms_error(&flat.data.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect::<Vec<_>>(), &out)), (1, 0.0));

        let image = photo(96, 64, true);
        let full = quantise(&image, &Palette::default(), None).unwrap();
        let rough = quantise(&image, &Palette::default(), Some(30)).unwrap();
        assert!(full.colours.len() > rough.colours.len(), "{} vs {}", full.colours.len(), rough.colours.len());
        assert!(rms_error(&image.data, &rough) <= 14.0);
        assert!(rms_error(&image.data, &full) < rms_error(&image.data, &rough));
        let few = quantise(&image, &Palette { colours: 16, dither: 0.0 }, None).unwrap();
        assert!(few.colours.len() <= 16 && few.indices.iter().all(|&i| (i as usize) < few.colours.len()));
    }
}
