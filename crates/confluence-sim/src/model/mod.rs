//! The simulated site: spaces, pages and folders (one id space, "nodes"),
//! attachments and users, with the indexes the API needs to stay fast.

pub mod body;
pub mod comments;
pub mod site;
pub mod time;

pub use body::{Body, GenBody};
pub use site::Site;
pub use time::Millis;

use std::sync::Arc;

use bytes::Bytes;

/// Content, space and attachment ids are numbers served as strings.
pub type Id = u64;

/// Content status as Confluence names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Current,
    Archived,
    Trashed,
    Draft,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Archived => "archived",
            Status::Trashed => "trashed",
            Status::Draft => "draft",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Some(match s {
            "current" => Status::Current,
            "archived" => Status::Archived,
            "trashed" => Status::Trashed,
            "draft" => Status::Draft,
            _ => return None,
        })
    }
}

/// Pages, folders and blog posts share ids, versions and bodies, so they
/// share a type. Blog posts sit outside the page tree (no parent, no children).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    Page,
    Folder,
    BlogPost,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Page => "page",
            NodeKind::Folder => "folder",
            NodeKind::BlogPost => "blogpost",
        }
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub account_id: Arc<str>,
    pub display_name: Arc<str>,
    pub email: Arc<str>,
    /// Cloud API token accepted with `email` in Basic auth (None: cannot log in).
    pub api_token: Option<String>,
    /// Data Center personal access token.
    pub pat: Option<String>,
    /// DC-style username (defaults to the email's local part).
    pub username: Arc<str>,
}

#[derive(Clone, Debug)]
pub struct Space {
    pub id: Id,
    pub key: Arc<str>,
    pub name: Arc<str>,
    pub kind: Arc<str>,
    pub status: Arc<str>,
    pub description: Arc<str>,
    pub homepage_id: Option<Id>,
    pub author_id: Arc<str>,
    pub created_ms: Millis,
}

#[derive(Clone, Debug)]
pub struct Label {
    pub id: Id,
    pub name: Arc<str>,
    pub prefix: &'static str,
}

#[derive(Clone, Debug)]
pub struct Version {
    pub number: u32,
    pub title: Arc<str>,
    pub body: Body,
    pub author_id: Arc<str>,
    pub created_ms: Millis,
    pub message: Arc<str>,
    pub minor_edit: bool,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub id: Id,
    pub kind: NodeKind,
    pub space_id: Id,
    pub parent: Option<Id>,
    /// Sparse sort key among siblings (Confluence's `position`).
    pub position: i64,
    pub status: Status,
    pub created_ms: Millis,
    pub author_id: Arc<str>,
    /// Oldest first; never empty.
    pub versions: Vec<Version>,
    pub labels: Vec<Label>,
    /// Account ids allowed to read; empty = unrestricted.
    pub read_restriction: Vec<Arc<str>>,
    /// Child nodes (pages and folders), ordered by (position, id).
    pub children: Vec<Id>,
    /// Attachment ids, oldest first.
    pub attachments: Vec<Id>,
}

impl Node {
    pub fn latest(&self) -> &Version {
        self.versions.last().expect("a node always has a version")
    }
    pub fn title(&self) -> &str {
        &self.latest().title
    }
    pub fn version_number(&self) -> u32 {
        self.latest().number
    }
    pub fn modified_ms(&self) -> Millis {
        self.latest().created_ms
    }
    pub fn version(&self, n: u32) -> Option<&Version> {
        self.versions.iter().find(|v| v.number == n)
    }
}

/// Attachment file contents: stored bytes, or a cheap static for generated sites.
#[derive(Clone, Debug)]
pub struct AttVersion {
    pub number: u32,
    pub data: Bytes,
    pub file_id: Arc<str>,
    pub created_ms: Millis,
    pub author_id: Arc<str>,
    pub comment: Arc<str>,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    pub id: Id,
    pub page_id: Id,
    pub status: Status,
    pub filename: Arc<str>,
    pub media_type: Arc<str>,
    pub created_ms: Millis,
    /// Oldest first; never empty.
    pub versions: Vec<AttVersion>,
}

impl Attachment {
    pub fn latest(&self) -> &AttVersion {
        self.versions
            .last()
            .expect("an attachment always has a version")
    }
    pub fn version(&self, n: u32) -> Option<&AttVersion> {
        self.versions.iter().find(|v| v.number == n)
    }
}

/// Confluence's human label for a media type (`mediaTypeDescription`).
pub fn media_type_description(mt: &str) -> &'static str {
    match mt {
        "image/png" => "PNG Image",
        "image/jpeg" => "JPEG Image",
        "image/gif" => "GIF Image",
        "image/svg+xml" => "SVG Image",
        "application/pdf" => "PDF Document",
        "application/json" => "JSON File",
        "text/plain" => "Text File",
        "application/vnd.jgraph.mxfile" | "application/vnd.jgraph.mxfile.realtime" => {
            "draw.io Diagram"
        }
        "application/zip" => "Zip Archive",
        "video/mp4" => "MP4 Video",
        _ => "File",
    }
}

/// A Data Center user key (32 hex digits, like `8a7f808a6b8d1b4c…`),
/// derived from the account id so both flavours name the same person.
pub fn dc_user_key(account_id: &str) -> String {
    let seed = account_id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    });
    uuid_from(seed).replace('-', "")
}

/// A deterministic UUID-shaped string from a 64-bit seed (fileIds, cloudId).
pub fn uuid_from(seed: u64) -> String {
    let a = crate::site::rng::SplitMix64::new(seed).next_u64();
    let b = crate::site::rng::SplitMix64::new(seed ^ 0x9e37_79b9_7f4a_7c15).next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0xfff) as u16,
        ((b >> 48) as u16 & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}
