//! Many files through one recorded pipeline. Each input is mapped like `fromPath` and runs
//! as a job of the process's queue (`jobs`), so a batch shares the one budget with every
//! other call: the process-wide concurrency and memory gate bound it, and `concurrency`
//! bounds this batch's jobs in flight. Each output is written atomically; a bad file fails
//! only its own entry.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use crate::codecs::EncodeOptions;
use crate::error::{Error, Result};
use crate::jobs::{Jobs, MemoryGate};
use crate::limits::Deadline;
use crate::output;
use crate::pipeline::{self, Pipeline};
use crate::source::Source;

pub const MAX_CONCURRENCY: usize = 1024;

/// One input's result, in input order.
#[derive(Debug)]
pub struct Outcome {
    pub source: PathBuf,
    pub output: PathBuf,
    /// Bytes read and written.
    pub result: Result<(u64, u64)>,
}

/// Called as each input finishes, with its index and result, in completion order.
pub type OnDone = Arc<dyn Fn(usize, &Result<(u64, u64)>) + Send + Sync>;

struct InFlight {
    running: usize,
    results: Vec<Option<Result<(u64, u64)>>>,
}

type Shared = Arc<(Mutex<InFlight>, Condvar)>;

fn lock(s: &Shared) -> std::sync::MutexGuard<'_, InFlight> {
    s.0.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a batch runs besides its pipeline and encoding.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// This batch's jobs in flight at most; `None` keeps twice the queue's concurrency in
    /// flight, enough to keep every thread busy without crowding other callers out.
    pub concurrency: Option<usize>,
    /// Flush each output to disk (`output::write_atomic`).
    pub durable: bool,
}

/// Runs every input through `jobs` and waits for all of them.
pub fn run(
    jobs: &Arc<Jobs>,
    inputs: &[PathBuf],
    out_dir: &Path,
    pipeline: &Pipeline,
    options: &EncodeOptions,
    settings: Settings,
    on_done: OnDone,
) -> Result<Vec<Outcome>> {
    fs::create_dir_all(out_dir)
        .map_err(|e| Error::OutputWrite { path: out_dir.to_owned(), reason: e.to_string() })?;
    let outputs = output_paths(inputs, out_dir, options.format.name());
    let limit = settings.concurrency.map_or_else(|| 2 * jobs.counters().concurrency, |n| n.clamp(1, MAX_CONCURRENCY));
    let shared: Shared = Arc::new((Mutex::new(InFlight { running: 0, results: inputs.iter().map(|_| None).collect() }), Condvar::new()));
    let (pipeline, options) = (Arc::new(pipeline.clone()), Arc::new(options.clone()));
    for (i, (input, out)) in inputs.iter().zip(&outputs).enumerate() {
        {
            let mut state = lock(&shared);
            while state.running >= limit {
                state = shared.1.wait(state).unwrap_or_else(|p| p.into_inner());
            }
            state.running += 1;
        }
        let (input, out, p, o) = (input.clone(), out.clone(), pipeline.clone(), options.clone());
        let (done, on_done) = (shared.clone(), on_done.clone());
        let finish = move |result: Result<(u64, u64)>| {
            on_done(i, &result);
            let mut state = lock(&done);
            state.results[i] = Some(result);
            state.running -= 1;
            done.1.notify_all();
        };
        // No watchdog: an entry's timeout comes from its own deadline checks, and its slot
        // frees only when its work has really ended.
        let queue = jobs.clone();
        let work = move |_| convert(&input, &out, &p, &o, queue.memory(), settings.durable);
        let finish_refused = finish.clone();
        if let Err(e) = jobs.submit(Deadline::NONE, work, finish) {
            finish_refused(Err(e));
        }
    }
    let mut state = lock(&shared);
    while state.results.iter().any(Option::is_none) {
        state = shared.1.wait(state).unwrap_or_else(|p| p.into_inner());
    }
    let results = std::mem::take(&mut state.results);
    Ok(inputs
        .iter()
        .zip(outputs)
        .zip(results)
        .map(|((source, output), result)| Outcome {
            source: source.clone(),
            output,
            result: result.unwrap_or_else(|| Err(Error::Internal("batch entry ended without a result".into()))),
        })
        .collect())
}

fn convert(input: &Path, out: &Path, pipeline: &Pipeline, options: &EncodeOptions, gate: &MemoryGate, durable: bool) -> Result<(u64, u64)> {
    let source = Source::open(input)?;
    if source.is_file(out) {
        return Err(Error::OutputIsInput(out.to_owned()));
    }
    let deadline = pipeline.limits.deadline(Instant::now());
    let encoded = pipeline::run_until(&source, pipeline, options, deadline, gate)?;
    drop(source);
    output::write_atomic(out, &encoded.data, durable)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::{self, test_images::photo};
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
            let heard = Arc::new(Mutex::new(Vec::new()));
            let log = heard.clone();
            let on_done: OnDone = Arc::new(move |i: usize, r: &Result<(u64, u64)>| log.lock().unwrap().push((i, r.is_ok())));
            let jobs = crate::jobs::global();
            let settings = Settings { concurrency, durable: true };
            let results = run(jobs, &inputs, &out, &p, &EncodeOptions::new(Format::Jpeg), settings, on_done).unwrap();
            let mut heard = heard.lock().unwrap().clone();
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
        // Written into its own folder, the output would replace its input: refused.
        let same = run(crate::jobs::global(), &[dir.join("good.png")], &dir, &p, &EncodeOptions::new(Format::Png), Settings { concurrency: None, durable: false }, Arc::new(|_, _| {})).unwrap();
        assert_eq!(same[0].result.as_ref().err().map(|e| e.code()), Some("LAZY_OUTPUT_IS_INPUT"));
        assert_eq!(fs::read(dir.join("good.png")).unwrap(), png, "the input is untouched");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_batch_holds_to_its_concurrency() {
        let jobs = Jobs::new(4, 64, crate::jobs::MemoryGate::new(8 << 30));
        let dir = temp_dir("batch-bound");
        let png = codecs::encode(photo(400, 300, false), &EncodeOptions::new(Format::Png)).unwrap();
        let inputs: Vec<PathBuf> = (0..6).map(|i| dir.join(format!("{i}.png"))).collect();
        inputs.iter().for_each(|f| fs::write(f, &png).unwrap());
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let watch = (jobs.clone(), most.clone());
        let on_done: OnDone = Arc::new(move |_, _| {
            watch.1.fetch_max(watch.0.counters().running, std::sync::atomic::Ordering::SeqCst);
        });
        let results = run(&jobs, &inputs, &dir.join("out"), &Pipeline::default(), &EncodeOptions::new(Format::Webp), Settings { concurrency: Some(1), durable: false }, on_done).unwrap();
        assert!(results.iter().all(|r| r.result.is_ok()));
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 1, "one job at a time although the queue runs four");
        fs::remove_dir_all(&dir).unwrap();
    }
}
