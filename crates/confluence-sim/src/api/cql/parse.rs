//! CQL text → [`Query`]: the lexer, the recursive-descent parser (fields,
//! operators, `IN` lists, date functions like `now("-4w")`) and the value
//! checks made before a query runs. Apart from evaluation so the grammar
//! can be read, and tested, without a site.

use std::borrow::Cow;

use crate::model::time::{self, Millis, parse_cql_date};

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
                // A date is read once here, not again for every hit.
                let values = if field == "created" || field == "lastmodified" {
                    values
                        .into_iter()
                        .map(|v| match as_time(&v) {
                            Some(t) => Value::Time(t),
                            None => v,
                        })
                        .collect()
                } else {
                    values
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

pub(super) fn as_time(v: &Value) -> Option<Millis> {
    match v {
        Value::Time(t) => Some(*t),
        Value::Text(s) => parse_cql_date(s),
    }
}

pub(super) fn text(v: &Value) -> Cow<'_, str> {
    match v {
        Value::Text(s) => Cow::Borrowed(s),
        Value::Time(t) => Cow::Owned(t.to_string()),
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
                // Read as an instant when parsed.
                values: vec![Value::Time(
                    crate::model::time::parse_cql_date("2026-01-31 14:05").unwrap()
                )]
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
    fn rejects_bad_dates_and_accepts_functions() {
        assert!(validate(&parse("created > \"31/01/2026\"").unwrap()).is_err());
        let q = parse("lastmodified > now(\"-4w\")").unwrap();
        validate(&q).unwrap();
        assert_eq!(parse_offset("-4w"), Some(-4 * 7 * 86_400_000));
    }
}
