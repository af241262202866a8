//! Many files through one recorded pipeline. Each input is mapped like `fromPath`, runs on
//! one of a fixed set of threads and is written atomically; a bad file fails only its own
//! entry. Without an explicit concurrency, jobs also reserve their memory budget from a
//! pool sized to what the machine (or its cgroup) has free, so a batch of large images
//! queues instead of exhausting memory.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use crate::codecs::{self, EncodeOptions};
use crate::error::{Error, Result};
use crate::output;
use crate::pipeline::{self, Pipeline};
use crate::source::Source;

/// Memory the published bound grants a job beyond its decoded frame.
pub const JOB_OVERHEAD: u64 = 24 << 20;
/// Share of the free memory a batch may plan to use.
const MEMORY_SHARE: f64 = 0.75;
pub const MAX_CONCURRENCY: usize = 1024;

/// One input's result, in input order.
#[derive(Debug)]
pub struct Outcome {
    pub source: PathBuf,
    pub output: PathBuf,
    /// Bytes read and written.
    pub result: Result<(u64, u64)>,
}

/// `concurrency`: `None` picks the core count and gates jobs by memory. `on_done` hears of
/// each input as it finishes (its index and result), in completion order.
pub fn run(
    inputs: &[PathBuf],
    out_dir: &Path,
    pipeline: &Pipeline,
    options: &EncodeOptions,
    concurrency: Option<usize>,
    on_done: &(dyn Fn(usize, &Result<(u64, u64)>) + Sync),
) -> Result<Vec<Outcome>> {
    fs::create_dir_all(out_dir)
        .map_err(|e| Error::OutputWrite { path: out_dir.to_owned(), reason: e.to_string() })?;
    let outputs = output_paths(inputs, out_dir, options.format.name());
    let (workers, gate) = match concurrency {
        Some(n) => (n.clamp(1, MAX_CONCURRENCY), None),
        None => (cores(), Some(MemoryGate::new(free_memory()))),
    };
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Result<(u64, u64)>>>> = inputs.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..workers.min(inputs.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(input) = inputs.get(i) else { break };
                let result = convert(input, &outputs[i], pipeline, options, gate.as_ref());
                on_done(i, &result);
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
            });
        }
    });
    Ok(inputs
        .iter()
        .zip(outputs)
        .zip(slots)
        .map(|((source, output), slot)| Outcome {
            source: source.clone(),
            output,
            result: slot.into_inner().unwrap_or_else(|p| p.into_inner()).unwrap_or_else(|| {
                Err(Error::Internal("batch worker ended without a result".into()))
            }),
        })
        .collect())
}

fn convert(
    input: &Path,
    out: &Path,
    pipeline: &Pipeline,
    options: &EncodeOptions,
    gate: Option<&MemoryGate>,
) -> Result<(u64, u64)> {
    let source = Source::open(input)?;
    let _reserved = match gate {
        Some(gate) => {
            let header = codecs::probe(source.bytes())?;
            // A bomb is refused here, before it could wait for the whole pool.
            pipeline.limits.check_dimensions(header.width, header.height)?;
            Some(gate.reserve(header.decoded_bytes() + JOB_OVERHEAD))
        }
        None => None,
    };
    let encoded = pipeline::run(&source, pipeline, options)?;
    drop(source);
    output::write_atomic(out, &encoded.data)?;
    Ok((encoded.metrics.bytes_in, encoded.metrics.bytes_out))
}

/// `<stem>.<ext>` in `out_dir`; a name already taken by an earlier input (compared without
/// case, for case-insensitive file systems) gets `-2`, `-3`, … so no output overwrites another.
pub fn output_paths(inputs: &[PathBuf], out_dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut taken = HashSet::new();
    inputs
        .iter()
        .map(|input| {
            let stem = input.file_stem().map_or_else(|| "image".into(), |s| s.to_string_lossy().into_owned());
            let name = (1..)
                .map(|n| if n == 1 { format!("{stem}.{ext}") } else { format!("{stem}-{n}.{ext}") })
                .find(|name| taken.insert(name.to_lowercase()))
                .expect("an unused name exists");
            out_dir.join(name)
        })
        .collect()
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Free memory for this process: the cgroup's remaining allowance when one is set (v1 or
/// v2), otherwise the system's available memory.
pub fn free_memory() -> u64 {
    let mut system = sysinfo::System::new();
    system.refresh_memory();
    let available = system.available_memory();
    match system.cgroup_limits() {
        Some(cgroup) => cgroup.free_memory.min(available),
        None => available,
    }
}

/// A pool of bytes jobs reserve before they decode. A job larger than the whole pool still
/// runs, alone, so nothing waits forever.
pub struct MemoryGate {
    capacity: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

pub struct Reservation<'a> {
    gate: &'a MemoryGate,
    bytes: u64,
}

impl MemoryGate {
    pub fn new(free: u64) -> MemoryGate {
        let capacity = ((free as f64 * MEMORY_SHARE) as u64).max(JOB_OVERHEAD);
        MemoryGate { capacity, in_use: Mutex::new(0), freed: Condvar::new() }
    }

    pub fn reserve(&self, bytes: u64) -> Reservation<'_> {
        let bytes = bytes.min(self.capacity);
        let mut in_use = self.in_use.lock().unwrap_or_else(|p| p.into_inner());
        while *in_use + bytes > self.capacity {
            in_use = self.freed.wait(in_use).unwrap_or_else(|p| p.into_inner());
        }
        *in_use += bytes;
        Reservation { gate: self, bytes }
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        *self.gate.in_use.lock().unwrap_or_else(|p| p.into_inner()) -= self.bytes;
        self.gate.freed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::format::Format;
    use crate::ops::{Op, ResizeSpec};
    use crate::test_support::temp_dir;

    #[test]
    fn names_never_collide() {
        let inputs: Vec<PathBuf> = ["a/x.png", "b/x.jpg", "c/X.webp", "y.png", "noext"].iter().map(PathBuf::from).collect();
        let names: Vec<_> = output_paths(&inputs, Path::new("out"), "webp")
            .into_iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.webp", "x-2.webp", "X-3.webp", "y.webp", "noext.webp"]);
    }

    #[test]
    fn converts_each_file_and_isolates_failures() {
        let dir = temp_dir("batch-run");
        let png = codecs::encode(photo(64, 48, false), &EncodeOptions::new(Format::Png)).unwrap();
        fs::write(dir.join("good.png"), &png).unwrap();
        fs::write(dir.join("cut.png"), &png[..40]).unwrap();
        let inputs = vec![dir.join("good.png"), dir.join("missing.png"), dir.join("cut.png"), dir.join("good.png")];
        let mut p = Pipeline::default();
        p.push(Op::Resize(ResizeSpec { width: Some(32), ..Default::default() }));
        let out = dir.join("out/nested");
        for concurrency in [None, Some(1), Some(3)] {
            let heard = Mutex::new(Vec::new());
            let on_done = |i: usize, r: &Result<(u64, u64)>| heard.lock().unwrap().push((i, r.is_ok()));
            let results = run(&inputs, &out, &p, &EncodeOptions::new(Format::Jpeg), concurrency, &on_done).unwrap();
            let mut heard = heard.into_inner().unwrap();
            heard.sort();
            assert_eq!(heard, [(0, true), (1, false), (2, false), (3, true)], "each input reported once");
            let codes: Vec<_> = results.iter().map(|r| r.result.as_ref().err().map(|e| e.code())).collect();
            assert_eq!(codes, [None, Some("LAZY_FILE_NOT_FOUND"), Some("LAZY_CORRUPT_INPUT"), None]);
            for r in results.iter().filter(|r| r.result.is_ok()) {
                let header = codecs::probe(&fs::read(&r.output).unwrap()).unwrap();
                assert_eq!((header.format, header.width, header.height), (Format::Jpeg, 32, 24));
            }
            assert_ne!(results[0].output, results[3].output);
        }
        let written: Vec<_> = fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(written.len(), 2, "only finished outputs, no temp files: {written:?}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_gate_holds_jobs_to_the_pool() {
        let gate = MemoryGate::new(((100 << 20) as f64 / MEMORY_SHARE) as u64);
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..6 {
                s.spawn(|| {
                    let _r = gate.reserve(40 << 20);
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    // Hold the reservation until a second holder arrives (or a second
                    // passes), so the count does not depend on how threads are scheduled.
                    let started = std::time::Instant::now();
                    while running.load(Ordering::SeqCst) < 2 && started.elapsed().as_secs() < 1 {
                        std::thread::yield_now();
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    running.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
        // Larger than the pool: runs alone instead of waiting forever.
        drop(gate.reserve(1 << 40));
    }
}
