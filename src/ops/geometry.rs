//! Crop, quarter-turn rotation, flips, and the EXIF orientations built from them.

use crate::error::{Error, Result};
use crate::image::Image;

pub fn crop(image: &Image, x: u32, y: u32, width: u32, height: u32) -> Result<Image> {
    let fits = width > 0
        && height > 0
        && x.checked_add(width).is_some_and(|r| r <= image.width)
        && y.checked_add(height).is_some_and(|b| b <= image.height);
    if !fits {
        return Err(Error::CropOutOfBounds {
            x,
            y,
            width,
            height,
            image_width: image.width,
            image_height: image.height,
        });
    }
    let c = image.channels as usize;
    let row = width as usize * c;
    let mut data = Vec::with_capacity(row * height as usize);
    for r in y..y + height {
        let start = r as usize * image.stride() + x as usize * c;
        data.extend_from_slice(&image.data[start..start + row]);
    }
    Ok(Image::new(width, height, image.channels, data))
}

/// Rotates clockwise by `turns` quarter turns.
pub fn rotate(image: Image, turns: u8) -> Image {
    match turns % 4 {
        0 => image,
        1 => quarter_turn(&image, |x, y, _, h| (y, h - 1 - x)),
        2 => flip_v(flip_h(image)),
        _ => quarter_turn(&image, |x, y, w, _| (w - 1 - y, x)),
    }
}

pub fn flip_h(mut image: Image) -> Image {
    let (c, stride) = (image.channels as usize, image.stride());
    for row in image.data.chunks_exact_mut(stride) {
        let w = row.len() / c;
        for i in 0..w / 2 {
            let (a, b) = (i * c, (w - 1 - i) * c);
            for k in 0..c {
                row.swap(a + k, b + k);
            }
        }
    }
    image
}

pub fn flip_v(mut image: Image) -> Image {
    let stride = image.stride();
    let h = image.height as usize;
    for i in 0..h / 2 {
        let (top, bottom) = image.data.split_at_mut((h - 1 - i) * stride);
        top[i * stride..(i + 1) * stride].swap_with_slice(&mut bottom[..stride]);
    }
    image
}

/// Turns the stored pixels into the displayed ones for EXIF orientation 1–8.
pub fn orient(image: Image, orientation: u8) -> Image {
    match orientation {
        2 => flip_h(image),
        3 => rotate(image, 2),
        4 => flip_v(image),
        5 => flip_h(rotate(image, 1)), // transpose
        6 => rotate(image, 1),
        7 => flip_h(rotate(image, 3)), // transverse
        8 => rotate(image, 3),
        _ => image,
    }
}

/// Builds the transposed-size image whose pixel (x, y) is source pixel `f(x, y, src_w, src_h)`.
fn quarter_turn(image: &Image, f: impl Fn(u32, u32, u32, u32) -> (u32, u32)) -> Image {
    let (w, h) = (image.height, image.width);
    let mut data = Vec::with_capacity(image.data.len());
    for y in 0..h {
        for x in 0..w {
            let (sx, sy) = f(x, y, image.width, image.height);
            data.extend_from_slice(image.pixel(sx, sy));
        }
    }
    Image::new(w, h, image.channels, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 3x2 image whose pixels are numbered 0..6 row by row (one channel repeated 3 times).
    fn numbered() -> Image {
        Image::new(3, 2, 3, (0..6u8).flat_map(|v| [v, v, v]).collect())
    }

    fn values(img: &Image) -> Vec<u8> {
        img.data.chunks(3).map(|p| p[0]).collect()
    }

    #[test]
    fn quarter_turns() {
        // 0 1 2        3 0
        // 3 4 5  -cw-> 4 1
        //              5 2
        let r = rotate(numbered(), 1);
        assert_eq!((r.width, r.height), (2, 3));
        assert_eq!(values(&r), vec![3, 0, 4, 1, 5, 2]);
        assert_eq!(values(&rotate(numbered(), 3)), vec![2, 5, 1, 4, 0, 3]);
        assert_eq!(values(&rotate(numbered(), 2)), vec![5, 4, 3, 2, 1, 0]);
        assert_eq!(rotate(rotate(numbered(), 1), 3), numbered());
    }

    #[test]
    fn flips_and_orientations() {
        assert_eq!(values(&flip_h(numbered())), vec![2, 1, 0, 5, 4, 3]);
        assert_eq!(values(&flip_v(numbered())), vec![3, 4, 5, 0, 1, 2]);
        assert_eq!(values(&orient(numbered(), 5)), vec![0, 3, 1, 4, 2, 5]); // transpose
        assert_eq!(values(&orient(numbered(), 7)), vec![5, 2, 4, 1, 3, 0]); // transverse
        for o in 1..=8 {
            let img = orient(numbered(), o);
            let dims = if o >= 5 { (2, 3) } else { (3, 2) };
            assert_eq!((img.width, img.height), dims, "orientation {o}");
        }
    }

    #[test]
    fn crop_bounds() {
        assert_eq!(values(&crop(&numbered(), 1, 1, 2, 1).unwrap()), vec![4, 5]);
        assert!(matches!(crop(&numbered(), 2, 0, 2, 1), Err(Error::CropOutOfBounds { .. })));
        assert!(crop(&numbered(), 0, 0, 0, 1).is_err());
        assert!(crop(&numbered(), u32::MAX, 0, 2, 1).is_err());
    }
}
