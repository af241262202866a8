//! Colour management with Little CMS (lcms2): pixels described by an embedded profile
//! (Display P3, Adobe RGB, ProPhoto, a CMYK press profile, a grey curve) are converted to
//! sRGB when the profile is not carried, so colours do not shift in a browser.

use lcms2::{ColorSpaceSignature, Flags, InfoType, Intent, Locale, PixelFormat, Pod, Profile, Transform};

use crate::error::{Error, Result};
use crate::image::Image;

/// Relative colorimetric with black-point compensation: what browsers and libvips use for
/// display profiles; matrix-shaper profiles (P3, Adobe RGB) have no perceptual table anyway.
const INTENT: Intent = Intent::RelativeColorimetric;
/// Pixels converted per lcms2 call when a row has to be gathered first.
const CHUNK: usize = 4096;

/// The colour space a profile describes, which decides where its conversion happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Space {
    Rgb,
    Cmyk,
    Gray,
    Other,
}

/// An embedded profile that lcms2 could parse.
pub struct Icc {
    profile: Profile,
}

/// The profile assumed for CMYK data that carries none (see `profiles/README.md`): a
/// naive `255 - ink` formula lands about 10 levels (up to 90) away from what libvips, which
/// applies this profile, shows for such files.
const DEFAULT_CMYK: &[u8] = include_bytes!("profiles/chemical-proof-cmyk.icm");

impl Icc {
    pub fn default_cmyk() -> Result<Icc> {
        Icc::parse(DEFAULT_CMYK).ok_or_else(|| Error::Internal("the built-in CMYK profile does not parse".into()))
    }

    /// `None` for data lcms2 cannot read: such a profile is ignored (and never carried).
    pub fn parse(data: &[u8]) -> Option<Icc> {
        Profile::new_icc(data).ok().map(|profile| Icc { profile })
    }

    pub fn space(&self) -> Space {
        match self.profile.color_space() {
            ColorSpaceSignature::RgbData => Space::Rgb,
            ColorSpaceSignature::CmykData => Space::Cmyk,
            ColorSpaceSignature::GrayData => Space::Gray,
            _ => Space::Other,
        }
    }

    /// An sRGB profile (by its description, as the common writers name it): converting
    /// would change nothing but cost time.
    pub fn is_srgb(&self) -> bool {
        self.profile
            .info(InfoType::Description, Locale::none())
            .is_some_and(|d| d.to_ascii_lowercase().contains("srgb"))
    }

    fn to_srgb<I: Pod, O: Pod>(&self, input: PixelFormat, output: PixelFormat) -> Result<Transform<I, O>> {
        self.transform(input, output, INTENT, Flags::BLACKPOINT_COMPENSATION)
    }

    fn transform<I: Pod, O: Pod>(&self, input: PixelFormat, output: PixelFormat, intent: Intent, flags: Flags) -> Result<Transform<I, O>> {
        Transform::new_flags(&self.profile, input, &Profile::new_srgb(), output, intent, flags)
            .map_err(|e| Error::corrupt("ICC profile", e))
    }

    /// Converts an RGB(A) frame in place from this RGB or grey profile to sRGB. A grey
    /// profile applies to frames decoded from grey data (R = G = B), so channel 0 is read.
    pub fn convert_to_srgb(&self, image: &mut Image) -> Result<()> {
        let c = image.channels as usize;
        match self.space() {
            Space::Rgb if c == 3 => {
                let t: Transform<[u8; 3], [u8; 3]> = self.to_srgb(PixelFormat::RGB_8, PixelFormat::RGB_8)?;
                t.transform_in_place(as_pixels_mut(&mut image.data));
            }
            Space::Rgb => {
                // Alpha is left as it is by an in-place RGBA transform.
                let t: Transform<[u8; 4], [u8; 4]> = self.to_srgb(PixelFormat::RGBA_8, PixelFormat::RGBA_8)?;
                t.transform_in_place(as_pixels_mut(&mut image.data));
            }
            Space::Gray => {
                let t: Transform<u8, [u8; 3]> = self.to_srgb(PixelFormat::GRAY_8, PixelFormat::RGB_8)?;
                let (mut grey, mut rgb) = (Vec::with_capacity(CHUNK), vec![[0u8; 3]; CHUNK]);
                for pixels in image.data.chunks_mut(CHUNK * c) {
                    grey.clear();
                    grey.extend(pixels.chunks_exact(c).map(|p| p[0]));
                    let out = &mut rgb[..grey.len()];
                    t.transform_pixels(&grey, out);
                    for (p, o) in pixels.chunks_exact_mut(c).zip(out.iter()) {
                        p[..3].copy_from_slice(o);
                    }
                }
            }
            Space::Cmyk | Space::Other => {
                return Err(Error::Internal("only RGB and grey profiles apply to decoded frames".into()))
            }
        }
        Ok(())
    }

    /// A row converter from this CMYK profile to sRGB; `inverted` for Adobe files, which
    /// store ink as 255 − value. Perceptual, as libvips (through sharp) converts print
    /// profiles, whose perceptual tables map the press gamut onto the screen's.
    pub fn cmyk_to_srgb(&self, inverted: bool) -> Result<CmykToSrgb> {
        let input = if inverted { PixelFormat::CMYK_8_REV } else { PixelFormat::CMYK_8 };
        Ok(CmykToSrgb { transform: self.transform(input, PixelFormat::RGB_8, Intent::Perceptual, Flags::default())? })
    }
}

pub struct CmykToSrgb {
    transform: Transform<[u8; 4], [u8; 3]>,
}

impl CmykToSrgb {
    pub fn convert(&self, cmyk: &[u8], rgb: &mut [u8]) {
        self.transform.transform_pixels(as_pixels(cmyk), as_pixels_mut(rgb));
    }
}

fn as_pixels<const N: usize>(bytes: &[u8]) -> &[[u8; N]] {
    let (pixels, rest) = bytes.as_chunks::<N>();
    debug_assert!(rest.is_empty());
    pixels
}

fn as_pixels_mut<const N: usize>(bytes: &mut [u8]) -> &mut [[u8; N]] {
    let (pixels, rest) = bytes.as_chunks_mut::<N>();
    debug_assert!(rest.is_empty());
    pixels
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use lcms2::{CIExyY, CIExyYTRIPLE, ToneCurve};

    /// Display P3: DCI-P3 primaries, D65 white, the sRGB transfer curve.
    pub fn display_p3() -> Vec<u8> {
        let xy = |x, y| CIExyY { x, y, Y: 1.0 };
        let primaries = CIExyYTRIPLE { Red: xy(0.680, 0.320), Green: xy(0.265, 0.690), Blue: xy(0.150, 0.060) };
        let curve = ToneCurve::new_parametric(4, &[2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045]).unwrap();
        Profile::new_rgb(&xy(0.3127, 0.3290), &primaries, &[&curve, &curve, &curve]).unwrap().icc().unwrap()
    }

    fn srgb_decode(v: u8) -> f64 {
        let c = v as f64 / 255.0;
        if c <= 0.04045 { c / 12.92 } else { ((c + 0.055) / 1.055).powf(2.4) }
    }

    fn srgb_encode(l: f64) -> u8 {
        let c = if l <= 0.0031308 { l * 12.92 } else { 1.055 * l.powf(1.0 / 2.4) - 0.055 };
        (c.clamp(0.0, 1.0) * 255.0).round() as u8
    }

    /// The published linear Display P3 → linear sRGB matrix, as an independent reference.
    pub fn p3_to_srgb_reference(p: [u8; 3]) -> [u8; 3] {
        const M: [[f64; 3]; 3] = [
            [1.224_940_2, -0.224_940_4, 0.0],
            [-0.042_056_9, 1.042_057_1, 0.0],
            [-0.019_637_6, -0.078_636_1, 1.098_273_5],
        ];
        let l = p.map(srgb_decode);
        M.map(|row| srgb_encode(row[0] * l[0] + row[1] * l[1] + row[2] * l[2]))
    }

    #[test]
    fn display_p3_converts_to_the_expected_srgb_values() {
        let icc = Icc::parse(&display_p3()).unwrap();
        assert_eq!(icc.space(), Space::Rgb);
        assert!(!icc.is_srgb());
        let colours = [[200u8, 100, 50], [60, 180, 90], [40, 60, 200], [128, 128, 128], [250, 20, 20]];
        let mut image = Image::new(colours.len() as u32, 1, 3, colours.concat());
        icc.convert_to_srgb(&mut image).unwrap();
        for (i, p3) in colours.iter().enumerate() {
            let expected = p3_to_srgb_reference(*p3);
            let got = image.pixel(i as u32, 0);
            for c in 0..3 {
                assert!(got[c].abs_diff(expected[c]) <= 2, "P3 {p3:?}: got {got:?}, expected {expected:?}");
            }
        }
        assert_ne!(image.pixel(0, 0), &colours[0], "a saturated P3 colour must change");
    }

    #[test]
    fn alpha_is_kept_and_srgb_is_recognised() {
        let icc = Icc::parse(&display_p3()).unwrap();
        let mut image = Image::new(1, 1, 4, vec![200, 100, 50, 77]);
        icc.convert_to_srgb(&mut image).unwrap();
        assert_eq!(image.data[3], 77);
        let srgb = Icc::parse(&Profile::new_srgb().icc().unwrap()).unwrap();
        assert!(srgb.is_srgb());
        assert!(Icc::parse(b"not a profile").is_none());
    }
}
