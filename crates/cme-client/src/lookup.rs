//! The few lookups the command line needs before an export starts: which
//! flavour a site is, and a page's id from its space and title.
use crate::api::v1;
use crate::auth::Credentials;
use crate::client::{Client, ClientConfig};
use crate::error::Error;
use crate::flavor::Flavor;
use crate::ids::{PageId, SpaceKey};
use serde::Deserialize;
use std::time::Duration;

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
