//! Links that always work and Confluence's order, through a context that
//! knows the site: what is not exported goes to the site as an absolute
//! URL, anchors only where they exist, children sorted as the macro says.
use cme_convert::{
    AttachmentRef, ChildOrder, ChildPage, ChildQuery, ContentId, Context, CurrentPage,
    OfflineContext, Options, PageRef, SpaceKey, convert,
};
use std::cell::RefCell;

const SITE: &str = "https://acme.atlassian.net/wiki";

/// Page 42 "Home" in DOC is exported as `Home.md`, with `logo.png`; the
/// space DOC's home page is `Home.md`; nothing else is exported.
#[derive(Default)]
struct Site {
    asked: RefCell<Vec<ChildQuery>>,
}

impl Context for Site {
    fn site_url(&self) -> Option<String> {
        Some(format!("{SITE}/"))
    }
    fn page_link(&self, page: &PageRef) -> Option<String> {
        match page {
            PageRef::Id(id) if id.0 == "42" => Some("Home.md".into()),
            PageRef::Title { title, .. } if title == "Home" => Some("Home.md".into()),
            _ => None,
        }
    }
    fn space_link(&self, space: &SpaceKey) -> Option<String> {
        (space.0 == "DOC").then(|| "Home.md".into())
    }
    fn attachment_path(&self, att: &AttachmentRef) -> Option<String> {
        (att.page.is_none() && att.filename == "logo.png").then(|| "_attachments/logo.png".into())
    }
    fn children(&self, query: ChildQuery) -> Option<Vec<ChildPage>> {
        self.asked.borrow_mut().push(query);
        let child =
            |id: &str, title: &str, created: Option<&str>, modified: &str, kids| ChildPage {
                title: title.into(),
                page: PageRef::Id(ContentId(id.into())),
                created: created.map(str::to_owned),
                modified: Some(modified.into()),
                children: kids,
            };
        // Confluence's order: Zulu, alpha, Mike (not the alphabet's).
        Some(vec![
            child("30", "Zulu", None, "2024-03-01T00:00:00Z", vec![]),
            child(
                "10",
                "alpha",
                None,
                "2024-01-01T00:00:00Z",
                vec![
                    child("12", "Beta Child", None, "2024-01-01T00:00:00Z", vec![]),
                    child("11", "Alpha Child", None, "2024-01-01T00:00:00Z", vec![]),
                ],
            ),
            child("20", "Mike", None, "2024-02-01T00:00:00Z", vec![]),
        ])
    }
    fn current_page(&self) -> Option<CurrentPage> {
        Some(CurrentPage {
            title: "Current Page".into(),
            space: Some(SpaceKey("DOC".into())),
            id: Some(ContentId("7".into())),
        })
    }
}

fn md(storage: &str) -> String {
    convert(storage, &Site::default(), &Options::default()).markdown
}

fn children(params: &str) -> String {
    md(&format!(
        r#"<ac:structured-macro ac:name="children">{params}</ac:structured-macro>"#
    ))
}

fn param(k: &str, v: &str) -> String {
    format!(r#"<ac:parameter ac:name="{k}">{v}</ac:parameter>"#)
}

/// The link texts of a list, in order, with their indentation.
fn items(md: &str) -> Vec<String> {
    md.lines()
        .filter_map(|l| {
            let indent = l.len() - l.trim_start().len();
            let t = l.trim_start().strip_prefix("- [")?;
            Some(format!(
                "{}{}",
                " ".repeat(indent),
                t.split(']').next().unwrap_or("")
            ))
        })
        .collect()
}

#[test]
fn children_follow_confluence_order_unless_sorted() {
    assert_eq!(items(&children("")), ["Zulu", "alpha", "Mike"]);
    let by_title = children(&param("sort", "title"));
    assert_eq!(items(&by_title), ["alpha", "Mike", "Zulu"]);
    let reversed = children(&(param("sort", "title") + &param("reverse", "true")));
    assert_eq!(items(&reversed), ["Zulu", "Mike", "alpha"]);
    // No creation dates: content ids, which Confluence allocates in order.
    let created = children(&param("sort", "creation"));
    assert_eq!(items(&created), ["alpha", "Mike", "Zulu"]);
    let modified = children(&(param("sort", "modified") + &param("reverse", "true")));
    assert_eq!(items(&modified), ["Zulu", "Mike", "alpha"]);
    // Reverse alone turns Confluence's order round.
    assert_eq!(
        items(&children(&param("reverse", "true"))),
        ["Mike", "alpha", "Zulu"]
    );
}

#[test]
fn children_depth_and_all_and_what_the_context_is_asked() {
    let ctx = Site::default();
    let run = |p: String| {
        convert(
            &format!(r#"<ac:structured-macro ac:name="children">{p}</ac:structured-macro>"#),
            &ctx,
            &Options::default(),
        )
        .markdown
    };
    let two = run(param("depth", "2") + &param("sort", "title"));
    assert_eq!(
        items(&two),
        ["alpha", "  Alpha Child", "  Beta Child", "Mike", "Zulu"]
    );
    let all = run(param("all", "true"));
    assert_eq!(
        items(&all),
        ["Zulu", "alpha", "  Beta Child", "  Alpha Child", "Mike"]
    );
    let modified = run(param("sort", "modified"));
    assert_eq!(items(&modified), ["alpha", "Mike", "Zulu"]);
    let asked = ctx.asked.borrow();
    assert_eq!(asked[0].depth, 2);
    assert_eq!(asked[0].order, ChildOrder::Title);
    assert_eq!(asked[1].depth, 16, "all=true asks for the whole subtree");
    assert_eq!(asked[2].order, ChildOrder::Modified);
}

#[test]
fn what_is_not_exported_goes_to_the_site() {
    let out = md(concat!(
        r#"<p><ac:link><ri:page ri:space-key="OPS" ri:content-title="Run Book"/></ac:link> "#,
        r#"<ac:link><ri:content-entity ri:content-id="99"/></ac:link> "#,
        r#"<ac:link><ri:page ri:content-title="Home"/></ac:link> "#,
        r#"<ac:link><ri:space ri:space-key="DOC"/></ac:link> "#,
        r#"<ac:link><ri:space ri:space-key="OPS"/></ac:link> "#,
        r#"<ac:link><ri:blog-post ri:content-title="News" ri:posting-day="2024/01/02"/></ac:link></p>"#,
    ));
    for want in [
        "[Run Book](https://acme.atlassian.net/wiki/display/OPS/Run+Book)",
        "[page 99](https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=99)",
        "[Home](Home.md)",
        "[DOC](Home.md)",
        "[OPS](https://acme.atlassian.net/wiki/display/OPS)",
        "[News](https://acme.atlassian.net/wiki/display/DOC/2024/01/02/News)",
    ] {
        assert!(out.contains(want), "`{want}` in:\n{out}");
    }
}

#[test]
fn hrefs_tiny_links_and_hostless_paths() {
    // `Kg` is page 42 (exported); `LIQHD` is 201819180 (not).
    let out = md(concat!(
        r#"<p><a href="https://acme.atlassian.net/wiki/x/Kg">tiny</a> "#,
        r#"<a href="/wiki/x/LIQHD">tiny elsewhere</a> "#,
        r#"<a href="/wiki/spaces/OPS/overview">space page</a> "#,
        r#"<a href="/download/attachments/42/logo.png">file</a> "#,
        r#"<a href="https://example.com/x">external</a></p>"#,
    ));
    for want in [
        "[tiny](Home.md)",
        "[tiny elsewhere](https://acme.atlassian.net/wiki/x/LIQHD)",
        "[space page](https://acme.atlassian.net/wiki/spaces/OPS/overview)",
        "[file](https://acme.atlassian.net/download/attachments/42/logo.png)",
        "[external](https://example.com/x)",
    ] {
        assert!(out.contains(want), "`{want}` in:\n{out}");
    }
}

#[test]
fn attachments_local_only_when_exported() {
    let out = md(concat!(
        r#"<p><ac:link><ri:attachment ri:filename="logo.png"/></ac:link> "#,
        r#"<ac:link><ri:attachment ri:filename="gone.pdf"/><ac:plain-text-link-body><![CDATA[the spec]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link><ri:attachment ri:filename="x.txt"><ri:page ri:content-title="Other"/></ri:attachment></ac:link></p>"#,
    ));
    for want in [
        "[logo.png](_attachments/logo.png)",
        "[the spec](https://acme.atlassian.net/wiki/download/attachments/7/gone.pdf)",
        // An unexported owner known by title: its page, which lists it.
        "[x.txt](https://acme.atlassian.net/wiki/display/DOC/Other)",
    ] {
        assert!(out.contains(want), "`{want}` in:\n{out}");
    }
}

#[test]
fn diagrams_link_their_source_only_when_exported() {
    let out = md(concat!(
        r#"<ac:structured-macro ac:name="drawio"><ac:parameter ac:name="diagramName">logo</ac:parameter></ac:structured-macro>"#,
        r#"<ac:structured-macro ac:name="gliffy"><ac:parameter ac:name="name">net</ac:parameter></ac:structured-macro>"#,
    ));
    assert!(
        out.contains("![logo](_attachments/logo.png)") && !out.contains("[![logo]"),
        "{out}"
    );
    assert!(
        out.contains("![net](https://acme.atlassian.net/wiki/download/attachments/7/net.png)")
            && !out.contains("[![net]"),
        "{out}"
    );
}

#[test]
fn anchors_only_where_they_exist() {
    let out = md(concat!(
        r#"<p><ac:link ac:anchor="Later Heading"><ac:plain-text-link-body><![CDATA[ahead]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link ac:anchor="CurrentPage-LaterHeading"><ac:plain-text-link-body><![CDATA[old style]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link ac:anchor="Nowhere"><ac:plain-text-link-body><![CDATA[dead]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link ac:anchor="Later Heading"><ri:page ri:content-title="Current Page"/><ac:plain-text-link-body><![CDATA[self]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link ac:anchor="Intro"><ri:page ri:content-title="Home"/><ac:plain-text-link-body><![CDATA[other file]]></ac:plain-text-link-body></ac:link> "#,
        r#"<ac:link ac:anchor="Intro"><ri:page ri:space-key="OPS" ri:content-title="X"/><ac:plain-text-link-body><![CDATA[on site]]></ac:plain-text-link-body></ac:link> "#,
        r##"<a href="#my spot">spot</a> <a href="#gone">gone</a></p>"##,
        r#"<h2>Later Heading</h2>"#,
        r#"<ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">my spot</ac:parameter></ac:structured-macro>"#,
    ));
    for want in [
        "[ahead](#later-heading)",
        "[old style](#later-heading)",
        " dead ",
        "[self](#later-heading)",
        "[other file](Home.md)",
        "[on site](https://acme.atlassian.net/wiki/display/OPS/X#Intro)",
        "[spot](#my%20spot)",
        " gone",
    ] {
        assert!(out.contains(want), "`{want}` in:\n{out}");
    }
    assert!(
        !out.contains("(#nowhere)") && !out.contains("(#gone)"),
        "{out}"
    );
}

#[test]
fn status_keeps_its_colour_and_hidden_excerpts_hide() {
    let status = |c: &str| {
        md(&format!(
            r#"<p><ac:structured-macro ac:name="status"><ac:parameter ac:name="title">Done</ac:parameter><ac:parameter ac:name="colour">{c}</ac:parameter></ac:structured-macro></p>"#
        ))
    };
    assert_eq!(status("Green"), "🟢 `Done`\n");
    assert_eq!(status("Red"), "🔴 `Done`\n");
    assert_eq!(status("Yellow"), "🟡 `Done`\n");
    assert_eq!(status("Blue"), "🔵 `Done`\n");
    assert_eq!(status("Purple"), "🟣 `Done`\n");
    assert_eq!(status("Grey"), "⚪ `Done`\n");
    let hidden = md(
        r#"<p>a</p><ac:structured-macro ac:name="excerpt"><ac:parameter ac:name="hidden">true</ac:parameter><ac:rich-text-body><p>secret</p></ac:rich-text-body></ac:structured-macro>"#,
    );
    assert_eq!(hidden, "a\n");
}

#[test]
fn offline_keeps_site_relative_targets() {
    // No site known (`cme convert`): nothing to make absolute.
    let out = convert(
        r#"<p><ac:link><ri:space ri:space-key="OPS"/></ac:link> <a href="/wiki/x/Kg">t</a></p>"#,
        &OfflineContext::default(),
        &Options::default(),
    )
    .markdown;
    assert_eq!(out, "[OPS](/display/OPS) [t](/wiki/x/Kg)\n");
}

#[test]
fn images_and_wiki_links_never_dangle() {
    let out = md(concat!(
        r#"<p><img src="/wiki/download/attachments/42/logo.png"/> <img src="/images/icons/x.png"/> "#,
        r#"<ac:image><ri:url ri:value="/wiki/download/thumbnails/9/a.png"/></ac:image></p>"#,
    ));
    for want in [
        "![](https://acme.atlassian.net/wiki/download/attachments/42/logo.png)",
        "![](https://acme.atlassian.net/images/icons/x.png)",
        "![](https://acme.atlassian.net/wiki/download/thumbnails/9/a.png)",
    ] {
        assert!(out.contains(want), "`{want}` in:\n{out}");
    }
    let wiki = Options {
        link_style: cme_convert::LinkStyle::Wiki,
        ..Options::default()
    };
    let out = convert(
        r#"<p><ac:link><ri:page ri:content-title="Home"/></ac:link> <ac:link><ri:page ri:space-key="OPS" ri:content-title="Run Book"/></ac:link></p>"#,
        &Site::default(),
        &wiki,
    )
    .markdown;
    assert_eq!(
        out,
        "[[Home]] [Run Book](https://acme.atlassian.net/wiki/display/OPS/Run+Book)\n"
    );
}

/// Every link and image destination in `markdown`, as a CommonMark reader
/// (comrak) sees it after decoding escapes and character references.
fn destinations(markdown: &str) -> Vec<String> {
    use comrak::nodes::NodeValue;
    let arena = comrak::Arena::new();
    let root = comrak::parse_document(&arena, markdown, &comrak::Options::default());
    root.descendants()
        .filter_map(|n| match &n.data.borrow().value {
            NodeValue::Link(l) | NodeValue::Image(l) => Some(l.url.clone()),
            NodeValue::HtmlInline(h)
            | NodeValue::HtmlBlock(comrak::nodes::NodeHtmlBlock { literal: h, .. }) => {
                Some(h.clone())
            }
            _ => None,
        })
        .collect()
}

#[test]
fn script_and_file_targets_lose_the_link_and_keep_the_text() {
    let hostile = [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " java\tscript:alert(1)",
        "javascript&colon;alert(1)",
        "javascript&#58;alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "file:///etc/passwd",
    ];
    for href in hostile {
        let attr = href.replace('&', "&amp;").replace('\t', "&#9;");
        let storage = format!(
            concat!(
                r#"<p><a href="{0}">html link</a> "#,
                r#"<ac:link><ri:url ri:value="{0}"/><ac:plain-text-link-body><![CDATA[ac link]]></ac:plain-text-link-body></ac:link> "#,
                r#"<img src="{0}" alt="html image"/> "#,
                r#"<ac:image ac:alt="ac image"><ri:url ri:value="{0}"/></ac:image> "#,
                r#"<ac:image ac:alt="wide image" ac:width="300"><ri:url ri:value="{0}"/></ac:image> "#,
                r#"<ac:structured-macro ac:name="widget"><ac:parameter ac:name="url"><ri:url ri:value="{0}"/></ac:parameter></ac:structured-macro></p>"#,
            ),
            attr
        );
        let out = convert(&storage, &Site::default(), &Options::default());
        for text in [
            "html link",
            "ac link",
            "html image",
            "ac image",
            "wide image",
        ] {
            assert!(
                out.markdown.contains(text),
                "{href}: `{text}` lost:\n{}",
                out.markdown
            );
        }
        for d in destinations(&out.markdown) {
            let d = d.to_ascii_lowercase().replace(['\t', ' '], "");
            for bad in ["javascript", "vbscript", "data:", "file:"] {
                assert!(!d.contains(bad), "{href}: `{d}` kept in:\n{}", out.markdown);
            }
        }
        let dropped = out
            .warnings
            .iter()
            .filter(|w| w.message.contains("was dropped"))
            .map(|w| w.count)
            .sum::<u64>();
        assert_eq!(dropped, 6, "{href}: {:?}", out.warnings);
    }
    // http, https, mailto and relative targets keep their links.
    let out = md(concat!(
        r#"<p><a href="https://x.example/a?b=1&amp;c=2">web</a> <a href="mailto:a@b.example">mail</a> "#,
        r#"<a href="/wiki/x">site</a> <a href="other.html">relative</a></p>"#,
    ));
    assert_eq!(
        destinations(&out),
        [
            "https://x.example/a?b=1&c=2",
            "mailto:a@b.example",
            "https://acme.atlassian.net/wiki/x",
            "other.html"
        ],
        "{out}"
    );
}
