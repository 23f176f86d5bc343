//! The answers to a page's recorded questions ([`Dep`]), from this run's
//! layout and attachment listings. The converter's context and the planner
//! both hash answers here, so a page is rewritten exactly when what its
//! Markdown depends on changed.
use crate::deps::{AttachmentIndex, CHILDREN_DEPTH, Dep, INCOMPLETE};
use crate::page::jira::Jira;
use crate::place::layout::{Layout, Placed};
use cme_client::PageId;
use std::fmt::Write as _;

/// A hash of the answers to `deps` for `page`, from `layout`, `atts` and
/// what Jira answered (`jira`): 32
/// hex digits. A question we cannot read (a state written by a newer build)
/// gives [`INCOMPLETE`], so that page is rewritten rather than trusted.
pub fn answers_hash(
    page: &Placed,
    deps: impl IntoIterator<Item = impl AsRef<str>>,
    layout: &Layout,
    atts: &AttachmentIndex,
    jira: &Jira,
) -> String {
    let mut text = String::new();
    for d in deps {
        let d = d.as_ref();
        text.push_str(d);
        text.push('=');
        match Dep::decode(d) {
            Some(Dep::JiraIssue { server, key }) => {
                text.push_str(&jira.answer_issue(&server, &key));
            }
            Some(Dep::JiraQuery(q)) => text.push_str(&jira.answer_query(&q)),
            Some(dep) => answer(&mut text, page, &dep, layout, atts),
            None => return INCOMPLETE.to_owned(),
        }
        text.push('\n');
    }
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(text.as_bytes()))
}

fn answer(out: &mut String, page: &Placed, dep: &Dep, layout: &Layout, atts: &AttachmentIndex) {
    match dep {
        Dep::Link(k) => match layout.resolve_key(k) {
            Some(p) => out.push_str(p.path.as_str()),
            None => out.push('-'),
        },
        Dep::Include(k) => match layout.resolve_key(k) {
            Some(p) => {
                let _ = write!(out, "{}@{}:{}", p.meta.id, p.meta.version, p.path);
            }
            None => out.push('-'),
        },
        Dep::AttachmentOwner(k) => match layout.resolve_key(k) {
            Some(p) => {
                let _ = write!(out, "{}/{}", p.space, p.meta.id);
                // Files not under their plain name (a clash): links to them
                // change when the clash does.
                for (file, name) in layout.renamed_attachments(&p.meta.id) {
                    let _ = write!(out, "|{file}>{name}");
                }
            }
            None => out.push('-'),
        },
        Dep::Children => children(out, &page.children, layout, CHILDREN_DEPTH, false),
        Dep::ChildTree { depth, modified } => {
            children(out, &page.children, layout, *depth, *modified)
        }
        Dep::Space(space) => match layout.homepage(space) {
            Some(p) => out.push_str(p.path.as_str()),
            None => out.push('-'),
        },
        Dep::AttachmentFile(k, file) => match layout.resolve_key(k) {
            Some(p) if layout.has_attachment(&p.meta.id, file) => out.push('+'),
            _ => out.push('-'),
        },
        Dep::Report { spaces, labels } => {
            let labelled = |p: &Placed| {
                labels.as_ref().is_none_or(|want| {
                    p.meta
                        .info
                        .labels
                        .as_deref()
                        .unwrap_or_default()
                        .iter()
                        .any(|l| want.iter().any(|w| w.eq_ignore_ascii_case(l)))
                })
            };
            let mut rows: Vec<String> = layout
                .iter()
                .filter(|p| spaces.as_ref().is_none_or(|s| s.contains(&p.space)))
                .filter(|p| labelled(p))
                .map(|p| {
                    let parent = p.meta.parent.as_ref().map_or("", |(id, _)| id.as_str());
                    let labels = p.meta.info.labels.as_deref().unwrap_or_default().join(",");
                    format!(
                        "{}@{}|{}|{labels}|{parent}|{}",
                        p.meta.id, p.meta.version, p.meta.title, p.path
                    )
                })
                .collect();
            rows.sort_unstable();
            for r in rows {
                out.push_str(&r);
                out.push('\n');
            }
        }
        // Answered by `answers_hash` from Jira's answers.
        Dep::JiraIssue { .. } | Dep::JiraQuery(_) => {}
        Dep::AttachmentList => {
            for a in atts.get(&page.meta.id).into_iter().flatten() {
                out.push_str(&a.filename);
                out.push('|');
            }
        }
    }
}

/// Children `levels` deep, in order; with their modification dates when
/// `modified`.
fn children(out: &mut String, ids: &[PageId], layout: &Layout, levels: usize, modified: bool) {
    for c in ids.iter().filter_map(|id| layout.get(id)) {
        let _ = write!(out, "({}|{}|{}", c.meta.id, c.meta.title, c.path);
        if modified {
            let _ = write!(out, "|{}", c.meta.modified_at);
        }
        if levels > 1 {
            children(out, &c.children, layout, levels - 1, modified);
        }
        out.push(')');
    }
}
