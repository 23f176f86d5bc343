//! Where sites come from: the bundled demo, a directory, or a generator.

pub mod demo;
pub mod dir;
pub mod flavor;
pub mod generate;
pub mod rng;
