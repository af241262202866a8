//! Quality chosen per image: the lowest encoder quality whose output still scores at least a
//! target on SSIMULACRA2 (the `ssimulacra2` crate, BSD) against the frame it encodes. The
//! search is a binary search over qualities in steps of 5 (30–95), so about four encodes,
//! each decoded again by our own decoder and scored; each probe is kept, so the chosen one
//! is not encoded twice.

use ssimulacra2::{compute_frame_ssimulacra2, LinearRgb};

use crate::codecs::{self, DecodeContext, EncodeContext, EncodeOptions};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::ops::colour::linear;
use crate::source::Source;

/// SSIMULACRA2's "high quality" level, the default target.
pub const DEFAULT_TARGET: f64 = 75.0;

/// The qualities tried, lowest first.
const CANDIDATES: [u8; 14] = [30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95];

pub struct Chosen {
    pub data: Vec<u8>,
    pub quality: u8,
    pub score: f64,
}

/// Encodes `image` at the lowest candidate quality scoring at least `target`; when even the
/// highest does not, at the highest (its score then says so).
pub fn encode_auto(image: &Image, options: &EncodeOptions, ctx: &EncodeContext, target: f64) -> Result<Chosen> {
    let reference = linear_rgb(image)?;
    let probe = |quality: u8| -> Result<Chosen> {
        let mut o = options.clone();
        o.quality = Some(quality);
        o.target = None;
        let data = codecs::encode_with(image.clone(), &o, ctx)?;
        let score = score(&reference, &data)?;
        Ok(Chosen { data, quality, score })
    };
    // The lowest index whose probe reaches the target, found by bisection.
    let (mut lo, mut hi) = (0, CANDIDATES.len() - 1);
    let mut best = probe(CANDIDATES[hi])?;
    if best.score < target {
        return Ok(best);
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        let tried = probe(CANDIDATES[mid])?;
        if tried.score >= target {
            hi = mid;
            best = tried;
        } else {
            lo = mid + 1;
        }
    }
    Ok(best)
}

/// SSIMULACRA2 of encoded `data` against `reference`.
pub fn score(reference: &LinearRgb, data: &[u8]) -> Result<f64> {
    let header = codecs::probe(data)?;
    let source = Source::borrowed(std::sync::Arc::new(data.to_vec()))?;
    let decoded = codecs::decode(&source, &header, &DecodeContext::default())?;
    compute_frame_ssimulacra2(reference.clone(), linear_rgb(&decoded)?).map_err(|e| match e {
        ssimulacra2::Ssimulacra2Error::NonMatchingImageDimensions => Error::InvalidArgument("SSIMULACRA2 compares images of one size; these differ".into()),
        ssimulacra2::Ssimulacra2Error::InvalidImageSize => Error::InvalidArgument("SSIMULACRA2 needs images of at least 8x8 pixels".into()),
        e => Error::Internal(format!("ssimulacra2: {e:?}")),
    })
}

/// The frame as linear light, alpha flattened onto white as a viewer would show it.
pub fn linear_rgb(image: &Image) -> Result<LinearRgb> {
    let rgb = image.clone().into_rgb();
    let data = rgb.data.chunks_exact(3).map(|p| [linear(p[0]), linear(p[1]), linear(p[2])]).collect();
    LinearRgb::new(data, image.width as usize, image.height as usize).map_err(|e| Error::Internal(format!("ssimulacra2 frame: {e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::format::Format;

    #[test]
    fn the_chosen_quality_is_the_lowest_candidate_that_reaches_the_target() {
        let image = photo(160, 120, false);
        let options = EncodeOptions::new(Format::Webp);
        let chosen = encode_auto(&image, &options, &EncodeContext::default(), 70.0).unwrap();
        let reference = linear_rgb(&image).unwrap();
        assert!(chosen.score >= 70.0, "{}", chosen.score);
        assert!((score(&reference, &chosen.data).unwrap() - chosen.score).abs() < 1e-9, "the score is the output's");
        let below = CANDIDATES.iter().rev().find(|&&q| q < chosen.quality);
        if let Some(&q) = below {
            let mut o = options.clone();
            o.quality = Some(q);
            let lower = codecs::encode(image.clone(), &o).unwrap();
            assert!(score(&reference, &lower).unwrap() < 70.0, "q{q} would have done");
        }
        let higher = encode_auto(&image, &options, &EncodeContext::default(), 85.0).unwrap();
        assert!(higher.quality >= chosen.quality && higher.data.len() >= chosen.data.len());
    }
}
