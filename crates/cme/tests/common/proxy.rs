//! A misbehaving proxy in front of the simulator: every request is passed
//! on (the simulator's faults API cannot answer 401, nor lie in a listing),
//! and the test's rewrite may change the answer. Plain threads and
//! `std::net`: one connection per request (`connection: close`).
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// An answer on its way back to the client.
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Answers a sync's lookup of the last run's pages by id (Cloud: v2
/// `/pages?id=`, sent before any space is walked) with no page, so that
/// every space is walked: for the tests of what a walk may meet. Lookups by
/// id once a walk began (a partitioned walk's parts) are left alone.
#[derive(Default)]
pub struct WalkEverySpace(std::sync::atomic::AtomicBool);

impl WalkEverySpace {
    pub fn apply(&self, target: &str, a: &mut Answer) {
        use std::sync::atomic::Ordering;
        if target.contains("/api/v2/spaces/") && target.contains("/pages") {
            self.0.store(true, Ordering::SeqCst);
        }
        if target.contains("/api/v2/pages?id=") && !self.0.load(Ordering::SeqCst) {
            let mut v = a.json();
            v["results"] = serde_json::json!([]);
            a.set_json(&v);
        }
    }
}

impl Answer {
    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }

    pub fn set_json(&mut self, v: &serde_json::Value) {
        self.body = serde_json::to_vec(v).unwrap();
    }
}

/// Rewrites the answer to a request (its target, percent-decoded).
type Rewrite = Arc<dyn Fn(&str, &mut Answer) + Send + Sync>;

pub struct Proxy {
    pub url: String,
    rewrite: Arc<Mutex<Option<Rewrite>>>,
    /// Every request target seen, percent-decoded.
    seen: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// A proxy of `upstream` (the simulator's URL), passing everything.
    pub fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let rewrite: Arc<Mutex<Option<Rewrite>>> = Arc::default();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (r, s, up) = (rewrite.clone(), seen.clone(), upstream.to_owned());
        std::thread::spawn(move || {
            for sock in listener.incoming().flatten() {
                let (r, s, up) = (r.clone(), s.clone(), up.clone());
                std::thread::spawn(move || {
                    let _ = serve(sock, &up, &r, &s);
                });
            }
        });
        Proxy { url, rewrite, seen }
    }

    /// From now on, answers pass through `f`.
    pub fn set(&self, f: impl Fn(&str, &mut Answer) + Send + Sync + 'static) {
        *self.rewrite.lock().unwrap() = Some(Arc::new(f));
        self.seen.lock().unwrap().clear();
    }

    /// Answers pass unchanged again.
    pub fn clear(&self) {
        *self.rewrite.lock().unwrap() = None;
        self.seen.lock().unwrap().clear();
    }

    /// Request targets seen since the last `set` or `clear`, decoded.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(
    mut sock: TcpStream,
    upstream: &str,
    rewrite: &Mutex<Option<Rewrite>>,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = sock.read(&mut chunk)?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/")
        .to_owned();
    let auth = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.trim().to_owned());
    let decoded = percent_encoding::percent_decode_str(&target)
        .decode_utf8_lossy()
        .into_owned();
    seen.lock().unwrap().push(decoded.clone());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .into();
    let mut req = agent.get(&format!("{upstream}{target}"));
    if let Some(a) = &auth {
        req = req.header("Authorization", a);
    }
    let mut answer = match req.call() {
        Ok(mut resp) => {
            let headers = resp
                .headers()
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "content-length" | "transfer-encoding" | "connection"
                    )
                })
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                .collect();
            let body = resp
                .body_mut()
                .with_config()
                .limit(u64::MAX)
                .read_to_vec()
                .unwrap_or_default();
            Answer {
                status: resp.status().as_u16(),
                headers,
                body,
            }
        }
        Err(_) => return Ok(()),
    };
    let f = rewrite.lock().unwrap().clone();
    if let Some(f) = f {
        f(&decoded, &mut answer);
    }
    let mut out = format!("HTTP/1.1 {} X\r\n", answer.status);
    for (k, v) in &answer.headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        answer.body.len()
    ));
    sock.write_all(out.as_bytes())?;
    sock.write_all(&answer.body)?;
    sock.flush()
}

/// A 401 as Confluence answers refused credentials.
pub fn refuse(a: &mut Answer) {
    a.status = 401;
    a.headers.retain(|(k, _)| k != "content-type");
    a.headers
        .push(("content-type".into(), "application/json".into()));
    a.set_json(&serde_json::json!({"statusCode": 401, "message": "Unauthorized"}));
}
