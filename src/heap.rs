//! The process heap: large blocks kept for reuse while jobs run, and trimming.
//!
//! glibc hands a large freed block back to the OS at once, so every decode of a progressive
//! JPEG faulted its coefficient buffer (55 MB for an 18 MP 4:4:4 photo) in again page by
//! page, which libjpeg then zeroed once more: about a quarter of such a job. libjpeg takes
//! its large blocks from `take` and returns them with `give` (see `codecs::jpeg`), so the
//! next job reuses them; when the last running job ends, the pool is emptied and the heap
//! trimmed.
//!
//! A long-running server also meets glibc's dynamic thresholds: after large blocks are freed,
//! glibc raises its trim threshold (up to 64 MiB) and never shrinks the top of a thread's
//! arena below it, so each of the arenas the worker and codec threads use can keep tens of
//! MB that `malloc_trim` does not reach. `fix_thresholds` sets them once, for servers.

use std::alloc::{alloc, dealloc, Layout};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Blocks smaller than this go straight back to the allocator, which reuses them itself.
const POOLED_MIN: usize = 1 << 20;
/// The most the pool holds; beyond this, freed blocks go back to the allocator.
const POOL_LIMIT: usize = 512 << 20;
/// Room before each block for its capacity, keeping malloc's own alignment (an alignment
/// above it makes glibc split off remainders that can pin an arena's top).
const HEADER: usize = 16;

static POOL: Pool = Pool::new();

/// Marks a job as running until the returned guard is dropped.
pub fn busy() -> Busy<'static> {
    POOL.busy()
}

/// Blocks handed out, so a test can see that libjpeg allocates through here.
#[cfg(test)]
pub static TAKEN: AtomicUsize = AtomicUsize::new(0);

/// A block of at least `size` bytes, of unspecified content; null when out of memory.
pub fn take(size: usize) -> *mut u8 {
    #[cfg(test)]
    TAKEN.fetch_add(1, Ordering::SeqCst);
    POOL.take(size)
}

/// Returns a block from `take`.
///
/// # Safety
/// `block` must come from `take` and not be used afterwards.
pub unsafe fn give(block: *mut u8) {
    POOL.give(block)
}

/// Held by a running job; when the last one is dropped, the pool is emptied.
pub struct Busy<'a>(&'a Pool);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            // Pooled blocks sit below later allocations, where glibc's own trimming of an
            // arena's top does not reach them once freed: trim at once after freeing them.
            // Otherwise at most once a second (a trim walks every arena).
            let freed = self.0.clear();
            let now = now_ms();
            let last = LAST_TRIM_MS.load(Ordering::Relaxed);
            if freed || now.saturating_sub(last) >= 1000 {
                LAST_TRIM_MS.store(now, Ordering::Relaxed);
                release();
            }
        }
    }
}

/// When `Busy` last trimmed the heap, in `now_ms`.
static LAST_TRIM_MS: AtomicU64 = AtomicU64::new(0);

/// Milliseconds on a monotonic clock.
fn now_ms() -> u64 {
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64
}

struct Pool {
    running: AtomicUsize,
    blocks: Mutex<Blocks>,
}

struct Blocks {
    /// (start of the allocation, capacity after the header)
    list: Vec<(usize, usize)>,
    bytes: usize,
}

impl Pool {
    const fn new() -> Self {
        Pool { running: AtomicUsize::new(0), blocks: Mutex::new(Blocks { list: Vec::new(), bytes: 0 }) }
    }

    fn busy(&self) -> Busy<'_> {
        self.running.fetch_add(1, Ordering::SeqCst);
        Busy(self)
    }

    fn blocks(&self) -> MutexGuard<'_, Blocks> {
        self.blocks.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn take(&self, size: usize) -> *mut u8 {
        if size >= POOLED_MIN {
            let mut blocks = self.blocks();
            // The smallest pooled block that fits without wasting more than half of it.
            let fit = (blocks.list.iter().enumerate())
                .filter(|(_, &(_, capacity))| capacity >= size && capacity / 2 <= size)
                .min_by_key(|(_, &(_, capacity))| capacity)
                .map(|(i, _)| i);
            if let Some(i) = fit {
                let (start, capacity) = blocks.list.swap_remove(i);
                blocks.bytes -= capacity;
                return (start + HEADER) as *mut u8;
            }
        }
        let Some(layout) = size.checked_add(HEADER).and_then(|n| Layout::from_size_align(n, HEADER).ok()) else {
            return std::ptr::null_mut();
        };
        // SAFETY: the layout has a non-zero size.
        let start = unsafe { alloc(layout) };
        if start.is_null() {
            return start;
        }
        // SAFETY: the header is inside the allocation and aligned for a usize.
        unsafe {
            (start as *mut usize).write(size);
            start.add(HEADER)
        }
    }

    /// Into the pool while another job runs (it, or the job started when one ends, reuses
    /// the block); otherwise back to the allocator, so a lone job peaks no higher.
    unsafe fn give(&self, block: *mut u8) {
        let start = block.sub(HEADER);
        let capacity = (start as *const usize).read();
        if capacity >= POOLED_MIN && self.running.load(Ordering::SeqCst) > 1 {
            let mut blocks = self.blocks();
            if blocks.bytes + capacity <= POOL_LIMIT {
                blocks.list.push((start as usize, capacity));
                blocks.bytes += capacity;
                return;
            }
        }
        dealloc(start, layout(capacity));
    }

    /// Frees every pooled block; false when there was none.
    fn clear(&self) -> bool {
        let list = {
            let mut blocks = self.blocks();
            blocks.bytes = 0;
            std::mem::take(&mut blocks.list)
        };
        let freed = !list.is_empty();
        for (start, capacity) in list {
            // SAFETY: every pooled block came from `take`.
            unsafe { dealloc(start as *mut u8, layout(capacity)) };
        }
        freed
    }
}

/// The layout `take` allocated a block of `capacity` with.
fn layout(capacity: usize) -> Layout {
    // SAFETY: `take` checked this size and alignment when it allocated the block.
    unsafe { Layout::from_size_align_unchecked(capacity + HEADER, HEADER) }
}

/// Gives freed heap in every arena back to the OS. libaom starts new worker threads for
/// every encode, and what each frees stays in a glibc arena of its own.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the OS; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Fixes glibc's trim threshold at 1 MiB and its mmap threshold at 4 MiB (calling it again
/// sets the same), unless the environment already tunes malloc (`GLIBC_TUNABLES`, `MALLOC_*_`):
/// the whole process's allocator changes, so only a server asks for it (`createImageHandler`).
/// True when set.
pub fn fix_thresholds() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let tuned = std::env::vars_os().any(|(k, _)| {
            let k = k.to_string_lossy();
            k == "GLIBC_TUNABLES" || (k.starts_with("MALLOC_") && k.ends_with('_'))
        });
        if tuned {
            return false;
        }
        // SAFETY: mallopt only changes malloc's parameters; it is thread-safe.
        unsafe { libc::mallopt(libc::M_TRIM_THRESHOLD, 1 << 20) == 1 && libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20) == 1 }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pooled(pool: &Pool) -> (usize, usize) {
        let blocks = pool.blocks();
        (blocks.list.len(), blocks.bytes)
    }

    #[test]
    fn blocks_are_kept_while_another_job_runs_and_freed_when_all_end() {
        let pool = Pool::new();
        // SAFETY: blocks from this pool, each given back once before it is taken again.
        unsafe {
            let first = pool.busy();
            let a = pool.take(3 << 20);
            a.write_bytes(7, 3 << 20);
            pool.give(a);
            assert_eq!(pooled(&pool), (0, 0), "a lone job frees at once");

            let second = pool.busy();
            let a = pool.take(3 << 20);
            pool.give(a);
            assert_eq!(pool.take(3 << 20), a, "same size: the pooled block");
            let b = pool.take(8 << 20);
            pool.give(a);
            pool.give(b);
            assert_eq!(pooled(&pool), (2, 11 << 20));
            // The 8 MB block would be more than half wasted on 2 MB: the 3 MB one is taken.
            assert_eq!(pool.take(2 << 20), a);
            pool.give(a);
            let small = pool.take(4096);
            pool.give(small);
            assert_eq!(pooled(&pool).0, 2, "small blocks are not pooled");

            drop(first);
            assert_eq!(pooled(&pool).0, 2, "kept while a job runs");
            drop(second);
            assert_eq!(pooled(&pool), (0, 0), "emptied when the last job ends");
        }
    }
}
