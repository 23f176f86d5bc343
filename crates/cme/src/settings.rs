//! Connection settings from flags and environment, resolved into a client.
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};

/// How to reach Confluence. Every flag has an environment variable, so cron
/// jobs keep tokens out of the command line (and out of `ps`).
#[derive(Debug, Args, Clone)]
pub struct ConnectionArgs {
    /// Site URL, e.g. `https://example.atlassian.net` or `https://host/confluence`
    #[arg(long, env = "CME_URL")]
    pub url: Option<String>,
    /// Cloud account e-mail (with --token)
    #[arg(long, env = "CME_EMAIL")]
    pub email: Option<String>,
    /// Cloud API token
    #[arg(long, env = "CME_API_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Data Center personal access token (sent as a Bearer token)
    #[arg(long, env = "CME_PAT", hide_env_values = true, conflicts_with_all = ["email", "token"])]
    pub pat: Option<String>,
    /// Kind of Confluence
    #[arg(long, value_enum, env = "CME_FLAVOR", default_value_t = FlavorArg::Cloud)]
    pub flavor: FlavorArg,
    /// Requests in flight at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// `--flavor` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FlavorArg {
    /// Confluence Cloud
    Cloud,
    /// Confluence Data Center or Server
    Dc,
}

impl ConnectionArgs {
    /// Builds the client; fails with a hint when something is missing.
    pub fn client(&self) -> Result<Client> {
        let Some(url) = &self.url else {
            bail!("no Confluence URL: pass `--url` or set `CME_URL`");
        };
        let credentials = match (&self.email, &self.token, &self.pat) {
            (_, _, Some(pat)) => Credentials::Bearer(Secret::new(pat)),
            (Some(email), Some(token), None) => Credentials::Basic {
                email: email.clone(),
                token: Secret::new(token),
            },
            (Some(_), None, None) => bail!("`--email` needs `--token` (or `CME_API_TOKEN`)"),
            (None, Some(_), None) => bail!("`--token` needs `--email` (or `CME_EMAIL`)"),
            (None, None, None) => Credentials::Anonymous,
        };
        let flavor = match self.flavor {
            FlavorArg::Cloud => Flavor::Cloud,
            FlavorArg::Dc => Flavor::DataCenter,
        };
        let mut cfg = ClientConfig::new(url.clone(), flavor, credentials);
        cfg.max_concurrency = usize::from(self.concurrency);
        Client::new(cfg).context("cannot set up the Confluence client")
    }
}
