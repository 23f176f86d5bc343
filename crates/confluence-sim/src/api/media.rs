//! Attachment downloads: the v1 REST `/download` 302 to a token-signed media
//! URL (what Cloud does today), the legacy `/download/attachments/…` path
//! (401 OAuth challenge on Cloud, the real file on Data Center) and the media
//! endpoint itself.

use super::Ctx;
use super::errors;
use crate::http::{Req, Resp, enc_path, enc_query};
use crate::model::{AttVersion, Attachment, Id, Status};
use crate::server::State;
use crate::site::rng::mix;

/// Media URLs live under this prefix, on the simulator's own origin.
pub const MEDIA_PREFIX: &str = "/media/file/";

/// `_links.download` / `downloadLink`, relative to `_links.base`.
pub fn download_link(a: &Attachment, v: &AttVersion) -> String {
    format!(
        "/download/attachments/{}/{}?version={}&modificationDate={}&cacheVersion=1&api=v2",
        a.page_id,
        enc_path(&a.filename),
        v.number,
        v.created_ms
    )
}

/// `_links.webui` / `webuiLink` of an attachment.
pub fn webui_link(a: &Attachment) -> String {
    let name: String = a
        .filename
        .split(' ')
        .map(enc_query)
        .collect::<Vec<_>>()
        .join("+");
    format!(
        "/pages/viewpageattachments.action?pageId={}&preview=%2F{}%2F{}%2F{}",
        a.page_id, a.page_id, a.id, name
    )
}

fn hash_str(s: &str) -> u64 {
    // FNV-1a: stable and dependency-free.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn sign(secret: u64, att: Id, version: u32, file_id: &str) -> String {
    format!(
        "{:016x}",
        mix(secret ^ hash_str(file_id), (att << 20) ^ version as u64)
    )
}

/// Token carried by the media URL: which attachment version, plus a signature.
fn token(secret: u64, att: Id, version: u32, file_id: &str) -> String {
    format!(
        "sim.{att}.{version}.{}",
        sign(secret, att, version, file_id)
    )
}

fn find_attachment<'a>(ctx: &Ctx<'a>, page_id: &str, att_id: &str) -> Option<&'a Attachment> {
    let page: Id = page_id.parse().ok()?;
    let att: Id = att_id.strip_prefix("att").unwrap_or(att_id).parse().ok()?;
    let node = ctx.site.container(page)?;
    if !ctx.site.can_read(node, &ctx.account) {
        return None;
    }
    ctx.site.attachments.get(&att).filter(|a| a.page_id == page)
}

/// `GET /rest/api/content/{pageId}/child/attachment/{attId}/download?version=N`
pub fn download_redirect(ctx: &Ctx, page_id: &str, att_id: &str) -> Resp {
    let Some(a) = find_attachment(ctx, page_id, att_id) else {
        return errors::v1(
            ctx.state,
            404,
            format!("No attachment found with id: {att_id}"),
        );
    };
    let v = match ctx.q("version") {
        None | Some("") => a.latest(),
        Some(n) => match n.parse::<u32>().ok().and_then(|n| a.version(n)) {
            Some(v) => v,
            None => {
                return errors::v1(
                    ctx.state,
                    404,
                    format!("No version {n} of attachment {att_id}"),
                );
            }
        },
    };
    let location = format!(
        "{}{}{}/binary?token={}&client=confluence-sim&name={}&dl=true",
        ctx.state.origin,
        MEDIA_PREFIX,
        v.file_id,
        token(ctx.state.media_secret, a.id, v.number, &v.file_id),
        enc_query(&a.filename)
    );
    Resp::empty(302).with("Location", &location)
}

/// `GET /media/file/{fileId}/binary?token=…`: no Authorization needed.
pub fn serve_media(state: &State, req: &Req, file_id: &str) -> Resp {
    let Some(tok) = req.query.get("token").filter(|t| !t.is_empty()) else {
        return Resp::json(
            401,
            &serde_json::json!({"error": "Unauthorized", "message": "missing token"}),
        );
    };
    let forbidden = || {
        Resp::json(
            403,
            &serde_json::json!({"error": "Forbidden", "message": "invalid token"}),
        )
    };
    let parts: Vec<&str> = tok.split('.').collect();
    let [_, att, ver, sig] = parts.as_slice() else {
        return forbidden();
    };
    let (Ok(att), Ok(ver)) = (att.parse::<Id>(), ver.parse::<u32>()) else {
        return forbidden();
    };
    if sign(state.media_secret, att, ver, file_id) != *sig {
        return forbidden();
    }
    let site = state.site.read();
    let Some(v) = site
        .attachments
        .get(&att)
        .and_then(|a| a.version(ver))
        .filter(|v| &*v.file_id == file_id)
    else {
        return Resp::json(404, &serde_json::json!({"error": "Not Found"}));
    };
    let a = &site.attachments[&att];
    file_response(a, v)
}

fn file_response(a: &Attachment, v: &AttVersion) -> Resp {
    Resp::new(200, &a.media_type, v.data.clone())
        .with(
            "Content-Disposition",
            &format!("attachment; filename*=UTF-8''{}", enc_path(&a.filename)),
        )
        .with("Cache-Control", "private, max-age=0")
}

/// `GET /download/attachments/{pageId}/{filename}`: Cloud answers API-token
/// callers with an OAuth challenge; Data Center serves the file with the PAT.
pub fn legacy_download(ctx: &Ctx, page_id: &str, filename: &str) -> Resp {
    if ctx.cloud() {
        let realm = enc_query(&ctx.state.origin);
        return Resp::new(401, "text/plain;charset=UTF-8", "")
            .with("WWW-Authenticate", &format!("OAuth realm=\"{realm}\""));
    }
    let not_found = || errors::v1(ctx.state, 404, format!("Attachment {filename} not found"));
    let Ok(page) = page_id.parse::<Id>() else {
        return not_found();
    };
    let Some(node) = ctx
        .site
        .container(page)
        .filter(|n| ctx.site.can_read(n, &ctx.account))
    else {
        return not_found();
    };
    let Some(a) = node
        .attachments
        .iter()
        .filter_map(|i| ctx.site.attachments.get(i))
        .find(|a| &*a.filename == filename && a.status != Status::Draft)
    else {
        return not_found();
    };
    let v = match ctx.q("version") {
        None | Some("") => a.latest(),
        Some(n) => match n.parse::<u32>().ok().and_then(|n| a.version(n)) {
            Some(v) => v,
            None => return not_found(),
        },
    };
    file_response(a, v)
}
