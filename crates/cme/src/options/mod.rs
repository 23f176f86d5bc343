//! The options a run is given, as types: which comments and attachments
//! are exported, how pages are written and placed (recorded in the state),
//! path templates, and the scopes (an export command and its arguments)
//! that `sync` replays. Low in the layers because the state records them and
//! every layer above reads them.
pub mod modes;
pub mod recorded;
pub mod scope;
pub mod template;

pub use modes::{AttachmentMode, CommentsMode};
pub use recorded::{AlertStyle, LayoutSettings, LinkStyle, MarkdownSettings};
pub use scope::{Scope, ScopeCommand};
