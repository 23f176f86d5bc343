//! Errors that name their cause: a 404 or 401 from the site is read against
//! what cme assumed (the site's URL, its flavour and why, the credentials
//! sent), so a missing context path, a plain web server or a wrong
//! `--flavor` is not reported as a missing space or a bad token.
use cme_client::{Client, Credentials, Flavor, RestRoot};
use std::sync::Mutex;

/// Why the client took the site for the flavour it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlavorReason {
    /// `--flavor`, `CME_FLAVOR` or the settings file said so.
    Named,
    /// The host is on atlassian.net.
    Host,
    /// Only a personal access token was given.
    Pat,
    /// The output folder's state recorded it.
    Recorded,
    /// The unauthenticated probe of `/_edge/tenant_info` told.
    Probed,
}

impl FlavorReason {
    /// The first that decided: a name, the host, the credentials, the
    /// state, else the probe.
    pub fn of(named: bool, host: bool, credentials: bool, known: bool) -> Self {
        match () {
            () if named => FlavorReason::Named,
            () if host => FlavorReason::Host,
            () if credentials => FlavorReason::Pat,
            () if known => FlavorReason::Recorded,
            () => FlavorReason::Probed,
        }
    }
}

/// What was sent, in words (never the secret itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// E-mail (or user name) and API token.
    Basic,
    /// A personal access token.
    Bearer,
    /// Nothing (`--anonymous`).
    Anonymous,
}

impl Sent {
    /// The kind of credentials, never their value.
    pub fn of(c: &Credentials) -> Self {
        match c {
            Credentials::Basic { .. } => Sent::Basic,
            Credentials::Bearer(_) => Sent::Bearer,
            _ => Sent::Anonymous,
        }
    }
}

/// What the client was built on, for messages about its failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumed {
    /// The site URL requests went to.
    pub site: String,
    pub flavor: Flavor,
    pub why: FlavorReason,
    pub sent: Sent,
}

static ASSUMED: Mutex<Option<Assumed>> = Mutex::new(None);

/// Remembers what the client of this run assumed (`cli::connect` calls it).
pub fn record(a: Assumed) {
    *ASSUMED.lock().unwrap_or_else(|e| e.into_inner()) = Some(a);
}

fn assumed() -> Option<Assumed> {
    ASSUMED.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

fn flavor_name(f: Flavor) -> &'static str {
    match f {
        Flavor::Cloud => "Confluence Cloud",
        _ => "Data Center",
    }
}

impl Assumed {
    fn why(&self) -> &'static str {
        match (self.why, self.flavor) {
            (FlavorReason::Named, _) => "as `--flavor`, `CME_FLAVOR` or the settings file says",
            (FlavorReason::Host, _) => "its host is on atlassian.net",
            (FlavorReason::Pat, _) => "only a personal access token was given",
            (FlavorReason::Recorded, _) => "as the output folder's state records",
            (FlavorReason::Probed, Flavor::Cloud) => "it answers Cloud's `/_edge/tenant_info`",
            (FlavorReason::Probed, _) => "it does not answer Cloud's `/_edge/tenant_info`",
        }
    }

    /// `cme took `URL` for Data Center (why)`.
    fn took(&self) -> String {
        format!(
            "cme took `{}` for {} ({})",
            self.site,
            flavor_name(self.flavor),
            self.why()
        )
    }

    /// The flag that says the other flavour, and what that flavour takes.
    fn other(&self) -> (&'static str, &'static str, &'static str) {
        match self.flavor {
            Flavor::Cloud => (
                "Data Center",
                "--flavor dc",
                "a personal access token in `CME_PAT`",
            ),
            _ => (
                "Confluence Cloud",
                "--flavor cloud",
                "`CME_EMAIL` and `CME_API_TOKEN`",
            ),
        }
    }

    /// The hint under a 401: the flavour assumed, why, what was sent, and
    /// how to say the other flavour.
    pub fn refused_hint(&self) -> String {
        let sent = match self.sent {
            Sent::Basic => "an e-mail and API token",
            Sent::Bearer => "a personal access token",
            Sent::Anonymous => "no credentials (`--anonymous`)",
        };
        let (other, flag, takes) = self.other();
        format!(
            "hint: {} and sent {sent}; if it is {other}, pass `{flag}` with {takes}",
            self.took()
        )
    }

    /// The message for a site where no Confluence REST API answers.
    pub fn absent_message(&self, path: &str, status: Option<u16>) -> String {
        let answer = match status {
            Some(s) => format!("HTTP {s}"),
            None => "not a Confluence answer".to_owned(),
        };
        let (other, flag, _) = self.other();
        format!(
            "no Confluence REST API answers at `{site}` ({answer} for `{path}`)\n\
             hint: if Confluence is served under a context path, include it in the URL, e.g. `{site}/confluence`\n\
             hint: {took}; if it is {other}, pass `{flag}`",
            site = self.site,
            took = self.took(),
        )
    }
}

/// The client error a failure comes from, if any.
fn client_error(err: &anyhow::Error) -> Option<&cme_client::Error> {
    err.chain()
        .find_map(|e| e.downcast_ref::<cme_client::Error>())
}

/// Rewrites a run's error when the site's answer says more than the error:
/// a 401 gains the flavour assumed and how to change it; a 404 is checked
/// against the REST root (one request), and when no Confluence REST API
/// answers there, says so. Anything else is returned as it was.
pub fn explain(client: &Client, err: anyhow::Error) -> anyhow::Error {
    let Some(assumed) = assumed() else {
        return err;
    };
    match client_error(&err) {
        Some(cme_client::Error::Unauthorized { .. }) => {
            anyhow::anyhow!("{err:#}\n{}", assumed.refused_hint())
        }
        Some(cme_client::Error::NotFound { .. }) => {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return err;
            };
            match crate::cli::interrupt::until_interrupted(&rt, client.rest_root()) {
                Ok(Ok(RestRoot::Absent { path, status })) => {
                    anyhow::anyhow!("{}", assumed.absent_message(&path, status))
                }
                Ok(Ok(RestRoot::Refused)) => {
                    anyhow::anyhow!("{err:#}\n{}", assumed.refused_hint())
                }
                _ => err,
            }
        }
        _ => err,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dc() -> Assumed {
        Assumed {
            site: "https://wiki.example.com".into(),
            flavor: Flavor::DataCenter,
            why: FlavorReason::Probed,
            sent: Sent::Basic,
        }
    }

    #[test]
    fn a_refusal_names_the_flavour_assumed_and_the_other_one() {
        assert_eq!(
            dc().refused_hint(),
            "hint: cme took `https://wiki.example.com` for Data Center (it does not answer \
             Cloud's `/_edge/tenant_info`) and sent an e-mail and API token; if it is Confluence \
             Cloud, pass `--flavor cloud` with `CME_EMAIL` and `CME_API_TOKEN`"
        );
        let cloud = Assumed {
            flavor: Flavor::Cloud,
            why: FlavorReason::Named,
            ..dc()
        };
        assert!(
            cloud.refused_hint().ends_with(
                "if it is Data Center, pass `--flavor dc` with a personal access token in `CME_PAT`"
            ),
            "{}",
            cloud.refused_hint()
        );
    }
}
