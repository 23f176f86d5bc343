//! Certificate verification is on: a server whose certificate is signed by
//! an unknown authority is refused at once, with a hint, and accepted once
//! that authority is passed as `ca_bundle`. (The fixtures are a test CA and
//! a `127.0.0.1` certificate it signed, valid for 100 years.)

use cme_client::{Client, ClientConfig, ConnectProblem, Credentials, Error, Flavor};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// An HTTPS server answering every request with an empty space listing.
async fn https_server() -> u16 {
    let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_file_iter(fixture("test-server.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture("test-server.key")).unwrap();
    let config = tokio_rustls::rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(sock).await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let body = r#"{"results":[],"_links":{}}"#;
                let resp = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(resp.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

#[tokio::test]
async fn an_unknown_authority_is_refused_with_a_hint() {
    let port = https_server().await;
    let cfg = ClientConfig::new(
        format!("https://127.0.0.1:{port}"),
        Flavor::Cloud,
        Credentials::Anonymous,
    );
    let c = Client::new(cfg).unwrap();
    let err = c.spaces(&[]).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Connect {
                problem: ConnectProblem::Untrusted,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "cannot connect to https://127.0.0.1:{port}: TLS handshake failed: certificate not trusted (pass --ca-bundle FILE or set SSL_CERT_FILE)"
        )
    );
    assert_eq!(c.stats().requests, 1, "no retries");
}

#[tokio::test]
async fn a_ca_bundle_makes_it_trusted() {
    let port = https_server().await;
    let mut cfg = ClientConfig::new(
        format!("https://127.0.0.1:{port}"),
        Flavor::Cloud,
        Credentials::Anonymous,
    );
    cfg.ca_bundle = Some(fixture("test-ca.pem"));
    let c = Client::new(cfg).unwrap();
    assert!(c.spaces(&[]).await.unwrap().is_empty());
}

/// `SSL_CERT_FILE` replaces the system roots (rustls-native-certs reads it).
/// The variable is process-wide, so this runs as a child process.
#[test]
fn ssl_cert_file_is_honoured() {
    if std::env::var_os("CME_TLS_CHILD").is_some() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let port = https_server().await;
            let cfg = ClientConfig::new(
                format!("https://127.0.0.1:{port}"),
                Flavor::Cloud,
                Credentials::Anonymous,
            );
            let c = Client::new(cfg).unwrap();
            assert!(c.spaces(&[]).await.unwrap().is_empty());
        });
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "ssl_cert_file_is_honoured", "--nocapture"])
        .env("CME_TLS_CHILD", "1")
        .env("SSL_CERT_FILE", fixture("test-ca.pem"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn a_bundle_without_certificates_is_refused() {
    let mut cfg = ClientConfig::new(
        "https://example.atlassian.net",
        Flavor::Cloud,
        Credentials::Anonymous,
    );
    cfg.ca_bundle = Some(fixture("test-server.key"));
    let err = Client::new(cfg).unwrap_err().to_string();
    assert!(err.contains("no PEM certificates"), "{err}");
}
