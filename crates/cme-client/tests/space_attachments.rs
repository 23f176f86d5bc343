//! `Client::space_attachments` against the simulator, on Cloud and Data
//! Center: the same attachments, page ids, versions and download links as
//! the per-page listings, in ⌈N/limit⌉ requests, and `download()` works on
//! what it returns.

use std::collections::BTreeMap;

use base64::Engine as _;
use cme_client::{Attachment, Client, ClientConfig, Credentials, Flavor, Secret, SpaceKey};
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::{Value, json};

/// Two spaces of 250 pages, about 375 attachments each: more than one CQL
/// page on both flavours. No blog posts: the oracle is every page's own
/// attachment listing (that the space listing finds blog posts' files too
/// is the simulator's test).
const SPEC: &str = "pages=500,spaces=2,depth=4,attachments=1.5,body_kb=1,seed=5,blog_posts=0";

struct Site {
    _sim: SimHandle,
    origin: String,
    client: Client,
}

fn start(flavor: Flavor) -> Site {
    let config = SimConfig::generate(SPEC).unwrap();
    let (config, base, credentials) = match flavor {
        Flavor::Cloud => (
            config.flavor(confluence_sim::Flavor::Cloud),
            "",
            Credentials::Basic {
                email: "sim@example.com".into(),
                token: Secret::new("sim-token"),
            },
        ),
        Flavor::DataCenter => (
            config
                .flavor(confluence_sim::Flavor::DataCenter)
                .context_path("/confluence"),
            "/confluence",
            Credentials::Bearer(Secret::new("sim-pat")),
        ),
    };
    let sim = spawn(config.addr("127.0.0.1:0".parse().unwrap())).unwrap();
    let origin = sim.url().trim_end_matches('/').to_string();
    let client = Client::new(ClientConfig::new(
        format!("{origin}{base}"),
        flavor,
        credentials,
    ))
    .unwrap();
    Site {
        _sim: sim,
        origin,
        client,
    }
}

async fn control(site: &Site, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let mut req = http.request(method, format!("{}{path}", site.origin));
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap_or(Value::Null)
}

fn by_id(atts: Vec<Attachment>) -> BTreeMap<String, Attachment> {
    let n = atts.len();
    let map: BTreeMap<String, Attachment> = atts
        .into_iter()
        .map(|a| (a.id.as_str().to_string(), a))
        .collect();
    assert_eq!(map.len(), n, "an attachment is listed twice");
    map
}

async fn check(flavor: Flavor) {
    let site = start(flavor);
    let c = &site.client;
    let key = SpaceKey::new("GEN0");
    let space = c
        .spaces(std::slice::from_ref(&key))
        .await
        .unwrap()
        .remove(0);

    // A second version of one attachment, with known bytes.
    let pages = c.space_pages(&space, false).await.unwrap();
    let mut first = None;
    for p in &pages {
        if let Some(a) = c.attachments(&p.id).await.unwrap().into_iter().next() {
            first = Some(a);
            break;
        }
    }
    let first = first.expect("the generated space has attachments");
    let bytes = b"second version bytes".to_vec();
    let r = control(
        &site,
        reqwest::Method::POST,
        &format!("/__sim/pages/{}/attachments", first.page_id),
        Some(json!({
            "filename": first.filename,
            "media_type": first.media_type,
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&bytes),
        })),
    )
    .await;
    assert_eq!(r["version"], 2);

    // The oracle: every page's own listing.
    let mut want = Vec::new();
    for p in &pages {
        want.extend(c.attachments(&p.id).await.unwrap());
    }
    let want = by_id(want);
    assert!(want.len() > 250, "{} attachments", want.len());

    control(&site, reqwest::Method::POST, "/__sim/stats/reset", None).await;
    let got = by_id(c.space_attachments(&key).await.unwrap());
    let stats = control(&site, reqwest::Method::GET, "/__sim/stats", None).await;
    assert_eq!(
        got, want,
        "{flavor:?}: same attachments, pages, versions, links"
    );
    let per_call = if flavor == Flavor::Cloud { 250 } else { 200 };
    let pages = want.len().div_ceil(per_call);
    let requests = stats["requests"].as_u64().unwrap() as usize;
    if flavor == Flavor::Cloud {
        // Its pages, and the count asked beside the second (which decides
        // whether to slice by date).
        assert_eq!(requests, pages + 1, "{stats}");
    } else {
        // Its offset pages, asked side by side: at most a wave's worth of
        // pages past the end (the second wave asks two).
        assert!((pages..pages + 16).contains(&requests), "{stats}");
    }

    let again = &got[first.id.as_str()];
    assert_eq!(again.page_id, first.page_id);
    assert_eq!(again.version.0, 2);
    assert_eq!(again.file_size, Some(bytes.len() as u64));
    assert_eq!(c.download(again).await.unwrap(), bytes);
    // Any other one downloads too, with the size the listing gave.
    let other = got.values().find(|a| a.id != first.id).unwrap();
    let data = c.download(other).await.unwrap();
    assert_eq!(Some(data.len() as u64), other.file_size);

    // The other space's attachments are its own.
    let gen1 = by_id(c.space_attachments(&SpaceKey::new("GEN1")).await.unwrap());
    assert!(!gen1.is_empty());
    assert!(gen1.keys().all(|k| !got.contains_key(k)));
    drop(site);
}

#[tokio::test]
async fn space_attachments_on_cloud() {
    check(Flavor::Cloud).await;
}

#[tokio::test]
async fn space_attachments_on_data_center() {
    check(Flavor::DataCenter).await;
}
