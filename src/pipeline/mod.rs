//! The recorded pipeline: what the engine will do once an output is asked for.

mod plan;
mod run;

pub use run::{run, Encoded};

use crate::ops::Op;

/// Operations in call order, plus whether EXIF orientation is applied first.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub ops: Vec<Op>,
    pub auto_orient: bool,
}

impl Default for Pipeline {
    fn default() -> Self {
        Pipeline { ops: Vec::new(), auto_orient: true }
    }
}

impl Pipeline {
    pub fn push(&mut self, op: Op) {
        self.ops.push(op);
    }
}
