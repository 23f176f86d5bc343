//! Display names of the users pages mention, looked up once per run.
use crate::page::context::PageContext;
use crate::place::layout::Placed;
use crate::sync::remote::Remote;
use cme_client::{Client, PageId};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// Display names of the users pages mention, looked up once each. A failed
/// lookup only costs names (mentions fall back to ids), never the run.
#[derive(Default)]
pub(super) struct Users {
    pub(super) names: HashMap<String, String>,
    /// Ids asked here, or by a batch already converted.
    asked: HashSet<String>,
    /// Ids whose lookup failed: asked again by a later batch, and the
    /// pages mentioning them are rewritten by the next sync.
    pub(super) failed: HashSet<String>,
    /// Ids asked by anyone, batches still on their way included.
    pub(super) claimed: Claimed,
    /// Bumped whenever `names` or `failed` may have changed.
    changes: u64,
}

/// The ids asked so far, shared with the body fetches in flight: a batch
/// asks only the ids no earlier batch (nor the converting one) asked.
#[derive(Default, Clone)]
pub(super) struct Claimed(Arc<Mutex<HashSet<String>>>);

impl Claimed {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        // A set of strings: a panic elsewhere cannot leave it torn.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one batch's lookup found: the ids it asked and, unless it failed,
/// their names.
pub(super) struct Lookup {
    asked: Vec<String>,
    names: Option<HashMap<String, String>>,
}

/// The ids of the users `bodies` mention, with the `authors` (ids of the
/// client's flavour), that the client would ask about.
fn mentioned<'b>(
    client: &Client,
    bodies: impl Iterator<Item = &'b String>,
    authors: Vec<String>,
) -> Vec<String> {
    let mut account_ids = BTreeSet::new();
    let mut user_keys = BTreeSet::new();
    for body in bodies {
        account_ids.extend(attribute_values(body, "ri:account-id=\""));
        user_keys.extend(attribute_values(body, "ri:userkey=\""));
    }
    client.user_ids_to_ask(authors, account_ids, user_keys)
}

/// A batch's lookup, made while earlier batches convert. It waits for the
/// lookup of the batch before it (`after`), so batches ask in order, as if
/// one after the other: an id is asked by the first batch that meets it,
/// whose lookup has ended before that batch converts. A failed lookup gives
/// its ids back, so a later batch asks again. `done` tells the next batch.
pub(super) async fn look_up<'b>(
    client: &Client,
    claimed: &Claimed,
    bodies: impl Iterator<Item = &'b String>,
    authors: Vec<String>,
    after: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
) -> Lookup {
    let ids = mentioned(client, bodies, authors);
    if let Some(after) = after {
        // An error only says that batch stopped: its ids are settled too.
        let _ = after.await;
    }
    let ask: Vec<String> = {
        let mut seen = claimed.lock();
        ids.into_iter().filter(|i| seen.insert(i.clone())).collect()
    };
    let names = if ask.is_empty() {
        Some(HashMap::new())
    } else {
        let found = client.user_names(&ask).await.ok();
        if found.is_none() {
            let mut seen = claimed.lock();
            for a in &ask {
                seen.remove(a);
            }
        }
        found
    };
    let _ = done.send(());
    Lookup { asked: ask, names }
}

impl Users {
    /// Looks up the users `bodies` mention and the `authors` (ids of the
    /// client's flavour) not asked before.
    pub(super) async fn learn<'b>(
        &mut self,
        client: &Client,
        bodies: impl Iterator<Item = &'b String>,
        authors: Vec<String>,
    ) {
        let asked: Vec<String> = mentioned(client, bodies, authors)
            .into_iter()
            .filter(|i| self.asked.insert(i.clone()))
            .collect();
        if asked.is_empty() {
            return;
        }
        self.changes += 1;
        self.claimed.lock().extend(asked.iter().cloned());
        match client.user_names(&asked).await {
            Ok(names) => {
                for a in &asked {
                    self.failed.remove(a);
                }
                self.names.extend(names);
            }
            Err(_) => {
                let mut claimed = self.claimed.lock();
                for a in asked {
                    claimed.remove(&a);
                    self.asked.remove(&a);
                    self.failed.insert(a);
                }
            }
        }
    }

    /// What converting `placed` may ask, answered from the listing, the
    /// `bodies` at hand, its attachments' `names` and the names known here.
    pub(super) fn context<'a>(
        &'a self,
        remote: &'a Remote,
        placed: &'a Placed,
        bodies: &'a HashMap<PageId, String>,
        names: Vec<String>,
    ) -> PageContext<'a> {
        PageContext::new(
            &remote.layout,
            placed,
            bodies,
            names,
            &self.names,
            &self.failed,
            &remote.jira,
        )
    }

    /// Changes whenever the names known (or known to have failed) may have:
    /// what a page converted before then read is still what it would read.
    pub(super) fn known(&self) -> u64 {
        self.changes
    }

    /// Keeps what the lookup of a batch about to convert found.
    pub(super) fn absorb(&mut self, found: Lookup) {
        self.changes += 1;
        match found.names {
            Some(names) => {
                for a in &found.asked {
                    self.failed.remove(a);
                }
                self.asked.extend(found.asked);
                self.names.extend(names);
            }
            None => self.failed.extend(found.asked),
        }
    }
}

/// Values of an attribute, found by plain text search: cheaper than parsing
/// every body twice, and a miss only costs a display name.
fn attribute_values<'a>(body: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    // memmem: every body of a batch is searched twice (str's search was
    // ~4% of an export's CPU).
    memchr::memmem::find_iter(body.as_bytes(), prefix.as_bytes()).filter_map(move |i| {
        let rest = &body[i + prefix.len()..];
        rest.find('"').map(|end| rest[..end].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::attribute_values;

    #[test]
    fn every_value_of_the_attribute_is_found_and_an_unclosed_one_is_not() {
        let body = r#"<p>é <ac:link><ri:user ri:account-id="a1"/></ac:link> ri:account-id="ü2" <ri:user ri:userkey="k"/> ri:account-id="unclosed"#;
        let found: Vec<String> = attribute_values(body, "ri:account-id=\"").collect();
        assert_eq!(found, ["a1", "ü2"]);
        let keys: Vec<String> = attribute_values(body, "ri:userkey=\"").collect();
        assert_eq!(keys, ["k"]);
        assert_eq!(attribute_values("", "ri:userkey=\"").count(), 0);
    }
}
