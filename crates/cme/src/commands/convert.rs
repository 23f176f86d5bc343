//! `convert`: one storage-format document to Markdown, offline.
//!
//! Links stay Confluence targets (see `cme_convert::OfflineContext`), so the
//! output shows exactly what the converter does without a site behind it.
use super::markdown_args::MarkdownArgs;
use crate::config::Config;
use anyhow::{Context as _, Result};
use clap::Args;
use cme_convert::{Context, CurrentPage, OfflineContext, Options, SpaceKey};
use std::io::{Read as _, Write as _};
use std::path::PathBuf;

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Storage-format file to convert; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// Emit this title as a leading `# Title` heading
    #[arg(long)]
    title: Option<String>,
    /// Space key of the page, used for links that name no space
    #[arg(long, value_name = "KEY")]
    space: Option<String>,
    #[command(flatten)]
    markdown: MarkdownArgs,
    /// Do not print conversion warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs) -> Result<()> {
    let input = read_input(args.input.as_ref())?;
    let (options, jira) = args.markdown.resolve(&Config::load()?);
    let ctx = Offline {
        inner: OfflineContext {
            current: Some(CurrentPage {
                title: args.title.clone().unwrap_or_default(),
                space: args.space.clone().map(SpaceKey),
            }),
        },
        jira,
    };
    let opts = Options {
        title: args.title.clone(),
        ..options
    };
    let out = cme_convert::convert(&input, &ctx, &opts);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.markdown.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    if !args.quiet {
        let mut stderr = std::io::stderr().lock();
        for w in &out.warnings {
            let _ = writeln!(stderr, "warning: {}", w.message);
        }
    }
    Ok(())
}

/// The offline context plus the one fact a flag can supply.
struct Offline {
    inner: OfflineContext,
    jira: Option<String>,
}

impl Context for Offline {
    fn current_page(&self) -> Option<CurrentPage> {
        self.inner.current_page()
    }
    fn jira_base_url(&self) -> Option<String> {
        self.jira.clone()
    }
}

fn read_input(path: Option<&PathBuf>) -> Result<String> {
    let bytes = match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).with_context(|| format!("cannot read `{}`", p.display()))?
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            buf
        }
    };
    // Storage format is UTF-8; a stray invalid byte must not lose the page.
    Ok(String::from_utf8(bytes)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}
