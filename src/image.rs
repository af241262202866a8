//! The decoded frame every operation works on: interleaved 8-bit RGB or RGBA.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    /// 3 (RGB) or 4 (RGBA, straight alpha).
    pub channels: u8,
    pub data: Vec<u8>,
}

impl Image {
    pub fn new(width: u32, height: u32, channels: u8, data: Vec<u8>) -> Image {
        debug_assert!(channels == 3 || channels == 4);
        debug_assert_eq!(data.len(), width as usize * height as usize * channels as usize);
        Image { width, height, channels, data }
    }

    pub fn has_alpha(&self) -> bool {
        self.channels == 4
    }

    pub fn stride(&self) -> usize {
        self.width as usize * self.channels as usize
    }

    pub fn pixel(&self, x: u32, y: u32) -> &[u8] {
        let c = self.channels as usize;
        let i = y as usize * self.stride() + x as usize * c;
        &self.data[i..i + c]
    }

    /// True when every pixel is fully opaque, so the alpha channel can be dropped.
    pub fn is_opaque(&self) -> bool {
        !self.has_alpha() || self.data.chunks_exact(4).all(|p| p[3] == 255)
    }

    /// Drops alpha by compositing onto white, the background a JPEG viewer would show.
    pub fn into_rgb(self) -> Image {
        self.flatten([255, 255, 255])
    }

    /// A copy of an RGBA canvas (a decoder's composed animation frame) with `channels`: 4
    /// as it is, 3 without its alpha (the header said the animation is opaque).
    pub fn from_canvas(width: u32, height: u32, rgba: &[u8], channels: u8) -> Image {
        let data = if channels == 4 { rgba.to_vec() } else { rgba.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect() };
        Image::new(width, height, channels, data)
    }

    /// Drops alpha by compositing onto `background`.
    pub fn flatten(self, background: [u8; 3]) -> Image {
        if !self.has_alpha() {
            return self;
        }
        let mut out = Vec::with_capacity(self.width as usize * self.height as usize * 3);
        for p in self.data.chunks_exact(4) {
            let a = p[3] as u32;
            for (&c, &bg) in p[..3].iter().zip(&background) {
                out.push(((c as u32 * a + bg as u32 * (255 - a) + 127) / 255) as u8);
            }
        }
        Image::new(self.width, self.height, 3, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_onto_white() {
        let img = Image::new(2, 1, 4, vec![255, 0, 0, 255, 0, 0, 0, 0]);
        assert!(!img.is_opaque());
        assert_eq!(img.clone().into_rgb().data, vec![255, 0, 0, 255, 255, 255]);
        assert_eq!(img.flatten([0, 0, 200]).data, vec![255, 0, 0, 0, 0, 200]);
    }
}
