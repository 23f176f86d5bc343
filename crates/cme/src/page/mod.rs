//! What a page file holds around the converter's Markdown: the answers to
//! the converter's questions ([`context`], [`answers`]), YAML front matter,
//! breadcrumbs, and the comments sidecar beside it.
pub mod answers;
pub mod breadcrumbs;
pub mod comments;
pub mod context;
pub mod front_matter;
pub mod jira;
pub mod yaml;
