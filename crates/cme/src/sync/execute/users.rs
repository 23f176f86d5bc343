//! Display names of the users pages mention, looked up once per run.
use cme_client::Client;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Display names of the users pages mention, looked up once each. A failed
/// lookup only costs names (mentions fall back to ids), never the run.
#[derive(Default)]
pub(super) struct Users {
    pub(super) names: HashMap<String, String>,
    asked: HashSet<String>,
    /// Ids whose lookup failed: asked again by a later batch, and the
    /// pages mentioning them are rewritten by the next sync.
    pub(super) failed: HashSet<String>,
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
        let mut account_ids = BTreeSet::new();
        let mut user_keys = BTreeSet::new();
        for body in bodies {
            account_ids.extend(attribute_values(body, "ri:account-id=\""));
            user_keys.extend(attribute_values(body, "ri:userkey=\""));
        }
        let asked: Vec<String> = client
            .user_ids_to_ask(authors, account_ids, user_keys)
            .into_iter()
            .filter(|i| self.asked.insert(i.clone()))
            .collect();
        if asked.is_empty() {
            return;
        }
        let found = client.user_names(&asked).await;
        match found {
            Ok(names) => {
                for a in &asked {
                    self.failed.remove(a);
                }
                self.names.extend(names);
            }
            Err(_) => {
                for a in asked {
                    self.asked.remove(&a);
                    self.failed.insert(a);
                }
            }
        }
    }
}

/// Values of an attribute, found by plain text search: cheaper than parsing
/// every body twice, and a miss only costs a display name.
fn attribute_values<'a>(body: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    body.match_indices(prefix).filter_map(move |(i, _)| {
        let rest = &body[i + prefix.len()..];
        rest.find('"').map(|end| rest[..end].to_owned())
    })
}
