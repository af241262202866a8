//! One error type for the whole core. The binding maps each variant once to a JS error
//! carrying `code`, `errorCode` and `category`, so the codes below are public API.

use std::path::{Path, PathBuf};

pub type Result<T> = std::result::Result<T, Error>;

/// Who has to act on an error: the caller, the codec (bad data), the limits, or us.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    UserInput,
    Codec,
    ResourceLimit,
    Internal,
}

impl Category {
    pub const ALL: [Category; 4] = [
        Category::UserInput,
        Category::Codec,
        Category::ResourceLimit,
        Category::Internal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::UserInput => "user_input",
            Category::Codec => "codec",
            Category::ResourceLimit => "resource_limit",
            Category::Internal => "internal",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("input file not found: {}", shown(.0))]
    FileNotFound(PathBuf),
    #[error("cannot read input file {}: {reason}", shown(path))]
    FileRead { path: PathBuf, reason: String },
    #[error("input path {} is {kind}, not a regular file", shown(path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("input file {} was truncated or modified while it was being read; the result was discarded, try again once it is complete", shown(.0))]
    SourceChanged(PathBuf),
    #[error("input is empty (0 bytes); pass the bytes of a JPEG, PNG, WebP, AVIF or GIF image")]
    EmptyInput,
    #[error("{0}")]
    InvalidArgument(String),
    #[error("{0}")]
    OutOfRange(String),
    #[error("crop {x},{y} {width}x{height} lies outside the {image_width}x{image_height} image")]
    CropOutOfBounds {
        x: u32,
        y: u32,
        width: u32,
        height: u32,
        image_width: u32,
        image_height: u32,
    },
    #[error("unsupported image format: {0}")]
    UnsupportedFormat(String),
    #[error("corrupt or truncated {format} input: {reason}")]
    CorruptInput { format: &'static str, reason: String },
    #[error("{format} encoding failed: {reason}")]
    EncodeFailed { format: &'static str, reason: String },
    /// `reason` says which limit and how to raise it.
    #[error("image of {width}x{height} {reason}")]
    LimitExceeded { width: u64, height: u64, reason: String },
    #[error("input of {bytes} bytes exceeds the limit of {limit} bytes{}; raise it with limits({{ maxBytes }}) (0 lifts it)", set_by(*.policy))]
    InputTooLarge { bytes: u64, limit: u64, policy: Option<crate::limits::Policy> },
    #[error("input has more than {limit} {what} ({count} seen); such a file costs far more than its size suggests and is refused")]
    TooMany { what: &'static str, count: u64, limit: u64 },
    #[error("this job needs about {} MB of memory (decoder, frames and encoder), more than the {} MB allowed by {what}", mb(*cost), mb(*limit))]
    MemoryExceeded { cost: u64, limit: u64, what: String },
    #[error("{queued} image jobs are already waiting; the queue is full, retry later (or lower the load)")]
    QueueFull { queued: usize },
    #[error("processing took longer than the {ms} ms timeout and was stopped (the time counts from the call, queueing included); raise it with limits({{ timeoutMs }}) (0 lifts it)")]
    Timeout { ms: u64 },
    #[error("refusing to write the output over its own input {}; write it elsewhere", shown(.0))]
    OutputIsInput(PathBuf),
    #[error("cannot write output file {}: {reason}", shown(path))]
    OutputWrite { path: PathBuf, reason: String },
    #[error("internal error: {0}; please report it with the input that caused it")]
    Internal(String),
}

/// (variant name used by `ErrorCode`, string code, numeric code, category), in a table so
/// that JS can be given the whole list.
pub const CODES: &[(&str, &str, u32, Category)] = &[
    ("FILE_NOT_FOUND", "LAZY_FILE_NOT_FOUND", 100, Category::UserInput),
    ("FILE_READ", "LAZY_FILE_READ", 101, Category::UserInput),
    ("NOT_A_FILE", "LAZY_NOT_A_FILE", 102, Category::UserInput),
    ("EMPTY_INPUT", "LAZY_EMPTY_INPUT", 103, Category::UserInput),
    ("SOURCE_CHANGED", "LAZY_SOURCE_CHANGED", 104, Category::UserInput),
    ("INVALID_ARGUMENT", "LAZY_INVALID_ARGUMENT", 110, Category::UserInput),
    ("OUT_OF_RANGE", "LAZY_OUT_OF_RANGE", 111, Category::UserInput),
    ("CROP_OUT_OF_BOUNDS", "LAZY_CROP_OUT_OF_BOUNDS", 112, Category::UserInput),
    ("OUTPUT_WRITE", "LAZY_OUTPUT_WRITE", 120, Category::UserInput),
    ("OUTPUT_IS_INPUT", "LAZY_OUTPUT_IS_INPUT", 121, Category::UserInput),
    ("UNSUPPORTED_FORMAT", "LAZY_UNSUPPORTED_FORMAT", 200, Category::Codec),
    ("CORRUPT_INPUT", "LAZY_CORRUPT_INPUT", 201, Category::Codec),
    ("ENCODE_FAILED", "LAZY_ENCODE_FAILED", 202, Category::Codec),
    ("LIMIT_EXCEEDED", "LAZY_LIMIT_EXCEEDED", 300, Category::ResourceLimit),
    ("INPUT_TOO_LARGE", "LAZY_INPUT_TOO_LARGE", 301, Category::ResourceLimit),
    ("TIMEOUT", "LAZY_TIMEOUT", 302, Category::ResourceLimit),
    ("QUEUE_FULL", "LAZY_QUEUE_FULL", 303, Category::ResourceLimit),
    ("INTERNAL", "LAZY_INTERNAL", 900, Category::Internal),
];

/// " set by sanitize({ policy: 'strict' })" when a policy set the limit, else nothing.
fn set_by(policy: Option<crate::limits::Policy>) -> String {
    policy.map_or(String::new(), |p| format!(" set by sanitize({{ policy: '{}' }})", p.name()))
}

/// Longest path shown whole in a message; a longer one keeps its start and its file name.
const SHOWN_PATH_CHARS: usize = 160;

/// A path as a message shows it: control characters escaped, a very long one cut in the
/// middle, so a hostile or mistaken path (a whole file passed as a path) stays readable.
fn shown(path: &Path) -> String {
    let escaped: String = path.to_string_lossy().chars().flat_map(|c| {
        if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }
    }).collect();
    let chars: Vec<char> = escaped.chars().collect();
    if chars.len() <= SHOWN_PATH_CHARS {
        return escaped;
    }
    let head: String = chars[..SHOWN_PATH_CHARS / 2].iter().collect();
    let tail: String = chars[chars.len() - SHOWN_PATH_CHARS / 2..].iter().collect();
    format!("{head}…{tail} ({} characters)", chars.len())
}

/// Bytes as whole megabytes (10^6), rounded up, for messages.
fn mb(bytes: u64) -> u64 {
    bytes.div_ceil(1_000_000)
}

impl Error {
    fn name(&self) -> &'static str {
        match self {
            Error::FileNotFound(_) => "FILE_NOT_FOUND",
            Error::FileRead { .. } => "FILE_READ",
            Error::NotAFile { .. } => "NOT_A_FILE",
            Error::EmptyInput => "EMPTY_INPUT",
            Error::SourceChanged(_) => "SOURCE_CHANGED",
            Error::InvalidArgument(_) => "INVALID_ARGUMENT",
            Error::OutOfRange(_) => "OUT_OF_RANGE",
            Error::CropOutOfBounds { .. } => "CROP_OUT_OF_BOUNDS",
            Error::OutputWrite { .. } => "OUTPUT_WRITE",
            Error::OutputIsInput(_) => "OUTPUT_IS_INPUT",
            Error::UnsupportedFormat(_) => "UNSUPPORTED_FORMAT",
            Error::CorruptInput { .. } => "CORRUPT_INPUT",
            Error::EncodeFailed { .. } => "ENCODE_FAILED",
            Error::LimitExceeded { .. } | Error::MemoryExceeded { .. } | Error::TooMany { .. } => {
                "LIMIT_EXCEEDED"
            }
            Error::InputTooLarge { .. } => "INPUT_TOO_LARGE",
            Error::Timeout { .. } => "TIMEOUT",
            Error::QueueFull { .. } => "QUEUE_FULL",
            Error::Internal(_) => "INTERNAL",
        }
    }

    fn entry(&self) -> &'static (&'static str, &'static str, u32, Category) {
        let name = self.name();
        CODES.iter().find(|e| e.0 == name).expect("every variant has a CODES entry")
    }

    /// Stable string code, e.g. `LAZY_CORRUPT_INPUT`.
    pub fn code(&self) -> &'static str {
        self.entry().1
    }

    /// Stable numeric code, grouped by category (1xx input, 2xx codec, 3xx limits, 9xx internal).
    pub fn number(&self) -> u32 {
        self.entry().2
    }

    pub fn category(&self) -> Category {
        self.entry().3
    }

    pub(crate) fn corrupt(format: &'static str, reason: impl ToString) -> Self {
        Error::CorruptInput { format, reason: reason.to_string() }
    }

    pub(crate) fn encode(format: &'static str, reason: impl ToString) -> Self {
        Error::EncodeFailed { format, reason: reason.to_string() }
    }

    /// Turns a caught panic (a libjpeg error unwinds with a `String`) into an error.
    pub(crate) fn from_panic(payload: Box<dyn std::any::Any + Send>, wrap: impl FnOnce(String) -> Error) -> Self {
        let msg = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        wrap(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_complete() {
        let mut codes: Vec<_> = CODES.iter().map(|e| e.1).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), CODES.len());
        let e = Error::CropOutOfBounds { x: 1, y: 2, width: 3, height: 4, image_width: 2, image_height: 2 };
        assert_eq!(e.code(), "LAZY_CROP_OUT_OF_BOUNDS");
        assert_eq!(e.category(), Category::UserInput);
        assert_eq!(Error::Internal("x".into()).number(), 900);
    }

    #[test]
    fn long_or_unprintable_paths_are_shown_short() {
        let long = PathBuf::from(format!("/tmp/{}/a.jpg", "x".repeat(65_536)));
        let msg = Error::FileNotFound(long).to_string();
        assert!(msg.len() < 300 && msg.contains("a.jpg") && msg.contains("65547 characters"), "{msg}");
        let odd = Error::FileNotFound(PathBuf::from("a\nb\u{1b}[31m.jpg"));
        assert!(!odd.to_string().contains('\u{1b}'), "{odd}");
    }
}
