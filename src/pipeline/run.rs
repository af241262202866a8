//! Runs a pipeline: probe → decode → orient → ops → encode, timing each stage. Any panic
//! inside becomes `Error::Internal`, so one bad call can never take the process down.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use super::{plan, Pipeline};
use crate::codecs::{self, EncodeOptions};
use crate::error::{Error, Result};
use crate::metrics::{self, lap, Metrics};
use crate::ops::{geometry, resize};
use crate::source::Source;

pub struct Encoded {
    pub data: Vec<u8>,
    pub metrics: Metrics,
}

pub fn run(source: &Source, pipeline: &Pipeline, options: &EncodeOptions) -> Result<Encoded> {
    guarded(|| run_unguarded(source, pipeline, options))
}

fn guarded<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(Error::from_panic(p, Error::Internal)))
}

fn run_unguarded(source: &Source, pipeline: &Pipeline, options: &EncodeOptions) -> Result<Encoded> {
    let started = Instant::now();
    let mut clock = Instant::now();
    let input = source.bytes();
    let header = codecs::probe(input)?;
    let plan = plan::plan(pipeline, &header);
    // With a fused resize, decode_ms includes the resampling that ran while rows arrived.
    let mut image = codecs::decode(source, &header, plan.target)?;
    source.release_pages();
    let decode_ms = lap(&mut clock);

    if pipeline.auto_orient {
        image = geometry::orient(image, header.orientation);
    }
    if let Some(fused) = &plan.fused {
        image = resize::finish(image, fused)?;
    }
    for op in plan.rest {
        image = op.apply(image)?;
    }
    let (width_out, height_out) = (image.width, image.height);
    let ops_ms = lap(&mut clock);

    let data = codecs::encode(image, options)?;
    let encode_ms = lap(&mut clock);

    let metrics = Metrics {
        decode_ms,
        ops_ms,
        encode_ms,
        total_ms: started.elapsed().as_secs_f64() * 1000.0,
        peak_rss: metrics::peak_rss(),
        bytes_in: input.len() as u64,
        bytes_out: data.len() as u64,
        format_in: header.format.name(),
        format_out: options.format.name(),
        width_in: header.width,
        height_in: header.height,
        width_out,
        height_out,
        compression_ratio: input.len() as f64 / data.len().max(1) as f64,
    };
    Ok(Encoded { data, metrics })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codecs::test_images::photo;
    use crate::format::Format;
    use crate::ops::{Fit, Op, ResizeSpec};

    fn png_input(w: u32, h: u32) -> Source {
        let bytes = codecs::encode(photo(w, h, false), &EncodeOptions::new(Format::Png)).unwrap();
        Source::borrowed(std::sync::Arc::new(bytes)).unwrap()
    }

    #[test]
    fn runs_ops_in_order_and_reports_metrics() {
        let input = png_input(120, 80);
        let mut p = Pipeline::default();
        p.push(Op::Resize(ResizeSpec { width: Some(60), height: Some(60), fit: Fit::Cover, ..Default::default() }));
        p.push(Op::Rotate(1));
        p.push(Op::Crop { x: 0, y: 0, width: 30, height: 20 });
        let out = run(&input, &p, &EncodeOptions::new(Format::Webp)).unwrap();
        let m = &out.metrics;
        assert_eq!((m.width_in, m.height_in, m.width_out, m.height_out), (120, 80, 30, 20));
        assert_eq!((m.format_in, m.format_out), ("png", "webp"));
        assert_eq!(m.bytes_out as usize, out.data.len());
        let header = codecs::probe(&out.data).unwrap();
        assert_eq!((header.width, header.height), (30, 20));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let err = guarded::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(err.code(), "LAZY_INTERNAL");
        assert!(err.to_string().contains("boom"));
    }

    #[test]
    fn errors_carry_their_kind() {
        let input = png_input(10, 10);
        let mut p = Pipeline::default();
        p.push(Op::Crop { x: 5, y: 5, width: 10, height: 10 });
        let err = run(&input, &p, &EncodeOptions::new(Format::Png)).err().unwrap();
        assert_eq!(err.code(), "LAZY_CROP_OUT_OF_BOUNDS");
        let cut = Source::borrowed(std::sync::Arc::new(input.bytes()[..30].to_vec())).unwrap();
        let err = run(&cut, &Pipeline::default(), &EncodeOptions::new(Format::Png)).err().unwrap();
        assert_eq!(err.code(), "LAZY_CORRUPT_INPUT");
    }
}
