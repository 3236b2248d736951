//! Shared helpers: an in-process server over the memory backend and a tiny request helper.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use dav_proto::xml::Element;
use dav_server::memory::MemoryBackend;
use dav_server::{DavConfig, DavServer};
use http::{HeaderMap, StatusCode};
use http_body_util::{BodyExt, Full};

pub const ALICE: (&str, &str) = ("alice@example.com", "secret");
pub const BOB: (&str, &str) = ("bob", "secret2");
pub const D: &str = "DAV:";
pub const C: &str = "urn:ietf:params:xml:ns:caldav";
pub const CR: &str = "urn:ietf:params:xml:ns:carddav";
pub const CS: &str = "http://calendarserver.org/ns/";

pub struct T {
    pub server: DavServer<MemoryBackend>,
    pub backend: Arc<MemoryBackend>,
    pub peer: SocketAddr,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn xml(&self) -> Element {
        Element::parse(self.body.as_bytes()).unwrap_or_else(|e| panic!("bad xml ({e}): {}", self.body))
    }
    pub fn header(&self, n: &str) -> Option<&str> {
        self.headers.get(n).and_then(|v| v.to_str().ok())
    }
}

impl T {
    pub fn new() -> Self {
        Self::with(DavConfig::default())
    }
    pub fn with(cfg: DavConfig) -> Self {
        let backend = Arc::new(MemoryBackend::new());
        backend.add_user(ALICE.0, ALICE.1);
        backend.add_user(BOB.0, BOB.1);
        T {
            server: DavServer::new(Arc::clone(&backend), cfg),
            backend,
            peer: "127.0.0.1:40000".parse().unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        user: Option<(&str, &str)>,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Resp {
        let mut b = http::Request::builder().method(method).uri(path);
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            b = b.header("host", "dav.test:8080");
        }
        if let Some((u, p)) = user {
            let enc = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
            b = b.header("authorization", format!("Basic {enc}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let resp = self.server.handle(req, self.peer).await;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
        Resp { status, headers, body }
    }

    /// Request as alice.
    pub async fn a(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Resp {
        self.send(method, path, Some(ALICE), headers, body).await
    }

    pub async fn propfind(&self, path: &str, depth: &str, props: &str) -> Resp {
        let body = format!(
            r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:c="{C}" xmlns:cr="{CR}" xmlns:cs="{CS}" xmlns:a="http://apple.com/ns/ical/"><d:prop>{props}</d:prop></d:propfind>"#
        );
        self.a("PROPFIND", path, &[("depth", depth)], &body).await
    }

    pub async fn put(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
        self.a("PUT", path, headers, body).await
    }
}

pub const CAL: &str = "/calendars/alice@example.com/calendar/";
pub const TASKS: &str = "/calendars/alice@example.com/tasks/";
pub const BOOK: &str = "/addressbooks/alice@example.com/contacts/";

pub fn event(uid: &str, start: &str, extra: &str) -> String {
    format!(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20240101T000000Z\r\n\
DTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Event {uid}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
}

pub fn card3(uid: &str, name: &str) -> String {
    format!("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name}\r\nN:{name};;;;\r\nEMAIL;TYPE=INTERNET:{uid}@example.com\r\nEND:VCARD\r\n")
}

/// All `<D:response>` elements with their href.
pub fn responses(el: &Element) -> Vec<(String, &Element)> {
    el.children_named(D, "response")
        .map(|r| (r.child(D, "href").map(|h| h.text.clone()).unwrap_or_default(), r))
        .collect()
}

/// The property element with status 200 inside a response.
pub fn prop<'a>(resp: &'a Element, ns: &str, name: &str) -> Option<&'a Element> {
    resp.children_named(D, "propstat")
        .filter(|ps| ps.child(D, "status").is_some_and(|s| s.text == "HTTP/1.1 200 OK"))
        .find_map(|ps| ps.child(D, "prop").and_then(|p| p.child(ns, name)))
}

/// The status text of the propstat holding a property.
pub fn prop_status(resp: &Element, ns: &str, name: &str) -> Option<String> {
    resp.children_named(D, "propstat")
        .find(|ps| ps.child(D, "prop").is_some_and(|p| p.child(ns, name).is_some()))
        .and_then(|ps| ps.child(D, "status").map(|s| s.text.clone()))
}

pub fn hrefs(el: &Element) -> Vec<String> {
    el.children_named(D, "href").map(|h| h.text.clone()).collect()
}
