//! Pagination in both generations: v2 opaque cursors with a `Link` header and
//! `_links.next` (origin-relative, with `/wiki`), v1 offsets with
//! `_links.next` relative to `_links.base` (without `/wiki`).

use base64::Engine;
use serde::Serialize;
use serde_json::Value;

use super::Ctx;
use super::errors;
use crate::http::{Chunks, Resp, rewrite_query};
use crate::model::Id;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A resume point: the sort in force and the last item served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub sort: String,
    pub key: String,
    pub id: Id,
}

impl Cursor {
    pub fn encode(&self) -> String {
        B64.encode(format!(
            "sim1\x1f{}\x1f{}\x1f{}",
            self.sort, self.key, self.id
        ))
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let raw = String::from_utf8(B64.decode(s.trim()).ok()?).ok()?;
        let mut it = raw.split('\x1f');
        if it.next()? != "sim1" {
            return None;
        }
        let sort = it.next()?.to_string();
        let key = it.next()?.to_string();
        let id = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Some(Cursor { sort, key, id })
    }
}

/// v2 `limit`: default when absent, 400 outside 1..=250.
pub fn v2_limit(ctx: &Ctx, default: usize) -> Result<usize, Resp> {
    match ctx.q("limit") {
        None => Ok(default),
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if (1..=250).contains(&n) => Ok(n as usize),
            _ => Err(errors::v2_bad_request(&format!(
                "limit must be between 1 and 250, got {s}"
            ))),
        },
    }
}

/// The request's cursor, if any (400 when it cannot be ours).
pub fn v2_cursor(ctx: &Ctx, sort: &str) -> Result<Option<Cursor>, Resp> {
    match ctx.q("cursor") {
        None | Some("") => Ok(None),
        Some(c) => match Cursor::decode(c) {
            Some(cur) if cur.sort == sort => Ok(Some(cur)),
            _ => Err(errors::v2_bad_request("Invalid cursor")),
        },
    }
}

/// Sort key for numbers: zero-padded so string order is numeric order.
pub fn num_key(n: i64) -> String {
    format!("{:020}", (n as i128 + (1i128 << 62)) as u128)
}

/// Keyed window over a fully sorted list: resumes right after the cursor's
/// item (or, if it vanished, after its key), so concurrent edits neither
/// repeat nor skip items that did not move.
pub fn window<'a, T>(
    all: &'a [T],
    key_of: impl Fn(&T) -> (String, Id),
    descending: bool,
    cursor: Option<&Cursor>,
    limit: usize,
) -> (&'a [T], bool) {
    let start = match cursor {
        None => 0,
        Some(c) => match all
            .iter()
            .position(|x| key_of(x).1 == c.id && key_of(x).0 == c.key)
        {
            Some(i) => i + 1,
            None => all
                .iter()
                .position(|x| {
                    let (k, id) = key_of(x);
                    let ord = k.cmp(&c.key).then(id.cmp(&c.id));
                    if descending {
                        k < c.key || (k == c.key && id > c.id)
                    } else {
                        ord.is_gt()
                    }
                })
                .unwrap_or(all.len()),
        },
    };
    let end = (start + limit).min(all.len());
    (&all[start..end], end < all.len())
}

#[derive(Serialize)]
struct Links {
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
    base: String,
}

#[derive(Serialize)]
struct Multi<'a, T> {
    results: &'a [T],
    _links: Links,
}

/// A v2 list response: body `{results, _links{next?, base}}` plus the `Link`
/// header when there is a next page.
pub fn v2_list<T: Serialize>(ctx: &Ctx, results: &[T], next: Option<Cursor>) -> Resp {
    let next_url = next.map(|c| {
        let q = rewrite_query(&ctx.req.raw_query, &["cursor"], &[("cursor", c.encode())]);
        format!("{}?{}", ctx.req.path, q)
    });
    let body = Multi {
        results,
        _links: Links {
            next: next_url.clone(),
            base: ctx.base.clone(),
        },
    };
    let mut resp = Resp::json(200, &body).with_items(results.len());
    if let Some(n) = next_url {
        resp.set(
            "Link",
            &format!("<{n}>; rel=\"next\", <{}>; rel=\"base\"", ctx.base),
        );
    }
    resp
}

/// Finishes a hand-built v2 list body (`{"results":[…]` so far, `items`
/// of them).
pub fn v2_finish(ctx: &Ctx, mut out: Chunks, next: Option<Cursor>, items: usize) -> Resp {
    let next_url = next.map(|c| {
        let q = rewrite_query(&ctx.req.raw_query, &["cursor"], &[("cursor", c.encode())]);
        format!("{}?{}", ctx.req.path, q)
    });
    out.copy(b",\"_links\":");
    serde_json::to_writer(
        out.writer(),
        &Links {
            next: next_url.clone(),
            base: ctx.base.clone(),
        },
    )
    .ok();
    out.copy(b"}");
    let mut resp =
        Resp::chunked(200, "application/json;charset=UTF-8", out.finish()).with_items(items);
    if let Some(n) = next_url {
        resp.set(
            "Link",
            &format!("<{n}>; rel=\"next\", <{}>; rel=\"base\"", ctx.base),
        );
    }
    resp
}

/// v1 `start`/`limit`: limit clamped to `max`, start beyond 100000 → 400.
pub fn v1_window(ctx: &Ctx, default: usize, max: usize) -> Result<(usize, usize), Resp> {
    let start = match ctx.q("start") {
        None | Some("") => 0,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if n > 100_000 => {
                return Err(errors::v1_bad_request(
                    ctx.state,
                    "Start of this size is no longer supported",
                ));
            }
            Ok(n) if n >= 0 => n as usize,
            _ => {
                return Err(errors::v1_bad_request(
                    ctx.state,
                    &format!("Invalid start: {s}"),
                ));
            }
        },
    };
    let limit = match ctx.q("limit") {
        None | Some("") => default,
        Some(s) => match s.trim().parse::<i64>() {
            Ok(n) if n >= 0 => (n as usize).min(max),
            _ => {
                return Err(errors::v1_bad_request(
                    ctx.state,
                    &format!("Invalid limit: {s}"),
                ));
            }
        },
    };
    Ok((start, limit))
}

/// The request path relative to `_links.base` (no `/wiki`, no context path).
pub fn rel_path(ctx: &Ctx) -> String {
    ctx.req
        .path
        .strip_prefix(ctx.context)
        .unwrap_or(&ctx.req.path)
        .to_string()
}

/// A v1 offset envelope. `more` says whether items exist after this page.
pub fn v1_envelope(
    ctx: &Ctx,
    results: Vec<Value>,
    start: usize,
    limit: usize,
    more: bool,
) -> Value {
    let path = rel_path(ctx);
    let size = results.len();
    let mut links = serde_json::Map::new();
    links.insert("base".into(), Value::String(ctx.base.clone()));
    links.insert("context".into(), Value::String(ctx.context.to_string()));
    if more || limit == 0 {
        let q = rewrite_query(
            &ctx.req.raw_query,
            &["start", "limit"],
            &[
                ("limit", limit.to_string()),
                ("start", (start + limit).to_string()),
            ],
        );
        links.insert("next".into(), Value::String(format!("{path}?{q}")));
    }
    if start > 0 {
        let q = rewrite_query(
            &ctx.req.raw_query,
            &["start", "limit"],
            &[
                ("limit", limit.to_string()),
                ("start", start.saturating_sub(limit.max(1)).to_string()),
            ],
        );
        links.insert("prev".into(), Value::String(format!("{path}?{q}")));
    }
    links.insert(
        "self".into(),
        Value::String(format!("{}{}", ctx.base, path)),
    );
    serde_json::json!({
        "results": results,
        "start": start,
        "limit": limit,
        "size": size,
        "_links": Value::Object(links),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_roundtrip_and_rejects_garbage() {
        let c = Cursor {
            sort: "id".into(),
            key: "k|x".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("not-a-cursor"), None);
        assert_eq!(Cursor::decode(""), None);
    }

    #[test]
    fn window_resumes_after_vanished_item() {
        let all: Vec<(String, Id)> = (1..=10).map(|i| (num_key(i), i as Id)).collect();
        let key = |x: &(String, Id)| x.clone();
        let (w, more) = window(&all, key, false, None, 3);
        assert_eq!(w.len(), 3);
        assert!(more);
        let c = Cursor {
            sort: "id".into(),
            key: num_key(3),
            id: 3,
        };
        let without3: Vec<_> = all.iter().filter(|x| x.1 != 3).cloned().collect();
        let (w, _) = window(&without3, key, false, Some(&c), 2);
        assert_eq!(w.iter().map(|x| x.1).collect::<Vec<_>>(), vec![4, 5]);
        let (w, more) = window(
            &all,
            key,
            false,
            Some(&Cursor {
                sort: "id".into(),
                key: num_key(9),
                id: 9,
            }),
            5,
        );
        assert_eq!((w.len(), more), (1, false));
    }
}
