//! Authentication: Cloud Basic `email:api_token`, Data Center Bearer PAT (or
//! Basic). Credentials are compared, never logged.

use std::sync::Arc;

use base64::Engine;

use crate::config::{Flavor, RunConfig};
use crate::http::{Req, Resp};
use crate::model::Site;
use crate::server::State;

fn basic(value: &str) -> Option<(String, String)> {
    let b64 = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let (u, p) = s.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// The account a request authenticates as.
pub fn authenticate(site: &Site, run: &RunConfig, req: &Req) -> Result<Arc<str>, ()> {
    let h = req.header("authorization").ok_or(())?;
    match run.flavor {
        Flavor::Cloud => {
            let (email, token) = basic(h).ok_or(())?;
            site.users
                .iter()
                .find(|u| {
                    u.email.eq_ignore_ascii_case(&email)
                        && u.api_token.as_deref() == Some(token.as_str())
                })
                .map(|u| u.account_id.clone())
                .ok_or(())
        }
        Flavor::DataCenter => {
            if let Some(pat) = h
                .strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
            {
                let pat = pat.trim();
                return site
                    .users
                    .iter()
                    .find(|u| u.pat.as_deref() == Some(pat))
                    .map(|u| u.account_id.clone())
                    .ok_or(());
            }
            let (user, pass) = basic(h).ok_or(())?;
            site.users
                .iter()
                .find(|u| {
                    (*u.username == user || u.email.eq_ignore_ascii_case(&user))
                        && u.pat.as_deref() == Some(pass.as_str())
                })
                .map(|u| u.account_id.clone())
                .ok_or(())
        }
    }
}

/// 401 in the family's error shape.
pub fn unauthorized(state: &State, v2: bool) -> Resp {
    let resp = if v2 {
        super::errors::v2(401, "UNAUTHORIZED", "Unauthorized")
    } else {
        super::errors::v1(state, 401, "This request requires authentication")
    };
    match state.run.flavor {
        Flavor::Cloud => resp,
        Flavor::DataCenter => resp.with("WWW-Authenticate", "Basic realm=\"Confluence\""),
    }
}
