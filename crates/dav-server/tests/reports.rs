//! REPORTs through the service: multiget, calendar-query, addressbook-query, free-busy-query
//! and expand-property.

mod common;

use common::*;
use http::StatusCode;

async fn seed(t: &T) {
    // Weekly series with an EXDATE and a moved occurrence, a single event, an all-day yearly
    // event and a floating event.
    let weekly = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\n\
DTSTART:20240102T090000Z\r\nDTEND:20240102T100000Z\r\nRRULE:FREQ=WEEKLY\r\nEXDATE:20240109T090000Z\r\n\
SUMMARY:Team meeting\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20240101T000000Z\r\n\
RECURRENCE-ID:20240116T090000Z\r\nDTSTART:20240117T150000Z\r\nDTEND:20240117T160000Z\r\nSUMMARY:Team meeting (moved)\r\n\
END:VEVENT\r\nEND:VCALENDAR\r\n";
    t.put(&format!("{CAL}weekly.ics"), weekly, &[]).await;
    t.put(
        &format!("{CAL}single.ics"),
        &event("single", "20240301T120000Z", "LOCATION:Café Zürich\r\n"),
        &[],
    )
    .await;
    let allday =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:bday\r\nDTSTART;VALUE=DATE:19900415\r\n\
RRULE:FREQ=YEARLY\r\nSUMMARY:Birthday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    t.put(&format!("{CAL}bday.ics"), allday, &[]).await;
    let floating =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:float\r\nDTSTART:20240501T080000\r\n\
DTEND:20240501T090000\r\nSUMMARY:Floating breakfast\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    t.put(&format!("{CAL}float.ics"), floating, &[]).await;
}

async fn query(t: &T, filter: &str, data: &str) -> Vec<String> {
    let body = format!(
        r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="{C}"><d:prop><d:getetag/>{data}</d:prop><c:filter><c:comp-filter name="VCALENDAR">{filter}</c:comp-filter></c:filter></c:calendar-query>"#
    );
    let r = t.a("REPORT", CAL, &[("depth", "1")], &body).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS, "{}", r.body);
    let mut v: Vec<String> = responses(&r.xml())
        .into_iter()
        .map(|(h, _)| h.trim_start_matches(CAL).to_owned())
        .collect();
    v.sort();
    v
}

fn range(s: &str, e: &str) -> String {
    format!(r#"<c:comp-filter name="VEVENT"><c:time-range start="{s}" end="{e}"/></c:comp-filter>"#)
}

#[tokio::test]
async fn calendar_query_time_ranges() {
    let t = T::new();
    seed(&t).await;
    assert_eq!(
        query(&t, "", "").await,
        vec!["bday.ics", "float.ics", "single.ics", "weekly.ics"]
    );
    assert_eq!(
        query(&t, &range("20240109T000000Z", "20240110T000000Z"), "").await,
        Vec::<String>::new(),
        "EXDATE"
    );
    assert_eq!(
        query(&t, &range("20240116T000000Z", "20240117T000000Z"), "").await,
        Vec::<String>::new(),
        "moved away"
    );
    assert_eq!(
        query(&t, &range("20240117T000000Z", "20240118T000000Z"), "").await,
        vec!["weekly.ics"],
        "moved here"
    );
    assert_eq!(
        query(&t, &range("20351204T090000Z", "20351204T093000Z"), "").await,
        vec!["weekly.ics"],
        "infinite rule"
    );
    assert_eq!(
        query(&t, &range("20300415T000000Z", "20300416T000000Z"), "").await,
        vec!["bday.ics"],
        "all-day yearly"
    );
    assert_eq!(
        query(&t, &range("20300417T000000Z", "20300418T000000Z"), "").await,
        Vec::<String>::new()
    );
    assert_eq!(
        query(&t, &range("20240501T083000Z", "20240501T084500Z"), "").await,
        vec!["float.ics"],
        "floating as UTC"
    );
    assert_eq!(
        query(&t, &range("20240301T125959Z", "20240301T130000Z"), "").await,
        vec!["single.ics"]
    );
    assert_eq!(
        query(&t, &range("20240301T130000Z", "20240301T140000Z"), "").await,
        Vec::<String>::new(),
        "end exclusive"
    );
}

#[tokio::test]
async fn calendar_query_text_and_param_filters() {
    let t = T::new();
    seed(&t).await;
    let pf = |inner: &str| format!(r#"<c:comp-filter name="VEVENT">{inner}</c:comp-filter>"#);
    let tm = |coll: &str, text: &str| {
        pf(&format!(
            r#"<c:prop-filter name="SUMMARY"><c:text-match collation="{coll}">{text}</c:text-match></c:prop-filter>"#
        ))
    };
    assert_eq!(query(&t, &tm("i;ascii-casemap", "TEAM"), "").await, vec!["weekly.ics"]);
    assert_eq!(query(&t, &tm("i;octet", "TEAM"), "").await, Vec::<String>::new());
    let loc = pf(
        r#"<c:prop-filter name="LOCATION"><c:text-match collation="i;unicode-casemap">ZÜRICH</c:text-match></c:prop-filter>"#,
    );
    assert_eq!(query(&t, &loc, "").await, vec!["single.ics"]);
    let not_def = pf(r#"<c:prop-filter name="LOCATION"><c:is-not-defined/></c:prop-filter>"#);
    assert_eq!(
        query(&t, &not_def, "").await,
        vec!["bday.ics", "float.ics", "weekly.ics"]
    );
    let neg =
        pf(r#"<c:prop-filter name="SUMMARY"><c:text-match negate-condition="yes">e</c:text-match></c:prop-filter>"#);
    assert_eq!(query(&t, &neg, "").await, vec!["bday.ics"]);
    let param = pf(
        r#"<c:prop-filter name="DTSTART"><c:param-filter name="VALUE"><c:text-match>DATE</c:text-match></c:param-filter></c:prop-filter>"#,
    );
    assert_eq!(query(&t, &param, "").await, vec!["bday.ics"]);
    let no_todo = r#"<c:comp-filter name="VTODO"/>"#;
    assert_eq!(query(&t, no_todo, "").await, Vec::<String>::new());
    let body = format!(
        r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="{C}"><d:prop><d:getetag/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:prop-filter name="SUMMARY"><c:text-match collation="i;klingon">x</c:text-match></c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#
    );
    assert_eq!(t.a("REPORT", CAL, &[], &body).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn calendar_query_expand() {
    let t = T::new();
    seed(&t).await;
    let data = r#"<c:calendar-data><c:expand start="20240101T000000Z" end="20240201T000000Z"/></c:calendar-data>"#;
    let body = format!(
        r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="{C}"><d:prop>{data}</d:prop><c:filter><c:comp-filter name="VCALENDAR">{}</c:comp-filter></c:filter></c:calendar-query>"#,
        range("20240101T000000Z", "20240201T000000Z")
    );
    let r = t.a("REPORT", CAL, &[("depth", "1")], &body).await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 1);
    let ics = prop(rs[0].1, C, "calendar-data").unwrap().text.clone();
    // Jan 2, (9 excluded), 16 moved to 17, 23, 30.
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 4, "{ics}");
    assert!(!ics.contains("RRULE") && !ics.contains("EXDATE"));
    assert!(ics.contains("RECURRENCE-ID:20240123T090000Z"));
    assert!(ics.contains("DTSTART:20240117T150000Z") && ics.contains("RECURRENCE-ID:20240116T090000Z"));
}

#[tokio::test]
async fn multiget_echoes_hrefs_and_reports_missing() {
    let t = T::new();
    seed(&t).await;
    let body = format!(
        r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{C}"><d:prop><d:getetag/><c:calendar-data/></d:prop>
        <d:href>{CAL}single.ics</d:href><d:href>/calendars/alice%40example.com/calendar/bday.ics</d:href><d:href>{CAL}missing.ics</d:href><d:href>/nowhere</d:href></c:calendar-multiget>"#
    );
    let r = t.a("REPORT", CAL, &[("depth", "1")], &body).await;
    let x = r.xml();
    let rs = responses(&x);
    let got: Vec<&str> = rs.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        got,
        vec![
            &format!("{CAL}single.ics")[..],
            "/calendars/alice%40example.com/calendar/bday.ics",
            &format!("{CAL}missing.ics")[..],
            "/nowhere"
        ]
    );
    assert!(prop(rs[0].1, C, "calendar-data").unwrap().text.contains("UID:single"));
    assert!(prop(rs[1].1, C, "calendar-data").unwrap().text.contains("UID:bday"));
    assert_eq!(rs[2].1.child(D, "status").unwrap().text, "HTTP/1.1 404 Not Found");
    assert_eq!(rs[3].1.child(D, "status").unwrap().text, "HTTP/1.1 404 Not Found");
}

#[tokio::test]
async fn addressbook_query_filters_and_limit() {
    let t = T::new();
    for (u, n) in [
        ("ann", "Ann Example"),
        ("bert", "Bert Sample"),
        ("cleo", "Cleo Example"),
    ] {
        assert_eq!(
            t.put(&format!("{BOOK}{u}.vcf"), &card3(u, n), &[]).await.status,
            StatusCode::CREATED
        );
    }
    let q = |filter: &str, limit: &str| {
        format!(
            r#"<cr:addressbook-query xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><d:getetag/><cr:address-data/></d:prop><cr:filter {filter}</cr:filter>{limit}</cr:addressbook-query>"#
        )
    };
    let names = |r: &Resp| -> Vec<String> {
        responses(&r.xml())
            .into_iter()
            .filter(|(_, e)| e.child(D, "status").is_none())
            .map(|(h, _)| h.trim_start_matches(BOOK).to_owned())
            .collect()
    };
    let f = r#"test="anyof"><cr:prop-filter name="FN"><cr:text-match match-type="ends-with">example</cr:text-match></cr:prop-filter>"#;
    let r = t.a("REPORT", BOOK, &[("depth", "1")], &q(f, "")).await;
    assert_eq!(names(&r), vec!["ann.vcf", "cleo.vcf"]);
    assert!(r.body.contains("VERSION:3.0"));
    let f = r#"test="allof"><cr:prop-filter name="FN"><cr:text-match>example</cr:text-match></cr:prop-filter><cr:prop-filter name="EMAIL"><cr:text-match match-type="starts-with">cleo</cr:text-match></cr:prop-filter>"#;
    assert_eq!(names(&t.a("REPORT", BOOK, &[], &q(f, "")).await), vec!["cleo.vcf"]);
    let f = r#"test="anyof"><cr:prop-filter name="EMAIL"><cr:text-match match-type="equals">bert@example.com</cr:text-match></cr:prop-filter><cr:prop-filter name="FN"><cr:text-match>ann</cr:text-match></cr:prop-filter>"#;
    assert_eq!(
        names(&t.a("REPORT", BOOK, &[], &q(f, "")).await),
        vec!["ann.vcf", "bert.vcf"]
    );
    let r = t
        .a(
            "REPORT",
            BOOK,
            &[],
            &q(">", "<cr:limit><cr:nresults>2</cr:nresults></cr:limit>"),
        )
        .await;
    assert_eq!(names(&r).len(), 2);
    assert!(r.body.contains("507 Insufficient Storage"));
}

#[tokio::test]
async fn free_busy_and_expand_property() {
    let t = T::new();
    seed(&t).await;
    let fb = format!(
        r#"<c:free-busy-query xmlns:c="{C}"><c:time-range start="20240101T000000Z" end="20240120T000000Z"/></c:free-busy-query>"#
    );
    let r = t.a("REPORT", CAL, &[("depth", "1")], &fb).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.header("content-type").unwrap().starts_with("text/calendar"));
    assert!(r.body.contains("BEGIN:VFREEBUSY"));
    assert!(r
        .body
        .contains("FREEBUSY;FBTYPE=BUSY:20240102T090000Z/20240102T100000Z"));
    assert!(r.body.contains("20240117T150000Z/20240117T160000Z"));
    assert!(!r.body.contains("20240109T090000Z/"), "EXDATE'd occurrence is free");
    let ep = r#"<d:expand-property xmlns:d="DAV:"><d:property name="current-user-principal"><d:property name="displayname"/><d:property name="calendar-home-set" namespace="urn:ietf:params:xml:ns:caldav"/></d:property></d:expand-property>"#;
    let r = t
        .a("REPORT", "/principals/alice@example.com/", &[("depth", "0")], ep)
        .await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let x = r.xml();
    let cup = prop(responses(&x)[0].1, D, "current-user-principal").unwrap();
    let inner = cup.child(D, "response").unwrap();
    assert_eq!(inner.child(D, "href").unwrap().text, "/principals/alice@example.com/");
    assert!(prop(inner, C, "calendar-home-set").is_some());
    // Unknown reports are refused, not 500.
    let r = t.a("REPORT", CAL, &[], r#"<x:weird xmlns:x="urn:x"/>"#).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn principal_property_search_sees_only_self() {
    let t = T::new();
    let q = |m: &str| {
        format!(
            r#"<d:principal-property-search xmlns:d="DAV:"><d:property-search><d:prop><d:displayname/></d:prop><d:match>{m}</d:match></d:property-search><d:prop><d:displayname/></d:prop></d:principal-property-search>"#
        )
    };
    let r = t.a("REPORT", "/principals/", &[("depth", "0")], &q("ALICE")).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let x = r.xml();
    let got: Vec<String> = responses(&x).into_iter().map(|(h, _)| h).collect();
    assert_eq!(got, vec!["/principals/alice@example.com/".to_owned()]);
    let r = t.a("REPORT", "/principals/", &[("depth", "0")], &q("bob")).await;
    assert!(responses(&r.xml()).is_empty(), "other principals are never listed");
    let r = t
        .a(
            "REPORT",
            "/principals/",
            &[],
            r#"<d:principal-search-property-set xmlns:d="DAV:"/>"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.xml().children_named(D, "principal-search-property").count() >= 1);
}

#[tokio::test]
async fn floating_events_use_the_calendar_timezone() {
    let t = T::new();
    seed(&t).await;
    let vtz =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
    let pp = format!(
        r#"<d:propertyupdate xmlns:d="DAV:" xmlns:c="{C}"><d:set><d:prop><c:calendar-timezone>{vtz}</c:calendar-timezone></d:prop></d:set></d:propertyupdate>"#
    );
    assert_eq!(t.a("PROPPATCH", CAL, &[], &pp).await.status, StatusCode::MULTI_STATUS);
    // The floating breakfast at 08:00 Berlin (CEST) is 06:00-07:00 UTC.
    assert_eq!(
        query(&t, &range("20240501T061500Z", "20240501T063000Z"), "").await,
        vec!["float.ics"]
    );
    assert_eq!(
        query(&t, &range("20240501T081500Z", "20240501T084500Z"), "").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn limit_recurrence_set_in_multiget() {
    let t = T::new();
    seed(&t).await;
    let mg = |s: &str, e: &str| {
        format!(
            r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{C}"><d:prop><c:calendar-data><c:limit-recurrence-set start="{s}" end="{e}"/></c:calendar-data></d:prop><d:href>{CAL}weekly.ics</d:href></c:calendar-multiget>"#
        )
    };
    let data = |r: &Resp| prop(responses(&r.xml())[0].1, C, "calendar-data").unwrap().text.clone();
    let early = data(
        &t.a("REPORT", CAL, &[], &mg("20240101T000000Z", "20240110T000000Z"))
            .await,
    );
    assert_eq!(early.matches("BEGIN:VEVENT").count(), 1, "{early}");
    let late = data(
        &t.a("REPORT", CAL, &[], &mg("20240117T000000Z", "20240118T000000Z"))
            .await,
    );
    assert_eq!(late.matches("BEGIN:VEVENT").count(), 2, "{late}");
}

#[tokio::test]
async fn partial_retrieval_of_calendar_and_address_data() {
    let t = T::new();
    seed(&t).await;
    let body = format!(
        r#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="{C}"><d:prop><c:calendar-data><c:comp name="VCALENDAR"><c:allprop/><c:comp name="VEVENT"><c:prop name="UID"/><c:prop name="SUMMARY"/></c:comp></c:comp></c:calendar-data></d:prop><d:href>{CAL}single.ics</d:href></c:calendar-multiget>"#
    );
    let r = t.a("REPORT", CAL, &[], &body).await;
    let data = prop(responses(&r.xml())[0].1, C, "calendar-data").unwrap().text.clone();
    assert!(
        data.contains("SUMMARY:Event single") && data.contains("VERSION:2.0"),
        "{data}"
    );
    assert!(!data.contains("DTSTART") && !data.contains("LOCATION"), "{data}");
    t.put(&format!("{BOOK}a.vcf"), &card3("a", "Ann"), &[]).await;
    let body = format!(
        r#"<cr:addressbook-multiget xmlns:d="DAV:" xmlns:cr="{CR}"><d:prop><cr:address-data><cr:prop name="FN"/></cr:address-data></d:prop><d:href>{BOOK}a.vcf</d:href></cr:addressbook-multiget>"#
    );
    let r = t.a("REPORT", BOOK, &[], &body).await;
    let data = prop(responses(&r.xml())[0].1, CR, "address-data").unwrap().text.clone();
    assert!(data.contains("FN:Ann") && !data.contains("EMAIL"), "{data}");
}

#[tokio::test]
async fn sync_collection_on_the_calendar_home() {
    let t = T::new();
    let home = "/calendars/alice@example.com/";
    let sync = |tok: &str| {
        format!(
            r#"<d:sync-collection xmlns:d="DAV:" xmlns:cs="{CS}"><d:sync-token>{tok}</d:sync-token><d:sync-level>1</d:sync-level><d:prop><cs:getctag/><d:displayname/></d:prop></d:sync-collection>"#
        )
    };
    let r = t.a("REPORT", home, &[], &sync("")).await;
    assert_eq!(r.status, StatusCode::MULTI_STATUS);
    let x = r.xml();
    let listed: Vec<String> = responses(&x).into_iter().map(|(h, _)| h).collect();
    assert_eq!(listed, vec![CAL.to_owned(), TASKS.to_owned()]);
    let tok = x.child(D, "sync-token").unwrap().text.clone();
    assert!(tok.contains(':'));
    let r = t.a("REPORT", home, &[], &sync(&tok)).await;
    assert!(responses(&r.xml()).is_empty(), "nothing changed");
    t.put(&format!("{CAL}h.ics"), &event("h", "20240101T100000Z", ""), &[])
        .await;
    t.a("DELETE", TASKS, &[], "").await;
    let r = t.a("REPORT", home, &[], &sync(&tok)).await;
    let x = r.xml();
    let rs = responses(&x);
    assert_eq!(rs.len(), 2);
    assert_eq!(rs[0].0, CAL);
    assert!(prop(rs[0].1, CS, "getctag").is_some());
    assert_eq!(rs[1].0, TASKS);
    assert_eq!(rs[1].1.child(D, "status").unwrap().text, "HTTP/1.1 404 Not Found");
    assert_eq!(
        t.a("REPORT", home, &[], &sync("urn:junk")).await.status,
        StatusCode::FORBIDDEN
    );
}
