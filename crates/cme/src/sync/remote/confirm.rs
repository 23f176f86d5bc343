//! Deletions are confirmed before they are applied: listings can lose
//! pages (a dropped `next` link, a space answered empty, a proxy cutting a
//! page of results), so every page a sync would delete is looked up by id,
//! in bulk (one request per 100 pages, and only when something would be
//! deleted). A page that is still readable and still in a scope's reach
//! was missed by its listing: nothing is deleted, and the run says so.
use crate::state::Scope;
use crate::sync::remote::inventory::{Selection, includes_archived};
use cme_client::{Client, ContentKind, Error, FoundPage, PageId, PageStatus};

/// The pages of `ids` that are readable now and that a scope should have
/// listed, each as a problem naming the page (and `paths` names its file).
/// Pages gone, trashed, out of every scope's reach (moved to a space not
/// exported, out from under an exported tree) or archived where archived
/// pages are not exported are confirmed gone.
pub async fn missed(
    client: &Client,
    scopes: &[Scope],
    ids: &[PageId],
    path: impl Fn(&PageId) -> String,
) -> Result<Vec<String>, Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = client.pages_found(ids).await?;
    let asked: std::collections::HashSet<&PageId> = ids.iter().collect();
    Ok(found
        .iter()
        .filter(|f| asked.contains(&f.id))
        .filter_map(|f| {
            let scope = scopes.iter().find(|s| covers(s, f))?;
            Some(format!(
                "listing `{scope}` left out page {} (`{}`), which is readable by id; \
                 nothing is deleted until a listing is complete",
                f.id,
                path(&f.id)
            ))
        })
        .collect())
}

/// Whether `scope`'s listing should have named the page `found`.
fn covers(scope: &Scope, found: &FoundPage) -> bool {
    let status = match found.status {
        PageStatus::Current => true,
        PageStatus::Archived => includes_archived(scope),
        _ => false,
    };
    // Blog posts are listed only by the space scopes that export them.
    let kind =
        found.kind == ContentKind::Page || scope.blog_posts && found.status == PageStatus::Current;
    status
        && kind
        && match Selection::from_scope(scope) {
            // Every space the account can see: any readable page.
            Selection::AllSpaces => true,
            Selection::Spaces(keys) => found.space.as_ref().is_some_and(|k| keys.contains(k)),
            Selection::Pages { roots, descendants } => roots
                .iter()
                .any(|r| *r == found.id || descendants && found.ancestors.contains(r)),
        }
}

/// Refused credentials (401/403) anywhere in the run (a body batch, a
/// download, a user lookup) stop it before anything is deleted: the
/// executor asks between its steps. What was written is recorded.
pub fn stop_if_refused(client: &Client, before: u64) -> anyhow::Result<()> {
    if client.stats().refused > before {
        let what = client
            .first_refusal()
            .unwrap_or_else(|| "Confluence refused the credentials".to_owned());
        anyhow::bail!(
            "{what}; stopped before deleting anything (what was written is recorded; \
             run `sync` again once the credentials are accepted)"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ScopeCommand;
    use cme_client::{ContentKind, SpaceKey};

    fn found(id: &str, status: PageStatus, space: &str, ancestors: &[&str]) -> FoundPage {
        FoundPage {
            id: PageId::new(id),
            kind: ContentKind::Page,
            status,
            space: Some(SpaceKey::new(space)),
            ancestors: ancestors.iter().map(|a| PageId::new(*a)).collect(),
        }
    }

    fn scope(command: ScopeCommand, args: &[&str]) -> Scope {
        Scope {
            command,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            blog_posts: false,
        }
    }

    #[test]
    fn a_page_is_missed_only_where_a_scope_reaches_it() {
        let p = found("5", PageStatus::Current, "ENG", &["1", "2"]);
        assert!(covers(&scope(ScopeCommand::AllSpaces, &[]), &p));
        assert!(covers(&scope(ScopeCommand::Spaces, &["DOC", "ENG"]), &p));
        // Moved to a space no scope exports: gone from the export.
        assert!(!covers(&scope(ScopeCommand::Spaces, &["DOC"]), &p));
        assert!(covers(&scope(ScopeCommand::Pages, &["5"]), &p));
        assert!(!covers(&scope(ScopeCommand::Pages, &["2"]), &p));
        assert!(covers(
            &scope(ScopeCommand::PagesWithDescendants, &["2"]),
            &p
        ));
        // Moved out from under the exported tree.
        assert!(!covers(
            &scope(ScopeCommand::PagesWithDescendants, &["9"]),
            &p
        ));
    }

    #[test]
    fn archived_pages_are_missed_only_by_scopes_that_export_them() {
        let p = found("5", PageStatus::Archived, "ENG", &[]);
        assert!(!covers(&scope(ScopeCommand::Spaces, &["ENG"]), &p));
        assert!(covers(
            &scope(ScopeCommand::Spaces, &["ENG", "--include-archived"]),
            &p
        ));
        let t = found("5", PageStatus::Trashed, "ENG", &[]);
        assert!(!covers(&scope(ScopeCommand::AllSpaces, &[]), &t));
        // A blog post: only a space scope that exports blog posts lists it.
        let post = FoundPage {
            kind: ContentKind::BlogPost,
            ..found("9", PageStatus::Current, "ENG", &[])
        };
        assert!(!covers(&scope(ScopeCommand::Spaces, &["ENG"]), &post));
        let with_posts = scope(ScopeCommand::Spaces, &["ENG"]).with_blog_posts(true);
        assert!(covers(&with_posts, &post));
        assert!(!covers(
            &scope(ScopeCommand::Pages, &["9"]).with_blog_posts(true),
            &post
        ));
    }
}
