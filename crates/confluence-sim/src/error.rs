//! Errors from building or starting a simulator.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A bad `--generate` spec.
    #[error("invalid generate spec: {0}")]
    Spec(String),
    /// A bad on-disk site (`--site DIR`).
    #[error("invalid site {path}: {message}")]
    Site { path: PathBuf, message: String },
    #[error("io error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot bind {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("server error: {0}")]
    Server(String),
    #[error("invalid configuration: {0}")]
    Config(String),
}
