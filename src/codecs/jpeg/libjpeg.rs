//! What libjpeg leaves to its application: an error manager (errors unwind out of it and
//! are caught here; warnings about damaged data are errors unless `failOn` says otherwise),
//! the scan watch that libjpeg's trace messages drive, and the system memory manager
//! (jmemsys). libjpeg's terse texts are turned into sentences here (`message`).

use std::cell::Cell;
use std::os::raw::c_int;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

use mozjpeg_sys as ffi;

use super::NAME;
use crate::error::{Error, Result};
use crate::limits::{Deadline, FailOn};

/// Most scans a progressive JPEG may have. Encoders write about ten; a file of a few
/// hundred kilobytes with thousands of scans costs minutes of CPU, each scan one more pass
/// over every coefficient. libjpeg-turbo's TurboJPEG API suggests the same limit.
pub const MAX_SCANS: u32 = 500;

thread_local! {
    /// The scans the decode on this thread has started, its scan limit and its deadline:
    /// libjpeg announces each start of scan to `on_message`, which checks them there.
    pub(super) static SCANS: Cell<(u32, u32, Deadline)> = const { Cell::new((0, MAX_SCANS, Deadline::NONE)) };
    /// Which warnings refuse the decode on this thread (`failOn`).
    static TOLERANCE: Cell<FailOn> = const { Cell::new(FailOn::Warning) };
}

/// Runs a libjpeg call: its errors (and the scan watch's) unwind out of the handlers.
pub(super) fn guarded<T>(deadline: Deadline, f: impl FnOnce() -> Result<T>) -> Result<T> {
    guarded_with(deadline, FailOn::Warning, f)
}

/// `guarded`, with the warnings `fail_on` tolerates let through.
pub(super) fn guarded_with<T>(deadline: Deadline, fail_on: FailOn, f: impl FnOnce() -> Result<T>) -> Result<T> {
    SCANS.set((0, SCANS.get().1, deadline));
    TOLERANCE.set(fail_on);
    let result = catch_unwind(AssertUnwindSafe(f));
    TOLERANCE.set(FailOn::Warning);
    result.unwrap_or_else(|p| match p.downcast::<Error>() {
        Ok(e) => Err(*e),
        Err(p) => Err(Error::from_panic(p, |m| Error::corrupt(NAME, m))),
    })
}

/// Warnings about damaged entropy-coded data, which libjpeg repairs as it can.
const DAMAGED: [c_int; 5] = [ffi::JWRN_HIT_MARKER, ffi::JWRN_HUFF_BAD_CODE, ffi::JWRN_MUST_RESYNC, ffi::JWRN_NOT_SEQUENTIAL, ffi::JWRN_BOGUS_PROGRESSION];

/// Whether a warning refuses the decode at `fail_on`: a file cut short from `truncated` up,
/// damaged entropy-coded data from `error` up, anything else only at `warning`.
fn refuses(code: c_int, fail_on: FailOn) -> bool {
    let truncated = code == ffi::JWRN_JPEG_EOF;
    let damaged = DAMAGED.contains(&code);
    match fail_on {
        FailOn::None => false,
        FailOn::Truncated => truncated,
        FailOn::Error => truncated || damaged,
        FailOn::Warning => true,
    }
}

/// Counts a start of scan; stops the decode past the scan limit or the deadline.
fn watch_scan() {
    let (scans, limit, deadline) = SCANS.get();
    SCANS.set((scans + 1, limit, deadline));
    if scans + 1 > limit {
        resume_unwind(Box::new(Error::TooMany { what: "scans (progressive JPEG)", count: scans as u64 + 1, limit: limit as u64 }));
    }
    if deadline.passed() {
        resume_unwind(Box::new(deadline.error()));
    }
}

pub(super) fn guarded_encode(f: impl FnOnce() -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(Error::from_panic(p, |m| Error::encode(NAME, m))))
}

pub(super) fn strict_error_mgr() -> ffi::jpeg_error_mgr {
    // SAFETY: jpeg_std_error fills every field of a zeroed struct; we then replace the two
    // handlers with ones that unwind (caught by `guarded`) instead of calling exit().
    unsafe {
        let mut err: ffi::jpeg_error_mgr = std::mem::zeroed();
        ffi::jpeg_std_error(&mut err);
        err.error_exit = Some(fail);
        err.emit_message = Some(on_message);
        err
    }
}

extern "C-unwind" fn fail(cinfo: &mut ffi::jpeg_common_struct) {
    resume_unwind(Box::new(message(cinfo)));
}

extern "C-unwind" fn on_message(cinfo: &mut ffi::jpeg_common_struct, level: c_int) {
    // Level -1 is a warning about corrupt data; extraneous bytes between markers are benign.
    // SAFETY: libjpeg always sets `err` before calling a handler.
    let code = unsafe { (*cinfo.err).msg_code };
    if code == ffi::JTRC_SOS as c_int {
        watch_scan();
    }
    if level < 0 && code != ffi::JWRN_EXTRANEOUS_DATA as c_int && refuses(code, TOLERANCE.get()) {
        resume_unwind(Box::new(message(cinfo)));
    }
}

/// A sentence for libjpeg's common messages, saying what is wrong and, for damage that
/// `failOn` can let through, which level does; libjpeg's own text for the rest.
fn message(cinfo: &mut ffi::jpeg_common_struct) -> String {
    // SAFETY: libjpeg always sets `err` before calling a handler.
    let code = unsafe { (*cinfo.err).msg_code };
    let damaged = "the image data is damaged";
    let sentence = match code {
        ffi::JWRN_JPEG_EOF => "the file ends before its image data does (truncated); failOn: 'none' decodes what is there",
        ffi::JERR_INPUT_EOF | ffi::JERR_FILE_READ => "the file ends before its header does (truncated or cut off), so there is no image to decode",
        ffi::JERR_NO_SOI => "the data does not start with a JPEG start-of-image marker",
        ffi::JERR_SOI_DUPLICATE | ffi::JERR_SOF_DUPLICATE | ffi::JERR_SOF_NO_SOS | ffi::JERR_EOI_EXPECTED => "the file's markers are out of order (a damaged or hand-edited header)",
        ffi::JERR_BAD_LENGTH | ffi::JERR_DHT_INDEX | ffi::JERR_DQT_INDEX | ffi::JERR_NO_HUFF_TABLE | ffi::JERR_NO_QUANT_TABLE => "the header's tables are damaged",
        c if DAMAGED.contains(&c) => {
            return format!("{damaged} ({}); failOn: 'truncated' or 'none' decodes it as libjpeg repairs it", libjpeg_text(cinfo));
        }
        _ => return libjpeg_text(cinfo),
    };
    format!("{sentence} ({})", libjpeg_text(cinfo))
}

fn libjpeg_text(cinfo: &mut ffi::jpeg_common_struct) -> String {
    // SAFETY: `format_message` writes at most JMSG_LENGTH_MAX (80) bytes into the buffer.
    unsafe {
        let err = &*cinfo.err;
        let Some(format) = err.format_message else { return format!("libjpeg message {}", err.msg_code) };
        let mut buffer = [0u8; 80];
        let format: unsafe extern "C-unwind" fn(&mut ffi::jpeg_common_struct, *mut [u8; 80]) =
            std::mem::transmute(format);
        format(cinfo, &mut buffer);
        let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
        String::from_utf8_lossy(&buffer[..end]).into_owned()
    }
}

/// libjpeg's system-dependent memory manager (jmemsys.h), which libjpeg leaves to the
/// application: these definitions take the place of mozjpeg-sys' jmemnobs.c, which the
/// linker then does not pull in. Large blocks (a progressive file's coefficients) come from
/// `heap`'s pool, so a busy engine does not fault them in anew for every image.
mod jmemsys {
    use std::ffi::{c_long, c_void};

    use mozjpeg_sys::{jpeg_common_struct, JERR_NO_BACKING_STORE};

    use crate::heap;

    #[no_mangle]
    extern "C" fn jpeg_get_small(_: &mut jpeg_common_struct, size: usize) -> *mut c_void {
        // SAFETY: plain malloc; libjpeg checks for null.
        unsafe { libc::malloc(size) }
    }

    #[no_mangle]
    unsafe extern "C" fn jpeg_free_small(_: &mut jpeg_common_struct, object: *mut c_void, _: usize) {
        libc::free(object)
    }

    #[no_mangle]
    extern "C" fn jpeg_get_large(_: &mut jpeg_common_struct, size: usize) -> *mut c_void {
        heap::take(size).cast()
    }

    #[no_mangle]
    unsafe extern "C" fn jpeg_free_large(_: &mut jpeg_common_struct, object: *mut c_void, _: usize) {
        heap::give(object.cast())
    }

    /// All that is asked for, unless `max_memory_to_use` is set (it is not, here).
    #[no_mangle]
    unsafe extern "C" fn jpeg_mem_available(cinfo: &mut jpeg_common_struct, _: usize, max_needed: usize, allocated: usize) -> usize {
        match (*cinfo.mem).max_memory_to_use as usize {
            0 => max_needed,
            limit => limit.saturating_sub(allocated),
        }
    }

    /// Never reached while `jpeg_mem_available` grants everything; an error, as in jmemnobs.
    #[no_mangle]
    unsafe extern "C-unwind" fn jpeg_open_backing_store(cinfo: &mut jpeg_common_struct, _: *mut c_void, _: c_long) {
        let err = &mut *cinfo.err;
        err.msg_code = JERR_NO_BACKING_STORE as i32;
        if let Some(exit) = err.error_exit {
            exit(cinfo);
        }
    }

    #[no_mangle]
    extern "C" fn jpeg_mem_init(_: &mut jpeg_common_struct) -> c_long {
        0
    }

    #[no_mangle]
    extern "C" fn jpeg_mem_term(_: &mut jpeg_common_struct) {}
}
