//! The few lookups the command line needs outside the pipeline: which
//! flavour a site is, a page's id from its space and title, and (after a
//! 404) whether a Confluence REST API answers at the configured URL at all.
use crate::api::v1;
use crate::auth::Credentials;
use crate::client::{Client, ClientConfig};
use crate::error::Error;
use crate::flavor::Flavor;
use crate::ids::{PageId, SpaceKey};
use serde::Deserialize;
use std::time::Duration;

/// What answers at a client's REST root (`/rest/api/space`), asked only
/// after a request failed, so that a wrong URL is not reported as a missing
/// space or page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestRoot {
    /// A Confluence REST API answers: the failure was about the item asked.
    Answers,
    /// The credentials were refused there (so something that checks them answers).
    Refused,
    /// No Confluence REST API: another status, or a body that is not a
    /// space listing (a plain web server, a login page).
    Absent {
        /// The REST path asked, e.g. `/rest/api/space`.
        path: String,
        /// The status, when it was not 200.
        status: Option<u16>,
    },
}

#[derive(Deserialize)]
struct SpaceListing {
    #[allow(dead_code)]
    results: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct TenantInfo {
    #[serde(rename = "cloudId")]
    cloud_id: String,
}

impl Client {
    /// Asks a site which flavour it is, sending no credentials: Cloud
    /// answers `/_edge/tenant_info` publicly with its `cloudId`; Data Center
    /// has no such path (404, 401 or a login page). Only a site that cannot
    /// be reached is an error.
    pub async fn detect_flavor(site_url: &str) -> Result<Flavor, Error> {
        let mut cfg = ClientConfig::new(site_url, Flavor::Cloud, Credentials::Anonymous);
        cfg.timeout = Duration::from_secs(30);
        cfg.max_concurrency = 1;
        // A probe should not keep a user waiting for a site that is down.
        cfg.retry = crate::RetryPolicy {
            max_attempts: Some(3),
            max_elapsed: Duration::from_secs(15),
            base_delay: Duration::from_millis(200),
            ..crate::RetryPolicy::default()
        };
        let probe = Client::new(cfg)?;
        // On Cloud `site_url` is the origin, where this path lives.
        let url = format!("{}/_edge/tenant_info", probe.site_url());
        let mut attempt = 0u64;
        loop {
            match probe.api().get_bytes(&url, false).await {
                Ok(body) => match serde_json::from_slice::<TenantInfo>(&body) {
                    Ok(t) if !t.cloud_id.is_empty() => return Ok(Flavor::Cloud),
                    // JSON cut short is a transient failure; anything else
                    // (a login page, other JSON) is not Cloud's answer.
                    Err(e) if e.is_eof() && attempt < 3 => {
                        attempt += 1;
                        tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                    }
                    _ => return Ok(Flavor::DataCenter),
                },
                Err(Error::NotFound { .. } | Error::Unauthorized { .. } | Error::Status { .. }) => {
                    return Ok(Flavor::DataCenter);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Whether a Confluence REST API answers at this client's root: one
    /// request (a space listing of one), made only to explain a failure.
    pub async fn rest_root(&self) -> Result<RestRoot, Error> {
        let api = self.api();
        let url = format!("{}/rest/api/space?limit=1", api.root);
        let path = format!(
            "{}/rest/api/space",
            &api.root[api.origin.len().min(api.root.len())..]
        );
        match api.get_bytes(&url, true).await {
            Ok(body) => Ok(match serde_json::from_slice::<SpaceListing>(&body) {
                Ok(_) => RestRoot::Answers,
                Err(_) => RestRoot::Absent { path, status: None },
            }),
            Err(Error::Unauthorized { .. }) => Ok(RestRoot::Refused),
            Err(Error::NotFound { .. }) => Ok(RestRoot::Absent {
                path,
                status: Some(404),
            }),
            Err(Error::Status { status, .. }) => Ok(RestRoot::Absent {
                path,
                status: Some(status),
            }),
            Err(e) => Err(e),
        }
    }

    /// The id of the page titled exactly `title` in `space`, or `None` when
    /// there is none this account can see.
    pub async fn page_id_by_title(
        &self,
        space: &SpaceKey,
        title: &str,
    ) -> Result<Option<PageId>, Error> {
        // v1 on both flavours: Cloud's v2 would need the space id first.
        v1::page_id_by_title(self.api(), space, title).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confluence_sim::{SimConfig, spawn};

    fn block_on<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn cloud_and_data_center_are_told_apart_without_credentials() {
        let cloud = spawn(SimConfig::demo()).unwrap();
        assert_eq!(
            block_on(Client::detect_flavor(&cloud.url())).unwrap(),
            Flavor::Cloud
        );
        let dc = spawn(
            SimConfig::demo()
                .flavor(confluence_sim::Flavor::DataCenter)
                .context_path("/confluence"),
        )
        .unwrap();
        assert_eq!(
            block_on(Client::detect_flavor(&format!("{}/confluence", dc.url()))).unwrap(),
            Flavor::DataCenter
        );
        let dc_root = spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap();
        assert_eq!(
            block_on(Client::detect_flavor(&dc_root.url())).unwrap(),
            Flavor::DataCenter
        );
    }

    #[test]
    fn the_rest_root_tells_a_wrong_url_from_a_missing_item() {
        let dc = spawn(
            SimConfig::demo()
                .flavor(confluence_sim::Flavor::DataCenter)
                .context_path("/confluence"),
        )
        .unwrap();
        let pat = || Credentials::Bearer(crate::Secret::new("sim-pat"));
        let at = |url: String, creds| {
            let c = Client::new(ClientConfig::new(url, Flavor::DataCenter, creds)).unwrap();
            block_on(c.rest_root()).unwrap()
        };
        assert_eq!(
            at(format!("{}/confluence", dc.url()), pat()),
            RestRoot::Answers
        );
        assert_eq!(
            at(dc.url(), pat()),
            RestRoot::Absent {
                path: "/rest/api/space".into(),
                status: Some(404)
            }
        );
        let wrong = Credentials::Bearer(crate::Secret::new("wrong"));
        assert_eq!(
            at(format!("{}/confluence", dc.url()), wrong),
            RestRoot::Refused
        );
    }

    #[test]
    fn an_unreachable_site_is_an_error() {
        // Port 9 (discard) on loopback: nothing listens there in a test.
        let r = block_on(Client::detect_flavor("http://127.0.0.1:9"));
        assert!(r.is_err(), "{r:?}");
    }

    #[test]
    fn pages_are_found_by_space_and_title_on_both_flavours() {
        for (sim, flavor, context, creds) in [
            (
                spawn(SimConfig::demo()).unwrap(),
                Flavor::Cloud,
                "",
                Credentials::Basic {
                    email: "sim@example.com".into(),
                    token: crate::Secret::new("sim-token"),
                },
            ),
            (
                spawn(
                    SimConfig::demo()
                        .flavor(confluence_sim::Flavor::DataCenter)
                        .context_path("/confluence"),
                )
                .unwrap(),
                Flavor::DataCenter,
                "/confluence",
                Credentials::Bearer(crate::Secret::new("sim-pat")),
            ),
        ] {
            let client = Client::new(ClientConfig::new(
                format!("{}{context}", sim.url()),
                flavor,
                creds,
            ))
            .unwrap();
            let space = SpaceKey::new("DEMO");
            let found = block_on(client.page_id_by_title(&space, "Getting Started")).unwrap();
            assert!(found.is_some(), "{flavor:?}");
            let none = block_on(client.page_id_by_title(&space, "No Such Page")).unwrap();
            assert_eq!(none, None);
        }
    }
}
