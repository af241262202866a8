//! `NativeEngine`: a source plus a recorded pipeline. Every method only records; work
//! happens in `run`, on the libuv pool.

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Object};
use napi::Env;
use napi_derive::napi;

use super::errors;
use super::task::{self, EncoderSpec, ProgressCallback};
use super::ImageInfo;
use crate::codecs;
use crate::error::Error;
use crate::limits::{FailOn, Policy};
use crate::metadata::Keep;
use crate::ops::{Blend, Gravity, Layer, Op, Overlay};
use crate::pipeline::Pipeline;
use crate::source::Source;

#[napi(object)]
pub struct Dimensions {
    pub width: u32,
    pub height: u32,
}

/// A recorded pipeline, with the source it reads (none for a recipe, which batches use).
#[napi]
pub struct NativeEngine {
    source: Option<Source>,
    pipeline: Pipeline,
}

#[napi]
impl NativeEngine {
    /// Maps the file now (errors are synchronous); decodes nothing.
    #[napi(factory)]
    pub fn from_path(env: Env, path: String) -> napi::Result<NativeEngine> {
        let source = Source::open(&path).map_err(|e| errors::to_js(&env, &e))?;
        Ok(NativeEngine { source: Some(source), pipeline: Pipeline::default() })
    }

    /// Copies the caller's bytes (the encoded file, not pixels) into memory this process
    /// owns. Holding a napi reference does not stop JS from detaching, transferring or
    /// shrinking the buffer's memory, and Node-API has no way to pin it, so reading it in
    /// place later (a job on a worker, `dimensions()` after a GC) could read freed memory.
    /// This path is outside the zero-copy contract; `fromPath` maps instead.
    #[napi(factory)]
    pub fn from_buffer(env: Env, data: Buffer) -> napi::Result<NativeEngine> {
        let source = Source::borrowed(Arc::new(data.to_vec())).map_err(|e| errors::to_js(&env, &e))?;
        Ok(NativeEngine { source: Some(source), pipeline: Pipeline::default() })
    }

    /// Operations without a source: a recipe's steps, recorded for batches.
    #[napi(factory)]
    pub fn without_source() -> NativeEngine {
        NativeEngine { source: None, pipeline: Pipeline::default() }
    }

    /// The source, or an error for an engine made by `without_source`.
    fn source(&self, env: &Env) -> napi::Result<&Source> {
        let e = Error::InvalidArgument("a recipe has no input: give it one with ImageEngine.fromPath(path).apply(recipe)".into());
        self.source.as_ref().ok_or_else(|| errors::to_js(env, &e))
    }

    #[napi]
    pub fn is_mapped(&self) -> bool {
        self.source.as_ref().is_some_and(Source::is_mapped)
    }

    /// Records one operation: a normalised recipe step as JSON (`lib/operations.js`
    /// wrote and checked it), read into the core's `Op`.
    #[napi]
    pub fn push_step(&mut self, step: String) -> napi::Result<()> {
        self.pipeline.push(Op::from_step(&step).map_err(plain)?);
        Ok(())
    }

    /// Records one composite layer: `overlay`'s source through its own operations, drawn
    /// at `gravity` or at (`left`, `top`), or tiled.
    #[napi]
    #[allow(clippy::too_many_arguments)]
    pub fn composite_layer(
        &mut self,
        env: Env,
        overlay: &NativeEngine,
        gravity: String,
        left: Option<i64>,
        top: Option<i64>,
        tile: bool,
        blend: String,
        opacity: f64,
    ) -> napi::Result<()> {
        let input = Overlay { source: overlay.source(&env)?.clone(), pipeline: overlay.pipeline.clone() };
        let layer = Layer {
            input,
            gravity: Gravity::parse(&gravity).map_err(plain)?,
            offset: left.zip(top),
            tile,
            blend: Blend::parse(&blend).map_err(plain)?,
            opacity: opacity.clamp(0.0, 1.0) as f32,
        };
        self.pipeline.push(Op::Composite(Box::new(layer)));
        Ok(())
    }

    #[napi]
    pub fn auto_orient(&mut self, enabled: bool) {
        self.pipeline.auto_orient = enabled;
    }

    /// Which damage to the pixel data refuses the input (sharp's `failOn`).
    #[napi]
    pub fn fail_on(&mut self, level: String) -> napi::Result<()> {
        self.pipeline.fail_on = FailOn::parse(&level).map_err(plain)?;
        Ok(())
    }

    /// Whether an animated input gives its first frame only (JS `pages: 1`).
    #[napi]
    pub fn first_page_only(&mut self, enabled: bool) {
        self.pipeline.first_page_only = enabled;
    }

    #[napi]
    pub fn keep_metadata(&mut self, icc: bool, exif: bool, strip_gps: bool) {
        self.pipeline.keep = Keep { icc, exif, strip_gps };
    }

    /// Absent values stay as they are; 0 lifts a limit. Validated in JS.
    #[napi]
    pub fn limits(&mut self, max_pixels: Option<f64>, max_bytes: Option<f64>, timeout_ms: Option<f64>, max_memory: Option<f64>, max_frames: Option<f64>, max_total_pixels: Option<f64>) {
        let limits = &mut self.pipeline.limits;
        if let Some(n) = max_frames {
            limits.max_frames = n as u64;
        }
        if let Some(n) = max_total_pixels {
            limits.max_total_pixels = n as u64;
        }

        if let Some(n) = max_memory {
            limits.max_memory = n as u64;
        }
        if let Some(n) = max_pixels {
            limits.max_pixels = n as u64;
        }
        if let Some(n) = max_bytes {
            limits.max_bytes = n as u64;
        }
        if let Some(ms) = timeout_ms {
            limits.timeout = (ms > 0.0).then(|| std::time::Duration::from_millis(ms as u64));
        }
    }

    /// Replaces every limit with the named policy's.
    #[napi]
    pub fn sanitize(&mut self, policy: String) -> napi::Result<()> {
        self.pipeline.limits = Policy::parse(&policy).map_err(plain)?.limits();
        Ok(())
    }

    /// A new engine over the same source (shared, not copied) with a copy of the pipeline.
    #[napi]
    pub fn branch(&self) -> NativeEngine {
        NativeEngine { source: self.source.clone(), pipeline: self.pipeline.clone() }
    }

    /// Size as displayed: stored size, swapped when auto-orientation turns it a quarter.
    #[napi]
    pub fn dimensions(&self, env: Env) -> napi::Result<Dimensions> {
        let h = codecs::probe(self.source(&env)?.bytes()).map_err(|e| errors::to_js(&env, &e))?;
        let turned = self.pipeline.auto_orient && h.orientation >= 5;
        let (width, height) = if turned { (h.height, h.width) } else { (h.width, h.height) };
        Ok(Dimensions { width, height })
    }

    /// Reads the header and the metadata blocks off the JS thread; the ICC profile and EXIF
    /// come back as Buffers when asked for.
    #[napi(ts_return_type = "Promise<ImageMetadata>")]
    pub fn metadata<'env>(&self, env: &'env Env, icc: bool, exif: bool) -> napi::Result<Object<'env>> {
        task::metadata(env, self.source(env)?.clone(), self.pipeline.auto_orient, icc, exif)
    }

    /// Reads the header only, on the calling thread.
    #[napi]
    pub fn header(&self, env: Env) -> napi::Result<ImageInfo> {
        codecs::probe(self.source(&env)?.bytes()).map(ImageInfo::from).map_err(|e| errors::to_js(&env, &e))
    }

    /// Queues the pipeline as a job (see `crate::jobs`), encoding as `options` (the JSON of
    /// `encoderSpec` in `lib/output.js`) says. With `out_path` the result is written there
    /// atomically (and flushed to disk when `durable`), and only its size comes back.
    #[napi(ts_return_type = "Promise<RunResult>")]
    pub fn run<'env>(&self, env: &'env Env, options: String, out_path: Option<String>, durable: bool) -> napi::Result<Object<'env>> {
        let options = EncoderSpec::parse(&options).map_err(plain)?;
        task::run(env, self.source(env)?.clone(), self.pipeline.clone(), options, out_path.map(Into::into), durable)
    }

    /// One decode feeding several outputs: `specs` is the JSON array `lib/outputs.js` wrote
    /// (each `{ resize, format, quality, target, ..., path, placeholder }`); resolves with one
    /// entry per spec, in order.
    #[napi(ts_return_type = "Promise<OutputEntry[]>")]
    pub fn run_outputs<'env>(&self, env: &'env Env, specs: String, durable: bool) -> napi::Result<Object<'env>> {
        let specs: Vec<task::OutputSpec> = serde_json::from_str(&specs).map_err(|e| plain(Error::InvalidArgument(format!("output specs: {e}"))))?;
        task::outputs(env, self.source(env)?.clone(), self.pipeline.clone(), specs, durable)
    }

    /// Applies this engine's operations to every file in `inputs` (each mapped like
    /// `fromPath`) as jobs of the process's queue, writing each result into `out_dir`.
    /// `concurrency` 0 leaves the bound to the queue; `on_progress` is called as each
    /// input finishes.
    #[napi(ts_return_type = "Promise<BatchEntry[]>")]
    #[allow(clippy::too_many_arguments)]
    pub fn process_batch<'env>(
        &self,
        env: &'env Env,
        inputs: Vec<String>,
        out_dir: String,
        options: String,
        concurrency: u32,
        durable: bool,
        on_progress: Option<ProgressCallback>,
    ) -> napi::Result<Object<'env>> {
        let options = EncoderSpec::parse(&options).map_err(plain)?;
        let inputs = inputs.into_iter().map(Into::into).collect();
        let concurrency = (concurrency > 0).then_some(concurrency as usize);
        task::batch(env, inputs, out_dir.into(), self.pipeline.clone(), options, concurrency, durable, on_progress)
    }
}

/// Arguments reaching here were validated in JS; a failure is a plain error.
fn plain(e: Error) -> napi::Error {
    napi::Error::from_reason(e.to_string())
}
