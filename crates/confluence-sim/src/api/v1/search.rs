//! CQL search (`/content/search`, `/search`) and Data Center's
//! `/content/scan` cursor paging.

use std::time::Instant;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::super::Ctx;
use super::super::cql::{self, Hit};
use super::super::errors;
use super::super::pagination::rel_path;
use super::content::listed;
use super::{Expand, attachment_content, content_json};
use crate::http::{Resp, rewrite_query};
use crate::model::site::SearchIds;
use crate::model::time::{date, iso};
use crate::model::{Id, Node, NodeKind, Status};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn decode_cursor(s: &str) -> Option<usize> {
    let raw = String::from_utf8(B64.decode(s).ok()?).ok()?;
    raw.strip_prefix("cql:")?.parse().ok()
}

fn encode_cursor(start: usize) -> String {
    B64.encode(format!("cql:{start}"))
}

struct Run {
    /// The whole result (cached across pages, see `cql::run_cached`).
    ids: SearchIds,
    start: usize,
    limit: usize,
    cql: String,
    /// A `type = comment` query: `ids` are comments (`api::comments`).
    comments: bool,
}

impl Run {
    /// The hits of the requested page.
    fn page<'a>(&self, ctx: &Ctx<'a>) -> Vec<Hit<'a>> {
        let total = self.ids.len();
        let start = self.start.min(total);
        let end = self.start.saturating_add(self.limit).min(total);
        cql::resolve(ctx.site, &self.ids[start..end])
    }

    /// The requested page of a comment query, as v1 Content objects.
    fn comments_page(
        &self,
        ctx: &Ctx,
        ex: &Expand,
        render: fn(&Ctx, Id, &Expand) -> Option<Value>,
    ) -> Vec<Value> {
        let total = self.ids.len();
        let start = self.start.min(total);
        let end = self.start.saturating_add(self.limit).min(total);
        self.ids[start..end]
            .iter()
            .filter_map(|(id, _)| render(ctx, *id, ex))
            .collect()
    }
}

/// Parses `cql`, `start`/`cursor` and `limit`, with the silent caps:
/// 50 with a body expansion (25 with export/styled views); with other
/// expansions 200 on Data Center (Atlassian KB "Searching for content with
/// the REST API and CQL always limits results to 50") and 250 on Cloud (an
/// assumption: the spec only says "may be restricted by fixed system
/// limits"); 1000 without expansions.
fn run(ctx: &Ctx, ex: &Expand) -> Result<Run, Resp> {
    let Some(text) = ctx.q("cql").filter(|c| !c.trim().is_empty()) else {
        return Err(errors::v1_bad_request(
            ctx.state,
            "CQL query parameter is required",
        ));
    };
    let query = cql::parse(text)
        .and_then(|q| cql::validate(&q).map(|_| q))
        .map_err(|e| {
            errors::v1_bad_request(ctx.state, &format!("Could not parse cql : {text} ({e})"))
        })?;
    let mut start = match ctx.q("start") {
        None | Some("") => 0,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| errors::v1_bad_request(ctx.state, &format!("Invalid start: {s}")))?,
    };
    if let Some(c) = ctx.q("cursor").filter(|c| !c.is_empty()) {
        start =
            decode_cursor(c).ok_or_else(|| errors::v1_bad_request(ctx.state, "Invalid cursor"))?;
    }
    if start > 100_000 {
        return Err(errors::v1_bad_request(
            ctx.state,
            "Start of this size is no longer supported",
        ));
    }
    let mut limit = match ctx.q("limit") {
        None | Some("") => 25,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| errors::v1_bad_request(ctx.state, &format!("Invalid limit: {s}")))?
            .min(1000),
    };
    let bodies = ex.bodies();
    if bodies
        .iter()
        .any(|b| b == "export_view" || b == "styled_view")
    {
        limit = limit.min(25);
    } else if !bodies.is_empty() {
        // Documented: body expansions silently cap CQL results at 50.
        limit = limit.min(50);
    } else if !ex.is_empty() {
        limit = limit.min(if ctx.cloud() { 250 } else { 200 });
    }
    let comments = cql::only_comments(&query);
    let ids = if comments {
        crate::api::comments::search_ids(ctx.site, &query, &ctx.account).into()
    } else {
        cql::run_cached(ctx.site, &query, &ctx.account)
    };
    Ok(Run {
        ids,
        start,
        limit,
        cql: text.to_string(),
        comments,
    })
}

fn links(ctx: &Ctx, r: &Run, total: usize) -> Map<String, Value> {
    let path = rel_path(ctx);
    let mut l = Map::new();
    l.insert("base".into(), json!(ctx.base));
    l.insert("context".into(), json!(ctx.context));
    let next_start = r.start + r.limit;
    if next_start < total && r.limit > 0 {
        let q = page_query(ctx, next_start, r.limit);
        l.insert("next".into(), json!(format!("{path}?{q}")));
    }
    if r.start > 0 {
        let q = page_query(ctx, r.start.saturating_sub(r.limit.max(1)), r.limit);
        l.insert("prev".into(), json!(format!("{path}?{q}")));
    }
    l.insert(
        "self".into(),
        json!(format!("{}{}?{}", ctx.base, path, ctx.req.raw_query)),
    );
    l
}

/// The query of a `next`/`prev` link starting at `start`: an opaque cursor
/// on Cloud, an offset on Data Center.
fn page_query(ctx: &Ctx, start: usize, limit: usize) -> String {
    if ctx.cloud() {
        rewrite_query(
            &ctx.req.raw_query,
            &["cursor", "start", "limit"],
            &[
                ("limit", limit.to_string()),
                ("cursor", encode_cursor(start)),
            ],
        )
    } else {
        rewrite_query(
            &ctx.req.raw_query,
            &["start", "limit"],
            &[("limit", limit.to_string()), ("start", start.to_string())],
        )
    }
}

/// `GET /content/search?cql=&expand=&limit=&cursor=`
pub fn content_search(ctx: &Ctx) -> Resp {
    let ex = Expand::parse(ctx, "");
    let r = match run(ctx, &ex) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let total = r.ids.len();
    if r.comments {
        let results = r.comments_page(ctx, &ex, crate::api::comments::search_result);
        return Resp::listing(&Value::Object(envelope(ctx, &r, results, total, vec![])));
    }
    let results: Vec<Value> = r
        .page(ctx)
        .iter()
        .map(|h| match h {
            Hit::Node(n) => content_json(ctx, n, n.latest(), &ex, false),
            Hit::Attachment(a, _) => attachment_content(ctx, a, a.latest(), &ex),
        })
        .collect();
    Resp::listing(&Value::Object(envelope(ctx, &r, results, total, vec![])))
}

/// The paging envelope around `results`, which is moved in: `json!` would
/// deep-copy a variable it is given (through `to_value`), which for 250
/// attachments with their containers was a tenth of the request. Keys go in
/// in the order the `json!` literal had (in case `preserve_order` is on).
fn envelope(
    ctx: &Ctx,
    r: &Run,
    results: Vec<Value>,
    total: usize,
    extra: Vec<(&str, Value)>,
) -> Map<String, Value> {
    let size = results.len();
    let mut m = Map::new();
    m.insert("results".into(), Value::Array(results));
    m.insert("start".into(), json!(r.start));
    m.insert("limit".into(), json!(r.limit));
    m.insert("size".into(), json!(size));
    m.insert("totalSize".into(), json!(total));
    m.insert("cqlQuery".into(), json!(r.cql));
    for (k, v) in extra {
        m.insert(k.into(), v);
    }
    m.insert("_links".into(), Value::Object(links(ctx, r, total)));
    m
}

/// `GET /search?cql=`: SearchResult wrappers around content.
pub fn search(ctx: &Ctx) -> Resp {
    let started = Instant::now();
    let all = Expand::parse(ctx, "");
    let ex = all.under("content.");
    let r = match run(ctx, &ex) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let total = r.ids.len();
    if r.comments {
        let results = r.comments_page(ctx, &ex, crate::api::comments::search_wrapper);
        let extra = vec![
            (
                "searchDuration",
                json!(started.elapsed().as_millis() as u64),
            ),
            ("archivedResultCount", json!(0)),
        ];
        return Resp::listing(&Value::Object(envelope(ctx, &r, results, total, extra)));
    }
    let results: Vec<Value> = r
        .page(ctx)
        .iter()
        .map(|h| {
            // An attachment's breadcrumbs end at its page.
            let (n, content, title, modified, icon) = match h {
                Hit::Node(n) => (
                    *n,
                    content_json(ctx, n, n.latest(), &ex, false),
                    n.title(),
                    n.modified_ms(),
                    match n.kind {
                        NodeKind::Page => "aui-icon content-type-page",
                        NodeKind::Folder => "aui-icon content-type-folder",
                        NodeKind::BlogPost => "aui-icon content-type-blogpost",
                    },
                ),
                Hit::Attachment(a, page) => (
                    *page,
                    attachment_content(ctx, a, a.latest(), &ex),
                    &*a.filename,
                    a.latest().created_ms,
                    "aui-icon content-type-attachment",
                ),
            };
            let space = ctx.site.spaces.get(&n.space_id);
            let url = content["_links"]["webui"].clone();
            let mut crumbs = ctx.site.ancestors(n.id);
            if matches!(h, Hit::Attachment(..)) {
                crumbs.push(n.id);
            }
            let breadcrumbs: Vec<Value> = crumbs
                .iter()
                .filter_map(|a| ctx.site.node(*a))
                .map(|a| json!({"label": a.title(), "url": super::webui(ctx, a, a.title()), "separator": "/"}))
                .collect();
            json!({
                "content": content,
                "title": title,
                "excerpt": "",
                "url": url,
                "resultGlobalContainer": {
                    "title": space.map(|s| s.name.to_string()).unwrap_or_default(),
                    "displayUrl": space.map(|s| format!("/spaces/{}", s.key)).unwrap_or_default()
                },
                "breadcrumbs": breadcrumbs,
                "entityType": "content",
                "iconCssClass": icon,
                "lastModified": iso(modified),
                "friendlyLastModified": date(modified),
                "score": 0.0
            })
        })
        .collect();
    let extra = vec![
        (
            "searchDuration",
            json!(started.elapsed().as_millis() as u64),
        ),
        ("archivedResultCount", json!(0)),
    ];
    Resp::listing(&Value::Object(envelope(ctx, &r, results, total, extra)))
}

/// `GET /content/scan?spaceKey=&cursor=&limit=` (Data Center 7.18+; pages only).
pub fn scan(ctx: &Ctx) -> Resp {
    let ex = Expand::parse(ctx, "");
    let limit = match ctx.q("limit") {
        None | Some("") => 25,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if n >= 1 => n.min(10_000),
            _ => return errors::v1_bad_request(ctx.state, &format!("Invalid limit: {s}")),
        },
    };
    let after: Id = match ctx.q("cursor") {
        None | Some("") => 0,
        Some(c) => match c
            .strip_prefix("content:false:")
            .and_then(|x| x.parse().ok())
        {
            Some(id) => id,
            None if c == "content:false:null" => 0,
            None => return errors::v1_bad_request(ctx.state, "Invalid cursor"),
        },
    };
    let space = match ctx.q("spaceKey") {
        Some(k) => match ctx.site.space_by_key(k) {
            Some(s) => Some(s.id),
            None => return errors::v1(ctx.state, 404, format!("No space found with key : {k}")),
        },
        None => None,
    };
    let statuses: Vec<Status> = {
        let l = ctx.req.query.list("status");
        if l.is_empty() {
            vec![Status::Current]
        } else {
            l.iter().filter_map(|s| Status::parse(s)).collect()
        }
    };
    let mut picked: Vec<&Node> = Vec::new();
    let mut more = false;
    for (_, n) in ctx.site.nodes.range(after + 1..) {
        if n.kind != NodeKind::Page
            || space.is_some_and(|s| s != n.space_id)
            || !statuses.contains(&n.status)
        {
            continue;
        }
        if !ctx.site.can_read(n, &ctx.account) || (!listed(ctx, n) && n.status != Status::Trashed) {
            continue;
        }
        if picked.len() == limit {
            more = true;
            break;
        }
        picked.push(n);
    }
    let results: Vec<Value> = picked
        .iter()
        .map(|n| content_json(ctx, n, n.latest(), &ex, false))
        .collect();
    let cursor = ctx.q("cursor").unwrap_or("content:false:null").to_string();
    let path = rel_path(ctx);
    let mut l = Map::new();
    l.insert("base".into(), json!(ctx.base));
    l.insert("context".into(), json!(ctx.context));
    let mut body =
        json!({"results": results, "limit": limit, "size": results.len(), "cursor": cursor});
    if more {
        let next = format!("content:false:{}", picked.last().map(|n| n.id).unwrap_or(0));
        let q = rewrite_query(&ctx.req.raw_query, &["cursor"], &[("cursor", next.clone())]);
        l.insert("next".into(), json!(format!("{path}?{q}")));
        body["nextCursor"] = json!(next);
    }
    if after > 0 {
        body["prevCursor"] = json!(format!(
            "content:true:{}",
            picked.first().map(|n| n.id).unwrap_or(after)
        ));
    }
    l.insert("self".into(), json!(format!("{}{}", ctx.base, path)));
    body["_links"] = Value::Object(l);
    Resp::listing(&body)
}
