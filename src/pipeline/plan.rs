//! Planning before decoding: the header gives size and orientation, so a leading downscale
//! can be handed to the decoder (shrink-on-load, rows streamed into the resampler) and the
//! full-size frame is never held.

use super::Pipeline;
use crate::codecs::{DecodeTarget, Header};
use crate::ops::resize::{self, ResizeSpec};
use crate::ops::Op;

pub struct DecodePlan<'p> {
    /// What the decoder should deliver, in stored (not yet oriented) orientation.
    pub target: Option<DecodeTarget>,
    /// The fused resize, whose crop or padding still runs after orientation.
    pub fused: Option<(resize::ResizeGeometry, &'p ResizeSpec)>,
    /// Operations left to run after decoding.
    pub rest: &'p [Op],
}

pub fn plan<'p>(pipeline: &'p Pipeline, header: &Header) -> DecodePlan<'p> {
    let turned = pipeline.auto_orient && header.orientation >= 5;
    let (w, h) = if turned { (header.height, header.width) } else { (header.width, header.height) };
    if let Some((Op::Resize(spec), rest)) = pipeline.ops.split_first() {
        if let Some(p) = spec.geometry(w, h) {
            let (sw, sh) = p.scaled;
            if sw <= w && sh <= h {
                let (tw, th) = if turned { (sh, sw) } else { (sw, sh) };
                let target = DecodeTarget { width: tw, height: th, kernel: spec.kernel };
                return DecodePlan { target: Some(target), fused: Some((p, spec)), rest };
            }
        }
    }
    DecodePlan { target: None, fused: None, rest: &pipeline.ops }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Format;
    use crate::ops::{Fit, ResizeSpec};

    fn header(orientation: u8) -> Header {
        Header { format: Format::Jpeg, width: 4000, height: 3000, has_alpha: false, orientation, has_icc: false, decoder_bytes: 0 }
    }

    fn resize_first(width: u32, height: Option<u32>, fit: Fit) -> Pipeline {
        let mut p = Pipeline::default();
        p.push(Op::Resize(ResizeSpec { width: Some(width), height, fit, ..Default::default() }));
        p.push(Op::Grayscale);
        p
    }

    #[test]
    fn fuses_a_leading_downscale_in_stored_orientation() {
        let p = resize_first(300, None, Fit::Inside);
        let plan = plan(&p, &header(1));
        assert_eq!(plan.target.map(|t| (t.width, t.height)), Some((300, 225)));
        assert_eq!(plan.rest, &[Op::Grayscale]);
        // Orientation 6 displays 3000x4000: 300 wide is 400 tall, stored as 400x300.
        let plan = super::plan(&p, &header(6));
        assert_eq!(plan.target.map(|t| (t.width, t.height)), Some((400, 300)));
        let cover = resize_first(500, Some(500), Fit::Cover);
        let plan = super::plan(&cover, &header(1));
        assert_eq!(plan.target.map(|t| (t.width, t.height)), Some((667, 500)));
        assert_eq!(plan.fused.map(|f| f.0.canvas), Some((500, 500)));
    }

    #[test]
    fn leaves_upscales_and_other_first_ops_alone() {
        assert!(plan(&resize_first(8000, None, Fit::Inside), &header(1)).target.is_none());
        let mut p = Pipeline::default();
        p.push(Op::Rotate { degrees: 90 });
        p.push(Op::Resize(ResizeSpec { width: Some(100), ..Default::default() }));
        let plan = plan(&p, &header(1));
        assert!(plan.target.is_none());
        assert_eq!(plan.rest.len(), 2);
    }
}
