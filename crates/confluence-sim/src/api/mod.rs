//! Confluence's REST surface: routing, then one module per API family.

pub mod auth;
pub mod comments;
pub mod cql;
pub mod errors;
pub mod masterdetail;
pub mod media;
pub mod pagination;
pub mod v1;
pub mod v2;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use hyper::Method;
use percent_encoding::percent_decode_str;

use crate::config::Flavor;
use crate::http::{Req, Resp};
use crate::model::Site;
use crate::server::State;

/// Everything a handler needs about the request and the site.
pub struct Ctx<'a> {
    pub state: &'a State,
    pub req: &'a Req,
    pub site: &'a Site,
    /// The authenticated account.
    pub account: Arc<str>,
    /// `_links.base`: origin + `/wiki` (Cloud) or origin + context path (DC).
    pub base: String,
    /// `_links.context`: `/wiki` or the context path.
    pub context: &'a str,
    /// Ancestor objects already built for this response: a listing of 250
    /// deep pages repeats the same few ancestors hundreds of times.
    pub ancestor_memo: RefCell<HashMap<crate::model::Id, serde_json::Value>>,
    /// User objects already built for this response (every result names
    /// its creator and last editor, mostly the same few people).
    pub user_memo: RefCell<HashMap<String, serde_json::Value>>,
}

impl Ctx<'_> {
    pub fn cloud(&self) -> bool {
        self.state.run.flavor == Flavor::Cloud
    }
    pub fn q(&self, name: &str) -> Option<&str> {
        self.req.query.get(name)
    }
}

/// Which endpoint a request hit; `pattern` keys `/__sim/stats`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    NotFound,
    TenantInfo,
    Media,
    LegacyDownload,
    V2Spaces,
    V2Space,
    V2SpacePages,
    V2Pages,
    V2SpaceBlogPosts,
    V2BlogPosts,
    V2BlogPost,
    V2Page,
    V2PageAncestors,
    V2PageChildren,
    V2PageDirectChildren,
    V2PageDescendants,
    V2PageAttachments,
    V2PageLabels,
    V2SpaceContentLabels,
    V2PageFooterComments,
    V2PageInlineComments,
    V2FooterCommentChildren,
    V2InlineCommentChildren,
    V2PageVersions,
    V2PageVersion,
    V2Attachment,
    V2Folder,
    V2FolderDirectChildren,
    V2FolderDescendants,
    V2FolderAncestors,
    V1Spaces,
    V1Space,
    V1SpaceContent,
    V1SpaceContentOfType,
    V1Contents,
    V1Content,
    V1ChildPage,
    V1ChildAttachment,
    V1ChildComment,
    V1AttachmentDownload,
    V1Descendants,
    V1DescendantPage,
    V1ContentLabels,
    V1ContentSearch,
    V1Search,
    V1Scan,
    V1User,
    V1UserBulk,
    V1UserCurrent,
    MasterDetailLines,
    /// Jira's issue search (`crate::jira`).
    JiraSearch,
}

pub struct Route {
    pub kind: Kind,
    pattern: &'static str,
    pub params: Vec<String>,
}

impl Route {
    pub fn pattern(&self) -> &'static str {
        self.pattern
    }
}

pub fn method_name(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

fn seg_decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Matches a path (already stripped of `/wiki` or the context path).
fn match_api(segs: &[&str], cloud: bool) -> Option<(Kind, &'static str, Vec<String>)> {
    use Kind::*;
    let p = |v: &[&str]| v.iter().map(|s| seg_decode(s)).collect::<Vec<_>>();
    let r = match segs {
        ["api", "v2", rest @ ..] if cloud => match rest {
            ["spaces"] => (V2Spaces, "/api/v2/spaces", vec![]),
            ["spaces", id] => (V2Space, "/api/v2/spaces/{id}", p(&[id])),
            ["spaces", id, "pages"] => (V2SpacePages, "/api/v2/spaces/{id}/pages", p(&[id])),
            ["spaces", id, "content", "labels"] => (
                V2SpaceContentLabels,
                "/api/v2/spaces/{id}/content/labels",
                p(&[id]),
            ),
            ["pages"] => (V2Pages, "/api/v2/pages", vec![]),
            ["spaces", id, "blogposts"] => {
                (V2SpaceBlogPosts, "/api/v2/spaces/{id}/blogposts", p(&[id]))
            }
            ["blogposts"] => (V2BlogPosts, "/api/v2/blogposts", vec![]),
            ["blogposts", id] => (V2BlogPost, "/api/v2/blogposts/{id}", p(&[id])),
            ["pages", id] => (V2Page, "/api/v2/pages/{id}", p(&[id])),
            ["pages", id, "ancestors"] => {
                (V2PageAncestors, "/api/v2/pages/{id}/ancestors", p(&[id]))
            }
            ["pages", id, "children"] => (V2PageChildren, "/api/v2/pages/{id}/children", p(&[id])),
            ["pages", id, "direct-children"] => (
                V2PageDirectChildren,
                "/api/v2/pages/{id}/direct-children",
                p(&[id]),
            ),
            ["pages", id, "descendants"] => (
                V2PageDescendants,
                "/api/v2/pages/{id}/descendants",
                p(&[id]),
            ),
            ["pages", id, "attachments"] => (
                V2PageAttachments,
                "/api/v2/pages/{id}/attachments",
                p(&[id]),
            ),
            ["pages", id, "labels"] => (V2PageLabels, "/api/v2/pages/{id}/labels", p(&[id])),
            ["pages", id, "footer-comments"] => (
                V2PageFooterComments,
                "/api/v2/pages/{id}/footer-comments",
                p(&[id]),
            ),
            ["pages", id, "inline-comments"] => (
                V2PageInlineComments,
                "/api/v2/pages/{id}/inline-comments",
                p(&[id]),
            ),
            ["footer-comments", id, "children"] => (
                V2FooterCommentChildren,
                "/api/v2/footer-comments/{id}/children",
                p(&[id]),
            ),
            ["inline-comments", id, "children"] => (
                V2InlineCommentChildren,
                "/api/v2/inline-comments/{id}/children",
                p(&[id]),
            ),
            ["pages", id, "versions"] => (V2PageVersions, "/api/v2/pages/{id}/versions", p(&[id])),
            ["pages", id, "versions", n] => (
                V2PageVersion,
                "/api/v2/pages/{id}/versions/{version-number}",
                p(&[id, n]),
            ),
            ["attachments", id] => (V2Attachment, "/api/v2/attachments/{id}", p(&[id])),
            ["folders", id] => (V2Folder, "/api/v2/folders/{id}", p(&[id])),
            ["folders", id, "direct-children"] => (
                V2FolderDirectChildren,
                "/api/v2/folders/{id}/direct-children",
                p(&[id]),
            ),
            ["folders", id, "descendants"] => (
                V2FolderDescendants,
                "/api/v2/folders/{id}/descendants",
                p(&[id]),
            ),
            ["folders", id, "ancestors"] => (
                V2FolderAncestors,
                "/api/v2/folders/{id}/ancestors",
                p(&[id]),
            ),
            _ => return None,
        },
        ["rest", "api", rest @ ..] => match rest {
            ["space"] => (V1Spaces, "/rest/api/space", vec![]),
            ["space", key] => (V1Space, "/rest/api/space/{spaceKey}", p(&[key])),
            ["space", key, "content"] => (
                V1SpaceContent,
                "/rest/api/space/{spaceKey}/content",
                p(&[key]),
            ),
            ["space", key, "content", kind @ ("page" | "blogpost")] => (
                V1SpaceContentOfType,
                "/rest/api/space/{spaceKey}/content/{type}",
                p(&[key, kind]),
            ),
            ["content"] => (V1Contents, "/rest/api/content", vec![]),
            ["content", "search"] => (V1ContentSearch, "/rest/api/content/search", vec![]),
            ["content", "scan"] if !cloud => (V1Scan, "/rest/api/content/scan", vec![]),
            ["content", id] => (V1Content, "/rest/api/content/{id}", p(&[id])),
            ["content", id, "child", "page"] => {
                (V1ChildPage, "/rest/api/content/{id}/child/page", p(&[id]))
            }
            ["content", id, "child", "attachment"] => (
                V1ChildAttachment,
                "/rest/api/content/{id}/child/attachment",
                p(&[id]),
            ),
            ["content", id, "child", "comment"] => (
                V1ChildComment,
                "/rest/api/content/{id}/child/comment",
                p(&[id]),
            ),
            ["content", id, "child", "attachment", att, "download"] => (
                V1AttachmentDownload,
                "/rest/api/content/{id}/child/attachment/{attachmentId}/download",
                p(&[id, att]),
            ),
            ["content", id, "descendant"] => {
                (V1Descendants, "/rest/api/content/{id}/descendant", p(&[id]))
            }
            ["content", id, "descendant", "page"] => (
                V1DescendantPage,
                "/rest/api/content/{id}/descendant/page",
                p(&[id]),
            ),
            ["content", id, "label"] => (V1ContentLabels, "/rest/api/content/{id}/label", p(&[id])),
            ["search"] => (V1Search, "/rest/api/search", vec![]),
            ["user"] => (V1User, "/rest/api/user", vec![]),
            ["user", "bulk"] => (V1UserBulk, "/rest/api/user/bulk", vec![]),
            ["user", "current"] => (V1UserCurrent, "/rest/api/user/current", vec![]),
            _ => return None,
        },
        ["rest", "masterdetail", "1.0", "detailssummary", "lines"] => (
            MasterDetailLines,
            "/rest/masterdetail/1.0/detailssummary/lines",
            vec![],
        ),
        ["download", "attachments", page, file] => (
            LegacyDownload,
            "/download/attachments/{pageId}/{filename}",
            p(&[page, file]),
        ),
        _ => return None,
    };
    Some(r)
}

/// Finds the endpoint for a request without running it (stats and faults
/// need the pattern first).
pub fn route(state: &State, req: &Req) -> Route {
    let cloud = state.run.flavor == Flavor::Cloud;
    let path = req.path.as_str();
    let not_found = Route {
        kind: Kind::NotFound,
        pattern: "(unmatched)",
        params: vec![],
    };
    if cloud && path == "/_edge/tenant_info" {
        return Route {
            kind: Kind::TenantInfo,
            pattern: "/_edge/tenant_info",
            params: vec![],
        };
    }
    if let Some(rest) = path.strip_prefix(media::MEDIA_PREFIX) {
        let segs: Vec<&str> = rest.split('/').collect();
        if let [file_id, "binary"] = segs.as_slice() {
            return Route {
                kind: Kind::Media,
                pattern: "/media/file/{fileId}/binary",
                params: vec![seg_decode(file_id)],
            };
        }
        return not_found;
    }
    // Jira: the site itself on Cloud, `/jira` on the same host for Data Center.
    let jira = match (cloud, path) {
        (true, "/rest/api/3/search/jql") => Some("/rest/api/3/search/jql"),
        (true, "/rest/api/2/search/jql") => Some("/rest/api/2/search/jql"),
        (false, "/jira/rest/api/2/search") => Some("/jira/rest/api/2/search"),
        _ => None,
    };
    if let Some(pattern) = jira {
        return Route {
            kind: Kind::JiraSearch,
            pattern,
            params: vec![],
        };
    }
    let prefix = if cloud {
        "/wiki"
    } else {
        state.run.context_path.as_str()
    };
    let Some(rest) = path.strip_prefix(prefix) else {
        return not_found;
    };
    if !rest.starts_with('/') {
        return not_found;
    }
    let segs: Vec<&str> = rest[1..].trim_end_matches('/').split('/').collect();
    match match_api(&segs, cloud) {
        Some((kind, pattern, params)) => Route {
            kind,
            pattern,
            params,
        },
        None => not_found,
    }
}

/// Runs the endpoint.
pub fn execute(state: &State, req: &Req, route: Route) -> Resp {
    let cloud = state.run.flavor == Flavor::Cloud;
    let is_v2 = req.path.contains("/api/v2/");
    match route.kind {
        Kind::TenantInfo => {
            let site = state.site.read();
            return Resp::json(200, &serde_json::json!({ "cloudId": site.cloud_id }));
        }
        Kind::Media => return media::serve_media(state, req, &route.params[0]),
        _ => {}
    }
    if req.method != Method::GET && req.method != Method::HEAD {
        return if is_v2 {
            errors::v2(405, "METHOD_NOT_ALLOWED", "Method Not Allowed")
        } else {
            errors::v1(state, 405, "Method Not Allowed")
        };
    }
    let site = state.site.read();
    let account = match auth::authenticate(&site, &state.run, req) {
        Ok(a) => a,
        Err(()) if route.kind == Kind::JiraSearch => {
            return crate::jira::search::error(
                401,
                "You are not authenticated. Authentication required to perform this operation.",
            );
        }
        Err(()) => return auth::unauthorized(state, is_v2),
    };
    let context: &str = if cloud {
        "/wiki"
    } else {
        &state.run.context_path
    };
    let ctx = Ctx {
        state,
        req,
        site: &site,
        account,
        base: format!("{}{}", state.origin, context),
        context,
        ancestor_memo: Default::default(),
        user_memo: Default::default(),
    };
    let p = &route.params;
    use Kind::*;
    match route.kind {
        NotFound => {
            if is_v2 || !cloud && req.path.contains("/api/v2") {
                errors::v2(404, "NOT_FOUND", "Not Found")
            } else {
                errors::v1(state, 404, "null for uri: ".to_string() + &req.path)
            }
        }
        TenantInfo | Media => unreachable!(),
        LegacyDownload => media::legacy_download(&ctx, &p[0], &p[1]),
        V2Spaces => v2::spaces::list(&ctx),
        V2Space => v2::spaces::get(&ctx, &p[0]),
        V2SpacePages => v2::pages::space_pages(&ctx, &p[0]),
        V2Pages => v2::pages::list(&ctx),
        V2SpaceBlogPosts => v2::pages::space_blog_posts(&ctx, &p[0]),
        V2BlogPosts => v2::pages::list_blog_posts(&ctx),
        V2BlogPost => v2::pages::get_blog_post(&ctx, &p[0]),
        V2Page => v2::pages::get(&ctx, &p[0]),
        V2PageAncestors => v2::tree::ancestors(&ctx, &p[0], false),
        V2PageChildren => v2::tree::children(&ctx, &p[0]),
        V2PageDirectChildren => v2::tree::direct_children(&ctx, &p[0], false),
        V2PageDescendants => v2::tree::descendants(&ctx, &p[0], false),
        V2PageAttachments => v2::attachments::page_attachments(&ctx, &p[0]),
        V2PageLabels => v2::pages::labels(&ctx, &p[0]),
        V2SpaceContentLabels => v2::pages::space_content_labels(&ctx, &p[0]),
        V2PageFooterComments => comments::v2_page_comments(&ctx, &p[0], false),
        V2PageInlineComments => comments::v2_page_comments(&ctx, &p[0], true),
        V2FooterCommentChildren => comments::v2_children(&ctx, &p[0], false),
        V2InlineCommentChildren => comments::v2_children(&ctx, &p[0], true),
        V2PageVersions => v2::pages::versions(&ctx, &p[0]),
        V2PageVersion => v2::pages::version(&ctx, &p[0], &p[1]),
        V2Attachment => v2::attachments::get(&ctx, &p[0]),
        V2Folder => v2::tree::folder(&ctx, &p[0]),
        V2FolderDirectChildren => v2::tree::direct_children(&ctx, &p[0], true),
        V2FolderDescendants => v2::tree::descendants(&ctx, &p[0], true),
        V2FolderAncestors => v2::tree::ancestors(&ctx, &p[0], true),
        V1Spaces => v1::space::list(&ctx),
        V1Space => v1::space::get(&ctx, &p[0]),
        V1SpaceContent => v1::space::content(&ctx, &p[0]),
        V1SpaceContentOfType => v1::space::content_of_type(&ctx, &p[0], &p[1]),
        V1Contents => v1::content::list(&ctx),
        V1Content => v1::content::get(&ctx, &p[0]),
        V1ChildPage => v1::content::child_pages(&ctx, &p[0]),
        V1ChildAttachment => v1::content::child_attachments(&ctx, &p[0]),
        V1ChildComment => comments::v1_child_comments(&ctx, &p[0]),
        V1AttachmentDownload => media::download_redirect(&ctx, &p[0], &p[1]),
        V1Descendants => v1::content::descendants(&ctx, &p[0]),
        V1DescendantPage => v1::content::descendant_pages(&ctx, &p[0]),
        V1ContentLabels => v1::content::labels(&ctx, &p[0]),
        V1ContentSearch => v1::search::content_search(&ctx),
        V1Search => v1::search::search(&ctx),
        V1Scan => v1::search::scan(&ctx),
        V1User => v1::user::get(&ctx),
        V1UserBulk => v1::user::bulk(&ctx),
        V1UserCurrent => v1::user::current(&ctx),
        MasterDetailLines => masterdetail::lines(&ctx),
        JiraSearch => {
            let root = if cloud {
                state.origin.clone()
            } else {
                format!("{}/jira", state.origin)
            };
            crate::jira::search::search(&ctx, &root)
        }
    }
}
