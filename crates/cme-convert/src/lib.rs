//! Confluence storage format → GitHub-flavoured Markdown.
//!
//! Pure: no network, no file system. Everything the conversion needs to know
//! about the outside world (where a linked page lives, a user's name) comes
//! through a [`Context`] supplied by the caller; [`OfflineContext`] answers
//! "unknown" to everything and links stay Confluence targets.
//!
//! Parsing never fails (repairs become [`Warning`]s), and Markdown is
//! written by a port of comrak's CommonMark formatter (tested byte for byte
//! against comrak itself) that escapes a character only where it would
//! change the rendering (tested by rendering: the same HTML as comrak's
//! fully escaped output, and the page's text back), so literal `*`, `#`,
//! `|` or backticks in the page stay literal and `Thanks!` stays readable.
//!
//! ```
//! use cme_convert::{convert, OfflineContext, Options};
//!
//! let storage = r#"<h1>Intro</h1><p>Use <code>a*b</code> &amp; *stars*.</p>
//! <ac:structured-macro ac:name="info"><ac:rich-text-body><p>Heads up</p></ac:rich-text-body></ac:structured-macro>"#;
//! let out = convert(storage, &OfflineContext::default(), &Options::default());
//! assert_eq!(out.markdown, "# Intro\n\nUse `a*b` & \\*stars\\*.\n\n> [!NOTE]\n> Heads up\n");
//! assert_eq!(out.headings[0].anchor, "intro");
//! ```
#![deny(missing_docs)]

mod context;
mod lang;
mod options;
mod output;
pub mod parse;
mod render;
mod url;

pub use context::{
    AttachmentRef, ChildOrder, ChildPage, ChildQuery, ContentId, Context, CurrentPage, JiraIssue,
    JiraIssues, JiraQuery, OfflineContext, PageRef, Report, ReportQuery, ReportRow, SpaceKey,
    UserRef,
};
pub use lang::fence_language;
pub use options::{AlertStyle, DynamicMacro, LinkStyle, Options};
pub use output::{Converted, Heading, Warning, WarningKind};
pub use render::MAX_INCLUDE_DEPTH;
pub use url::tiny_link_id;

/// Converts one storage-format body to Markdown. Never panics, never fails:
/// whatever could not be rendered faithfully is listed in
/// [`Converted::warnings`].
pub fn convert(storage: &str, ctx: &dyn Context, opts: &Options) -> Converted {
    render::convert(storage, ctx, opts, render::Writer::Direct)
}

/// [`convert`] with the Markdown produced by building a comrak AST and
/// running comrak's CommonMark formatter: the reference the direct writer
/// must render the same as (`tests/differential.rs`). comrak escapes every
/// character that could mean something anywhere; the direct writer only
/// where it would, so the two differ in bytes, never in what a reader
/// sees. Slower; not for use.
#[doc(hidden)]
pub fn convert_via_comrak(storage: &str, ctx: &dyn Context, opts: &Options) -> Converted {
    render::convert(storage, ctx, opts, render::Writer::Comrak)
}

/// [`convert`] with comrak's escaping rules in the direct writer: comrak's
/// bytes exactly ([`convert_via_comrak`]), which checks the writer's
/// structure; [`convert`] escapes less and renders the same.
#[doc(hidden)]
pub fn convert_with_comrak_escapes(storage: &str, ctx: &dyn Context, opts: &Options) -> Converted {
    render::convert(storage, ctx, opts, render::Writer::DirectComrakEscapes)
}

/// `markdown` rendered to HTML as GitHub reads it (GFM: tables,
/// strikethrough, task lists, alerts, autolinks; raw HTML kept): what
/// the differential tests compare between the direct writer and the
/// comrak reference.
#[doc(hidden)]
pub fn render_html(markdown: &str) -> String {
    let mut opts = comrak::Options::default();
    opts.extension.table = true;
    opts.extension.strikethrough = true;
    opts.extension.tasklist = true;
    opts.extension.alerts = true;
    opts.extension.autolink = true;
    opts.render.r#unsafe = true;
    comrak::markdown_to_html(markdown, &opts)
}
