//! `status`: what an output folder tracks, read from its state file only.
use crate::fs::hash::content_hash;
use crate::fs::paths::OutputPath;
use crate::page::comments::CommentsMode;
use crate::state::{State, TrackedStatus};
use anyhow::{Result, bail};
use clap::Args;
use cme_client::ContentKind;
use std::path::Path;
use std::path::PathBuf;

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Output folder of a previous export
    #[arg(long, short = 'o', default_value = ".", value_name = "PATH")]
    output_path: PathBuf,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

/// Runs `status`. Makes no network call.
pub fn run(args: &StatusArgs) -> Result<()> {
    let Some(mut state) = State::load(&args.output_path)? else {
        bail!(
            "`{}` holds no export (no `{}`); run an export command first",
            args.output_path.display(),
            crate::state::STATE_FILE
        );
    };
    // A run that died leaves finished items in the journal: count them.
    crate::state::journal::replay(&args.output_path, &mut state)?;
    let mut summary = Summary::of(&state);
    summary.local = local_changes(&args.output_path, &state);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary.to_json(&state))?
        );
    } else {
        // Everything in it came from Confluence or the state file.
        print!("{}", crate::terminal::escape_text(&summary.render(&state)));
    }
    Ok(())
}

struct Summary {
    active: usize,
    deleted: usize,
    /// Active entries that are blog posts (counted among `active`).
    blog_posts: usize,
    attachments: usize,
    local: LocalChanges,
}

/// Tracked files that differ from what was written, found without network.
#[derive(Default, serde::Serialize)]
struct LocalChanges {
    /// Tracked files that are gone.
    missing: Vec<String>,
    /// Tracked files whose bytes changed since they were written.
    edited: Vec<String>,
}

/// Reads every active page's file and compares its hash with the recorded
/// one (pages written by a build that recorded no hash are only checked for
/// existence). Attachments are checked for existence.
fn local_changes(output: &Path, state: &State) -> LocalChanges {
    let mut out = LocalChanges::default();
    for ps in state
        .pages
        .values()
        .filter(|p| p.status == TrackedStatus::Active)
    {
        if OutputPath::parse_recorded(&ps.output_path).is_err() {
            continue;
        }
        match std::fs::read(output.join(&*ps.output_path)) {
            Err(_) => out.missing.push(ps.output_path.to_string()),
            Ok(bytes) => {
                if ps.hash.as_ref().is_some_and(|h| *h != content_hash(&bytes)) {
                    out.edited.push(ps.output_path.to_string());
                }
            }
        }
        let sidecar = ps.comments_path.as_deref();
        for a in ps
            .attachments
            .values()
            .map(|a| a.output_path.as_str())
            .chain(sidecar)
        {
            if OutputPath::parse_recorded(a).is_ok()
                && std::fs::symlink_metadata(output.join(a)).is_err()
            {
                out.missing.push(a.to_owned());
            }
        }
    }
    out.missing.sort();
    out.edited.sort();
    out
}

impl Summary {
    fn of(state: &State) -> Self {
        let active = state
            .pages
            .values()
            .filter(|p| p.status == TrackedStatus::Active)
            .count();
        let blog_posts = state
            .pages
            .values()
            .filter(|p| p.status == TrackedStatus::Active && p.kind == ContentKind::BlogPost)
            .count();
        Self {
            active,
            deleted: state.pages.len() - active,
            blog_posts,
            attachments: state.pages.values().map(|p| p.attachments.len()).sum(),
            local: LocalChanges::default(),
        }
    }

    fn render(&self, state: &State) -> String {
        let mut out = format!(
            "Confluence URL:  {}\nSchema version:  {}\nScopes:\n",
            state.confluence_url, state.schema_version
        );
        for s in &state.scopes {
            let cmd = serde_json::to_value(s.command).unwrap_or_default();
            let cmd = cmd.as_str().unwrap_or("?");
            let posts = if s.blog_posts {
                " (with blog posts)"
            } else {
                ""
            };
            out.push_str(&format!("  {cmd} {}{posts}\n", s.args.join(" ")).replace(" \n", "\n"));
        }
        let n = |v: usize| crate::units::thousands(v as u64);
        out.push_str(&format!(
            "Pages:           {} tracked ({} active, {} deleted)\nAttachments:     {}\n",
            n(state.pages.len()),
            n(self.active),
            n(self.deleted),
            n(self.attachments)
        ));
        if self.blog_posts > 0 {
            out.push_str(&format!(
                "Blog posts:      {} (of the active pages)\n",
                n(self.blog_posts)
            ));
        }
        let sidecars = state
            .pages
            .values()
            .filter(|p| p.comments_path.is_some())
            .count();
        if sidecars > 0 {
            out.push_str(&format!("Comments files:  {}\n", n(sidecars)));
        }
        out.push_str(&format!("Written with:    {}\n", options_text(state)));
        for m in &self.local.missing {
            out.push_str(&format!("  missing:  {m}\n"));
        }
        for e in &self.local.edited {
            out.push_str(&format!("  edited:   {e}\n"));
        }
        if !self.local.missing.is_empty() || !self.local.edited.is_empty() {
            out.push_str(&format!(
                "Local changes:   {} missing, {} edited since written (the next `sync` restores missing files; edited ones are overwritten when their page changes)\n",
                n(self.local.missing.len()),
                n(self.local.edited.len())
            ));
        }
        if let Some(ts) = &state.min_export_timestamp {
            out.push_str(&format!(
                "Forced re-export pending for pages exported before {ts}\n"
            ));
        }
        out
    }

    fn to_json(&self, state: &State) -> serde_json::Value {
        serde_json::json!({
            "confluence_url": state.confluence_url,
            "schema_version": state.schema_version,
            "scopes": state.scopes,
            "markdown": state.markdown,
            "layout": state.layout,
            "pages": {"total": state.pages.len(), "active": self.active, "deleted": self.deleted, "blog_posts": self.blog_posts},
            "attachments": self.attachments,
            "min_export_timestamp": state.min_export_timestamp,
            "local": self.local,
        })
    }
}

/// The options the folder's files were written with, on one line: what a
/// plain `sync` keeps using.
fn options_text(state: &State) -> String {
    let mut parts = Vec::new();
    match &state.markdown {
        Some(m) => {
            parts.push(format!("links {}", m.link_style.as_str()));
            parts.push(format!("alerts {}", m.alert_style.as_str()));
            if m.front_matter != Some(false) {
                parts.push("front matter".to_owned());
            }
            if let Some(c) = m.comments.filter(|c| *c != CommentsMode::None) {
                // The flag's own word for it.
                if let Some(v) = clap::ValueEnum::to_possible_value(&c) {
                    parts.push(format!("comments {}", v.get_name()));
                }
            }
            if let Some(j) = &m.jira_url {
                parts.push(format!("Jira {j}"));
            }
            if !m.jira_fetch() {
                parts.push("no Jira fetch".to_owned());
            }
        }
        None => parts.push("default Markdown options".to_owned()),
    }
    match &state.layout {
        Some(l) => {
            if let Some(p) = &l.page_path {
                parts.push(format!("page path `{}`", p.as_str()));
            }
            if let Some(p) = &l.parent_page_path {
                parts.push(format!("parent page path `{}`", p.as_str()));
            }
            if let Some(p) = &l.home_page_path {
                parts.push(format!("home page path `{}`", p.as_str()));
            }
            if let Some(p) = &l.attachment_path {
                parts.push(format!("attachment path `{}`", p.as_str()));
            }
            if let Some(a) = &l.attachments {
                parts.push(format!("attachments {}", a.as_str()));
            }
            if l.breadcrumbs == Some(true) {
                parts.push("breadcrumbs".to_owned());
            }
        }
        None => parts.push("the page tree".to_owned()),
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{PageState, Scope, ScopeCommand};
    use cme_client::{PageId, Version};

    #[test]
    fn says_which_options_a_plain_sync_keeps() {
        let mut state = State::new("https://x.atlassian.net");
        assert_eq!(
            options_text(&state),
            "default Markdown options, the page tree"
        );
        state.markdown = Some(crate::state::MarkdownSettings {
            link_style: crate::options::LinkStyle::Relative,
            alert_style: crate::options::AlertStyle::Gfm,
            jira_url: None,
            jira_fetch: None,
            front_matter: Some(false),
            comments: Some(crate::page::comments::CommentsMode::Inline),
        });
        state.layout = Some(crate::state::LayoutSettings {
            page_path: Some(
                crate::options::template::PathTemplate::parse(
                    "{space_key}/{page_title}.md",
                    crate::options::template::Kind::Page,
                )
                .unwrap(),
            ),
            breadcrumbs: Some(true),
            ..Default::default()
        });
        assert_eq!(
            options_text(&state),
            "links relative, alerts gfm, comments inline, page path `{space_key}/{page_title}.md`, breadcrumbs"
        );
    }

    #[test]
    fn counts_active_and_deleted_pages() {
        let mut s = State::new("https://x.atlassian.net/wiki");
        s.add_scope(Scope {
            command: ScopeCommand::Spaces,
            args: vec!["ENG".into()],
            blog_posts: false,
        });
        for (id, status) in [("1", TrackedStatus::Active), ("2", TrackedStatus::Deleted)] {
            s.pages.insert(
                PageId::new(id),
                PageState {
                    status,
                    ..PageState::minimal(
                        Version(3),
                        "2026-01-01T00:00:00Z",
                        &format!("ENG/{id}.md"),
                    )
                }
                .into(),
            );
        }
        let text = Summary::of(&s).render(&s);
        assert!(text.contains("  spaces ENG\n"), "{text}");
        assert!(text.contains("2 tracked (1 active, 1 deleted)"), "{text}");
        let json = Summary::of(&s).to_json(&s);
        assert_eq!(json["pages"]["deleted"], 1);
        assert!(!text.contains("Blog posts"), "{text}");
        // An active blog post is counted; a deleted one is not.
        for (id, status) in [("3", TrackedStatus::Active), ("4", TrackedStatus::Deleted)] {
            s.pages.insert(
                PageId::new(id),
                Box::new(PageState {
                    status,
                    kind: ContentKind::BlogPost,
                    ..PageState::minimal(Version(1), "2026-01-01T00:00:00Z", "ENG/Blog/x.md")
                }),
            );
        }
        s.scopes[0].blog_posts = true;
        let text = Summary::of(&s).render(&s);
        assert!(
            text.contains("Blog posts:      1 (of the active pages)\n"),
            "{text}"
        );
        assert!(text.contains("  spaces ENG (with blog posts)\n"), "{text}");
        assert_eq!(Summary::of(&s).to_json(&s)["pages"]["blog_posts"], 1);
    }
}
