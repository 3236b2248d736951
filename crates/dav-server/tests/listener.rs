//! Smoke tests over a real socket on 127.0.0.1: `Expect: 100-continue` with a chunked PUT
//! body (macOS streams PUTs chunked), keep-alive after an early 401, and HTTP/1.1 framing.

use std::sync::Arc;
use std::time::Duration;

use dav_server::memory::MemoryBackend;
use dav_server::{DavConfig, DavServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn serve() -> std::net::SocketAddr {
    let backend = Arc::new(MemoryBackend::new());
    backend.add_user("alice", "pw");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(DavServer::new(backend, DavConfig::default()).serve(listener));
    addr
}

/// Reads until `needle` appears (bounded by time and size).
async fn read_until(s: &mut TcpStream, buf: &mut Vec<u8>, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !String::from_utf8_lossy(buf).contains(needle) {
        assert!(buf.len() < 1 << 20, "response too large");
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout_at(deadline, s.read(&mut chunk))
            .await
            .expect("timed out")
            .unwrap();
        assert!(
            n > 0,
            "connection closed before {needle:?}: {}",
            String::from_utf8_lossy(buf)
        );
        buf.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(buf).into_owned()
}

const AUTH: &str = "Authorization: Basic YWxpY2U6cHc=\r\n";

#[tokio::test]
async fn expect_continue_with_chunked_body() {
    let addr = serve().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "PUT /calendars/alice/calendar/chunked.ics HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: text/calendar\r\n\
         Transfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let got = read_until(&mut s, &mut buf, "\r\n\r\n").await;
    assert!(got.starts_with("HTTP/1.1 100 Continue"), "{got}");
    buf.clear();
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:ch\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let (a, b) = ics.split_at(40);
    for part in [a, b] {
        s.write_all(format!("{:x}\r\n{part}\r\n", part.len()).as_bytes())
            .await
            .unwrap();
    }
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let got = read_until(&mut s, &mut buf, "\r\n\r\n").await;
    assert!(got.starts_with("HTTP/1.1 201"), "{got}");
    // Same connection: GET it back.
    buf.clear();
    s.write_all(format!("GET /calendars/alice/calendar/chunked.ics HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n").as_bytes())
        .await
        .unwrap();
    let got = read_until(&mut s, &mut buf, "END:VCALENDAR\r\n").await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(got.contains("UID:ch"));
}

#[tokio::test]
async fn connection_survives_401_with_body() {
    let addr = serve().await;
    let mut s = TcpStream::connect(addr).await.unwrap();
    let body = r#"<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-principal/></d:prop></d:propfind>"#;
    let req = |auth: &str| {
        format!(
            "PROPFIND / HTTP/1.1\r\nHost: x\r\n{auth}Depth: 0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
    };
    s.write_all(req("").as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    let got = read_until(&mut s, &mut buf, "authentication required").await;
    assert!(got.starts_with("HTTP/1.1 401"), "{got}");
    assert!(got.to_ascii_lowercase().contains("www-authenticate: basic realm="));
    buf.clear();
    s.write_all(req(AUTH).as_bytes()).await.unwrap();
    let got = read_until(&mut s, &mut buf, "</D:multistatus>").await;
    assert!(got.starts_with("HTTP/1.1 207"), "{got}");
    assert!(got.contains("/principals/alice/"));
}
