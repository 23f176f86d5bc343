//! The site and its indexes. Reads dominate, so everything a listing needs
//! (per-space id sets, ordered children, title index) is kept up to date on
//! each mutation instead of being recomputed per request.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::value::RawValue;

use super::{Attachment, Body, Id, Node, NodeKind, Space, Status, User, Version};
use crate::site::generate::Generator;

/// Bytes of pre-escaped JSON bodies we keep; beyond this bodies are rendered
/// per request (keeps a 100k-page generated site well under 1 GiB).
const BODY_CACHE_BUDGET: i64 = 256 << 20;

/// A cached serialized listing entry and the site revision it was built at.
type Fragment = (u64, Arc<[u8]>);

/// A small multiplicative hasher for integer keys: the caches are probed 250
/// times per listing, where SipHash shows up in profiles.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    fn write_u32(&mut self, x: u32) {
        self.write_u64(x as u64);
    }
    fn write_u8(&mut self, x: u8) {
        self.write_u64(x as u64);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// A search result as ids in result order: `(id, true)` is an attachment,
/// `(id, false)` a page or folder.
pub type SearchIds = Arc<[(Id, bool)]>;

/// Search results kept (most recently used first), at least: enough for a
/// few callers paging through different searches at once; each is 16 bytes
/// a hit (≈ 2 MB for all 120k items of a 100k-page site).
const SEARCH_CACHE_ENTRIES: usize = 8;
/// Hits kept across more results than that (16 MB): an exporter paging 64
/// searches at once (date slices of a large space) would otherwise evict
/// each result before its next page and search the whole site again.
const SEARCH_CACHE_HITS: usize = 1 << 20;
/// Results kept at most: a cache hit is found by a linear scan.
const SEARCH_CACHE_MAX_ENTRIES: usize = 512;

#[derive(Debug)]
pub struct Site {
    pub cloud_id: String,
    pub spaces: BTreeMap<Id, Space>,
    space_by_key: HashMap<Arc<str>, Id>,
    pub nodes: BTreeMap<Id, Node>,
    /// Every node of a space (pages and folders), ascending id.
    pub space_nodes: HashMap<Id, BTreeSet<Id>>,
    /// Nodes without a parent, per space, ordered by (position, id).
    pub roots: HashMap<Id, Vec<Id>>,
    titles: HashMap<(Id, Arc<str>), Id>,
    pub attachments: BTreeMap<Id, Attachment>,
    /// Page comments by id (see `model::comments`).
    pub comments: BTreeMap<Id, super::comments::Comment>,
    pub users: Vec<User>,
    user_by_id: HashMap<Arc<str>, usize>,
    /// Account the default credentials log in as.
    pub default_account: Arc<str>,
    pub generator: Option<Arc<Generator>>,
    next_id: Id,
    /// Number of nodes with a read restriction (0 = skip visibility checks).
    pub restricted: usize,
    label_ids: HashMap<Arc<str>, Id>,
    /// Versions are immutable, so (node, version) keys never go stale.
    body_cache: parking_lot::RwLock<FastMap<(Id, u32, bool), Arc<RawValue>>>,
    cache_left: AtomicI64,
    /// Bumped by every mutation; cached listing fragments carry the revision
    /// they were built at.
    revision: u64,
    fragments: parking_lot::RwLock<FastMap<Id, Fragment>>,
    /// Recent CQL results by key (query and caller), emptied by `bump()`.
    searches: parking_lot::Mutex<VecDeque<(String, SearchIds)>>,
    /// Serve bodies in Data Center's forms (set by `make_data_center`).
    pub data_center: bool,
}

impl Clone for Site {
    fn clone(&self) -> Self {
        Site {
            cloud_id: self.cloud_id.clone(),
            spaces: self.spaces.clone(),
            space_by_key: self.space_by_key.clone(),
            nodes: self.nodes.clone(),
            space_nodes: self.space_nodes.clone(),
            roots: self.roots.clone(),
            titles: self.titles.clone(),
            attachments: self.attachments.clone(),
            comments: self.comments.clone(),
            users: self.users.clone(),
            user_by_id: self.user_by_id.clone(),
            default_account: self.default_account.clone(),
            generator: self.generator.clone(),
            next_id: self.next_id,
            restricted: self.restricted,
            label_ids: self.label_ids.clone(),
            body_cache: Default::default(),
            cache_left: AtomicI64::new(BODY_CACHE_BUDGET),
            revision: 0,
            fragments: Default::default(),
            searches: Default::default(),
            data_center: self.data_center,
        }
    }
}

impl Site {
    pub fn new(cloud_id: String) -> Site {
        Site {
            cloud_id,
            spaces: BTreeMap::new(),
            space_by_key: HashMap::new(),
            nodes: BTreeMap::new(),
            space_nodes: HashMap::new(),
            roots: HashMap::new(),
            titles: HashMap::new(),
            attachments: BTreeMap::new(),
            comments: BTreeMap::new(),
            users: Vec::new(),
            user_by_id: HashMap::new(),
            default_account: Arc::from(""),
            generator: None,
            next_id: 1,
            restricted: 0,
            label_ids: HashMap::new(),
            body_cache: Default::default(),
            cache_left: AtomicI64::new(BODY_CACHE_BUDGET),
            revision: 0,
            fragments: Default::default(),
            searches: Default::default(),
            data_center: false,
        }
    }

    // ---- ids -------------------------------------------------------------

    /// Reserves `id` so generated ids never collide with it.
    pub fn reserve_id(&mut self, id: Id) {
        if id >= self.next_id {
            self.next_id = id + 1;
        }
    }

    pub fn alloc_id(&mut self) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn label_id(&mut self, name: &str) -> Id {
        if let Some(id) = self.label_ids.get(name) {
            return *id;
        }
        let id = self.alloc_id();
        self.label_ids.insert(Arc::from(name), id);
        id
    }

    // ---- users -----------------------------------------------------------

    pub fn add_user(&mut self, user: User) {
        let idx = self.users.len();
        self.user_by_id.insert(user.account_id.clone(), idx);
        self.users.push(user);
    }

    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.user_by_id.get(account_id).map(|i| &self.users[*i])
    }

    /// A user by Data Center user key (see [`crate::model::dc_user_key`]).
    pub fn user_by_key(&self, key: &str) -> Option<&User> {
        self.users
            .iter()
            .find(|u| crate::model::dc_user_key(&u.account_id) == key)
    }

    pub fn user_mut(&mut self, account_id: &str) -> Option<&mut User> {
        let i = *self.user_by_id.get(account_id)?;
        Some(&mut self.users[i])
    }

    // ---- spaces ----------------------------------------------------------

    pub fn add_space(&mut self, space: Space) {
        self.reserve_id(space.id);
        self.space_by_key.insert(space.key.clone(), space.id);
        self.space_nodes.entry(space.id).or_default();
        self.roots.entry(space.id).or_default();
        self.spaces.insert(space.id, space);
    }

    pub fn space_by_key(&self, key: &str) -> Option<&Space> {
        self.space_by_key
            .get(key)
            .and_then(|id| self.spaces.get(id))
    }

    // ---- nodes -----------------------------------------------------------

    pub fn node(&self, id: Id) -> Option<&Node> {
        self.nodes.get(&id)
    }

    pub fn page(&self, id: Id) -> Option<&Node> {
        self.nodes.get(&id).filter(|n| n.kind == NodeKind::Page)
    }

    /// A page or a blog post: content that has a body, attachments and
    /// comments.
    pub fn container(&self, id: Id) -> Option<&Node> {
        self.nodes
            .get(&id)
            .filter(|n| matches!(n.kind, NodeKind::Page | NodeKind::BlogPost))
    }

    /// A blog post of a space by title (and posting day `YYYY/MM/DD`, when given).
    pub fn blog_post(&self, space_id: Id, title: &str, day: Option<&str>) -> Option<&Node> {
        self.space_nodes.get(&space_id)?.iter().find_map(|id| {
            let n = self.nodes.get(id)?;
            (n.kind == NodeKind::BlogPost
                && n.title() == title
                && day.is_none_or(|d| crate::model::time::posting_day(n.created_ms) == d))
            .then_some(n)
        })
    }

    pub fn by_title(&self, space_id: Id, title: &str) -> Option<Id> {
        self.titles.get(&(space_id, Arc::from(title))).copied()
    }

    /// Adds a node and links it into its parent's (or the space's root) children.
    pub fn insert_node(&mut self, node: Node) {
        self.reserve_id(node.id);
        if !node.read_restriction.is_empty() {
            self.restricted += 1;
        }
        // Blog posts have their own titles and stand outside the page tree.
        let blog = node.kind == NodeKind::BlogPost;
        if !blog {
            self.titles
                .insert((node.space_id, node.latest().title.clone()), node.id);
        }
        self.space_nodes
            .entry(node.space_id)
            .or_default()
            .insert(node.id);
        let (id, parent, space) = (node.id, node.parent, node.space_id);
        self.nodes.insert(id, node);
        if !blog {
            self.link_child(space, parent, id);
        }
    }

    fn sort_key(&self, id: Id) -> (i64, Id) {
        (self.nodes.get(&id).map(|n| n.position).unwrap_or(0), id)
    }

    fn link_child(&mut self, space: Id, parent: Option<Id>, id: Id) {
        let key = self.sort_key(id);
        let list = match parent {
            Some(p) => match self.nodes.get(&p) {
                Some(_) => {
                    let list = std::mem::take(&mut self.nodes.get_mut(&p).unwrap().children);
                    let list = self.insert_sorted(list, id, key);
                    self.nodes.get_mut(&p).unwrap().children = list;
                    return;
                }
                None => return,
            },
            None => std::mem::take(self.roots.entry(space).or_default()),
        };
        let list = self.insert_sorted(list, id, key);
        self.roots.insert(space, list);
    }

    fn insert_sorted(&self, mut list: Vec<Id>, id: Id, key: (i64, Id)) -> Vec<Id> {
        let at = list.partition_point(|c| self.sort_key(*c) < key);
        list.insert(at, id);
        list
    }

    fn unlink_child(&mut self, space: Id, parent: Option<Id>, id: Id) {
        let list = match parent {
            Some(p) => self.nodes.get_mut(&p).map(|n| &mut n.children),
            None => self.roots.get_mut(&space),
        };
        if let Some(list) = list {
            list.retain(|c| *c != id);
        }
    }

    /// Children in order (pages and folders).
    pub fn children_of(&self, space: Id, parent: Option<Id>) -> &[Id] {
        match parent {
            Some(p) => self.nodes.get(&p).map(|n| n.children.as_slice()),
            None => self.roots.get(&space).map(|v| v.as_slice()),
        }
        .unwrap_or(&[])
    }

    /// Position for a node appended after its last sibling.
    pub fn next_position(&self, space: Id, parent: Option<Id>) -> i64 {
        self.children_of(space, parent)
            .last()
            .and_then(|c| self.nodes.get(c))
            .map(|n| n.position + 4096)
            .unwrap_or(1024)
    }

    /// Moves a node under a new parent, appended after its last sibling.
    pub fn move_node(&mut self, id: Id, new_parent: Option<Id>) {
        self.place_node(id, new_parent, None);
    }

    /// Moves a node under `new_parent` (which may be its current parent) at
    /// `position`, or after its last sibling when `None`.
    pub fn place_node(&mut self, id: Id, new_parent: Option<Id>, position: Option<i64>) {
        let Some(n) = self.nodes.get(&id) else { return };
        let (space, old) = (n.space_id, n.parent);
        self.unlink_child(space, old, id);
        let pos = position.unwrap_or_else(|| self.next_position(space, new_parent));
        let n = self.nodes.get_mut(&id).unwrap();
        n.parent = new_parent;
        n.position = pos;
        self.link_child(space, new_parent, id);
    }

    /// Updates the title index after a rename.
    pub fn retitle(&mut self, id: Id, old: &str) {
        let Some(n) = self.nodes.get(&id) else { return };
        // Blog posts are not in the page title index.
        if n.kind == NodeKind::BlogPost {
            return;
        }
        let space = n.space_id;
        let new = n.latest().title.clone();
        self.titles.remove(&(space, Arc::from(old)));
        self.titles.insert((space, new), id);
    }

    /// Moves a page to the trash; its children move up to its parent, as
    /// Confluence does when a page (not its tree) is deleted.
    pub fn trash(&mut self, id: Id) {
        let Some(n) = self.nodes.get(&id) else { return };
        let children = n.children.clone();
        let parent = n.parent;
        for c in children {
            self.move_node(c, parent);
        }
        if let Some(n) = self.nodes.get_mut(&id) {
            n.status = Status::Trashed;
        }
    }

    /// Removes a node for good (children move up first).
    pub fn purge(&mut self, id: Id) {
        self.trash(id);
        let Some(n) = self.nodes.remove(&id) else {
            return;
        };
        self.unlink_child(n.space_id, n.parent, id);
        if let Some(set) = self.space_nodes.get_mut(&n.space_id) {
            set.remove(&id);
        }
        if n.kind != NodeKind::BlogPost {
            self.titles.remove(&(n.space_id, n.latest().title.clone()));
        }
        if !n.read_restriction.is_empty() {
            self.restricted -= 1;
        }
        for a in &n.attachments {
            self.attachments.remove(a);
        }
        for s in self.spaces.values_mut() {
            if s.homepage_id == Some(id) {
                s.homepage_id = None;
            }
        }
    }

    pub fn set_restriction(&mut self, id: Id, read: Vec<Arc<str>>) {
        let Some(n) = self.nodes.get_mut(&id) else {
            return;
        };
        let was = !n.read_restriction.is_empty();
        let now = !read.is_empty();
        n.read_restriction = read;
        match (was, now) {
            (false, true) => self.restricted += 1,
            (true, false) => self.restricted -= 1,
            _ => {}
        }
    }

    /// Ancestors of a node, root first (pages and folders).
    pub fn ancestors(&self, id: Id) -> Vec<Id> {
        let mut out = Vec::new();
        let mut cur = self.nodes.get(&id).and_then(|n| n.parent);
        while let Some(p) = cur {
            if out.contains(&p) {
                break;
            }
            out.push(p);
            cur = self.nodes.get(&p).and_then(|n| n.parent);
        }
        out.reverse();
        out
    }

    /// Whether `account` may read the node: view restrictions are inherited
    /// from every ancestor, as in Confluence.
    pub fn can_read(&self, node: &Node, account: &str) -> bool {
        if self.restricted == 0 {
            return true;
        }
        let mut cur = Some(node);
        let mut hops = 0;
        while let Some(n) = cur {
            if !n.read_restriction.is_empty() && !n.read_restriction.iter().any(|a| &**a == account)
            {
                return false;
            }
            hops += 1;
            if hops > 10_000 {
                break;
            }
            cur = n.parent.and_then(|p| self.nodes.get(&p));
        }
        true
    }

    pub fn depth(&self, id: Id) -> usize {
        self.ancestors(id).len()
    }

    // ---- bodies ----------------------------------------------------------

    /// The storage XHTML of a version (in Data Center's forms on a DC site).
    pub fn body_text<'a>(&self, node: &Node, v: &'a Version) -> Cow<'a, str> {
        let text = match &v.body {
            Body::Stored(s) => Cow::Borrowed(&**s),
            Body::Generated(seed) => match &self.generator {
                Some(g) => Cow::Owned(g.body(self, node, *seed)),
                None => Cow::Borrowed(""),
            },
        };
        if self.data_center {
            match crate::site::flavor::dc_storage(&text) {
                Some(dc) => Cow::Owned(dc),
                None => text,
            }
        } else {
            text
        }
    }

    /// Turns a site into what Data Center serves: no folders (their
    /// children move up to the folder's parent) and bodies in DC forms
    /// (`ri:userkey` mentions, no ADF-only nodes; see `body_text`).
    pub fn make_data_center(&mut self) {
        self.data_center = true;
        let folders: Vec<Id> = self
            .nodes
            .values()
            .filter(|n| n.kind == NodeKind::Folder)
            .map(|n| n.id)
            .collect();
        for f in folders {
            self.purge(f);
        }
        self.bump();
    }

    /// The storage body as a JSON string literal, cached within a memory
    /// budget so listings with bodies are mostly memcpy.
    pub fn body_json(&self, node: &Node, v: &Version) -> Arc<RawValue> {
        self.cached_json(node, v, false)
    }

    /// The `atlas_doc_format` value (an ADF document as a JSON string), cached
    /// like storage bodies.
    pub fn adf_json(&self, node: &Node, v: &Version) -> Arc<RawValue> {
        self.cached_json(node, v, true)
    }

    fn cached_json(&self, node: &Node, v: &Version, adf: bool) -> Arc<RawValue> {
        let key = (node.id, v.number, adf);
        if let Some(r) = self.body_cache.read().get(&key) {
            return r.clone();
        }
        let text = self.body_text(node, v);
        let text = if adf {
            std::borrow::Cow::Owned(crate::render::adf::to_adf(&text))
        } else {
            text
        };
        let json = serde_json::to_string(&*text).unwrap_or_else(|_| "\"\"".into());
        let len = json.len() as i64 + 64;
        let raw: Arc<RawValue> = Arc::from(RawValue::from_string(json).expect("a JSON string"));
        if self.cache_left.fetch_sub(len, Ordering::Relaxed) > len {
            self.body_cache.write().insert(key, raw.clone());
        } else {
            self.cache_left.fetch_add(len, Ordering::Relaxed);
        }
        raw
    }

    /// Marks the site as changed (invalidates cached listing fragments and
    /// search results). Every mutation of a served site must call it.
    pub fn bump(&mut self) {
        self.revision += 1;
        self.fragments.get_mut().clear();
        self.searches.get_mut().clear();
    }

    /// The search result cached under `key` (which must name everything the
    /// result depends on besides the site: query and caller), or `run`'s,
    /// cached. Every mutation bumps the site and so empties this cache, so a
    /// cached result is always the one `run` would compute now.
    pub fn cached_search(&self, key: &str, run: impl FnOnce() -> Vec<(Id, bool)>) -> SearchIds {
        {
            let mut cache = self.searches.lock();
            if let Some(i) = cache.iter().position(|(k, _)| k == key) {
                let hit = cache.remove(i).expect("a found entry");
                let ids = hit.1.clone();
                cache.push_front(hit);
                return ids;
            }
        }
        // Computed without the lock: concurrent searches do not wait on
        // each other (two first requests of one search may both compute it).
        let ids: SearchIds = run().into();
        let mut cache = self.searches.lock();
        if !cache.iter().any(|(k, _)| k == key) {
            cache.push_front((key.to_string(), ids.clone()));
            let mut hits = 0;
            let keep = cache
                .iter()
                .position(|(_, r)| {
                    hits += r.len();
                    hits > SEARCH_CACHE_HITS
                })
                .unwrap_or(cache.len())
                .clamp(SEARCH_CACHE_ENTRIES, SEARCH_CACHE_MAX_ENTRIES);
            cache.truncate(keep);
        }
        ids
    }

    /// A node's cached serialized listing fragment, built by `build` when
    /// missing or stale. Counts against the same memory budget as bodies.
    pub fn fragment(&self, id: Id, build: impl FnOnce() -> Vec<u8>) -> Arc<[u8]> {
        if let Some((rev, f)) = self.fragments.read().get(&id) {
            if *rev == self.revision {
                return f.clone();
            }
        }
        let f: Arc<[u8]> = Arc::from(build());
        let len = f.len() as i64 + 64;
        if self.cache_left.fetch_sub(len, Ordering::Relaxed) > len {
            self.fragments
                .write()
                .insert(id, (self.revision, f.clone()));
        } else {
            self.cache_left.fetch_add(len, Ordering::Relaxed);
        }
        f
    }
}
