//! v2 attachments: `/pages/{id}/attachments`, `/attachments/{id}`.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::super::media::{download_link, webui_link};
use super::super::pagination::{Cursor, num_key, v2_cursor, v2_limit, v2_list, window};
use super::pages::visible_page;
use crate::http::Resp;
use crate::model::time::iso;
use crate::model::{AttVersion, Attachment, Status, media_type_description};

pub fn attachment_json(a: &Attachment, v: &AttVersion) -> Value {
    let download = download_link(a, v);
    let webui = webui_link(a);
    json!({
        "id": format!("att{}", a.id),
        "status": a.status.as_str(),
        "title": a.filename,
        "createdAt": iso(a.created_ms),
        "pageId": a.page_id.to_string(),
        "mediaType": a.media_type,
        "mediaTypeDescription": media_type_description(&a.media_type),
        "comment": v.comment,
        "fileId": v.file_id,
        "fileSize": v.data.len(),
        "webuiLink": webui,
        "downloadLink": download,
        "version": {
            "number": v.number,
            "message": "",
            "minorEdit": false,
            "authorId": v.author_id,
            "createdAt": iso(v.created_ms)
        },
        "_links": {"webui": webui, "download": download}
    })
}

/// `GET /pages/{id}/attachments` (default limit 50).
pub fn page_attachments(ctx: &Ctx, id: &str) -> Resp {
    let node = match visible_page(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let q = &ctx.req.query;
    let limit = match v2_limit(ctx, 50) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let sort = q.get("sort").unwrap_or("created-date");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort),
    };
    if !matches!(field, "created-date" | "modified-date") {
        return errors::v2_bad_request(&format!("Invalid sort: {sort}"));
    }
    let cursor = match v2_cursor(ctx, sort) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let statuses: Vec<String> = {
        let l = q.list("status");
        if l.is_empty() {
            vec!["current".into(), "archived".into()]
        } else {
            l
        }
    };
    let media = q.get("mediaType");
    let filename = q.get("filename");
    let key = |a: &&Attachment| -> (String, u64) {
        let t = if field == "modified-date" {
            a.latest().created_ms
        } else {
            a.created_ms
        };
        (num_key(t), a.id)
    };
    let mut all: Vec<&Attachment> = node
        .attachments
        .iter()
        .filter_map(|i| ctx.site.attachments.get(i))
        .filter(|a| statuses.iter().any(|s| s == a.status.as_str()))
        .filter(|a| media.is_none_or(|m| m == &*a.media_type))
        .filter(|a| filename.is_none_or(|f| f == &*a.filename))
        .collect();
    all.sort_by_key(|a| key(a));
    if desc {
        all.reverse();
    }
    let (w, more) = window(&all, key, desc, cursor.as_ref(), limit);
    let results: Vec<Value> = w.iter().map(|a| attachment_json(a, a.latest())).collect();
    let next = more
        .then(|| {
            w.last().map(|a| {
                let (k, id) = key(a);
                Cursor {
                    sort: sort.to_string(),
                    key: k,
                    id,
                }
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /attachments/{id}` (`att123` or `123`; `version=N`).
pub fn get(ctx: &Ctx, id: &str) -> Resp {
    let Some(n) = id.strip_prefix("att").unwrap_or(id).parse::<u64>().ok() else {
        return errors::v2_bad_request("Invalid attachment id");
    };
    let Some(a) = ctx.site.attachments.get(&n) else {
        return errors::v2_not_found();
    };
    let Some(page) = ctx.site.node(a.page_id) else {
        return errors::v2_not_found();
    };
    if !ctx.site.can_read(page, &ctx.account) || a.status == Status::Draft {
        return errors::v2_not_found();
    }
    let v = match ctx.q("version") {
        None | Some("") => a.latest(),
        Some(v) => match v.parse::<u32>().ok().and_then(|n| a.version(n)) {
            Some(v) => v,
            None => return errors::v2_not_found(),
        },
    };
    let mut j = attachment_json(a, v);
    j["_links"]["base"] = json!(ctx.base);
    Resp::json(200, &j)
}
