//! Control endpoint for users. As in Confluence, a user renaming themselves
//! makes no page version: only answers that name users (`version.by`,
//! `history.createdBy`, user lookups) show the new name.
//!
//! - `PATCH /__sim/users/{account id}` with `{"display_name": "New Name"}`
//!   answers `{"account_id": …, "display_name": …}`.
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::http::{Req, Resp};
use crate::server::State;

fn bad(message: &str) -> Resp {
    Resp::json(400, &json!({"error": message}))
}

/// `PATCH /__sim/users/{account id}`
pub fn patch(state: &State, req: &Req, account: &str) -> Resp {
    let account = percent_decode_str(account).decode_utf8_lossy();
    let name = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => match v.get("display_name").and_then(Value::as_str) {
            Some(n) if !n.trim().is_empty() => n.to_owned(),
            _ => return bad("expected {\"display_name\": \"non-empty name\"}"),
        },
        Err(_) => return bad("the body is not JSON"),
    };
    let mut site = state.site.write();
    match site.user_mut(&account) {
        Some(u) => {
            u.display_name = name.as_str().into();
            Resp::json(
                200,
                &json!({"account_id": &*u.account_id, "display_name": name}),
            )
        }
        None => Resp::json(404, &json!({"error": format!("no user {account:?}")})),
    }
}
