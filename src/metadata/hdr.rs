//! HDR (PQ or HLG transfer) to 8-bit SDR sRGB, for AVIF sources tagged as HDR. No library
//! at hand does this for still images (libavif 1.0 converts YUV to RGB but leaves the
//! transfer alone), so it is written here, with these choices:
//!
//! - PQ (SMPTE ST 2084) is decoded to absolute light; HLG (ARIB STD-B67) to scene light,
//!   then shown on a 1000 nit display with the BT.2100 system gamma of 1.2.
//! - HDR reference white, 203 nits (ITU-R BT.2408), is SDR white's level before compression.
//! - Light up to 80 % of it is kept as it is; brighter light is compressed on luminance into
//!   the rest with the extended Reinhard curve, so the content's peak reaches SDR white (the
//!   peak: `maxCLL` from the file's `clli` box when it has one, else 1000 nits). Colour
//!   ratios are kept; reference white itself comes out at about 90 % (sRGB level 243).
//! - BT.2020 primaries are converted to sRGB's (BT.709) in linear light and clipped.
//!
//! A tone-mapped output says so in `metrics.toneMapped`.

/// The transfer functions handled here (AV1/CICP code points 16 and 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Pq,
    Hlg,
}

impl Transfer {
    pub fn from_cicp(code: u16) -> Option<Transfer> {
        match code {
            16 => Some(Transfer::Pq),
            18 => Some(Transfer::Hlg),
            _ => None,
        }
    }
}

const REFERENCE_WHITE_NITS: f32 = 203.0;
const DEFAULT_PEAK_NITS: f32 = 1000.0;
const HLG_DISPLAY_NITS: f32 = 1000.0;
/// Entries of the linear → sRGB table: fine enough near black, where sRGB's steps are small.
const SRGB_STEPS: usize = 16384;
/// Relative luminance below which light is not compressed.
const KNEE: f32 = 0.8;

/// A converter for one image, with its tables built once.
pub struct ToneMap {
    transfer: Transfer,
    /// 16-bit code value → linear light (absolute for PQ, relative to reference white;
    /// scene light for HLG).
    decode: Vec<f32>,
    /// Linear BT.2020 (or BT.709) → linear BT.709.
    matrix: [[f32; 3]; 3],
    /// The content's peak relative to reference white: where compression reaches SDR white.
    white: f32,
    srgb: Vec<u8>,
}

impl ToneMap {
    /// `primaries`: CICP colour primaries (9 for BT.2020; anything else is taken as BT.709).
    /// `max_cll`: the `clli` box's maximum content light level in nits, 0 when absent.
    pub fn new(transfer: Transfer, primaries: u16, max_cll: u16) -> ToneMap {
        let decode = (0..=u16::MAX).map(|code| eotf(transfer, code as f32 / 65535.0)).collect();
        let matrix = if primaries == 9 {
            // BT.2087's BT.2020 → BT.709 in linear light.
            [[1.660_491, -0.587_641, -0.072_85], [-0.124_55, 1.132_9, -0.008_349], [-0.018_151, -0.100_579, 1.118_73]]
        } else {
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
        };
        let peak = match (transfer, max_cll) {
            (Transfer::Pq, 0) => DEFAULT_PEAK_NITS,
            (Transfer::Pq, cll) => cll as f32,
            (Transfer::Hlg, _) => HLG_DISPLAY_NITS,
        };
        let srgb = (0..SRGB_STEPS).map(|i| srgb_encode(i as f32 / (SRGB_STEPS - 1) as f32)).collect();
        ToneMap { transfer, decode, matrix, white: peak / REFERENCE_WHITE_NITS, srgb }
    }

    /// 16-bit RGB(A) samples (as libavif converts the frame) into 8-bit sRGB RGB(A).
    pub fn map(&self, src: &[u16], dst: &mut [u8], channels: usize) {
        for (s, d) in src.chunks_exact(channels).zip(dst.chunks_exact_mut(channels)) {
            let mut rgb = [self.decode[s[0] as usize], self.decode[s[1] as usize], self.decode[s[2] as usize]];
            if self.transfer == Transfer::Hlg {
                // BT.2100 OOTF: display light = Lw × Ys^(γ−1) × scene light, with γ = 1.2.
                let ys = 0.2627 * rgb[0] + 0.6780 * rgb[1] + 0.0593 * rgb[2];
                let gain = HLG_DISPLAY_NITS / REFERENCE_WHITE_NITS * ys.max(1e-6).powf(0.2);
                rgb = rgb.map(|v| v * gain);
            }
            let m = &self.matrix;
            let lin = [0, 1, 2].map(|r| (m[r][0] * rgb[0] + m[r][1] * rgb[1] + m[r][2] * rgb[2]).max(0.0));
            let luma = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2];
            let scale = if luma > KNEE { compress(luma, self.white) / luma } else { 1.0 };
            for (out, v) in d.iter_mut().zip(lin) {
                *out = self.srgb[((v * scale).min(1.0) * (SRGB_STEPS - 1) as f32).round() as usize];
            }
            if channels == 4 {
                d[3] = (s[3] >> 8) as u8;
            }
        }
    }
}

/// Code value (0–1) to linear light: PQ relative to reference white, HLG scene light (0–1).
fn eotf(transfer: Transfer, e: f32) -> f32 {
    match transfer {
        Transfer::Pq => {
            let (m1, m2) = (2610.0 / 16384.0, 2523.0 / 4096.0 * 128.0);
            let (c1, c2, c3) = (3424.0 / 4096.0, 2413.0 / 4096.0 * 32.0, 2392.0 / 4096.0 * 32.0);
            let p = e.powf(1.0 / m2);
            let nits = 10000.0 * ((p - c1).max(0.0) / (c2 - c3 * p)).powf(1.0 / m1);
            nits / REFERENCE_WHITE_NITS
        }
        Transfer::Hlg => {
            let (a, b, c) = (0.178_832_77, 0.284_668_9, 0.559_910_7);
            if e <= 0.5 { e * e / 3.0 } else { (((e - c) / a).exp() + b) / 12.0 }
        }
    }
}

/// Extended Reinhard above the knee: `white` maps to 1, the knee stays, the slope is smooth.
fn compress(luma: f32, white: f32) -> f32 {
    let (x, w) = ((luma - KNEE) / (1.0 - KNEE), ((white - KNEE) / (1.0 - KNEE)).max(1.0));
    KNEE + (1.0 - KNEE) * x * (1.0 + x / (w * w)) / (1.0 + x)
}

fn srgb_encode(linear: f32) -> u8 {
    let v = if linear <= 0.003_130_8 { 12.92 * linear } else { 1.055 * linear.powf(1.0 / 2.4) - 0.055 };
    (v * 255.0).round().clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PQ code value of `nits`, the inverse of the EOTF.
    fn pq_code(nits: f32) -> u16 {
        let (m1, m2) = (2610.0 / 16384.0, 2523.0 / 4096.0 * 128.0);
        let (c1, c2, c3) = (3424.0 / 4096.0, 2413.0 / 4096.0 * 32.0, 2392.0 / 4096.0 * 32.0);
        let y = (nits / 10000.0).powf(m1);
        ((((c1 + c2 * y) / (1.0 + c3 * y)).powf(m2)) * 65535.0).round() as u16
    }

    fn grey(map: &ToneMap, code: u16) -> u8 {
        let mut out = [0u8; 3];
        map.map(&[code; 3], &mut out, 3);
        assert!(out[0] == out[1] && out[1] == out[2], "{out:?}");
        out[0]
    }

    #[test]
    fn reference_white_is_sdr_white_and_highlights_are_compressed_in_order() {
        let map = ToneMap::new(Transfer::Pq, 9, 0);
        assert_eq!(grey(&map, 0), 0);
        let levels: Vec<u8> = [1.0, 20.0, 100.0, 203.0, 400.0, 1000.0, 4000.0].iter().map(|&n| grey(&map, pq_code(n))).collect();
        assert!(levels.windows(2).all(|w| w[0] <= w[1]), "monotonic: {levels:?}");
        // 100 nits is about half of reference white in light: sRGB ~ 180 before compression.
        assert!((150..=190).contains(&levels[2]), "{levels:?}");
        assert!(levels[3] >= 235 && levels[5] == 255, "{levels:?}");
        // Displayed naively (the code value as sRGB), 100 nits would be level 130.
        assert_eq!((pq_code(100.0) >> 8) as u8, 130);
    }

    #[test]
    fn hlg_mid_grey_and_bt2020_primaries() {
        let map = ToneMap::new(Transfer::Hlg, 9, 0);
        // HLG's reference white (75 % signal) lands near SDR white.
        let white = grey(&map, (0.75 * 65535.0) as u16);
        assert!(white >= 240, "{white}");
        // Pure BT.2020 green is outside sRGB: red and blue clip to 0, green stays bright.
        let mut out = [0u8; 3];
        map.map(&[0, (0.75 * 65535.0) as u16, 0], &mut out, 3);
        assert!(out[0] == 0 && out[2] == 0 && out[1] > 200, "{out:?}");
    }
}
