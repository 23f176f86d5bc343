//! One module per subcommand; each exposes `*Args` and `run`.
pub mod config;
pub mod convert;
#[cfg(feature = "demo")]
pub mod demo;
pub mod export;
pub mod status;
pub mod sync;
