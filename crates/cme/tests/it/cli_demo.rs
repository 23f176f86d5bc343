//! The README's first command, through the real binary: `demo`, twice, then `status`.
use std::process::Command;

#[test]
fn demo_runs_twice_and_status_reads_the_result() {
    let out = std::env::temp_dir().join(format!("cme-cli-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let bin = env!("CARGO_BIN_EXE_cme");
    for _ in 0..2 {
        let run = Command::new(bin)
            .args(["demo", "-o"])
            .arg(&out)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(run.status.success(), "{stderr}");
        assert!(stderr.contains("Exported"), "{stderr}");
        // The demo's blog posts: the bundled one, and the one it posts.
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(stderr.contains("posted      a blog post"), "{stderr}");
        assert!(
            stdout.contains("  new:  DEMO/Blog/") && stdout.contains("/Release 1.1 Is Out.md"),
            "{stdout}"
        );
    }
    assert!(
        out.join("DEMO/Blog/2024/05/Launch Announcement.md")
            .is_file()
    );
    let status = Command::new(bin)
        .args(["status", "--json", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success());
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert!(v["pages"]["active"].as_u64().unwrap() >= 30, "{v}");
    assert_eq!(v["pages"]["blog_posts"], 2, "{v}");
    assert_eq!(v["scopes"].as_array().unwrap().len(), 1);
    assert!(out.join("DEMO").is_dir() && out.join("OPS").is_dir());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn status_without_an_export_is_a_clear_error() {
    let run = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["status", "-o", "/definitely/not/an/export"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("holds no export"));
}

fn demo(out: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["demo", "--export-only", "-o"])
        .arg(out)
        .output()
        .unwrap()
}

/// Every file under `root` with its bytes.
fn snapshot(root: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                out.push((p, bytes));
            }
        }
    }
    out.sort();
    out
}

/// Regression: `demo` over an export of any `http://127.0.0.1:...` site
/// deleted that export's state and mixed the demo in.
#[test]
fn demo_refuses_a_folder_that_is_not_its_own() {
    let root = std::env::temp_dir().join(format!("cme-cli-demo-refuse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    // Another local site's export (a simulator on loopback, like the demo's).
    let sim = confluence_sim::spawn(confluence_sim::SimConfig::demo()).unwrap();
    let export = root.join("export");
    let run = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["spaces", "OPS", "--url", &sim.url(), "-o"])
        .arg(&export)
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", "/nonexistent/cme-demo-test.toml")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // And a folder of someone's notes.
    let notes = root.join("notes");
    std::fs::create_dir_all(&notes).unwrap();
    std::fs::write(notes.join("todo.md"), "buy milk\n").unwrap();

    for folder in [&export, &notes] {
        let before = snapshot(folder);
        let run = demo(folder);
        assert_eq!(run.status.code(), Some(2));
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(
            err.contains("not empty") && err.contains(".cme-demo"),
            "{err}"
        );
        assert_eq!(
            snapshot(folder),
            before,
            "demo changed {}",
            folder.display()
        );
    }

    // An empty folder is fine, and so is the demo's own output, again.
    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    for _ in 0..2 {
        let run = demo(&empty);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(empty.join(".cme-demo").is_file());
    }
    std::fs::remove_dir_all(&root).ok();
}
