//! All text the user reads about a run: an error chain (here), and a run's
//! report, summary and notes (`outcome`).
//!
//! Format (after uv): `error: <message>`, one `  Caused by: <cause>` line per
//! source, then optional `hint:` lines. Secrets never reach this point because
//! errors are built from redacted URLs and never from credentials.
mod outcome;
pub mod shown;

pub use outcome::{Resume, Verbosity, View, plural};
use std::fmt::Write as _;

/// Renders an error and its causes for stderr. A site that cannot be
/// reached is one line that starts with its host and says why: whatever
/// was being tried (a flavour check, a listing), that is the one fact.
pub fn render_error(err: &anyhow::Error) -> String {
    if let Some(cme_client::Error::Connect {
        origin, problem, ..
    }) = err
        .chain()
        .find_map(|e| e.downcast_ref::<cme_client::Error>())
    {
        let host = origin.split_once("://").map_or(origin.as_str(), |(_, h)| h);
        let out = format!("error: {host}: {problem}\n");
        return crate::terminal::escape_text(&out).into_owned();
    }
    let mut out = format!("error: {err}\n");
    for cause in err.chain().skip(1) {
        let _ = writeln!(out, "  Caused by: {cause}");
    }
    // Messages quote titles, keys and paths that came from Confluence or
    // the state file: nothing in them may act on the terminal.
    crate::terminal::escape_text(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    #[test]
    fn renders_every_cause_once() {
        let err = std::fs::read("/definitely/not/here")
            .context("cannot read `page.xml`")
            .unwrap_err();
        let text = render_error(&err);
        assert!(text.starts_with("error: cannot read `page.xml`\n"));
        assert_eq!(text.matches("Caused by:").count(), 1, "{text}");
    }
}
