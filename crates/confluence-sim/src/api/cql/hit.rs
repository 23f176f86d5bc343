//! One search result, as every part of the query engine sees it.
use crate::model::time::Millis;
use crate::model::{Attachment, Node};

/// One search result: a page or folder, or an attachment with its page.
#[derive(Clone, Copy, Debug)]
pub enum Hit<'a> {
    Node(&'a Node),
    Attachment(&'a Attachment, &'a Node),
}

impl Hit<'_> {
    pub(super) fn id(&self) -> u64 {
        match self {
            Hit::Node(n) => n.id,
            Hit::Attachment(a, _) => a.id,
        }
    }
    pub(super) fn title(&self) -> &str {
        match self {
            Hit::Node(n) => n.title(),
            Hit::Attachment(a, _) => &a.filename,
        }
    }
    pub(super) fn created_ms(&self) -> Millis {
        match self {
            Hit::Node(n) => n.created_ms,
            Hit::Attachment(a, _) => a.created_ms,
        }
    }
    pub(super) fn modified_ms(&self) -> Millis {
        match self {
            Hit::Node(n) => n.modified_ms(),
            Hit::Attachment(a, _) => a.latest().created_ms,
        }
    }
}
