//! The on-disk site format (SITE-FORMAT.md): `site.json` plus page bodies and
//! attachment files. The bundled demo uses the same loader.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use serde::Deserialize;

use super::rng::mix;
use crate::error::SimError;
use crate::model::time::parse_iso;
use crate::model::{
    AttVersion, Attachment, Body, Id, Label, Node, NodeKind, Site, Space, Status, User, Version,
    uuid_from,
};

/// Reads files of a site by their path relative to the site root.
pub trait Files {
    fn read(&self, rel: &str) -> Result<Cow<'_, [u8]>, String>;
    fn root(&self) -> PathBuf;
}

struct DirFiles(PathBuf);

impl Files for DirFiles {
    fn read(&self, rel: &str) -> Result<Cow<'_, [u8]>, String> {
        if rel.split(['/', '\\']).any(|c| c == "..") || Path::new(rel).is_absolute() {
            return Err(format!("path {rel:?} must stay inside the site folder"));
        }
        std::fs::read(self.0.join(rel))
            .map(Cow::Owned)
            .map_err(|e| format!("cannot read {rel:?}: {e}"))
    }
    fn root(&self) -> PathBuf {
        self.0.clone()
    }
}

/// Files compiled into the binary (the demo).
pub struct StaticFiles(pub &'static [(&'static str, &'static [u8])]);

impl Files for StaticFiles {
    fn read(&self, rel: &str) -> Result<Cow<'_, [u8]>, String> {
        self.0
            .iter()
            .find(|(p, _)| *p == rel)
            .map(|(_, b)| Cow::Borrowed(*b))
            .ok_or_else(|| format!("missing bundled file {rel:?}"))
    }
    fn root(&self) -> PathBuf {
        PathBuf::from("<bundled demo>")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Manifest {
    #[serde(default)]
    cloud_id: Option<String>,
    /// Account the default credentials log in as (default: the first user).
    #[serde(default)]
    default_user: Option<String>,
    users: Vec<UserSpec>,
    spaces: Vec<SpaceSpec>,
    #[serde(default)]
    folders: Vec<FolderSpec>,
    pages: Vec<PageSpec>,
    #[serde(default)]
    attachments: Vec<AttSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserSpec {
    account_id: String,
    display_name: String,
    email: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    api_token: Option<String>,
    #[serde(default)]
    pat: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpaceSpec {
    id: String,
    key: String,
    name: String,
    #[serde(default = "global", rename = "type")]
    kind: String,
    #[serde(default = "current")]
    status: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    homepage: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FolderSpec {
    id: String,
    space: String,
    #[serde(default)]
    parent: Option<String>,
    title: String,
    #[serde(default)]
    position: Option<i64>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionSpec {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    body_file: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    minor_edit: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageSpec {
    id: String,
    space: String,
    /// `page` (default) or `blogpost`.
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    title: String,
    #[serde(default)]
    position: Option<i64>,
    #[serde(default = "current")]
    status: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    restricted_to: Vec<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
    /// Inline storage body of the latest version.
    #[serde(default)]
    body: Option<String>,
    /// Body file of the latest version (default `pages/<id>.xhtml`).
    #[serde(default)]
    body_file: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    updated_by: Option<String>,
    #[serde(default)]
    message: Option<String>,
    /// Older versions, oldest first; the page's own fields are the latest.
    #[serde(default)]
    history: Vec<VersionSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttVersionSpec {
    file: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttSpec {
    id: String,
    page: String,
    filename: String,
    #[serde(default)]
    media_type: Option<String>,
    /// Latest file (default `attachments/<filename>`).
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    author: Option<String>,
    #[serde(default)]
    file_id: Option<String>,
    /// Older versions, oldest first.
    #[serde(default)]
    history: Vec<AttVersionSpec>,
}

fn global() -> String {
    "global".into()
}
fn current() -> String {
    "current".into()
}

/// Guesses a media type from a file name.
pub fn guess_media_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "json" => "application/json",
        "txt" | "md" | "mmd" | "puml" => "text/plain",
        "drawio" => "application/vnd.jgraph.mxfile",
        "zip" => "application/zip",
        "mp4" => "video/mp4",
        "xml" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// Loads a site directory.
pub fn load_dir(path: &Path) -> Result<Site, SimError> {
    load(&DirFiles(path.to_path_buf()))
}

/// Loads a site from any file source.
pub fn load(files: &dyn Files) -> Result<Site, SimError> {
    let root = files.root();
    let err = |message: String| SimError::Site {
        path: root.clone(),
        message,
    };
    let raw = files.read("site.json").map_err(&err)?;
    let m: Manifest = serde_json::from_slice(&raw).map_err(|e| err(format!("site.json: {e}")))?;
    Loader {
        files,
        err: &err,
        ids: HashSet::new(),
    }
    .build(m)
}

struct Loader<'a> {
    files: &'a dyn Files,
    err: &'a dyn Fn(String) -> SimError,
    ids: HashSet<Id>,
}

impl Loader<'_> {
    fn id(&mut self, what: &str, s: &str) -> Result<Id, SimError> {
        let id: Id = s
            .trim_start_matches("att")
            .parse()
            .map_err(|_| (self.err)(format!("{what} id {s:?} is not a number")))?;
        if id == 0 || !self.ids.insert(id) {
            return Err((self.err)(format!("{what} id {s:?} is zero or used twice")));
        }
        Ok(id)
    }

    /// An optional parent id from the manifest.
    fn parent(&self, what: &str, parent: &Option<String>) -> Result<Option<Id>, SimError> {
        parent
            .as_deref()
            .map(|p| p.parse::<Id>())
            .transpose()
            .map_err(|_| (self.err)(format!("{what}: bad parent id")))
    }

    fn time(&self, what: &str, s: &Option<String>, default: i64) -> Result<i64, SimError> {
        match s {
            None => Ok(default),
            Some(t) => parse_iso(t)
                .ok_or_else(|| (self.err)(format!("{what}: bad timestamp {t:?} (want ISO 8601)"))),
        }
    }

    fn user(&self, site: &Site, what: &str, a: &Option<String>) -> Result<Arc<str>, SimError> {
        match a {
            None => Ok(site.default_account.clone()),
            Some(a) => site
                .user(a)
                .map(|u| u.account_id.clone())
                .ok_or_else(|| (self.err)(format!("{what}: unknown user {a:?}"))),
        }
    }

    fn text(
        &self,
        what: &str,
        inline: &Option<String>,
        file: &Option<String>,
        default_file: Option<String>,
    ) -> Result<Arc<str>, SimError> {
        if let Some(b) = inline {
            return Ok(Arc::from(b.as_str()));
        }
        let f = file
            .clone()
            .or(default_file)
            .ok_or_else(|| (self.err)(format!("{what}: no body")))?;
        let bytes = self
            .files
            .read(&f)
            .map_err(|e| (self.err)(format!("{what}: {e}")))?;
        String::from_utf8(bytes.into_owned())
            .map(Arc::from)
            .map_err(|_| (self.err)(format!("{what}: {f} is not UTF-8")))
    }

    fn build(mut self, m: Manifest) -> Result<Site, SimError> {
        let epoch = crate::model::time::from_parts(2024, 1, 1, 9, 0, 0, 0);
        let mut site = Site::new(m.cloud_id.clone().unwrap_or_else(|| uuid_from(0x5173)));
        if m.users.is_empty() {
            return Err((self.err)("at least one user is required".into()));
        }
        for u in &m.users {
            if site.user(&u.account_id).is_some() {
                return Err((self.err)(format!("user {:?} listed twice", u.account_id)));
            }
            let username = u
                .username
                .clone()
                .unwrap_or_else(|| u.email.split('@').next().unwrap_or(&u.email).to_string());
            site.add_user(User {
                account_id: Arc::from(u.account_id.as_str()),
                display_name: Arc::from(u.display_name.as_str()),
                email: Arc::from(u.email.as_str()),
                api_token: u.api_token.clone(),
                pat: u.pat.clone(),
                username: Arc::from(username),
            });
        }
        let default = m
            .default_user
            .clone()
            .unwrap_or_else(|| m.users[0].account_id.clone());
        site.default_account = site
            .user(&default)
            .map(|u| u.account_id.clone())
            .ok_or_else(|| (self.err)(format!("default_user {default:?} is not a user")))?;

        let mut homepages = Vec::new();
        for s in &m.spaces {
            let id = self.id("space", &s.id)?;
            if site.space_by_key(&s.key).is_some() {
                return Err((self.err)(format!("space key {:?} used twice", s.key)));
            }
            if s.key.is_empty() || !s.key.chars().all(|c| c.is_ascii_alphanumeric() || c == '~') {
                return Err((self.err)(format!(
                    "space key {:?} must be alphanumeric",
                    s.key
                )));
            }
            let author = self.user(&site, &format!("space {}", s.key), &s.author)?;
            site.add_space(Space {
                id,
                key: Arc::from(s.key.as_str()),
                name: Arc::from(s.name.as_str()),
                kind: Arc::from(s.kind.as_str()),
                status: Arc::from(s.status.as_str()),
                description: Arc::from(s.description.as_str()),
                homepage_id: None,
                author_id: author,
                created_ms: self.time(&format!("space {}", s.key), &s.created_at, epoch)?,
            });
            if let Some(h) = &s.homepage {
                homepages.push((id, h.clone()));
            }
        }

        // Nodes are inserted parents first, whatever the manifest order.
        let mut specs: HashMap<Id, (Option<Id>, Node, i64)> = HashMap::new();
        let mut order = Vec::new();
        for (i, f) in m.folders.iter().enumerate() {
            let what = format!("folder {}", f.id);
            let id = self.id("folder", &f.id)?;
            let space = site
                .space_by_key(&f.space)
                .ok_or_else(|| (self.err)(format!("{what}: unknown space {:?}", f.space)))?
                .id;
            let author = self.user(&site, &what, &f.author)?;
            let created = self.time(&what, &f.created_at, epoch + i as i64 * 60_000)?;
            let parent = self.parent(&what, &f.parent)?;
            let node = Node {
                id,
                kind: NodeKind::Folder,
                space_id: space,
                parent,
                position: f.position.unwrap_or((i as i64 + 1) * 1000),
                status: Status::Current,
                created_ms: created,
                author_id: author.clone(),
                versions: vec![Version {
                    number: 1,
                    title: Arc::from(f.title.as_str()),
                    body: Body::stored(""),
                    author_id: author,
                    created_ms: created,
                    message: Arc::from(""),
                    minor_edit: false,
                }],
                labels: Vec::new(),
                read_restriction: Vec::new(),
                children: Vec::new(),
                attachments: Vec::new(),
            };
            order.push(id);
            specs.insert(id, (parent, node, 0));
        }
        for (i, p) in m.pages.iter().enumerate() {
            let what = format!("page {}", p.id);
            let id = self.id("page", &p.id)?;
            let space = site
                .space_by_key(&p.space)
                .ok_or_else(|| (self.err)(format!("{what}: unknown space {:?}", p.space)))?
                .id;
            let status = Status::parse(&p.status)
                .filter(|s| *s != Status::Draft)
                .ok_or_else(|| {
                    (self.err)(format!(
                        "{what}: bad status {:?} (current, archived or trashed)",
                        p.status
                    ))
                })?;
            let author = self.user(&site, &what, &p.author)?;
            let created = self.time(&what, &p.created_at, epoch + i as i64 * 3_600_000)?;
            let mut versions = Vec::new();
            let mut t = created;
            for (n, v) in p.history.iter().enumerate() {
                let vw = format!("{what} history[{n}]");
                t = self.time(&vw, &v.created_at, t + 86_400_000 * (n as i64).min(1))?;
                versions.push(Version {
                    number: n as u32 + 1,
                    title: Arc::from(v.title.as_deref().unwrap_or(&p.title)),
                    body: Body::Stored(self.text(&vw, &v.body, &v.body_file, None)?),
                    author_id: self.user(&site, &vw, &v.author)?,
                    created_ms: t,
                    message: Arc::from(v.message.as_deref().unwrap_or("")),
                    minor_edit: v.minor_edit,
                });
            }
            let latest_t = self.time(
                &what,
                &p.updated_at,
                if versions.is_empty() {
                    created
                } else {
                    t + 86_400_000
                },
            )?;
            let body = self.text(
                &what,
                &p.body,
                &p.body_file,
                Some(format!("pages/{}.xhtml", p.id)),
            )?;
            versions.push(Version {
                number: versions.len() as u32 + 1,
                title: Arc::from(p.title.as_str()),
                body: Body::Stored(body),
                author_id: self.user(&site, &what, &p.updated_by.clone().or(p.author.clone()))?,
                created_ms: latest_t,
                message: Arc::from(p.message.as_deref().unwrap_or("")),
                minor_edit: false,
            });
            let mut restrict = Vec::new();
            for a in &p.restricted_to {
                restrict.push(self.user(&site, &what, &Some(a.clone()))?);
            }
            let labels = p
                .labels
                .iter()
                .map(|l| Label {
                    id: 0,
                    name: Arc::from(l.as_str()),
                    prefix: "global",
                })
                .collect();
            let kind = match p.kind.as_deref() {
                None | Some("page") => NodeKind::Page,
                Some("blogpost") if p.parent.is_none() => NodeKind::BlogPost,
                Some("blogpost") => {
                    return Err((self.err)(format!("{what}: a blog post has no parent")));
                }
                Some(other) => {
                    return Err((self.err)(format!(
                        "{what}: bad type {other:?} (page or blogpost)"
                    )));
                }
            };
            let parent = self.parent(&what, &p.parent)?;
            let node = Node {
                id,
                kind,
                space_id: space,
                parent,
                position: p
                    .position
                    .unwrap_or((i as i64 + 1) * 1000 + (mix(id, 3) % 500) as i64),
                status,
                created_ms: created,
                author_id: author,
                versions,
                labels,
                read_restriction: restrict,
                children: Vec::new(),
                attachments: Vec::new(),
            };
            order.push(id);
            specs.insert(id, (parent, node, 0));
        }
        // Validate parents and titles before inserting.
        for id in &order {
            let (parent, node, _) = &specs[id];
            if let Some(p) = parent {
                let Some((_, pn, _)) = specs.get(p) else {
                    return Err((self.err)(format!(
                        "{} {id}: unknown parent {p}",
                        node.kind.as_str()
                    )));
                };
                if pn.space_id != node.space_id {
                    return Err((self.err)(format!(
                        "{} {id}: parent {p} is in another space",
                        node.kind.as_str()
                    )));
                }
            }
        }
        let mut titles = HashSet::new();
        for id in &order {
            let n = &specs[id].1;
            if n.kind == NodeKind::Page && !titles.insert((n.space_id, n.title().to_string())) {
                return Err((self.err)(format!(
                    "page {id}: title {:?} is used twice in its space",
                    n.title()
                )));
            }
        }
        let mut done: HashSet<Id> = HashSet::new();
        for id in order.clone() {
            let mut chain = vec![id];
            while let Some(p) = specs[chain.last().unwrap()].0 {
                if done.contains(&p) {
                    break;
                }
                if chain.contains(&p) {
                    return Err((self.err)(format!("parent cycle through {p}")));
                }
                chain.push(p);
            }
            for c in chain.into_iter().rev() {
                if done.insert(c) {
                    let node = specs.get_mut(&c).unwrap().1.clone();
                    site.insert_node(node);
                }
            }
        }
        let ids: Vec<Id> = site.nodes.keys().copied().collect();
        for id in ids {
            let names: Vec<Arc<str>> = site.nodes[&id]
                .labels
                .iter()
                .map(|l| l.name.clone())
                .collect();
            for (i, n) in names.iter().enumerate() {
                let lid = site.label_id(n);
                site.nodes.get_mut(&id).unwrap().labels[i].id = lid;
            }
        }
        for (space, h) in homepages {
            let hid: Id = h
                .parse()
                .map_err(|_| (self.err)(format!("homepage {h:?} is not an id")))?;
            match site.page(hid) {
                Some(n) if n.space_id == space => {}
                _ => {
                    return Err((self.err)(format!(
                        "homepage {h} is not a page of its space"
                    )));
                }
            }
            site.spaces.get_mut(&space).unwrap().homepage_id = Some(hid);
        }

        for a in &m.attachments {
            let what = format!("attachment {}", a.id);
            let id = self.id("attachment", &a.id)?;
            let page: Id = a
                .page
                .parse()
                .map_err(|_| (self.err)(format!("{what}: bad page id")))?;
            if site.page(page).is_none() {
                return Err((self.err)(format!("{what}: unknown page {page}")));
            }
            if site.nodes[&page]
                .attachments
                .iter()
                .any(|x| *site.attachments[x].filename == a.filename)
            {
                return Err((self.err)(format!(
                    "{what}: page {page} already has {:?}",
                    a.filename
                )));
            }
            let mt = a
                .media_type
                .clone()
                .unwrap_or_else(|| guess_media_type(&a.filename).to_string());
            let created = self.time(&what, &a.created_at, site.nodes[&page].created_ms + 60_000)?;
            let mut versions = Vec::new();
            let mut t = created;
            for (n, v) in a.history.iter().enumerate() {
                let vw = format!("{what} history[{n}]");
                t = self.time(&vw, &v.created_at, t + 3_600_000 * n.min(1) as i64)?;
                let data = self
                    .files
                    .read(&v.file)
                    .map_err(|e| (self.err)(format!("{vw}: {e}")))?;
                versions.push(AttVersion {
                    number: n as u32 + 1,
                    data: Bytes::from(data.into_owned()),
                    file_id: Arc::from(uuid_from(mix(id, n as u64 + 1))),
                    created_ms: t,
                    author_id: self.user(&site, &vw, &v.author)?,
                    comment: Arc::from(v.comment.as_deref().unwrap_or("")),
                });
            }
            let file = a
                .file
                .clone()
                .unwrap_or_else(|| format!("attachments/{}", a.filename));
            let data = self
                .files
                .read(&file)
                .map_err(|e| (self.err)(format!("{what}: {e}")))?;
            let n = versions.len() as u32 + 1;
            versions.push(AttVersion {
                number: n,
                data: Bytes::from(data.into_owned()),
                file_id: Arc::from(
                    a.file_id
                        .clone()
                        .unwrap_or_else(|| uuid_from(mix(id, n as u64))),
                ),
                created_ms: if n > 1 { t + 3_600_000 } else { created },
                author_id: self.user(&site, &what, &a.author)?,
                comment: Arc::from(a.comment.as_deref().unwrap_or("")),
            });
            site.attachments.insert(
                id,
                Attachment {
                    id,
                    page_id: page,
                    status: Status::Current,
                    filename: Arc::from(a.filename.as_str()),
                    media_type: Arc::from(mt),
                    created_ms: created,
                    versions,
                },
            );
            site.nodes.get_mut(&page).unwrap().attachments.push(id);
        }
        Ok(site)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_json(json: &'static str) -> Result<Site, SimError> {
        let files: &'static [(&'static str, &'static [u8])] = Box::leak(Box::new([
            ("site.json", json.as_bytes()),
            ("pages/2.xhtml", b"<p>two</p>".as_slice()),
        ]));
        load(&StaticFiles(files))
    }

    fn err(json: &'static str) -> String {
        load_json(json)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    const USERS: &str = r#""users":[{"account_id":"a","display_name":"A","email":"a@x"}]"#;

    #[test]
    fn demo_loads_with_history_and_folder() {
        let site = crate::site::demo::load().unwrap();
        assert!(site.space_by_key("DEMO").is_some() && site.space_by_key("OPS").is_some());
        let policy = site.page(1019).unwrap();
        assert_eq!(policy.versions.len(), 3);
        assert_eq!(site.node(1024).unwrap().parent, Some(1500));
    }

    #[test]
    fn minimal_site_and_clear_errors() {
        let ok = load_json(Box::leak(
            format!(r#"{{{USERS},"spaces":[{{"id":"1","key":"K","name":"K","homepage":"2"}}],"pages":[{{"id":"2","space":"K","title":"T"}}]}}"#)
                .into_boxed_str(),
        ))
        .unwrap();
        assert_eq!(ok.page(2).unwrap().title(), "T");
        assert!(err(r#"{"users":[],"spaces":[],"pages":[]}"#).contains("at least one user"));
        let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
        let e = err(leak(format!(
            r#"{{{USERS},"spaces":[{{"id":"1","key":"K","name":"K"}}],"pages":[{{"id":"2","space":"Q","title":"T"}}]}}"#
        )));
        assert!(e.contains("unknown space"), "{e}");
        let e = err(leak(format!(
            r#"{{{USERS},"spaces":[{{"id":"1","key":"K","name":"K"}}],"pages":[{{"id":"2","space":"K","title":"T","parent":"2"}}]}}"#
        )));
        assert!(e.contains("cycle"), "{e}");
        let e = err(leak(format!(
            r#"{{{USERS},"spaces":[{{"id":"1","key":"K","name":"K"}}],"pages":[{{"id":"2","space":"K","title":"T","body_file":"../x"}}]}}"#
        )));
        assert!(
            e.contains("inside the site folder") || e.contains("missing"),
            "{e}"
        );
        let e = err(leak(format!(
            r#"{{{USERS},"spaces":[{{"id":"1","key":"K","name":"K"}}],"pages":[{{"id":"2","space":"K","title":"T"}},{{"id":"2","space":"K","title":"U"}}]}}"#
        )));
        assert!(e.contains("used twice"), "{e}");
    }
}
