//! The two cover-crop strategies that look at the pixels, as libvips defines them (sharp's
//! `position: 'entropy' | 'attention'`); written here from libvips' description, since no
//! crate does either.

use super::colour::to_lab;
use super::gravity::Strategy;
use crate::image::Image;

/// The top-left corner of the `size` region `strategy` keeps in `image`.
pub fn choose(image: &Image, size: (u32, u32), strategy: Strategy) -> (u32, u32) {
    if size.0 >= image.width && size.1 >= image.height {
        return (0, 0);
    }
    match strategy {
        Strategy::Entropy => entropy(image, size),
        Strategy::Attention => attention(image, size),
    }
}

/// Cuts slices off the sides, each time from the side whose slice holds less luminance
/// entropy, in about eight steps per axis, until the region is `size`.
fn entropy(image: &Image, (tw, th): (u32, u32)) -> (u32, u32) {
    let luma: Vec<u8> = image.data.chunks_exact(image.channels as usize).map(|p| ((p[0] as u32 * 2126 + p[1] as u32 * 7152 + p[2] as u32 * 722) / 10000) as u8).collect();
    let stride = image.width as usize;
    let score = |x: u32, y: u32, w: u32, h: u32| {
        let mut hist = [0u32; 256];
        for row in y..y + h {
            let start = row as usize * stride + x as usize;
            luma[start..start + w as usize].iter().for_each(|&v| hist[v as usize] += 1);
        }
        let n = (w as f64) * (h as f64);
        hist.iter().filter(|&&c| c > 0).map(|&c| { let p = c as f64 / n; -p * p.log2() }).sum::<f64>()
    };
    let (mut left, mut top, mut w, mut h) = (0, 0, image.width, image.height);
    let step = (w.saturating_sub(tw).div_ceil(8)).max(h.saturating_sub(th).div_ceil(8)).max(1);
    while w > tw || h > th {
        let sw = (w.saturating_sub(tw)).min(step);
        if sw > 0 {
            let (l, r) = (score(left, top, sw, h), score(left + w - sw, top, sw, h));
            w -= sw;
            if l < r {
                left += sw;
            }
        }
        let sh = (h.saturating_sub(th)).min(step);
        if sh > 0 {
            let (t, b) = (score(left, top, w, sh), score(left, top + h - sh, w, sh));
            h -= sh;
            if t < b {
                top += sh;
            }
        }
    }
    (left, top)
}

/// Scores each pixel for what draws the eye (Sobel edges on lightness, skin tones, strongly
/// saturated colours), averages the scores on a 32×32 grid, blurs that grid in proportion
/// to the crop's size, and centres the crop on the highest cell.
fn attention(image: &Image, (tw, th): (u32, u32)) -> (u32, u32) {
    const GRID: usize = 32;
    let (w, h) = (image.width as usize, image.height as usize);
    let lab: Vec<[f32; 3]> = image.data.chunks_exact(image.channels as usize).map(to_lab).collect();
    let l = |x: usize, y: usize| lab[y.min(h - 1) * w + x.min(w - 1)][0];
    let mut grid = vec![0f64; GRID * GRID];
    for y in 0..h {
        for x in 0..w {
            let (xm, ym) = (x.saturating_sub(1), y.saturating_sub(1));
            let gx = (l(x + 1, ym) + 2.0 * l(x + 1, y) + l(x + 1, y + 1)) - (l(xm, ym) + 2.0 * l(xm, y) + l(xm, y + 1));
            let gy = (l(xm, y + 1) + 2.0 * l(x, y + 1) + l(x + 1, y + 1)) - (l(xm, ym) + 2.0 * l(x, ym) + l(x + 1, ym));
            let [lightness, a, b] = lab[y * w + x];
            // Skin: a in 3–22 and b in 4–31 with some lightness (the ranges libvips trained);
            // saturation: chroma above 60. Each counts as a strong edge does.
            let skin = (3.0..=22.0).contains(&a) && (4.0..=31.0).contains(&b) && lightness >= 15.0;
            let saturated = a.hypot(b) > 60.0;
            let score = gx.abs() + gy.abs() + if skin { 255.0 } else { 0.0 } + if saturated { 255.0 } else { 0.0 };
            grid[(y * GRID / h) * GRID + x * GRID / w] += score as f64;
        }
    }
    let (cw, ch) = (w as f64 / GRID as f64, h as f64 / GRID as f64);
    let sigma = ((tw as f64 / cw).powi(2) + (th as f64 / ch).powi(2)).sqrt() / 6.0;
    let blurred = blur_grid(&grid, GRID, sigma);
    let best = (0..blurred.len()).fold(0, |best, i| if blurred[i] > blurred[best] { i } else { best });
    let (bx, by) = ((best % GRID) as f64 * cw, (best / GRID) as f64 * ch);
    let clip = |centre: f64, crop: u32, side: u32| (centre - crop as f64 / 2.0).clamp(0.0, (side - crop.min(side)) as f64) as u32;
    (clip(bx, tw, image.width), clip(by, th, image.height))
}

/// A separable Gaussian blur of a small square grid, edges clamped.
fn blur_grid(grid: &[f64], n: usize, sigma: f64) -> Vec<f64> {
    if sigma < 0.1 {
        return grid.to_vec();
    }
    let radius = (sigma * 3.0).ceil() as i64;
    let weights: Vec<f64> = (-radius..=radius).map(|d| (-(d * d) as f64 / (2.0 * sigma * sigma)).exp()).collect();
    let pass = |src: &[f64], horizontal: bool| {
        let mut out = vec![0.0; n * n];
        for y in 0..n {
            for x in 0..n {
                out[y * n + x] = (-radius..=radius)
                    .zip(&weights)
                    .map(|(d, w)| {
                        let (sx, sy) = if horizontal { ((x as i64 + d).clamp(0, n as i64 - 1) as usize, y) } else { (x, (y as i64 + d).clamp(0, n as i64 - 1) as usize) };
                        src[sy * n + sx] * w
                    })
                    .sum();
            }
        }
        out
    };
    pass(&pass(grid, true), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat grey field with one feature: a skin-toned disc (attention), or a noisy patch
    /// (entropy), in the lower right.
    fn field(feature: impl Fn(u32, u32) -> [u8; 3]) -> Image {
        let (w, h) = (300u32, 200u32);
        let mut data = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let inside = (x as i32 - 230).pow(2) + (y as i32 - 140).pow(2) < 30 * 30;
                data.extend_from_slice(&if inside { feature(x, y) } else { [128, 128, 128] });
            }
        }
        Image::new(w, h, 3, data)
    }

    #[test]
    fn both_strategies_keep_the_feature() {
        let skin = field(|_, _| [224, 172, 140]);
        let (x, y) = choose(&skin, (100, 100), Strategy::Attention);
        assert!(x <= 200 && x + 100 >= 260 && y <= 110 && y + 100 >= 170, "attention chose {x},{y}");
        let noisy = field(|x, y| { let v = ((x * 7919 + y * 104_729) % 251) as u8; [v, v / 2, 255 - v] });
        let (x, y) = choose(&noisy, (100, 100), Strategy::Entropy);
        assert!(x >= 150 && y >= 60, "entropy chose {x},{y}");
        assert_eq!(choose(&noisy, (300, 200), Strategy::Entropy), (0, 0));
    }
}
