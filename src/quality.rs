//! Quality chosen per image: the lowest encoder quality (1–100) whose output still scores at
//! least a target on SSIMULACRA2 (the `fast-ssim2` crate, BSD/MIT: SIMD, and the reference
//! frame's half of the work done once for all probes) against the frame it encodes.
//!
//! A probe is an encode, a decode by our own decoder and a score. The search has two parts:
//!
//! - **A prediction at half size** (a quarter of the pixels: each probe there costs about a
//!   quarter). A walk in steps of 5 from q80, where most photos end: down while the next
//!   lower step still reaches the target, up while this one does not. Where the target falls
//!   between its last two steps, and how fast the score rises there, predict the full-size
//!   answer. Meanwhile the full-size reference is computed on a thread of its own.
//! - **A bracket at full size.** Each round probes the quality where the target is predicted
//!   to be first reached and the one below it: when the prediction is right, that round ends
//!   the search. Otherwise its scores move the prediction: between the lowest quality known
//!   to reach the target and the highest known to fall short, or along the slope from the
//!   one side known. The search ends when a quality that reaches the target has its
//!   neighbour below it probed and falling short, so the choice is always checked at full
//!   size, at single-quality precision.
//!
//! Two probes whose results do not decide each other run at once, the second on a scoped
//! thread of this job: the same answer as one after another, in less time on two cores.
//! `cost::AUTO_QUALITY_PER_PIXEL` reserves the memory of the two probes in flight and the
//! references.

use std::collections::VecDeque;

use fast_ssim2::{PixelDescriptor, PixelSlice, Ssimulacra2Error, Ssimulacra2Reference};

use crate::codecs::{self, ChromaSubsampling, DecodeContext, EncodeContext, EncodeOptions};
use crate::format::Format;
use crate::error::{Error, Result};
use crate::image::Image;
use crate::ops::resize::{self, Kernel};
use crate::source::Source;

/// SSIMULACRA2's "high quality" level, the default target.
pub const DEFAULT_TARGET: f64 = 75.0;

/// The steps of the half-size walk, lowest first.
const STEPS: [u8; 20] = [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95, 100];

/// Where the half-size walk starts.
const START: usize = 15; // q80

/// The range of the full-size search.
const LOWEST: u8 = 1;
const HIGHEST: u8 = 100;

/// Frames with a side below this are searched at full size: probes there are cheap, and a
/// half-size copy would be too small for the score's coarser scales to mean much.
const HALF_SIZE_FROM: u32 = 256;

/// How much higher than the target the half-size walk aims. At the quality where a photo
/// at full size first reaches 75, the same photo at half size scores about 1 more (the
/// median; from -2.4 to +5.2 over 12 photos of the auto-quality bench's corpus, WebP and
/// JPEG). Replayed over those photos' score curves (`docs/scripts/auto-quality-split.js`),
/// a margin of 1 took the fewest full-size rounds for both formats.
const HALF_SIZE_MARGIN: f64 = 1.0;

/// The score gained per quality step when nothing better is known, and the least slope
/// believed (a flatter one would send the estimate far past the range).
const DEFAULT_SLOPE: f64 = 1.0;
const LEAST_SLOPE: f64 = 0.25;

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

impl Walked {
    /// Where the target falls between the two last steps, as if the score rose evenly with
    /// the quality, and how fast it rises.
    fn crossing(&self, target: f64) -> Estimate {
        match &self.below {
            Some(below) => Estimate::between(below, &self.best, target),
            None => Estimate { at: self.best.quality as f64, slope: DEFAULT_SLOPE },
        }
    }
}

/// Where the score is expected to reach the target, and the score per quality step near it.
#[derive(Clone, Copy)]
struct Estimate {
    at: f64,
    slope: f64,
}

impl Estimate {
    fn between(low: &Chosen, high: &Chosen, target: f64) -> Estimate {
        let span = (high.quality - low.quality) as f64;
        let rise = high.score - low.score;
        let share = if rise > 0.0 { ((target - low.score) / rise).clamp(0.0, 1.0) } else { 1.0 };
        Estimate { at: low.quality as f64 + share * span, slope: (rise / span).max(LEAST_SLOPE) }
    }
}

/// What the full-size probes so far say: the lowest quality known to reach the target, and
/// the highest below it known to fall short. The answer is found when they are neighbours.
#[derive(Default)]
struct Bracket {
    pass: Option<Chosen>,
    fail: Option<Chosen>,
}

impl Bracket {
    /// Takes one round's probes, lowest quality first: a pass lower than the known one
    /// replaces it; a fail counts only below the pass (scores are not always monotonic).
    fn add(&mut self, probe: Chosen, target: f64) {
        if probe.score >= target {
            if self.pass.as_ref().is_none_or(|p| probe.quality < p.quality) {
                self.pass = Some(probe);
            }
        } else if self.pass.as_ref().is_none_or(|p| probe.quality < p.quality) && self.fail.as_ref().is_none_or(|f| probe.quality > f.quality) {
            self.fail = Some(probe);
        }
    }

    /// The qualities not yet probed strictly between the two bounds.
    fn open(&self) -> std::ops::RangeInclusive<u8> {
        let low = self.fail.as_ref().map_or(LOWEST, |f| f.quality + 1);
        let high = self.pass.as_ref().map_or(HIGHEST, |p| p.quality - 1);
        low..=high
    }

    /// Where the target should fall now: between the bounds when both are known, else from
    /// the one known at `slope` per step.
    fn estimate(&self, slope: f64, target: f64) -> f64 {
        match (&self.fail, &self.pass) {
            (Some(f), Some(p)) => Estimate::between(f, p, target).at,
            (None, Some(p)) => p.quality as f64 - (p.score - target) / slope,
            (Some(f), None) => f.quality as f64 + (target - f.score) / slope,
            (None, None) => unreachable!("estimated after a round"),
        }
    }

    /// The next round: the quality at which the target is expected to be first reached and
    /// the one below it (the pair that ends the search when the estimate is right), or the
    /// nearest open ones to them.
    fn next_round(&self, at: f64) -> Vec<u8> {
        let open = self.open();
        let (low, high) = (*open.start() as i32, *open.end() as i32);
        let first = (at.ceil() as i32).clamp(low, high);
        // Outwards from the pair (first, first - 1): first, first - 1, first + 1, first - 2, …
        let outwards = (0..).map(|k: i32| if k % 2 == 1 { first - (k + 1) / 2 } else { first + k / 2 });
        let mut round: Vec<u8> = outwards.take(2 * (high - low + 1) as usize).filter(|q| (low..=high).contains(q)).map(|q| q as u8).take(2).collect();
        round.sort_unstable();
        round
    }

    /// The answer, once there is one: the lowest pass whose neighbour below falls short (or
    /// is out of range), or the highest quality when even it falls short.
    fn answer(&mut self) -> Option<Chosen> {
        if self.open().is_empty() {
            return self.pass.take().or_else(|| self.fail.take());
        }
        None
    }
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

    /// The lowest quality reaching `target`, searched at full size from `estimate`: each
    /// round probes the quality where the target is expected to be first reached and the one
    /// below it, two at once; each round's scores move the estimate (between the bounds
    /// found, or along the slope from the one found) until a quality that reaches the target
    /// has its neighbour below it probed and falling short.
    fn search(&self, estimate: Estimate, target: f64) -> Result<Chosen> {
        let mut bracket = Bracket::default();
        let mut at = estimate.at;
        loop {
            let round = bracket.next_round(at);
            let probes = match round[..] {
                [a, b] => self.probe_both(a, b).into_iter().collect::<Result<Vec<_>>>()?,
                [a] => vec![self.probe(a)?],
                _ => unreachable!("a round has one or two qualities"),
            };
            for probe in probes {
                bracket.add(probe, target);
            }
            if let Some(chosen) = bracket.answer() {
                return Ok(chosen);
            }
            at = bracket.estimate(estimate.slope, target);
        }
    }

    /// `search`, and for a JPEG that falls short even at q100 with its chroma halved (fine
    /// coloured detail), the search again with full-resolution chroma, from the top.
    fn search_any_chroma(self, estimate: Estimate, target: f64) -> Result<Chosen> {
        let chosen = self.search(estimate, target)?;
        // A chroma the caller chose is kept.
        if chosen.score >= target || self.options.format != Format::Jpeg || self.options.chroma_subsampling.is_some() {
            return Ok(chosen);
        }
        let full = EncodeOptions { chroma_subsampling: Some(ChromaSubsampling::Full), ..self.options.clone() };
        let top = Estimate { at: HIGHEST as f64, slope: DEFAULT_SLOPE };
        let other = Prober { options: &full, ..self }.search(top, target)?;
        Ok(if other.score > chosen.score { other } else { chosen })
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
        let start = Estimate { at: STEPS[START] as f64, slope: DEFAULT_SLOPE };
        return Prober { image, reference: reference(image)?, options, ctx }.search_any_chroma(start, target);
    }
    let half = resize::scale(image.clone(), (image.width / 2, image.height / 2), Kernel::Lanczos3)?;
    let bare = EncodeContext { deadline: ctx.deadline, icc: None, exif: None };
    // The full-size reference on a thread of its own while the half-size walk runs.
    let (full_reference, guess) = std::thread::scope(|s| {
        let full_reference = s.spawn(|| reference(image));
        let half_target = target + HALF_SIZE_MARGIN;
        let guess = reference(&half).and_then(|r| Prober { image: &half, reference: r, options, ctx: &bare }.walk(&STEPS, START, half_target));
        (full_reference.join().unwrap_or_else(|_| Err(Error::Internal("the SSIMULACRA2 reference panicked".into()))), guess)
    });
    let estimate = guess?.crossing(target + HALF_SIZE_MARGIN);
    Prober { image, reference: full_reference?, options, ctx }.search_any_chroma(estimate, target)
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

    fn probe(quality: u8, score: f64) -> Chosen {
        Chosen { data: Vec::new(), quality, score }
    }

    #[test]
    fn a_round_is_the_expected_first_quality_and_the_one_below_it_within_the_bounds() {
        let mut bracket = Bracket::default();
        assert_eq!(bracket.next_round(77.2), [77, 78]);
        assert_eq!(bracket.next_round(140.0), [99, 100]);
        assert_eq!(bracket.next_round(-3.0), [1, 2], "the lowest and the one above it");
        bracket.add(probe(70, 72.0), 75.0);
        bracket.add(probe(72, 76.0), 75.0);
        assert_eq!(bracket.next_round(60.0), [71], "only 71 is left open");
        assert!(bracket.answer().is_none());
        bracket.add(probe(71, 75.5), 75.0);
        let answer = bracket.answer().expect("71 reaches the target and 70 does not");
        assert_eq!(answer.quality, 71);
    }

    #[test]
    fn a_fail_above_the_lowest_pass_does_not_bound_it() {
        let mut bracket = Bracket::default();
        for p in [probe(80, 76.0), probe(81, 74.0)] {
            bracket.add(p, 75.0);
        }
        assert_eq!(bracket.open(), 1..=79, "81 falling short says nothing about what is below 80");
        assert_eq!(bracket.estimate(0.5, 75.0), 78.0, "from 80 down along the slope");
        for p in [probe(78, 74.9), probe(79, 75.1)] {
            bracket.add(p, 75.0);
        }
        assert_eq!(bracket.answer().map(|c| c.quality), Some(79));
    }

    #[test]
    fn when_even_the_highest_quality_falls_short_it_is_the_answer() {
        let mut bracket = Bracket::default();
        for p in [probe(99, 60.0), probe(100, 61.0)] {
            bracket.add(p, 75.0);
        }
        assert_eq!(bracket.answer().map(|c| c.quality), Some(100));
    }

    #[test]
    fn a_jpeg_that_halved_chroma_keeps_below_the_target_gets_full_chroma() {
        // Columns of red and blue one pixel wide: 4:2:0 averages each pair's colour.
        let (width, height) = (96, 64);
        let data = (0..width * height).flat_map(|i| if i % 2 == 0 { [230, 20, 20] } else { [20, 20, 230] }).collect();
        let image = Image::new(width, height, 3, data);
        let reference = reference(&image).unwrap();
        let mut halved = EncodeOptions::new(Format::Jpeg);
        halved.quality = Some(100);
        let score_at_100 = score(&reference, &codecs::encode(image.clone(), &halved).unwrap()).unwrap();
        assert!(score_at_100 < 75.0, "the premise: 4:2:0 at q100 scores {score_at_100}");
        let chosen = encode_auto(&image, &EncodeOptions::new(Format::Jpeg), &EncodeContext::default(), 75.0).unwrap();
        assert!(chosen.score >= 75.0, "{}", chosen.score);
        assert!((score(&reference, &chosen.data).unwrap() - chosen.score).abs() < 1e-9);
        let mut lower = EncodeOptions::new(Format::Jpeg);
        (lower.quality, lower.chroma_subsampling) = (Some(chosen.quality - 1), Some(ChromaSubsampling::Full));
        assert!(score(&reference, &codecs::encode(image.clone(), &lower).unwrap()).unwrap() < 75.0, "q{} would have done", chosen.quality - 1);
        // 4:2:0 asked for is kept: the search ends at q100, short of the target.
        let mut asked = EncodeOptions::new(Format::Jpeg);
        asked.chroma_subsampling = Some(ChromaSubsampling::Halved);
        let kept = encode_auto(&image, &asked, &EncodeContext::default(), 75.0).unwrap();
        assert_eq!((kept.quality, kept.score), (100, score_at_100));
    }

    fn lowest_reaching(image: &Image, format: Format) {
        let image = image.clone();
        let options = EncodeOptions::new(format);
        let chosen = encode_auto(&image, &options, &EncodeContext::default(), 70.0).unwrap();
        let reference = reference(&image).unwrap();
        assert!(chosen.score >= 70.0, "{}", chosen.score);
        assert!((score(&reference, &chosen.data).unwrap() - chosen.score).abs() < 1e-9, "the score is the output's");
        if chosen.quality > LOWEST {
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
