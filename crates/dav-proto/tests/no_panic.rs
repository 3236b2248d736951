//! Untrusted input never panics: arbitrary bytes and mutated real requests through every parser.

use dav_proto::filter::{CompFilter, TimeRange};
use dav_proto::ical;
use dav_proto::request::{parse_proppatch, MkCol, PropFind, Report};
use dav_proto::xml::Element;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>x</d:sync-token><d:limit><d:nresults>5</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>"#,
    r#"<c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data><c:expand start="20060103T000000Z" end="20060105T000000Z"/></c:calendar-data></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"><c:time-range start="20060104T000000Z"/><c:prop-filter name="SUMMARY"><c:text-match>x</c:text-match></c:prop-filter></c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"#,
    r#"<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>W</d:displayname></d:prop></d:set></d:propertyupdate>"#,
];

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTART:20060102T100000Z\r\n\
DURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:20060104T100000Z\r\nBEGIN:VALARM\r\nTRIGGER:-PT5M\r\n\
END:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

fn all_parsers(b: &[u8]) {
    let _ = Element::parse(b);
    let _ = PropFind::parse(b);
    let _ = Report::parse(b);
    let _ = parse_proppatch(b);
    let _ = MkCol::parse(b);
}

fn all_ical(s: &str) {
    let _ = ical::validate_calendar(s);
    let _ = ical::validate_vcard(s);
    let tr = TimeRange {
        start: Some(0),
        end: Some(4_000_000_000),
    };
    let f = CompFilter {
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
    };
    let _ = ical::matches_calendar(&f, s, None);
    let _ = ical::expand(s, &tr, Some("Europe/Berlin"));
    let _ = ical::busy_periods(s, &tr, None);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn xml_bytes(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        all_parsers(&b);
    }

    #[test]
    fn mutated_requests(seed in 0..SEEDS.len(), cut in 0usize..600, junk in "[<>/=\"a-z:&;# ]{0,12}") {
        let s = SEEDS[seed];
        let at = cut.min(s.len());
        let at = (0..=at).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        let m = format!("{}{}{}", &s[..at], junk, &s[at..]);
        all_parsers(m.as_bytes());
    }

    #[test]
    fn mutated_calendars(cut in 0usize..400, junk in "[A-Z:;=,\r\n0-9T-]{0,16}") {
        let at = cut.min(ICS.len());
        let m = format!("{}{}{}", &ICS[..at], junk, &ICS[at..]);
        all_ical(&m);
    }

    #[test]
    fn arbitrary_text(s in "\\PC{0,300}") {
        all_ical(&s);
    }
}
