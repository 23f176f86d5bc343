//! The README, run: every `cme …` example in its `sh` blocks runs against
//! the simulator's demo site and must succeed, and every output block marked
//! `<!-- checked: NAME -->` must be what the binary prints in that scenario
//! (numbers, `…`, quoted names, paths and URLs may differ; the words, their
//! order and the punctuation may not).
//!
//! Examples name a site we cannot reach (`https://example.atlassian.net`,
//! spaces `ENG`, pages `123456` and `987`): they run with the demo site's
//! URL, `DEMO` and its pages instead. An export example without `--append`
//! starts from an empty folder, as a reader trying it would.
use crate::common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use regex::Regex;
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap()
}

/// The `cme …` lines of the README's code blocks, in order; they must be
/// `sh` blocks.
fn examples(readme: &str) -> Vec<String> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in readme.lines() {
        let t = line.trim_start();
        if let Some(info) = t.strip_prefix("```") {
            fence = match fence {
                None => Some(info.trim()),
                Some(_) => None,
            };
            continue;
        }
        if fence.is_some() && t.starts_with("cme ") {
            // An example outside an `sh` block would escape this test.
            assert_eq!(
                fence,
                Some("sh"),
                "README shows `{t}` outside an `sh` block"
            );
            out.push(t.to_owned());
        }
    }
    out
}

/// The output blocks marked `<!-- checked: NAME -->` (the marker on the line
/// before the fence), by name.
fn checked_blocks(readme: &str) -> BTreeMap<String, Vec<String>> {
    let marker = Regex::new(r"^<!-- checked: ([a-z-]+) -->$").unwrap();
    let mut blocks = BTreeMap::new();
    let mut lines = readme.lines();
    while let Some(line) = lines.next() {
        let Some(name) = marker.captures(line.trim()).map(|c| c[1].to_owned()) else {
            continue;
        };
        let fence = lines.next().unwrap_or_default();
        assert!(
            fence.starts_with("```"),
            "marker `{name}` is not before a fence"
        );
        let body: Vec<String> = lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .map(str::to_owned)
            .collect();
        assert!(
            blocks.insert(name.clone(), body).is_none(),
            "marker `{name}` twice"
        );
    }
    blocks
}

/// A README line as a pattern: `…` is anything; numbers, `quoted` names,
/// paths, URLs and the parts in `vary` stand for any of their kind; a word
/// counted by a number may be singular or plural.
fn pattern(line: &str, vary: &[&str]) -> Regex {
    // Tokens: (regex of the kind, replacement). Applied in one pass, left
    // to right, over the literal text.
    let kinds = Regex::new(concat!(
        r"(?P<any>…)",
        r"|(?P<tick>`[^`]*`)",
        r"|(?P<url>https?://\S+)",
        r"|(?P<path>(?:\.{0,2}/)?[\w.-]+(?:/[\w .&@-]+)+\.\w+|(?:/[\w.-]+)+(?:\?\S*)?|\./[\w.-]+)",
        r"|(?P<num>\d[\d,]*(?:\.\d+)?)(?P<unit> (?:B|KiB|MiB|GiB|s))?(?P<plural> [a-z]+)?",
    ))
    .unwrap();
    let mut text = line.to_owned();
    for v in vary {
        text = text.replace(v, "…");
    }
    let mut re = String::from("^");
    let mut last = 0;
    for c in kinds.captures_iter(&text) {
        let m = c.get(0).unwrap();
        re.push_str(&regex::escape(&text[last..m.start()]));
        last = m.end();
        if c.name("any").is_some() {
            re.push_str(".*?");
        } else if c.name("tick").is_some() {
            re.push_str("`[^`]*`");
        } else if c.name("url").is_some() || c.name("path").is_some() {
            re.push_str(r"\S.*?");
        } else {
            re.push_str(r"\d[\d,]*(?:\.\d+)?");
            if c.name("unit").is_some() {
                re.push_str(" (?:B|KiB|MiB|GiB|s)");
            }
            if let Some(word) = c.name("plural") {
                let w = word.as_str().trim();
                let stem = w
                    .strip_suffix("ies")
                    .map(|s| format!("{s}(?:y|ies)"))
                    .or_else(|| w.strip_suffix('y').map(|s| format!("{s}(?:y|ies)")))
                    .unwrap_or_else(|| format!("{}s?", regex::escape(w.trim_end_matches('s'))));
                re.push(' ');
                re.push_str(&stem);
            }
        }
    }
    re.push_str(&regex::escape(&text[last..]));
    re.push('$');
    Regex::new(&re).unwrap()
}

/// How a block is compared with what the binary printed.
#[derive(Clone, Copy)]
struct Rule {
    /// The block's lines come in this order (else: anywhere).
    ordered: bool,
    /// Every non-empty line printed is also one of the block's.
    both: bool,
}

const IN_ORDER: Rule = Rule {
    ordered: true,
    both: false,
};

/// Every line of the README block `name` is a line of `actual`, as `rule`
/// says.
fn check(
    blocks: &BTreeMap<String, Vec<String>>,
    name: &str,
    actual: &str,
    vary: &[&str],
    rule: Rule,
) {
    let block = blocks
        .get(name)
        .unwrap_or_else(|| panic!("README has no block marked `<!-- checked: {name} -->`"));
    let patterns: Vec<Regex> = block.iter().map(|l| pattern(l, vary)).collect();
    let lines: Vec<&str> = actual.lines().collect();
    let mut at = 0;
    for (readme_line, p) in block.iter().zip(&patterns) {
        match lines[at..].iter().position(|l| p.is_match(l)) {
            Some(i) if rule.ordered => at += i + 1,
            Some(_) => {}
            None => panic!(
                "README block `{name}` says\n  {readme_line}\nbut the binary printed no such line (in order) in:\n{actual}"
            ),
        }
    }
    if rule.both {
        for l in lines.iter().filter(|l| !l.trim().is_empty()) {
            assert!(
                patterns.iter().any(|p| p.is_match(l)),
                "the binary printed\n  {l}\nwhich README block `{name}` does not show:\n{}",
                block.join("\n")
            );
        }
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A user's machine: a home with its own settings folder, the demo site's
/// credentials in the environment, a working folder.
struct Machine {
    root: PathBuf,
    home: PathBuf,
    work: PathBuf,
}

impl Machine {
    fn new(name: &str) -> Self {
        let root = tmp(name);
        let _ = std::fs::remove_dir_all(&root);
        let home = root.join("home");
        let work = root.join("work");
        std::fs::create_dir_all(home.join(".config/confluence-markdown-exporter")).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        Machine { root, home, work }
    }

    fn cme(&self, args: &[String], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cme"));
        cmd.args(args).current_dir(&self.work);
        for var in [
            "CME_URL",
            "CME_PAT",
            "CME_FLAVOR",
            "CME_JIRA_URL",
            "CME_CONFIG",
            "CME_CONFIG_PATH",
            "CME_LOG",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("CME_EMAIL", "sim@example.com")
            .env("CME_API_TOKEN", "sim-token");
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// An example's words as the shell would pass them, for the demo site: the
/// comment and any redirection dropped, the unreachable site's names
/// replaced, `~` expanded.
fn words(example: &str, sim: &SimHandle, home: &Path) -> Vec<String> {
    let command = example.split(" #").next().unwrap();
    let command = command.split(['>', '|']).next().unwrap();
    let url = sim.url();
    let port = url.rsplit(':').next().unwrap().to_owned();
    let mut out = Vec::new();
    for w in shell_words(command).into_iter().skip(1) {
        let w = w
            .replace("https://example.atlassian.net", &url)
            .replace("http://127.0.0.1:PORT", &format!("http://127.0.0.1:{port}"))
            .replace("/spaces/ENG/pages/987/", "/spaces/DEMO/pages/1002/")
            .replace('~', home.to_str().unwrap());
        out.push(match w.as_str() {
            "ENG" => "DEMO".to_owned(),
            "123456" => "1001".to_owned(),
            "987" => "1002".to_owned(),
            _ => w,
        });
    }
    out
}

fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    let mut any = false;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        words.push(word);
    }
    words
}

/// The output folder an example names (`-o X` / `--output-path X`).
fn output_of(words: &[String]) -> Option<&str> {
    words
        .iter()
        .position(|w| w == "-o" || w == "--output-path")
        .and_then(|i| words.get(i + 1))
        .map(String::as_str)
}

#[test]
fn every_readme_example_runs_against_the_simulator() {
    let readme = readme();
    let examples = examples(&readme);
    assert!(examples.len() > 30, "only {} examples", examples.len());
    let sim = spawn(SimConfig::demo()).unwrap();
    let m = Machine::new("readme-examples");
    // What the examples read: a storage-format page, and the Python
    // exporter's settings beside ours (for `config import-python`).
    std::fs::write(
        m.work.join("page.xml"),
        "<h1>Title</h1><p>Some <strong>text</strong>.</p>",
    )
    .unwrap();
    std::fs::write(
        m.home
            .join(".config/confluence-markdown-exporter/app_data.json"),
        json!({
            "export": {"page_href": "relative", "attachments_export": "referenced"},
            "auth": {"confluence": {sim.url(): {"username": "sim@example.com", "api_token": "sim-token"}}}
        })
        .to_string(),
    )
    .unwrap();
    let exports = [
        "spaces",
        "all-spaces",
        "pages",
        "pages-with-descendants",
        "space",
    ];
    for example in &examples {
        let words = words(example, &sim, &m.home);
        if exports.contains(&words[0].as_str())
            && !words.iter().any(|w| w == "--append")
            && let Some(out) = output_of(&words)
        {
            let _ = std::fs::remove_dir_all(m.work.join(out));
        }
        let o = m.cme(&words, &[]);
        assert!(
            o.status.success(),
            "README example `{example}` (run as {words:?}) failed with {:?}:\n{}",
            o.status.code(),
            text(&o)
        );
        if words[0] == "completions" || words[0] == "convert" {
            assert!(!o.stdout.is_empty(), "`{example}` printed nothing");
        }
        if words[0..2] == ["config", "get"] {
            assert!(!o.stdout.is_empty(), "`{example}` printed nothing");
        }
    }
    // They did what they say.
    let docs = m.work.join("docs");
    assert!(docs.join(cme::state::STATE_FILE).is_file());
    assert!(m.work.join("page.md").exists() || m.work.join("demo-out").is_dir());
}

/// A demo export (in-process), with the binary's view of it.
fn exported(name: &str) -> (Site, PathBuf) {
    let site = Site::exported(name);
    let out = site.out.clone();
    (site, out)
}

#[test]
fn the_sync_report_is_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let (site, out) = exported("readme-report");
    let o = out.to_str().unwrap();
    // The kinds of change the block shows: new, modified, moved, deleted and
    // an attachment's new version; and an attachment that fails.
    let home = site.id_at("DEMO/Demo Home.md");
    let monitoring = site.id_at("OPS/Operations Home/Monitoring.md");
    let windows = site.id_at("DEMO/Demo Home/Getting Started/Installation/Windows Setup.md");
    let getting = site.id_at("DEMO/Demo Home/Getting Started.md");
    let blank = site.id_at("DEMO/Demo Home/Blank Page.md");
    let edit = |id: &str, body: &str| {
        site.ctl(
            "PATCH",
            &format!("/__sim/pages/{id}"),
            json!({ "body": body }),
        );
    };
    edit(&monitoring, "<p>edited</p>");
    site.ctl(
        "PATCH",
        &format!("/__sim/pages/{windows}"),
        json!({"parent_id": getting}),
    );
    site.ctl("DELETE", &format!("/__sim/pages/{blank}"), None);
    site.ctl(
        "POST",
        "/__sim/pages",
        json!({"space": "OPS", "title": "New Design", "body": "<p>new</p>"}),
    );
    site.ctl(
        "POST",
        &format!("/__sim/pages/{home}/attachments"),
        json!({"filename": "sim-logo.png", "media_type": "image/png", "data_base64": "iVBORw0KGgo="}),
    );
    // The checklist's new version cannot be downloaded.
    let checklist = site.id_at("OPS/Operations Home/Runbooks/On-call Checklist.md");
    site.ctl(
        "POST",
        &format!("/__sim/pages/{checklist}/attachments"),
        json!({"filename": "on-call-checklist.pdf", "media_type": "application/pdf", "data_base64": "JVBERi0="}),
    );
    site.ctl(
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500], "only_matching": "on-call-checklist"}),
    );
    let run = cli(&["sync", "-o", o, "--retry-budget", "0"], &site.sim);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let stdout = String::from_utf8_lossy(&run.stdout);
    check(
        &blocks,
        "sync-report",
        &stdout,
        &[],
        Rule {
            ordered: false,
            both: true,
        },
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn status_is_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("readme-status");
    let o = out.to_str().unwrap();
    let guide = "1002";
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{guide}/comments"),
        json!({"body": "<p>Looks good.</p>", "location": "footer"}),
    );
    let e = cli(
        &[
            "spaces",
            "DEMO",
            "--include-archived",
            "--layout",
            "mkdocs",
            "--breadcrumbs",
            "--comments",
            "all",
            "-q",
            "-o",
            o,
        ],
        &sim,
    );
    assert!(e.status.success(), "{}", text(&e));
    let s = cli(&["status", "-o", o], &sim);
    assert!(s.status.success(), "{}", text(&s));
    let said = String::from_utf8_lossy(&s.stdout);
    check(
        &blocks,
        "status",
        &said,
        &[],
        Rule {
            ordered: true,
            both: true,
        },
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_held_mass_deletion_is_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let (site, out) = exported("readme-held");
    // Every OPS page and all but three DEMO pages go.
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let mut kept = 0;
    for (id, page) in &state.pages {
        if page.output_path.starts_with("DEMO/") && kept < 3 {
            kept += 1;
            continue;
        }
        site.ctl("DELETE", &format!("/__sim/pages/{id}?purge=true"), None);
    }
    // Run as the README does: from the folder above, `-o ./docs`.
    let parent = out.parent().unwrap();
    let docs = parent.join("docs");
    let _ = std::fs::remove_dir_all(&docs);
    std::fs::rename(&out, &docs).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["sync", "-o", "./docs"])
        .current_dir(parent)
        .env("CME_URL", site.sim.url())
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    check(
        &blocks,
        "held-deletion",
        &String::from_utf8_lossy(&o.stderr),
        &[],
        IN_ORDER,
    );
    std::fs::remove_dir_all(&docs).ok();
}

#[test]
fn the_demo_notes_and_totals_are_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let out = tmp("readme-demo");
    let _ = std::fs::remove_dir_all(&out);
    let o = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["demo", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let stderr = String::from_utf8_lossy(&o.stderr);
    check(&blocks, "notes", &stderr, &[], IN_ORDER);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_log_is_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let (site, out) = exported("readme-log");
    let monitoring = site.id_at("OPS/Operations Home/Monitoring.md");
    site.ctl(
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>edited</p>"}),
    );
    // Some requests fail once and are retried.
    site.ctl(
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 0.3, "error_statuses": [500], "seed": 7}),
    );
    let o = cli(&["sync", "-o", out.to_str().unwrap(), "-v"], &site.sim);
    assert!(o.status.success(), "{}", text(&o));
    check(
        &blocks,
        "log",
        &String::from_utf8_lossy(&o.stderr),
        &[],
        IN_ORDER,
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_last_line_is_as_the_readme_shows() {
    let blocks = checked_blocks(&readme());
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("readme-done");
    let o = out.to_str().unwrap();
    let e = cli(&["all-spaces", "--include-archived", "-q", "-o", o], &sim);
    assert!(e.status.success(), "{}", text(&e));
    // Pages written and deleted, an attachment downloaded, retries and a
    // throttled wait: every part of the line.
    let home = id_at(&out, "DEMO/Demo Home.md");
    let monitoring = id_at(&out, "OPS/Operations Home/Monitoring.md");
    let blank = id_at(&out, "DEMO/Demo Home/Blank Page.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>edited</p>"}),
    );
    ctl(&sim, "DELETE", &format!("/__sim/pages/{blank}"), None);
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{home}/attachments"),
        json!({"filename": "sim-logo.png", "media_type": "image/png", "data_base64": "iVBORw0KGgo="}),
    );
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"rate_limit_per_sec": 4, "burst": 4, "retry_after": "1",
               "error_rate": 0.2, "error_statuses": [500], "seed": 3}),
    );
    let s = cli(&["sync", "-o", o], &sim);
    assert!(s.status.success(), "{}", text(&s));
    check(
        &blocks,
        "done",
        &String::from_utf8_lossy(&s.stderr),
        &[],
        IN_ORDER,
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_patterns_can_fail() {
    let p = pattern("3 new, 1 modified, 1 deleted", &[]);
    assert!(p.is_match("12 new, 0 modified, 2 deleted"));
    assert!(!p.is_match("12 new, 0 changed, 2 deleted"));
    let p = pattern("1 attachment downloaded, 1.2 MiB in 57 requests", &[]);
    assert!(p.is_match("3 attachments downloaded, 80.6 KiB in 1 request"));
    assert!(!p.is_match("3 attachments fetched, 80.6 KiB in 1 request"));
    let p = pattern("  mov:  ENG/Guide/Setup.md -> ENG/Handbook/Setup.md", &[]);
    assert!(p.is_match("  mov:  DEMO/A b/C.md -> DEMO/D.md"));
    assert!(!p.is_match("  mov:  DEMO/A b/C.md => DEMO/D.md"));
    let p = pattern("warning: refusing `x` (3 retries)", &[]);
    assert!(p.is_match("warning: refusing `a/b c` (1 retry)"));
}

/// The keys of YAML front matter at the top of `md`, in order.
fn front_matter_keys(md: &str) -> Vec<String> {
    let key = Regex::new(r"^([a-z_]+):").unwrap();
    md.lines()
        .skip(1)
        .take_while(|l| *l != "---")
        .filter_map(|l| key.captures(l).map(|c| c[1].to_owned()))
        .collect()
}

#[test]
fn front_matter_has_the_keys_the_readme_shows_in_its_order() {
    let blocks = checked_blocks(&readme());
    let block = blocks["front-matter"].join("\n");
    let want = front_matter_keys(&block);
    assert!(want.len() >= 10, "{want:?}");
    let (_site, out) = exported("readme-front-matter");
    // A page with labels and properties has every key.
    let files = tree(&out);
    let full = files
        .iter()
        .filter(|(p, _)| p.ends_with(".md"))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .find(|md| md.contains("\ntags:\n") && md.contains("\nproperties:\n"))
        .expect("a demo page with labels and properties");
    assert_eq!(front_matter_keys(&full), want, "{full}");
    std::fs::remove_dir_all(&out).ok();
}
