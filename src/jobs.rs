//! One budget for all image work in the process. Jobs wait in a queue of our own and run
//! on threads of our own, at most `concurrency` at once, so image work never fills libuv's
//! pool (a `fs.stat` does not wait behind a burst of encodes). Before decoding, a job
//! reserves its estimated memory (`cost`) from one gate sized to what the machine has free.
//!
//! A job answers its caller by its deadline even from a stage that cannot be interrupted
//! (a libaom encode): the watchdog delivers the timeout. The job itself keeps its thread
//! and its memory until its work really ends, so abandoned work still counts against the
//! concurrency and the gate and can never pile up beyond them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::limits::Deadline;

/// Jobs that may wait at once; beyond this a call is refused with `QueueFull`.
pub const DEFAULT_MAX_QUEUE: usize = 4096;
/// Share of the free memory that image work may plan to use.
const MEMORY_SHARE: f64 = 0.75;

type Work = Box<dyn FnOnce(Started) + Send>;

/// What a job learns when it starts.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    /// Milliseconds spent in the queue.
    pub queue_ms: f64,
}

/// The process-wide queue and its threads.
pub struct Jobs {
    state: Mutex<State>,
    /// Signalled when a job is queued or the concurrency rises.
    work: Condvar,
    memory: MemoryGate,
}

struct State {
    queue: VecDeque<(Instant, Work)>,
    concurrency: usize,
    max_queue: usize,
    /// Threads started (idle or busy).
    threads: usize,
    running: usize,
}

/// A snapshot of the queue, for `counters()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    pub queued: usize,
    pub running: usize,
    /// Running jobs whose caller already had its answer (a timeout).
    pub abandoned: usize,
    pub concurrency: usize,
    /// Bytes reserved from the memory gate right now, and its capacity.
    pub memory_reserved: u64,
    pub memory_capacity: u64,
}

static ABANDONED: AtomicUsize = AtomicUsize::new(0);

/// The process's queue, created on first use: `cores` threads, a gate over 75 % of the
/// free memory (the cgroup's allowance when one is set).
pub fn global() -> &'static Arc<Jobs> {
    static JOBS: OnceLock<Arc<Jobs>> = OnceLock::new();
    JOBS.get_or_init(|| Jobs::new(cores(), DEFAULT_MAX_QUEUE, MemoryGate::new(free_memory())))
}

impl Jobs {
    pub fn new(concurrency: usize, max_queue: usize, memory: MemoryGate) -> Arc<Jobs> {
        let state = State { queue: VecDeque::new(), concurrency: concurrency.max(1), max_queue, threads: 0, running: 0 };
        Arc::new(Jobs { state: Mutex::new(state), work: Condvar::new(), memory })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn memory(&self) -> &MemoryGate {
        &self.memory
    }

    /// Sets how many jobs run at once (at least 1); returns the value in force. Lowering
    /// it lets running jobs finish; threads above it end as they become idle.
    pub fn set_concurrency(&self, n: usize) -> usize {
        let mut s = self.state();
        s.concurrency = n.max(1);
        self.work.notify_all();
        s.concurrency
    }

    pub fn counters(&self) -> Counters {
        let s = self.state();
        Counters {
            queued: s.queue.len(),
            running: s.running,
            abandoned: ABANDONED.load(Ordering::SeqCst),
            concurrency: s.concurrency,
            memory_reserved: self.memory.reserved(),
            memory_capacity: self.memory.capacity,
        }
    }

    /// Queues `work`; `reply` receives its result, or the deadline's timeout error at the
    /// deadline if the work has not returned by then, exactly once. Refused at once when
    /// the queue is full.
    pub fn submit<T: Send + 'static>(
        self: &Arc<Self>,
        deadline: Deadline,
        work: impl FnOnce(Started) -> Result<T> + Send + 'static,
        reply: impl FnOnce(Result<T>) + Send + 'static,
    ) -> Result<()> {
        let reply = Reply::new(reply);
        let answer = reply.clone();
        let job: Work = Box::new(move |started| {
            let result = work(started);
            match answer.take() {
                Some(send) => send(result),
                // The watchdog answered: this was abandoned work, which has now ended.
                None => drop(ABANDONED.fetch_sub(1, Ordering::SeqCst)),
            }
        });
        {
            let mut s = self.state();
            if s.queue.len() >= s.max_queue {
                return Err(Error::QueueFull { queued: s.queue.len() });
            }
            s.queue.push_back((Instant::now(), job));
            // A thread per job that has none idle, up to the concurrency.
            if s.threads < s.concurrency && s.threads < s.running + s.queue.len() {
                s.threads += 1;
                let jobs = Arc::clone(self);
                let spawned = std::thread::Builder::new().name("lazy-image-job".into()).spawn(move || jobs.worker());
                if let Err(e) = spawned {
                    s.threads -= 1;
                    if s.threads == 0 {
                        s.queue.pop_back();
                        return Err(Error::Internal(format!("cannot start a job thread: {e}")));
                    }
                }
            }
            self.work.notify_one();
        }
        if let Some(at) = deadline.at() {
            watchdog().watch(at, move || {
                // Counted before the caller hears of it, so `counters()` agrees with it.
                if let Some(send) = reply.take() {
                    ABANDONED.fetch_add(1, Ordering::SeqCst);
                    send(Err(deadline.error()));
                }
            });
        }
        Ok(())
    }

    fn worker(self: Arc<Self>) {
        let mut s = self.state();
        loop {
            if s.threads > s.concurrency {
                break;
            }
            let Some((queued_at, job)) = s.queue.pop_front() else {
                // Idle threads stay a while for the next burst, then end.
                let (guard, timeout) = self.work.wait_timeout(s, Duration::from_secs(30)).unwrap_or_else(|p| p.into_inner());
                s = guard;
                if timeout.timed_out() && s.queue.is_empty() {
                    break;
                }
                continue;
            };
            s.running += 1;
            drop(s);
            let started = Started { queue_ms: queued_at.elapsed().as_secs_f64() * 1000.0 };
            // The job catches its own panics (pipeline::run); this keeps the count right if
            // a reply callback panicked anyway.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(started)));
            s = self.state();
            s.running -= 1;
        }
        s.threads -= 1;
    }
}

type Answer<T> = Box<dyn FnOnce(Result<T>) + Send>;
type Alarm = Box<dyn FnOnce() + Send>;

/// A reply that is delivered once: by the work, or by the watchdog.
struct Reply<T>(Arc<Mutex<Option<Answer<T>>>>);

impl<T> Clone for Reply<T> {
    fn clone(&self) -> Self {
        Reply(Arc::clone(&self.0))
    }
}

impl<T> Reply<T> {
    fn new(f: impl FnOnce(Result<T>) + Send + 'static) -> Self {
        Reply(Arc::new(Mutex::new(Some(Box::new(f)))))
    }

    /// The answer, unless it went already: whoever takes it delivers it.
    fn take(&self) -> Option<Answer<T>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// One thread that fires callbacks at their instants.
struct Watchdog {
    due: Mutex<Vec<(Instant, Alarm)>>,
    changed: Condvar,
}

fn watchdog() -> &'static Watchdog {
    static DOG: OnceLock<&'static Watchdog> = OnceLock::new();
    DOG.get_or_init(|| {
        let dog: &'static Watchdog = Box::leak(Box::new(Watchdog { due: Mutex::new(Vec::new()), changed: Condvar::new() }));
        std::thread::Builder::new().name("lazy-image-deadlines".into()).spawn(move || dog.run()).expect("watchdog thread");
        dog
    })
}

impl Watchdog {
    fn watch(&self, at: Instant, f: impl FnOnce() + Send + 'static) {
        self.due.lock().unwrap_or_else(|p| p.into_inner()).push((at, Box::new(f)));
        self.changed.notify_one();
    }

    fn run(&self) {
        let mut due = self.due.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            let now = Instant::now();
            let mut fired = Vec::new();
            let mut i = 0;
            while i < due.len() {
                if due[i].0 <= now {
                    fired.push(due.swap_remove(i).1);
                } else {
                    i += 1;
                }
            }
            if !fired.is_empty() {
                drop(due);
                fired.into_iter().for_each(|f| f());
                due = self.due.lock().unwrap_or_else(|p| p.into_inner());
                continue;
            }
            let wait = due.iter().map(|(at, _)| at.saturating_duration_since(now)).min();
            due = match wait {
                Some(wait) => self.changed.wait_timeout(due, wait).unwrap_or_else(|p| p.into_inner()).0,
                None => self.changed.wait(due).unwrap_or_else(|p| p.into_inner()),
            };
        }
    }
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

/// A pool of bytes jobs reserve before they decode. A job larger than the whole pool is
/// refused (`LimitExceeded` naming its cost) rather than waiting for ever.
pub struct MemoryGate {
    capacity: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

/// Bytes held from a gate until dropped.
pub struct Reservation<'a> {
    gate: &'a MemoryGate,
    bytes: u64,
}

impl MemoryGate {
    pub fn new(free: u64) -> MemoryGate {
        MemoryGate { capacity: (free as f64 * MEMORY_SHARE) as u64, in_use: Mutex::new(0), freed: Condvar::new() }
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    fn reserved(&self) -> u64 {
        *self.in_use.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until `bytes` fit beside what other jobs hold, or the deadline passes.
    pub fn reserve(&self, bytes: u64, deadline: Deadline) -> Result<Reservation<'_>> {
        if bytes > self.capacity {
            return Err(Error::MemoryExceeded {
                cost: bytes,
                limit: self.capacity,
                what: "the process's memory gate, 75 % of the memory free when it started (the cgroup's allowance if one is set)".into(),
            });
        }
        let mut in_use = self.in_use.lock().unwrap_or_else(|p| p.into_inner());
        while *in_use + bytes > self.capacity {
            in_use = match deadline.remaining() {
                Some(left) if left.is_zero() => return Err(deadline.error()),
                Some(left) => self.freed.wait_timeout(in_use, left).unwrap_or_else(|p| p.into_inner()).0,
                None => self.freed.wait(in_use).unwrap_or_else(|p| p.into_inner()),
            };
        }
        *in_use += bytes;
        Ok(Reservation { gate: self, bytes })
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
    use std::sync::mpsc;

    fn deadline_in(ms: u64) -> Deadline {
        crate::limits::Limits { timeout: Some(Duration::from_millis(ms)), ..Default::default() }.deadline(Instant::now())
    }

    #[test]
    fn a_timed_out_job_answers_on_time_but_keeps_its_slot_until_it_ends() {
        let jobs = Jobs::new(1, 16, MemoryGate::new(1 << 30));
        let (tx, rx) = mpsc::channel();
        let started = Instant::now();
        let tx1 = tx.clone();
        // Work that cannot be interrupted, like a libaom encode.
        jobs.submit(deadline_in(50), |_| { std::thread::sleep(Duration::from_millis(400)); Ok("slow") }, move |r| tx1.send(("slow", r.map_err(|e| e.code()), started.elapsed())).unwrap()).unwrap();
        jobs.submit(Deadline::NONE, |s| Ok(if s.queue_ms >= 300.0 { "waited" } else { "jumped the queue" }), move |r| tx.send(("next", r.map_err(|e| e.code()), started.elapsed())).unwrap()).unwrap();
        let (name, result, at) = rx.recv().unwrap();
        assert_eq!((name, result), ("slow", Err("LAZY_TIMEOUT")));
        assert!(at < Duration::from_millis(300), "answered at the deadline: {at:?}");
        let c = jobs.counters();
        assert_eq!((c.running, c.queued), (1, 1), "the abandoned job still holds the only slot");
        let (name, result, at) = rx.recv().unwrap();
        assert_eq!((name, result), ("next", Ok("waited")));
        assert!(at >= Duration::from_millis(400), "{at:?}");
    }

    #[test]
    fn concurrency_bounds_running_jobs_and_the_queue_is_bounded() {
        let jobs = Jobs::new(2, 3, MemoryGate::new(1 << 30));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let mut refused = 0;
        for _ in 0..8 {
            let (running, most, tx) = (running.clone(), most.clone(), tx.clone());
            let work = move |_| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(30));
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            };
            match jobs.submit(Deadline::NONE, work, move |r: Result<()>| tx.send(r.is_ok()).unwrap()) {
                Ok(()) => {}
                Err(e) => {
                    assert_eq!(e.code(), "LAZY_QUEUE_FULL");
                    refused += 1;
                }
            }
        }
        drop(tx);
        let done = rx.iter().filter(|ok| *ok).count();
        assert_eq!(done + refused, 8);
        assert!(refused >= 3, "at most 2 running and 3 queued: {refused} refused");
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_gate_holds_jobs_to_its_capacity_and_refuses_what_never_fits() {
        let gate = MemoryGate::new(((100 << 20) as f64 / MEMORY_SHARE) as u64 + 1);
        let a = gate.reserve(60 << 20, Deadline::NONE).unwrap();
        let err = gate.reserve(60 << 20, deadline_in(30)).err().unwrap();
        assert_eq!(err.code(), "LAZY_TIMEOUT", "waited for memory until the deadline");
        drop(a);
        assert!(gate.reserve(60 << 20, deadline_in(30)).is_ok());
        let err = gate.reserve(200 << 20, Deadline::NONE).err().unwrap();
        assert_eq!(err.code(), "LAZY_LIMIT_EXCEEDED");
        assert!(err.to_string().contains("MB"), "{err}");
    }
}
