//! Confluence REST v1 (`/wiki/rest/api` on Cloud, `/rest/api` on Data Center).

pub mod content;
pub mod search;
pub mod space;
pub mod user;
