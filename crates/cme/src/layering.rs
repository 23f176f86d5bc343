//! The crate's layering, checked: imports point only down the layers
//! `lib.rs` lists, and no file imports (directly or through others) a file
//! that imports it. Read from the source, so a new `use` that breaks either
//! rule fails `cargo test`.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, lowest first, as `lib.rs` declares them.
const LAYERS: [&str; 11] = [
    "alloc", "terminal", "units", "fs", "options", "deps", "state", "place", "page", "sync", "cli",
];

/// Module path (`["sync", "plan"]`) → source file, for every file of `src`.
fn modules(src: &Path) -> BTreeMap<Vec<String>, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path.strip_prefix(src).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.first().is_some_and(|p| p == "bin") || parts == ["main"] {
                continue;
            }
            if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
                parts.pop();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The module paths a file names through `crate::` or `super::`, outside its
/// tests (everything from the first `#[cfg(test)]` on).
fn imports(module: &[String], is_mod_rs: bool, text: &str) -> Vec<Vec<String>> {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    let mut out = Vec::new();
    for (start, kind) in [("crate::", "crate"), ("super::", "super")] {
        for (i, _) in text.match_indices(start) {
            let before = text[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &text[i + start.len()..];
            // `super` is the parent module, whether this file is `x.rs` or `x/mod.rs`.
            let base: Vec<String> = if kind == "crate" {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(1)].to_vec()
            };
            let path: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':' || *c == '{')
                .collect();
            let heads: Vec<String> = if let Some((pre, _)) = path.split_once('{') {
                // `crate::a::{b, c::d}`: each item of the group.
                let group = &rest[pre.len() + 1..];
                let group = group.split('}').next().unwrap_or_default();
                group
                    .split(',')
                    .map(|g| format!("{pre}{}", g.trim()))
                    .collect()
            } else {
                vec![path]
            };
            for h in heads {
                let mut full = base.clone();
                full.extend(
                    h.split("::")
                        .filter(|s| !s.is_empty() && *s != "self")
                        .map(str::to_owned),
                );
                out.push(full);
            }
        }
    }
    if is_mod_rs {
        // A parent that reaches into the children it declares: `mod x;` then `x::…`.
        for line in text.lines() {
            let decl = line
                .trim()
                .trim_start_matches("pub ")
                .trim_start_matches("pub(crate) ");
            let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) else {
                continue;
            };
            let used = text.match_indices(&format!("{name}::")).any(|(i, _)| {
                !text[..i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
            });
            if used {
                let mut child = module.to_vec();
                child.push(name.to_owned());
                out.push(child);
            }
        }
    }
    out
}

/// The file a path resolves to: its longest prefix that is a module.
fn resolve<'a>(
    path: &[String],
    mods: &'a BTreeMap<Vec<String>, PathBuf>,
) -> Option<&'a Vec<String>> {
    (1..=path.len())
        .rev()
        .find_map(|n| mods.get_key_value(&path[..n]).map(|(k, _)| k))
}

fn layer(module: &[String]) -> usize {
    let top = module.first().map(String::as_str).unwrap_or("lib");
    LAYERS
        .iter()
        .position(|l| *l == top)
        .unwrap_or_else(|| panic!("module `{top}` is in no layer: add it to LAYERS"))
}

/// Every import edge between files of the crate.
fn edges() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&src);
    let mut out = BTreeMap::new();
    for (module, file) in &mods {
        if module.is_empty() || module == &["layering"] {
            continue;
        }
        let is_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
        let text = std::fs::read_to_string(file).unwrap();
        let to: BTreeSet<Vec<String>> = imports(module, is_mod_rs, &text)
            .iter()
            .filter_map(|p| resolve(p, &mods))
            .filter(|t| *t != module && !t.is_empty())
            .cloned()
            .collect();
        out.insert(module.clone(), to);
    }
    out
}

#[test]
fn imports_only_point_down_the_layers() {
    let mut wrong = Vec::new();
    for (from, tos) in edges() {
        for to in tos {
            if layer(&to) > layer(&from) {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports pointing up:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn no_file_imports_a_file_that_imports_it() {
    let edges = edges();
    // Depth-first search for a back edge; reports the first circle found.
    fn visit(
        n: &Vec<String>,
        edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<Vec<String>, u8>,
        path: &mut Vec<Vec<String>>,
    ) -> Option<Vec<Vec<String>>> {
        state.insert(n.clone(), 1);
        path.push(n.clone());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m) {
                Some(1) => {
                    let at = path.iter().position(|p| p == m).unwrap();
                    return Some(path[at..].to_vec());
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, edges, state, path) {
                        return Some(c);
                    }
                }
            }
        }
        path.pop();
        state.insert(n.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in edges.keys() {
        if !state.contains_key(n) {
            if let Some(circle) = visit(n, &edges, &mut state, &mut Vec::new()) {
                let names: Vec<String> = circle.iter().map(|m| m.join("::")).collect();
                panic!("import circle: {}", names.join(" → "));
            }
        }
    }
}

#[test]
fn the_checker_sees_imports() {
    let m = |s: &str| s.split("::").map(str::to_owned).collect::<Vec<_>>();
    let found = imports(
        &m("sync::plan::sidecars"),
        false,
        "use super::{ChangeKind, PageWrite};\nuse crate::fs::paths::OutputPath;\n// crate::x\n#[cfg(test)]\nuse crate::cli::X;",
    );
    assert!(found.contains(&m("sync::plan::ChangeKind")), "{found:?}");
    assert!(found.contains(&m("fs::paths::OutputPath")), "{found:?}");
    assert!(!found.iter().any(|f| f.first().is_some_and(|s| s == "cli")));
    assert!(edges().values().map(BTreeSet::len).sum::<usize>() > 100);
}
