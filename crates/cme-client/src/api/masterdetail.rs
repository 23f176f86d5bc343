//! The page-properties report's rows (`/rest/masterdetail/1.0/detailssummary/lines`):
//! what the `detailssummary` macro's table shows, computed by Confluence
//! (both flavours serve it; it is what the report's own table fetches).
//! The client never evaluates CQL itself.
use super::{Api, encode};
use crate::error::Error;
use serde::Deserialize;

/// Rows asked per request, and the most report pages followed.
const PAGE_SIZE: usize = 250;
const MAX_PAGES: usize = 400;

/// A report's rows, in Confluence's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportLines {
    /// Column headings (plain text), in Confluence's order.
    pub headings: Vec<String>,
    /// One per page the report lists.
    pub rows: Vec<ReportLine>,
}

/// One row: the page, and each heading's value as Confluence renders it
/// (view-format HTML; empty when the page has no such property).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportLine {
    /// The page's id.
    pub id: String,
    /// The page's title.
    pub title: String,
    /// One value per heading.
    pub details: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    total_pages: usize,
    #[serde(default)]
    rendered_headings: Vec<String>,
    #[serde(default)]
    detail_lines: Vec<WireLine>,
}

#[derive(Deserialize)]
struct WireLine {
    id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    details: Vec<String>,
}

/// The report of `cql` (with `currentSpace()` meaning `space_key`), its
/// columns `headings` (comma-separated; empty: all), sorted by `sort_by`.
pub(crate) async fn lines(
    api: Api<'_>,
    cql: &str,
    space_key: &str,
    headings: &str,
    sort_by: &str,
    reverse: bool,
) -> Result<ReportLines, Error> {
    let mut out = ReportLines::default();
    let mut index = 0;
    loop {
        let mut url = format!(
            "{}/rest/masterdetail/1.0/detailssummary/lines?cql={}&spaceKey={}&pageSize={PAGE_SIZE}&pageIndex={index}",
            api.root,
            encode(cql),
            encode(space_key),
        );
        if !headings.is_empty() {
            url.push_str(&format!("&headings={}", encode(headings)));
        }
        if !sort_by.is_empty() {
            url.push_str(&format!("&sortBy={}", encode(sort_by)));
        }
        if reverse {
            url.push_str("&reverseSort=true");
        }
        let page: Wire = api.get_json(&url).await?;
        if index == 0 {
            out.headings = page.rendered_headings.iter().map(|h| unescape(h)).collect();
        }
        for l in page.detail_lines {
            let id = match l.id {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                _ => continue,
            };
            // Ids are spliced into links and state keys: decimals only.
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            out.rows.push(ReportLine {
                id,
                title: l.title,
                details: l.details,
            });
        }
        index += 1;
        if index >= page.total_pages || index >= MAX_PAGES {
            return Ok(out);
        }
    }
}

/// Headings come HTML-escaped (they are shown as HTML).
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}
