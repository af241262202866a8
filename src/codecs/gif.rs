//! GIF through the `gif` crate (MIT/Apache): every frame decoded and composed onto the
//! logical screen as a browser shows it (disposal and transparency applied), and written
//! frame by frame with a palette per frame from `palette`.
//!
//! The probe walks every frame's header without decompressing its pixels (the crate's
//! `skip_frame_decoding`), so the frame count, delays and alpha are known before any pixel
//! is decoded and a file with thousands of frames is refused by its limits at once.

use std::io::Cursor;

use gif::{ColorOutput, DecodeOptions, DisposalMethod, MemoryLimit, Repeat};

use super::palette::{self, Palette};
use super::{DecodeContext, EncodeOptions, Frame, FrameEncoder, FrameSink, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::limits::{Deadline, FailOn};
use crate::metadata::{SourceMetadata, Stored};
use crate::source::Source;

const NAME: &str = "GIF";

/// Most frames the probe counts: past this the file is refused whatever the limits say
/// (each frame needs only a few bytes, so a small file could declare millions).
pub const MAX_FRAMES_COUNTED: u64 = 100_000;

fn corrupt(e: impl std::fmt::Display) -> Error {
    Error::corrupt(NAME, e)
}

/// The frame buffers the crate may allocate: a frame no larger than the screen. A frame
/// declaring more (a 65535 × 65535 frame on a small screen) fails, rather than allocating it.
fn options(width: u16, height: u16, decode_pixels: bool) -> DecodeOptions {
    let mut o = DecodeOptions::new();
    o.set_color_output(ColorOutput::RGBA);
    o.skip_frame_decoding(!decode_pixels);
    let screen = (width as u64 * height as u64 * 4).max(1 << 16);
    o.set_memory_limit(MemoryLimit::Bytes(screen.try_into().expect("non-zero")));
    o
}

/// The logical screen's size, from the 13-byte header, before the crate is asked anything.
fn screen(bytes: &[u8]) -> Result<(u16, u16)> {
    let size = bytes.get(6..10).ok_or_else(|| corrupt("the file ends inside its header"))?;
    Ok((u16::from_le_bytes([size[0], size[1]]), u16::from_le_bytes([size[2], size[3]])))
}

/// What the frame headers say: count, delays, alpha, loop count.
struct Scan {
    width: u32,
    height: u32,
    alpha: bool,
    delays_ms: Vec<u32>,
    loop_count: u32,
}

/// Reads every frame header. A file cut short counts the frames before the cut (the
/// decoder then refuses it or not, by `failOn`).
fn scan(bytes: &[u8]) -> Result<Scan> {
    let (w, h) = screen(bytes)?;
    let mut d = options(w, h, false).read_info(Cursor::new(bytes)).map_err(corrupt)?;
    let (width, height) = (d.width() as u32, d.height() as u32);
    let (mut delays_ms, mut alpha) = (Vec::new(), false);
    while let Ok(Some(frame)) = d.read_next_frame() {
        if delays_ms.len() as u64 >= MAX_FRAMES_COUNTED {
            return Err(Error::TooMany { what: "frames (GIF)", count: delays_ms.len() as u64 + 1, limit: MAX_FRAMES_COUNTED });
        }
        let covers = frame.left == 0 && frame.top == 0 && frame.width as u32 >= width && frame.height as u32 >= height;
        alpha |= frame.transparent.is_some() || !covers;
        delays_ms.push(frame.delay as u32 * 10);
    }
    if delays_ms.is_empty() {
        return Err(corrupt("the file holds no frame"));
    }
    // Plays, as libvips and browsers count them: the NETSCAPE block's count is of
    // repetitions after the first play (0 there is forever); without the block, once.
    let loop_count = match d.repeat() {
        Repeat::Infinite => 0,
        Repeat::Finite(n) => n as u32 + 1,
    };
    Ok(Scan { width, height, alpha, delays_ms, loop_count })
}

pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let scan = scan(bytes)?;
    let pages = scan.delays_ms.len() as u32;
    let canvas = scan.width as u64 * scan.height as u64 * 4;
    let stored = Stored {
        channels: 3 + scan.alpha as u8,
        pages,
        loop_count: (pages > 1).then_some(scan.loop_count),
        delays_ms: if pages > 1 { scan.delays_ms } else { Vec::new() },
        ..Stored::default()
    };
    let header = Header {
        format: Format::Gif,
        width: scan.width,
        height: scan.height,
        has_alpha: scan.alpha,
        orientation: 1,
        has_icc: false,
        // The screen being composed, the copy a "restore to previous" frame needs, and the
        // frame the crate decodes into.
        decoder_bytes: 3 * canvas,
    };
    Ok((header, SourceMetadata { icc: None, exif: None, other: false, hdr: false, stored }))
}

/// Decodes frames onto the screen, handing each composed screen to `out`; stops after
/// `limit` frames when given.
fn frames(bytes: &[u8], ctx: &DecodeContext, limit: Option<usize>, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
    let scan = scan(bytes)?;
    let (width, height) = (scan.width as usize, scan.height as usize);
    let channels = if scan.alpha { 4 } else { 3 };
    let mut d = options(width as u16, height as u16, true).read_info(Cursor::new(bytes)).map_err(corrupt)?;
    // Transparent black before the first frame, as browsers and libvips start.
    let mut screen = vec![0u8; width * height * 4];
    let mut delivered = 0;
    while limit.is_none_or(|n| delivered < n) {
        ctx.deadline.check()?;
        let frame = match d.read_next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            // What came before a cut is kept when failOn allows it.
            Err(_) if ctx.fail_on == FailOn::None && delivered > 0 => break,
            Err(e) => return Err(corrupt(format!("frame {}: {e}", delivered + 1))),
        };
        let previous = (frame.dispose == DisposalMethod::Previous).then(|| screen.clone());
        // The frame's rectangle, cut to the screen: a frame reaching outside it is drawn
        // where it overlaps, as browsers do.
        let (left, top, fw) = (frame.left as usize, frame.top as usize, frame.width as usize);
        let visible = |start: usize, len: usize, limit: usize| start.min(limit)..(start + len).min(limit);
        let (xs, ys) = (visible(left, fw, width), visible(top, frame.height as usize, height));
        for y in ys.clone().filter(|_| !xs.is_empty()) {
            let src = &frame.buffer[((y - top) * fw + (xs.start - left)) * 4..][..xs.len() * 4];
            let dst = &mut screen[(y * width + xs.start) * 4..][..xs.len() * 4];
            for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                if s[3] != 0 {
                    d.copy_from_slice(s);
                }
            }
        }
        let delay_ms = frame.delay as u32 * 10;
        let dispose = frame.dispose;
        let (w, h) = (width as u32, height as u32);
        let image = FrameSink::new(w, h, channels, ctx).push_frame(Image::from_canvas(w, h, &screen, channels))?;
        out(Frame { image, delay_ms })?;
        delivered += 1;
        match dispose {
            DisposalMethod::Background => {
                for y in ys.filter(|_| !xs.is_empty()) {

                    screen[(y * width + xs.start) * 4..][..xs.len() * 4].fill(0);
                }
            }
            DisposalMethod::Previous => screen = previous.expect("kept above"),
            DisposalMethod::Keep | DisposalMethod::Any => {}
        }
    }
    Ok(())
}

/// Writes frames as they come, each the whole screen with its own palette. A frame with
/// transparent pixels is cleared after it shows, so the next one does not show through.
struct GifWriter {
    encoder: gif::Encoder<Vec<u8>>,
    palette: Palette,
    quality: Option<u8>,
    deadline: Deadline,
}

impl GifWriter {
    fn new(options: &EncodeOptions, (width, height): (u32, u32), loop_count: u32, deadline: Deadline) -> Result<GifWriter> {
        let too_big = || Error::encode(NAME, format!("a GIF is at most 65535 x 65535 pixels, not {width}x{height}"));
        let (w, h) = (u16::try_from(width).map_err(|_| too_big())?, u16::try_from(height).map_err(|_| too_big())?);
        let fail = |e: gif::EncodingError| Error::encode(NAME, e);
        let mut encoder = gif::Encoder::new(Vec::new(), w, h, &[]).map_err(fail)?;
        match loop_count {
            0 => encoder.set_repeat(Repeat::Infinite).map_err(fail)?,
            1 => {}
            n => encoder.set_repeat(Repeat::Finite((n - 1).min(u16::MAX as u32) as u16)).map_err(fail)?,
        }

        Ok(GifWriter { encoder, palette: options.palette.unwrap_or_default(), quality: options.quality, deadline })
    }
}

impl FrameEncoder for GifWriter {
    fn add(&mut self, frame: Frame) -> Result<()> {
        self.deadline.check()?;
        let image = frame.image;
        let indexed = palette::quantise(&image, &self.palette, self.quality)?;
        // GIF has one fully transparent entry and no partial alpha: entries under half
        // opacity become that entry, the others opaque.
        let clear = indexed.colours.iter().position(|c| c[3] < 128);
        let mut indices = indexed.indices;
        if let Some(clear) = clear {
            for i in indices.iter_mut() {
                if indexed.colours[*i as usize][3] < 128 {
                    *i = clear as u8;
                }
            }
        }
        let rgb: Vec<u8> = indexed.colours.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
        let mut out = gif::Frame::from_palette_pixels(image.width as u16, image.height as u16, indices, rgb, clear.map(|i| i as u8));
        out.delay = frame.delay_ms.div_ceil(10).min(u16::MAX as u32) as u16;
        out.dispose = if clear.is_some() { DisposalMethod::Background } else { DisposalMethod::Keep };
        self.encoder.write_frame(&out).map_err(|e| Error::encode(NAME, e))
    }

    fn finish(self: Box<Self>) -> Result<Vec<u8>> {
        self.encoder.into_inner().map_err(|e| Error::encode(NAME, e))
    }
}

pub struct Gif;

impl super::Codec for Gif {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
        probe(bytes)
    }
    fn decode(&self, source: &Source, ctx: &DecodeContext) -> Result<Image> {
        let mut first = None;
        frames(source.bytes(), ctx, Some(1), &mut |frame| {
            first = Some(frame.image);
            Ok(())
        })?;
        first.ok_or_else(|| corrupt("the file holds no frame"))
    }
    fn decode_frames(&self, source: &Source, ctx: &DecodeContext, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
        frames(source.bytes(), ctx, None, out)
    }
    /// GIF output carries no ICC profile or EXIF (its extensions for them are rarely read).
    fn embeds_metadata(&self) -> bool {
        true
    }
    /// A still GIF: an animation of one frame.

    fn encode(&self, image: Image, options: &EncodeOptions, ctx: &super::EncodeContext) -> Result<Vec<u8>> {
        let mut writer = Box::new(GifWriter::new(options, (image.width, image.height), 1, ctx.deadline)?);
        writer.add(Frame::still(image))?;
        writer.finish()
    }
    fn animation(&self, options: &EncodeOptions, size: (u32, u32), loop_count: u32, deadline: Deadline) -> Option<Result<Box<dyn FrameEncoder>>> {
        Some(GifWriter::new(options, size, loop_count, deadline).map(|w| Box::new(w) as Box<dyn FrameEncoder>))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::codecs::tests::source;

    /// A GIF written by the crate's own encoder, frame by frame: (left, top, width, height,
    /// colour index, transparent index, disposal, delay in 10 ms). Palette: 0 red, 1 green,
    /// 2 blue, 3 white.
    pub(crate) fn gif_of(width: u16, height: u16, frames: &[(u16, u16, u16, u16, u8, Option<u8>, DisposalMethod, u16)], repeat: Option<Repeat>) -> Vec<u8> {
        let palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255];
        let mut out = Vec::new();
        {
            let mut e = gif::Encoder::new(&mut out, width, height, &palette).unwrap();
            if let Some(r) = repeat {
                e.set_repeat(r).unwrap();
            }
            for &(left, top, w, h, index, transparent, dispose, delay) in frames {
                let mut pixels = vec![index; w as usize * h as usize];
                if let Some(t) = transparent {
                    pixels[0] = t; // the frame's top-left pixel is see-through
                }
                let frame = gif::Frame { left, top, width: w, height: h, buffer: pixels.into(), transparent, dispose, delay, ..Default::default() };
                e.write_frame(&frame).unwrap();
            }
        }
        out
    }

    fn all_frames(bytes: &[u8]) -> Result<Vec<Frame>> {
        let mut got = Vec::new();
        Gif.decode_frames(&source(bytes.to_vec()), &DecodeContext::default(), &mut |f| {
            got.push(f);
            Ok(())
        })?;
        Ok(got)
    }

    use crate::codecs::Codec;

    #[test]
    fn frames_are_composed_with_their_disposal_and_transparency() {
        let bytes = gif_of(
            4,
            4,
            &[
                (0, 0, 4, 4, 0, None, DisposalMethod::Keep, 5),
                // Green 2x2 at (1,1), its top-left pixel transparent (red shows through);
                // then restored to the red screen.
                (1, 1, 2, 2, 1, Some(3), DisposalMethod::Previous, 7),
                // Blue 1x1 at (3,3), then cleared to transparent.
                (3, 3, 1, 1, 2, None, DisposalMethod::Background, 0),
                (0, 0, 1, 1, 1, None, DisposalMethod::Keep, 2),
            ],
            Some(Repeat::Infinite),
        );
        let (header, found) = probe(&bytes).unwrap();
        assert_eq!((header.width, header.height, header.has_alpha), (4, 4, true));
        assert_eq!((found.stored.pages, found.stored.loop_count), (4, Some(0)));
        assert_eq!(found.stored.delays_ms, [50, 70, 0, 20]);
        let frames = all_frames(&bytes).unwrap();
        let px = |f: usize, x, y| frames[f].image.pixel(x, y).to_vec();
        let (red, green, blue) = (vec![255, 0, 0, 255], vec![0, 255, 0, 255], vec![0, 0, 255, 255]);
        assert_eq!((px(1, 1, 1), px(1, 2, 2), px(1, 0, 0)), (red.clone(), green.clone(), red.clone()));
        assert_eq!((px(2, 2, 2), px(2, 3, 3)), (red.clone(), blue), "frame 2 was restored to the screen before it");
        assert_eq!((px(3, 3, 3), px(3, 0, 0)), (vec![0, 0, 0, 0], green), "frame 3's area was cleared");
        assert_eq!(frames.iter().map(|f| f.delay_ms).collect::<Vec<_>>(), [50, 70, 0, 20]);
    }

    #[test]
    fn hostile_gifs_give_errors_or_clean_frames() {
        // A frame reaching outside the screen is drawn where it overlaps.
        let outside = gif_of(4, 4, &[(0, 0, 4, 4, 0, None, DisposalMethod::Keep, 1), (2, 2, 5, 5, 1, None, DisposalMethod::Keep, 1)], None);
        let frames = all_frames(&outside).unwrap();
        assert_eq!((frames.len(), frames[1].image.pixel(3, 3), frames[1].image.pixel(1, 1)), (2, &[0, 255, 0, 255][..], &[255, 0, 0, 255][..]));
        // A frame far larger than the screen is refused, not allocated.
        let huge = gif_of(2, 2, &[(0, 0, 2, 2, 0, None, DisposalMethod::Keep, 1), (0, 0, 4000, 4000, 1, None, DisposalMethod::Keep, 1)], None);
        assert_eq!(all_frames(&huge).err().map(|e| e.code()), Some("LAZY_CORRUPT_INPUT"));
        // Cut in the middle of the second frame: refused by default, the first kept with failOn none.
        let two = gif_of(8, 8, &[(0, 0, 8, 8, 0, None, DisposalMethod::Keep, 1), (0, 0, 8, 8, 1, None, DisposalMethod::Keep, 1)], None);
        let cut = &two[..two.len() - 6];
        assert_eq!(all_frames(cut).err().map(|e| e.code()), Some("LAZY_CORRUPT_INPUT"));
        let mut got = 0;
        let ctx = DecodeContext { fail_on: FailOn::None, ..Default::default() };
        Gif.decode_frames(&source(cut.to_vec()), &ctx, &mut |_| {
            got += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!(got, 1);
        // A palette index beyond the palette, and no frame at all.
        let mut bad_index = gif_of(2, 2, &[(0, 0, 2, 2, 200, None, DisposalMethod::Keep, 1)], None);
        // The crate reads an index past the palette as black, as browsers show it.
        let frames = all_frames(&bad_index).unwrap();
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].image.pixel(0, 0), [0, 0, 0]);
        bad_index.truncate(13);
        assert_eq!(probe(&bad_index).err().map(|e| e.code()), Some("LAZY_CORRUPT_INPUT"));
        assert_eq!(probe(b"GIF89a").err().map(|e| e.code()), Some("LAZY_CORRUPT_INPUT"));
    }

    #[test]
    fn an_animation_round_trips_through_the_writer() {
        let frames: Vec<Frame> = (0..3u8)
            .map(|i| {
                let mut image = crate::codecs::test_images::photo(30, 20, false);
                image.data.iter_mut().for_each(|v| *v = v.wrapping_add(i * 60));
                Frame { image, delay_ms: 40 + i as u32 * 10 }
            })
            .collect();
        let options = EncodeOptions::new(Format::Gif);
        let mut writer = Gif.animation(&options, (30, 20), 3, Deadline::NONE).unwrap().unwrap();
        for f in &frames {
            writer.add(f.clone()).unwrap();
        }
        let bytes = writer.finish().unwrap();
        let (header, found) = probe(&bytes).unwrap();
        assert_eq!((header.width, header.height, found.stored.pages, found.stored.loop_count), (30, 20, 3, Some(3)));
        assert_eq!(found.stored.delays_ms, [40, 50, 60]);
        for (back, sent) in all_frames(&bytes).unwrap().iter().zip(&frames) {
            let diff = crate::codecs::tests::mean_abs_diff(&back.image, &sent.image);
            assert!(diff < 4.0, "a dithered 256-colour frame stays close: {diff}");
        }
    }
}
