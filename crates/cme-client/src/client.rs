//! The Confluence client: the listings and downloads an exporter needs, on
//! top of one careful GET ([`crate::transport`]).
use crate::auth::Credentials;
use crate::error::{Error, redact};
use crate::ids::{PageId, SpaceKey};
use crate::model::{
    Attachment, PageBody, PageMeta, PageStatus, Space, V1Attachment, V1Content, V1Space,
    V2Attachment, V2List, V2Page, V2Space,
};
use crate::retry::RetryPolicy;
use crate::stats::{Observer, Stats};
use crate::transport::{Settings, Transport, seen_from};
use reqwest::Url;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

/// Which kind of Confluence is on the other end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Confluence Cloud: v2 API under `/wiki`.
    Cloud,
    /// Data Center / Server: v1 API only, optional context path.
    DataCenter,
}

/// Everything needed to build a [`Client`].
#[derive(Clone)]
pub struct ClientConfig {
    /// Site URL: `https://example.atlassian.net` (a trailing `/wiki` is
    /// accepted) or, for Data Center, the context root such as
    /// `https://host/confluence`.
    pub base_url: String,
    /// Cloud or Data Center.
    pub flavor: Flavor,
    /// How to authenticate.
    pub credentials: Credentials,
    /// Retry behaviour for transient failures.
    pub retry: RetryPolicy,
    /// Most requests in flight at once, across all clones of this client;
    /// the client goes lower by itself while the server throttles it.
    pub max_concurrency: usize,
    /// Timeout for one attempt, body included.
    pub timeout: Duration,
    /// Timeout for opening a connection.
    pub connect_timeout: Duration,
    /// Extra trusted root certificates (a PEM file), added to the system's
    /// (which `SSL_CERT_FILE` / `SSL_CERT_DIR` replace, as usual).
    pub ca_bundle: Option<PathBuf>,
    /// Largest response body accepted; bigger ones fail instead of filling memory.
    pub max_body_bytes: u64,
    /// Told about throttling and retries as they happen.
    pub observer: Option<Observer>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &redact(&self.base_url))
            .field("flavor", &self.flavor)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_bundle", &self.ca_bundle)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .finish()
    }
}

impl ClientConfig {
    /// Sensible defaults for a site and credentials.
    pub fn new(base_url: impl Into<String>, flavor: Flavor, credentials: Credentials) -> Self {
        Self {
            base_url: base_url.into(),
            flavor,
            credentials,
            retry: RetryPolicy::default(),
            max_concurrency: 8,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            ca_bundle: None,
            max_body_bytes: 512 << 20,
            observer: None,
        }
    }
}

/// Page size for every v2 listing: the documented maximum.
const V2_LIMIT: usize = 250;
/// Page size for v1 listings: Data Center caps most at 100 or more.
const V1_LIMIT: usize = 100;
/// CQL answers at most 50 results when bodies are expanded.
const V1_CQL_BODY_LIMIT: usize = 50;
/// CQL page size with non-body expansions: Data Center caps these at 200
/// (Atlassian KB); Cloud is asked for v2's 250.
const CQL_LIMIT_CLOUD: usize = 250;
const CQL_LIMIT_DC: usize = 200;
/// What an inventory listing expands: labels, and the creator's and last
/// editor's names (`history`, `version`), ride along because they change
/// without a page version, so only the listing can tell a sync about them.
const LISTING_EXPAND: &str = "version,ancestors,metadata.labels,history";

/// A Confluence REST client. Cheap to clone; clones share the connection
/// pool, the concurrency limit, the throttling state and the [`Stats`].
#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    /// Scheme, host and port, e.g. `https://example.atlassian.net`.
    origin: String,
    /// Where REST paths start: `origin/wiki` on Cloud, the context root on DC.
    root: String,
    flavor: Flavor,
}

impl Client {
    /// Builds a client. Fails only on an unusable URL, CA bundle or TLS setup.
    pub fn new(cfg: ClientConfig) -> Result<Self, Error> {
        // reqwest is built without a default crypto provider (see Cargo.toml);
        // installing twice is harmless, so the result is ignored.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = cfg.base_url.trim().trim_end_matches('/');
        let url = Url::parse(base)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .ok_or_else(|| Error::BaseUrl(redact(base)))?;
        if !url.username().is_empty() || url.password().is_some() {
            // user:pass@host would leak into logs; credentials belong in config.
            return Err(Error::BaseUrl("<url with embedded credentials>".into()));
        }
        let origin = url.origin().ascii_serialization();
        let path = url.path().trim_end_matches('/');
        let root = match cfg.flavor {
            Flavor::Cloud => format!("{origin}/wiki"),
            Flavor::DataCenter => format!("{origin}{path}"),
        };
        let mut builder = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            // We follow redirects ourselves, so that the Authorization header
            // never leaves the Confluence origin (Cloud's downloads answer 302
            // to a media host that authenticates by a query token).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "confluence-markdown-exporter/",
                env!("CARGO_PKG_VERSION")
            ));
        if let Some(path) = &cfg.ca_bundle {
            builder = builder.tls_certs_merge(read_ca_bundle(path)?);
        }
        let http = builder.build().map_err(Error::Setup)?;
        let transport = Transport::new(
            http,
            Settings {
                origin: url,
                auth_header: cfg.credentials.header(),
                retry: cfg.retry,
                max_concurrency: cfg.max_concurrency,
                max_body: cfg.max_body_bytes,
                observer: cfg.observer,
            },
        );
        Ok(Self {
            transport,
            origin,
            root,
            flavor: cfg.flavor,
        })
    }

    /// The site as users write it (no credentials in it): the origin on
    /// Cloud (`https://example.atlassian.net`), the context root on Data Center.
    pub fn site_url(&self) -> &str {
        match self.flavor {
            Flavor::Cloud => &self.origin,
            Flavor::DataCenter => &self.root,
        }
    }

    /// Which flavour of Confluence this client speaks.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// What this client (and its clones) did so far.
    pub fn stats(&self) -> Stats {
        self.transport.stats()
    }

    /// One GET with retries, returning the raw body of a 2xx answer.
    pub(crate) async fn get_bytes(&self, url: &str, with_auth: bool) -> Result<Vec<u8>, Error> {
        self.transport.get_with(url, with_auth, Ok).await
    }

    /// GET and decode JSON; a body that does not decode (often a truncated
    /// response) counts as transient and is retried.
    pub(crate) async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, Error> {
        self.transport
            .get_with(url, true, |bytes| {
                serde_json::from_slice(&bytes).map_err(|source| Error::Decode {
                    url: redact(url),
                    source,
                })
            })
            .await
    }

    /// Follows v2 `_links.next` (origin-relative, already including `/wiki`).
    async fn v2_all<T: DeserializeOwned>(&self, first: String) -> Result<Vec<T>, Error> {
        self.v2_up_to(first, usize::MAX).await
    }

    /// Like [`Self::v2_all`], but stops once `max` results are in: a full
    /// page still carries a `next` link, and following it costs a request
    /// that can only return nothing.
    async fn v2_up_to<T: DeserializeOwned>(
        &self,
        first: String,
        max: usize,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        let mut seen = seen_from(&first);
        let mut url = Some(first);
        while let Some(u) = url.take() {
            let page: V2List<T> = self.get_json(&u).await?;
            out.extend(page.results);
            // No stop on an empty page: Cloud may filter a whole page away
            // for permissions and still have more. `seen` stops loops.
            if out.len() >= max {
                break;
            }
            url = match page.links.next {
                Some(next) => Some(self.transport.next_page(&self.origin, &next, &mut seen)?),
                None => None,
            };
        }
        Ok(out)
    }

    /// Follows v1 `_links.next`, which is relative to the context root
    /// (unlike v2's, which already includes `/wiki`).
    pub(crate) async fn v1_all<T: DeserializeOwned>(&self, first: String) -> Result<Vec<T>, Error> {
        self.v1_all_map(first, Some).await
    }

    /// Like [`Self::v1_all`], keeping `f` of each item as its answer
    /// arrives: a listing of 100,000 pages with their ancestors, versions
    /// and labels is not held whole before it is boiled down.
    pub(crate) async fn v1_all_map<T: DeserializeOwned, U>(
        &self,
        first: String,
        f: impl Fn(T) -> Option<U>,
    ) -> Result<Vec<U>, Error> {
        let mut out = Vec::new();
        let mut seen = seen_from(&first);
        let mut url = Some(first);
        while let Some(u) = url.take() {
            let page: V2List<T> = self.get_json(&u).await?;
            let n = page.results.len();
            out.extend(page.results.into_iter().filter_map(&f));
            // `limit=0` answers `next` to the same page: never loop on an empty one.
            if n == 0 {
                break;
            }
            url = match page.links.next {
                Some(next) => Some(self.transport.next_page(&self.root, &next, &mut seen)?),
                None => None,
            };
        }
        Ok(out)
    }

    /// Where REST paths start (`origin/wiki` on Cloud, the context root on DC).
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// Spaces by key; all visible spaces when `keys` is empty.
    pub async fn spaces(&self, keys: &[SpaceKey]) -> Result<Vec<Space>, Error> {
        if self.flavor == Flavor::DataCenter {
            let mut url = format!(
                "{}/rest/api/space?limit={V1_LIMIT}&expand=homepage",
                self.root
            );
            for k in keys {
                url.push_str("&spaceKey=");
                url.push_str(&encode(k.as_str()));
            }
            let spaces: Vec<V1Space> = self.v1_all(url).await?;
            return Ok(spaces.into_iter().map(Space::from).collect());
        }
        let mut url = format!("{}/api/v2/spaces?limit={V2_LIMIT}", self.root);
        if !keys.is_empty() {
            let csv: Vec<&str> = keys.iter().map(SpaceKey::as_str).collect();
            url.push_str("&keys=");
            url.push_str(&encode(&csv.join(",")));
        }
        let spaces: Vec<V2Space> = self.v2_all(url).await?;
        Ok(spaces.into_iter().map(Space::from).collect())
    }

    /// Every current page of a space, without bodies: ⌈N/250⌉ requests;
    /// archived pages come along on Cloud (the same search finds them, so
    /// the caller can count them at no cost) and, `with_archived`, on Data
    /// Center (one more listing: its content API lists one status at a time).
    pub async fn space_pages(
        &self,
        space: &Space,
        with_archived: bool,
    ) -> Result<Vec<PageMeta>, Error> {
        if self.flavor == Flavor::DataCenter {
            let mut out = Vec::new();
            let statuses: &[&str] = if with_archived {
                &["current", "archived"]
            } else {
                &["current"]
            };
            for status in statuses {
                let url = format!(
                    "{}/rest/api/content?type=page&status={status}&spaceKey={}&limit={V1_LIMIT}&expand={LISTING_EXPAND}",
                    self.root,
                    encode(space.key.as_str())
                );
                let pages = self
                    .v1_all_map(url, |p: V1Content| Some(p.into_meta(Some(space)).0))
                    .await?;
                out.extend(pages);
            }
            return Ok(out);
        }
        // CQL rather than v2 `/spaces/{id}/pages`: the same 250 pages a call,
        // and it can carry labels, which change without a version.
        let cql = format!("type = page and space = \"{}\"", space.key.as_str());
        let url = format!(
            "{}/rest/api/content/search?cql={}&limit={CQL_LIMIT_CLOUD}&expand={LISTING_EXPAND}",
            self.root,
            encode(&cql)
        );
        self.v1_all_map(url, |p: V1Content| {
            Some(p.into_meta(Some(space)).0)
                .filter(|p| matches!(p.status, PageStatus::Current | PageStatus::Archived))
        })
        .await
    }

    /// Listing data of specific pages (no bodies). Missing or invisible ids
    /// are absent from the result.
    pub async fn pages_meta(&self, ids: &[PageId]) -> Result<Vec<PageMeta>, Error> {
        // CQL on both flavors: like the space listing, it carries labels.
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(V1_LIMIT) {
            let csv: Vec<&str> = chunk.iter().map(PageId::as_str).collect();
            let cql = format!("id in ({}) and type = page", csv.join(","));
            let pages = self.cql_pages(&cql).await?;
            out.extend(pages);
        }
        Ok(out)
    }

    /// Every page below `root`, at any depth, through CQL (`ancestor = id`),
    /// which has no depth cap, unlike v2 `descendants`.
    pub async fn descendants(&self, root: &PageId) -> Result<Vec<PageMeta>, Error> {
        self.cql_pages(&format!("ancestor = {} and type = page", root.as_str()))
            .await
    }

    /// Ids of a page's ancestors, highest first.
    pub async fn ancestors(&self, page: &PageId) -> Result<Vec<PageId>, Error> {
        if self.flavor == Flavor::DataCenter {
            let url = format!(
                "{}/rest/api/content/{}?expand=ancestors",
                self.root,
                encode(page.as_str())
            );
            #[derive(serde::Deserialize)]
            struct WithAncestors {
                #[serde(default)]
                ancestors: Vec<Stub>,
            }
            let c: WithAncestors = self.get_json(&url).await?;
            return Ok(c.ancestors.into_iter().map(|a| PageId::new(a.id)).collect());
        }
        // v2 answers at most 250 ancestors, highest first, with no cursor: to
        // go higher, ask again from the highest one.
        let mut chain: Vec<PageId> = Vec::new();
        let mut from = page.clone();
        loop {
            let url = format!(
                "{}/api/v2/pages/{}/ancestors?limit={V2_LIMIT}",
                self.root,
                encode(from.as_str())
            );
            let list: V2List<Stub> = self.get_json(&url).await?;
            let n = list.results.len();
            let mut ids: Vec<PageId> = list
                .results
                .into_iter()
                .map(|a| PageId::new(a.id))
                .collect();
            ids.append(&mut chain);
            chain = ids;
            if n < V2_LIMIT {
                return Ok(chain);
            }
            from = chain[0].clone();
        }
    }

    /// A folder, as listing data (folders are not pages, but they name the
    /// level of the tree they stand for). Cloud only; Data Center has none.
    pub async fn folder(&self, id: &PageId) -> Result<PageMeta, Error> {
        let url = format!("{}/api/v2/folders/{}", self.root, encode(id.as_str()));
        // A folder carries the same listing fields as a page.
        let folder: V2Page = self.get_json(&url).await?;
        Ok(folder.into_meta().0)
    }

    /// Spaces by id (Data Center lists all spaces and filters).
    pub async fn spaces_by_id(&self, ids: &[crate::ids::SpaceId]) -> Result<Vec<Space>, Error> {
        if self.flavor == Flavor::DataCenter {
            let all = self.spaces(&[]).await?;
            return Ok(all.into_iter().filter(|s| ids.contains(&s.id)).collect());
        }
        let mut out = Vec::new();
        for chunk in ids.chunks(V2_LIMIT) {
            let csv: Vec<&str> = chunk.iter().map(|i| i.as_str()).collect();
            let url = format!(
                "{}/api/v2/spaces?ids={}&limit={V2_LIMIT}",
                self.root,
                encode(&csv.join(","))
            );
            let spaces: Vec<V2Space> = self.v2_all(url).await?;
            out.extend(spaces.into_iter().map(Space::from));
        }
        Ok(out)
    }

    /// Pages matching a CQL query, with version, parent and space.
    async fn cql_pages(&self, cql: &str) -> Result<Vec<PageMeta>, Error> {
        let url = format!(
            "{}/rest/api/content/search?cql={}&limit={V1_LIMIT}&expand={LISTING_EXPAND},space",
            self.root,
            encode(cql)
        );
        self.v1_all_map(url, |p: V1Content| Some(p.into_meta(None).0))
            .await
    }

    /// Pages with storage bodies, up to 250 per request. Ids that are missing
    /// or not visible are simply absent from the result.
    pub async fn pages_with_bodies(&self, ids: &[PageId]) -> Result<Vec<PageBody>, Error> {
        let mut out = Vec::with_capacity(ids.len());
        if self.flavor == Flavor::DataCenter {
            // v1 has no id filter; CQL `id in (…)` does it, 50 at a time
            // because expanding bodies caps CQL results at 50.
            for chunk in ids.chunks(V1_CQL_BODY_LIMIT) {
                let csv: Vec<&str> = chunk.iter().map(PageId::as_str).collect();
                let cql = format!("id in ({})", csv.join(","));
                let url = format!(
                    "{}/rest/api/content/search?cql={}&limit={V1_CQL_BODY_LIMIT}&expand=body.storage,version,ancestors,space,history",
                    self.root,
                    encode(&cql)
                );
                let pages: Vec<V1Content> = self.v1_all(url).await?;
                out.extend(pages.into_iter().map(|p| {
                    let (meta, body) = p.into_meta(None);
                    PageBody {
                        meta,
                        storage: body.unwrap_or_default(),
                    }
                }));
            }
            return Ok(out);
        }
        for chunk in ids.chunks(V2_LIMIT) {
            let csv: Vec<&str> = chunk.iter().map(PageId::as_str).collect();
            let url = format!(
                "{}/api/v2/pages?id={}&body-format=storage&limit={V2_LIMIT}",
                self.root,
                encode(&csv.join(","))
            );
            let pages: Vec<V2Page> = self.v2_up_to(url, chunk.len()).await?;
            out.extend(pages.into_iter().map(|p| {
                let (meta, body) = p.into_meta();
                PageBody {
                    meta,
                    storage: body.unwrap_or_default(),
                }
            }));
        }
        Ok(out)
    }

    /// A page's current attachments.
    pub async fn attachments(&self, page: &PageId) -> Result<Vec<Attachment>, Error> {
        if self.flavor == Flavor::DataCenter {
            let url = format!(
                "{}/rest/api/content/{}/child/attachment?limit={V1_LIMIT}&expand=version",
                self.root,
                encode(page.as_str())
            );
            let atts: Vec<V1Attachment> = self.v1_all(url).await?;
            return Ok(atts.into_iter().map(|a| a.into_attachment(page)).collect());
        }
        let url = format!(
            "{}/api/v2/pages/{}/attachments?limit={V2_LIMIT}",
            self.root,
            encode(page.as_str())
        );
        let atts: Vec<V2Attachment> = self.v2_all(url).await?;
        Ok(atts.into_iter().map(|a| a.into_attachment(page)).collect())
    }

    /// Every current attachment of a space's current pages, through one CQL
    /// search (`type = attachment AND space = "KEY"`, expanded with version
    /// and container): ⌈N/250⌉ requests on Cloud, ⌈N/200⌉ on Data Center,
    /// instead of one listing per page. Attachments of pages the caller
    /// cannot read are absent. Each carries its page id and, as
    /// [`Self::attachments`] gives it, the download link relative to the
    /// context root, so [`Self::download`] works on both flavours.
    pub async fn space_attachments(&self, space: &SpaceKey) -> Result<Vec<Attachment>, Error> {
        let limit = match self.flavor {
            Flavor::Cloud => CQL_LIMIT_CLOUD,
            Flavor::DataCenter => CQL_LIMIT_DC,
        };
        let key = space.as_str().replace('\\', "\\\\").replace('"', "\\\"");
        let cql = format!("type = attachment AND space = \"{key}\"");
        let url = format!(
            "{}/rest/api/content/search?cql={}&limit={limit}&expand=version,container",
            self.root,
            encode(&cql)
        );
        let found: Vec<V1Attachment> = self.v1_all(url).await?;
        // Offset paging over a changing space can show an item twice.
        let mut seen = std::collections::HashSet::new();
        Ok(found
            .into_iter()
            .filter_map(V1Attachment::into_contained_attachment)
            .filter(|a| seen.insert(a.id.clone()))
            .collect())
    }

    /// Display names by Cloud account id (bulk, 100 per request). Unknown or
    /// invisible users are absent from the map.
    pub async fn account_names(&self, ids: &[String]) -> Result<HashMap<String, String>, Error> {
        let mut out = HashMap::new();
        for chunk in ids.chunks(100) {
            let mut url = format!("{}/rest/api/user/bulk?limit=100", self.root);
            for id in chunk {
                url.push_str("&accountId=");
                url.push_str(&encode(id));
            }
            let users: Vec<V1User> = self.v1_all(url).await?;
            out.extend(
                users
                    .into_iter()
                    .filter_map(|u| Some((u.account_id?, u.display_name))),
            );
        }
        Ok(out)
    }

    /// Display names by Data Center user key (one request each; unknown keys
    /// are absent from the map).
    pub async fn user_key_names(&self, keys: &[String]) -> Result<HashMap<String, String>, Error> {
        let mut out = HashMap::new();
        for key in keys {
            let url = format!("{}/rest/api/user?key={}", self.root, encode(key));
            match self.get_json::<V1User>(&url).await {
                Ok(u) => {
                    out.insert(key.clone(), u.display_name);
                }
                Err(Error::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// An attachment's bytes, through the REST download endpoint (Cloud
    /// answers 302 to a media URL that authenticates by its own token).
    pub async fn download(&self, att: &Attachment) -> Result<Vec<u8>, Error> {
        let url = self.download_url(att)?;
        self.get_bytes(&url, true).await
    }

    /// Like [`Self::download`], written to `sink` as it arrives (started
    /// over if the download is retried), so a file's size never sits in
    /// memory. Returns the number of bytes.
    pub async fn download_into(
        &self,
        att: &Attachment,
        sink: &mut dyn crate::Sink,
    ) -> Result<u64, Error> {
        let url = self.download_url(att)?;
        self.transport.get_into(&url, true, sink).await
    }

    fn download_url(&self, att: &Attachment) -> Result<String, Error> {
        let url = match self.flavor {
            Flavor::Cloud => format!(
                "{}/rest/api/content/{}/child/attachment/{}/download",
                self.root,
                encode(att.page_id.as_str()),
                encode(att.id.as_str())
            ),
            Flavor::DataCenter => match &att.download_link {
                Some(link) => format!("{}{link}", self.root),
                None => {
                    return Err(Error::Status {
                        status: 0,
                        url: self.root.clone(),
                        message: format!("attachment `{}` has no download link", att.filename),
                    });
                }
            },
        };
        Ok(url)
    }
}

/// Any `{ "id": … }` object.
#[derive(serde::Deserialize)]
struct Stub {
    id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1User {
    account_id: Option<String>,
    display_name: String,
}

/// Reads a PEM bundle of root certificates.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, Error> {
    let fail = |message: String| Error::CaBundle {
        path: path.to_owned(),
        message,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| fail(e.to_string()))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificates in it".into()));
    }
    Ok(certs)
}

/// Everything but RFC 3986's unreserved characters is escaped.
const COMPONENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Percent-encodes a query or path component.
pub(crate) fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::error_message;

    #[test]
    fn encode_escapes_reserved_characters() {
        assert_eq!(encode("A,B"), "A%2CB");
        assert_eq!(encode("a b/ü"), "a%20b%2F%C3%BC");
    }

    #[test]
    fn rejects_urls_with_credentials_without_echoing_them() {
        let cfg = ClientConfig::new(
            "https://me:secret@x.atlassian.net",
            Flavor::Cloud,
            Credentials::Anonymous,
        );
        let err = Client::new(cfg).unwrap_err().to_string();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn cloud_root_has_one_wiki_suffix() {
        for base in ["https://x.atlassian.net", "https://x.atlassian.net/wiki/"] {
            let cfg = ClientConfig::new(base, Flavor::Cloud, Credentials::Anonymous);
            let c = Client::new(cfg).unwrap();
            assert_eq!(c.site_url(), "https://x.atlassian.net");
            assert_eq!(c.root, "https://x.atlassian.net/wiki");
        }
    }

    #[test]
    fn error_message_reads_v1_and_v2_bodies() {
        let v1 = br#"{"statusCode":400,"message":"bad start","reason":"Bad Request"}"#;
        let v2 =
            br#"{"errors":[{"status":400,"code":"INVALID","title":"bad limit","detail":null}]}"#;
        assert_eq!(error_message(v1), "bad start");
        assert_eq!(error_message(v2), "bad limit");
    }
}
