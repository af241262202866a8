//! Sharpen and blur. Gaussian and box blurs come from `libblur` (separable, SIMD); the
//! sharpen follows libvips' unsharp mask on lightness so a sharpened output looks like
//! sharp's, and its piecewise response is written here.

use libblur::{BlurImage, BlurImageMut, BoxBlurParameters, ConvolutionMode, EdgeMode, EdgeMode2D, FastBlurChannels, GaussianBlurParams, IeeeBinaryConvolutionMode, ThreadingPolicy};
use serde::Deserialize;

use super::colour::{from_lab, to_lab};
use crate::error::{Error, Result};
use crate::image::Image;

/// sharp's `sharpen({ sigma, m1, m2, x1, y2, y3 })`; without `sigma`, a fast mild sharpen.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default)]
pub struct Sharpen {
    /// The Gaussian's sigma, in pixels: the size of the detail that is sharpened.
    pub sigma: Option<f32>,
    /// Gain for differences up to `x1` (flat areas).
    pub m1: f32,
    /// Gain for larger differences (edges).
    pub m2: f32,
    /// Where flat ends and jagged begins, in L* units (0–100).
    pub x1: f32,
    /// The most a pixel is brightened, in L* units.
    pub y2: f32,
    /// The most a pixel is darkened, in L* units.
    pub y3: f32,
}

impl Default for Sharpen {
    fn default() -> Sharpen {
        Sharpen { sigma: None, m1: 1.0, m2: 2.0, x1: 2.0, y2: 10.0, y3: 20.0 }
    }
}

impl Sharpen {
    /// The correction added to a pixel's lightness whose difference from its blur is `d`.
    fn response(&self, d: f32) -> f32 {
        let y = if d < -self.x1 {
            (d + self.x1) * self.m2 - self.x1 * self.m1
        } else if d < self.x1 {
            d * self.m1
        } else {
            (d - self.x1) * self.m2 + self.x1 * self.m1
        };
        y.clamp(-self.y3, self.y2)
    }
}

pub fn sharpen(image: Image, s: &Sharpen) -> Result<Image> {
    match s.sigma {
        None => Ok(mild_sharpen(image)),
        Some(sigma) => unsharp_lightness(image, sigma, s),
    }
}

/// libvips' mask size for a Gaussian of `sigma` (sharp's `minAmpl` 0.2): the taps whose
/// weight is at least a fifth of the centre's.
fn kernel_size(sigma: f32) -> u32 {
    2 * (sigma as f64 * (2.0 * 5f64.ln()).sqrt()).floor() as u32 + 1
}

/// Blurs lightness, and moves each pixel's lightness away from its blur by `response`.
fn unsharp_lightness(mut image: Image, sigma: f32, s: &Sharpen) -> Result<Image> {
    let (w, h, c) = (image.width, image.height, image.channels as usize);
    let lab: Vec<[f32; 3]> = image.data.chunks_exact(c).map(to_lab).collect();
    let lightness: Vec<f32> = lab.iter().map(|p| p[0]).collect();
    let mut blurred = vec![0f32; lightness.len()];
    let src = BlurImage::borrow(&lightness, w, h, FastBlurChannels::Plane);
    let mut dst = BlurImageMut::borrow(&mut blurred, w, h, FastBlurChannels::Plane);
    let params = GaussianBlurParams::new(kernel_size(sigma).max(3), sigma as f64);
    libblur::gaussian_blur_f32(&src, &mut dst, params, EdgeMode2D::new(EdgeMode::Clamp), ThreadingPolicy::Single, IeeeBinaryConvolutionMode::Normal).map_err(internal)?;
    for ((p, [l, a, b]), soft) in image.data.chunks_exact_mut(c).zip(lab).zip(blurred) {
        let sharpened = (l + s.response(l - soft)).clamp(0.0, 100.0);
        if sharpened != l {
            from_lab([sharpened, a, b], p);
        }
    }
    Ok(image)
}

/// The 3×3 kernel sharp uses without a sigma: centre 32, neighbours -1, over 24.
fn mild_sharpen(image: Image) -> Image {
    convolve3(image, |sum_neighbours, centre| (centre * 32 - sum_neighbours) as f32 / 24.0)
}

/// Applies a 3×3 filter to the colour channels (edges repeated), alpha kept: `f(sum of the
/// eight neighbours, centre)`.
fn convolve3(image: Image, f: impl Fn(i32, i32) -> f32) -> Image {
    let (w, h, c) = (image.width as i64, image.height as i64, image.channels as usize);
    let at = |x: i64, y: i64, k: usize| image.data[((y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize) * c + k] as i32;
    let mut out = image.data.clone();
    for y in 0..h {
        for x in 0..w {
            for k in 0..3 {
                let mut neighbours = 0;
                for (dx, dy) in [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)] {
                    neighbours += at(x + dx, y + dy, k);
                }
                out[((y * w + x) as usize) * c + k] = f(neighbours, at(x, y, k)).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Image { data: out, ..image }
}

/// A Gaussian blur of `sigma` (libvips' mask size), or a 3×3 box blur without one. Alpha
/// is premultiplied while blurring, so transparent pixels lend no colour.
pub fn blur(image: Image, sigma: Option<f32>) -> Result<Image> {
    let (w, h) = (image.width, image.height);
    let channels = if image.has_alpha() { FastBlurChannels::Channels4 } else { FastBlurChannels::Channels3 };
    let alpha = image.has_alpha();
    let mut input = image;
    if alpha {
        premultiply(&mut input.data);
    }
    let mut out = vec![0u8; input.data.len()];
    let src = BlurImage::borrow(&input.data, w, h, channels);
    let mut dst = BlurImageMut::borrow(&mut out, w, h, channels);
    match sigma {
        Some(sigma) => {
            let params = GaussianBlurParams::new(kernel_size(sigma).max(3), sigma as f64);
            libblur::gaussian_blur(&src, &mut dst, params, EdgeMode2D::new(EdgeMode::Clamp), ThreadingPolicy::Single, ConvolutionMode::Exact)
        }
        None => libblur::box_blur(&src, &mut dst, BoxBlurParameters { x_axis_kernel: 3, y_axis_kernel: 3 }, ThreadingPolicy::Single),
    }
    .map_err(internal)?;
    if alpha {
        unpremultiply(&mut out);
    }
    Ok(Image { data: out, ..input })
}

fn premultiply(rgba: &mut [u8]) {
    for p in rgba.chunks_exact_mut(4) {
        let a = p[3] as u32;
        for v in &mut p[..3] {
            *v = ((*v as u32 * a + 127) / 255) as u8;
        }
    }
}

fn unpremultiply(rgba: &mut [u8]) {
    for p in rgba.chunks_exact_mut(4) {
        let a = p[3] as u32;
        if a > 0 && a < 255 {
            for v in &mut p[..3] {
                *v = ((*v as u32 * 255 + a / 2) / a).min(255) as u8;
            }
        }
    }
}

fn internal(e: impl std::fmt::Debug) -> Error {
    Error::Internal(format!("blur: {e:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    /// The mean absolute difference between neighbouring pixels: higher is sharper.
    fn detail(img: &Image) -> f64 {
        let c = img.channels as usize;
        let row = img.stride();
        let sum: u64 = img.data.chunks_exact(row).flat_map(|r| r.windows(c + 1).step_by(c).map(|w| w[0].abs_diff(w[c]) as u64)).sum();
        sum as f64 / img.data.len() as f64
    }

    #[test]
    fn blur_softens_sharpen_crispens_and_alpha_is_kept() {
        let img = photo(120, 80, true);
        let base = detail(&img);
        for (sharp, soft) in [(sharpen(img.clone(), &Sharpen::default()).unwrap(), blur(img.clone(), None).unwrap()), (sharpen(img.clone(), &Sharpen { sigma: Some(1.5), ..Sharpen::default() }).unwrap(), blur(img.clone(), Some(2.0)).unwrap())] {
            assert!(detail(&sharp) > base, "{} vs {base}", detail(&sharp));
            assert!(detail(&soft) < base * 0.95, "{} vs {base}", detail(&soft));
            assert!(sharp.data.chunks(4).zip(img.data.chunks(4)).all(|(a, b)| a[3] == b[3]), "sharpen leaves alpha");
        }
    }

    #[test]
    fn a_flat_image_stays_flat_and_the_response_is_libvips_shape() {
        let flat = Image::new(9, 9, 3, vec![90; 243]);
        assert_eq!(sharpen(flat.clone(), &Sharpen { sigma: Some(2.0), ..Sharpen::default() }).unwrap(), flat);
        assert_eq!(blur(flat.clone(), Some(3.0)).unwrap(), flat);
        let s = Sharpen::default();
        assert_eq!((s.response(1.0), s.response(3.0), s.response(-3.0)), (1.0, 4.0, -4.0));
        assert_eq!((s.response(50.0), s.response(-50.0)), (10.0, -20.0));
        assert_eq!((kernel_size(1.0), kernel_size(2.0)), (3, 7));
    }

    #[test]
    fn premultiplied_blur_lends_no_colour_from_transparent_pixels() {
        let mut data = Vec::new();
        for _ in 0..8 {
            for x in 0..8 {
                data.extend_from_slice(if x < 4 { &[255, 0, 0, 255] } else { &[0, 255, 0, 0] });
            }
        }
        let out = blur(Image::new(8, 8, 4, data), Some(1.0)).unwrap();
        let edge = out.pixel(4, 4);
        assert!(edge[3] > 0 && edge[1] < 4, "green bled into {edge:?}");
    }
}
