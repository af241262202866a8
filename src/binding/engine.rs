//! `NativeEngine`: a source plus a recorded pipeline. Every method only records; work
//! happens in `run`, on the libuv pool.

use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Object};
use napi::Env;
use napi_derive::napi;

use super::errors;
use super::task::{self, ProgressCallback};
use super::ImageInfo;
use crate::codecs::{self, EncodeOptions};
use crate::error::Error;
use crate::format::Format;
use crate::limits::Policy;
use crate::metadata::Keep;
use crate::ops::{Fit, Kernel, Op, ResizeSpec};
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

    #[napi]
    pub fn resize(
        &mut self,
        width: Option<u32>,
        height: Option<u32>,
        fit: String,
        kernel: String,
        without_enlargement: bool,
    ) -> napi::Result<()> {
        let spec = ResizeSpec {
            width,
            height,
            fit: Fit::parse(&fit).map_err(plain)?,
            kernel: Kernel::parse(&kernel).map_err(plain)?,
            without_enlargement,
        };
        self.pipeline.push(Op::Resize(spec));
        Ok(())
    }

    #[napi]
    pub fn crop(&mut self, x: u32, y: u32, width: u32, height: u32) {
        self.pipeline.push(Op::Crop { x, y, width, height });
    }

    /// `turns`: clockwise quarter turns.
    #[napi]
    pub fn rotate(&mut self, turns: u32) {
        self.pipeline.push(Op::Rotate((turns % 4) as u8));
    }

    #[napi]
    pub fn flip_h(&mut self) {
        self.pipeline.push(Op::FlipH);
    }

    #[napi]
    pub fn flip_v(&mut self) {
        self.pipeline.push(Op::FlipV);
    }

    #[napi]
    pub fn grayscale(&mut self) {
        self.pipeline.push(Op::Grayscale);
    }

    #[napi]
    pub fn brightness(&mut self, value: i32) {
        self.pipeline.push(Op::Brightness(value));
    }

    #[napi]
    pub fn contrast(&mut self, value: i32) {
        self.pipeline.push(Op::Contrast(value));
    }

    #[napi]
    pub fn auto_orient(&mut self, enabled: bool) {
        self.pipeline.auto_orient = enabled;
    }

    #[napi]
    pub fn keep_metadata(&mut self, icc: bool, exif: bool, strip_gps: bool) {
        self.pipeline.keep = Keep { icc, exif, strip_gps };
    }

    /// Absent values stay as they are; 0 lifts a limit. Validated in JS.
    #[napi]
    pub fn limits(&mut self, max_pixels: Option<f64>, max_bytes: Option<f64>, timeout_ms: Option<f64>, max_memory: Option<f64>) {
        let limits = &mut self.pipeline.limits;
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

    /// Reads the header only, on the calling thread.
    #[napi]
    pub fn header(&self, env: Env) -> napi::Result<ImageInfo> {
        codecs::probe(self.source(&env)?.bytes()).map(ImageInfo::from).map_err(|e| errors::to_js(&env, &e))
    }

    /// Queues the pipeline as a job (see `crate::jobs`). With `out_path` the result is
    /// written there atomically (and flushed to disk when `durable`), and only its size
    /// comes back.
    #[napi(ts_return_type = "Promise<RunResult>")]
    #[allow(clippy::too_many_arguments)]
    pub fn run<'env>(
        &self,
        env: &'env Env,
        format: String,
        quality: Option<u32>,
        fast_mode: bool,
        effort: Option<u32>,
        lossless: bool,
        out_path: Option<String>,
        durable: bool,
    ) -> napi::Result<Object<'env>> {
        let options = encode_options(&format, quality, fast_mode, effort, lossless)?;
        task::run(env, self.source(env)?.clone(), self.pipeline.clone(), options, out_path.map(Into::into), durable)
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
        format: String,
        quality: Option<u32>,
        fast_mode: bool,
        effort: Option<u32>,
        lossless: bool,
        concurrency: u32,
        durable: bool,
        on_progress: Option<ProgressCallback>,
    ) -> napi::Result<Object<'env>> {
        let options = encode_options(&format, quality, fast_mode, effort, lossless)?;
        let inputs = inputs.into_iter().map(Into::into).collect();
        let concurrency = (concurrency > 0).then_some(concurrency as usize);
        task::batch(env, inputs, out_dir.into(), self.pipeline.clone(), options, concurrency, durable, on_progress)
    }
}

fn encode_options(
    format: &str,
    quality: Option<u32>,
    fast_mode: bool,
    effort: Option<u32>,
    lossless: bool,
) -> napi::Result<EncodeOptions> {
    Ok(EncodeOptions {
        format: Format::parse(format).map_err(plain)?,
        quality: quality.map(|q| q.clamp(1, 100) as u8),
        fast_mode,
        effort: effort.map(|e| e.min(10) as u8),
        lossless,
    })
}

/// Arguments reaching here were validated in JS; a failure is a plain error.
fn plain(e: Error) -> napi::Error {
    napi::Error::from_reason(e.to_string())
}
