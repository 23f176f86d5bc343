//! YAML front matter: what Confluence knows about a page that its body
//! does not say. Written by a YAML library (any title is safe), keys in a
//! fixed order, and nothing that depends on the run, so an unchanged page
//! gives the same bytes. Everything here either changes with the page's
//! version or is in the inventory listing (labels), so a sync notices it.
use super::yaml::{quoted, typed_plain, valid_timestamp};
use cme_client::{PageMeta, UserRef};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use std::borrow::Cow;
use std::collections::HashMap;

/// Whether pages start with front matter (`--front-matter`, the default,
/// or `--no-front-matter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FrontMatter {
    /// Written.
    #[default]
    On,
    /// Left out.
    Off,
}

/// One page's front matter. Field order is key order.
#[derive(Debug, Serialize)]
pub struct PageFacts<'a> {
    pub title: &'a str,
    pub page_id: &'a str,
    pub space: &'a str,
    pub version: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_editor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub modified: Cow<'a, str>,
    #[serde(skip_serializing_if = "none")]
    pub tags: &'a [String],
    pub url: String,
    #[serde(serialize_with = "ordered_map", skip_serializing_if = "none")]
    pub properties: &'a [(String, String)],
}

/// Empty lists are left out: `tags: []` on every page is noise.
fn none<T>(list: &&[T]) -> bool {
    list.is_empty()
}

/// Page properties in the page's order; a key given twice keeps its first
/// value (a YAML map cannot repeat a key).
fn ordered_map<S: Serializer>(pairs: &&[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    let mut seen = std::collections::HashSet::new();
    let mut map = s.serialize_map(None)?;
    for (k, v) in pairs.iter() {
        if seen.insert(k.as_str()) {
            map.serialize_entry(k, v)?;
        }
    }
    map.end()
}

impl<'a> PageFacts<'a> {
    /// Facts from the listing (`listed`: labels, creator) and the body
    /// fetch (`fetched`: version, last editor), preferring the fetch where
    /// both answer, since it is the version the body is. `names` resolves
    /// users the answers named only by id.
    pub fn new(
        listed: &'a PageMeta,
        fetched: Option<&'a PageMeta>,
        space: &'a str,
        url: &str,
        names: &HashMap<String, String>,
        properties: &'a [(String, String)],
    ) -> Self {
        let meta = fetched.unwrap_or(listed);
        let known = [&listed.info.author, &listed.info.last_editor];
        let name = |u: &Option<UserRef>| {
            let u = u.as_ref()?;
            let listed_name = known
                .iter()
                .filter_map(|k| k.as_ref())
                .find(|k| k.id == u.id)
                .and_then(|k| k.display_name.as_deref());
            Some(
                u.display_name
                    .as_deref()
                    .or(listed_name)
                    .or_else(|| names.get(&*u.id).map(String::as_str))
                    .unwrap_or(&u.id)
                    .to_owned(),
            )
        };
        let author = name(&listed.info.author).or_else(|| name(&meta.info.author));
        let last_editor = name(&meta.info.last_editor).or_else(|| name(&listed.info.last_editor));
        PageFacts {
            title: &listed.title,
            page_id: listed.id.as_str(),
            space,
            version: meta.version.0,
            author,
            last_editor,
            created: listed
                .info
                .created_at
                .as_ref()
                .or(meta.info.created_at.as_ref())
                .map(cme_client::Timestamp::text),
            modified: meta.modified_at.text(),
            tags: listed.info.labels.as_deref().unwrap_or_default(),
            url: url.to_owned(),
            properties,
        }
    }

    /// The block to put before the Markdown: `---`, YAML, `---`, blank line.
    ///
    /// Every string a YAML 1.1 or 1.2 reader would type ([`typed_plain`]:
    /// `yes`, `12:30`, `2024-01-01`, `<<`) is quoted, so it reads back as
    /// the same string in PyYAML, ruamel and Ruby too. `created` and
    /// `modified` stay unquoted when they are real timestamps: they are
    /// dates, and readers that type them get the date. The YAML library
    /// picks the style of everything else, so those bytes do not change.
    pub fn render(&self) -> Result<String, serde_yaml_ng::Error> {
        let mut quotes = Quotes::for_facts(self);
        let mut typed = |s: &str| quotes.guard(s, false);
        let author = self.author.as_deref().map(&mut typed);
        let last_editor = self.last_editor.as_deref().map(&mut typed);
        let (title, page_id, space, url) = (
            typed(self.title),
            typed(self.page_id),
            typed(self.space),
            typed(&self.url),
        );
        let tags: Vec<String> = self.tags.iter().map(|t| typed(t)).collect();
        let properties: Vec<(String, String)> = self
            .properties
            .iter()
            .map(|(k, v)| (typed(k), typed(v)))
            .collect();
        let created = self.created.as_deref().map(|c| quotes.guard(c, true));
        let modified = quotes.guard(&self.modified, true);
        let safe = PageFacts {
            title: &title,
            page_id: &page_id,
            space: &space,
            version: self.version,
            author,
            last_editor,
            created: created.as_deref().map(Cow::Borrowed),
            modified: Cow::Borrowed(&modified),
            tags: &tags,
            url,
            properties: &properties,
        };
        let yaml = quotes.restore(serde_yaml_ng::to_string(&safe)?);
        Ok(format!("---\n{yaml}---\n\n"))
    }
}

/// Strings the YAML library would leave unquoted though a reader types
/// them. serde_yaml_ng has no way to ask for a quoted style, so each such
/// string is written as a placeholder the library always leaves plain, and
/// the placeholder is then replaced by the quoted string. A placeholder is
/// as long as its string (the library writes keys longer than 128
/// characters in another form) and starts with a prefix no input
/// contains, so it cannot match anything else in the output.
struct Quotes {
    prefix: String,
    /// (placeholder, quoted string); one placeholder per string, so a
    /// property key given twice is still seen as the same key.
    swaps: Vec<(String, String)>,
}

impl Quotes {
    fn for_facts(facts: &PageFacts) -> Self {
        let mut inputs: Vec<&str> = vec![facts.title, facts.page_id, facts.space, &facts.url];
        inputs.extend(facts.author.as_deref());
        inputs.extend(facts.last_editor.as_deref());
        inputs.extend(facts.created.as_deref());
        inputs.push(&facts.modified);
        inputs.extend(facts.tags.iter().map(String::as_str));
        inputs.extend(
            facts
                .properties
                .iter()
                .flat_map(|(k, v)| [k.as_str(), v.as_str()]),
        );
        let prefix = (0u64..)
            .map(|n| format!("cmeq{n}x"))
            .find(|p| !inputs.iter().any(|s| s.contains(p.as_str())))
            .expect("some prefix is unused");
        Quotes {
            prefix,
            swaps: Vec::new(),
        }
    }

    /// `s`, or a placeholder for it when a reader would type it plain.
    /// `timestamp`: a real timestamp may stay plain.
    fn guard(&mut self, s: &str, timestamp: bool) -> String {
        if !typed_plain(s) || (timestamp && valid_timestamp(s)) {
            return s.to_owned();
        }
        let quoted = quoted(s);
        if let Some((placeholder, _)) = self.swaps.iter().find(|(_, q)| *q == quoted) {
            return placeholder.clone();
        }
        let mut placeholder = format!("{}{}y", self.prefix, self.swaps.len());
        while placeholder.len() < s.len() {
            placeholder.push('z');
        }
        self.swaps.push((placeholder.clone(), quoted));
        placeholder
    }

    /// The YAML with every placeholder replaced by its quoted string.
    fn restore(&self, mut yaml: String) -> String {
        for (placeholder, quoted) in &self.swaps {
            yaml = yaml.replace(placeholder.as_str(), quoted);
        }
        yaml
    }
}

/// A hash of a page's labels as written, so the planner can tell when they
/// changed without a new version. `None` when the listing did not carry them.
pub fn labels_hash(meta: &PageMeta) -> Option<String> {
    let labels = meta.info.labels.as_ref()?;
    Some(crate::fs::hash::content_hash(labels.join("\n").as_bytes()))
}

/// A hash of the display names the listing gives for a page's creator and
/// last editor: people rename themselves without any page changing, and the
/// front matter names them. `None` when the listing named neither.
pub fn names_hash(meta: &PageMeta) -> Option<String> {
    fn name(u: &Option<UserRef>) -> Option<&str> {
        u.as_ref().and_then(|u| u.display_name.as_deref())
    }
    let (author, editor) = (name(&meta.info.author), name(&meta.info.last_editor));
    if author.is_none() && editor.is_none() {
        return None;
    }
    let joined = format!(
        "{}\n{}",
        author.unwrap_or_default(),
        editor.unwrap_or_default()
    );
    Some(crate::fs::hash::content_hash(joined.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cme_client::{PageId, PageInfo, PageStatus, SpaceId, Version};

    fn meta(title: &str) -> PageMeta {
        PageMeta {
            id: PageId::new("42"),
            kind: cme_client::ContentKind::Page,
            title: title.to_owned(),
            space_id: SpaceId::new("1"),
            parent: None,
            position: None,
            status: PageStatus::Current,
            version: Version(3),
            modified_at: "2026-01-02T03:04:05.000Z".into(),
            info: Box::new(PageInfo {
                created_at: Some("2025-01-01T00:00:00.000Z".into()),
                author: Some(UserRef {
                    id: "a1".into(),
                    display_name: Some("Ada".into()),
                }),
                last_editor: Some(UserRef {
                    id: "b2".into(),
                    display_name: None,
                }),
                labels: Some(vec!["ops".into(), "yes".into()]),
            }),
        }
    }

    #[test]
    fn hostile_titles_round_trip_and_keys_keep_their_order() {
        let site = "https://x.example/wiki/spaces/DEMO/pages/42";
        let names = HashMap::from([("b2".to_owned(), "Bob".to_owned())]);
        let props = vec![
            ("Owner".to_owned(), "Team: A".to_owned()),
            ("Owner".to_owned(), "dup".to_owned()),
            ("null".to_owned(), "- x".to_owned()),
        ];
        for title in [
            "---",
            "a: b",
            "#comment",
            "'quoted' \"double\"",
            "yes",
            "null",
            "1e3",
            "line\nbreak",
            "- list",
            "[x] {y}",
            "…ünïcödé 💥",
            " padded ",
            "*alias &anchor !tag %directive @at `tick`",
        ] {
            let m = meta(title);
            let text = PageFacts::new(&m, None, "DEMO", site, &names, &props)
                .render()
                .unwrap();
            assert!(text.starts_with("---\n") && text.ends_with("\n---\n\n"));
            let body = &text[4..text.len() - 5];
            let v: serde_yaml_ng::Value = serde_yaml_ng::from_str(body).unwrap();
            assert_eq!(v["title"].as_str(), Some(title), "{text}");
            assert_eq!(v["page_id"].as_str(), Some("42"));
            assert_eq!(v["version"].as_u64(), Some(3));
            assert_eq!(v["author"].as_str(), Some("Ada"));
            assert_eq!(v["last_editor"].as_str(), Some("Bob"));
            assert_eq!(v["tags"][1].as_str(), Some("yes"));
            assert_eq!(v["properties"]["Owner"].as_str(), Some("Team: A"));
            assert_eq!(
                v["url"].as_str(),
                Some("https://x.example/wiki/spaces/DEMO/pages/42")
            );
            let keys: Vec<&str> = v
                .as_mapping()
                .unwrap()
                .keys()
                .filter_map(|k| k.as_str())
                .collect();
            assert_eq!(
                keys,
                [
                    "title",
                    "page_id",
                    "space",
                    "version",
                    "author",
                    "last_editor",
                    "created",
                    "modified",
                    "tags",
                    "url",
                    "properties"
                ]
            );
        }
    }

    /// Every YAML 1.1/1.2 typed form is quoted wherever a string goes:
    /// title, names, labels, property keys and values.
    #[test]
    fn typed_forms_are_quoted_everywhere() {
        use crate::page::yaml::tests::TYPED;
        for s in TYPED {
            let mut m = meta(s);
            m.info.labels = Some(vec![s.to_string()]);
            m.info.author.as_mut().unwrap().display_name = Some((*s).into());
            // A key given twice is still one key (the first value).
            let props = vec![
                (s.to_string(), s.to_string()),
                (s.to_string(), "second".to_string()),
            ];
            let text = PageFacts::new(&m, None, "DEMO", "u", &HashMap::new(), &props)
                .render()
                .unwrap();
            let q = crate::page::yaml::quoted(s);
            assert!(!text.contains("second"), "{s:?}: duplicate key in\n{text}");
            for line in [
                format!("\ntitle: {q}\n"),
                format!("\nauthor: {q}\n"),
                format!("\ntags:\n- {q}\n"),
                format!("\nproperties:\n  {q}: {q}\n"),
            ] {
                assert!(text.contains(&line), "{s:?}: no {line:?} in\n{text}");
            }
        }
    }

    /// Values no reader types are written as the YAML library writes them,
    /// byte for byte (so existing exports do not change), and real
    /// timestamps stay plain.
    #[test]
    fn ordinary_values_are_unchanged() {
        use crate::page::yaml::tests::PLAIN;
        for s in PLAIN
            .iter()
            .chain(&["a: b", "line\nbreak", " padded ", "'q'", "42", "1e3"])
        {
            let mut m = meta(s);
            m.info.labels = Some(vec![s.to_string(), "ops".into()]);
            let props = vec![
                (s.to_string(), s.to_string()),
                ("Owner".into(), s.to_string()),
            ];
            let facts = PageFacts::new(&m, None, s, "u", &HashMap::new(), &props);
            let text = facts.render().unwrap();
            let before = format!("---\n{}---\n\n", serde_yaml_ng::to_string(&facts).unwrap());
            assert_eq!(text, before);
            assert!(text.contains("\ncreated: 2025-01-01T00:00:00.000Z\n"));
        }
    }

    /// A page without labels or properties has no `tags` or `properties`
    /// key (not `tags: []`); one with them keeps both.
    #[test]
    fn empty_tags_and_properties_are_left_out() {
        let mut m = meta("T");
        m.info.labels = Some(Vec::new());
        let bare = PageFacts::new(&m, None, "S", "u", &HashMap::new(), &[])
            .render()
            .unwrap();
        assert!(!bare.contains("tags"), "{bare}");
        assert!(!bare.contains("properties"), "{bare}");
        assert!(
            bare.contains(
                "
url: u
"
            ),
            "{bare}"
        );
        let m = meta("T");
        let props = vec![("Owner".to_owned(), "Ada".to_owned())];
        let full = PageFacts::new(&m, None, "S", "u", &HashMap::new(), &props)
            .render()
            .unwrap();
        assert!(
            full.contains(
                "
tags:
- ops
"
            ),
            "{full}"
        );
        assert!(
            full.contains(
                "
properties:
  Owner: Ada
"
            ),
            "{full}"
        );
    }

    #[test]
    fn labels_hash_tells_label_sets_apart() {
        let a = meta("t");
        let mut b = meta("t");
        b.info.labels = Some(vec!["ops".into()]);
        assert_ne!(labels_hash(&a), labels_hash(&b));
        b.info.labels = None;
        assert_eq!(labels_hash(&b), None);
    }
}
