//! The REST API by family, over the one careful GET of [`crate::transport`]:
//! [`v2`] (Cloud's v2 listings), [`v1`] (the content, space, user and
//! attachment endpoints both flavours have) and [`cql`] (searches). Each
//! family keeps its requests beside the wire shapes they decode, so a
//! change to an endpoint is made in one place; [`crate::Client`] only
//! chooses a family per flavour. The wire shapes never leave this module:
//! callers see the flavour-neutral types of [`crate::model`].
pub(crate) mod cql;
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
    #[serde(default)]
    prefix: String,
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
        id,
        display_name: name.filter(|n| !n.is_empty()),
    })
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
