//! The client's own equivalent forms (DURATION vs DTEND, no DTEND, cancelled
//! overrides) come back while Exchange still means the same.

use super::*;
use crate::{eas_to_ical, ical_to_eas};

const V14: ProtocolVersion = ProtocolVersion::V14_1;
const V16: ProtocolVersion = ProtocolVersion::V16_1;

fn wrap(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

/// Maps to EAS and back: 14.1 directly, 16.1 through the InstanceId form
/// the server returns.
fn round_trip(src: &str, v: ProtocolVersion) -> (ToEas, String) {
    let out = ical_to_eas(&wrap(src), ItemClass::Calendar, v).unwrap();
    let data = with_exceptions(&out.application_data, &out.occurrence_edits);
    let back = eas_to_ical(&data, ItemClass::Calendar, v, &out.residue).unwrap();
    (out, back)
}

fn events(ics: &str) -> Vec<Component> {
    ical::parse(ics)
        .unwrap()
        .children
        .into_iter()
        .filter(|c| c.name == "VEVENT")
        .collect()
}

const DUR_SERIES: &str = "BEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20260101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20260105T090000\r\nDURATION:PT1H30M\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
SUMMARY:d\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:d\r\nDTSTAMP:20260101T000000Z\r\n\
RECURRENCE-ID;TZID=Europe/Berlin:20260106T090000\r\nDTSTART;TZID=Europe/Berlin:20260106T100000\r\n\
DURATION:PT45M\r\nSUMMARY:d moved\r\nEND:VEVENT\r\n";

/// A VEVENT (and an override) written with DURATION comes back with
/// DURATION and without DTEND.
#[test]
fn event_duration_form_comes_back() {
    for v in [V14, V16] {
        let (out, back) = round_trip(DUR_SERIES, v);
        assert_eq!(out.application_data.child_text(c::END_TIME), Some("20260105T093000Z"));
        let evs = events(&back);
        assert_eq!(evs.len(), 2, "{back}");
        assert_eq!(
            evs[0].prop("DURATION").map(|p| p.value.as_str()),
            Some("PT1H30M"),
            "{back}"
        );
        assert!(evs[0].prop("DTEND").is_none(), "{back}");
        assert_eq!(
            evs[1].prop("DURATION").map(|p| p.value.as_str()),
            Some("PT45M"),
            "{back}"
        );
        assert!(evs[1].prop("DTEND").is_none(), "{back}");
    }
}

/// Exchange changed the end: upstream wins, DTEND is rendered and the kept
/// DURATION is dropped.
#[test]
fn event_duration_form_yields_to_upstream_end() {
    let out = ical_to_eas(&wrap(DUR_SERIES), ItemClass::Calendar, V14).unwrap();
    let mut d = out.application_data.clone();
    d.remove_all(c::END_TIME);
    d.push_text(c::END_TIME, "20260105T100000Z");
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &out.residue).unwrap();
    let evs = events(&back);
    assert_eq!(
        evs[0].prop("DTEND").map(|p| p.value.as_str()),
        Some("20260105T110000"),
        "{back}"
    );
    assert!(evs[0].prop("DURATION").is_none(), "{back}");
    // The override's own end is unchanged: its DURATION stays.
    assert_eq!(
        evs[1].prop("DURATION").map(|p| p.value.as_str()),
        Some("PT45M"),
        "{back}"
    );
}

/// DTSTART;VALUE=DATE without DTEND (one day) and a timed DTSTART without
/// DTEND (zero length) come back without DTEND.
#[test]
fn no_end_form_comes_back() {
    for v in [V14, V16] {
        let (_, back) = round_trip(
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260110\r\nSUMMARY:a\r\nEND:VEVENT\r\n",
            v,
        );
        assert!(back.contains("DTSTART;VALUE=DATE:20260110\r\n"), "{back}");
        assert!(!back.contains("DTEND"), "{back}");
        let (_, back) = round_trip(
            "BEGIN:VEVENT\r\nUID:t\r\nDTSTART:20260110T090000Z\r\nSUMMARY:t\r\nEND:VEVENT\r\n",
            v,
        );
        assert!(back.contains("DTSTART:20260110T090000Z\r\n"), "{back}");
        assert!(!back.contains("DTEND"), "{back}");
    }
    // Upstream made the all-day event two days long: DTEND appears.
    let out = ical_to_eas(
        &wrap("BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260110\r\nEND:VEVENT\r\n"),
        ItemClass::Calendar,
        V14,
    )
    .unwrap();
    let mut d = out.application_data.clone();
    d.remove_all(c::END_TIME);
    d.push_text(c::END_TIME, "20260112T000000Z");
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(back.contains("DTEND;VALUE=DATE:20260112"), "{back}");
}

/// An all-day event given with DURATION:P1D keeps that form.
#[test]
fn all_day_duration_comes_back() {
    let (_, back) = round_trip(
        "BEGIN:VEVENT\r\nUID:p\r\nDTSTART;VALUE=DATE:20260110\r\nDURATION:P2D\r\nEND:VEVENT\r\n",
        V16,
    );
    assert!(back.contains("DURATION:P2D\r\n"), "{back}");
    assert!(!back.contains("DTEND"), "{back}");
}

const CANCELLED: &str = "BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T120000Z\r\n\
DTEND:20260105T130000Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\nSUMMARY:c\r\nEXDATE:20260107T120000Z\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260106T120000Z\r\n\
DTSTART:20260106T120000Z\r\nDTEND:20260106T130000Z\r\nSEQUENCE:1\r\nSTATUS:CANCELLED\r\nSUMMARY:c\r\nEND:VEVENT\r\n";

/// A RECURRENCE-ID override with STATUS:CANCELLED is a deleted occurrence
/// for Exchange, and comes back as the client's cancelled override (not as
/// an EXDATE) while Exchange still has that occurrence deleted.
#[test]
fn cancelled_override_comes_back() {
    let out14 = ical_to_eas(&wrap(CANCELLED), ItemClass::Calendar, V14).unwrap();
    let exs: Vec<_> = out14
        .application_data
        .find(c::EXCEPTIONS)
        .unwrap()
        .find_all(c::EXCEPTION)
        .collect();
    assert_eq!(exs.len(), 2);
    assert_eq!(exs[0].child_text(c::EXCEPTION_START_TIME), Some("20260106T120000Z"));
    assert_eq!(exs[0].child_text(c::DELETED), Some("1"));
    assert!(exs[0].find(c::SUBJECT).is_none());
    let out16 = ical_to_eas(&wrap(CANCELLED), ItemClass::Calendar, V16).unwrap();
    assert!(out16
        .occurrence_edits
        .iter()
        .all(|e| e.kind == OccurrenceEditKind::Delete));
    assert!(out16
        .occurrence_edits
        .iter()
        .any(|e| e.instance_id == "20260106T120000Z"));
    for v in [V14, V16] {
        let (_, back) = round_trip(CANCELLED, v);
        let evs = events(&back);
        assert_eq!(evs.len(), 2, "{back}");
        let exdates: Vec<_> = evs[0].props_named("EXDATE").map(|p| p.value.as_str()).collect();
        assert_eq!(exdates, ["20260107T120000Z"], "{back}");
        assert_eq!(
            evs[1].prop("RECURRENCE-ID").map(|p| p.value.as_str()),
            Some("20260106T120000Z")
        );
        assert_eq!(
            evs[1].prop("STATUS").map(|p| p.value.as_str()),
            Some("CANCELLED"),
            "{back}"
        );
        assert_eq!(evs[1].prop("SEQUENCE").map(|p| p.value.as_str()), Some("1"), "{back}");
    }
    // Exchange no longer has the occurrence deleted (e.g. the series was
    // rewritten upstream): upstream wins, the kept override is not rendered.
    let mut d = out14.application_data.clone();
    d.remove_all(c::EXCEPTIONS);
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &out14.residue).unwrap();
    assert_eq!(events(&back).len(), 1, "{back}");
    assert!(!back.contains("CANCELLED"), "{back}");
}

/// A cancelled override at an instant the client also lists in EXDATE is
/// sent once.
#[test]
fn cancelled_override_and_exdate_are_one_deletion() {
    let src = CANCELLED.replace("EXDATE:20260107T120000Z", "EXDATE:20260106T120000Z");
    let out = ical_to_eas(&wrap(&src), ItemClass::Calendar, V14).unwrap();
    assert_eq!(
        out.application_data
            .find(c::EXCEPTIONS)
            .unwrap()
            .find_all(c::EXCEPTION)
            .count(),
        1
    );
    let out = ical_to_eas(&wrap(&src), ItemClass::Calendar, V16).unwrap();
    assert_eq!(out.occurrence_edits.len(), 1);
}

/// The client's RRULE spelling (part order, INTERVAL=1, UNTIL form) comes
/// back while the EAS recurrence is unchanged; an upstream change wins.
#[test]
fn rrule_spelling_comes_back() {
    let src = "BEGIN:VEVENT\r\nUID:r\r\nDTSTART;TZID=Europe/Berlin:20260105T090000\r\nDTEND;TZID=Europe/Berlin:20260105T100000\r\n\
RRULE:BYDAY=MO,WE;INTERVAL=1;FREQ=WEEKLY;UNTIL=20260301T000000Z\r\nEND:VEVENT\r\n";
    for v in [V14, V16] {
        let (_, back) = round_trip(src, v);
        assert!(
            back.contains("RRULE:BYDAY=MO,WE;INTERVAL=1;FREQ=WEEKLY;UNTIL=20260301T000000Z\r\n"),
            "{back}"
        );
    }
    let out = ical_to_eas(&wrap(src), ItemClass::Calendar, V14).unwrap();
    let mut d = out.application_data.clone();
    let mut r = d.find(c::RECURRENCE).unwrap().clone();
    r.remove_all(c::DAY_OF_WEEK);
    r.push_text(c::DAY_OF_WEEK, "2");
    d.remove_all(c::RECURRENCE);
    d.push(r);
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(back.contains("RRULE:FREQ=WEEKLY;"), "{back}");
    assert!(back.contains("BYDAY=MO\r\n") || back.contains("BYDAY=MO;"), "{back}");
}

/// RFC 5545 3.3.6: DURATION days are nominal; P1D across the spring DST
/// change in Berlin is 23 hours, and the DURATION form still comes back.
#[test]
fn nominal_duration_days_across_dst() {
    let src =
        "BEGIN:VEVENT\r\nUID:n\r\nDTSTART;TZID=Europe/Berlin:20260328T120000\r\nDURATION:P1DT1H\r\nEND:VEVENT\r\n";
    for v in [V14, V16] {
        let (out, back) = round_trip(src, v);
        assert_eq!(out.application_data.child_text(c::START_TIME), Some("20260328T110000Z"));
        assert_eq!(out.application_data.child_text(c::END_TIME), Some("20260329T110000Z"));
        assert!(back.contains("DURATION:P1DT1H\r\n"), "{back}");
        assert!(!back.contains("DTEND"), "{back}");
    }
}
