//! One GET, done carefully: paced and bounded in flight, retried within a
//! time budget, redirects followed in a loop (credentials only to our own
//! origin), bodies read incrementally under a size cap.
use crate::error::{ConnectProblem, Error, redact};
use crate::limiter::Limiter;
use crate::pacing::Gate;
use crate::retry::{RateHeaders, RetryPolicy};
use crate::stats::{Counters, Event, Observer, Stats};
use reqwest::Url;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// Redirect hops followed before giving up (Cloud downloads need one).
const MAX_REDIRECTS: usize = 5;
/// How much of an error body is kept for its message.
const ERROR_BODY_CAP: u64 = 64 * 1024;

/// State shared by every clone of a client.
struct Shared {
    limiter: Limiter,
    /// Slots for redirect targets: Cloud sends attachment bytes from its
    /// media service, another host with its own limits, so the second hop
    /// of a download does not hold one of the site's slots.
    redirected: Limiter,
    gate: Gate,
    counters: Counters,
    observer: Option<Observer>,
    /// Whether the site has answered at least once: before that, a failed
    /// connection is a configuration problem, after it a transient one.
    contacted: AtomicBool,
    /// Requests sent so far: those sent after a given one are not yet
    /// counted in the `X-RateLimit-Remaining` of its answer.
    sent: AtomicU64,
}

/// The HTTP side of a [`crate::Client`].
#[derive(Clone)]
pub(crate) struct Transport {
    http: reqwest::Client,
    /// The configured site's origin; credentials go nowhere else.
    origin: Url,
    auth_header: Option<String>,
    retry: RetryPolicy,
    max_body: u64,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("origin", &self.origin.as_str())
            .field("retry", &self.retry)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

/// The settings [`Transport::new`] needs.
pub(crate) struct Settings {
    pub origin: Url,
    pub auth_header: Option<String>,
    pub retry: RetryPolicy,
    pub max_concurrency: usize,
    pub start_concurrency: Option<usize>,
    pub max_body: u64,
    pub observer: Option<Observer>,
}

impl Settings {
    fn limiter(&self) -> Limiter {
        let start = self.start_concurrency.unwrap_or(self.max_concurrency);
        Limiter::probing(start, self.max_concurrency)
    }
}

/// A failed attempt: the error, the wait the server asked for, and whether
/// it throttled us.
struct Failure {
    error: Error,
    wait: Option<Duration>,
    throttled: bool,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Self {
            error,
            wait: None,
            throttled: false,
        }
    }
}

enum Attempt {
    Done(Vec<u8>),
    Redirect(String),
}

/// Where a streamed 2xx body goes (a download written to disk as it
/// arrives, instead of held in memory).
pub trait Sink: Send {
    /// Discards what was written: the request is being tried again.
    fn restart(&mut self) -> std::io::Result<()>;
    /// Appends the next piece of the body.
    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()>;
}

impl Transport {
    pub fn new(http: reqwest::Client, s: Settings) -> Self {
        let (limiter, redirected) = (s.limiter(), s.limiter());
        Self {
            http,
            origin: s.origin,
            auth_header: s.auth_header,
            retry: s.retry,
            max_body: s.max_body,
            shared: Arc::new(Shared {
                limiter,
                redirected,
                gate: Gate::default(),
                counters: Counters::default(),
                observer: s.observer,
                contacted: AtomicBool::new(false),
                sent: AtomicU64::new(0),
            }),
        }
    }

    pub fn stats(&self) -> Stats {
        self.shared.counters.snapshot()
    }

    /// The first request whose credentials were refused, as its error says it.
    pub fn first_refusal(&self) -> Option<String> {
        self.shared
            .counters
            .first_refusal
            .lock()
            .ok()
            .and_then(|f| f.clone())
    }

    fn emit(&self, e: Event) {
        if let Some(o) = &self.shared.observer {
            o(&e);
        }
    }

    /// GET with retries; the 2xx body, which `parse` may still reject (a
    /// truncated body that does not decode is retried like a dropped one).
    pub async fn get_with<T>(
        &self,
        url: &str,
        with_auth: bool,
        parse: impl Fn(Vec<u8>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.fetch(url, with_auth, None, true, parse).await
    }

    /// Like [`Self::get_with`], for another service on the same site
    /// (Jira): its 401/403 says nothing of the Confluence credentials, so
    /// it is not counted as a refusal (which stops a run before deletions).
    pub async fn get_other_service<T>(
        &self,
        url: &str,
        parse: impl Fn(Vec<u8>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        // It carries our credentials: only on our own origin.
        let parsed = self.parse_url(url, "an invalid URL")?;
        if !self.is_ours(&parsed) {
            return Err(refused(
                url,
                "a service on another host (it would be sent the credentials)",
            ));
        }
        self.fetch(url, true, None, false, parse).await
    }

    /// Like [`Self::get_with`], with a 2xx body written to `sink` as it
    /// arrives (started over on a retry) rather than held in memory.
    /// Returns the body's length.
    pub async fn get_into(
        &self,
        url: &str,
        with_auth: bool,
        sink: &mut dyn Sink,
    ) -> Result<u64, Error> {
        let mut counting = CountingSink {
            inner: sink,
            written: 0,
        };
        self.fetch(url, with_auth, Some(&mut counting), true, |_| Ok(()))
            .await?;
        Ok(counting.written)
    }

    async fn fetch<T>(
        &self,
        url: &str,
        with_auth: bool,
        mut sink: Option<&mut (dyn Sink + '_)>,
        count_refusal: bool,
        parse: impl Fn(Vec<u8>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let start = self.parse_url(url, "an invalid URL")?;
        let first = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            if let Some(s) = sink.as_deref_mut() {
                s.restart().map_err(|source| Error::Store {
                    url: redact(url),
                    source,
                })?;
            }
            let failure = match self.follow(&start, with_auth, sink.as_deref_mut()).await {
                Ok(bytes) => match parse(bytes) {
                    Ok(v) => return Ok(v),
                    Err(e) => Failure::from(e),
                },
                Err(f) => f,
            };
            let c = &self.shared.counters;
            if !failure.error.is_transient() {
                Counters::add(&c.failures, 1);
                if count_refusal && matches!(failure.error, Error::Unauthorized { .. }) {
                    c.refused(&failure.error);
                }
                return Err(failure.error);
            }
            let status = failure.error.status();
            let wait = self.retry.delay(attempts - 1, failure.wait);
            if failure.throttled {
                let added = self.shared.gate.pause(Instant::now(), wait);
                if !added.is_zero() {
                    let concurrency = self.shared.limiter.limit();
                    tracing::debug!(wait_ms = wait.as_millis() as u64, concurrency, "throttled");
                    self.emit(Event::Throttled { wait });
                }
            }
            let elapsed = first.elapsed();
            if !self.retry.allows(attempts, elapsed + wait) {
                Counters::add(&c.failures, 1);
                return Err(Error::GaveUp {
                    url: redact(url),
                    attempts,
                    elapsed,
                    last: Box::new(failure.error),
                });
            }
            Counters::add(&c.retries, 1);
            tracing::info!(
                "retrying GET {} in {:.1} s: {}",
                redact(url),
                wait.as_secs_f64(),
                failure.error
            );
            if !failure.throttled {
                self.emit(Event::Retrying { status, wait });
                tokio::time::sleep(wait).await;
            }
            // A throttled retry waits at the shared gate, like everyone else.
        }
    }

    /// One attempt, following redirects (at most [`MAX_REDIRECTS`]).
    async fn follow(
        &self,
        start: &Url,
        with_auth: bool,
        mut sink: Option<&mut (dyn Sink + '_)>,
    ) -> Result<Vec<u8>, Failure> {
        let mut url = start.clone();
        let mut auth = with_auth;
        for hop in 0..=MAX_REDIRECTS {
            let pool = if hop == 0 {
                &self.shared.limiter
            } else {
                &self.shared.redirected
            };
            match self.attempt(&url, auth, pool, sink.as_deref_mut()).await? {
                Attempt::Done(bytes) => return Ok(bytes),
                Attempt::Redirect(location) => {
                    let next = url
                        .join(&location)
                        .map_err(|_| refused(&location, "a redirect to an invalid URL"))?;
                    check_url(&next, "a redirect to a URL with embedded credentials")?;
                    // Cloud's media host authenticates by a token in the URL:
                    // our Authorization header stays with our own origin.
                    auth = auth && self.is_ours(&next);
                    url = next;
                }
            }
        }
        Err(Error::TooManyRedirects {
            url: redact(start.as_str()),
            hops: MAX_REDIRECTS,
        }
        .into())
    }

    /// A request's URL for the log: the path on our own site, the whole
    /// (redacted) URL elsewhere.
    fn log_path(&self, url: &Url) -> String {
        let shown = redact(url.as_str());
        let origin = url.origin().ascii_serialization();
        match shown.strip_prefix(&origin) {
            Some(path) if self.is_ours(url) => path.to_owned(),
            _ => shown,
        }
    }

    /// Waits for the gate and a slot, then sends one request.
    async fn attempt(
        &self,
        url: &Url,
        with_auth: bool,
        pool: &Limiter,
        sink: Option<&mut (dyn Sink + '_)>,
    ) -> Result<Attempt, Failure> {
        let sh = &*self.shared;
        // The permit first, then a paced slot: slots taken by requests still
        // queued for a permit would bunch up behind a pause.
        let permit = pool.acquire().await;
        loop {
            let admission = sh.gate.admit(Instant::now(), self.retry.max_retry_after);
            sh.counters.add_throttled(admission.newly_held);
            tokio::time::sleep(admission.wait).await;
            // A 429 paused everyone while we waited: our slot is void (the
            // pause restarted pacing), so take a new one after it rather
            // than leave with everyone else the moment it ends.
            if sh.gate.paused_for(Instant::now()).is_zero() {
                break;
            }
        }
        let mut req = self
            .http
            .get(url.clone())
            .header("Accept", "application/json");
        if with_auth && let Some(h) = &self.auth_header {
            req = req.header("Authorization", h);
        }
        Counters::add(&sh.counters.requests, 1);
        tracing::trace!(url = %redact(url.as_str()), auth = with_auth, "GET");
        let seq = sh.sent.fetch_add(1, Ordering::Relaxed);
        let sent_at = Instant::now();
        let resp = req.send().await.map_err(|e| self.send_error(url, e))?;
        let took = sent_at.elapsed();
        sh.contacted.store(true, Ordering::Relaxed);
        let status = resp.status().as_u16();
        let rate = RateHeaders::parse(resp.headers(), SystemTime::now());
        if self.is_ours(url) {
            // A media host's limits are not the site's.
            let later = sh.sent.load(Ordering::Relaxed).saturating_sub(seq + 1);
            sh.gate.observe(Instant::now(), &rate, later as usize);
        }
        // `-v`: one line per request, the path on our own site (the full
        // URL elsewhere), the status and the time to its headers.
        // (Arguments are only evaluated when the line is logged.)
        tracing::info!(
            "GET {} {status} in {:.2} s",
            self.log_path(url),
            took.as_secs_f64()
        );
        if (300..400).contains(&status) && status != 304 {
            let location = resp
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            permit.success(took);
            return match location {
                Some(l) => Ok(Attempt::Redirect(l)),
                None => Err(Error::Status {
                    status,
                    url: redact(url.as_str()),
                    message: "redirect without a Location header".into(),
                }
                .into()),
            };
        }
        if status == 429 {
            permit.throttled();
            return Err(Failure {
                error: Error::Transient { status },
                wait: rate.throttle_wait(),
                throttled: true,
            });
        }
        // 408 Request Timeout: the server gave up waiting; asking again may work.
        if status >= 500 || status == 408 {
            return Err(Failure {
                error: Error::Transient { status },
                wait: rate.retry_after,
                throttled: false,
            });
        }
        if (200..300).contains(&status) {
            let body = match sink {
                Some(sink) => {
                    self.stream_body(resp, url, sink).await?;
                    Vec::new()
                }
                None => self.read_body(resp, url).await?,
            };
            permit.success(took);
            return Ok(Attempt::Done(body));
        }
        let body = self.read_error_body(resp).await;
        let url = redact(url.as_str());
        Err(match status {
            401 | 403 => Error::Unauthorized { status, url },
            404 => Error::NotFound { url },
            _ => Error::Status {
                status,
                url,
                message: error_message(&body),
            },
        }
        .into())
    }

    /// A send failure: before the site ever answered, a refused, unresolved
    /// or untrusted connection is reported at once; after, it is transient.
    fn send_error(&self, url: &Url, e: reqwest::Error) -> Failure {
        // reqwest's message would repeat the URL unredacted (media tokens).
        let e = e.without_url();
        if e.is_connect() && !self.shared.contacted.load(Ordering::Relaxed) {
            return Error::Connect {
                origin: url.origin().ascii_serialization(),
                problem: ConnectProblem::of(&e),
                source: e,
            }
            .into();
        }
        Error::Transport {
            url: redact(url.as_str()),
            source: e,
        }
        .into()
    }

    /// Reads a 2xx body chunk by chunk, failing once it passes the cap.
    async fn read_body(&self, mut resp: reqwest::Response, url: &Url) -> Result<Vec<u8>, Failure> {
        let too_large = || Error::TooLarge {
            url: redact(url.as_str()),
            limit: self.max_body,
        };
        let declared = resp.content_length();
        if declared.is_some_and(|n| n > self.max_body) {
            return Err(too_large().into());
        }
        // Trust a declared length only up to 8 MiB for the first allocation.
        let mut body = Vec::with_capacity(declared.unwrap_or(0).min(8 << 20) as usize);
        loop {
            let chunk = resp.chunk().await.map_err(|source| Error::Transport {
                url: redact(url.as_str()),
                source: source.without_url(),
            })?;
            let Some(chunk) = chunk else { break };
            Counters::add(&self.shared.counters.bytes, chunk.len() as u64);
            if (body.len() + chunk.len()) as u64 > self.max_body {
                return Err(too_large().into());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Writes a 2xx body to `sink` chunk by chunk, under the same cap.
    async fn stream_body(
        &self,
        mut resp: reqwest::Response,
        url: &Url,
        sink: &mut (dyn Sink + '_),
    ) -> Result<(), Failure> {
        let too_large = || Error::TooLarge {
            url: redact(url.as_str()),
            limit: self.max_body,
        };
        if resp.content_length().is_some_and(|n| n > self.max_body) {
            return Err(too_large().into());
        }
        let mut read = 0u64;
        loop {
            let chunk = resp.chunk().await.map_err(|source| Error::Transport {
                url: redact(url.as_str()),
                source: source.without_url(),
            })?;
            let Some(chunk) = chunk else { break };
            Counters::add(&self.shared.counters.bytes, chunk.len() as u64);
            read += chunk.len() as u64;
            if read > self.max_body {
                return Err(too_large().into());
            }
            sink.write(&chunk).map_err(|source| Error::Store {
                url: redact(url.as_str()),
                source,
            })?;
        }
        Ok(())
    }

    /// The start of an error body, for its message; read errors are ignored.
    async fn read_error_body(&self, mut resp: reqwest::Response) -> Vec<u8> {
        let mut body = Vec::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            Counters::add(&self.shared.counters.bytes, chunk.len() as u64);
            let room = ERROR_BODY_CAP as usize - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= ERROR_BODY_CAP as usize {
                break;
            }
        }
        body
    }

    /// Same scheme, host and port as the configured site.
    fn is_ours(&self, url: &Url) -> bool {
        url.origin() == self.origin.origin()
    }

    fn parse_url(&self, url: &str, what: &'static str) -> Result<Url, Error> {
        let parsed = Url::parse(url).map_err(|_| refused(url, what))?;
        check_url(&parsed, "a URL with embedded credentials")?;
        Ok(parsed)
    }

    /// The next page of a listing: `next` (absolute, or relative to `base`)
    /// must stay on our site and must not repeat.
    pub fn next_page(
        &self,
        base: &str,
        next: &str,
        seen: &mut HashSet<String>,
    ) -> Result<String, Error> {
        let joined = if next.contains("://") {
            next.to_owned()
        } else {
            format!("{base}{next}")
        };
        let url = self.parse_url(&joined, "an invalid pagination link")?;
        if !self.is_ours(&url) {
            return Err(refused(url.as_str(), "a pagination link to another site"));
        }
        if !seen.insert(url.as_str().to_owned()) {
            return Err(refused(
                url.as_str(),
                "a pagination link it had sent before (a loop)",
            ));
        }
        Ok(url.into())
    }
}

/// Refuses URLs with user info (`user@`, `a:b@`): they would smuggle
/// credentials, or disguise the host to a careless reader.
fn check_url(url: &Url, what: &'static str) -> Result<(), Error> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused(url.as_str(), what));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(url.as_str(), "a URL that is not http or https"));
    }
    Ok(())
}

fn refused(url: &str, what: &'static str) -> Error {
    Error::Refused {
        url: redact(url),
        what,
    }
}

/// The message of a v1 (`message`) or v2 (`errors[0].title`) error body.
pub(crate) fn error_message(body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    };
    v.get("message")
        .and_then(|m| m.as_str())
        .or_else(|| v.pointer("/errors/0/title").and_then(|m| m.as_str()))
        .unwrap_or("no message")
        .to_owned()
}

/// Seen-set for a listing, starting with its first URL.
pub(crate) fn seen_from(first: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    if let Ok(u) = Url::parse(first) {
        seen.insert(u.into());
    }
    seen
}

/// Counts what reaches the caller's sink.
struct CountingSink<'s> {
    inner: &'s mut dyn Sink,
    written: u64,
}

impl Sink for CountingSink<'_> {
    fn restart(&mut self) -> std::io::Result<()> {
        self.written = 0;
        self.inner.restart()
    }

    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.written += chunk.len() as u64;
        self.inner.write(chunk)
    }
}
