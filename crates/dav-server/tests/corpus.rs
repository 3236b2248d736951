//! Real-world files from `../shared/corpus` through the server: nothing panics or answers 5xx,
//! accepted objects come back byte-identical with the PUT ETag, and queries over everything
//! stored succeed.

mod common;

use std::path::PathBuf;

use common::*;
use http::StatusCode;

fn corpus(sub: &str, ext: &str) -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(sub);
    let mut out = Vec::new();
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} missing: {e}", dir.display()));
    for e in entries.flatten() {
        let p = e.path();
        if p.extension().and_then(|x| x.to_str()) != Some(ext) {
            continue;
        }
        if let Ok(text) = std::fs::read_to_string(&p) {
            out.push((p.file_name().unwrap().to_string_lossy().into_owned(), text));
        }
    }
    out.sort();
    assert!(!out.is_empty(), "no .{ext} files in {}", dir.display());
    out
}

fn target_for(text: &str) -> &'static str {
    if text.contains("BEGIN:VTODO") && !text.contains("BEGIN:VEVENT") {
        TASKS
    } else {
        CAL
    }
}

#[tokio::test]
async fn calendar_corpus() {
    let t = T::new();
    let mut accepted = 0;
    let files = corpus("ical", "ics");
    for (i, (name, text)) in files.iter().enumerate() {
        let coll = target_for(text);
        let path = format!("{coll}c{i}.ics");
        let r = t.put(&path, text, &[("content-type", "text/calendar")]).await;
        assert!(!r.status.is_server_error(), "{name}: {} {}", r.status, r.body);
        if r.status == StatusCode::CREATED {
            accepted += 1;
            let g = t.a("GET", &path, &[], "").await;
            assert_eq!(&g.body, text, "{name} served as stored");
            assert_eq!(r.header("etag"), g.header("etag"), "{name}");
        } else {
            let x = r.xml();
            assert!(
                x.children.iter().any(|c| c.ns == C),
                "{name}: precondition element expected: {}",
                r.body
            );
            let why: Vec<String> = x.children.iter().map(|c| format!("{} {}", c.name, c.text)).collect();
            println!("refused {name}: {} {}", r.status, why.join(" | "));
        }
    }
    // Many corpus files are calendar *files* rather than object resources (METHOD, several
    // UIDs, no VCALENDAR wrapper): RFC 4791 §4.1 refuses those, with a precondition (above).
    println!("accepted {accepted} of {}", files.len());
    assert!(
        accepted * 4 > files.len(),
        "accepted only {accepted} of {}",
        files.len()
    );
    for coll in [CAL, TASKS] {
        for comp in ["VEVENT", "VTODO"] {
            let body = format!(
                r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="{C}"><d:prop><d:getetag/><c:calendar-data><c:expand start="20000101T000000Z" end="20300101T000000Z"/></c:calendar-data></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="{comp}"><c:time-range start="20000101T000000Z" end="20300101T000000Z"/></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#
            );
            let r = t.a("REPORT", coll, &[("depth", "1")], &body).await;
            assert_eq!(r.status, StatusCode::MULTI_STATUS);
            r.xml();
        }
    }
}

#[tokio::test]
async fn vcard_corpus() {
    let t = T::new();
    let mut accepted = 0;
    let files = corpus("vcard", "vcf");
    for (i, (name, text)) in files.iter().enumerate() {
        let path = format!("{BOOK}v{i}.vcf");
        let r = t.put(&path, text, &[("content-type", "text/vcard")]).await;
        assert!(!r.status.is_server_error(), "{name}: {} {}", r.status, r.body);
        if r.status == StatusCode::CREATED {
            accepted += 1;
            for accept in ["text/vcard; version=3.0", "text/vcard; version=4.0"] {
                let g = t.a("GET", &path, &[("accept", accept)], "").await;
                assert_eq!(g.status, StatusCode::OK, "{name}");
                assert!(g.body.contains("BEGIN:VCARD"), "{name}");
            }
        }
    }
    assert!(accepted > 0);
    let q = format!(
        r#"<cr:addressbook-query xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><d:getetag/><cr:address-data/></d:prop><cr:filter><cr:prop-filter name="FN"><cr:text-match>a</cr:text-match></cr:prop-filter></cr:filter></cr:addressbook-query>"#
    );
    let r = t.a("REPORT", BOOK, &[("depth", "1")], &q).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    r.xml();
}

#[tokio::test]
async fn invalid_corpus_is_refused_cleanly() {
    let t = T::new();
    for (sub, ext, coll) in [("invalid/ical", "ics", CAL), ("invalid/vcard", "vcf", BOOK)] {
        for (i, (name, text)) in corpus(sub, ext).iter().enumerate() {
            let r = t.put(&format!("{coll}bad{i}.{ext}"), text, &[]).await;
            assert!(!r.status.is_server_error(), "{name}: {}", r.status);
        }
    }
}
