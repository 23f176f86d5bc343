//! The settings file: defaults for flags, so a cron line can be just
//! `cme sync -o ./docs`. Precedence: flag, then environment, then this file,
//! then the built-in default. Tokens are never stored here: they come from
//! the environment (or a flag), so the file is safe to share and commit.
use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Every setting the file can hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Site URL.
    pub url: Option<String>,
    /// Cloud account e-mail.
    pub email: Option<String>,
    /// `cloud` or `dc`.
    pub flavor: Option<String>,
    /// Requests in flight at once.
    pub concurrency: Option<u16>,
    /// `markdown` or `wiki`.
    pub link_style: Option<String>,
    /// `gfm` or `blockquote`.
    pub alert_style: Option<String>,
    /// Jira base URL.
    pub jira_url: Option<String>,
}

/// Setting names, as `config set` takes them.
pub const KEYS: &[&str] = &[
    "url",
    "email",
    "flavor",
    "concurrency",
    "link-style",
    "alert-style",
    "jira-url",
];

/// Where the file lives: `$CME_CONFIG`, else
/// `$XDG_CONFIG_HOME/confluence-markdown-exporter/config.toml`, else the same
/// under `~/.config`.
pub fn path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CME_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .context("cannot find a configuration folder: set `CME_CONFIG` or `HOME`")?;
    Ok(base
        .join("confluence-markdown-exporter")
        .join("config.toml"))
}

impl Config {
    /// Loads the file; a missing file is an empty configuration.
    pub fn load() -> Result<Self> {
        let path = path()?;
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        toml::from_str(&text)
            .with_context(|| format!("`{}` is not a valid configuration", path.display()))
    }

    /// Writes the file atomically.
    pub fn save(&self) -> Result<()> {
        let path = path()?;
        let text = toml::to_string_pretty(self).context("cannot serialise the configuration")?;
        crate::state::write_atomic(&path, text.as_bytes(), crate::state::Durability::Fsync)
    }

    /// A setting's value, as text.
    pub fn get(&self, key: &str) -> Result<Option<String>> {
        Ok(match key {
            "url" => self.url.clone(),
            "email" => self.email.clone(),
            "flavor" => self.flavor.clone(),
            "concurrency" => self.concurrency.map(|c| c.to_string()),
            "link-style" => self.link_style.clone(),
            "alert-style" => self.alert_style.clone(),
            "jira-url" => self.jira_url.clone(),
            other => bail!("{}", unknown_key(other)),
        })
    }

    /// Sets (or with `None` clears) a setting, validating its value.
    pub fn set(&mut self, key: &str, value: Option<&str>) -> Result<()> {
        let v = value.map(str::trim).map(str::to_owned);
        let one_of = |v: &Option<String>, allowed: &[&str]| -> Result<()> {
            match v {
                Some(x) if !allowed.contains(&x.as_str()) => {
                    bail!(
                        "`{key}` must be one of `{}`, not `{x}`",
                        allowed.join("`, `")
                    )
                }
                _ => Ok(()),
            }
        };
        match key {
            "url" | "jira-url" => {
                if let Some(u) = &v
                    && !(u.starts_with("https://") || u.starts_with("http://"))
                {
                    bail!("`{key}` must start with `https://` or `http://`");
                }
                if v.as_deref().is_some_and(|u| {
                    u.split("://")
                        .nth(1)
                        .is_some_and(|r| r.split('/').next().unwrap_or("").contains('@'))
                }) {
                    bail!("`{key}` must not contain credentials; use `CME_API_TOKEN` or `CME_PAT`");
                }
                if key == "url" {
                    self.url = v;
                } else {
                    self.jira_url = v;
                }
            }
            "email" => self.email = v,
            "flavor" => {
                one_of(&v, &["cloud", "dc"])?;
                self.flavor = v;
            }
            "concurrency" => {
                self.concurrency = match v {
                    None => None,
                    Some(x) => match x.parse::<u16>() {
                        Ok(n @ 1..=64) => Some(n),
                        _ => bail!("`concurrency` must be a number from 1 to 64, not `{x}`"),
                    },
                }
            }
            "link-style" => {
                one_of(&v, &["markdown", "wiki"])?;
                self.link_style = v;
            }
            "alert-style" => {
                one_of(&v, &["gfm", "blockquote"])?;
                self.alert_style = v;
            }
            "token" | "api-token" | "pat" | "password" => bail!(
                "tokens are not stored in the configuration file; set `CME_API_TOKEN` (Cloud) or `CME_PAT` (Data Center) in the environment"
            ),
            other => bail!("{}", unknown_key(other)),
        }
        Ok(())
    }
}

fn unknown_key(k: &str) -> String {
    format!(
        "unknown setting `{k}`; settings are `{}`",
        KEYS.join("`, `")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_validates_and_get_reads_back() {
        let mut c = Config::default();
        c.set("url", Some("https://x.atlassian.net")).unwrap();
        c.set("flavor", Some("dc")).unwrap();
        c.set("concurrency", Some("16")).unwrap();
        assert_eq!(
            c.get("url").unwrap().as_deref(),
            Some("https://x.atlassian.net")
        );
        assert_eq!(c.get("concurrency").unwrap().as_deref(), Some("16"));
        assert!(c.set("flavor", Some("server")).is_err());
        assert!(c.set("concurrency", Some("0")).is_err());
        assert!(c.set("url", Some("ftp://x")).is_err());
        assert!(
            c.set("url", Some("https://me:secret@x.atlassian.net"))
                .is_err()
        );
        let err = c.set("token", Some("secret")).unwrap_err().to_string();
        assert!(
            err.contains("CME_API_TOKEN") && !err.contains("secret"),
            "{err}"
        );
        assert!(c.get("nope").is_err());
        c.set("flavor", None).unwrap();
        assert_eq!(c.get("flavor").unwrap(), None);
        let text = toml::to_string_pretty(&c).unwrap();
        assert_eq!(toml::from_str::<Config>(&text).unwrap(), c);
    }

    #[test]
    fn unknown_fields_in_the_file_are_an_error() {
        assert!(toml::from_str::<Config>("tokne = \"x\"").is_err());
    }
}
