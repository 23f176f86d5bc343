//! v2 spaces: `/spaces`, `/spaces/{id}`.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::super::pagination::{Cursor, num_key, v2_cursor, v2_limit, v2_list, window};
use super::parse_id;
use crate::http::Resp;
use crate::model::Space;
use crate::model::time::iso;

fn space_json(ctx: &Ctx, s: &Space) -> Value {
    let desc = match ctx.q("description-format") {
        Some("plain") => json!({"plain": {"representation": "plain", "value": s.description}}),
        Some("view") => {
            json!({"view": {"representation": "view", "value": format!("<p>{}</p>", crate::render::view::escape(&s.description))}})
        }
        _ => Value::Null,
    };
    let icon = if ctx.req.query.flag("include-icon") {
        json!({"path": "/images/logo/default-space-logo.svg", "apiDownloadLink": null})
    } else {
        Value::Null
    };
    let mut v = json!({
        "id": s.id.to_string(),
        "key": s.key,
        "name": s.name,
        "type": s.kind,
        "status": s.status,
        "authorId": s.author_id,
        "spaceOwnerId": s.author_id,
        "currentActiveAlias": s.key,
        "createdAt": iso(s.created_ms),
        "homepageId": s.homepage_id.map(|h| h.to_string()),
        "_links": {"webui": format!("/spaces/{}", s.key)}
    });
    if !desc.is_null() {
        v["description"] = desc;
    }
    if !icon.is_null() {
        v["icon"] = icon;
    }
    if ctx.req.path.ends_with(&format!("/spaces/{}", s.id)) {
        v.as_object_mut().unwrap().remove("currentActiveAlias");
    }
    v
}

/// `GET /spaces`
pub fn list(ctx: &Ctx) -> Resp {
    let q = &ctx.req.query;
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let sort = q.get("sort").unwrap_or("id");
    let (desc, field) = match sort.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, sort),
    };
    if !matches!(field, "id" | "key" | "name") {
        return errors::v2_bad_request(&format!("Invalid sort: {sort}"));
    }
    let cursor = match v2_cursor(ctx, sort) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ids = q.list("ids");
    let keys = q.list("keys");
    let types = q.list("type");
    let statuses = q.list("status");
    if ids.len() > 100 || keys.len() > 250 {
        return errors::v2_bad_request("Too many ids or keys");
    }
    let key_of = |s: &Space| -> String {
        match field {
            "key" => s.key.to_string(),
            "name" => s.name.to_string(),
            _ => num_key(s.id as i64),
        }
    };
    let mut all: Vec<&Space> = ctx
        .site
        .spaces
        .values()
        .filter(|s| ids.is_empty() || ids.iter().any(|i| *i == s.id.to_string()))
        .filter(|s| keys.is_empty() || keys.iter().any(|k| **k == *s.key))
        .filter(|s| types.is_empty() || types.iter().any(|t| **t == *s.kind))
        .filter(|s| statuses.is_empty() || statuses.iter().any(|t| **t == *s.status))
        .filter(|s| q.get("labels").is_none() || s.id == 0)
        .collect();
    all.sort_by_key(|s| (key_of(s), s.id));
    if desc {
        all.reverse();
    }
    let (w, more) = window(&all, |s| (key_of(s), s.id), desc, cursor.as_ref(), limit);
    let results: Vec<Value> = w.iter().map(|s| space_json(ctx, s)).collect();
    let next = more
        .then(|| {
            w.last().map(|s| Cursor {
                sort: sort.to_string(),
                key: key_of(s),
                id: s.id,
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /spaces/{id}`
pub fn get(ctx: &Ctx, id: &str) -> Resp {
    match parse_id(id).and_then(|i| ctx.site.spaces.get(&i)) {
        Some(s) => Resp::json(200, &space_json(ctx, s)),
        None => errors::v2(
            404,
            "NOT_FOUND",
            &format!("Cannot find a space with id [{id}]"),
        ),
    }
}
