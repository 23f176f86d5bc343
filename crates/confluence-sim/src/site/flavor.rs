//! One site, two deployments: the forms a Data Center server stores where
//! Cloud stores others. Sites are written in Cloud's forms (the demo, site
//! folders, the generator); a DC simulator serves them through these.

use crate::model::dc_user_key;

/// A storage body in Data Center's forms, or `None` when it has nothing
/// Cloud-only: user mentions by `ri:userkey` instead of `ri:account-id`, and
/// ADF-only nodes (`ac:adf-extension`) replaced by their fallback markup.
pub fn dc_storage(src: &str) -> Option<String> {
    if !src.contains("ri:account-id=") && !src.contains("<ac:adf-extension") {
        return None;
    }
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    loop {
        let user = rest.find("ri:account-id=\"");
        let adf = rest.find("<ac:adf-extension");
        match (user, adf) {
            (Some(u), a) if a.is_none_or(|a| u < a) => {
                out.push_str(&rest[..u]);
                let v0 = u + "ri:account-id=\"".len();
                let Some(len) = rest[v0..].find('"') else {
                    out.push_str(&rest[u..]);
                    break;
                };
                let account = crate::render::storage::decode_entities(&rest[v0..v0 + len]);
                out.push_str("ri:userkey=\"");
                out.push_str(&dc_user_key(&account));
                out.push('"');
                rest = &rest[v0 + len + 1..];
            }
            (_, Some(a)) => {
                out.push_str(&rest[..a]);
                let Some(end) = extension_end(&rest[a..]) else {
                    out.push_str(&rest[a..]);
                    break;
                };
                let ext = &rest[a..a + end];
                if let Some(fallback) = between(ext, "<ac:adf-fallback>", "</ac:adf-fallback>") {
                    // The fallback may mention users too.
                    out.push_str(&dc_storage(fallback).unwrap_or_else(|| fallback.to_string()));
                }
                rest = &rest[a + end..];
            }
            _ => {
                out.push_str(rest);
                break;
            }
        }
    }
    Some(out)
}

/// Length of the `<ac:adf-extension>…</ac:adf-extension>` at the start of
/// `s`, nesting counted; `None` when it never closes.
fn extension_end(s: &str) -> Option<usize> {
    const OPEN: &str = "<ac:adf-extension";
    const CLOSE: &str = "</ac:adf-extension>";
    let mut depth = 0usize;
    let mut i = 0;
    while i < s.len() {
        let next_open = s[i..].find(OPEN).map(|p| p + i);
        let next_close = s[i..].find(CLOSE).map(|p| p + i)?;
        match next_open {
            Some(o) if o < next_close => {
                depth += 1;
                i = o + OPEN.len();
            }
            _ => {
                depth = depth.saturating_sub(1);
                i = next_close + CLOSE.len();
                if depth == 0 {
                    return Some(i);
                }
            }
        }
    }
    None
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let a = s.find(open)? + open.len();
    let b = s[a..].rfind(close)? + a;
    Some(&s[a..b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_become_user_keys() {
        let got =
            dc_storage(r#"<p><ac:link><ri:user ri:account-id="abc" /></ac:link></p>"#).unwrap();
        assert_eq!(
            got,
            format!(
                r#"<p><ac:link><ri:user ri:userkey="{}" /></ac:link></p>"#,
                dc_user_key("abc")
            )
        );
        assert_eq!(dc_user_key("abc").len(), 32);
        assert!(dc_user_key("abc").bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn adf_extensions_become_their_fallback() {
        let src = "<p>a</p><ac:adf-extension><ac:adf-node type=\"panel\"><ac:adf-content><p>x</p></ac:adf-content></ac:adf-node><ac:adf-fallback><div class=\"panel\"><p>x</p></div></ac:adf-fallback></ac:adf-extension><p>b</p>";
        assert_eq!(
            dc_storage(src).unwrap(),
            "<p>a</p><div class=\"panel\"><p>x</p></div><p>b</p>"
        );
        // Unclosed: kept as is, no panic.
        let broken = "<ac:adf-extension><p>x";
        assert_eq!(dc_storage(broken).unwrap(), broken);
        assert_eq!(dc_storage("<p>plain</p>"), None);
    }
}
