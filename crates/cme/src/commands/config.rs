//! `config`: read and change the settings file (see [`crate::config`]).
use crate::config::{self, Config, KEYS};
use anyhow::Result;
use clap::{Args, Subcommand};

/// Arguments of `config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Print where the settings file is
    Path,
    /// Print every setting
    List,
    /// Print one setting
    Get {
        /// Setting name (`url`, `email`, `flavor`, `concurrency`, `link-style`, `alert-style`, `jira-url`)
        key: String,
    },
    /// Change one setting
    Set {
        /// Setting name
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

/// Runs `config`.
pub fn run(args: &ConfigArgs) -> Result<()> {
    match &args.action {
        Action::Path => println!("{}", config::path()?.display()),
        Action::List => {
            let c = Config::load()?;
            for key in KEYS {
                match c.get(key)? {
                    Some(v) => println!("{key} = {v}"),
                    None => println!("{key} (not set)"),
                }
            }
            // Only whether they are set: values never leave the environment.
            for var in ["CME_API_TOKEN", "CME_PAT"] {
                let set = std::env::var_os(var).is_some_and(|v| !v.is_empty());
                println!(
                    "{var} {}",
                    if set {
                        "(set in the environment)"
                    } else {
                        "(not set)"
                    }
                );
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
