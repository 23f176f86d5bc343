//! Comment sidecars: `Page.md`'s comments go to `Page.comments.md` beside
//! it. A sidecar is a pure function of the page's comments (from one
//! listing per space, see `Client::space_comments`): threads nested as
//! block quotes, authors by display name, dates, an `Open`/`Resolved`
//! marker and the highlighted text of inline threads. Comments change
//! without a page version, so the state keeps a hash of each page's
//! comment set and the planner compares it with the listing's.
use crate::fs::hash::content_hash;
use crate::fs::paths::OutputPath;
pub use crate::options::CommentsMode;
use cme_client::{Comment, CommentId, CommentLocation, PageId, ResolutionStatus};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// The comments of the pages in scope, as this run's listings found them.
#[derive(Debug)]
pub struct PageComments {
    /// Which comments get a sidecar.
    pub mode: CommentsMode,
    /// Every listed comment, by page.
    pub by_page: HashMap<PageId, Vec<Comment>>,
    /// Whether every space's listing completed: when one did not, sidecars
    /// are left as they are (a missing comment proves nothing).
    pub complete: bool,
}

impl PageComments {
    /// What `page`'s sidecar shows, in thread order.
    pub fn kept(&self, page: &PageId) -> Vec<&Comment> {
        self.by_page
            .get(page)
            .map_or_else(Vec::new, |l| select(self.mode, l))
    }

    /// The hash of what `page`'s sidecar shows (`None`: no sidecar).
    pub fn hash(&self, page: &PageId) -> Option<String> {
        comments_hash(&self.kept(page))
    }
}

/// What `Page.md`'s sidecar is called: `Page.comments.md`. The name
/// allocator claims it for every page, so no page can take it.
pub fn sidecar_path(page: &OutputPath) -> Option<OutputPath> {
    let stem = page.as_str().strip_suffix(".md")?;
    OutputPath::parse_recorded(&format!("{stem}.comments.md")).ok()
}

/// The comments of a page that `mode` keeps, in thread order.
pub fn select(mode: CommentsMode, all: &[Comment]) -> Vec<&Comment> {
    let mut kept: Vec<&Comment> = all.iter().filter(|c| mode.keeps(c)).collect();
    kept.sort_by(|a, b| (&a.created, &a.id).cmp(&(&b.created, &b.id)));
    kept
}

/// A fingerprint of everything a sidecar shows; `None` for no comments
/// (then there is no sidecar). Bodies are not listed, but an edit raises
/// the comment's version, which is in.
pub fn comments_hash(kept: &[&Comment]) -> Option<String> {
    if kept.is_empty() {
        return None;
    }
    let mut text = String::new();
    for c in kept {
        let (selection, resolution) = match (&c.location, &c.resolution) {
            (CommentLocation::Inline { selection }, r) => (
                Some(selection.as_str()),
                r.as_ref()
                    .map(|r| (r.status, r.by.as_ref().map(|u| &u.id), &r.at)),
            ),
            _ => (None, None),
        };
        let _ = writeln!(
            text,
            "{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{:?}",
            c.id.0,
            c.parent.as_ref().map(|p| &p.0),
            selection,
            c.author.as_ref().map(|a| (&a.id, &a.display_name)),
            resolution,
            c.created,
            c.version,
            c.modified,
            c.page.as_str(),
        );
    }
    Some(content_hash(text.as_bytes()))
}

/// Storage-format text: what the converter should print literally.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `2026-01-31T14:05:00.000Z` → `2026-01-31 14:05 UTC` (other offsets kept).
fn when(iso: &str) -> String {
    if iso.len() < 16 || !iso.is_char_boundary(16) || iso.as_bytes()[10] != b'T' {
        return iso.to_owned();
    }
    let zone = if iso.ends_with('Z') {
        " UTC".to_owned()
    } else {
        match iso.rfind(['+', '-']).filter(|&i| i > 16) {
            Some(i) => format!(" {}", &iso[i..]),
            None => String::new(),
        }
    };
    format!("{} {}{zone}", &iso[..10], &iso[11..16])
}

fn author(c: &Comment) -> String {
    match &c.author {
        Some(u) => u.display_name.as_deref().unwrap_or(&u.id).to_owned(),
        None => "Unknown user".to_owned(),
    }
}

/// How deep replies nest as block quotes: a reply deeper than this is
/// quoted this deep, after its parent, so a chain of any length is kept
/// whole and stays readable (renderers give up on deeper nesting).
const MAX_NESTING: usize = 32;

/// A piece of a thread: text at the top level, or a line of a reply at
/// its depth (1 for a reply to the thread's first comment), which gets
/// one `> ` per level (capped at [`MAX_NESTING`]) when written.
enum Piece {
    Top(String),
    Line(usize, String),
}

/// One comment and all its replies, each reply quoted one level deeper
/// than its parent. Walked with a stack, not recursion, so a chain of any
/// depth neither overflows the stack nor is cut.
fn thread(
    root: &Comment,
    replies: &BTreeMap<&CommentId, Vec<&Comment>>,
    convert: &dyn Fn(&str) -> String,
    md: &mut String,
) {
    enum Step<'a> {
        Enter(&'a Comment, usize),
        /// The reply at this depth and its replies are written.
        Leave(usize),
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut stack = vec![Step::Enter(root, 0)];
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(c, depth) => {
                let text = comment(c, depth, convert);
                if depth == 0 {
                    pieces.push(Piece::Top(text));
                } else {
                    pieces.extend(text.lines().map(|l| Piece::Line(depth, l.to_owned())));
                }
                for r in replies.get(&c.id).into_iter().flatten().rev() {
                    stack.push(Step::Leave(depth + 1));
                    stack.push(Step::Enter(r, depth + 1));
                }
            }
            Step::Leave(depth) => {
                // A quoted reply ends at its last non-blank line, and a
                // blank line (in its parent) follows it.
                while matches!(pieces.last(), Some(Piece::Line(d, l)) if *d == depth && l.is_empty())
                {
                    pieces.pop();
                }
                pieces.push(match depth - 1 {
                    0 => Piece::Top("\n".to_owned()),
                    d => Piece::Line(d, String::new()),
                });
            }
        }
    }
    for piece in pieces {
        match piece {
            Piece::Top(text) => md.push_str(&text),
            Piece::Line(depth, line) => {
                let nesting = depth.min(MAX_NESTING);
                if line.is_empty() {
                    md.push('>');
                    md.push_str(&" >".repeat(nesting - 1));
                } else {
                    md.push_str(&"> ".repeat(nesting));
                    md.push_str(&line);
                }
                md.push('\n');
            }
        }
    }
}

/// One comment's header line and body, unquoted.
fn comment(c: &Comment, depth: usize, convert: &dyn Fn(&str) -> String) -> String {
    let edited = if c.version > 1 {
        format!(" · edited {}", when(&c.modified))
    } else {
        String::new()
    };
    let label = if depth == 0 { "" } else { "Reply from " };
    let mut md = convert(&format!(
        "<p>{label}<strong>{}</strong> · {}{}</p>",
        esc(&author(c)),
        esc(&when(&c.created)),
        esc(&edited)
    ));
    md.push('\n');
    let body = convert(&c.body);
    if !body.trim().is_empty() {
        md.push_str(body.trim_end_matches('\n'));
        md.push_str("\n\n");
    }
    md
}

/// Prefixes every line with `> ` (a block quote nests any Markdown).
fn quote(md: &str) -> String {
    let mut out = String::with_capacity(md.len() + 16);
    for line in md.trim_end_matches('\n').lines() {
        if line.is_empty() {
            out.push_str(">\n");
        } else {
            out.push_str("> ");
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The sidecar of a page titled `title`, from its kept comments.
/// `convert` turns storage format into Markdown (the page's context, so
/// links in comments resolve as the page's do).
pub fn render(title: &str, kept: &[&Comment], convert: &dyn Fn(&str) -> String) -> String {
    let parent_of: HashMap<&CommentId, Option<&CommentId>> =
        kept.iter().map(|c| (&c.id, c.parent.as_ref())).collect();
    // A reply hangs under its parent only if its chain of parents ends at
    // a listed thread: one whose parent is missing (or whose chain loops,
    // which no real site sends) is a thread of its own, so every comment
    // shows exactly once.
    // Each chain is walked once: what a walk learns holds for every
    // comment on it (a chain of 100,000 replies is not walked 100,000
    // times).
    let mut chain_ends: HashMap<&CommentId, bool> = HashMap::new();
    for c in kept {
        let mut path = Vec::new();
        let mut on_path = std::collections::HashSet::new();
        let mut cur = &c.id;
        let ends = loop {
            if let Some(&known) = chain_ends.get(cur) {
                break known;
            }
            if !on_path.insert(cur) {
                break false;
            }
            path.push(cur);
            match parent_of.get(cur).copied().flatten() {
                Some(p) if parent_of.contains_key(p) => cur = p,
                _ => break true,
            }
        };
        for id in path {
            chain_ends.insert(id, ends);
        }
    }
    let anchored = |c: &Comment| chain_ends.get(&c.id).copied().unwrap_or(true);
    let mut replies: BTreeMap<&CommentId, Vec<&Comment>> = BTreeMap::new();
    let mut roots = Vec::new();
    for c in kept {
        match c
            .parent
            .as_ref()
            .filter(|p| parent_of.contains_key(p) && anchored(c))
        {
            Some(p) => replies.entry(p).or_default().push(c),
            None => roots.push(*c),
        }
    }
    let mut md = convert(&format!("<h1>Comments: {}</h1>", esc(title)));
    md.push('\n');
    let footer: Vec<&Comment> = roots
        .iter()
        .copied()
        .filter(|c| c.location == CommentLocation::Footer)
        .collect();
    let inline: Vec<&Comment> = roots
        .iter()
        .copied()
        .filter(|c| c.location != CommentLocation::Footer)
        .collect();
    if !footer.is_empty() {
        md.push_str("## Footer comments\n\n");
        for c in footer {
            thread(c, &replies, convert, &mut md);
        }
    }
    if !inline.is_empty() {
        md.push_str("## Inline comments\n\n");
        for c in inline {
            let state = match c.resolution.as_ref().map(|r| r.status) {
                Some(ResolutionStatus::Resolved) => "Resolved",
                Some(ResolutionStatus::Reopened) => "Reopened",
                _ => "Open",
            };
            let selection = match &c.location {
                CommentLocation::Inline { selection } => selection.as_str(),
                CommentLocation::Footer => "",
            };
            md.push_str(&format!("### {state}\n\n"));
            let quoted = convert(&format!("<p><strong>On:</strong> {}</p>", esc(selection)));
            md.push_str(&quote(&quoted));
            md.push('\n');
            if let Some(r) = c
                .resolution
                .as_ref()
                .filter(|r| r.status != ResolutionStatus::Open)
            {
                let by =
                    r.by.as_ref()
                        .map(|u| u.display_name.as_deref().unwrap_or(&u.id).to_owned());
                let at = r.at.as_deref().map(when);
                let line = match (by, at) {
                    (Some(b), Some(a)) => Some(format!("{state} by {b} · {a}")),
                    (Some(b), None) => Some(format!("{state} by {b}")),
                    (None, Some(a)) => Some(format!("{state} {a}")),
                    (None, None) => None,
                };
                if let Some(line) = line {
                    md.push_str(&convert(&format!("<p><em>{}</em></p>", esc(&line))));
                    md.push('\n');
                }
            }
            thread(c, &replies, convert, &mut md);
        }
    }
    md.truncate(md.trim_end_matches('\n').len());
    md.push('\n');
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use cme_client::{Resolution, UserRef};

    fn comment(id: &str, parent: Option<&str>, location: CommentLocation, body: &str) -> Comment {
        Comment {
            id: CommentId(id.to_owned()),
            page: PageId::new("1"),
            parent: parent.map(|p| CommentId(p.to_owned())),
            resolution: match location {
                CommentLocation::Inline { .. } => Some(Resolution {
                    status: ResolutionStatus::Resolved,
                    by: None,
                    at: None,
                }),
                CommentLocation::Footer => None,
            },
            location,
            author: Some(UserRef {
                id: "acc".into(),
                display_name: Some("Ada *Lovelace*".into()),
            }),
            created: format!("2026-01-0{id}T10:00:00.000Z"),
            version: 1,
            modified: "2026-01-01T10:00:00.000Z".into(),
            body: body.into(),
        }
    }

    fn convert(s: &str) -> String {
        let ctx = cme_convert::OfflineContext { current: None };
        cme_convert::convert(s, &ctx, &cme_convert::Options::default()).markdown
    }

    #[test]
    fn threads_nest_and_inline_comments_quote_their_selection() {
        let all = vec![
            comment("1", None, CommentLocation::Footer, "<p>First</p>"),
            comment("2", Some("1"), CommentLocation::Footer, "<p>Reply</p>"),
            comment(
                "3",
                None,
                CommentLocation::Inline {
                    selection: "the *text*".into(),
                },
                "<p>Inline</p>",
            ),
        ];
        let kept = select(CommentsMode::All, &all);
        let md = render("T", &kept, &convert);
        assert!(md.starts_with("# Comments: T\n"), "{md}");
        assert!(
            md.contains("**Ada \\*Lovelace\\*** · 2026-01-01 10:00 UTC"),
            "{md}"
        );
        assert!(md.contains("> Reply from **Ada"), "{md}");
        assert!(md.contains("> Reply\n"), "{md}");
        assert!(
            md.contains("### Resolved\n\n> **On:** the \\*text\\*"),
            "{md}"
        );
        assert_eq!(select(CommentsMode::Footer, &all).len(), 2);
        assert_eq!(select(CommentsMode::Inline, &all).len(), 1);
        assert!(select(CommentsMode::None, &all).is_empty());
    }

    /// A chain of `n` footer comments, each replying to the one before.
    fn chain(n: usize) -> Vec<Comment> {
        (0..n)
            .map(|i| {
                let mut c = comment("1", None, CommentLocation::Footer, &format!("<p>w{i}</p>"));
                c.id = CommentId(format!("c{i}"));
                c.parent = (i > 0).then(|| CommentId(format!("c{}", i - 1)));
                c.created = format!("2026-01-01T10:00:00.{i:06}Z");
                c
            })
            .collect()
    }

    /// Comments go through the page's converter: a script link in one
    /// keeps its words and loses the link.
    #[test]
    fn script_links_in_comments_lose_the_link() {
        let all = vec![
            comment(
                "1",
                None,
                CommentLocation::Footer,
                r#"<p><a href="javascript:alert(1)">click me</a> <img src="data:text/html,x" alt="pic"/></p>"#,
            ),
            comment(
                "2",
                Some("1"),
                CommentLocation::Footer,
                r#"<p><a href="vbscript:msgbox(1)">reply link</a></p>"#,
            ),
        ];
        let md = render("T", &select(CommentsMode::All, &all), &convert);
        for kept in ["click me", "pic", "reply link"] {
            assert!(md.contains(kept), "{md}");
        }
        for gone in ["javascript", "data:", "vbscript"] {
            assert!(!md.contains(gone), "{md}");
        }
    }

    #[test]
    fn reply_chains_of_any_depth_are_kept() {
        let all = chain(300);
        let md = render("T", &select(CommentsMode::All, &all), &convert);
        for i in 0..300 {
            assert_eq!(
                md.matches(&format!(" w{i}\n")).count() + md.matches(&format!("\nw{i}\n")).count(),
                1,
                "w{i}"
            );
        }
        assert_eq!(md.matches("Reply from").count(), 299);
        let deepest = format!("{}w299\n", "> ".repeat(MAX_NESTING));
        assert!(
            md.contains(&deepest),
            "the deepest reply is quoted {MAX_NESTING} deep"
        );
        assert!(
            !md.contains(&"> ".repeat(MAX_NESTING + 1)),
            "nesting is capped"
        );
        assert!(!md.contains(&format!("{}>", "> ".repeat(MAX_NESTING))));

        // 20,000 deep: no stack overflow, nothing dropped.
        let all = chain(20_000);
        let md = render("T", &select(CommentsMode::All, &all), &|s: &str| {
            format!("{s}\n")
        });
        assert_eq!(md.matches("Reply from").count(), 19_999);
        assert!(md.contains("<p>w19999</p>"));
    }

    /// The sidecar as it was written when threads were rendered
    /// recursively (and cut at 32 levels): shallower threads must keep
    /// their bytes.
    fn recursive(
        c: &Comment,
        replies: &BTreeMap<&CommentId, Vec<&Comment>>,
        convert: &dyn Fn(&str) -> String,
        depth: usize,
    ) -> String {
        let mut md = super::comment(c, depth, convert);
        for r in replies.get(&c.id).into_iter().flatten() {
            md.push_str(&quote(&recursive(r, replies, convert, depth + 1)));
            md.push('\n');
        }
        md
    }

    #[test]
    fn threads_within_the_cap_keep_their_bytes() {
        // Trees of every shape from a fixed pseudo-random sequence.
        let mut seed = 7u64;
        let mut next = |n: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % n
        };
        for round in 0..200 {
            let n = 1 + next(60);
            let mut all = chain(n);
            for (i, c) in all.iter_mut().enumerate().skip(1) {
                // Reply to any earlier comment, or to none (a new thread).
                c.parent = match next(8) {
                    0 => None,
                    _ => Some(CommentId(format!("c{}", next(i)))),
                };
                if next(3) == 0 {
                    c.body = format!("<p>a{i}</p><p>b{i}</p><ul><li>x</li></ul>");
                }
                if next(5) == 0 {
                    c.body = String::new();
                }
            }
            let kept = select(CommentsMode::All, &all);
            let mut replies: BTreeMap<&CommentId, Vec<&Comment>> = BTreeMap::new();
            let mut depth: HashMap<&CommentId, usize> = HashMap::new();
            let mut roots = Vec::new();
            for c in &kept {
                match &c.parent {
                    Some(p) => {
                        replies.entry(p).or_default().push(c);
                        depth.insert(&c.id, depth[p] + 1);
                    }
                    None => {
                        roots.push(*c);
                        depth.insert(&c.id, 0);
                    }
                }
            }
            if depth.values().any(|&d| d > MAX_NESTING) {
                continue;
            }
            for root in roots {
                let mut md = String::new();
                thread(root, &replies, &convert, &mut md);
                assert_eq!(md, recursive(root, &replies, &convert, 0), "round {round}");
            }
        }
    }

    #[test]
    fn looping_or_orphaned_replies_still_show_once() {
        let all = vec![
            comment("1", Some("2"), CommentLocation::Footer, "<p>one</p>"),
            comment("2", Some("1"), CommentLocation::Footer, "<p>two</p>"),
            comment("3", Some("3"), CommentLocation::Footer, "<p>three</p>"),
            comment("4", Some("9"), CommentLocation::Footer, "<p>four</p>"),
        ];
        let md = render("T", &select(CommentsMode::All, &all), &convert);
        for word in ["one", "two", "three", "four"] {
            assert_eq!(
                md.matches(&format!("\n{word}\n")).count(),
                1,
                "{word}:\n{md}"
            );
        }
    }

    #[test]
    fn the_hash_follows_what_the_sidecar_shows() {
        let a = vec![comment("1", None, CommentLocation::Footer, "<p>x</p>")];
        let mut b = a.clone();
        b[0].version = 2;
        let h = |l: &[Comment]| comments_hash(&select(CommentsMode::All, l));
        assert_ne!(h(&a), h(&b));
        assert_eq!(h(&a), h(&a.clone()));
        assert_eq!(h(&[]), None);
    }

    #[test]
    fn a_sidecar_sits_beside_its_page() {
        let p = OutputPath::parse_recorded("ENG/Home/Setup.md").unwrap();
        assert_eq!(
            sidecar_path(&p).unwrap().as_str(),
            "ENG/Home/Setup.comments.md"
        );
    }
}
