//! Growing the canvas (extend, and contain's padding) and shrinking it to its content (trim).

use serde::Deserialize;

use super::colour::Colour;
use crate::image::Image;
use crate::names::named;

named! {
    /// What fills the new border (sharp's `extendWith`).
    #[derive(Default)]
    pub enum ExtendWith "extendWith" {
        /// The background colour.
        #[default]
        Background = "background",
        /// The edge pixels repeated outwards.
        Copy = "copy",
        /// The image tiled.
        Repeat = "repeat",
        /// The image reflected at its edges.
        Mirror = "mirror",
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extend {
    pub top: u32,
    pub right: u32,
    pub bottom: u32,
    pub left: u32,
    pub background: Colour,
    #[serde(default)]
    pub extend_with: ExtendWith,
}

impl Extend {
    /// A border of `[top, right, bottom, left]` pixels of one colour.
    pub fn background([top, right, bottom, left]: [u32; 4], background: Colour) -> Extend {
        Extend { top, right, bottom, left, background, extend_with: ExtendWith::Background }
    }
}

/// The image on a larger canvas. A background that is not opaque gives an opaque image an
/// alpha channel (the border is see-through, as asked).
pub fn extend(image: &Image, e: &Extend) -> Image {
    let with_alpha = image.has_alpha() || (e.extend_with == ExtendWith::Background && !e.background.is_opaque());
    let c: usize = if with_alpha { 4 } else { 3 };
    let (w, h) = (image.width + e.left + e.right, image.height + e.top + e.bottom);
    // The source coordinate a canvas coordinate shows, or None for the background.
    let source = |v: i64, len: u32| -> Option<u32> {
        let n = len as i64;
        match e.extend_with {
            _ if (0..n).contains(&v) => Some(v as u32),
            ExtendWith::Background => None,
            ExtendWith::Copy => Some(v.clamp(0, n - 1) as u32),
            ExtendWith::Repeat => Some(v.rem_euclid(n) as u32),
            ExtendWith::Mirror => {
                let period = 2 * n;
                let m = v.rem_euclid(period);
                Some(if m < n { m } else { period - 1 - m } as u32)
            }
        }
    };
    let fill = e.background.pixel(c as u8);
    let mut data = Vec::with_capacity(w as usize * h as usize * c);
    for y in 0..h {
        let sy = source(y as i64 - e.top as i64, image.height);
        for x in 0..w {
            match (sy, source(x as i64 - e.left as i64, image.width)) {
                (Some(sy), Some(sx)) => {
                    let p = image.pixel(sx, sy);
                    data.extend_from_slice(&p[..c.min(p.len())]);
                    if c > p.len() {
                        data.push(255);
                    }
                }
                _ => data.extend_from_slice(&fill),
            }
        }
    }
    Image::new(w, h, c as u8, data)
}

/// Removes the border whose pixels all lie within `threshold` of `background` (by default
/// the top-left pixel), on every channel including alpha. Returns the trimmed image and
/// what was removed: top, right, bottom, left. An image that is all border is left whole.
pub fn trim(image: Image, background: Option<Colour>, threshold: f32) -> (Image, [u32; 4]) {
    let c = image.channels as usize;
    let bg: Vec<u8> = match background {
        Some(colour) => colour.pixel(image.channels),
        None => image.pixel(0, 0).to_vec(),
    };
    let differs = |p: &[u8]| p.iter().zip(&bg).any(|(a, b)| a.abs_diff(*b) as f32 > threshold);
    let (mut left, mut right, mut top, mut bottom) = (image.width, 0, image.height, 0);
    for (y, row) in image.data.chunks_exact(image.stride()).enumerate() {
        for (x, p) in row.chunks_exact(c).enumerate() {
            if differs(p) {
                let (x, y) = (x as u32, y as u32);
                (left, right, top, bottom) = (left.min(x), right.max(x + 1), top.min(y), bottom.max(y + 1));
            }
        }
    }
    if left >= right || top >= bottom {
        return (image, [0; 4]);
    }
    let removed = [top, image.width - right, image.height - bottom, left];
    let trimmed = super::geometry::crop(&image, left, top, right - left, bottom - top).expect("the content box lies inside the image");
    (trimmed, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3x2 image whose pixels are numbered 1..=6 row by row.
    fn numbered() -> Image {
        Image::new(3, 2, 3, (1..=6u8).flat_map(|v| [v, v, v]).collect())
    }

    fn rows(img: &Image) -> Vec<Vec<u8>> {
        img.data.chunks(img.stride()).map(|r| r.chunks(img.channels as usize).map(|p| p[0]).collect()).collect()
    }

    #[test]
    fn every_extend_mode_fills_the_border_as_named() {
        let sides = |with| Extend { top: 1, right: 2, bottom: 0, left: 1, background: Colour([9, 9, 9, 255]), extend_with: with };
        assert_eq!(rows(&extend(&numbered(), &sides(ExtendWith::Background))), [vec![9, 9, 9, 9, 9, 9], vec![9, 1, 2, 3, 9, 9], vec![9, 4, 5, 6, 9, 9]]);
        assert_eq!(rows(&extend(&numbered(), &sides(ExtendWith::Copy))), [vec![1, 1, 2, 3, 3, 3], vec![1, 1, 2, 3, 3, 3], vec![4, 4, 5, 6, 6, 6]]);
        assert_eq!(rows(&extend(&numbered(), &sides(ExtendWith::Repeat))), [vec![6, 4, 5, 6, 4, 5], vec![3, 1, 2, 3, 1, 2], vec![6, 4, 5, 6, 4, 5]]);
        assert_eq!(rows(&extend(&numbered(), &sides(ExtendWith::Mirror))), [vec![1, 1, 2, 3, 3, 2], vec![1, 1, 2, 3, 3, 2], vec![4, 4, 5, 6, 6, 5]]);
        let clear = extend(&numbered(), &Extend::background([0, 1, 0, 0], Colour::TRANSPARENT));
        assert_eq!((clear.channels, clear.pixel(3, 0), clear.pixel(0, 0)), (4, &[0, 0, 0, 0][..], &[1, 1, 1, 255][..]));
    }

    #[test]
    fn trim_removes_a_border_within_the_threshold() {
        let framed = extend(&numbered(), &Extend::background([2, 1, 3, 4], Colour([200, 200, 200, 255])));
        let (trimmed, removed) = trim(framed.clone(), None, 10.0);
        assert_eq!((trimmed, removed), (numbered(), [2, 1, 3, 4]));
        // A border within the threshold of the background counts as border.
        let (_, removed) = trim(framed.clone(), Some(Colour([195, 195, 195, 255])), 10.0);
        assert_eq!(removed, [2, 1, 3, 4]);
        let flat = Image::new(4, 4, 3, vec![7; 48]);
        assert_eq!(trim(flat.clone(), None, 10.0), (flat, [0; 4]));
    }
}
