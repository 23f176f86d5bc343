//! Control endpoints that change pages: create, edit/move/reorder/restore
//! (`PATCH`), trash or purge, and read restrictions. Kept apart from the
//! router so the page lifecycle rules (what makes a new version, what only
//! moves) read in one place.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{author, bad, body_object, id_of, not_found, stamp, str_field};
use crate::http::{Req, Resp};
use crate::model::time;
use crate::model::{Body, Id, Node, NodeKind, Status, Version};
use crate::server::State;

pub fn create_page(state: &State, req: &Req) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let space_key = match str_field(&m, "space") {
        Ok(Some(k)) => k,
        Ok(None) => return bad("space is required"),
        Err(r) => return r,
    };
    let Some(space) = site.space_by_key(space_key).map(|s| s.id) else {
        return not_found(format!("unknown space {space_key:?}"));
    };
    let title = match str_field(&m, "title") {
        Ok(Some(t)) if !t.trim().is_empty() => t.to_string(),
        Ok(_) => return bad("title is required"),
        Err(r) => return r,
    };
    let kind = match str_field(&m, "type") {
        Ok(None | Some("page")) => NodeKind::Page,
        Ok(Some("blogpost")) => NodeKind::BlogPost,
        Ok(Some(t)) => return bad(format!("type must be page or blogpost, not {t:?}")),
        Err(r) => return r,
    };
    let now = time::now();
    // A blog post's title is unique per posting day, a page's per space.
    if kind == NodeKind::BlogPost {
        if site
            .blog_post(space, &title, Some(&time::posting_day(now)))
            .is_some()
        {
            return bad(format!(
                "a blog post titled {title:?} was already posted that day in {space_key}"
            ));
        }
    } else if site.by_title(space, &title).is_some() {
        return bad(format!(
            "a page titled {title:?} already exists in {space_key}"
        ));
    }
    let parent = match m.get("parent_id") {
        None | Some(Value::Null) => None,
        Some(_) if kind == NodeKind::BlogPost => return bad("a blog post has no parent"),
        Some(v) => match id_of(v).and_then(|p| site.node(p)) {
            Some(p) if p.space_id == space => Some(p.id),
            Some(_) => return bad("parent_id is in another space"),
            None => return not_found("unknown parent_id"),
        },
    };
    let body = match str_field(&m, "body") {
        Ok(b) => b.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = site.alloc_id();
    let position = if kind == NodeKind::BlogPost {
        0
    } else {
        site.next_position(space, parent)
    };
    site.insert_node(Node {
        id,
        kind,
        space_id: space,
        parent,
        position,
        status: Status::Current,
        created_ms: now,
        author_id: author.clone(),
        versions: vec![Version {
            number: 1,
            title: Arc::from(title.as_str()),
            body: Body::stored(body),
            author_id: author,
            created_ms: now,
            message: Arc::from(""),
            minor_edit: false,
        }],
        labels: Vec::new(),
        read_restriction: Vec::new(),
        children: Vec::new(),
        attachments: Vec::new(),
    });
    Resp::json(200, &json!({"id": id.to_string()}))
}

pub fn patch_page(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(node) = id.parse::<Id>().ok().and_then(|i| site.node(i)) else {
        return not_found(format!("no page {id}"));
    };
    let id = node.id;
    let space = node.space_id;
    let blog = node.kind == NodeKind::BlogPost;
    let day = time::posting_day(node.created_ms);
    let old_title = node.title().to_string();
    let latest = node.latest().clone();
    let title = match str_field(&m, "title") {
        Ok(t) => t.map(str::to_string),
        Err(r) => return r,
    };
    if let Some(t) = &title {
        if t.trim().is_empty() {
            return bad("title must not be empty");
        }
        if blog {
            if *t != old_title && site.blog_post(space, t, Some(&day)).is_some() {
                return bad(format!("a blog post titled {t:?} was posted that day"));
            }
        } else if *t != old_title && site.by_title(space, t).is_some() {
            return bad(format!("a page titled {t:?} already exists in this space"));
        }
    }
    if blog && (m.contains_key("parent_id") || m.contains_key("position")) {
        return bad("a blog post has no parent or position");
    }
    let body = match str_field(&m, "body") {
        Ok(b) => b.map(str::to_string),
        Err(r) => return r,
    };
    let new_parent = match m.get("parent_id") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(v) => match id_of(v).and_then(|p| site.node(p)) {
            Some(p) if p.space_id != space => return bad("parent_id is in another space"),
            Some(p) if p.id == id || site.ancestors(p.id).contains(&id) => {
                return bad("cannot move a page under itself");
            }
            Some(p) if p.status == Status::Trashed => return bad("parent_id is trashed"),
            Some(p) => Some(Some(p.id)),
            None => return not_found("unknown parent_id"),
        },
    };
    let position = match m.get("position") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(p) => Some(p),
            None => return bad("position must be an integer"),
        },
    };
    let status = match str_field(&m, "status") {
        Ok(None) => None,
        Ok(Some(s)) => match Status::parse(s) {
            Some(s @ (Status::Current | Status::Archived)) => Some(s),
            _ => return bad("status must be current or archived"),
        },
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let message = match str_field(&m, "message") {
        Ok(s) => s.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let minor = m
        .get("minor_edit")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    // Only an edit makes a version: Confluence Cloud moves, reorders and
    // restores a page without bumping `version.number`.
    let bump = m
        .get("new_version")
        .and_then(Value::as_bool)
        .unwrap_or(title.is_some() || body.is_some());
    if new_parent.is_some() || position.is_some() {
        let parent = new_parent.unwrap_or(site.nodes[&id].parent);
        site.place_node(id, parent, position);
    }
    // `"status": "current"` on a trashed page restores it where it was (its
    // parent is never trashed: trashing a page moves its children up).
    if let Some(s) = status {
        site.nodes.get_mut(&id).unwrap().status = s;
    }
    if bump {
        let n = site.nodes.get_mut(&id).unwrap();
        let number = latest.number + 1;
        n.versions.push(Version {
            number,
            title: title
                .as_deref()
                .map(Arc::from)
                .unwrap_or(latest.title.clone()),
            body: body.map(Body::stored).unwrap_or(latest.body.clone()),
            author_id: author,
            created_ms: stamp(latest.created_ms),
            message: Arc::from(message.as_str()),
            minor_edit: minor,
        });
        site.retitle(id, &old_title);
        if let Some(new_title) = title.as_deref().filter(|t| **t != old_title) {
            rewrite_title_links(&mut site, id, &old_title, new_title);
        }
    }
    let n = &site.nodes[&id];
    Resp::json(
        200,
        &json!({"id": id.to_string(), "version": n.version_number(), "parent_id": n.parent.map(|p| p.to_string()), "position": n.position, "status": n.status.as_str()}),
    )
}

/// Confluence rewrites links by title when a page or blog post is renamed:
/// every `<ri:page ri:content-title="Old">` that meant it (no space key and
/// in its space, or its space's key) now names the new title; for a blog
/// post, every `<ri:blog-post>` of its title and posting day. Each linking
/// page gets a new version, saved as Confluence's link updater saves it: by
/// its last author, as a minor edit. Returns how many pages changed.
fn rewrite_title_links(site: &mut crate::model::Site, renamed: Id, old: &str, new: &str) -> usize {
    let Some(node) = site.node(renamed) else {
        return 0;
    };
    let target = match node.kind {
        NodeKind::Page => Target::Page,
        NodeKind::BlogPost => Target::BlogPost(time::posting_day(node.created_ms)),
        NodeKind::Folder => return 0,
    };
    let space = node.space_id;
    let Some(key) = site.spaces.get(&space).map(|s| s.key.clone()) else {
        return 0;
    };
    let mut changed = 0;
    for (id, n) in site.nodes.iter_mut() {
        if *id == renamed || n.status == Status::Trashed {
            continue;
        }
        let latest = n.latest();
        let Body::Stored(text) = &latest.body else {
            continue;
        };
        let Some(rewritten) = retarget(text, &target, old, new, &key, n.space_id == space) else {
            continue;
        };
        let version = Version {
            number: latest.number + 1,
            title: latest.title.clone(),
            body: Body::stored(rewritten),
            author_id: latest.author_id.clone(),
            created_ms: stamp(latest.created_ms),
            message: Arc::from(""),
            minor_edit: true,
        };
        n.versions.push(version);
        changed += 1;
    }
    changed
}

/// What a renamed node's links look like.
#[derive(Debug)]
enum Target {
    /// `<ri:page>`.
    Page,
    /// `<ri:blog-post>` of this posting day (`YYYY/MM/DD`).
    BlogPost(String),
}

/// `body` with its references to `old` (in space `key`; a `<ri:page>`, or a
/// `<ri:blog-post>` of the post's day) naming `new`; `None` when there is
/// none. `same_space`: the body's page is in that space, so a reference
/// without a space key means it too.
fn retarget(
    body: &str,
    target: &Target,
    old: &str,
    new: &str,
    key: &str,
    same_space: bool,
) -> Option<String> {
    let (tag_name, day) = match target {
        Target::Page => ("<ri:page ", None),
        Target::BlogPost(day) => ("<ri:blog-post ", Some(day.as_str())),
    };
    if !body.contains(tag_name) {
        return None;
    }
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    let mut any = false;
    while let Some(at) = rest.find(tag_name) {
        let Some(len) = rest[at..].find('>') else {
            break;
        };
        let tag = &rest[at..at + len];
        out.push_str(&rest[..at]);
        let attrs = attributes(tag);
        let get = |name: &str| attrs.iter().find(|(n, _, _)| *n == name);
        let means_it = get("ri:content-title").is_some_and(|(_, v, _)| unescape(v) == old)
            && day.is_none_or(|d| get("ri:posting-day").is_none_or(|(_, v, _)| *v == d))
            && match get("ri:space-key") {
                None => same_space,
                Some((_, v, _)) => unescape(v) == key,
            };
        match get("ri:content-title") {
            Some((_, _, (from, to))) if means_it => {
                out.push_str(&tag[..*from]);
                out.push_str(&escape(new));
                out.push_str(&tag[*to..]);
                any = true;
            }
            _ => out.push_str(tag),
        }
        rest = &rest[at + len..];
    }
    out.push_str(rest);
    any.then_some(out)
}

/// The `name="value"` pairs of a tag, with where each value lies in it.
fn attributes(tag: &str) -> Vec<(&str, &str, (usize, usize))> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(eq) = tag[i..].find('=') {
        let eq = i + eq;
        let name = tag[..eq]
            .rsplit([' ', '\t', '\n', '\r'])
            .next()
            .unwrap_or("")
            .trim();
        let Some(quote) = tag[eq + 1..]
            .chars()
            .next()
            .filter(|c| *c == '"' || *c == '\'')
        else {
            i = eq + 1;
            continue;
        };
        let start = eq + 2;
        let Some(len) = tag[start..].find(quote) else {
            break;
        };
        out.push((name, &tag[start..start + len], (start, start + len)));
        i = start + len + 1;
    }
    out
}

fn unescape(v: &str) -> String {
    v.replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn escape(v: &str) -> String {
    v.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

pub fn delete_page(state: &State, req: &Req, id: &str) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let Some(id) = id.parse::<Id>().ok().filter(|i| site.node(*i).is_some()) else {
        return not_found(format!("no page {id}"));
    };
    if req.query.flag("purge") {
        site.purge(id);
    } else {
        site.trash(id);
    }
    Resp::empty(204)
}

pub fn restrict(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(id) = id.parse::<Id>().ok().filter(|i| site.node(*i).is_some()) else {
        return not_found(format!("no page {id}"));
    };
    let Some(list) = m.get("read").and_then(Value::as_array) else {
        return bad("read must be a list of account ids");
    };
    let mut read = Vec::new();
    for a in list {
        let Some(a) = a.as_str() else {
            return bad("read must be a list of account ids");
        };
        // Unknown accounts are allowed: a page restricted to someone else.
        read.push(
            site.user(a)
                .map(|u| u.account_id.clone())
                .unwrap_or_else(|| Arc::from(a)),
        );
    }
    site.set_restriction(id, read.clone());
    Resp::json(200, &json!({"id": id.to_string(), "read": read}))
}

#[cfg(test)]
mod rename_tests {
    use super::{Target, retarget};

    #[test]
    fn links_by_title_follow_a_rename_in_their_space_only() {
        let body = r#"<p><ac:link><ri:page ri:content-title="Old &amp; Gold" /></ac:link>
<ac:link><ri:page ri:space-key="DEMO" ri:content-title="Old &amp; Gold"/></ac:link>
<ac:link><ri:page ri:space-key="OPS" ri:content-title="Old &amp; Gold"/></ac:link>
<ac:link><ri:page ri:content-title="Other" /></ac:link></p>"#;
        let got = retarget(
            body,
            &Target::Page,
            "Old & Gold",
            "New \"One\"",
            "DEMO",
            true,
        )
        .unwrap();
        assert_eq!(
            got,
            r#"<p><ac:link><ri:page ri:content-title="New &quot;One&quot;" /></ac:link>
<ac:link><ri:page ri:space-key="DEMO" ri:content-title="New &quot;One&quot;"/></ac:link>
<ac:link><ri:page ri:space-key="OPS" ri:content-title="Old &amp; Gold"/></ac:link>
<ac:link><ri:page ri:content-title="Other" /></ac:link></p>"#
        );
        // From another space, only the links that name the space follow.
        let other = retarget(body, &Target::Page, "Old & Gold", "New", "DEMO", false).unwrap();
        assert!(other.starts_with(r#"<p><ac:link><ri:page ri:content-title="Old &amp; Gold" />"#));
        assert!(other.contains(r#"ri:space-key="DEMO" ri:content-title="New""#));
        assert_eq!(
            retarget("<p>no links</p>", &Target::Page, "A", "B", "DEMO", true),
            None
        );
    }

    #[test]
    fn links_to_a_blog_post_follow_its_rename_on_its_posting_day_only() {
        let body = r#"<p><ac:link><ri:blog-post ri:content-title="News" ri:posting-day="2024/05/01"/></ac:link>
<ac:link><ri:blog-post ri:content-title="News" ri:posting-day="2024/05/02"/></ac:link>
<ac:link><ri:page ri:content-title="News"/></ac:link></p>"#;
        let post = Target::BlogPost("2024/05/01".into());
        let got = retarget(body, &post, "News", "Olds", "DEMO", true).unwrap();
        assert_eq!(
            got,
            r#"<p><ac:link><ri:blog-post ri:content-title="Olds" ri:posting-day="2024/05/01"/></ac:link>
<ac:link><ri:blog-post ri:content-title="News" ri:posting-day="2024/05/02"/></ac:link>
<ac:link><ri:page ri:content-title="News"/></ac:link></p>"#
        );
    }
}
