//! `confluence-sim serve …`: run the simulator until killed.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use confluence_sim::{DEFAULT_EMAIL, DEFAULT_PAT, DEFAULT_TOKEN, Flavor, NetworkModel, SimConfig};

#[derive(Parser)]
#[command(
    name = "confluence-sim",
    version,
    about = "A faithful Confluence Cloud / Data Center REST simulator",
    after_help = "Default credentials:\n  Cloud (Basic):        sim@example.com / sim-token\n  Data Center (Bearer): sim-pat\n\nNetwork presets (--network): off, cloud, lan, latency-100 (see NETWORK.md)\n\nControl API (loopback only): /__sim/stats, /__sim/pages, /__sim/faults, /__sim/network ... (see README)"
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
    after_help = "Default credentials:\n  Cloud (Basic):        sim@example.com / sim-token\n  Data Center (Bearer): sim-pat\n\nNetwork presets (--network, see NETWORK.md):\n  off          loopback speed (the default)\n  cloud        Atlassian Cloud: 100 ms + 0..=100 ms jitter, 4 MiB/s, 0.2 ms per item\n               + 0.1 ms per item per expansion, 30 requests in flight then 429\n  lan          Data Center on a LAN: 20 ms + 0..=5 ms, 50 MiB/s, 0.1 ms per item, 100 in flight\n  latency-100  exactly 100 ms per request, nothing else"
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
    /// Model a real network (latency, jitter, bandwidth, server cost, an
    /// in-flight cap answered with 429): a preset (off, cloud, lan,
    /// latency-100), `key=value,...` over latency_ms, jitter_ms, seed,
    /// bandwidth_kib_s, per_item_us, per_expand_us, max_in_flight,
    /// retry_after_s (`none` clears an optional one), or a preset then
    /// overrides, e.g. `cloud,latency_ms=200`. See NETWORK.md.
    #[arg(long, value_name = "SPEC", value_parser = parse_network)]
    network: Option<NetworkModel>,
}

fn parse_network(spec: &str) -> Result<NetworkModel, String> {
    NetworkModel::parse(spec).map_err(|e| e.to_string())
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
        .dc_pat(args.pat.as_deref().unwrap_or(DEFAULT_PAT))
        .network(args.network.unwrap_or_default());
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
