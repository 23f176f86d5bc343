//! `config`: read and change the settings file (see [`crate::cli::config`]).
use crate::cli::args::connection::{ConnectionArgs, FlavorArg};
use crate::cli::config::{self, Config, SETTINGS};
use crate::cli::connect::{Source, source_of};
use crate::cli::urls::Site;
use crate::terminal::escape;
use anyhow::Result;
use clap::{Args, Subcommand};
use serde::Serialize;

/// Arguments of `config`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cme config set url https://example.atlassian.net
  cme config set email me@example.com
  cme config set flavor dc
  cme config list            # effective values and where each comes from
  cme config list --json

Tokens are never stored in the file: set CME_API_TOKEN (Cloud) or CME_PAT (Data Center).")]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print where the settings file is
    Path,
    /// Print every setting's effective value and where it came from
    /// (flag, environment, file, default); secrets show only whether they are set
    List {
        /// Print JSON: `[{"key", "value", "source"}]`
        #[arg(long)]
        json: bool,
        /// The connection flags to resolve, as an export command takes them
        #[command(flatten)]
        connection: ConnectionArgs,
    },
    /// Print one setting (as stored in the file)
    Get {
        /// Setting name (`url`, `email`, `flavor`, `concurrency`, `link-style`, `alert-style`, `jira-url`)
        key: String,
    },
    /// Change one setting
    #[command(after_help = set_help())]
    Set {
        /// Setting name (see below); `key=value` also works, as the Python
        /// exporter writes it
        key: String,
        /// New value
        value: Option<String>,
    },
    /// Remove one setting (back to its default)
    Unset {
        /// Setting name
        key: String,
    },
    /// Take over the Python confluence-markdown-exporter's settings
    /// (`app_data.json`): store every one cme has, name the rest; tokens
    /// are never copied
    ImportPython {
        /// Its settings file [default: $CME_CONFIG_PATH, else app_data.json
        /// beside this settings file]
        path: Option<std::path::PathBuf>,
        /// Print what would be stored, store nothing
        #[arg(long)]
        dry_run: bool,
    },
}

fn set_help() -> String {
    let mut out = String::from("Settings:\n");
    for info in SETTINGS {
        out.push_str(&format!("  {:<12} {}\n", info.name, info.allowed));
    }
    out
}

/// Runs `config`.
pub fn run(args: &ConfigArgs) -> Result<()> {
    match &args.action {
        // Values come from the settings file (or the environment): escaped,
        // so a value holding terminal escape sequences prints as text.
        Action::Path => println!("{}", escape(&config::path()?.display().to_string())),
        Action::List { json, connection } => {
            let c = Config::load()?;
            let rows = effective(connection, &c);
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    let value = escape(r.value.as_deref().unwrap_or("(not set)"));
                    match r.source {
                        Some(src) => println!("{:<12} = {value}  ({})", r.key, src.label()),
                        None => println!("{:<12} = {value}", r.key),
                    }
                }
            }
        }
        Action::Get { key } => match Config::load()?.get(key)? {
            Some(v) => println!("{}", escape(&v)),
            // Nothing on stdout (a script reads an empty value); why on stderr.
            None => eprintln!("{}", not_set(key)),
        },
        Action::Set { key, value } => {
            let (key, value) = match (value, key.split_once('=')) {
                (Some(v), _) => (key.as_str(), v.as_str()),
                (None, Some((k, v))) => (k, v),
                (None, None) => anyhow::bail!(
                    "`config set {}` needs a value: `cme config set {} VALUE` (or `{}=VALUE`)",
                    crate::terminal::escape(key),
                    crate::terminal::escape(key),
                    crate::terminal::escape(key)
                ),
            };
            let mut c = Config::load()?;
            let before = c.get(key)?;
            c.set(key, Some(value))?;
            c.save()?;
            let after = c.get(key)?.unwrap_or_default();
            println!("{}", said(key, before.as_deref(), &after, value));
        }
        Action::ImportPython { path, dry_run } => {
            let path = match path {
                Some(p) => p.clone(),
                None => crate::cli::python_settings::default_path()?,
            };
            let found = crate::cli::python_settings::read(&path)?;
            let mut c = Config::load()?;
            let verb = if *dry_run { "would set" } else { "set" };
            for m in &found.mapped {
                match c.set(m.key, Some(&m.value)) {
                    Ok(()) => println!("{verb} {} = {} (from {})", m.key, escape(&m.value), m.from),
                    Err(e) => println!("not carried over: {} ({}): {e}", m.from, m.key),
                }
            }
            for (key, why) in &found.skipped {
                println!("not carried over: {key}: {why}");
            }
            if found.had_secrets {
                println!(
                    "its token was not copied (cme keeps none in files): set CME_API_TOKEN (Cloud) or CME_PAT (Data Center)"
                );
            }
            if !*dry_run {
                c.save()?;
            }
        }
        Action::Unset { key } => {
            let mut c = Config::load()?;
            let before = c.get(key)?;
            c.set(key, None)?;
            c.save()?;
            println!(
                "{}",
                match before {
                    Some(_) => format!("{key} removed{}", default_of(key)),
                    None => format!("{key} was not set{}", default_of(key)),
                }
            );
        }
    }
    Ok(())
}

/// What `config set` did, in one line: the value stored (which may be the
/// given one rewritten, e.g. a page URL cut to its site).
fn said(key: &str, before: Option<&str>, after: &str, given: &str) -> String {
    let mut line = format!("{key} = {}", escape(after));
    if after != given.trim() {
        line.push_str(&format!(" (given as `{}`)", escape(given)));
    }
    if before == Some(after) {
        line.push_str(" (unchanged)");
    }
    line
}

/// `; default: X`, or how the value is worked out when none is set.
fn default_of(key: &str) -> String {
    let info = SETTINGS
        .iter()
        .find(|i| i.name == key || i.name == key.replace('_', "-"));
    match (key, info.and_then(|i| i.default)) {
        ("flavor", _) => "; the flavour is detected per site".to_owned(),
        (_, Some(d)) => format!("; default: {d}"),
        (_, None) => String::new(),
    }
}

/// `config get` of a setting the file does not hold.
fn not_set(key: &str) -> String {
    format!("{key} is not set in the settings file{}", default_of(key))
}

/// One line of `config list`: a setting's effective value and its origin.
#[derive(Debug, Serialize)]
pub struct Effective {
    /// Setting name, as `config set` takes it.
    pub key: &'static str,
    /// The value (for secrets only `set`, never the value).
    pub value: Option<String>,
    /// Where it came from; `None` when it is not set at all.
    pub source: Option<Source>,
}

/// Every setting's effective value for these flags, the environment and the
/// settings file. Secrets show as `set`, never as their value.
pub fn effective(conn: &ConnectionArgs, file: &Config) -> Vec<Effective> {
    let pick = |flag: Option<String>, var: Option<&str>, from_file: Option<String>| match (
        flag, from_file,
    ) {
        (Some(v), _) => {
            let src = var.map_or(Source::Flag, |var| source_of(&v, var));
            (Some(v), Some(src))
        }
        (None, Some(v)) => (Some(v), Some(Source::File)),
        (None, None) => (None, None),
    };
    let mut out = Vec::new();
    for info in SETTINGS {
        let (value, source) = match info.name {
            "url" => {
                let (v, src) = pick(conn.url.clone(), info.env, file.url.clone());
                // Shown as the site it names (a pasted page URL is cut to it).
                let v = v.map(|u| Site::parse(&u).map_or(u, |s| s.url()));
                (v, src)
            }
            "email" => pick(conn.email.clone(), info.env, file.email.clone()),
            "flavor" => {
                let flag = conn.flavor.map(|f| {
                    let s = match f {
                        FlavorArg::Cloud => "cloud",
                        FlavorArg::Dc => "dc",
                    };
                    (s.to_owned(), std::env::var("CME_FLAVOR").is_ok())
                });
                match (flag, &file.flavor) {
                    (Some((v, from_env)), _) => (
                        Some(v),
                        Some(if from_env {
                            Source::Environment
                        } else {
                            Source::Flag
                        }),
                    ),
                    (None, Some(v)) => (Some(v.clone()), Some(Source::File)),
                    (None, None) => (None, Some(Source::Detected)),
                }
            }
            "concurrency" => pick(
                conn.concurrency.map(|c| c.to_string()),
                None,
                file.concurrency.map(|c| c.to_string()),
            ),
            "retry-budget" => pick(
                conn.retry_budget.map(|s| s.to_string()),
                info.env,
                file.retry_budget.map(|s| s.to_string()),
            ),
            "jira-url" => match (std::env::var("CME_JIRA_URL").ok(), &file.jira_url) {
                (Some(v), _) if !v.is_empty() => (Some(v), Some(Source::Environment)),
                (_, Some(v)) => (Some(v.clone()), Some(Source::File)),
                _ => (None, None),
            },
            other => (
                file.get(other).ok().flatten(),
                file.get(other).ok().flatten().map(|_| Source::File),
            ),
        };
        let (value, source) = match (value, source, info.default) {
            (None, None, Some(d)) => (Some(d.to_owned()), Some(Source::Default)),
            (None, Some(Source::Detected), _) => (Some("auto".to_owned()), Some(Source::Detected)),
            other => (other.0, other.1),
        };
        out.push(Effective {
            key: info.name,
            value,
            source,
        });
    }
    for (key, flag, var) in [
        ("api-token", &conn.token, "CME_API_TOKEN"),
        ("pat", &conn.pat, "CME_PAT"),
    ] {
        out.push(Effective {
            key,
            value: flag.as_ref().map(|_| "set".to_owned()),
            source: flag.as_deref().map(|v| source_of(v, var)),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_says_what_was_stored() {
        assert_eq!(said("concurrency", None, "4", "4"), "concurrency = 4");
        assert_eq!(
            said(
                "url",
                Some("https://x.atlassian.net"),
                "https://x.atlassian.net",
                "https://x.atlassian.net/wiki/spaces/ENG"
            ),
            "url = https://x.atlassian.net (given as `https://x.atlassian.net/wiki/spaces/ENG`) (unchanged)"
        );
        assert_eq!(
            not_set("flavor"),
            "flavor is not set in the settings file; the flavour is detected per site"
        );
        assert_eq!(
            not_set("link-style"),
            "link-style is not set in the settings file; default: relative"
        );
    }
}
