//! Proxies come from the environment (`HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY`,
//! read by reqwest on every platform). The variables are process-wide, so
//! the client runs in a child process of this test.

use cme_client::{Client, ClientConfig, Credentials, Flavor};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

#[test]
fn http_proxy_from_the_environment_is_used() {
    if std::env::var_os("CME_PROXY_CHILD").is_some() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let cfg = ClientConfig::new(
            "http://confluence.invalid",
            Flavor::Cloud,
            Credentials::Anonymous,
        );
        let spaces = rt.block_on(Client::new(cfg).unwrap().spaces(&[])).unwrap();
        assert!(spaces.is_empty());
        return;
    }
    // The "proxy": answers one request and reports its request line.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = proxy.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (sock, _) = proxy.accept().unwrap();
        let mut reader = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                break;
            }
        }
        let body = r#"{"results":[],"_links":{}}"#;
        let mut sock = sock;
        write!(
            sock,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        line
    });
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "http_proxy_from_the_environment_is_used",
            "--nocapture",
        ])
        .env("CME_PROXY_CHILD", "1")
        .env("HTTP_PROXY", format!("http://127.0.0.1:{port}"))
        .env_remove("http_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let line = server.join().unwrap();
    assert_eq!(
        line,
        "GET http://confluence.invalid/wiki/api/v2/spaces?limit=250 HTTP/1.1\r\n"
    );
}
