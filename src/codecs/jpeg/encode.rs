//! Encoding through mozjpeg: progressive with trellis quantisation, or baseline in fast mode.

use mozjpeg::{ColorSpace, Compress};

use super::libjpeg::guarded_encode;
use super::NAME;
use crate::codecs::{ChromaSubsampling, EncodeOptions};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::limits::Deadline;

/// Effort from which mozjpeg searches for the smallest progressive scan split.
const SCAN_SEARCH_EFFORT: u8 = 7;

/// Rows handed to libjpeg between two deadline checks.
const ENCODE_BLOCK_ROWS: usize = 64;

/// Progressive output is written by `finish`, which cannot be interrupted; the deadline is
/// checked while scanlines go in.
pub fn encode(image: Image, options: &EncodeOptions, deadline: Deadline) -> Result<Vec<u8>> {
    let image = image.flatten(options.background);
    let quality = options.quality_or(85) as f32;
    guarded_encode(|| {
        let mut c = Compress::new(ColorSpace::JCS_RGB);
        c.set_size(image.width as usize, image.height as usize);
        if options.fast_mode {
            c.set_fastest_defaults();
        } else {
            // Measured on the comparison's two JPEG tasks: the scan search costs 40-60 % of
            // the encode for 1-3 % of the bytes, so it waits for a high effort.
            let search_scans = options.effort.is_some_and(|e| e >= SCAN_SEARCH_EFFORT);
            c.set_optimize_scans(search_scans);
            c.set_progressive_mode();
        }
        c.set_optimize_coding(true);
        c.set_quality(quality);
        let chroma = if options.chroma_subsampling == Some(ChromaSubsampling::Full) { (1, 1) } else { (2, 2) };
        c.set_chroma_sampling_pixel_sizes(chroma, chroma);
        let mut started = c.start_compress(Vec::with_capacity(image.data.len() / 8)).map_err(encode_error)?;
        for rows in image.data.chunks(image.stride() * ENCODE_BLOCK_ROWS) {
            deadline.check()?;
            started.write_scanlines(rows).map_err(encode_error)?;
        }
        started.finish().map_err(encode_error)
    })
}

fn encode_error(e: std::io::Error) -> Error {
    Error::encode(NAME, e)
}
