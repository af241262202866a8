//! Where input bytes live: a memory-mapped file (zero-copy) or bytes in memory that this
//! process owns. The binding copies a caller's `Buffer` into such memory once, because JS
//! can pull a buffer's memory away (a transfer, a detach, `ArrayBuffer.resize`) while a job
//! still reads it; see `docs/ZERO_COPY.md`.

mod guard;

use std::fs::File;
use std::io::{self, BufRead, ErrorKind, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use memmap2::{Mmap, UncheckedAdvice};

use crate::error::{Error, Result};
use guard::Guard;

/// Shared, read-only input. Cloning shares the mapping or the caller's buffer.
#[derive(Clone)]
pub enum Source {
    Mapped(Arc<MappedFile>),
    Borrowed(Arc<dyn AsRef<[u8]> + Send + Sync>),
}

/// A mapped file and what it looked like when mapped, to notice a change under the map.
/// No descriptor is kept: an engine may live until the next garbage collection.
pub struct MappedFile {
    /// Declared before `map`: unregistered before the unmap.
    guard: Guard,
    map: Mmap,
    path: PathBuf,
    stamp: Stamp,
}

/// Identity, size and modification time of a file.
#[derive(PartialEq)]
struct Stamp {
    id: (u64, u64),
    len: u64,
    modified: Option<SystemTime>,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let id = {
            use std::os::unix::fs::MetadataExt;
            (meta.dev(), meta.ino())
        };
        #[cfg(not(unix))]
        let id = (0, 0);
        Stamp { id, len: meta.len(), modified: meta.modified().ok() }
    }
}

impl Source {
    /// Maps `path` read-only. Fails at once for a missing, unreadable, empty or non-regular
    /// file. The file is opened first, without blocking, and its type is checked on the
    /// descriptor: checking the path and then opening it would let a path swapped for a
    /// FIFO in between block `open` (and the JS thread) for ever.
    pub fn open(path: impl AsRef<Path>) -> Result<Source> {
        let path = path.as_ref();
        let file = open_nonblocking(path).map_err(|e| io_error(path, e))?;
        let meta = file.metadata().map_err(|e| io_error(path, e))?;
        if !meta.is_file() {
            let kind = if meta.is_dir() { "a directory" } else { "a special file (FIFO, socket or device)" };
            return Err(Error::NotAFile { path: path.to_owned(), kind });
        }
        if meta.len() == 0 {
            return Err(Error::EmptyInput);
        }
        // SAFETY: the mapping is read-only. A file truncated by another process while mapped
        // faults on the lost pages; `Guard` turns that fault into `SourceChanged`.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| io_error(path, e))?;
        let guard = Guard::register(map.as_ptr(), map.len());
        let stamp = Stamp::of(&meta);
        Ok(Source::Mapped(Arc::new(MappedFile { guard, map, path: path.to_owned(), stamp })))
    }

    /// Whether `path` names the file this source maps (same device and inode), so an output
    /// is never written over its own input.
    pub fn is_file(&self, path: &Path) -> bool {
        let Source::Mapped(m) = self else { return false };
        std::fs::metadata(path).is_ok_and(|meta| Stamp::of(&meta).id == m.stamp.id)
    }

    /// Fails with `SourceChanged` when the mapped file was truncated or written to since it
    /// was mapped: what was read from it may not be the image. Called once everything has
    /// been read. A path that was deleted or now names another file says nothing about the
    /// mapped one, whose pages then only the fault guard can vouch for.
    pub fn check_unchanged(&self) -> Result<()> {
        let Source::Mapped(m) = self else { return Ok(()) };
        let now = std::fs::metadata(&m.path).ok().map(|meta| Stamp::of(&meta));
        let rewritten = now.is_some_and(|now| now.id == m.stamp.id && now != m.stamp);
        if m.guard.faulted() || rewritten {
            return Err(Error::SourceChanged(m.path.clone()));
        }
        Ok(())
    }

    /// Wraps bytes in this process's memory, shared by every clone of the source.
    pub fn borrowed(bytes: Arc<dyn AsRef<[u8]> + Send + Sync>) -> Result<Source> {
        if (*bytes).as_ref().is_empty() {
            return Err(Error::EmptyInput);
        }
        Ok(Source::Borrowed(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        match self {
            Source::Mapped(m) => &m.map,
            Source::Borrowed(b) => (**b).as_ref(),
        }
    }

    pub fn is_mapped(&self) -> bool {
        matches!(self, Source::Mapped(_))
    }

    /// Hands the mapped pages back to the page cache once decoding no longer needs them.
    pub fn release_pages(&self) {
        if let Source::Mapped(m) = self {
            // SAFETY: read-only file mapping; see `SequentialReader::release_passed`.
            let _ = unsafe { m.map.unchecked_advise(UncheckedAdvice::DontNeed) };
        }
    }

    /// A sequential reader that drops the pages it has passed from this process's RSS.
    pub fn reader(&self) -> SequentialReader<'_> {
        let map = match self {
            Source::Mapped(m) => Some(&m.map),
            Source::Borrowed(_) => None,
        };
        SequentialReader { bytes: self.bytes(), pos: 0, released: 0, map }
    }
}

/// Reads a source front to back. Mapped pages already read count toward RSS although they
/// are only page cache; every `RELEASE_STEP` bytes they are handed back with
/// `MADV_DONTNEED`, so a large file's mapping never weighs on the memory budget at once.
pub struct SequentialReader<'a> {
    bytes: &'a [u8],
    pos: usize,
    released: usize,
    map: Option<&'a Mmap>,
}

const RELEASE_STEP: usize = 1 << 20;
const PAGE: usize = 4096;

impl SequentialReader<'_> {
    fn release_passed(&mut self) {
        let Some(map) = self.map else { return };
        // Keep one step behind the cursor: decoders seek back a little (PNG chunk CRCs).
        let upto = self.pos.saturating_sub(RELEASE_STEP) / PAGE * PAGE;
        if upto >= self.released + RELEASE_STEP {
            // SAFETY: the mapping is read-only and file-backed; dropped pages are read back
            // from the page cache if anything touches them again, so no data changes.
            let _ = unsafe { map.unchecked_advise_range(UncheckedAdvice::DontNeed, 0, upto) };
            self.released = upto;
        }
    }
}

impl Read for SequentialReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (&self.bytes[self.pos.min(self.bytes.len())..]).read(buf)?;
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for SequentialReader<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        Ok(&self.bytes[self.pos.min(self.bytes.len())..])
    }

    fn consume(&mut self, amt: usize) {
        self.pos += amt;
        self.release_passed();
    }
}

impl Seek for SequentialReader<'_> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let base = match to {
            SeekFrom::Start(n) => Some(n as i64),
            SeekFrom::End(d) => (self.bytes.len() as i64).checked_add(d),
            SeekFrom::Current(d) => (self.pos as i64).checked_add(d),
        };
        match base {
            Some(p) if p >= 0 => {
                self.pos = p as usize;
                Ok(p as u64)
            }
            _ => Err(io::Error::new(ErrorKind::InvalidInput, "seek before the start of the input")),
        }
    }
}

/// `O_NONBLOCK` makes opening a FIFO return at once instead of waiting for a writer; a
/// regular file ignores the flag, and `mmap` does not care.
fn open_nonblocking(path: &Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
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
        let dir = crate::test_support::temp_dir("source");
        let file = dir.join("a.bin");
        std::fs::write(&file, b"hello").unwrap();
        assert_eq!(Source::open(&file).unwrap().bytes(), b"hello");
        assert!(matches!(Source::open(dir.join("missing")), Err(Error::FileNotFound(_))));
        assert!(matches!(Source::open(&dir), Err(Error::NotAFile { .. })));
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(Source::open(&file), Err(Error::EmptyInput)));
        #[cfg(unix)]
        {
            // Opening a FIFO for reading blocks until a writer comes, unless non-blocking.
            let fifo = dir.join("fifo");
            let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path.
            assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
            assert!(matches!(Source::open(&fifo), Err(Error::NotAFile { .. })));
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sequential_reader_reads_and_seeks_like_a_cursor() {
        let dir = crate::test_support::temp_dir("reader");
        let file = dir.join("big.bin");
        let data: Vec<u8> = (0..(12 << 20)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&file, &data).unwrap();
        let src = Source::open(&file).unwrap();
        let mut r = src.reader();
        let mut all = Vec::new();
        r.read_to_end(&mut all).unwrap();
        assert_eq!(all, data, "pages released behind the cursor read back unchanged");
        r.seek(SeekFrom::Start(5)).unwrap();
        let mut b = [0u8; 3];
        r.read_exact(&mut b).unwrap();
        assert_eq!(b, [5, 6, 7]);
        assert!(r.seek(SeekFrom::Current(-100)).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_file_changed_under_its_map_is_noticed() {
        let dir = crate::test_support::temp_dir("changed");
        let file = dir.join("a.bin");
        std::fs::write(&file, vec![1u8; 20_000]).unwrap();
        let src = Source::open(&file).unwrap();
        assert!(src.check_unchanged().is_ok());
        std::fs::remove_file(&file).unwrap();
        assert!(src.check_unchanged().is_ok(), "unlinking leaves the mapped inode intact");
        std::fs::write(&file, vec![1u8; 20_000]).unwrap();
        let src = Source::open(&file).unwrap();
        std::fs::OpenOptions::new().write(true).open(&file).unwrap().set_len(100).unwrap();
        assert!(matches!(src.check_unchanged(), Err(Error::SourceChanged(_))));
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
