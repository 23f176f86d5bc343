//! `config`: read and change the settings file (see [`crate::config`]).
use crate::config::{self, Config, SETTINGS};
use crate::settings::{ConnectionArgs, effective};
use anyhow::Result;
use clap::{Args, Subcommand};

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
        /// Setting name (see below)
        key: String,
        /// New value
        value: String,
    },
    /// Remove one setting (back to its default)
    Unset {
        /// Setting name
        key: String,
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
        Action::Path => println!("{}", config::path()?.display()),
        Action::List { json, connection } => {
            let c = Config::load()?;
            let rows = effective(connection, &c);
            if *json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    let value = r.value.as_deref().unwrap_or("(not set)");
                    match r.source {
                        Some(src) => println!("{:<12} = {value}  ({})", r.key, src.label()),
                        None => println!("{:<12} = {value}", r.key),
                    }
                }
            }
        }
        Action::Get { key } => {
            if let Some(v) = Config::load()?.get(key)? {
                println!("{v}");
            }
        }
        Action::Set { key, value } => {
            let mut c = Config::load()?;
            c.set(key, Some(value))?;
            c.save()?;
        }
        Action::Unset { key } => {
            let mut c = Config::load()?;
            c.set(key, None)?;
            c.save()?;
        }
    }
    Ok(())
}
