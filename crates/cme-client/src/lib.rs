//! A typed client for the parts of the Confluence REST API an exporter needs.
//!
//! It speaks Cloud (v2 listings, `/wiki` prefix) and Data Center (v1 only)
//! and hides what differs between them: pagination (v2 cursors in
//! `_links.next`, v1 offsets), authentication (Basic `email:token` or a
//! Bearer PAT) and attachment downloads (Cloud's 302 to a media host).
//!
//! Every request is an idempotent GET, so every transient failure (429, 5xx,
//! dropped connection, truncated body) is retried, within a time budget,
//! with jittered exponential backoff that honours a clamped `Retry-After`.
//! A throttled client pauses all its requests, halves its concurrency and
//! paces itself to the rate the server advertises. It follows redirects and
//! pagination links only so far, sends credentials only to the configured
//! origin, and bounds every body it buffers.
//!
//! Requests are grouped by API family in `api` (v2, v1, CQL), each beside
//! the wire shapes it decodes; [`Client`] picks a family per flavour and
//! answers in the flavour-neutral types of `model`.
#![deny(missing_docs)]

mod api;
mod auth;
mod client;
mod error;
mod flavor;
mod ids;
mod inventory;
mod join;
mod limiter;
mod lookup;
mod model;
mod pacing;
mod retry;
mod stats;
mod timestamp;
mod transport;

pub use api::jira::{JiraIssueFields, JiraSearch};
pub use api::masterdetail::{ReportLine, ReportLines};
pub use auth::{Credentials, Secret};
pub use client::{Client, ClientConfig, DEFAULT_PARTITION_ABOVE};
pub use error::{ConnectProblem, Error};
pub use flavor::{Flavor, ParseFlavorError};
pub use ids::{AttachmentId, PageId, SpaceId, SpaceKey, Version};
pub use inventory::KnownPages;
pub use join::{BoxFuture, join_all};
pub use lookup::RestRoot;
pub use model::{
    Attachment, Comment, CommentId, CommentLocation, ContentKind, FoundPage, PageBody, PageInfo,
    PageMeta, PageStatus, ParentKind, Resolution, ResolutionStatus, Space, UserRef,
};
pub use retry::RetryPolicy;
pub use stats::{Event, Observer, Stats};
pub use timestamp::Timestamp;
pub use transport::Sink;
