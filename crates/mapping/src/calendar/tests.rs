use super::*;
use crate::{eas_to_ical, ical_to_eas};

const V14: ProtocolVersion = ProtocolVersion::V14_1;
const V16: ProtocolVersion = ProtocolVersion::V16_1;

fn wrap(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{body}END:VCALENDAR\r\n")
}

fn text(el: &Element, tag: wbxml::Tag) -> Option<String> {
    el.child_text(tag).map(str::to_owned)
}

const BERLIN: &str = "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20240101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20240704T100000\r\nDTEND;TZID=Europe/Berlin:20240704T113000\r\n\
SUMMARY:Team\\, weekly\r\nLOCATION:Room 1\r\nDESCRIPTION:line1\\nline2\r\nCLASS:CONFIDENTIAL\r\n\
TRANSP:TRANSPARENT\r\nCATEGORIES:A,B\\,C\r\nORGANIZER;CN=Boss:mailto:boss@example.com\r\n\
ATTENDEE;CN=Ann;ROLE=OPT-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=TRUE:mailto:ann@example.com\r\n\
ATTENDEE;CUTYPE=ROOM;PARTSTAT=NEEDS-ACTION:mailto:room@example.com\r\n\
X-MICROSOFT-DISALLOW-COUNTER:TRUE\r\nX-CUSTOM;X-P=1:kept\r\nCOLOR:red\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n\
BEGIN:VALARM\r\nACTION:EMAIL\r\nTRIGGER:-P1D\r\nSUMMARY:s\r\nDESCRIPTION:d\r\nATTENDEE:mailto:me@example.com\r\nEND:VALARM\r\n\
END:VEVENT\r\n";

#[test]
fn timed_event_fields_14() {
    let out = ical_to_eas(&wrap(BERLIN), ItemClass::Calendar, V14).unwrap();
    let d = &out.application_data;
    assert_eq!(text(d, c::START_TIME).as_deref(), Some("20240704T080000Z"));
    assert_eq!(text(d, c::END_TIME).as_deref(), Some("20240704T093000Z"));
    assert_eq!(text(d, c::SUBJECT).as_deref(), Some("Team, weekly"));
    assert_eq!(text(d, c::LOCATION).as_deref(), Some("Room 1"));
    assert_eq!(text(d, c::SENSITIVITY).as_deref(), Some("3"));
    assert_eq!(text(d, c::BUSY_STATUS).as_deref(), Some("0"));
    assert_eq!(text(d, c::REMINDER).as_deref(), Some("15"));
    assert_eq!(text(d, c::UID).as_deref(), Some("u1"));
    assert_eq!(text(d, c::ORGANIZER_EMAIL).as_deref(), Some("boss@example.com"));
    assert_eq!(text(d, c::MEETING_STATUS).as_deref(), Some("1"));
    assert_eq!(text(d, c::RESPONSE_REQUESTED).as_deref(), Some("1"));
    assert_eq!(text(d, c::DISALLOW_NEW_TIME_PROPOSAL).as_deref(), Some("1"));
    let body = d.find(asb::BODY).unwrap();
    assert_eq!(body.child_text(asb::DATA), Some("line1\r\nline2"));
    let cats: Vec<_> = d
        .find(c::CATEGORIES)
        .unwrap()
        .find_all(c::CATEGORY)
        .filter_map(|x| x.text())
        .collect();
    assert_eq!(cats, ["A", "B,C"]);
    let atts = fields::attendees_from(d.find(c::ATTENDEES).unwrap());
    assert_eq!(atts[0].kind, Some(2));
    assert_eq!(atts[0].status, Some(3));
    assert_eq!(atts[1].kind, Some(3));
    let blob = TzBlob::from_base64(&text(d, c::TIMEZONE).unwrap()).unwrap();
    assert_eq!(blob.standard_name, "W. Europe Standard Time");
    assert_eq!(out.uid.as_deref(), Some("u1"));
    assert!(out.residue.entries.iter().any(|e| e.line == "COLOR:red"));
}

#[test]
fn version_16_omits_client_forbidden_fields() {
    let out = ical_to_eas(&wrap(BERLIN), ItemClass::Calendar, V16).unwrap();
    let d = &out.application_data;
    for tag in [
        c::UID,
        c::DT_STAMP,
        c::ORGANIZER_EMAIL,
        c::ORGANIZER_NAME,
        c::LOCATION,
        c::EXCEPTIONS,
    ] {
        assert!(d.find(tag).is_none(), "{tag:?}");
    }
    assert_eq!(text(d, c::CLIENT_UID).as_deref(), Some("u1"));
    let loc = d.find(asb::LOCATION).unwrap();
    assert_eq!(loc.child_text(asb::DISPLAY_NAME), Some("Room 1"));
    for a in d.find(c::ATTENDEES).unwrap().find_all(c::ATTENDEE) {
        assert!(a.find(c::ATTENDEE_STATUS).is_none());
    }
}

/// Renders back and compares the mapped meaning plus the residue.
#[test]
fn round_trip_with_residue() {
    for v in [V14, V16] {
        let out = ical_to_eas(&wrap(BERLIN), ItemClass::Calendar, v).unwrap();
        let ics = eas_to_ical(&out.application_data, ItemClass::Calendar, v, &out.residue).unwrap();
        let cal = ical::parse(&ics).unwrap();
        let ev = cal.children_named("VEVENT").next().unwrap();
        assert_eq!(ev.prop("DTSTART").unwrap().param("TZID"), Some("Europe/Berlin"));
        assert_eq!(ev.prop("DTSTART").unwrap().value, "20240704T100000");
        assert_eq!(ev.prop("SUMMARY").unwrap().text(), "Team, weekly");
        assert_eq!(ev.prop("DESCRIPTION").unwrap().text(), "line1\nline2");
        assert_eq!(ev.prop("X-CUSTOM").unwrap().param("X-P"), Some("1"));
        assert_eq!(ev.prop("COLOR").unwrap().value, "red");
        assert_eq!(ev.prop("CLASS").unwrap().value, "CONFIDENTIAL");
        assert_eq!(ev.prop("TRANSP").unwrap().value, "TRANSPARENT");
        let room = ev.props_named("ATTENDEE").find(|p| p.value.contains("room")).unwrap();
        assert_eq!(room.param("CUTYPE"), Some("ROOM"));
        let alarms: Vec<_> = ev.children_named("VALARM").collect();
        assert_eq!(alarms.len(), 2);
        assert_eq!(alarms[0].prop("DESCRIPTION").unwrap().value, "x");
        assert_eq!(cal.prop("PRODID").unwrap().value, "-//test//EN");
        assert!(cal.children_named("VTIMEZONE").next().is_some());
        if v == V16 {
            // 16.x: the organizer comes from the server; without it none is rendered.
            assert!(ev.prop("ORGANIZER").is_none());
        } else {
            assert_eq!(ev.prop("ORGANIZER").unwrap().param("CN"), Some("Boss"));
        }
    }
}

#[test]
fn upstream_change_wins_for_mapped_fields() {
    let out = ical_to_eas(&wrap(BERLIN), ItemClass::Calendar, V14).unwrap();
    let mut d = out.application_data.clone();
    d.remove_all(c::SUBJECT);
    d.push_text(c::SUBJECT, "Renamed");
    d.remove_all(c::REMINDER);
    d.push_text(c::REMINDER, "30");
    let ics = eas_to_ical(&d, ItemClass::Calendar, V14, &out.residue).unwrap();
    let cal = ical::parse(&ics).unwrap();
    let ev = &cal.children_named("VEVENT").next().unwrap();
    assert_eq!(ev.props_named("SUMMARY").count(), 1);
    assert_eq!(ev.prop("SUMMARY").unwrap().text(), "Renamed");
    let first = ev.children_named("VALARM").next().unwrap();
    assert_eq!(first.prop("TRIGGER").unwrap().value, "-PT30M");
    assert_eq!(ev.prop("COLOR").unwrap().value, "red");
}

#[test]
fn all_day_both_versions() {
    let ics = wrap("BEGIN:VEVENT\r\nUID:d\r\nDTSTART;VALUE=DATE:20261007\r\nDTEND;VALUE=DATE:20261009\r\nSUMMARY:Trip\r\nEND:VEVENT\r\n");
    let o16 = ical_to_eas(&ics, ItemClass::Calendar, V16).unwrap();
    assert!(o16.application_data.find(c::TIMEZONE).is_none());
    assert_eq!(
        text(&o16.application_data, c::START_TIME).as_deref(),
        Some("20261007T000000Z")
    );
    assert_eq!(
        text(&o16.application_data, c::END_TIME).as_deref(),
        Some("20261009T000000Z")
    );
    let o14 = ical_to_eas(&ics, ItemClass::Calendar, V14).unwrap();
    let blob = TzBlob::from_base64(&text(&o14.application_data, c::TIMEZONE).unwrap()).unwrap();
    assert_eq!(blob.rules(), TzBlob::utc());
    // Exchange 14.1 style: local midnight in Berlin as UTC.
    let tzb = tz::blob_for_zone(&TimeZone::get("Europe/Berlin").unwrap(), 2026).blob;
    let d = Element::new(airsync::APPLICATION_DATA)
        .with_text_child(c::TIMEZONE, tzb.to_base64())
        .with_text_child(c::ALL_DAY_EVENT, "1")
        .with_text_child(c::START_TIME, "20261006T220000Z")
        .with_text_child(c::END_TIME, "20261007T220000Z");
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &Residue::default()).unwrap();
    assert!(back.contains("DTSTART;VALUE=DATE:20261007"), "{back}");
    assert!(back.contains("DTEND;VALUE=DATE:20261008"), "{back}");
    assert!(!back.contains("BEGIN:VTIMEZONE"));
}

const SERIES: &str = "BEGIN:VEVENT\r\nUID:s\r\nDTSTART;TZID=America/New_York:20240105T090000\r\n\
DURATION:PT1H\r\nRRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=10\r\nSUMMARY:Standup\r\n\
EXDATE;TZID=America/New_York:20240112T090000\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:s\r\nRECURRENCE-ID;TZID=America/New_York:20240119T090000\r\n\
DTSTART;TZID=America/New_York:20240119T100000\r\nDTEND;TZID=America/New_York:20240119T113000\r\n\
SUMMARY:Standup (moved)\r\nX-OV:1\r\nEND:VEVENT\r\n";

#[test]
fn series_with_exceptions_14() {
    let out = ical_to_eas(&wrap(SERIES), ItemClass::Calendar, V14).unwrap();
    let d = &out.application_data;
    let r = d.find(c::RECURRENCE).unwrap();
    assert_eq!(r.child_text(c::TYPE), Some("1"));
    assert_eq!(r.child_text(c::DAY_OF_WEEK), Some("32"));
    assert_eq!(r.child_text(c::OCCURRENCES), Some("10"));
    let exs: Vec<_> = d.find(c::EXCEPTIONS).unwrap().find_all(c::EXCEPTION).collect();
    assert_eq!(exs.len(), 2);
    assert_eq!(exs[0].child_text(c::DELETED), Some("1"));
    assert_eq!(exs[0].child_text(c::EXCEPTION_START_TIME), Some("20240112T140000Z"));
    assert_eq!(exs[1].child_text(c::EXCEPTION_START_TIME), Some("20240119T140000Z"));
    assert_eq!(exs[1].child_text(c::START_TIME), Some("20240119T150000Z"));
    assert_eq!(exs[1].child_text(c::SUBJECT), Some("Standup (moved)"));
    assert!(out.occurrence_edits.is_empty());

    let ics = eas_to_ical(d, ItemClass::Calendar, V14, &out.residue).unwrap();
    let cal = ical::parse(&ics).unwrap();
    let evs: Vec<_> = cal.children_named("VEVENT").collect();
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0].prop("EXDATE").unwrap().value, "20240112T090000");
    assert_eq!(evs[0].prop("RRULE").unwrap().value, "FREQ=WEEKLY;COUNT=10;BYDAY=FR");
    assert_eq!(evs[1].prop("RECURRENCE-ID").unwrap().value, "20240119T090000");
    assert_eq!(evs[1].prop("DTEND").unwrap().value, "20240119T113000");
    assert_eq!(evs[1].prop("X-OV").unwrap().value, "1");
}

#[test]
fn series_with_exceptions_16_uses_instance_edits() {
    let out = ical_to_eas(&wrap(SERIES), ItemClass::Calendar, V16).unwrap();
    assert!(out.application_data.find(c::EXCEPTIONS).is_none());
    assert_eq!(out.occurrence_edits.len(), 2);
    assert_eq!(out.occurrence_edits[0].instance_id, "20240112T140000Z");
    assert_eq!(out.occurrence_edits[0].kind, OccurrenceEditKind::Delete);
    let OccurrenceEditKind::Change(d) = &out.occurrence_edits[1].kind else {
        panic!()
    };
    assert!(d.find(c::TIMEZONE).is_none());
    assert_eq!(d.child_text(c::START_TIME), Some("20240119T150000Z"));
    // What EXO sends back: the master with InstanceId-keyed exceptions.
    let mut master = out.application_data.clone();
    master.push(
        Element::new(c::EXCEPTIONS).with_child(
            Element::new(c::EXCEPTION)
                .with_text_child(asb::INSTANCE_ID, "20240112T140000Z")
                .with_text_child(c::DELETED, "1"),
        ),
    );
    let ics = eas_to_ical(&master, ItemClass::Calendar, V16, &Residue::default()).unwrap();
    assert!(ics.contains("EXDATE;TZID=America/New_York:20240112T090000"), "{ics}");
}

#[test]
fn not_representable_and_invalid() {
    let cases = [
        ("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=HOURLY\r\nEND:VEVENT\r\n", "rrule"),
        ("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=DAILY\r\nRDATE:20240301T090000Z\r\nEND:VEVENT\r\n", "rdate"),
        ("BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20240101T090000Z\r\nRRULE:FREQ=DAILY\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\n", "two"),
        ("BEGIN:VEVENT\r\nUID:x\r\nRECURRENCE-ID:20240101T090000Z\r\nDTSTART:20240101T090000Z\r\nEND:VEVENT\r\n", "orphan"),
    ];
    for (body, what) in cases {
        let r = ical_to_eas(&wrap(body), ItemClass::Calendar, V14);
        assert!(matches!(r, Err(MapError::NotRepresentable { .. })), "{what}: {r:?}");
    }
    let invalid = [
        "BEGIN:VEVENT\r\nUID:x\r\nSUMMARY:no start\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Nowhere:20240101T090000\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:x\r\nDTSTART:2024-99\r\nEND:VEVENT\r\n",
    ];
    for body in invalid {
        let r = ical_to_eas(&wrap(body), ItemClass::Calendar, V14);
        assert!(matches!(r, Err(MapError::Invalid(_))), "{body}: {r:?}");
    }
    let todo = wrap("BEGIN:VTODO\r\nUID:t\r\nEND:VTODO\r\n");
    assert!(matches!(
        ical_to_eas(&todo, ItemClass::Calendar, V14),
        Err(MapError::WrongClass { .. })
    ));
}

#[test]
fn floating_time_comes_back_floating() {
    let ics = wrap("BEGIN:VEVENT\r\nUID:f\r\nDTSTART:20240101T090000\r\nDTEND:20240101T100000\r\nEND:VEVENT\r\n");
    let out = ical_to_eas(&ics, ItemClass::Calendar, V14).unwrap();
    let back = eas_to_ical(&out.application_data, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(back.contains("DTSTART:20240101T090000\r\n"), "{back}");
}

#[test]
fn custom_outlook_zone_keeps_the_client_tzid() {
    let body = "BEGIN:VTIMEZONE\r\nTZID:W. Europe (custom)\r\nBEGIN:STANDARD\r\nDTSTART:16010101T030000\r\n\
TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nEND:STANDARD\r\n\
BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n\
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n\
BEGIN:VEVENT\r\nUID:c\r\nDTSTART;TZID=W. Europe (custom):20240704T100000\r\nDURATION:PT30M\r\n\
RRULE:FREQ=DAILY;COUNT=3\r\nEND:VEVENT\r\n";
    let out = ical_to_eas(&wrap(body), ItemClass::Calendar, V14).unwrap();
    assert_eq!(
        text(&out.application_data, c::START_TIME).as_deref(),
        Some("20240704T080000Z")
    );
    let back = eas_to_ical(&out.application_data, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(
        back.contains("DTSTART;TZID=W. Europe (custom):20240704T100000"),
        "{back}"
    );
    assert_eq!(back.matches("BEGIN:VTIMEZONE").count(), 1);
}

#[test]
fn orphan_instance_renders_as_an_override() {
    let d = Element::new(airsync::APPLICATION_DATA)
        .with_text_child(c::TIMEZONE, TzBlob::utc().to_base64())
        .with_text_child(asb::INSTANCE_ID, "20240119T140000Z")
        .with_text_child(c::START_TIME, "20240119T150000Z")
        .with_text_child(c::END_TIME, "20240119T160000Z")
        .with_text_child(c::SUBJECT, "moved")
        .with_text_child(c::UID, "s");
    let ics = eas_to_ical(&d, ItemClass::Calendar, V16, &Residue::default()).unwrap();
    assert!(ics.contains("RECURRENCE-ID:20240119T140000Z"), "{ics}");
    assert!(ics.contains("DTSTART:20240119T150000Z"), "{ics}");
}

#[test]
fn bad_eas_data_is_a_typed_error() {
    let bad = [
        Element::new(airsync::APPLICATION_DATA).with_text_child(c::TIMEZONE, "AAAA"),
        Element::new(airsync::APPLICATION_DATA).with_text_child(c::START_TIME, "tomorrow"),
        Element::new(airsync::APPLICATION_DATA)
            .with_text_child(c::START_TIME, "20240101T000000Z")
            .with_child(Element::new(c::RECURRENCE).with_text_child(c::TYPE, "4")),
    ];
    for d in bad {
        let r = eas_to_ical(&d, ItemClass::Calendar, V14, &Residue::default());
        assert!(matches!(r, Err(MapError::BadEas(_))), "{r:?}");
    }
}

#[test]
fn rdate_equal_to_dtstart_is_kept_not_refused() {
    let body = "BEGIN:VEVENT\r\nUID:r\r\nDTSTART:20240101T090000Z\r\nRDATE:20240101T090000Z\r\n\
RRULE:FREQ=DAILY;COUNT=2\r\nEND:VEVENT\r\n";
    let out = ical_to_eas(&wrap(body), ItemClass::Calendar, V14).unwrap();
    let back = eas_to_ical(&out.application_data, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(back.contains("RDATE:20240101T090000Z"), "{back}");
}

#[test]
fn upstream_uncancel_wins_over_kept_status() {
    let body = "BEGIN:VEVENT\r\nUID:k\r\nDTSTART:20240101T090000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n";
    let out = ical_to_eas(&wrap(body), ItemClass::Calendar, V14).unwrap();
    assert_eq!(text(&out.application_data, c::MEETING_STATUS).as_deref(), Some("5"));
    let mut d = out.application_data.clone();
    d.remove_all(c::MEETING_STATUS);
    d.push_text(c::MEETING_STATUS, "0");
    let back = eas_to_ical(&d, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(!back.contains("CANCELLED"), "{back}");
    let kept = wrap("BEGIN:VEVENT\r\nUID:k\r\nDTSTART:20240101T090000Z\r\nSTATUS:CONFIRMED\r\nEND:VEVENT\r\n");
    let out = ical_to_eas(&kept, ItemClass::Calendar, V14).unwrap();
    let back = eas_to_ical(&out.application_data, ItemClass::Calendar, V14, &out.residue).unwrap();
    assert!(back.contains("STATUS:CONFIRMED"), "{back}");
}

#[test]
fn client_uid_survives_exchange_assigning_its_own() {
    // Exchange 16.x replaces the UID and need not echo ClientUid: the DAV
    // client must still get back the UID it wrote.
    let out = ical_to_eas(&wrap(BERLIN), ItemClass::Calendar, V16).unwrap();
    let mut server = out.application_data.clone();
    server.remove_all(c::CLIENT_UID);
    server.push_text(c::UID, "040000008200E00074C5B7101A82E008000000001122334455");
    let back = eas_to_ical(&server, ItemClass::Calendar, V16, &out.residue).unwrap();
    assert!(back.contains("UID:u1\r\n"), "{back}");
    assert!(!back.contains("040000008200E000"), "{back}");
    // Without a residue (an item created in Exchange) Exchange's UID is used.
    let plain = eas_to_ical(&server, ItemClass::Calendar, V16, &Residue::default()).unwrap();
    assert!(plain.contains("040000008200E000"), "{plain}");
}
