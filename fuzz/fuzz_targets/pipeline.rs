//! The whole pipeline with fuzzed operations, metadata settings and limits. The first eight
//! bytes choose the settings; the rest is the image.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use lazy_image::codecs::EncodeOptions;
use lazy_image::format::Format;
use lazy_image::metadata::Keep;
use lazy_image::ops::{Fit, Kernel, Op, ResizeSpec};
use lazy_image::pipeline::{self, Pipeline};
use lazy_image::source::Source;
use libfuzzer_sys::fuzz_target;

const FITS: [Fit; 5] = [Fit::Inside, Fit::Cover, Fit::Fill, Fit::Contain, Fit::Outside];
const KERNELS: [Kernel; 5] = [Kernel::Nearest, Kernel::Linear, Kernel::Cubic, Kernel::Mitchell, Kernel::Lanczos3];
const OUTPUTS: [Format; 3] = [Format::Png, Format::Jpeg, Format::Webp];

fuzz_target!(|data: &[u8]| {
    if data.len() < 9 {
        return;
    }
    let (c, image) = data.split_at(8);
    let mut p = Pipeline::default();
    p.limits.max_pixels = 4_000_000;
    p.limits.max_bytes = (c[7] as u64 + 1) << 16;
    p.limits.timeout = (c[6] & 1 == 1).then(|| Duration::from_millis(200));
    p.auto_orient = c[0] & 1 == 1;
    p.keep = Keep { icc: c[0] & 2 != 0, exif: c[0] & 4 != 0, strip_gps: c[0] & 8 != 0 };
    let side = |b: u8| (b as u32 % 64) + 1;
    p.push(Op::Resize(ResizeSpec {
        width: (c[1] & 0x80 == 0).then(|| side(c[1])),
        height: Some(side(c[2])),
        fit: FITS[c[3] as usize % 5],
        kernel: KERNELS[(c[3] / 5) as usize % 5],
        without_enlargement: c[3] & 0x80 != 0,
    }));
    match c[4] % 8 {
        0 => p.push(Op::Rotate(c[5] % 4)),
        1 => p.push(Op::Crop { x: (c[5] % 8) as u32, y: (c[5] / 8 % 8) as u32, width: side(c[5]), height: side(c[6]) }),
        2 => p.push(Op::FlipH),
        3 => p.push(Op::Grayscale),
        4 => p.push(Op::Brightness(c[5] as i32 % 201 - 100)),
        5 => p.push(Op::Contrast(c[5] as i32 % 201 - 100)),
        _ => {}
    }
    let mut options = EncodeOptions::new(OUTPUTS[(c[4] / 8) as usize % 3]);
    options.fast_mode = true;
    options.quality = Some(c[6] % 100 + 1);
    let Ok(source) = Source::borrowed(Arc::new(image.to_vec())) else { return };
    let _ = pipeline::run(&source, &p, &options);
});
