//! The process heap. glibc keeps what a thread's arena freed for that arena to reuse; for
//! threads that will not allocate again (an abandoned pipeline thread, libaom's per-encode
//! workers) that memory would stay in RSS until the arena limit is reached.

/// Gives freed heap in every arena back to the OS.
pub fn release() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the OS; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
