//! Pasted URLs through the real binary, against Cloud and Data Center
//! simulators (with and without a context path): every form exports the
//! page or space it names, and mistakes are clear errors.

use crate::common;
use confluence_sim::{Flavor, SimConfig, SimHandle, spawn};
use std::path::{Path, PathBuf};
use std::process::Output;

fn cme(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::cme_bin(
        Path::new("/nonexistent/cme-urls-test-config.toml"),
        args,
        env,
    )
}

const CLOUD: &[(&str, &str)] = &[
    ("CME_EMAIL", "sim@example.com"),
    ("CME_API_TOKEN", "sim-token"),
];
const DC: &[(&str, &str)] = &[("CME_PAT", "sim-pat")];

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cme-urls-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The state of an export: its site URL and the page ids it tracks.
fn exported(out: &Path) -> (String, Vec<String>) {
    let text = std::fs::read_to_string(out.join(".cme-state.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut ids: Vec<String> = v["pages"].as_object().unwrap().keys().cloned().collect();
    ids.sort();
    (v["confluence_url"].as_str().unwrap().to_owned(), ids)
}

/// Exports `target` (no `--url`: the URL names the site) and returns the
/// state's site and page ids.
fn export(cmd: &str, target: &str, env: &[(&str, &str)], name: &str) -> (String, Vec<String>) {
    let out = tmp(name);
    let run = cme(&[cmd, target, "-o", out.to_str().unwrap()], env);
    assert!(run.status.success(), "{cmd} {target}: {}", stderr(&run));
    let r = exported(&out);
    std::fs::remove_dir_all(&out).ok();
    r
}

fn dc_sim(context: &str) -> SimHandle {
    spawn(
        SimConfig::demo()
            .flavor(Flavor::DataCenter)
            .context_path(context),
    )
    .unwrap()
}

#[test]
fn cloud_urls_of_every_form() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let base = sim.url();
    let only_2003 = vec!["2003".to_owned()];
    for (i, form) in [
        "/wiki/spaces/OPS/pages/2003/On-call+Checklist",
        "/wiki/spaces/OPS/pages/2003",
        "/wiki/pages/viewpage.action?pageId=2003",
        "/wiki/x/0wc",
    ]
    .iter()
    .enumerate()
    {
        let (site, ids) = export("pages", &format!("{base}{form}"), CLOUD, &format!("c{i}"));
        assert_eq!(site, base, "{form}");
        assert_eq!(ids, only_2003, "{form}");
    }
    // Titles are looked up on Cloud too.
    let (_, ids) = export(
        "pages",
        &format!("{base}/wiki/display/OPS/On-call+Checklist"),
        CLOUD,
        "ctitle",
    );
    assert_eq!(ids, only_2003);
    let (_, ids) = export(
        "pages-with-descendants",
        &format!("{base}/wiki/spaces/OPS/pages/2003/On-call+Checklist"),
        CLOUD,
        "cdesc",
    );
    assert_eq!(ids, vec!["2003", "2004", "2005"]);
    for (i, form) in [
        "/wiki/spaces/OPS",
        "/wiki/spaces/OPS/overview",
        "/wiki/display/OPS",
    ]
    .iter()
    .enumerate()
    {
        let (_, ids) = export("spaces", &format!("{base}{form}"), CLOUD, &format!("cs{i}"));
        assert_eq!(ids.len(), 10, "{form}: {ids:?}");
        assert!(ids.iter().all(|id| id.starts_with('2')), "{form}: {ids:?}");
    }
}

#[test]
fn data_center_urls_with_and_without_a_context_path() {
    for context in ["/confluence", ""] {
        let sim = dc_sim(context);
        let base = format!("{}{context}", sim.url());
        for (i, form) in [
            "/pages/viewpage.action?pageId=1018",
            // The hostile title: `Q&A: <Edge> "Cases" / 100% #1?`.
            "/display/DEMO/Q%26A%3A+%3CEdge%3E+%22Cases%22+%2F+100%25+%231%3F",
            "/pages/viewpage.action?spaceKey=DEMO&title=Q%26A%3A+%3CEdge%3E+%22Cases%22+%2F+100%25+%231%3F",
            "/x/_gM",
        ]
        .iter()
        .enumerate()
        {
            let (site, ids) = export("pages", &format!("{base}{form}"), DC, &format!("d{i}"));
            assert_eq!(site, base, "{form}");
            assert_eq!(ids, vec!["1018"], "{form}");
        }
        let (_, ids) = export(
            "pages",
            &format!(
                "{base}/display/DEMO/%E6%97%A5%E6%9C%AC%E8%AA%9E%E3%81%AE%E3%83%9A%E3%83%BC%E3%82%B8"
            ),
            DC,
            "djp",
        );
        assert_eq!(ids, vec!["1026"]);
        for (i, form) in ["/display/OPS", "/spaces/viewspace.action?key=OPS"]
            .iter()
            .enumerate()
        {
            let (site, ids) = export("spaces", &format!("{base}{form}"), DC, &format!("ds{i}"));
            assert_eq!(site, base, "{form}");
            assert_eq!(ids.len(), 10, "{form}: {ids:?}");
        }
    }
}

#[test]
fn a_url_on_another_host_than_the_site_is_an_error_naming_both() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let other = sim.url().replace("127.0.0.1", "localhost");
    let out = tmp("otherhost");
    let run = cme(
        &[
            "pages",
            &format!("{other}/wiki/spaces/OPS/pages/2003"),
            "--url",
            &sim.url(),
            "-o",
            out.to_str().unwrap(),
        ],
        CLOUD,
    );
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    let port = sim.url().rsplit(':').next().unwrap().to_owned();
    assert!(
        err.contains(&format!("localhost:{port}")) && err.contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn not_found_errors_suggest_near_keys_and_list_the_forms() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let base = sim.url();
    let out = tmp("notfound");
    let o = out.to_str().unwrap();
    let run = cme(&["spaces", "ops", "--url", &base, "-o", o], CLOUD);
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert!(err.contains("did you mean `OPS`"), "{err}");
    assert!(err.contains("/display/KEY"), "{err}");

    let run = cme(
        &[
            "pages",
            &format!("{base}/wiki/display/DEMOO/Getting+Started"),
            "-o",
            o,
        ],
        CLOUD,
    );
    assert_eq!(run.status.code(), Some(2));
    let err = stderr(&run);
    assert!(err.contains("no page titled `Getting Started`"), "{err}");
    assert!(err.contains("did you mean `DEMO`"), "{err}");
    assert!(err.contains("viewpage.action?pageId="), "{err}");

    let run = cme(&["pages", "999999", "--url", &base, "-o", o], CLOUD);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr(&run).contains("/x/AbCd"), "{}", stderr(&run));

    // A space URL where a page is expected: refused while parsing.
    let run = cme(
        &[
            "pages",
            &format!("{base}/wiki/spaces/OPS/overview"),
            "-o",
            o,
        ],
        CLOUD,
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr(&run).contains("not a page id or a page URL"),
        "{}",
        stderr(&run)
    );
    assert!(!out.join("OPS").exists());
    std::fs::remove_dir_all(&out).ok();
}
