//! What one input may cost: its size in bytes, its pixel count (read from the header, so a
//! decompression bomb is refused before any pixel buffer exists), a wall-clock budget, and
//! how much ICC data is carried. `Policy` names the two presets of `sanitize()`.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::names::named;

/// Largest side accepted whatever the limits say: no codec here handles more.
pub const MAX_SIDE: u32 = 32_768;
/// Default pixel cap, the same as sharp's `limitInputPixels` (0x3FFF squared).
pub const DEFAULT_MAX_PIXELS: u64 = 0x3FFF * 0x3FFF;
const MIB: u64 = 1 << 20;
/// Default frame cap: far above any real animation (a minute at 15 frames a second is 900),
/// far below a frame bomb.
pub const DEFAULT_MAX_FRAMES: u64 = 2000;
/// Default cap on all frames' pixels together: sharp's `limitInputPixels`, which sharp
/// applies to the whole of an animation.
pub const DEFAULT_MAX_TOTAL_PIXELS: u64 = DEFAULT_MAX_PIXELS;


/// Whether an input's ICC profile may be carried into the output. A refused profile is not
/// an error: the pixels are converted to sRGB and the refusal is reported in the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccPolicy {
    Allow,
    UpTo(usize),
    Refuse,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Pixels (width × height) from the header; 0 lifts the cap (the side limit stays).
    pub max_pixels: u64,
    /// Encoded input size; 0 for none.
    pub max_bytes: u64,
    /// Wall-clock budget of one output, from the call (queueing included) to the encoded bytes.
    pub timeout: Option<Duration>,
    /// Estimated peak memory of one job (`pipeline::cost`); 0 for none (the process's
    /// memory gate still applies).
    pub max_memory: u64,
    pub icc: IccPolicy,
    /// Frames of an animation, from the header; 0 for none.
    pub max_frames: u64,
    /// Pixels of all frames together (frames × width × height), from the header; 0 for none.
    pub max_total_pixels: u64,
    /// The `sanitize()` policy these limits came from, for messages; `limits()` keeps it.
    pub policy: Option<Policy>,
}

named! {
    /// When damaged pixel data refuses an input (sharp's `failOn`), least strict first. A
    /// damaged header is always refused; WebP and AVIF decoders give no partial image, so
    /// any damage there is refused whatever the level.
    #[derive(Default, PartialOrd, Ord)]
    pub enum FailOn "failOn" {
        /// Decode what is there: a file cut short is filled out (grey for JPEG, zeros for PNG).
        None = "none",
        /// Refuse a file cut short; decode damaged data as the decoder repairs it.
        Truncated = "truncated",
        /// Refuse a file cut short or damaged data; ignore warnings about its form.
        Error = "error",
        /// Refuse any decoder warning (the default).
        #[default]
        Warning = "warning",
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_pixels: DEFAULT_MAX_PIXELS,
            max_bytes: 0,
            timeout: None,
            max_memory: 0,
            icc: IccPolicy::Allow,
            max_frames: DEFAULT_MAX_FRAMES,
            max_total_pixels: DEFAULT_MAX_TOTAL_PIXELS,
            policy: None,
        }
    }
}

named! {
    /// The presets of `sanitize()`.
    pub enum Policy "policy" {
        /// Public uploads: 40 MP, 32 MiB, 5 s, 1 GiB of memory, no ICC carried; animations
        /// of at most 500 frames and 100 MP in all.
        Strict = "strict",
        /// Trusted sources: 75 MP, 48 MiB, 30 s, 4 GiB of memory, ICC up to 512 KiB;
        /// animations of at most 5000 frames and 1000 MP in all.
        Lenient = "lenient",
    }
}

impl Policy {
    pub fn limits(self) -> Limits {
        match self {
            Policy::Strict => Limits {
                max_pixels: 40_000_000,
                max_bytes: 32 * MIB,
                timeout: Some(Duration::from_secs(5)),
                max_memory: 1 << 30,
                icc: IccPolicy::Refuse,
                max_frames: 500,
                max_total_pixels: 100_000_000,
                policy: Some(self),
            },
            Policy::Lenient => Limits {
                max_pixels: 75_000_000,
                max_bytes: 48 * MIB,
                timeout: Some(Duration::from_secs(30)),
                max_memory: 4 << 30,
                icc: IccPolicy::UpTo(512 * 1024),
                max_frames: 5000,
                max_total_pixels: 1_000_000_000,
                policy: Some(self),
            },
        }
    }
}

impl Limits {
    pub fn check_bytes(&self, len: u64) -> Result<()> {
        if self.max_bytes > 0 && len > self.max_bytes {
            return Err(Error::InputTooLarge { bytes: len, limit: self.max_bytes, policy: self.policy });
        }
        Ok(())
    }

    /// Called with the header's size, before anything is allocated for pixels. The message
    /// says which limit was hit, what set it and how to raise it.
    pub fn check_dimensions(&self, width: u32, height: u32) -> Result<()> {
        let pixels = width as u64 * height as u64;
        let refuse = |reason: String| Err(Error::LimitExceeded { width: width as u64, height: height as u64, reason });
        if width > MAX_SIDE || height > MAX_SIDE {
            return refuse(format!("has a side over {MAX_SIDE} px, more than any decoder here takes; no setting raises this limit"));
        }
        if self.max_pixels > 0 && pixels > self.max_pixels {
            let set_by = match self.policy {
                Some(p) => format!("set by sanitize({{ policy: '{}' }})", p.name()),
                None if self.max_pixels == DEFAULT_MAX_PIXELS => "the default, sharp's limitInputPixels".into(),
                None => "set by limits({ maxPixels })".into(),
            };
            return refuse(format!(
                "({pixels} pixels) exceeds the pixel limit of {} ({set_by}); raise it with limits({{ maxPixels }}) (0 lifts it) or, on the command line, --max-pixels",
                self.max_pixels
            ));
        }
        Ok(())
    }

    /// Called with an animation's frame count and size from the header, before any frame
    /// is decoded: a file of many frames costs their sum in time, however small it is.
    pub fn check_frames(&self, frames: u32, width: u32, height: u32) -> Result<()> {
        let total = frames as u64 * width as u64 * height as u64;
        let set_by = |option: &str, default: u64, value: u64| match self.policy {
            Some(p) => format!("set by sanitize({{ policy: '{}' }})", p.name()),
            None if value == default => "the default".into(),
            None => format!("set by limits({{ {option} }})"),
        };
        let refuse = |reason: String| Err(Error::LimitExceeded { width: width as u64, height: height as u64, reason });
        if self.max_frames > 0 && frames as u64 > self.max_frames {
            let by = set_by("maxFrames", DEFAULT_MAX_FRAMES, self.max_frames);
            return refuse(format!("has {frames} frames, more than the frame limit of {} ({by}); raise it with limits({{ maxFrames }}) (0 lifts it), or take the first frame with pages: 1", self.max_frames));
        }
        if self.max_total_pixels > 0 && total > self.max_total_pixels {
            let by = set_by("maxTotalPixels", DEFAULT_MAX_TOTAL_PIXELS, self.max_total_pixels);
            return refuse(format!("has {frames} frames, {total} pixels in all, more than the limit of {} for all frames together ({by}); raise it with limits({{ maxTotalPixels }}) (0 lifts it), or take the first frame with pages: 1", self.max_total_pixels));
        }
        Ok(())
    }

    /// Called with a job's estimated memory before it reserves any.
    pub fn check_memory(&self, cost: u64) -> Result<()> {
        if self.max_memory > 0 && cost > self.max_memory {
            let what = "this job's maxMemory limit (raise it with limits({ maxMemory }), 0 lifts it; sanitize() policies set one)".into();
            return Err(Error::MemoryExceeded { cost, limit: self.max_memory, what });
        }
        Ok(())
    }

    /// Whether a profile of `len` bytes may be carried into the output.
    pub fn admits_icc(&self, len: usize) -> bool {
        match self.icc {
            IccPolicy::Allow => true,
            IccPolicy::UpTo(max) => len <= max,
            IccPolicy::Refuse => false,
        }
    }

    pub fn deadline(&self, start: Instant) -> Deadline {
        Deadline { end: self.timeout.map(|t| (start + t, t)) }
    }
}

/// The moment a call must have finished by. Long stages check it between row blocks,
/// operations and encoder passes, and stop with `Error::Timeout`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadline {
    end: Option<(Instant, Duration)>,
}

impl Deadline {
    pub const NONE: Deadline = Deadline { end: None };

    pub fn check(&self) -> Result<()> {
        if self.passed() { Err(self.error()) } else { Ok(()) }
    }

    pub fn passed(&self) -> bool {
        self.end.is_some_and(|(at, _)| Instant::now() >= at)
    }

    /// The instant itself, `None` without a deadline.
    pub fn at(&self) -> Option<Instant> {
        self.end.map(|(at, _)| at)
    }

    /// Time left, `None` without a deadline.
    pub fn remaining(&self) -> Option<Duration> {
        self.end.map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    pub fn error(&self) -> Error {
        Error::Timeout { ms: self.end.map_or(0, |(_, budget)| budget.as_millis() as u64) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_firewall_refuses_bombs_and_zero_lifts_the_pixel_cap() {
        let l = Limits::default();
        assert!(l.check_dimensions(16_383, 16_383).is_ok());
        assert!(matches!(l.check_dimensions(16_384, 16_384), Err(Error::LimitExceeded { .. })));
        assert!(matches!(l.check_dimensions(40_000, 10), Err(Error::LimitExceeded { .. })));
        let open = Limits { max_pixels: 0, ..l };
        assert!(open.check_dimensions(30_000, 30_000).is_ok());
        assert!(open.check_dimensions(40_000, 10).is_err(), "the side limit always holds");
        let side = l.check_dimensions(40_000, 10).unwrap_err().to_string();
        assert!(side.contains("side over 32768") && !side.contains("maxPixels"), "{side}");
        let pixels = l.check_dimensions(16_384, 16_384).unwrap_err().to_string();
        assert!(pixels.contains("268402689") && pixels.contains("the default") && pixels.contains("limits({ maxPixels })"), "{pixels}");
        let strict = Policy::Strict.limits().check_dimensions(8000, 5001).unwrap_err().to_string();
        assert!(strict.contains("set by sanitize({ policy: 'strict' })"), "{strict}");
        let bytes = Policy::Strict.limits().check_bytes(40 << 20).unwrap_err().to_string();
        assert!(bytes.contains("policy: 'strict'") && bytes.contains("limits({ maxBytes })"), "{bytes}");
    }

    #[test]
    fn policies() {
        let strict = Policy::parse("strict").unwrap().limits();
        assert!(strict.check_dimensions(8000, 5000).is_ok());
        assert!(strict.check_dimensions(8000, 5001).is_err());
        assert!(matches!(strict.check_bytes(33 << 20), Err(Error::InputTooLarge { .. })));
        assert!(!strict.admits_icc(500));
        let lenient = Policy::Lenient.limits();
        assert!(lenient.admits_icc(512 * 1024) && !lenient.admits_icc(512 * 1024 + 1));
        assert!(Policy::parse("loose").is_err());
    }

    #[test]
    fn deadlines() {
        assert!(Deadline::NONE.check().is_ok());
        assert_eq!(Deadline::NONE.remaining(), None);
        let l = Limits { timeout: Some(Duration::from_millis(30)), ..Limits::default() };
        let d = l.deadline(Instant::now());
        assert!(d.check().is_ok());
        std::thread::sleep(Duration::from_millis(40));
        assert!(matches!(d.check(), Err(Error::Timeout { ms: 30 })));
        assert_eq!(d.remaining(), Some(Duration::ZERO));
    }
}
