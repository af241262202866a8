//! Frames: a still image is one frame; an animation is a sequence of frames, each already
//! composited onto the full canvas (its disposal and blending applied by the decoder), with
//! how long it shows. The decoder hands the pipeline one frame at a time
//! (`codecs::decode_frames`), which runs the operations on it and passes it to each output's
//! encoder before the next is decoded, so memory stays near two frames plus the encoders',
//! whatever the frame count.

use crate::image::Image;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{self, DecodeContext};
    use crate::error::Error;
    use crate::ops::{Fit, Op, ResizeSpec};
    use crate::source::Source;
    use ::gif::DisposalMethod::Keep;

    #[test]
    fn an_animation_flows_through_the_operations_one_frame_at_a_time() {
        let bytes = crate::codecs::gif::tests::gif_of(120, 80, &[(0, 0, 120, 80, 0, None, Keep, 4), (0, 0, 120, 80, 2, None, Keep, 9), (0, 0, 120, 80, 1, None, Keep, 2)], None);
        let header = codecs::probe(&bytes).unwrap();
        let source = Source::borrowed(std::sync::Arc::new(bytes)).unwrap();
        let ops = [Op::Resize(ResizeSpec { width: Some(60), height: Some(60), fit: Fit::Cover, ..Default::default() }), Op::FlipH];
        let mut out = Vec::new();
        // The third frame is never decoded: the second one's refusal stops the decoder.
        let stopped = codecs::decode_frames(&source, &header, &DecodeContext::default(), &mut |frame| {
            let Frame { image, delay_ms } = frame;
            let image = ops.iter().fold(image, |image, op| crate::ops::tests::apply(op, image).unwrap());
            assert_eq!((image.width, image.height), (60, 60));
            // The GIF's palette: frame 1 red, frame 2 blue, composed whole.
            let colour: [u8; 3] = if out.is_empty() { [255, 0, 0] } else { [0, 0, 255] };
            assert!(image.pixel(30, 30).iter().zip(colour).all(|(a, b)| a.abs_diff(b) <= 1), "{:?}", image.pixel(30, 30));
            out.push(Frame { image, delay_ms });
            if out.len() == 2 { Err(Error::Internal("enough".into())) } else { Ok(()) }
        });
        assert_eq!(stopped.unwrap_err().to_string(), "internal error: enough; please report it with the input that caused it");
        assert_eq!(out.iter().map(|f| f.delay_ms).collect::<Vec<_>>(), [40, 90], "delays are kept");
    }
}
