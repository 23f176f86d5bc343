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
    /// Whether Jira is asked for issue summaries, statuses and lists.
    pub jira_fetch: Option<bool>,
    /// Page path template.
    pub page_path: Option<String>,
    /// Path template for pages with children.
    pub parent_page_path: Option<String>,
    /// Path template for each space's home page.
    pub home_page_path: Option<String>,
    /// Attachment path template.
    pub attachment_path: Option<String>,
    /// `referenced`, `all` or `none`.
    pub attachments: Option<String>,
    /// Whether pages get a line of ancestor links.
    pub breadcrumbs: Option<bool>,
    /// Seconds a failing request is retried for (429, 5xx, network).
    pub retry_budget: Option<u64>,
}

/// What `config set` takes for one setting, for help and error messages.
#[derive(Debug, Clone, Copy)]
pub struct SettingInfo {
    /// Name, as `config set` takes it.
    pub name: &'static str,
    /// Allowed values, in words.
    pub allowed: &'static str,
    /// The environment variable that overrides it, if any.
    pub env: Option<&'static str>,
    /// The built-in default, if any.
    pub default: Option<&'static str>,
}

/// Every setting the file can hold, in `config list` order.
pub const SETTINGS: &[SettingInfo] = &[
    SettingInfo {
        name: "url",
        allowed: "the site URL, `https://...` or `http://...`",
        env: Some("CME_URL"),
        default: None,
    },
    SettingInfo {
        name: "email",
        allowed: "the Cloud account's e-mail address",
        env: Some("CME_EMAIL"),
        default: None,
    },
    SettingInfo {
        name: "flavor",
        allowed: "`cloud` or `dc` (also `datacenter`, `data-center`, `server`)",
        env: Some("CME_FLAVOR"),
        default: None,
    },
    SettingInfo {
        name: "concurrency",
        allowed: "a number from 1 to 64",
        env: None,
        default: Some("24, growing to 64 while the site does not throttle"),
    },
    SettingInfo {
        name: "link-style",
        allowed: "`relative` (also `markdown`), `absolute` or `wiki`",
        env: None,
        default: Some("relative"),
    },
    SettingInfo {
        name: "alert-style",
        allowed: "`gfm` or `blockquote`",
        env: None,
        default: Some("gfm"),
    },
    SettingInfo {
        name: "jira-url",
        allowed: "the Jira base URL, `https://...` or `http://...`",
        env: Some("CME_JIRA_URL"),
        default: None,
    },
    SettingInfo {
        name: "jira-fetch",
        allowed: "`true` or `false`",
        env: None,
        default: Some("true"),
    },
    SettingInfo {
        name: "page-path",
        allowed: "a page path template, e.g. `{space_key}/{ancestor_titles}/{page_title}.md`",
        env: None,
        default: None,
    },
    SettingInfo {
        name: "parent-page-path",
        allowed: "a path template for pages with children, e.g. `{space_key}/{ancestor_titles}/{page_title}/index.md`",
        env: None,
        default: None,
    },
    SettingInfo {
        name: "home-page-path",
        allowed: "a path template for each space's home page, e.g. `{space_key}/index.md`",
        env: None,
        default: None,
    },
    SettingInfo {
        name: "attachment-path",
        allowed: "an attachment path template, e.g. `{space_key}/files/{attachment_id}{attachment_extension}`",
        env: None,
        default: None,
    },
    SettingInfo {
        name: "attachments",
        allowed: "`referenced`, `all` or `none`",
        env: None,
        default: Some("referenced"),
    },
    SettingInfo {
        name: "breadcrumbs",
        allowed: "`true` or `false`",
        env: None,
        default: Some("false"),
    },
    SettingInfo {
        name: "retry-budget",
        allowed: "seconds a failing request is retried for, from 0 to 86400",
        env: Some("CME_RETRY_BUDGET"),
        default: Some("300"),
    },
];

/// Setting names, as `config set` takes them.
pub const KEYS: &[&str] = &[
    "url",
    "email",
    "flavor",
    "concurrency",
    "link-style",
    "alert-style",
    "jira-url",
    "jira-fetch",
    "page-path",
    "parent-page-path",
    "home-page-path",
    "attachment-path",
    "attachments",
    "breadcrumbs",
    "retry-budget",
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
        Self::parse(&text)
            .with_context(|| format!("`{}` is not a valid configuration", path.display()))
    }

    /// Parses the file's text. Errors give the line, column and key but
    /// never quote the file: toml's own message shows the offending line,
    /// which may hold a token someone pasted there.
    pub fn parse(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| anyhow::anyhow!(describe_toml_error(text, &e)))
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
            "page-path" | "page_path" => self.page_path.clone(),
            "parent-page-path" | "parent_page_path" => self.parent_page_path.clone(),
            "home-page-path" | "home_page_path" => self.home_page_path.clone(),
            "attachment-path" | "attachment_path" => self.attachment_path.clone(),
            "attachments" => self.attachments.clone(),
            "breadcrumbs" => self.breadcrumbs.map(|b| b.to_string()),
            "jira-fetch" => self.jira_fetch.map(|b| b.to_string()),
            "retry-budget" => self.retry_budget.map(|s| s.to_string()),
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
                    // Any page URL names the site: keep only that part.
                    self.url = match v {
                        Some(u) => Some(
                            crate::cli::urls::Site::parse(&u)
                                .map_err(anyhow::Error::new)?
                                .url(),
                        ),
                        None => None,
                    };
                } else {
                    self.jira_url = v;
                }
            }
            "email" => {
                if let Some(e) = &v
                    && !is_email(e)
                {
                    bail!("`email` must be an e-mail address such as `me@example.com`, not `{e}`");
                }
                self.email = v;
            }
            "flavor" => {
                self.flavor = match &v {
                    None => None,
                    Some(x) => match x.parse::<cme_client::Flavor>() {
                        Ok(f) => Some(f.to_string()),
                        Err(_) => bail!(
                            "`flavor` must be one of `cloud`, `dc` (also `datacenter`, `data-center`, `server`), not `{x}`"
                        ),
                    },
                };
            }
            "retry-budget" => {
                self.retry_budget = match v {
                    None => None,
                    Some(x) => match x.parse::<u64>() {
                        Ok(n @ 0..=86_400) => Some(n),
                        _ => bail!("`retry-budget` must be a number of seconds from 0 to 86400"),
                    },
                }
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
                one_of(&v, &["markdown", "relative", "absolute", "wiki"])?;
                self.link_style = v;
            }
            "page-path" | "page_path" | "parent-page-path" | "parent_page_path"
            | "home-page-path" | "home_page_path" => {
                if let Some(t) = v.as_deref().filter(|t| *t != "default") {
                    crate::options::template::PathTemplate::parse(
                        t,
                        crate::options::template::Kind::Page,
                    )?;
                }
                if key.starts_with("page") {
                    self.page_path = v;
                } else if key.starts_with("home") {
                    self.home_page_path = v;
                } else {
                    self.parent_page_path = v;
                }
            }
            "attachment-path" | "attachment_path" => {
                if let Some(t) = v.as_deref().filter(|t| *t != "default") {
                    crate::options::template::PathTemplate::parse(
                        t,
                        crate::options::template::Kind::Attachment,
                    )?;
                }
                self.attachment_path = v;
            }
            "attachments" => {
                one_of(&v, &["referenced", "all", "none", "disabled"])?;
                self.attachments = v.map(|m| {
                    if m == "disabled" {
                        "none".to_owned()
                    } else {
                        m
                    }
                });
            }
            "jira-fetch" => {
                self.jira_fetch = match v.as_deref() {
                    None => None,
                    Some("true" | "yes" | "on") => Some(true),
                    Some("false" | "no" | "off") => Some(false),
                    Some(x) => bail!("`jira-fetch` must be `true` or `false`, not `{x}`"),
                };
            }
            "breadcrumbs" => {
                self.breadcrumbs = match v.as_deref() {
                    None => None,
                    Some("true" | "yes" | "on") => Some(true),
                    Some("false" | "no" | "off") => Some(false),
                    Some(x) => bail!("`breadcrumbs` must be `true` or `false`, not `{x}`"),
                };
            }
            "alert-style" => {
                one_of(&v, &["gfm", "blockquote"])?;
                self.alert_style = v;
            }
            k if is_secret_key(k) => bail!(
                "tokens are not stored in the configuration file; set `CME_API_TOKEN` (Cloud) or `CME_PAT` (Data Center) in the environment"
            ),
            other => bail!("{}", unknown_key(other)),
        }
        Ok(())
    }
}

fn unknown_key(k: &str) -> String {
    let mut out = format!("unknown setting `{k}`; the settings are:");
    for info in SETTINGS {
        out.push_str(&format!("\n  {:<12} {}", info.name, info.allowed));
    }
    out
}

/// Keys whose values must never be shown: tokens, PATs, passwords,
/// secrets (`api-token`, `api_token`, `pat`, `password`; not `path`).
pub fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    k.split(|c: char| !c.is_ascii_alphanumeric()).any(|word| {
        word == "pat"
            || ["token", "password", "passwd", "secret", "credential"]
                .iter()
                .any(|s| word.contains(s))
    })
}

/// A light check that catches a URL or a name typed as the e-mail.
fn is_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.starts_with('.')
                && domain.contains('.')
                && !domain.ends_with('.')
                && !s.contains(char::is_whitespace)
                && !domain.contains('@')
                && !s.contains('/')
        }
        None => false,
    }
}

/// toml's error without the quoted source: where it is, which key, and
/// toml's one-line message with every value it quotes left out (a type
/// error names the value: a token pasted under the wrong key would be
/// printed), and any message of a secret-looking key replaced.
fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let Some(span) = err.span() else {
        return "the file is not valid TOML".to_owned();
    };
    let start = span.start.min(text.len());
    let before = &text[..start];
    let line_no = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..start].chars().count() + 1;
    let line = text[line_start..].lines().next().unwrap_or("");
    let key = line
        .split_once('=')
        .map(|(k, _)| k.trim().trim_matches('"').trim_matches('\''))
        .filter(|k| !k.is_empty() && !k.starts_with('['))
        .filter(|k| shown_key(k));
    let mut message = without_values(err.message().trim(), key);
    if let Some(k) = key {
        if is_secret_key(k) {
            // Blank whatever of the value the message repeats.
            if let Some((_, value)) = line.split_once('=') {
                let value = value.trim().trim_matches('"').trim_matches('\'');
                if !value.is_empty() {
                    message = message.replace(value, "***");
                }
            }
            if message.contains("unknown field") {
                message = "tokens are not stored in the configuration file; set `CME_API_TOKEN` (Cloud) or `CME_PAT` (Data Center) in the environment".to_owned();
            }
        }
        format!("line {line_no}, column {column}, key `{k}`: {message}")
    } else {
        format!("line {line_no}, column {column}: {message}")
    }
}

/// Whether a key of the file may be named in an error: a setting, or
/// something short enough to be a typo of one. A long one may be a token
/// pasted on the wrong line (API tokens and PATs are 44 characters or more).
fn shown_key(k: &str) -> bool {
    KEYS.contains(&k)
        || (k.len() <= 32
            && k.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
}

/// `message` with what it quotes blanked (`"…"`, `` `…` ``), except the
/// names of settings, the `key` at fault and punctuation (`` `=` ``):
/// those are not values.
fn without_values(message: &str, key: Option<&str>) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(['`', '"']) {
        out.push_str(&rest[..i]);
        let quote = rest.as_bytes()[i] as char;
        let after = &rest[i + 1..];
        // The closing quote; `\"` inside a double-quoted value is escaped.
        let mut end = None;
        let mut escaped = false;
        for (j, c) in after.char_indices() {
            match c {
                '\\' if quote == '"' && !escaped => escaped = true,
                c if c == quote && !escaped => {
                    end = Some(j);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(end) = end else {
            // Unbalanced: nothing after it is shown.
            out.push(quote);
            out.push('…');
            return out;
        };
        let inner = &after[..end];
        let named = KEYS.contains(&inner)
            || SETTINGS.iter().any(|s| s.name == inner)
            || key == Some(inner)
            || (quote == '`'
                && inner.chars().count() <= 2
                && !inner.chars().any(char::is_alphanumeric));
        out.push(quote);
        out.push_str(if named { inner } else { "…" });
        out.push(quote);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
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
        c.set(
            "url",
            Some("https://h.example.com/confluence/display/ENG/Page"),
        )
        .unwrap();
        assert_eq!(
            c.get("url").unwrap().as_deref(),
            Some("https://h.example.com/confluence")
        );
        c.set("flavor", Some("Data-Center")).unwrap();
        assert_eq!(c.get("flavor").unwrap().as_deref(), Some("dc"));
        assert!(c.set("flavor", Some("onprem")).is_err());
        assert!(c.set("email", Some("me@example.com")).is_ok());
        for bad in [
            "me",
            "me@",
            "@x.com",
            "me@x",
            "https://x.atlassian.net",
            "a b@x.com",
        ] {
            assert!(c.set("email", Some(bad)).is_err(), "{bad}");
        }
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
        assert!(Config::parse("tokne = \"x\"").is_err());
        let e = Config::parse("url = \"https://x\"\nlink-stlye = \"wiki\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 2") && e.contains("`link-stlye`"), "{e}");
    }

    #[test]
    fn parse_errors_never_show_a_secret_value() {
        let secret = "ATATT3xFfGF0-hunter2";
        for text in [
            format!("url = \"https://x\"\napi_token = {secret}\n"),
            format!("token = \"{secret}\"\n"),
            format!("pat = \"{secret}\n"),
            format!("[auth]\npassword = {secret} x\n"),
            format!("email = \"a@b.c\"\nsecret = [\"{secret}\"\n"),
        ] {
            let e = Config::parse(&text).unwrap_err().to_string();
            assert!(!e.contains("hunter2"), "{text:?} gave {e}");
            assert!(e.contains("line "), "{e}");
        }
        let e = Config::parse(&format!("token = \"{secret}\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("key `token`") && e.contains("CME_API_TOKEN"),
            "{e}"
        );
    }

    /// A value in the wrong key (a token where a number or a flag goes)
    /// is never printed, whatever the type error.
    #[test]
    fn type_errors_never_quote_the_value() {
        // Shortened; real ones are 44 (PAT) to 192 (API token) characters.
        let secret = "ATATT3xFfGF0-hunter2";
        for text in [
            format!("concurrency = \"{secret}\"\n"),
            format!("breadcrumbs = \"{secret}\"\n"),
            format!("url = [\"{secret}\"]\n"),
            format!("email = {{ a = \"{secret}\" }}\n"),
            format!("link-style = 7{secret}\n"),
            "concurrency = 1234567890123\n".to_owned(),
            "concurrency = -5\n".to_owned(),
            format!("url = \"https://x\"\n\"{secret}{secret}{secret}\" = 1\n"),
            format!("url = \"https://x\"\n{secret}{secret}{secret} = 1\n"),
        ] {
            let e = Config::parse(&text).unwrap_err().to_string();
            for part in ["hunter2", "ATATT", "1234567890123", "-5"] {
                assert!(!e.contains(part), "{text:?} gave {e}");
            }
            assert!(e.contains("line "), "{e}");
        }
        let e = Config::parse(&format!("concurrency = \"{secret}\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("key `concurrency`") && e.contains("string"),
            "{e}"
        );
        assert_eq!(
            without_values(
                "unknown field `link-stlye`, expected one of `url`, `email`",
                Some("link-stlye")
            ),
            "unknown field `link-stlye`, expected one of `url`, `email`"
        );
        assert_eq!(
            without_values(
                "invalid type: string \"a\\\"b\", expected `=` or `x1`",
                None
            ),
            "invalid type: string \"…\", expected `=` or `…`"
        );
    }

    #[test]
    fn secret_keys_are_recognised_by_their_words() {
        for k in [
            "token",
            "api-token",
            "API_TOKEN",
            "apitoken",
            "pat",
            "my.pat",
            "password",
            "client-secret",
        ] {
            assert!(is_secret_key(k), "{k}");
        }
        for k in ["url", "path", "output-path", "email", "pattern", "flavor"] {
            assert!(!is_secret_key(k), "{k}");
        }
    }

    #[test]
    fn a_bad_key_lists_every_setting_and_its_values() {
        let e = Config::default()
            .set("colour", Some("x"))
            .unwrap_err()
            .to_string();
        for info in SETTINGS {
            assert!(e.contains(info.name) && e.contains(info.allowed), "{e}");
        }
    }
}
