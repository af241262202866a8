//! Drawing one image onto another (`composite`): placed by gravity or at an offset, or
//! tiled, with a blend mode and an opacity. Colours are blended premultiplied, in sRGB as
//! libvips does by default, with the separable blend modes of the PDF and Compositing
//! specifications and the Porter-Duff operators; no crate does this on plain buffers.

use super::gravity::Gravity;
use crate::codecs;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::names::named;
use crate::pipeline::Pipeline;
use crate::source::Source;

named! {
    /// How an overlay's colours combine with the image under it.
    #[derive(Default)]
    pub enum Blend "blend" {
        #[default]
        Over = "over",
        Multiply = "multiply",
        Screen = "screen",
        Overlay = "overlay",
        Darken = "darken",
        Lighten = "lighten",
        /// The image, kept only where the overlay is.
        DestIn = "dest-in",
        /// The image, kept only where the overlay is not.
        DestOut = "dest-out",
    }
}

/// An overlay's input: its source and what to do to it first (an engine's own operations).
#[derive(Clone)]
pub struct Overlay {
    pub source: Source,
    pub pipeline: Pipeline,
}

impl Overlay {
    /// What its decoded pixels will occupy, from the header (RGBA at the stored size).
    pub fn decoded_bytes(&self) -> Result<u64> {
        let header = codecs::probe(self.source.bytes())?;
        Ok(header.width as u64 * header.height as u64 * 4)
    }
}

impl std::fmt::Debug for Overlay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Overlay({} bytes, {:?})", self.source.bytes().len(), self.pipeline.ops)
    }
}

impl PartialEq for Overlay {
    /// The same input bytes and the same operations.
    fn eq(&self, other: &Overlay) -> bool {
        std::ptr::eq(self.source.bytes(), other.source.bytes()) && self.pipeline == other.pipeline
    }
}

/// One layer of `composite([...])`.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer {
    pub input: Overlay,
    pub gravity: Gravity,
    /// Top-left corner, overriding `gravity`; may lie partly outside the image.
    pub offset: Option<(i64, i64)>,
    /// Repeat the overlay across the whole image.
    pub tile: bool,
    pub blend: Blend,
    /// 0–1, multiplies the overlay's alpha.
    pub opacity: f32,
}

/// Draws `overlay` onto `base` as `layer` says. The result has alpha when either had it.
pub fn composite(base: Image, overlay: &Image, layer: &Layer) -> Result<Image> {
    let (bw, bh, ow, oh) = (base.width, base.height, overlay.width, overlay.height);
    if !layer.tile && layer.offset.is_none() && (ow > bw || oh > bh) {
        return Err(Error::InvalidArgument(format!(
            "the composite overlay ({ow}x{oh}) is larger than the image ({bw}x{bh}); resize it first, or pass tile: true or top/left to place it partly outside"
        )));
    }
    let with_alpha = base.has_alpha() || matches!(layer.blend, Blend::DestIn | Blend::DestOut);
    let c = base.channels as usize;
    let out_c = if with_alpha { 4 } else { 3 };
    // Tiles form a grid of whole overlays placed by the gravity, as sharp places them: an
    // odd count on a centred axis, so one tile sits exactly in the middle.
    let centred_x = matches!(layer.gravity, Gravity::Centre | Gravity::North | Gravity::South);
    let centred_y = matches!(layer.gravity, Gravity::Centre | Gravity::East | Gravity::West);
    let tiles = |base: u32, tile: u32, centred: bool| base.div_ceil(tile) | centred as u32;
    let grid = (tiles(bw, ow, centred_x) * ow, tiles(bh, oh, centred_y) * oh);
    let (x0, y0) = layer.offset.unwrap_or_else(|| {
        if layer.tile {
            let (gx, gy) = layer.gravity.place(grid, (bw, bh));
            (-gx, -gy)
        } else {
            layer.gravity.place((bw, bh), (ow, oh))
        }
    });
    let oc = overlay.channels as usize;
    let mut data = Vec::with_capacity(bw as usize * bh as usize * out_c);
    for y in 0..bh as i64 {
        for x in 0..bw as i64 {
            let b = &base.data[((y * bw as i64 + x) as usize) * c..][..c];
            let (ox, oy) = (x - x0, y - y0);
            let src = if layer.tile {
                Some(((ox.rem_euclid(ow as i64)) as u32, (oy.rem_euclid(oh as i64)) as u32))
            } else if (0..ow as i64).contains(&ox) && (0..oh as i64).contains(&oy) {
                Some((ox as u32, oy as u32))
            } else {
                None
            };
            let bp = [b[0], b[1], b[2], if c == 4 { b[3] } else { 255 }];
            let px = match src {
                Some((sx, sy)) => {
                    let o = &overlay.data[(sy as usize * ow as usize + sx as usize) * oc..][..oc];
                    let alpha = if oc == 4 { o[3] as f32 / 255.0 } else { 1.0 } * layer.opacity;
                    blend_pixel(bp, [o[0], o[1], o[2]], alpha, layer.blend)
                }
                // Outside the overlay: Porter-Duff dest-in keeps nothing there.
                None if layer.blend == Blend::DestIn => [0, 0, 0, 0],
                None => bp,
            };
            data.extend_from_slice(&px[..out_c]);
        }
    }
    Ok(Image::new(bw, bh, out_c as u8, data))
}

/// One pixel: backdrop `b` (straight RGBA) under source colour `s` with alpha `sa`.
fn blend_pixel(b: [u8; 4], s: [u8; 3], sa: f32, mode: Blend) -> [u8; 4] {
    let ba = b[3] as f32 / 255.0;
    let cb = |k: usize| b[k] as f32 / 255.0;
    let cs = |k: usize| s[k] as f32 / 255.0;
    // Premultiplied result colour and alpha.
    let (colour, alpha): ([f32; 3], f32) = match mode {
        Blend::DestIn => (std::array::from_fn(|k| cb(k) * ba * sa), ba * sa),
        Blend::DestOut => (std::array::from_fn(|k| cb(k) * ba * (1.0 - sa)), ba * (1.0 - sa)),
        _ => {
            let mixed = |k: usize| {
                let (b, s) = (cb(k), cs(k));
                match mode {
                    Blend::Multiply => b * s,
                    Blend::Screen => b + s - b * s,
                    Blend::Overlay => if b <= 0.5 { 2.0 * b * s } else { 1.0 - 2.0 * (1.0 - b) * (1.0 - s) },
                    Blend::Darken => b.min(s),
                    Blend::Lighten => b.max(s),
                    _ => s,
                }
            };
            let colour = std::array::from_fn(|k| sa * (1.0 - ba) * cs(k) + sa * ba * mixed(k) + (1.0 - sa) * ba * cb(k));
            (colour, sa + ba * (1.0 - sa))
        }
    };
    let straight = |v: f32| if alpha > 0.0 { (v / alpha * 255.0).round().clamp(0.0, 255.0) as u8 } else { 0 };
    [straight(colour[0]), straight(colour[1]), straight(colour[2]), (alpha * 255.0).round() as u8]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer(blend: Blend, opacity: f32) -> Layer {
        let source = Source::borrowed(std::sync::Arc::new(vec![0u8])).unwrap();
        Layer { input: Overlay { source, pipeline: Pipeline::default() }, gravity: Gravity::Centre, offset: None, tile: false, blend, opacity }
    }

    #[test]
    fn blend_modes_give_their_formulas() {
        let (b, s) = ([200, 100, 0, 255], [100, 100, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::Over), [100, 100, 255, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::Multiply), [78, 39, 0, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::Screen), [222, 161, 255, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::Darken), [100, 100, 0, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::Lighten), [200, 100, 255, 255]);
        assert_eq!(blend_pixel(b, s, 0.5, Blend::Over), [150, 100, 128, 255]);
        assert_eq!(blend_pixel(b, s, 1.0, Blend::DestOut)[3], 0);
        assert_eq!(blend_pixel(b, s, 0.5, Blend::DestIn), [200, 100, 0, 128]);
        // Over a transparent backdrop the overlay shows as it is.
        assert_eq!(blend_pixel([9, 9, 9, 0], s, 0.4, Blend::Multiply), [100, 100, 255, 102]);
    }

    #[test]
    fn placed_by_gravity_or_offset_and_tiled() {
        let base = Image::new(4, 3, 3, vec![0; 36]);
        let dot = Image::new(2, 1, 3, vec![255; 6]);
        let lit = |img: &Image| -> Vec<(u32, u32)> { (0..img.height).flat_map(|y| (0..img.width).map(move |x| (x, y))).filter(|&(x, y)| img.pixel(x, y)[0] == 255).collect() };
        let mut l = layer(Blend::Over, 1.0);
        l.gravity = Gravity::SouthEast;
        assert_eq!(lit(&composite(base.clone(), &dot, &l).unwrap()), [(2, 2), (3, 2)]);
        l.offset = Some((-1, 0));
        assert_eq!(lit(&composite(base.clone(), &dot, &l).unwrap()), [(0, 0)]);
        l.offset = None;
        l.tile = true;
        assert_eq!(lit(&composite(base.clone(), &dot, &l).unwrap()).len(), 12);
        let big = Image::new(5, 1, 3, vec![255; 15]);
        let err = composite(base, &big, &layer(Blend::Over, 1.0)).unwrap_err();
        assert!(err.to_string().contains("larger than the image"), "{err}");
    }
}
