//! `confluence-sim serve …`: run the simulator until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use confluence_sim::{DEFAULT_EMAIL, DEFAULT_PAT, DEFAULT_TOKEN, Flavor, SimConfig};

#[derive(Parser)]
#[command(
    name = "confluence-sim",
    version,
    about = "A faithful Confluence Cloud / Data Center REST simulator",
    after_help = "Default credentials:\n  Cloud (Basic):        sim@example.com / sim-token\n  Data Center (Bearer): sim-pat\n\nControl API (loopback only): /__sim/stats, /__sim/pages, /__sim/faults ... (see README)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve a site until killed (prints `listening on URL` first: the site URL, context path included).
    Serve(ServeArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum FlavorArg {
    Cloud,
    Dc,
}

#[derive(clap::Args)]
#[command(
    after_help = "Default credentials:\n  Cloud (Basic):        sim@example.com / sim-token\n  Data Center (Bearer): sim-pat"
)]
struct ServeArgs {
    /// Serve the bundled demo site (the default).
    #[arg(long, conflicts_with_all = ["site", "generate"])]
    demo: bool,
    /// Serve a site folder (see SITE-FORMAT.md).
    #[arg(long, value_name = "DIR", conflicts_with = "generate")]
    site: Option<PathBuf>,
    /// Serve a generated site, e.g. `pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7`.
    #[arg(long, value_name = "SPEC")]
    generate: Option<String>,
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    /// Which deployment to imitate.
    #[arg(long, value_enum, default_value = "cloud")]
    flavor: FlavorArg,
    /// Data Center context path, e.g. `/confluence`.
    #[arg(long, value_name = "P", default_value = "")]
    context_path: String,
    /// Cloud login email [default: sim@example.com]
    #[arg(long, value_name = "E")]
    email: Option<String>,
    /// Cloud API token [default: sim-token]
    #[arg(long, value_name = "T")]
    token: Option<String>,
    /// Data Center personal access token [default: sim-pat]
    #[arg(long, value_name = "P")]
    pat: Option<String>,
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("confluence-sim: {e:#}");
        std::process::exit(2);
    }
}

fn run(cli: Cli) -> Result<()> {
    let Command::Serve(args) = cli.command;
    let config = if let Some(dir) = &args.site {
        SimConfig::from_dir(dir)?
    } else if let Some(spec) = &args.generate {
        SimConfig::generate(spec)?
    } else {
        SimConfig::demo()
    };
    let config = config
        .flavor(match args.flavor {
            FlavorArg::Cloud => Flavor::Cloud,
            FlavorArg::Dc => Flavor::DataCenter,
        })
        .context_path(&args.context_path)
        .cloud_credentials(
            args.email.as_deref().unwrap_or(DEFAULT_EMAIL),
            args.token.as_deref().unwrap_or(DEFAULT_TOKEN),
        )
        .dc_pat(args.pat.as_deref().unwrap_or(DEFAULT_PAT));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        let local = listener.local_addr()?;
        {
            // The full site URL, context path included, so it can be pasted as `--url`.
            let mut out = std::io::stdout().lock();
            writeln!(out, "listening on http://{local}{}", config.base_path())?;
            out.flush()?;
        }
        tokio::select! {
            r = confluence_sim::serve(config, listener) => r.context("server failed")?,
            _ = tokio::signal::ctrl_c() => {}
        }
        Ok(())
    })
}
