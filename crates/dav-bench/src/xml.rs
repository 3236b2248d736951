//! Multistatus reading: a fast response counter for the measured loop and a small parser for
//! discovery and set-up (hrefs, property hrefs, sync tokens). Element names are matched by local
//! name, so any namespace prefix works.

use quick_xml::events::Event;
use quick_xml::Reader;

/// Counts `</…:response>` closing tags (any prefix) without building a tree.
pub fn count_responses(body: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while let Some(pos) = find(&body[i..], b"</") {
        let start = i + pos + 2;
        let Some(len) = body.get(start..).and_then(|rest| rest.iter().position(|&b| b == b'>')) else {
            break;
        };
        let name = &body[start..start + len];
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        if local.trim_ascii_end() == b"response" {
            n += 1;
        }
        i = start + len;
    }
    n
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One `DAV:response`.
#[derive(Debug, Default, Clone)]
pub struct Resp {
    /// Its href, as sent.
    pub href: String,
    /// `(property local name, first href inside it or its text)` for properties with content.
    pub props: Vec<(String, String)>,
}

/// A parsed multistatus.
#[derive(Debug, Default, Clone)]
pub struct Multistatus {
    /// The responses in document order.
    pub responses: Vec<Resp>,
    /// Top-level `DAV:sync-token`, if any.
    pub sync_token: Option<String>,
}

impl Multistatus {
    /// Parses a body; `None` when it is not well-formed XML.
    pub fn parse(body: &[u8]) -> Option<Self> {
        let mut r = Reader::from_reader(body);
        r.config_mut().trim_text(true);
        let mut ms = Multistatus::default();
        let mut stack: Vec<String> = Vec::new();
        let mut buf = Vec::new();
        loop {
            match r.read_event_into(&mut buf).ok()? {
                Event::Start(e) => {
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    if name == "response" {
                        ms.responses.push(Resp::default());
                    }
                    stack.push(name);
                }
                Event::End(_) => {
                    stack.pop();
                }
                Event::Text(t) => {
                    let text = t.unescape().ok()?.into_owned();
                    let top = stack.last().map(String::as_str);
                    let parent = stack
                        .len()
                        .checked_sub(2)
                        .and_then(|i| stack.get(i))
                        .map(String::as_str);
                    let prop_name = stack.iter().position(|s| s == "prop").and_then(|i| stack.get(i + 1));
                    match (top, parent, prop_name) {
                        (Some("sync-token"), Some("multistatus"), _) => ms.sync_token = Some(text),
                        (Some("href"), Some("response"), _) => {
                            if let Some(resp) = ms.responses.last_mut() {
                                resp.href = text;
                            }
                        }
                        (_, _, Some(p)) => {
                            if let Some(resp) = ms.responses.last_mut() {
                                if !resp.props.iter().any(|(n, _)| n == p) {
                                    resp.props.push((p.clone(), text));
                                }
                            }
                        }
                        _ => {}
                    }
                }
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Some(ms)
    }

    /// The first value of property `name` in any response.
    pub fn prop(&self, name: &str) -> Option<&str> {
        self.responses
            .iter()
            .flat_map(|r| &r.props)
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"<?xml version="1.0"?>
<D:multistatus xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
 <D:response><D:href>/calendars/a/</D:href>
  <D:propstat><D:prop><C:calendar-home-set><D:href>/calendars/a/</D:href></C:calendar-home-set>
  <D:getetag>"x"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  <D:responsedescription>ok</D:responsedescription>
 </D:response>
 <response xmlns="DAV:"><href>/c/b.ics</href><status>HTTP/1.1 404 Not Found</status></response >
 <D:sync-token>http://x/sync/5</D:sync-token>
</D:multistatus>"#;

    #[test]
    fn counts_and_parses_any_prefix() {
        assert_eq!(count_responses(BODY.as_bytes()), 2);
        assert_eq!(count_responses(b"<multistatus xmlns=\"DAV:\"/>"), 0);
        assert_eq!(count_responses(b"</"), 0);
        let ms = Multistatus::parse(BODY.as_bytes()).unwrap();
        assert_eq!(ms.responses.len(), 2);
        assert_eq!(ms.responses[1].href, "/c/b.ics");
        assert_eq!(ms.prop("calendar-home-set"), Some("/calendars/a/"));
        assert_eq!(ms.prop("getetag"), Some("\"x\""));
        assert_eq!(ms.sync_token.as_deref(), Some("http://x/sync/5"));
        assert!(Multistatus::parse(b"<a><b></a>").is_none());
    }
}
