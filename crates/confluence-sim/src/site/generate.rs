//! `--generate SPEC`: a deterministic synthetic site. Only metadata is built
//! up front; bodies are rendered from (seed, page, version) when requested.

use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;

use super::rng::{SplitMix64, mix};
use crate::error::SimError;
use crate::model::time::from_parts;
use crate::model::{
    AttVersion, Attachment, Body, Id, Label, Node, NodeKind, Site, Space, Status, User, Version,
    uuid_from,
};

const PNG: &[u8] = include_bytes!("../../demo/attachments/sim-logo.png");
const PDF: &[u8] = include_bytes!("../../demo/attachments/on-call-checklist.pdf");

/// Parsed `--generate` spec.
#[derive(Clone, Debug, PartialEq)]
pub struct GenSpec {
    pub pages: u64,
    pub spaces: u64,
    pub depth: u64,
    /// Mean attachments per page.
    pub attachments: f64,
    pub body_kb: u64,
    pub seed: u64,
    /// Blog posts per space (ids after every page and attachment, so the
    /// pages' ids and bodies do not depend on it).
    pub blog_posts: u64,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            pages: 100,
            spaces: 1,
            depth: 6,
            attachments: 0.2,
            body_kb: 4,
            seed: 1,
            blog_posts: 3,
        }
    }
}

impl GenSpec {
    /// Parses `pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7`
    /// (every key optional).
    pub fn parse(spec: &str) -> Result<GenSpec, SimError> {
        let mut g = GenSpec::default();
        for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .ok_or_else(|| SimError::Spec(format!("expected key=value, got {part:?}")))?;
            let bad = || SimError::Spec(format!("bad value for {k}: {v:?}"));
            let int = |v: &str| v.trim().parse::<u64>().map_err(|_| bad());
            match k.trim() {
                "pages" => g.pages = int(v)?,
                "spaces" => g.spaces = int(v)?,
                "depth" => g.depth = int(v)?,
                "attachments" => {
                    g.attachments = v.trim().parse::<f64>().map_err(|_| bad())?;
                    if !(0.0..=100.0).contains(&g.attachments) {
                        return Err(bad());
                    }
                }
                "body_kb" => g.body_kb = int(v)?,
                "seed" => g.seed = int(v)?,
                "blog_posts" => {
                    g.blog_posts = int(v)?;
                    if g.blog_posts > 10_000 {
                        return Err(SimError::Spec(
                            "blog_posts must be at most 10000 per space".into(),
                        ));
                    }
                }
                other => {
                    return Err(SimError::Spec(format!(
                        "unknown key {other:?} (known: pages, spaces, depth, attachments, body_kb, seed, blog_posts)"
                    )));
                }
            }
        }
        if g.spaces == 0 {
            return Err(SimError::Spec("spaces must be at least 1".into()));
        }
        if g.pages < g.spaces {
            return Err(SimError::Spec(
                "pages must be at least the number of spaces".into(),
            ));
        }
        if g.pages > 5_000_000 {
            return Err(SimError::Spec("pages must be at most 5000000".into()));
        }
        if g.depth == 0 {
            g.depth = 1;
        }
        Ok(g)
    }
}

/// What a generated body needs to re-render: the spec and where each space's
/// pages live (ids are contiguous per space).
#[derive(Debug)]
pub struct Generator {
    pub spec: GenSpec,
    /// (space key, first page id, page count)
    spaces: Vec<(Arc<str>, Id, u64)>,
    users: Vec<Arc<str>>,
}

const FIRST_PAGE_ID: Id = 1_000_000;
const FIRST_SPACE_ID: Id = 65_536;

const ADJ: &[&str] = &[
    "Quarterly",
    "Internal",
    "Legacy",
    "Shared",
    "Billing",
    "Mobile",
    "Platform",
    "Customer",
    "Security",
    "Release",
    "Onboarding",
    "Incident",
    "Data",
    "Network",
    "Search",
    "Payments",
];
const NOUN: &[&str] = &[
    "Roadmap",
    "Runbook",
    "Guidelines",
    "Architecture",
    "Retrospective",
    "Checklist",
    "Overview",
    "Decisions",
    "Meeting Notes",
    "FAQ",
    "Design",
    "Postmortem",
    "Playbook",
    "Requirements",
];
const HOSTILE: &[&str] = &[
    "R&D: Q3 / Q4 \"Plan\"",
    "C++ <templates> & #macros",
    "50% off? Pricing * rules",
    "Ünïcödé — naïve café",
    "path/with/slashes\\and|pipes",
    "Notes: [draft] {wip} ~tilde",
    "日本語のページ",
    "emoji 🚀 launch",
];
const WORDS: &[&str] = &[
    "the",
    "service",
    "deploy",
    "cluster",
    "team",
    "review",
    "customer",
    "latency",
    "budget",
    "migration",
    "owner",
    "config",
    "rollback",
    "metric",
    "alert",
    "query",
    "cache",
    "schema",
    "release",
    "feature",
    "flag",
    "index",
    "backup",
    "policy",
    "access",
    "token",
    "region",
    "quota",
    "pipeline",
    "report",
    "and",
    "with",
    "for",
    "after",
    "before",
    "during",
    "when",
];
const LANGS: &[&str] = &[
    "python", "rust", "sql", "bash", "java", "yaml", "json", "go",
];
const LABELS: &[&str] = &[
    "runbook",
    "architecture",
    "how-to",
    "meeting-notes",
    "draft",
    "decision",
];

/// The title of generated page number `idx` (pure, so bodies can link to it).
pub fn title_for(seed: u64, id: Id, home_of: Option<&str>) -> String {
    if let Some(key) = home_of {
        return format!("{key} Home");
    }
    let mut r = SplitMix64::new(mix(seed, id));
    if r.below(40) == 0 {
        return format!("{} {}", r.pick(HOSTILE), id);
    }
    format!("{} {} {}", r.pick(ADJ), r.pick(NOUN), id)
}

fn ts(r: &mut SplitMix64, from: i64, span_days: u64) -> i64 {
    from + (r.below(span_days * 86_400_000)) as i64
}

/// Builds the metadata of a synthetic site.
pub fn generate(spec: &GenSpec) -> Site {
    let seed = spec.seed;
    let mut site = Site::new(uuid_from(mix(seed, 0xc10d)));
    let mut users: Vec<Arc<str>> = Vec::new();
    let names = [
        "Sim User",
        "Ada Lovelace",
        "Grace Hopper",
        "Alan Turing",
        "Edsger Dijkstra",
        "Barbara Liskov",
        "Ken Thompson",
        "Margaret Hamilton",
    ];
    for (i, name) in names.iter().enumerate() {
        let account: Arc<str> = if i == 0 {
            Arc::from("557058:sim-user")
        } else {
            Arc::from(format!(
                "712020:{}",
                uuid_from(mix(seed, 0xacc0 + i as u64))
            ))
        };
        let local = name.to_lowercase().replace(' ', ".");
        site.add_user(User {
            account_id: account.clone(),
            display_name: Arc::from(*name),
            email: Arc::from(format!("{local}@example.com")),
            api_token: None,
            pat: None,
            username: Arc::from(local),
        });
        users.push(account);
    }
    site.default_account = users[0].clone();

    let base = from_parts(2021, 1, 1, 0, 0, 0, 0);
    let per_space = spec.pages / spec.spaces;
    let mut next_id = FIRST_PAGE_ID;
    let mut gen_spaces = Vec::new();
    let mut r = SplitMix64::new(mix(seed, 0x5ace));
    // Pages first (contiguous ids per space), attachments after all pages.
    let mut pending_atts: Vec<(Id, Id, i64)> = Vec::new();
    for s in 0..spec.spaces {
        let count = per_space + if s == 0 { spec.pages % spec.spaces } else { 0 };
        let key: Arc<str> = Arc::from(format!("GEN{s}"));
        let space_id = FIRST_SPACE_ID + s;
        let first = next_id;
        next_id += count;
        gen_spaces.push((key.clone(), first, count));
        site.add_space(Space {
            id: space_id,
            key: key.clone(),
            name: Arc::from(format!("Generated space {s}")),
            kind: Arc::from("global"),
            status: Arc::from("current"),
            description: Arc::from(format!("Synthetic space {s} (seed {seed})")),
            homepage_id: Some(first),
            author_id: users[0].clone(),
            created_ms: ts(&mut r, base, 30),
        });
        let mut depths: Vec<u8> = Vec::with_capacity(count as usize);
        let mut parents: Vec<u32> = Vec::with_capacity(count as usize);
        for j in 0..count {
            let id = first + j;
            let mut pr = SplitMix64::new(mix(seed, id));
            let (parent, depth) = if j == 0 {
                (None, 0u8)
            } else {
                let window = j.min(64);
                let mut p = j - 1 - pr.below(window);
                while depths[p as usize] as u64 + 1 >= spec.depth && p != 0 {
                    p = parents[p as usize] as u64;
                }
                if spec.depth <= 1 {
                    (None, 0)
                } else {
                    (Some(first + p), depths[p as usize] + 1)
                }
            };
            depths.push(depth);
            parents.push(parent.map(|p| (p - first) as u32).unwrap_or(0));
            let title: Arc<str> =
                Arc::from(title_for(seed, id, if j == 0 { Some(&key) } else { None }));
            let created = ts(&mut pr, base, 1000);
            let nversions = 1 + pr.below(3) as u32;
            let mut versions = Vec::with_capacity(nversions as usize);
            let mut t = created;
            for v in 1..=nversions {
                if v > 1 {
                    t = ts(&mut pr, t, 60);
                }
                versions.push(Version {
                    number: v,
                    title: title.clone(),
                    body: Body::Generated(mix(mix(seed, id), v as u64)),
                    author_id: pr.pick(&users).clone(),
                    created_ms: t,
                    message: Arc::from(""),
                    minor_edit: false,
                });
            }
            let mut labels = Vec::new();
            if pr.chance(0.3) {
                let name = *pr.pick(LABELS);
                labels.push(Label {
                    id: 0,
                    name: Arc::from(name),
                    prefix: "global",
                });
            }
            let status = Status::Current;
            let natt = spec.attachments.floor() as u64 + pr.chance(spec.attachments.fract()) as u64;
            for _ in 0..natt {
                pending_atts.push((id, pr.next_u64(), t));
            }
            site.insert_node(Node {
                id,
                kind: NodeKind::Page,
                space_id,
                parent,
                position: (j as i64) * 1000 + pr.below(997) as i64 + 1,
                status,
                created_ms: created,
                author_id: versions[0].author_id.clone(),
                versions,
                labels,
                read_restriction: Vec::new(),
                children: Vec::new(),
                attachments: Vec::new(),
            });
        }
    }
    // Label ids after pages so page ids stay contiguous.
    site.reserve_id(next_id);
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
    for (n, (page, rnd, t)) in pending_atts.into_iter().enumerate() {
        let id = site.alloc_id();
        let mut ar = SplitMix64::new(rnd);
        let (name, mt, data) = match ar.below(3) {
            0 | 1 => (
                format!("image-{n}.png"),
                "image/png",
                Bytes::from_static(PNG),
            ),
            _ => (
                format!("document-{n}.pdf"),
                "application/pdf",
                Bytes::from_static(PDF),
            ),
        };
        let author = ar.pick(&users).clone();
        site.attachments.insert(
            id,
            Attachment {
                id,
                page_id: page,
                status: Status::Current,
                filename: Arc::from(name),
                media_type: Arc::from(mt),
                created_ms: t,
                versions: vec![AttVersion {
                    number: 1,
                    data,
                    file_id: Arc::from(uuid_from(mix(seed, id))),
                    created_ms: t,
                    author_id: author,
                    comment: Arc::from(""),
                }],
            },
        );
        site.nodes.get_mut(&page).unwrap().attachments.push(id);
    }
    add_blog_posts(&mut site, spec, &users, base);
    site.generator = Some(Arc::new(Generator {
        spec: spec.clone(),
        spaces: gen_spaces,
        users,
    }));
    site
}

/// `spec.blog_posts` blog posts per space, after every page and attachment
/// (so those keep their ids): dated over the site's years, some labelled
/// `news`, half of them with an image attached, each title unique.
fn add_blog_posts(site: &mut Site, spec: &GenSpec, users: &[Arc<str>], base: i64) {
    let seed = spec.seed;
    for s in 0..spec.spaces {
        let space_id = FIRST_SPACE_ID + s;
        for n in 0..spec.blog_posts {
            let id = site.alloc_id();
            let mut r = SplitMix64::new(mix(seed, id));
            let created = ts(&mut r, base, 1000);
            let title: Arc<str> = Arc::from(format!("Update {n}: {}", title_for(seed, id, None)));
            let author = r.pick(users).clone();
            let labels = if r.chance(0.5) {
                vec![Label {
                    id: site.label_id("news"),
                    name: Arc::from("news"),
                    prefix: "global",
                }]
            } else {
                Vec::new()
            };
            let with_image = r.chance(0.5);
            site.insert_node(Node {
                id,
                kind: NodeKind::BlogPost,
                space_id,
                parent: None,
                position: 0,
                status: Status::Current,
                created_ms: created,
                author_id: author.clone(),
                versions: vec![Version {
                    number: 1,
                    title,
                    body: Body::Generated(mix(mix(seed, id), 1)),
                    author_id: author.clone(),
                    created_ms: created,
                    message: Arc::from(""),
                    minor_edit: false,
                }],
                labels,
                read_restriction: Vec::new(),
                children: Vec::new(),
                attachments: Vec::new(),
            });
            if with_image {
                let att = site.alloc_id();
                site.attachments.insert(
                    att,
                    Attachment {
                        id: att,
                        page_id: id,
                        status: Status::Current,
                        filename: Arc::from("cover.png"),
                        media_type: Arc::from("image/png"),
                        created_ms: created,
                        versions: vec![AttVersion {
                            number: 1,
                            data: Bytes::from_static(PNG),
                            file_id: Arc::from(uuid_from(mix(seed, att))),
                            created_ms: created,
                            author_id: author,
                            comment: Arc::from(""),
                        }],
                    },
                );
                site.nodes.get_mut(&id).unwrap().attachments.push(att);
            }
        }
    }
}

fn esc(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
}

impl Generator {
    fn sentence(r: &mut SplitMix64, out: &mut String, min: u64, spread: u64) {
        let words = min + if spread > 0 { r.below(spread) } else { 0 };
        for i in 0..words {
            if i > 0 {
                out.push(' ');
            }
            let w = *r.pick(WORDS);
            if i == 0 {
                let mut c = w.chars();
                if let Some(f) = c.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(c.as_str());
                }
            } else {
                out.push_str(w);
            }
        }
        out.push('.');
    }

    /// Renders the storage body for `seed` (a page version).
    pub fn body(&self, site: &Site, node: &crate::model::Node, seed: u64) -> String {
        let target = (self.spec.body_kb.max(1) * 1024) as usize;
        let mut out = String::with_capacity(target + 1024);
        let mut r = SplitMix64::new(seed);
        // By the node's space: a blog post's id is outside the pages' range,
        // but it links to its space's pages too.
        let space = self
            .spaces
            .get(node.space_id.wrapping_sub(FIRST_SPACE_ID) as usize)
            .or_else(|| {
                self.spaces
                    .iter()
                    .find(|s| node.id >= s.1 && node.id < s.1 + s.2)
            });
        let image = node
            .attachments
            .iter()
            .filter_map(|a| site.attachments.get(a))
            .find(|a| a.media_type.as_ref() == "image/png")
            .map(|a| a.filename.clone());
        let mut section = 0;
        while out.len() < target {
            section += 1;
            let _ = write!(out, "<h2>Section {section}</h2>");
            match r.below(10) {
                0 | 1 => {
                    out.push_str("<p>");
                    Self::sentence(&mut r, &mut out, 12, 20);
                    out.push_str(" See <strong>");
                    Self::sentence(&mut r, &mut out, 3, 0);
                    out.push_str("</strong> and <em>");
                    Self::sentence(&mut r, &mut out, 2, 0);
                    out.push_str("</em> with <code>cfg.value</code>.</p>");
                }
                2 => {
                    if let Some((key, first, count)) = space {
                        let t = first + r.below(*count);
                        let title = title_for(self.spec.seed, t, (t == *first).then_some(&**key));
                        out.push_str("<p>Related: <ac:link><ri:page ri:space-key=\"");
                        esc(&mut out, key);
                        out.push_str("\" ri:content-title=\"");
                        esc(&mut out, &title);
                        out.push_str("\" /><ac:plain-text-link-body><![CDATA[");
                        out.push_str(&title.replace("]]>", "]]]]><![CDATA[>"));
                        out.push_str("]]></ac:plain-text-link-body></ac:link> and <a href=\"https://example.com/docs?q=1&amp;r=2\">external docs</a>.</p>");
                    }
                }
                3 => {
                    out.push_str("<ul>");
                    for _ in 0..2 + r.below(4) {
                        out.push_str("<li><p>");
                        Self::sentence(&mut r, &mut out, 4, 8);
                        out.push_str("</p></li>");
                    }
                    out.push_str("</ul><ol start=\"1\">");
                    for _ in 0..2 + r.below(3) {
                        out.push_str("<li>");
                        Self::sentence(&mut r, &mut out, 3, 6);
                        out.push_str("</li>");
                    }
                    out.push_str("</ol>");
                }
                4 => {
                    let lang = *r.pick(LANGS);
                    let _ = write!(
                        out,
                        "<ac:structured-macro ac:name=\"code\" ac:schema-version=\"1\"><ac:parameter ac:name=\"language\">{lang}</ac:parameter><ac:plain-text-body><![CDATA["
                    );
                    for i in 0..3 + r.below(8) {
                        let _ = writeln!(
                            out,
                            "let value_{i} = compute(\"{}\") && x < {i};",
                            r.pick(WORDS)
                        );
                    }
                    out.push_str("]]></ac:plain-text-body></ac:structured-macro>");
                }
                5 => {
                    let kind = *r.pick(&["info", "note", "warning", "tip"]);
                    let _ = write!(
                        out,
                        "<ac:structured-macro ac:name=\"{kind}\" ac:schema-version=\"1\"><ac:rich-text-body><p>"
                    );
                    Self::sentence(&mut r, &mut out, 10, 10);
                    out.push_str("</p></ac:rich-text-body></ac:structured-macro>");
                }
                6 => {
                    out.push_str("<table data-layout=\"default\"><tbody><tr><th><p>Key</p></th><th><p>Value</p></th><th><p>Owner</p></th></tr>");
                    for i in 0..2 + r.below(5) {
                        let _ = write!(out, "<tr><td><p>item-{i}</p></td><td><p>");
                        Self::sentence(&mut r, &mut out, 3, 5);
                        let u = r.pick(&self.users);
                        let _ = write!(
                            out,
                            "</p></td><td><p><ac:link><ri:user ri:account-id=\"{u}\" /></ac:link></p></td></tr>"
                        );
                    }
                    out.push_str("</tbody></table>");
                }
                7 => {
                    out.push_str("<ac:task-list>");
                    for i in 0..1 + r.below(4) {
                        let st = if r.chance(0.5) {
                            "complete"
                        } else {
                            "incomplete"
                        };
                        let _ = write!(
                            out,
                            "<ac:task><ac:task-id>{}</ac:task-id><ac:task-status>{st}</ac:task-status><ac:task-body>",
                            i + 1
                        );
                        Self::sentence(&mut r, &mut out, 3, 6);
                        out.push_str("</ac:task-body></ac:task>");
                    }
                    out.push_str("</ac:task-list>");
                }
                8 => {
                    let (t, c) = *r.pick(&[
                        ("DONE", "Green"),
                        ("IN PROGRESS", "Blue"),
                        ("BLOCKED", "Red"),
                    ]);
                    let _ = write!(
                        out,
                        "<p>Status: <ac:structured-macro ac:name=\"status\" ac:schema-version=\"1\"><ac:parameter ac:name=\"title\">{t}</ac:parameter><ac:parameter ac:name=\"colour\">{c}</ac:parameter></ac:structured-macro> due <time datetime=\"2025-0{}-1{}\" /> <ac:emoticon ac:name=\"tick\" /></p>",
                        1 + r.below(9),
                        r.below(10)
                    );
                    if let Some(img) = &image {
                        out.push_str("<p><ac:image ac:width=\"400\"><ri:attachment ri:filename=\"");
                        esc(&mut out, img);
                        out.push_str("\" ri:version-at-save=\"1\" /></ac:image></p>");
                    }
                }
                _ => {
                    out.push_str("<ac:structured-macro ac:name=\"expand\" ac:schema-version=\"1\"><ac:parameter ac:name=\"title\">Details</ac:parameter><ac:rich-text-body><p>");
                    Self::sentence(&mut r, &mut out, 15, 15);
                    out.push_str("</p></ac:rich-text-body></ac:structured-macro>");
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_spec() {
        let g = GenSpec::parse("pages=10000,spaces=2,depth=6,attachments=0.2,body_kb=8,seed=7")
            .unwrap();
        assert_eq!(
            (g.pages, g.spaces, g.depth, g.body_kb, g.seed),
            (10000, 2, 6, 8, 7)
        );
        assert!(GenSpec::parse("pages=x").is_err());
        assert!(GenSpec::parse("bogus=1").is_err());
        assert_eq!(GenSpec::parse("blog_posts=5").unwrap().blog_posts, 5);
        assert!(GenSpec::parse("blog_posts=10001").is_err());
    }

    #[test]
    fn deterministic() {
        let spec =
            GenSpec::parse("pages=300,spaces=2,depth=4,attachments=0.5,body_kb=2,seed=9").unwrap();
        let a = generate(&spec);
        let b = generate(&spec);
        // 300 pages and 3 blog posts per space.
        assert_eq!(a.nodes.len(), 306);
        let posts = |s: &Site| {
            s.nodes
                .values()
                .filter(|n| n.kind == NodeKind::BlogPost)
                .count()
        };
        assert_eq!(posts(&a), 6);
        for (id, n) in &a.nodes {
            let m = &b.nodes[id];
            assert_eq!(n.title(), m.title());
            assert_eq!(n.parent, m.parent);
            assert_eq!(a.body_text(n, n.latest()), b.body_text(m, m.latest()));
            assert!(a.depth(*id) < 4);
        }
        assert_eq!(a.attachments.len(), b.attachments.len());
        // Blog posts come after everything else: without them, every page
        // and attachment keeps its id, title and body.
        let none = GenSpec::parse(
            "pages=300,spaces=2,depth=4,attachments=0.5,body_kb=2,seed=9,blog_posts=0",
        )
        .unwrap();
        let c = generate(&none);
        assert_eq!(posts(&c), 0);
        for (id, n) in &c.nodes {
            let m = &a.nodes[id];
            assert_eq!((n.title(), n.parent), (m.title(), m.parent));
            assert_eq!(c.body_text(n, n.latest()), a.body_text(m, m.latest()));
        }
        for (id, att) in &c.attachments {
            assert_eq!(att.filename, a.attachments[id].filename);
        }
    }
}
