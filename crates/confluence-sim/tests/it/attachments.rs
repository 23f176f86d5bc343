//! Attachment downloads the way today's Cloud serves them: the v1 REST
//! `/download` answers 302 to a media URL whose query token is the only
//! credential; the legacy `/wiki/download/attachments/...` path refuses API
//! tokens with an OAuth challenge; Data Center serves `_links.download` to the PAT.

use crate::common;

use base64::Engine as _;
use common::{Sim, SimConfig};
use serde_json::{Value, json};

/// Every byte value, twice, plus a marker: binary-safe round trip.
fn payload(tag: &str) -> Vec<u8> {
    let mut v: Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
    v.extend_from_slice(tag.as_bytes());
    v
}

fn demo_root(sim: &Sim) -> String {
    let sp = sim.json(&sim.v2("/spaces?keys=DEMO"));
    let sid = sp["results"][0]["id"].as_str().unwrap().to_string();
    let b = sim.json(&sim.v2(&format!("/spaces/{sid}/pages?depth=root&limit=1")));
    b["results"][0]["id"].as_str().unwrap().to_string()
}

/// Creates a page with `file.bin` in two versions; returns (page id, attachment id).
fn page_with_versions(sim: &Sim) -> (String, String) {
    let root = demo_root(sim);
    let page = sim.control_ok(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": root, "title": "Download Test", "body": "<p>d</p>"})),
    )["id"]
        .as_str()
        .unwrap()
        .to_string();
    for tag in ["one", "two"] {
        sim.control_ok(
            "POST",
            &format!("/__sim/pages/{page}/attachments"),
            Some(json!({
                "filename": "file.bin",
                "media_type": "application/octet-stream",
                "data_base64": base64::engine::general_purpose::STANDARD.encode(payload(tag)),
            })),
        );
    }
    let atts = sim.json(&sim.v2(&format!("/pages/{page}/attachments")));
    let att = atts["results"][0]["id"].as_str().unwrap().to_string();
    (page, att)
}

/// Follows a 302 Location with no Authorization header at all.
fn fetch_media(sim: &Sim, location: &str) -> common::Resp {
    sim.get_with(location, &[])
}

#[test]
fn rest_download_redirects_to_token_url() {
    let sim = common::cloud(SimConfig::demo());
    let (page, att) = page_with_versions(&sim);
    let dl = sim.v1(&format!("/content/{page}/child/attachment/{att}/download"));

    let r = sim.get(&dl);
    assert_eq!(r.status, 302, "{}", r.text());
    let location = r.header("location").expect("Location header").to_string();
    assert!(
        location.contains("token="),
        "media URL carries a token: {location}"
    );
    assert!(
        !location.contains("/wiki/rest/api/"),
        "media URL is not the REST path: {location}"
    );
    // Shaped like the real media URL: /file/{fileId}/binary?token=..&name=..
    let file_id = sim.json(&sim.v2(&format!("/attachments/{att}")))["fileId"]
        .as_str()
        .expect("fileId")
        .to_string();
    assert!(
        location.contains(&format!("/file/{file_id}/binary?")),
        "{location}"
    );
    assert!(location.contains("name=file.bin"), "{location}");
    let media = fetch_media(&sim, &location);
    assert_eq!(media.status, 200, "{}", media.text());
    assert_eq!(media.body, payload("two"), "latest version by default");

    let r = sim.get(&format!("{dl}?version=1"));
    assert_eq!(r.status, 302);
    let media = fetch_media(&sim, r.header("location").unwrap());
    assert_eq!(
        media.body,
        payload("one"),
        "?version=1 serves the first version"
    );

    // The REST endpoint itself needs credentials.
    let r = sim.get_with(&dl, &[]);
    assert_eq!(r.status, 401, "{}", r.text());
}

#[test]
fn tampered_or_missing_token_is_rejected() {
    let sim = common::cloud(SimConfig::demo());
    let (page, att) = page_with_versions(&sim);
    let r = sim.get(&sim.v1(&format!("/content/{page}/child/attachment/{att}/download")));
    let location = r.header("location").unwrap().to_string();
    let (before, token_and_rest) = location.split_once("token=").unwrap();
    let (token, rest) = match token_and_rest.split_once('&') {
        Some((t, r)) => (t.to_string(), format!("&{r}")),
        None => (token_and_rest.to_string(), String::new()),
    };
    assert!(
        token.len() >= 8,
        "token too short to be a signature: {token}"
    );
    // Flip one character in the middle of the token.
    let mut chars: Vec<char> = token.chars().collect();
    let mid = chars.len() / 2;
    chars[mid] = if chars[mid] == 'A' { 'B' } else { 'A' };
    let tampered: String = chars.into_iter().collect();
    for bad in [
        format!("{before}token={tampered}{rest}"),
        format!("{before}token={rest}"),
        location.replace(&format!("token={token}"), "x=1"),
    ] {
        let m = sim.get_with(&bad, &[]);
        assert!(
            (400..500).contains(&m.status),
            "{bad}: expected 4xx, got {}",
            m.status
        );
        assert!(
            !m.body.windows(4).any(|w| w == [0, 1, 2, 3]),
            "{bad}: served the file"
        );
    }
}

#[test]
fn demo_attachments_download_with_signatures() {
    let sim = common::cloud(SimConfig::demo());
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
    let mut seen = Vec::new();
    for s in &spaces {
        let sid = s["id"].as_str().unwrap();
        let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
        for p in &pages {
            let pid = p["id"].as_str().unwrap();
            let (atts, _) = sim.walk_v2(&sim.v2(&format!("/pages/{pid}/attachments")));
            for a in &atts {
                let aid = a["id"].as_str().unwrap();
                let r =
                    sim.get(&sim.v1(&format!("/content/{pid}/child/attachment/{aid}/download")));
                assert_eq!(r.status, 302, "{aid}");
                let m = fetch_media(&sim, r.header("location").unwrap());
                assert_eq!(m.status, 200);
                assert_eq!(
                    Some(m.body.len() as u64),
                    a["fileSize"].as_u64(),
                    "{aid}: fileSize matches the bytes"
                );
                seen.push((a["mediaType"].as_str().unwrap_or("").to_string(), m.body));
            }
        }
    }
    let has = |mt: &str, magic: &[u8]| {
        seen.iter()
            .any(|(t, b)| t.contains(mt) && b.starts_with(magic))
    };
    assert!(has("image/png", b"\x89PNG\r\n\x1a\n"), "a real PNG");
    assert!(has("application/pdf", b"%PDF-"), "a real PDF");
    assert!(
        seen.iter().any(|(t, b)| t.contains("drawio")
            || (b.starts_with(b"<mxfile") || b.windows(7).any(|w| w == b"<mxfile"))),
        "a drawio file"
    );
}

#[test]
fn legacy_download_path_gets_oauth_challenge() {
    let sim = common::cloud(SimConfig::demo());
    let (page, att) = page_with_versions(&sim);
    let a = sim.json(&sim.v2(&format!("/attachments/{att}")));
    let link = a["downloadLink"]
        .as_str()
        .or(a["_links"]["download"].as_str())
        .expect("downloadLink");
    assert!(
        link.starts_with(&format!("/download/attachments/{page}/")),
        "relative to _links.base (/wiki): {link}"
    );
    // The query parameters real links carry (api notes section 7).
    for part in ["version=2", "modificationDate=", "cacheVersion=", "api=v2"] {
        assert!(link.contains(part), "{part} missing in {link}");
    }
    let r = sim.get(&format!("/wiki{link}"));
    assert_eq!(r.status, 401, "{}", r.text());
    let challenge = r.header("www-authenticate").expect("WWW-Authenticate");
    assert!(challenge.starts_with("OAuth"), "{challenge}");
}

#[test]
fn dc_download_link_works_with_pat() {
    let sim = common::dc(SimConfig::demo(), "/confluence");
    let (spaces, _) = sim.walk_v1(&sim.v1("/space"));
    let mut checked = 0;
    for s in &spaces {
        let key = s["key"].as_str().unwrap();
        let (pages, _) =
            sim.walk_v1(&sim.v1(&format!("/content?spaceKey={key}&type=page&limit=1000")));
        for p in &pages {
            let pid = p["id"].as_str().unwrap();
            let body: Value = sim.json(&sim.v1(&format!("/content/{pid}/child/attachment")));
            let base = body["_links"]["base"].as_str().unwrap().to_string();
            for a in body["results"].as_array().unwrap() {
                let link = a["_links"]["download"].as_str().unwrap();
                assert!(link.starts_with("/download/attachments/"), "{link}");
                assert!(
                    link.contains("version=") && link.contains("api=v2"),
                    "{link}"
                );
                let url = format!("{base}{link}");
                let r = sim.get(&url);
                assert_eq!(r.status, 200, "{url}: {}", r.text());
                assert_eq!(
                    Some(r.body.len() as u64),
                    a["extensions"]["fileSize"].as_u64(),
                    "{url}"
                );
                assert_eq!(sim.get_with(&url, &[]).status, 401, "{url} without PAT");
                checked += 1;
            }
        }
    }
    assert!(checked >= 3, "demo has PNG, PDF and drawio attachments");
}
