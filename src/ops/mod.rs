//! Operations recorded by the engine and applied in order after decoding. `Op` is the one
//! list: a recipe step's JSON (`{ "op": "resize", ... }`, made by the JavaScript table in
//! `lib/operations.js`) is read straight into it, and every use below matches it whole.

pub mod colour;
pub mod composite;
pub mod convolve;
pub mod crop_strategy;
pub mod extend;
pub mod geometry;
pub mod gravity;
pub mod resize;
pub mod tone;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::image::Image;
use crate::limits::Deadline;

pub use colour::Colour;
pub use composite::{Blend, Layer, Overlay};
pub use convolve::Sharpen;
pub use extend::{Extend, ExtendWith};
pub use gravity::{Gravity, Position, Strategy};
pub use resize::{Fit, Kernel, ResizeSpec};

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum Op {
    Resize(ResizeSpec),
    Crop { x: u32, y: u32, width: u32, height: u32 },
    /// Clockwise, 0, 90, 180 or 270.
    Rotate { degrees: u16 },
    FlipH,
    FlipV,
    Grayscale,
    /// -100..=100
    Brightness { value: i32 },
    /// -100..=100
    Contrast { value: i32 },
    Sharpen(Sharpen),
    /// A Gaussian blur of `sigma`, or a 3×3 box blur without one.
    Blur { sigma: Option<f32> },
    /// Merges alpha onto `background` and drops it.
    Flatten { background: Colour },
    Extend(Extend),
    /// Removes the border of one colour: `background`, or the top-left pixel's.
    Trim { background: Option<Colour>, threshold: f32 },
    /// One overlay drawn onto the image; its input is not JSON, so the binding builds it.
    #[serde(skip)]
    Composite(Box<Layer>),
}

/// What an operation may use besides its frame, and what it reports back.
pub struct Context<'a> {
    pub deadline: Deadline,
    /// Decodes a composite layer's input under the main image's limits and deadline.
    pub overlay: &'a dyn Fn(&Overlay) -> Result<Image>,
    pub report: Report,
}

/// What operations found out while running, for the metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Where a cover crop's region starts in the scaled image.
    pub crop_offset: Option<(u32, u32)>,
    /// What trim removed: top, right, bottom, left.
    pub trimmed: Option<[u32; 4]>,
}

impl Op {
    /// Reads one normalised recipe step (`{ "op": "blur", "sigma": 2 }`).
    pub fn from_step(json: &str) -> Result<Op> {
        serde_json::from_str(json).map_err(|e| Error::InvalidArgument(format!("recipe step {json}: {e}")))
    }

    /// The size of this operation's output for an input of `size`, without running it; for
    /// trim, which depends on the pixels, the largest it can be.
    pub fn output_size(&self, size: (u32, u32)) -> (u32, u32) {
        match *self {
            Op::Resize(ref spec) => spec.geometry(size.0, size.1).map_or(size, |p| p.canvas),
            Op::Crop { width, height, .. } => (width, height),
            Op::Rotate { degrees } if degrees % 180 == 90 => (size.1, size.0),
            Op::Extend(ref e) => (size.0 + e.left + e.right, size.1 + e.top + e.bottom),
            Op::Rotate { .. }
            | Op::FlipH
            | Op::FlipV
            | Op::Grayscale
            | Op::Brightness { .. }
            | Op::Contrast { .. }
            | Op::Sharpen(_)
            | Op::Blur { .. }
            | Op::Flatten { .. }
            | Op::Trim { .. }
            | Op::Composite(_) => size,
        }
    }

    /// Why this operation cannot run on each frame of an animation, if it cannot: each
    /// frame would get its own size or crop, and an animation has one.
    pub fn refused_per_frame(&self) -> Option<&'static str> {
        match self {
            Op::Trim { .. } => Some("trim() finds a different border on each frame"),
            Op::Resize(ResizeSpec { position: Position::Strategy(_), .. }) => Some("an entropy or attention crop picks a different region on each frame"),
            _ => None,
        }
    }

    /// Decoded pixels this operation holds besides its frame (a composite's overlay).

    pub fn extra_bytes(&self) -> Result<u64> {
        match self {
            Op::Composite(layer) => layer.input.decoded_bytes(),
            _ => Ok(0),
        }
    }

    pub fn apply(&self, image: Image, cx: &mut Context) -> Result<Image> {
        Ok(match *self {
            Op::Resize(ref spec) => resize::resize(image, spec, &mut cx.report)?,
            Op::Crop { x, y, width, height } => geometry::crop(&image, x, y, width, height)?,
            Op::Rotate { degrees } => geometry::rotate(image, (degrees / 90 % 4) as u8),
            Op::FlipH => geometry::flip_h(image),
            Op::FlipV => geometry::flip_v(image),
            Op::Grayscale => tone::grayscale(image),
            Op::Brightness { value } => tone::brightness(image, value),
            Op::Contrast { value } => tone::contrast(image, value),
            Op::Sharpen(ref s) => convolve::sharpen(image, s)?,
            Op::Blur { sigma } => convolve::blur(image, sigma)?,
            Op::Flatten { background } => image.flatten(background.rgb()),
            Op::Extend(ref e) => extend::extend(&image, e),
            Op::Trim { background, threshold } => {
                let (trimmed, removed) = extend::trim(image, background, threshold);
                cx.report.trimmed = Some(removed);
                trimmed
            }
            Op::Composite(ref layer) => {
                let overlay = (cx.overlay)(&layer.input)?;
                composite::composite(image, &overlay, layer)?
            }
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A context for operations that decode nothing.
    pub(crate) fn apply(op: &Op, image: Image) -> Result<Image> {
        let no_overlay = |_: &Overlay| Err(Error::Internal("no overlay in this test".into()));
        op.apply(image, &mut Context { deadline: Deadline::NONE, overlay: &no_overlay, report: Report::default() })
    }

    #[test]
    fn steps_read_from_json_as_the_javascript_table_writes_them() {
        let step = |s: &str| Op::from_step(s).unwrap();
        assert_eq!(step(r#"{"op":"flipH"}"#), Op::FlipH);
        assert_eq!(step(r#"{"op":"rotate","degrees":270}"#), Op::Rotate { degrees: 270 });
        assert_eq!(step(r#"{"op":"blur"}"#), Op::Blur { sigma: None });
        assert_eq!(step(r#"{"op":"flatten","background":[1,2,3,255]}"#), Op::Flatten { background: Colour([1, 2, 3, 255]) });
        let Op::Resize(r) = step(r#"{"op":"resize","width":300,"height":200,"fit":"cover","position":"attention","withoutEnlargement":true}"#) else { panic!() };
        assert_eq!((r.width, r.height, r.fit, r.position, r.without_enlargement), (Some(300), Some(200), Fit::Cover, Position::Strategy(Strategy::Attention), true));
        let Op::Extend(e) = step(r#"{"op":"extend","top":1,"right":2,"bottom":3,"left":4,"background":[0,0,0,0],"extendWith":"mirror"}"#) else { panic!() };
        assert_eq!((e.top, e.left, e.extend_with), (1, 4, ExtendWith::Mirror));
        let err = Op::from_step(r#"{"op":"resize","width":3,"fit":"squash"}"#).unwrap_err();
        assert!(err.to_string().contains("unknown fit 'squash'"), "{err}");
        assert!(Op::from_step(r#"{"op":"composite"}"#).is_err(), "a composite is never read from JSON");
    }
}
