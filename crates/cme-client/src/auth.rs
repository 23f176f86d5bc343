//! Credentials, kept out of every `Debug`, `Display` and error message.
use base64::Engine as _;
use std::fmt;

/// A secret string (API token or PAT). Its `Debug` output is redacted.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself; call only to build a header.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How requests authenticate.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// Cloud: HTTP Basic with the account e-mail and an API token.
    Basic {
        /// Account e-mail (not secret).
        email: String,
        /// API token.
        token: Secret,
    },
    /// Data Center: `Authorization: Bearer <personal access token>`.
    Bearer(Secret),
    /// No `Authorization` header (public sites).
    Anonymous,
}

impl Credentials {
    /// The `Authorization` header value, if any.
    pub(crate) fn header(&self) -> Option<String> {
        match self {
            Credentials::Basic { email, token } => {
                let raw = format!("{email}:{}", token.expose());
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(raw)
                ))
            }
            Credentials::Bearer(pat) => Some(format!("Bearer {}", pat.expose())),
            Credentials::Anonymous => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let c = Credentials::Basic {
            email: "a@b.c".into(),
            token: Secret::new("hunter2"),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("a@b.c"));
    }

    #[test]
    fn basic_header_is_base64_of_email_colon_token() {
        let c = Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        };
        assert_eq!(
            c.header().unwrap(),
            "Basic c2ltQGV4YW1wbGUuY29tOnNpbS10b2tlbg=="
        );
    }
}
