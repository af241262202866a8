//! Where a smaller rectangle sits inside a larger one: the nine gravities (sharp's names;
//! JavaScript also accepts CSS-like `'right top'` and turns it into these), and for a cover
//! crop the two strategies that look at the pixels (`crop_strategy`).

use serde::Deserialize;

use crate::names::named;

named! {
    /// A side or corner of the canvas, or its centre.
    #[derive(Default)]
    pub enum Gravity "gravity" {
        #[default]
        Centre = "centre",
        North = "north",
        NorthEast = "northeast",
        East = "east",
        SouthEast = "southeast",
        South = "south",
        SouthWest = "southwest",
        West = "west",
        NorthWest = "northwest",
    }
}

named! {
    /// How a cover crop chooses its region from the pixels (libvips' names).
    pub enum Strategy "crop strategy" {
        /// Keeps the region with the most information: edge slices with the least
        /// luminance entropy are cut away first.
        Entropy = "entropy",
        /// Keeps the region most likely to draw the eye: edges, skin tones and saturated
        /// colours.
        Attention = "attention",
    }
}

impl Gravity {
    /// The top-left corner of an `inner` rectangle placed in `outer` by this gravity;
    /// negative when `inner` is the larger on that axis. Centred with an odd spare pixel, the
    /// extra one goes before the rectangle, as sharp places it.
    pub fn place(self, outer: (u32, u32), inner: (u32, u32)) -> (i64, i64) {
        let spare = |o: u32, i: u32| o as i64 - i as i64;
        let (dx, dy) = (spare(outer.0, inner.0), spare(outer.1, inner.1));
        let half = |d: i64| (d + 1).div_euclid(2);
        let x = match self {
            Gravity::West | Gravity::NorthWest | Gravity::SouthWest => 0,
            Gravity::East | Gravity::NorthEast | Gravity::SouthEast => dx,
            _ => half(dx),
        };
        let y = match self {
            Gravity::North | Gravity::NorthWest | Gravity::NorthEast => 0,
            Gravity::South | Gravity::SouthWest | Gravity::SouthEast => dy,
            _ => half(dy),
        };
        (x, y)
    }
}

/// Which part of a cover-scaled image the crop keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Gravity(Gravity),
    Strategy(Strategy),
}

impl Default for Position {
    fn default() -> Position {
        Position::Gravity(Gravity::Centre)
    }
}

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Position, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Gravity::parse(&name)
            .map(Position::Gravity)
            .or_else(|_| Strategy::parse(&name).map(Position::Strategy))
            .map_err(|_| serde::de::Error::custom(format!("unknown position '{name}'; use one of {}, {}", Gravity::NAMES.join(", "), Strategy::NAMES.join(", "))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gravities_place_corners_sides_and_centre() {
        let (outer, inner) = ((100, 60), (30, 20));
        assert_eq!(Gravity::Centre.place(outer, inner), (35, 20));
        assert_eq!(Gravity::NorthWest.place(outer, inner), (0, 0));
        assert_eq!(Gravity::SouthEast.place(outer, inner), (70, 40));
        assert_eq!(Gravity::North.place(outer, inner), (35, 0));
        assert_eq!(Gravity::West.place(outer, inner), (0, 20));
        assert_eq!(Gravity::Centre.place(inner, outer), (-35, -20));
        assert_eq!(Gravity::Centre.place((31, 21), (30, 20)), (1, 1), "the odd pixel goes before");
    }
}
