//! One snapshot per catalogue element. Snapshots live in tests/snapshots;
//! review changes with `cargo insta review` (CI=true fails on new ones).

mod common;

use cme_convert::{
    AlertStyle, AttachmentRef, ChildPage, ChildQuery, ContentId, Context, Converted, CurrentPage,
    DynamicMacro, LinkStyle, OfflineContext, Options, PageRef, SpaceKey, UserRef,
};
use common::convert;

fn md(storage: &str) -> String {
    convert(storage, &OfflineContext::default(), &Options::default()).markdown
}

fn mac(name: &str, params: &[(&str, &str)], body: &str) -> String {
    let mut s = format!(r#"<ac:structured-macro ac:name="{name}" ac:schema-version="1">"#);
    for (k, v) in params {
        s.push_str(&format!(
            r#"<ac:parameter ac:name="{k}">{v}</ac:parameter>"#
        ));
    }
    s.push_str(body);
    s.push_str("</ac:structured-macro>");
    s
}

fn rich(body: &str) -> String {
    format!("<ac:rich-text-body>{body}</ac:rich-text-body>")
}

fn plain(body: &str) -> String {
    format!("<ac:plain-text-body><![CDATA[{body}]]></ac:plain-text-body>")
}

/// A context that knows everything, as the exporter's will.
struct Online;

impl Context for Online {
    fn page_link(&self, page: &PageRef) -> Option<String> {
        match page {
            PageRef::Id(id) => Some(format!("../by-id/{id}.md")),
            PageRef::Title { title, .. } | PageRef::BlogPost { title, .. } => {
                Some(format!("../Docs/{title}.md"))
            }
        }
    }
    fn attachment_path(&self, a: &AttachmentRef) -> Option<String> {
        Some(format!("attachments/{}", a.filename))
    }
    fn user_name(&self, u: &UserRef) -> Option<String> {
        (u.id() == "557058:abc").then(|| "Ada Lovelace".to_owned())
    }
    fn jira_base_url(&self, _server: &str) -> Option<String> {
        Some("https://jira.example.com/".into())
    }
    fn page_body(&self, page: &PageRef) -> Option<String> {
        match page.title()? {
            "Includee" => Some("<p>Included <strong>text</strong></p>".into()),
            "Loop" => Some(
                r#"<p>loop body</p><ac:structured-macro ac:name="include"><ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Loop"/></ac:link></ac:parameter></ac:structured-macro>"#
                    .into(),
            ),
            "Excerpted" => Some(
                r#"<p>not this</p><ac:structured-macro ac:name="excerpt"><ac:rich-text-body><p>Only the excerpt</p></ac:rich-text-body></ac:structured-macro>"#
                    .into(),
            ),
            _ => None,
        }
    }
    fn children(&self, _query: ChildQuery) -> Option<Vec<ChildPage>> {
        let child = |t: &str, children| ChildPage {
            title: t.into(),
            page: PageRef::Title {
                space: None,
                title: t.into(),
            },
            created: None,
            modified: None,
            children,
        };
        Some(vec![
            child("Alpha", vec![child("Alpha One", vec![])]),
            child("Beta", vec![]),
        ])
    }
    fn attachments(&self) -> Option<Vec<String>> {
        Some(vec!["a.pdf".into(), "b c.png".into()])
    }
    fn current_page(&self) -> Option<CurrentPage> {
        Some(CurrentPage {
            title: "Home Page".into(),
            space: Some(SpaceKey("DOC".into())),
            id: None,
        })
    }
}

fn online(storage: &str) -> Converted {
    convert(storage, &Online, &Options::default())
}

macro_rules! snap {
    ($name:ident, $input:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(md(&$input));
        }
    };
}

snap!(
    headings,
    "<h1>One</h1><h2>Two <em>em</em></h2><h3>a<br/>b</h3><h6>Six</h6>"
);
snap!(
    paragraphs_and_whitespace,
    "<p>first   line\n  continues</p><p class=\"auto-cursor-target\"><br/></p><p style=\"text-align: center;\">second</p>"
);
snap!(
    emphasis,
    "<p><strong>bold</strong> <b>b</b> <em>it</em> <i>i</i> <strong> spaced </strong>x</p>"
);
snap!(
    underline_sub_sup_strike,
    "<p><u>under</u> H<sub>2</sub>O x<sup>2</sup> <s>gone</s> <del>del</del> <span style=\"text-decoration: line-through;\">span</span></p>"
);
snap!(
    metacharacters_escaped,
    "<p>*not em* _x_ # not heading</p><p>1. not a list</p><p>[not](link) `tick` &lt;b&gt; a|b trailing\\</p><p>- dash + plus</p>"
);
snap!(
    inline_code_with_backticks,
    "<p><code>a`b</code> and <code>``</code> and <tt>tt</tt> and <code> padded </code></p>"
);
snap!(
    code_macro_language_title,
    mac(
        "code",
        &[("language", "c#"), ("title", "Example")],
        &plain("var x = 1;\n```\nnested fence\n")
    )
);
snap!(
    code_macro_no_language,
    mac("code", &[], &plain("plain text"))
);
snap!(
    noformat,
    mac(
        "noformat",
        &[("nopanel", "true")],
        &plain("  raw  *text*\n")
    )
);
snap!(
    panels_by_meaning,
    format!(
        "{}{}{}{}",
        mac("info", &[("title", "Info title")], &rich("<p>info</p>")),
        mac("note", &[], &rich("<p>note is a warning</p>")),
        mac("warning", &[], &rich("<p>warning is an error</p>")),
        mac("tip", &[], &rich("<p>tip is success</p>"))
    )
);
snap!(
    app_alert_macro_by_type,
    ["Success", "Info", "Warning", "Error", "other"]
        .iter()
        .map(|k| mac(
            "alert",
            &[("title", "Done"), ("type", k)],
            &rich(&format!("<p>{k}</p>"))
        ))
        .collect::<String>()
);
snap!(
    custom_panel,
    mac(
        "panel",
        &[
            ("panelIcon", ":rainbow:"),
            ("panelIconText", "🌈"),
            ("bgColor", "#E6FCFF"),
            ("title", "Custom")
        ],
        &rich("<p>This is a custom panel.</p>")
    )
);
snap!(
    adf_panels,
    ["note", "info", "success", "warning", "error", "custom"]
        .iter()
        .map(|k| format!(
            r#"<ac:adf-extension><ac:adf-node type="panel"><ac:adf-attribute key="panel-type">{k}</ac:adf-attribute><ac:adf-content><p>{k} panel</p></ac:adf-content></ac:adf-node><ac:adf-fallback><div><p>{k} panel</p></div></ac:adf-fallback></ac:adf-extension>"#
        ))
        .collect::<String>()
);
snap!(
    adf_decision_list,
    r#"<ac:adf-extension><ac:adf-node type="decision-list"><ac:adf-attribute key="local-id">x</ac:adf-attribute><ac:adf-node type="decision-item"><ac:adf-attribute key="state">DECIDED</ac:adf-attribute><ac:adf-content>Use X</ac:adf-content></ac:adf-node><ac:adf-node type="decision-item"><ac:adf-attribute key="state">UNDECIDED</ac:adf-attribute><ac:adf-content>Maybe Y</ac:adf-content></ac:adf-node></ac:adf-node><ac:adf-fallback><ul><li>Use X</li></ul></ac:adf-fallback></ac:adf-extension>"#
);
snap!(
    expand_nested,
    mac(
        "expand",
        &[("title", "Outer &lt;title&gt; &amp; more")],
        &rich(&format!(
            "<p>outer</p>{}",
            mac(
                "expand",
                &[],
                &rich(&mac("code", &[("language", "sql")], &plain("SELECT 1;")))
            )
        ))
    )
);
snap!(
    table_simple,
    "<table><tbody><tr><th>Key</th><th>Val|ue</th></tr><tr><td><p>a</p><p>second para</p></td><td>b<br/>c <code>x|y</code></td></tr><tr><td>short row</td></tr></tbody></table>"
);
snap!(
    table_merged_and_block_cells,
    "<table><tbody><tr><th colspan=\"2\">Wide</th></tr><tr><td><ul><li>item</li></ul></td><td>plain *text*</td></tr><tr><td rowspan=\"2\">tall</td><td>x</td></tr></tbody></table>"
);
snap!(
    lists_nested_and_ordered,
    "<ul><li><p>one</p><ul><li>one.a</li></ul></li><li>two</li></ul><ol start=\"3\"><li>three</li><li>four<ol><li>inner</li></ol></li></ol>"
);
snap!(
    task_list_nested,
    r#"<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete</ac:task-status><ac:task-body>done <time datetime="2024-02-22" /></ac:task-body></ac:task><ac:task><ac:task-id>2</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>todo<ac:task-list><ac:task><ac:task-id>3</ac:task-id><ac:task-status>incomplete</ac:task-status><ac:task-body>nested</ac:task-body></ac:task></ac:task-list></ac:task-body></ac:task></ac:task-list>"#
);
snap!(
    blockquote_and_rule,
    "<blockquote><p>quoted</p><p>two</p></blockquote><hr/><p>after</p>"
);
snap!(
    links_external_and_confluence_urls,
    r#"<p><a href="https://example.com/a b(c)">ext</a> <a href="https://x.atlassian.net/wiki/spaces/QM/pages/123/T" data-card-appearance="inline">smart</a> <a href="https://example.com"></a></p>"#
);
snap!(
    page_links_offline,
    r#"<p><ac:link><ri:page ri:space-key="FOO" ri:content-title="Test Page"/><ac:plain-text-link-body><![CDATA[Link *text*]]></ac:plain-text-link-body></ac:link> <ac:link><ri:page ri:content-title="No Space"/></ac:link> <ac:link><ri:content-entity ri:content-id="42"/><ac:link-body>rich <strong>body</strong></ac:link-body></ac:link> <ac:link><ri:blog-post ri:space-key="FOO" ri:content-title="First Post" ri:posting-day="2012/01/30"/></ac:link> <ac:link><ri:space ri:space-key="TST"/></ac:link></p>"#
);
snap!(
    anchors_and_anchor_links,
    format!(
        r#"<p>{}</p><h2>Some Heading</h2><p><ac:link ac:anchor="my-anchor"><ac:plain-text-link-body><![CDATA[to anchor]]></ac:plain-text-link-body></ac:link> <ac:link ac:anchor="Some Heading"/></p>"#,
        mac("anchor", &[("", "my-anchor")], "")
    )
);
snap!(
    attachments_and_images,
    r##"<p><ac:link><ri:attachment ri:filename="happy.gif"/></ac:link> <ac:link><ri:attachment ri:filename="x.png"><ri:page ri:space-key="TST" ri:content-title="Other"/></ri:attachment><ac:plain-text-link-body><![CDATA[other's]]></ac:plain-text-link-body></ac:link></p><p><ac:image ac:alt="shot" ac:title="A title"><ri:attachment ri:filename="shot one.png"/></ac:image> <ac:image ac:width="760"><ri:url ri:value="https://example.com/x.png"/></ac:image></p><ac:image><ri:attachment ri:filename="c.png"/><ac:caption><p>Workflow &gt; Reviews</p></ac:caption><ac:adf-mark key="border" size="1" color="#091e4224" /></ac:image>"##
);
snap!(
    user_mentions_offline,
    r#"<p>hi <ac:link><ri:user ri:account-id="5b10ac8d82e05b22cc7d4ef5"/></ac:link> and <ac:link><ri:user ri:userkey="2c9680f7"/></ac:link></p>"#
);
snap!(
    emoticons,
    r#"<p><ac:emoticon ac:name="smile"/> <ac:emoticon ac:name="smile" ac:emoji-shortname=":slight_smile:" ac:emoji-id="1f642" ac:emoji-fallback="🙂"/> <ac:emoticon ac:name="blue-star" ac:emoji-id="atlassian-check_mark" ac:emoji-fallback=":check_mark:"/> <ac:emoticon ac:name="tick"/> <ac:emoticon ac:name="blue-star" ac:emoji-fallback="&#128521;"/> <ac:emoticon ac:name="unknown-thing"/> <ac:emoticon ac:name="blue-star" ac:emoji-id="1f4cb"/> <ac:emoticon ac:name="blue-star" ac:emoji-id="32-20e3"/> <ac:emoticon ac:name="blue-star" ac:emoji-id="8131cbc6-728f-4eb5-abed-e3e9204f76a4" ac:emoji-fallback=":copy:"/> <ac:emoticon ac:name="blue-star" ac:emoji-id="27g52" ac:emoji-shortname=":face_exhaling:"/></p>"#
);
snap!(
    status_and_time,
    format!(
        r#"<p>State: {} on <time datetime="2024-01-01" /></p>"#,
        mac(
            "status",
            &[("title", "added-10.2.2"), ("colour", "Green")],
            ""
        )
    )
);
snap!(
    jira_offline,
    format!(
        "<p>{} and {}</p>",
        mac("jira", &[("key", "ABC-123"), ("server", "Jira")], ""),
        mac("jira", &[("jqlQuery", "project = \"Confluence test\"")], "")
    )
);
snap!(
    toc_from_headings,
    format!(
        "{}<h1>Overview</h1><h2>Part A</h2><h3>Deep</h3><h2>Part B</h2><h1>Overview</h1>",
        mac("toc", &[("maxLevel", "2"), ("exclude", "Overview")], "")
    )
);
snap!(children_offline, mac("children", &[("depth", "2")], ""));
snap!(
    excerpt_hidden,
    mac(
        "excerpt",
        &[("hidden", "true")],
        &rich("<p>Summary text</p>")
    )
);
snap!(
    excerpt_kept,
    mac("excerpt", &[], &rich("<p>Summary text</p>"))
);
snap!(
    include_offline_links,
    format!(
        "{}{}",
        mac(
            "include",
            &[],
            r#"<ac:parameter ac:name=""><ac:link><ri:page ri:space-key="X" ri:content-title="Includee"/></ac:link></ac:parameter>"#
        ),
        mac(
            "excerpt-include",
            &[("nopanel", "true")],
            r#"<ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Some page"/></ac:link></ac:parameter>"#
        )
    )
);
snap!(
    details_page_properties,
    mac(
        "details",
        &[("id", "props")],
        &rich(
            "<table><tbody><tr><th>Owner</th><td>Ada</td></tr><tr><th>Status</th><td>Draft</td></tr></tbody></table>"
        )
    )
);
snap!(
    details_summary,
    mac("detailssummary", &[("cql", "label = \"x\"")], "")
);
snap!(
    layouts_in_reading_order,
    r#"<ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell><p>left</p></ac:layout-cell><ac:layout-cell><p>right</p></ac:layout-cell></ac:layout-section><ac:layout-section ac:type="single"><ac:layout-cell><p>below</p></ac:layout-cell></ac:layout-section></ac:layout>"#
);
snap!(
    section_column_macros,
    mac(
        "section",
        &[],
        &rich(&format!(
            "{}{}",
            mac("column", &[("width", "50%")], &rich("<p>col 1</p>")),
            mac("column", &[], &rich("<p>col 2</p>"))
        ))
    )
);
snap!(
    drawio_and_gliffy,
    format!(
        "{}{}",
        mac("drawio", &[("diagramName", "arch"), ("revision", "1")], ""),
        mac("gliffy", &[("name", "flow.png"), ("pagePin", "5")], "")
    )
);
snap!(
    plantuml_and_mermaid,
    format!(
        "{}{}{}",
        mac("plantuml", &[], &plain("@startuml\nA -> B\n@enduml")),
        mac("mermaid", &[], &plain("graph TD; A-->B")),
        mac("mermaid-cloud", &[("filename", "diagram-name")], "")
    )
);
snap!(
    multimedia_and_view_file,
    format!(
        "{}{}{}",
        mac(
            "multimedia",
            &[],
            r#"<ac:parameter ac:name="name"><ri:attachment ri:filename="Dummy 1.pdf"/></ac:parameter>"#
        ),
        mac(
            "view-file",
            &[],
            r#"<ac:parameter ac:name="name"><ri:attachment ri:filename="994_external.json"/></ac:parameter>"#
        ),
        mac(
            "viewpdf",
            &[],
            r#"<ac:parameter ac:name="name"><ri:attachment ri:filename="doc.pdf"/></ac:parameter>"#
        )
    )
);
snap!(attachments_macro_offline, mac("attachments", &[], ""));
snap!(
    widget,
    mac(
        "widget",
        &[],
        r#"<ac:parameter ac:name="url"><ri:url ri:value="http://www.youtube.com/watch?v=Titn-yAh74A"/></ac:parameter>"#
    )
);
snap!(
    placeholders_dropped_comment_markers_kept,
    r#"<p><ac:placeholder>Type here</ac:placeholder>Kept <ac:inline-comment-marker ac:ref="d4d8">Line 2</ac:inline-comment-marker></p>"#
);
snap!(
    unknown_macro_keeps_body,
    format!(
        "{}<p>{}</p>",
        mac(
            "ui-steps",
            &[("x", "y")],
            &rich("<p>Step <strong>one</strong></p>")
        ),
        mac("recently-updated", &[], "")
    )
);
snap!(
    malformed_recovers,
    "<p>a < b && c &nbsp;&rarr; <strong>open <em>mismatch</strong> tail</em></p><p>unclosed <b>bold"
);

#[test]
fn online_context_links_mentions_jira_includes() {
    let s = format!(
        r#"<p><ac:link><ri:page ri:content-title="Target"/></ac:link> <ac:link><ri:user ri:account-id="557058:abc"/></ac:link> <ac:link ac:anchor="HomePage-Section"><ri:page ri:content-title="Target"/></ac:link></p>{}{}{}{}{}{}"#,
        mac("jira", &[("key", "ABC-1")], ""),
        mac("jira", &[("jqlQuery", "project = X")], ""),
        mac(
            "include",
            &[],
            r#"<ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Includee"/></ac:link></ac:parameter>"#
        ),
        mac(
            "include",
            &[],
            r#"<ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Loop"/></ac:link></ac:parameter>"#
        ),
        mac(
            "excerpt-include",
            &[],
            r#"<ac:parameter ac:name=""><ac:link><ri:page ri:content-title="Excerpted"/></ac:link></ac:parameter>"#
        ),
        mac("children", &[("allChildren", "true")], ""),
    );
    let out = online(&s);
    insta::assert_snapshot!(out.markdown);
    assert!(
        out.warnings
            .iter()
            .any(|w| w.kind == cme_convert::WarningKind::Include)
    );
    let titles: Vec<_> = out.pages.iter().filter_map(PageRef::title).collect();
    assert_eq!(
        titles,
        [
            "Target",
            "Includee",
            "Loop",
            "Excerpted",
            "Alpha",
            "Alpha One",
            "Beta"
        ]
    );
}

#[test]
fn online_attachments_macro_and_references() {
    let out = online(&format!(
        r#"{}<p><ac:image><ri:attachment ri:filename="a.pdf"/></ac:image></p>"#,
        mac("attachments", &[], "")
    ));
    insta::assert_snapshot!(out.markdown);
    let files: Vec<_> = out
        .attachments
        .iter()
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(files, ["a.pdf", "b c.png"], "deduplicated, in order");
}

#[test]
fn page_properties_are_returned() {
    let out = md_full(&mac(
        "details",
        &[],
        &rich(
            "<table><tbody><tr><th>Owner</th><td><p>Ada <em>L.</em></p></td></tr><tr><th>Due</th><td><time datetime=\"2024-05-01\"/></td></tr></tbody></table>",
        ),
    ));
    assert_eq!(
        out.properties,
        [
            ("Owner".to_owned(), "Ada L.".to_owned()),
            ("Due".to_owned(), "2024-05-01".to_owned())
        ]
    );
}

/// Property values are data: a mention is the name alone (no `@`), a link
/// its text; the page body keeps the mention as a mention.
#[test]
fn property_values_are_plain_text() {
    struct Names;
    impl Context for Names {
        fn user_name(&self, _: &UserRef) -> Option<String> {
            Some("Sim User".into())
        }
    }
    let out = convert(
        &mac(
            "details",
            &[],
            &rich(
                "<table><tbody><tr><th>Owner</th><td><p><ac:link><ri:user ri:account-id=\"557058:abc\"/></ac:link></p></td></tr><tr><th>Spec</th><td><a href=\"https://e.test/spec\">the spec</a></td></tr></tbody></table>",
            ),
        ),
        &Names,
        &Options::default(),
    );
    assert_eq!(
        out.properties,
        [
            ("Owner".to_owned(), "Sim User".to_owned()),
            ("Spec".to_owned(), "the spec".to_owned())
        ]
    );
    assert!(out.markdown.contains("@Sim User"), "{}", out.markdown);
}

fn md_full(s: &str) -> Converted {
    convert(s, &OfflineContext::default(), &Options::default())
}

#[test]
fn options_title_wiki_links_blockquote_alerts_omit_dynamic() {
    let opts = Options {
        title: Some("My *Page*".into()),
        link_style: LinkStyle::Wiki,
        alert_style: AlertStyle::Blockquote,
        toc: DynamicMacro::Omit,
        children: DynamicMacro::Omit,
    };
    let s = format!(
        r#"{}{}<h2>Sec</h2><p><ac:link><ri:page ri:content-title="Target"/><ac:plain-text-link-body><![CDATA[the target]]></ac:plain-text-link-body></ac:link> <ac:link><ri:page ri:content-title="Other"/></ac:link></p>{}"#,
        mac("toc", &[], ""),
        mac("children", &[], ""),
        mac("warning", &[("title", "Careful")], &rich("<p>body</p>")),
    );
    let out = convert(&s, &Online, &opts);
    insta::assert_snapshot!(out.markdown);
    assert_eq!(out.headings.len(), 2);
    assert_eq!(out.headings[0].anchor, "my-page");
    assert_eq!(out.headings[1].anchor, "sec");
}

#[test]
fn headings_are_reported_with_unique_anchors() {
    let out = md_full("<h1>Intro</h1><h2>Intro</h2><h2>C# &amp; .NET</h2>");
    let got: Vec<_> = out
        .headings
        .iter()
        .map(|h| (h.level, h.text.as_str(), h.anchor.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (1, "Intro", "intro"),
            (2, "Intro", "intro-1"),
            (2, "C# & .NET", "c--net")
        ]
    );
}

#[test]
fn page_refs_are_collected_and_deduplicated() {
    let out = md_full(
        r#"<p><ac:link><ri:page ri:space-key="A" ri:content-title="T"/></ac:link><ac:link><ri:page ri:space-key="A" ri:content-title="T"/></ac:link><a href="/pages/viewpage.action?pageId=7">x</a></p>"#,
    );
    assert_eq!(
        out.pages,
        [
            PageRef::Title {
                space: Some(SpaceKey("A".into())),
                title: "T".into()
            },
            PageRef::Id(ContentId("7".into()))
        ]
    );
}

snap!(
    img_app_macro,
    mac(
        "img",
        &[("alt", "some alt"), ("title", "A title")],
        r#"<ac:parameter ac:name="src"><ri:url ri:value="https://example.com/a.jpg"/></ac:parameter>"#
    )
);
snap!(
    spacer_paragraphs_and_bold_headings,
    "<p>&nbsp;</p><h1><strong>Goal</strong></h1><h2><em>Lead&nbsp;</em></h2><p><strong>&#160;</strong>Tech Lead</p>"
);
snap!(
    code_macro_collapsed,
    mac(
        "code",
        &[
            ("language", "sql"),
            ("title", "The menu"),
            ("collapse", "true")
        ],
        &plain("SELECT * FROM menu;")
    )
);

/// A task whose body starts with a list keeps the list a list (GFM would
/// otherwise read `- [ ] - a` as a task with the text "- a").
#[test]
fn task_body_starting_with_a_list_stays_a_nested_list() {
    use pulldown_cmark::{Event, Options as MdOptions, Parser, Tag};
    let s = "<ac:task-list><ac:task><ac:task-status>incomplete</ac:task-status><ac:task-body><ul><li>a</li><li>b</li></ul></ac:task-body></ac:task></ac:task-list>";
    let out = md(s);
    let events: Vec<Event> = Parser::new_ext(&out, MdOptions::ENABLE_TASKLISTS).collect();
    let marker = events
        .iter()
        .position(|e| matches!(e, Event::TaskListMarker(false)))
        .unwrap_or_else(|| panic!("no task marker in {out:?}"));
    let nested = events[marker..]
        .iter()
        .filter(|e| matches!(e, Event::Start(Tag::Item)))
        .count();
    assert_eq!(nested, 2, "{out:?}: {events:?}");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Text(t) if t.starts_with('-')))
    );
}

/// toc include/exclude are regular expressions, found anywhere in the
/// heading and case-sensitive as in Confluence; one that does not compile
/// is matched as text, with a warning.
#[test]
fn toc_filters_are_regexes() {
    let headings =
        "<h1>Intro</h1><h2>Step 1</h2><h2>Step 2a</h2><h2>step 3</h2><h2>Outro (old)</h2>";
    let toc = |params: &[(&str, &str)]| {
        let out = md_full(&format!("{}{headings}", mac("toc", params, "")));
        let list: Vec<String> = out
            .markdown
            .lines()
            .take_while(|l| !l.starts_with('#'))
            .filter(|l| l.trim_start().starts_with("- "))
            .map(|l| l.trim().to_string())
            .collect();
        (list, out.warnings)
    };
    let (list, warnings) = toc(&[("include", r"^Step \d+$")]);
    assert_eq!(list, ["- [Step 1](#step-1)"], "{warnings:?}");
    let (list, _) = toc(&[("exclude", "Step|Intro")]);
    assert_eq!(list, ["- [step 3](#step-3)", "- [Outro (old)](#outro-old)"]);
    let (list, warnings) = toc(&[("include", "(old")]);
    assert_eq!(list, ["- [Outro (old)](#outro-old)"]);
    assert!(
        warnings.iter().any(|w| w.message.contains("(old")),
        "{warnings:?}"
    );
}

/// plantumlcloud keeps its source as base64 of raw-deflated,
/// percent-encoded text (or not deflated with `compressed=false`).
#[test]
fn plantumlcloud_source_is_decoded() {
    let source = "@startuml\nAlice -> Bob: hi & bye ä\n@enduml";
    let deflated =
        "UzUxKC5JLCopzc1RNXB0zMlMTlU1MtBVNXYFUk75SarGjkBGRiaQUDUyA5JJlSAFqs7Gqo4mQB2qJgapeSlA3QA=";
    let plain = "JTQwc3RhcnR1bWwlMEFBbGljZSUyMC0lM0UlMjBCb2IlM0ElMjBoaSUyMCUyNiUyMGJ5ZSUyMCVDMyVBNCUwQSU0MGVuZHVtbA==";
    for (data, compressed) in [(deflated, "true"), (plain, "false")] {
        let out = md_full(&mac(
            "plantumlcloud",
            &[
                ("filename", "flow.svg"),
                ("data", data),
                ("compressed", compressed),
            ],
            "",
        ));
        assert!(
            out.markdown
                .starts_with(&format!("```plantuml\n{source}\n```\n")),
            "{}",
            out.markdown
        );
        assert!(out.markdown.contains("flow.svg"), "{}", out.markdown);
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    }
    let out = md_full(&mac(
        "plantumlcloud",
        &[("filename", "flow.svg"), ("data", "not base64 at all!")],
        "",
    ));
    assert!(!out.markdown.contains("```"), "{}", out.markdown);
    assert!(out.markdown.contains("flow.svg"));
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("plantumlcloud"))
    );
}

/// An unknown macro is named in a comment with its parameters (a title is
/// content too), but never with ones that hold credentials; a value cannot
/// end the comment early.
#[test]
fn unknown_macro_comment_lists_parameters_but_not_secrets() {
    let s = mac(
        "swagger-integration",
        &[
            ("url", "https://api.test/spec"),
            ("token", "tok-123"),
            ("password", "hunter2"),
            ("apiKey", "k-456"),
            ("title", "A --> \"quoted\"\n title"),
        ],
        "<ac:rich-text-body><p>body</p></ac:rich-text-body>",
    );
    let out = md(&s);
    let first = out.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        r#"<!-- macro: swagger-integration url="https://api.test/spec" title="A -> 'quoted' title" -->"#
    );
    for secret in ["tok-123", "hunter2", "k-456"] {
        assert!(!out.contains(secret), "{out}");
    }
    assert!(out.contains("body"));
}

/// The title option is one heading line whatever it holds; an empty title
/// adds no heading.
#[test]
fn title_option_is_one_line() {
    let with = |title: &str| {
        convert(
            "<p>x</p>",
            &OfflineContext::default(),
            &Options {
                title: Some(title.into()),
                ..Options::default()
            },
        )
    };
    let out = with("Line1\nLine2 \u{1} # not *em*\r\n");
    // A `#` inside the heading's text cannot close it: no backslash.
    assert_eq!(out.markdown, "# Line1 Line2 # not \\*em\\*\n\nx\n");
    assert_eq!(out.headings[0].text, "Line1 Line2 # not *em*");
    assert_eq!(with(" \n ").markdown, "x\n");
}

/// Whiteboards, databases and Smart Link embeds have no Markdown form: a
/// link to Confluence with a typed note and a warning, never nothing.
#[test]
fn content_without_a_markdown_form_is_linked_with_a_note() {
    let url = "https://x.atlassian.net/wiki/spaces/D/whiteboard/123";
    let out = md_full(&format!(
        "<p><a href=\"{url}\" data-card-appearance=\"embed\">{url}</a></p>"
    ));
    assert_eq!(
        out.markdown,
        format!(
            "[Whiteboard 123]({url}) (Confluence whiteboard: no Markdown form; open it in Confluence)\n"
        )
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("whiteboard")),
        "{:?}",
        out.warnings
    );
    let db = "https://x.atlassian.net/wiki/spaces/D/database/77?x=1";
    let out = md_full(&format!(
        "<a href=\"{db}\" data-card-appearance=\"block\">Roadmap</a>"
    ));
    assert!(
        out.markdown
            .starts_with(&format!("[Roadmap]({db}) (Confluence database:")),
        "{}",
        out.markdown
    );
    // An ordinary link is not touched.
    let plain = md_full("<p><a href=\"https://e.test/whiteboard/x\">w</a></p>");
    assert_eq!(plain.markdown, "[w](https://e.test/whiteboard/x)\n");
}

/// An editor element with neither content nor fallback is named in a
/// comment and a warning, not dropped silently.
#[test]
fn an_empty_editor_element_is_named_not_dropped() {
    let out = md_full(
        "<ac:adf-extension><ac:adf-node type=\"extension\"><ac:adf-attribute key=\"extension-key\">whiteboard--x</ac:adf-attribute></ac:adf-node></ac:adf-extension>",
    );
    assert_eq!(
        out.markdown,
        "<!-- Confluence element `whiteboard&#45;&#45;x` (no Markdown form) -->\n"
    );
    assert!(
        out.warnings
            .iter()
            .any(|w| w.message.contains("whiteboard--x"))
    );
}

/// A page-properties report the context answers is a table: the title
/// column (linked), then one column per heading, cells converted from
/// Confluence's rendering; unanswered, a summary line and a warning.
#[test]
fn page_properties_report_is_a_table_of_its_rows() {
    use cme_convert::{Report, ReportQuery, ReportRow};
    struct Rows;
    impl Context for Rows {
        fn page_properties_report(&self, q: &ReportQuery) -> Option<Report> {
            assert_eq!(q.cql, "label = \"decision\"");
            assert_eq!(q.headings, "Owner,Status");
            assert!(q.reverse);
            Some(Report {
                headings: vec!["Owner".into(), "Status".into()],
                rows: vec![
                    ReportRow {
                        page: ContentId("7".into()),
                        title: "Use | pipes".into(),
                        cells: vec![
                            "<p>Ada <strong>L.</strong></p>".into(),
                            "<span class=\"status-macro aui-lozenge\">DONE</span>".into(),
                        ],
                    },
                    ReportRow {
                        page: ContentId("8".into()),
                        title: "Second".into(),
                        cells: vec![String::new()],
                    },
                ],
            })
        }
        fn page_link(&self, page: &PageRef) -> Option<String> {
            match page {
                PageRef::Id(id) if id.0 == "7" => Some("Decisions/Use%20pipes.md".into()),
                _ => None,
            }
        }
    }
    let storage = mac(
        "detailssummary",
        &[
            ("cql", "label = \"decision\""),
            ("headings", "Owner,Status"),
            ("reverseSort", "true"),
            ("firstcolumn", "Decision"),
        ],
        "",
    );
    let out = convert(&storage, &Rows, &Options::default());
    assert_eq!(
        out.markdown,
        "| Decision | Owner | Status |\n| --- | --- | --- |\n| [Use \\| pipes](Decisions/Use%20pipes.md) | Ada **L.** | DONE |\n| [Second](/pages/viewpage.action?pageId=8) |  |  |\n"
    );
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let offline = md_full(&storage);
    assert!(offline.markdown.starts_with("*Page properties report"));
    assert!(
        offline
            .warnings
            .iter()
            .any(|w| w.message.contains("page-properties report"))
    );
}

/// Jira: a key is a link when the Jira site is known, text and a warning
/// (naming `--jira-url`) when not; the legacy `jiraissues` macro is a link
/// to its query on the Jira site its URL names, never dropped.
#[test]
fn jira_macros_link_or_say_why_not() {
    let key = mac("jira", &[("key", "CME-42")], "");
    let offline = md_full(&key);
    assert_eq!(offline.markdown, "CME-42\n");
    assert!(
        offline
            .warnings
            .iter()
            .any(|w| w.message.contains("--jira-url")),
        "{:?}",
        offline.warnings
    );
    let legacy = mac(
        "jiraissues",
        &[(
            "url",
            "https://jira.example.com/sr/jira.issueviews:searchrequest-xml/temp/SearchRequest.xml?jqlQuery=project+%3D+CME&amp;tempMax=1000",
        )],
        "",
    );
    let out = md_full(&legacy);
    assert_eq!(
        out.markdown,
        "[Jira issues: project = CME](https://jira.example.com/issues/?jql=project%20%3D%20CME)\n"
    );
}

/// A context that knows Jira's answers, as the exporter's does after its
/// bulk searches.
struct JiraKnown;

impl Context for JiraKnown {
    fn jira_base_url(&self, server: &str) -> Option<String> {
        (server == "s1").then(|| "https://jira.example.com".into())
    }
    fn jira_issue(&self, server: &str, key: &str) -> Option<cme_convert::JiraIssue> {
        (server == "s1" && key == "CME-42").then(|| issue("CME-42", "Export | Jira", "In Progress"))
    }
    fn jira_issues(&self, q: &cme_convert::JiraQuery) -> Option<cme_convert::JiraIssues> {
        (q.server == "s1").then(|| cme_convert::JiraIssues {
            total: 3,
            issues: vec![
                issue("CME-42", "Export | Jira", "In Progress"),
                issue("CME-7", "Tables", "To Do"),
            ]
            .into_iter()
            .take(q.max as usize)
            .collect(),
        })
    }
}

fn issue(key: &str, summary: &str, status: &str) -> cme_convert::JiraIssue {
    let mut fields = std::collections::BTreeMap::new();
    fields.insert("summary".to_owned(), summary.to_owned());
    fields.insert("status".to_owned(), status.to_owned());
    fields.insert("type".to_owned(), "Task".to_owned());
    cme_convert::JiraIssue {
        key: key.into(),
        fields,
    }
}

/// Jira with answers: a key reads as its link, summary and status; a JQL
/// list is a table in the macro's columns (an unknown one is empty), the
/// rest of a longer result a link to the search; `count` is the count; a
/// server the context does not answer keeps today's link to the search.
#[test]
fn jira_macros_with_answers_are_summaries_and_tables() {
    let conv = |s: &str| convert(s, &JiraKnown, &Options::default()).markdown;
    let key = mac("jira", &[("key", "CME-42"), ("serverId", "s1")], "");
    assert_eq!(
        conv(&format!("<p>See {key}.</p>")),
        "See [CME-42](https://jira.example.com/browse/CME-42) Export | Jira (In Progress).\n"
    );
    let list = mac(
        "jira",
        &[
            ("jqlQuery", "project = CME"),
            ("serverId", "s1"),
            ("columns", "type;key,summary,STATUS,assignee"),
            ("maximumIssues", "2"),
        ],
        "",
    );
    assert_eq!(
        conv(&list),
        "| Type | Key | Summary | Status | Assignee |\n\
         | --- | --- | --- | --- | --- |\n\
         | Task | [CME-42](https://jira.example.com/browse/CME-42) | Export \\| Jira | In Progress |  |\n\
         | Task | [CME-7](https://jira.example.com/browse/CME-7) | Tables | To Do |  |\n\
         \n\
         [2 of 3 issues: project = CME](https://jira.example.com/issues/?jql=project%20%3D%20CME)\n"
    );
    let count = mac(
        "jira",
        &[
            ("jqlQuery", "project = CME"),
            ("serverId", "s1"),
            ("count", "true"),
        ],
        "",
    );
    assert_eq!(
        conv(&count),
        "[3 issues](https://jira.example.com/issues/?jql=project%20%3D%20CME)\n"
    );
    let other = mac(
        "jira",
        &[("jqlQuery", "project = X"), ("serverId", "s2")],
        "",
    );
    assert_eq!(conv(&other), "Jira issues: project = X\n");
}
