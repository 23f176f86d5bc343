//! The Confluence client's public face. Each operation picks the API
//! family its flavour answers best ([`crate::api`]: v2 on Cloud, v1 on
//! Data Center, CQL where both search alike) and returns flavour-neutral
//! [`crate::model`] types, so callers never branch on the flavour.
use crate::api::{Api, cql, v1, v2};
use crate::auth::Credentials;
use crate::error::{Error, redact};
use crate::flavor::Flavor;
use crate::ids::{PageId, SpaceId, SpaceKey};
use crate::model::{Attachment, Comment, CommentId, ContentKind, PageBody, PageMeta, Space};
use crate::retry::RetryPolicy;
use crate::stats::{Observer, Stats};
use crate::transport::{Settings, Transport};
use reqwest::Url;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Where the limit on requests in flight starts, if below
    /// `max_concurrency`: it grows towards the maximum only while requests
    /// queue and the server does not throttle, and stays under where it
    /// first did. `None`: start at the maximum.
    pub start_concurrency: Option<usize>,
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
    /// Spaces with more pages than this (a count says) are listed in parts,
    /// concurrently, rather than as one cursor walked end to end (Cloud).
    /// `u64::MAX`: never; 0: every space (tests).
    pub partition_above: u64,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("base_url", &redact(&self.base_url))
            .field("flavor", &self.flavor)
            .field("credentials", &self.credentials)
            .field("retry", &self.retry)
            .field("max_concurrency", &self.max_concurrency)
            .field("start_concurrency", &self.start_concurrency)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("ca_bundle", &self.ca_bundle)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("observer", &self.observer.as_ref().map(|_| "…"))
            .field("partition_above", &self.partition_above)
            .finish()
    }
}

/// Pages above which a space is listed in parts: below it, a cursor of
/// ⌈N/250⌉ requests is short enough.
pub const DEFAULT_PARTITION_ABOVE: u64 = 5_000;

impl ClientConfig {
    /// Sensible defaults for a site and credentials.
    pub fn new(base_url: impl Into<String>, flavor: Flavor, credentials: Credentials) -> Self {
        Self {
            base_url: base_url.into(),
            flavor,
            credentials,
            retry: RetryPolicy::default(),
            max_concurrency: 8,
            start_concurrency: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            ca_bundle: None,
            max_body_bytes: 512 << 20,
            observer: None,
            partition_above: DEFAULT_PARTITION_ABOVE,
        }
    }
}

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
    partition_above: u64,
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
                start_concurrency: cfg.start_concurrency,
                max_body: cfg.max_body_bytes,
                observer: cfg.observer,
            },
        );
        Ok(Self {
            transport,
            origin,
            root,
            flavor: cfg.flavor,
            partition_above: cfg.partition_above,
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

    /// Where pages' web UI paths (`/spaces/…`, `/pages/viewpage.action…`,
    /// `/display/…`) live, without a trailing `/`: `{origin}/wiki` on
    /// Cloud, the context root on Data Center.
    pub fn web_root(&self) -> &str {
        &self.root
    }

    /// A page's absolute web address, built from ids only (a title in the
    /// address would change it on a rename): `{web_root}/spaces/{space}/pages/{id}`
    /// on Cloud, `{web_root}/pages/viewpage.action?pageId={id}` on Data Center.
    pub fn page_url(&self, space: &SpaceKey, id: &PageId) -> String {
        let base = self.web_root();
        let id = id.as_str();
        match self.flavor {
            Flavor::Cloud => {
                let space = percent_encoding::utf8_percent_encode(
                    space.as_str(),
                    percent_encoding::NON_ALPHANUMERIC,
                );
                format!("{base}/spaces/{space}/pages/{id}")
            }
            Flavor::DataCenter => format!("{base}/pages/viewpage.action?pageId={id}"),
        }
    }

    /// The web address of `meta`, a page or a blog post, built from what
    /// does not change on a rename: a page's as [`Self::page_url`]; a blog
    /// post's on Cloud `{web_root}/spaces/{space}/blog/{YYYY/MM/DD}/{id}`
    /// (its posting day, when known), on Data Center the same
    /// `viewpage.action?pageId=` as a page's.
    pub fn content_url(&self, space: &SpaceKey, meta: &PageMeta) -> String {
        match (self.flavor, meta.kind, meta.posting_day()) {
            (Flavor::Cloud, ContentKind::BlogPost, Some(day)) => {
                let space = percent_encoding::utf8_percent_encode(
                    space.as_str(),
                    percent_encoding::NON_ALPHANUMERIC,
                );
                format!("{}/spaces/{space}/blog/{day}/{}", self.web_root(), meta.id)
            }
            _ => self.page_url(space, &meta.id),
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

    /// The first request whose credentials were refused (401/403), as its
    /// error says it (URL redacted); [`Stats::refused`] counts them all.
    /// Callers that go on after a refused item use it to stop before
    /// changing anything more.
    pub fn first_refusal(&self) -> Option<String> {
        self.transport.first_refusal()
    }

    /// The family functions' view of this client.
    pub(crate) fn api(&self) -> Api<'_> {
        Api {
            transport: &self.transport,
            origin: &self.origin,
            root: &self.root,
        }
    }

    /// Spaces by key; all visible spaces when `keys` is empty.
    pub async fn spaces(&self, keys: &[SpaceKey]) -> Result<Vec<Space>, Error> {
        match self.flavor {
            Flavor::Cloud => v2::spaces(self.api(), keys).await,
            Flavor::DataCenter => v1::spaces(self.api(), keys).await,
        }
    }

    /// Spaces by id (Data Center lists all spaces and filters).
    pub async fn spaces_by_id(&self, ids: &[SpaceId]) -> Result<Vec<Space>, Error> {
        match self.flavor {
            Flavor::Cloud => v2::spaces_by_id(self.api(), ids).await,
            Flavor::DataCenter => v1::spaces_by_id(self.api(), ids).await,
        }
    }

    /// Every current page of a space, without bodies, as
    /// [`Self::space_inventory`] lists it and with display names
    /// ([`Self::fill_names`]).
    pub async fn space_pages(
        &self,
        space: &Space,
        with_archived: bool,
    ) -> Result<Vec<PageMeta>, Error> {
        let known = crate::KnownPages::default();
        let mut pages = self.space_inventory(space, with_archived, &known).await?;
        self.fill_names(&mut pages).await?;
        Ok(pages)
    }

    /// Every current page of a space, without bodies, with labels (they
    /// change without a version). Archived pages come along on Cloud (the
    /// caller can count them at no cost) and, `with_archived`, on Data
    /// Center (one more listing: its content API lists one status at a
    /// time). On Cloud, people are named by account id only: pass the
    /// pages of every space to [`Self::fill_names`] once. Cloud's listing
    /// and its request budget: see `inventory.rs`; Data Center's is
    /// ⌈N/100⌉ requests of v1 content with everything expanded. On Cloud,
    /// the pages the last run saw (`known`, shared by every space listed)
    /// are looked up by id first, and a space they account for is not
    /// walked (see `inventory.rs`).
    pub async fn space_inventory(
        &self,
        space: &Space,
        with_archived: bool,
        known: &crate::KnownPages,
    ) -> Result<Vec<PageMeta>, Error> {
        match self.flavor {
            Flavor::Cloud => {
                crate::inventory::space_pages(self.api(), space, self.partition_above, known).await
            }
            Flavor::DataCenter => v1::space_pages(self.api(), space, with_archived).await,
        }
    }

    /// The display names of `accounts` (the ones the last run met), asked
    /// while the listings run so that naming their pages afterwards
    /// ([`Self::fill_names_with`]) waits for no request: on an idle sync,
    /// one round trip off the critical path. An account asked and not
    /// named maps to `""`; a failed lookup names no one (those are asked
    /// again). Data Center lists names: nothing to ask.
    pub async fn names_of(&self, accounts: &[String]) -> HashMap<String, String> {
        if self.flavor == Flavor::DataCenter || accounts.is_empty() {
            return HashMap::new();
        }
        let mut names = HashMap::new();
        for (chunk, answer) in self.names_by_chunk(accounts).await {
            let Ok(answer) = answer else { continue };
            for id in chunk {
                names.insert(id.clone(), answer.get(id).cloned().unwrap_or_default());
            }
        }
        names
    }

    /// The display names of `ids`, one bulk lookup per 100, sent together;
    /// each answer with the ids it was asked for.
    async fn names_by_chunk<'a>(
        &self,
        ids: &'a [String],
    ) -> Vec<(&'a [String], Result<HashMap<String, String>, Error>)> {
        let chunks: Vec<&[String]> = ids.chunks(100).collect();
        let answers = crate::join_all(
            chunks
                .iter()
                .map(|chunk| -> crate::BoxFuture<'_, _> {
                    Box::pin(v1::account_names(self.api(), chunk))
                })
                .collect(),
        )
        .await;
        chunks.into_iter().zip(answers).collect()
    }

    /// Names the creators and last editors that `pages` name by id only
    /// (Cloud's v2 listings), looked up in bulk: one request per 100
    /// accounts, sent together. Accounts not found stay unnamed.
    pub async fn fill_names(&self, pages: &mut [PageMeta]) -> Result<(), Error> {
        self.fill_names_with(pages, &HashMap::new()).await
    }

    /// [`Self::fill_names`], asking only for the accounts `known` (from
    /// [`Self::names_of`]) does not hold. The pages then share one copy of
    /// each id and name (on Data Center too, where nothing is asked).
    pub async fn fill_names_with(
        &self,
        pages: &mut [PageMeta],
        known: &HashMap<String, String>,
    ) -> Result<(), Error> {
        self.fill_names_in(&mut [pages], known).await
    }

    /// [`Self::fill_names_with`] for pages held in several lists, asked
    /// together: the same requests as for one list of them all.
    pub async fn fill_names_in(
        &self,
        lists: &mut [&mut [PageMeta]],
        known: &HashMap<String, String>,
    ) -> Result<(), Error> {
        let pages = || lists.iter().flat_map(|l| l.iter());
        let unnamed = |u: &Option<crate::UserRef>| {
            u.as_ref()
                .filter(|u| u.display_name.is_none())
                .map(|u| u.id.clone())
        };
        // One by one: collected, a set first lists every page's two
        // accounts (~20 MB for 100,000 pages that name a few people).
        let mut ids: BTreeSet<std::sync::Arc<str>> = BTreeSet::new();
        for id in pages()
            .flat_map(|p| [unnamed(&p.info.author), unnamed(&p.info.last_editor)])
            .flatten()
        {
            ids.insert(id);
        }
        let cloud = self.flavor == Flavor::Cloud;
        let mut names = HashMap::new();
        if cloud && !ids.is_empty() {
            let ids: Vec<String> = ids
                .into_iter()
                .filter(|id| !known.contains_key(&**id))
                .map(|id| id.to_string())
                .collect();
            for (_, answer) in self.names_by_chunk(&ids).await {
                names.extend(answer?);
            }
        }
        // Every page names the same few people: one copy of each id and
        // name for all of them.
        let mut shared: HashSet<std::sync::Arc<str>> = HashSet::new();
        let mut share = |s: &str| match shared.get(s) {
            Some(t) => t.clone(),
            None => {
                let t: std::sync::Arc<str> = s.into();
                shared.insert(t.clone());
                t
            }
        };
        for p in lists.iter_mut().flat_map(|l| l.iter_mut()) {
            for u in [&mut p.info.author, &mut p.info.last_editor]
                .into_iter()
                .flatten()
            {
                if cloud && u.display_name.is_none() {
                    u.display_name = names
                        .get(&*u.id)
                        .or_else(|| known.get(&*u.id))
                        .filter(|n| !n.is_empty())
                        .map(|n| share(n));
                }
                u.id = share(&u.id);
                if let Some(n) = &mut u.display_name {
                    *n = share(n);
                }
            }
        }
        Ok(())
    }

    /// Every current blog post of a space, without bodies, with labels,
    /// creator and last editor named: one CQL search (`type = blogpost AND
    /// space = "KEY"`, ⌈B/250⌉ requests on Cloud, ⌈B/200⌉ on Data
    /// Center), the same on both flavours. Its expansions cost ~8 KB a
    /// post, but carry the labels and names that a lean v2
    /// `/spaces/{id}/blogposts` listing would need more requests for.
    pub async fn space_blog_posts(&self, space: &Space) -> Result<Vec<PageMeta>, Error> {
        cql::space_blog_posts(self.api(), self.flavor, space).await
    }

    /// Listing data of specific pages (no bodies). Missing or invisible ids
    /// are absent from the result.
    pub async fn pages_meta(&self, ids: &[PageId]) -> Result<Vec<PageMeta>, Error> {
        // CQL on both flavors: like the space listing, it carries labels.
        cql::pages(self.api(), ids).await
    }

    /// Which of `ids` are pages readable now, wherever they are (space,
    /// status and ancestors): what a sync asks before deleting, to confirm
    /// that a page its listings left out is really gone (CQL `id in (…)`,
    /// one request per 100 ids). Missing, trashed or invisible ids are absent.
    pub async fn pages_found(&self, ids: &[PageId]) -> Result<Vec<crate::FoundPage>, Error> {
        cql::pages_found(self.api(), ids).await
    }

    /// Every page below `root`, at any depth, through CQL (`ancestor = id`),
    /// which has no depth cap, unlike v2 `descendants`.
    pub async fn descendants(&self, root: &PageId) -> Result<Vec<PageMeta>, Error> {
        cql::descendants(self.api(), root).await
    }

    /// Ids of a page's ancestors, highest first.
    pub async fn ancestors(&self, page: &PageId) -> Result<Vec<PageId>, Error> {
        match self.flavor {
            Flavor::Cloud => v2::ancestors(self.api(), page).await,
            Flavor::DataCenter => v1::ancestors(self.api(), page).await,
        }
    }

    /// A folder, as listing data (folders are not pages, but they name the
    /// level of the tree they stand for). Cloud only; Data Center has none.
    pub async fn folder(&self, id: &PageId) -> Result<PageMeta, Error> {
        v2::folder(self.api(), id).await
    }

    /// A page's rendered body (`body.view`), one request.
    pub async fn page_view(&self, id: &PageId) -> Result<String, Error> {
        v1::page_view(self.api(), id).await
    }

    /// Pages with storage bodies, up to 250 per request. Ids that are missing
    /// or not visible are simply absent from the result.
    pub async fn pages_with_bodies(&self, ids: &[PageId]) -> Result<Vec<PageBody>, Error> {
        self.content_with_bodies(ContentKind::Page, ids).await
    }

    /// Pages or blog posts (`kind`) with storage bodies, as
    /// [`Self::pages_with_bodies`]: Cloud serves each kind from its own v2
    /// family (`/pages`, `/blogposts`), 250 ids per request; Data Center's
    /// CQL `id in (…)` finds either.
    pub async fn content_with_bodies(
        &self,
        kind: ContentKind,
        ids: &[PageId],
    ) -> Result<Vec<PageBody>, Error> {
        match self.flavor {
            Flavor::Cloud => v2::pages_with_bodies(self.api(), kind, ids).await,
            // v1 has no id filter; CQL `id in (…)` does it, 50 at a time
            // because expanding bodies caps CQL results at 50.
            Flavor::DataCenter => cql::pages_with_bodies(self.api(), kind, ids).await,
        }
    }

    /// A page's current attachments.
    pub async fn attachments(&self, page: &PageId) -> Result<Vec<Attachment>, Error> {
        match self.flavor {
            Flavor::Cloud => v2::attachments(self.api(), page).await,
            Flavor::DataCenter => v1::attachments(self.api(), page).await,
        }
    }

    /// Every current attachment of a space's current pages, through one CQL
    /// search (`type = attachment AND space = "KEY"`, expanded with version
    /// and container): ⌈N/250⌉ requests on Cloud, ⌈N/200⌉ on Data Center,
    /// instead of one listing per page. Attachments of pages the caller
    /// cannot read are absent. Each carries its page id and, as
    /// [`Self::attachments`] gives it, the download link relative to the
    /// context root, so [`Self::download`] works on both flavours.
    pub async fn space_attachments(&self, space: &SpaceKey) -> Result<Vec<Attachment>, Error> {
        cql::space_attachments(self.api(), self.flavor, space).await
    }

    /// Every comment on the current pages of a space that the caller can
    /// read, without bodies: ⌈C/250⌉ requests on Cloud, ⌈C/200⌉ on Data
    /// Center, instead of one per page. A sync learns from it about new,
    /// edited (the comment's version rises), resolved and deleted comments,
    /// none of which makes a page version.
    pub async fn space_comments(&self, space: &SpaceKey) -> Result<Vec<Comment>, Error> {
        cql::space_comments(self.api(), self.flavor, space).await
    }

    /// Storage-format bodies of comments by id (CQL `id in (…)`, 50 per
    /// request: bodies cap CQL pages at 50), fetched only for the pages
    /// whose comments are written. Comments gone meanwhile are absent
    /// from the map.
    pub async fn comment_bodies(
        &self,
        ids: &[CommentId],
    ) -> Result<HashMap<CommentId, String>, Error> {
        cql::comment_bodies(self.api(), ids).await
    }

    /// The rows of a page-properties report, as Confluence computes them
    /// (`/rest/masterdetail/1.0/detailssummary/lines`, 250 rows a request):
    /// the exporter never evaluates the report's CQL itself. `space` is
    /// what `currentSpace()` means in it.
    pub async fn report_lines(
        &self,
        cql: &str,
        space: &SpaceKey,
        headings: &str,
        sort_by: &str,
        reverse: bool,
    ) -> Result<crate::ReportLines, Error> {
        crate::api::masterdetail::lines(self.api(), cql, space.as_str(), headings, sort_by, reverse)
            .await
    }

    /// The Jira issues of `jql`, with `fields` (Jira field ids), at most
    /// `max`: what a Jira macro shows. `jira` is the Jira site (no trailing
    /// `/`); it must be on this client's origin, since the request carries
    /// the Confluence credentials (Cloud's Jira is the site itself). Cloud
    /// is asked through its enhanced search, Data Center through
    /// `/rest/api/2/search`.
    pub async fn jira_search(
        &self,
        jira: &str,
        jql: &str,
        fields: &[String],
        max: u32,
    ) -> Result<crate::JiraSearch, Error> {
        crate::api::jira::search(
            self.api(),
            jira.trim_end_matches('/'),
            self.flavor == Flavor::Cloud,
            jql,
            fields,
            max,
        )
        .await
    }

    /// Which mentioned users to look up with [`Self::user_names`], in the
    /// order asked: `authors` are ids as this flavour's listings name people;
    /// `account_ids` and `user_keys` are what page bodies mention. Cloud
    /// knows account ids only; Data Center asks its user keys first, then
    /// account ids (content migrated from Cloud can carry them; asking by
    /// key costs a 404 at worst).
    pub fn user_ids_to_ask(
        &self,
        authors: Vec<String>,
        mut account_ids: BTreeSet<String>,
        mut user_keys: BTreeSet<String>,
    ) -> Vec<String> {
        match self.flavor {
            Flavor::Cloud => {
                account_ids.extend(authors);
                account_ids.into_iter().collect()
            }
            Flavor::DataCenter => {
                user_keys.extend(authors);
                user_keys.into_iter().chain(account_ids).collect()
            }
        }
    }

    /// Display names by the ids this flavour names users with (Cloud
    /// account ids, Data Center user keys): [`Self::account_names`] or
    /// [`Self::user_key_names`]. Unknown ids are absent from the map.
    pub async fn user_names(&self, ids: &[String]) -> Result<HashMap<String, String>, Error> {
        match self.flavor {
            Flavor::Cloud => self.account_names(ids).await,
            Flavor::DataCenter => self.user_key_names(ids).await,
        }
    }

    /// Display names by Cloud account id (bulk, 100 per request). Unknown or
    /// invisible users are absent from the map.
    pub async fn account_names(&self, ids: &[String]) -> Result<HashMap<String, String>, Error> {
        v1::account_names(self.api(), ids).await
    }

    /// Display names by Data Center user key (one request each; unknown keys
    /// are absent from the map).
    pub async fn user_key_names(&self, keys: &[String]) -> Result<HashMap<String, String>, Error> {
        v1::user_key_names(self.api(), keys).await
    }

    /// An attachment's bytes, through the REST download endpoint (Cloud
    /// answers 302 to a media URL that authenticates by its own token).
    pub async fn download(&self, att: &Attachment) -> Result<Vec<u8>, Error> {
        let url = self.download_url(att)?;
        self.api().get_bytes(&url, true).await
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
        match self.flavor {
            Flavor::Cloud => Ok(v1::download_endpoint(self.api(), att)),
            Flavor::DataCenter => v1::download_link(self.api(), att),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::error_message;

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
    fn web_root_and_page_urls_follow_the_flavour() {
        let cloud = Client::new(ClientConfig::new(
            "https://x.atlassian.net/wiki/",
            Flavor::Cloud,
            Credentials::Anonymous,
        ))
        .unwrap();
        assert_eq!(cloud.web_root(), "https://x.atlassian.net/wiki");
        assert_eq!(
            cloud.page_url(&SpaceKey::new("MY SP~"), &PageId::new("123")),
            "https://x.atlassian.net/wiki/spaces/MY%20SP%7E/pages/123"
        );
        let dc = Client::new(ClientConfig::new(
            "https://host/confluence/",
            Flavor::DataCenter,
            Credentials::Anonymous,
        ))
        .unwrap();
        assert_eq!(dc.web_root(), "https://host/confluence");
        assert_eq!(
            dc.page_url(&SpaceKey::new("DEMO"), &PageId::new("123")),
            "https://host/confluence/pages/viewpage.action?pageId=123"
        );
        // A blog post: dated on Cloud, by id on Data Center.
        let post = PageMeta {
            id: PageId::new("77"),
            kind: ContentKind::BlogPost,
            title: "News".into(),
            space_id: crate::SpaceId::new("1"),
            parent: None,
            position: None,
            status: crate::PageStatus::Current,
            version: crate::Version(1),
            modified_at: Default::default(),
            info: Box::new(crate::PageInfo {
                created_at: Some("2024-05-01T09:00:00.000Z".into()),
                ..Default::default()
            }),
        };
        assert_eq!(post.posting_day().as_deref(), Some("2024/05/01"));
        assert_eq!(
            cloud.content_url(&SpaceKey::new("DEMO"), &post),
            "https://x.atlassian.net/wiki/spaces/DEMO/blog/2024/05/01/77"
        );
        assert_eq!(
            dc.content_url(&SpaceKey::new("DEMO"), &post),
            "https://host/confluence/pages/viewpage.action?pageId=77"
        );
        let page = PageMeta {
            kind: ContentKind::Page,
            ..post
        };
        assert_eq!(page.posting_day(), None);
        assert_eq!(
            cloud.content_url(&SpaceKey::new("DEMO"), &page),
            "https://x.atlassian.net/wiki/spaces/DEMO/pages/77"
        );
    }

    #[test]
    fn user_names_reads_the_ids_page_answers_carry_on_both_flavours() {
        use confluence_sim::{SimConfig, spawn};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        for (sim, flavor, creds) in [
            (
                spawn(SimConfig::demo()).unwrap(),
                Flavor::Cloud,
                Credentials::Basic {
                    email: "sim@example.com".into(),
                    token: crate::Secret::new("sim-token"),
                },
            ),
            (
                spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap(),
                Flavor::DataCenter,
                Credentials::Bearer(crate::Secret::new("sim-pat")),
            ),
        ] {
            let client = Client::new(ClientConfig::new(sim.url(), flavor, creds)).unwrap();
            let names = rt.block_on(async {
                let space = client.spaces(&[SpaceKey::new("DEMO")]).await.unwrap();
                let pages = client.space_pages(&space[0], false).await.unwrap();
                let author = pages
                    .iter()
                    .find_map(|p| p.info.author.clone())
                    .expect("an author");
                let ids = [author.id.to_string(), "no-such-user".to_owned()];
                let names = client.user_names(&ids).await.unwrap();
                let direct = match flavor {
                    Flavor::Cloud => client.account_names(&ids).await.unwrap(),
                    Flavor::DataCenter => client.user_key_names(&ids).await.unwrap(),
                };
                assert_eq!(names, direct, "{flavor:?}");
                (author, names)
            });
            let (author, names) = names;
            assert_eq!(names.len(), 1, "{flavor:?}: {names:?}");
            assert!(!names[&*author.id].is_empty(), "{flavor:?}");
            if let Some(shown) = author.display_name {
                assert_eq!(names[&*author.id], *shown, "{flavor:?}");
            }
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
