//! EXIF, parsed by kamadak-exif. Only the orientation is needed to plan the pipeline.

use exif::{In, Reader, Tag};

/// Orientation (1–8) from a raw TIFF-structured EXIF block; `None` when absent or invalid.
pub fn orientation(tiff: &[u8]) -> Option<u8> {
    let exif = Reader::new().read_raw(tiff.to_vec()).ok()?;
    let value = exif.get_field(Tag::Orientation, In::PRIMARY)?.value.get_uint(0)?;
    (1..=8).contains(&value).then_some(value as u8)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal little-endian TIFF block holding one Orientation entry.
    pub fn tiff_with_orientation(o: u16) -> Vec<u8> {
        let mut t = b"II*\0".to_vec();
        t.extend_from_slice(&8u32.to_le_bytes()); // IFD0 offset
        t.extend_from_slice(&1u16.to_le_bytes()); // one entry
        t.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
        t.extend_from_slice(&3u16.to_le_bytes()); // SHORT
        t.extend_from_slice(&1u32.to_le_bytes()); // count
        t.extend_from_slice(&o.to_le_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
        t
    }

    #[test]
    fn reads_orientation_and_ignores_garbage() {
        for o in 1..=8 {
            assert_eq!(orientation(&tiff_with_orientation(o)), Some(o as u8));
        }
        assert_eq!(orientation(&tiff_with_orientation(9)), None);
        assert_eq!(orientation(b"not exif at all"), None);
    }
}
