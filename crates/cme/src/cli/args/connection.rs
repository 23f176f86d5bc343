//! How to reach Confluence, as clap sees it: flags and their environment
//! variables. Turned into a client by `cli::connect`.
use clap::{Args, ValueEnum};
use cme_client::Flavor;

/// How to reach Confluence. Every flag has an environment variable, so cron
/// jobs keep tokens out of the command line (and out of `ps`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Connection")]
pub struct ConnectionArgs {
    /// Site URL, e.g. `https://example.atlassian.net` or `https://host/confluence`
    /// (any page URL works: the site is the part before `/display/`, `/spaces/`, ...)
    #[arg(long, env = "CME_URL")]
    pub url: Option<String>,
    /// Cloud account e-mail (with --token)
    #[arg(long, env = "CME_EMAIL")]
    pub email: Option<String>,
    /// Cloud API token
    #[arg(long, env = "CME_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Data Center personal access token (sent as a Bearer token)
    #[arg(long, env = "CME_PAT", hide_env_values = true)]
    pub pat: Option<String>,
    /// Kind of Confluence [default: detected: `*.atlassian.net` is Cloud, a
    /// PAT alone means Data Center, otherwise the site is asked]
    #[arg(long, value_enum, env = "CME_FLAVOR", ignore_case = true)]
    pub flavor: Option<FlavorArg>,
    /// Send no credentials (public sites that allow anonymous reading)
    #[arg(long)]
    pub anonymous: bool,
    /// Requests in flight at once, at most [default: 24, growing to 64 while
    /// requests queue and the site does not throttle]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
    /// Seconds a failing request (429, 5xx, a dropped connection) is retried
    /// for before its item fails [default: 300; 0: no retries]
    #[arg(long, env = "CME_RETRY_BUDGET", value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub retry_budget: Option<u64>,
    /// Extra trusted CA certificates (PEM file), added to the system's
    #[arg(long, env = "CME_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
}

/// `--flavor` values (case-insensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FlavorArg {
    /// Confluence Cloud
    Cloud,
    /// Confluence Data Center or Server
    #[value(aliases = ["datacenter", "data-center", "server"])]
    Dc,
}

impl From<FlavorArg> for Flavor {
    fn from(f: FlavorArg) -> Self {
        match f {
            FlavorArg::Cloud => Flavor::Cloud,
            FlavorArg::Dc => Flavor::DataCenter,
        }
    }
}
