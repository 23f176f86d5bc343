//! `spaces` and `all-spaces`: full exports into an output folder.
use super::markdown_args::MarkdownArgs;
use crate::config::Config;
use crate::export::{ExportReport, ExportRequest, Selection, export};
use crate::settings::ConnectionArgs;
use anyhow::Result;
use clap::Args;
use cme_client::{Client, PageId, SpaceKey};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Options shared by every export command.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Folder to export into (created if missing)
    #[arg(long, short = 'o', default_value = ".", value_name = "PATH")]
    pub output_path: PathBuf,
    /// Add this scope to an existing export instead of refusing
    #[arg(long)]
    pub append: bool,
    /// Also print the report as JSON on stdout
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub markdown: MarkdownArgs,
}

/// Arguments of `spaces`.
#[derive(Debug, Args)]
pub struct SpacesArgs {
    /// Space keys to export
    #[arg(required = true, value_name = "SPACE_KEY")]
    keys: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Arguments of `pages` and `pages-with-descendants`.
#[derive(Debug, Args)]
pub struct PagesArgs {
    /// Page ids (the number in a page's URL)
    #[arg(required = true, value_name = "PAGE_ID", value_parser = parse_page_id)]
    ids: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Accepts a numeric id, or a page URL containing `/pages/<id>` or `pageId=<id>`.
fn parse_page_id(s: &str) -> Result<String, String> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(s.to_owned());
    }
    let digits_after = |marker: &str| {
        s.split_once(marker)
            .map(|(_, rest)| {
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap_or("")
            })
            .filter(|id| !id.is_empty())
    };
    let from_url = digits_after("pageId=").or_else(|| digits_after("/pages/"));
    from_url
        .map(str::to_owned)
        .ok_or_else(|| format!("`{s}` is not a page id or a page URL"))
}

/// Arguments of `all-spaces`.
#[derive(Debug, Args)]
pub struct AllSpacesArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Runs `spaces`.
pub fn run_spaces(args: &SpacesArgs) -> Result<()> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    let keys: Vec<SpaceKey> = args.keys.iter().map(SpaceKey::new).collect();
    run_export(&client, &Selection::Spaces(keys), &args.output, &file)
}

/// Runs `pages` (or, with `descendants`, `pages-with-descendants`).
pub fn run_pages(args: &PagesArgs, descendants: bool) -> Result<()> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    let selection = Selection::Pages {
        roots: args.ids.iter().map(PageId::new).collect(),
        descendants,
    };
    run_export(&client, &selection, &args.output, &file)
}

/// Runs `all-spaces`.
pub fn run_all_spaces(args: &AllSpacesArgs) -> Result<()> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    run_export(&client, &Selection::AllSpaces, &args.output, &file)
}

/// Runs one export on a fresh runtime and prints its summary.
pub fn run_export(
    client: &Client,
    selection: &Selection,
    output: &OutputArgs,
    file: &Config,
) -> Result<()> {
    let (options, jira_url) = output.markdown.resolve(file);
    let cancel = Arc::new(AtomicBool::new(false));
    let req = ExportRequest {
        output: output.output_path.clone(),
        append: output.append,
        options,
        jira_url,
        cancel: cancel.clone(),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let rt = runtime()?;
    // First Ctrl+C: finish the current file, save state, stop. Second: quit
    // at once (files and state are written atomically, so even that loses
    // nothing already recorded).
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.store(true, Ordering::Relaxed);
            eprintln!("\nstopping after the current file (Ctrl+C again to quit now)");
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    let report = rt.block_on(export(client, selection, req, &|msg| {
        bar.set_message(msg.to_owned());
    }));
    bar.finish_and_clear();
    let report = report?;
    if output.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    print_report(&report, &output.output_path);
    Ok(())
}

fn print_report(r: &ExportReport, out: &std::path::Path) {
    eprintln!(
        "Exported {} pages and {} attachments from {} space(s) to `{}` in {:.1}s",
        r.pages,
        r.attachments,
        r.spaces,
        out.display(),
        r.elapsed_secs
    );
    if r.warnings > 0 {
        eprintln!("{} conversion warning(s)", r.warnings);
    }
    for v in &r.vanished {
        eprintln!("warning: page gone before its body was fetched, not exported: {v}");
    }
    for m in &r.missing_attachments {
        eprintln!("warning: referenced attachment not found: {m}");
    }
}

/// A small multi-threaded runtime: the work is I/O-bound.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::parse_page_id;

    #[test]
    fn page_ids_come_from_numbers_or_urls() {
        assert_eq!(parse_page_id("12345").unwrap(), "12345");
        assert_eq!(
            parse_page_id("https://x.atlassian.net/wiki/spaces/ENG/pages/987/Title").unwrap(),
            "987"
        );
        assert_eq!(
            parse_page_id("https://dc/pages/viewpage.action?pageId=42&x=1").unwrap(),
            "42"
        );
        assert!(parse_page_id("../etc").is_err());
        assert!(parse_page_id("").is_err());
    }
}
