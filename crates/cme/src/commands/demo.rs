//! `demo`: exports the bundled demo site from an in-process simulator, so a
//! newcomer sees the whole job with no Confluence and no credentials.
use super::export::{OutputArgs, run_export};
use crate::export::Selection;
use crate::state::State;
use anyhow::{Context as _, Result, bail};
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
pub fn run(args: &DemoArgs) -> Result<u8> {
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
    // Each run serves on a new port, so a previous demo's state names another
    // URL; it is a demo, so start its state afresh rather than refuse.
    if let Some(state) = State::load(&args.output_path)? {
        if !state.confluence_url.starts_with("http://127.0.0.1:") {
            bail!(
                "`{}` holds an export of `{}`, not a demo; choose another folder",
                args.output_path.display(),
                state.confluence_url
            );
        }
        std::fs::remove_file(State::path(&args.output_path))?;
    }
    let output = OutputArgs {
        output_path: args.output_path.clone(),
        append: false,
        run: Default::default(),
        markdown: super::markdown_args::MarkdownArgs::defaults(),
    };
    // The demo ignores the settings file: it is its own site.
    let result = run_export(&client, &Selection::AllSpaces, &output, &Default::default());
    sim.stop();
    result
}
