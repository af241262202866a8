//! Image formats: sniffed from magic bytes on input, named by the caller on output.

use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
    Avif,
    Gif,
}

impl Format {
    pub const INPUTS: [Format; 5] = [Format::Jpeg, Format::Png, Format::Webp, Format::Avif, Format::Gif];
    pub const OUTPUTS: [Format; 5] = [Format::Jpeg, Format::Png, Format::Webp, Format::Avif, Format::Gif];
    /// Output names as callers may write them: every output's name, and `jpg`.
    pub const OUTPUT_NAMES: [&'static str; 6] = ["jpeg", "jpg", "png", "webp", "avif", "gif"];

    /// Identifies the container from its first bytes; the extension is never trusted.
    pub fn sniff(bytes: &[u8]) -> Option<Format> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Format::Webp)
        } else if is_avif(bytes) {
            Some(Format::Avif)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Format::Gif)
        } else {
            None
        }
    }

    /// Parses an output format name as users write it (`jpg` and `jpeg` alike).
    pub fn parse(name: &str) -> Result<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jpeg" | "jpg" => Ok(Format::Jpeg),
            "png" => Ok(Format::Png),
            "webp" => Ok(Format::Webp),
            "avif" => Ok(Format::Avif),
            "gif" => Ok(Format::Gif),
            _ => Err(Error::InvalidArgument(format!(
                "unknown output format '{name}'; use one of jpeg, jpg, png, webp, avif, gif"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
            Format::Avif => "avif",
            Format::Gif => "gif",
        }
    }

    /// Whether the format holds an animation (several frames, each with its delay).
    pub fn animates(self) -> bool {
        matches!(self, Format::Webp | Format::Avif | Format::Gif)
    }

    /// Bytes per decoded pixel in the zero-copy memory formula (JPEG 3, others 4).
    pub fn formula_bpp(self) -> u64 {
        match self {
            Format::Jpeg => 3,
            _ => 4,
        }
    }
}

/// An ISO-BMFF file whose `ftyp` box names AVIF as its major or a compatible brand (files
/// written as generic HEIF, major brand `mif1`, list `avif` among the compatible ones).
fn is_avif(bytes: &[u8]) -> bool {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let declared = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let ftyp = &bytes[..declared.clamp(12, bytes.len())];
    // major brand, minor version, then the compatible brands
    std::iter::once(&ftyp[8..12])
        .chain(ftyp.get(16..).unwrap_or_default().chunks_exact(4))
        .any(|b| b == b"avif" || b == b"avis")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_not_names() {
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::Webp));
        assert_eq!(Format::sniff(b"\0\0\0\x1cftypavif"), Some(Format::Avif));
        assert_eq!(Format::sniff(b"\0\0\0\x18ftypmif1\0\0\0\0mif1avif"), Some(Format::Avif));
        assert_eq!(Format::sniff(b"\0\0\0\x18ftypmif1\0\0\0\0mif1heic"), None);
        assert_eq!(Format::sniff(b"GIF89a"), Some(Format::Gif));
        assert_eq!(Format::sniff(b"GIF90a"), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn parses_output_names() {
        assert_eq!(Format::parse("JPG").unwrap(), Format::Jpeg);
        assert_eq!(Format::parse("GIF").unwrap(), Format::Gif);
        assert!(matches!(Format::parse("tiff"), Err(Error::InvalidArgument(_))));

    }
}
