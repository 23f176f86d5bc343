//! Macros rendered from their own storage alone (code, panels, status,
//! expand, diagrams, …): the `ac:structured-macro` dispatch and the wrapper
//! attributes every rendered macro carries. Macros that read other content
//! live in `site_macros.rs`.

use std::fmt::Write as _;

use super::{R, anchor};
use crate::http::enc_path;
use crate::model::Status;
use crate::render::storage::{Element, decode_entities, escape_text};

fn macro_color(c: &str) -> &'static str {
    match c.to_ascii_lowercase().as_str() {
        "green" => "success",
        "red" => "error",
        "yellow" => "current",
        "blue" => "complete",
        "purple" => "progress",
        _ => "",
    }
}

impl R<'_, '_> {
    /// The attributes every rendered macro wrapper carries, as on real pages:
    /// `data-hasbody`, `data-macro-name` and `data-macro-id` (the storage
    /// macro's `ac:macro-id`, or a stable made-up one when it has none).
    pub(super) fn macro_attrs(&mut self, e: &Element, name: &str) -> String {
        self.macros += 1;
        let id = e
            .attr("ac:macro-id")
            .map(str::to_string)
            .unwrap_or_else(|| {
                crate::model::uuid_from(self.page.id.wrapping_mul(0x1_0000_01b3) ^ self.macros)
            });
        let body =
            e.child("ac:rich-text-body").is_some() || e.child("ac:plain-text-body").is_some();
        format!(
            "data-hasbody=\"{body}\" data-macro-name=\"{}\" data-macro-id=\"{}\"",
            escape_text(name),
            escape_text(&decode_entities(&id))
        )
    }

    pub(super) fn macro_(&mut self, e: &Element) {
        let name = e.attr("ac:name").unwrap_or("").to_string();
        let ma = self.macro_attrs(e, &name);
        let p = |k: &str| e.param(k).unwrap_or_default();
        match name.as_str() {
            "code" | "noformat" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                if name == "code" {
                    let lang = p("language");
                    let title = p("title");
                    let _ = write!(
                        self.out,
                        "<div class=\"code panel pdl conf-macro output-block\" {ma}>"
                    );
                    if !title.is_empty() {
                        let _ = write!(
                            self.out,
                            "<div class=\"codeHeader panelHeader pdl\"><b>{}</b></div>",
                            escape_text(&title)
                        );
                    }
                    let _ = write!(
                        self.out,
                        "<div class=\"codeContent panelContent pdl\"><pre class=\"syntaxhighlighter-pre\" data-syntaxhighlighter-params=\"brush: {}; gutter: false; theme: Confluence\" data-theme=\"Confluence\">{body}</pre></div></div>",
                        if lang.is_empty() {
                            "java".into()
                        } else {
                            escape_text(&lang)
                        }
                    );
                } else {
                    let _ = write!(
                        self.out,
                        "<div class=\"preformatted panel conf-macro output-block\" {ma}><div class=\"preformattedContent panelContent\"><pre>{body}</pre></div></div>"
                    );
                }
            }
            "info" | "note" | "warning" | "tip" => {
                let icon = match name.as_str() {
                    "info" => "info",
                    "note" => "warning",
                    "warning" => "error",
                    _ => "approve",
                };
                let _ = write!(
                    self.out,
                    "<div class=\"confluence-information-macro confluence-information-macro-{name} conf-macro output-block\" {ma}><span class=\"aui-icon aui-icon-small aui-iconfont-{icon} confluence-information-macro-icon\"></span>"
                );
                let title = p("title");
                if !title.is_empty() {
                    let _ = write!(self.out, "<p class=\"title\">{}</p>", escape_text(&title));
                }
                self.out
                    .push_str("<div class=\"confluence-information-macro-body\">");
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "panel" => {
                let bg = p("bgColor");
                let style = if bg.is_empty() {
                    String::new()
                } else {
                    format!(" style=\"background-color: {bg};\"")
                };
                let _ = write!(
                    self.out,
                    "<div class=\"panel conf-macro output-block\" {ma}{style}>"
                );
                let title = p("title");
                if !title.is_empty() {
                    let _ = write!(
                        self.out,
                        "<div class=\"panelHeader\"><b>{}</b></div>",
                        escape_text(&title)
                    );
                }
                self.out.push_str("<div class=\"panelContent\">");
                let icon = p("panelIconText");
                if !icon.is_empty() {
                    let _ = write!(
                        self.out,
                        "<span class=\"panel-icon\">{}</span>",
                        escape_text(&icon)
                    );
                }
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "expand" => {
                self.expanders += 1;
                let n = self.expanders;
                let title = p("title");
                let title = if title.is_empty() {
                    "Click here to expand...".to_string()
                } else {
                    title
                };
                let _ = write!(
                    self.out,
                    "<div id=\"expander-{n}\" class=\"expand-container conf-macro output-block\" {ma}><div id=\"expander-control-{n}\" class=\"expand-control\"><span class=\"expand-icon aui-icon aui-icon-small aui-iconfont-chevron-right\"></span><span class=\"expand-control-text\">{}</span></div><div id=\"expander-content-{n}\" class=\"expand-content\">",
                    escape_text(&title)
                );
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "status" => {
                let color = macro_color(&p("colour"));
                let class = if color.is_empty() {
                    String::new()
                } else {
                    format!(" aui-lozenge-{color}")
                };
                let subtle = if p("subtle") == "true" {
                    " aui-lozenge-subtle"
                } else {
                    ""
                };
                let _ = write!(
                    self.out,
                    "<span class=\"status-macro aui-lozenge{class}{subtle} conf-macro output-inline\" {ma}>{}</span>",
                    escape_text(&p("title").to_uppercase())
                );
            }
            "toc" => self.toc(e, &ma),
            "children" => self.children(e, &ma),
            "anchor" => {
                let a = p("");
                let _ = write!(
                    self.out,
                    "<span class=\"confluence-anchor-link conf-macro output-inline\" id=\"{}\" {ma}></span>",
                    escape_text(&anchor(self.page.title(), &a))
                );
            }
            "jira" | "jiraissues" => {
                let key = p("key");
                if !key.is_empty() {
                    // The linked Jira (`crate::jira`): the site itself on
                    // Cloud, `/jira` on the same host for Data Center.
                    let jira = if self.ctx.cloud() {
                        self.ctx.state.origin.clone()
                    } else {
                        format!("{}/jira", self.ctx.state.origin)
                    };
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-jim-macro jira-issue conf-macro output-block\" data-jira-key=\"{0}\" {ma}><a href=\"{1}/browse/{0}\" class=\"jira-issue-key\">{0}</a></span>",
                        escape_text(&key),
                        escape_text(&jira)
                    );
                } else {
                    let _ = write!(
                        self.out,
                        "<div class=\"jira-table conf-macro output-block\" {ma} data-jql=\"{0}\"><p>Jira issues: {0}</p></div>",
                        escape_text(&p("jqlQuery"))
                    );
                }
            }
            "excerpt" => {
                if p("hidden") != "true" {
                    let _ = write!(self.out, "<div class=\"conf-macro output-block\" {ma}>");
                    self.rich_body(e);
                    self.out.push_str("</div>");
                }
            }
            "include" | "excerpt-include" => self.include(e, &name),
            "details" => {
                let _ = write!(
                    self.out,
                    "<div class=\"plugin-tabmeta-details conf-macro output-block\" {ma}>"
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "detailssummary" => self.details_summary(e, &ma),
            "drawio" | "gliffy" | "inc-drawio" | "drawio-sketch" => {
                let file = if name == "gliffy" {
                    p("name")
                } else {
                    p("diagramName")
                };
                let png = if file.ends_with(".png") {
                    file.clone()
                } else {
                    format!("{file}.png")
                };
                let src = self.url(&format!(
                    "/download/attachments/{}/{}?api=v2",
                    self.page.id,
                    enc_path(&png)
                ));
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" {ma}><img class=\"{name}-diagram-image\" src=\"{src}\" alt=\"{}\" /></div>",
                    escape_text(&file)
                );
            }
            "plantuml" | "mermaid" | "mermaid-macro" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" {ma}><pre>{body}</pre></div>"
                );
            }
            "plantumlcloud" | "mermaid-cloud" => {
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" {ma}><span>{}</span></div>",
                    escape_text(&p("filename"))
                );
            }
            "view-file" | "viewpdf" | "viewdoc" | "viewxls" | "viewppt" | "multimedia" => {
                if let Some(a) = e.param_el("name").and_then(|pe| pe.child("ri:attachment")) {
                    let file = decode_entities(a.attr("ri:filename").unwrap_or(""));
                    let href = self.attachment_url(a);
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-embedded-file-wrapper conf-macro output-block\" {ma}><a class=\"confluence-embedded-file\" href=\"{href}\">{}</a></span>",
                        escape_text(&file)
                    );
                }
            }
            "attachments" => {
                let _ = write!(
                    self.out,
                    "<div class=\"plugin_attachments_container conf-macro output-block\" {ma}><table class=\"attachments aui\"><tbody>"
                );
                let atts: Vec<_> = self
                    .page
                    .attachments
                    .iter()
                    .filter_map(|a| self.ctx.site.attachments.get(a))
                    .filter(|a| a.status == Status::Current)
                    .collect();
                for a in atts {
                    let href = self.url(&format!(
                        "/download/attachments/{}/{}?api=v2",
                        self.page.id,
                        enc_path(&a.filename)
                    ));
                    let _ = write!(
                        self.out,
                        "<tr><td><a href=\"{href}\">{}</a></td></tr>",
                        escape_text(&a.filename)
                    );
                }
                self.out.push_str("</tbody></table></div>");
            }
            "widget" => {
                let url = e
                    .param_el("url")
                    .and_then(|pe| {
                        pe.child("ri:url")
                            .and_then(|u| u.attr("ri:value"))
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| p("url"));
                let _ = write!(
                    self.out,
                    "<span class=\"conf-macro output-block\" {ma}><a href=\"{url}\">{url}</a></span>"
                );
            }
            "section" => {
                let _ = write!(
                    self.out,
                    "<div class=\"section section-1 conf-macro output-block\" {ma}>"
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "column" => {
                let w = p("width");
                let _ = write!(
                    self.out,
                    "<div class=\"columnMacro conf-macro output-block\" {ma}{}>",
                    if w.is_empty() {
                        String::new()
                    } else {
                        format!(" style=\"width:{w};\"")
                    }
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            _ => {
                // Unknown (app) macro: its body, as Confluence shows when the app is absent.
                self.rich_body(e);
            }
        }
    }
}
