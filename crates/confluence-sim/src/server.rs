//! The HTTP server: accept loop, per-request pipeline (control API, faults,
//! auth, routing, stats) and the thread-owning `SimHandle`.

use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use parking_lot::RwLock;

use crate::api;
use crate::config::{RunConfig, SimConfig};
use crate::control;
use crate::error::SimError;
use crate::faults::{Decision, Faults};
use crate::http::{Query, Req, Resp};
use crate::model::Site;
use crate::network::{self, Network, NetworkModel};
use crate::stats::{InFlight, Stats};

/// Shared state of one running simulator.
pub struct State {
    pub site: RwLock<Site>,
    /// The Jira beside it (`crate::jira`), seeded with the demo's issues.
    pub jira: RwLock<crate::jira::Store>,
    pub run: RunConfig,
    /// `http://127.0.0.1:PORT`
    pub origin: String,
    pub stats: Stats,
    pub faults: Faults,
    pub network: Network,
    /// Signs media-download tokens.
    pub media_secret: u64,
}

impl State {
    fn new(config: SimConfig, local: SocketAddr) -> State {
        let network = Network::new(config.network);
        let (site, run) = config.into_site();
        let secret = crate::site::rng::mix(local.port() as u64, site.nodes.len() as u64 ^ 0x5ec2e7);
        State {
            site: RwLock::new(site),
            jira: RwLock::new(crate::jira::Store::demo()),
            run,
            origin: format!("http://{local}"),
            stats: Stats::default(),
            faults: Faults::default(),
            network,
            media_secret: secret,
        }
    }
}

/// A response body that can stop short (the truncation fault): it sends
/// part of the data, waits briefly so hyper flushes it, then fails, which
/// closes the connection mid-body. Under a network model it is paced to the
/// bandwidth and holds its request's in-flight slot until sent.
pub struct SimBody {
    data: VecDeque<Bytes>,
    left: u64,
    fail: bool,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
    pace: Option<Pace>,
    _slot: Option<InFlight>,
}

/// Releases a body at `bytes_per_sec`: a chunk goes out when the time its
/// last byte would arrive has come.
struct Pace {
    bytes_per_sec: f64,
    start: Option<tokio::time::Instant>,
    sent: u64,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

/// Paced bodies go out in pieces this big, so the stream flows evenly.
const PACE_CHUNK: usize = 16 * 1024;

impl SimBody {
    fn full(b: Bytes) -> Self {
        Self::parts(vec![b], false)
    }

    fn parts(parts: Vec<Bytes>, fail: bool) -> Self {
        SimBody {
            left: parts.iter().map(|p| p.len() as u64).sum(),
            data: parts.into_iter().filter(|p| !p.is_empty()).collect(),
            fail,
            pause: None,
            pace: None,
            _slot: None,
        }
    }

    /// Paces this body to `model`'s bandwidth and keeps `slot` until it is
    /// sent.
    fn networked(mut self, model: &NetworkModel, slot: InFlight) -> Self {
        self._slot = Some(slot);
        self.pace = model.bandwidth_kib_s.map(|bw| Pace {
            bytes_per_sec: bw.max(1) as f64 * 1024.0,
            start: None,
            sent: 0,
            wait: None,
        });
        self
    }
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let (Some(pace), Some(front)) = (this.pace.as_mut(), this.data.front_mut()) {
            let n = front.len().min(PACE_CHUNK);
            let start = *pace.start.get_or_insert_with(tokio::time::Instant::now);
            let due = start
                + std::time::Duration::from_secs_f64(
                    (pace.sent + n as u64) as f64 / pace.bytes_per_sec,
                );
            if tokio::time::Instant::now() < due {
                let wait = pace
                    .wait
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                if wait.as_mut().poll(_cx).is_pending() {
                    return Poll::Pending;
                }
            }
            pace.wait = None;
            pace.sent += n as u64;
            let d = front.split_to(n);
            if front.is_empty() {
                this.data.pop_front();
            }
            this.left -= d.len() as u64;
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if let Some(d) = this.data.pop_front() {
            this.left -= d.len() as u64;
            return Poll::Ready(Some(Ok(Frame::data(d))));
        }
        if this.fail {
            let pause = this.pause.get_or_insert_with(|| {
                Box::pin(tokio::time::sleep(std::time::Duration::from_millis(20)))
            });
            if pause.as_mut().poll(_cx).is_pending() {
                return Poll::Pending;
            }
            this.fail = false;
            return Poll::Ready(Some(Err(io::Error::other("simulated truncated body"))));
        }
        Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty() && !self.fail
    }

    fn size_hint(&self) -> SizeHint {
        if self.fail {
            SizeHint::default()
        } else {
            SizeHint::with_exact(self.left)
        }
    }
}

fn to_hyper(resp: Resp, truncate: bool) -> Response<SimBody> {
    let whole = if truncate {
        resp.body_bytes()
    } else {
        Bytes::new()
    };
    let mut b = Response::builder().status(resp.status);
    for (k, v) in resp.headers {
        b = b.header(k, v);
    }
    let body = if truncate && whole.len() > 1 {
        let full = whole.len();
        b = b.header("content-length", full.to_string());
        SimBody::parts(vec![whole.slice(..full / 2)], true)
    } else if !resp.parts.is_empty() {
        SimBody::parts(resp.parts, false)
    } else {
        SimBody::full(resp.body)
    };
    b.body(body)
        .unwrap_or_else(|_| Response::new(SimBody::full(Bytes::new())))
}

async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<SimBody>, io::Error> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(c) => c.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: Query::parse(&raw_query),
        raw_query,
        headers: parts.headers,
        body,
    };
    if req.path == "/__sim" || req.path.starts_with("/__sim/") {
        let resp = if peer.ip().is_loopback() {
            control::handle(&state, &req)
        } else {
            Resp::json(
                403,
                &serde_json::json!({"error": "the control API is loopback-only"}),
            )
        };
        return Ok(to_hyper(resp, false));
    }
    let route = api::route(&state, &req);
    state
        .stats
        .record(api::method_name(&req.method), route.pattern());
    // The network model first: a request over the in-flight cap is refused
    // before the fault injector sees it (its draws and tokens untouched).
    let (net, net_latency) = state.network.draw();
    // Attachment bytes come from Cloud's media service, another host with
    // limits of its own: Confluence's in-flight cap does not count them.
    let slot = if req.path.starts_with(api::media::MEDIA_PREFIX) {
        state.stats.enter_media()
    } else {
        let Some(slot) = state.stats.enter(net.max_in_flight) else {
            sleep(net_latency).await;
            return Ok(sent(&state, &net, None, throttled(&net), false));
        };
        slot
    };
    let raw = format!("{}?{}", req.path, req.raw_query).replace('+', " ");
    let target = percent_encoding::percent_decode_str(&raw).decode_utf8_lossy();
    match state.faults.decide(&target) {
        Decision::Drop { latency } => {
            sleep(latency + net_latency).await;
            Err(io::Error::other("simulated dropped connection"))
        }
        Decision::Reject { latency, resp } => {
            sleep(latency + net_latency).await;
            Ok(sent(&state, &net, Some(slot), resp, false))
        }
        Decision::Serve {
            latency,
            truncate,
            shorten,
            headers,
        } => {
            sleep(latency + net_latency).await;
            // The modelled server time covers the simulator's own (answers
            // start at whichever ends later), so counting items is free.
            let started = tokio::time::Instant::now();
            let mut resp = api::execute(&state, &req, route);
            if shorten {
                resp = crate::faults::shortened(resp);
            }
            if net.per_item_us > 0 || net.per_expand_us > 0 {
                let cost = net.server_cost(
                    network::answer_items(&resp),
                    network::expansion_weight(&req),
                );
                tokio::time::sleep_until(started + cost).await;
            }
            for (k, v) in headers {
                resp.set(&k, &v);
            }
            Ok(sent(&state, &net, Some(slot), resp, truncate))
        }
    }
}

/// The network model's 429 for a request over its in-flight cap (which has
/// no refill rate to advertise, as NETWORK.md lists).
fn throttled(net: &NetworkModel) -> Resp {
    let cap = f64::from(net.max_in_flight.unwrap_or(1));
    let wait_ms = i64::try_from(net.retry_after_s.saturating_mul(1000)).unwrap_or(i64::MAX);
    let reset = crate::model::time::iso(crate::model::time::now().saturating_add(wait_ms));
    crate::faults::too_many_requests(
        crate::faults::rate_limit_headers(cap, 0.0, cap, &reset, None),
        Some(net.retry_after_s.to_string()),
    )
}

/// An API answer as sent: its bytes counted, its body paced under the
/// network model and holding `slot` until sent.
fn sent(
    state: &State,
    net: &NetworkModel,
    slot: Option<InFlight>,
    resp: Resp,
    truncate: bool,
) -> Response<SimBody> {
    let resp = to_hyper(resp, truncate);
    state.stats.add_bytes(resp.body().left);
    match slot {
        Some(slot) => resp.map(|b| b.networked(net, slot)),
        None => resp,
    }
}

async fn sleep(d: std::time::Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

async fn run(
    state: Arc<State>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), SimError> {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(x) => x,
                    // Out of file descriptors and the like: back off, keep serving.
                    Err(_) => { tokio::time::sleep(std::time::Duration::from_millis(5)).await; continue; }
                };
                let _ = stream.set_nodelay(true);
                let st = state.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| handle(st.clone(), peer, req));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

/// Serves `config` on `listener` until the future is dropped (async embedding).
pub async fn serve(config: SimConfig, listener: tokio::net::TcpListener) -> Result<(), SimError> {
    let local = listener
        .local_addr()
        .map_err(|e| SimError::Server(e.to_string()))?;
    let state = Arc::new(State::new(config, local));
    run(state, listener, std::future::pending()).await
}

/// A simulator running on its own thread and runtime; stops on `stop()` or drop.
pub struct SimHandle {
    url: String,
    state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SimHandle {
    /// Site origin, e.g. `http://127.0.0.1:PORT` (no `/wiki`, no context path).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Calls the `/__sim` control API in-process (no HTTP client needed):
    /// `control("PATCH", "/__sim/pages/1001", Some(json))` answers what the
    /// HTTP route would, as status and JSON (`null` for an empty body).
    pub fn control(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let (path, raw_query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let req = Req {
            method: hyper::Method::from_bytes(method.as_bytes()).unwrap_or(hyper::Method::GET),
            path: path.to_owned(),
            query: Query::parse(raw_query),
            raw_query: raw_query.to_owned(),
            headers: Default::default(),
            body: body.map(|b| Bytes::from(b.to_string())).unwrap_or_default(),
        };
        let resp = control::handle(&self.state, &req);
        let value = serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null);
        (resp.status.as_u16(), value)
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown_now();
    }

    fn shutdown_now(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.shutdown_now();
    }
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle").field("url", &self.url).finish()
    }
}

/// Starts a simulator on its own thread (usable from sync and async code).
pub fn spawn(config: SimConfig) -> Result<SimHandle, SimError> {
    let addr = config.socket_addr();
    let std_listener =
        std::net::TcpListener::bind(addr).map_err(|source| SimError::Bind { addr, source })?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| SimError::Server(e.to_string()))?;
    let local = std_listener
        .local_addr()
        .map_err(|e| SimError::Server(e.to_string()))?;
    let state = Arc::new(State::new(config, local));
    let handle_state = state.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), SimError>>();
    let thread = std::thread::Builder::new()
        .name(format!("confluence-sim-{}", local.port()))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(SimError::Server(e.to_string())));
                    return;
                }
            };
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        let _ = ready_tx.send(Err(SimError::Server(e.to_string())));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                let _ = run(state, listener, async {
                    let _ = rx.await;
                })
                .await;
            });
            rt.shutdown_background();
        })
        .map_err(|e| SimError::Server(e.to_string()))?;
    ready_rx
        .recv()
        .map_err(|_| SimError::Server("server thread died".into()))??;
    Ok(SimHandle {
        url: format!("http://{local}"),
        state: handle_state,
        shutdown: Some(tx),
        thread: Some(thread),
    })
}
