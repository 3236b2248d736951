//! Each DAV method through the service in-process: PROPFIND forms, PROPPATCH, MKCALENDAR,
//! MKCOL, DELETE, PUT validation, reports, auth and isolation between users.

mod common;

use common::*;
use dav_server::DavConfig;
use http::StatusCode;

#[tokio::test]
async fn propfind_forms_and_depth() {
    let t = T::new();
    let r = t.a("PROPFIND", CAL, &[("depth", "infinity")], "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().child(D, "propfind-finite-depth").is_some());
    // Empty body = allprop: no sync-token, but getctag and resourcetype.
    let r = t.a("PROPFIND", CAL, &[("depth", "0")], "").await;
    let x = r.xml();
    let rs = responses(&x);
    assert!(prop(rs[0].1, CS, "getctag").is_some());
    assert!(prop(rs[0].1, D, "sync-token").is_none());
    let inc = r#"<d:propfind xmlns:d="DAV:"><d:allprop/><d:include><d:sync-token/></d:include></d:propfind>"#;
    let r = t.a("PROPFIND", CAL, &[("depth", "0")], inc).await;
    assert!(prop(responses(&r.xml())[0].1, D, "sync-token").is_some());
    let r = t
        .a(
            "PROPFIND",
            CAL,
            &[("depth", "0")],
            r#"<d:propfind xmlns:d="DAV:"><d:propname/></d:propfind>"#,
        )
        .await;
    let x = r.xml();
    let rt = prop(responses(&x)[0].1, D, "resourcetype").unwrap();
    assert!(rt.children.is_empty(), "propname returns names only");
    // Unknown property → 404 propstat; Prefer: return=minimal drops it.
    let r = t
        .propfind(CAL, "0", "<d:displayname/><x:nope xmlns:x=\"urn:x\"/>")
        .await;
    assert_eq!(
        prop_status(responses(&r.xml())[0].1, "urn:x", "nope").as_deref(),
        Some("HTTP/1.1 404 Not Found")
    );
    let body = r#"<d:propfind xmlns:d="DAV:"><d:prop><d:displayname/><x:nope xmlns:x="urn:x"/></d:prop></d:propfind>"#;
    let r = t
        .a("PROPFIND", CAL, &[("depth", "0"), ("prefer", "return=minimal")], body)
        .await;
    assert!(!r.body.contains("nope") && r.body.contains("displayname"));
    // Every property of the issue on a calendar.
    let all = "<d:resourcetype/><d:displayname/><cs:getctag/><d:sync-token/><d:owner/><d:current-user-principal/>\
        <c:supported-calendar-component-set/><c:supported-calendar-data/><d:supported-report-set/><c:max-resource-size/>\
        <d:current-user-privilege-set/>";
    let r = t.propfind(CAL, "0", all).await;
    assert!(!r.body.contains("404"), "{}", r.body);
    let r = t
        .propfind(
            BOOK,
            "0",
            "<cr:supported-address-data/><cr:max-resource-size/><cs:getctag/>",
        )
        .await;
    assert!(!r.body.contains("404"), "{}", r.body);
    // Members carry getetag, getcontenttype, getlastmodified, getcontentlength.
    t.put(&format!("{CAL}m.ics"), &event("m", "20240101T100000Z", ""), &[])
        .await;
    let r = t
        .propfind(
            CAL,
            "1",
            "<d:getetag/><d:getcontenttype/><d:getlastmodified/><d:getcontentlength/>",
        )
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 2);
    assert!(prop(rs[1].1, D, "getcontenttype")
        .unwrap()
        .text
        .starts_with("text/calendar"));
    assert!(prop(rs[1].1, D, "getlastmodified").unwrap().text.ends_with("GMT"));
    // Malformed and hostile bodies.
    assert_eq!(
        t.a("PROPFIND", CAL, &[], "<d:propfind").await.status,
        StatusCode::BAD_REQUEST
    );
    let bomb =
        r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaa">]><d:propfind xmlns:d="DAV:">&a;</d:propfind>"#;
    assert_eq!(t.a("PROPFIND", CAL, &[], bomb).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn proppatch_is_atomic_and_visible() {
    let t = T::new();
    let set = |inner: &str| {
        format!(
            r#"<d:propertyupdate xmlns:d="DAV:" xmlns:a="http://apple.com/ns/ical/" xmlns:c="{C}"><d:set><d:prop>{inner}</d:prop></d:set></d:propertyupdate>"#
        )
    };
    let r = t.a("PROPPATCH", CAL, &[], &set("<d:displayname>Work</d:displayname><a:calendar-color>#FF0000FF</a:calendar-color><a:calendar-order>3</a:calendar-order><c:calendar-description>desc</c:calendar-description><x:mine xmlns:x=\"urn:x\">v</x:mine>")).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(!r.body.contains("403"), "{}", r.body);
    let r = t.propfind(CAL, "0", "<d:displayname/><a:calendar-color/><a:calendar-order/><c:calendar-description/><x:mine xmlns:x=\"urn:x\"/>").await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(prop(rs[0].1, D, "displayname").unwrap().text, "Work");
    assert_eq!(
        prop(rs[0].1, "http://apple.com/ns/ical/", "calendar-color")
            .unwrap()
            .text,
        "#FF0000FF"
    );
    assert_eq!(
        prop(rs[0].1, "http://apple.com/ns/ical/", "calendar-order")
            .unwrap()
            .text,
        "3"
    );
    assert_eq!(prop(rs[0].1, "urn:x", "mine").unwrap().text, "v");
    // A protected property fails the whole request: 403 for it, 424 for the rest.
    let r = t
        .a(
            "PROPPATCH",
            CAL,
            &[],
            &set("<d:displayname>Other</d:displayname><d:getetag>x</d:getetag>"),
        )
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(
        prop_status(rs[0].1, D, "getetag").as_deref(),
        Some("HTTP/1.1 403 Forbidden")
    );
    assert_eq!(
        prop_status(rs[0].1, D, "displayname").as_deref(),
        Some("HTTP/1.1 424 Failed Dependency")
    );
    let r = t.propfind(CAL, "0", "<d:displayname/>").await;
    assert_eq!(prop(responses(&r.xml())[0].1, D, "displayname").unwrap().text, "Work");
    // Remove.
    let rm = r#"<d:propertyupdate xmlns:d="DAV:" xmlns:a="http://apple.com/ns/ical/"><d:remove><d:prop><a:calendar-color/></d:prop></d:remove></d:propertyupdate>"#;
    assert_eq!(t.a("PROPPATCH", CAL, &[], rm).await.status, StatusCode::MULTI_STATUS);
    let r = t.propfind(CAL, "0", "<a:calendar-color/>").await;
    assert!(r.body.contains("404 Not Found"));
}

#[tokio::test]
async fn mkcalendar_mkcol_and_collection_delete() {
    let t = T::new();
    let mk = format!(
        r#"<c:mkcalendar xmlns:d="DAV:" xmlns:c="{C}" xmlns:a="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>Trips</d:displayname>
        <a:calendar-color>#00FF00</a:calendar-color><c:supported-calendar-component-set><c:comp name="VTODO"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"#
    );
    let path = "/calendars/alice@example.com/trips/";
    assert_eq!(t.a("MKCALENDAR", path, &[], &mk).await.status, StatusCode::CREATED);
    let r = t.a("MKCALENDAR", path, &[], &mk).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.xml().child(D, "resource-must-be-null").is_some());
    let r = t
        .propfind(path, "0", "<d:displayname/><c:supported-calendar-component-set/>")
        .await;
    assert!(r.body.contains("Trips") && r.body.contains("VTODO"));
    // MKCALENDAR in the address-book home is refused.
    let r = t.a("MKCALENDAR", "/addressbooks/alice@example.com/x/", &[], "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().child(C, "calendar-collection-location-ok").is_some());
    // Subscriptions (macOS) are not calendars.
    let sub = r#"<c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cs="http://calendarserver.org/ns/"><d:set><d:prop><d:resourcetype><d:collection/><cs:subscribed/></d:resourcetype></d:prop></d:set></c:mkcalendar>"#;
    assert_eq!(
        t.a("MKCALENDAR", "/calendars/alice@example.com/sub/", &[], sub)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Extended MKCOL for an address book.
    let mkcol = format!(
        r#"<d:mkcol xmlns:d="DAV:" xmlns:cr="{CR}"><d:set><d:prop><d:resourcetype><d:collection/><cr:addressbook/></d:resourcetype><d:displayname>Friends</d:displayname></d:prop></d:set></d:mkcol>"#
    );
    assert_eq!(
        t.a("MKCOL", "/addressbooks/alice@example.com/friends/", &[], &mkcol)
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        t.a("MKCOL", "/addressbooks/alice@example.com/plain/", &[], "")
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // A failing property fails the whole MKCOL with an mkcol-response.
    let bad = format!(
        r#"<d:mkcol xmlns:d="DAV:" xmlns:cr="{CR}"><d:set><d:prop><d:resourcetype><d:collection/><cr:addressbook/></d:resourcetype><d:getetag>x</d:getetag><d:displayname>F</d:displayname></d:prop></d:set></d:mkcol>"#
    );
    let r = t.a("MKCOL", "/addressbooks/alice@example.com/bad/", &[], &bad).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().is(D, "mkcol-response") && r.body.contains("424"));
    assert_eq!(
        t.propfind("/addressbooks/alice@example.com/bad/", "0", "<d:displayname/>")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Delete a collection and re-create it at once; old tokens stay invalid.
    let tok = prop(
        responses(&t.propfind(path, "0", "<d:sync-token/>").await.xml())[0].1,
        D,
        "sync-token",
    )
    .unwrap()
    .text
    .clone();
    assert_eq!(t.a("DELETE", path, &[], "").await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.propfind(path, "0", "<d:displayname/>").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(t.a("MKCALENDAR", path, &[], "").await.status, StatusCode::CREATED);
    let body = format!(
        r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>{tok}</d:sync-token><d:prop><d:getetag/></d:prop></d:sync-collection>"#
    );
    assert_eq!(t.a("REPORT", path, &[], &body).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn put_validation_with_preconditions() {
    let t = T::with(DavConfig {
        max_resource_size: 2000,
        ..Default::default()
    });
    let cond = |r: &Resp, ns: &str, name: &str| {
        let x = r.xml();
        assert!(x.child(ns, name).is_some(), "{name}: {}", r.body);
        assert!(x
            .child("http://easdav.invalid/ns/", "message")
            .is_some_and(|m| !m.text.is_empty()));
    };
    let r = t.put(&format!("{CAL}g.ics"), "this is not a calendar", &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    cond(&r, C, "valid-calendar-data");
    let two = event("a", "20240101T100000Z", "").replace(
        "END:VCALENDAR",
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    );
    let r = t.put(&format!("{CAL}two.ics"), &two, &[]).await;
    cond(&r, C, "valid-calendar-object-resource");
    let r = t
        .put(
            &format!("{CAL}big.ics"),
            &event(
                "big",
                "20240101T100000Z",
                &format!("DESCRIPTION:{}\r\n", "x".repeat(3000)),
            ),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    cond(&r, C, "max-resource-size");
    assert_eq!(
        t.put(&format!("{CAL}one.ics"), &event("dup", "20240101T100000Z", ""), &[])
            .await
            .status,
        StatusCode::CREATED
    );
    let r = t
        .put(&format!("{CAL}other.ics"), &event("dup", "20240101T100000Z", ""), &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let x = r.xml();
    assert_eq!(
        hrefs(x.child(C, "no-uid-conflict").unwrap()),
        vec![format!("{CAL}one.ics")]
    );
    let r = t.put(&format!("{BOOK}x.vcf"), "BEGIN:VCARD\r\nFN:x\r\n", &[]).await;
    cond(&r, CR, "valid-address-data");
    let r = t
        .put(
            &format!("{CAL}j.ics"),
            &event("j", "20240101T100000Z", ""),
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // PUT into a missing collection → 409.
    assert_eq!(
        t.put(
            "/calendars/alice@example.com/nope/x.ics",
            &event("n", "20240101T100000Z", ""),
            &[]
        )
        .await
        .status,
        StatusCode::CONFLICT
    );
    // Body limit of the whole request.
    let t = T::with(DavConfig {
        max_body_bytes: 100,
        ..Default::default()
    });
    assert_eq!(
        t.put(&format!("{CAL}l.ics"), &event("l", "20240101T100000Z", ""), &[])
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn auth_and_isolation_for_every_method() {
    let t = T::new();
    let r = t.send("PROPFIND", "/", None, &[("depth", "0")], "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic realm="));
    assert_eq!(
        t.send("PROPFIND", "/", Some(("alice@example.com", "wrong")), &[], "")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.send("PROPFIND", "/", Some(("ALICE@example.com", "secret")), &[], "")
            .await
            .status,
        StatusCode::MULTI_STATUS
    );
    t.put(&format!("{CAL}priv.ics"), &event("priv", "20240101T100000Z", ""), &[])
        .await;
    let ev = event("bob", "20240101T100000Z", "");
    let targets = [
        "/principals/alice@example.com/",
        "/calendars/alice@example.com/",
        CAL,
        &format!("{CAL}priv.ics"),
        "/addressbooks/alice%40example.com/contacts/",
    ];
    let methods: [(&str, &str); 9] = [
        ("PROPFIND", ""),
        (
            "PROPPATCH",
            r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>pwned</d:displayname></d:prop></d:set></d:propertyupdate>"#,
        ),
        (
            "REPORT",
            r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:prop><d:getetag/></d:prop></d:sync-collection>"#,
        ),
        ("GET", ""),
        ("HEAD", ""),
        ("PUT", &ev),
        ("DELETE", ""),
        ("MKCALENDAR", ""),
        ("MKCOL", ""),
    ];
    for target in targets {
        for (m, body) in methods {
            let r = t.send(m, target, Some(BOB), &[("depth", "0")], body).await;
            assert!(
                r.status == StatusCode::NOT_FOUND || r.status == StatusCode::FORBIDDEN,
                "bob {m} {target} → {}",
                r.status
            );
        }
    }
    // Alice's data is untouched.
    let g = t.a("GET", &format!("{CAL}priv.ics"), &[], "").await;
    assert_eq!(g.status, StatusCode::OK);
    let r = t.propfind(CAL, "0", "<d:displayname/>").await;
    assert!(!r.body.contains("pwned"));
    // Bob's multiget of alice's href gets a 404 row.
    let mg = format!(
        r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{C}"><d:prop><c:calendar-data/></d:prop><d:href>{CAL}priv.ics</d:href></c:calendar-multiget>"#
    );
    let r = t.send("REPORT", "/calendars/bob/calendar/", Some(BOB), &[], &mg).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(r.body.contains("404 Not Found") && !r.body.contains("BEGIN:VCALENDAR"));
}

#[tokio::test]
async fn memory_backend_passes_the_conformance_check() {
    let b = dav_server::memory::MemoryBackend::new();
    b.add_user("Carol@Example.com", "pw");
    dav_server::conformance::check_backend(&b, "carol@example.com", "pw")
        .await
        .unwrap();
}

#[tokio::test]
async fn backend_errors_map_to_http_once() {
    use dav_server::backend::BackendError;
    use std::time::Duration;
    let t = T::new();
    let path = format!("{CAL}f.ics");
    let ev = event("f", "20240101T100000Z", "");
    t.backend.fail_next_write(BackendError::UpstreamUnavailable {
        retry_after: Some(Duration::from_secs(30)),
    });
    let r = t.put(&path, &ev, &[]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("30"));
    t.backend.fail_next_write(BackendError::Rejected {
        reason: "mailbox full".into(),
    });
    let r = t.put(&path, &ev, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().child(D, "need-privileges").is_some() && r.body.contains("mailbox full"));
    t.backend.fail_next_write(BackendError::NotRepresentable {
        reason: "RDATE is not supported".into(),
    });
    let r = t.put(&path, &ev, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.xml().child(C, "valid-calendar-object-resource").is_some() && r.body.contains("RDATE"));
    // The same refusal for an address book names CardDAV's precondition.
    t.backend.fail_next_write(BackendError::NotRepresentable {
        reason: "group cards are not supported".into(),
    });
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:g1\r\nFN:Group\r\nN:;;;;\r\nEND:VCARD\r\n";
    let r = t.put(&format!("{BOOK}g1.vcf"), card, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.xml().child(CR, "valid-address-data").is_some() && r.body.contains("group"),
        "{}",
        r.body
    );
    t.backend.fail_next_write(BackendError::Locked);
    assert_eq!(t.put(&path, &ev, &[]).await.status, StatusCode::LOCKED);
    t.backend
        .fail_next_write(BackendError::Internal("db password is hunter2".into()));
    let r = t.put(&path, &ev, &[]).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!r.body.contains("hunter2"), "internal details never reach the client");
    // Nothing was stored by the failed writes; the next one works.
    assert_eq!(t.a("GET", &path, &[], "").await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.put(&path, &ev, &[]).await.status, StatusCode::CREATED);
    t.backend
        .fail_next_write(BackendError::UpstreamUnavailable { retry_after: None });
    assert_eq!(
        t.a("DELETE", &path, &[], "").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(t.a("GET", &path, &[], "").await.status, StatusCode::OK);
}
