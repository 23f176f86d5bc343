//! The control API (`/__sim/...`): how tests and benchmarks mutate the site,
//! inject faults and read request counts. Not part of Confluence.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use hyper::Method;
use serde_json::{Map, Value, json};

use crate::config::Flavor;
use crate::faults::FaultSpec;
use crate::http::{Req, Resp};
use crate::model::time::{self, Millis};
use crate::model::{
    AttVersion, Attachment, Body, Id, Node, NodeKind, Site, Status, Version, uuid_from,
};
use crate::server::State;
use crate::site::rng::mix;

fn bad(msg: impl Into<String>) -> Resp {
    Resp::json(400, &json!({"error": msg.into()}))
}

fn not_found(msg: impl Into<String>) -> Resp {
    Resp::json(404, &json!({"error": msg.into()}))
}

fn body_object(req: &Req) -> Result<Map<String, Value>, Resp> {
    if req.body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad("expected a JSON object")),
        Err(e) => Err(bad(format!("invalid JSON: {e}"))),
    }
}

/// Parses an id given as a JSON string or number.
fn id_of(v: &Value) -> Option<Id> {
    match v {
        Value::String(s) => s.trim_start_matches("att").parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn str_field<'a>(m: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, Resp> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad(format!("{k} must be a string"))),
    }
}

/// A timestamp strictly after `prev` (versions must be ordered even when the
/// clock is coarse).
fn stamp(prev: Millis) -> Millis {
    time::now().max(prev + 1)
}

fn author(site: &Site, m: &Map<String, Value>) -> Result<Arc<str>, Resp> {
    match str_field(m, "author")? {
        None => Ok(site.default_account.clone()),
        Some(a) => site
            .user(a)
            .map(|u| u.account_id.clone())
            .ok_or_else(|| bad(format!("unknown author {a:?}"))),
    }
}

pub fn handle(state: &State, req: &Req) -> Resp {
    let path = req.path.trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').skip(2).collect();
    let m = &req.method;
    match (m, segs.as_slice()) {
        (&Method::GET, ["stats"]) => Resp::json(200, &state.stats.snapshot(prefix(state))),
        (&Method::POST, ["stats", "reset"]) => {
            state.stats.reset();
            Resp::json(200, &json!({"ok": true}))
        }
        (&Method::GET, ["health"]) => Resp::json(200, &json!({"ok": true})),
        (&Method::GET, ["info"]) => info(state),
        (&Method::POST, ["pages"]) => create_page(state, req),
        (&Method::PATCH, ["pages", id]) => patch_page(state, req, id),
        (&Method::DELETE, ["pages", id]) => delete_page(state, req, id),
        (&Method::PUT, ["pages", id, "restrictions"]) => restrict(state, req, id),
        (&Method::POST, ["pages", id, "attachments"]) => add_attachment(state, req, id),
        (&Method::DELETE, ["attachments", id]) => delete_attachment(state, req, id),
        (&Method::POST, ["pages", id, "labels"]) => crate::control_labels::add(state, req, id),
        (&Method::PATCH, ["users", account]) => crate::control_users::patch(state, req, account),
        (&Method::DELETE, ["pages", id, "labels", name]) => {
            crate::control_labels::remove(state, id, name)
        }
        (&Method::POST, ["pages", id, "comments"]) => crate::control_comments::add(state, req, id),
        (&Method::POST, ["comments", id, "replies"]) => {
            crate::control_comments::reply(state, req, id)
        }
        (&Method::PUT, ["comments", id]) => crate::control_comments::edit(state, req, id),
        (&Method::POST, ["comments", id, "resolve"]) => {
            crate::control_comments::resolve(state, id, true)
        }
        (&Method::POST, ["comments", id, "reopen"]) => {
            crate::control_comments::resolve(state, id, false)
        }
        (&Method::DELETE, ["comments", id]) => crate::control_comments::delete(state, id),
        (&Method::PUT, ["faults"]) => {
            let spec: FaultSpec = match serde_json::from_slice(&req.body) {
                Ok(s) => s,
                Err(e) => return bad(format!("invalid faults: {e}")),
            };
            if let Err(e) = spec.validate() {
                return bad(e);
            }
            state.faults.set(spec);
            Resp::json(200, &json!({"ok": true}))
        }
        (&Method::DELETE, ["faults"]) => {
            state.faults.clear();
            Resp::json(200, &json!({"ok": true}))
        }
        (&Method::GET, ["faults"]) => {
            Resp::json(200, &json!({"active": state.faults.current().is_some()}))
        }
        _ => not_found(format!("no control endpoint {} {}", m, req.path)),
    }
}

fn prefix(state: &State) -> &str {
    match state.run.flavor {
        Flavor::Cloud => "/wiki",
        Flavor::DataCenter => &state.run.context_path,
    }
}

fn info(state: &State) -> Resp {
    let site = state.site.read();
    let users: Vec<Value> = site
        .users
        .iter()
        .map(
            |u| json!({"accountId": u.account_id, "displayName": u.display_name, "email": u.email}),
        )
        .collect();
    let spaces: Vec<Value> = site
        .spaces
        .values()
        .map(|s| json!({"id": s.id.to_string(), "key": s.key, "homepageId": s.homepage_id.map(|h| h.to_string())}))
        .collect();
    Resp::json(
        200,
        &json!({
            "flavor": match state.run.flavor { Flavor::Cloud => "cloud", Flavor::DataCenter => "dc" },
            "origin": state.origin,
            "base": format!("{}{}", state.origin, prefix(state)),
            "defaultAccountId": site.default_account,
            "cloudId": site.cloud_id,
            "pages": site.nodes.values().filter(|n| n.kind == NodeKind::Page).count(),
            "attachments": site.attachments.len(),
            "spaces": spaces,
            "users": users,
        }),
    )
}

fn create_page(state: &State, req: &Req) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let space_key = match str_field(&m, "space") {
        Ok(Some(k)) => k,
        Ok(None) => return bad("space is required"),
        Err(r) => return r,
    };
    let Some(space) = site.space_by_key(space_key).map(|s| s.id) else {
        return not_found(format!("unknown space {space_key:?}"));
    };
    let title = match str_field(&m, "title") {
        Ok(Some(t)) if !t.trim().is_empty() => t.to_string(),
        Ok(_) => return bad("title is required"),
        Err(r) => return r,
    };
    if site.by_title(space, &title).is_some() {
        return bad(format!(
            "a page titled {title:?} already exists in {space_key}"
        ));
    }
    let parent = match m.get("parent_id") {
        None | Some(Value::Null) => None,
        Some(v) => match id_of(v).and_then(|p| site.node(p)) {
            Some(p) if p.space_id == space => Some(p.id),
            Some(_) => return bad("parent_id is in another space"),
            None => return not_found("unknown parent_id"),
        },
    };
    let body = match str_field(&m, "body") {
        Ok(b) => b.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = site.alloc_id();
    let now = time::now();
    let position = site.next_position(space, parent);
    site.insert_node(Node {
        id,
        kind: NodeKind::Page,
        space_id: space,
        parent,
        position,
        status: Status::Current,
        created_ms: now,
        author_id: author.clone(),
        versions: vec![Version {
            number: 1,
            title: Arc::from(title.as_str()),
            body: Body::stored(body),
            author_id: author,
            created_ms: now,
            message: Arc::from(""),
            minor_edit: false,
        }],
        labels: Vec::new(),
        read_restriction: Vec::new(),
        children: Vec::new(),
        attachments: Vec::new(),
    });
    Resp::json(200, &json!({"id": id.to_string()}))
}

fn patch_page(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(node) = id.parse::<Id>().ok().and_then(|i| site.node(i)) else {
        return not_found(format!("no page {id}"));
    };
    let id = node.id;
    let space = node.space_id;
    let old_title = node.title().to_string();
    let latest = node.latest().clone();
    let title = match str_field(&m, "title") {
        Ok(t) => t.map(str::to_string),
        Err(r) => return r,
    };
    if let Some(t) = &title {
        if t.trim().is_empty() {
            return bad("title must not be empty");
        }
        if *t != old_title && site.by_title(space, t).is_some() {
            return bad(format!("a page titled {t:?} already exists in this space"));
        }
    }
    let body = match str_field(&m, "body") {
        Ok(b) => b.map(str::to_string),
        Err(r) => return r,
    };
    let new_parent = match m.get("parent_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match id_of(v).and_then(|p| site.node(p)) {
            Some(p) if p.space_id != space => return bad("parent_id is in another space"),
            Some(p) if p.id == id || site.ancestors(p.id).contains(&id) => {
                return bad("cannot move a page under itself");
            }
            Some(p) if p.status == Status::Trashed => return bad("parent_id is trashed"),
            Some(p) => Some(Some(p.id)),
            None => return not_found("unknown parent_id"),
        },
    };
    let position = match m.get("position") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(p) => Some(p),
            None => return bad("position must be an integer"),
        },
    };
    let status = match str_field(&m, "status") {
        Ok(None) => None,
        Ok(Some(s)) => match Status::parse(s) {
            Some(s @ (Status::Current | Status::Archived)) => Some(s),
            _ => return bad("status must be current or archived"),
        },
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let message = match str_field(&m, "message") {
        Ok(s) => s.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let minor = m
        .get("minor_edit")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Only an edit makes a version: Confluence Cloud moves, reorders and
    // restores a page without bumping `version.number`.
    let bump = m
        .get("new_version")
        .and_then(Value::as_bool)
        .unwrap_or(title.is_some() || body.is_some());
    if new_parent.is_some() || position.is_some() {
        let parent = new_parent.unwrap_or(site.nodes[&id].parent);
        site.place_node(id, parent, position);
    }
    // `"status": "current"` on a trashed page restores it where it was (its
    // parent is never trashed: trashing a page moves its children up).
    if let Some(s) = status {
        site.nodes.get_mut(&id).unwrap().status = s;
    }
    if bump {
        let n = site.nodes.get_mut(&id).unwrap();
        let number = latest.number + 1;
        n.versions.push(Version {
            number,
            title: title
                .as_deref()
                .map(Arc::from)
                .unwrap_or(latest.title.clone()),
            body: body.map(Body::stored).unwrap_or(latest.body.clone()),
            author_id: author,
            created_ms: stamp(latest.created_ms),
            message: Arc::from(message.as_str()),
            minor_edit: minor,
        });
        site.retitle(id, &old_title);
    }
    let n = &site.nodes[&id];
    Resp::json(
        200,
        &json!({"id": id.to_string(), "version": n.version_number(), "parent_id": n.parent.map(|p| p.to_string()), "position": n.position, "status": n.status.as_str()}),
    )
}

fn delete_page(state: &State, req: &Req, id: &str) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let Some(id) = id.parse::<Id>().ok().filter(|i| site.node(*i).is_some()) else {
        return not_found(format!("no page {id}"));
    };
    if req.query.flag("purge") {
        site.purge(id);
    } else {
        site.trash(id);
    }
    Resp::empty(204)
}

fn restrict(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(id) = id.parse::<Id>().ok().filter(|i| site.node(*i).is_some()) else {
        return not_found(format!("no page {id}"));
    };
    let Some(list) = m.get("read").and_then(Value::as_array) else {
        return bad("read must be a list of account ids");
    };
    let mut read = Vec::new();
    for a in list {
        let Some(a) = a.as_str() else {
            return bad("read must be a list of account ids");
        };
        // Unknown accounts are allowed: a page restricted to someone else.
        read.push(
            site.user(a)
                .map(|u| u.account_id.clone())
                .unwrap_or_else(|| Arc::from(a)),
        );
    }
    site.set_restriction(id, read.clone());
    Resp::json(200, &json!({"id": id.to_string(), "read": read}))
}

fn add_attachment(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(page) = id
        .parse::<Id>()
        .ok()
        .and_then(|i| site.page(i))
        .map(|n| n.id)
    else {
        return not_found(format!("no page {id}"));
    };
    let filename = match str_field(&m, "filename") {
        Ok(Some(f)) if !f.is_empty() && !f.contains('/') => f.to_string(),
        Ok(_) => return bad("filename is required (no slashes)"),
        Err(r) => return r,
    };
    let data = match str_field(&m, "data_base64") {
        Ok(Some(d)) => match base64::engine::general_purpose::STANDARD.decode(d.trim()) {
            Ok(b) => b,
            Err(_) => return bad("data_base64 is not valid base64"),
        },
        Ok(None) => return bad("data_base64 is required"),
        Err(r) => return r,
    };
    let media_type = match str_field(&m, "media_type") {
        Ok(t) => t
            .map(str::to_string)
            .unwrap_or_else(|| crate::site::dir::guess_media_type(&filename).into()),
        Err(r) => return r,
    };
    let comment = match str_field(&m, "comment") {
        Ok(c) => c.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let existing = site.nodes[&page].attachments.iter().copied().find(|a| {
        site.attachments
            .get(a)
            .is_some_and(|a| *a.filename == *filename)
    });
    let (att_id, number, file_id) = match existing {
        Some(aid) => {
            let a = site.attachments.get_mut(&aid).unwrap();
            let number = a.latest().number + 1;
            let file_id = uuid_from(mix(aid, number as u64 ^ time::now() as u64));
            let created = stamp(a.latest().created_ms);
            a.versions.push(AttVersion {
                number,
                data: Bytes::from(data),
                file_id: Arc::from(file_id.as_str()),
                created_ms: created,
                author_id: author,
                comment: Arc::from(comment.as_str()),
            });
            a.media_type = Arc::from(media_type.as_str());
            a.status = Status::Current;
            (aid, number, file_id)
        }
        None => {
            let aid = site.alloc_id();
            let now = time::now();
            let file_id = uuid_from(mix(aid, now as u64));
            site.attachments.insert(
                aid,
                Attachment {
                    id: aid,
                    page_id: page,
                    status: Status::Current,
                    filename: Arc::from(filename.as_str()),
                    media_type: Arc::from(media_type.as_str()),
                    created_ms: now,
                    versions: vec![AttVersion {
                        number: 1,
                        data: Bytes::from(data),
                        file_id: Arc::from(file_id.as_str()),
                        created_ms: now,
                        author_id: author,
                        comment: Arc::from(comment.as_str()),
                    }],
                },
            );
            site.nodes.get_mut(&page).unwrap().attachments.push(aid);
            (aid, 1, file_id)
        }
    };
    Resp::json(
        200,
        &json!({"id": format!("att{att_id}"), "version": number, "fileId": file_id}),
    )
}

fn delete_attachment(state: &State, req: &Req, id: &str) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let Some(aid) = id
        .strip_prefix("att")
        .unwrap_or(id)
        .parse::<Id>()
        .ok()
        .filter(|a| site.attachments.contains_key(a))
    else {
        return not_found(format!("no attachment {id}"));
    };
    if req.query.flag("purge") {
        let a = site.attachments.remove(&aid).unwrap();
        if let Some(n) = site.nodes.get_mut(&a.page_id) {
            n.attachments.retain(|x| *x != aid);
        }
    } else {
        site.attachments.get_mut(&aid).unwrap().status = Status::Trashed;
    }
    Resp::empty(204)
}
