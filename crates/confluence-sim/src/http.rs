//! Minimal request/response types the handlers work with, independent of
//! hyper so handlers stay plain functions.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::{HeaderMap, Method, StatusCode};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde::Serialize;

/// Decoded query parameters in request order.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

impl Query {
    pub fn parse(raw: &str) -> Query {
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            })
            .collect();
        Query { pairs }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A multi-valued parameter: repeated and/or comma-separated.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Every parameter, decoded, in request order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true") | Some("") | Some("1"))
    }
}

/// Characters escaped in a query value (conservative: everything but
/// unreserved).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Characters escaped in a path segment.
pub const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn enc_query(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

pub fn enc_path(s: &str) -> String {
    utf8_percent_encode(s, PATH_SEGMENT).to_string()
}

/// Web-UI slug: spaces become `+`, the rest percent-encoded.
pub fn slug(title: &str) -> String {
    title.split(' ').map(enc_path).collect::<Vec<_>>().join("+")
}

/// `raw` query with every `drop` parameter removed and `extra` appended, kept
/// byte-for-byte otherwise so next links echo what the client sent.
pub fn rewrite_query(raw: &str, drop: &[&str], extra: &[(&str, String)]) -> String {
    let mut parts: Vec<String> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let k = p.split('=').next().unwrap_or("");
            !drop.iter().any(|d| decode(k) == *d)
        })
        .map(str::to_string)
        .collect();
    for (k, v) in extra {
        parts.push(format!("{k}={}", enc_query(v)));
    }
    parts.join("&")
}

pub struct Req {
    pub method: Method,
    /// Path as sent (still percent-encoded).
    pub path: String,
    pub raw_query: String,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
    /// When non-empty, the body as shared chunks (zero-copy listings);
    /// `body` is then unused.
    pub parts: Vec<Bytes>,
}

/// Builds a body from small copied pieces and large shared ones, so a
/// 250-page listing with bodies is sent without copying the bodies.
#[derive(Default)]
pub struct Chunks {
    parts: Vec<Bytes>,
    pending: Vec<u8>,
}

/// Below this, copying beats another iovec.
const SHARE_MIN: usize = 2048;

impl Chunks {
    pub fn with_capacity(bytes: usize) -> Chunks {
        Chunks {
            parts: Vec::new(),
            pending: Vec::with_capacity(bytes),
        }
    }

    pub fn copy(&mut self, b: &[u8]) {
        self.pending.extend_from_slice(b);
    }

    /// Appends bytes owned elsewhere (shared when large, copied when small).
    pub fn share(&mut self, b: Bytes) {
        if b.len() < SHARE_MIN {
            self.pending.extend_from_slice(&b);
            return;
        }
        if !self.pending.is_empty() {
            self.parts
                .push(Bytes::from(std::mem::take(&mut self.pending)));
        }
        self.parts.push(b);
    }

    pub fn writer(&mut self) -> &mut Vec<u8> {
        &mut self.pending
    }

    pub fn finish(mut self) -> Vec<Bytes> {
        if !self.pending.is_empty() {
            self.parts.push(Bytes::from(self.pending));
        }
        self.parts
    }
}

impl Resp {
    pub fn new(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
        let mut r = Resp {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            headers: Vec::new(),
            body: body.into(),
            parts: Vec::new(),
        };
        r.set("content-type", content_type);
        r
    }

    pub fn json<T: Serialize + ?Sized>(status: u16, value: &T) -> Resp {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
        Resp::new(status, "application/json;charset=UTF-8", body)
    }

    pub fn empty(status: u16) -> Resp {
        Resp {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            headers: Vec::new(),
            body: Bytes::new(),
            parts: Vec::new(),
        }
    }

    /// A response whose body is a list of chunks.
    pub fn chunked(status: u16, content_type: &str, parts: Vec<Bytes>) -> Resp {
        let mut r = Resp::new(status, content_type, Bytes::new());
        r.parts = parts;
        r
    }

    /// The whole body as one buffer.
    pub fn body_bytes(&self) -> Bytes {
        if self.parts.is_empty() {
            return self.body.clone();
        }
        let mut v = Vec::with_capacity(self.parts.iter().map(|p| p.len()).sum());
        for p in &self.parts {
            v.extend_from_slice(p);
        }
        Bytes::from(v)
    }

    pub fn set(&mut self, name: &str, value: &str) {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            self.headers.retain(|(k, _)| k != n);
            self.headers.push((n, v));
        }
    }

    pub fn with(mut self, name: &str, value: &str) -> Resp {
        self.set(name, value);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lists_and_rewrite() {
        let q = Query::parse("id=1,2&id=3&title=a+b%26c&flag");
        assert_eq!(q.list("id"), vec!["1", "2", "3"]);
        assert_eq!(q.get("title"), Some("a b&c"));
        assert!(q.flag("flag"));
        assert_eq!(
            rewrite_query(
                "limit=5&cursor=abc&body-format=storage",
                &["cursor"],
                &[("cursor", "x/y".into())]
            ),
            "limit=5&body-format=storage&cursor=x%2Fy"
        );
    }
}
