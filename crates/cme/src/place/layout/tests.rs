//! The layout's unit and property tests: paths unique and safe, names
//! that stick, templates.
use super::model::MAX_DIR_BYTES;
use super::*;
use crate::fs::paths::sanitize_component;
use crate::options::template::{Kind, PathTemplate};
use crate::state::State;
use cme_client::{Attachment, PageMeta, Space};
use cme_client::{PageStatus, ParentKind, SpaceId, Version};
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use unicode_normalization::UnicodeNormalization as _;

fn page(id: &str, title: &str, parent: Option<&str>, pos: i64) -> PageMeta {
    PageMeta {
        id: PageId::new(id),
        kind: cme_client::ContentKind::Page,
        title: title.into(),
        space_id: SpaceId::new("1"),
        parent: parent.map(|p| (PageId::new(p), ParentKind::Page)),
        position: Some(pos),
        status: PageStatus::Current,
        version: Version(1),
        modified_at: Default::default(),
        info: Default::default(),
    }
}

fn space() -> Space {
    Space {
        id: SpaceId::new("1"),
        key: SpaceKey::new("DEMO"),
        name: "Demo".into(),
        homepage_id: Some(PageId::new("10")),
    }
}

fn path_of(l: &Layout, id: &str) -> String {
    l.get(&PageId::new(id)).unwrap().path.to_string()
}

#[test]
fn mirrors_the_tree_and_disambiguates_collisions() {
    let mut l = Layout::default();
    l.add_space(
        &space(),
        vec![
            page("10", "Home", None, 0),
            page("11", "Guide", Some("10"), 1),
            page("12", "guide", Some("10"), 2),
            page("13", "Step: 1/2", Some("11"), 0),
            page("14", "Under a folder", Some("999"), 0),
            page("15", "_attachments", None, 5),
        ],
        vec![],
    );
    assert_eq!(l.len(), 6);
    assert_eq!(path_of(&l, "10"), "DEMO/Home.md");
    assert_eq!(path_of(&l, "11"), "DEMO/Home/Guide.md");
    assert_eq!(path_of(&l, "12"), "DEMO/Home/guide (12).md");
    assert_eq!(path_of(&l, "13"), "DEMO/Home/Guide/Step_ 1_2.md");
    assert_eq!(path_of(&l, "14"), "DEMO/Under a folder.md");
    assert_eq!(path_of(&l, "15"), "DEMO/_attachments (15).md");
    assert_eq!(
        l.get(&PageId::new("10")).unwrap().children,
        vec![PageId::new("11"), PageId::new("12")]
    );
    assert_eq!(
        l.find_title(&SpaceKey::new("DEMO"), "Step: 1/2")
            .unwrap()
            .meta
            .id,
        PageId::new("13")
    );
}

#[test]
fn context_ancestors_shape_paths_but_are_not_exported() {
    let mut l = Layout::default();
    l.add_space(
        &space(),
        vec![page("13", "Leaf", Some("11"), 0)],
        vec![
            page("10", "Home", None, 0),
            page("11", "Guide", Some("10"), 0),
        ],
    );
    assert_eq!(l.len(), 1);
    assert_eq!(path_of(&l, "13"), "DEMO/Home/Guide/Leaf.md");
    assert!(l.get(&PageId::new("11")).is_none());
}

#[test]
fn parent_cycles_do_not_lose_pages() {
    let mut l = Layout::default();
    l.add_space(
        &space(),
        vec![page("1", "A", Some("2"), 0), page("2", "B", Some("1"), 0)],
        vec![],
    );
    assert_eq!(l.len(), 2);
}

#[test]
fn deep_trees_do_not_overflow() {
    let mut pages = vec![page("0", "p", None, 0)];
    for i in 1..5000 {
        pages.push(page(&i.to_string(), "p", Some(&(i - 1).to_string()), 0));
    }
    let mut l = Layout::default();
    l.add_space(&space(), pages, vec![]);
    assert_eq!(l.len(), 5000);
    let deepest = path_of(&l, "4999");
    assert!(deepest.len() < MAX_DIR_BYTES + 200, "{}", deepest.len());
    let all: HashSet<String> = l
        .iter()
        .map(|p| p.path.to_string().to_lowercase())
        .collect();
    assert_eq!(all.len(), 5000, "flattened pages must not share a file");
}

#[test]
fn the_reproduced_clashes_get_their_own_names() {
    let mut l = Layout::default();
    l.add_space(
        &space(),
        vec![
            page("1", "Coll", None, 0),
            page("2", "coll", None, 1),
            page("3", "coll (2)", None, 2),
            page("4", "Clash", None, 3),
            page("5", "Clash.md", None, 4),
            page("6", "Child", Some("5"), 0),
            page("7", "_attachments", None, 5),
            page("8", "Under", Some("7"), 0),
        ],
        vec![],
    );
    assert_eq!(path_of(&l, "1"), "DEMO/Coll.md");
    assert_eq!(path_of(&l, "2"), "DEMO/coll (2-2).md");
    assert_eq!(path_of(&l, "3"), "DEMO/coll (2).md");
    assert_eq!(path_of(&l, "4"), "DEMO/Clash.md");
    assert_eq!(path_of(&l, "5"), "DEMO/Clash.md (5).md");
    assert_eq!(path_of(&l, "6"), "DEMO/Clash.md (5)/Child.md");
    assert_eq!(path_of(&l, "7"), "DEMO/_attachments (7).md");
    assert_eq!(path_of(&l, "8"), "DEMO/_attachments (7)/Under.md");
}

fn attachment(page: &str, id: &str, filename: &str) -> Attachment {
    Attachment {
        id: cme_client::AttachmentId::new(id),
        filename: filename.into(),
        media_type: "text/plain".into(),
        file_size: None,
        page_id: PageId::new(page),
        version: Version(1),
        download_link: None,
    }
}

#[test]
fn attachments_that_sanitise_alike_get_their_own_files() {
    let mut l = Layout::default();
    l.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
    let listing: HashMap<PageId, Vec<Attachment>> = [(
        PageId::new("10"),
        vec![
            attachment("10", "att3", "a_b.txt"),
            attachment("10", "att1", "a:b.txt"),
            attachment("10", "att2", "a?b.txt"),
        ],
    )]
    .into();
    l.place_attachments(&listing);
    let at = |f: &str| {
        l.attachment_path(&PageId::new("10"), f)
            .unwrap()
            .to_string()
    };
    // The one whose name needed no change keeps it.
    assert_eq!(at("a_b.txt"), "DEMO/_attachments/10/a_b.txt");
    assert_eq!(at("a:b.txt"), "DEMO/_attachments/10/a_b (att1).txt");
    assert_eq!(at("a?b.txt"), "DEMO/_attachments/10/a_b (att2).txt");
    // Not listed: its plain name belongs to another file.
    assert_eq!(at("a*b.txt"), "DEMO/_attachments/10/a_b (missing).txt");
    assert_eq!(at("c.png"), "DEMO/_attachments/10/c.png");
    assert_eq!(
        l.renamed_attachments(&PageId::new("10")),
        &[
            ("a:b.txt".to_owned(), "a_b (att1).txt".to_owned()),
            ("a?b.txt".to_owned(), "a_b (att2).txt".to_owned())
        ]
    );
    assert!(l.attachment_path(&PageId::new("99"), "x").is_none());
}

/// The state a run over `l` would leave, as the next run reads it.
fn recorded(l: &Layout) -> Recorded {
    let mut s = State::new("http://x");
    for p in l.iter() {
        let mut ps = crate::state::PageState::minimal(Version(1), "", p.path.as_str());
        ps.parent = p.meta.parent.as_ref().map(|(id, _)| id.clone());
        s.pages.insert(p.meta.id.clone(), Box::new(ps));
    }
    Recorded::from_state(&s)
}

#[test]
fn a_page_keeps_its_name_when_a_colliding_sibling_appears() {
    let site = vec![page("1", "Alpha", None, 0), page("2", "Report", None, 1)];
    let mut before = Layout::default();
    before.add_space(&space(), site.clone(), vec![]);
    // Page 1 is renamed so its name clashes; it sorts first by id, so a
    // fresh export gives it the plain name, but page 2 was there first.
    let mut now = site;
    now[0].title = "report".into();
    let mut fresh = Layout::default();
    fresh.add_space(&space(), now.clone(), vec![]);
    assert_eq!(path_of(&fresh, "1"), "DEMO/report.md");
    let mut synced = Layout::new(recorded(&before));
    synced.add_space(&space(), now, vec![]);
    assert_eq!(path_of(&synced, "2"), "DEMO/Report.md");
    assert_eq!(path_of(&synced, "1"), "DEMO/report (1).md");
}

/// Titles from an alphabet of everything that breaks file names.
fn hostile_title() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("/"),
        Just("\\"),
        Just(":"),
        Just("*"),
        Just("?"),
        Just("\""),
        Just("<"),
        Just(">"),
        Just("|"),
        Just("."),
        Just(" "),
        Just(".."),
        Just("\u{0}"),
        Just("\u{7}"),
        Just("\n"),
        Just("CON"),
        Just("con"),
        Just("LPT¹"),
        Just("CONIN$"),
        Just(".md"),
        Just(".txt"),
        Just("_attachments"),
        Just("e\u{301}"),
        Just("\u{e9}"),
        Just("\u{c9}"),
        Just("\u{200B}"),
        Just("\u{200D}"),
        Just("\u{202E}"),
        Just("\u{2066}"),
        Just("\u{FEFF}"),
        Just("a"),
        Just("A"),
        Just("b"),
        Just(" (1)"),
        Just(" (2-2)"),
        Just("ß"),
    ];
    // Few letters and the suffixes ids 1..=3 give, so names collide often.
    let clashing = (
        prop_oneof![
            3 => Just("a"),
            3 => Just("A"),
            1 => Just("a\u{301}"),
            1 => Just("\u{e1}"),
        ],
        prop_oneof![
            3 => Just(String::new()),
            3 => (2..6u8).prop_map(|i| format!(" ({i})")),
            1 => (0..4u8).prop_map(|i| format!(" (att{i})")),
            1 => Just(" (2-2)".to_owned()),
            1 => Just(".md".to_owned()),
        ],
    )
        .prop_map(|(a, b)| vec![a.to_owned(), b]);
    prop_oneof![
        5 => prop::collection::vec(piece, 0..6).prop_map(|v| v.concat()),
        4 => clashing.prop_map(|v| v.concat()),
        1 => (1usize..400).prop_map(|n| "é".repeat(n)),
    ]
}

/// Pages 1..=n: titles, and a parent among the pages before (or none).
fn site_pages() -> impl Strategy<Value = Vec<PageMeta>> {
    prop::collection::vec(
        (hostile_title(), any::<prop::sample::Index>(), 0u8..3),
        1..25,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (title, parent, pos))| {
                // Few parents, so most pages have siblings.
                let p = parent.index(4.min(i + 1));
                let parent = (p > 0).then(|| p.to_string());
                page(&(i + 1).to_string(), &title, parent.as_deref(), pos.into())
            })
            .collect()
    })
}

fn shuffled<T: Clone>(v: &[T], seed: u64) -> Vec<T> {
    let mut v = v.to_vec();
    let mut x = seed | 1;
    for i in (1..v.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.swap(i, (x % (i as u64 + 1)) as usize);
    }
    v
}

fn paths(l: &Layout) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = l
        .iter()
        .map(|p| (p.meta.id.to_string(), p.path.to_string()))
        .collect();
    v.sort();
    v
}

/// Every component is one a file system accepts as is, and no two
/// names in a folder (files and folders alike) are the same to macOS
/// or Windows.
fn check_unique_and_safe(l: &Layout, extra: &[OutputPath]) -> Result<(), TestCaseError> {
    // Not `names::key`: the check must not share the allocator's bugs.
    let key = |name: &str| -> String {
        let visible: String = name
            .chars()
            .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
            .collect();
        visible.nfc().collect::<String>().to_lowercase()
    };
    // Folder → (name key → name); a page claims its file and its folder.
    let mut folders: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut claim = |dir: &str, name: String| -> Result<(), TestCaseError> {
        let prev = folders
            .entry(dir.to_owned())
            .or_default()
            .insert(key(&name), name.clone());
        prop_assert!(prev.is_none(), "{dir}: {prev:?} and {name:?} clash");
        Ok(())
    };
    for p in l.iter() {
        let (dir, file) = p.path.as_str().rsplit_once('/').unwrap();
        let stem = file.strip_suffix(".md").unwrap();
        claim(dir, file.to_owned())?;
        claim(&format!("{dir}/"), stem.to_owned())?;
    }
    // Folders and files are one namespace: a folder key may not be a
    // file key of the same directory.
    for (dir, names) in &folders {
        if let Some(files) = dir.strip_suffix('/').and_then(|d| folders.get(d)) {
            for k in names.keys() {
                prop_assert!(!files.contains_key(k), "{dir}{k} is a file and a folder");
            }
        }
    }
    for p in l.iter().map(|p| &p.path).chain(extra) {
        for c in p.components() {
            prop_assert!(!c.is_empty() && c != "." && c != "..", "{p}");
            prop_assert!(
                !c.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
                "{p}"
            );
            prop_assert!(!c.chars().any(crate::fs::paths::is_invisible), "{p:?}");
            prop_assert!(!c.ends_with(['.', ' ']) && !c.starts_with(' '), "{p:?}");
            prop_assert!(unicode_normalization::is_nfc(c), "{p:?}");
            prop_assert!(c.len() <= 255, "{p:?} is too long");
            if c.len() <= crate::fs::paths::MAX_COMPONENT_BYTES {
                prop_assert!(sanitize_component(c) == c, "{p:?} is not stable");
            }
        }
        prop_assert!(p.under(std::path::Path::new("/out")).starts_with("/out"));
    }
    Ok(())
}

fn templated(page: &str, parent: Option<&str>, att: Option<&str>) -> Layout {
    let options = LayoutOptions {
        page_path: Some(PathTemplate::parse(page, Kind::Page).unwrap()),
        parent_page_path: parent.map(|t| PathTemplate::parse(t, Kind::Page).unwrap()),
        attachment_path: att.map(|t| PathTemplate::parse(t, Kind::Attachment).unwrap()),
        ..LayoutOptions::default()
    };
    Layout::new(Recorded::default().with_options(options))
}

fn place(l: &mut Layout, pages: Vec<PageMeta>, atts: &HashMap<PageId, Vec<Attachment>>) {
    l.add_space(&space(), pages, vec![]);
    l.place_attachments(atts);
}

const MKDOCS_PAGE: &str = "{space_key}/{ancestor_titles}/{page_title}.md";
const MKDOCS_PARENT: &str = "{space_key}/{ancestor_titles}/{page_title}/index.md";

#[test]
fn mkdocs_parents_are_index_files_and_a_child_called_index_is_suffixed() {
    let mut l = templated(MKDOCS_PAGE, Some(MKDOCS_PARENT), None);
    let atts: HashMap<PageId, Vec<Attachment>> = [(
        PageId::new("11"),
        vec![attachment("11", "att1", "index.md")],
    )]
    .into();
    place(
        &mut l,
        vec![
            page("10", "Home", None, 0),
            page("11", "Guide", Some("10"), 0),
            page("12", "index", Some("11"), 0),
            page("13", "Leaf", Some("10"), 1),
            page("14", "Other root", None, 1),
        ],
        &atts,
    );
    assert_eq!(path_of(&l, "10"), "DEMO/Home/index.md");
    assert_eq!(path_of(&l, "11"), "DEMO/Guide/index.md");
    assert_eq!(path_of(&l, "12"), "DEMO/Guide/index (12).md");
    assert_eq!(path_of(&l, "13"), "DEMO/Leaf.md");
    assert_eq!(path_of(&l, "14"), "DEMO/Other root.md");
    assert_eq!(
        l.attachment_path(&PageId::new("11"), "index.md")
            .unwrap()
            .as_str(),
        "DEMO/_attachments/11/index.md"
    );
}

/// The `mkdocs` layout's home page template: the home page is the
/// space's own `index.md`, its children beside it, and the other pages as
/// before; a page titled like the space key does not take its place.
#[test]
fn a_home_page_template_puts_the_home_page_at_the_space_root() {
    let mut l = templated(MKDOCS_PAGE, Some(MKDOCS_PARENT), None);
    l.options.home_page_path =
        Some(PathTemplate::parse("{space_key}/index.md", Kind::Page).unwrap());
    place(
        &mut l,
        vec![
            page("10", "Home", None, 0),
            page("11", "Guide", Some("10"), 0),
            page("12", "index", Some("10"), 1),
            page("13", "Leaf", Some("11"), 0),
        ],
        &HashMap::new(),
    );
    assert_eq!(path_of(&l, "10"), "DEMO/index.md");
    assert_eq!(path_of(&l, "11"), "DEMO/Guide/index.md");
    assert_eq!(path_of(&l, "12"), "DEMO/index (12).md");
    assert_eq!(path_of(&l, "13"), "DEMO/Guide/Leaf.md");
}

#[test]
fn a_flat_template_gives_duplicate_titles_their_own_files() {
    let mut l = templated(
        "{page_title}.md",
        None,
        Some("{page_title}/{attachment_title}{attachment_extension}"),
    );
    let atts: HashMap<PageId, Vec<Attachment>> = [
        (PageId::new("2"), vec![attachment("2", "a1", "x.png")]),
        (PageId::new("4"), vec![attachment("4", "a2", "x.png")]),
    ]
    .into();
    place(
        &mut l,
        vec![
            page("1", "Notes", None, 0),
            page("2", "Notes", Some("1"), 0),
            page("3", "notes", Some("2"), 0),
            page("4", "Notes.md", None, 1),
        ],
        &atts,
    );
    assert_eq!(path_of(&l, "1"), "Notes.md");
    assert_eq!(path_of(&l, "2"), "Notes (2).md");
    assert_eq!(path_of(&l, "3"), "notes (3).md");
    assert_eq!(path_of(&l, "4"), "Notes.md.md");
    // The folder of page 4's files would be page 1's file.
    assert_eq!(
        l.attachment_path(&PageId::new("4"), "x.png")
            .unwrap()
            .as_str(),
        "Notes.md (files)/x.png"
    );
    assert_eq!(
        l.attachment_path(&PageId::new("2"), "x.png")
            .unwrap()
            .as_str(),
        "Notes/x.png"
    );
}

#[test]
fn the_python_tools_default_template_places_below_the_home_page() {
    let mut l = templated(
        "{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md",
        None,
        Some("{space_name}/attachments/{attachment_file_id}{attachment_extension}"),
    );
    let atts: HashMap<PageId, Vec<Attachment>> =
        [(PageId::new("12"), vec![attachment("12", "att5", "a.txt")])].into();
    place(
        &mut l,
        vec![
            page("10", "Home", None, 0),
            page("11", "Guide", Some("10"), 0),
            page("12", "Step", Some("11"), 0),
        ],
        &atts,
    );
    assert_eq!(path_of(&l, "10"), "Demo/Home/Home.md");
    assert_eq!(path_of(&l, "11"), "Demo/Home/Guide.md");
    assert_eq!(path_of(&l, "12"), "Demo/Home/Guide/Step.md");
    assert_eq!(
        l.attachment_path(&PageId::new("12"), "a.txt")
            .unwrap()
            .as_str(),
        "Demo/attachments/att5.txt"
    );
}

#[test]
fn templated_names_stick_when_a_colliding_page_appears() {
    let site = vec![page("5", "Alpha", None, 0), page("9", "Report", None, 1)];
    let mut before = templated("{page_title}.md", None, None);
    place(&mut before, site.clone(), &HashMap::new());
    let mut now = site;
    now[0].title = "report".into();
    let mut s = State::new("http://x");
    for p in before.iter() {
        s.pages.insert(
            p.meta.id.clone(),
            Box::new(crate::state::PageState::minimal(
                Version(1),
                "",
                p.path.as_str(),
            )),
        );
    }
    let mut after = Layout::new(Recorded::from_state(&s).with_options(before.options().clone()));
    place(&mut after, now, &HashMap::new());
    assert_eq!(path_of(&after, "9"), "Report.md");
    assert_eq!(path_of(&after, "5"), "report (5).md");
}

/// Every page and attachment path is unique as macOS and Windows compare
/// names, none is a folder of another, and every name is safe.
fn check_templated(l: &Layout, atts: &[OutputPath]) -> Result<(), TestCaseError> {
    let key = |p: &str| p.nfc().collect::<String>().to_lowercase();
    let files: Vec<&OutputPath> = l.iter().map(|p| &p.path).chain(atts).collect();
    let mut seen = HashSet::new();
    let mut folders = HashSet::new();
    for p in &files {
        prop_assert!(seen.insert(key(p.as_str())), "{p} twice");
        let comps: Vec<&str> = p.components().collect();
        for i in 1..comps.len() {
            folders.insert(key(&comps[..i].join("/")));
        }
        for c in &comps {
            prop_assert!(!c.is_empty() && *c != "." && *c != "..", "{p}");
            prop_assert!(
                !c.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
                "{p}"
            );
            prop_assert!(!c.ends_with(['.', ' ']) && !c.starts_with(' '), "{p:?}");
        }
    }
    for p in &files {
        prop_assert!(
            !folders.contains(&key(p.as_str())),
            "{p} is a file and a folder"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn templated_names_are_unique_safe_and_independent_of_listing_order(
        pages in site_pages(),
        files in prop::collection::vec(hostile_title(), 0..6),
        which in 0..4usize,
        seed in any::<u64>(),
    ) {
        let (page, parent, att) = [
            ("{page_title}.md", None, Some("{page_title}/{attachment_title}{attachment_extension}")),
            (MKDOCS_PAGE, Some(MKDOCS_PARENT), None),
            ("{space_key}/{ancestor_titles}/{page_title}.md", Some("{space_key}/{ancestor_titles}/{page_title}/README.md"), Some("{ancestor_titles}/{page_title}.md")),
            ("{page_id} {page_title}/{page_title}.md", Some("{ancestor_ids}/index.md"), Some("{attachment_title}.md")),
        ][which];
        let n = pages.len();
        let atts: HashMap<PageId, Vec<Attachment>> = (1..=n.min(3))
            .map(|i| {
                let id = i.to_string();
                let list = files.iter().enumerate()
                    .map(|(j, f)| attachment(&id, &format!("att{i}-{j}"), f))
                    .collect();
                (PageId::new(&id), list)
            })
            .collect();
        let mut a = templated(page, parent, att);
        place(&mut a, pages.clone(), &atts);
        let mut b = templated(page, parent, att);
        place(&mut b, shuffled(&pages, seed), &atts);
        prop_assert_eq!(a.len(), n);
        prop_assert_eq!(paths(&a), paths(&b));
        let mut stored = Vec::new();
        for (id, list) in &atts {
            let mut seen = HashSet::new();
            for f in list.iter().filter(|f| seen.insert(f.filename.clone())) {
                stored.push(a.attachment_path(id, &f.filename).unwrap());
            }
        }
        check_templated(&a, &stored)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn names_are_unique_safe_and_independent_of_listing_order(
        pages in site_pages(),
        seed in any::<u64>(),
    ) {
        let mut a = Layout::default();
        a.add_space(&space(), pages.clone(), vec![]);
        let mut b = Layout::default();
        b.add_space(&space(), shuffled(&pages, seed), vec![]);
        prop_assert_eq!(a.len(), pages.len());
        prop_assert_eq!(paths(&a), paths(&b));
        let at_root = a.iter().any(|p| p.path.as_str().starts_with("DEMO/_attachments."));
        prop_assert!(!at_root || a.iter().all(|p| !p.path.as_str().starts_with("DEMO/_attachments/")));
        check_unique_and_safe(&a, &[])?;

        // The next run over the same site keeps every name, and a run
        // after more pages appear moves none of the old ones.
        let mut again = Layout::new(recorded(&a));
        again.add_space(&space(), shuffled(&pages, seed ^ 7), vec![]);
        prop_assert_eq!(paths(&a), paths(&again));
        let mut grown = pages.clone();
        let n = grown.len();
        for (i, p) in pages.iter().take(5).enumerate() {
            let parent = p.parent.as_ref().map(|(id, _)| id.to_string());
            grown.push(page(&(n + i + 1).to_string(), &p.title.to_uppercase(), parent.as_deref(), 0));
        }
        // Page 1 (the lowest id, which wins a clash in a fresh export)
        // is renamed like another: it moves, and nothing else does.
        grown[0].title = pages[n - 1].title.to_uppercase();
        let moved = path_of(&a, "1").strip_suffix(".md").unwrap().to_owned() + "/";
        let mut after = Layout::new(recorded(&a));
        after.add_space(&space(), shuffled(&grown, seed), vec![]);
        for (id, path) in paths(&a) {
            if id != "1" && !path.starts_with(&moved) {
                prop_assert_eq!(path_of(&after, &id), path);
            }
        }
        check_unique_and_safe(&after, &[])?;

        // Pages titled like the suffixed names others were given.
        let mut mimics = pages.clone();
        for p in a.iter() {
            let stem = p.path.as_str().rsplit_once('/').unwrap().1.strip_suffix(".md").unwrap();
            if stem != sanitize_component(&p.meta.title) {
                let parent = p.meta.parent.as_ref().map(|(id, _)| id.to_string());
                let id = (mimics.len() + 1).to_string();
                mimics.push(page(&id, stem, parent.as_deref(), 0));
            }
        }
        let mut l = Layout::default();
        l.add_space(&space(), shuffled(&mimics, seed), vec![]);
        prop_assert_eq!(l.len(), mimics.len());
        check_unique_and_safe(&l, &[])?;
    }

    #[test]
    fn attachment_names_are_unique_safe_and_independent_of_listing_order(
        files in prop::collection::vec(hostile_title(), 1..25),
        seed in any::<u64>(),
    ) {
        let mut l = Layout::default();
        l.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
        let atts: Vec<Attachment> = files
            .iter()
            .enumerate()
            .map(|(i, f)| attachment("10", &format!("att{i}"), f))
            .collect();
        let mut seen = HashSet::new();
        let distinct: Vec<&String> = files.iter().filter(|f| seen.insert(*f)).collect();
        let mut out = Vec::new();
        for mut order in [atts.clone(), shuffled(&atts, seed)] {
            crate::deps::one_file_per_name(&mut order);
            let mut l2 = Layout::default();
            l2.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
            l2.place_attachments(&HashMap::from([(PageId::new("10"), order)]));
            let got: Vec<OutputPath> = distinct
                .iter()
                .map(|f| l2.attachment_path(&PageId::new("10"), f).unwrap())
                .collect();
            out.push(got);
        }
        // Shuffling changes which of two same-named listings is dropped:
        // compare only when no file name repeats.
        if distinct.len() == files.len() {
            prop_assert_eq!(&out[0], &out[1]);
        }
        let keys: HashSet<String> = out[0]
            .iter()
            .map(|p| p.as_str().nfc().collect::<String>().to_lowercase())
            .collect();
        prop_assert_eq!(keys.len(), distinct.len());
        let mut atts = atts;
        crate::deps::one_file_per_name(&mut atts);
        l.place_attachments(&HashMap::from([(PageId::new("10"), atts)]));
        check_unique_and_safe(&l, &out[0])?;
    }
}

fn post(id: &str, title: &str, created: &str) -> PageMeta {
    PageMeta {
        kind: cme_client::ContentKind::BlogPost,
        parent: None,
        position: None,
        info: Box::new(cme_client::PageInfo {
            created_at: Some(created.into()),
            ..Default::default()
        }),
        ..page(id, title, None, 0)
    }
}

/// Blog posts go to `SPACE/Blog/YEAR/MONTH/`, by posting day, named by the
/// one allocator (a clash in a month: the newcomer gets its id); `Blog` is
/// taken before pages are named; a `ri:blog-post` reference finds a post
/// by space, title and posting day.
#[test]
fn blog_posts_are_placed_by_posting_day_beside_the_tree() {
    let mut l = Layout::default();
    l.add_space(
        &space(),
        vec![
            page("10", "Home", None, 0),
            page("11", "Blog", None, 1),
            post("20", "News", "2024-05-01T09:00:00.000Z"),
            post("21", "News", "2024-05-02T09:00:00.000Z"),
            post("22", "Q&A: <1/2>", "2023-12-31T23:59:59Z"),
            post("23", "No date", "yesterday"),
        ],
        vec![],
    );
    assert_eq!(path_of(&l, "11"), "DEMO/Blog (11).md");
    assert_eq!(path_of(&l, "20"), "DEMO/Blog/2024/05/News.md");
    assert_eq!(path_of(&l, "21"), "DEMO/Blog/2024/05/News (21).md");
    assert_eq!(path_of(&l, "22"), "DEMO/Blog/2023/12/Q&A_ _1_2_.md");
    assert_eq!(path_of(&l, "23"), "DEMO/Blog/undated/No date.md");
    let demo = SpaceKey::new("DEMO");
    let find = |day: &str| {
        l.find_blog_post(&demo, "News", day)
            .map(|p| p.meta.id.to_string())
    };
    assert_eq!(find("2024/05/02").as_deref(), Some("21"));
    assert_eq!(find("2024/05/01").as_deref(), Some("20"));
    assert_eq!(find("2024/05/03"), None);
    // Not a page: a page reference by that title finds none.
    assert!(l.find_title(&demo, "News").is_none());
    let r = cme_convert::PageRef::BlogPost {
        space: None,
        title: "News".into(),
        posting_day: "2024/05/02".into(),
    };
    assert_eq!(l.resolve(&demo, &r).unwrap().meta.id, PageId::new("21"));
    // Not among the home page's children.
    assert!(l.get(&PageId::new("10")).unwrap().children.is_empty());
}

/// A space without blog posts keeps `Blog` free for a page, so exports
/// without them are as before.
#[test]
fn without_blog_posts_a_page_may_be_called_blog() {
    let mut l = Layout::default();
    l.add_space(&space(), vec![page("11", "Blog", None, 1)], vec![]);
    assert_eq!(path_of(&l, "11"), "DEMO/Blog.md");
}

/// Page templates re-place pages, not blog posts; a post keeps the name
/// recorded last time.
#[test]
fn templates_leave_blog_posts_in_place_and_names_stick() {
    let mut l = templated("{space_key}/{page_title}.md", None, None);
    place(
        &mut l,
        vec![
            page("10", "Home", None, 0),
            post("20", "News", "2024-05-01T09:00:00.000Z"),
        ],
        &HashMap::new(),
    );
    assert_eq!(path_of(&l, "10"), "DEMO/Home.md");
    assert_eq!(path_of(&l, "20"), "DEMO/Blog/2024/05/News.md");
    // Recorded as `News (20)`: an older post of that title appears, yet
    // the recorded one keeps its name.
    let mut state = State::new("http://x");
    state.pages.insert(
        PageId::new("20"),
        Box::new(crate::state::PageState::minimal(
            Version(1),
            "then",
            "DEMO/Blog/2024/05/News (20).md",
        )),
    );
    let mut l = Layout::new(Recorded::from_state(&state));
    l.add_space(
        &space(),
        vec![
            post("19", "News", "2024-05-03T09:00:00.000Z"),
            post("20", "News", "2024-05-01T09:00:00.000Z"),
        ],
        vec![],
    );
    assert_eq!(path_of(&l, "20"), "DEMO/Blog/2024/05/News (20).md");
    assert_eq!(path_of(&l, "19"), "DEMO/Blog/2024/05/News.md");
}
