//! The options an output folder was written with, as typed values: resolved
//! once from flags, the settings file and the folder's state (`cli`), given
//! to the engine, and recorded in `.cme-state.json` through serde, so `sync`
//! keeps a folder's style. Unknown words in a state (an edited file, a newer
//! build's) read as the default, and a differing record rewrites every page.
use super::modes::{AttachmentMode, CommentsMode};
use super::template::{Kind, PathTemplate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How links between exported files are written (`--link-style`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum LinkStyle {
    /// `[text](../path.md)`, relative to the page.
    #[default]
    #[serde(rename = "markdown")]
    Relative,
    /// `[text](/SPACE/path.md)`, from the output folder.
    #[serde(rename = "absolute")]
    Absolute,
    /// Obsidian `[[path|text]]`.
    #[serde(rename = "wiki")]
    Wiki,
}

impl LinkStyle {
    /// Its flag word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Relative => "relative",
            Self::Absolute => "absolute",
            Self::Wiki => "wiki",
        }
    }

    /// From its name in the state, flags and settings file.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "markdown" | "relative" => Some(Self::Relative),
            "absolute" => Some(Self::Absolute),
            "wiki" => Some(Self::Wiki),
            _ => None,
        }
    }
}

/// How info/note/warning/tip panels are written (`--alert-style`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStyle {
    /// GitHub alerts (`> [!NOTE]`).
    #[default]
    Gfm,
    /// Plain block quotes with a bold label.
    Blockquote,
}

impl AlertStyle {
    /// Its flag word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Gfm => "gfm",
            Self::Blockquote => "blockquote",
        }
    }

    /// From its name in the state, flags and settings file.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "gfm" => Some(Self::Gfm),
            "blockquote" => Some(Self::Blockquote),
            _ => None,
        }
    }
}

/// How pages are written. The state records it; a change rewrites every page.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct MarkdownSettings {
    #[serde(deserialize_with = "lenient_link")]
    pub link_style: LinkStyle,
    #[serde(deserialize_with = "lenient_alert")]
    pub alert_style: AlertStyle,
    /// Jira base URL for Jira macros.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_url: Option<String>,
    /// Whether pages start with YAML front matter; `None` in states written
    /// before it existed (so the first run after an upgrade adds it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub front_matter: Option<bool>,
    /// Which comments get a `.comments.md` sidecar (`None`: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments: Option<CommentsMode>,
    /// `Some(false)`: Jira is not asked for issue summaries, statuses and
    /// lists (`--no-jira-fetch`); unset: it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jira_fetch: Option<bool>,
}

impl MarkdownSettings {
    /// What the converter is asked for (no title: each page sets its own).
    pub fn converter_options(&self) -> cme_convert::Options {
        cme_convert::Options {
            link_style: match self.link_style {
                LinkStyle::Wiki => cme_convert::LinkStyle::Wiki,
                LinkStyle::Relative | LinkStyle::Absolute => cme_convert::LinkStyle::Markdown,
            },
            alert_style: match self.alert_style {
                AlertStyle::Gfm => cme_convert::AlertStyle::Gfm,
                AlertStyle::Blockquote => cme_convert::AlertStyle::Blockquote,
            },
            ..cme_convert::Options::default()
        }
    }

    /// Whether Jira is asked for the issues Jira macros show (on unless
    /// turned off).
    pub fn jira_fetch(&self) -> bool {
        self.jira_fetch != Some(false)
    }

    /// Whether pages start with front matter (on unless recorded off).
    pub fn front_matter(&self) -> bool {
        self.front_matter != Some(false)
    }
}

/// Where files go. Every field `None` is the default; a change re-places
/// every page (the planner sees the new paths as moves) and rewrites it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayoutSettings {
    /// Page path template; `None`: the page tree.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "template_text",
        deserialize_with = "page_template"
    )]
    pub page_path: Option<PathTemplate>,
    /// Template for pages with children; `None`: `page_path`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "template_text",
        deserialize_with = "page_template"
    )]
    pub parent_page_path: Option<PathTemplate>,
    /// Template for each space's home page; `None`: as any other page.
    /// (The `mkdocs` and `github` layouts: `SPACE/index.md`, so the home
    /// page stands at the space's root with its children beside it.)
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "template_text",
        deserialize_with = "page_template"
    )]
    pub home_page_path: Option<PathTemplate>,
    /// Attachment path template; `None`: `SPACE/_attachments/<page id>/`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "template_text",
        deserialize_with = "attachment_template"
    )]
    pub attachment_path: Option<PathTemplate>,
    /// `all` or `none`; `None`: `referenced`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "mode_text",
        deserialize_with = "lenient_mode"
    )]
    pub attachments: Option<AttachmentMode>,
    /// Whether a line of ancestor links follows the front matter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breadcrumbs: Option<bool>,
}

impl LayoutSettings {
    /// `None` for the defaults, so a default export records nothing.
    pub fn non_default(self) -> Option<Self> {
        (self != Self::default()).then_some(self)
    }

    /// Which attachments are downloaded.
    pub fn attachment_mode(&self) -> AttachmentMode {
        self.attachments.unwrap_or_default()
    }
}

/// A word of the state: an unknown one (an edited file, a newer build's)
/// reads as the default.
fn lenient<'de, D: Deserializer<'de>, T: Default>(
    d: D,
    parse: fn(&str) -> Option<T>,
) -> Result<T, D::Error> {
    Ok(parse(&String::deserialize(d)?).unwrap_or_default())
}

fn lenient_link<'de, D: Deserializer<'de>>(d: D) -> Result<LinkStyle, D::Error> {
    lenient(d, LinkStyle::parse)
}

fn lenient_alert<'de, D: Deserializer<'de>>(d: D) -> Result<AlertStyle, D::Error> {
    lenient(d, AlertStyle::parse)
}

fn lenient_mode<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AttachmentMode>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    Ok(s.as_deref()
        .and_then(AttachmentMode::parse)
        .filter(|m| *m != AttachmentMode::Referenced))
}

fn mode_text<S: Serializer>(m: &Option<AttachmentMode>, s: S) -> Result<S::Ok, S::Error> {
    m.map(AttachmentMode::as_str).serialize(s)
}

fn template_text<S: Serializer>(t: &Option<PathTemplate>, s: S) -> Result<S::Ok, S::Error> {
    t.as_ref().map(PathTemplate::as_str).serialize(s)
}

fn template<'de, D: Deserializer<'de>>(d: D, kind: Kind) -> Result<Option<PathTemplate>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|t| PathTemplate::parse(&t, kind).map_err(serde::de::Error::custom))
        .transpose()
}

fn page_template<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathTemplate>, D::Error> {
    template(d, Kind::Page)
}

fn attachment_template<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathTemplate>, D::Error> {
    template(d, Kind::Attachment)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_recorded_as_the_words_users_type() {
        let m = MarkdownSettings {
            link_style: LinkStyle::Relative,
            alert_style: AlertStyle::Blockquote,
            jira_url: None,
            front_matter: Some(true),
            comments: Some(CommentsMode::Inline),
            jira_fetch: None,
        };
        let text = serde_json::to_string(&m).unwrap();
        assert_eq!(
            text,
            r#"{"link_style":"markdown","alert_style":"blockquote","front_matter":true,"comments":"inline"}"#
        );
        assert_eq!(serde_json::from_str::<MarkdownSettings>(&text).unwrap(), m);
        let l = LayoutSettings {
            page_path: Some(
                PathTemplate::parse("{space_key}/{page_title}.md", Kind::Page).unwrap(),
            ),
            attachments: Some(AttachmentMode::All),
            ..LayoutSettings::default()
        };
        let text = serde_json::to_string(&l).unwrap();
        assert_eq!(
            text,
            r#"{"page_path":"{space_key}/{page_title}.md","attachments":"all"}"#
        );
        assert_eq!(serde_json::from_str::<LayoutSettings>(&text).unwrap(), l);
        assert_eq!(
            serde_json::to_string(&LayoutSettings::default()).unwrap(),
            "{}"
        );
    }

    #[test]
    fn unknown_words_read_as_the_defaults_and_bad_templates_are_refused() {
        let m: MarkdownSettings =
            serde_json::from_str(r#"{"link_style":"fancy","alert_style":"?"}"#).unwrap();
        assert_eq!(m.link_style, LinkStyle::Relative);
        assert_eq!(m.alert_style, AlertStyle::Gfm);
        let l: LayoutSettings =
            serde_json::from_str(r#"{"attachments":"disabled","breadcrumbs":true}"#).unwrap();
        assert_eq!(l.attachments, Some(AttachmentMode::None));
        let l: LayoutSettings = serde_json::from_str(r#"{"attachments":"odd"}"#).unwrap();
        assert_eq!(l, LayoutSettings::default());
        let bad = serde_json::from_str::<LayoutSettings>(r#"{"page_path":"../{page_title}.md"}"#);
        assert!(bad.is_err());
        // An attachment placeholder in a page template.
        let bad =
            serde_json::from_str::<LayoutSettings>(r#"{"page_path":"{attachment_title}.md"}"#);
        assert!(bad.is_err(), "{bad:?}");
    }

    #[test]
    fn the_converter_gets_what_the_settings_say() {
        let m = MarkdownSettings {
            link_style: LinkStyle::Wiki,
            alert_style: AlertStyle::Blockquote,
            ..MarkdownSettings::default()
        };
        let o = m.converter_options();
        assert_eq!(o.link_style, cme_convert::LinkStyle::Wiki);
        assert_eq!(o.alert_style, cme_convert::AlertStyle::Blockquote);
        assert!(m.front_matter());
        let off = MarkdownSettings {
            front_matter: Some(false),
            ..m
        };
        assert!(!off.front_matter());
    }
}
