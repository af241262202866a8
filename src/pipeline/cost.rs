//! What a job will cost in memory, estimated from the header and the plan before anything
//! is decoded, so the memory gate reserves what the job will really use and a job that
//! could never fit is refused before it starts.
//!
//! cost = decoder's own buffers (`Header::decoder_bytes`) + the frames the operations hold
//! (two at a time, at the largest size along the pipeline) + the encoder's working memory
//! per output pixel + a fixed allowance for codec scratch and threads. The per-pixel
//! figures were measured: `docs/scripts/measure-cost.js` runs each case in a fresh
//! process and compares its peak RSS with this estimate (`docs/ZERO_COPY.md` has the table).

use super::plan::DecodePlan;
use super::Pipeline;
use crate::codecs::{EncodeOptions, Header};
use crate::format::Format;

/// Codec scratch, stacks and libraries' own tables: the formula's 24 MB.
pub const FIXED: u64 = 24 << 20;

/// Bytes an encoder holds per output pixel besides the frame it is given; for an animation,
/// per pixel of one frame (an animation encoder keeps canvases, not the frames given).
fn encoder_bytes_per_pixel(options: &EncodeOptions, animated: bool) -> f64 {
    match options.format {
        // libwebp's animation encoder: the previous and current canvases (ARGB), the
        // candidate sub-frames it encodes both ways to keep the smaller, their pictures.
        Format::Webp if animated => 40.0,
        // libaom keeps its look-ahead frames for an image sequence.
        Format::Avif if animated => 120.0,
        // Progressive and optimised coding keep every coefficient of the image: 4:2:0 is
        // 1.5 samples of two bytes per pixel, plus libjpeg's own copy of the rows.
        Format::Jpeg if options.fast_mode => 0.5,
        Format::Jpeg => 3.5,
        // The deflate output and filtered rows, two strategies tried.
        Format::Png => 2.0,
        // libwebp's ARGB picture, its YUV copy and the analysis buffers of method >= 4.
        Format::Webp => 9.0,
        // libaom at 10-bit 4:4:4: source and reconstructed frames, lookahead and tables.
        Format::Avif => 36.0,
        // The frame as RGBA for the quantiser, its histogram and indices.
        Format::Gif => 10.0,
    }
}

/// An animation's compressed output grows with its frames (a still output's is small beside
/// its frame): bounded at 1 byte per pixel of every frame, where footage at WebP q80 takes
/// about 0.07 and a GIF up to 1.
const ANIMATION_OUTPUT_PER_PIXEL: f64 = 1.0;

/// `quality: 'auto'` (`quality.rs`) besides its two encoders in flight, per output pixel:
/// the reference's pyramid (nine float planes at each scale, 48 bytes a pixel in all), and
/// for each of the two probes in flight a copy of the frame, its decode and the distorted
/// side's float planes of the comparison.
const AUTO_QUALITY_PER_PIXEL: f64 = 210.0;

/// The estimated peak of one job, in bytes; `frames` above 1 for an animated output.
pub fn estimate(pipeline: &Pipeline, header: &Header, plan: &DecodePlan, options: &EncodeOptions, frames: u32) -> u64 {
    let animated = frames > 1;
    let channels = if header.has_alpha { 4 } else { 3 };
    let bytes = |(w, h): (u32, u32)| w as u64 * h as u64 * channels;
    let decoded = plan.target.map_or((header.width, header.height), |t| (t.width, t.height));
    let turned = pipeline.auto_orient && header.orientation >= 5;
    let mut size = if turned { (decoded.1, decoded.0) } else { decoded };
    if let Some((fused, _)) = &plan.fused {
        size = fused.canvas;
    }
    let mut largest = bytes(decoded).max(bytes(size));
    for op in plan.rest {
        size = op.output_size(size);
        largest = largest.max(bytes(size));
    }
    let pixels = size.0 as f64 * size.1 as f64;
    let mut encoder = (pixels * encoder_bytes_per_pixel(options, animated)) as u64;
    if options.target.is_some() {
        encoder = 2 * encoder + (pixels * AUTO_QUALITY_PER_PIXEL) as u64;
    }
    if animated {
        encoder += (frames as f64 * pixels * ANIMATION_OUTPUT_PER_PIXEL) as u64;
    }

    header.decoder_bytes + 2 * largest + encoder + FIXED
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{Op, ResizeSpec};

    fn header(width: u32, height: u32, decoder_bytes: u64) -> Header {
        Header { format: Format::Jpeg, width, height, has_alpha: false, orientation: 1, has_icc: false, decoder_bytes }
    }

    #[test]
    fn a_downscale_costs_its_target_and_a_full_size_reencode_its_frame() {
        let h = header(6000, 4000, 0);
        let full = Pipeline::default();
        let jpeg = EncodeOptions::new(Format::Jpeg);
        let at_full = estimate(&full, &h, &super::super::plan::plan(&full, &h), &jpeg, 1);
        let frame = 6000 * 4000 * 3;
        assert_eq!(at_full, 2 * frame + (6000.0 * 4000.0 * 3.5) as u64 + FIXED);
        let mut small = Pipeline::default();
        small.push(Op::Resize(ResizeSpec { width: Some(600), ..Default::default() }));
        let shrunk = estimate(&small, &h, &super::super::plan::plan(&small, &h), &jpeg, 1);
        assert!(shrunk < FIXED + 6 * 600 * 400 * 3, "{shrunk}");
        let avif = EncodeOptions::new(Format::Avif);
        assert!(estimate(&full, &h, &super::super::plan::plan(&full, &h), &avif, 1) > 3 * at_full);
        let progressive = header(6000, 4000, 6000 * 4000 * 3);
        let with_coefficients = estimate(&small, &progressive, &super::super::plan::plan(&small, &progressive), &jpeg, 1);
        assert_eq!(with_coefficients - shrunk, 6000 * 4000 * 3, "the coefficients count whatever the target");
    }

    #[test]
    fn auto_quality_reserves_a_second_encoder_and_its_search() {
        let h = header(1280, 720, 0);
        let p = Pipeline::default();
        let plan = super::super::plan::plan(&p, &h);
        let fixed = EncodeOptions::new(Format::Webp);
        let auto = EncodeOptions { target: Some(75.0), ..fixed.clone() };
        let pixels = 1280.0 * 720.0;
        let extra = estimate(&p, &h, &plan, &auto, 1) - estimate(&p, &h, &plan, &fixed, 1);
        assert_eq!(extra, (pixels * 9.0) as u64 + (pixels * AUTO_QUALITY_PER_PIXEL) as u64);
    }
}
