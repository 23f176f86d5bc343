//! The `convert` subcommand through the real binary.
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_confluence-markdown-exporter"))
        .args(args)
        // Never the developer's own settings file.
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn converts_stdin_to_markdown() {
    let out = run(
        &["convert", "--space", "DEMO", "--title", "Start"],
        r#"<h2>Setup</h2><p>Run <code>make</code> &amp; see <ac:link><ri:page ri:content-title="Other Page"/></ac:link>.</p>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">bash</ac:parameter><ac:plain-text-body><![CDATA[echo "hi"]]></ac:plain-text-body></ac:structured-macro>"#,
    );
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with("# Start\n"), "{md}");
    assert!(md.contains("## Setup"), "{md}");
    assert!(md.contains("`make` &"), "{md}");
    assert!(
        md.contains("[Other Page](/display/DEMO/Other+Page)"),
        "{md}"
    );
    assert!(md.contains("```bash\necho \"hi\"\n```"), "{md}");
}

#[test]
fn reads_a_file_and_the_cme_alias_behaves_the_same() {
    let dir = std::env::temp_dir().join(format!("cme-convert-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("page.xml");
    std::fs::write(&file, "<p>one <em>two</em></p>").unwrap();
    let long = run(&["convert", file.to_str().unwrap()], "");
    let short = Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["convert", file.to_str().unwrap()])
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(long.status.success());
    assert_eq!(String::from_utf8_lossy(&long.stdout).trim(), "one *two*");
    assert_eq!(long.stdout, short.stdout);
}

#[test]
fn missing_file_is_a_clear_error_with_exit_code_2() {
    let out = run(&["convert", "/definitely/missing.xml"], "");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.starts_with("error: cannot read `/definitely/missing.xml`"),
        "{err}"
    );
    assert!(err.contains("Caused by:"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn malformed_input_still_converts_and_keeps_text() {
    let out = run(
        &["convert", "--quiet"],
        "<p>open <strong>bold <em>both</p><p>after &bogus; & < end",
    );
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    for word in ["open", "bold", "both", "after", "end"] {
        assert!(md.contains(word), "lost {word:?} in {md}");
    }
    assert!(out.stderr.is_empty(), "--quiet prints no warnings");
}

#[test]
fn markdown_flags_change_links_and_panels() {
    let input = r#"<p><ac:structured-macro ac:name="jira"><ac:parameter ac:name="key">CME-42</ac:parameter></ac:structured-macro> and <ac:link><ri:page ri:content-title="Other"/></ac:link></p><ac:structured-macro ac:name="info"><ac:rich-text-body><p>x</p></ac:rich-text-body></ac:structured-macro>"#;
    let plain = run(&["convert", "--quiet"], input);
    let flagged = run(
        &[
            "convert",
            "--quiet",
            "--jira-url",
            "https://jira.example.com",
            "--link-style",
            "wiki",
            "--alert-style",
            "blockquote",
        ],
        input,
    );
    let (plain, flagged) = (
        String::from_utf8(plain.stdout).unwrap(),
        String::from_utf8(flagged.stdout).unwrap(),
    );
    assert!(plain.contains("> [!NOTE]"), "{plain}");
    assert!(!plain.contains("jira.example.com"), "{plain}");
    assert!(
        flagged.contains("[CME-42](https://jira.example.com/browse/CME-42)"),
        "{flagged}"
    );
    assert!(flagged.contains("[[Other]]"), "{flagged}");
    assert!(!flagged.contains("[!NOTE]"), "{flagged}");
}

/// `--comments` is shared with the export commands but means nothing to one
/// document: a clear refusal, not a silently ignored flag.
#[test]
fn comments_are_refused_with_a_reason() {
    let out = run(&["convert", "--comments", "all"], "<p>x</p>");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("`--comments` applies to exports"), "{err}");
    assert!(out.stdout.is_empty());
}
