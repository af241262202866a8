//! Resizing with fast_image_resize (SIMD convolution). RGBA is premultiplied while
//! resampling (the crate's `use_alpha`), so transparent pixels never bleed colour.

use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use crate::error::{Error, Result};
use crate::image::Image;

/// How the image is fitted when both width and height are given (sharp's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Fit {
    /// Keep aspect; as large as possible while inside the box.
    #[default]
    Inside,
    /// Keep aspect; fill the box and crop the overflow, centred.
    Cover,
    /// Ignore aspect; exactly the box.
    Fill,
    /// Keep aspect; inside the box, padded to the box (transparent, or black when opaque).
    Contain,
    /// Keep aspect; as small as possible while covering the box.
    Outside,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Kernel {
    Nearest,
    Linear,
    Cubic,
    Mitchell,
    #[default]
    Lanczos3,
}

impl Fit {
    pub fn parse(s: &str) -> Result<Fit> {
        Ok(match s {
            "inside" => Fit::Inside,
            "cover" => Fit::Cover,
            "fill" => Fit::Fill,
            "contain" => Fit::Contain,
            "outside" => Fit::Outside,
            _ => return Err(Error::InvalidArgument(format!(
                "unknown fit '{s}'; use one of inside, cover, fill, contain, outside"
            ))),
        })
    }
}

impl Kernel {
    pub fn parse(s: &str) -> Result<Kernel> {
        Ok(match s {
            "nearest" => Kernel::Nearest,
            "linear" => Kernel::Linear,
            "cubic" => Kernel::Cubic,
            "mitchell" => Kernel::Mitchell,
            "lanczos3" => Kernel::Lanczos3,
            _ => return Err(Error::InvalidArgument(format!(
                "unknown kernel '{s}'; use one of nearest, linear, cubic, mitchell, lanczos3"
            ))),
        })
    }

    fn algorithm(self) -> ResizeAlg {
        match self {
            Kernel::Nearest => ResizeAlg::Nearest,
            Kernel::Linear => ResizeAlg::Convolution(FilterType::Bilinear),
            Kernel::Cubic => ResizeAlg::Convolution(FilterType::CatmullRom),
            Kernel::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            Kernel::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResizeSpec {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub kernel: Kernel,
    /// Leave the image as it is when the resize would enlarge it.
    pub without_enlargement: bool,
}

/// The geometry a spec yields on a given source: resample to `scaled`, then either take it
/// as is, crop its centre to `canvas` (cover) or pad it to `canvas` (contain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub scaled: (u32, u32),
    pub canvas: (u32, u32),
}

impl ResizeSpec {
    /// `None` when the image stays as it is.
    pub fn plan(&self, src_w: u32, src_h: u32) -> Option<Plan> {
        let (sw, sh) = (src_w as f64, src_h as f64);
        let scale = |s: f64| ((sw * s).round().max(1.0) as u32, (sh * s).round().max(1.0) as u32);
        let keep = |dims| Plan { scaled: dims, canvas: dims };
        let plan = match (self.width, self.height) {
            (None, None) => return None,
            (Some(w), None) => keep((w, (sh * w as f64 / sw).round().max(1.0) as u32)),
            (None, Some(h)) => keep(((sw * h as f64 / sh).round().max(1.0) as u32, h)),
            (Some(w), Some(h)) => {
                let (fw, fh) = (w as f64 / sw, h as f64 / sh);
                // The side that limits the scale is set exactly to the box, not rounded.
                let fitted = |by_width: bool| if by_width {
                    (w, scale(fw).1)
                } else {
                    (scale(fh).0, h)
                };
                match self.fit {
                    Fit::Fill => keep((w, h)),
                    Fit::Inside => keep(fitted(fw <= fh)),
                    Fit::Outside => keep(fitted(fw >= fh)),
                    Fit::Cover => Plan { scaled: fitted(fw >= fh), canvas: (w, h) },
                    Fit::Contain => Plan { scaled: fitted(fw <= fh), canvas: (w, h) },
                }
            }
        };
        let enlarges = plan.scaled.0 > src_w || plan.scaled.1 > src_h;
        let unchanged = plan.scaled == (src_w, src_h) && plan.canvas == plan.scaled;
        (!unchanged && !(self.without_enlargement && enlarges)).then_some(plan)
    }
}

pub fn resize(image: Image, spec: &ResizeSpec) -> Result<Image> {
    let Some(plan) = spec.plan(image.width, image.height) else { return Ok(image) };
    let pixel_type = if image.has_alpha() { PixelType::U8x4 } else { PixelType::U8x3 };
    let src = ImageRef::new(image.width, image.height, &image.data, pixel_type).map_err(internal)?;
    let mut options = ResizeOptions::new().resize_alg(spec.kernel.algorithm());
    let target = if plan.canvas != plan.scaled && spec.fit == Fit::Cover {
        // Crop the source to the box's aspect and resample straight to the box.
        options = options.fit_into_destination(Some((0.5, 0.5)));
        plan.canvas
    } else {
        plan.scaled
    };
    let mut dst = FirImage::new(target.0, target.1, pixel_type);
    Resizer::new().resize(&src, &mut dst, &options).map_err(internal)?;
    let resized = Image::new(target.0, target.1, image.channels, dst.into_vec());
    drop(image);
    Ok(if target != plan.canvas { pad(&resized, plan.canvas) } else { resized })
}

/// Centres `image` on a canvas: transparent when it has alpha, black otherwise.
fn pad(image: &Image, (w, h): (u32, u32)) -> Image {
    let c = image.channels as usize;
    let mut data = vec![0u8; w as usize * h as usize * c];
    let (ox, oy) = ((w - image.width) / 2, (h - image.height) / 2);
    let row = image.stride();
    for y in 0..image.height as usize {
        let dst = ((oy as usize + y) * w as usize + ox as usize) * c;
        data[dst..dst + row].copy_from_slice(&image.data[y * row..(y + 1) * row]);
    }
    Image::new(w, h, image.channels, data)
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("resize: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn spec(w: Option<u32>, h: Option<u32>, fit: Fit) -> ResizeSpec {
        ResizeSpec { width: w, height: h, fit, ..Default::default() }
    }

    fn out_dims(s: &ResizeSpec, w: u32, h: u32) -> (u32, u32) {
        s.plan(w, h).map(|p| p.canvas).unwrap_or((w, h))
    }

    #[test]
    fn fit_modes_give_the_right_size() {
        let (w, h) = (400, 200);
        assert_eq!(out_dims(&spec(Some(100), None, Fit::Inside), w, h), (100, 50));
        assert_eq!(out_dims(&spec(None, Some(100), Fit::Inside), w, h), (200, 100));
        assert_eq!(out_dims(&spec(Some(100), Some(100), Fit::Inside), w, h), (100, 50));
        assert_eq!(out_dims(&spec(Some(100), Some(100), Fit::Outside), w, h), (200, 100));
        assert_eq!(out_dims(&spec(Some(100), Some(100), Fit::Cover), w, h), (100, 100));
        assert_eq!(out_dims(&spec(Some(100), Some(100), Fit::Contain), w, h), (100, 100));
        assert_eq!(out_dims(&spec(Some(100), Some(30), Fit::Fill), w, h), (100, 30));
        let mut grow = spec(Some(800), None, Fit::Inside);
        assert_eq!(out_dims(&grow, w, h), (800, 400));
        grow.without_enlargement = true;
        assert_eq!(grow.plan(w, h), None);
        assert_eq!(spec(Some(400), None, Fit::Inside).plan(w, h), None);
    }

    #[test]
    fn resizes_pixels_for_every_fit() {
        for fit in [Fit::Inside, Fit::Cover, Fit::Fill, Fit::Contain, Fit::Outside] {
            for alpha in [false, true] {
                let s = spec(Some(50), Some(50), fit);
                let out = resize(photo(160, 90, alpha), &s).unwrap();
                assert_eq!((out.width, out.height), out_dims(&s, 160, 90), "{fit:?}");
                assert_eq!(out.data.len(), out.stride() * out.height as usize);
            }
        }
    }

    #[test]
    fn premultiplied_alpha_does_not_bleed() {
        // Left half opaque red, right half fully transparent green: the edge must stay red.
        let mut data = Vec::new();
        for _y in 0..8 {
            for x in 0..16 {
                data.extend_from_slice(if x < 8 { &[255, 0, 0, 255] } else { &[0, 255, 0, 0] });
            }
        }
        let out = resize(Image::new(16, 8, 4, data), &spec(Some(4), None, Fit::Inside)).unwrap();
        let edge = out.pixel(1, 1);
        assert!(edge[3] > 0 && edge[1] < 8, "green bled into {edge:?}");
    }

    #[test]
    fn contain_pads_transparent() {
        let out = resize(photo(100, 50, true), &spec(Some(60), Some(60), Fit::Contain)).unwrap();
        assert_eq!(out.pixel(0, 0)[3], 0);
        assert!(out.pixel(30, 30)[3] > 0);
    }
}
