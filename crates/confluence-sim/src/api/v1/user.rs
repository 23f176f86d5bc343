//! v1 users: `/user?accountId=`, `/user/bulk`, `/user/current`.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::user_json;
use crate::http::Resp;
use crate::model::User;

fn find<'a>(ctx: &Ctx<'a>, key: &str) -> Option<&'a User> {
    ctx.site
        .user(key)
        .or_else(|| ctx.site.user_by_key(key))
        .or_else(|| ctx.site.users.iter().find(|u| &*u.username == key))
}

/// `GET /user?accountId=` (DC: `key=` or `username=`).
pub fn get(ctx: &Ctx) -> Resp {
    let key = ctx.q("accountId").or(ctx.q("key")).or(ctx.q("username"));
    let Some(key) = key else {
        return errors::v1_bad_request(ctx.state, "accountId is required");
    };
    match find(ctx, key) {
        Some(u) => Resp::json(200, &user_json(ctx, u)),
        None => errors::v1(
            ctx.state,
            404,
            format!("No user found with accountId: {key}"),
        ),
    }
}

/// `GET /user/bulk?accountId=a&accountId=b` (or comma-separated).
pub fn bulk(ctx: &Ctx) -> Resp {
    let ids = ctx.req.query.list("accountId");
    if ids.is_empty() {
        return errors::v1_bad_request(ctx.state, "accountId is required");
    }
    let results: Vec<Value> = ids
        .iter()
        .filter_map(|k| find(ctx, k))
        .map(|u| user_json(ctx, u))
        .collect();
    Resp::listing(&json!({
        "results": results,
        "start": 0,
        "limit": 200,
        "size": results.len(),
        "_links": {"base": ctx.base, "context": ctx.context,
                   "self": format!("{}/rest/api/user/bulk", ctx.base)}
    }))
}

/// `GET /user/current`
pub fn current(ctx: &Ctx) -> Resp {
    match ctx.site.user(&ctx.account) {
        Some(u) => Resp::json(200, &user_json(ctx, u)),
        None => errors::v1(ctx.state, 404, "No current user"),
    }
}
