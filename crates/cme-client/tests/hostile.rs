//! The client against servers that misbehave on purpose: tiny raw HTTP/1.1
//! servers on `tokio::net::TcpListener` that record what they receive, so
//! the tests can assert where our credentials went.

use cme_client::{
    Attachment, AttachmentId, Client, ClientConfig, ConnectProblem, Credentials, Error, Event,
    Flavor, PageId, RetryPolicy, Secret, Version,
};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a handler answers to one request.
enum Reply {
    /// Raw response bytes, then close.
    Raw(Vec<u8>),
    /// Close without answering.
    Drop,
    /// A 200 whose body never ends.
    Endless,
}

/// A JSON 200 (or another status) with extra headers.
fn json(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    Reply::Raw([head.as_bytes(), body.as_bytes()].concat())
}

fn redirect(location: &str) -> Reply {
    json(302, &[("location", location)], "")
}

/// A server that answers with `handler(request number, request head)` and
/// keeps every request head it received.
struct Server {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Server {
    async fn start(handler: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let handler = Arc::new(handler);
        let count = Arc::new(AtomicUsize::new(0));
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let (seen, handler, count) = (seen.clone(), handler.clone(), count.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).into_owned();
                    let n = count.fetch_add(1, Ordering::SeqCst);
                    seen.lock().unwrap().push(head.clone());
                    match handler(n, &head) {
                        Reply::Raw(bytes) => {
                            let _ = sock.write_all(&bytes).await;
                            let _ = sock.shutdown().await;
                        }
                        Reply::Drop => {}
                        Reply::Endless => {
                            let _ = sock
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n[")
                                .await;
                            let block = vec![b' '; 64 * 1024];
                            while sock.write_all(&block).await.is_ok() {}
                        }
                    }
                });
            }
        });
        Self { port, heads }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }

    /// Whether any request carried an Authorization header.
    fn saw_authorization(&self) -> bool {
        self.heads()
            .iter()
            .any(|h| h.to_ascii_lowercase().contains("\r\nauthorization:"))
    }
}

const SECRET: &str = "s3cret-token";

fn config(base: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        base,
        Flavor::Cloud,
        Credentials::Basic {
            email: "me@example.com".into(),
            token: Secret::new(SECRET),
        },
    );
    cfg.retry = RetryPolicy {
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(10),
        max_retry_after: Duration::from_millis(100),
        max_elapsed: Duration::from_secs(20),
        max_attempts: Some(20),
    };
    cfg
}

fn client(base: &str) -> Client {
    Client::new(config(base)).unwrap()
}

const ONE_SPACE: &str = r#"{"id":"1","key":"DEMO","name":"Demo","homepageId":"2"}"#;
const OTHER_SPACE: &str = r#"{"id":"3","key":"OPS","name":"Ops","homepageId":"4"}"#;

fn spaces_page(next: Option<&str>) -> String {
    match next {
        Some(n) => format!(r#"{{"results":[{ONE_SPACE}],"_links":{{"next":"{n}"}}}}"#),
        // The last page names another space: pages of a listing never
        // repeat results (a page of repeats is a loop).
        None => format!(r#"{{"results":[{OTHER_SPACE}],"_links":{{}}}}"#),
    }
}

fn attachment() -> Attachment {
    Attachment {
        id: AttachmentId::new("att1"),
        filename: "a.png".into(),
        media_type: "image/png".into(),
        file_size: None,
        page_id: PageId::new("2"),
        version: Version(1),
        download_link: None,
    }
}

#[tokio::test]
async fn a_redirect_loop_is_an_error_not_a_crash() {
    let a = Server::start(|_, _| redirect("/wiki/loop")).await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    assert!(
        matches!(err, Error::TooManyRedirects { hops: 5, .. }),
        "{err}"
    );
    assert_eq!(a.heads().len(), 6, "the first request and five hops");
    assert!(err.to_string().contains("redirected more than 5 times"));
}

#[tokio::test]
async fn a_redirect_with_user_info_is_refused_and_the_other_host_sees_nothing() {
    let b = Server::start(|_, _| json(200, &[], &spaces_page(None))).await;
    let target = format!("http://127.0.0.1:1@127.0.0.1:{}/", b.port);
    let a = Server::start(move |_, _| redirect(&target)).await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert!(err.to_string().contains("embedded credentials"), "{err}");
    assert!(b.heads().is_empty(), "B was contacted: {:?}", b.heads());
    assert!(a.saw_authorization(), "our own origin gets the credentials");
}

#[tokio::test]
async fn a_redirect_to_another_origin_drops_the_authorization_header() {
    let b = Server::start(|_, _| json(200, &[], "file bytes")).await;
    // Same host, another port: another origin.
    let target = format!("http://127.0.0.1:{}/media/1?token=media-token", b.port);
    let a = Server::start(move |_, _| redirect(&target)).await;
    let bytes = client(&a.url()).download(&attachment()).await.unwrap();
    assert_eq!(bytes, b"file bytes");
    assert!(a.saw_authorization());
    assert_eq!(b.heads().len(), 1);
    assert!(
        !b.saw_authorization(),
        "B got our credentials: {:?}",
        b.heads()
    );
    assert!(!b.heads()[0].contains(SECRET));
}

#[tokio::test]
async fn an_absolute_next_link_to_another_host_is_an_error_and_never_followed() {
    let b = Server::start(|_, _| json(200, &[], &spaces_page(None))).await;
    let next = format!("http://127.0.0.1:{}/wiki/api/v2/spaces?cursor=x", b.port);
    let a = Server::start(move |_, _| json(200, &[], &spaces_page(Some(&next)))).await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the server sent a pagination link to another site"),
        "{err}"
    );
    assert!(b.heads().is_empty(), "B was contacted: {:?}", b.heads());
}

#[tokio::test]
async fn a_next_link_with_user_info_is_refused() {
    let a = Server::start(|_, _| json(200, &[], &spaces_page(Some("@evil.example/x")))).await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err}");
    assert_eq!(a.heads().len(), 1);
}

#[tokio::test]
async fn a_self_referencing_next_link_stops_with_an_error() {
    let a = Server::start(|_, _| {
        json(
            200,
            &[],
            &spaces_page(Some("/wiki/api/v2/spaces?limit=250")),
        )
    })
    .await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    assert!(err.to_string().contains("(a loop)"), "{err}");
    assert_eq!(a.heads().len(), 1);
}

#[tokio::test]
async fn a_two_page_cycle_stops_with_an_error() {
    let a = Server::start(|n, _| {
        let next = if n % 2 == 0 {
            "/wiki/x?c=a"
        } else {
            "/wiki/x?c=b"
        };
        json(200, &[], &spaces_page(Some(next)))
    })
    .await;
    let err = client(&a.url()).spaces(&[]).await.unwrap_err();
    // Its second page repeats the first's results: cut there.
    assert!(err.to_string().contains("again"), "{err}");
    assert_eq!(a.heads().len(), 2);
}

/// A v1 search page: `ids` as content, `totalSize`, and a `next` link.
fn search_page(ids: &[usize], total: usize, next: Option<&str>) -> String {
    let results: Vec<String> = ids
        .iter()
        .map(|i| format!(r#"{{"id":"{i}","title":"P{i}","status":"current"}}"#))
        .collect();
    let next = next.map_or(String::new(), |n| format!(r#""next":"{n}""#));
    format!(
        r#"{{"results":[{}],"totalSize":{total},"_links":{{{next}}}}}"#,
        results.join(",")
    )
}

#[tokio::test]
async fn a_changing_cursor_with_the_same_results_is_cut() {
    let a = Server::start(|n, _| {
        let next = format!("/rest/api/content/search?cursor={n}");
        json(200, &[], &search_page(&[1, 2], 2, Some(&next)))
    })
    .await;
    let err = client(&a.url())
        .pages_meta(&[PageId::new("1")])
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Listing { .. }), "{err}");
    assert!(err.to_string().contains("again"), "{err}");
    assert_eq!(a.heads().len(), 2);
}

#[tokio::test]
async fn a_changing_cursor_with_new_results_is_cut_past_its_announced_total() {
    // Every page new ids, a new cursor, and the same announced total.
    let a = Server::start(|n, _| {
        let next = format!("/rest/api/content/search?cursor={n}");
        let ids: Vec<usize> = (0..100).map(|i| n * 100 + i).collect();
        json(200, &[], &search_page(&ids, 1000, Some(&next)))
    })
    .await;
    let err = client(&a.url())
        .pages_meta(&[PageId::new("1")])
        .await
        .unwrap_err();
    assert!(err.to_string().contains("more than the 1000"), "{err}");
    // 1000 announced, 10% and one page of room: cut at the 14th page.
    assert_eq!(a.heads().len(), 14);
}

#[tokio::test]
async fn a_listing_short_of_its_announced_total_fails() {
    let a = Server::start(|_, _| json(200, &[], &search_page(&[1, 2], 3, None))).await;
    let err = client(&a.url())
        .pages_meta(&[PageId::new("1")])
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("announced 3 results but sent 2"),
        "{err}"
    );
}

#[tokio::test]
async fn a_declared_oversized_body_fails_before_reading() {
    let a = Server::start(|_, _| {
        Reply::Raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 99999999999\r\n\r\n{"
                .to_vec(),
        )
    })
    .await;
    let mut cfg = config(&a.url());
    cfg.max_body_bytes = 1 << 20;
    let c = Client::new(cfg).unwrap();
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    assert_eq!(a.heads().len(), 1, "not retried");
    assert!(c.stats().bytes < 1 << 20);
}

#[tokio::test]
async fn an_endless_body_fails_at_the_cap() {
    let a = Server::start(|_, _| Reply::Endless).await;
    let mut cfg = config(&a.url());
    cfg.max_body_bytes = 1 << 20;
    let c = Client::new(cfg).unwrap();
    let err = c.download(&attachment()).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    let read = c.stats().bytes;
    assert!(read > 1 << 20 && read < 2 << 20, "{read} bytes read");
}

#[tokio::test]
async fn a_429_storm_with_a_huge_retry_after_is_clamped() {
    let a = Server::start(|n, _| {
        if n < 3 {
            json(
                429,
                &[("retry-after", "9223372036854775807")],
                r#"{"message":"slow down"}"#,
            )
        } else {
            json(200, &[], &spaces_page(None))
        }
    })
    .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config(&a.url());
    let log = events.clone();
    cfg.observer = Some(Arc::new(move |e: &Event| {
        log.lock().unwrap().push(e.clone())
    }));
    let c = Client::new(cfg).unwrap();
    let spaces = c.spaces(&[]).await.unwrap();
    assert_eq!(spaces.len(), 1);
    let stats = c.stats();
    assert_eq!((stats.requests, stats.retries, stats.failures), (4, 3, 0));
    let waits: Vec<Duration> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Throttled { wait } => Some(*wait),
            _ => None,
        })
        .collect();
    assert_eq!(waits, vec![Duration::from_millis(100); 3], "clamped");
    // Three pauses of 100 ms, each counted from when the retry looked.
    assert!(stats.throttled >= Duration::from_millis(250), "{stats:?}");
}

#[tokio::test]
async fn transient_failures_are_retried_and_reported() {
    // After the first answer, a 500, a dropped connection and a truncated
    // body: all retried.
    let a = Server::start(|n, _| match n {
        0 => json(200, &[], &spaces_page(Some("/wiki/api/v2/spaces?cursor=2"))),
        1 => json(500, &[], r#"{"message":"oops"}"#),
        2 => Reply::Drop,
        3 => Reply::Raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"resu"
                .to_vec(),
        ),
        _ => json(200, &[], &spaces_page(None)),
    })
    .await;
    let events = Arc::new(Mutex::new(Vec::new()));
    let mut cfg = config(&a.url());
    let log = events.clone();
    cfg.observer = Some(Arc::new(move |e: &Event| {
        log.lock().unwrap().push(e.clone())
    }));
    let c = Client::new(cfg).unwrap();
    assert_eq!(c.spaces(&[]).await.unwrap().len(), 2);
    assert_eq!(c.stats().retries, 3);
    let statuses: Vec<Option<u16>> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::Retrying { status, .. } => Some(*status),
            _ => None,
        })
        .collect();
    assert_eq!(statuses, vec![Some(500), None, None]);
}

#[tokio::test]
async fn the_time_budget_ends_in_gave_up() {
    let a = Server::start(|_, _| json(503, &[], r#"{"message":"down"}"#)).await;
    let mut cfg = config(&a.url());
    cfg.retry.max_attempts = None;
    cfg.retry.max_elapsed = Duration::from_millis(200);
    let c = Client::new(cfg).unwrap();
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::GaveUp { .. }), "{err}");
    assert!(a.heads().len() > 3, "retried until the budget ran out");
    assert_eq!(c.stats().failures, 1);
}

/// Every cause in an error's chain, as the CLI prints them.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        out.push_str(&format!(" / {c}"));
        cause = c.source();
    }
    out
}

#[tokio::test]
async fn errors_never_show_a_media_token() {
    // The media host drops every connection: the error names the URL, redacted.
    let b = Server::start(|_, _| Reply::Drop).await;
    let target = format!("http://127.0.0.1:{}/media/1?token=media-secret", b.port);
    let a = Server::start(move |_, _| redirect(&target)).await;
    let mut cfg = config(&a.url());
    cfg.retry.max_attempts = Some(2);
    let err = Client::new(cfg)
        .unwrap()
        .download(&attachment())
        .await
        .unwrap_err();
    let shown = chain(&err);
    assert!(shown.contains("token=***"), "{shown}");
    assert!(!shown.contains("media-secret"), "{shown}");
}

#[tokio::test]
async fn a_refused_connection_fails_at_once_with_a_hint() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap().port()
    };
    let c = client(&format!("http://127.0.0.1:{port}"));
    let err = c.spaces(&[]).await.unwrap_err();
    let Error::Connect { problem, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(*problem, ConnectProblem::Refused);
    assert_eq!(
        err.to_string(),
        format!(
            "cannot connect to http://127.0.0.1:{port}: connection refused (is the URL and port right? is a proxy needed?)"
        )
    );
    assert_eq!(c.stats().requests, 1, "no retries");
}

#[tokio::test]
async fn an_unknown_host_fails_at_once() {
    let c = client("http://no-such-host.invalid");
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(
        err.to_string().contains("host not found (check the URL)"),
        "{err}"
    );
    assert_eq!(c.stats().requests, 1, "no retries");
}

#[tokio::test]
async fn a_tls_failure_fails_at_once() {
    // Plain HTTP where TLS is expected: answers the ClientHello with text.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let _ = sock.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let c = client(&format!("https://127.0.0.1:{port}"));
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connect {
                problem: ConnectProblem::Tls(_),
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("TLS handshake failed"), "{err}");
    assert_eq!(c.stats().requests, 1);
}

#[tokio::test]
async fn after_first_contact_connection_failures_are_transient() {
    // The site answers once, then drops every connection: retried until
    // the budget ends, not reported as a setup problem.
    let a = Server::start(|n, _| {
        if n == 0 {
            json(200, &[], &spaces_page(Some("/wiki/api/v2/spaces?cursor=2")))
        } else {
            Reply::Drop
        }
    })
    .await;
    let mut cfg = config(&a.url());
    cfg.retry.max_attempts = Some(3);
    let err = Client::new(cfg).unwrap().spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::GaveUp { attempts: 3, .. }), "{err}");
    assert_eq!(a.heads().len(), 4);
}

#[tokio::test]
async fn a_missing_ca_bundle_is_a_clear_error() {
    let mut cfg = config("https://example.atlassian.net");
    cfg.ca_bundle = Some("/no/such/bundle.pem".into());
    let err = Client::new(cfg).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot use the CA bundle `/no/such/bundle.pem`"),
        "{err}"
    );
}

/// A complete 200 body that is not the JSON expected is permanent: asking
/// again gives the same (it was retried for the whole budget, 4.5 minutes).
#[tokio::test]
async fn a_body_that_does_not_parse_is_not_retried() {
    let a = Server::start(|_, _| json(200, &[], r#"{"results": 5}"#)).await;
    let c = client(&a.url());
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert_eq!(a.heads().len(), 1, "asked once");
    assert_eq!(c.stats().retries, 0);
}

/// 4xx answers other than 408 and 429 are permanent; 408 is retried.
#[tokio::test]
async fn a_4xx_is_permanent_except_408() {
    let a = Server::start(|_, _| json(400, &[], r#"{"message":"bad"}"#)).await;
    let c = client(&a.url());
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(matches!(err, Error::Status { status: 400, .. }), "{err}");
    assert_eq!(a.heads().len(), 1, "asked once");
    let b = Server::start(|n, _| match n {
        0 => json(408, &[], r#"{"message":"slow"}"#),
        _ => json(200, &[], &spaces_page(None)),
    })
    .await;
    let c = client(&b.url());
    assert_eq!(c.spaces(&[]).await.unwrap().len(), 1);
    assert_eq!(c.stats().retries, 1);
}
