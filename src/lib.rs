//! lazy-image: a zero-copy image engine. The core (everything but `binding`) is plain Rust
//! and is tested with `cargo test --no-default-features`; `binding` is the only napi code.

pub mod batch;
pub mod codecs;
pub mod error;
pub mod format;
pub mod heap;
pub mod image;
pub mod jobs;
pub mod limits;
pub mod metadata;
pub mod metrics;
pub mod names;
pub mod ops;
pub mod output;
pub mod pipeline;
pub mod placeholder;
pub mod quality;
pub mod source;

#[cfg(test)]
mod test_support;

#[cfg(feature = "node")]
mod binding;

pub use error::{Category, Error, Result};
