//! Hostile strings from Confluence never reach the terminal raw: titles with
//! escape sequences, carriage returns and bidi overrides are printed as
//! visible `\u{…}` escapes by the report, the warnings and `status`.
use crate::common;

use common::{Site, cli};
use serde_json::json;

/// Bytes a terminal would act on: ESC, CSI, BEL, CR, and the bidi override.
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .filter(|&c| (c.is_control() && c != '\n') || c == '\u{202e}')
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

#[test]
fn titles_with_escape_sequences_are_printed_escaped() {
    let Site { sim, out, .. } = Site::demo("terminal");
    let title = "Evil \u{1b}]0;owned\u{7}\u{1b}[2J\rtitle \u{202e}gpj.exe";
    let (status, body) = sim.control(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "OPS", "title": title,
            "body": format!("<p><ac:link><ri:page ri:content-title=\"Missing {title}\"/></ac:link></p>")})),
    );
    assert!(status < 300, "{status} {body}");

    let export = cli(&["spaces", "OPS", "-o", out.to_str().unwrap()], &sim);
    assert_eq!(
        export.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    assert_eq!(raw_controls(&export.stdout), Vec::<String>::new(), "report");
    assert_eq!(
        raw_controls(&export.stderr),
        Vec::<String>::new(),
        "warnings"
    );
    let warnings = String::from_utf8_lossy(&export.stderr);
    assert!(
        warnings.contains("Evil \\u{1b}]0;owned\\u{7}\\u{1b}[2J\\u{d}title \\u{202e}gpj.exe"),
        "escaped, not dropped: {warnings}"
    );

    // A state file edited by hand (or by an attacker) is printed escaped too.
    let state_file = out.join(".cme-state.json");
    let state = std::fs::read_to_string(&state_file).unwrap();
    let tampered = state.replacen("\"OPS\"", "\"OPS\\u001b[2J\"", 1);
    assert_ne!(state, tampered);
    std::fs::write(&state_file, tampered).unwrap();
    let status = cli(&["status", "-o", out.to_str().unwrap()], &sim);
    assert_eq!(
        status.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert_eq!(raw_controls(&status.stdout), Vec::<String>::new(), "status");
    assert!(String::from_utf8_lossy(&status.stdout).contains("OPS\\u{1b}[2J"));
    std::fs::remove_dir_all(&out).ok();
}

/// Under a pseudo-terminal 40, 80 and 200 columns wide, every frame the
/// progress display draws fits the width (it never wraps), the first one
/// is already styled (no flash of an unstyled bar), and a throttling wait
/// is shown counting down. `script` (util-linux) provides the terminal;
/// where it is missing the test says so and skips.
#[test]
fn the_progress_display_never_wraps_and_counts_down() {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        println!("note: `script` not found; skipping the terminal test");
        return;
    }
    for cols in [40usize, 80, 200] {
        let Site { sim, out, .. } = Site::demo(&format!("pty-{cols}"));
        // Slow enough that frames are drawn, throttled so a wait shows.
        sim.control(
            "PUT",
            "/__sim/faults",
            Some(
                json!({"latency_ms": 30, "error_rate": 0.1, "error_statuses": [429],
                "retry_after": "2", "seed": cols}),
            ),
        );
        let cmd = format!(
            "stty cols {cols} rows 40; exec '{}' all-spaces --url '{}' -o '{}'",
            env!("CARGO_BIN_EXE_cme"),
            sim.url(),
            out.display()
        );
        let o = std::process::Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .env("CME_EMAIL", "sim@example.com")
            .env("CME_API_TOKEN", "sim-token")
            .env("CME_CONFIG", out.with_extension("toml"))
            .env_remove("CME_URL")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
        let text = String::from_utf8_lossy(&o.stdout);
        // indicatif starts each frame by clearing the line.
        let frames: Vec<String> = text
            .split("\u{1b}[2K")
            .skip(1)
            .map(|f| visible(f.split(['\r', '\n']).next().unwrap_or("")))
            .filter(|f| !f.trim().is_empty())
            .collect();
        assert!(frames.len() > 3, "{cols}: too few frames: {text:?}");
        for f in &frames {
            let width = unicode_width(f);
            assert!(width <= cols, "{cols} columns, frame of {width}: {f:?}");
        }
        let first = &frames[0];
        assert!(
            ["listing", "pages", "attachments"]
                .iter()
                .any(|p| first.contains(p)),
            "{cols}: first frame not styled: {first:?}"
        );
        if cols >= 80 {
            // Two-second waits, redrawn as they count down.
            let mut waits: Vec<&String> = frames.iter().filter(|f| f.contains("waiting")).collect();
            assert!(!waits.is_empty(), "{cols}: no throttling shown");
            waits.dedup();
            let shown: std::collections::BTreeSet<&str> = waits
                .iter()
                .filter_map(|f| f.split("waiting ").nth(1))
                .collect();
            assert!(
                shown.len() >= 2,
                "{cols}: the wait does not count down: {shown:?}"
            );
        }
        std::fs::remove_dir_all(&out).ok();
        std::fs::remove_file(out.with_extension("toml")).ok();
    }
}

/// `s` without ANSI escape sequences (CSI `ESC [ … letter`, and the
/// cursor moves indicatif writes).
fn visible(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Columns `s` takes: wide East Asian characters count two.
fn unicode_width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{1100}'..='\u{ffdc}').contains(&c) && c as u32 >= 0x2e80 {
                2
            } else {
                1
            }
        })
        .sum()
}
