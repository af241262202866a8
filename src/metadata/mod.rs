//! Metadata around the pixels: what the source carries, what `keepMetadata()` keeps, and
//! the colour conversion that keeps colours right when a profile is not carried.

pub mod container;
pub mod exif;
pub mod hdr;
pub mod icc;

use crate::limits::{IccPolicy, Limits};
use icc::{Icc, Space};

/// What `keepMetadata()` asked for. The default carries nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    pub icc: bool,
    pub exif: bool,
    /// Location is removed from a kept EXIF block unless this is false.
    pub strip_gps: bool,
}

impl Default for Keep {
    fn default() -> Self {
        Keep { icc: false, exif: false, strip_gps: true }
    }
}

/// Metadata blocks found in a source's header area.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMetadata {
    pub icc: Option<Vec<u8>>,
    /// Raw TIFF-structured EXIF.
    pub exif: Option<Vec<u8>>,
    /// XMP, comments, IPTC or text chunks: never carried.
    pub other: bool,
    /// The pixels are HDR (a PQ or HLG transfer) and are decoded tone-mapped to SDR sRGB.
    pub hdr: bool,
    /// How the pixels are stored, for `metadata()`.
    pub stored: Stored,
}

/// How a file stores its pixels, as its header says (what `metadata()` reports besides
/// the size). Nothing in the pipeline depends on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Channels as stored: 1 grey, 2 grey and alpha, 3 colour, 4 colour and alpha (or CMYK).
    pub channels: u8,
    /// Bits per sample.
    pub bit_depth: u8,
    /// sharp's names: 'srgb', 'b-w' (grey) or 'cmyk'.
    pub space: &'static str,
    /// Progressive JPEG or interlaced PNG.
    pub progressive: bool,
    /// Pixels per inch, where the file says.
    pub density: Option<u32>,
    /// Frames: 1 for a still image.
    pub pages: u32,
    /// How often an animation plays (0 forever), where the file says.
    pub loop_count: Option<u32>,
    /// Each frame's display time in milliseconds (empty for a still image).
    pub delays_ms: Vec<u32>,
}

impl Default for Stored {
    fn default() -> Stored {
        Stored { channels: 3, bit_depth: 8, space: "srgb", progressive: false, density: None, pages: 1, loop_count: None, delays_ms: Vec::new() }
    }
}

/// Names reported in `policyViolations` when a kept profile is refused.
pub const ICC_REFUSED: &str = "icc_refused";
pub const ICC_TOO_LARGE: &str = "icc_too_large";

/// Decided from the header, before decoding: which profile describes the pixels, whether
/// the decoded frame is converted to sRGB, and what the output carries.
#[derive(Default)]
pub struct ColourPlan {
    /// The source profile when lcms2 can read it; a CMYK one is applied by the decoder.
    pub profile: Option<Icc>,
    /// Convert the decoded RGB or grey frame with `profile`.
    pub convert: bool,
    pub carry_icc: Option<Vec<u8>>,
    pub violations: Vec<&'static str>,
}

pub fn colour_plan(found: &SourceMetadata, keep: Keep, limits: &Limits) -> ColourPlan {
    let Some((data, profile)) = found.icc.as_deref().and_then(|d| Icc::parse(d).map(|p| (d, p))) else {
        return ColourPlan::default();
    };
    let mut plan = ColourPlan::default();
    let admitted = limits.admits_icc(data.len());
    if keep.icc && !admitted {
        plan.violations.push(if limits.icc == IccPolicy::Refuse { ICC_REFUSED } else { ICC_TOO_LARGE });
    }
    match profile.space() {
        Space::Rgb if keep.icc && admitted => plan.carry_icc = Some(data.to_vec()),
        Space::Rgb | Space::Gray => plan.convert = !profile.is_srgb(),
        Space::Cmyk | Space::Other => {}
    }
    plan.profile = Some(profile);
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::Policy;

    #[test]
    fn a_profile_is_carried_or_converted() {
        let p3 = SourceMetadata { icc: Some(icc::tests::display_p3()), ..SourceMetadata::default() };
        let keep = Keep { icc: true, ..Keep::default() };
        let open = Limits::default();
        let carried = colour_plan(&p3, keep, &open);
        assert!(carried.carry_icc.is_some() && !carried.convert);
        let dropped = colour_plan(&p3, Keep::default(), &open);
        assert!(dropped.carry_icc.is_none() && dropped.convert && dropped.violations.is_empty());
        let strict = colour_plan(&p3, keep, &Policy::Strict.limits());
        assert!(strict.carry_icc.is_none() && strict.convert);
        assert_eq!(strict.violations, [ICC_REFUSED]);
        let garbage = SourceMetadata { icc: Some(b"garbage".to_vec()), ..SourceMetadata::default() };
        let none = colour_plan(&garbage, keep, &open);
        assert!(none.profile.is_none() && none.carry_icc.is_none());
    }
}
