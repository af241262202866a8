//! Atomic file output: write a temporary file beside the target, then rename it over the
//! target, so a reader never sees a half-written image and a failure leaves nothing.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |e: std::io::Error| Error::OutputWrite { path: path.to_owned(), reason: e.to_string() };
    let tmp = temp_path(path);
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.flush()))
        .and_then(|_| fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

/// `.<name>.<pid>.<n>.tmp` in the target's folder, so the rename never crosses filesystems.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_whole_files_and_leaves_nothing_on_failure() {
        let dir = crate::test_support::temp_dir("output");
        let target = dir.join("out.bin");
        write_atomic(&target, b"abc").unwrap();
        write_atomic(&target, b"defg").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"defg");
        // Renaming a file over a directory fails after the temp file was written.
        let blocked = dir.join("blocked");
        fs::create_dir_all(blocked.join("inner")).unwrap();
        assert!(matches!(write_atomic(&blocked, b"x"), Err(Error::OutputWrite { .. })));
        assert!(matches!(write_atomic(&dir.join("missing/out.bin"), b"x"), Err(Error::OutputWrite { .. })));
        let names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
