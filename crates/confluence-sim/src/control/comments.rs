//! Control endpoints for page comments. As in Confluence, none of them
//! makes a new page version: only comment listings show the change.
//!
//! - `POST /__sim/pages/{id}/comments` with `{"body": storage, "location":
//!   "footer"|"inline", "selection": text (inline), "author": accountId}`
//!   adds a top-level comment.
//! - `POST /__sim/comments/{id}/replies` with `{"body", "author"}` replies
//!   (the reply shares its thread's location).
//! - `PUT /__sim/comments/{id}` with `{"body"}` edits (the comment's own
//!   version rises).
//! - `POST /__sim/comments/{id}/resolve` and `.../reopen` (inline threads).
//! - `DELETE /__sim/comments/{id}` deletes the comment and its replies.
//!
//! Each answers `{"id", "pageId", "version"}` (DELETE: `{"deleted": [ids]}`).
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::http::{Req, Resp};
use crate::model::comments::{Comment, Location, Resolution};
use crate::model::{Id, Site, time};
use crate::server::State;

fn bad(msg: impl Into<String>) -> Resp {
    Resp::json(400, &json!({"error": msg.into()}))
}

fn not_found(what: &str, id: &str) -> Resp {
    Resp::json(404, &json!({"error": format!("no {what} {id}")}))
}

fn answer(c: &Comment) -> Resp {
    Resp::json(
        200,
        &json!({"id": c.id.to_string(), "pageId": c.page_id.to_string(), "version": c.version}),
    )
}

fn fields(req: &Req) -> Result<Map<String, Value>, Resp> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad("expected a JSON object")),
    }
}

fn text<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, Resp> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("{key:?} must be a string"))),
    }
}

fn author(site: &Site, m: &Map<String, Value>) -> Result<Arc<str>, Resp> {
    match text(m, "author")? {
        None => Ok(site.default_account.clone()),
        Some(a) => site
            .user(a)
            .map(|u| u.account_id.clone())
            .ok_or_else(|| bad(format!("unknown author {a:?}"))),
    }
}

fn body(m: &Map<String, Value>) -> Result<Arc<str>, Resp> {
    text(m, "body")?
        .map(Arc::from)
        .ok_or_else(|| bad("expected {\"body\": storage}"))
}

/// A timestamp after `prev`, so edits always move forwards.
fn stamp(prev: time::Millis) -> time::Millis {
    time::now().max(prev + 1)
}

fn insert(
    site: &mut Site,
    page_id: Id,
    parent: Option<Id>,
    location: Location,
    m: &Map<String, Value>,
) -> Result<Comment, Resp> {
    let author = author(site, m)?;
    let body = body(m)?;
    let id = site.alloc_id();
    let now = time::now();
    let c = Comment {
        id,
        page_id,
        parent,
        location,
        author_id: author.clone(),
        created_ms: now,
        version: 1,
        modified_ms: now,
        modifier_id: author,
        body,
        resolution: Resolution::Open,
        resolution_by: None,
        resolution_ms: None,
    };
    site.comments.insert(id, c.clone());
    Ok(c)
}

/// `POST /__sim/pages/{id}/comments`
pub fn add(state: &State, req: &Req, page: &str) -> Resp {
    let m = match fields(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(page_id) = page.parse::<Id>().ok().filter(|i| site.node(*i).is_some()) else {
        return not_found("page", page);
    };
    let location = match text(&m, "location") {
        Ok(None | Some("footer")) => Location::Footer,
        Ok(Some("inline")) => match text(&m, "selection") {
            Ok(Some(sel)) if !sel.is_empty() => Location::Inline {
                marker_ref: Arc::from(crate::model::uuid_from(site.alloc_id())),
                selection: Arc::from(sel),
            },
            Ok(_) => return bad("an inline comment needs a \"selection\""),
            Err(r) => return r,
        },
        Ok(Some(other)) => return bad(format!("unknown location {other:?}")),
        Err(r) => return r,
    };
    match insert(&mut site, page_id, None, location, &m) {
        Ok(c) => answer(&c),
        Err(r) => r,
    }
}

/// `POST /__sim/comments/{id}/replies`
pub fn reply(state: &State, req: &Req, id: &str) -> Resp {
    let m = match fields(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(parent) = id.parse::<Id>().ok().and_then(|i| site.comments.get(&i)) else {
        return not_found("comment", id);
    };
    let (page_id, parent_id, location) = (parent.page_id, parent.id, parent.location.clone());
    match insert(&mut site, page_id, Some(parent_id), location, &m) {
        Ok(c) => answer(&c),
        Err(r) => r,
    }
}

/// `PUT /__sim/comments/{id}`
pub fn edit(state: &State, req: &Req, id: &str) -> Resp {
    let m = match fields(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let who = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let new_body = match body(&m) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let Some(c) = id
        .parse::<Id>()
        .ok()
        .and_then(|i| site.comments.get_mut(&i))
    else {
        return not_found("comment", id);
    };
    c.body = new_body;
    c.version += 1;
    c.modified_ms = stamp(c.modified_ms);
    c.modifier_id = who;
    answer(c)
}

/// `POST /__sim/comments/{id}/resolve` (`resolved`) and `.../reopen`.
pub fn resolve(state: &State, id: &str, resolved: bool) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let who = site.default_account.clone();
    let Some(c) = id
        .parse::<Id>()
        .ok()
        .and_then(|i| site.comments.get_mut(&i))
    else {
        return not_found("comment", id);
    };
    if c.location == Location::Footer || c.parent.is_some() {
        return bad("only an inline thread's first comment can be resolved");
    }
    c.resolution = if resolved {
        Resolution::Resolved
    } else {
        Resolution::Reopened
    };
    c.resolution_ms = Some(stamp(c.resolution_ms.unwrap_or(c.modified_ms)));
    c.resolution_by = Some(who);
    answer(c)
}

/// `DELETE /__sim/comments/{id}`: the comment and every reply below it.
pub fn delete(state: &State, id: &str) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let Some(root) = id
        .parse::<Id>()
        .ok()
        .filter(|i| site.comments.contains_key(i))
    else {
        return not_found("comment", id);
    };
    let mut gone = vec![root];
    let mut i = 0;
    while i < gone.len() {
        let p = gone[i];
        gone.extend(
            site.comments
                .values()
                .filter(|c| c.parent == Some(p))
                .map(|c| c.id),
        );
        i += 1;
    }
    for g in &gone {
        site.comments.remove(g);
    }
    let ids: Vec<String> = gone.iter().map(Id::to_string).collect();
    Resp::json(200, &json!({"deleted": ids}))
}
