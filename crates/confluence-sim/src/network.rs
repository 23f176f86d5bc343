//! A network model (`PUT /__sim/network`, `serve --network`): per-request
//! latency with seeded jitter, per-response bandwidth, a server-side cost per
//! listed item and expansion, and a cap on concurrent requests answered with
//! 429. Loopback answers in microseconds; a real Confluence in 100–500 ms, so
//! speed work is measured against this model (NETWORK.md has the numbers and
//! their sources).

use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::http::{Req, Resp};
use crate::site::rng::SplitMix64;

/// How the simulated network and server behave. `NetworkModel::default()`
/// is [`NetworkModel::off`]: loopback speed, no cap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkModel {
    /// Base latency of every request, before its answer starts.
    pub latency_ms: u64,
    /// Uniform extra latency in `0..=jitter_ms`, drawn from `seed`.
    pub jitter_ms: u64,
    /// Seeds the jitter draws (one stream per model).
    pub seed: u64,
    /// Throughput of one response body: B bytes take B / bandwidth to send.
    pub bandwidth_kib_s: Option<u64>,
    /// Server time per result item of a listing (a single object is one item).
    pub per_item_us: u64,
    /// Server time per item per expansion asked for (`expand=` items on v1,
    /// `body-format` and `include-*` on v2); body expansions weigh more
    /// (see [`expansion_weight`]).
    pub per_expand_us: u64,
    /// Requests served at once beyond this are answered 429 at once.
    pub max_in_flight: Option<u32>,
    /// `Retry-After` seconds on those 429s.
    pub retry_after_s: u64,
}

impl Default for NetworkModel {
    fn default() -> Self {
        NetworkModel {
            latency_ms: 0,
            jitter_ms: 0,
            seed: 0,
            bandwidth_kib_s: None,
            per_item_us: 0,
            per_expand_us: 0,
            max_in_flight: None,
            retry_after_s: 1,
        }
    }
}

/// Why a network spec or JSON was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NetworkError {
    #[error("unknown network preset {0:?} (presets: {PRESETS})")]
    UnknownPreset(String),
    #[error("invalid network spec {0:?}: expected PRESET, key=value,... or PRESET,key=value,...")]
    Syntax(String),
    #[error("invalid network model: {0}")]
    Invalid(String),
}

/// The preset names, for help texts and errors.
pub const PRESETS: &str = "off, cloud, lan, latency-100";

impl NetworkModel {
    /// No modelled network: answers as fast as loopback allows.
    pub fn off() -> Self {
        Self::default()
    }

    /// A named preset (NETWORK.md gives each number's source):
    /// `off`, `cloud` (an Atlassian Cloud site over the internet), `lan`
    /// (a Data Center on the local network), `latency-100` (exactly 100 ms
    /// per request and nothing else: what the speed targets are stated against).
    pub fn preset(name: &str) -> Option<Self> {
        let off = Self::off();
        match name {
            "off" => Some(off),
            "cloud" => Some(NetworkModel {
                latency_ms: 100,
                jitter_ms: 100,
                seed: 0,
                bandwidth_kib_s: Some(4096),
                per_item_us: 200,
                per_expand_us: 100,
                max_in_flight: Some(30),
                retry_after_s: 1,
            }),
            "lan" => Some(NetworkModel {
                latency_ms: 20,
                jitter_ms: 5,
                bandwidth_kib_s: Some(51_200),
                per_item_us: 100,
                per_expand_us: 50,
                max_in_flight: Some(100),
                ..off
            }),
            "latency-100" => Some(NetworkModel {
                latency_ms: 100,
                ..off
            }),
            _ => None,
        }
    }

    /// `spec` as given to `serve --network`: a preset name, `key=value,...`
    /// over the fields (`none` clears an optional one), or a preset followed
    /// by overrides (`cloud,latency_ms=200`).
    pub fn parse(spec: &str) -> Result<Self, NetworkError> {
        let mut items = spec.split(',').map(str::trim).filter(|s| !s.is_empty());
        let mut overrides = Map::new();
        let mut base = Self::off();
        let mut first = true;
        for item in items.by_ref() {
            match item.split_once('=') {
                None if first => {
                    base = Self::preset(item)
                        .ok_or_else(|| NetworkError::UnknownPreset(item.to_string()))?;
                }
                None => return Err(NetworkError::Syntax(spec.to_string())),
                Some((k, v)) => {
                    let (k, v) = (k.trim(), v.trim());
                    let value = if v.eq_ignore_ascii_case("none") {
                        Value::Null
                    } else {
                        v.parse::<u64>().map(Value::from).map_err(|_| {
                            NetworkError::Invalid(format!("{k}: {v:?} is not a whole number"))
                        })?
                    };
                    overrides.insert(k.to_string(), value);
                }
            }
            first = false;
        }
        base.with_overrides(overrides)
    }

    /// The JSON of `PUT /__sim/network`: every field optional (unset ones
    /// take their `off` value), or `"preset"` plus overrides of its fields.
    pub fn from_json(value: Value) -> Result<Self, NetworkError> {
        let Value::Object(mut map) = value else {
            return Err(NetworkError::Invalid("expected a JSON object".into()));
        };
        let base = match map.remove("preset") {
            None => Self::off(),
            Some(Value::String(name)) => {
                Self::preset(&name).ok_or(NetworkError::UnknownPreset(name))?
            }
            Some(_) => return Err(NetworkError::Invalid("preset must be a string".into())),
        };
        base.with_overrides(map)
    }

    /// This model with `fields` replaced (unknown fields and bad values refused).
    fn with_overrides(self, fields: Map<String, Value>) -> Result<Self, NetworkError> {
        let Ok(Value::Object(mut all)) = serde_json::to_value(self) else {
            return Err(NetworkError::Invalid("unserialisable model".into()));
        };
        all.extend(fields);
        let model: NetworkModel = serde_json::from_value(Value::Object(all))
            .map_err(|e| NetworkError::Invalid(e.to_string()))?;
        model.validate()?;
        Ok(model)
    }

    /// Refuses what cannot be served: a zero bandwidth or a zero cap.
    pub fn validate(&self) -> Result<(), NetworkError> {
        if self.bandwidth_kib_s == Some(0) {
            return Err(NetworkError::Invalid(
                "bandwidth_kib_s must be at least 1 (none for unlimited)".into(),
            ));
        }
        if self.max_in_flight == Some(0) {
            return Err(NetworkError::Invalid(
                "max_in_flight must be at least 1 (none for no cap)".into(),
            ));
        }
        if self.retry_after_s > 86_400 {
            return Err(NetworkError::Invalid(
                "retry_after_s must be at most 86400 (a day)".into(),
            ));
        }
        Ok(())
    }

    /// Whether any part of the model is on (the fast path skips the rest).
    pub fn is_off(&self) -> bool {
        self.latency_ms == 0
            && self.jitter_ms == 0
            && self.bandwidth_kib_s.is_none()
            && self.per_item_us == 0
            && self.per_expand_us == 0
            && self.max_in_flight.is_none()
    }

    /// Server time for an answer of `items` items to a request asking for
    /// `weight` expansion units.
    pub fn server_cost(&self, items: u64, weight: u64) -> Duration {
        let per = self
            .per_item_us
            .saturating_add(self.per_expand_us.saturating_mul(weight));
        Duration::from_micros(items.saturating_mul(per))
    }

    /// How long `bytes` of body take at the modelled bandwidth.
    pub fn transfer_time(&self, bytes: u64) -> Duration {
        match self.bandwidth_kib_s {
            Some(bw) if bw > 0 => Duration::from_secs_f64(bytes as f64 / (bw as f64 * 1024.0)),
            _ => Duration::ZERO,
        }
    }
}

/// Expansion units a request asks for, each multiplied by `per_expand_us`
/// per returned item: a plain expansion counts 1, a stored body
/// (`storage`, `atlas_doc_format`, `editor`) 2, a rendered body (`view`,
/// `export_view`, `styled_view`, …) 4, because Confluence renders those
/// per page (and caps CQL results hardest for body expansions).
pub fn expansion_weight(req: &Req) -> u64 {
    let body = |format: &str| -> u64 {
        let format = format.trim();
        if format.is_empty() {
            0
        } else if matches!(
            format,
            "storage" | "atlas_doc_format" | "editor" | "editor2" | "raw"
        ) {
            2
        } else {
            4
        }
    };
    let mut weight = 0u64;
    for item in req.query.list("expand") {
        weight += match item.split_once("body.") {
            Some((_, format)) => body(format.split('.').next().unwrap_or("")).max(1),
            None => 1,
        };
    }
    if let Some(format) = req.query.get("body-format") {
        weight += body(format);
    }
    for (k, _) in req.query.pairs() {
        if k.starts_with("include-") && req.query.flag(k) {
            weight += 1;
        }
    }
    weight
}

/// Result items in an answer: the length of a top-level `results` array,
/// else 1 for any other success and 0 for an error. Counted without
/// building the JSON (a 250-page listing with bodies is megabytes).
pub fn answer_items(resp: &Resp) -> u64 {
    if !resp.status.is_success() {
        return 0;
    }
    let reader = PartsReader {
        parts: if resp.parts.is_empty() {
            std::slice::from_ref(&resp.body)
        } else {
            &resp.parts
        },
        at: 0,
    };
    match serde_json::from_reader::<_, ResultsCount>(reader) {
        Ok(ResultsCount {
            results: Some(Counted(n)),
        }) => n,
        _ => 1,
    }
}

#[derive(Deserialize)]
struct ResultsCount {
    #[serde(default)]
    results: Option<Counted>,
}

/// The length of a JSON array, its elements skipped.
struct Counted(u64);

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Counted;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Counted, A::Error> {
                let mut n = 0;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    n += 1;
                }
                Ok(Counted(n))
            }
        }
        d.deserialize_seq(V)
    }
}

/// Reads a body kept as shared chunks without joining them.
struct PartsReader<'a> {
    parts: &'a [bytes::Bytes],
    at: usize,
}

impl std::io::Read for PartsReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while let Some((first, rest)) = self.parts.split_first() {
            let left = &first[self.at..];
            if left.is_empty() {
                self.parts = rest;
                self.at = 0;
                continue;
            }
            let n = left.len().min(buf.len());
            buf[..n].copy_from_slice(&left[..n]);
            self.at += n;
            return Ok(n);
        }
        Ok(0)
    }
}

/// The model a running simulator applies, with its jitter stream.
#[derive(Default)]
pub struct Network {
    active: Mutex<(NetworkModel, Option<SplitMix64>)>,
}

impl Network {
    pub fn new(model: NetworkModel) -> Self {
        let n = Network::default();
        n.set(model);
        n
    }

    pub fn set(&self, model: NetworkModel) {
        *self.active.lock() = (model, Some(SplitMix64::new(model.seed)));
    }

    pub fn current(&self) -> NetworkModel {
        self.active.lock().0
    }

    /// The model for one request and its latency (base plus a jitter draw).
    pub fn draw(&self) -> (NetworkModel, Duration) {
        let mut g = self.active.lock();
        let model = g.0;
        let jitter = match (&mut g.1, model.jitter_ms) {
            (_, 0) | (None, _) => 0,
            (Some(rng), j) => rng.below(j.saturating_add(1)),
        };
        (
            model,
            Duration::from_millis(model.latency_ms.saturating_add(jitter)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_and_overrides_parse() {
        assert_eq!(NetworkModel::parse("off").unwrap(), NetworkModel::off());
        assert!(NetworkModel::off().is_off());
        let l = NetworkModel::parse("latency-100").unwrap();
        assert_eq!(
            l,
            NetworkModel {
                latency_ms: 100,
                ..NetworkModel::off()
            }
        );
        let c = NetworkModel::parse("cloud, latency_ms=200,max_in_flight=none").unwrap();
        assert_eq!(c.latency_ms, 200);
        assert_eq!(c.max_in_flight, None);
        assert_eq!(
            c.jitter_ms,
            NetworkModel::preset("cloud").unwrap().jitter_ms
        );
        let k = NetworkModel::parse("latency_ms=7,bandwidth_kib_s=64").unwrap();
        assert_eq!((k.latency_ms, k.bandwidth_kib_s), (7, Some(64)));
        assert_eq!(k.retry_after_s, 1);
        assert!(matches!(
            NetworkModel::parse("moon"),
            Err(NetworkError::UnknownPreset(_))
        ));
        assert!(matches!(
            NetworkModel::parse("latency_ms=1,cloud"),
            Err(NetworkError::Syntax(_))
        ));
        assert!(NetworkModel::parse("latency_ms=-1").is_err());
        assert!(NetworkModel::parse("speed=3").is_err());
        assert!(NetworkModel::parse("max_in_flight=0").is_err());
        assert!(NetworkModel::parse("bandwidth_kib_s=0").is_err());
        assert!(NetworkModel::parse("retry_after_s=86401").is_err());
        for name in PRESETS.split(", ") {
            assert!(NetworkModel::preset(name).is_some(), "{name}");
        }
    }

    #[test]
    fn json_takes_a_preset_with_overrides() {
        let m = NetworkModel::from_json(serde_json::json!({"preset": "lan", "seed": 3})).unwrap();
        assert_eq!(m.seed, 3);
        assert_eq!(m.latency_ms, 20);
        assert!(NetworkModel::from_json(serde_json::json!([])).is_err());
        assert!(NetworkModel::from_json(serde_json::json!({"preset": 1})).is_err());
        assert!(NetworkModel::from_json(serde_json::json!({"latency_ms": "x"})).is_err());
    }

    #[test]
    fn items_are_counted_across_chunks() {
        let parts = vec![
            bytes::Bytes::from_static(b"{\"results\":[{\"a\":[1,2]},"),
            bytes::Bytes::from_static(b"{},3],\"_links\":{}}"),
        ];
        let resp = Resp::chunked(200, "application/json", parts);
        assert_eq!(answer_items(&resp), 3);
        assert_eq!(
            answer_items(&Resp::json(200, &serde_json::json!({"id": 1}))),
            1
        );
        assert_eq!(answer_items(&Resp::json(404, &serde_json::json!({}))), 0);
        assert_eq!(answer_items(&Resp::new(200, "text/plain", "binary")), 1);
    }

    #[test]
    fn jitter_is_seeded_and_within_latency_to_latency_plus_jitter() {
        let model = NetworkModel {
            latency_ms: 10,
            jitter_ms: 5,
            seed: 42,
            ..NetworkModel::off()
        };
        let draws = |m: NetworkModel| -> Vec<u64> {
            let n = Network::new(m);
            (0..200).map(|_| n.draw().1.as_millis() as u64).collect()
        };
        let a = draws(model);
        assert_eq!(a, draws(model), "same seed, same waits");
        assert!(a.iter().all(|ms| (10..=15).contains(ms)), "{a:?}");
        assert!(a.contains(&10) && a.contains(&15), "both ends reached");
        assert_ne!(a, draws(NetworkModel { seed: 43, ..model }));
        let n = Network::new(model);
        let first = n.draw().1;
        n.set(model);
        assert_eq!(n.draw().1, first, "setting a model restarts its stream");
    }

    fn req(query: &str) -> Req {
        Req {
            method: hyper::Method::GET,
            path: "/x".into(),
            raw_query: query.into(),
            query: crate::http::Query::parse(query),
            headers: Default::default(),
            body: bytes::Bytes::new(),
        }
    }

    #[test]
    fn expansions_are_weighed_bodies_heaviest() {
        assert_eq!(expansion_weight(&req("limit=5")), 0);
        assert_eq!(expansion_weight(&req("expand=version,ancestors")), 2);
        assert_eq!(expansion_weight(&req("expand=body.storage,version")), 3);
        assert_eq!(expansion_weight(&req("expand=body.export_view")), 4);
        assert_eq!(expansion_weight(&req("expand=children.page.body.view")), 4);
        assert_eq!(expansion_weight(&req("body-format=storage")), 2);
        assert_eq!(expansion_weight(&req("body-format=view")), 4);
        assert_eq!(
            expansion_weight(&req("include-labels=true&include-version=false")),
            1
        );
    }

    #[test]
    fn costs_follow_the_model() {
        let m = NetworkModel {
            per_item_us: 10,
            per_expand_us: 5,
            bandwidth_kib_s: Some(1),
            ..NetworkModel::off()
        };
        assert_eq!(m.server_cost(100, 2), Duration::from_micros(2000));
        assert_eq!(m.transfer_time(2048), Duration::from_secs(2));
        assert_eq!(NetworkModel::off().transfer_time(1 << 30), Duration::ZERO);
    }
}
