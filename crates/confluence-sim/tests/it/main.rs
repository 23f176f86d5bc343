//! The simulator's fidelity tests, one binary: each module was a test
//! binary of its own. `cargo test -p confluence-sim --test it MODULE::`
//! runs one module's tests (see ../README.md).

#[path = "../common/mod.rs"]
mod common;

mod attachments;
mod attachments_cql;
mod auth;
mod captured_shapes;
mod cli;
mod comments;
mod cql;
mod demo_site;
mod edges;
mod faults;
mod flavors;
mod generator;
mod jira;
mod labels;
mod lifecycle;
mod network;
mod openapi_fidelity;
mod pagination;
mod rendering;
mod site_dir;
