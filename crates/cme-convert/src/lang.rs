//! Confluence code-macro language names → common fence info strings.

/// Maps a Confluence `language` parameter to a fence name GitHub highlights.
/// Unknown names pass through lower-cased; "none"/"text" become empty.
pub fn fence_language(confluence: &str) -> String {
    let l = confluence.trim().to_ascii_lowercase();
    let mapped = match l.as_str() {
        "" | "none" | "text" | "plain" | "plaintext" => "",
        "actionscript3" | "as3" => "actionscript",
        "applescript" => "applescript",
        "bash" | "sh" => "bash",
        "shell" => "shell",
        "c#" | "csharp" | "cs" => "csharp",
        "c++" | "cpp" => "cpp",
        "coldfusion" | "cf" => "cfm",
        "delphi" | "pascal" => "delphi",
        "diff" | "patch" => "diff",
        "erl" | "erlang" => "erlang",
        "groovy" => "groovy",
        "html" | "html/xml" | "xhtml" => "html",
        "xml" => "xml",
        "java" => "java",
        "javafx" | "jfx" => "java",
        "js" | "javascript" | "jscript" => "javascript",
        "ts" | "typescript" => "typescript",
        "perl" | "pl" => "perl",
        "php" => "php",
        "powershell" | "ps" => "powershell",
        "py" | "python" => "python",
        "rb" | "ruby" => "ruby",
        "sass" | "scss" => "scss",
        "scala" => "scala",
        "sql" => "sql",
        "vb" | "vbnet" => "vbnet",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "go" | "golang" => "go",
        "kotlin" | "kt" => "kotlin",
        "rust" | "rs" => "rust",
        "css" => "css",
        "docker" | "dockerfile" => "dockerfile",
        other => {
            return other
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '`')
                .collect();
        }
    };
    mapped.to_owned()
}

#[cfg(test)]
mod tests {
    use super::fence_language;

    #[test]
    fn maps_confluence_names() {
        assert_eq!(fence_language("c#"), "csharp");
        assert_eq!(fence_language("JS"), "javascript");
        assert_eq!(fence_language("none"), "");
        assert_eq!(fence_language("Fortran 77"), "fortran77");
        assert_eq!(fence_language("a`b"), "ab");
    }
}
