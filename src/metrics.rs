//! Per-call measurements returned by `toBufferWithMetrics`.

use std::time::Instant;

/// Version of the metrics object's shape; raised when a field changes meaning or goes.
pub const VERSION: u32 = 5;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub decode_ms: f64,
    pub ops_ms: f64,
    pub encode_ms: f64,
    pub total_ms: f64,
    /// Peak resident set size of the whole process so far, in bytes (0 where unknown).
    pub peak_rss: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub format_in: &'static str,
    pub format_out: &'static str,
    pub width_in: u32,
    pub height_in: u32,
    pub width_out: u32,
    pub height_out: u32,
    /// Frames written: more than 1 for an animation.
    pub pages_out: u32,
    /// `bytes_in / bytes_out`: above 1 means the output is smaller.

    pub compression_ratio: f64,
    /// CPU time of the thread that ran the pipeline (threads libaom or oxipng start for
    /// themselves are not counted).
    pub cpu_time_ms: f64,
    /// The output carries the source's ICC profile.
    pub icc_preserved: bool,
    /// The source had metadata (EXIF, GPS, ICC, XMP, comments) that the output lacks.
    pub metadata_stripped: bool,
    /// Non-fatal refusals of the limits policy, e.g. `icc_refused`.
    pub policy_violations: Vec<&'static str>,
    /// The source was HDR (PQ or HLG) and was tone-mapped to SDR sRGB (`metadata::hdr`).
    pub tone_mapped: bool,
    /// Bytes the job reserved from the memory gate (its estimated peak, `pipeline::cost`).
    pub memory_estimate: u64,
    /// Milliseconds the job waited in the queue before a thread took it.
    pub queue_ms: f64,
    /// Where a cover crop's region started in the scaled image (left, top).
    pub crop_offset: Option<(u32, u32)>,
    /// What trim removed: top, right, bottom, left.
    pub trimmed: Option<[u32; 4]>,
    /// The encoder quality used (the one chosen, for `quality: 'auto'`).
    pub quality: Option<u8>,
    /// For `quality: 'auto'`: the output's SSIMULACRA2 score against the frame encoded.
    pub score: Option<f64>,
}

/// Milliseconds since `start`, then restarts it.
pub fn lap(start: &mut Instant) -> f64 {
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    *start = Instant::now();
    ms
}

/// The process's high-water RSS (`VmHWM`), read from procfs on Linux.
pub fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(target_os = "linux")]
    fn peak_rss_is_read() {
        assert!(super::peak_rss() > 1024 * 1024);
    }
}
