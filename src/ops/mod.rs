//! Operations recorded by the engine and applied in order after decoding.

pub mod geometry;
pub mod resize;
pub mod tone;

use crate::error::Result;
use crate::image::Image;

pub use resize::{Fit, Kernel, ResizeSpec};

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Resize(ResizeSpec),
    Crop { x: u32, y: u32, width: u32, height: u32 },
    /// Clockwise quarter turns, 0–3.
    Rotate(u8),
    FlipH,
    FlipV,
    Grayscale,
    /// -100..=100
    Brightness(i32),
    /// -100..=100
    Contrast(i32),
}

impl Op {
    /// The size of this operation's output for an input of `size`, without running it.
    pub fn output_size(&self, size: (u32, u32)) -> (u32, u32) {
        match *self {
            Op::Resize(ref spec) => spec.geometry(size.0, size.1).map_or(size, |p| p.canvas),
            Op::Crop { width, height, .. } => (width, height),
            Op::Rotate(turns) if turns % 2 == 1 => (size.1, size.0),
            Op::Rotate(_) | Op::FlipH | Op::FlipV | Op::Grayscale | Op::Brightness(_) | Op::Contrast(_) => size,
        }
    }

    pub fn apply(&self, image: Image) -> Result<Image> {
        Ok(match *self {
            Op::Resize(ref spec) => resize::resize(image, spec)?,
            Op::Crop { x, y, width, height } => geometry::crop(&image, x, y, width, height)?,
            Op::Rotate(turns) => geometry::rotate(image, turns),
            Op::FlipH => geometry::flip_h(image),
            Op::FlipV => geometry::flip_v(image),
            Op::Grayscale => tone::grayscale(image),
            Op::Brightness(v) => tone::brightness(image, v),
            Op::Contrast(v) => tone::contrast(image, v),
        })
    }
}
