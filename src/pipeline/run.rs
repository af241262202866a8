//! Runs a pipeline: limits → probe → memory estimate and reservation → decode (→ sRGB) →
//! orient → ops → encode with the kept metadata, timing each stage. Any panic inside
//! becomes `Error::Internal`, so one bad call can never take the process down.

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::frames::Frame;
use super::{cost, plan, Pipeline};
use crate::codecs::{self, DecodeContext, EncodeContext, EncodeOptions, Header};
use crate::error::{Error, Result};
use crate::heap;
use crate::jobs::{self, MemoryGate};
use crate::limits::Deadline;
use crate::metadata::{self, exif};
use crate::metrics::{self, lap, Metrics};
use crate::image::Image;
use crate::limits::Limits;
use crate::ops::{self, geometry, resize, Op, Overlay};
use crate::placeholder::Placeholder;
use crate::source::Source;

pub struct Encoded {
    pub data: Vec<u8>,
    pub metrics: Metrics,
    /// For a placeholder branch: the hashes and colour (`data` is its tiny preview).
    pub placeholder: Option<Placeholder>,
}

/// Runs the pipeline now, on the calling thread, reserving its memory from the process's
/// gate (see `jobs`); the deadline starts now.
pub fn run(source: &Source, pipeline: &Pipeline, options: &EncodeOptions) -> Result<Encoded> {
    run_until(source, pipeline, options, pipeline.limits.deadline(Instant::now()), jobs::global().memory())
}

/// Runs the pipeline with a deadline that may have started earlier (when the job was
/// queued). Long stages check the deadline and stop; a result that arrives after it, from
/// a stage that cannot stop (a libaom encode), is a timeout too. Any panic inside becomes
/// `Error::Internal`.
pub fn run_until(source: &Source, pipeline: &Pipeline, options: &EncodeOptions, deadline: Deadline, gate: &MemoryGate) -> Result<Encoded> {
    let only = [Branch { ops: Vec::new(), options: options.clone(), placeholder: false }];
    run_branches(source, pipeline, &only, deadline, gate)?.remove(0)
}

/// One output of a run: the operations after the shared ones, and its encoding; or, with
/// `placeholder`, the hashes, colour and tiny preview of its frame (`crate::placeholder`).
#[derive(Debug, Clone, PartialEq)]
pub struct Branch {
    pub ops: Vec<Op>,
    pub options: EncodeOptions,
    pub placeholder: bool,
}

/// One decode feeding several outputs: the source is decoded once, `pipeline`'s operations
/// run once, then each branch runs its own operations on a copy and is encoded. The decode
/// is planned from the shared operations, or, when there are none and each branch starts
/// with a downscale, from the largest branch (shrink-on-load to its size; smaller branches
/// resample from there). With one branch this is exactly a single run. A failure before the
/// branches (limits, decode, shared operations) fails the run; a branch's own failure (its
/// operations, its encode) fails only its entry.
pub fn run_branches(source: &Source, pipeline: &Pipeline, branches: &[Branch], deadline: Deadline, gate: &MemoryGate) -> Result<Vec<Result<Encoded>>> {
    guarded(|| {
        let encoded = run_unguarded(source, pipeline, branches, deadline, gate)?;
        deadline.check()?;
        Ok(encoded)
    })
}

static DECODES: AtomicU64 = AtomicU64::new(0);

/// Sources (and overlays) decoded by pipelines in this process so far: what one decode
/// feeding many outputs is checked by. Decodes for scoring an output are not counted.
pub fn decodes() -> u64 {
    DECODES.load(Ordering::Relaxed)
}

fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(Error::from_panic(p, Error::Internal)))
}

/// The pipeline the decode is planned from: a single branch's operations appended to the
/// shared ones (so a leading resize fuses into decoding, as ever); with several branches
/// and no shared operations, the largest leading resize among them.
fn planning_pipeline(pipeline: &Pipeline, branches: &[Branch], header: &Header) -> Pipeline {
    let mut planning = pipeline.clone();
    match branches {
        [one] => planning.ops.extend(one.ops.iter().cloned()),
        _ if pipeline.ops.is_empty() => {
            let turned = pipeline.auto_orient && header.orientation >= 5;
            let (w, h) = if turned { (header.height, header.width) } else { (header.width, header.height) };
            let area = |op: &Op| op.output_size((w, h)).0 as u64 * op.output_size((w, h)).1 as u64;
            let leading: Option<Vec<&Op>> = branches.iter().map(|b| b.ops.first().filter(|op| matches!(op, Op::Resize(_)))).collect();
            if let Some(largest) = leading.and_then(|ops| ops.into_iter().max_by_key(|op| area(op))) {
                planning.ops.push(largest.clone());
            }
        }
        _ => {}
    }
    planning
}

fn run_unguarded(source: &Source, pipeline: &Pipeline, branches: &[Branch], deadline: Deadline, gate: &MemoryGate) -> Result<Vec<Result<Encoded>>> {
    let started = Instant::now();
    let cpu = cpu_time::ThreadTime::try_now().ok();
    let mut clock = Instant::now();
    let input = source.bytes();
    let limits = &pipeline.limits;
    limits.check_bytes(input.len() as u64)?;
    let (header, found) = codecs::probe_with_metadata(input)?;
    limits.check_dimensions(header.width, header.height)?;
    // An animation stays one when some output can hold it; otherwise its first frame is
    // all that is decoded.
    let holds_animation = |b: &Branch| b.options.format.animates() && !b.placeholder;
    let animated = found.stored.pages > 1 && !pipeline.first_page_only && branches.iter().any(holds_animation);
    let all_ops = || pipeline.ops.iter().chain(branches.iter().flat_map(|b| &b.ops));
    if animated {
        limits.check_frames(found.stored.pages, header.width, header.height)?;
        if let Some(reason) = all_ops().filter_map(Op::refused_per_frame).next() {
            let frames = found.stored.pages;
            return Err(Error::InvalidArgument(format!("the input is an animation of {frames} frames and {reason}; take its first frame with pages: 1, or leave the operation out")));
        }
    }
    // An animation is written without the source's metadata, so its frames go to sRGB.
    let keep = if animated { metadata::Keep { icc: false, ..pipeline.keep } } else { pipeline.keep };
    let colour = metadata::colour_plan(&found, keep, limits);
    let planning = planning_pipeline(pipeline, branches, &header);
    let plan = plan::plan(&planning, &header);
    // Several branches: only the decode size comes from the plan; every branch then runs
    // all of its own operations on the shared frame.
    let single = branches.len() == 1;
    let (fused, rest) = if single { (plan.fused.as_ref(), plan.rest) } else { (None, &pipeline.ops[..]) };
    let frames = |b: &Branch| if animated && holds_animation(b) { found.stored.pages } else { 1 };
    let estimates = branches.iter().map(|b| cost::estimate(&planning, &header, &plan, &b.options, frames(b)));
    // Still branches run one after another; an animation's encoders are all open at once,
    // so their costs add up (counting the shared decoder's for each: on the safe side).
    let costliest = if animated { estimates.sum() } else { estimates.max().unwrap_or(0) };
    let kept_copy = if single { 0 } else { plan.target.map_or(header.decoded_bytes(), |t| t.width as u64 * t.height as u64 * 4) };
    // Composite overlays are decoded when their operation first runs; a corrupt one fails
    // here, before the main image is decoded.
    let overlays = all_ops().map(Op::extra_bytes).sum::<Result<u64>>()?;
    let memory_estimate = costliest + kept_copy + overlays;
    limits.check_memory(memory_estimate)?;
    let _reserved = gate.reserve(memory_estimate, deadline)?;
    let _busy = heap::busy();

    let decoded_overlays = RefCell::new(Vec::<(*const Overlay, Image)>::new());
    // Each overlay is decoded once, however many frames it is drawn on.
    let overlay = |o: &Overlay| {
        if let Some((_, image)) = decoded_overlays.borrow().iter().find(|(seen, _)| std::ptr::eq(*seen, o)) {
            return Ok(image.clone());
        }
        let image = decode_overlay(o, limits, deadline)?;
        decoded_overlays.borrow_mut().push((o as *const Overlay, image.clone()));
        Ok(image)
    };
    let mut cx = ops::Context { deadline, overlay: &overlay, report: ops::Report::default() };
    let run = Shared { source, pipeline, found: &found, header: &header, colour: &colour, started, cpu, memory_estimate, deadline };
    let mut outputs: Vec<Output> = branches.iter().map(|_| Output::Waiting).collect();
    let (mut decode_ms, mut shared_ops_ms, mut frame_index) = (0.0, 0.0, 0usize);
    let loop_count = found.stored.loop_count.unwrap_or(0);
    // With a fused resize, decode_ms includes the resampling that ran while rows arrived.
    let ctx = DecodeContext { target: plan.target, deadline, profile: colour.profile.as_ref(), fail_on: pipeline.fail_on };
    decode_srgb(source, &header, &colour, &ctx, animated, &mut |frame: Frame| {
        let Frame { mut image, delay_ms } = frame;
        decode_ms += lap(&mut clock);
        if pipeline.auto_orient {
            image = geometry::orient(image, header.orientation);
        }
        cx.report = ops::Report::default();
        if let Some((geometry, spec)) = fused {
            image = resize::finish(image, geometry, spec, &mut cx.report)?;
        }
        for op in rest {
            deadline.check()?;
            image = op.apply(image, &mut cx)?;
        }
        shared_ops_ms += lap(&mut clock);
        let shared_report = cx.report;
        let times = Times { decode_ms, shared_ops_ms };
        let last = outputs.iter().rposition(|o| !matches!(o, Output::Done(_)));
        let mut shared = Some(image);
        for (i, (branch, output)) in branches.iter().zip(outputs.iter_mut()).enumerate() {
            if matches!(output, Output::Done(_)) {
                continue;
            }
            // The last branch still taking frames takes the shared one; the others a copy.
            let image = if Some(i) == last { shared.take().expect("kept until the last branch") } else { shared.clone().expect("kept") };
            cx.report = shared_report;
            let own_ops = if single { &[][..] } else { &branch.ops[..] };
            let animates = animated && holds_animation(branch);
            if !animates {
                *output = Output::Done(guarded(|| run.branch(image, own_ops, branch, &mut cx, &mut clock, times)));
                continue;
            }
            let delay_ms = branch.options.delay_ms.as_ref().and_then(|d| d.get(frame_index).or(d.last()).copied()).unwrap_or(delay_ms);
            let step = guarded(|| run.frame(image, delay_ms, own_ops, branch, output, loop_count, &mut cx));
            if let Err(e) = step {
                *output = Output::Done(Err(e));
            }
        }
        frame_index += 1;
        clock = Instant::now();
        Ok(())
    })?;
    let times = Times { decode_ms, shared_ops_ms };
    let outputs = outputs.into_iter().zip(branches).map(|(output, branch)| match output {
        Output::Done(result) => result,
        Output::Waiting => Err(Error::corrupt(header.format.name(), "the file holds no frame")),
        Output::Animating(animation) => guarded(|| run.finish_animation(*animation, branch, times)),
    });
    Ok(outputs.collect())
}

/// Where one output stands while frames flow: waiting for the first, taking frames into
/// its animation, or made (or failed).
enum Output {
    Waiting,
    Animating(Box<Animation>),
    Done(Result<Encoded>),
}

/// An animated output being written: its encoder, the frames' size and the time spent.
struct Animation {
    encoder: Box<dyn codecs::FrameEncoder>,
    size: (u32, u32),
    frames: u32,
    ops_ms: f64,
    encode_ms: f64,
    report: ops::Report,
}

/// Time spent so far on what every output shares.
#[derive(Clone, Copy)]
struct Times {
    decode_ms: f64,
    shared_ops_ms: f64,
}

/// What every branch of a run shares: the source, its header and metadata, the colour
/// plan, and the clock and costs so far.
struct Shared<'a> {
    source: &'a Source,
    pipeline: &'a Pipeline,
    found: &'a metadata::SourceMetadata,
    header: &'a Header,
    colour: &'a metadata::ColourPlan,
    started: Instant,
    cpu: Option<cpu_time::ThreadTime>,
    memory_estimate: u64,
    deadline: Deadline,
}

/// An output as made, before its metrics.
struct Made {
    data: Vec<u8>,
    size: (u32, u32),
    frames: u32,
    ops_ms: f64,
    encode_ms: f64,
    quality: Option<u8>,
    score: Option<f64>,
    placeholder: Option<Placeholder>,
    /// The source's EXIF was not written (or lost its GPS block).
    exif_dropped: bool,
    report: ops::Report,
}

impl Shared<'_> {
    /// The size the shared operations give at full resolution (whatever the decode was
    /// shrunk to): what a placeholder stands for.
    fn full_size(&self) -> (u32, u32) {
        let h = self.header;
        let turned = self.pipeline.auto_orient && h.orientation >= 5;
        let displayed = if turned { (h.height, h.width) } else { (h.width, h.height) };
        self.pipeline.ops.iter().fold(displayed, |size, op| op.output_size(size))
    }

    /// One still branch: its own operations, then its encode (with quality chosen per image
    /// when asked) or its placeholder, and its metrics.
    fn branch(&self, mut image: Image, own_ops: &[Op], branch: &Branch, cx: &mut ops::Context, clock: &mut Instant, times: Times) -> Result<Encoded> {
        let (deadline, pipeline, found, colour) = (self.deadline, self.pipeline, self.found, self.colour);
        *clock = Instant::now();
        for op in own_ops {
            deadline.check()?;
            image = op.apply(image, cx)?;
        }
        let size = (image.width, image.height);
        let ops_ms = lap(clock);

        let keep = pipeline.keep;
        let exif = match (&found.exif, keep.exif) {
            (Some(tiff), true) => exif::rewrite(tiff, size.0, size.1, pipeline.auto_orient, !keep.strip_gps),
            _ => None,
        };
        let carried = EncodeContext { deadline, icc: colour.carry_icc.as_deref(), exif: exif.as_ref().map(|e| &e.tiff[..]) };
        let (mut quality, mut score, mut placeholder) = (branch.options.quality, None, None);
        let data = if branch.placeholder {
            let made = crate::placeholder::make(image, self.full_size())?;
            let preview = made.preview.clone();
            placeholder = Some(made);
            preview
        } else if let Some(target) = branch.options.target {
            let chosen = crate::quality::encode_auto(&image, &branch.options, &carried, target)?;
            (quality, score) = (Some(chosen.quality), Some(chosen.score));
            chosen.data
        } else {
            codecs::encode_with(image, &branch.options, &carried)?
        };
        let encode_ms = lap(clock);
        let exif_dropped = exif.as_ref().is_none_or(|e| e.gps_removed);
        let made = Made { data, size, frames: 1, ops_ms, encode_ms, quality, score, placeholder, exif_dropped, report: cx.report };
        Ok(self.encoded(made, branch, times))
    }

    /// One frame of an animated branch: its own operations, then into the branch's
    /// encoder, started on the first frame at that frame's size.
    #[allow(clippy::too_many_arguments)]
    fn frame(&self, mut image: Image, delay_ms: u32, own_ops: &[Op], branch: &Branch, output: &mut Output, loop_count: u32, cx: &mut ops::Context) -> Result<()> {
        if branch.options.target.is_some() {
            return Err(Error::InvalidArgument("quality: 'auto' chooses the quality of a still image; give an animation a number, or take its first frame with pages: 1".into()));
        }
        let mut clock = Instant::now();
        for op in own_ops {
            self.deadline.check()?;
            image = op.apply(image, cx)?;
        }
        let size = (image.width, image.height);
        let ops_ms = lap(&mut clock);
        if matches!(output, Output::Waiting) {
            let loop_count = branch.options.loop_count.unwrap_or(loop_count);
            let encoder = codecs::animation(&branch.options, size, loop_count, self.deadline)?;
            *output = Output::Animating(Box::new(Animation { encoder, size, frames: 0, ops_ms: 0.0, encode_ms: 0.0, report: cx.report }));
        }
        let Output::Animating(animation) = output else { unreachable!("started above") };
        if size != animation.size {
            return Err(Error::Internal(format!("frame {} came out {}x{}, the animation is {}x{}", animation.frames + 1, size.0, size.1, animation.size.0, animation.size.1)));
        }
        animation.encoder.add(Frame { image, delay_ms })?;
        animation.frames += 1;
        animation.ops_ms += ops_ms;
        animation.encode_ms += lap(&mut clock);
        Ok(())
    }

    fn finish_animation(&self, animation: Animation, branch: &Branch, times: Times) -> Result<Encoded> {
        let mut clock = Instant::now();
        let Animation { encoder, size, frames, ops_ms, encode_ms, report } = animation;
        let data = encoder.finish()?;
        let encode_ms = encode_ms + lap(&mut clock);
        let made = Made { data, size, frames, ops_ms, encode_ms, quality: branch.options.quality, score: None, placeholder: None, exif_dropped: true, report };
        Ok(self.encoded(made, branch, times))
    }

    /// The output with its metrics.
    fn encoded(&self, made: Made, branch: &Branch, times: Times) -> Encoded {
        let (found, colour) = (self.found, self.colour);
        let metadata_stripped = found.other || (found.icc.is_some() && colour.carry_icc.is_none()) || (found.exif.is_some() && made.exif_dropped);
        let input = self.source.bytes();
        let metrics = Metrics {
            decode_ms: times.decode_ms,
            ops_ms: times.shared_ops_ms + made.ops_ms,
            encode_ms: made.encode_ms,
            total_ms: self.started.elapsed().as_secs_f64() * 1000.0,
            peak_rss: metrics::peak_rss(),
            bytes_in: input.len() as u64,
            bytes_out: made.data.len() as u64,
            format_in: self.header.format.name(),
            format_out: branch.options.format.name(),
            width_in: self.header.width,
            height_in: self.header.height,
            width_out: made.size.0,
            height_out: made.size.1,
            pages_out: made.frames,
            compression_ratio: input.len() as f64 / made.data.len().max(1) as f64,
            cpu_time_ms: self.cpu.as_ref().map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0),
            icc_preserved: colour.carry_icc.is_some(),
            metadata_stripped,
            policy_violations: colour.violations.clone(),
            memory_estimate: self.memory_estimate,
            tone_mapped: found.hdr,
            crop_offset: made.report.crop_offset,
            trimmed: made.report.trimmed,
            quality: made.quality,
            score: made.score,
            ..Metrics::default()
        };
        Encoded { data: made.data, metrics, placeholder: made.placeholder }
    }
}

/// Decodes `source` as `ctx` says, counted, converting to sRGB as `colour` planned: every
/// frame of an animation when `animated` (each handed to `out` as it comes), else the
/// first or only frame. A file truncated or rewritten under its map reads wrong (or as
/// zeros): that, rather than whatever the decoder made of it, is the error reported.
fn decode_srgb(source: &Source, header: &Header, colour: &metadata::ColourPlan, ctx: &DecodeContext, animated: bool, out: &mut dyn FnMut(Frame) -> Result<()>) -> Result<()> {
    DECODES.fetch_add(1, Ordering::Relaxed);
    let mut to_srgb = |mut frame: Frame| {
        if let Some(profile) = colour.profile.as_ref().filter(|_| colour.convert) {
            profile.convert_to_srgb(&mut frame.image)?;
        }
        out(frame)
    };
    if animated {
        let decoded = codecs::decode_frames(source, header, ctx, &mut to_srgb);
        source.check_unchanged()?;
        decoded?;
        source.release_pages();
        return Ok(());
    }
    let decoded = codecs::decode(source, header, ctx);
    source.check_unchanged()?;
    let image = decoded?;
    // The mapped file is not read again: its pages go before the operations and encode.
    source.release_pages();
    to_srgb(Frame::still(image))
}

/// A composite layer's pixels: its source decoded whole (sRGB, oriented) under the main
/// image's limits and deadline, then its own operations.
fn decode_overlay(overlay: &Overlay, limits: &Limits, deadline: Deadline) -> Result<Image> {
    let source = &overlay.source;
    let (header, found) = codecs::probe_with_metadata(source.bytes())?;
    limits.check_dimensions(header.width, header.height)?;
    let colour = metadata::colour_plan(&found, metadata::Keep::default(), limits);
    let ctx = DecodeContext { target: None, deadline, profile: colour.profile.as_ref(), fail_on: overlay.pipeline.fail_on };
    let mut decoded = None;
    decode_srgb(source, &header, &colour, &ctx, false, &mut |frame| {
        decoded = Some(frame.image);
        Ok(())
    })?;
    let mut image = decoded.ok_or_else(|| Error::Internal("the overlay gave no frame".into()))?;

    if overlay.pipeline.auto_orient {
        image = geometry::orient(image, header.orientation);
    }
    let nested = |o: &Overlay| decode_overlay(o, limits, deadline);
    let mut cx = ops::Context { deadline, overlay: &nested, report: ops::Report::default() };
    for op in &overlay.pipeline.ops {
        deadline.check()?;
        image = op.apply(image, &mut cx)?;
    }
    Ok(image)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::format::Format;
    use crate::ops::{Fit, Op, ResizeSpec};
    use std::time::Duration;

    fn png_input(w: u32, h: u32) -> Source {
        let bytes = codecs::encode(photo(w, h, false), &EncodeOptions::new(Format::Png)).unwrap();
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    #[test]
    fn runs_ops_in_order_and_reports_metrics() {
        let input = png_input(120, 80);
        let mut p = Pipeline::default();
        p.push(Op::Resize(ResizeSpec { width: Some(60), height: Some(60), fit: Fit::Cover, ..Default::default() }));
        p.push(Op::Rotate { degrees: 90 });
        p.push(Op::Crop { x: 0, y: 0, width: 30, height: 20 });
        let out = run(&input, &p, &EncodeOptions::new(Format::Webp)).unwrap();
        let m = &out.metrics;
        assert_eq!((m.width_in, m.height_in, m.width_out, m.height_out), (120, 80, 30, 20));
        assert_eq!((m.format_in, m.format_out), ("png", "webp"));
        assert_eq!(m.bytes_out as usize, out.data.len());
        let header = codecs::probe(&out.data).unwrap();
        assert_eq!((header.width, header.height), (30, 20));
    }

    fn encoded_with(format: Format, image: crate::image::Image, icc: Option<&[u8]>, exif: Option<&[u8]>) -> Source {
        let ctx = EncodeContext { icc, exif, ..Default::default() };
        let bytes = codecs::encode_with(image, &EncodeOptions::new(format), &ctx).unwrap();
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    #[test]
    fn a_dropped_profile_converts_to_srgb_and_a_kept_one_travels() {
        let p3 = crate::metadata::icc::tests::display_p3();
        let colour = [200u8, 100, 50];
        let flat = crate::image::Image::new(8, 8, 3, colour.repeat(64));
        let input = encoded_with(Format::Png, flat, Some(&p3), None);
        let out = run(&input, &Pipeline::default(), &EncodeOptions::new(Format::Png)).unwrap();
        assert!(!out.metrics.icc_preserved && out.metrics.metadata_stripped);
        assert!(!codecs::probe(&out.data).unwrap().has_icc);
        let pixels = decode_all(&out.data);
        let expected = crate::metadata::icc::tests::p3_to_srgb_reference(colour);
        assert!(pixels.pixel(3, 3).iter().zip(expected).all(|(a, b)| a.abs_diff(b) <= 2), "{:?} vs {expected:?}", pixels.pixel(3, 3));

        let mut keep = Pipeline::default();
        keep.keep.icc = true;
        let out = run(&input, &keep, &EncodeOptions::new(Format::Png)).unwrap();
        assert!(out.metrics.icc_preserved && !out.metrics.metadata_stripped);
        assert_eq!(codecs::probe_with_metadata(&out.data).unwrap().1.icc, Some(p3.clone()));
        assert_eq!(decode_all(&out.data).pixel(3, 3), colour, "pixels stay in P3 with their profile");

        keep.limits = crate::limits::Policy::Strict.limits();
        let out = run(&input, &keep, &EncodeOptions::new(Format::Png)).unwrap();
        assert!(!out.metrics.icc_preserved);
        assert_eq!(out.metrics.policy_violations, ["icc_refused"]);
    }

    #[test]
    fn kept_exif_is_upright_sized_and_without_gps() {
        let tiff = crate::metadata::exif::tests::camera_exif(6);
        let input = encoded_with(Format::Jpeg, photo(80, 60, false), None, Some(&tiff));
        let out = run(&input, &Pipeline::default(), &EncodeOptions::new(Format::Jpeg)).unwrap();
        assert_eq!((out.metrics.width_out, out.metrics.height_out), (60, 80));
        assert_eq!(codecs::probe_with_metadata(&out.data).unwrap().1.exif, None, "stripped by default");
        assert!(out.metrics.metadata_stripped);

        let mut keep = Pipeline::default();
        keep.keep.exif = true;
        for format in [Format::Jpeg, Format::Png, Format::Webp] {
            let out = run(&input, &keep, &EncodeOptions::new(format)).unwrap();
            let exif = codecs::probe_with_metadata(&out.data).unwrap().1.exif.expect("EXIF kept");
            assert_eq!(crate::metadata::exif::orientation(&exif), Some(1));
            let header = codecs::probe(&out.data).unwrap();
            assert_eq!((header.width, header.height, header.orientation), (60, 80, 1));
            let fields = ::exif::Reader::new().read_raw(exif).unwrap();
            assert!(fields.fields().all(|f| f.tag.0 != ::exif::Context::Gps), "{format:?}: GPS removed");
            assert!(out.metrics.metadata_stripped, "GPS was removed");
        }
        keep.keep.strip_gps = false;
        let out = run(&input, &keep, &EncodeOptions::new(Format::Jpeg)).unwrap();
        assert!(!out.metrics.metadata_stripped);
    }

    #[test]
    fn limits_refuse_before_decoding() {
        let input = png_input(100, 80);
        let mut p = Pipeline::default();
        p.limits.max_pixels = 7999;
        assert_eq!(run(&input, &p, &EncodeOptions::new(Format::Png)).err().unwrap().code(), "LAZY_LIMIT_EXCEEDED");
        p.limits.max_pixels = 8000;
        assert!(run(&input, &p, &EncodeOptions::new(Format::Png)).is_ok());
        p.limits.max_bytes = 10;
        assert_eq!(run(&input, &p, &EncodeOptions::new(Format::Png)).err().unwrap().code(), "LAZY_INPUT_TOO_LARGE");
    }

    #[test]
    fn stages_that_can_stop_do_so_at_the_deadline_and_a_late_result_is_a_timeout() {
        let mut p = Pipeline::default();
        // WebP at method 6 through libwebp's hook.
        let mut webp = EncodeOptions::new(Format::Webp);
        webp.effort = Some(10);
        let big = png_input(1600, 1200);
        p.limits.timeout = Some(Duration::from_millis(1));
        assert_eq!(run(&big, &p, &webp).err().unwrap().code(), "LAZY_TIMEOUT");
        // libaom cannot stop: its result, arriving late, is refused all the same.
        let mut slow = EncodeOptions::new(Format::Avif);
        slow.effort = Some(10);
        p.limits.timeout = Some(Duration::from_millis(20));
        assert_eq!(run(&png_input(320, 240), &p, &slow).err().unwrap().code(), "LAZY_TIMEOUT");
        p.limits.timeout = Some(Duration::from_secs(60));
        assert!(run(&png_input(64, 48), &p, &EncodeOptions::new(Format::Jpeg)).is_ok());
    }

    #[test]
    fn a_job_over_its_memory_limit_is_refused_before_decoding_naming_its_cost() {
        let input = png_input(400, 300);
        let mut p = Pipeline::default();
        let out = run(&input, &p, &EncodeOptions::new(Format::Png)).unwrap();
        let estimate = out.metrics.memory_estimate;
        assert!(estimate > cost::FIXED);
        p.limits.max_memory = estimate - 1;
        let err = run(&input, &p, &EncodeOptions::new(Format::Png)).err().unwrap();
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains(&format!("{} MB", estimate.div_ceil(1_000_000))), "{err}");
        p.limits.max_memory = estimate;
        assert!(run(&input, &p, &EncodeOptions::new(Format::Png)).is_ok());
    }

    /// One decode feeding two outputs of different sizes and formats gives what two
    /// separate runs give: the largest exactly (it is planned the same way), the smaller
    /// within a level (it is resampled from the larger decode instead of its own).
    #[test]
    fn one_decode_feeds_two_outputs_like_two_runs() {
        let jpeg = include_bytes!("../../examples/sample.jpg").to_vec();
        let input = Source::borrowed(std::sync::Arc::new(jpeg)).unwrap();
        let resize = |w| Op::Resize(ResizeSpec { width: Some(w), ..Default::default() });
        let branches = [
            Branch { ops: vec![resize(200)], options: EncodeOptions::new(Format::Png), placeholder: false },
            Branch { ops: vec![resize(500), Op::Grayscale], options: EncodeOptions::new(Format::Png), placeholder: false },
        ];
        let gate = jobs::global().memory();
        let decodes = super::decodes();
        let fanned: Vec<Encoded> = run_branches(&input, &Pipeline::default(), &branches, Deadline::NONE, gate).unwrap().into_iter().map(Result::unwrap).collect();
        assert!(super::decodes() > decodes);
        assert_eq!(fanned.len(), 2);
        for (out, branch) in fanned.iter().zip(&branches) {
            let alone = Pipeline { ops: branch.ops.clone(), ..Pipeline::default() };
            let separate = run(&input, &alone, &branch.options).unwrap();
            let (a, b) = (decode_all(&out.data), decode_all(&separate.data));
            assert_eq!((a.width, a.height), (b.width, b.height));
            let diff = crate::codecs::tests::mean_abs_diff(&a, &b);
            if a.width == 500 {
                assert_eq!(a, b, "the largest branch is planned as a single run is");
            } else {
                assert!(diff < 1.0, "{}: {diff}", a.width);
            }
        }
    }

    /// A GIF of `n` frames of 40x30, each its own colour, 30 ms apart, looping forever.
    fn animated_gif(n: u8) -> Source {
        use ::gif::DisposalMethod::Keep;
        let frames: Vec<_> = (0..n).map(|i| (0, 0, 40, 30, i % 4, None, Keep, 3 + i as u16)).collect();
        let bytes = crate::codecs::gif::tests::gif_of(40, 30, &frames, Some(::gif::Repeat::Infinite));
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    #[test]
    fn an_animation_stays_one_through_the_operations_unless_its_first_frame_is_asked_for() {
        let input = animated_gif(5);
        let mut p = Pipeline::default();
        p.push(Op::Resize(ResizeSpec { width: Some(20), ..Default::default() }));
        p.push(Op::FlipH);
        let out = run(&input, &p, &EncodeOptions::new(Format::Webp)).unwrap();
        let (header, found) = codecs::probe_with_metadata(&out.data).unwrap();
        assert_eq!((header.width, header.height, out.metrics.pages_out), (20, 15, 5));
        assert_eq!((found.stored.pages, found.stored.loop_count), (5, Some(0)));
        assert_eq!(found.stored.delays_ms, [30, 40, 50, 60, 70]);
        let mut frames = Vec::new();
        codecs::decode_frames(&Source::borrowed(std::sync::Arc::new(out.data.clone())).unwrap(), &header, &DecodeContext::default(), &mut |f| {
            frames.push(f);
            Ok(())
        })
        .unwrap();
        let expected = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255], [255, 0, 0]];
        for (frame, colour) in frames.iter().zip(expected) {
            let px = frame.image.pixel(10, 7);
            assert!(px.iter().zip(colour).all(|(a, b)| a.abs_diff(b) < 12), "{px:?} vs {colour:?}");
        }
        // Delays and loop given by the caller; a still format gets the first frame.
        let mut options = EncodeOptions::new(Format::Gif);
        (options.delay_ms, options.loop_count) = (Some(vec![100, 200]), Some(2));
        let out = run(&input, &p, &options).unwrap();
        let found = codecs::probe_with_metadata(&out.data).unwrap().1;
        assert_eq!((found.stored.delays_ms, found.stored.loop_count), (vec![100, 200, 200, 200, 200], Some(2)));
        let jpeg = run(&input, &p, &EncodeOptions::new(Format::Jpeg)).unwrap();
        assert_eq!(jpeg.metrics.pages_out, 1);
        p.first_page_only = true;
        let first = run(&input, &p, &EncodeOptions::new(Format::Webp)).unwrap();
        assert_eq!((first.metrics.pages_out, codecs::probe_with_metadata(&first.data).unwrap().1.stored.pages), (1, 1));
    }

    #[test]
    fn animations_are_refused_by_their_frame_limits_and_per_frame_nonsense_by_name() {
        let input = animated_gif(12);
        let mut p = Pipeline::default();
        p.limits.max_frames = 10;
        let err = run(&input, &p, &EncodeOptions::new(Format::Webp)).err().unwrap();
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains("maxFrames"), "{err}");
        p.limits.max_frames = 0;
        p.limits.max_total_pixels = 40 * 30 * 11;
        let err = run(&input, &p, &EncodeOptions::new(Format::Webp)).err().unwrap();
        assert!(err.to_string().contains("maxTotalPixels"), "{err}");
        p.first_page_only = true;
        assert!(run(&input, &p, &EncodeOptions::new(Format::Webp)).is_ok(), "one frame is within the limits");
        let mut p = Pipeline::default();
        p.push(Op::Trim { background: None, threshold: 10.0 });
        let err = run(&input, &p, &EncodeOptions::new(Format::Gif)).err().unwrap();
        assert_eq!(err.code(), "LAZY_INVALID_ARGUMENT");
        assert!(err.to_string().contains("pages: 1"), "{err}");
    }

    fn decode_all(bytes: &[u8]) -> crate::image::Image {

        let header = codecs::probe(bytes).unwrap();
        codecs::decode(&Source::borrowed(std::sync::Arc::new(bytes.to_vec())).unwrap(), &header, &DecodeContext::default()).unwrap()
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let err = guarded::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(err.code(), "LAZY_INTERNAL");
        assert!(err.to_string().contains("boom"));
    }

    #[test]
    fn errors_carry_their_kind() {
        let input = png_input(10, 10);
        let mut p = Pipeline::default();
        p.push(Op::Crop { x: 5, y: 5, width: 10, height: 10 });
        let err = run(&input, &p, &EncodeOptions::new(Format::Png)).err().unwrap();
        assert_eq!(err.code(), "LAZY_CROP_OUT_OF_BOUNDS");
        let cut = Source::borrowed(std::sync::Arc::new(input.bytes()[..30].to_vec())).unwrap();
        let err = run(&cut, &Pipeline::default(), &EncodeOptions::new(Format::Png)).err().unwrap();
        assert_eq!(err.code(), "LAZY_CORRUPT_INPUT");
    }
}
