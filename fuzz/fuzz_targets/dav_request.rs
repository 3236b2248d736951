//! Fuzz target: arbitrary bytes through every DAV request-body parser of
//! `dav-proto` (XML tree, PROPFIND, PROPPATCH, MKCOL/MKCALENDAR, REPORT) and,
//! when the bytes are UTF-8, through the iCalendar/vCard adapter used for PUT
//! validation, recurrence expansion and query filters. Nothing may panic;
//! deeply nested or huge XML must be refused with an error (never a stack
//! overflow), which the target asserts. A parsed REPORT's filter and time
//! ranges are also evaluated against a fixed recurring event and a fixed vCard.
//! Seed with DAV request bodies plus `../../shared/corpus/ical` and
//! `../../shared/corpus/vcard`.
#![no_main]

use dav_proto::filter::{CompFilter, TimeRange};
use dav_proto::ical;
use dav_proto::request::{parse_proppatch, DataRequest, MkCol, PropFind, Report, ReportProps};
use dav_proto::xml::{Element, MAX_DEPTH, MAX_ELEMENTS};
use libfuzzer_sys::fuzz_target;

const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//fuzz//EN\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\n\
TZOFFSETTO:+0100\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\n\
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n\
END:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20060101T000000Z\r\n\
DTSTART;TZID=Europe/Berlin:20060102T100000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
EXDATE;TZID=Europe/Berlin:20060104T100000\r\nSUMMARY:Meeting\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com\r\n\
BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20060101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Berlin:20060103T100000\r\n\
DTSTART;TZID=Europe/Berlin:20060103T120000\r\nDURATION:PT2H\r\nSUMMARY:Moved\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const VCF: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Ann Example\r\nN:Example;Ann;;;\r\n\
EMAIL;TYPE=work:ann@example.com\r\nTEL;TYPE=cell:+49 30 1234\r\nNICKNAME:annie\r\nEND:VCARD\r\n";

fn data_ranges(props: &ReportProps, out: &mut Vec<TimeRange>) {
    if let Some(DataRequest {
        expand, limit_recurrence, ..
    }) = &props.data
    {
        out.extend(expand.iter().chain(limit_recurrence.iter()).copied());
    }
}

fn xml_parsers(data: &[u8]) {
    match Element::parse(data) {
        Ok(root) => {
            let _ = root.to_xml();
        }
        Err(dav_proto::ProtoError::TooDeep(d)) => assert_eq!(d, MAX_DEPTH),
        Err(dav_proto::ProtoError::TooManyElements(n)) => assert_eq!(n, MAX_ELEMENTS),
        Err(_) => {}
    }
    let _ = PropFind::parse(data);
    let _ = parse_proppatch(data);
    let _ = MkCol::parse(data);
    let Ok(report) = Report::parse(data) else { return };
    let mut ranges = Vec::new();
    match &report {
        Report::CalendarQuery { props, filter } => {
            data_ranges(props, &mut ranges);
            if let Some(f) = filter {
                let _ = ical::matches_calendar(f, ICS, None);
                let _ = ical::matches_calendar(f, ICS, Some("America/New_York"));
            }
        }
        Report::AddressbookQuery { props, filter, .. } => {
            data_ranges(props, &mut ranges);
            let _ = ical::matches_card(filter, VCF);
        }
        Report::CalendarMultiget { props, .. }
        | Report::AddressbookMultiget { props, .. }
        | Report::SyncCollection { props, .. } => data_ranges(props, &mut ranges),
        Report::FreeBusyQuery(tr) => ranges.push(*tr),
        _ => {}
    }
    for tr in &ranges {
        let _ = ical::expand(ICS, tr, Some("Europe/Berlin"));
        let _ = ical::limit_recurrence_set(ICS, tr, None);
        let _ = ical::busy_periods(ICS, tr, None);
    }
}

fn ical_adapter(text: &str) {
    let _ = ical::validate_calendar(text);
    let _ = ical::validate_vcard(text);
    let _ = ical::parse_duration(text);
    let tzid = ical::timezone_id(text);
    if let Ok(roots) = ical::Component::parse(text) {
        for root in &roots {
            let mut out = String::new();
            root.write(&mut out);
            let _ = ical::instances_until(text, root, Some(1_200_000_000), tzid.as_deref());
        }
        if let Some(root) = roots.first() {
            let _ = ical::instances(text, root);
        }
    }
    let tr = TimeRange {
        start: Some(1_136_073_600),
        end: Some(1_167_609_600),
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
    let _ = ical::matches_calendar(&f, text, Some("Europe/Berlin"));
    let _ = ical::expand(text, &tr, Some("Europe/Berlin"));
    let _ = ical::limit_recurrence_set(text, &tr, None);
    let _ = ical::busy_periods(text, &tr, None);
    let _ = ical::matches_card(&Default::default(), text);
}

fuzz_target!(|data: &[u8]| {
    xml_parsers(data);
    if let Ok(text) = std::str::from_utf8(data) {
        ical_adapter(text);
    }
});
