//! EXIF, read and rewritten by kamadak-exif. The orientation plans the pipeline; a kept
//! EXIF block is rebuilt so it tells the truth about the output.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Context, Field, In, Reader, Tag, Value};

/// The TIFF structure inside an EXIF payload, past whatever a container put before it
/// (the "Exif\0\0" of JPEG, which some WebP writers keep; AVIF's header offset).
pub fn tiff_block(payload: &[u8]) -> Option<&[u8]> {
    let start = payload.windows(4).position(|w| w == b"II*\0" || w == b"MM\0*")?;
    Some(&payload[start..])
}

/// Orientation (1–8) from a raw TIFF-structured EXIF block; `None` when absent or invalid.
pub fn orientation(tiff: &[u8]) -> Option<u8> {
    let exif = Reader::new().read_raw(tiff.to_vec()).ok()?;
    let value = exif.get_field(Tag::Orientation, In::PRIMARY)?.value.get_uint(0)?;
    (1..=8).contains(&value).then_some(value as u8)
}

/// Pixels per inch from XResolution and ResolutionUnit (2 inch, the default; 3 centimetre).
pub fn density(tiff: &[u8]) -> Option<u32> {
    let exif = Reader::new().read_raw(tiff.to_vec()).ok()?;
    let x = match &exif.get_field(Tag::XResolution, In::PRIMARY)?.value {
        exif::Value::Rational(r) => r.first()?.to_f64(),
        _ => return None,
    };
    let unit = exif.get_field(Tag::ResolutionUnit, In::PRIMARY).and_then(|f| f.value.get_uint(0)).unwrap_or(2);
    let ppi = if unit == 3 { x * 2.54 } else { x };
    (ppi.is_finite() && ppi > 0.0).then(|| ppi.round() as u32)
}

/// A rewritten EXIF block and whether location data was removed from it.
pub struct Rewritten {
    pub tiff: Vec<u8>,
    pub gps_removed: bool,
}

/// Rebuilds `tiff` for an output of `width × height`: Orientation becomes 1 when the pixels
/// were turned `upright` (kept otherwise, so viewers still turn them), the pixel dimensions
/// match, GPS goes unless `keep_gps`, and the embedded thumbnail (IFD1) is dropped because
/// it no longer shows the output. `None` when the block cannot be read or written again;
/// the caller then carries no EXIF.
pub fn rewrite(tiff: &[u8], width: u32, height: u32, upright: bool, keep_gps: bool) -> Option<Rewritten> {
    let exif = Reader::new().read_raw(tiff.to_vec()).ok()?;
    let little_endian = exif.little_endian();
    let mut gps_removed = false;
    let mut fields: Vec<Field> = Vec::new();
    for f in exif.fields().filter(|f| f.ifd_num == In::PRIMARY) {
        let Tag(context, _) = f.tag;
        if context == Context::Gps && !keep_gps {
            gps_removed = true;
            continue;
        }
        let value = match f.tag {
            Tag::Orientation if upright => Value::Short(vec![1]),
            Tag::PixelXDimension => Value::Long(vec![width]),
            Tag::PixelYDimension => Value::Long(vec![height]),
            _ => f.value.clone(),
        };
        fields.push(Field { tag: f.tag, ifd_num: In::PRIMARY, value });
    }
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, little_endian).ok()?;
    Some(Rewritten { tiff: out.into_inner(), gps_removed })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    fn write(fields: &[Field], little_endian: bool) -> Vec<u8> {
        let mut w = Writer::new();
        fields.iter().for_each(|f| w.push_field(f));
        let mut out = Cursor::new(Vec::new());
        w.write(&mut out, little_endian).unwrap();
        out.into_inner()
    }

    fn field(tag: Tag, value: Value) -> Field {
        Field { tag, ifd_num: In::PRIMARY, value }
    }

    /// A camera-like block: orientation, make, pixel size, and a GPS position.
    pub fn camera_exif(orientation: u16) -> Vec<u8> {
        write(
            &[
                field(Tag::Orientation, Value::Short(vec![orientation])),
                field(Tag::Make, Value::Ascii(vec![b"LazyCam".to_vec()])),
                field(Tag::PixelXDimension, Value::Long(vec![4000])),
                field(Tag::PixelYDimension, Value::Long(vec![3000])),
                field(Tag::GPSLatitudeRef, Value::Ascii(vec![b"N".to_vec()])),
                field(Tag::GPSLatitude, Value::Rational(vec![(35, 1).into(), (41, 1).into(), (0, 1).into()])),
            ],
            true,
        )
    }

    #[test]
    fn reads_orientation_and_ignores_garbage() {
        for o in 1..=8 {
            assert_eq!(orientation(&camera_exif(o)), Some(o as u8));
        }
        assert_eq!(orientation(&camera_exif(9)), None);
        assert_eq!(orientation(b"not exif at all"), None);
    }

    #[test]
    fn rewrite_resets_orientation_fixes_size_and_strips_gps() {
        let out = rewrite(&camera_exif(6), 300, 400, true, false).unwrap();
        assert!(out.gps_removed);
        let exif = Reader::new().read_raw(out.tiff).unwrap();
        let uint = |tag| exif.get_field(tag, In::PRIMARY).and_then(|f| f.value.get_uint(0));
        assert_eq!(uint(Tag::Orientation), Some(1));
        assert_eq!((uint(Tag::PixelXDimension), uint(Tag::PixelYDimension)), (Some(300), Some(400)));
        assert!(exif.get_field(Tag::Make, In::PRIMARY).is_some(), "other fields are kept");
        assert!(exif.fields().all(|f| f.tag.0 != Context::Gps));

        let kept = rewrite(&camera_exif(6), 10, 10, false, true).unwrap();
        assert!(!kept.gps_removed);
        assert_eq!(orientation(&kept.tiff), Some(6), "pixels not turned: the tag still applies");
        let exif = Reader::new().read_raw(kept.tiff).unwrap();
        assert!(exif.get_field(Tag::GPSLatitude, In::PRIMARY).is_some());
        assert!(rewrite(b"garbage", 1, 1, true, false).is_none());
    }
}
