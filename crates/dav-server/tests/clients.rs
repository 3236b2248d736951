//! One test per item of section 0 of dav-clients.md ("what breaks clients most often"),
//! through the service in-process.

mod common;

use common::*;
use dav_server::DavConfig;
use http::StatusCode;

// 1. Well-known redirects, correct as seen by the client, for any method, without auth.
#[tokio::test]
async fn s0_01_well_known_redirects() {
    let t = T::new();
    for path in ["/.well-known/caldav", "/.well-known/carddav"] {
        for m in ["PROPFIND", "GET"] {
            let r = t.send(m, path, None, &[], "").await;
            assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT, "{m} {path}");
            assert_eq!(r.header("location"), Some("http://dav.test:8080/"));
        }
    }
    // Behind a trusted proxy with a path prefix.
    let cfg = DavConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Default::default()
    };
    let t = T::with(cfg);
    let fwd = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "cal.example.com"),
        ("x-forwarded-prefix", "/dav"),
    ];
    let r = t.send("PROPFIND", "/.well-known/caldav", None, &fwd, "").await;
    assert_eq!(r.header("location"), Some("https://cal.example.com/dav/"));
    // Untrusted peers cannot steer the Location.
    let mut t2 = T::new();
    t2.peer = "10.9.9.9:1234".parse().unwrap();
    let r = t2.send("GET", "/.well-known/carddav", None, &fwd, "").await;
    assert_eq!(r.header("location"), Some("http://dav.test:8080/"));
    // A Host header cannot smuggle a path or userinfo into Location.
    let r = t2
        .send("GET", "/.well-known/caldav", None, &[("host", "evil.example/x?")], "")
        .await;
    assert_eq!(r.header("location"), Some("http://localhost/"));
    // A configured public base URL wins.
    let t3 = T::with(DavConfig {
        public_base_url: Some("https://pub.example:8443/x/".into()),
        ..Default::default()
    });
    let r = t3.send("GET", "/.well-known/caldav", None, &[], "").await;
    assert_eq!(r.header("location"), Some("https://pub.example:8443/x/"));
}

// 2. current-user-principal everywhere; principal answers both home sets; hrefs end with /.
#[tokio::test]
async fn s0_02_current_user_principal_everywhere() {
    let t = T::new();
    for path in [
        "/",
        "/principals/",
        "/principals/alice@example.com/",
        "/calendars/alice%40example.com/",
        CAL,
        TASKS,
        BOOK,
        "/addressbooks/alice@example.com/",
    ] {
        let r = t.propfind(path, "0", "<d:current-user-principal/>").await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS, "{path}");
        let x = r.xml();
        let resp = responses(&x);
        let cup = prop(resp[0].1, D, "current-user-principal").unwrap_or_else(|| panic!("{path}: {}", r.body));
        assert_eq!(hrefs(cup), vec!["/principals/alice@example.com/".to_owned()]);
        assert!(resp[0].0.ends_with('/'), "collection href {} ends with /", resp[0].0);
    }
    let r = t
        .propfind(
            "/principals/alice@example.com/",
            "0",
            "<c:calendar-home-set/><cr:addressbook-home-set/><d:resourcetype/>",
        )
        .await;
    let x = r.xml();
    let resp = responses(&x);
    assert_eq!(
        hrefs(prop(resp[0].1, C, "calendar-home-set").unwrap()),
        vec!["/calendars/alice@example.com/"]
    );
    assert_eq!(
        hrefs(prop(resp[0].1, CR, "addressbook-home-set").unwrap()),
        vec!["/addressbooks/alice@example.com/"]
    );
    assert!(prop(resp[0].1, D, "resourcetype")
        .unwrap()
        .child(D, "principal")
        .is_some());
}

// 3. OPTIONS on principal and homes: 200 with calendar-access and addressbook.
#[tokio::test]
async fn s0_03_options_dav_header() {
    let t = T::new();
    for path in [
        "/",
        "/principals/alice@example.com/",
        "/calendars/alice@example.com/",
        "/addressbooks/alice@example.com/",
        CAL,
    ] {
        for user in [None, Some(ALICE)] {
            let r = t.send("OPTIONS", path, user, &[], "").await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let dav = r.header("dav").unwrap();
            assert!(dav.contains("calendar-access") && dav.contains("addressbook") && dav.contains("extended-mkcol"));
            assert!(dav.starts_with("1, 3"));
            assert!(r.header("allow").unwrap().contains("PROPFIND"));
        }
    }
    // GNOME Online Accounts probes a Nextcloud path with OPTIONS and wants 200.
    assert_eq!(
        t.send("OPTIONS", "/remote.php/dav", None, &[], "").await.status,
        StatusCode::OK
    );
    // The DAV header is on PROPFIND answers too (Apple reads it there).
    let r = t.propfind("/", "0", "<d:resourcetype/>").await;
    assert!(r.header("dav").unwrap().contains("calendar-access"));
}

// 4. Exactly one home of each kind; all collections are inside it.
#[tokio::test]
async fn s0_04_one_home_each() {
    let t = T::new();
    let r = t
        .propfind(
            "/principals/alice@example.com/",
            "0",
            "<c:calendar-home-set/><cr:addressbook-home-set/>",
        )
        .await;
    let x = r.xml();
    let resp = responses(&x);
    assert_eq!(hrefs(prop(resp[0].1, C, "calendar-home-set").unwrap()).len(), 1);
    assert_eq!(hrefs(prop(resp[0].1, CR, "addressbook-home-set").unwrap()).len(), 1);
    let r = t
        .propfind("/calendars/alice@example.com/", "1", "<d:resourcetype/>")
        .await;
    let x = r.xml();
    let kids: Vec<String> = responses(&x).into_iter().map(|r| r.0).collect();
    assert_eq!(kids, vec!["/calendars/alice@example.com/", CAL, TASKS]);
    let r = t
        .propfind("/addressbooks/alice@example.com/", "1", "<d:resourcetype/>")
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 2);
    assert!(prop(rs[1].1, D, "resourcetype")
        .unwrap()
        .child(CR, "addressbook")
        .is_some());
}

fn reports_of(resp: &dav_proto::xml::Element) -> Vec<String> {
    prop(resp, D, "supported-report-set")
        .map(|s| {
            s.children
                .iter()
                .filter_map(|sr| {
                    sr.child(D, "report")
                        .and_then(|r| r.children.first())
                        .map(|e| e.name.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

// 5. sync-collection advertised on collections and the calendar home; getctag served and
//    changing with content.
#[tokio::test]
async fn s0_05_sync_collection_and_ctag() {
    let t = T::new();
    for path in ["/calendars/alice@example.com/", CAL, TASKS, BOOK] {
        let r = t.propfind(path, "0", "<d:supported-report-set/>").await;
        let x = r.xml();
        assert!(
            reports_of(responses(&x)[0].1).contains(&"sync-collection".to_owned()),
            "{path}: {}",
            r.body
        );
    }
    let ctag = |r: &Resp| prop(responses(&r.xml())[0].1, CS, "getctag").map(|e| e.text.clone());
    let before = ctag(&t.propfind(BOOK, "0", "<cs:getctag/>").await).unwrap();
    let again = ctag(&t.propfind(BOOK, "0", "<cs:getctag/>").await).unwrap();
    assert_eq!(before, again);
    t.put(&format!("{BOOK}a.vcf"), &card3("a", "Ann"), &[]).await;
    let after = ctag(&t.propfind(BOOK, "0", "<cs:getctag/>").await).unwrap();
    assert_ne!(before, after);
    let st = t.propfind(BOOK, "0", "<d:sync-token/>").await;
    assert_eq!(
        prop(responses(&st.xml())[0].1, D, "sync-token").unwrap().text,
        after,
        "ctag equals sync-token"
    );
}

async fn sync(t: &T, path: &str, token: &str, limit: Option<usize>, ua: &str) -> Resp {
    let lim = limit
        .map(|l| format!("<d:limit><d:nresults>{l}</d:nresults></d:limit>"))
        .unwrap_or_default();
    let body = format!(
        r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>{lim}<d:prop><d:getetag/></d:prop></d:sync-collection>"#
    );
    t.a("REPORT", path, &[("depth", "1"), ("user-agent", ua)], &body).await
}

// 6. Sync tokens: URIs, stable, long-lived; unknown → 403 valid-sync-token (400 for
//    Thunderbird's address book); DAV:limit → 507 + continuation that loses nothing.
#[tokio::test]
async fn s0_06_sync_tokens() {
    let t = T::new();
    for i in 0..7 {
        t.put(
            &format!("{CAL}e{i}.ics"),
            &event(&format!("e{i}"), "20240101T100000Z", ""),
            &[],
        )
        .await;
    }
    let r = sync(&t, CAL, "", None, "x").await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let x = r.xml();
    assert_eq!(responses(&x).len(), 7);
    let tok = x.child(D, "sync-token").unwrap().text.clone();
    assert!(tok.contains(':') && tok.starts_with("http://"));
    assert_eq!(
        sync(&t, CAL, "", None, "x")
            .await
            .xml()
            .child(D, "sync-token")
            .unwrap()
            .text,
        tok,
        "stable"
    );
    // Changes: modify two, delete one, add one; then page through with limit 2.
    t.put(&format!("{CAL}e1.ics"), &event("e1", "20240102T100000Z", ""), &[])
        .await;
    t.put(&format!("{CAL}e2.ics"), &event("e2", "20240102T100000Z", ""), &[])
        .await;
    t.a("DELETE", &format!("{CAL}e3.ics"), &[], "").await;
    t.put(&format!("{CAL}new.ics"), &event("new", "20240102T100000Z", ""), &[])
        .await;
    let mut token = tok.clone();
    let mut seen = Vec::new();
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 10, "continuation must terminate");
        let r = sync(&t, CAL, &token, Some(2), "x").await;
        assert_eq!(r.status, StatusCode::MULTI_STATUS);
        let x = r.xml();
        let mut truncated = false;
        for (href, resp) in responses(&x) {
            let status = resp.child(D, "status").map(|s| s.text.clone());
            if status.as_deref() == Some("HTTP/1.1 507 Insufficient Storage") {
                assert_eq!(href, CAL);
                truncated = true;
            } else if status.as_deref() == Some("HTTP/1.1 404 Not Found") {
                seen.push(format!("-{href}"));
            } else {
                assert!(prop(resp, D, "getetag").is_some(), "getetag on every changed member");
                seen.push(href);
            }
        }
        token = x.child(D, "sync-token").unwrap().text.clone();
        if !truncated {
            break;
        }
    }
    seen.sort();
    let want = vec![
        format!("-{CAL}e3.ics"),
        format!("{CAL}e1.ics"),
        format!("{CAL}e2.ics"),
        format!("{CAL}new.ics"),
    ];
    assert_eq!(seen, want);
    assert!(rounds >= 2);
    // Unknown tokens.
    for bad in [
        "http://easdav.invalid/sync/calendar/99999",
        "urn:other",
        "http://easdav.invalid/sync/tasks/1",
    ] {
        let r = sync(&t, CAL, bad, None, "DAVx5/4.4").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{bad}");
        assert!(r.xml().child(D, "valid-sync-token").is_some());
    }
    let r = sync(&t, BOOK, "urn:bad", None, "Mozilla/5.0 Thunderbird/128.0").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("valid-sync-token"));
    let r = sync(&t, CAL, "urn:bad", None, "Mozilla/5.0 Thunderbird/128.0").await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "Thunderbird's calendar gets the RFC status"
    );
    // Expired history.
    t.backend.expire_history(ALICE.0);
    assert_eq!(sync(&t, CAL, &tok, None, "x").await.status, StatusCode::FORBIDDEN);
    assert_eq!(sync(&t, CAL, &token, None, "x").await.status, StatusCode::MULTI_STATUS);
}

// 7. ETags: strong, quoted, deterministic functions of the bytes.
#[tokio::test]
async fn s0_07_strong_deterministic_etags() {
    let t = T::new();
    let body = event("x", "20240101T100000Z", "");
    let p = t.put(&format!("{CAL}x.ics"), &body, &[]).await;
    assert_eq!(p.status, StatusCode::CREATED);
    let put_tag = p.header("etag").unwrap().to_owned();
    let g1 = t.a("GET", &format!("{CAL}x.ics"), &[], "").await;
    let g2 = t.a("GET", &format!("{CAL}x.ics"), &[], "").await;
    assert_eq!(g1.body, body);
    let tag = g1.header("etag").unwrap();
    assert!(tag.starts_with('"') && tag.ends_with('"') && !tag.starts_with("W/"));
    assert_eq!(tag, g2.header("etag").unwrap());
    assert_eq!(tag, put_tag);
    let r = t.propfind(CAL, "1", "<d:getetag/>").await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(prop(rs[1].1, D, "getetag").unwrap().text, tag);
    // Same bytes in another resource → same ETag; different bytes → different ETag.
    t.put(&format!("{CAL}y.ics"), &event("y", "20240101T100000Z", ""), &[])
        .await;
    let gy = t.a("GET", &format!("{CAL}y.ics"), &[], "").await;
    assert_ne!(gy.header("etag"), Some(tag));
}

// 8. vCard 3.0 advertised first and served by default; 4.0 only on request.
#[tokio::test]
async fn s0_08_vcard3_by_default() {
    let t = T::new();
    let r = t.propfind(BOOK, "0", "<cr:supported-address-data/>").await;
    let x = r.xml();
    let sad = prop(responses(&x)[0].1, CR, "supported-address-data").unwrap();
    let versions: Vec<&str> = sad.children.iter().filter_map(|c| c.attr("version")).collect();
    assert_eq!(versions, vec!["3.0"], "only 3.0 is advertised");
    let v4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:v4\r\nFN:Vera Four\r\nN:Four;Vera;;;\r\nEND:VCARD\r\n";
    let p = t
        .put(&format!("{BOOK}v4.vcf"), v4, &[("content-type", "text/vcard")])
        .await;
    assert_eq!(p.status, StatusCode::CREATED);
    assert!(
        p.header("etag").is_none(),
        "stored representation differs from what was sent: no ETag"
    );
    let g = t.a("GET", &format!("{BOOK}v4.vcf"), &[], "").await;
    assert!(g.body.contains("VERSION:3.0"), "{}", g.body);
    let g4 = t
        .a(
            "GET",
            &format!("{BOOK}v4.vcf"),
            &[("accept", "text/vcard; version=4.0")],
            "",
        )
        .await;
    assert!(g4.body.contains("VERSION:4.0"));
    assert_ne!(
        g.header("etag"),
        g4.header("etag"),
        "each representation has its own ETag"
    );
    let mg = format!(
        r#"<cr:addressbook-multiget xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><d:getetag/><cr:address-data content-type="text/vcard" version="4.0"/></d:prop><d:href>{BOOK}v4.vcf</d:href></cr:addressbook-multiget>"#
    );
    let r = t.a("REPORT", BOOK, &[("depth", "1")], &mg).await;
    let x = r.xml();
    assert!(prop(responses(&x)[0].1, CR, "address-data")
        .unwrap()
        .text
        .contains("VERSION:4.0"));
    // A 3.0 card is stored and served as sent, with an ETag on PUT.
    let p = t.put(&format!("{BOOK}c3.vcf"), &card3("c3", "Carl"), &[]).await;
    assert!(p.header("etag").is_some());
}

// 9. If-None-Match: * and If-Match on PUT/DELETE → 412; ETag on PUT only if stored as sent.
#[tokio::test]
async fn s0_09_conditional_writes() {
    let t = T::new();
    let path = format!("{CAL}c.ics");
    let body = event("c", "20240101T100000Z", "");
    let p = t.put(&path, &body, &[("if-none-match", "*")]).await;
    assert_eq!(p.status, StatusCode::CREATED);
    let tag = p.header("etag").unwrap().to_owned();
    assert_eq!(
        t.put(&path, &body, &[("if-none-match", "*")]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    assert_eq!(
        t.put(&path, &body, &[("if-match", "\"nope\"")]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    let weak = format!("W/{tag}");
    assert_eq!(
        t.put(&path, &body, &[("if-match", &weak)]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
    let body2 = event("c", "20240101T110000Z", "");
    let u = t.put(&path, &body2, &[("if-match", &tag)]).await;
    assert_eq!(u.status, StatusCode::NO_CONTENT);
    let tag2 = u.header("etag").unwrap().to_owned();
    // Evolution's backslash-escaped quotes.
    let evo = tag2.replace('"', "\\\"");
    assert_eq!(
        t.put(&path, &body2, &[("if-match", &evo)]).await.status,
        StatusCode::NO_CONTENT
    );
    // Unconditional update is accepted (Thunderbird's address book).
    assert_eq!(t.put(&path, &body, &[]).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.a("DELETE", &path, &[("if-match", &tag2)], "").await.status,
        StatusCode::PRECONDITION_FAILED
    );
    let cur = t.a("GET", &path, &[], "").await.header("etag").unwrap().to_owned();
    assert_eq!(
        t.a("DELETE", &path, &[("if-match", &cur)], "").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.a("DELETE", &path, &[], "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.put(&path, &body, &[("if-match", "*")]).await.status,
        StatusCode::PRECONDITION_FAILED
    );
}

// 10. supported-calendar-component-set is truthful and enforced.
#[tokio::test]
async fn s0_10_truthful_component_sets() {
    let t = T::new();
    let r = t
        .propfind(
            "/calendars/alice@example.com/",
            "1",
            "<c:supported-calendar-component-set/>",
        )
        .await;
    let x = r.xml();
    let comps: Vec<(String, Vec<String>)> = responses(&x)
        .into_iter()
        .skip(1)
        .map(|(h, r)| {
            let set = prop(r, C, "supported-calendar-component-set").unwrap();
            (
                h,
                set.children
                    .iter()
                    .filter_map(|c| c.attr("name").map(str::to_owned))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        comps,
        vec![
            (CAL.to_owned(), vec!["VEVENT".to_owned()]),
            (TASKS.to_owned(), vec!["VTODO".to_owned()])
        ]
    );
    let todo = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t1\r\nSUMMARY:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    let r = t.put(&format!("{CAL}t1.ics"), todo, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().child(C, "supported-calendar-component").is_some());
    assert_eq!(
        t.put(&format!("{TASKS}t1.ics"), todo, &[]).await.status,
        StatusCode::CREATED
    );
    let r = t
        .put(&format!("{TASKS}e.ics"), &event("e", "20240101T100000Z", ""), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

// 11. Behind a proxy: hrefs and Location carry the public prefix; no internal leak.
#[tokio::test]
async fn s0_11_proxy_prefix_in_hrefs() {
    let cfg = DavConfig {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Default::default()
    };
    let t = T::with(cfg);
    let fwd = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "cal.example.com"),
        ("x-forwarded-prefix", "/dav/"),
    ];
    let body = r#"<d:propfind xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:current-user-principal/><c:calendar-home-set/></d:prop></d:propfind>"#;
    let r = t
        .send(
            "PROPFIND",
            "/principals/alice@example.com/",
            Some(ALICE),
            &[&fwd[..], &[("depth", "0")]].concat(),
            body,
        )
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs[0].0, "/dav/principals/alice@example.com/");
    assert_eq!(
        hrefs(prop(rs[0].1, C, "calendar-home-set").unwrap()),
        vec!["/dav/calendars/alice@example.com/"]
    );
    // Mounted under a prefix without a proxy.
    let t = T::with(DavConfig {
        mount_prefix: "/dav".into(),
        ..Default::default()
    });
    let r = t.send("GET", "/dav/.well-known/caldav", None, &[], "").await;
    assert_eq!(r.header("location"), Some("http://dav.test:8080/dav/"));
    let r = t
        .a("PROPFIND", "/dav/calendars/alice@example.com/", &[("depth", "1")], "")
        .await;
    assert!(responses(&r.xml())
        .iter()
        .all(|(h, _)| h.starts_with("/dav/calendars/")));
    assert_eq!(
        t.a("PROPFIND", "/calendars/alice@example.com/", &[("depth", "0")], "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Multiget hrefs with the prefix resolve.
    t.a(
        "PUT",
        "/dav/calendars/alice@example.com/calendar/p.ics",
        &[],
        &event("p", "20240101T100000Z", ""),
    )
    .await;
    let mg = r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/></d:prop><d:href>/dav/calendars/alice@example.com/calendar/p.ics</d:href></c:calendar-multiget>"#;
    let r = t
        .a("REPORT", "/dav/calendars/alice@example.com/calendar/", &[], mg)
        .await;
    assert!(prop(responses(&r.xml())[0].1, D, "getetag").is_some(), "{}", r.body);
}
