//! Page-properties reports: their rows fetched from Confluence while the
//! page that shows them converts (one request per 250 rows), so the
//! exporter never evaluates the report's CQL. A report the server cannot
//! answer (no such endpoint, a CQL it refuses) is written as its summary
//! line with a warning; a failure that may pass keeps the page's old file.
use super::ctx::Exec;
use crate::page::context::Reports;
use crate::place::layout::Placed;
use crate::sync::remote::chain;
use cme_client::Error;
use cme_convert::{ContentId, Report, ReportQuery, ReportRow};

/// Fetches `queries` for `page` into `reports`.
pub(super) async fn fetch(
    ex: &Exec<'_>,
    page: &Placed,
    queries: Vec<ReportQuery>,
    reports: &mut Reports,
) -> Result<(), String> {
    for q in queries {
        if reports.contains_key(&q) {
            continue;
        }
        let cql = with_current(&q.cql, page);
        let rows = ex
            .client
            .report_lines(&cql, &page.space, &q.headings, &q.sort_by, q.reverse)
            .await;
        let answer = match rows {
            Ok(lines) => Some(Report {
                headings: lines.headings,
                rows: lines
                    .rows
                    .into_iter()
                    .map(|l| ReportRow {
                        page: ContentId(l.id),
                        title: l.title,
                        cells: l.details,
                    })
                    .collect(),
            }),
            // No such endpoint, or a CQL the server refuses: the summary
            // line (the converter warns). It will not pass by retrying.
            Err(Error::NotFound { .. } | Error::Status { status: 400, .. }) => None,
            Err(e) => {
                return Err(format!(
                    "cannot fetch a page-properties report: {}",
                    chain(&e)
                ));
            }
        };
        reports.insert(q, answer);
    }
    Ok(())
}

/// `cql` with `currentContent()` and `currentSpace()` spelled out: the
/// rows endpoint is not called from the page, so it cannot know them.
fn with_current(cql: &str, page: &Placed) -> String {
    let mut out = String::with_capacity(cql.len());
    let mut rest = cql;
    while let Some(at) = rest.find(['c', 'C']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let word: String = tail
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        let after = tail[word.len()..].trim_start();
        let call = after.starts_with('(') && after[1..].trim_start().starts_with(')');
        let replaced = match word.to_ascii_lowercase().as_str() {
            "currentcontent" if call => Some(page.meta.id.as_str().to_owned()),
            "currentspace" if call => Some(format!("\"{}\"", page.space.as_str())),
            _ => None,
        };
        match replaced {
            Some(r) => {
                out.push_str(&r);
                let close = after.find(')').unwrap_or(0);
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&word);
                rest = &tail[word.len().max(1)..];
                if word.is_empty() {
                    out.push_str(&tail[..1]);
                }
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cme_client::{PageId, PageMeta, PageStatus, SpaceId, SpaceKey, Version};

    fn placed() -> Placed {
        Placed {
            meta: Box::new(PageMeta {
                id: PageId::new("1014"),
                kind: cme_client::ContentKind::Page,
                title: "Status".into(),
                space_id: SpaceId::new("1"),
                parent: None,
                position: None,
                status: PageStatus::Current,
                version: Version(1),
                modified_at: Default::default(),
                info: Default::default(),
            }),
            space: SpaceKey::new("DEMO"),
            path: crate::fs::paths::OutputPath::from_components(&["DEMO", "S.md"]),
            children: Vec::new(),
        }
    }

    #[test]
    fn current_functions_are_spelled_out() {
        let p = placed();
        assert_eq!(
            with_current(
                "label = \"x\" and parent = currentContent ( ) and space = currentSpace()",
                &p
            ),
            "label = \"x\" and parent = 1014 and space = \"DEMO\""
        );
        assert_eq!(with_current("title ~ \"conc\"", &p), "title ~ \"conc\"");
        assert_eq!(
            with_current("creator = currentUser()", &p),
            "creator = currentUser()"
        );
    }
}
