//! `status`: what an output folder tracks, read from its state file only.
use crate::state::{State, TrackedStatus};
use anyhow::{Result, bail};
use clap::Args;
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
    let Some(state) = State::load(&args.output_path)? else {
        bail!(
            "`{}` holds no export (no `{}`); run an export command first",
            args.output_path.display(),
            crate::state::STATE_FILE
        );
    };
    let summary = Summary::of(&state);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summary.to_json(&state))?
        );
    } else {
        print!("{}", summary.render(&state));
    }
    Ok(())
}

struct Summary {
    active: usize,
    deleted: usize,
    attachments: usize,
}

impl Summary {
    fn of(state: &State) -> Self {
        let active = state
            .pages
            .values()
            .filter(|p| p.status == TrackedStatus::Active)
            .count();
        Self {
            active,
            deleted: state.pages.len() - active,
            attachments: state.pages.values().map(|p| p.attachments.len()).sum(),
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
            out.push_str(&format!("  {cmd} {}\n", s.args.join(" ")).replace(" \n", "\n"));
        }
        out.push_str(&format!(
            "Pages:           {} tracked ({} active, {} deleted)\nAttachments:     {}\n",
            state.pages.len(),
            self.active,
            self.deleted,
            self.attachments
        ));
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
            "pages": {"total": state.pages.len(), "active": self.active, "deleted": self.deleted},
            "attachments": self.attachments,
            "min_export_timestamp": state.min_export_timestamp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{PageState, Scope, ScopeCommand};
    use cme_client::{PageId, Version};

    #[test]
    fn counts_active_and_deleted_pages() {
        let mut s = State::new("https://x.atlassian.net/wiki");
        s.add_scope(Scope {
            command: ScopeCommand::Spaces,
            args: vec!["ENG".into()],
        });
        for (id, status) in [("1", TrackedStatus::Active), ("2", TrackedStatus::Deleted)] {
            s.pages.insert(
                PageId::new(id),
                PageState {
                    version: Version(3),
                    last_exported: "2026-01-01T00:00:00Z".into(),
                    output_path: format!("ENG/{id}.md"),
                    status,
                    title: None,
                    parent: None,
                    deps: Vec::new(),
                    deps_hash: None,
                    uses: Vec::new(),
                    hash: None,
                    previous_paths: Vec::new(),
                    attachments: Default::default(),
                },
            );
        }
        let text = Summary::of(&s).render(&s);
        assert!(text.contains("  spaces ENG\n"), "{text}");
        assert!(text.contains("2 tracked (1 active, 1 deleted)"), "{text}");
        let json = Summary::of(&s).to_json(&s);
        assert_eq!(json["pages"]["deleted"], 1);
    }
}
