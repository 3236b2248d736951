use super::*;
use crate::{eas_to_ical, ical_to_eas};

const V: ProtocolVersion = ProtocolVersion::V16_1;

fn wrap(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n")
}

const TODO: &str = "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20240101T000000Z\r\nSUMMARY:Pay bills\r\n\
DESCRIPTION:electricity\r\nDTSTART;TZID=Europe/Berlin:20240301T090000\r\nDUE;VALUE=DATE:20240305\r\n\
PRIORITY:3\r\nCLASS:PRIVATE\r\nCATEGORIES:Home\r\nSTATUS:IN-PROCESS\r\nPERCENT-COMPLETE:40\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT30M\r\nDESCRIPTION:r\r\nEND:VALARM\r\nX-X:1\r\nEND:VTODO\r\n";

#[test]
fn fields_map() {
    let out = ical_to_eas(&wrap(TODO), ItemClass::Tasks, V).unwrap();
    let d = &out.application_data;
    let t = |tag| d.child_text(tag).map(str::to_owned);
    assert_eq!(t(k::SUBJECT).as_deref(), Some("Pay bills"));
    assert_eq!(t(k::START_DATE).as_deref(), Some("2024-03-01T09:00:00.000Z"));
    assert_eq!(t(k::UTC_START_DATE).as_deref(), Some("2024-03-01T08:00:00.000Z"));
    assert_eq!(t(k::DUE_DATE).as_deref(), Some("2024-03-05T00:00:00.000Z"));
    assert_eq!(t(k::IMPORTANCE).as_deref(), Some("2"));
    assert_eq!(t(k::SENSITIVITY).as_deref(), Some("2"));
    assert_eq!(t(k::COMPLETE).as_deref(), Some("0"));
    assert_eq!(t(k::REMINDER_SET).as_deref(), Some("1"));
    assert_eq!(t(k::REMINDER_TIME).as_deref(), Some("2024-03-01T07:30:00.000Z"));
    assert_eq!(out.uid.as_deref(), Some("t1"));
}

#[test]
fn round_trip_keeps_everything() {
    let out = ical_to_eas(&wrap(TODO), ItemClass::Tasks, V).unwrap();
    let ics = eas_to_ical(&out.application_data, ItemClass::Tasks, V, &out.residue).unwrap();
    let cal = crate::ical::parse(&ics).unwrap();
    let src = crate::ical::parse(&wrap(TODO)).unwrap();
    let a = cal.children_named("VTODO").next().unwrap();
    let b = src.children_named("VTODO").next().unwrap();
    let mut pa: Vec<String> = a.props.iter().map(|p| p.to_line()).collect();
    let mut pb: Vec<String> = b.props.iter().map(|p| p.to_line()).collect();
    pa.sort();
    pb.sort();
    assert_eq!(pa, pb);
    assert_eq!(a.children, b.children);
}

#[test]
fn completion_and_upstream_priority() {
    let out = ical_to_eas(&wrap(TODO), ItemClass::Tasks, V).unwrap();
    let mut d = out.application_data.clone();
    d.remove_all(k::COMPLETE);
    d.push_text(k::COMPLETE, "1");
    d.push_text(k::DATE_COMPLETED, "2024-03-02T10:00:00.000Z");
    d.remove_all(k::IMPORTANCE);
    d.push_text(k::IMPORTANCE, "0");
    let ics = eas_to_ical(&d, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(ics.contains("STATUS:COMPLETED"), "{ics}");
    assert!(!ics.contains("IN-PROCESS"));
    assert!(ics.contains("COMPLETED:20240302T100000Z"));
    assert!(ics.contains("PRIORITY:9"));
}

#[test]
fn recurring_task_and_errors() {
    let ics = wrap("BEGIN:VTODO\r\nUID:r\r\nDUE:20240105T170000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=FR\r\nEND:VTODO\r\n");
    let out = ical_to_eas(&ics, ItemClass::Tasks, V).unwrap();
    let r = out.application_data.find(k::RECURRENCE).unwrap();
    assert_eq!(r.child_text(k::START), Some("2024-01-05T17:00:00.000Z"));
    assert_eq!(r.child_text(k::DAY_OF_WEEK), Some("32"));
    let back = eas_to_ical(&out.application_data, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(back.contains("RRULE:FREQ=WEEKLY;BYDAY=FR"), "{back}");
    let bad = wrap("BEGIN:VTODO\r\nUID:r\r\nRRULE:FREQ=DAILY\r\nEND:VTODO\r\n");
    assert!(matches!(
        ical_to_eas(&bad, ItemClass::Tasks, V),
        Err(MapError::NotRepresentable { .. })
    ));
    let ev = wrap("BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20240101T000000Z\r\nEND:VEVENT\r\n");
    assert!(matches!(
        ical_to_eas(&ev, ItemClass::Tasks, V),
        Err(MapError::WrongClass { .. })
    ));
}

#[test]
fn outlook_date_only_due_reads_as_date() {
    let d = Element::new(airsync::APPLICATION_DATA)
        .with_text_child(k::SUBJECT, "x")
        .with_text_child(k::DUE_DATE, "2024-05-01T00:00:00.000Z")
        .with_text_child(k::UTC_DUE_DATE, "2024-04-30T22:00:00.000Z");
    let ics = eas_to_ical(&d, ItemClass::Tasks, V, &Residue::default()).unwrap();
    assert!(ics.contains("DUE;VALUE=DATE:20240501"), "{ics}");
}

const DUR_TODO: &str = "BEGIN:VTODO\r\nUID:d1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Two hours\r\n\
DTSTART;TZID=Europe/Berlin:20260110T100000\r\nDURATION:PT2H\r\nEND:VTODO\r\n";

/// RFC 5545 3.6.2: DUE and DURATION never both; the client's DURATION form
/// comes back while Exchange's due date still equals DTSTART + DURATION.
#[test]
fn duration_form_comes_back() {
    let out = ical_to_eas(&wrap(DUR_TODO), ItemClass::Tasks, V).unwrap();
    let d = &out.application_data;
    assert_eq!(d.child_text(k::UTC_DUE_DATE), Some("2026-01-10T11:00:00.000Z"));
    assert_eq!(d.child_text(k::DUE_DATE), Some("2026-01-10T12:00:00.000Z"));
    let ics = eas_to_ical(d, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(ics.contains("DURATION:PT2H"), "{ics}");
    assert!(!ics.contains("DUE"), "{ics}");
}

/// Exchange moved the due date: upstream wins, DUE is rendered and the kept
/// DURATION is dropped.
#[test]
fn duration_form_yields_to_upstream_due() {
    let out = ical_to_eas(&wrap(DUR_TODO), ItemClass::Tasks, V).unwrap();
    let mut d = out.application_data.clone();
    d.remove_all(k::UTC_DUE_DATE);
    d.remove_all(k::DUE_DATE);
    d.push_text(k::DUE_DATE, "2026-01-10T15:00:00.000Z");
    d.push_text(k::UTC_DUE_DATE, "2026-01-10T14:00:00.000Z");
    let ics = eas_to_ical(&d, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(ics.contains("DUE:20260110T140000Z"), "{ics}");
    assert!(!ics.contains("DURATION"), "{ics}");
}

/// DUE as DATE and as DATE-TIME both come back in the client's form.
#[test]
fn due_value_type_comes_back() {
    for due in [
        "DUE;VALUE=DATE:20260112",
        "DUE:20260112T170000Z",
        "DUE;TZID=Europe/Berlin:20260112T170000",
    ] {
        let src = wrap(&format!("BEGIN:VTODO\r\nUID:d2\r\nSUMMARY:x\r\n{due}\r\nEND:VTODO\r\n"));
        let out = ical_to_eas(&src, ItemClass::Tasks, V).unwrap();
        let ics = eas_to_ical(&out.application_data, ItemClass::Tasks, V, &out.residue).unwrap();
        assert!(ics.contains(&format!("{due}\r\n")), "{due}: {ics}");
    }
}

/// A DURATION without DTSTART (no due date in EAS) is not lost.
#[test]
fn duration_without_start_is_kept() {
    let src = wrap("BEGIN:VTODO\r\nUID:d3\r\nSUMMARY:x\r\nDURATION:PT1H\r\nEND:VTODO\r\n");
    let out = ical_to_eas(&src, ItemClass::Tasks, V).unwrap();
    assert!(out.application_data.find(k::DUE_DATE).is_none());
    let ics = eas_to_ical(&out.application_data, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(ics.contains("DURATION:PT1H\r\n"), "{ics}");
}

/// The client's RRULE spelling comes back on a recurring task too.
#[test]
fn rrule_spelling_comes_back() {
    let src =
        wrap("BEGIN:VTODO\r\nUID:r2\r\nDUE:20240105T170000Z\r\nRRULE:BYDAY=FR;INTERVAL=1;FREQ=WEEKLY\r\nEND:VTODO\r\n");
    let out = ical_to_eas(&src, ItemClass::Tasks, V).unwrap();
    let back = eas_to_ical(&out.application_data, ItemClass::Tasks, V, &out.residue).unwrap();
    assert!(back.contains("RRULE:BYDAY=FR;INTERVAL=1;FREQ=WEEKLY\r\n"), "{back}");
}
