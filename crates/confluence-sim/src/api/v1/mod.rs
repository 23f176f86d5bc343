//! Confluence REST v1 (`/wiki/rest/api` on Cloud, `/rest/api` on Data Center):
//! Content objects with `expand`, offset envelopes, CQL search, users.

pub mod content;
pub mod search;
pub mod space;
pub mod user;

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Map, Value, json};

use super::Ctx;
use crate::http::slug;
use crate::model::time::{date, iso};
use crate::model::{
    AttVersion, Attachment, Node, NodeKind, Space, User, Version, media_type_description,
};

/// The `expand` parameter as a set of dotted paths.
pub struct Expand(BTreeSet<String>);

impl Expand {
    pub fn parse(ctx: &Ctx, default: &str) -> Expand {
        let raw: Vec<String> = ctx.req.query.list("expand");
        let items: Vec<String> = if raw.is_empty() {
            default
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        } else {
            raw
        };
        Expand(items.into_iter().collect())
    }

    /// True when nothing was asked for.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Strips a prefix (`content.` in `/search`).
    pub fn under(&self, prefix: &str) -> Expand {
        Expand(
            self.0
                .iter()
                .filter_map(|e| e.strip_prefix(prefix))
                .map(str::to_string)
                .collect(),
        )
    }

    /// True when `path` or anything below it was asked for.
    pub fn has(&self, path: &str) -> bool {
        self.0
            .iter()
            .any(|e| e == path || e.starts_with(&format!("{path}.")))
    }

    /// Body representations requested (`body.storage`, `body.view`, …).
    pub fn bodies(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|e| e.strip_prefix("body."))
            .map(|e| e.split('.').next().unwrap_or(e).to_string())
            .collect()
    }
}

fn ari(ctx: &Ctx, kind: &str, id: &str) -> (String, String) {
    let a = format!("ari:cloud:confluence:{}:{kind}/{id}", ctx.site.cloud_id);
    let b = format!("ari:cloud:confluence:{}:content/{id}", ctx.site.cloud_id);
    (a, base64::engine::general_purpose::STANDARD.encode(b))
}

/// A v1 user object.
pub fn user_json(ctx: &Ctx, u: &User) -> Value {
    if ctx.cloud() {
        json!({
            "type": "known",
            "accountId": u.account_id,
            "accountType": "atlassian",
            "email": "",
            "publicName": u.display_name,
            "profilePicture": {"path": format!("/wiki/aa-avatar/{}", u.account_id), "width": 48, "height": 48, "isDefault": false},
            "displayName": u.display_name,
            "isExternalCollaborator": false,
            "_expandable": {"operations": "", "personalSpace": ""},
            "_links": {"self": format!("{}/rest/api/user?accountId={}", ctx.base, crate::http::enc_query(&u.account_id))}
        })
    } else {
        json!({
            "type": "known",
            "accountId": u.account_id,
            "accountType": "atlassian",
            "email": u.email,
            "publicName": u.display_name,
            "username": u.username,
            "userKey": crate::model::dc_user_key(&u.account_id),
            "profilePicture": {"path": format!("{}/images/icons/profilepics/default.svg", ctx.context), "width": 48, "height": 48, "isDefault": true},
            "displayName": u.display_name,
            "_links": {"self": format!("{}/rest/api/user?key={}", ctx.base, crate::model::dc_user_key(&u.account_id))},
            "_expandable": {"status": ""}
        })
    }
}

pub fn user_by_id(ctx: &Ctx, account: &str) -> Value {
    if let Some(v) = ctx.user_memo.borrow().get(account) {
        return v.clone();
    }
    let v = match ctx.site.user(account) {
        Some(u) => user_json(ctx, u),
        None => json!({"type": "unknown", "accountId": account, "displayName": "Unknown user"}),
    };
    ctx.user_memo
        .borrow_mut()
        .insert(account.to_owned(), v.clone());
    v
}

/// A v1 space object (`homepage`, `description.plain` expandable).
pub fn space_json(ctx: &Ctx, s: &Space, ex: &Expand) -> Value {
    let mut v = json!({
        "id": s.id,
        "key": s.key,
        "name": s.name,
        "type": s.kind,
        "status": s.status,
        "_expandable": {
            "settings": format!("/rest/api/space/{}/settings", s.key),
            "metadata": "",
            "operations": "",
            "lookAndFeel": format!("/rest/api/settings/lookandfeel?spaceKey={}", s.key),
            "identifiers": "",
            "permissions": "",
            "icon": "",
            "description": "",
            "theme": format!("/rest/api/space/{}/theme", s.key),
            "history": "",
            "homepage": s.homepage_id.map(|h| format!("/rest/api/content/{h}")).unwrap_or_default(),
        },
        "_links": {
            "webui": if ctx.cloud() { format!("/spaces/{}", s.key) } else { format!("/display/{}", s.key) },
            "self": format!("{}/rest/api/space/{}", ctx.base, s.key)
        }
    });
    if ctx.cloud() {
        v["ari"] = json!(format!(
            "ari:cloud:confluence:{}:space/{}",
            ctx.site.cloud_id, s.id
        ));
    }
    let m = v.as_object_mut().unwrap();
    let exp = m.get_mut("_expandable").unwrap().as_object_mut().unwrap();
    if ex.has("description") {
        exp.remove("description");
    }
    if ex.has("homepage") {
        exp.remove("homepage");
    }
    if ex.has("icon") {
        exp.remove("icon");
    }
    if ex.has("description") {
        let mut d = Map::new();
        if ex.has("description.plain") || !ex.has("description.view") {
            d.insert(
                "plain".into(),
                json!({"value": s.description, "representation": "plain", "embeddedContent": []}),
            );
        }
        if ex.has("description.view") {
            d.insert("view".into(), json!({"value": format!("<p>{}</p>", crate::render::view::escape(&s.description)), "representation": "view", "embeddedContent": []}));
        }
        m.insert("description".into(), Value::Object(d));
    }
    if ex.has("homepage") {
        let home = s
            .homepage_id
            .and_then(|h| ctx.site.node(h))
            .filter(|n| ctx.site.can_read(n, &ctx.account))
            .map(|n| content_json(ctx, n, n.latest(), &Expand(BTreeSet::new()), false));
        m.insert("homepage".into(), home.unwrap_or(Value::Null));
    }
    if ex.has("icon") {
        m.insert("icon".into(), json!({"path": "/images/logo/default-space-logo.svg", "width": 48, "height": 48, "isDefault": false}));
    }
    v
}

fn space_key(ctx: &Ctx, n: &Node) -> String {
    ctx.site
        .spaces
        .get(&n.space_id)
        .map(|s| s.key.to_string())
        .unwrap_or_default()
}

/// Web UI link in the flavour's style.
pub fn webui(ctx: &Ctx, n: &Node, title: &str) -> String {
    if ctx.cloud() {
        super::v2::webui(ctx, n, title)
    } else if n.kind == NodeKind::Page {
        format!("/display/{}/{}", space_key(ctx, n), slug(title))
    } else if n.kind == NodeKind::BlogPost {
        format!(
            "/display/{}/{}/{}",
            space_key(ctx, n),
            crate::model::time::posting_day(n.created_ms),
            slug(title)
        )
    } else {
        format!("/pages/viewpage.action?pageId={}", n.id)
    }
}

fn version_json(ctx: &Ctx, n: &Node, v: &Version) -> Value {
    let mut j = json!({
        "by": user_by_id(ctx, &v.author_id),
        "when": iso(v.created_ms),
        "friendlyWhen": date(v.created_ms),
        "message": v.message,
        "number": v.number,
        "minorEdit": v.minor_edit,
        "contentTypeModified": false,
        "_expandable": {"collaborators": "", "content": format!("/rest/api/content/{}", n.id)},
        "_links": {"self": format!("{}/rest/api/content/{}/version/{}", ctx.base, n.id, v.number)}
    });
    if ctx.cloud() {
        j["confRev"] = json!(format!("confluence$content${}.{}", n.id, v.number + 2));
        j["ncsStepVersion"] = json!((v.number as u64 * 7 + 1).to_string());
    }
    j
}

fn labels_json(ctx: &Ctx, n: &Node) -> Value {
    let results: Vec<Value> = n
        .labels
        .iter()
        .map(|l| json!({"prefix": l.prefix, "name": l.name, "id": l.id.to_string(), "label": l.name}))
        .collect();
    json!({
        "results": results,
        "start": 0,
        "limit": 200,
        "size": n.labels.len(),
        "_links": {"self": format!("{}/rest/api/content/{}/label", ctx.base, n.id)}
    })
}

const EXPANDABLE: &[&str] = &[
    "container",
    "metadata",
    "restrictions",
    "history",
    "body",
    "version",
    "descendants",
    "space",
    "childTypes",
    "schedulePublishInfo",
    "operations",
    "schedulePublishDate",
    "children",
    "ancestors",
    "draftVersion",
];

/// A v1 Content object for a page or folder at version `v`. `top` adds
/// `_links.base/context/collection`, as single-object responses have.
pub fn content_json(ctx: &Ctx, n: &Node, v: &Version, ex: &Expand, top: bool) -> Value {
    let id = n.id.to_string();
    let key = space_key(ctx, n);
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("type".into(), json!(n.kind.as_str()));
    if ctx.cloud() {
        let (a, b) = ari(ctx, n.kind.as_str(), &id);
        m.insert("ari".into(), json!(a));
        m.insert("base64EncodedAri".into(), json!(b));
    }
    let status = if v.number == n.version_number() {
        n.status.as_str()
    } else {
        "historical"
    };
    m.insert("status".into(), json!(status));
    m.insert("title".into(), json!(v.title));
    if ctx.cloud() {
        m.insert("macroRenderedOutput".into(), json!({}));
    }
    let mut expandable = Map::new();
    for e in EXPANDABLE {
        let val = match *e {
            "container" | "space" => format!("/rest/api/space/{key}"),
            "restrictions" => format!("/rest/api/content/{id}/restriction/byOperation"),
            "history" => format!("/rest/api/content/{id}/history"),
            "descendants" => format!("/rest/api/content/{id}/descendant"),
            "children" => format!("/rest/api/content/{id}/child"),
            _ => String::new(),
        };
        if !ex.has(e) {
            expandable.insert((*e).into(), json!(val));
        }
    }
    if ex.has("space") || ex.has("container") {
        let s = ctx.site.spaces.get(&n.space_id);
        let sj = s
            .map(|s| space_json(ctx, s, &Expand(BTreeSet::new())))
            .unwrap_or(Value::Null);
        if ex.has("space") {
            m.insert("space".into(), sj.clone());
        }
        if ex.has("container") {
            m.insert("container".into(), sj);
        }
    }
    if ex.has("history") {
        let latest = v.number == n.version_number();
        let mut h = json!({
            "latest": latest,
            "createdBy": user_by_id(ctx, &n.author_id),
            "createdDate": iso(n.created_ms),
            "_expandable": {"lastUpdated": "", "previousVersion": "", "contributors": "", "nextVersion": "", "ownedBy": "", "lastOwnedBy": ""},
            "_links": {"self": format!("{}/rest/api/content/{id}/history", ctx.base)}
        });
        if ctx.cloud() {
            h["ownedBy"] = user_by_id(ctx, &n.author_id);
        }
        let he = h["_expandable"].as_object_mut().unwrap();
        if ex.has("history.lastUpdated") {
            he.remove("lastUpdated");
            h["lastUpdated"] = version_json(ctx, n, n.latest());
        }
        let he = h["_expandable"].as_object_mut().unwrap();
        if ex.has("history.previousVersion") {
            he.remove("previousVersion");
            h["previousVersion"] = match v.number.checked_sub(1).and_then(|p| n.version(p)) {
                Some(p) => version_json(ctx, n, p),
                None => Value::Null,
            };
        }
        let he = h["_expandable"].as_object_mut().unwrap();
        if ex.has("history.contributors") {
            he.remove("contributors");
            let mut seen: Vec<&str> = Vec::new();
            for ver in &n.versions {
                if !seen.contains(&&*ver.author_id) {
                    seen.push(&ver.author_id);
                }
            }
            let users: Vec<Value> = seen.iter().map(|a| user_by_id(ctx, a)).collect();
            h["contributors"] = json!({"publishers": {"users": users, "userAccountIds": seen}});
        }
        m.insert("history".into(), h);
    }
    if ex.has("version") {
        m.insert("version".into(), version_json(ctx, n, v));
    }
    if ex.has("ancestors") {
        let anc: Vec<Value> = ctx
            .site
            .ancestors(n.id)
            .iter()
            .filter_map(|a| ctx.site.node(*a))
            .map(|a| {
                if let Some(v) = ctx.ancestor_memo.borrow().get(&a.id) {
                    return v.clone();
                }
                let v = content_json(ctx, a, a.latest(), &Expand(BTreeSet::new()), false);
                ctx.ancestor_memo.borrow_mut().insert(a.id, v.clone());
                v
            })
            .collect();
        m.insert("ancestors".into(), json!(anc));
    }
    if ex.has("children") {
        let kids: Vec<Value> = n
            .children
            .iter()
            .filter_map(|c| ctx.site.node(*c))
            .filter(|c| c.kind == NodeKind::Page && content::listed(ctx, c))
            .take(25)
            .map(|c| content_json(ctx, c, c.latest(), &Expand(BTreeSet::new()), false))
            .collect();
        let mut ch = json!({
            "_expandable": {"attachment": format!("/rest/api/content/{id}/child/attachment"), "comment": format!("/rest/api/content/{id}/child/comment")},
            "_links": {"self": format!("{}/rest/api/content/{id}/child", ctx.base)}
        });
        if ex.has("children.page") || !ex.has("children.attachment") {
            ch["page"] = json!({"results": kids, "start": 0, "limit": 25, "size": kids.len(),
                "_links": {"self": format!("{}/rest/api/content/{id}/child/page", ctx.base)}});
        }
        if ex.has("children.attachment") {
            let atts: Vec<Value> = n
                .attachments
                .iter()
                .filter_map(|a| ctx.site.attachments.get(a))
                .filter(|a| a.status == crate::model::Status::Current)
                .take(25)
                .map(|a| attachment_content(ctx, a, a.latest(), &Expand(BTreeSet::new())))
                .collect();
            ch["attachment"] = json!({"results": atts, "start": 0, "limit": 25, "size": atts.len(),
                "_links": {"self": format!("{}/rest/api/content/{id}/child/attachment", ctx.base)}});
            ch["_expandable"]
                .as_object_mut()
                .unwrap()
                .remove("attachment");
        }
        m.insert("children".into(), ch);
    }
    if ex.has("body") {
        let mut b = Map::new();
        let asked = ex.bodies();
        for rep in [
            "storage",
            "view",
            "export_view",
            "styled_view",
            "editor",
            "editor2",
            "anonymous_export_view",
            "atlas_doc_format",
            "dynamic",
        ] {
            if asked.iter().any(|a| a == rep) {
                let value: Value = match rep {
                    "storage" | "editor" | "editor2" => json!(ctx.site.body_text(n, v)),
                    "atlas_doc_format" => {
                        json!(crate::render::adf::to_adf(&ctx.site.body_text(n, v)))
                    }
                    _ => json!(crate::render::view::render(
                        ctx,
                        n,
                        &ctx.site.body_text(n, v),
                        rep
                    )),
                };
                let mut o = json!({"value": value, "representation": rep});
                if rep == "storage" {
                    o["embeddedContent"] = json!([]);
                    o["_expandable"] = json!({"content": format!("/rest/api/content/{id}")});
                } else if rep == "view" || rep == "export_view" || rep == "styled_view" {
                    o["_expandable"] = json!({"webresource": "", "embeddedContent": "", "mediaToken": "", "content": format!("/rest/api/content/{id}")});
                } else {
                    o["_expandable"] = json!({"content": format!("/rest/api/content/{id}")});
                }
                b.insert(rep.into(), o);
            }
        }
        let mut be = Map::new();
        for rep in [
            "editor",
            "atlas_doc_format",
            "view",
            "export_view",
            "styled_view",
            "dynamic",
            "storage",
            "editor2",
            "anonymous_export_view",
        ] {
            if !b.contains_key(rep) {
                be.insert(rep.into(), json!(""));
            }
        }
        b.insert("_expandable".into(), Value::Object(be));
        m.insert("body".into(), Value::Object(b));
    }
    if ex.has("metadata") {
        let mut md = Map::new();
        if ex.has("metadata.labels") {
            md.insert("labels".into(), labels_json(ctx, n));
        }
        if ex.has("metadata.properties") {
            md.insert("properties".into(), json!({}));
        }
        if ex.has("metadata.currentuser") {
            md.insert("currentuser".into(), json!({}));
        }
        if ctx.cloud() {
            md.insert("frontend".into(), json!({}));
        }
        let mut exp = Map::new();
        for k in [
            "currentuser",
            "comments",
            "sourceTemplateEntityId",
            "simple",
            "properties",
            "frontend",
            "labels",
            "likes",
        ] {
            if !md.contains_key(k) {
                exp.insert(k.into(), json!(""));
            }
        }
        md.insert("_expandable".into(), Value::Object(exp));
        m.insert("metadata".into(), Value::Object(md));
    }
    if ex.has("restrictions") {
        let users: Vec<Value> = n
            .read_restriction
            .iter()
            .map(|a| user_by_id(ctx, a))
            .collect();
        m.insert("restrictions".into(), json!({
            "read": {"operation": "read", "restrictions": {"user": {"results": users, "start": 0, "limit": 200, "size": users.len()}, "group": {"results": [], "start": 0, "limit": 200, "size": 0}}},
            "update": {"operation": "update", "restrictions": {"user": {"results": [], "start": 0, "limit": 200, "size": 0}, "group": {"results": [], "start": 0, "limit": 200, "size": 0}}}
        }));
    }
    if ex.has("descendants") {
        m.insert("descendants".into(), json!({"_expandable": {"page": format!("/rest/api/content/{id}/descendant/page"), "attachment": "", "comment": ""}, "_links": {"self": format!("{}/rest/api/content/{id}/descendant", ctx.base)}}));
    }
    m.insert(
        "extensions".into(),
        if ctx.cloud() {
            json!({"position": n.position})
        } else {
            json!({"position": "none"})
        },
    );
    m.insert("_expandable".into(), Value::Object(expandable));
    let mut links = Map::new();
    // Cloud names the editor link `editui` (plus `edituiv2`), DC `edit`.
    links.insert(
        if ctx.cloud() { "editui" } else { "edit" }.into(),
        json!(format!("/pages/resumedraft.action?draftId={id}")),
    );
    links.insert("webui".into(), json!(webui(ctx, n, &v.title)));
    if ctx.cloud() {
        let kind = if n.kind == NodeKind::BlogPost {
            "blog"
        } else {
            "pages"
        };
        links.insert(
            "edituiv2".into(),
            json!(format!("/spaces/{key}/{kind}/edit-v2/{id}")),
        );
    }
    if top {
        links.insert("context".into(), json!(ctx.context));
    }
    links.insert(
        "self".into(),
        json!(format!("{}/rest/api/content/{id}", ctx.base)),
    );
    links.insert("tinyui".into(), json!(super::v2::tiny(n.id)));
    if top {
        links.insert("collection".into(), json!("/rest/api/content"));
        links.insert("base".into(), json!(ctx.base));
    }
    m.insert("_links".into(), Value::Object(links));
    Value::Object(m)
}

/// A v1 attachment Content object.
pub fn attachment_content(ctx: &Ctx, a: &Attachment, v: &AttVersion, ex: &Expand) -> Value {
    let id = format!("att{}", a.id);
    let key = ctx
        .site
        .node(a.page_id)
        .and_then(|n| ctx.site.spaces.get(&n.space_id))
        .map(|s| s.key.to_string())
        .unwrap_or_default();
    let mut m = Map::new();
    m.insert("id".into(), json!(id));
    m.insert("type".into(), json!("attachment"));
    if ctx.cloud() {
        let (x, b) = ari(ctx, "attachment", &a.id.to_string());
        m.insert("ari".into(), json!(x));
        m.insert("base64EncodedAri".into(), json!(b));
    }
    m.insert("status".into(), json!(a.status.as_str()));
    m.insert("title".into(), json!(a.filename));
    if ctx.cloud() {
        m.insert("macroRenderedOutput".into(), json!({}));
    }
    m.insert("metadata".into(), json!({"mediaType": a.media_type}));
    let mut ext = json!({
        "mediaType": a.media_type,
        "fileSize": v.data.len(),
        "comment": v.comment,
    });
    if ctx.cloud() {
        ext["mediaTypeDescription"] = json!(media_type_description(&a.media_type));
        ext["fileId"] = json!(v.file_id);
        ext["collectionName"] = json!(format!("contentId-{}", a.page_id));
    }
    m.insert("extensions".into(), ext);
    if ex.has("version") {
        m.insert(
            "version".into(),
            json!({
                "by": user_by_id(ctx, &v.author_id),
                "when": iso(v.created_ms),
                "friendlyWhen": date(v.created_ms),
                "message": v.comment,
                "number": v.number,
                "minorEdit": false,
                "contentTypeModified": false,
                "_expandable": {"collaborators": "", "content": format!("/rest/api/content/{id}")},
                "_links": {"self": format!("{}/rest/api/content/{id}/version/{}", ctx.base, v.number)}
            }),
        );
    }
    if ex.has("container") {
        let c = ctx
            .site
            .node(a.page_id)
            .map(|n| content_json(ctx, n, n.latest(), &Expand(BTreeSet::new()), false));
        m.insert("container".into(), c.unwrap_or(Value::Null));
    }
    let mut expandable = Map::new();
    for e in EXPANDABLE {
        let val = match *e {
            "container" => format!("/rest/api/content/{}", a.page_id),
            "space" => format!("/rest/api/space/{key}"),
            "restrictions" => format!("/rest/api/content/{id}/restriction/byOperation"),
            "history" => format!("/rest/api/content/{id}/history"),
            "descendants" => format!("/rest/api/content/{id}/descendant"),
            "children" => format!("/rest/api/content/{id}/child"),
            _ => String::new(),
        };
        if *e != "metadata" && !ex.has(e) {
            expandable.insert((*e).into(), json!(val));
        }
    }
    m.insert("_expandable".into(), Value::Object(expandable));
    m.insert(
        "_links".into(),
        json!({
            "webui": super::media::webui_link(a),
            "self": format!("{}/rest/api/content/{id}", ctx.base),
            "download": super::media::download_link(a, v),
        }),
    );
    Value::Object(m)
}
