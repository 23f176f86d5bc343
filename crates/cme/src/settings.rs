//! Connection settings from flags and environment, resolved into a client.
use crate::config::Config;
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
    /// Kind of Confluence [default: cloud]
    #[arg(long, value_enum, env = "CME_FLAVOR")]
    pub flavor: Option<FlavorArg>,
    /// Requests in flight at once [default: 8]
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: Option<u16>,
    /// Extra trusted CA certificates (PEM file), added to the system's
    #[arg(long, env = "CME_CA_BUNDLE", value_name = "FILE")]
    pub ca_bundle: Option<std::path::PathBuf>,
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
    /// Builds the client from flags, environment and the settings file;
    /// fails with a hint when something is missing.
    pub fn client(&self, file: &Config) -> Result<Client> {
        self.client_or(file, None)
    }

    /// Like [`Self::client`], with `fallback` as the site URL when neither a
    /// flag, the environment nor the settings file names one (`sync` falls
    /// back to the URL its state records).
    pub fn client_or(&self, file: &Config, fallback: Option<&str>) -> Result<Client> {
        let fallback = fallback.map(str::to_owned);
        let Some(url) = self
            .url
            .as_ref()
            .or(file.url.as_ref())
            .or(fallback.as_ref())
        else {
            bail!(
                "no Confluence URL: pass `--url`, set `CME_URL`, or run `cme config set url URL`"
            );
        };
        let email = self.email.as_ref().or(file.email.as_ref());
        let credentials = match (email, &self.token, &self.pat) {
            (_, _, Some(pat)) => Credentials::Bearer(Secret::new(pat)),
            (Some(email), Some(token), None) => Credentials::Basic {
                email: email.clone(),
                token: Secret::new(token),
            },
            (Some(_), None, None) => {
                bail!("an e-mail is set but no API token: set `CME_API_TOKEN` or pass `--token`")
            }
            (None, Some(_), None) => {
                bail!("`--token` needs an e-mail: pass `--email` or set `CME_EMAIL`")
            }
            (None, None, None) => Credentials::Anonymous,
        };
        let flavor = match self.flavor {
            Some(FlavorArg::Cloud) => Flavor::Cloud,
            Some(FlavorArg::Dc) => Flavor::DataCenter,
            None => match file.flavor.as_deref() {
                Some("dc") => Flavor::DataCenter,
                _ => Flavor::Cloud,
            },
        };
        let mut cfg = ClientConfig::new(url.clone(), flavor, credentials);
        cfg.max_concurrency = usize::from(self.concurrency.or(file.concurrency).unwrap_or(8));
        cfg.ca_bundle = self.ca_bundle.clone();
        Client::new(cfg).context("cannot set up the Confluence client")
    }
}
