//! `convert`: one storage-format document to Markdown, offline.
//!
//! Links stay Confluence targets (see `cme_convert::OfflineContext`), so the
//! output shows exactly what the converter does without a site behind it.
use crate::cli::args::markdown::MarkdownArgs;
use crate::cli::config::Config;
use anyhow::{Context as _, Result};
use clap::Args;
use cme_convert::{Context, CurrentPage, OfflineContext, Options, SpaceKey};
use std::io::{Read as _, Write as _};
use std::path::PathBuf;

/// Arguments of `convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// Storage-format file to convert; `-` or nothing reads stdin
    #[arg(value_name = "FILE|-")]
    input: Option<PathBuf>,
    /// Emit this title as a leading `# Title` heading
    #[arg(long)]
    title: Option<String>,
    /// Space key of the page, used for links that name no space
    #[arg(long, value_name = "KEY")]
    space: Option<String>,
    #[command(flatten)]
    markdown: MarkdownArgs,
    /// Do not print conversion warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs) -> Result<()> {
    let (input, repaired) = read_input(args.input.as_ref())?;
    if args.markdown.asks_for_comments() {
        anyhow::bail!(
            "`--comments` applies to exports and `sync`; `convert` reads one document, which has no comments"
        );
    }
    let (options, jira) = args.markdown.resolve(&Config::load()?);
    let ctx = Offline {
        inner: OfflineContext {
            current: Some(CurrentPage {
                title: args.title.clone().unwrap_or_default(),
                space: args.space.clone().map(SpaceKey),
                id: None,
            }),
        },
        jira,
    };
    let opts = Options {
        title: args.title.clone(),
        ..options
    };
    let out = cme_convert::convert(&input, &ctx, &opts);
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.markdown.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to stdout")?;
    if !args.quiet {
        let mut stderr = std::io::stderr().lock();
        if let Some(note) = repaired {
            let _ = writeln!(stderr, "warning: {note}");
        }
        for w in &out.warnings {
            let message = crate::terminal::escape_text(&w.message);
            let _ = match w.count {
                1 => writeln!(stderr, "warning: {message}"),
                n => writeln!(
                    stderr,
                    "warning: {message} ({} times)",
                    crate::units::thousands(n)
                ),
            };
        }
    }
    Ok(())
}

/// The offline context plus the one fact a flag can supply.
struct Offline {
    inner: OfflineContext,
    jira: Option<String>,
}

impl Context for Offline {
    fn current_page(&self) -> Option<CurrentPage> {
        self.inner.current_page()
    }
    fn jira_base_url(&self, _server: &str) -> Option<String> {
        self.jira.clone()
    }
}

fn read_input(path: Option<&PathBuf>) -> Result<(String, Option<String>)> {
    let bytes = match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).with_context(|| format!("cannot read `{}`", p.display()))?
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("cannot read stdin")?;
            buf
        }
    };
    Ok(decode(bytes))
}

/// The document as text, and a note when it had to be repaired. Storage
/// format is UTF-8, but a file saved by an editor may be UTF-16 (with a
/// byte-order mark), and a stray invalid byte must not lose the page.
fn decode(bytes: Vec<u8>) -> (String, Option<String>) {
    let utf16 = |be: bool, body: &[u8]| -> String {
        let units: Vec<u16> = body
            .chunks(2)
            .map(|c| {
                let pair = [c[0], c.get(1).copied().unwrap_or(0)];
                if be {
                    u16::from_be_bytes(pair)
                } else {
                    u16::from_le_bytes(pair)
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    match bytes.as_slice() {
        [0xFF, 0xFE, body @ ..] => (utf16(false, body), None),
        [0xFE, 0xFF, body @ ..] => (utf16(true, body), None),
        _ => match String::from_utf8(bytes) {
            Ok(s) => (s, None),
            Err(e) => (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some(format!(
                    "input is not valid UTF-8 (first bad byte at offset {}); invalid bytes became U+FFFD",
                    e.utf8_error().valid_up_to()
                )),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn utf8_utf16_and_invalid_bytes() {
        assert_eq!(decode("<p>ä</p>".into()), ("<p>ä</p>".into(), None));
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("<p>ä</p>".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(le).0, "<p>ä</p>");
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("<p>€</p>".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(be).0, "<p>€</p>");
        let (text, note) = decode(b"<p>a\xc3</p>".to_vec());
        assert_eq!(text, "<p>a\u{fffd}</p>");
        assert!(note.is_some_and(|n| n.contains("offset 4")));
    }
}
