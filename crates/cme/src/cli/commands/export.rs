//! `pages`, `pages-with-descendants`, `spaces` and `all-spaces`: add a
//! scope to an output folder, then sync it.
use super::sync::run_pipeline;
use super::sync::runtime;
use crate::cli::args::connection::ConnectionArgs;
use crate::cli::args::markdown::MarkdownArgs;
use crate::cli::args::run::RunArgs;
use crate::cli::config::Config;
use crate::cli::urls::{self, PAGE_FORMS, PageRef, Pasted, SPACE_FORMS, Site};
use crate::sync::Selection;
use crate::sync::Start;
use crate::sync::remote::inventory::INCLUDE_ARCHIVED;
use anyhow::{Context as _, Result, anyhow, bail};
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
    /// Export archived pages too (otherwise they are counted and named in
    /// the summary); `sync` keeps doing so for this scope
    #[arg(long)]
    pub include_archived: bool,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub markdown: MarkdownArgs,
}

/// What a space scope exports beyond its pages.
#[derive(Debug, Args, Clone)]
pub struct SpaceScopeArgs {
    /// Leave the spaces' blog posts out (exported by default, to
    /// SPACE/Blog/YEAR/MONTH/); `sync` keeps doing so for this scope
    #[arg(long)]
    pub no_blog_posts: bool,
}

/// Arguments of `spaces`.
#[derive(Debug, Args)]
#[command(after_help = spaces_help())]
pub struct SpacesArgs {
    /// Space keys or space URLs to export
    #[arg(required = true, value_name = "SPACE", value_parser = parse_space)]
    keys: Vec<Pasted<SpaceKey>>,
    #[command(flatten)]
    space: SpaceScopeArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Shown after every export command's flags.
const CREDENTIALS_HELP: &str =
    "A URL also names the site when `--url` (or `CME_URL`, or the settings file) does not.
Credentials: CME_EMAIL + CME_API_TOKEN (Cloud) or CME_PAT (Data Center); see `cme config list`.";

fn spaces_help() -> String {
    format!(
        "Examples:
  cme spaces ENG OPS -o ./docs
  cme spaces https://example.atlassian.net/wiki/spaces/ENG/overview -o ./docs
  cme spaces https://wiki.example.com/confluence/display/ENG -o ./docs

Accepted forms of SPACE:
{SPACE_FORMS}

{CREDENTIALS_HELP}"
    )
}

/// Arguments of `pages` and `pages-with-descendants`.
#[derive(Debug, Args)]
#[command(after_help = pages_help())]
pub struct PagesArgs {
    /// Page ids or page URLs
    #[arg(required = true, value_name = "PAGE", value_parser = parse_page)]
    ids: Vec<Pasted<PageRef>>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

fn pages_help() -> String {
    format!(
        "Examples:
  cme pages 123456 -o ./docs
  cme pages https://example.atlassian.net/wiki/spaces/ENG/pages/123456/Runbook -o ./docs
  cme pages-with-descendants https://wiki.example.com/confluence/display/ENG/Runbook -o ./docs
  cme pages https://wiki.example.com/x/AbCd -o ./docs

Accepted forms of PAGE:
{PAGE_FORMS}

{CREDENTIALS_HELP}"
    )
}

fn parse_page(s: &str) -> Result<Pasted<PageRef>, String> {
    urls::parse_page(s).map_err(|e| e.to_string())
}

fn parse_space(s: &str) -> Result<Pasted<SpaceKey>, String> {
    urls::parse_space(s).map_err(|e| e.to_string())
}

/// Arguments of `all-spaces`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  cme all-spaces -o ./docs
  cme all-spaces --url https://example.atlassian.net -o ./docs
  CME_PAT=... cme all-spaces --url https://wiki.example.com/confluence -o ./docs

Credentials: CME_EMAIL + CME_API_TOKEN (Cloud) or CME_PAT (Data Center); see `cme config list`.")]
pub struct AllSpacesArgs {
    /// The site, as the Python exporter takes it (`all-spaces URL`); the
    /// same as --url
    #[arg(value_name = "SITE_URL", value_parser = crate::cli::urls::Site::parse)]
    site: Option<crate::cli::urls::Site>,
    #[command(flatten)]
    space: SpaceScopeArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// The sites of the arguments that were URLs.
fn sites<T>(pasted: &[Pasted<T>]) -> Vec<Site> {
    pasted.iter().filter_map(|p| p.site.clone()).collect()
}

/// Runs `spaces`.
pub fn run_spaces(args: &SpacesArgs) -> Result<u8> {
    let file = Config::load()?;
    let client = args.connection.client_for(&file, &sites(&args.keys))?;
    let keys: Vec<SpaceKey> = args.keys.iter().map(|p| p.target.clone()).collect();
    run_export(
        &client,
        &Selection::Spaces(keys.clone()),
        !args.space.no_blog_posts,
        &args.output,
        &file,
    )
    .map_err(|e| explain_missing_spaces(&client, &keys, e))
}

/// Runs `pages` (or, with `descendants`, `pages-with-descendants`).
pub fn run_pages(args: &PagesArgs, descendants: bool) -> Result<u8> {
    let file = Config::load()?;
    let client = args.connection.client_for(&file, &sites(&args.ids))?;
    let roots =
        resolve_pages(&client, &args.ids).map_err(|e| crate::cli::diagnose::explain(&client, e))?;
    let selection = Selection::Pages { roots, descendants };
    run_export(&client, &selection, false, &args.output, &file).map_err(|e| {
        if is_not_found(&e) {
            anyhow!("{e}\nhint: pages are named by id or URL; accepted forms:\n{PAGE_FORMS}")
        } else {
            e
        }
    })
}

/// Runs `all-spaces`.
pub fn run_all_spaces(args: &AllSpacesArgs) -> Result<u8> {
    let file = Config::load()?;
    let client = match &args.site {
        Some(site) => args
            .connection
            .client_for(&file, std::slice::from_ref(site))?,
        None => args.connection.client(&file)?,
    };
    run_export(
        &client,
        &Selection::AllSpaces,
        !args.space.no_blog_posts,
        &args.output,
        &file,
    )
}

/// Page ids for every argument; titles (Data Center's pretty URLs) are
/// looked up, one request each.
fn resolve_pages(client: &Client, pages: &[Pasted<PageRef>]) -> Result<Vec<PageId>> {
    let titled = pages
        .iter()
        .any(|p| matches!(p.target, PageRef::Title { .. }));
    if !titled {
        return Ok(pages
            .iter()
            .filter_map(|p| match &p.target {
                PageRef::Id(id) => Some(id.clone()),
                PageRef::Title { .. } => None,
            })
            .collect());
    }
    let rt = runtime()?;
    let mut out = Vec::with_capacity(pages.len());
    for p in pages {
        match &p.target {
            PageRef::Id(id) => out.push(id.clone()),
            PageRef::Title { space, title } => {
                let found = crate::cli::interrupt::until_interrupted(
                    &rt,
                    client.page_id_by_title(space, title),
                )?
                .with_context(|| format!("cannot look up the page `{title}` in `{space}`"))?;
                match found {
                    Some(id) => out.push(id),
                    None => {
                        let mut msg = format!(
                            "no page titled `{title}` in space `{space}`, or not visible to this account"
                        );
                        let visible = visible_keys(client, &rt);
                        msg.push_str(&space_hint(&visible, space));
                        bail!(
                            "{msg}\nhint: pages are named by id or URL; accepted forms:\n{PAGE_FORMS}"
                        );
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The pipeline's "not found" refusal of a new scope.
fn is_not_found(e: &anyhow::Error) -> bool {
    e.to_string().starts_with("not found, or not visible")
}

/// Adds "did you mean" for space keys the account cannot see, and the
/// accepted forms, to a not-found error of `spaces`.
fn explain_missing_spaces(client: &Client, keys: &[SpaceKey], e: anyhow::Error) -> anyhow::Error {
    if !is_not_found(&e) {
        return e;
    }
    let Ok(rt) = runtime() else { return e };
    let mut msg = e.to_string();
    let visible = visible_keys(client, &rt);
    for key in keys
        .iter()
        .filter(|k| !visible.iter().any(|v| v == k.as_str()))
    {
        msg.push_str(&space_hint(&visible, key));
    }
    anyhow!("{msg}\nhint: spaces are named by key or URL; accepted forms:\n{SPACE_FORMS}")
}

/// The keys of every space this account can see (none if the listing fails:
/// it only feeds a hint).
fn visible_keys(client: &Client, rt: &tokio::runtime::Runtime) -> Vec<String> {
    crate::cli::interrupt::until_interrupted(rt, client.spaces(&[]))
        .ok()
        .and_then(Result::ok)
        .map(|s| s.into_iter().map(|s| s.key.to_string()).collect())
        .unwrap_or_default()
}

/// "hint: did you mean ..." for a space key (empty when none is close).
fn space_hint(visible: &[String], key: &SpaceKey) -> String {
    let near = urls::near_keys(key.as_str(), visible.iter().map(String::as_str));
    if near.is_empty() || near.iter().any(|n| n == key.as_str()) {
        return String::new();
    }
    format!(
        "\nhint: no space `{key}` is visible to this account; did you mean `{}`?",
        near.join("`, `")
    )
}

/// An export: add the selection's scope (with its spaces' blog posts when
/// `blog_posts`), then sync.
pub fn run_export(
    client: &Client,
    selection: &Selection,
    blog_posts: bool,
    output: &OutputArgs,
    file: &Config,
) -> Result<u8> {
    let mut scope = selection.scope().with_blog_posts(blog_posts);
    if output.include_archived {
        scope.args.push(INCLUDE_ARCHIVED.to_owned());
    }
    let start = Start::Export {
        scope,
        append: output.append,
    };
    // Appending to a folder keeps its Markdown options unless flags change them.
    let recorded = if output.append {
        crate::state::State::peek(&output.output_path)
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
