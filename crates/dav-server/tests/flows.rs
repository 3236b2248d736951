//! Request sequences of real clients as described in dav-clients.md §1–§2 (iOS discovery,
//! DAVx5 detection and sync, Thunderbird's address book), replayed in-process.

mod common;

use common::*;
use http::StatusCode;

const A: &str = "http://apple.com/ns/ical/";

#[tokio::test]
async fn ios_discovery_sequence() {
    let t = T::new();
    // 1. Unauthenticated well-known probe: redirect; the target then asks for credentials.
    let r = t
        .send("PROPFIND", "/.well-known/caldav", None, &[("depth", "0")], "")
        .await;
    assert_eq!(r.status, StatusCode::TEMPORARY_REDIRECT);
    let loc = r
        .header("location")
        .unwrap()
        .trim_start_matches("http://dav.test:8080")
        .to_owned();
    let r = t.send("PROPFIND", &loc, None, &[("depth", "0")], "").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // 3. current-user-principal, principal-URL, resourcetype on the redirect target.
    let r = t
        .propfind(
            &loc,
            "0",
            "<d:current-user-principal/><d:principal-URL/><d:resourcetype/>",
        )
        .await;
    let x = r.xml();
    let principal = hrefs(prop(responses(&x)[0].1, D, "current-user-principal").unwrap()).remove(0);
    // 4. OPTIONS on the principal.
    let r = t.a("OPTIONS", &principal, &[], "").await;
    assert!(r.header("dav").unwrap().contains("calendar-access"));
    // 5. The big principal PROPFIND with Brief and Prefer; unknown properties are omitted.
    let body = format!(
        r#"<A:propfind xmlns:A="DAV:"><A:prop><B:calendar-home-set xmlns:B="{C}"/><B:calendar-user-address-set xmlns:B="{C}"/>
        <A:current-user-principal/><A:displayname/><C:dropbox-home-URL xmlns:C="{CS}"/><C:email-address-set xmlns:C="{CS}"/>
        <C:notification-URL xmlns:C="{CS}"/><A:principal-collection-set/><A:principal-URL/><A:resource-id/>
        <B:schedule-inbox-URL xmlns:B="{C}"/><B:schedule-outbox-URL xmlns:B="{C}"/><A:supported-report-set/></A:prop></A:propfind>"#
    );
    let r = t
        .a(
            "PROPFIND",
            &principal,
            &[("depth", "0"), ("brief", "t"), ("prefer", "return=minimal")],
            &body,
        )
        .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    assert!(!r.body.contains("404") && !r.body.contains("dropbox"), "{}", r.body);
    let x = r.xml();
    let rs = responses(&x);
    let home = hrefs(prop(rs[0].1, C, "calendar-home-set").unwrap()).remove(0);
    let addrs = hrefs(prop(rs[0].1, C, "calendar-user-address-set").unwrap());
    assert_eq!(addrs[0], "mailto:alice@example.com");
    // 6. Depth 1 on the home.
    let r = t
        .propfind(
            &home,
            "1",
            "<cs:getctag/><d:displayname/><c:calendar-description/><a:calendar-color/><a:calendar-order/><d:resourcetype/>\
             <c:calendar-free-busy-set/><c:supported-calendar-component-set/><d:current-user-privilege-set/>",
        )
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 3);
    let cal = rs.iter().find(|(h, _)| h == CAL).unwrap().1;
    assert!(prop(cal, CS, "getctag").is_some());
    assert_eq!(prop(cal, A, "calendar-order").unwrap().text, "1");
    let privs = prop(cal, D, "current-user-privilege-set").unwrap();
    assert!(privs.children.iter().any(|p| p.child(D, "write-content").is_some()));
}

#[tokio::test]
async fn davx5_detection_and_sync() {
    let t = T::new();
    // CardDAV detection on the user-given URL (the root).
    let r = t
        .propfind("/", "0", "<d:resourcetype/><d:displayname/><d:current-user-principal/><cr:addressbook-home-set/><cr:addressbook-description/>")
        .await;
    let x = r.xml();
    let principal = hrefs(prop(responses(&x)[0].1, D, "current-user-principal").unwrap()).remove(0);
    let r = t.a("OPTIONS", &principal, &[], "").await;
    assert!(r.header("dav").unwrap().contains("addressbook"));
    let r = t
        .propfind(
            &principal,
            "0",
            "<cr:addressbook-home-set/><d:displayname/><d:resourcetype/>",
        )
        .await;
    let home = hrefs(prop(responses(&r.xml())[0].1, CR, "addressbook-home-set").unwrap()).remove(0);
    let r = t
        .propfind(
            &home,
            "1",
            "<d:current-user-privilege-set/><d:displayname/><d:owner/><d:resourcetype/><cr:addressbook-description/>",
        )
        .await;
    let x = r.xml();
    let book = responses(&x).into_iter().map(|(h, _)| h).find(|h| h != &home).unwrap();
    // Collection check before sync.
    let r = t
        .propfind(
            &book,
            "0",
            "<d:supported-report-set/><d:sync-token/><cs:getctag/><cr:max-resource-size/><cr:supported-address-data/>",
        )
        .await;
    assert!(!r.body.contains("404"), "{}", r.body);
    // Upload with If-None-Match, then sync with Depth 0 and no limit.
    let p = t
        .put(&format!("{book}d1.vcf"), &card3("d1", "Dee"), &[("if-none-match", "*")])
        .await;
    assert_eq!(p.status, StatusCode::CREATED);
    let body = r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token/><d:sync-level>1</d:sync-level><d:prop><d:getetag/><d:resourcetype/></d:prop></d:sync-collection>"#;
    let r = t.a("REPORT", &book, &[("depth", "0")], body).await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 1);
    assert_eq!(prop(rs[0].1, D, "getetag").unwrap().text, p.header("etag").unwrap());
    // Multiget of the member in batches with address-data version 3.0 (4.0 not asked).
    let mg = format!(
        r#"<cr:addressbook-multiget xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><d:getetag/><cr:address-data content-type="text/vcard" version="3.0"/></d:prop><d:href>{book}d1.vcf</d:href></cr:addressbook-multiget>"#
    );
    let r = t.a("REPORT", &book, &[("depth", "1")], &mg).await;
    assert!(prop(responses(&r.xml())[0].1, CR, "address-data")
        .unwrap()
        .text
        .contains("FN:Dee"));
}

#[tokio::test]
async fn thunderbird_address_book_flow() {
    let t = T::new();
    // First sync: listing with getctag, then multiget of everything in one REPORT.
    for i in 0..3 {
        t.put(&format!("{BOOK}t{i}.vcf"), &card3(&format!("t{i}"), "Tee"), &[])
            .await;
    }
    let r = t
        .propfind(BOOK, "1", "<d:resourcetype/><d:getetag/><cs:getctag/>")
        .await;
    let x = r.xml();
    let members: Vec<String> = responses(&x)
        .into_iter()
        .map(|(h, _)| h)
        .filter(|h| h.ends_with(".vcf"))
        .collect();
    assert_eq!(members.len(), 3);
    let mg = format!(
        r#"<cr:addressbook-multiget xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><d:getetag/><cr:address-data/></d:prop>{}</cr:addressbook-multiget>"#,
        members
            .iter()
            .map(|h| format!("<d:href>{h}</d:href>"))
            .collect::<String>()
    );
    let r = t.a("REPORT", BOOK, &[("depth", "1")], &mg).await;
    assert_eq!(responses(&r.xml()).len(), 3);
    // Then displayname + getctag + sync-token at Depth 0; later a sync with address-data.
    let r = t
        .propfind(BOOK, "0", "<d:displayname/><cs:getctag/><d:sync-token/>")
        .await;
    let tok = prop(responses(&r.xml())[0].1, D, "sync-token").unwrap().text.clone();
    // Plain PUT without conditions (update), then incremental sync with inline data.
    assert_eq!(
        t.put(&format!("{BOOK}t1.vcf"), &card3("t1", "Tee Two"), &[])
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let body = format!(
        r#"<d:sync-collection xmlns:d="DAV:" xmlns:cr="{CR}"><d:sync-token>{tok}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/><cr:address-data/></d:prop></d:sync-collection>"#
    );
    let r = t
        .a(
            "REPORT",
            BOOK,
            &[("depth", "1"), ("user-agent", "Mozilla/5.0 Thunderbird/128.0")],
            &body,
        )
        .await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 1);
    assert_eq!(
        prop_status(rs[0].1, CR, "address-data").as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    assert!(prop(rs[0].1, CR, "address-data").unwrap().text.contains("Tee Two"));
}
