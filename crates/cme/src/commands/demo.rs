//! `demo`: exports the bundled demo site from an in-process simulator, so a
//! newcomer sees the whole job with no Confluence and no credentials.
use super::export::{OutputArgs, run_export};
use crate::state::{Scope, ScopeCommand};
use anyhow::{Context as _, Result};
use clap::Args;
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};
use confluence_sim::{SimConfig, spawn};
use std::path::PathBuf;

/// Arguments of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Folder to export into
    #[arg(long, short = 'o', default_value = "demo-out", value_name = "PATH")]
    output_path: PathBuf,
}

/// Runs `demo`.
pub fn run(args: &DemoArgs) -> Result<()> {
    let sim = spawn(SimConfig::demo()).context("cannot start the bundled simulator")?;
    eprintln!(
        "Serving the demo site at {} (simulated Confluence Cloud)",
        sim.url()
    );
    let client = Client::new(ClientConfig::new(
        sim.url(),
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        },
    ))?;
    let output = OutputArgs {
        output_path: args.output_path.clone(),
        // Re-running the demo refreshes the same folder.
        append: true,
    };
    let scope = Scope {
        command: ScopeCommand::AllSpaces,
        args: Vec::new(),
    };
    let result = run_export(&client, &[], scope, &output);
    sim.stop();
    result
}
