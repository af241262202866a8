//! The recorded pipeline: what the engine will do once an output is asked for.

mod cost;
pub mod frames;
mod plan;
mod run;
mod sink;

pub use run::{decodes, run, run_branches, run_until, Branch, Encoded};
pub use sink::FrameSink;

use crate::limits::{FailOn, Limits};
use crate::metadata::Keep;
use crate::ops::Op;

/// Operations in call order, whether EXIF orientation is applied first, what metadata the
/// output keeps, the limits the input must pass and which damage to its pixel data refuses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub ops: Vec<Op>,
    pub auto_orient: bool,
    pub keep: Keep,
    pub limits: Limits,
    pub fail_on: FailOn,
    /// An animated input gives its first frame only (JS `pages: 1`), whatever the output.
    pub first_page_only: bool,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline { ops: Vec::new(), auto_orient: true, keep: Keep::default(), limits: Limits::default(), fail_on: FailOn::default(), first_page_only: false }

    }
}

impl Pipeline {
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }
}
