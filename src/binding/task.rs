//! Jobs: each output is a job of the process's queue (`crate::jobs`), run on its threads
//! and settled on the JS thread through a deferred promise.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use napi::bindgen_prelude::{Buffer, Object};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;

use super::errors;
use crate::batch;
use crate::codecs::EncodeOptions;
use crate::error::{Error, Result};
use crate::jobs;
use crate::metrics::{self, Metrics};
use crate::output;
use crate::pipeline::{self, Encoded, Pipeline};
use crate::source::Source;

/// A promise settled from any thread with a core result, turned into a JS value (or a
/// coded JS error) on the JS thread.
fn promise<'env, T: Send + 'static, J: napi::bindgen_prelude::ToNapiValue + 'static>(
    env: &'env Env,
    into_js: fn(T) -> J,
) -> napi::Result<(impl FnOnce(Result<T>) + Send + 'static, Object<'env>)> {
    type Resolver<J> = Box<dyn FnOnce(Env) -> napi::Result<J> + Send>;
    let (deferred, promise) = env.create_deferred::<J, Resolver<J>>()?;
    let settle = move |result: Result<T>| {
        deferred.resolve(Box::new(move |env: Env| result.map(into_js).map_err(|e| errors::to_js(&env, &e))));
    };
    Ok((settle, promise))
}

/// Queues one output of an engine; the promise settles with its result, or with the
/// timeout at the deadline while the work itself runs on until it stops.
pub fn run<'env>(
    env: &'env Env,
    source: Source,
    pipeline: Pipeline,
    options: EncodeOptions,
    out_path: Option<PathBuf>,
    durable: bool,
) -> napi::Result<Object<'env>> {
    let (settle, promise) = promise(env, RunResult::from_core)?;
    let deadline = pipeline.limits.deadline(Instant::now());
    let queue = jobs::global().clone();
    let work = move |started: jobs::Started| {
        if out_path.as_deref().is_some_and(|p| source.is_file(p)) {
            return Err(Error::OutputIsInput(out_path.unwrap_or_default()));
        }
        let Encoded { data, mut metrics, .. } = pipeline::run_until(&source, &pipeline, &options, deadline, queue.memory())?;
        metrics.queue_ms = started.queue_ms;
        match &out_path {
            Some(path) => output::write_atomic(path, &data, durable).map(|_| (None, metrics)),
            None => Ok((Some(data), metrics)),
        }
    };
    jobs::global().submit(deadline, work, settle).map_err(|e| errors::to_js(env, &e))?;
    Ok(promise)
}

#[napi(object)]
pub struct JsMetrics {
    pub decode_ms: f64,
    pub ops_ms: f64,
    pub encode_ms: f64,
    pub total_ms: f64,
    pub peak_rss: f64,
    pub bytes_in: f64,
    pub bytes_out: f64,
    pub format_in: String,
    pub format_out: String,
    pub width_in: u32,
    pub height_in: u32,
    pub width_out: u32,
    pub height_out: u32,
    /// Frames written: more than 1 for an animation.
    pub pages_out: u32,
    pub compression_ratio: f64,
    /// Milliseconds of CPU time of the thread that ran the pipeline.
    pub cpu_time: f64,
    pub icc_preserved: bool,
    pub metadata_stripped: bool,
    pub policy_violations: Vec<String>,
    /// The source was HDR (PQ or HLG) and was tone-mapped to SDR sRGB.
    pub tone_mapped: bool,
    /// Bytes reserved from the memory gate: the job's estimated peak.
    pub memory_estimate: f64,
    /// Milliseconds spent waiting in the queue.
    pub queue_ms: f64,
    /// After a cover crop, as sharp reports it: minus where the kept region starts in the
    /// resized image.
    pub crop_offset_left: Option<i64>,
    pub crop_offset_top: Option<i64>,
    /// Pixels trim removed from each side (sharp's `trimOffsetLeft` is `-trimLeft`).
    pub trim_top: Option<u32>,
    pub trim_right: Option<u32>,
    pub trim_bottom: Option<u32>,
    pub trim_left: Option<u32>,
    /// The encoder quality used (the one chosen, for `quality: 'auto'`).
    pub quality: Option<u32>,
    /// For `quality: 'auto'`: the output's SSIMULACRA2 score against the frame encoded.
    pub score: Option<f64>,
    /// Version of this object's shape.
    pub version: u32,
}

impl From<Metrics> for JsMetrics {
    fn from(m: Metrics) -> Self {
        JsMetrics {
            decode_ms: m.decode_ms,
            ops_ms: m.ops_ms,
            encode_ms: m.encode_ms,
            total_ms: m.total_ms,
            peak_rss: m.peak_rss as f64,
            bytes_in: m.bytes_in as f64,
            bytes_out: m.bytes_out as f64,
            format_in: m.format_in.into(),
            format_out: m.format_out.into(),
            width_in: m.width_in,
            height_in: m.height_in,
            width_out: m.width_out,
            height_out: m.height_out,
            pages_out: m.pages_out,
            compression_ratio: m.compression_ratio,
            cpu_time: m.cpu_time_ms,
            icc_preserved: m.icc_preserved,
            metadata_stripped: m.metadata_stripped,
            policy_violations: m.policy_violations.into_iter().map(String::from).collect(),
            tone_mapped: m.tone_mapped,
            memory_estimate: m.memory_estimate as f64,
            queue_ms: m.queue_ms,
            crop_offset_left: m.crop_offset.map(|o| -(o.0 as i64)),
            crop_offset_top: m.crop_offset.map(|o| -(o.1 as i64)),
            trim_top: m.trimmed.map(|t| t[0]),
            trim_right: m.trimmed.map(|t| t[1]),
            trim_bottom: m.trimmed.map(|t| t[2]),
            trim_left: m.trimmed.map(|t| t[3]),
            quality: m.quality.map(u32::from),
            score: m.score,
            version: metrics::VERSION,
        }
    }
}

/// `data` is absent when the output went to a file.
#[napi(object)]
pub struct RunResult {
    pub data: Option<Buffer>,
    pub metrics: JsMetrics,
}

impl RunResult {
    fn from_core((data, metrics): (Option<Vec<u8>>, Metrics)) -> RunResult {
        RunResult { data: data.map(Buffer::from), metrics: metrics.into() }
    }
}

/// What a batch's progress callback receives as each input finishes.
#[napi(object)]
pub struct BatchProgress {
    pub done: u32,
    pub total: u32,
    pub source: String,
    pub success: bool,
    pub code: Option<String>,
}

/// A JS function called with a `BatchProgress`, from the batch's threads.
pub type ProgressCallback = ThreadsafeFunction<BatchProgress, (), BatchProgress, Status, false>;

/// One input's result; the error fields are set exactly when `success` is false.
#[napi(object)]
pub struct BatchEntry {
    pub source: String,
    pub success: bool,
    pub output_path: Option<String>,
    pub error: Option<String>,
    pub code: Option<String>,
    pub error_code: Option<u32>,
    pub error_category: Option<String>,
    pub bytes_in: Option<f64>,
    pub bytes_out: Option<f64>,
}

impl From<batch::Outcome> for BatchEntry {
    fn from(o: batch::Outcome) -> Self {
        let source = o.source.to_string_lossy().into_owned();
        match o.result {
            Ok((bytes_in, bytes_out)) => BatchEntry {
                source,
                success: true,
                output_path: Some(o.output.to_string_lossy().into_owned()),
                error: None,
                code: None,
                error_code: None,
                error_category: None,
                bytes_in: Some(bytes_in as f64),
                bytes_out: Some(bytes_out as f64),
            },
            Err(e) => BatchEntry {
                source,
                success: false,
                output_path: None,
                error: Some(e.to_string()),
                code: Some(e.code().into()),
                error_code: Some(e.number()),
                error_category: Some(e.category().as_str().into()),
                bytes_in: None,
                bytes_out: None,
            },
        }
    }
}

/// Runs a batch: a thread of its own feeds the inputs to the queue and waits for them
/// (it holds no job slot), then settles the promise.
#[allow(clippy::too_many_arguments)]
pub fn batch<'env>(
    env: &'env Env,
    inputs: Vec<PathBuf>,
    out_dir: PathBuf,
    pipeline: Pipeline,
    options: EncodeOptions,
    concurrency: Option<usize>,
    durable: bool,
    on_progress: Option<ProgressCallback>,
) -> napi::Result<Object<'env>> {
    let (settle, promise) = promise(env, |outcomes: Vec<batch::Outcome>| outcomes.into_iter().map(BatchEntry::from).collect::<Vec<_>>())?;
    let names: Vec<String> = inputs.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let total = inputs.len() as u32;
    let done = std::sync::atomic::AtomicU32::new(0);
    let report: batch::OnDone = Arc::new(move |i, result| {
        let Some(callback) = &on_progress else { return };
        let progress = BatchProgress {
            done: done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
            total,
            source: names[i].clone(),
            success: result.is_ok(),
            code: result.as_ref().err().map(|e| e.code().to_string()),
        };
        callback.call(progress, ThreadsafeFunctionCallMode::NonBlocking);
    });
    std::thread::Builder::new()
        .name("lazy-image-batch".into())
        .spawn(move || settle(batch::run(jobs::global(), &inputs, &out_dir, &pipeline, &options, batch::Settings { concurrency, durable }, report)))
        .map_err(|e| errors::to_js(env, &Error::Internal(format!("cannot start a batch thread: {e}"))))?;
    Ok(promise)
}

/// What `metadata()` resolves with: the header's facts (sharp's names).
#[napi(object)]
pub struct ImageMetadata {
    pub format: String,
    /// Bytes of the encoded file.
    pub size: f64,
    /// As stored.
    pub width: u32,
    pub height: u32,
    /// As displayed, after the EXIF orientation (when auto-orientation is on).
    pub auto_orient: super::engine::Dimensions,
    pub orientation: u32,
    pub channels: u32,
    /// 'uchar' (8-bit) or 'ushort' (more), as sharp says it.
    pub depth: String,
    pub bits_per_sample: u32,
    pub space: String,
    pub has_alpha: bool,
    pub has_profile: bool,
    pub is_progressive: bool,
    pub density: Option<u32>,
    pub pages: u32,
    pub r#loop: Option<u32>,
    pub delay: Option<Vec<u32>>,
    pub icc: Option<Buffer>,
    pub exif: Option<Buffer>,
}

/// Reads the header off the JS thread (a job of the queue, like any output).
pub fn metadata<'env>(env: &'env Env, source: Source, auto_orient: bool, want_icc: bool, want_exif: bool) -> napi::Result<Object<'env>> {
    let (settle, promise) = promise(env, |m: ImageMetadata| m)?;
    let work = move |_: jobs::Started| {
        let (h, found) = crate::codecs::probe_with_metadata(source.bytes())?;
        let turned = auto_orient && h.orientation >= 5;
        let s = found.stored;
        Ok(ImageMetadata {
            format: h.format.name().into(),
            size: source.bytes().len() as f64,
            width: h.width,
            height: h.height,
            auto_orient: super::engine::Dimensions { width: if turned { h.height } else { h.width }, height: if turned { h.width } else { h.height } },
            orientation: h.orientation as u32,
            channels: s.channels as u32,
            depth: if s.bit_depth > 8 { "ushort" } else { "uchar" }.into(),
            bits_per_sample: s.bit_depth as u32,
            space: s.space.into(),
            has_alpha: h.has_alpha,
            has_profile: found.icc.is_some(),
            is_progressive: s.progressive,
            // EXIF's resolution wins over JFIF's or pHYs', as libvips reads them.
            density: found.exif.as_deref().and_then(crate::metadata::exif::density).or(s.density),
            pages: s.pages,
            r#loop: s.loop_count,
            delay: (!s.delays_ms.is_empty()).then_some(s.delays_ms),
            icc: found.icc.filter(|_| want_icc).map(Buffer::from),
            // With the "Exif\0\0" prefix the file carries, as sharp gives it.
            exif: found.exif.filter(|_| want_exif).map(|tiff| Buffer::from([&b"Exif\0\0"[..], &tiff].concat())),
        })
    };
    jobs::global().submit(crate::limits::Deadline::NONE, work, settle).map_err(|e| errors::to_js(env, &e))?;
    Ok(promise)
}

/// An output's encoder settings, as `encoderSpec` in `lib/output.js` checked and wrote them.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncoderSpec {
    format: String,
    quality: Option<u8>,
    target: Option<f64>,
    fast_mode: bool,
    effort: Option<u8>,
    lossless: bool,
    background: Option<[u8; 3]>,
    palette: Option<PaletteSpec>,
    #[serde(rename = "loop")]
    loop_count: Option<u32>,
    delay: Option<Vec<u32>>,
    chroma_subsampling: Option<crate::codecs::ChromaSubsampling>,
}

#[derive(serde::Deserialize)]
pub struct PaletteSpec {
    colours: u16,
    dither: f32,
}

impl EncoderSpec {
    /// Reads the JSON `encoderSpec` wrote.
    pub fn parse(json: &str) -> Result<EncodeOptions> {
        serde_json::from_str::<EncoderSpec>(json).map_err(|e| Error::InvalidArgument(format!("output options: {e}")))?.options()
    }

    fn options(&self) -> Result<EncodeOptions> {
        let mut options = EncodeOptions::new(crate::format::Format::parse(&self.format)?);
        options.quality = self.quality.map(|q| q.clamp(1, 100));
        options.target = self.target;
        options.fast_mode = self.fast_mode;
        options.effort = self.effort.map(|e| e.min(10));
        options.lossless = self.lossless;
        options.background = self.background.unwrap_or([255; 3]);
        options.palette = self.palette.as_ref().map(|p| crate::codecs::palette::Palette { colours: p.colours, dither: p.dither });
        options.loop_count = self.loop_count;
        options.delay_ms = self.delay.clone();
        options.chroma_subsampling = self.chroma_subsampling;
        Ok(options)
    }
}

/// One output of `toOutputs`, as JS checked and normalised it.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutputSpec {
    resize: Option<crate::ops::Op>,
    #[serde(flatten)]
    encoder: EncoderSpec,
    path: Option<String>,
    placeholder: bool,
}

impl OutputSpec {
    fn branch(&self) -> Result<pipeline::Branch> {
        let options = self.encoder.options()?;
        let ops = match (&self.resize, self.placeholder) {

            (Some(op), _) => vec![op.clone()],
            // A placeholder's frame is small: shrunk on load to about its hashes' size.
            (None, true) => {
                let side = Some(crate::placeholder::HASH_SIDE);
                vec![crate::ops::Op::Resize(crate::ops::ResizeSpec { width: side, height: side, without_enlargement: true, ..Default::default() })]
            }
            (None, false) => Vec::new(),
        };
        Ok(pipeline::Branch { ops, options, placeholder: self.placeholder })
    }
}

#[napi(object)]
pub struct PlaceholderResult {
    pub thumbhash: Buffer,
    pub blurhash: String,
    pub dominant: String,
    pub width: u32,
    pub height: u32,
}

/// One entry of `toOutputs`: the output, or its own error.
#[napi(object)]
pub struct OutputEntry {
    pub success: bool,
    pub format: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub bytes: Option<f64>,
    pub quality: Option<u32>,
    pub score: Option<f64>,
    pub data: Option<Buffer>,
    pub path: Option<String>,
    pub placeholder: Option<PlaceholderResult>,
    pub metrics: Option<JsMetrics>,
    pub error: Option<String>,
    pub code: Option<String>,
    pub error_code: Option<u32>,
}

/// The core's result for one spec, before it becomes JS values on the JS thread.
pub struct Outcome {
    format: String,
    result: Result<(Encoded, Option<String>)>,
}

impl From<Outcome> for OutputEntry {
    fn from(o: Outcome) -> OutputEntry {
        let failed = |e: Error| OutputEntry {
            success: false,
            format: o.format.clone(),
            width: None,
            height: None,
            bytes: None,
            quality: None,
            score: None,
            data: None,
            path: None,
            placeholder: None,
            metrics: None,
            error: Some(e.to_string()),
            code: Some(e.code().into()),
            error_code: Some(e.number()),
        };
        match o.result {
            Err(e) => failed(e),
            Ok((encoded, path)) => {
                let m = encoded.metrics;
                OutputEntry {
                    success: true,
                    format: m.format_out.into(),
                    width: Some(m.width_out),
                    height: Some(m.height_out),
                    bytes: Some(m.bytes_out as f64),
                    quality: m.quality.map(u32::from),
                    score: m.score,
                    data: path.is_none().then(|| Buffer::from(encoded.data)),
                    placeholder: encoded.placeholder.map(|p| PlaceholderResult { thumbhash: p.thumbhash.into(), blurhash: p.blurhash, dominant: p.dominant, width: p.width, height: p.height }),
                    path,
                    metrics: Some(m.into()),
                    error: None,
                    code: None,
                    error_code: None,
                }
            }
        }
    }
}

/// Queues one decode feeding every spec's output; each entry settles on its own (a failed
/// encode or write fails only its entry), a failure before the branches fails them all.
pub fn outputs<'env>(env: &'env Env, source: Source, pipeline: Pipeline, specs: Vec<OutputSpec>, durable: bool) -> napi::Result<Object<'env>> {
    let branches = specs.iter().map(OutputSpec::branch).collect::<Result<Vec<_>>>().map_err(|e| errors::to_js(env, &e))?;
    let (settle, promise) = promise(env, |outcomes: Vec<Outcome>| outcomes.into_iter().map(OutputEntry::from).collect::<Vec<_>>())?;
    let deadline = pipeline.limits.deadline(Instant::now());
    let queue = jobs::global().clone();
    let work = move |started: jobs::Started| {
        let results = pipeline::run_branches(&source, &pipeline, &branches, deadline, queue.memory())?;
        let outcomes = results.into_iter().zip(specs).map(|(result, spec)| {
            let format = spec.encoder.format.clone();
            let result = result.and_then(|mut encoded| {
                encoded.metrics.queue_ms = started.queue_ms;
                match &spec.path {
                    Some(path) if source.is_file(std::path::Path::new(path)) => Err(Error::OutputIsInput(path.into())),
                    Some(path) => output::write_atomic(std::path::Path::new(path), &encoded.data, durable).map(|_| (encoded, spec.path.clone())),
                    None => Ok((encoded, None)),
                }
            });
            Outcome { format, result }
        });
        Ok(outcomes.collect())
    };
    jobs::global().submit(deadline, work, settle).map_err(|e| errors::to_js(env, &e))?;
    Ok(promise)
}
