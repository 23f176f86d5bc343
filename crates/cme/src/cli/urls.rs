//! What users paste, parsed without network: a page or space URL in any of
//! the forms Confluence shows (Cloud, Data Center, tiny links; with `/wiki`
//! or a context path), or a plain page id or space key.
use cme_client::{PageId, SpaceKey};
use std::fmt;

/// The page forms `pages` and `pages-with-descendants` accept (help and errors).
pub const PAGE_FORMS: &str = "  12345                                               a page id
  https://SITE/wiki/spaces/KEY/pages/12345/Title      Cloud (the title part is optional)
  https://SITE/display/KEY/Page+Title                 Data Center (`+` and %-escapes allowed)
  https://SITE/pages/viewpage.action?pageId=12345     Data Center
  https://SITE/pages/viewpage.action?spaceKey=KEY&title=Page+Title
  https://SITE/x/AbCd                                 a tiny link (Share, Copy link)
  each with or without /wiki, or with a context path such as https://host/confluence/...";

/// The space forms `spaces` accepts (help and errors).
pub const SPACE_FORMS: &str = "  KEY                                                 a space key (`~name` for a personal space)
  https://SITE/wiki/spaces/KEY                        Cloud (also .../overview or any page in it)
  https://SITE/display/KEY                            Data Center
  https://SITE/spaces/viewspace.action?key=KEY        Data Center
  each with or without /wiki, or with a context path such as https://host/confluence/...";

/// Path segments that start Confluence's own part of a URL: what comes
/// before them is the context path.
const MARKERS: &[&str] = &[
    "display",
    "spaces",
    "pages",
    "x",
    "rest",
    "plugins",
    "label",
    "labels",
    "dashboard.action",
    "login.action",
    "homepage.action",
    "admin",
    "users",
    "download",
];

/// A Confluence site: scheme, host and port, and the context path (`/wiki`
/// on Cloud, for example `/confluence` on Data Center, or nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    origin: String,
    context: String,
}

impl Site {
    /// The site of any URL on it: the part before `/display/`, `/spaces/`,
    /// `/pages/`, `/x/`, `/rest/`, ...
    pub fn parse(text: &str) -> Result<Self, UrlError> {
        Ok(parse_url(text)?.0)
    }

    /// The site URL as the client takes it: origin plus context path.
    pub fn url(&self) -> String {
        format!("{}{}", self.origin, self.context)
    }

    /// Host and port, lower case, as written in the URL.
    pub fn host(&self) -> &str {
        self.origin.split_once("://").map_or("", |(_, h)| h)
    }

    /// Whether two sites are on the same host (the context path may be
    /// spelled differently: `https://x.atlassian.net` is `.../wiki`).
    pub fn same_host(&self, other: &Site) -> bool {
        self.host() == other.host()
    }

    /// Hosts under `atlassian.net` are always Confluence Cloud.
    pub fn is_atlassian_cloud(&self) -> bool {
        let host = self.host().split(':').next().unwrap_or("");
        host.ends_with(".atlassian.net")
    }
}

impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin, self.context)
    }
}

/// A page, as named by what the user pasted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageRef {
    /// By id (plain, from a URL, or decoded from a tiny link).
    Id(PageId),
    /// By space and title (Data Center's pretty URLs): needs a lookup.
    Title {
        /// The page's space.
        space: SpaceKey,
        /// The exact title, decoded.
        title: String,
    },
}

/// A target and, when it came as a URL, the site it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pasted<T> {
    /// What to export.
    pub target: T,
    /// The site of a URL; `None` for a plain id or key.
    pub site: Option<Site>,
}

/// Why a pasted argument is not understood. Messages list the accepted forms.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UrlError {
    /// Not a URL the parser can read at all.
    #[error("`{0}` is not a valid URL")]
    Invalid(String),
    /// `user:password@host` would put a secret in shell history and logs.
    #[error(
        "URLs with embedded credentials are not accepted; use `CME_API_TOKEN` or `CME_PAT` instead"
    )]
    Credentials,
    /// A URL or word that names no page.
    #[error("`{0}` is not a page id or a page URL; accepted forms:\n{PAGE_FORMS}")]
    NotAPage(String),
    /// A URL or word that names no space.
    #[error("`{0}` is not a space key or a space URL; accepted forms:\n{SPACE_FORMS}")]
    NotASpace(String),
    /// `/x/CODE` that does not decode to a page id.
    #[error("`{0}` is not a Confluence tiny link")]
    TinyLink(String),
}

/// What a URL's path names.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    Space(SpaceKey),
    /// A page, and its space when the URL names it.
    Page(PageRef, Option<SpaceKey>),
    Nothing,
}

/// Parses a `pages` argument: a page id or a page URL of any form.
pub fn parse_page(input: &str) -> Result<Pasted<PageRef>, UrlError> {
    let s = input.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Pasted {
            target: PageRef::Id(PageId::new(s)),
            site: None,
        });
    }
    if !looks_like_url(s) {
        return Err(UrlError::NotAPage(s.to_owned()));
    }
    match parse_url(s)? {
        (site, Found::Page(target, _)) => Ok(Pasted {
            target,
            site: Some(site),
        }),
        _ => Err(UrlError::NotAPage(s.to_owned())),
    }
}

/// Parses a `spaces` argument: a space key or a URL in (or of) the space.
pub fn parse_space(input: &str) -> Result<Pasted<SpaceKey>, UrlError> {
    let s = input.trim();
    if is_space_key(s) {
        return Ok(Pasted {
            target: SpaceKey::new(s),
            site: None,
        });
    }
    if !looks_like_url(s) {
        return Err(UrlError::NotASpace(s.to_owned()));
    }
    match parse_url(s)? {
        (site, Found::Space(key) | Found::Page(_, Some(key))) => Ok(Pasted {
            target: key,
            site: Some(site),
        }),
        _ => Err(UrlError::NotASpace(s.to_owned())),
    }
}

/// Keys are letters and digits; personal spaces start with `~` and may
/// hold an account id or user name.
fn is_space_key(s: &str) -> bool {
    let body = s.strip_prefix('~').unwrap_or(s);
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '@' | ':'))
        && !body.contains("://")
}

fn looks_like_url(s: &str) -> bool {
    s.contains("://") || s.split('/').next().is_some_and(|h| h.contains('.')) && s.contains('/')
}

/// Splits a URL into its site and what its path names.
fn parse_url(text: &str) -> Result<(Site, Found), UrlError> {
    let text = text.trim();
    let full = if text.contains("://") {
        text.to_owned()
    } else {
        format!("https://{text}")
    };
    let u = url::Url::parse(&full).map_err(|_| {
        if full.split("://").nth(1).is_some_and(|r| {
            r.split('/')
                .next()
                .is_some_and(|authority| authority.contains('@'))
        }) {
            UrlError::Credentials
        } else {
            UrlError::Invalid(text.to_owned())
        }
    })?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(UrlError::Invalid(text.to_owned()));
    }
    let origin = u.origin().ascii_serialization();
    let segs: Vec<&str> = u
        .path_segments()
        .map(|s| s.filter(|x| !x.is_empty()).collect())
        .unwrap_or_default();
    // Cloud's `/wiki` (and a Data Center installed at `/wiki`) is always
    // the whole context path; otherwise it ends at Confluence's first segment.
    let start = if segs.first() == Some(&"wiki") {
        1
    } else {
        segs.iter()
            .position(|s| MARKERS.contains(s))
            .unwrap_or(segs.len())
    };
    let context: String = segs[..start].iter().map(|s| format!("/{s}")).collect();
    let query = |name: &str| {
        u.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let found = match &segs[start..] {
        ["display", key] => Found::Space(SpaceKey::new(decode(key, false))),
        ["display", key, title] => {
            let space = SpaceKey::new(decode(key, false));
            let title = decode(title, true);
            Found::Page(
                PageRef::Title {
                    space: space.clone(),
                    title,
                },
                Some(space),
            )
        }
        ["spaces", "viewspace.action" | "viewspacesummary.action", ..] => query("key")
            .or_else(|| query("spaceKey"))
            .map_or(Found::Nothing, |k| Found::Space(SpaceKey::new(k))),
        ["spaces", key, "pages", rest @ ..] => {
            match rest.iter().find(|s| s.bytes().all(|b| b.is_ascii_digit())) {
                Some(id) => Found::Page(
                    PageRef::Id(PageId::new(*id)),
                    Some(SpaceKey::new(decode(key, false))),
                ),
                None => Found::Space(SpaceKey::new(decode(key, false))),
            }
        }
        ["spaces", key, ..] => Found::Space(SpaceKey::new(decode(key, false))),
        ["pages", action, ..] if action.ends_with(".action") => {
            match (query("pageId"), query("spaceKey"), query("title")) {
                (Some(id), space, _) if id.bytes().all(|b| b.is_ascii_digit()) => {
                    Found::Page(PageRef::Id(PageId::new(id)), space.map(SpaceKey::new))
                }
                (_, Some(space), Some(title)) => Found::Page(
                    PageRef::Title {
                        space: SpaceKey::new(&space),
                        title,
                    },
                    Some(SpaceKey::new(space)),
                ),
                _ => Found::Nothing,
            }
        }
        ["pages", id, ..] if id.bytes().all(|b| b.is_ascii_digit()) => {
            Found::Page(PageRef::Id(PageId::new(*id)), None)
        }
        ["x", code] => match tiny_link_id(code) {
            Some(id) => Found::Page(PageRef::Id(id), None),
            None => return Err(UrlError::TinyLink(text.to_owned())),
        },
        _ => Found::Nothing,
    };
    Ok((Site { origin, context }, found))
}

/// Percent-decodes a path segment; titles in `/display/` URLs also spell
/// spaces as `+` (a literal plus is `%2B`).
fn decode(seg: &str, plus_is_space: bool) -> String {
    let seg = if plus_is_space {
        seg.replace('+', " ")
    } else {
        seg.to_owned()
    };
    percent_encoding::percent_decode_str(&seg)
        .decode_utf8_lossy()
        .trim()
        .to_owned()
}

/// Decodes a tiny link's code (`/x/CODE`). Confluence writes the page id's
/// little-endian bytes in base64 with `+` as `_` and `/` as `-`, then strips
/// trailing `A`s (zero bits) and `=` padding; both come back here.
pub fn tiny_link_id(code: &str) -> Option<PageId> {
    // One decoder for the CLI and the converter (which resolves tiny links
    // inside page bodies).
    cme_convert::tiny_link_id(code).map(|id| PageId::new(id.to_string()))
}

/// Space keys close to `wanted` among `visible`: the same key in another
/// case first, then keys within two edits, at most five.
pub fn near_keys<'a>(wanted: &str, visible: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let wanted_lower = wanted.to_lowercase();
    let mut scored: Vec<(usize, &str)> = visible
        .into_iter()
        .filter_map(|k| {
            let lower = k.to_lowercase();
            if lower == wanted_lower {
                return Some((0, k));
            }
            let d = strsim::levenshtein(&lower, &wanted_lower);
            let limit = if wanted.chars().count() <= 3 { 1 } else { 2 };
            (d <= limit).then_some((d, k))
        })
        .collect();
    scored.sort();
    scored.dedup();
    scored
        .into_iter()
        .take(5)
        .map(|(_, k)| k.to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(s: &str) -> (PageRef, Option<String>) {
        let p = parse_page(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (p.target, p.site.map(|s| s.url()))
    }
    fn id(s: &str) -> PageRef {
        PageRef::Id(PageId::new(s))
    }
    fn title(space: &str, t: &str) -> PageRef {
        PageRef::Title {
            space: SpaceKey::new(space),
            title: t.into(),
        }
    }
    fn space(s: &str) -> (String, Option<String>) {
        let p = parse_space(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        (p.target.to_string(), p.site.map(|s| s.url()))
    }
    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn cloud_page_urls() {
        let cloud = some("https://x.atlassian.net/wiki");
        for url in [
            "https://x.atlassian.net/wiki/spaces/ENG/pages/987/Some+Title",
            "https://x.atlassian.net/wiki/spaces/ENG/pages/987",
            "https://x.atlassian.net/wiki/spaces/ENG/pages/987/",
            "https://x.atlassian.net/wiki/spaces/ENG/pages/edit-v2/987",
            "x.atlassian.net/wiki/spaces/ENG/pages/987/Title?focusedCommentId=5#anchor",
        ] {
            assert_eq!(page(url), (id("987"), cloud.clone()), "{url}");
        }
        assert_eq!(page("  12345 "), (id("12345"), None));
    }

    #[test]
    fn data_center_page_urls_with_and_without_a_context_path() {
        for (prefix, site) in [
            ("https://dc.example.com", "https://dc.example.com"),
            (
                "https://dc.example.com/confluence",
                "https://dc.example.com/confluence",
            ),
            ("http://dc:8090/wiki", "http://dc:8090/wiki"),
            ("https://h/a/b", "https://h/a/b"),
        ] {
            let s = some(site);
            assert_eq!(
                page(&format!("{prefix}/display/ENG/Release+Notes+%2B+Plans")),
                (title("ENG", "Release Notes + Plans"), s.clone())
            );
            assert_eq!(
                page(&format!("{prefix}/display/ENG/%C3%9Cber%20uns")),
                (title("ENG", "Über uns"), s.clone())
            );
            assert_eq!(
                page(&format!("{prefix}/pages/viewpage.action?pageId=42&x=1")),
                (id("42"), s.clone())
            );
            assert_eq!(
                page(&format!(
                    "{prefix}/pages/viewpage.action?spaceKey=ENG&title=A+B%26C"
                )),
                (title("ENG", "A B&C"), s.clone())
            );
            assert_eq!(page(&format!("{prefix}/x/LIQHD")), (id("201819180"), s));
        }
    }

    #[test]
    fn tiny_links_decode_locally() {
        // Pairs computed with Confluence's algorithm (id as little-endian
        // bytes, base64, `+/` as `_-`, trailing `A` and `=` stripped).
        for (code, id) in [
            ("LIQHD", 201_819_180_u64),
            ("OgAOBQ", 84_803_642),
            ("AQAB", 65_537),
            ("AQ", 1),
            ("AQ==", 1),
            ("BQAAAAM", 12_884_901_893),
        ] {
            assert_eq!(
                tiny_link_id(code),
                Some(PageId::new(id.to_string())),
                "{code}"
            );
        }
        for bad in ["", "A", "!!", "AAAAAAAAAAAAAAAA", "AAAA"] {
            assert_eq!(tiny_link_id(bad), None, "{bad}");
        }
        assert!(matches!(
            parse_page("https://h/x/!!"),
            Err(UrlError::TinyLink(_))
        ));
    }

    #[test]
    fn space_forms() {
        assert_eq!(space("ENG"), ("ENG".into(), None));
        assert_eq!(space("~jdoe"), ("~jdoe".into(), None));
        let cloud = some("https://x.atlassian.net/wiki");
        for url in [
            "https://x.atlassian.net/wiki/spaces/ENG",
            "https://x.atlassian.net/wiki/spaces/ENG/overview",
            "https://x.atlassian.net/wiki/spaces/ENG/overview?homepageId=1",
            "https://x.atlassian.net/wiki/spaces/ENG/pages",
            "https://x.atlassian.net/wiki/spaces/ENG/pages/987/Title",
        ] {
            assert_eq!(space(url), ("ENG".into(), cloud.clone()), "{url}");
        }
        let dc = some("https://h/confluence");
        for url in [
            "https://h/confluence/display/ENG",
            "https://h/confluence/display/ENG/",
            "https://h/confluence/display/ENG/Any+Page",
            "https://h/confluence/spaces/viewspace.action?key=ENG",
            "https://h/confluence/spaces/ENG/overview",
        ] {
            assert_eq!(space(url), ("ENG".into(), dc.clone()), "{url}");
        }
        assert_eq!(
            space("https://h/display/%7Ejdoe"),
            ("~jdoe".into(), some("https://h"))
        );
    }

    #[test]
    fn wrong_kinds_and_bad_input_list_the_accepted_forms() {
        let e = parse_page("https://x.atlassian.net/wiki/spaces/ENG/overview").unwrap_err();
        assert!(matches!(e, UrlError::NotAPage(_)));
        assert!(e.to_string().contains("viewpage.action?pageId="), "{e}");
        assert!(parse_page("../etc").is_err());
        assert!(parse_page("").is_err());
        let e = parse_space("https://h/pages/viewpage.action?pageId=1").unwrap_err();
        assert!(e.to_string().contains("/display/KEY"), "{e}");
        assert!(parse_space("two words").is_err());
        assert!(parse_space("ftp://h/display/ENG").is_err());
    }

    #[test]
    fn urls_with_credentials_are_refused_without_echoing_them() {
        for url in [
            "https://me:hunter2@x.atlassian.net/wiki/spaces/ENG",
            "https://me:hunter2@h/display/ENG/T",
        ] {
            let e = parse_space(url).unwrap_err();
            assert_eq!(e, UrlError::Credentials);
            assert!(!e.to_string().contains("hunter2"));
        }
    }

    #[test]
    fn sites_of_any_url() {
        let s = Site::parse("https://Example.COM:8443/confluence/rest/api/space").unwrap();
        assert_eq!(s.url(), "https://example.com:8443/confluence");
        assert_eq!(s.host(), "example.com:8443");
        assert!(!s.is_atlassian_cloud());
        let c = Site::parse("https://x.atlassian.net").unwrap();
        assert!(c.is_atlassian_cloud());
        assert!(c.same_host(&Site::parse("https://x.atlassian.net/wiki/home").unwrap()));
        assert_eq!(
            Site::parse("https://x.atlassian.net/wiki/home")
                .unwrap()
                .url(),
            "https://x.atlassian.net/wiki"
        );
        assert!(!c.same_host(&Site::parse("https://y.atlassian.net").unwrap()));
    }

    #[test]
    fn near_keys_prefer_case_then_edit_distance() {
        let visible = ["ENG", "ENGR", "OPS", "DEMO", "eng2"];
        assert_eq!(near_keys("eng", visible), vec!["ENG", "ENGR", "eng2"]);
        assert_eq!(near_keys("DEMOO", visible), vec!["DEMO"]);
        assert!(near_keys("ZZZZZZ", visible).is_empty());
    }
}
