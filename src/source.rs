//! Where input bytes live: a memory-mapped file (zero-copy) or bytes the caller already
//! holds (a Node `Buffer` kept alive by the binding). Neither is ever copied.

use std::fs::File;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use memmap2::Mmap;

use crate::error::{Error, Result};

/// Shared, read-only input. Cloning shares the mapping or the caller's buffer.
#[derive(Clone)]
pub enum Source {
    Mapped { map: Arc<Mmap>, path: PathBuf },
    Borrowed(Arc<dyn AsRef<[u8]> + Send + Sync>),
}

impl Source {
    /// Maps `path` read-only. Fails at once for a missing, unreadable, empty or non-regular
    /// file; `stat` runs before `open` so a FIFO never blocks the caller.
    pub fn open(path: impl AsRef<Path>) -> Result<Source> {
        let path = path.as_ref();
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, e))?;
        if !meta.is_file() {
            let kind = if meta.is_dir() { "a directory" } else { "a special file (FIFO, socket or device)" };
            return Err(Error::NotAFile { path: path.to_owned(), kind });
        }
        if meta.len() == 0 {
            return Err(Error::EmptyInput);
        }
        let file = File::open(path).map_err(|e| io_error(path, e))?;
        // SAFETY: the mapping is read-only. A file truncated by another process while mapped
        // can still fault; docs/ZERO_COPY.md states this contract.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error(path, e))?;
        Ok(Source::Mapped { map: Arc::new(map), path: path.to_owned() })
    }

    /// Wraps bytes owned elsewhere (the binding passes a JS `Buffer` handle).
    pub fn borrowed(bytes: Arc<dyn AsRef<[u8]> + Send + Sync>) -> Result<Source> {
        if (*bytes).as_ref().is_empty() {
            return Err(Error::EmptyInput);
        }
        Ok(Source::Borrowed(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped { map, .. } => map,
            Source::Borrowed(b) => (**b).as_ref(),
        }
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self, Source::Mapped { .. })
    }
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    match e.kind() {
        ErrorKind::NotFound => Error::FileNotFound(path.to_owned()),
        _ => Error::FileRead { path: path.to_owned(), reason: e.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_a_file_and_rejects_bad_paths() {
        let dir = std::env::temp_dir().join(format!("lazy-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a.bin");
        std::fs::write(&file, b"hello").unwrap();
        assert_eq!(Source::open(&file).unwrap().bytes(), b"hello");
        assert!(matches!(Source::open(dir.join("missing")), Err(Error::FileNotFound(_))));
        assert!(matches!(Source::open(&dir), Err(Error::NotAFile { .. })));
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(Source::open(&file), Err(Error::EmptyInput)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn borrowed_bytes_are_shared() {
        let bytes: Arc<dyn AsRef<[u8]> + Send + Sync> = Arc::new(vec![1u8, 2, 3]);
        let src = Source::borrowed(bytes.clone()).unwrap();
        assert_eq!(src.bytes().as_ptr(), (*bytes).as_ref().as_ptr());
        assert!(Source::borrowed(Arc::new(Vec::<u8>::new())).is_err());
    }
}
