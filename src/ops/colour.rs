//! Colours given to operations (backgrounds) and the CIE L*a*b* conversion that sharpen and
//! the attention crop work in. The conversion is written here (sRGB ↔ linear through
//! tables, D65 XYZ, the CIE L*a*b* formulas): lcms2 could do it, but per pixel with float
//! transforms it is slower than these few lines for the lightness-only use made of it.

use serde::Deserialize;

/// Straight (not premultiplied) 8-bit RGBA; JavaScript parses CSS colours into this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "[u8; 4]")]
pub struct Colour(pub [u8; 4]);

impl From<[u8; 4]> for Colour {
    fn from(rgba: [u8; 4]) -> Colour {
        Colour(rgba)
    }
}

impl Colour {
    pub const WHITE: Colour = Colour([255, 255, 255, 255]);
    pub const BLACK: Colour = Colour([0, 0, 0, 255]);
    pub const TRANSPARENT: Colour = Colour([0, 0, 0, 0]);

    pub fn rgb(self) -> [u8; 3] {
        [self.0[0], self.0[1], self.0[2]]
    }

    pub fn is_opaque(self) -> bool {
        self.0[3] == 255
    }

    /// The colour as a pixel of `channels` (3 drops alpha).
    pub fn pixel(self, channels: u8) -> Vec<u8> {
        self.0[..channels as usize].to_vec()
    }
}

/// sRGB-encoded 8-bit value → linear light 0–1.
fn linear_table() -> &'static [f32; 256] {
    static TABLE: std::sync::OnceLock<[f32; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|i| {
            let v = i as f32 / 255.0;
            if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
        })
    })
}

/// Linear light 0–1 → sRGB-encoded 8-bit value, through a 4096-step table.
fn encode_linear(v: f32) -> u8 {
    const STEPS: usize = 4096;
    static TABLE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=STEPS)
            .map(|i| {
                let l = i as f32 / STEPS as f32;
                let e = if l <= 0.003_130_8 { l * 12.92 } else { 1.055 * l.powf(1.0 / 2.4) - 0.055 };
                (e * 255.0).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    });
    table[(v.clamp(0.0, 1.0) * STEPS as f32).round() as usize]
}

// D65 white and the sRGB ↔ XYZ matrices.
const WHITE: [f32; 3] = [0.950_47, 1.0, 1.088_83];
const TO_XYZ: [[f32; 3]; 3] = [[0.412_456_4, 0.357_576_1, 0.180_437_5], [0.212_672_9, 0.715_152_2, 0.072_175], [0.019_333_9, 0.119_192, 0.950_304_1]];
const FROM_XYZ: [[f32; 3]; 3] = [[3.240_454_2, -1.537_138_5, -0.498_531_4], [-0.969_266, 1.876_010_8, 0.041_556], [0.055_643_4, -0.204_025_9, 1.057_225_2]];

fn f(t: f32) -> f32 {
    const D: f32 = 6.0 / 29.0;
    if t > D * D * D { t.cbrt() } else { t / (3.0 * D * D) + 4.0 / 29.0 }
}

fn f_inv(t: f32) -> f32 {
    const D: f32 = 6.0 / 29.0;
    if t > D { t * t * t } else { 3.0 * D * D * (t - 4.0 / 29.0) }
}

/// sRGB pixel → (L 0–100, a, b).
pub fn to_lab(p: &[u8]) -> [f32; 3] {
    let lin = linear_table();
    let rgb = [lin[p[0] as usize], lin[p[1] as usize], lin[p[2] as usize]];
    let xyz: [f32; 3] = std::array::from_fn(|i| (TO_XYZ[i][0] * rgb[0] + TO_XYZ[i][1] * rgb[1] + TO_XYZ[i][2] * rgb[2]) / WHITE[i]);
    let (fx, fy, fz) = (f(xyz[0]), f(xyz[1]), f(xyz[2]));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// (L, a, b) → sRGB, written into the first three values of `p`.
pub fn from_lab(lab: [f32; 3], p: &mut [u8]) {
    let fy = (lab[0] + 16.0) / 116.0;
    let xyz = [f_inv(fy + lab[1] / 500.0) * WHITE[0], f_inv(fy) * WHITE[1], f_inv(fy - lab[2] / 200.0) * WHITE[2]];
    for i in 0..3 {
        p[i] = encode_linear(FROM_XYZ[i][0] * xyz[0] + FROM_XYZ[i][1] * xyz[1] + FROM_XYZ[i][2] * xyz[2]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_matches_published_values_and_round_trips() {
        let white = to_lab(&[255, 255, 255]);
        assert!((white[0] - 100.0).abs() < 0.05 && white[1].abs() < 0.05 && white[2].abs() < 0.05, "{white:?}");
        // sRGB red is L 53.24, a 80.09, b 67.20 (CIE 1976, D65).
        let red = to_lab(&[255, 0, 0]);
        assert!((red[0] - 53.24).abs() < 0.1 && (red[1] - 80.09).abs() < 0.2 && (red[2] - 67.20).abs() < 0.2, "{red:?}");
        for p in [[0u8, 0, 0], [12, 200, 90], [250, 128, 3], [77, 77, 77]] {
            let mut back = [0u8; 3];
            from_lab(to_lab(&p), &mut back);
            assert!(p.iter().zip(back).all(|(a, b)| a.abs_diff(b) <= 1), "{p:?} → {back:?}");
        }
    }
}
