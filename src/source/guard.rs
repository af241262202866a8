//! Keeps the process alive when a mapped input is truncated under it. Reading a mapped page
//! that now lies past the end of the file raises SIGBUS, whose default action kills Node.
//! For an address inside a mapping registered here, the handler maps a page of zeros over
//! the faulting page and marks the mapping: the read completes, and the pipeline reports
//! `LAZY_SOURCE_CHANGED` instead of a result. Any other SIGBUS goes to the handler that was
//! installed before, or gets the default action.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Mappings guarded at once; a mapping beyond this many is not guarded (and says so).
const SLOTS: usize = 1024;

struct Slot {
    start: AtomicUsize,
    /// 0 while the slot is free.
    end: AtomicUsize,
    faulted: AtomicBool,
}

#[allow(clippy::declare_interior_mutable_const)]
const FREE: Slot = Slot { start: AtomicUsize::new(0), end: AtomicUsize::new(0), faulted: AtomicBool::new(false) };
static TABLE: [Slot; SLOTS] = [FREE; SLOTS];

/// One registered mapping; dropping it (before the unmap) frees the slot.
pub struct Guard {
    slot: Option<usize>,
}

impl Guard {
    /// Registers `len` bytes at `start`, installing the handler on first use.
    pub fn register(start: *const u8, len: usize) -> Guard {
        if !handler::install() || len == 0 {
            return Guard { slot: None };
        }
        let slot = TABLE.iter().position(|s| s.end.compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed).is_ok());
        if let Some(i) = slot {
            // Reserved with an empty range (start >= end) until both bounds are in place.
            let s = &TABLE[i];
            s.faulted.store(false, Ordering::Relaxed);
            s.start.store(usize::MAX, Ordering::Release);
            s.end.store(start as usize + len, Ordering::Release);
            s.start.store(start as usize, Ordering::Release);
        }
        Guard { slot }
    }

    /// A read hit a page the file no longer has: what was read there is zeros, not data.
    pub fn faulted(&self) -> bool {
        self.slot.is_some_and(|i| TABLE[i].faulted.load(Ordering::Acquire))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            TABLE[i].start.store(usize::MAX, Ordering::Release);
            TABLE[i].end.store(0, Ordering::Release);
        }
    }
}

#[cfg(unix)]
mod handler {
    use super::{Ordering, SLOTS, TABLE};
    use std::mem::MaybeUninit;
    use std::os::raw::{c_int, c_void};
    use std::sync::atomic::AtomicUsize;
    use std::sync::OnceLock;

    static INSTALLED: OnceLock<bool> = OnceLock::new();
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    /// The action in place before ours, written once before ours is installed.
    static mut PREVIOUS: MaybeUninit<libc::sigaction> = MaybeUninit::uninit();

    pub fn install() -> bool {
        *INSTALLED.get_or_init(|| {
            // SAFETY: sigaction with a zeroed, then filled, struct; PREVIOUS is written here
            // once, before the handler that reads it can run.
            unsafe {
                PAGE.store(libc::sysconf(libc::_SC_PAGESIZE).max(4096) as usize, Ordering::Relaxed);
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_sigbus as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut action.sa_mask);
                let previous = &raw mut PREVIOUS;
                libc::sigaction(libc::SIGBUS, &action, (*previous).as_mut_ptr()) == 0
            }
        })
    }

    extern "C" fn on_sigbus(sig: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers. Only atomics and
        // the mmap system call are used here.
        unsafe {
            let addr = fault_address(info);
            for slot in TABLE.iter().take(SLOTS) {
                let (start, end) = (slot.start.load(Ordering::Acquire), slot.end.load(Ordering::Acquire));
                if start <= addr && addr < end {
                    let page = addr & !(PAGE.load(Ordering::Relaxed) - 1);
                    let zeros = libc::mmap(
                        page as *mut c_void,
                        PAGE.load(Ordering::Relaxed),
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    );
                    if zeros != libc::MAP_FAILED {
                        slot.faulted.store(true, Ordering::Release);
                        return;
                    }
                }
            }
            chain(sig, info, context);
        }
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    unsafe fn fault_address(info: *mut libc::siginfo_t) -> usize {
        (*info).si_addr() as usize
    }

    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    unsafe fn fault_address(info: *mut libc::siginfo_t) -> usize {
        (*info).si_addr as usize
    }

    /// Not one of ours: what would have happened without us.
    unsafe fn chain(sig: c_int, info: *mut libc::siginfo_t, context: *mut c_void) {
        let previous = (*(&raw const PREVIOUS)).assume_init_ref();
        match previous.sa_sigaction {
            libc::SIG_IGN => {}
            libc::SIG_DFL => {
                // Restore the default action; returning re-runs the access, which then kills.
                libc::signal(sig, libc::SIG_DFL);
            }
            f if previous.sa_flags & libc::SA_SIGINFO != 0 => {
                let f: extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void) = std::mem::transmute(f);
                f(sig, info, context);
            }
            f => {
                let f: extern "C" fn(c_int) = std::mem::transmute(f);
                f(sig);
            }
        }
    }
}

#[cfg(not(unix))]
mod handler {
    /// Windows refuses to truncate a mapped file, so there is nothing to guard.
    pub fn install() -> bool {
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use memmap2::Mmap;

    #[test]
    fn a_truncated_mapping_reads_zeros_instead_of_killing_the_process() {
        let path = crate::test_support::temp_dir("guard").join("mapped.bin");
        std::fs::write(&path, vec![7u8; 64 * 1024]).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the test truncates the file on purpose; the guard is what is tested.
        let map = unsafe { Mmap::map(&file).unwrap() };
        let guard = Guard::register(map.as_ptr(), map.len());
        assert!(guard.slot.is_some() && !guard.faulted());
        assert_eq!(map[40_000], 7);
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(8 * 1024).unwrap();
        let past_the_end = unsafe { std::ptr::read_volatile(&map[40_000]) };
        assert_eq!(past_the_end, 0);
        assert!(guard.faulted());
        assert_eq!(map[100], 7, "pages still backed by the file read normally");
        drop(guard);
        drop(map);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}
