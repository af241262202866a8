//! Frames: a still image is one frame; an animation is a sequence of frames, each already
//! composited onto the full canvas (its disposal and blending applied by the decoder), with
//! how long it shows. The operations run on one frame at a time as the sequence flows, so
//! memory stays near two frames plus the encoder's, whatever the frame count.

use crate::error::Result;
use crate::image::Image;
use crate::ops::{Context, Op};

#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub image: Image,
    /// How long the frame shows, in milliseconds (0 for a still image).
    pub delay_ms: u32,
}

impl Frame {
    pub fn still(image: Image) -> Frame {
        Frame { image, delay_ms: 0 }
    }
}

/// Runs `ops`, in order, on each frame as `frames` yields it, handing each result to `out`
/// before the next frame is asked for. Delays are kept.
pub fn each_frame(
    frames: impl IntoIterator<Item = Result<Frame>>,
    ops: &[Op],
    cx: &mut Context,
    mut out: impl FnMut(Frame) -> Result<()>,
) -> Result<()> {
    for frame in frames {
        let Frame { mut image, delay_ms } = frame?;
        for op in ops {
            cx.deadline.check()?;
            image = op.apply(image, cx)?;
        }
        out(Frame { image, delay_ms })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::limits::Deadline;
    use crate::ops::{Fit, ResizeSpec};
    use std::cell::Cell;

    #[test]
    fn a_two_frame_animation_flows_through_a_resize_one_frame_at_a_time() {
        let first = photo(120, 80, true);
        let mut second = photo(120, 80, true);
        second.data.iter_mut().for_each(|v| *v = 255 - *v);
        let made = Cell::new(0);
        let input = [(first.clone(), 40), (second.clone(), 90)].into_iter().map(|(image, delay_ms)| {
            made.set(made.get() + 1);
            Ok(Frame { image, delay_ms })
        });
        let ops = [Op::Resize(ResizeSpec { width: Some(60), height: Some(60), fit: Fit::Cover, ..Default::default() }), Op::FlipH];
        let mut out = Vec::new();
        let no_overlay = |_: &crate::ops::Overlay| unreachable!("no composite here");
        let mut cx = Context { deadline: Deadline::NONE, overlay: &no_overlay, report: Default::default() };
        each_frame(input, &ops, &mut cx, |frame| {
            assert_eq!(made.get(), out.len() + 1, "the next frame is decoded only after this one is handed on");
            out.push(frame);
            Ok(())
        })
        .unwrap();
        assert_eq!(out.iter().map(|f| f.delay_ms).collect::<Vec<_>>(), [40, 90]);
        for (frame, source) in out.iter().zip([first, second]) {
            let expected = ops.iter().fold(source, |image, op| crate::ops::tests::apply(op, image).unwrap());
            assert_eq!(frame.image, expected);
            assert_eq!((frame.image.width, frame.image.height), (60, 60));
        }
    }
}
