//! A faithful Confluence REST simulator (Cloud and Data Center flavours) for
//! tests, benchmarks and offline demos.
//!
//! ```no_run
//! use confluence_sim::{SimConfig, Flavor, spawn};
//! let sim = spawn(SimConfig::demo().flavor(Flavor::Cloud)).unwrap();
//! println!("{}/wiki/api/v2/spaces", sim.url());
//! sim.stop();
//! ```
//!
//! Tests mutate the running site through the HTTP control API under
//! `/__sim/` (see README.md), so in-process and out-of-process use share one
//! interface.

mod api;
mod config;
mod control;
mod error;
mod faults;
mod http;
mod jira;
pub mod model;
mod network;
mod render;
mod server;
pub mod site;
mod stats;

pub use config::{DEFAULT_EMAIL, DEFAULT_PAT, DEFAULT_TOKEN, Flavor, SimConfig};
pub use error::SimError;
pub use network::{NetworkError, NetworkModel, PRESETS as NETWORK_PRESETS};
pub use server::{SimHandle, serve, spawn};
