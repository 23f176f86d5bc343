//! Control endpoints for page labels. As in Confluence, adding or removing
//! a label makes no new page version: only listings that carry labels
//! (`expand=metadata.labels`, `include-labels`, `/labels`) show the change.
//!
//! - `POST /__sim/pages/{id}/labels` with `{"labels": ["a", "b"]}` adds
//!   global labels (names are lowercased; a label already there is kept).
//! - `DELETE /__sim/pages/{id}/labels/{name}` removes one.
//!
//! Both answer `{"id": …, "labels": [names]}`.
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::http::{Req, Resp};
use crate::model::{Id, Label, Site};
use crate::server::State;

/// Characters Confluence refuses in a label name.
const REFUSED: &[char] = &[
    ':', ';', ',', '.', '?', '&', '[', ']', '(', ')', '#', '^', '*', '@', '!',
];

fn answer(site: &Site, id: Id) -> Resp {
    let names: Vec<&str> = site
        .nodes
        .get(&id)
        .map(|n| n.labels.iter().map(|l| &*l.name).collect())
        .unwrap_or_default();
    Resp::json(200, &json!({"id": id.to_string(), "labels": names}))
}

fn page_id(site: &Site, id: &str) -> Option<Id> {
    id.parse::<Id>().ok().filter(|i| site.page(*i).is_some())
}

/// A label name as Confluence stores it, or why not.
fn normalize(name: &str) -> Result<String, String> {
    let name = name.trim().to_lowercase();
    if name.is_empty() || name.chars().count() > 255 {
        return Err("a label is 1 to 255 characters".into());
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || REFUSED.contains(&c))
    {
        return Err(format!("label {name:?} has a space or one of {REFUSED:?}"));
    }
    Ok(name)
}

/// `POST /__sim/pages/{id}/labels`
pub fn add(state: &State, req: &Req, id: &str) -> Resp {
    let names = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => match v.get("labels").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .map(|l| l.as_str().map(normalize))
                .collect::<Option<Result<Vec<String>, String>>>(),
            None => None,
        },
        Err(_) => None,
    };
    let names = match names {
        Some(Ok(n)) => n,
        Some(Err(e)) => return Resp::json(400, &json!({"error": e})),
        None => {
            return Resp::json(400, &json!({"error": "expected {\"labels\": [names]}"}));
        }
    };
    let mut site = state.site.write();
    site.bump();
    let Some(id) = page_id(&site, id) else {
        return Resp::json(404, &json!({"error": format!("no page {id}")}));
    };
    for name in names {
        let label_id = site.label_id(&name);
        if let Some(n) = site.nodes.get_mut(&id) {
            if !n.labels.iter().any(|l| *l.name == *name) {
                n.labels.push(Label {
                    id: label_id,
                    name: name.into(),
                    prefix: "global",
                });
            }
        }
    }
    answer(&site, id)
}

/// `DELETE /__sim/pages/{id}/labels/{name}`
pub fn remove(state: &State, id: &str, name: &str) -> Resp {
    // Path segments arrive percent-encoded.
    let name = percent_decode_str(name).decode_utf8_lossy().to_lowercase();
    let mut site = state.site.write();
    site.bump();
    let Some(id) = page_id(&site, id) else {
        return Resp::json(404, &json!({"error": format!("no page {id}")}));
    };
    let Some(n) = site.nodes.get_mut(&id) else {
        return Resp::json(404, &json!({"error": format!("no page {id}")}));
    };
    let before = n.labels.len();
    n.labels.retain(|l| *l.name != *name);
    if n.labels.len() == before {
        return Resp::json(
            404,
            &json!({"error": format!("page {id} has no label {name:?}")}),
        );
    }
    answer(&site, id)
}
