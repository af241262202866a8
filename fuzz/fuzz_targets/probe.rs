//! Header and metadata probing: must never panic, hang or allocate by declared size.
#![no_main]

use lazy_image::codecs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((header, _found)) = codecs::probe_with_metadata(data) {
        let _ = header.decoded_bytes();
    }
});
