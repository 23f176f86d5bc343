//! Helpers both end-to-end benchmarks (`sync`, `scale`) use: the
//! simulator's control API over plain HTTP and this process's CPU time.
use serde_json::Value;

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_secs() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    t(u.ru_utime) + t(u.ru_stime)
}

pub fn read(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>, what: &str) -> Value {
    let mut resp = resp.unwrap_or_else(|e| panic!("{what}: {e}"));
    let text = resp
        .body_mut()
        .read_to_string()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"))
    }
}

pub fn get_json(u: &str) -> Value {
    read(ureq::get(u).call(), u)
}

/// A control call; panics unless it succeeds.
pub fn send(method: &str, u: &str, body: Option<Value>) -> Value {
    let what = format!("{method} {u}");
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let json = |r: ureq::RequestBuilder<ureq::typestate::WithBody>| {
        r.header("Content-Type", "application/json").send(&body)
    };
    let resp = match method {
        "POST" => json(ureq::post(u)),
        "PATCH" => json(ureq::patch(u)),
        "PUT" => json(ureq::put(u)),
        "DELETE" => ureq::delete(u).call(),
        other => panic!("unsupported method {other}"),
    };
    read(resp, &what)
}
