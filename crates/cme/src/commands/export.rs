//! `pages`, `pages-with-descendants`, `spaces` and `all-spaces`: add a
//! scope to an output folder, then sync it.
use super::markdown_args::MarkdownArgs;
use super::sync::{RunArgs, run_pipeline};
use crate::config::Config;
use crate::export::Selection;
use crate::settings::ConnectionArgs;
use crate::sync::Start;
use anyhow::Result;
use clap::Args;
use cme_client::{Client, PageId, SpaceKey};
use std::path::PathBuf;

/// Options shared by every export command.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Folder to export into (created if missing)
    #[arg(long, short = 'o', default_value = ".", value_name = "PATH")]
    pub output_path: PathBuf,
    /// Add this scope to an existing export instead of refusing
    #[arg(long)]
    pub append: bool,
    #[command(flatten)]
    pub run: RunArgs,
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
pub fn run_spaces(args: &SpacesArgs) -> Result<u8> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    let keys: Vec<SpaceKey> = args.keys.iter().map(SpaceKey::new).collect();
    run_export(&client, &Selection::Spaces(keys), &args.output, &file)
}

/// Runs `pages` (or, with `descendants`, `pages-with-descendants`).
pub fn run_pages(args: &PagesArgs, descendants: bool) -> Result<u8> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    let selection = Selection::Pages {
        roots: args.ids.iter().map(PageId::new).collect(),
        descendants,
    };
    run_export(&client, &selection, &args.output, &file)
}

/// Runs `all-spaces`.
pub fn run_all_spaces(args: &AllSpacesArgs) -> Result<u8> {
    let file = Config::load()?;
    let client = args.connection.client(&file)?;
    run_export(&client, &Selection::AllSpaces, &args.output, &file)
}

/// An export: add the selection's scope, then sync.
pub fn run_export(
    client: &Client,
    selection: &Selection,
    output: &OutputArgs,
    file: &Config,
) -> Result<u8> {
    let start = Start::Export {
        scope: selection.scope(),
        append: output.append,
    };
    // Appending to a folder keeps its Markdown options unless flags change them.
    let recorded = if output.append {
        crate::state::State::peek(&output.output_path).and_then(|s| s.markdown)
    } else {
        None
    };
    run_pipeline(
        client,
        &output.output_path,
        start,
        &output.run,
        &output.markdown,
        file,
        recorded.as_ref(),
    )
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
