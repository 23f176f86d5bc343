//! How to build and run a simulator: which site, which flavour, which
//! credentials. Builder-style so tests read as one expression.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use crate::error::SimError;
use crate::model::Site;
use crate::network::NetworkModel;
use crate::site;

/// Which Confluence deployment to imitate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Flavor {
    /// `/wiki` prefix, v1 + v2, Basic `email:api_token`.
    #[default]
    Cloud,
    /// No `/wiki`, optional context path, v1 only, Bearer PAT.
    DataCenter,
}

pub const DEFAULT_EMAIL: &str = "sim@example.com";
pub const DEFAULT_TOKEN: &str = "sim-token";
pub const DEFAULT_PAT: &str = "sim-pat";

/// Everything `spawn`/`serve` needs.
#[derive(Clone)]
pub struct SimConfig {
    pub(crate) site: Arc<Site>,
    pub(crate) flavor: Flavor,
    pub(crate) addr: SocketAddr,
    pub(crate) context_path: String,
    pub(crate) email: String,
    pub(crate) token: String,
    pub(crate) pat: String,
    pub(crate) network: NetworkModel,
}

impl std::fmt::Debug for SimConfig {
    // Summarised: a generated site can hold 100,000 pages. Secrets are omitted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimConfig")
            .field("flavor", &self.flavor)
            .field("addr", &self.addr)
            .field("context_path", &self.context_path)
            .field("spaces", &self.site.spaces.len())
            .field("nodes", &self.site.nodes.len())
            .field("email", &self.email)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl SimConfig {
    fn with_site(site: Site) -> Self {
        SimConfig {
            site: Arc::new(site),
            flavor: Flavor::Cloud,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            context_path: String::new(),
            email: DEFAULT_EMAIL.into(),
            token: DEFAULT_TOKEN.into(),
            pat: DEFAULT_PAT.into(),
            network: NetworkModel::off(),
        }
    }

    /// The bundled demo site (spaces DEMO and OPS).
    pub fn demo() -> Self {
        Self::with_site(site::demo::load().expect("the bundled demo site is valid"))
    }

    /// A deterministic synthetic site, e.g.
    /// `"pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7"`.
    pub fn generate(spec: &str) -> Result<Self, SimError> {
        let spec = site::generate::GenSpec::parse(spec)?;
        Ok(Self::with_site(site::generate::generate(&spec)))
    }

    /// A site in the on-disk format described in SITE-FORMAT.md.
    pub fn from_dir(path: impl AsRef<Path>) -> Result<Self, SimError> {
        Ok(Self::with_site(site::dir::load_dir(path.as_ref())?))
    }

    pub fn flavor(mut self, f: Flavor) -> Self {
        self.flavor = f;
        self
    }

    /// Listen address (default `127.0.0.1:0`, an ephemeral port).
    pub fn addr(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Data Center context path such as `/confluence` (ignored for Cloud).
    pub fn context_path(mut self, p: &str) -> Self {
        let p = p.trim_end_matches('/');
        self.context_path = if p.is_empty() || p.starts_with('/') {
            p.to_string()
        } else {
            format!("/{p}")
        };
        self
    }

    /// Cloud Basic credentials of the default account.
    pub fn cloud_credentials(mut self, email: &str, token: &str) -> Self {
        self.email = email.into();
        self.token = token.into();
        self
    }

    /// Data Center personal access token of the default account.
    pub fn dc_pat(mut self, pat: &str) -> Self {
        self.pat = pat.into();
        self
    }

    /// The network every API request goes through (default: off, loopback
    /// speed); `PUT /__sim/network` changes it while running.
    pub fn network(mut self, model: NetworkModel) -> Self {
        self.network = model;
        self
    }

    /// The site as configured, with the default account's credentials set.
    pub(crate) fn into_site(self) -> (Site, RunConfig) {
        let mut site = Arc::unwrap_or_clone(self.site);
        if self.flavor == Flavor::DataCenter {
            site.make_data_center();
        }
        let acct = site.default_account.clone();
        if let Some(u) = site.user_mut(&acct) {
            u.email = Arc::from(self.email.as_str());
            u.api_token = Some(self.token.clone());
            u.pat = Some(self.pat.clone());
        }
        let run = RunConfig {
            flavor: self.flavor,
            context_path: if self.flavor == Flavor::DataCenter {
                self.context_path
            } else {
                String::new()
            },
        };
        (site, run)
    }

    /// The path users put after the origin in a site URL: the context path
    /// on Data Center, nothing on Cloud (whose site URL is the origin).
    pub fn base_path(&self) -> &str {
        match self.flavor {
            Flavor::DataCenter => &self.context_path,
            Flavor::Cloud => "",
        }
    }

    pub(crate) fn socket_addr(&self) -> SocketAddr {
        self.addr
    }
}

/// The parts of the configuration the request handlers read.
#[derive(Clone, Debug)]
pub(crate) struct RunConfig {
    pub flavor: Flavor,
    pub context_path: String,
}
