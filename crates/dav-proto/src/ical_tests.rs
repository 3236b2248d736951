//! Tests of the calcard adapter: recurrence, filters, validation, folding.
use super::*;
use crate::filter::{CardFilter, Collation, CompFilter, MatchType, PropFilter, TextMatch};

const RECUR: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:r1\r\n\
DTSTAMP:20060206T001121Z\r\nDTSTART:20060102T100000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
EXDATE:20060104T100000Z\r\nSUMMARY:Daily\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:r1\r\nSEQUENCE:3\r\n\
DTSTAMP:20060206T001121Z\r\nRECURRENCE-ID:20060103T100000Z\r\nDTSTART:20060110T100000Z\r\n\
DURATION:PT1H\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn range(s: &str, e: &str) -> TimeRange {
    TimeRange {
        start: Some(parse_utc(s).unwrap()),
        end: Some(parse_utc(e).unwrap()),
    }
}

fn event_filter(tr: TimeRange) -> CompFilter {
    CompFilter {
        name: "VCALENDAR".into(),
        is_not_defined: false,
        time_range: None,
        props: vec![],
        comps: vec![CompFilter {
            name: "VEVENT".into(),
            is_not_defined: false,
            time_range: Some(tr),
            props: vec![],
            comps: vec![],
        }],
    }
}

#[test]
fn indexes_follow_calcard_numbering() {
    let roots = Component::parse(RECUR).unwrap();
    let inst = instances(RECUR, &roots[0]);
    // Five occurrences, one excluded, one moved: 2nd, 5th, 6th of Jan plus the 10th.
    assert_eq!(inst.len(), 4, "{inst:?}");
    let moved = inst
        .iter()
        .find(|i| i.start == parse_utc("20060110T100000Z").unwrap())
        .unwrap();
    assert_eq!(
        roots[0].find(moved.index).unwrap().prop("SUMMARY").unwrap().value,
        "Moved"
    );
}

#[test]
fn time_range_respects_exdate_and_overrides() {
    assert!(matches_calendar(
        &event_filter(range("20060102T000000Z", "20060103T000000Z")),
        RECUR,
        None
    ));
    // The 3rd was moved away, the 4th excluded.
    assert!(!matches_calendar(
        &event_filter(range("20060103T000000Z", "20060105T000000Z")),
        RECUR,
        None
    ));
    assert!(matches_calendar(
        &event_filter(range("20060110T103000Z", "20060110T110000Z")),
        RECUR,
        None
    ));
    assert!(!matches_calendar(
        &event_filter(range("20070101T000000Z", "20080101T000000Z")),
        RECUR,
        None
    ));
}

#[test]
fn all_day_and_infinite_rules() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20200301\r\n\
RRULE:FREQ=YEARLY\r\nSUMMARY:Birthday\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert!(matches_calendar(
        &event_filter(range("20300301T120000Z", "20300301T130000Z")),
        ics,
        None
    ));
    assert!(!matches_calendar(
        &event_filter(range("20300302T000000Z", "20300303T000000Z")),
        ics,
        None
    ));
    let out = expand(ics, &range("20210101T000000Z", "20230101T000000Z"), None).unwrap();
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 2);
    assert!(out.contains("RECURRENCE-ID;VALUE=DATE:20220301"));
}

#[test]
fn expand_writes_instances_in_utc() {
    let out = expand(RECUR, &range("20060101T000000Z", "20060201T000000Z"), None).unwrap();
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 4);
    assert!(!out.contains("RRULE"));
    assert!(out.contains("RECURRENCE-ID:20060105T100000Z"));
    assert!(out.contains("DTSTART:20060110T100000Z"));
    assert!(out.contains("RECURRENCE-ID:20060103T100000Z"));
}

#[test]
fn todo_rules() {
    let todo = |props: &str| {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:t\r\n{props}END:VTODO\r\nEND:VCALENDAR\r\n")
    };
    let f = |tr| {
        let mut f = event_filter(tr);
        f.comps[0].name = "VTODO".into();
        f
    };
    let r = range("20060104T000000Z", "20060105T000000Z");
    assert!(matches_calendar(&f(r), &todo(""), None));
    assert!(matches_calendar(&f(r), &todo("DUE:20060104T120000Z\r\n"), None));
    assert!(!matches_calendar(&f(r), &todo("DUE:20060106T120000Z\r\n"), None));
    assert!(matches_calendar(
        &f(r),
        &todo("DTSTART:20060104T080000Z\r\nDURATION:PT1H\r\n"),
        None
    ));
    assert!(!matches_calendar(&f(r), &todo("DTSTART:20060105T080000Z\r\n"), None));
    assert!(matches_calendar(&f(r), &todo("CREATED:20060101T000000Z\r\n"), None));
}

#[test]
fn prop_and_param_filters() {
    let tm = |t: &str| TextMatch {
        text: t.into(),
        collation: Collation::AsciiCasemap,
        negate: false,
        match_type: MatchType::Contains,
    };
    let mut f = event_filter(range("20060101T000000Z", "20060201T000000Z"));
    f.comps[0].props.push(PropFilter {
        name: "SUMMARY".into(),
        is_not_defined: false,
        time_range: None,
        text_matches: vec![tm("move")],
        params: vec![],
        all_of: true,
    });
    assert!(matches_calendar(&f, RECUR, None));
    f.comps[0].props[0].text_matches = vec![tm("nothing")];
    assert!(!matches_calendar(&f, RECUR, None));
    let card =
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:Ann Example\r\nEMAIL;TYPE=work:ann@example.com\r\nEND:VCARD\r\n";
    let mut pf = PropFilter {
        name: "EMAIL".into(),
        is_not_defined: false,
        time_range: None,
        text_matches: vec![tm("ANN@")],
        params: vec![],
        all_of: false,
    };
    pf.params.push(crate::filter::ParamFilter {
        name: "TYPE".into(),
        is_not_defined: false,
        text_match: Some(tm("work")),
    });
    assert!(matches_card(
        &CardFilter {
            all_of: false,
            props: vec![pf.clone()]
        },
        card
    ));
    pf.params[0].text_match = Some(tm("home"));
    assert!(!matches_card(
        &CardFilter {
            all_of: false,
            props: vec![pf]
        },
        card
    ));
}

#[test]
fn validation() {
    assert_eq!(validate_calendar(RECUR).unwrap().uid, "r1");
    let two = RECUR.replace("UID:r1\r\nSEQUENCE", "UID:r2\r\nSEQUENCE");
    assert!(matches!(validate_calendar(&two), Err(DataError::InvalidObject(_))));
    assert!(matches!(validate_calendar("garbage"), Err(DataError::Unparseable(_))));
    assert_eq!(
        validate_calendar(""),
        Err(DataError::Unparseable("empty body or no BEGIN line".into()))
    );
    let m = RECUR.replace("VERSION:2.0\r\n", "VERSION:2.0\r\nMETHOD:REQUEST\r\n");
    assert!(validate_calendar(&m).is_err());
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:A\r\nEND:VCARD\r\n";
    assert_eq!(validate_vcard(card).unwrap(), ("c".to_owned(), "3.0".to_owned()));
    assert!(validate_vcard(RECUR).is_err());
}

#[test]
fn folds_long_lines() {
    let mut out = String::new();
    fold_into(&mut out, &format!("SUMMARY:{}", "é".repeat(60)));
    assert!(out.split("\r\n").all(|l| l.len() <= 75));
    let back = unfold(&out).join("");
    assert_eq!(back, format!("SUMMARY:{}", "é".repeat(60)));
}

#[test]
fn alarm_time_ranges() {
    assert_eq!(parse_duration("-PT15M"), Some(-900));
    assert_eq!(parse_duration("P1DT2H"), Some(93_600));
    assert_eq!(parse_duration("P2W"), Some(1_209_600));
    assert_eq!(parse_duration("PT"), Some(0));
    assert_eq!(parse_duration("1H"), None);
    assert_eq!(parse_duration("P99999999999999999W"), None);
    let ics = RECUR.replace(
        "SUMMARY:Daily\r\n",
        "SUMMARY:Daily\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n",
    );
    let mut f = event_filter(range("20060105T092000Z", "20060105T094000Z"));
    f.comps[0].time_range = None;
    f.comps[0].comps.push(CompFilter {
        name: "VALARM".into(),
        is_not_defined: false,
        time_range: Some(range("20060105T092000Z", "20060105T094000Z")),
        props: vec![],
        comps: vec![],
    });
    assert!(matches_calendar(&f, &ics, None), "alarm of the 5th at 09:30");
    f.comps[0].comps[0].time_range = Some(range("20060104T092000Z", "20060104T094000Z"));
    assert!(!matches_calendar(&f, &ics, None), "the 4th is excluded");
    assert!(!matches_calendar(&f, RECUR, None), "no alarm at all");
}

#[test]
fn impossible_rules_terminate() {
    for rule in [
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
        "FREQ=SECONDLY",
        "FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4",
        "FREQ=DAILY;BYSETPOS=400",
    ] {
        let ics = RECUR.replace("RRULE:FREQ=DAILY;COUNT=5", &format!("RRULE:{rule}"));
        let roots = Component::parse(&ics).unwrap();
        let n = instances(&ics, &roots[0]).len();
        assert!(n <= MAX_INSTANCES + 1, "{rule}: {n}");
    }
}

#[test]
fn floating_times_follow_the_collection_zone() {
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:f\r\nDTSTART:20240501T080000\r\n\
DTEND:20240501T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let vtz = "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n";
    let tzid = timezone_id(vtz);
    assert_eq!(tzid.as_deref(), Some("Europe/Berlin"));
    // 08:00 in Berlin (CEST) is 06:00Z.
    let f = event_filter(range("20240501T061500Z", "20240501T063000Z"));
    assert!(matches_calendar(&f, ics, tzid.as_deref()));
    assert!(!matches_calendar(&f, ics, None));
    let f = event_filter(range("20240501T081500Z", "20240501T083000Z"));
    assert!(matches_calendar(&f, ics, None));
    assert!(!matches_calendar(&f, ics, tzid.as_deref()));
}

#[test]
fn limit_recurrence_set_drops_far_overrides() {
    let out = limit_recurrence_set(RECUR, &range("20060101T000000Z", "20060105T000000Z"), None).unwrap();
    assert_eq!(
        out.matches("BEGIN:VEVENT").count(),
        1,
        "master only: the override moved to the 10th"
    );
    let out = limit_recurrence_set(RECUR, &range("20060110T000000Z", "20060111T000000Z"), None).unwrap();
    assert_eq!(out.matches("BEGIN:VEVENT").count(), 2);
    assert!(out.contains("RRULE:FREQ=DAILY;COUNT=5"));
}

#[test]
fn partial_retrieval() {
    let sel = CompSelect {
        name: "VCALENDAR".into(),
        all_props: true,
        props: vec![],
        all_comps: false,
        comps: vec![CompSelect {
            name: "VEVENT".into(),
            props: vec!["UID".into(), "SUMMARY".into()],
            ..Default::default()
        }],
    };
    let out = select_calendar(RECUR, &sel).unwrap();
    assert!(out.contains("PRODID") && out.contains("SUMMARY:Moved") && out.contains("UID:r1"));
    assert!(!out.contains("DTSTART") && !out.contains("RRULE"));
    let card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c\r\nFN:A\r\nEMAIL:a@b\r\nEND:VCARD\r\n";
    let out = select_card(card, &["FN".to_owned()]).unwrap();
    assert_eq!(out, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n");
}
