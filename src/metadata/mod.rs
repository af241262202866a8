//! Metadata read from containers: EXIF today; ICC carrying and colour conversion come with
//! the metadata work.

pub mod exif;
