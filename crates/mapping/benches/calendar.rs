//! Objects mapped per second: parse + map + WBXML encode, for a simple event
//! and for a recurring event with exceptions (14.1 and 16.1).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mapping::{ical_to_eas, ItemClass, ProtocolVersion};

const SIMPLE: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:simple-1\r\n\
DTSTAMP:20240101T000000Z\r\nDTSTART;TZID=Europe/Berlin:20240704T100000\r\nDTEND;TZID=Europe/Berlin:20240704T110000\r\n\
SUMMARY:Lunch\r\nLOCATION:Cafe\r\nDESCRIPTION:Bring the notes\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
DESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

const RECURRING: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:series-1\r\n\
DTSTAMP:20240101T000000Z\r\nDTSTART;TZID=America/New_York:20240105T090000\r\nDURATION:PT1H\r\n\
RRULE:FREQ=WEEKLY;BYDAY=FR;COUNT=52\r\nSUMMARY:Standup\r\nEXDATE;TZID=America/New_York:20240112T090000\r\n\
EXDATE;TZID=America/New_York:20240126T090000\r\n\
ATTENDEE;CN=Ann;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:ann@example.com\r\n\
ATTENDEE;CN=Bob;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:bob@example.com\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:series-1\r\nRECURRENCE-ID;TZID=America/New_York:20240119T090000\r\n\
DTSTART;TZID=America/New_York:20240119T100000\r\nDTEND;TZID=America/New_York:20240119T110000\r\n\
SUMMARY:Standup (moved)\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:series-1\r\n\
RECURRENCE-ID;TZID=America/New_York:20240202T090000\r\nDTSTART;TZID=America/New_York:20240202T093000\r\n\
DTEND;TZID=America/New_York:20240202T103000\r\nSUMMARY:Standup (late)\r\nLOCATION:Room 2\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("ical_to_eas_wbxml");
    g.throughput(Throughput::Elements(1));
    for (name, ics) in [("simple_event", SIMPLE), ("recurring_with_exceptions", RECURRING)] {
        for v in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
            g.bench_function(format!("{name}/{v}"), |b| {
                b.iter(|| {
                    let out = ical_to_eas(std::hint::black_box(ics), ItemClass::Calendar, v).unwrap();
                    let mut n = wbxml::encode(&out.application_data).len();
                    for e in &out.occurrence_edits {
                        if let mapping::OccurrenceEditKind::Change(d) = &e.kind {
                            n += wbxml::encode(d).len();
                        }
                    }
                    n
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
