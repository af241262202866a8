//! The whole pipeline with fuzzed operations, metadata settings and limits. The first eight
//! bytes choose the settings; the rest is the image.
#![no_main]

use std::sync::Arc;
use std::time::Duration;

use lazy_image::codecs::EncodeOptions;
use lazy_image::format::Format;
use lazy_image::metadata::Keep;
use lazy_image::ops::{Blend, Colour, Extend, ExtendWith, Fit, Gravity, Kernel, Layer, Op, Overlay, Position, ResizeSpec, Sharpen, Strategy};
use lazy_image::pipeline::{self, Pipeline};
use lazy_image::source::Source;
use libfuzzer_sys::fuzz_target;

const FITS: [Fit; 5] = [Fit::Inside, Fit::Cover, Fit::Fill, Fit::Contain, Fit::Outside];
const KERNELS: [Kernel; 5] = [Kernel::Nearest, Kernel::Linear, Kernel::Cubic, Kernel::Mitchell, Kernel::Lanczos3];
const OUTPUTS: [Format; 4] = [Format::Png, Format::Jpeg, Format::Webp, Format::Gif];

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
        position: match c[2] % 4 {
            0 => Position::Strategy(Strategy::Attention),
            1 => Position::Strategy(Strategy::Entropy),
            _ => Position::Gravity(Gravity::ALL[c[5] as usize % 9]),
        },
        background: (c[2] & 0x40 != 0).then_some(Colour([c[5], c[6], c[7], c[1]])),
    }));
    let Ok(source) = Source::borrowed(Arc::new(image.to_vec())) else { return };
    let colour = Colour([c[6], c[5], c[7], c[2]]);
    match c[4] % 16 {
        0 => p.push(Op::Rotate { degrees: (c[5] % 4) as u16 * 90 }),
        1 => p.push(Op::Crop { x: (c[5] % 8) as u32, y: (c[5] / 8 % 8) as u32, width: side(c[5]), height: side(c[6]) }),
        2 => p.push(Op::FlipH),
        3 => p.push(Op::Grayscale),
        4 => p.push(Op::Brightness { value: c[5] as i32 % 201 - 100 }),
        5 => p.push(Op::Contrast { value: c[5] as i32 % 201 - 100 }),
        6 => p.push(Op::Sharpen(Sharpen { sigma: (c[5] & 1 == 1).then(|| c[5] as f32 / 40.0 + 0.3), ..Sharpen::default() })),
        7 => p.push(Op::Blur { sigma: (c[5] & 1 == 1).then(|| c[5] as f32 / 40.0 + 0.3) }),
        8 => p.push(Op::Flatten { background: colour }),
        9 => p.push(Op::Extend(Extend { top: side(c[5]), right: side(c[6]) / 2, bottom: 0, left: 3, background: colour, extend_with: ExtendWith::ALL[c[6] as usize % 4] })),
        10 => p.push(Op::Trim { background: (c[5] & 1 == 1).then_some(colour), threshold: c[6] as f32 / 4.0 }),
        // The input drawn onto itself: the overlay goes through the same decoders.
        11 => p.push(Op::Composite(Box::new(Layer {
            input: Overlay { source: source.clone(), pipeline: Pipeline::default() },
            gravity: Gravity::ALL[c[5] as usize % 9],
            offset: (c[5] & 0x10 != 0).then(|| (c[6] as i64 - 128, c[7] as i64 - 128)),
            tile: c[5] & 0x20 != 0,
            blend: Blend::ALL[c[6] as usize % Blend::ALL.len()],
            opacity: c[7] as f32 / 255.0,
        }))),
        _ => {}
    }
    let mut options = EncodeOptions::new(OUTPUTS[(c[4] / 16) as usize % 3]);
    options.fast_mode = true;
    options.quality = Some(c[6] % 100 + 1);
    let _ = pipeline::run(&source, &p, &options);
});
