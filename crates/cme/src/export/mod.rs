//! The remote view's building blocks: which pages a scope covers
//! (`inventory`), where each lands (`layout`, `paths`), and how the
//! converter's questions are answered from that (`context`). The pipeline
//! that uses them is [`crate::sync`].
pub mod breadcrumbs;
pub mod comments;
pub mod context;
pub mod front_matter;
pub mod inventory;
pub mod layout;
pub mod names;
pub mod paths;
pub mod template;

pub use inventory::Selection;
