//! Control endpoints for attachments: add (or add a version of) a file on a
//! page, and trash or purge one. Apart from the page endpoints because an
//! attachment has its own versions, file ids and media types.

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use serde_json::json;

use super::{author, bad, body_object, not_found, stamp, str_field};
use crate::http::{Req, Resp};
use crate::model::time;
use crate::model::{AttVersion, Attachment, Id, Status, uuid_from};
use crate::server::State;
use crate::site::rng::mix;

pub fn add_attachment(state: &State, req: &Req, id: &str) -> Resp {
    let m = match body_object(req) {
        Ok(m) => m,
        Err(r) => return r,
    };
    let mut site = state.site.write();
    site.bump();
    let Some(page) = id
        .parse::<Id>()
        .ok()
        // Pages and blog posts carry attachments alike.
        .and_then(|i| site.container(i))
        .map(|n| n.id)
    else {
        return not_found(format!("no page {id}"));
    };
    let filename = match str_field(&m, "filename") {
        Ok(Some(f)) if !f.is_empty() && !f.contains('/') => f.to_string(),
        Ok(_) => return bad("filename is required (no slashes)"),
        Err(r) => return r,
    };
    let data = match str_field(&m, "data_base64") {
        Ok(Some(d)) => match base64::engine::general_purpose::STANDARD.decode(d.trim()) {
            Ok(b) => b,
            Err(_) => return bad("data_base64 is not valid base64"),
        },
        Ok(None) => return bad("data_base64 is required"),
        Err(r) => return r,
    };
    let media_type = match str_field(&m, "media_type") {
        Ok(t) => t
            .map(str::to_string)
            .unwrap_or_else(|| crate::site::dir::guess_media_type(&filename).into()),
        Err(r) => return r,
    };
    let comment = match str_field(&m, "comment") {
        Ok(c) => c.unwrap_or("").to_string(),
        Err(r) => return r,
    };
    let author = match author(&site, &m) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let existing = site.nodes[&page].attachments.iter().copied().find(|a| {
        site.attachments
            .get(a)
            .is_some_and(|a| *a.filename == *filename)
    });
    let (att_id, number, file_id) = match existing {
        Some(aid) => {
            let a = site.attachments.get_mut(&aid).unwrap();
            let number = a.latest().number + 1;
            let file_id = uuid_from(mix(aid, number as u64 ^ time::now() as u64));
            let created = stamp(a.latest().created_ms);
            a.versions.push(AttVersion {
                number,
                data: Bytes::from(data),
                file_id: Arc::from(file_id.as_str()),
                created_ms: created,
                author_id: author,
                comment: Arc::from(comment.as_str()),
            });
            a.media_type = Arc::from(media_type.as_str());
            a.status = Status::Current;
            (aid, number, file_id)
        }
        None => {
            let aid = site.alloc_id();
            let now = time::now();
            let file_id = uuid_from(mix(aid, now as u64));
            site.attachments.insert(
                aid,
                Attachment {
                    id: aid,
                    page_id: page,
                    status: Status::Current,
                    filename: Arc::from(filename.as_str()),
                    media_type: Arc::from(media_type.as_str()),
                    created_ms: now,
                    versions: vec![AttVersion {
                        number: 1,
                        data: Bytes::from(data),
                        file_id: Arc::from(file_id.as_str()),
                        created_ms: now,
                        author_id: author,
                        comment: Arc::from(comment.as_str()),
                    }],
                },
            );
            site.nodes.get_mut(&page).unwrap().attachments.push(aid);
            (aid, 1, file_id)
        }
    };
    Resp::json(
        200,
        &json!({"id": format!("att{att_id}"), "version": number, "fileId": file_id}),
    )
}

pub fn delete_attachment(state: &State, req: &Req, id: &str) -> Resp {
    let mut site = state.site.write();
    site.bump();
    let Some(aid) = id
        .strip_prefix("att")
        .unwrap_or(id)
        .parse::<Id>()
        .ok()
        .filter(|a| site.attachments.contains_key(a))
    else {
        return not_found(format!("no attachment {id}"));
    };
    if req.query.flag("purge") {
        let a = site.attachments.remove(&aid).unwrap();
        if let Some(n) = site.nodes.get_mut(&a.page_id) {
            n.attachments.retain(|x| *x != aid);
        }
    } else {
        site.attachments.get_mut(&aid).unwrap().status = Status::Trashed;
    }
    Resp::empty(204)
}
