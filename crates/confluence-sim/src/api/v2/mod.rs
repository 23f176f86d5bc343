//! Confluence Cloud REST v2 (`/wiki/api/v2`).

pub mod attachments;
pub mod pages;
pub mod spaces;
pub mod tree;

use std::sync::Arc;

use base64::Engine;
use serde::Serialize;
use serde_json::value::RawValue;

use super::Ctx;
use crate::http::slug;
use crate::model::time::iso;
use crate::model::{Id, Node, NodeKind, Status, Version};

/// Parses a numeric path id; None → the caller answers 404.
pub fn parse_id(s: &str) -> Option<Id> {
    s.parse().ok()
}

/// The `/x/…` tiny link: the id's little-endian bytes in base64, as Confluence does.
pub fn tiny(id: Id) -> String {
    let bytes = (id as u32).to_le_bytes();
    let mut bytes = bytes.to_vec();
    if id > u32::MAX as u64 {
        bytes = id.to_le_bytes().to_vec();
    }
    let s = base64::engine::general_purpose::STANDARD.encode(bytes);
    let s = s.trim_end_matches('=').trim_end_matches('A');
    format!("/x/{}", s.replace('/', "-").replace('+', "_"))
}

/// The web UI link of a page.
pub fn webui(ctx: &Ctx, node: &Node, title: &str) -> String {
    let key = ctx
        .site
        .spaces
        .get(&node.space_id)
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let homepage = ctx
        .site
        .spaces
        .get(&node.space_id)
        .and_then(|s| s.homepage_id)
        == Some(node.id);
    if !ctx.cloud() {
        return format!("/pages/viewpage.action?pageId={}", node.id);
    }
    match node.kind {
        NodeKind::Folder => format!("/spaces/{key}/folder/{}", node.id),
        NodeKind::BlogPost => format!(
            "/spaces/{key}/blog/{}/{}/{}",
            crate::model::time::posting_day(node.created_ms),
            node.id,
            slug(title)
        ),
        NodeKind::Page if homepage => format!("/spaces/{key}/overview"),
        NodeKind::Page => {
            let s = slug(title);
            if title.chars().any(|c| c.is_alphanumeric() && c.is_ascii()) {
                format!("/spaces/{key}/pages/{}/{s}", node.id)
            } else {
                format!("/spaces/{key}/pages/{}", node.id)
            }
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VersionJson<'a> {
    pub number: u32,
    pub message: &'a str,
    pub minor_edit: bool,
    pub author_id: &'a str,
    pub created_at: String,
    pub ncs_step_version: String,
}

impl<'a> VersionJson<'a> {
    pub fn of(v: &'a Version) -> Self {
        VersionJson {
            number: v.number,
            message: &v.message,
            minor_edit: v.minor_edit,
            author_id: &v.author_id,
            created_at: iso(v.created_ms),
            ncs_step_version: (v.number as u64 * 7 + 1).to_string(),
        }
    }
}

#[derive(Serialize)]
pub struct BodyValue {
    pub representation: &'static str,
    pub value: Arc<RawValue>,
}

/// `body` object: only the requested representation(s).
#[derive(Serialize, Default)]
pub struct BodyJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atlas_doc_format: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export_view: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub anonymous_export_view: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub styled_view: Option<BodyValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub editor: Option<BodyValue>,
}

fn raw_str(s: &str) -> Arc<RawValue> {
    Arc::from(RawValue::from_string(serde_json::to_string(s).unwrap_or_default()).unwrap())
}

/// Fills `body` for one representation name; false if the name is unknown.
pub fn fill_body(ctx: &Ctx, node: &Node, v: &Version, format: &str, body: &mut BodyJson) -> bool {
    let site = ctx.site;
    match format {
        "storage" => {
            body.storage = Some(BodyValue {
                representation: "storage",
                value: site.body_json(node, v),
            })
        }
        "editor" => {
            body.editor = Some(BodyValue {
                representation: "editor",
                value: site.body_json(node, v),
            })
        }
        "atlas_doc_format" => {
            body.atlas_doc_format = Some(BodyValue {
                representation: "atlas_doc_format",
                value: site.adf_json(node, v),
            });
        }
        "view" | "export_view" | "anonymous_export_view" | "styled_view" => {
            let html = crate::render::view::render(ctx, node, &site.body_text(node, v), format);
            let bv = Some(BodyValue {
                representation: match format {
                    "view" => "view",
                    "export_view" => "export_view",
                    "anonymous_export_view" => "anonymous_export_view",
                    _ => "styled_view",
                },
                value: raw_str(&html),
            });
            match format {
                "view" => body.view = bv,
                "export_view" => body.export_view = bv,
                "anonymous_export_view" => body.anonymous_export_view = bv,
                _ => body.styled_view = bv,
            }
        }
        _ => return false,
    }
    true
}

#[derive(Serialize)]
pub struct PageLinks {
    pub editui: String,
    pub webui: String,
    pub edituiv2: String,
    pub tinyui: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
}

/// PageBulk / PageSingle.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PageJson<'a> {
    /// Page-only fields (absent on blog posts).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub tree: Option<TreeJson<'a>>,
    pub space_id: String,
    pub created_at: String,
    pub author_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<VersionJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyJson>,
    pub status: &'static str,
    pub title: &'a str,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subtype: Option<Option<&'a str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operations: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub likes: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_favorited_by_current_user: Option<bool>,
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// Where a page sits: parent, owner, position. Blog posts have none of it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TreeJson<'a> {
    pub parent_type: Option<&'static str>,
    pub parent_id: Option<String>,
    pub owner_id: &'a str,
    pub last_owner_id: Option<&'a str>,
    pub position: i64,
}

pub fn parent_type(ctx: &Ctx, node: &Node) -> Option<&'static str> {
    node.parent
        .and_then(|p| ctx.site.node(p))
        .map(|p| p.kind.as_str())
}

/// Builds a page object at version `v`.
pub fn page_json<'a>(ctx: &Ctx, node: &'a Node, v: &'a Version, bulk: bool) -> PageJson<'a> {
    let key = ctx
        .site
        .spaces
        .get(&node.space_id)
        .map(|s| s.key.to_string())
        .unwrap_or_default();
    PageJson {
        tree: (node.kind != NodeKind::BlogPost).then(|| TreeJson {
            parent_type: parent_type(ctx, node),
            parent_id: node.parent.map(|p| p.to_string()),
            owner_id: &node.author_id,
            last_owner_id: None,
            position: node.position,
        }),
        space_id: node.space_id.to_string(),
        created_at: iso(node.created_ms),
        author_id: &node.author_id,
        version: Some(VersionJson::of(v)),
        body: Some(BodyJson::default()),
        status: if v.number == node.version_number() {
            node.status.as_str()
        } else {
            "historical"
        },
        title: &v.title,
        id: node.id.to_string(),
        subtype: if bulk && node.kind != NodeKind::BlogPost {
            Some(None)
        } else {
            None
        },
        labels: None,
        properties: None,
        operations: None,
        likes: None,
        versions: None,
        is_favorited_by_current_user: None,
        links: PageLinks {
            editui: format!("/pages/resumedraft.action?draftId={}", node.id),
            webui: webui(ctx, node, &v.title),
            edituiv2: if node.kind == NodeKind::BlogPost {
                format!("/spaces/{key}/blog/edit-v2/{}", node.id)
            } else {
                format!("/spaces/{key}/pages/edit-v2/{}", node.id)
            },
            tinyui: tiny(node.id),
            base: None,
        },
    }
}

/// Parses `status` (default current+archived); None → 400.
pub fn status_filter(ctx: &Ctx) -> Option<Vec<Status>> {
    let list = ctx.req.query.list("status");
    if list.is_empty() {
        return Some(vec![Status::Current, Status::Archived]);
    }
    let mut out = Vec::new();
    for s in list {
        match s.as_str() {
            "deleted" => {}
            "any" => out.extend([Status::Current, Status::Archived, Status::Trashed]),
            "draft" => out.push(Status::Draft),
            other => out.push(Status::parse(other)?),
        }
    }
    Some(out)
}
