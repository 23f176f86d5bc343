//! What a page's Markdown depends on besides its own body.
//!
//! Converting a page asks questions about other pages: where a linked page
//! lives, what an included page says, which children a page has, which files
//! are attached. The conversion records the questions ([`Dep`]); the state
//! keeps them with a hash of their answers. On the next sync the planner
//! answers the same questions from the new inventory, without any body: a
//! different hash means the page must be rewritten even though its own
//! version did not change (a linked page was renamed or moved, an included
//! page edited, a child added). Both sides answer with
//! `page::answers::answers_hash`, so they can never disagree on what an
//! answer is. This module is the vocabulary only: it knows no layout.
use cme_client::{Attachment, PageId, SpaceKey};
use cme_convert::PageRef;
use std::collections::HashMap;

/// A page named by a storage-format reference, made absolute.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RefKey {
    /// By content id.
    Id(PageId),
    /// By space and exact title.
    Title(SpaceKey, String),
    /// A blog post by space, posting day (`YYYY/MM/DD`, or empty when the
    /// reference gave none) and exact title.
    BlogPost {
        /// Its space.
        space: SpaceKey,
        /// Its posting day.
        day: String,
        /// Its title.
        title: String,
    },
}

impl RefKey {
    /// The key of `page` as seen from a page in `current` (a reference
    /// without a space means `current`).
    pub fn of(current: &SpaceKey, page: &PageRef) -> Option<Self> {
        let space = |s: &Option<cme_convert::SpaceKey>| {
            s.as_ref()
                .map_or_else(|| current.clone(), |s| SpaceKey::new(s.0.clone()))
        };
        match page {
            PageRef::Id(id) => Some(RefKey::Id(PageId::new(id.0.clone()))),
            PageRef::Title { space: s, title } => Some(RefKey::Title(space(s), title.clone())),
            PageRef::BlogPost {
                space: s,
                title,
                posting_day,
            } => Some(RefKey::BlogPost {
                space: space(s),
                // A day that holds `:` cannot be Confluence's (and would not
                // survive the text form): it names no post.
                day: posting_day.replace(':', ""),
                title: title.clone(),
            }),
        }
    }
}

/// One question a conversion asked.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dep {
    /// Where a linked page is (its path, or that it is not exported).
    Link(RefKey),
    /// An included page's body (its version).
    Include(RefKey),
    /// Which page owns a referenced attachment (its folder).
    AttachmentOwner(RefKey),
    /// The page's children, as the children macro lists them
    /// ([`CHILDREN_DEPTH`] levels, Confluence's order).
    Children,
    /// The page's children to another depth, with their modification
    /// dates when the macro sorts by them.
    ChildTree {
        /// Levels listed.
        depth: usize,
        /// Whether modification dates are part of the answer.
        modified: bool,
    },
    /// Where a space link goes: the space's exported home page, or not.
    Space(SpaceKey),
    /// Whether an attachment of a page is listed (exported), so a link to
    /// it is local rather than to the site.
    AttachmentFile(RefKey, String),
    /// The page's attachment file names, as the attachments macro lists them.
    AttachmentList,
    /// A page-properties report over pages of `spaces` (`None`: every
    /// exported space, when its CQL names none) that carry one of `labels`
    /// (`None`: any page; a CQL that requires a label can list no other):
    /// rewritten when any such page changes version, title, labels, parent
    /// or path, or gains or loses such a label, since that is what can
    /// change which pages it lists and what their rows say.
    Report {
        /// The spaces the CQL names.
        spaces: Option<Vec<SpaceKey>>,
        /// The labels the CQL requires one of.
        labels: Option<Vec<String>>,
    },
    /// A Jira issue's summary and status, as Jira answers them: refreshed
    /// by each sync that fetches from Jira (`page::jira`).
    JiraIssue {
        /// The macro's `serverId` (empty: none named).
        server: String,
        /// The issue key.
        key: String,
    },
    /// A Jira search's issues, in the macro's columns.
    JiraQuery(cme_convert::JiraQuery),
}

impl Dep {
    /// Compact text form for the state file: `L:id:123`, `I:t:SPACE:Title`,
    /// `A:…`, `C`, `F`.
    pub fn encode(&self) -> String {
        let key = |tag: &str, k: &RefKey| match k {
            RefKey::Id(id) => format!("{tag}:id:{id}"),
            RefKey::Title(space, title) => format!("{tag}:t:{space}:{title}"),
            RefKey::BlogPost { space, day, title } => format!("{tag}:b:{space}:{day}:{title}"),
        };
        match self {
            Dep::Link(k) => key("L", k),
            Dep::Include(k) => key("I", k),
            Dep::AttachmentOwner(k) => key("A", k),
            Dep::Children => "C".to_owned(),
            Dep::ChildTree { depth, modified } => {
                format!("C:{depth}{}", if *modified { ":m" } else { "" })
            }
            Dep::Space(space) => format!("S:{space}"),
            // The file name's length first: names and titles may hold `:`.
            Dep::AttachmentFile(k, file) => key(&format!("E:{}:{file}", file.len()), k),
            Dep::AttachmentList => "F".to_owned(),
            Dep::Report { spaces, labels } => {
                let mut s = match spaces {
                    None => "R:*".to_owned(),
                    Some(keys) => format!(
                        "R:{}",
                        keys.iter()
                            .map(SpaceKey::as_str)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                };
                if let Some(labels) = labels {
                    s.push('|');
                    s.push_str(&labels.join(","));
                }
                s
            }
            // The server's length first: ids are the macro's, any text.
            Dep::JiraIssue { server, key } => format!("J:{}:{server}{key}", server.len()),
            Dep::JiraQuery(q) => format!(
                "Q:{}:{}{}:{}:{}",
                q.server.len(),
                q.server,
                q.max,
                q.columns.join(","),
                q.jql
            ),
        }
    }

    /// Parses [`Dep::encode`]'s form; `None` for anything else (a state
    /// written by a newer build), which the planner treats as changed.
    pub fn decode(s: &str) -> Option<Self> {
        match s {
            "C" => return Some(Dep::Children),
            "F" => return Some(Dep::AttachmentList),
            _ => {}
        }
        let (tag, rest) = s.split_once(':')?;
        match tag {
            "C" => {
                let (depth, modified) = match rest.strip_suffix(":m") {
                    Some(d) => (d, true),
                    None => (rest, false),
                };
                return Some(Dep::ChildTree {
                    depth: depth.parse().ok()?,
                    modified,
                });
            }
            "S" => return Some(Dep::Space(SpaceKey::new(rest))),
            "R" => {
                let (spaces, labels) = match rest.split_once('|') {
                    Some((s, l)) => (s, Some(l)),
                    None => (rest, None),
                };
                let list = |s: &str| -> Option<Vec<String>> {
                    let v: Vec<String> = s.split(',').map(str::to_owned).collect();
                    v.iter().all(|x| !x.is_empty()).then_some(v)
                };
                let spaces = match spaces {
                    "*" => None,
                    s => Some(list(s)?.into_iter().map(SpaceKey::new).collect()),
                };
                let labels = match labels {
                    Some(l) => Some(list(l)?),
                    None => None,
                };
                return Some(Dep::Report { spaces, labels });
            }
            "J" | "Q" => {
                let (len, rest) = rest.split_once(':')?;
                let len: usize = len.parse().ok()?;
                let server = rest.get(..len)?.to_owned();
                let rest = rest.get(len..)?;
                if tag == "J" {
                    return Some(Dep::JiraIssue {
                        server,
                        key: rest.to_owned(),
                    });
                }
                let (max, rest) = rest.split_once(':')?;
                let (columns, jql) = rest.split_once(':')?;
                return Some(Dep::JiraQuery(cme_convert::JiraQuery {
                    server,
                    jql: jql.to_owned(),
                    columns: columns.split(',').map(str::to_owned).collect(),
                    max: max.parse().ok()?,
                }));
            }
            "E" => {
                let (len, rest) = rest.split_once(':')?;
                let len: usize = len.parse().ok()?;
                let file = rest.get(..len)?;
                let key = Self::decode_key(rest.get(len..)?.strip_prefix(':')?)?;
                return Some(Dep::AttachmentFile(key, file.to_owned()));
            }
            _ => {}
        }
        let key = Self::decode_key(rest)?;
        match tag {
            "L" => Some(Dep::Link(key)),
            "I" => Some(Dep::Include(key)),
            "A" => Some(Dep::AttachmentOwner(key)),
            _ => None,
        }
    }

    fn decode_key(rest: &str) -> Option<RefKey> {
        Some(if let Some(id) = rest.strip_prefix("id:") {
            RefKey::Id(PageId::new(id))
        } else if let Some(b) = rest.strip_prefix("b:") {
            // Space keys and days hold no `:`; titles may.
            let (space, rest) = b.split_once(':')?;
            let (day, title) = rest.split_once(':')?;
            RefKey::BlogPost {
                space: SpaceKey::new(space),
                day: day.to_owned(),
                title: title.to_owned(),
            }
        } else {
            // Space keys hold no `:`; titles may.
            let (space, title) = rest.strip_prefix("t:")?.split_once(':')?;
            RefKey::Title(SpaceKey::new(space), title.to_owned())
        })
    }
}

/// Attachments of each page, in file-name order, as the inventory lists them.
pub type AttachmentIndex = HashMap<PageId, Vec<Attachment>>;

/// Puts one page's listed attachments in file-name order, one per name: a
/// listing that repeats a name must not download it twice, and everything
/// after the listing (layout, plan, downloads) relies on it. The first
/// listed of a repeated name is kept.
pub fn one_file_per_name(list: &mut Vec<Attachment>) {
    list.sort_by(|a, b| a.filename.cmp(&b.filename));
    list.dedup_by(|a, b| a.filename == b.filename);
}

/// How deep the children macro's tree goes (see `PageContext::children`).
pub const CHILDREN_DEPTH: usize = 3;

/// Recorded instead of a hash when a page was written with an answer
/// missing (a user lookup failed): never equal to a hash, so the next sync
/// writes the page again.
pub const INCOMPLETE: &str = "incomplete";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deps_round_trip_through_their_text_form() {
        let all = [
            Dep::Link(RefKey::Id(PageId::new("42"))),
            Dep::Include(RefKey::Title(SpaceKey::new("ENG"), "A: b:c".into())),
            Dep::AttachmentOwner(RefKey::Title(SpaceKey::new("X"), String::new())),
            Dep::Children,
            Dep::ChildTree {
                depth: 16,
                modified: true,
            },
            Dep::ChildTree {
                depth: 2,
                modified: false,
            },
            Dep::Space(SpaceKey::new("~me")),
            Dep::AttachmentFile(
                RefKey::Title(SpaceKey::new("X"), "a:b".into()),
                "c:d:".into(),
            ),
            Dep::AttachmentFile(RefKey::Id(PageId::new("7")), "日本.png".into()),
            Dep::Link(RefKey::BlogPost {
                space: SpaceKey::new("ENG"),
                day: "2024/05/01".into(),
                title: "News: a:b".into(),
            }),
            Dep::Include(RefKey::BlogPost {
                space: SpaceKey::new("ENG"),
                day: String::new(),
                title: String::new(),
            }),
            Dep::AttachmentList,
            Dep::Report {
                spaces: None,
                labels: None,
            },
            Dep::Report {
                spaces: Some(vec![SpaceKey::new("ENG"), SpaceKey::new("~me")]),
                labels: Some(vec!["decision".into(), "adr".into()]),
            },
            Dep::Report {
                spaces: None,
                labels: Some(vec!["x".into()]),
            },
            Dep::JiraIssue {
                server: "a:b".into(),
                key: "CME-42".into(),
            },
            Dep::JiraIssue {
                server: String::new(),
                key: "X-1".into(),
            },
            Dep::JiraQuery(cme_convert::JiraQuery {
                server: "520ce16e:x".into(),
                jql: "project = \"A:B\" ORDER BY key".into(),
                columns: vec!["key".into(), "summary".into()],
                max: 20,
            }),
        ];
        for d in all {
            assert_eq!(Dep::decode(&d.encode()), Some(d.clone()), "{}", d.encode());
        }
        assert_eq!(Dep::decode("Z:id:1"), None);
        assert_eq!(Dep::decode("L:t:nocolon"), None);
        assert_eq!(Dep::decode("R:"), None);
        assert_eq!(Dep::decode("R:*|"), None);
    }
}
