//! Tone operations. Brightness and contrast go through a 256-entry lookup table; alpha is
//! never touched.

use crate::image::Image;

/// Rec. 709 luma, kept as three equal channels so every encoder accepts the result.
pub fn grayscale(mut image: Image) -> Image {
    let c = image.channels as usize;
    for p in image.data.chunks_exact_mut(c) {
        let y = (2126 * p[0] as u32 + 7152 * p[1] as u32 + 722 * p[2] as u32 + 5000) / 10000;
        p[..3].fill(y as u8);
    }
    image
}

/// Scales values by `1 + v/100`: -100 is black, 100 doubles every value.
pub fn brightness(image: Image, v: i32) -> Image {
    let factor = 1.0 + v as f32 / 100.0;
    map_colour(image, |x| x * factor)
}

/// Stretches values around mid-grey: -100 is flat grey, 100 is a near-threshold.
pub fn contrast(image: Image, v: i32) -> Image {
    let c = v as f32 * 2.55;
    let factor = (259.0 * (c + 255.0)) / (255.0 * (259.0 - c));
    map_colour(image, |x| (x - 128.0) * factor + 128.0)
}

fn map_colour(mut image: Image, f: impl Fn(f32) -> f32) -> Image {
    let lut: Vec<u8> = (0..=255).map(|x| f(x as f32).round().clamp(0.0, 255.0) as u8).collect();
    let c = image.channels as usize;
    for p in image.data.chunks_exact_mut(c) {
        for v in &mut p[..3] {
            *v = lut[*v as usize];
        }
    }
    image
}

#[cfg(test)]
mod tests {
    use super::*;

    fn px(rgb: [u8; 3]) -> Image {
        Image::new(1, 1, 4, vec![rgb[0], rgb[1], rgb[2], 77])
    }

    #[test]
    fn grayscale_equalises_channels_and_keeps_alpha() {
        let g = grayscale(px([255, 0, 0]));
        assert_eq!(g.data, vec![54, 54, 54, 77]);
    }

    #[test]
    fn brightness_and_contrast_extremes() {
        assert_eq!(brightness(px([100, 200, 50]), -100).data, vec![0, 0, 0, 77]);
        assert_eq!(brightness(px([100, 200, 50]), 50).data, vec![150, 255, 75, 77]);
        assert_eq!(brightness(px([100, 200, 50]), 0).data, vec![100, 200, 50, 77]);
        assert_eq!(contrast(px([10, 128, 250]), -100).data, vec![128, 128, 128, 77]);
        let hi = contrast(px([100, 128, 160]), 50).data;
        assert!(hi[0] < 100 && hi[1] == 128 && hi[2] > 160);
    }
}
