//! Quality chosen per image: the lowest encoder quality whose output still scores at least a
//! target on SSIMULACRA2 (the `fast-ssim2` crate, BSD/MIT: SIMD, and the reference frame's
//! half of the work done once for all probes) against the frame it encodes. The search is a
//! binary search over qualities in steps of 5 (30–95), so about five encodes, each decoded
//! again by our own decoder and scored; each probe is kept, so the chosen one is not encoded
//! twice.

use fast_ssim2::{PixelDescriptor, PixelSlice, Ssimulacra2Error, Ssimulacra2Reference};

use crate::codecs::{self, DecodeContext, EncodeContext, EncodeOptions};
use crate::error::{Error, Result};
use crate::image::Image;
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
    let reference = reference(image)?;
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
pub fn score(reference: &Ssimulacra2Reference, data: &[u8]) -> Result<f64> {
    with_slice(&decode(data)?.into_rgb(), |slice| reference.compare(slice))
}

/// SSIMULACRA2 of one encoded image against another (`ssimulacra2()` in JS).
pub fn score_encoded(reference: &[u8], distorted: &[u8]) -> Result<f64> {
    score(&self::reference(&decode(reference)?)?, distorted)
}

/// An encoded image decoded whole, by the codec its header names.
fn decode(data: &[u8]) -> Result<Image> {
    let header = codecs::probe(data)?;
    let source = Source::borrowed(std::sync::Arc::new(data.to_vec()))?;
    codecs::decode(&source, &header, &DecodeContext::default())
}

/// The reference side of the scores, computed once: the frame as a viewer shows it (alpha
/// flattened onto white).
pub fn reference(image: &Image) -> Result<Ssimulacra2Reference> {
    with_slice(&image.clone().into_rgb(), Ssimulacra2Reference::new)
}

fn with_slice<T>(rgb: &Image, f: impl FnOnce(&PixelSlice<'_>) -> std::result::Result<T, Ssimulacra2Error>) -> Result<T> {
    let slice = PixelSlice::new(&rgb.data, rgb.width, rgb.height, rgb.stride(), PixelDescriptor::RGB8_SRGB).map_err(|e| Error::Internal(format!("ssimulacra2 frame: {e:?}")))?;
    f(&slice).map_err(|e| match e {
        Ssimulacra2Error::NonMatchingImageDimensions => Error::InvalidArgument("SSIMULACRA2 compares images of one size; these differ".into()),
        e => Error::Internal(format!("ssimulacra2: {e}")),
    })
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
        let reference = reference(&image).unwrap();
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
