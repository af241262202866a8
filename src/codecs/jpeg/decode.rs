//! Decoding through libjpeg, row block by row block, into the pipeline's sink.

use mozjpeg::{ColorSpace, Decompress, Marker};

use super::libjpeg::{guarded_with, strict_error_mgr};
use super::NAME;
use crate::codecs::{prescale_size, DecodeContext, DecodeTarget, FrameSink};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::metadata::icc::{Icc, Space};
use crate::source::Source;

const DECODE_MARKERS: &[Marker] = &[Marker::APP(14)];

/// Decodes row block by row block. With a target, libjpeg first shrinks by DCT scaling
/// (`dct_numerator`), and the rows stream into the resampler. CMYK is converted with the
/// source's CMYK profile, or the built-in one (`Icc::default_cmyk`) when it has none.
pub fn decode(source: &Source, ctx: &DecodeContext) -> Result<Image> {
    let target = ctx.target;
    guarded_with(ctx.deadline, ctx.fail_on, || {
        let mut d = Decompress::with_err(strict_error_mgr())
            .with_markers(DECODE_MARKERS)
            .from_reader(source.reader())
            .map_err(|e| Error::corrupt(NAME, e))?;
        if let Some(t) = target {
            d.scale(dct_numerator((d.width() as u32, d.height() as u32), t));
        }
        let cmyk = matches!(d.color_space(), ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK);
        // Photoshop (the Adobe APP14 marker) stores CMYK inverted.
        let inverted = d.markers().any(|m| m.data.starts_with(b"Adobe"));
        let managed = match (cmyk, ctx.profile.filter(|p| p.space() == Space::Cmyk)) {
            (false, _) => None,
            (true, Some(profile)) => Some(profile.cmyk_to_srgb(inverted)?),
            (true, None) => Some(Icc::default_cmyk()?.cmyk_to_srgb(inverted)?),
        };
        let out_space = if cmyk { ColorSpace::JCS_CMYK } else { ColorSpace::JCS_RGB };
        let mut started = d.to_colorspace(out_space).map_err(|e| Error::corrupt(NAME, e))?;
        let (width, height) = (started.width(), started.height());
        let mut sink = FrameSink::new(width as u32, height as u32, 3, ctx);
        let comps = if cmyk { 4 } else { 3 };
        let block_rows = FrameSink::block_rows(width, comps);
        let mut raw = vec![0u8; block_rows * width * comps];
        let mut rgb = if cmyk { vec![0u8; block_rows * width * 3] } else { Vec::new() };
        let mut done = 0;
        while done < height {
            let n = block_rows.min(height - done);
            let block = started
                .read_scanlines_into(&mut raw[..n * width * comps])
                .map_err(|e| Error::corrupt(NAME, e))?;
            match &managed {
                Some(transform) => {
                    let out = &mut rgb[..n * width * 3];
                    transform.convert(block, out);
                    sink.push(out)?;
                }
                None => sink.push(block)?,
            }
            done += n;
        }
        started.finish().map_err(|e| Error::corrupt(NAME, e))?;
        sink.finish()
    })
}

/// The strongest DCT shrink that still covers the target, as libvips does. Only 1/8, 2/8
/// and 4/8 are used: libjpeg-turbo has SIMD inverse DCTs for those sizes, while the others
/// (3/8, 5/8, ...) run in plain C and cost more than the larger frame they save. Measured
/// with benches/compare.js, shrinking this far also scored a lower DSSIM than keeping 1.5x
/// or 2x the target: the DCT scaling is a clean low-pass ahead of the Lanczos pass.
pub(super) fn dct_numerator(size: (u32, u32), target: DecodeTarget) -> u8 {
    let (pw, ph) = prescale_size(size, target, 1.0);
    let scaled = |n: u32, side: u32| (side * n).div_ceil(8);
    [1u8, 2, 4].into_iter().find(|&n| scaled(n as u32, size.0) >= pw && scaled(n as u32, size.1) >= ph).unwrap_or(8)
}
