//! Whether one hit (page, folder, blog post or attachment) matches a parsed
//! query: field comparisons, dates at minute precision, and the memo that
//! makes `ancestor =` over a whole site cheap.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::hit::Hit;
use super::parse::{Expr, Value, as_time, text};
use crate::model::site::FastHasher;
use crate::model::time::Millis;
use crate::model::{Attachment, Id, Node, Site};

fn minute(ms: Millis) -> Millis {
    ms - ms.rem_euclid(60_000)
}

fn contains_words(hay: &str, needle: &str) -> bool {
    let hay = hay.to_lowercase();
    needle
        .to_lowercase()
        .split_whitespace()
        .map(|w| w.trim_matches('*'))
        .all(|w| hay.contains(w))
}

/// Answers "is `anc` on the chain of parents starting at a node" for one
/// run of a query, remembering the answer for every node on the way up: a
/// query like `ancestor = X` over a whole site then costs about one lookup
/// per node instead of a walk to the root per node.
#[derive(Default)]
pub(super) struct Below(RefCell<HashMap<(Id, Id), bool, BuildHasherDefault<FastHasher>>>);

impl Below {
    /// Whether `anc` is `start` or one of its ancestors; `on_chain(n.parent,
    /// X)` is `site.ancestors(n.id).contains(&X)`, cycles included (a walk
    /// longer than the site has nodes has gone round every ancestor).
    pub(super) fn on_chain(&self, site: &Site, start: Option<Id>, anc: Id) -> bool {
        let Some(mut cur) = start else {
            return false;
        };
        let mut memo = self.0.borrow_mut();
        let mut path: Vec<Id> = Vec::new();
        let answer = loop {
            if cur == anc {
                break true;
            }
            if let Some(known) = memo.get(&(anc, cur)) {
                break *known;
            }
            if path.len() > site.nodes.len() {
                break false;
            }
            path.push(cur);
            match site.nodes.get(&cur).and_then(|n| n.parent) {
                None => break false,
                Some(p) => cur = p,
            }
        };
        for n in path {
            memo.insert((anc, n), answer);
        }
        answer
    }
}

fn eq_one(site: &Site, below: &Below, hit: &Hit, field: &str, op: &str, v: &Value) -> bool {
    let node = match hit {
        Hit::Node(n) => n,
        Hit::Attachment(a, page) => return eq_attachment(site, below, a, page, field, op, v),
    };
    let t = text(v);
    match field {
        "type" => t.eq_ignore_ascii_case(node.kind.as_str()),
        "space" => site
            .spaces
            .get(&node.space_id)
            .is_some_and(|s| *s.key == *t),
        "id" | "content" => t.parse::<u64>().is_ok_and(|i| i == node.id),
        "parent" => t.parse::<u64>().is_ok_and(|i| node.parent == Some(i)),
        "ancestor" => t
            .parse::<u64>()
            .is_ok_and(|i| below.on_chain(site, node.parent, i)),
        "label" => node.labels.iter().any(|l| l.name.eq_ignore_ascii_case(&t)),
        "creator" => *node.author_id == *t,
        "contributor" => node.versions.iter().any(|v| *v.author_id == *t),
        "status" => node.status.as_str() == t,
        "title" => {
            if op == "~" || op == "!~" {
                contains_words(node.title(), &t)
            } else {
                node.title().eq_ignore_ascii_case(&t)
            }
        }
        "text" => {
            contains_words(node.title(), &t)
                || contains_words(&site.body_text(node, node.latest()), &t)
        }
        _ => false,
    }
}

/// An attachment's fields: its title is the file name, its space and
/// container are its page's, and it lies below its page's ancestors.
fn eq_attachment(
    site: &Site,
    below: &Below,
    a: &Attachment,
    page: &Node,
    field: &str,
    op: &str,
    v: &Value,
) -> bool {
    let t = text(v);
    let id = || t.strip_prefix("att").unwrap_or(&*t).parse::<u64>().ok();
    match field {
        "type" => t.eq_ignore_ascii_case("attachment"),
        "space" => site
            .spaces
            .get(&page.space_id)
            .is_some_and(|s| *s.key == *t),
        "id" | "content" => id() == Some(a.id),
        "container" => t.parse::<u64>().is_ok_and(|i| i == page.id),
        "ancestor" => t
            .parse::<u64>()
            .is_ok_and(|i| below.on_chain(site, Some(page.id), i)),
        "creator" => a.versions.first().is_some_and(|v| *v.author_id == *t),
        "contributor" => a.versions.iter().any(|v| *v.author_id == *t),
        "status" => a.status.as_str() == t,
        "title" => {
            if op == "~" || op == "!~" {
                contains_words(&a.filename, &t)
            } else {
                a.filename.eq_ignore_ascii_case(&t)
            }
        }
        "text" => contains_words(&a.filename, &t),
        _ => false,
    }
}

/// About what one comparison costs a hit: numbers before texts, texts before
/// lists, lists before walks up the tree and through bodies.
fn cost(e: &Expr) -> u32 {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => cost(a) + cost(b),
        Expr::Not(a) => cost(a),
        Expr::Cmp { field, op, .. } => match field.as_str() {
            "created" | "lastmodified" | "id" | "content" | "parent" | "container" | "status"
            | "type" => 1,
            "space" | "creator" => 2,
            "title" if !matches!(*op, "~" | "!~") => 2,
            "label" | "contributor" => 4,
            "ancestor" => 8,
            _ => 16,
        },
    }
}

/// `e` with each `AND`'s and `OR`'s cheaper side first: the same matches
/// (neither side has effects), but a hit the cheap side decides (outside a
/// date slice) skips the dear one (a walk up the tree).
pub(super) fn cheap_first(e: &Expr) -> Expr {
    let pair = |a: &Expr, b: &Expr| {
        let (a, b) = (cheap_first(a), cheap_first(b));
        if cost(&b) < cost(&a) {
            (Box::new(b), Box::new(a))
        } else {
            (Box::new(a), Box::new(b))
        }
    };
    match e {
        Expr::And(a, b) => {
            let (a, b) = pair(a, b);
            Expr::And(a, b)
        }
        Expr::Or(a, b) => {
            let (a, b) = pair(a, b);
            Expr::Or(a, b)
        }
        Expr::Not(a) => Expr::Not(Box::new(cheap_first(a))),
        Expr::Cmp { .. } => e.clone(),
    }
}

pub(super) fn eval(site: &Site, below: &Below, hit: &Hit, e: &Expr) -> bool {
    match e {
        Expr::And(a, b) => eval(site, below, hit, a) && eval(site, below, hit, b),
        Expr::Or(a, b) => eval(site, below, hit, a) || eval(site, below, hit, b),
        Expr::Not(a) => !eval(site, below, hit, a),
        Expr::Cmp { field, op, values } => {
            if field == "created" || field == "lastmodified" {
                let have = minute(if field == "created" {
                    hit.created_ms()
                } else {
                    hit.modified_ms()
                });
                let Some(want) = values.first().and_then(as_time).map(minute) else {
                    return false;
                };
                return match *op {
                    "=" => have == want,
                    "!=" => have != want,
                    ">" => have > want,
                    ">=" => have >= want,
                    "<" => have < want,
                    "<=" => have <= want,
                    _ => false,
                };
            }
            let any = values
                .iter()
                .any(|v| eq_one(site, below, hit, field, op, v));
            match *op {
                "=" | "in" | "~" => any,
                "!=" | "not in" | "!~" => !any,
                _ => false,
            }
        }
    }
}
