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

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::model::site::{FastHasher, SearchIds};
use crate::model::time::{self, Millis, parse_cql_date};
use crate::model::{Attachment, Id, Node, NodeKind, Site, Status};

/// One search result: a page or folder, or an attachment with its page.
#[derive(Clone, Copy, Debug)]
pub enum Hit<'a> {
    Node(&'a Node),
    Attachment(&'a Attachment, &'a Node),
}

impl Hit<'_> {
    fn id(&self) -> u64 {
        match self {
            Hit::Node(n) => n.id,
            Hit::Attachment(a, _) => a.id,
        }
    }
    fn title(&self) -> &str {
        match self {
            Hit::Node(n) => n.title(),
            Hit::Attachment(a, _) => &a.filename,
        }
    }
    fn created_ms(&self) -> Millis {
        match self {
            Hit::Node(n) => n.created_ms,
            Hit::Attachment(a, _) => a.created_ms,
        }
    }
    fn modified_ms(&self) -> Millis {
        match self {
            Hit::Node(n) => n.modified_ms(),
            Hit::Attachment(a, _) => a.latest().created_ms,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn lex(s: &str) -> Result<Vec<Tok>, String> {
    let cs: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < cs.len() {
        let c = cs[i];
        match c {
            ' ' | '\t' | '\n' | '\r' => i += 1,
            '(' => {
                out.push(Tok::LParen);
                i += 1
            }
            ')' => {
                out.push(Tok::RParen);
                i += 1
            }
            ',' => {
                out.push(Tok::Comma);
                i += 1
            }
            '"' | '\'' => {
                let q = c;
                i += 1;
                let mut v = String::new();
                loop {
                    match cs.get(i) {
                        None => return Err("unterminated string".into()),
                        Some('\\') => {
                            if let Some(n) = cs.get(i + 1) {
                                v.push(*n);
                            }
                            i += 2;
                        }
                        Some(ch) if *ch == q => {
                            i += 1;
                            break;
                        }
                        Some(ch) => {
                            v.push(*ch);
                            i += 1;
                        }
                    }
                }
                out.push(Tok::Str(v));
            }
            '!' | '=' | '<' | '>' | '~' => {
                let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
                let op = match two.as_str() {
                    "!=" => "!=",
                    "!~" => "!~",
                    ">=" => ">=",
                    "<=" => "<=",
                    _ => match c {
                        '=' => "=",
                        '<' => "<",
                        '>' => ">",
                        '~' => "~",
                        _ => return Err(format!("unexpected {c:?}")),
                    },
                };
                i += op.len();
                out.push(Tok::Op(op));
            }
            _ => {
                let mut v = String::new();
                while let Some(ch) = cs.get(i) {
                    if ch.is_whitespace() || "()=,!<>~\"'".contains(*ch) {
                        break;
                    }
                    v.push(*ch);
                    i += 1;
                }
                out.push(Tok::Word(v));
            }
        }
    }
    Ok(out)
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Text(String),
    Time(Millis),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp {
        field: String,
        op: &'static str,
        values: Vec<Value>,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    pub expr: Option<Expr>,
    /// (field, descending)
    pub order: Vec<(String, bool)>,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
}

fn kw(t: &Tok, k: &str) -> bool {
    matches!(t, Tok::Word(w) if w.eq_ignore_ascii_case(k))
}

const FIELDS: &[&str] = &[
    "type",
    "space",
    "space.key",
    "ancestor",
    "parent",
    "id",
    "content",
    "title",
    "label",
    "created",
    "lastmodified",
    "creator",
    "contributor",
    "text",
    "status",
    "container",
];

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut l = self.and()?;
        while self.peek().is_some_and(|t| kw(t, "or")) {
            self.pos += 1;
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut l = self.not()?;
        while self.peek().is_some_and(|t| kw(t, "and")) {
            self.pos += 1;
            l = Expr::And(Box::new(l), Box::new(self.not()?));
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Expr, String> {
        if self.peek().is_some_and(|t| kw(t, "not")) {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        match self.next() {
            Some(Tok::LParen) => {
                let e = self.or()?;
                match self.next() {
                    Some(Tok::RParen) => Ok(e),
                    _ => Err("expected )".into()),
                }
            }
            Some(Tok::Word(f)) => {
                let field = f.to_ascii_lowercase();
                if !FIELDS.contains(&field.as_str()) {
                    return Err(format!("unsupported field {f:?}"));
                }
                let field = if field == "space.key" {
                    "space".to_string()
                } else {
                    field
                };
                let op = match self.next() {
                    Some(Tok::Op(o)) => o,
                    Some(t) if kw(&t, "in") => "in",
                    Some(t) if kw(&t, "not") => match self.next() {
                        Some(t2) if kw(&t2, "in") => "not in",
                        _ => return Err("expected IN after NOT".into()),
                    },
                    _ => return Err(format!("expected an operator after {f}")),
                };
                let values = if op == "in" || op == "not in" {
                    if self.next() != Some(Tok::LParen) {
                        return Err("expected ( after IN".into());
                    }
                    let mut vs = Vec::new();
                    loop {
                        vs.push(self.value()?);
                        match self.next() {
                            Some(Tok::Comma) => continue,
                            Some(Tok::RParen) => break,
                            _ => return Err("expected , or ) in list".into()),
                        }
                    }
                    vs
                } else {
                    vec![self.value()?]
                };
                Ok(Expr::Cmp { field, op, values })
            }
            other => Err(format!("unexpected token {other:?}")),
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        match self.next() {
            Some(Tok::Str(s)) => Ok(Value::Text(s)),
            Some(Tok::Word(w)) => {
                if self.peek() == Some(&Tok::LParen) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    while let Some(t) = self.next() {
                        match t {
                            Tok::RParen => break,
                            Tok::Comma => {}
                            Tok::Str(s) | Tok::Word(s) => args.push(s),
                            _ => return Err("bad function argument".into()),
                        }
                    }
                    return function(&w, &args).map(Value::Time);
                }
                Ok(Value::Text(w))
            }
            other => Err(format!("expected a value, got {other:?}")),
        }
    }
}

/// `now("-4w")`, `startOfDay("-1d")`, … (UTC).
fn function(name: &str, args: &[String]) -> Result<Millis, String> {
    let offset = match args.first() {
        None => 0,
        Some(a) => parse_offset(a).ok_or_else(|| format!("bad offset {a:?}"))?,
    };
    let now = time::now();
    let day = 86_400_000;
    let base = match name.to_ascii_lowercase().as_str() {
        "now" => now,
        "startofday" => now - now.rem_euclid(day),
        "endofday" => now - now.rem_euclid(day) + day - 1,
        "startofweek" => {
            let d = now.div_euclid(day);
            (d - (d + 3).rem_euclid(7)) * day
        }
        "endofweek" => {
            let d = now.div_euclid(day);
            (d - (d + 3).rem_euclid(7) + 7) * day - 1
        }
        "startofmonth" | "startofyear" | "endofmonth" | "endofyear" => {
            let date = time::date(now);
            let (y, m): (i64, u32) = (
                date[0..4].parse().unwrap_or(1970),
                date[5..7].parse().unwrap_or(1),
            );
            match name.to_ascii_lowercase().as_str() {
                "startofmonth" => time::from_parts(y, m, 1, 0, 0, 0, 0),
                "startofyear" => time::from_parts(y, 1, 1, 0, 0, 0, 0),
                "endofmonth" => {
                    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                    time::from_parts(ny, nm, 1, 0, 0, 0, 0) - 1
                }
                _ => time::from_parts(y + 1, 1, 1, 0, 0, 0, 0) - 1,
            }
        }
        other => return Err(format!("unsupported function {other}()")),
    };
    Ok(base + offset)
}

fn parse_offset(s: &str) -> Option<Millis> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    let (sign, rest) = match s.as_bytes()[0] {
        b'-' => (-1, &s[1..]),
        b'+' => (1, &s[1..]),
        _ => (1, s),
    };
    let unit = rest.chars().last()?;
    let n: i64 = rest[..rest.len() - unit.len_utf8()].parse().ok()?;
    let ms = match unit {
        'y' => 365 * 86_400_000,
        'M' => 30 * 86_400_000,
        'w' => 7 * 86_400_000,
        'd' => 86_400_000,
        'h' => 3_600_000,
        'm' => 60_000,
        _ => return None,
    };
    Some(sign * n * ms)
}

/// Parses a CQL query.
pub fn parse(cql: &str) -> Result<Query, String> {
    let toks = lex(cql)?;
    let order_at = toks
        .windows(2)
        .position(|w| kw(&w[0], "order") && kw(&w[1], "by"));
    let (main, order_toks) = match order_at {
        Some(i) => (toks[..i].to_vec(), toks[i + 2..].to_vec()),
        None => (toks, Vec::new()),
    };
    let expr = if main.is_empty() {
        None
    } else {
        let mut p = Parser { toks: main, pos: 0 };
        let e = p.or()?;
        if p.pos < p.toks.len() {
            return Err(format!("unexpected {:?}", p.toks[p.pos]));
        }
        Some(e)
    };
    let mut order = Vec::new();
    let mut it = order_toks.into_iter().peekable();
    while let Some(t) = it.next() {
        let Tok::Word(f) = t else {
            return Err("bad ORDER BY".into());
        };
        let f = f.to_ascii_lowercase();
        if !["lastmodified", "created", "title", "id"].contains(&f.as_str()) {
            return Err(format!("cannot order by {f}"));
        }
        let mut desc = false;
        if let Some(Tok::Word(d)) = it.peek() {
            if d.eq_ignore_ascii_case("desc") {
                desc = true;
                it.next();
            } else if d.eq_ignore_ascii_case("asc") {
                it.next();
            }
        }
        order.push((f, desc));
        if it.peek() == Some(&Tok::Comma) {
            it.next();
        }
    }
    if expr.is_none() && order.is_empty() {
        return Err("empty query".into());
    }
    Ok(Query { expr, order })
}

fn minute(ms: Millis) -> Millis {
    ms - ms.rem_euclid(60_000)
}

fn as_time(v: &Value) -> Option<Millis> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Text(s) => parse_cql_date(s),
    }
}

fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Text(s) => Cow::Borrowed(s),
        Value::Time(t) => Cow::Owned(t.to_string()),
    }
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
struct Below(RefCell<HashMap<(Id, Id), bool, BuildHasherDefault<FastHasher>>>);

impl Below {
    /// Whether `anc` is `start` or one of its ancestors; `on_chain(n.parent,
    /// X)` is `site.ancestors(n.id).contains(&X)`, cycles included (a walk
    /// longer than the site has nodes has gone round every ancestor).
    fn on_chain(&self, site: &Site, start: Option<Id>, anc: Id) -> bool {
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

fn eval(site: &Site, below: &Below, hit: &Hit, e: &Expr) -> bool {
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

/// Checks a query's values before running it (bad dates → 400).
pub fn validate(q: &Query) -> Result<(), String> {
    fn walk(e: &Expr) -> Result<(), String> {
        match e {
            Expr::And(a, b) | Expr::Or(a, b) => {
                walk(a)?;
                walk(b)
            }
            Expr::Not(a) => walk(a),
            Expr::Cmp { field, values, .. } => {
                if field == "created" || field == "lastmodified" {
                    for v in values {
                        if as_time(v).is_none() {
                            return Err(format!(
                                "Invalid date {:?}: use \"yyyy/MM/dd HH:mm\", \"yyyy-MM-dd HH:mm\", \"yyyy/MM/dd\" or \"yyyy-MM-dd\"",
                                text(v)
                            ));
                        }
                    }
                }
                Ok(())
            }
        }
    }
    q.expr.as_ref().map(walk).unwrap_or(Ok(()))
}

/// Runs a query over what `account` can see: current and archived pages
/// (and folders or blog posts when the query names their type, so the
/// exporter's untyped queries stay page-only), plus the current attachments of current
/// pages when the query names `type = attachment`. Ordered by id unless the
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
    let matches = |h: &Hit| q.expr.as_ref().is_none_or(|e| eval(site, &below, h, e));
    // Skips the pass over pages and folders when none could match (an
    // attachment-only query), which is most of the cost of such a query.
    let nodes = q
        .expr
        .as_ref()
        .is_none_or(|e| possible_types(e) & (PAGE | FOLDER | BLOGPOST) != 0);
    let mut out: Vec<Hit> = site
        .nodes
        .values()
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
        let mut atts: Vec<Hit> = site
            .attachments
            .values()
            .filter(|a| a.status == Status::Current)
            .filter_map(|a| {
                let page = site
                    .page(a.page_id)
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
    fn parses_the_sync_query() {
        let q = parse(r#"type = page AND space = "KEY" AND lastmodified >= "2026-01-31 14:05" ORDER BY lastmodified ASC"#)
            .unwrap();
        assert_eq!(q.order, vec![("lastmodified".to_string(), false)]);
        let Some(Expr::And(_, last)) = &q.expr else {
            panic!("{q:?}")
        };
        assert_eq!(
            **last,
            Expr::Cmp {
                field: "lastmodified".into(),
                op: ">=",
                values: vec![Value::Text("2026-01-31 14:05".into())]
            }
        );
        validate(&q).unwrap();
    }

    #[test]
    fn parses_in_lists_parens_and_not() {
        let q =
            parse("(id in (1, 2,3) or parent = 7) and not label = draft order by title desc, id")
                .unwrap();
        assert_eq!(q.order, vec![("title".into(), true), ("id".into(), false)]);
        assert!(matches!(q.expr, Some(Expr::And(_, _))));
        assert!(parse("id in 1,2").is_err());
        assert!(parse("bogus = 1").is_err());
        assert!(parse("title = \"unterminated").is_err());
    }

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

    #[test]
    fn rejects_bad_dates_and_accepts_functions() {
        assert!(validate(&parse("created > \"31/01/2026\"").unwrap()).is_err());
        let q = parse("lastmodified > now(\"-4w\")").unwrap();
        validate(&q).unwrap();
        assert_eq!(parse_offset("-4w"), Some(-4 * 7 * 86_400_000));
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
}
