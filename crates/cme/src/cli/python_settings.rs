//! The Python confluence-markdown-exporter's settings (`app_data.json`),
//! mapped onto ours: what `cme config import-python` reads. Pure: JSON in,
//! settings and a list of what was not carried over out. Tokens are never
//! copied (our settings file holds none); the import says where to put them.
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// One setting carried over: our key, its value, and the Python key it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub key: &'static str,
    pub value: String,
    pub from: String,
}

/// What an import found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Import {
    pub mapped: Vec<Mapped>,
    /// Python keys that have no equivalent here, with why (or the flag
    /// that does it per run).
    pub skipped: Vec<(String, &'static str)>,
    /// Whether the file held a token or a PAT (not copied).
    pub had_secrets: bool,
}

/// Where the Python tool keeps its settings: `$CME_CONFIG_PATH`, else
/// `app_data.json` in its application folder (the same folder as ours on
/// Linux, `~/.config/confluence-markdown-exporter/`).
pub fn default_path() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CME_CONFIG_PATH").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let ours = crate::cli::config::path()?;
    Ok(ours.parent().map_or_else(
        || PathBuf::from("app_data.json"),
        |d| d.join("app_data.json"),
    ))
}

/// Reads and maps the file at `path`.
pub fn read(path: &Path) -> Result<Import> {
    let text = std::fs::read_to_string(path).with_context(|| {
        format!(
            "cannot read the Python exporter's settings at {}",
            path.display()
        )
    })?;
    let json: Value = serde_json::from_str(&text).with_context(|| {
        format!(
            "{} is not JSON (the Python exporter writes app_data.json as JSON)",
            path.display()
        )
    })?;
    Ok(map(&json))
}

/// Settings the Python tool has and we do not, with what to do instead.
const UNSUPPORTED: &[(&str, &str)] = &[
    (
        "export.output_path",
        "give the folder with -o on each command",
    ),
    ("export.log_level", "use -q, -v or -vv"),
    ("export.save_log_to_file", "use --log-file"),
    (
        "export.comments_export",
        "use --comments on the export command (recorded for sync)",
    ),
    ("export.attachment_href", "attachments follow link-style"),
    ("export.table_column_width", "tables are always compact GFM"),
    (
        "export.page_properties_format",
        "properties go to the front matter and stay a table",
    ),
    (
        "export.include_document_title",
        "pages always start with their title",
    ),
    ("export.skip_unchanged", "sync always skips unchanged pages"),
    (
        "export.cleanup_stale",
        "sync always removes what vanished, with --max-delete as a guard",
    ),
    ("export.lockfile_name", "the state file is .cme-state.json"),
    (
        "export.attachment_path_if_parent",
        "one attachment-path serves every page (with {ancestor_titles} or {ancestors_without_last})",
    ),
];

/// Maps the Python settings `json` (`{"export": …, "connection_config": …,
/// "auth": …}`) onto ours.
pub fn map(json: &Value) -> Import {
    let mut out = Import::default();
    let export = &json["export"];
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let mut put = |key: &'static str, value: Option<String>, from: &str| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            out.mapped.push(Mapped {
                key,
                value,
                from: from.to_owned(),
            });
        }
    };
    // Single-instance credentials: the site and the account, never secrets.
    let sites = json["auth"]["confluence"].as_object();
    if let Some(sites) = sites {
        if sites.len() == 1 {
            let (url, details) = sites.iter().next().expect("one entry");
            put("url", Some(url.clone()), "auth.confluence");
            put(
                "email",
                text(&details["username"]),
                "auth.confluence.username",
            );
        }
        out.had_secrets = sites.values().any(|d| {
            ["api_token", "pat", "session_cookies"].iter().any(|k| {
                d[*k]
                    .as_str()
                    .is_some_and(|s| !s.is_empty() && s != "**********")
            })
        });
    }
    if let Some(jira) = json["auth"]["jira"].as_object()
        && jira.len() == 1
    {
        put("jira-url", jira.keys().next().cloned(), "auth.jira");
    }
    put("link-style", text(&export["page_href"]), "export.page_href");
    put("page-path", text(&export["page_path"]), "export.page_path");
    // Newer Python versions: a page with children gets its own template,
    // which is what cme's parent page path is.
    put(
        "parent-page-path",
        text(&export["page_path_if_parent"]),
        "export.page_path_if_parent",
    );
    put(
        "attachment-path",
        text(&export["attachment_path"]),
        "export.attachment_path",
    );
    put(
        "attachments",
        text(&export["attachments_export"])
            .map(|a| if a == "disabled" { "none".into() } else { a }),
        "export.attachments_export",
    );
    put(
        "breadcrumbs",
        export["page_breadcrumbs"].as_bool().map(|b| b.to_string()),
        "export.page_breadcrumbs",
    );
    put(
        "concurrency",
        json["connection_config"]["max_workers"]
            .as_u64()
            .map(|n| n.clamp(1, 64).to_string()),
        "connection_config.max_workers",
    );
    if let Some(sites) = sites.filter(|s| s.len() > 1) {
        out.skipped.push((
            format!("auth.confluence ({} sites)", sites.len()),
            "one site per export folder: give --url (or a page or space URL) per command",
        ));
    }
    for (key, why) in UNSUPPORTED {
        let (section, name) = key.split_once('.').expect("section.key");
        if !json[section][name].is_null() {
            out.skipped.push(((*key).to_owned(), why));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_supported_setting_maps_and_the_rest_is_named() {
        let json = json!({
            "export": {
                "output_path": "./out",
                "page_href": "wiki",
                "page_path": "{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md",
                "attachment_path": "{space_name}/attachments/{attachment_file_id}{attachment_extension}",
                "attachments_export": "disabled",
                "page_breadcrumbs": false,
                "page_path_if_parent": "{ancestor_titles}/{page_title}/README.md",
                "attachment_path_if_parent": "{ancestor_titles}/_assets/{attachment_title}{attachment_extension}",
                "table_column_width": "mixed",
                "comments_export": "all"
            },
            "connection_config": {"max_workers": 200},
            "auth": {
                "confluence": {"https://acme.atlassian.net": {"username": "me@acme.com", "api_token": "secret-token"}},
                "jira": {"https://acme.atlassian.net": {"username": "me@acme.com"}}
            }
        });
        let got = map(&json);
        let pairs: Vec<(&str, &str)> = got
            .mapped
            .iter()
            .map(|m| (m.key, m.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("url", "https://acme.atlassian.net"),
                ("email", "me@acme.com"),
                ("jira-url", "https://acme.atlassian.net"),
                ("link-style", "wiki"),
                (
                    "page-path",
                    "{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md"
                ),
                (
                    "parent-page-path",
                    "{ancestor_titles}/{page_title}/README.md"
                ),
                (
                    "attachment-path",
                    "{space_name}/attachments/{attachment_file_id}{attachment_extension}"
                ),
                ("attachments", "none"),
                ("breadcrumbs", "false"),
                ("concurrency", "64"),
            ]
        );
        assert!(got.had_secrets);
        // No secret anywhere in what is carried over.
        assert!(got.mapped.iter().all(|m| !m.value.contains("secret")));
        let skipped: Vec<&str> = got.skipped.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            skipped,
            [
                "export.output_path",
                "export.comments_export",
                "export.table_column_width",
                "export.attachment_path_if_parent"
            ]
        );
    }

    #[test]
    fn several_sites_are_not_guessed_between() {
        let got = map(&json!({"auth": {"confluence": {"https://a": {}, "https://b": {}}}}));
        assert!(got.mapped.is_empty());
        assert!(got.skipped[0].0.contains("2 sites"));
    }
}
