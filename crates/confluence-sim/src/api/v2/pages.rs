//! v2 pages: `/spaces/{id}/pages`, `/pages`, `/pages/{id}` and its labels
//! and versions.

use std::collections::BTreeSet;
use std::ops::Bound;

use bytes::Bytes;

use serde::Serialize;
use serde_json::json;

use super::super::Ctx;
use super::super::errors;
use super::super::pagination::{Cursor, num_key, v2_cursor, v2_finish, v2_limit, v2_list, window};
use super::{BodyJson, PageJson, VersionJson, fill_body, page_json, parse_id, status_filter};
use crate::http::{Chunks, Resp};
use crate::model::time::iso;
use crate::model::{Id, Node, NodeKind};

/// The sort orders v2 page listings accept.
fn parse_sort(s: Option<&str>) -> Option<(&'static str, bool)> {
    let s = s.unwrap_or("id");
    let (desc, f) = match s.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, s),
    };
    let field = match f {
        "id" => "id",
        "created-date" => "created-date",
        "modified-date" => "modified-date",
        "title" => "title",
        _ => return None,
    };
    Some((field, desc))
}

fn sort_key(node: &Node, field: &str) -> String {
    match field {
        "created-date" => num_key(node.created_ms),
        "modified-date" => num_key(node.modified_ms()),
        "title" => node.title().to_string(),
        _ => num_key(node.id as i64),
    }
}

enum Source<'a> {
    Space(&'a BTreeSet<Id>),
    All,
    Ids(BTreeSet<Id>),
}

/// Shared listing engine: filter, sort, window, serialize.
fn list_pages(ctx: &Ctx, kind: NodeKind, source: Source, keep: &dyn Fn(&Node) -> bool) -> Resp {
    let q = &ctx.req.query;
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Some((field, desc)) = parse_sort(q.get("sort")) else {
        return errors::v2_bad_request("Invalid sort parameter");
    };
    let sort_name = format!("{}{field}", if desc { "-" } else { "" });
    let cursor = match v2_cursor(ctx, &sort_name) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body_format = q.get("body-format");
    if let Some(f) = body_format {
        if f != "storage" && f != "atlas_doc_format" {
            return errors::v2_bad_request(&format!("Invalid body-format: {f}"));
        }
    }
    let Some(statuses) = status_filter(ctx) else {
        return errors::v2_bad_request("Invalid status");
    };
    let title = q.get("title");
    let site = ctx.site;
    let ok = |n: &Node| {
        n.kind == kind
            && statuses.contains(&n.status)
            && title.is_none_or(|t| n.title() == t)
            && keep(n)
            && site.can_read(n, &ctx.account)
    };
    let mut picked: Vec<&Node> = Vec::with_capacity(limit + 1);
    let more;
    if field == "id" {
        let after = cursor.as_ref().map(|c| c.id);
        let range = |set: &BTreeSet<Id>| -> Vec<Id> {
            let mut out = Vec::new();
            let it: Box<dyn Iterator<Item = &Id>> = match (desc, after) {
                (false, Some(a)) => Box::new(set.range((Bound::Excluded(a), Bound::Unbounded))),
                (false, None) => Box::new(set.iter()),
                (true, Some(a)) => Box::new(set.range(..a).rev()),
                (true, None) => Box::new(set.iter().rev()),
            };
            for id in it {
                if let Some(n) = site.nodes.get(id) {
                    if ok(n) {
                        out.push(*id);
                        if out.len() > limit {
                            break;
                        }
                    }
                }
            }
            out
        };
        let ids = match &source {
            Source::Space(set) => range(set),
            Source::Ids(set) => range(set),
            Source::All => {
                let mut out = Vec::new();
                let it: Box<dyn Iterator<Item = (&Id, &Node)>> = match (desc, after) {
                    (false, Some(a)) => {
                        Box::new(site.nodes.range((Bound::Excluded(a), Bound::Unbounded)))
                    }
                    (false, None) => Box::new(site.nodes.iter()),
                    (true, Some(a)) => Box::new(site.nodes.range(..a).rev()),
                    (true, None) => Box::new(site.nodes.iter().rev()),
                };
                for (id, n) in it {
                    if ok(n) {
                        out.push(*id);
                        if out.len() > limit {
                            break;
                        }
                    }
                }
                out
            }
        };
        more = ids.len() > limit;
        picked.extend(ids.iter().take(limit).filter_map(|id| site.nodes.get(id)));
    } else {
        let mut all: Vec<&Node> = match &source {
            Source::Space(set) => set
                .iter()
                .filter_map(|id| site.nodes.get(id))
                .filter(|n| ok(n))
                .collect(),
            Source::Ids(set) => set
                .iter()
                .filter_map(|id| site.nodes.get(id))
                .filter(|n| ok(n))
                .collect(),
            Source::All => site.nodes.values().filter(|n| ok(n)).collect(),
        };
        all.sort_by_cached_key(|n| (sort_key(n, field), n.id));
        if desc {
            all.reverse();
        }
        let (w, m) = window(
            &all,
            |n| (sort_key(n, field), n.id),
            desc,
            cursor.as_ref(),
            limit,
        );
        picked.extend_from_slice(w);
        more = m;
    }
    let next = if more {
        picked.last().map(|n| Cursor {
            sort: sort_name.clone(),
            key: sort_key(n, field),
            id: n.id,
        })
    } else {
        None
    };
    // Hot path: cached per-page fragments plus cached body JSON, sent as
    // shared chunks (no per-request serialization or copying of bodies).
    let mut out = Chunks::with_capacity(256 + picked.len() * 800);
    out.copy(b"{\"results\":[");
    for (i, n) in picked.iter().enumerate() {
        if i > 0 {
            out.copy(b",");
        }
        let frag = site.fragment(n.id, || {
            let mut p = page_json(ctx, n, n.latest(), true);
            p.body = None;
            let mut v = serde_json::to_vec(&p).unwrap_or_default();
            v.pop();
            v.extend_from_slice(b",\"body\":");
            v
        });
        out.share(Bytes::from_owner(frag));
        match body_format {
            Some("storage") => {
                out.copy(b"{\"storage\":{\"representation\":\"storage\",\"value\":");
                out.share(Bytes::from_owner(RawBytes(site.body_json(n, n.latest()))));
                out.copy(b"}}");
            }
            Some(f) => {
                let mut b = BodyJson::default();
                fill_body(ctx, n, n.latest(), f, &mut b);
                serde_json::to_writer(out.writer(), &b).ok();
            }
            None => out.copy(b"{}"),
        }
        out.copy(b"}");
    }
    out.copy(b"]");
    v2_finish(ctx, out, next, picked.len())
}

/// Lets a cached JSON body be sent without copying it.
struct RawBytes(std::sync::Arc<serde_json::value::RawValue>);

impl AsRef<[u8]> for RawBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.get().as_bytes()
    }
}

/// `GET /spaces/{id}/pages`
pub fn space_pages(ctx: &Ctx, space: &str) -> Resp {
    space_content(ctx, space, NodeKind::Page)
}

/// `GET /spaces/{id}/blogposts`
pub fn space_blog_posts(ctx: &Ctx, space: &str) -> Resp {
    space_content(ctx, space, NodeKind::BlogPost)
}

fn space_content(ctx: &Ctx, space: &str, kind: NodeKind) -> Resp {
    let Some(sid) = parse_id(space) else {
        return errors::v2_bad_request("Invalid space id");
    };
    let Some(set) = ctx.site.space_nodes.get(&sid) else {
        return errors::v2(
            404,
            "NOT_FOUND",
            &format!("Cannot find a space with id [{space}]"),
        );
    };
    let root_only = match ctx.q("depth") {
        None | Some("all") => false,
        Some("root") => true,
        Some(d) => return errors::v2_bad_request(&format!("Invalid depth: {d}")),
    };
    let site = ctx.site;
    let keep =
        move |n: &Node| !root_only || n.parent.is_none() || site.node(n.parent.unwrap()).is_none();
    list_pages(ctx, kind, Source::Space(set), &keep)
}

/// `GET /pages`
pub fn list(ctx: &Ctx) -> Resp {
    list_content(ctx, NodeKind::Page)
}

/// `GET /blogposts`
pub fn list_blog_posts(ctx: &Ctx) -> Resp {
    list_content(ctx, NodeKind::BlogPost)
}

fn list_content(ctx: &Ctx, kind: NodeKind) -> Resp {
    let q = &ctx.req.query;
    let ids = q.list("id");
    if ids.len() > 250 {
        return errors::v2_bad_request("id: size must be between 0 and 250");
    }
    let spaces = q.list("space-id");
    if spaces.len() > 100 {
        return errors::v2_bad_request("space-id: size must be between 0 and 100");
    }
    let mut id_set = BTreeSet::new();
    for i in &ids {
        match i.parse::<Id>() {
            Ok(n) => {
                id_set.insert(n);
            }
            Err(_) => return errors::v2_bad_request(&format!("Invalid id: {i}")),
        }
    }
    let mut space_set = BTreeSet::new();
    for s in &spaces {
        match s.parse::<Id>() {
            Ok(n) => {
                space_set.insert(n);
            }
            Err(_) => return errors::v2_bad_request(&format!("Invalid space-id: {s}")),
        }
    }
    match q.get("subtype") {
        _ if kind == NodeKind::BlogPost => {}
        None | Some("page") => {}
        Some("live") => {
            return v2_list::<PageJson>(ctx, &[], None);
        }
        Some(s) => return errors::v2_bad_request(&format!("Invalid subtype: {s}")),
    }
    let keep = |n: &Node| space_set.is_empty() || space_set.contains(&n.space_id);
    if !ids.is_empty() {
        return list_pages(ctx, kind, Source::Ids(id_set), &keep);
    }
    if space_set.len() == 1 {
        let sid = *space_set.iter().next().unwrap();
        return match ctx.site.space_nodes.get(&sid) {
            Some(set) => list_pages(ctx, kind, Source::Space(set), &keep),
            None => v2_list::<PageJson>(ctx, &[], None),
        };
    }
    list_pages(ctx, kind, Source::All, &keep)
}

/// A page the caller may read, or the v2 404.
pub fn visible_page<'a>(ctx: &Ctx<'a>, id: &str) -> Result<&'a Node, Resp> {
    let node = parse_id(id)
        .and_then(|i| ctx.site.page(i))
        .filter(|n| ctx.site.can_read(n, &ctx.account));
    node.ok_or_else(errors::v2_not_found)
}

fn labels_json(node: &Node, prefix: Option<&str>) -> Vec<serde_json::Value> {
    node.labels
        .iter()
        .filter(|l| prefix.is_none_or(|p| p == l.prefix))
        .map(|l| json!({"id": l.id.to_string(), "name": l.name, "prefix": l.prefix}))
        .collect()
}

/// `GET /pages/{id}`
pub fn get(ctx: &Ctx, id: &str) -> Resp {
    get_content(ctx, id, NodeKind::Page)
}

/// `GET /blogposts/{id}`
pub fn get_blog_post(ctx: &Ctx, id: &str) -> Resp {
    get_content(ctx, id, NodeKind::BlogPost)
}

fn get_content(ctx: &Ctx, id: &str, kind: NodeKind) -> Resp {
    let node = parse_id(id)
        .and_then(|i| ctx.site.node(i))
        .filter(|n| n.kind == kind && ctx.site.can_read(n, &ctx.account))
        .ok_or_else(errors::v2_not_found);
    let node = match node {
        Ok(n) => n,
        Err(r) => return r,
    };
    let q = &ctx.req.query;
    let requested = q.list("status");
    if !requested.is_empty() {
        let ok = requested
            .iter()
            .any(|s| s == "any" || s == node.status.as_str());
        if !ok {
            return errors::v2_not_found();
        }
    }
    let version = match q.get("version") {
        None | Some("") => node.latest(),
        Some(v) => match v.parse::<u32>().ok().and_then(|n| node.version(n)) {
            Some(v) => v,
            None => return errors::v2_not_found(),
        },
    };
    let mut p = page_json(ctx, node, version, false);
    if let Some(f) = q.get("body-format") {
        if !fill_body(
            ctx,
            node,
            version,
            f,
            p.body.get_or_insert_with(BodyJson::default),
        ) {
            return errors::v2_bad_request(&format!("Invalid body-format: {f}"));
        }
    }
    if q.get("include-version") == Some("false") {
        p.version = None;
    }
    let self_link = |what: &str| format!("/wiki/api/v2/pages/{}/{what}", node.id);
    // Sub-lists cap at 50; with more, `meta.cursor` continues on the list
    // endpoint (`/labels`, `/versions`) from the last item shown.
    let sub = |results: Vec<serde_json::Value>, what: &str, sort: &str, key: &str| {
        let more = results.len() > 50;
        let results: Vec<_> = results.into_iter().take(50).collect();
        let mut meta = json!({"hasMore": more});
        if more {
            let last = results.last().and_then(|r| match &r[key] {
                serde_json::Value::String(s) => s.parse::<Id>().ok(),
                v => v.as_u64(),
            });
            if let Some(id) = last {
                let c = Cursor {
                    sort: sort.into(),
                    key: num_key(id as i64),
                    id,
                };
                meta["cursor"] = json!(c.encode());
            }
        }
        json!({"results": results, "meta": meta, "_links": {"self": self_link(what)}})
    };
    if q.flag("include-labels") {
        let mut labels = labels_json(node, None);
        labels.sort_by_key(|l| l["id"].as_str().and_then(|i| i.parse::<Id>().ok()));
        p.labels = Some(sub(labels, "labels", "label", "id"));
    }
    if q.flag("include-properties") {
        p.properties = Some(sub(vec![], "properties", "id", "id"));
    }
    if q.flag("include-operations") {
        p.operations = Some(sub(
            vec![json!({"operation": "read", "targetType": "page"})],
            "operations",
            "id",
            "id",
        ));
    }
    if q.flag("include-likes") {
        p.likes = Some(sub(vec![], "likes", "id", "id"));
    }
    if q.flag("include-versions") {
        let vs: Vec<_> = node
            .versions
            .iter()
            .rev()
            .map(|v| serde_json::to_value(VersionJson::of(v)).unwrap())
            .collect();
        p.versions = Some(sub(vs, "versions", "-modified-date", "number"));
    }
    if q.flag("include-favorited-by-current-user-status") {
        p.is_favorited_by_current_user = Some(false);
    }
    p.links.base = Some(ctx.base.clone());
    Resp::json(200, &p)
}

/// `GET /pages/{id}/labels`
pub fn labels(ctx: &Ctx, id: &str) -> Resp {
    let node = match visible_page(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let cursor = match v2_cursor(ctx, "label") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let prefix = ctx.q("prefix");
    let all: Vec<_> = node
        .labels
        .iter()
        .filter(|l| prefix.is_none_or(|p| p == l.prefix))
        .collect();
    label_page(ctx, all, cursor.as_ref(), limit)
}

/// One window of `labels`, by id, as the v2 label listings answer.
fn label_page(
    ctx: &Ctx,
    mut labels: Vec<&crate::model::Label>,
    cursor: Option<&Cursor>,
    limit: usize,
) -> Resp {
    labels.sort_by_key(|l| l.id);
    let (w, more) = window(
        &labels,
        |l| (num_key(l.id as i64), l.id),
        false,
        cursor,
        limit,
    );
    let results: Vec<_> = w
        .iter()
        .map(|l| json!({"id": l.id.to_string(), "name": l.name, "prefix": l.prefix}))
        .collect();
    let next = more
        .then(|| {
            w.last().map(|l| Cursor {
                sort: "label".into(),
                key: num_key(l.id as i64),
                id: l.id,
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /spaces/{id}/content/labels`: the labels of the space's content
/// the caller can read (each once), by id, filtered by `prefix`.
pub fn space_content_labels(ctx: &Ctx, space: &str) -> Resp {
    let Some(sid) = parse_id(space) else {
        return errors::v2_bad_request("Invalid space id");
    };
    let Some(set) = ctx.site.space_nodes.get(&sid) else {
        return errors::v2(
            404,
            "NOT_FOUND",
            &format!("Cannot find a space with id [{space}]"),
        );
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let cursor = match v2_cursor(ctx, "label") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let prefix = ctx.q("prefix");
    let mut seen = BTreeSet::new();
    let all: Vec<_> = set
        .iter()
        .filter_map(|id| ctx.site.node(*id))
        .filter(|n| ctx.site.can_read(n, &ctx.account))
        .flat_map(|n| n.labels.iter())
        .filter(|l| prefix.is_none_or(|p| p == l.prefix))
        .filter(|l| seen.insert(l.id))
        .collect();
    label_page(ctx, all, cursor.as_ref(), limit)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PageVersionJson<'a> {
    created_at: String,
    message: &'a str,
    number: u32,
    minor_edit: bool,
    author_id: &'a str,
    page: serde_json::Value,
}

/// `GET /pages/{id}/versions`
pub fn versions(ctx: &Ctx, id: &str) -> Resp {
    let node = match visible_page(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let desc = match ctx.q("sort") {
        None | Some("-modified-date") => true,
        Some("modified-date") => false,
        Some(s) => return errors::v2_bad_request(&format!("Invalid sort: {s}")),
    };
    let sort_name = if desc {
        "-modified-date"
    } else {
        "modified-date"
    };
    let cursor = match v2_cursor(ctx, sort_name) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let body_format = ctx.q("body-format");
    if let Some(f) = body_format {
        if f != "storage" && f != "atlas_doc_format" {
            return errors::v2_bad_request(&format!("Invalid body-format: {f}"));
        }
    }
    let mut all: Vec<_> = node.versions.iter().collect();
    if desc {
        all.reverse();
    }
    let (w, more) = window(
        &all,
        |v| (num_key(v.number as i64), v.number as Id),
        desc,
        cursor.as_ref(),
        limit,
    );
    let results: Vec<_> = w
        .iter()
        .map(|v| {
            let mut page = json!({"id": node.id.to_string(), "title": v.title});
            if let Some(f) = body_format {
                let mut b = BodyJson::default();
                fill_body(ctx, node, v, f, &mut b);
                page["body"] = serde_json::to_value(b).unwrap();
            }
            PageVersionJson {
                created_at: iso(v.created_ms),
                message: &v.message,
                number: v.number,
                minor_edit: v.minor_edit,
                author_id: &v.author_id,
                page,
            }
        })
        .collect();
    let next = more
        .then(|| {
            w.last().map(|v| Cursor {
                sort: sort_name.into(),
                key: num_key(v.number as i64),
                id: v.number as Id,
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /pages/{id}/versions/{n}`
pub fn version(ctx: &Ctx, id: &str, n: &str) -> Resp {
    let node = match visible_page(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let Some(v) = n.parse::<u32>().ok().and_then(|n| node.version(n)) else {
        return errors::v2_not_found();
    };
    let last = node.version_number();
    Resp::json(
        200,
        &json!({
            "number": v.number,
            "authorId": v.author_id,
            "message": v.message,
            "createdAt": iso(v.created_ms),
            "minorEdit": v.minor_edit,
            "contentTypeModified": false,
            "collaborators": [v.author_id],
            "prevVersion": if v.number > 1 { json!(v.number - 1) } else { json!(null) },
            "nextVersion": if v.number < last { json!(v.number + 1) } else { json!(null) },
        }),
    )
}
