//! The stages one output runs through, timed apart on the repository's sample photo
//! (1600x1200 JPEG): decoding (whole, and shrunk on load to 800 wide), the resize alone,
//! and each encoder on the 800x600 result.

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use lazy_image::codecs::{self, DecodeContext, DecodeTarget, EncodeOptions};
use lazy_image::format::Format;
use lazy_image::image::Image;
use lazy_image::ops::{resize, Kernel};
use lazy_image::source::Source;

const SAMPLE: &[u8] = include_bytes!("../../../examples/sample.jpg");

fn source() -> Source {
    Source::borrowed(Arc::new(SAMPLE.to_vec())).unwrap()
}

fn decoded(target: Option<DecodeTarget>) -> Image {
    let header = codecs::probe(SAMPLE).unwrap();
    codecs::decode(&source(), &header, &DecodeContext::to(target)).unwrap()
}

fn stages(c: &mut Criterion) {
    let header = codecs::probe(SAMPLE).unwrap();
    let src = source();
    let to_800 = DecodeTarget { width: 800, height: 600, kernel: Kernel::Lanczos3 };
    c.bench_function("decode jpeg 1600x1200 whole", |b| {
        b.iter(|| codecs::decode(&src, &header, &DecodeContext::default()).unwrap())
    });
    c.bench_function("decode jpeg to 800x600 (shrink-on-load + fused resize)", |b| {
        b.iter(|| codecs::decode(&src, &header, &DecodeContext::to(Some(to_800))).unwrap())
    });
    let full = decoded(None);
    c.bench_function("resize 1600x1200 to 800x600 lanczos3", |b| {
        b.iter_batched(|| full.clone(), |img| resize::scale(img, (800, 600), Kernel::Lanczos3).unwrap(), BatchSize::LargeInput)
    });
    let small = decoded(Some(to_800));
    for (name, format, fast) in [
        ("encode jpeg q80", Format::Jpeg, false),
        ("encode jpeg q80 fastMode", Format::Jpeg, true),
        ("encode webp q80", Format::Webp, false),
        ("encode png", Format::Png, false),
    ] {
        let mut options = EncodeOptions::new(format);
        options.quality = Some(80);
        options.fast_mode = fast;
        c.bench_function(&format!("{name} 800x600"), |b| {
            b.iter_batched(|| small.clone(), |img| codecs::encode(img, &options).unwrap(), BatchSize::LargeInput)
        });
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = stages
}
criterion_main!(benches);
