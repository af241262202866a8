//! Decoding each format from bytes, whole and shrunk on load, behind the default firewall
//! lowered to 4 MP so the fuzzer spends its time on parsing rather than on large frames.
#![no_main]

use std::sync::Arc;

use lazy_image::codecs::{self, DecodeContext, DecodeTarget};
use lazy_image::limits::Limits;
use lazy_image::ops::Kernel;
use lazy_image::source::Source;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = codecs::probe(data) else { return };
    let limits = Limits { max_pixels: 4_000_000, ..Limits::default() };
    if limits.check_dimensions(header.width, header.height).is_err() {
        return;
    }
    let Ok(source) = Source::borrowed(Arc::new(data.to_vec())) else { return };
    let _ = codecs::decode(&source, &header, &DecodeContext::default());
    let target = DecodeTarget { width: header.width.div_ceil(3), height: header.height.div_ceil(3), kernel: Kernel::Lanczos3 };
    let _ = codecs::decode(&source, &header, &DecodeContext::to(Some(target)));
    // Every frame of an animation, each composed on its canvas.
    let _ = codecs::decode_frames(&source, &header, &DecodeContext::to(Some(target)), &mut |_| Ok(()));
});
