//! Argument definitions and dispatch. Parsing does no I/O; each command
//! resolves its own settings when it runs.
pub mod adopt;
pub mod args;
pub mod commands;
pub mod config;
pub mod connect;
pub mod diagnose;
pub mod interrupt;
pub mod logging;
pub mod progress;
pub mod python_settings;
pub mod report;
pub mod urls;
use crate::cli::report::render_error;
use clap::{CommandFactory as _, Parser, Subcommand};
use std::io::Write as _;
use std::process::ExitCode;

/// Export Confluence pages and spaces to Markdown, incrementally.
#[derive(Debug, Parser)]
#[command(
    name = "confluence-markdown-exporter",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  cme demo                                   # try it: no Confluence, no setup
  export CME_EMAIL=me@example.com CME_API_TOKEN=...    # Cloud
  export CME_PAT=...                                   # Data Center
  cme spaces https://example.atlassian.net/wiki/spaces/ENG -o ./docs
  cme pages https://wiki.example.com/confluence/display/ENG/Runbook -o ./docs
  cme sync -o ./docs                         # later: fetch only what changed

Each command's --help lists the URL forms it accepts. `cme completions bash` prints shell completions."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    log: crate::cli::logging::LogArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert one storage-format document to Markdown on stdout (no network)
    // The export commands' `--comments` and front matter mean nothing to one
    // document: not offered (a `--comments` given is refused with a reason).
    #[command(
        mut_arg("comments", |a| a.hide(true)),
        mut_arg("front_matter", |a| a.hide(true)),
        mut_arg("no_front_matter", |a| a.hide(true))
    )]
    #[command(after_help = "Examples:
  cme convert page.xml > page.md
  cme convert --link-style wiki page.xml")]
    Convert(commands::convert::ConvertArgs),
    /// Export pages by id or URL
    Pages(commands::export::PagesArgs),
    /// Export pages by id or URL, with every page below them
    PagesWithDescendants(commands::export::PagesArgs),
    /// Export whole spaces
    // `space` is the Python exporter's name for it.
    #[command(alias = "space")]
    Spaces(commands::export::SpacesArgs),
    /// Export every space visible to the account
    AllSpaces(commands::export::AllSpacesArgs),
    /// Bring an export up to date: fetch and rewrite only what changed
    #[command(after_help = "Examples:
  cme sync -o ./docs                 # the site and scopes come from the folder's state
  cme sync -o ./docs --dry-run       # print what would change
  cme sync -o ./docs --json          # the report as JSON (for scripts)

Credentials: CME_EMAIL + CME_API_TOKEN (Cloud) or CME_PAT (Data Center); see `cme config list`.")]
    Sync(commands::sync::SyncArgs),
    /// Show what an output folder tracks (reads only the state file)
    #[command(after_help = "Examples:
  cme status -o ./docs
  cme status -o ./docs --json")]
    Status(commands::status::StatusArgs),
    /// Read or change the settings file (defaults for flags; never tokens)
    Config(commands::config::ConfigArgs),
    /// Export the bundled demo site from an in-process simulator (no setup)
    #[cfg(feature = "demo")]
    Demo(commands::demo::DemoArgs),
    /// The Python exporter's `orgs` (several sites at once): cme exports
    /// one site per output folder, so this prints the commands that do it
    #[command(
        hide = true,
        after_help = "Examples:
  cme orgs https://a.atlassian.net https://b.atlassian.net   # prints the all-spaces commands"
    )]
    Orgs {
        /// Site URLs
        #[arg(num_args = 0..)]
        urls: Vec<String>,
    },
    /// Print a shell completion script
    #[command(after_help = "Examples:
  cme completions bash > ~/.local/share/bash-completion/completions/cme
  cme completions zsh > \"${fpath[1]}/_cme\"
  cme completions fish > ~/.config/fish/completions/cme.fish
  cme completions powershell >> $PROFILE")]
    Completions {
        /// Shell to complete in
        shell: clap_complete::Shell,
    },
}

/// What to run instead of the Python exporter's `orgs`: one export per
/// site, each into its own folder (a folder's state belongs to one site).
fn orgs_equivalent(urls: &[String]) -> String {
    let mut s = String::from(
        "cme has no `orgs`: an export folder holds one site, so export each site into its own folder:",
    );
    let sites: Vec<String> = if urls.is_empty() {
        vec!["https://SITE.atlassian.net".into()]
    } else {
        urls.to_vec()
    };
    for (i, url) in sites.iter().enumerate() {
        let folder = crate::cli::urls::Site::parse(url)
            .map(|s| s.host().replace([':', '/'], "_"))
            .unwrap_or_else(|_| format!("site{}", i + 1));
        s.push_str(&format!(
            "\n  cme all-spaces {} -o ./{folder}",
            crate::terminal::escape(url)
        ));
    }
    s.push_str("\nand later `cme sync -o ./FOLDER` for each.");
    s
}

/// Writes the completion script for the name this program was run as.
fn completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    let name = std::env::args_os()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .filter(|n| n == "cme")
        .unwrap_or_else(|| "confluence-markdown-exporter".to_owned());
    // Into memory first: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), name, &mut script);
    match std::io::stdout().write_all(&script) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

impl Command {
    /// Whether the command runs the pipeline (which stops after the current
    /// file on Ctrl+C, with its state saved).
    fn stops_gracefully(&self) -> bool {
        match self {
            Command::Pages(_)
            | Command::PagesWithDescendants(_)
            | Command::Spaces(_)
            | Command::AllSpaces(_)
            | Command::Sync(_) => true,
            #[cfg(feature = "demo")]
            Command::Demo(_) => true,
            _ => false,
        }
    }
}

/// Entry point shared by both binary names (`confluence-markdown-exporter` and `cme`).
pub fn main() -> ExitCode {
    crate::cli::interrupt::install();
    let cli = Cli::parse();
    if cli.command.stops_gracefully() {
        // These stop cleanly on Ctrl+C, with exit code 130.
        crate::cli::interrupt::graceful();
    }
    if let Err(err) = cli.log.init() {
        let _ = std::io::stderr().write_all(render_error(&err).as_bytes());
        return ExitCode::from(2);
    }
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    let result = match cli.command {
        Command::Convert(args) => done(commands::convert::run(&args)),
        Command::Pages(args) => commands::export::run_pages(&args, false),
        Command::PagesWithDescendants(args) => commands::export::run_pages(&args, true),
        Command::Spaces(args) => commands::export::run_spaces(&args),
        Command::AllSpaces(args) => commands::export::run_all_spaces(&args),
        Command::Sync(args) => commands::sync::run_sync(&args),
        Command::Status(args) => done(commands::status::run(&args)),
        Command::Config(args) => done(commands::config::run(&args)),
        #[cfg(feature = "demo")]
        Command::Demo(args) => commands::demo::run_demo(&args),
        Command::Completions { shell } => done(completions(shell)),
        Command::Orgs { urls } => Err(anyhow::anyhow!(orgs_equivalent(&urls))),
    };
    // 0: done; 1: done, but some items failed (listed); 2: nothing done (an
    // error); 130: interrupted.
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let _ = std::io::stderr().write_all(render_error(&err).as_bytes());
            if err
                .chain()
                .any(|e| e.is::<crate::cli::interrupt::Interrupted>())
            {
                ExitCode::from(130)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn convert_offers_only_the_flags_it_uses() {
        let mut cli = Cli::command();
        let convert = cli.find_subcommand_mut("convert").unwrap();
        let help = convert.render_help().to_string();
        for gone in ["--comments", "--front-matter", "--no-front-matter"] {
            assert!(!help.contains(gone), "{gone} in:\n{help}");
        }
        assert!(help.contains("--link-style"), "{help}");
        let mut cli = Cli::command();
        let spaces = cli.find_subcommand_mut("spaces").unwrap();
        let help = spaces.render_help().to_string();
        assert!(
            help.contains("--comments") && help.contains("--front-matter"),
            "{help}"
        );
    }

    #[test]
    fn every_command_has_examples_in_its_help() {
        for sub in Cli::command().get_subcommands_mut() {
            let name = sub.get_name().to_owned();
            let help = sub.render_help().to_string();
            assert!(
                help.contains("Examples:"),
                "`{name} --help` has no examples"
            );
        }
    }
}
