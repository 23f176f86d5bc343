//! The control API (`/__sim/...`): how tests and benchmarks mutate the site,
//! inject faults and read request counts. Not part of Confluence.
//!
//! This file routes and holds what every endpoint shares (body parsing,
//! authors, timestamps) plus the small site-wide calls (stats, info,
//! faults); each kind of thing a test can change has its own file.

mod attachments;
mod comments;
mod labels;
mod pages;
mod users;

use std::sync::Arc;

use hyper::Method;
use serde_json::{Map, Value, json};

use crate::config::Flavor;
use crate::faults::FaultSpec;
use crate::http::{Req, Resp};
use crate::model::time::{self, Millis};
use crate::model::{Id, NodeKind, Site};
use crate::network::NetworkModel;
use crate::server::State;

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
        (&Method::POST, ["pages"]) => pages::create_page(state, req),
        (&Method::PATCH, ["pages", id]) => pages::patch_page(state, req, id),
        (&Method::DELETE, ["pages", id]) => pages::delete_page(state, req, id),
        (&Method::PUT, ["pages", id, "restrictions"]) => pages::restrict(state, req, id),
        (&Method::POST, ["pages", id, "attachments"]) => {
            attachments::add_attachment(state, req, id)
        }
        (&Method::DELETE, ["attachments", id]) => attachments::delete_attachment(state, req, id),
        (&Method::POST, ["pages", id, "labels"]) => labels::add(state, req, id),
        (&Method::PATCH, ["users", account]) => users::patch(state, req, account),
        (&Method::DELETE, ["pages", id, "labels", name]) => labels::remove(state, id, name),
        (&Method::POST, ["pages", id, "comments"]) => comments::add(state, req, id),
        (&Method::POST, ["comments", id, "replies"]) => comments::reply(state, req, id),
        (&Method::PUT, ["comments", id]) => comments::edit(state, req, id),
        (&Method::POST, ["comments", id, "resolve"]) => comments::resolve(state, id, true),
        (&Method::POST, ["comments", id, "reopen"]) => comments::resolve(state, id, false),
        (&Method::DELETE, ["comments", id]) => comments::delete(state, id),
        (&Method::GET, ["jira", "issues"]) => Resp::json(200, &state.jira.read().list()),
        (&Method::PUT, ["jira", "issues", key]) => {
            let m = match body_object(req) {
                Ok(m) => m,
                Err(r) => return r,
            };
            let (summary, status) = match (str_field(&m, "summary"), str_field(&m, "status")) {
                (Ok(a), Ok(b)) => (a, b),
                (Err(r), _) | (_, Err(r)) => return r,
            };
            match state.jira.write().upsert(key, summary, status) {
                Some(v) => Resp::json(200, &v),
                None => bad(format!("{key:?} is not an issue key")),
            }
        }
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
        (&Method::GET, ["network"]) => Resp::json(200, &state.network.current()),
        (&Method::PUT, ["network"]) => {
            let value = match serde_json::from_slice::<Value>(&req.body) {
                Ok(v) => v,
                Err(e) => return bad(format!("invalid network: {e}")),
            };
            match NetworkModel::from_json(value) {
                Ok(model) => {
                    state.network.set(model);
                    Resp::json(200, &model)
                }
                Err(e) => bad(e.to_string()),
            }
        }
        (&Method::DELETE, ["network"]) => {
            state.network.set(NetworkModel::off());
            Resp::json(200, &NetworkModel::off())
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
            "blogPosts": site.nodes.values().filter(|n| n.kind == NodeKind::BlogPost).count(),
            "attachments": site.attachments.len(),
            "spaces": spaces,
            "users": users,
        }),
    )
}
