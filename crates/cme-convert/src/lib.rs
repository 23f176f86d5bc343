//! Confluence storage format → GitHub-flavoured Markdown.
//!
//! Pure: no network, no file system. Everything the conversion needs to know
//! about the outside world (where a linked page lives, a user's name) comes
//! through a context supplied by the caller.
#![deny(missing_docs)]
