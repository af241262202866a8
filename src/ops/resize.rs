//! Resizing with fast_image_resize (SIMD convolution). RGBA is premultiplied while
//! resampling (the crate's `use_alpha`), so transparent pixels never bleed colour.

use fast_image_resize::images::{Image as FirImage, ImageRef};
use fast_image_resize::{FilterType, MulDiv, PixelType, ResizeAlg, ResizeOptions, Resizer};

use serde::Deserialize;

use super::colour::Colour;
use super::gravity::Position;
use super::{crop_strategy, extend, geometry, Report};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::names::named;

named! {
    /// How the image is fitted when both width and height are given (sharp's names).
    #[derive(Default)]
    pub enum Fit "fit" {
        /// Keep aspect; as large as possible while inside the box.
        #[default]
        Inside = "inside",
        /// Keep aspect; fill the box and crop the overflow (at `position`).
        Cover = "cover",
        /// Ignore aspect; exactly the box.
        Fill = "fill",
        /// Keep aspect; inside the box, padded to the box with `background` (by default
        /// transparent, or black when opaque).
        Contain = "contain",
        /// Keep aspect; as small as possible while covering the box.
        Outside = "outside",
    }
}

named! {
    /// The resampling filter.
    #[derive(Default)]
    pub enum Kernel "kernel" {
        Nearest = "nearest",
        Linear = "linear",
        Cubic = "cubic",
        Mitchell = "mitchell",
        #[default]
        Lanczos3 = "lanczos3",
    }
}

impl Kernel {
    fn algorithm(self) -> ResizeAlg {
        match self {
            Kernel::Nearest => ResizeAlg::Nearest,
            Kernel::Linear => ResizeAlg::Convolution(FilterType::Bilinear),
            Kernel::Cubic => ResizeAlg::Convolution(FilterType::CatmullRom),
            Kernel::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            Kernel::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }

    /// The filter's half-width at scale 1, in pixels.
    fn support(self) -> f64 {
        match self {
            Kernel::Nearest | Kernel::Linear => 1.0,
            Kernel::Cubic | Kernel::Mitchell => 2.0,
            Kernel::Lanczos3 => 3.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResizeSpec {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub fit: Fit,
    pub kernel: Kernel,
    /// Leave the image as it is when the resize would enlarge it.
    pub without_enlargement: bool,
    /// Which part a cover crop keeps.
    pub position: Position,
    /// What contain pads with.
    pub background: Option<Colour>,
}

/// The geometry a spec yields on a given source: resample to `scaled`, then either take it
/// as is, crop it to `canvas` (cover) or pad it to `canvas` (contain).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizeGeometry {
    pub scaled: (u32, u32),
    pub canvas: (u32, u32),
}

impl ResizeSpec {
    /// `None` when the image stays as it is.
    pub fn geometry(&self, src_w: u32, src_h: u32) -> Option<ResizeGeometry> {
        let (sw, sh) = (src_w as f64, src_h as f64);
        let scale = |s: f64| ((sw * s).round().max(1.0) as u32, (sh * s).round().max(1.0) as u32);
        let keep = |dims| ResizeGeometry { scaled: dims, canvas: dims };
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
                    Fit::Cover => ResizeGeometry { scaled: fitted(fw >= fh), canvas: (w, h) },
                    Fit::Contain => ResizeGeometry { scaled: fitted(fw <= fh), canvas: (w, h) },
                }
            }
        };
        let enlarges = plan.scaled.0 > src_w || plan.scaled.1 > src_h;
        let unchanged = plan.scaled == (src_w, src_h) && plan.canvas == plan.scaled;
        (!unchanged && !(self.without_enlargement && enlarges)).then_some(plan)
    }
}

pub fn resize(image: Image, spec: &ResizeSpec, report: &mut Report) -> Result<Image> {
    match spec.geometry(image.width, image.height) {
        Some(plan) => finish(scale(image, plan.scaled, spec.kernel)?, &plan, spec, report),
        None => Ok(image),
    }
}

/// Resamples to exactly `size`; the plan has already decided the aspect.
pub fn scale(image: Image, size: (u32, u32), kernel: Kernel) -> Result<Image> {
    if size == (image.width, image.height) {
        return Ok(image);
    }
    let pixel_type = pixel_type(image.channels);
    let src = ImageRef::new(image.width, image.height, &image.data, pixel_type).map_err(internal)?;
    let mut dst = FirImage::new(size.0, size.1, pixel_type);
    let options = ResizeOptions::new().resize_alg(kernel.algorithm());
    Resizer::new().resize(&src, &mut dst, &options).map_err(internal)?;
    Ok(Image::new(size.0, size.1, image.channels, dst.into_vec()))
}

/// Brings a scaled image to the plan's canvas: the crop at `spec.position` (cover, its
/// offset reported) or the padding with `spec.background` (contain).
pub fn finish(image: Image, plan: &ResizeGeometry, spec: &ResizeSpec, report: &mut Report) -> Result<Image> {
    let (w, h) = plan.canvas;
    if (image.width, image.height) == (w, h) {
        Ok(image)
    } else if image.width >= w && image.height >= h {
        let (x, y) = match spec.position {
            Position::Gravity(g) => {
                let (x, y) = g.place((image.width, image.height), (w, h));
                (x as u32, y as u32)
            }
            Position::Strategy(s) => crop_strategy::choose(&image, (w, h), s),
        };
        report.crop_offset = Some((x, y));
        geometry::crop(&image, x, y, w, h)
    } else {
        let (x, y) = ((w - image.width) / 2, (h - image.height) / 2);
        let background = spec.background.unwrap_or(if image.has_alpha() { Colour::TRANSPARENT } else { Colour::BLACK });
        let sides = extend::Extend::background([y, w - image.width - x, h - image.height - y, x], background);
        Ok(extend::extend(&image, &sides))
    }
}

fn pixel_type(channels: u8) -> PixelType {
    if channels == 4 { PixelType::U8x4 } else { PixelType::U8x3 }
}

/// Downscales a frame that arrives as blocks of rows, holding neither the decoded frame nor
/// the horizontally resampled one. Each block is resampled horizontally as it arrives into a
/// sliding window of intermediate rows; as soon as the window covers the filter support of
/// the next output rows, they are resampled vertically (a crop of the window, so the filter
/// sees the same neighbours as a whole-frame resize) and the rows no later output needs are
/// dropped. Alpha is premultiplied for both passes.
pub struct RowResampler {
    src: (u32, u32),
    dst: (u32, u32),
    channels: u8,
    options: ResizeOptions,
    resizer: Resizer,
    /// Source rows per output row.
    step: f64,
    /// Half the vertical filter window, in source rows.
    radius: f64,
    /// Intermediate (target width) rows `window_top .. rows`.
    window: Vec<u8>,
    window_top: u32,
    /// Source rows received so far.
    rows: u32,
    /// The output frame, filled top to bottom; `done` rows are final.
    out: Vec<u8>,
    done: u32,
}

impl RowResampler {
    pub fn new(src: (u32, u32), channels: u8, dst: (u32, u32), kernel: Kernel) -> RowResampler {
        let step = src.1 as f64 / dst.1 as f64;
        RowResampler {
            src,
            dst,
            channels,
            options: ResizeOptions::new().resize_alg(kernel.algorithm()).use_alpha(false),
            resizer: Resizer::new(),
            step,
            // fast_image_resize widens the kernel by the scale when downscaling; one row of
            // margin absorbs its rounding.
            radius: kernel.support() * step.max(1.0) + 1.0,
            window: Vec::new(),
            window_top: 0,
            rows: 0,
            out: vec![0; dst.0 as usize * dst.1 as usize * channels as usize],
            done: 0,
        }
    }

    fn row_bytes(&self) -> usize {
        self.dst.0 as usize * self.channels as usize
    }

    /// The source rows output row `y` reads.
    fn support(&self, y: u32) -> (u32, u32) {
        let centre = (y as f64 + 0.5) * self.step;
        let top = (centre - self.radius).floor().max(0.0) as u32;
        let bottom = ((centre + self.radius).ceil() as u32).min(self.src.1);
        (top, bottom)
    }

    /// `block` holds whole source rows, top to bottom; alpha is premultiplied in place.
    pub fn push(&mut self, block: &mut [u8]) -> Result<()> {
        let c = self.channels as usize;
        let n = (block.len() / (self.src.0 as usize * c)) as u32;
        if n == 0 || self.rows + n > self.src.1 {
            return Err(Error::Internal("row block does not fit the frame".into()));
        }
        let pt = pixel_type(self.channels);
        let mut src = FirImage::from_slice_u8(self.src.0, n, block, pt).map_err(internal)?;
        if c == 4 {
            MulDiv::default().multiply_alpha_inplace(&mut src).map_err(internal)?;
        }
        let start = self.window.len();
        self.window.resize(start + n as usize * self.row_bytes(), 0);
        let mut dst = FirImage::from_slice_u8(self.dst.0, n, &mut self.window[start..], pt).map_err(internal)?;
        self.resizer.resize(&src, &mut dst, &self.options).map_err(internal)?;
        self.rows += n;
        self.emit()
    }

    /// Resamples vertically every output row whose support has arrived, then drops the
    /// intermediate rows that no remaining output row reads.
    fn emit(&mut self) -> Result<()> {
        let first = self.done;
        let mut last = first;
        while last < self.dst.1 && self.support(last).1 <= self.rows {
            last += 1;
        }
        if last == first {
            return Ok(());
        }
        let pt = pixel_type(self.channels);
        let row = self.row_bytes();
        let window_rows = self.rows - self.window_top;
        let top = (first as f64 * self.step - self.window_top as f64).max(0.0);
        let height = ((last - first) as f64 * self.step).min(window_rows as f64 - top);
        let window = ImageRef::new(self.dst.0, window_rows, &self.window, pt).map_err(internal)?;
        let band = &mut self.out[first as usize * row..last as usize * row];
        let mut dst = FirImage::from_slice_u8(self.dst.0, last - first, band, pt).map_err(internal)?;
        let options = self.options.crop(0.0, top, self.dst.0 as f64, height);
        self.resizer.resize(&window, &mut dst, &options).map_err(internal)?;
        if self.channels == 4 {
            MulDiv::default().divide_alpha_inplace(&mut dst).map_err(internal)?;
        }
        self.done = last;
        if last < self.dst.1 {
            let keep_from = self.support(last).0.clamp(self.window_top, self.rows);
            self.window.drain(..(keep_from - self.window_top) as usize * row);
            self.window_top = keep_from;
        }
        Ok(())
    }

    pub fn finish(self) -> Result<Image> {
        if self.rows != self.src.1 || self.done != self.dst.1 {
            return Err(Error::Internal(format!("frame ended after {} of {} rows", self.rows, self.src.1)));
        }
        Ok(Image::new(self.dst.0, self.dst.1, self.channels, self.out))
    }
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
        s.geometry(w, h).map(|p| p.canvas).unwrap_or((w, h))
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
        assert_eq!(grow.geometry(w, h), None);
        assert_eq!(spec(Some(400), None, Fit::Inside).geometry(w, h), None);
    }

    #[test]
    fn resizes_pixels_for_every_fit() {
        for fit in [Fit::Inside, Fit::Cover, Fit::Fill, Fit::Contain, Fit::Outside] {
            for alpha in [false, true] {
                let s = spec(Some(50), Some(50), fit);
                let out = resize(photo(160, 90, alpha), &s, &mut Report::default()).unwrap();
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
        let out = resize(Image::new(16, 8, 4, data), &spec(Some(4), None, Fit::Inside), &mut Report::default()).unwrap();
        let edge = out.pixel(1, 1);
        assert!(edge[3] > 0 && edge[1] < 8, "green bled into {edge:?}");
    }

    #[test]
    fn row_resampler_matches_the_whole_frame_resize() {
        let kernels = [Kernel::Lanczos3, Kernel::Mitchell, Kernel::Linear, Kernel::Nearest];
        for (kernel, alpha) in kernels.iter().flat_map(|&k| [(k, false), (k, true)]) {
            let img = photo(300, 200, alpha);
            for (dst, block_rows) in [((70, 45), 16), ((37, 13), 1), ((150, 199), 7), ((300, 120), 32)] {
                let whole = scale(img.clone(), dst, kernel).unwrap();
                let mut rows = RowResampler::new((300, 200), img.channels, dst, kernel);
                let mut data = img.data.clone();
                for block in data.chunks_mut(img.stride() * block_rows) {
                    rows.push(block).unwrap();
                }
                let streamed = rows.finish().unwrap();
                let diff = crate::codecs::tests::mean_abs_diff(&whole, &streamed);
                assert!(diff < 0.6, "{kernel:?} alpha={alpha} {dst:?}: differs by {diff}");
            }
        }
    }

    #[test]
    fn row_resampler_keeps_only_a_window_of_rows() {
        let img = photo(400, 1000, false);
        let mut rows = RowResampler::new((400, 1000), 3, (100, 250), Kernel::Lanczos3);
        let mut data = img.data.clone();
        let mut most = 0;
        for block in data.chunks_mut(img.stride() * 32) {
            rows.push(block).unwrap();
            most = most.max(rows.window.len() / rows.row_bytes());
        }
        // Lanczos3 at a 4× reduction reads 24 rows around each output row; a block is 32.
        assert!(most <= 32 + 30, "window grew to {most} rows");
        assert_eq!(rows.finish().unwrap().height, 250);
    }

    #[test]
    fn contain_pads_transparent() {
        let out = resize(photo(100, 50, true), &spec(Some(60), Some(60), Fit::Contain), &mut Report::default()).unwrap();
        assert_eq!(out.pixel(0, 0)[3], 0);
        assert!(out.pixel(30, 30)[3] > 0);
        let mut red = spec(Some(60), Some(60), Fit::Contain);
        red.background = Some(Colour([255, 0, 0, 255]));
        let out = resize(photo(100, 50, false), &red, &mut Report::default()).unwrap();
        assert_eq!((out.channels, out.pixel(0, 0)), (3, &[255, 0, 0][..]));
    }

    #[test]
    fn cover_crops_at_the_gravity_and_reports_the_offset() {
        use crate::ops::gravity::Gravity;
        let mut s = spec(Some(50), Some(50), Fit::Cover);
        for (g, offset) in [(Gravity::Centre, (39, 0)), (Gravity::East, (77, 0)), (Gravity::NorthWest, (0, 0))] {
            s.position = Position::Gravity(g);
            let mut report = Report::default();
            let out = resize(photo(160, 63, false), &s, &mut report).unwrap();
            assert_eq!((out.width, out.height, report.crop_offset), (50, 50, Some(offset)), "{g:?}");
        }
    }
}
