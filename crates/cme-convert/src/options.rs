//! Conversion options the exporter exposes.

/// How links to other pages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkStyle {
    /// `[text](relative/path.md)`.
    #[default]
    Markdown,
    /// Obsidian `[[target|text]]` (target without the `.md` suffix).
    Wiki,
}

/// How info/note/warning/tip panels are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AlertStyle {
    /// GitHub alerts: `> [!NOTE]`.
    #[default]
    Gfm,
    /// Plain block quotes starting with a bold label, for renderers without alerts.
    Blockquote,
}

/// What to do with macros whose content Confluence computes at view time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DynamicMacro {
    /// Render them (toc from the page's headings, children from the context).
    #[default]
    Render,
    /// Leave them out.
    Omit,
}

/// Options for [`crate::convert`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Title to emit as a leading `# Title` heading; `None` for no heading.
    /// When the body opens with the same heading line (a page whose first
    /// `h1` repeats its title), that line is written once.
    pub title: Option<String>,
    /// Page link style.
    pub link_style: LinkStyle,
    /// Panel style.
    pub alert_style: AlertStyle,
    /// Table of contents macro.
    pub toc: DynamicMacro,
    /// Children and pagetree macros.
    pub children: DynamicMacro,
}
