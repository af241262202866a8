//! Quality chosen per image: the lowest encoder quality whose output still scores at least a
//! target on SSIMULACRA2 (the `fast-ssim2` crate, BSD/MIT: SIMD, and the reference frame's
//! half of the work done once for all probes) against the frame it encodes, over qualities in
//! steps of 5 (30–95).
//!
//! A probe is an encode, a decode by our own decoder and a score. Bisecting at full size took
//! five probes, 7.5–7.9× the time of one fixed-quality output. So the search is a walk: from
//! a start, down while the next lower quality still reaches the target, up while this one
//! does not. It walks first on the frame at half size (a quarter of the pixels: each probe
//! there costs about a quarter), from q80, where most photos end (the corpus' median), then
//! at full size from the half-size answer, which is usually right: two full-size probes, the
//! chosen quality and the one below it, which is how the choice is always checked at full
//! size. Each full-size probe is kept, so the chosen one is not encoded twice.

use fast_ssim2::{PixelDescriptor, PixelSlice, Ssimulacra2Error, Ssimulacra2Reference};

use crate::codecs::{self, DecodeContext, EncodeContext, EncodeOptions};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::ops::resize::{self, Kernel};
use crate::source::Source;

/// SSIMULACRA2's "high quality" level, the default target.
pub const DEFAULT_TARGET: f64 = 75.0;

/// The qualities tried, lowest first.
const CANDIDATES: [u8; 14] = [30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95];

/// Where the first walk starts.
const START: usize = 10; // q80

/// Frames with a side below this are searched at full size: probes there are cheap, and a
/// half-size copy would be too small for the score's coarser scales to mean much.
const HALF_SIZE_FROM: u32 = 256;

pub struct Chosen {
    pub data: Vec<u8>,
    pub quality: u8,
    pub score: f64,
}

/// Encodes and scores one frame at candidate qualities.
struct Prober<'a> {
    image: &'a Image,
    reference: Ssimulacra2Reference,
    options: &'a EncodeOptions,
    ctx: &'a EncodeContext<'a>,
}

impl Prober<'_> {
    fn probe(&self, index: usize) -> Result<Chosen> {
        let mut o = self.options.clone();
        o.quality = Some(CANDIDATES[index]);
        o.target = None;
        let data = codecs::encode_with(self.image.clone(), &o, self.ctx)?;
        let score = score(&self.reference, &data)?;
        Ok(Chosen { data, quality: CANDIDATES[index], score })
    }

    /// The lowest candidate reaching `target`, walked from `start`: down while the next
    /// lower one still reaches it, up while this one does not (the highest, when none does).
    fn walk(&self, start: usize, target: f64) -> Result<Chosen> {
        let mut at = start;
        let mut best = self.probe(at)?;
        if best.score >= target {
            while at > 0 {
                let lower = self.probe(at - 1)?;
                if lower.score < target {
                    break;
                }
                (best, at) = (lower, at - 1);
            }
        } else {
            while at + 1 < CANDIDATES.len() {
                at += 1;
                best = self.probe(at)?;
                if best.score >= target {
                    break;
                }
            }
        }
        Ok(best)
    }
}

/// Encodes `image` at the lowest candidate quality scoring at least `target`; when even the
/// highest does not, at the highest (its score then says so).
pub fn encode_auto(image: &Image, options: &EncodeOptions, ctx: &EncodeContext, target: f64) -> Result<Chosen> {
    let full = Prober { image, reference: reference(image)?, options, ctx };
    if image.width.min(image.height) < HALF_SIZE_FROM {
        return full.walk(START, target);
    }
    let half = resize::scale(image.clone(), (image.width / 2, image.height / 2), Kernel::Lanczos3)?;
    let bare = EncodeContext { deadline: ctx.deadline, icc: None, exif: None };
    let guess = Prober { image: &half, reference: reference(&half)?, options, ctx: &bare }.walk(START, target)?;
    let at = CANDIDATES.iter().position(|&q| q == guess.quality).expect("a candidate");
    full.walk(at, target)
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
        // Searched at full size (160 wide), and from a half-size guess (640 wide).
        for image in [photo(160, 120, false), photo(640, 400, false)] {
            lowest_reaching(&image);
        }
    }

    fn lowest_reaching(image: &Image) {
        let image = image.clone();
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
