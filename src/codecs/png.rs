//! PNG: the `png` crate decodes every bit depth, palette, grey, alpha and interlaced file;
//! encoding tries two row-filter strategies with zlib-rs deflate, and recompresses with
//! oxipng when a high effort is asked for.

use std::io::{BufRead, Cursor, Seek, Write};

use png::{BitDepth, ColorType, Compression, Decoder, Filter, Limits, Transformations};

use super::{DecodeContext, EncodeOptions, FrameSink, Header};
use crate::error::{Error, Result};
use crate::format::Format;
use crate::image::Image;
use crate::limits::{Deadline, FailOn};
use crate::metadata::{exif, SourceMetadata, Stored};
use crate::source::Source;

const NAME: &str = "PNG";
/// Effort from which the output is recompressed by oxipng.
const OXIPNG_EFFORT: u8 = 7;

/// What the `png` crate may allocate besides the frame (which is checked against our own
/// limits from the header and streamed): one row, and metadata chunks. A zlib-compressed
/// iCCP or text chunk can inflate a thousandfold; beyond this, the chunk is dropped.
const METADATA_BYTES: usize = 8 << 20;

/// Most ancillary chunks (text, private, ...) a PNG may carry before its image data. A
/// flood of tiny chunks costs time and memory per chunk however small each is; libpng
/// keeps at most 1000 unknown chunks by default.
pub const MAX_METADATA_CHUNKS: u64 = 4096;

fn decoder<R: BufRead + Seek>(reader: R) -> Decoder<R> {
    let mut d = Decoder::new_with_limits(reader, Limits { bytes: METADATA_BYTES });
    // Text is never carried into an output; `scan_chunks` notes that it is there.
    d.set_ignore_text_chunk(true);
    d
}

/// Walks the chunk headers before the first IDAT: whether there is text, refusing a file
/// with more than `MAX_METADATA_CHUNKS` ancillary chunks. Malformed data is left to the
/// decoder.
fn scan_chunks(bytes: &[u8]) -> Result<bool> {
    let (mut pos, mut ancillary, mut text) = (8usize, 0u64, false);
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = &head[4..8];
        if kind == b"IDAT" {
            break;
        }
        if kind[0].is_ascii_lowercase() {
            ancillary += 1;
            text |= matches!(kind, b"tEXt" | b"zTXt" | b"iTXt");
        }
        if ancillary > MAX_METADATA_CHUNKS {
            return Err(Error::TooMany { what: "metadata chunks before the image data (PNG)", count: ancillary, limit: MAX_METADATA_CHUNKS });
        }
        pos = pos.saturating_add(12).saturating_add(len);
    }
    Ok(text)
}

/// The header and the chunks before the image data, from one `read_info`.
pub fn probe(bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
    let text = scan_chunks(bytes)?;
    let reader = decoder(Cursor::new(bytes)).read_info().map_err(|e| Error::corrupt(NAME, e))?;
    let info = reader.info();
    let found = SourceMetadata {
        icc: info.icc_profile.as_deref().map(<[u8]>::to_vec),
        exif: info.exif_metadata.as_deref().map(<[u8]>::to_vec),
        other: text,
        hdr: false,
        stored: stored(info),
    };
    let header = Header {
        format: Format::Png,
        width: info.width,
        height: info.height,
        has_alpha: matches!(info.color_type, ColorType::Rgba | ColorType::GrayscaleAlpha) || info.trns.is_some(),
        orientation: found.exif.as_deref().and_then(exif::orientation).unwrap_or(1),
        has_icc: found.icc.is_some(),
        // Adam7 passes are decoded into one whole frame (see `decode`).
        decoder_bytes: if info.interlaced { info.width as u64 * info.height as u64 * 4 } else { 0 },
    };
    Ok((header, found))
}

fn stored(info: &png::Info) -> Stored {
    let grey = matches!(info.color_type, ColorType::Grayscale | ColorType::GrayscaleAlpha);
    let channels = match info.color_type {
        ColorType::Grayscale => 1 + info.trns.is_some() as u8,
        ColorType::GrayscaleAlpha => 2,
        ColorType::Rgb | ColorType::Indexed => 3 + info.trns.is_some() as u8,
        ColorType::Rgba => 4,
    };
    // pHYs in pixels per metre; 2.54 cm to the inch.
    let density = info.pixel_dims.filter(|d| d.unit == png::Unit::Meter).map(|d| (d.xppu as f64 * 0.0254).round() as u32);
    Stored {
        channels,
        bit_depth: info.bit_depth as u8,
        space: if grey { "b-w" } else { "srgb" },
        progressive: info.interlaced,
        density,
        ..Stored::default()
    }
}

/// Decodes row by row into the sink (so a target size never needs the whole frame);
/// interlaced files deliver their rows in passes and are decoded whole, then resampled.
/// The header has passed `probe` (and its chunk cap), as the codec contract says.
/// `failOn` below `error` ignores checksums (damaged data decodes as it is); `none` also
/// fills out a file cut short with zero rows.
pub fn decode(source: &Source, ctx: &DecodeContext) -> Result<Image> {
    let mut d = decoder(source.reader());
    d.set_transformations(Transformations::normalize_to_color8());
    d.ignore_checksums(ctx.fail_on < FailOn::Error);
    let keep_going = ctx.fail_on == FailOn::None;
    let mut reader = d.read_info().map_err(|e| Error::corrupt(NAME, e))?;
    let (width, height) = reader.info().size();
    let (color, _) = reader.output_color_type();
    let channels = if matches!(color, ColorType::Rgba | ColorType::GrayscaleAlpha) { 4 } else { 3 };
    let row_len = width as usize * channels as usize;
    if reader.info().interlaced {
        // Adam7 delivers rows in passes: decode the frame whole, then resample it.
        // Grey frames are decoded into the front of the RGB(A) frame and widened in place,
        // so only one full-size buffer is held.
        let size = reader.output_buffer_size().ok_or_else(|| Error::corrupt(NAME, "image size overflows memory"))?;
        let out_len = row_len * height as usize;
        let mut frame = vec![0; out_len.max(size)];
        match reader.next_frame(&mut frame[..size]) {
            Err(_) if keep_going => {}
            other => other.map(drop).map_err(data_error)?,
        }
        if !matches!(color, ColorType::Rgb | ColorType::Rgba) {
            widen_in_place(&mut frame, size / height as usize, row_len, color);
        }
        frame.truncate(out_len);
        return FrameSink::new(width, height, channels, ctx).push_frame(Image::new(width, height, channels, frame));
    }
    let mut sink = FrameSink::new(width, height, channels, ctx);
    let block_rows = FrameSink::block_rows(width as usize, channels as usize);
    let mut block = vec![0u8; block_rows * row_len];
    let (mut filled, mut rows) = (0, 0);
    loop {
        let row = match reader.next_row() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(_) if keep_going => break,
            Err(e) => return Err(data_error(e)),
        };
        expand(row.data(), color, &mut block[filled * row_len..(filled + 1) * row_len]);
        filled += 1;
        rows += 1;
        if filled == block_rows {
            sink.push(&mut block)?;
            filled = 0;
        }
    }
    if rows != height && !keep_going {
        return Err(Error::corrupt(NAME, format!("image data ends after {rows} of {height} rows (truncated); failOn: 'none' decodes what is there")));
    }
    if filled > 0 {
        sink.push(&mut block[..filled * row_len])?;
    }
    // The rows a file cut short lacks, as zeros.
    let mut missing = (height - rows) as usize;
    block.fill(0);
    while missing > 0 {
        let n = missing.min(block_rows);
        sink.push(&mut block[..n * row_len])?;
        missing -= n;
    }
    match reader.finish() {
        Err(_) if keep_going => {}
        other => other.map_err(|e| Error::corrupt(NAME, e))?,
    }
    sink.finish()
}

/// An error inside the image data, saying which `failOn` level would decode past it.
fn data_error(e: png::DecodingError) -> Error {
    match e {
        png::DecodingError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            Error::corrupt(NAME, "the file ends before its image data does (truncated); failOn: 'none' decodes what is there")
        }
        png::DecodingError::Format(f) => Error::corrupt(NAME, format!("the image data is damaged ({f}); failOn: 'none' decodes what is there")),
        e => Error::corrupt(NAME, e),
    }
}

/// One decoded 8-bit row (RGB, RGBA, grey or grey+alpha) into RGB or RGBA.
fn expand(src: &[u8], color: ColorType, dst: &mut [u8]) {
    match color {
        ColorType::Grayscale => {
            for (d, &g) in dst.chunks_exact_mut(3).zip(src) {
                d.fill(g);
            }
        }
        ColorType::GrayscaleAlpha => {
            for (d, p) in dst.chunks_exact_mut(4).zip(src.chunks_exact(2)) {
                d.copy_from_slice(&[p[0], p[0], p[0], p[1]]);
            }
        }
        // RGB, RGBA; palettes were expanded by the decoder's transformations.
        _ => dst.copy_from_slice(&src[..dst.len()]),
    }
}

/// Grey or grey+alpha rows of `src_len` bytes at the front of `frame` into RGB or RGBA rows
/// of `row_len`, from the last pixel back, so no byte is overwritten before it is read.
fn widen_in_place(frame: &mut [u8], src_len: usize, row_len: usize, color: ColorType) {
    let (from, to) = if color == ColorType::GrayscaleAlpha { (2, 4) } else { (1, 3) };
    let width = row_len / to;
    for y in (0..frame.len() / row_len).rev() {
        for x in (0..width).rev() {
            let (s, d) = (y * src_len + x * from, y * row_len + x * to);
            let (grey, alpha) = (frame[s], frame[s + from - 1]);
            frame[d..d + 3].fill(grey);
            if to == 4 {
                frame[d + 3] = alpha;
            }
        }
    }
}

/// Rows deflated between two deadline checks.
const ENCODE_BLOCK_ROWS: usize = 64;

/// Rows as the PNG stores them: 8-bit RGB or RGBA, or palette indices packed at `depth`
/// bits with the palette (and its alpha, `tRNS`).
struct Raster<'a> {
    width: u32,
    height: u32,
    colour: ColorType,
    depth: BitDepth,
    rows: std::borrow::Cow<'a, [u8]>,
    stride: usize,
    palette: Option<(Vec<u8>, Vec<u8>)>,
}

impl Raster<'_> {
    fn of(image: &Image) -> Raster<'_> {
        let colour = if image.has_alpha() { ColorType::Rgba } else { ColorType::Rgb };
        Raster { width: image.width, height: image.height, colour, depth: BitDepth::Eight, rows: (&image.data[..]).into(), stride: image.stride(), palette: None }
    }

    /// A palette image (`palette::quantise`), its indices packed into the fewest bits.
    fn indexed(image: &Image, palette: &super::palette::Palette, quality: Option<u8>) -> Result<Raster<'static>> {
        let indexed = super::palette::quantise(image, palette, quality)?;
        let bits = indexed.bit_depth();
        let per_byte = (8 / bits) as usize;
        let stride = (image.width as usize).div_ceil(per_byte);
        let mut rows = vec![0u8; stride * image.height as usize];
        for (row, indices) in rows.chunks_exact_mut(stride).zip(indexed.indices.chunks_exact(image.width as usize)) {
            for (x, &i) in indices.iter().enumerate() {
                row[x / per_byte] |= i << (8 - bits as usize * (x % per_byte + 1));
            }
        }
        let plte = indexed.colours.iter().flat_map(|c| [c[0], c[1], c[2]]).collect();
        // tRNS lists alpha up to the last entry that is not opaque.
        let last = indexed.colours.iter().rposition(|c| c[3] != 255).map_or(0, |i| i + 1);
        let trns = indexed.colours[..last].iter().map(|c| c[3]).collect();
        let depth = match bits { 1 => BitDepth::One, 2 => BitDepth::Two, 4 => BitDepth::Four, _ => BitDepth::Eight };
        Ok(Raster { width: image.width, height: image.height, colour: ColorType::Indexed, depth, rows: rows.into(), stride, palette: Some((plte, trns)) })
    }
}

pub fn encode(image: &Image, options: &EncodeOptions, deadline: Deadline) -> Result<Vec<u8>> {
    // An opaque RGBA frame is written as RGB: a quarter fewer bytes to deflate.
    let rgb;
    let image = if image.has_alpha() && image.is_opaque() {
        rgb = image.clone().into_rgb();
        &rgb
    } else {
        image
    };
    let raster = match &options.palette {
        Some(palette) => Raster::indexed(image, palette, options.quality)?,
        None => Raster::of(image),
    };
    let image = &raster;
    let out = if options.fast_mode {
        deflate(image, Filter::Adaptive, Compression::Fast, deadline)?
    } else if raster.palette.is_some() {
        // Filters rarely help palette indices (libpng's advice too).
        deflate(image, Filter::NoFilter, Compression::High, deadline)?
    } else {
        // Row filters help photographs (MinEntropy is 35 % smaller than none on the
        // comparison's photos), but on flat or mostly transparent art unfiltered rows give
        // zlib longer matches (14 % smaller on sharp's alpha benchmark image, as libvips
        // writes by default). No cheap statistic tells them apart, so both are tried.
        let filtered = deflate(image, Filter::MinEntropy, Compression::Balanced, deadline)?;
        let plain = deflate(image, Filter::NoFilter, Compression::Balanced, deadline)?;
        if plain.len() < filtered.len() { plain } else { filtered }
    };
    match options.effort {
        Some(effort) if effort >= OXIPNG_EFFORT && !options.fast_mode => {
            let mut o = oxipng::Options::from_preset((effort - OXIPNG_EFFORT + 2).min(6));
            // oxipng stops trying at its timeout and returns the best result so far.
            o.timeout = deadline.remaining();
            let small = oxipng::optimize_from_memory(&out, &o).map_err(|e| Error::encode(NAME, e))?;
            deadline.check()?;
            Ok(small)
        }
        _ => Ok(out),
    }
}

fn deflate(image: &Raster, filter: Filter, compression: Compression, deadline: Deadline) -> Result<Vec<u8>> {
    let fail = |e: std::io::Error| Error::encode(NAME, e);
    let mut out = Vec::with_capacity(image.rows.len() / 2);
    let mut e = png::Encoder::new(&mut out, image.width, image.height);
    e.set_color(image.colour);
    e.set_depth(image.depth);
    if let Some((plte, trns)) = &image.palette {
        e.set_palette(plte.clone());
        if !trns.is_empty() {
            e.set_trns(trns.clone());
        }
    }
    e.set_compression(compression);
    e.set_filter(filter);
    let mut w = e.write_header().map_err(|e| Error::encode(NAME, e))?;
    let mut stream = w.stream_writer().map_err(|e| Error::encode(NAME, e))?;
    for rows in image.rows.chunks(image.stride * ENCODE_BLOCK_ROWS) {

        deadline.check()?;
        stream.write_all(rows).map_err(fail)?;
    }
    stream.finish().map_err(|e| Error::encode(NAME, e))?;
    w.finish().map_err(|e| Error::encode(NAME, e))?;
    Ok(out)
}

pub struct Png;

impl super::Codec for Png {
    fn probe(&self, bytes: &[u8]) -> Result<(Header, SourceMetadata)> {
        probe(bytes)
    }
    fn decode(&self, source: &Source, ctx: &DecodeContext) -> Result<Image> {
        decode(source, ctx)
    }
    fn encode(&self, image: Image, options: &EncodeOptions, ctx: &super::EncodeContext) -> Result<Vec<u8>> {
        encode(&image, options, ctx.deadline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;

    fn decode(bytes: &[u8]) -> Result<Image> {
        super::decode(&crate::codecs::tests::source(bytes.to_vec()), &DecodeContext::default())
    }

    #[test]
    fn keeps_alpha_and_drops_it_when_opaque() {
        let rgba = photo(40, 30, true);
        let bytes = encode(&rgba, &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        assert!(probe(&bytes).unwrap().0.has_alpha);
        assert_eq!(decode(&bytes).unwrap(), rgba, "PNG is lossless");

        let opaque = Image::new(2, 1, 4, vec![1, 2, 3, 255, 4, 5, 6, 255]);
        let bytes = encode(&opaque, &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        assert_eq!(decode(&bytes).unwrap(), Image::new(2, 1, 3, vec![1, 2, 3, 4, 5, 6]));
    }

    #[test]
    fn keeps_the_smaller_of_filtered_and_unfiltered_rows() {
        let mut art = photo(96, 64, true);
        for px in art.data.chunks_mut(4).skip(512) {
            px.copy_from_slice(&[0, 0, 0, 0]); // mostly transparent, like cut-out artwork
        }
        // A noise row shifted one pixel per row: unfiltered, each row is one long match of
        // the row above; filtered, the matches are lost (NoFilter wins by about 30 %).
        let mut seed = 12345u32;
        let noise: Vec<u8> = (0..96 * 3 * 2)
            .map(|_| {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (seed >> 16) as u8
            })
            .collect();
        let shifted = (0..64).flat_map(|y| noise[y * 3 % (96 * 3)..][..96 * 3].to_vec()).collect();
        for img in [photo(96, 64, false), art, Image::new(96, 64, 3, shifted)] {
            let chosen = encode(&img, &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
            for filter in [Filter::NoFilter, Filter::MinEntropy] {
                let single = deflate(&Raster::of(&img), filter, Compression::Balanced, Deadline::NONE).unwrap();
                assert!(chosen.len() <= single.len(), "{filter:?}: {} > {}", chosen.len(), single.len());
            }
            assert_eq!(decode(&chosen).unwrap(), img);
        }
    }

    #[test]
    fn oxipng_effort_is_smaller_and_lossless() {
        let img = photo(64, 64, true);
        let fast = encode(&img, &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        let mut o = EncodeOptions::new(Format::Png);
        o.effort = Some(9);
        let small = encode(&img, &o, Deadline::NONE).unwrap();
        assert!(small.len() <= fast.len());
        assert_eq!(decode(&small).unwrap(), img);
    }

    #[test]
    fn a_flood_of_metadata_chunks_is_refused_and_text_is_noticed_without_being_kept() {
        let bytes = encode(&photo(8, 8, false), &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend(kind);
            c.extend(data);
            c.extend(0u32.to_be_bytes()); // CRC: read only if the chunk is parsed
            c
        };
        let with = |chunks: Vec<u8>| [&bytes[..33], &chunks, &bytes[33..]].concat(); // after IHDR
        let text = with(chunk(b"tEXt", b"Comment\0hello"));
        assert!(!scan_chunks(&bytes).unwrap() && scan_chunks(&text).unwrap());
        let flood = with((0..=MAX_METADATA_CHUNKS).flat_map(|_| chunk(b"prIv", b"")).collect());
        let err = probe(&flood).unwrap_err();
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains("4097"), "{err}");
    }

    /// PngSuite's `basi*` files are its `basn*` images, Adam7-interlaced: the two decode
    /// paths (streamed rows; one frame widened in place) must agree pixel for pixel.
    #[test]
    fn interlaced_files_decode_like_their_plain_twins() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/png");
        for name in ["0g01", "0g08", "0g16", "2c08", "2c16", "3p04", "4a08", "4a16", "6a08", "6a16"] {
            let read = |prefix: &str| std::fs::read(dir.join(format!("{prefix}{name}.png"))).unwrap();
            let (plain, interlaced) = (decode(&read("basn")).unwrap(), decode(&read("basi")).unwrap());
            assert_eq!(plain, interlaced, "{name}");
        }
    }

    #[test]
    fn bad_crc_and_truncation_are_errors() {
        let mut bytes = encode(&photo(16, 16, false), &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        assert!(decode(&bytes[..bytes.len() - 30]).is_err());
        let n = bytes.len();
        bytes[n - 20] ^= 0xFF; // inside IDAT: its CRC no longer matches
        assert!(matches!(decode(&bytes), Err(Error::CorruptInput { .. })));
    }

    #[test]
    fn fail_on_lets_damage_through_level_by_level() {
        let at = |bytes: &[u8], fail_on| {
            let ctx = DecodeContext { fail_on, ..Default::default() };
            super::decode(&crate::codecs::tests::source(bytes.to_vec()), &ctx)
        };
        let good = encode(&photo(64, 64, false), &EncodeOptions::new(Format::Png), Deadline::NONE).unwrap();
        let cut = &good[..good.len() * 2 / 3];
        for level in [FailOn::Warning, FailOn::Error, FailOn::Truncated] {
            let err = at(cut, level).unwrap_err().to_string();
            assert!(err.contains("failOn: 'none'") || err.contains("truncated") || err.contains("EOF"), "{level:?}: {err}");
        }
        let partial = at(cut, FailOn::None).unwrap();
        assert_eq!((partial.width, partial.height), (64, 64));
        assert_eq!(partial.pixel(10, 1), photo(64, 64, false).pixel(10, 1), "the rows that were there decode as they are");
        let mut crc = good.clone();
        let n = crc.len();
        crc[n - 20] ^= 0xFF;
        assert!(at(&crc, FailOn::Error).is_err());
        assert!(at(&crc, FailOn::Truncated).is_ok(), "a damaged checksum is let through below 'error'");
    }
}
