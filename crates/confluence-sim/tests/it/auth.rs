//! Authentication as real Confluence does it: Cloud takes HTTP Basic
//! `email:api_token`, Data Center a Bearer personal access token; missing or
//! wrong credentials give 401; v2 does not exist on DC; and no response ever
//! echoes a secret back.

use crate::common;

use common::{Resp, SimConfig, basic};

/// Distinctive secrets so a leak cannot be confused with page content.
const EMAIL: &str = "auditor@example.org";
const TOKEN: &str = "tok-Zq8vW3-never-echo";
const PAT: &str = "pat-Kx93Lm-never-echo";

fn assert_401(r: &Resp, what: &str) {
    assert_eq!(
        r.status,
        401,
        "{what}: expected 401, got {} {}",
        r.status,
        r.text()
    );
    assert!(!r.body.is_empty(), "{what}: 401 has a body");
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&r.body) {
        // v1 shape {"statusCode":401,...}, v2 shape {"errors":[{"status":401}]}
        // or the gateway's {"code":401,"message":...}.
        let status = v["statusCode"]
            .as_u64()
            .or(v["errors"][0]["status"].as_u64())
            .or(v["code"].as_u64())
            .or(v["status"].as_u64());
        assert_eq!(
            status,
            Some(401),
            "{what}: JSON 401 body names the status: {v}"
        );
    }
}

#[test]
fn cloud_basic_auth() {
    let sim = common::cloud(SimConfig::demo());
    let paths = [
        sim.v2("/spaces"),
        sim.v1("/space"),
        sim.v1("/content/search?cql=type%3Dpage"),
    ];
    let good = sim.auth();
    for p in &paths {
        assert_eq!(sim.get(p).status, 200, "{p} with default credentials");
        assert_401(&sim.get_with(p, &[]), &format!("{p} without credentials"));
        let wrong_token = basic(common::CLOUD_EMAIL, "wrong-token");
        assert_401(
            &sim.get_with(p, &[("authorization", &wrong_token)]),
            &format!("{p} wrong token"),
        );
        let wrong_user = basic("someone@example.com", common::CLOUD_TOKEN);
        assert_401(
            &sim.get_with(p, &[("authorization", &wrong_user)]),
            &format!("{p} wrong email"),
        );
        let bearer = format!("Bearer {}", common::CLOUD_TOKEN);
        assert_401(
            &sim.get_with(p, &[("authorization", &bearer)]),
            &format!("{p} Bearer on Cloud"),
        );
        assert_401(
            &sim.get_with(p, &[("authorization", "Basic !!!not-base64")]),
            &format!("{p} malformed Basic"),
        );
        assert_eq!(
            sim.get_with(p, &[("authorization", &good)]).status,
            200,
            "{p}"
        );
    }
}

#[test]
fn cloud_custom_credentials_replace_defaults() {
    let sim = common::cloud(SimConfig::demo().cloud_credentials(EMAIL, TOKEN));
    let p = sim.v2("/spaces");
    let default = basic(common::CLOUD_EMAIL, common::CLOUD_TOKEN);
    assert_401(
        &sim.get_with(&p, &[("authorization", &default)]),
        "defaults after override",
    );
    let custom = basic(EMAIL, TOKEN);
    assert_eq!(sim.get_with(&p, &[("authorization", &custom)]).status, 200);
}

#[test]
fn dc_bearer_pat() {
    let sim = common::dc(SimConfig::demo(), "/confluence");
    let p = sim.v1("/space");
    assert_eq!(
        sim.get_with(&p, &[("authorization", "Bearer sim-pat")])
            .status,
        200,
        "default PAT"
    );
    assert_401(
        &sim.get_with(&p, &[("authorization", "Bearer wrong-pat")]),
        "wrong PAT",
    );
    assert_401(&sim.get_with(&p, &[]), "no credentials");
    let cloud_style = basic(common::CLOUD_EMAIL, common::CLOUD_TOKEN);
    assert_401(
        &sim.get_with(&p, &[("authorization", &cloud_style)]),
        "Cloud credentials on DC",
    );
}

#[test]
fn dc_custom_pat_and_paths() {
    let sim = common::dc(SimConfig::demo().dc_pat(PAT), "");
    let bearer = format!("Bearer {PAT}");
    let h = [("authorization", bearer.as_str())];
    assert_eq!(
        sim.get_with("/rest/api/space", &h).status,
        200,
        "no context path"
    );
    assert_401(
        &sim.get_with("/rest/api/space", &[("authorization", "Bearer sim-pat")]),
        "default PAT after override",
    );
    // v2 is Cloud only; DC has no /wiki prefix.
    for p in [
        "/api/v2/spaces",
        "/api/v2/pages",
        "/wiki/api/v2/spaces",
        "/wiki/api/v2/pages",
        "/wiki/rest/api/space",
    ] {
        assert_eq!(sim.get_with(p, &h).status, 404, "{p} on DC");
    }
}

#[test]
fn dc_context_path_is_required() {
    let sim = common::dc(SimConfig::demo(), "/confluence");
    let auth = sim.auth();
    let h = [("authorization", auth.as_str())];
    assert_eq!(sim.get_with("/confluence/rest/api/space", &h).status, 200);
    assert_eq!(sim.get_with("/rest/api/space", &h).status, 404);
}

/// Control API and tenant info need no credentials.
#[test]
fn unauthenticated_endpoints() {
    let sim = common::cloud(SimConfig::demo());
    let r = sim.get_with("/__sim/stats", &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["requests"].is_u64());
    let r = sim.get_with("/_edge/tenant_info", &[]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["cloudId"].is_string(), "{}", r.text());
}

/// No response body or header, for good or bad credentials, contains a
/// secret or the Authorization value.
#[test]
fn no_credential_echo() {
    let cloud = common::cloud(SimConfig::demo().cloud_credentials(EMAIL, TOKEN));
    let dc = common::dc(SimConfig::demo().dc_pat(PAT), "/confluence");
    let good_cloud = basic(EMAIL, TOKEN);
    let bad_cloud = basic(EMAIL, "tok-Zq8vW3-never-echo-WRONG");
    let good_dc = format!("Bearer {PAT}");
    let bad_dc = format!("Bearer {PAT}-WRONG");
    let mut responses = Vec::new();
    for auth in [&good_cloud, &bad_cloud] {
        let h = [("authorization", auth.as_str())];
        for p in [
            cloud.v2("/spaces"),
            cloud.v2("/pages?limit=5&body-format=storage"),
            cloud.v2("/pages/999999999"),
            cloud.v2("/pages?limit=0"),
            cloud.v1("/space"),
            cloud.v1("/content/999999999"),
            cloud.v1("/user/current"),
            cloud.v1("/search?cql=type%3Dpage"),
            "/wiki/download/attachments/1/x.png".to_string(),
        ] {
            responses.push((p.clone(), cloud.get_with(&p, &h)));
        }
    }
    for auth in [&good_dc, &bad_dc] {
        let h = [("authorization", auth.as_str())];
        for p in [
            dc.v1("/space"),
            dc.v1("/content?limit=5&expand=body.storage"),
            dc.v1("/content/999999999"),
            "/confluence/api/v2/pages".to_string(),
        ] {
            responses.push((p.clone(), dc.get_with(&p, &h)));
        }
    }
    let secrets = [
        TOKEN,
        PAT,
        good_cloud.trim_start_matches("Basic "),
        bad_cloud.trim_start_matches("Basic "),
    ];
    for (p, r) in &responses {
        let body = r.text();
        for s in secrets {
            assert!(!body.contains(s), "{p}: body echoes a secret");
            for (k, v) in &r.headers {
                assert!(!v.contains(s), "{p}: header {k} echoes a secret");
            }
        }
    }
    assert!(responses.iter().any(|(_, r)| r.status == 200));
    assert!(responses.iter().any(|(_, r)| r.status == 401));
}
