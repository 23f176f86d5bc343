//! The CQL subset an exporter needs: `type`, `space`, `ancestor`, `parent`,
//! `id`/`content`, `title`, `label`, `created`/`lastmodified` (the four
//! documented date formats, minute precision, UTC), `creator`, `text`;
//! `AND`/`OR`/`NOT`, parentheses, `IN`/`NOT IN` and `ORDER BY`.
//!
//! Results are pages (folders when the query names `type = folder`) and,
//! when the query names `type = attachment`, the current attachments of
//! current pages.
//!
//! Paging through a result costs time in proportion to the page: a result
//! is computed once and kept (as ids) in the site's small search cache,
//! keyed by the parsed query and the caller, until the site next changes
//! (see [`run_cached`]).
//!
//! This file runs queries (which hits, in what order, cached how);
//! `parse.rs` turns text into a [`Query`] and `eval.rs` decides whether one
//! hit matches.

mod eval;
mod hit;
mod parse;

use eval::{Below, cheap_first, eval};
pub use hit::Hit;
use parse::text;
pub use parse::{Expr, Query, parse, validate};

use crate::model::site::SearchIds;
use crate::model::{Attachment, Id, Node, NodeKind, Site, Status};
use std::collections::BTreeSet;

/// Runs a query over what `account` can see: current and archived pages
/// (and folders or blog posts when the query names their type, so the
/// exporter's untyped queries stay page-only), plus the current attachments of current
/// pages and blog posts when the query names `type = attachment`. Ordered by id unless the
/// query says otherwise.
pub fn run<'a>(site: &'a Site, q: &Query, account: &str) -> Vec<Hit<'a>> {
    let folders = q.expr.as_ref().is_some_and(|e| mentions_type(e, "folder"));
    let blog_posts = q
        .expr
        .as_ref()
        .is_some_and(|e| mentions_type(e, "blogpost"));
    let attachments = q
        .expr
        .as_ref()
        .is_some_and(|e| mentions_type(e, "attachment"));
    let below = Below::default();
    let expr = q.expr.as_ref().map(cheap_first);
    let matches = |h: &Hit| expr.as_ref().is_none_or(|e| eval(site, &below, h, e));
    // Skips the pass over pages and folders when none could match (an
    // attachment-only query), which is most of the cost of such a query.
    let nodes = q
        .expr
        .as_ref()
        .is_none_or(|e| possible_types(e) & (PAGE | FOLDER | BLOGPOST) != 0);
    // A query naming its spaces (`space = K`, as every exporter's does)
    // looks at their content only: the same hits, without a pass over the
    // whole site per request.
    let spaces = q.expr.as_ref().and_then(|e| possible_spaces(site, e));
    let candidates: Box<dyn Iterator<Item = &Node>> = match &spaces {
        None => Box::new(site.nodes.values()),
        Some(spaces) => {
            let mut ids: Vec<Id> = spaces
                .iter()
                .filter_map(|s| site.space_nodes.get(s))
                .flatten()
                .copied()
                .collect();
            ids.sort_unstable();
            Box::new(ids.into_iter().filter_map(|id| site.nodes.get(&id)))
        }
    };
    let mut out: Vec<Hit> = candidates
        .take(if nodes { usize::MAX } else { 0 })
        .filter(|n| matches!(n.status, Status::Current | Status::Archived))
        .filter(|n| match n.kind {
            NodeKind::Page => true,
            NodeKind::Folder => folders,
            NodeKind::BlogPost => blog_posts,
        })
        .map(Hit::Node)
        .filter(|h| matches(h))
        .filter(|h| matches!(h, Hit::Node(n) if site.can_read(n, account)))
        .collect();
    if attachments {
        // Through the spaces' pages when they are fewer than all the
        // attachments (many spaces), else through the attachments.
        let through_pages = spaces.as_ref().filter(|spaces| {
            spaces
                .iter()
                .filter_map(|s| site.space_nodes.get(s))
                .map(|n| n.len())
                .sum::<usize>()
                < site.attachments.len()
        });
        let all: Box<dyn Iterator<Item = &Attachment>> = match through_pages {
            None => Box::new(site.attachments.values()),
            Some(spaces) => Box::new(
                spaces
                    .iter()
                    .filter_map(|s| site.space_nodes.get(s))
                    .flatten()
                    .filter_map(|id| site.nodes.get(id))
                    .flat_map(|n| n.attachments.iter())
                    .filter_map(|id| site.attachments.get(id)),
            ),
        };
        let mut atts: Vec<Hit> = all
            .filter(|a| a.status == Status::Current)
            .filter_map(|a| {
                // A blog post's attachments are found as a page's are.
                let page = site
                    .container(a.page_id)
                    .filter(|p| p.status == Status::Current)?;
                Some(Hit::Attachment(a, page))
            })
            .filter(|h| matches(h))
            .filter(|h| matches!(h, Hit::Attachment(_, p) if site.can_read(p, account)))
            .collect();
        out.append(&mut atts);
        out.sort_by_key(Hit::id);
    }
    for (field, desc) in q.order.iter().rev() {
        match field.as_str() {
            "lastmodified" => out.sort_by_key(Hit::modified_ms),
            "created" => out.sort_by_key(Hit::created_ms),
            "title" => out.sort_by(|a, b| a.title().cmp(b.title())),
            _ => out.sort_by_key(Hit::id),
        }
        if *desc {
            out.reverse();
        }
    }
    out
}

/// [`run`], cached: the hits' ids, in order. Paging through a result
/// (`start`/`cursor`) reuses the ids computed for its first page instead of
/// filtering and sorting the whole site again.
///
/// The key is everything the result depends on besides the site: the parsed
/// query (field names lower-cased, `space.key` folded into `space`, dates
/// from `now()` and friends already resolved to instants, so such queries
/// only hit within the same millisecond) and the caller's account (view
/// restrictions). Every mutation of the site calls `Site::bump`, which
/// empties the cache, so a cached result is exactly what `run` would return
/// at that moment: mutations between pages show up on the next page as they
/// did when every page re-ran the query (offsets may then shift, as they do
/// on the real API, which re-runs the search per request too).
pub fn run_cached(site: &Site, q: &Query, account: &str) -> SearchIds {
    let key = format!("{account:?} {:?} {:?}", q.expr, q.order);
    site.cached_search(&key, || {
        run(site, q, account)
            .iter()
            .map(|h| match h {
                Hit::Node(n) => (n.id, false),
                Hit::Attachment(a, _) => (a.id, true),
            })
            .collect()
    })
}

/// The hits of cached ids (a page of a [`run_cached`] result).
pub fn resolve<'a>(site: &'a Site, ids: &[(Id, bool)]) -> Vec<Hit<'a>> {
    ids.iter()
        .filter_map(|(id, att)| {
            if *att {
                let a = site.attachments.get(id)?;
                Some(Hit::Attachment(a, site.node(a.page_id)?))
            } else {
                site.node(*id).map(Hit::Node)
            }
        })
        .collect()
}

const PAGE: u8 = 1;
const FOLDER: u8 = 2;
const ATTACHMENT: u8 = 4;
const BLOGPOST: u8 = 8;

/// The kinds of hit that could match `e` (a superset): what `type =`/`type
/// in` allows, intersected over `AND`, joined over `OR`; anything else
/// (including `NOT`) allows every kind.
fn possible_types(e: &Expr) -> u8 {
    match e {
        Expr::And(a, b) => possible_types(a) & possible_types(b),
        Expr::Or(a, b) => possible_types(a) | possible_types(b),
        Expr::Not(_) => PAGE | FOLDER | ATTACHMENT | BLOGPOST,
        Expr::Cmp { field, op, values } if field == "type" && matches!(*op, "=" | "in") => values
            .iter()
            .map(|v| {
                let t = text(v);
                [
                    ("page", PAGE),
                    ("folder", FOLDER),
                    ("attachment", ATTACHMENT),
                    ("blogpost", BLOGPOST),
                ]
                .iter()
                .filter(|(name, _)| t.eq_ignore_ascii_case(name))
                .fold(0, |m, (_, bit)| m | bit)
            })
            .fold(0, |m, b| m | b),
        Expr::Cmp { .. } => PAGE | FOLDER | ATTACHMENT | BLOGPOST,
    }
}

/// The spaces a match must lie in (a superset), `None` for any: what
/// `space =`/`space in` allow (an unknown key allows none), intersected over
/// `AND`, joined over `OR`; anything else allows every space.
fn possible_spaces(site: &Site, e: &Expr) -> Option<BTreeSet<Id>> {
    match e {
        Expr::And(a, b) => match (possible_spaces(site, a), possible_spaces(site, b)) {
            (Some(x), Some(y)) => Some(x.intersection(&y).copied().collect()),
            (x, None) | (None, x) => x,
        },
        Expr::Or(a, b) => {
            let (mut x, y) = (possible_spaces(site, a)?, possible_spaces(site, b)?);
            x.extend(y);
            Some(x)
        }
        Expr::Cmp { field, op, values } if field == "space" && matches!(*op, "=" | "in") => Some(
            values
                .iter()
                .filter_map(|v| site.space_by_key(&text(v)))
                .map(|s| s.id)
                .collect(),
        ),
        Expr::Not(_) | Expr::Cmp { .. } => None,
    }
}

/// Whether only comments can match (`type = comment`, alone or under
/// `AND`): such a query is answered from the comments (`api::comments`).
pub fn only_comments(q: &Query) -> bool {
    q.expr
        .as_ref()
        .is_some_and(|e| possible_types(e) == 0 && mentions_type(e, "comment"))
}

/// Evaluates `q` on something that is neither a page nor an attachment:
/// `field_is(field, value)` answers one comparison (`=`, `in`, `~`).
pub fn matches_fields(q: &Query, field_is: &dyn Fn(&str, &str) -> bool) -> bool {
    fn walk(e: &Expr, f: &dyn Fn(&str, &str) -> bool) -> bool {
        match e {
            Expr::And(a, b) => walk(a, f) && walk(b, f),
            Expr::Or(a, b) => walk(a, f) || walk(b, f),
            Expr::Not(a) => !walk(a, f),
            Expr::Cmp { field, op, values } => {
                let any = values.iter().any(|v| f(field, &text(v)));
                match *op {
                    "=" | "in" | "~" => any,
                    "!=" | "not in" | "!~" => !any,
                    _ => false,
                }
            }
        }
    }
    q.expr.as_ref().is_none_or(|e| walk(e, field_is))
}

/// Whether the query asks for `type = name` (or `type in (…, name)`).
fn mentions_type(e: &Expr, name: &str) -> bool {
    match e {
        Expr::And(a, b) | Expr::Or(a, b) => mentions_type(a, name) || mentions_type(b, name),
        Expr::Not(a) => mentions_type(a, name),
        Expr::Cmp { field, op, values } => {
            field == "type"
                && matches!(*op, "=" | "in")
                && values.iter().any(|v| text(v).eq_ignore_ascii_case(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_queries_name_their_type() {
        for q in [
            "type=attachment AND space=\"KEY\"",
            "type = attachment and space = KEY",
            "TYPE = Attachment",
            "space = KEY and type in (page, attachment)",
        ] {
            let e = parse(q).unwrap().expr.unwrap();
            assert!(mentions_type(&e, "attachment"), "{q}");
        }
        for q in ["type = page", "type != attachment", "space = KEY"] {
            let e = parse(q).unwrap().expr.unwrap();
            assert!(!mentions_type(&e, "attachment"), "{q}");
        }
    }

    fn small_site() -> Site {
        crate::config::SimConfig::generate(
            "pages=300,spaces=2,depth=5,attachments=0.5,body_kb=1,seed=3",
        )
        .unwrap()
        .into_site()
        .0
    }

    fn ids(hits: &[Hit]) -> Vec<(Id, bool)> {
        hits.iter()
            .map(|h| match h {
                Hit::Node(n) => (n.id, false),
                Hit::Attachment(a, _) => (a.id, true),
            })
            .collect()
    }

    #[test]
    fn possible_types_over_approximate() {
        let all = PAGE | FOLDER | ATTACHMENT | BLOGPOST;
        for (q, want) in [
            ("type = attachment and space = KEY", ATTACHMENT),
            (
                "space = KEY and type in (page, Attachment)",
                PAGE | ATTACHMENT,
            ),
            ("type = page or type = folder", PAGE | FOLDER),
            ("type = attachment or title = x", all),
            ("not type = page", all),
            ("type != page", all),
            ("type = blogpost", BLOGPOST),
            ("type = comment", 0),
            ("(type = attachment) and (type = page)", 0),
        ] {
            let e = parse(q).unwrap().expr.unwrap();
            assert_eq!(possible_types(&e), want, "{q}");
        }
    }

    #[test]
    fn the_ancestor_memo_agrees_with_ancestors() {
        let mut site = small_site();
        // A cycle too: 0 → 1 → 2 → 0 (two pages made each other's parents).
        let first: Vec<Id> = site.nodes.keys().copied().take(3).collect();
        site.nodes.get_mut(&first[0]).unwrap().parent = Some(first[2]);
        let all: Vec<Id> = site.nodes.keys().copied().collect();
        let below = Below::default();
        for anc in all.iter().step_by(7).chain(&first) {
            for id in &all {
                let parent = site.nodes[id].parent;
                assert_eq!(
                    below.on_chain(&site, parent, *anc),
                    site.ancestors(*id).contains(anc),
                    "{anc} above {id}"
                );
            }
        }
    }

    #[test]
    fn cached_results_equal_fresh_ones_and_follow_changes() {
        let mut site = small_site();
        let page = site
            .nodes
            .values()
            .find(|n| n.parent.is_some() && n.children.len() > 1)
            .unwrap()
            .id;
        let queries = [
            "type = attachment AND space = GEN0".to_string(),
            "type in (page, attachment) AND space = GEN1 order by title desc".to_string(),
            format!("ancestor = {page}"),
            format!("type = page and not ancestor = {page} order by lastmodified"),
            "type = page AND space = GEN0 order by created desc, id".to_string(),
        ];
        let account = site.default_account.to_string();
        for q in &queries {
            let q = parse(q).unwrap();
            let fresh = ids(&run(&site, &q, &account));
            assert!(!fresh.is_empty(), "{q:?}");
            let cached = run_cached(&site, &q, &account);
            assert_eq!(&*cached, &fresh[..]);
            // Served from the cache the second time, and resolvable.
            assert!(std::sync::Arc::ptr_eq(
                &cached,
                &run_cached(&site, &q, &account)
            ));
            assert_eq!(ids(&resolve(&site, &cached)), fresh);
        }
        // Another caller does not see the first caller's result.
        let q = parse(&queries[2]).unwrap();
        let before = run_cached(&site, &q, &account);
        let other = run_cached(&site, &q, "someone-else");
        assert!(!std::sync::Arc::ptr_eq(&before, &other));
        // A change (with its bump) is visible at once.
        let child = site.nodes[&page].children[0];
        site.set_restriction(child, vec![std::sync::Arc::from("someone-else")]);
        site.bump();
        let after = run_cached(&site, &q, &account);
        assert_eq!(&*after, &ids(&run(&site, &q, &account))[..]);
        assert!(after.len() < before.len());
        assert!(!after.contains(&(child, false)));
    }

    /// A query that names its spaces looks at their content only, and
    /// finds exactly what a pass over the whole site finds (`not not`
    /// hides the spaces from the narrowing, not from the match).
    #[test]
    fn narrowing_to_the_named_spaces_finds_the_same_hits() {
        let site = small_site();
        let account = site.default_account.to_string();
        for (narrow, whole) in [
            ("space = GEN0", "not not space = GEN0"),
            (
                "type = attachment and space = GEN1",
                "type = attachment and not not space = GEN1",
            ),
            (
                "type in (page, attachment) and space in (GEN0, GEN1) order by title",
                "type in (page, attachment) and not not space in (GEN0, GEN1) order by title",
            ),
            (
                "space = GEN0 or (space = GEN1 and type = attachment)",
                "not not space = GEN0 or (not not space = GEN1 and type = attachment)",
            ),
            (
                "space = NOSUCH and type = page",
                "not not space = NOSUCH and type = page",
            ),
            (
                "space = GEN0 and space = GEN1",
                "not not space = GEN0 and space = GEN1",
            ),
        ] {
            let got = ids(&run(&site, &parse(narrow).unwrap(), &account));
            let want = ids(&run(&site, &parse(whole).unwrap(), &account));
            assert_eq!(got, want, "{narrow}");
            let e = parse(narrow).unwrap().expr.unwrap();
            assert!(possible_spaces(&site, &e).is_some(), "{narrow}");
        }
        let e = parse("space = GEN0 or label = x").unwrap().expr.unwrap();
        assert_eq!(possible_spaces(&site, &e), None);
        let some = parse("type = attachment and space = GEN1").unwrap();
        assert!(!run(&site, &some, &account).is_empty());
    }

    /// Evaluating each `AND`/`OR`'s cheaper side first matches exactly the
    /// hits the query as written matches, and does put the cheap side first.
    #[test]
    fn cheap_sides_first_match_what_the_query_as_written_matches() {
        let site = small_site();
        let below = Below::default();
        let root = site.nodes.keys().next().copied().unwrap();
        // A date half the pages were created before ("yyyy-MM-dd HH:mm").
        let mut created: Vec<_> = site
            .nodes
            .values()
            .map(|n| Hit::Node(n).created_ms())
            .collect();
        created.sort_unstable();
        let mid = crate::model::time::iso(created[created.len() / 2])[..16].replace('T', " ");
        for q in [
            format!("ancestor = {root} and created >= \"{mid}\" and type = page"),
            format!("(ancestor = {root} or label = draft) and not created < \"{mid}\""),
            format!("text ~ \"data\" or ancestor = {root} and space = GEN1"),
            format!("label in (draft, news) or lastmodified > \"{mid}\""),
        ] {
            let e = parse(&q).unwrap().expr.unwrap();
            let cheap = cheap_first(&e);
            let mut matched = 0;
            for n in site.nodes.values() {
                let h = Hit::Node(n);
                let w = eval(&site, &below, &h, &e);
                assert_eq!(w, eval(&site, &below, &h, &cheap), "{q}: node {}", n.id);
                matched += usize::from(w);
            }
            assert!(
                0 < matched && matched < site.nodes.len(),
                "{q} decides nothing"
            );
        }
        let e = parse(&format!("ancestor = {root} and created > \"{mid}\""))
            .unwrap()
            .expr
            .unwrap();
        match cheap_first(&e) {
            Expr::And(first, _) => {
                assert!(matches!(*first, Expr::Cmp { ref field, .. } if field == "created"))
            }
            other => panic!("not an AND: {other:?}"),
        }
    }
}
