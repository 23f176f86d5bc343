//! Front matter read by the YAML readers pages are published with: PyYAML
//! (MkDocs) and ruamel (YAML 1.1 and 1.2 resolvers), Ruby's Psych
//! (Jekyll). Every title, label, name and property of 100+ hostile values
//! must come back as the same string. A reader that is not installed is
//! skipped with a note (the Rust-side rules are unit tests of
//! `cme::page::yaml`, which always run).
use cme::page::front_matter::PageFacts;
use cme_client::{PageId, PageInfo, PageMeta, PageStatus, SpaceId, UserRef, Version};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};

/// Values that are not strings to some reader when written plain, values
/// that are YAML syntax, and values that merely look odd.
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        // typed by YAML 1.1 or Psych
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "Null",
        "~",
        "",
        "=",
        "<<",
        "12:30",
        "190:20:30",
        "1_000",
        "1,000",
        "0x1F",
        "0o17",
        "0b101",
        "012",
        "1e3",
        "1.5",
        ".5",
        "1.",
        "-.inf",
        ".NaN",
        "685_230.15",
        "2024-01-01",
        "2024-1-1",
        "2024-13-45",
        "2001-12-14t21:59:43.10-05:00",
        "2001-12-14 21:59:43.10 -5",
        "2024-01-02T09:00:00.000Z",
        ":symbol",
        "::",
        "-1",
        "+1",
        "0",
        "42",
        // YAML syntax
        "---",
        "...",
        "- list",
        "-",
        "? key",
        "a: b",
        "a:b",
        "key:",
        "#hash",
        "a #b",
        "a#b",
        "[x] {y}",
        "{a: 1}",
        "[1, 2]",
        "*alias",
        "&anchor",
        "!tag",
        "!!str",
        "%directive",
        "@at",
        "`tick`",
        "|pipe",
        ">fold",
        "'single'",
        "\"double\"",
        "it's",
        "a\"b",
        "back\\slash",
        "a, b",
        "a,b",
        "<<: *x",
        // whitespace and breaks
        " padded ",
        "trailing ",
        " leading",
        "line\nbreak",
        "two\n\nbreaks",
        "\n",
        "tab\there",
        "\ttab",
        "cr\rlf",
        "a\r\nb",
        // unicode and controls
        "…ünïcödé 💥",
        "\u{85}nel",
        "ls\u{2028}ps\u{2029}",
        "\u{feff}bom",
        "zw\u{200b}j\u{200d}",
        "rtl\u{202e}txt",
        "bell\u{7}",
        "esc\u{1b}[31m",
        "nul\u{0}byte",
        "del\u{7f}",
        "\u{a0}nbsp",
        "ﬁ ligature",
        "𝔘𝔫𝔦",
        "日本語のタイトル",
        // ordinary, must stay plain
        "Demo Home",
        "Release notes",
        "yesterday",
        "Norway",
        "1st floor",
        "10:30am",
        "v1.0",
        "1.2.3",
        "2024-01-01 Meeting notes",
        "null island",
    ]
    .map(str::to_owned)
    .to_vec();
    v.push("x".repeat(2000));
    v.push(format!("1{}", "_0".repeat(100)));
    v.push(format!("1{}", "_0".repeat(600)));
    v
}

fn meta(s: &str) -> PageMeta {
    let user = |id: &str| UserRef {
        id: id.into(),
        display_name: Some(s.into()),
    };
    PageMeta {
        id: PageId::new(s),
        kind: cme_client::ContentKind::Page,
        title: s.to_owned(),
        space_id: SpaceId::new("1"),
        parent: None,
        position: None,
        status: PageStatus::Current,
        version: Version(3),
        modified_at: "2026-01-02T03:04:05.000Z".into(),
        info: Box::new(PageInfo {
            created_at: Some(s.into()),
            author: Some(user("a")),
            last_editor: Some(user("b")),
            labels: Some(vec![s.to_owned(), "ops".into()]),
        }),
    }
}

/// The YAML between the `---` lines of each hostile value's front matter.
fn documents() -> Vec<(String, String)> {
    hostile()
        .into_iter()
        .map(|s| {
            let m = meta(&s);
            let props = vec![(s.clone(), s.clone()), ("Owner".to_owned(), s.clone())];
            let text = PageFacts::new(&m, None, &s, "https://x.example/p", &HashMap::new(), &props)
                .render()
                .unwrap();
            let yaml = text[4..text.len() - 5].to_owned();
            (s, yaml)
        })
        .collect()
}

/// Reads every document with each reader the script knows and prints a
/// JSON list: per document, per reader, the value with every non-string
/// scalar and key spelled `<<TYPED type:value>>`, or `{"error": ...}`.
const PYTHON: &str = r#"
import json, sys, datetime
readers = {}
try:
    import yaml
    readers["PyYAML"] = lambda t: yaml.safe_load(t)
except ImportError:
    pass
try:
    from ruamel.yaml import YAML
    import io
    def ruamel(typ):
        def load(t):
            return YAML(typ=typ, pure=True).load(io.StringIO(t))
        return load
    readers["ruamel-safe"] = ruamel("safe")
    readers["ruamel-rt"] = ruamel("rt")
except ImportError:
    pass
def norm(x):
    if isinstance(x, str):
        return str(x)
    if isinstance(x, list):
        return [norm(i) for i in x]
    if isinstance(x, dict):
        return {norm(k) if isinstance(k, str) else "<<TYPED key>>": norm(v) for k, v in x.items()}
    return "<<TYPED %s:%r>>" % (type(x).__name__, x)
docs = json.load(sys.stdin)
out = {}
for name, load in readers.items():
    res = []
    for d in docs:
        try:
            res.append(norm(load(d)))
        except Exception as e:
            res.append({"error": str(e)})
    out[name] = res
json.dump(out, sys.stdout)
"#;

const RUBY: &str = r#"
require "yaml"
require "json"
require "date"
def norm(x)
  case x
  when String then x
  when Array then x.map { |i| norm(i) }
  when Hash then x.to_h { |k, v| [k.is_a?(String) ? k : "<<TYPED key>>", norm(v)] }
  else "<<TYPED #{x.class}:#{x.inspect}>>"
  end
end
docs = JSON.parse($stdin.read)
res = docs.map do |d|
  begin
    norm(YAML.safe_load(d, permitted_classes: [Date, Time]))
  rescue Exception => e
    { "error" => e.message }
  end
end
print JSON.generate({ "Psych" => res })
"#;

/// Runs `program args` with `input` on stdin; `None` when it is missing.
fn run(program: &str, args: &[&str], input: &str) -> Option<Value> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        eprintln!(
            "{program} failed, skipped: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[test]
fn hostile_values_read_back_as_the_same_strings_in_every_reader() {
    let docs = documents();
    let input = serde_json::to_string(&docs.iter().map(|(_, y)| y).collect::<Vec<_>>()).unwrap();
    let mut results = serde_json::Map::new();
    for (program, args) in [("python3", vec!["-c", PYTHON]), ("ruby", vec!["-e", RUBY])] {
        match run(program, &args, &input) {
            Some(Value::Object(m)) => results.extend(m),
            _ => eprintln!("note: {program} is not available; its readers were skipped"),
        }
    }
    if results.is_empty() {
        eprintln!(
            "note: no YAML reader installed (pip install pyyaml ruamel.yaml; apt-get install ruby)"
        );
        return;
    }
    eprintln!("readers: {:?}", results.keys().collect::<Vec<_>>());
    let mut failures = Vec::new();
    for (reader, parsed) in &results {
        for ((s, yaml), got) in docs.iter().zip(parsed.as_array().unwrap()) {
            let created = if cme::page::yaml::valid_timestamp(s) {
                got["created"].clone()
            } else {
                json!(s)
            };
            let expected = json!({
                "title": s, "page_id": s, "space": s, "version": got["version"],
                "author": s, "last_editor": s, "created": created,
                "modified": got["modified"], "tags": [s, "ops"], "url": "https://x.example/p",
                "properties": if s == "Owner" { json!({"Owner": s}) } else { json!({s: s, "Owner": s}) },
            });
            let typed = |v: &Value, prefix: &str| v.as_str().is_some_and(|t| t.starts_with(prefix));
            let dates_ok = typed(&got["modified"], "<<TYPED datetime")
                || typed(&got["modified"], "<<TYPED Time")
                || typed(&got["modified"], "<<TYPED TimeStamp");
            let version_ok =
                typed(&got["version"], "<<TYPED int") || typed(&got["version"], "<<TYPED Integer");
            if *got != expected || !dates_ok || !version_ok {
                failures.push(format!("{reader}: {s:?}\n{yaml}\n=> {got}\n"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} read back wrong:\n{}",
        failures.len(),
        docs.len() * results.len(),
        failures.join("\n")
    );
}
