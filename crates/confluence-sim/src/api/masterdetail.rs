//! `GET /rest/masterdetail/1.0/detailssummary/lines`: the rows of a
//! page-properties report, a page at a time, as the report's table fetches
//! them (`cql`, `headings`, `sortBy`, `reverseSort`, `pageSize`, `pageIndex`).

use serde_json::json;

use super::{Ctx, errors};
use crate::http::Resp;
use crate::render::page_properties::{ReportSpec, report};
use crate::render::storage::escape_text;
use crate::render::view::render_nodes;

pub fn lines(ctx: &Ctx) -> Resp {
    let q = |k: &str| ctx.q(k).unwrap_or_default().to_string();
    let Some(cql) = ctx.q("cql").filter(|c| !c.trim().is_empty()) else {
        return errors::v1(ctx.state, 400, "The cql parameter is required");
    };
    let spec = ReportSpec {
        cql: cql.to_string(),
        headings: q("headings"),
        sort_by: q("sortBy"),
        reverse: q("reverseSort") == "true",
        current_space: ctx.q("spaceKey").map(str::to_string),
    };
    let page_size: usize = q("pageSize")
        .parse()
        .ok()
        .filter(|&n| n > 0)
        .unwrap_or(30)
        .min(1000);
    let index: usize = q("pageIndex").parse().unwrap_or(0);
    let r = match report(ctx, &spec) {
        Ok(r) => r,
        Err(e) => return errors::v1(ctx.state, 400, format!("Could not parse cql: {e}")),
    };
    let total_pages = r.lines.len().div_ceil(page_size);
    let detail_lines: Vec<_> = r
        .lines
        .iter()
        .skip(index.saturating_mul(page_size))
        .take(page_size)
        .map(|l| {
            json!({
                "id": l.page.id,
                "title": l.page.title(),
                "relativeLink": format!("{}{}", ctx.context, super::v1::webui(ctx, l.page, l.page.title())),
                "subtitle": "",
                "details": l.values.iter().map(|v| match v {
                    Some(nodes) => render_nodes(ctx, l.page, nodes, false),
                    None => String::new(),
                }).collect::<Vec<_>>(),
                "likesCount": 0,
                "commentsCount": 0,
            })
        })
        .collect();
    Resp::json(
        200,
        &json!({
            "currentPage": index,
            "totalPages": total_pages,
            "renderedHeadings": r.headings.iter().map(|h| escape_text(h)).collect::<Vec<_>>(),
            "detailLines": detail_lines,
            "asyncRenderSafe": true,
        }),
    )
}
