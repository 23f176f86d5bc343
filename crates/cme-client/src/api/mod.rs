//! The REST API by family, over the one careful GET of [`crate::transport`]:
//! [`v2`] (Cloud's v2 listings), [`v1`] (the content, space, user and
//! attachment endpoints both flavours have) and [`cql`] (searches). Each
//! family keeps its requests beside the wire shapes they decode, so a
//! change to an endpoint is made in one place; [`crate::Client`] only
//! chooses a family per flavour. The wire shapes never leave this module:
//! callers see the flavour-neutral types of [`crate::model`].
pub(crate) mod cql;
pub(crate) mod jira;
pub(crate) mod masterdetail;
pub(crate) mod v1;
pub(crate) mod v2;

use crate::error::{Error, redact};
use crate::model::UserRef;
use crate::transport::Transport;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Where requests go and how they are sent: a [`crate::Client`]'s view
/// for the family functions, which need nothing else of it.
#[derive(Clone, Copy)]
pub(crate) struct Api<'a> {
    pub transport: &'a Transport,
    /// Scheme, host and port, e.g. `https://example.atlassian.net`.
    pub origin: &'a str,
    /// Where REST paths start: `origin/wiki` on Cloud, the context root on DC.
    pub root: &'a str,
}

impl Api<'_> {
    /// One GET with retries, returning the raw body of a 2xx answer.
    pub async fn get_bytes(&self, url: &str, with_auth: bool) -> Result<Vec<u8>, Error> {
        self.transport.get_with(url, with_auth, Ok).await
    }

    /// GET and decode JSON; a body that does not decode (often a truncated
    /// response) counts as transient and is retried.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        self.transport
            .get_with(url, true, |bytes| {
                serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
                    url: redact(url),
                    source,
                })
            })
            .await
    }
}

impl Api<'_> {
    /// [`Api::get_json`] to another service on the site (Jira), whose
    /// refusals are not Confluence's.
    pub async fn get_json_other_service<T: DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        self.transport
            .get_other_service(url, |bytes| {
                serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
                    url: redact(url),
                    source,
                })
            })
            .await
    }
}

/// Everything but RFC 3986's unreserved characters is escaped.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query or path component.
pub(crate) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

// ---- Shapes both generations share (only the fields we read) ----

/// A page of results: v2 listings and v1 listings and searches alike.
#[derive(Deserialize)]
pub(crate) struct List<T> {
    pub results: Vec<T>,
    #[serde(default, rename = "_links")]
    pub links: Links,
    /// How many results the whole listing has, when the server says
    /// (v1 CQL searches): checked against what arrives.
    #[serde(default, rename = "totalSize")]
    pub total_size: Option<u64>,
    /// The page size the server used (v1 envelopes), which may be less
    /// than the one asked for.
    #[serde(default)]
    pub limit: Option<u64>,
}

/// A result's identity within its listing (`None`: it has none to check).
pub(crate) trait Keyed {
    fn key(&self) -> Option<&str>;
}

/// Results any one listing may send when it announces no total: far more
/// than any space holds, few enough to keep memory bounded.
pub(crate) const MAX_RESULTS: u64 = 2_000_000;
/// Longest any one listing may take, retries and throttling included.
pub(crate) const MAX_LISTING_TIME: std::time::Duration = std::time::Duration::from_secs(3600);
/// Empty pages in a row a listing may send (Cloud may filter a page
/// away for permissions and still have more, but not forever).
const MAX_EMPTY_PAGES: u32 = 100;

/// What one listing has sent so far, to cut it when it cannot be trusted:
/// a page made only of results already sent (a changing cursor that
/// loops), more results than it announced (plus room for pages created
/// meanwhile) or than [`MAX_RESULTS`], endless empty pages, more than
/// [`MAX_LISTING_TIME`]; and, at its end, fewer results than it announced.
/// Memory: one 64-bit hash per result.
pub(crate) struct Pager {
    url: String,
    seen: std::collections::HashSet<u64>,
    received: u64,
    announced: Option<u64>,
    cap: Option<u64>,
    empty: u32,
    started: std::time::Instant,
}

impl Pager {
    pub fn new(first_url: &str) -> Self {
        Self {
            url: redact(first_url),
            seen: std::collections::HashSet::new(),
            received: 0,
            announced: None,
            cap: None,
            empty: 0,
            started: std::time::Instant::now(),
        }
    }

    fn fail(&self, problem: String) -> Error {
        Error::Listing {
            url: self.url.clone(),
            problem,
        }
    }

    /// Takes one page: repeats of results already sent are dropped from
    /// `results`; `Err` when the listing must be cut.
    pub fn page<T: Keyed>(
        &mut self,
        results: &mut Vec<T>,
        total: Option<u64>,
    ) -> Result<(), Error> {
        if let Some(t) = total {
            // The first total sets the cap; later ones may move with edits.
            self.cap.get_or_insert(t + t / 10 + 250);
            self.announced = Some(t);
        }
        let cap = self.cap.unwrap_or(MAX_RESULTS).min(MAX_RESULTS);
        let sent = results.len();
        results.retain(|r| match r.key() {
            Some(k) => {
                use std::hash::{Hash, Hasher};
                let mut h = std::collections::hash_map::DefaultHasher::new();
                k.hash(&mut h);
                self.seen.insert(h.finish())
            }
            None => true,
        });
        if sent > 0 && results.is_empty() {
            return Err(self.fail(format!(
                "sent {sent} results again that it had sent before (after {} results)",
                self.received
            )));
        }
        self.received += results.len() as u64;
        if self.received > cap {
            return Err(match self.cap {
                Some(_) => self.fail(format!(
                    "sent {} results, more than the {} it announced",
                    self.received,
                    self.announced.unwrap_or_default()
                )),
                None => self.fail(format!("sent more than {MAX_RESULTS} results")),
            });
        }
        self.empty = if sent == 0 { self.empty + 1 } else { 0 };
        if self.empty > MAX_EMPTY_PAGES {
            return Err(self.fail(format!("sent {MAX_EMPTY_PAGES} empty pages in a row")));
        }
        if self.started.elapsed() > MAX_LISTING_TIME {
            return Err(self.fail(format!(
                "took more than {} minutes",
                MAX_LISTING_TIME.as_secs() / 60
            )));
        }
        Ok(())
    }

    /// At the listing's end: `Err` when it sent fewer results than it
    /// announced (a dropped `next` link, a page of results left out).
    pub fn finish(&self) -> Result<(), Error> {
        match self.announced {
            Some(t) if self.received < t => {
                Err(self.fail(format!("announced {t} results but sent {}", self.received)))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Links {
    pub next: Option<String>,
}

/// Any `{ "id": … }` object.
#[derive(Deserialize)]
pub(crate) struct Stub {
    pub id: String,
}

impl Keyed for Stub {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// `body` expanded or included as storage format.
#[derive(Deserialize)]
pub(crate) struct Body {
    storage: Option<Storage>,
}

#[derive(Deserialize)]
struct Storage {
    value: String,
}

impl Body {
    /// The storage-format XHTML, when the answer carried it.
    pub fn into_storage(self) -> Option<String> {
        self.storage.map(|s| s.value)
    }
}

#[derive(Deserialize)]
pub(crate) struct Label {
    name: String,
    /// Inline: only the name is kept.
    #[serde(default)]
    prefix: smol_str::SmolStr,
}

impl Label {
    /// The label's prefix (`global`, `team`, `my`, …; empty when absent).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The label's name.
    pub fn into_name(self) -> String {
        self.name
    }
}

/// Label names as users see them: only the `global` prefix (personal
/// `my:` labels are private to their owner), sorted, no repeats.
pub(crate) fn label_names(labels: Vec<Label>) -> Vec<String> {
    let mut names: Vec<String> = labels
        .into_iter()
        .filter(|l| l.prefix.is_empty() || l.prefix == "global")
        .map(|l| l.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// A user named by a page answer; empty ids and names count as absent.
pub(crate) fn user(id: Option<String>, name: Option<String>) -> Option<UserRef> {
    id.filter(|i| !i.is_empty()).map(|id| UserRef {
        id: shared(&id),
        display_name: name.filter(|n| !n.is_empty()).map(|n| shared(&n)),
    })
}

/// A user's account id read straight into its [`shared`] copy: a page
/// answer names two, and a text made for each and let go at once left a
/// listing's memory in holes.
pub(crate) struct SharedText(std::sync::Arc<str>);

impl<'de> Deserialize<'de> for SharedText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = SharedText;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<SharedText, E> {
                Ok(SharedText(shared(s)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A user named by an account id alone; an empty id counts as absent.
pub(crate) fn user_by_id(id: Option<SharedText>) -> Option<UserRef> {
    id.filter(|i| !i.0.is_empty()).map(|id| UserRef {
        id: id.0,
        display_name: None,
    })
}

/// Most distinct ids and names [`shared`] keeps (an answer is untrusted).
const MAX_SHARED: usize = 100_000;

/// `s`, as one copy for every page that names it: a site's few hundred
/// people are named by each of its pages, and a listing's pages are held
/// together until they are placed (two copies a page were ~13 MB of a
/// 100,000-page listing, at the moment an idle sync peaks). Kept for the
/// process; past [`MAX_SHARED`] texts new ones are copied, not kept.
fn shared(s: &str) -> std::sync::Arc<str> {
    static SHARED: std::sync::LazyLock<
        std::sync::Mutex<std::collections::HashSet<std::sync::Arc<str>>>,
    > = std::sync::LazyLock::new(Default::default);
    let Ok(mut set) = SHARED.lock() else {
        return s.into();
    };
    if let Some(t) = set.get(s) {
        return t.clone();
    }
    let t: std::sync::Arc<str> = s.into();
    if set.len() < MAX_SHARED {
        set.insert(t.clone());
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_escapes_reserved_characters() {
        assert_eq!(encode("A,B"), "A%2CB");
        assert_eq!(encode("a b/ü"), "a%20b%2F%C3%BC");
    }
}
