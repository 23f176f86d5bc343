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
    /// A transient failure persisted until the retry budget ran out.
    #[error(
        "request to `{url}` failed after {} in {}",
        attempts_text(*attempts),
        elapsed_text(*elapsed)
    )]
    GaveUp {
        /// The request URL, redacted.
        url: String,
        /// Attempts made.
        attempts: u32,
        /// Time from the first attempt to giving up.
        elapsed: std::time::Duration,
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
    /// The site could not be reached on first contact (wrong URL, port,
    /// proxy or certificate); retrying would not help.
    #[error("cannot connect to {origin}: {problem}")]
    Connect {
        /// Scheme, host and port.
        origin: String,
        /// What went wrong, with a hint.
        problem: ConnectProblem,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
    /// A redirect chain longer than the client follows.
    #[error("`{url}` redirected more than {hops} times; stopping")]
    TooManyRedirects {
        /// The first URL, redacted.
        url: String,
        /// Redirects followed.
        hops: usize,
    },
    /// The server sent a URL we refuse to follow.
    #[error("the server sent {what}: `{url}`; stopping")]
    Refused {
        /// The offending URL, redacted (user info removed).
        url: String,
        /// What it was, e.g. "a pagination link to another site".
        what: &'static str,
    },
    /// A listing that cannot be trusted: it repeated results it had sent,
    /// sent more than it announced (or than any listing may), ran too long,
    /// or ended short of the total it announced. It is cut, and counts as
    /// failed: nothing missing from it may be taken as gone.
    #[error("the listing `{url}` {problem}; stopping it")]
    Listing {
        /// The listing's first URL, redacted.
        url: String,
        /// What was wrong with it.
        problem: String,
    },
    /// A body larger than [`crate::ClientConfig::max_body_bytes`].
    #[error(
        "the response from `{url}` is larger than {limit} bytes; stopping (see max_body_bytes)"
    )]
    TooLarge {
        /// The request URL, redacted.
        url: String,
        /// The cap in bytes.
        limit: u64,
    },
    /// The CA bundle could not be read.
    #[error("cannot use the CA bundle `{path}`: {message}")]
    CaBundle {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A streamed body could not be stored where the caller asked.
    #[error("cannot store the body of `{url}`")]
    Store {
        /// The request URL, redacted.
        url: String,
        /// What the sink reported.
        #[source]
        source: std::io::Error,
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
    /// Whether another attempt may succeed: 408, 429, 5xx and network
    /// failures (a body cut short included). A complete body that does not
    /// parse, and any other 4xx, are permanent: asking again gives the same.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            Error::Transient { .. } => true,
            Error::Transport { source, .. } => !source.is_builder(),
            _ => false,
        }
    }

    /// The HTTP status behind a transient failure, if there was one.
    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            Error::Transient { status } => Some(*status),
            _ => None,
        }
    }
}

/// Why the first connection to the site failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectProblem {
    /// DNS could not resolve the host.
    HostNotFound,
    /// Nothing listens on that port.
    Refused,
    /// No answer within the connect timeout.
    TimedOut,
    /// The server's certificate is not signed by a trusted authority.
    Untrusted,
    /// Another TLS failure (name mismatch, expired, not TLS at all, ...).
    Tls(String),
    /// Anything else.
    Other(String),
}

impl std::fmt::Display for ConnectProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::HostNotFound => f.write_str("host not found (check the URL)"),
            Self::Refused => f.write_str(
                "connection refused (is the URL and port right? is a proxy needed?)",
            ),
            Self::TimedOut => f.write_str(
                "no answer (is the host reachable from here? is a proxy needed? HTTPS_PROXY is honoured)",
            ),
            Self::Untrusted => f.write_str(
                "TLS handshake failed: certificate not trusted (pass --ca-bundle FILE or set SSL_CERT_FILE)",
            ),
            Self::Tls(m) => write!(f, "TLS handshake failed: {m} (is it an https site on that port?)"),
            Self::Other(m) => write!(f, "{m} (is the URL right? is a proxy needed?)"),
        }
    }
}

impl ConnectProblem {
    /// Classifies a failed connection by walking its causes.
    pub(crate) fn of(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            return Self::TimedOut;
        }
        let mut last = err.to_string();
        Self::walk(err, &mut last, 0).unwrap_or(Self::Other(last))
    }

    /// Looks through `source()` and, since `io::Error::source` skips the
    /// error it wraps, through `io::Error::get_ref` too.
    fn walk(e: &(dyn std::error::Error + 'static), last: &mut String, depth: u8) -> Option<Self> {
        if depth > 16 {
            return None;
        }
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(Self::of_tls(tls));
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return Some(Self::Refused),
                std::io::ErrorKind::TimedOut => return Some(Self::TimedOut),
                _ => {}
            }
            if let Some(inner) = io.get_ref() {
                let inner: &(dyn std::error::Error + 'static) = inner;
                if let Some(found) = Self::walk(inner, last, depth + 1) {
                    return Some(found);
                }
            }
        }
        let text = e.to_string();
        // hyper-util's connector names DNS failures so (its type is private).
        if text == "dns error" || text.contains("failed to lookup address") {
            return Some(Self::HostNotFound);
        }
        *last = text;
        Self::walk(e.source()?, last, depth + 1)
    }

    fn of_tls(e: &rustls::Error) -> Self {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::InvalidCertificate(C::UnknownIssuer | C::BadSignature) => {
                Self::Untrusted
            }
            rustls::Error::InvalidCertificate(
                C::NotValidForName | C::NotValidForNameContext { .. },
            ) => Self::Tls("the certificate is not for this host name".into()),
            rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
                Self::Tls("the certificate has expired".into())
            }
            other => Self::Tls(other.to_string()),
        }
    }
}

/// Removes user info and query values that can carry secrets (media tokens,
/// signatures), keeping harmless ones such as `spaceKey` or `cursor`.
pub(crate) fn redact(url: &str) -> String {
    let url = strip_userinfo(url);
    let Some((base, query)) = url.split_once('?') else {
        return url;
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

/// `scheme://user:pass@host/…` → `scheme://***@host/…`.
fn strip_userinfo(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Query parameters known to carry secrets (case-insensitive). Whole names
/// only: `spaceKey`, `keys` or `authorId` are not secrets.
fn is_secret_key(k: &str) -> bool {
    let k = k.to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "sig",
        "signature",
        "jwt",
        "password",
        "passwd",
        "pwd",
        "secret",
        "client_secret",
        "key",
        "api_key",
        "apikey",
        "auth",
        "authorization",
        "code",
        "session",
        "sessionid",
        "os_password",
    ];
    EXACT.contains(&k.as_str())
        || ["token", "signature", "secret", "password", "credential"]
            .iter()
            .any(|s| k.ends_with(s))
}

/// `1 attempt`, `3 attempts`.
fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{n} attempts")
    }
}

/// `0.42 s`, `3.2 s`, `95 s`: the exporter's time format.
fn elapsed_text(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 1.0 {
        format!("{s:.2} s")
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else {
        format!("{} s", s.round())
    }
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

    #[test]
    fn redacts_real_secrets_only() {
        let r = redact(
            "http://h/x?spaceKey=DEMO&keys=A,B&Signature=s&X-Amz-Security-Token=t&JWT=j&access_token=a&api_key=k",
        );
        assert_eq!(
            r,
            "http://h/x?spaceKey=DEMO&keys=A,B&Signature=***&X-Amz-Security-Token=***&JWT=***&access_token=***&api_key=***"
        );
    }

    #[test]
    fn redacts_user_info() {
        assert_eq!(
            redact("http://u:pw@127.0.0.1:9/a?b=1"),
            "http://***@127.0.0.1:9/a?b=1"
        );
        assert_eq!(redact("http://h/a?next=x@y"), "http://h/a?next=x@y");
    }
}
