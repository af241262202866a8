//! Header probing and metadata reading: must never panic, hang or allocate by declared size.
#![no_main]

use lazy_image::codecs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = codecs::probe(data) {
        let _ = header.decoded_bytes();
        let _ = codecs::metadata(data, header.format);
    }
});
