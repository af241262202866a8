//! The sink a decoder pushes its rows into. The pipeline owns it: it holds the whole frame,
//! or resamples the rows as they arrive when the plan asked for a smaller size, so a codec
//! never calls an operation (nor knows whether its rows are being resized).

use crate::codecs::DecodeContext;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::limits::Deadline;
use crate::ops::resize::RowResampler;

/// Where a decoder puts its rows, block by block: into the whole frame, or through a
/// `RowResampler` when a target size was asked for.
/// The deadline is checked once per block.
pub struct FrameSink {
    rows: Rows,
    deadline: Deadline,
}

enum Rows {
    Whole { width: u32, height: u32, channels: u8, data: Vec<u8> },
    Scaled(RowResampler),
}

impl FrameSink {
    /// Rows per block for a row of `width` pixels: about 1 MiB, small beside the frame. Each
    /// block costs the resampler a fresh set of filter weights (sines for every tap), which
    /// small blocks paid for again and again.
    pub fn block_rows(width: usize, channels: usize) -> usize {
        const BLOCK_BYTES: usize = 1 << 20;
        (BLOCK_BYTES / (width * channels).max(1)).clamp(16, 512)
    }

    pub fn new(width: u32, height: u32, channels: u8, ctx: &DecodeContext) -> FrameSink {
        let rows = match ctx.target {
            Some(t) if (t.width, t.height) != (width, height) => {
                Rows::Scaled(RowResampler::new((width, height), channels, (t.width, t.height), t.kernel))
            }
            _ => Rows::Whole {
                width,
                height,
                channels,
                data: Vec::with_capacity(width as usize * height as usize * channels as usize),
            },
        };
        FrameSink { rows, deadline: ctx.deadline }
    }

    /// `block` holds whole rows in this sink's channel layout; it may be modified.
    pub fn push(&mut self, block: &mut [u8]) -> Result<()> {
        self.deadline.check()?;
        match &mut self.rows {
            Rows::Whole { data, .. } => {
                data.extend_from_slice(block);
                Ok(())
            }
            Rows::Scaled(r) => r.push(block),
        }
    }

    /// A frame the decoder had to produce whole (interlaced or animated data, a prescaled
    /// libwebp decode): taken as it is, or resampled block by block.
    pub fn push_frame(mut self, mut image: Image) -> Result<Image> {
        if let Rows::Whole { width, height, channels, data } = &self.rows {
            if data.is_empty() && (image.width, image.height, image.channels) == (*width, *height, *channels) {
                return Ok(image);
            }
        }
        let block_len = image.stride() * Self::block_rows(image.width as usize, image.channels as usize);
        for block in image.data.chunks_mut(block_len) {
            self.push(block)?;
        }
        self.finish()
    }

    pub fn finish(self) -> Result<Image> {
        match self.rows {
            Rows::Whole { width, height, channels, data } => {
                if data.len() != width as usize * height as usize * channels as usize {
                    return Err(Error::Internal("decoder delivered a partial frame".into()));
                }
                Ok(Image::new(width, height, channels, data))
            }
            Rows::Scaled(r) => r.finish(),
        }
    }
}

