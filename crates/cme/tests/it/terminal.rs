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
