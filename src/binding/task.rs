//! The async task: runs on a libuv worker, resolves on the JS thread.

use std::path::PathBuf;

use napi::bindgen_prelude::Buffer;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, Task};
use napi_derive::napi;

use super::errors;
use crate::batch;
use crate::codecs::EncodeOptions;
use crate::error::{Error, Result};
use crate::metrics::{self, Metrics};
use crate::output;
use crate::pipeline::{self, Encoded, Pipeline};
use crate::source::Source;

/// One output of an engine: owns clones of its source and pipeline.
pub struct RunTask {
    pub source: Source,
    pub pipeline: Pipeline,
    pub options: EncodeOptions,
    pub out_path: Option<PathBuf>,
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
    pub compression_ratio: f64,
    /// Milliseconds of CPU time of the thread that ran the pipeline.
    pub cpu_time: f64,
    pub icc_preserved: bool,
    pub metadata_stripped: bool,
    pub policy_violations: Vec<String>,
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
            compression_ratio: m.compression_ratio,
            cpu_time: m.cpu_time_ms,
            icc_preserved: m.icc_preserved,
            metadata_stripped: m.metadata_stripped,
            policy_violations: m.policy_violations.into_iter().map(String::from).collect(),
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

impl Task for RunTask {
    /// The core's error travels as a value so `resolve` can build a coded JS error.
    type Output = Result<(Option<Vec<u8>>, Metrics)>;
    type JsValue = RunResult;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let run = || -> Result<(Option<Vec<u8>>, Metrics)> {
            let Encoded { data, metrics } = pipeline::run(&self.source, &self.pipeline, &self.options)?;
            match &self.out_path {
                Some(path) => output::write_atomic(path, &data).map(|_| (None, metrics)),
                None => Ok((Some(data), metrics)),
            }
        };
        Ok(run())
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<RunResult> {
        let (data, metrics) = output.map_err(|e: Error| errors::to_js(&env, &e))?;
        Ok(RunResult { data: data.map(Buffer::from), metrics: metrics.into() })
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

pub struct BatchTask {
    pub inputs: Vec<PathBuf>,
    pub out_dir: PathBuf,
    pub pipeline: Pipeline,
    pub options: EncodeOptions,
    pub concurrency: Option<usize>,
    pub on_progress: Option<ProgressCallback>,
}

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

impl Task for BatchTask {
    type Output = Result<Vec<batch::Outcome>>;
    type JsValue = Vec<BatchEntry>;

    /// Runs on one libuv worker, which drives the batch's own threads.
    fn compute(&mut self) -> napi::Result<Self::Output> {
        let done = std::sync::atomic::AtomicU32::new(0);
        let total = self.inputs.len() as u32;
        let report = |i: usize, result: &Result<(u64, u64)>| {
            let Some(callback) = &self.on_progress else { return };
            let progress = BatchProgress {
                done: done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                total,
                source: self.inputs[i].to_string_lossy().into_owned(),
                success: result.is_ok(),
                code: result.as_ref().err().map(|e| e.code().to_string()),
            };
            callback.call(progress, ThreadsafeFunctionCallMode::NonBlocking);
        };
        Ok(batch::run(&self.inputs, &self.out_dir, &self.pipeline, &self.options, self.concurrency, &report))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<Vec<BatchEntry>> {
        let outcomes = output.map_err(|e: Error| errors::to_js(&env, &e))?;
        Ok(outcomes.into_iter().map(BatchEntry::from).collect())
    }
}
