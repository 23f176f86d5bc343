//! Errors that name the request (with secrets redacted) and keep their cause.
use thiserror::Error;

/// What can go wrong talking to Confluence.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// 401/403: the credentials were refused.
    #[error(
        "Confluence refused the credentials (HTTP {status}) for `{url}`: check the e-mail and API token, or the personal access token"
    )]
    Unauthorized {
        /// HTTP status.
        status: u16,
        /// The request URL, redacted.
        url: String,
    },
    /// 404: missing, or not visible to this account (Confluence does not say which).
    #[error("not found, or not visible to this account: `{url}`")]
    NotFound {
        /// The request URL, redacted.
        url: String,
    },
    /// Any other non-success status that is not worth retrying.
    #[error("Confluence answered HTTP {status} for `{url}`: {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// The request URL, redacted.
        url: String,
        /// The server's error message, if it gave one.
        message: String,
    },
    /// A transient failure persisted through every retry.
    #[error("request to `{url}` failed after {attempts} attempts")]
    GaveUp {
        /// The request URL, redacted.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        #[source]
        last: Box<Error>,
    },
    /// Transient status (429, 5xx) on one attempt.
    #[error("Confluence answered HTTP {status}")]
    Transient {
        /// HTTP status.
        status: u16,
    },
    /// Connection, timeout or body-read failure.
    #[error("network error talking to `{url}`")]
    Transport {
        /// The request URL, redacted.
        url: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// The body was not the JSON we expected (often a truncated response).
    #[error("unexpected response body from `{url}`")]
    Decode {
        /// The request URL, redacted.
        url: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The configured base URL cannot be used.
    #[error(
        "invalid Confluence URL `{0}`: expected something like `https://example.atlassian.net`"
    )]
    BaseUrl(String),
    /// The HTTP client could not be built.
    #[error("cannot set up the HTTP client")]
    Setup(#[source] reqwest::Error),
}

impl Error {
    /// Whether another attempt may succeed.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Error::Transient { .. } | Error::Decode { .. } => true,
            Error::Transport { source, .. } => !source.is_builder(),
            _ => false,
        }
    }
}

/// Removes query values that can carry secrets (media tokens, signatures).
pub(crate) fn redact(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if is_secret_key(k) => format!("{k}=***"),
            _ => kv.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    ["token", "sig", "jwt", "key", "auth", "password"]
        .iter()
        .any(|s| k.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_tokens_but_keeps_paging() {
        let r = redact("http://h/media/file/1/binary?token=abc.def&name=x.png&cursor=7");
        assert_eq!(
            r,
            "http://h/media/file/1/binary?token=***&name=x.png&cursor=7"
        );
        assert_eq!(redact("http://h/a/b"), "http://h/a/b");
    }
}
