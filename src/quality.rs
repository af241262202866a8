//! Quality chosen per image: the lowest encoder quality (1–100) whose output still scores at
//! least a target on SSIMULACRA2 (the `fast-ssim2` crate, BSD/MIT: SIMD, and the reference
//! frame's half of the work done once for all probes) against the frame it encodes.
//!
//! A probe is an encode, a decode by our own decoder and a score. The search is a walk: from
//! a start, down while the next lower quality still reaches the target, up while this one
//! does not. It walks in steps of 5, first on the frame at half size (a quarter of the
//! pixels: each probe there costs about a quarter) from q80, where most photos end, then at
//! full size from the half-size answer, which is often right: two full-size probes, the
//! answer and the step below it, so the choice is always checked at full size. Then it walks
//! the four qualities between those two in steps of 1, from where the target falls between
//! their scores; most of the bytes that steps of 5 leave above the target are there.
//!
//! The walk's next two steps do not depend on each other's result, so they run at once on
//! two threads (the second on a scoped thread of this job), and the full-size reference is
//! computed while the half-size walk runs: the same probes and the same answer as one after
//! another, in less time on two cores, for the CPU time of at most one probe more per walk
//! (a step it turns out not to need). `cost::AUTO_QUALITY_PER_PIXEL` reserves the memory of
//! the two probes in flight and the references.

use std::collections::VecDeque;

use fast_ssim2::{PixelDescriptor, PixelSlice, Ssimulacra2Error, Ssimulacra2Reference};

use crate::codecs::{self, DecodeContext, EncodeContext, EncodeOptions};
use crate::error::{Error, Result};
use crate::image::Image;
use crate::ops::resize::{self, Kernel};
use crate::source::Source;

/// SSIMULACRA2's "high quality" level, the default target.
pub const DEFAULT_TARGET: f64 = 75.0;

/// The steps of the first walks, lowest first.
const STEPS: [u8; 20] = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100];

/// Where the first walk starts.
const START: usize = 15; // q80

/// Frames with a side below this are searched at full size: probes there are cheap, and a
/// half-size copy would be too small for the score's coarser scales to mean much.
const HALF_SIZE_FROM: u32 = 256;

pub struct Chosen {
    pub data: Vec<u8>,
    pub quality: u8,
    pub score: f64,
}

/// What a walk found: the lowest quality reaching the target (the highest, when none does),
/// and the probe of the quality just below it, when the walk made one.
struct Walked {
    best: Chosen,
    below: Option<Chosen>,
}

/// Encodes and scores one frame at the qualities asked.
struct Prober<'a> {
    image: &'a Image,
    reference: Ssimulacra2Reference,
    options: &'a EncodeOptions,
    ctx: &'a EncodeContext<'a>,
}

impl<'a> Prober<'a> {
    fn probe(&self, quality: u8) -> Result<Chosen> {
        let mut o = self.options.clone();
        o.quality = Some(quality);
        o.target = None;
        let data = codecs::encode_with(self.image.clone(), &o, self.ctx)?;
        let score = score(&self.reference, &data)?;
        Ok(Chosen { data, quality, score })
    }

    /// Two probes at once, the second on a thread of its own.
    fn probe_both(&self, a: u8, b: u8) -> [Result<Chosen>; 2] {
        std::thread::scope(|s| {
            let second = s.spawn(|| self.probe(b));
            let first = self.probe(a);
            [first, second.join().unwrap_or_else(|_| Err(Error::Internal("a quality probe panicked".into())))]
        })
    }

    fn probes<I: Iterator<Item = u8>>(&self, qualities: I) -> Probes<'_, 'a, I> {
        Probes { prober: self, qualities, ready: VecDeque::new() }
    }

    /// Walks `steps` (ascending) from `steps[start]`: down while the next lower one still
    /// reaches `target`, up while this one does not.
    fn walk(&self, steps: &[u8], start: usize, target: f64) -> Result<Walked> {
        // The first round probes `start` and the step below it, where the walk goes when
        // `start` reaches the target.
        let mut down = self.probes(steps[..=start].iter().rev().copied());
        let mut best = down.next().expect("start is a step")?;
        if best.score >= target {
            for lower in down {
                let lower = lower?;
                if lower.score < target {
                    return Ok(Walked { best, below: Some(lower) });
                }
                best = lower;
            }
            return Ok(Walked { best, below: None });
        }
        for higher in self.probes(steps[start + 1..].iter().copied()) {
            let below = std::mem::replace(&mut best, higher?);
            if best.score >= target {
                return Ok(Walked { best, below: Some(below) });
            }
        }
        Ok(Walked { best, below: None })
    }

    /// The lowest quality reaching `target`: the walk in steps of 5 from `steps[start]`,
    /// then in steps of 1 between its answer and the step below it.
    fn search(&self, start: usize, target: f64) -> Result<Chosen> {
        let (best, below) = match self.walk(&STEPS, start, target)? {
            Walked { best, below: Some(below) } => (best, below),
            Walked { best, below: None } => return Ok(best),
        };
        let between: Vec<u8> = (below.quality + 1..best.quality).collect();
        // Where the target falls between the two scores, as if the score rose evenly with
        // the quality.
        let share = ((target - below.score) / (best.score - below.score)).clamp(0.0, 1.0);
        let guess = (share * (best.quality - below.quality) as f64).ceil() as usize;
        let found = self.walk(&between, guess.clamp(1, between.len()) - 1, target)?.best;
        Ok(if found.score >= target { found } else { best })
    }
}

/// The probes of `qualities` in order, made two at a time: the walk reads them one by one
/// and stops at its answer, so at most one is made that it does not read.
struct Probes<'p, 'a, I> {
    prober: &'p Prober<'a>,
    qualities: I,
    ready: VecDeque<Result<Chosen>>,
}

impl<I: Iterator<Item = u8>> Iterator for Probes<'_, '_, I> {
    type Item = Result<Chosen>;

    fn next(&mut self) -> Option<Result<Chosen>> {
        if self.ready.is_empty() {
            let first = self.qualities.next()?;
            match self.qualities.next() {
                Some(second) => self.ready.extend(self.prober.probe_both(first, second)),
                None => self.ready.push_back(self.prober.probe(first)),
            }
        }
        self.ready.pop_front()
    }
}

/// Encodes `image` at the lowest quality scoring at least `target`; when even the highest
/// does not, at the highest (its score then says so).
pub fn encode_auto(image: &Image, options: &EncodeOptions, ctx: &EncodeContext, target: f64) -> Result<Chosen> {
    if image.width.min(image.height) < HALF_SIZE_FROM {
        return Prober { image, reference: reference(image)?, options, ctx }.search(START, target);
    }
    let half = resize::scale(image.clone(), (image.width / 2, image.height / 2), Kernel::Lanczos3)?;
    let bare = EncodeContext { deadline: ctx.deadline, icc: None, exif: None };
    // The full-size reference on a thread of its own while the half-size walk runs.
    let (full_reference, guess) = std::thread::scope(|s| {
        let full_reference = s.spawn(|| reference(image));
        let guess = reference(&half).and_then(|r| Prober { image: &half, reference: r, options, ctx: &bare }.walk(&STEPS, START, target));
        (full_reference.join().unwrap_or_else(|_| Err(Error::Internal("the SSIMULACRA2 reference panicked".into()))), guess)
    });
    let guess = guess?.best.quality;
    let at = STEPS.iter().position(|&q| q == guess).expect("a step");
    Prober { image, reference: full_reference?, options, ctx }.search(at, target)
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
            for format in [Format::Webp, Format::Jpeg] {
                lowest_reaching(&image, format);
            }
        }
    }

    fn lowest_reaching(image: &Image, format: Format) {
        let image = image.clone();
        let options = EncodeOptions::new(format);
        let chosen = encode_auto(&image, &options, &EncodeContext::default(), 70.0).unwrap();
        let reference = reference(&image).unwrap();
        assert!(chosen.score >= 70.0, "{}", chosen.score);
        assert!((score(&reference, &chosen.data).unwrap() - chosen.score).abs() < 1e-9, "the score is the output's");
        if chosen.quality > STEPS[0] {
            let q = chosen.quality - 1;
            let mut o = options.clone();
            o.quality = Some(q);
            let lower = codecs::encode(image.clone(), &o).unwrap();
            assert!(score(&reference, &lower).unwrap() < 70.0, "{format:?} q{q} would have done");
        }
        let higher = encode_auto(&image, &options, &EncodeContext::default(), 85.0).unwrap();
        assert!(higher.quality >= chosen.quality && higher.data.len() >= chosen.data.len());
    }
}
