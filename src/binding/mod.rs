//! The only napi code: argument conversion, task spawning and error mapping. Argument
//! *validation* with TypeError/RangeError happens in `lib/` (JS) before a call gets here.

mod engine;
mod errors;
mod task;

use napi::bindgen_prelude::Buffer;
use napi::Env;
use napi_derive::napi;

use crate::codecs::{self, Header};
use crate::error::CODES;
use crate::format::Format;
use crate::source::Source;


/// Header facts as JS sees them.
#[napi(object)]
pub struct ImageInfo {
    pub format: String,
    pub width: u32,
    pub height: u32,
    pub has_alpha: bool,
    pub orientation: u32,
    pub has_icc_profile: bool,
}

impl From<Header> for ImageInfo {
    fn from(h: Header) -> Self {
        ImageInfo {
            format: h.format.name().into(),
            width: h.width,
            height: h.height,
            has_alpha: h.has_alpha,
            orientation: h.orientation as u32,
            has_icc_profile: h.has_icc,
        }
    }
}

/// Reads the header of an encoded image held in memory.
#[napi]
pub fn inspect(env: Env, data: Buffer) -> napi::Result<ImageInfo> {
    codecs::probe(&data).map(ImageInfo::from).map_err(|e| errors::to_js(&env, &e))
}

/// Maps a file and reads its header; no pixel is decoded.
#[napi]
pub fn inspect_file(env: Env, path: String) -> napi::Result<ImageInfo> {
    Source::open(&path)
        .and_then(|s| codecs::probe(s.bytes()))
        .map(ImageInfo::from)
        .map_err(|e| errors::to_js(&env, &e))
}

#[napi]
pub fn supported_input_formats() -> Vec<String> {
    Format::INPUTS.iter().map(|f| f.name().to_string()).collect()
}

#[napi]
pub fn supported_output_formats() -> Vec<String> {
    Format::OUTPUTS.iter().map(|f| f.name().to_string()).collect()
}

/// The names the public API accepts, from the core's lists, for JS argument checks.
#[napi(object)]
pub struct Vocabulary {
    pub fits: Vec<String>,
    pub kernels: Vec<String>,
    pub gravities: Vec<String>,
    pub strategies: Vec<String>,
    pub blends: Vec<String>,
    pub extend_with: Vec<String>,
    pub fail_on: Vec<String>,
    pub policies: Vec<String>,
    pub output_formats: Vec<String>,
    pub chroma_subsamplings: Vec<String>,
}

#[napi]
pub fn vocabulary() -> Vocabulary {
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    Vocabulary {
        fits: owned(crate::ops::Fit::NAMES),
        kernels: owned(crate::ops::Kernel::NAMES),
        gravities: owned(crate::ops::Gravity::NAMES),
        strategies: owned(crate::ops::Strategy::NAMES),
        blends: owned(crate::ops::Blend::NAMES),
        extend_with: owned(crate::ops::ExtendWith::NAMES),
        fail_on: owned(crate::limits::FailOn::NAMES),
        policies: owned(crate::limits::Policy::NAMES),
        output_formats: owned(&Format::OUTPUT_NAMES),
        chroma_subsamplings: owned(crate::codecs::ChromaSubsampling::NAMES),
    }
}

#[napi(object)]
pub struct ErrorCodeEntry {
    pub name: String,
    pub code: String,
    pub error_code: u32,
    pub category: String,
}

/// The core's error table, so JS builds `ErrorCode` from the one source of truth.
#[napi]
pub fn error_codes() -> Vec<ErrorCodeEntry> {
    CODES
        .iter()
        .map(|(name, code, number, category)| ErrorCodeEntry {
            name: name.to_string(),
            code: code.to_string(),
            error_code: *number,
            category: category.as_str().to_string(),
        })
        .collect()
}

/// Sets how many image jobs run at once in this process (at least 1) when given; returns
/// the value in force.
#[napi]
pub fn concurrency(jobs: Option<u32>) -> u32 {
    let queue = crate::jobs::global();
    match jobs {
        Some(n) => queue.set_concurrency(n as usize) as u32,
        None => queue.counters().concurrency as u32,
    }
}

#[napi(object)]
pub struct JobCounters {
    pub queued: u32,
    pub running: u32,
    /// Jobs still running whose caller already had a timeout.
    pub abandoned: u32,
    pub concurrency: u32,
    pub memory_reserved: f64,
    pub memory_capacity: f64,
    /// Images decoded in this process so far.
    pub decodes: f64,
}

/// Fixes the C allocator's trim and mmap thresholds for a long-running server
/// (`heap::fix_thresholds`); false when the environment already tunes them.
#[napi]
pub fn fix_heap_thresholds() -> bool {
    crate::heap::fix_thresholds()
}

/// What the process's image queue holds right now.
#[napi]
pub fn counters() -> JobCounters {
    let c = crate::jobs::global().counters();
    JobCounters {
        queued: c.queued as u32,
        running: c.running as u32,
        abandoned: c.abandoned as u32,
        concurrency: c.concurrency as u32,
        memory_reserved: c.memory_reserved as f64,
        memory_capacity: c.memory_capacity as f64,
        decodes: crate::pipeline::decodes() as f64,
    }
}

/// Removes temporary output files that a killed process left in `dir` (see
/// `output::sweep`); returns how many were removed.
#[napi]
pub fn sweep_temp_files(env: Env, dir: String, stale_ms: f64) -> napi::Result<u32> {
    let stale = std::time::Duration::from_millis(stale_ms.max(0.0) as u64);
    crate::output::sweep(std::path::Path::new(&dir), stale).map_err(|e| errors::to_js(&env, &e))
}

#[napi]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// SSIMULACRA2 of `distorted` against `reference` (both encoded images of one size, any
/// format read here), on the calling thread: what `quality: 'auto'` aims at, for checking.
#[napi]
pub fn ssimulacra2(env: Env, reference: Buffer, distorted: Buffer) -> napi::Result<f64> {
    crate::quality::score_encoded(&reference, &distorted).map_err(|e| errors::to_js(&env, &e))
}
