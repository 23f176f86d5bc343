//! Connection settings from flags, environment and the settings file, worked
//! out into a client: the site (also from a pasted URL), the flavour (named,
//! or told by the host, the credentials or one probe) and the credentials
//! that fit that flavour. Missing credentials are an error before any request.
use crate::cli::config::Config;
use crate::cli::urls::Site;
use anyhow::{Context as _, Result, bail};

use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};
use serde::Serialize;

use crate::cli::args::connection::ConnectionArgs;

/// Requests in flight at first, unless `--concurrency` or the settings file
/// set a number. Chosen on the simulator's network model at 100 ms a request
/// with Confluence Cloud's reported cap of 30 requests in flight (429 beyond
/// it), `benches/sync.rs`: a fixed limit took 5.0 s for a 1,000-page export
/// (20% attachments) at 8, 3.6 s at 16, 3.0 s at 24 and 4.9 s at 32, where
/// the cap's 429s halve the limit and pause every request for the
/// `Retry-After`. So a run starts under the cap, and grows past it only
/// while requests queue (see [`PROBE_UP_TO`]).
pub const DEFAULT_CONCURRENCY: u16 = 24;

/// How far the default limit may grow: while requests queue and the site
/// does not throttle, each success adds a slot; the first 429s set the
/// ceiling just under the number in flight the site refused (the client's
/// limiter). Large exports are bound by how many requests are in flight
/// (100,000 pages make ~13,500 requests to the site: at 24 in flight and
/// 100 ms each, 56 s): a site without a cap is used fully, one with a cap
/// is throttled about once. A number set by the user is kept as it is.
pub const PROBE_UP_TO: u16 = 64;

/// The limit on requests in flight when none is set: starts at
/// [`DEFAULT_CONCURRENCY`], may grow to [`PROBE_UP_TO`].
pub fn default_concurrency(cfg: &mut ClientConfig) {
    cfg.max_concurrency = usize::from(PROBE_UP_TO);
    cfg.start_concurrency = Some(usize::from(DEFAULT_CONCURRENCY));
}

/// Where a setting's effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// A command-line flag.
    Flag,
    /// An environment variable.
    Environment,
    /// The settings file.
    File,
    /// A URL given as a page or space argument.
    PastedUrl,
    /// The output folder's state (what `sync` exported from).
    State,
    /// Worked out at run time (the flavour).
    Detected,
    /// The built-in default.
    Default,
}

impl Source {
    /// As `config list` prints it.
    pub fn label(self) -> &'static str {
        match self {
            Source::Flag => "flag",
            Source::Environment => "environment",
            Source::File => "file",
            Source::PastedUrl => "pasted URL",
            Source::State => "state",
            Source::Detected => "detected",
            Source::Default => "default",
        }
    }
}

/// Whether a value clap took from a flag-or-variable came from the variable.
pub(crate) fn source_of(value: &str, var: &str) -> Source {
    match std::env::var(var) {
        Ok(v) if v == value => Source::Environment,
        _ => Source::Flag,
    }
}

/// The credentials given, before the flavour picks which to use.
#[derive(Debug, Default)]
struct Given {
    email: Option<String>,
    token: Option<Secret>,
    pat: Option<Secret>,
    anonymous: bool,
}

impl ConnectionArgs {
    /// Builds the client from flags, environment and the settings file;
    /// fails with a hint when something is missing.
    pub fn client(&self, file: &Config) -> Result<Client> {
        self.connect(file, &[], None)
    }

    /// Like [`Self::client`], with `fallback` as the site URL when neither a
    /// flag, the environment nor the settings file names one (`sync` falls
    /// back to the URL its state records).
    pub fn client_or(&self, file: &Config, fallback: Option<&str>) -> Result<Client> {
        self.connect(file, &[], fallback.map(|url| (url, None)))
    }

    /// Like [`Self::client_or`] for an output folder whose state recorded
    /// its site and what that site turned out to be (`cloud` or `dc`): the
    /// recorded flavour spares the check when nothing else decides it and
    /// the site is the recorded one.
    pub fn client_for_folder(
        &self,
        file: &Config,
        url: Option<&str>,
        flavor: Option<&str>,
    ) -> Result<Client> {
        self.connect(
            file,
            &[],
            url.map(|u| (u, flavor.and_then(|f| f.parse().ok()))),
        )
    }

    /// Like [`Self::client`] for arguments that were URLs: they supply the
    /// site when none is configured, and must be on the configured one.
    pub fn client_for(&self, file: &Config, pasted: &[Site]) -> Result<Client> {
        self.connect(file, pasted, None)
    }

    fn connect(
        &self,
        file: &Config,
        pasted: &[Site],
        fallback: Option<(&str, Option<Flavor>)>,
    ) -> Result<Client> {
        let site = self.site(file, pasted, fallback.map(|(u, _)| u))?;
        // What the folder recorded holds for the folder's own site only.
        let recorded = fallback
            .and_then(|(u, f)| f.filter(|_| Site::parse(u).is_ok_and(|r| r.url() == site.url())));
        let given = Given {
            email: given_text(&self.email)
                .or(file.email.as_deref())
                .map(str::to_owned),
            token: given_text(&self.token).map(Secret::new),
            pat: given_text(&self.pat).map(Secret::new),
            anonymous: self.anonymous,
        };
        let explicit = self.explicit_flavor(file)?;
        let known = explicit
            .or_else(|| flavor_without_asking(&site, &given))
            .or(recorded);
        require_credentials(&given, known)?;
        let why = crate::cli::diagnose::FlavorReason::of(
            explicit.is_some(),
            site.is_atlassian_cloud(),
            flavor_without_asking(&site, &given).is_some(),
            known.is_some(),
        );
        let flavor = match known {
            Some(f) => f,
            None => probe(&site)?,
        };
        let credentials = credentials_for(flavor, given)?;
        crate::cli::diagnose::record(crate::cli::diagnose::Assumed {
            site: site.url(),
            flavor,
            why,
            sent: crate::cli::diagnose::Sent::of(&credentials),
        });
        let mut cfg = ClientConfig::new(site.url(), flavor, credentials);
        match self.concurrency.or(file.concurrency) {
            Some(n) => cfg.max_concurrency = usize::from(n),
            None => default_concurrency(&mut cfg),
        }
        cfg.ca_bundle = self.ca_bundle.clone();
        if let Some(secs) = self.retry_budget.or(file.retry_budget) {
            cfg.retry.max_elapsed = std::time::Duration::from_secs(secs);
        }
        cfg.observer = Some(crate::cli::progress::client_observer());
        Client::new(cfg).context("cannot set up the Confluence client")
    }

    /// `--flavor`/`CME_FLAVOR`, else the settings file's `flavor`.
    fn explicit_flavor(&self, file: &Config) -> Result<Option<Flavor>> {
        if let Some(f) = self.flavor {
            return Ok(Some(f.into()));
        }
        match file.flavor.as_deref() {
            None => Ok(None),
            Some(s) => match s.parse::<Flavor>() {
                Ok(f) => Ok(Some(f)),
                Err(_) => bail!(
                    "the settings file's `flavor` must be `cloud` or `dc`, not `{s}` (fix it with `cme config set flavor dc`)"
                ),
            },
        }
    }

    /// The site: `--url`/`CME_URL`, else the settings file, else a pasted
    /// URL, else `fallback`. Pasted URLs must be on the same host.
    fn site(&self, file: &Config, pasted: &[Site], fallback: Option<&str>) -> Result<Site> {
        let configured = match (&self.url, &file.url) {
            (Some(u), _) => Some((u.as_str(), source_of(u, "CME_URL"))),
            (None, Some(u)) => Some((u.as_str(), Source::File)),
            (None, None) => None,
        };
        let configured = configured
            .map(|(u, src)| Site::parse(u).map(|s| (s, src)))
            .transpose()?;
        let first = pasted.first();
        for p in pasted {
            let (other, what) = match &configured {
                Some((s, src)) => (s, format!("the site URL (from {})", src.label())),
                None => (first.unwrap_or(p), "the first URL".to_owned()),
            };
            if !p.same_host(other) {
                bail!(
                    "the URL given is on `{}`, but {what} is on `{}`; export from one site at a time",
                    p.host(),
                    other.host()
                );
            }
        }
        match (configured, first) {
            // A page URL knows the context path a bare configured host lacks.
            (Some((s, _)), Some(p)) if s.url().ends_with(s.host()) => Ok(p.clone()),
            (Some((s, _)), _) => Ok(s),
            (None, Some(p)) => Ok(p.clone()),
            (None, None) => match fallback {
                Some(u) => Ok(Site::parse(u)?),
                None => bail!(
                    "no Confluence URL: pass `--url`, set `CME_URL`, run `cme config set url URL`, or give a page or space URL"
                ),
            },
        }
    }
}

/// A flag's or variable's text; an empty variable (`CME_PAT=`) is none.
fn given_text(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The flavour, when no request is needed to know it.
fn flavor_without_asking(site: &Site, given: &Given) -> Option<Flavor> {
    if site.is_atlassian_cloud() {
        Some(Flavor::Cloud)
    } else if given.pat.is_some() && given.token.is_none() && !given.anonymous {
        Some(Flavor::DataCenter)
    } else {
        None
    }
}

/// Fails, before any request, when no credentials were given at all,
/// naming what the flavour (when known) needs.
fn require_credentials(given: &Given, flavor: Option<Flavor>) -> Result<()> {
    if given.anonymous || given.pat.is_some() {
        return Ok(());
    }
    if given.token.is_some() {
        if given.email.is_none() {
            bail!("an API token needs its account's e-mail: pass `--email` or set `CME_EMAIL`");
        }
        return Ok(());
    }
    let cloud = "for Confluence Cloud set `CME_EMAIL` and `CME_API_TOKEN` (or pass `--email` and `--token`)";
    let dc = "for Data Center set `CME_PAT` (or pass `--pat`)";
    let need = match (flavor, &given.email) {
        (Some(Flavor::Cloud), Some(_)) => {
            "set `CME_API_TOKEN` or pass `--token` (an API token from https://id.atlassian.com/manage-profile/security/api-tokens)".to_owned()
        }
        (Some(Flavor::Cloud), None) => cloud.to_owned(),
        (Some(Flavor::DataCenter), _) => dc.to_owned(),
        (None, _) => format!("{cloud}; {dc}"),
    };
    let what = if given.email.is_some() {
        "an e-mail is set but no API token"
    } else {
        "no credentials"
    };
    bail!("{what}: {need}; for a public site pass `--anonymous`")
}

/// The credentials that fit the flavour. A PAT next to an e-mail and token
/// (say, both in the environment) is no conflict: each flavour takes its own.
fn credentials_for(flavor: Flavor, given: Given) -> Result<Credentials> {
    if given.anonymous {
        return Ok(Credentials::Anonymous);
    }
    let basic = |email: Option<String>, token: Secret| match email {
        Some(email) => Ok(Credentials::Basic { email, token }),
        None => bail!("an API token needs its account's e-mail: pass `--email` or set `CME_EMAIL`"),
    };
    match (flavor, given.token, given.pat) {
        (Flavor::Cloud, Some(token), _) => basic(given.email, token),
        (Flavor::Cloud, None, _) => bail!(
            "Confluence Cloud does not take personal access tokens: set `CME_EMAIL` and `CME_API_TOKEN` (or pass `--email` and `--token`), or pass `--flavor dc` if this is Data Center"
        ),
        (Flavor::DataCenter, _, Some(pat)) => Ok(Credentials::Bearer(pat)),
        // Data Center also takes Basic (user name or e-mail, and password).
        (Flavor::DataCenter, Some(token), None) => basic(given.email, token),
        (Flavor::DataCenter, None, None) => {
            bail!("no credentials for Data Center: set `CME_PAT` (or pass `--pat`)")
        }
    }
}

/// Asks the site (one unauthenticated request).
fn probe(site: &Site) -> Result<Flavor> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    tracing::debug!(site = %site, "asking the site whether it is Cloud or Data Center");
    crate::cli::interrupt::until_interrupted(&rt, Client::detect_flavor(&site.url()))?
        .with_context(|| {
            format!(
                "cannot reach `{site}` to tell Confluence Cloud from Data Center (pass `--flavor cloud` or `--flavor dc` to skip this check)"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(email: bool, token: bool, pat: bool) -> Given {
        Given {
            email: email.then(|| "me@example.com".to_owned()),
            token: token.then(|| Secret::new("tok")),
            pat: pat.then(|| Secret::new("pat")),
            anonymous: false,
        }
    }
    fn site(u: &str) -> Site {
        Site::parse(u).unwrap()
    }

    #[test]
    fn flavour_from_host_or_credentials_else_asked() {
        let cloud = site("https://x.atlassian.net");
        let other = site("https://wiki.example.com/confluence");
        for (e, t, p) in [
            (true, true, false),
            (false, false, true),
            (true, true, true),
        ] {
            assert_eq!(
                flavor_without_asking(&cloud, &given(e, t, p)),
                Some(Flavor::Cloud)
            );
        }
        assert_eq!(
            flavor_without_asking(&other, &given(false, false, true)),
            Some(Flavor::DataCenter)
        );
        assert_eq!(
            flavor_without_asking(&other, &given(true, false, true)),
            Some(Flavor::DataCenter)
        );
        assert_eq!(
            flavor_without_asking(&other, &given(true, true, false)),
            None
        );
        assert_eq!(
            flavor_without_asking(&other, &given(true, true, true)),
            None
        );
    }

    #[test]
    fn each_flavour_takes_its_own_credentials() {
        let both = || given(true, true, true);
        assert!(matches!(
            credentials_for(Flavor::Cloud, both()).unwrap(),
            Credentials::Basic { .. }
        ));
        assert!(matches!(
            credentials_for(Flavor::DataCenter, both()).unwrap(),
            Credentials::Bearer(_)
        ));
        assert!(matches!(
            credentials_for(Flavor::DataCenter, given(true, true, false)).unwrap(),
            Credentials::Basic { .. }
        ));
        let e = credentials_for(Flavor::Cloud, given(false, false, true)).unwrap_err();
        assert!(e.to_string().contains("CME_API_TOKEN"), "{e}");
        let e = credentials_for(Flavor::Cloud, given(false, true, false)).unwrap_err();
        assert!(e.to_string().contains("CME_EMAIL"), "{e}");
        let anon = Given {
            anonymous: true,
            ..given(true, true, true)
        };
        assert!(matches!(
            credentials_for(Flavor::Cloud, anon).unwrap(),
            Credentials::Anonymous
        ));
    }

    #[test]
    fn no_credentials_is_an_error_naming_what_fits() {
        let none = given(false, false, false);
        let e = require_credentials(&none, None).unwrap_err().to_string();
        for name in ["CME_EMAIL", "CME_API_TOKEN", "CME_PAT", "--anonymous"] {
            assert!(e.contains(name), "{e}");
        }
        let e = require_credentials(&none, Some(Flavor::DataCenter))
            .unwrap_err()
            .to_string();
        assert!(e.contains("CME_PAT") && !e.contains("CME_API_TOKEN"), "{e}");
        let e = require_credentials(&given(true, false, false), Some(Flavor::Cloud))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("CME_API_TOKEN") && e.contains("e-mail is set"),
            "{e}"
        );
        assert!(require_credentials(&given(false, false, true), None).is_ok());
        assert!(require_credentials(&given(true, true, false), None).is_ok());
        let e = require_credentials(&given(false, true, false), None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("CME_EMAIL"), "{e}");
        let anon = Given {
            anonymous: true,
            ..Given::default()
        };
        assert!(require_credentials(&anon, None).is_ok());
    }

    #[test]
    fn pasted_urls_supply_the_site_and_must_match_the_configured_one() {
        let none = ConnectionArgs::default();
        let file = Config::default();
        let dc = site("https://h.example.com/confluence/display/ENG");
        assert_eq!(
            none.site(&file, std::slice::from_ref(&dc), None)
                .unwrap()
                .url(),
            "https://h.example.com/confluence"
        );
        let configured = ConnectionArgs {
            url: Some("https://other.example.com".into()),
            ..ConnectionArgs::default()
        };
        let e = configured
            .site(&file, std::slice::from_ref(&dc), None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("h.example.com") && e.contains("other.example.com"),
            "{e}"
        );
        let bare = ConnectionArgs {
            url: Some("https://h.example.com".into()),
            ..ConnectionArgs::default()
        };
        assert_eq!(
            bare.site(&file, std::slice::from_ref(&dc), None)
                .unwrap()
                .url(),
            "https://h.example.com/confluence"
        );
        let two = [dc.clone(), site("https://x.atlassian.net/wiki/spaces/A")];
        assert!(none.site(&file, &two, None).is_err());
        assert!(none.site(&file, &[], None).is_err());
        assert_eq!(
            none.site(&file, &[], Some("https://s.example.com/c"))
                .unwrap()
                .url(),
            "https://s.example.com/c"
        );
    }
}
