//! The demo's mailbox content: a realistic week of appointments, tasks and
//! contacts, dated relative to today so that they show up in the current
//! and next week of any calendar app. Written as iCalendar/vCard (what a
//! DAV client would have sent) and mapped to ActiveSync with `mapping`, as
//! if another device had created them in Exchange.

use jiff::civil::{Date, Weekday};

/// One demo object: the folder class it goes to and its text.
#[derive(Debug, Clone)]
pub struct DemoItem {
    /// `Calendar`, `Tasks` or `Contacts`.
    pub class: mapping::ItemClass,
    /// iCalendar or vCard text.
    pub text: String,
}

const TZ: &str = "Europe/Berlin";

fn ical(body: &str) -> String {
    format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easdav//demo//EN\r\n{body}END:VCALENDAR\r\n")
}

fn d(date: Date) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

fn on(week_start: Date, wd: Weekday, plus_weeks: i64) -> Date {
    let offset = i64::from(wd.to_monday_zero_offset()) + 7 * plus_weeks;
    week_start
        .checked_add(jiff::Span::new().days(offset))
        .unwrap_or(week_start)
}

/// The demo content for `user` (`alice` gets the full set, others a smaller one).
pub fn items(user: &str, today: Date) -> Vec<DemoItem> {
    let monday = today
        .checked_sub(jiff::Span::new().days(i64::from(today.weekday().to_monday_zero_offset())))
        .unwrap_or(today);
    let stamp = format!("{}T080000Z", d(monday));
    let mut out = Vec::new();
    let mut event = |uid: &str, body: String| {
        out.push(DemoItem {
            class: mapping::ItemClass::Calendar,
            text: ical(&format!(
                "BEGIN:VEVENT\r\nUID:{uid}-{user}@demo.easdav\r\nDTSTAMP:{stamp}\r\n{body}END:VEVENT\r\n"
            )),
        });
    };
    let tue = on(monday, Weekday::Tuesday, 0);
    let tue_next = on(monday, Weekday::Tuesday, 1);
    let tue_skip = on(monday, Weekday::Tuesday, 2);
    event(
        "team-sync",
        format!(
            "DTSTART;TZID={TZ}:{t}T093000\r\nDTEND;TZID={TZ}:{t}T100000\r\nSUMMARY:Team sync\r\n\
             LOCATION:Room 4.12 / Teams\r\nDESCRIPTION:Weekly status round. Bring blockers.\r\n\
             RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=26\r\nEXDATE;TZID={TZ}:{s}T093000\r\n\
             BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Team sync\r\nTRIGGER:-PT10M\r\nEND:VALARM\r\n",
            t = d(tue),
            s = d(tue_skip)
        ),
    );
    if user == "alice" {
        // The second week's sync moves to 11:00 (an exception of the series).
        let last = out.pop();
        if let Some(mut series) = last {
            let moved = format!(
                "BEGIN:VEVENT\r\nUID:team-sync-{user}@demo.easdav\r\nDTSTAMP:{stamp}\r\n\
                 RECURRENCE-ID;TZID={TZ}:{n}T093000\r\nDTSTART;TZID={TZ}:{n}T110000\r\n\
                 DTEND;TZID={TZ}:{n}T113000\r\nSUMMARY:Team sync (moved)\r\nLOCATION:Room 4.12 / Teams\r\nEND:VEVENT\r\n",
                n = d(tue_next)
            );
            series.text = series
                .text
                .replace("END:VCALENDAR\r\n", &format!("{moved}END:VCALENDAR\r\n"));
            out.push(series);
        }
    }
    let mut event = |uid: &str, body: String| {
        out.push(DemoItem {
            class: mapping::ItemClass::Calendar,
            text: ical(&format!(
                "BEGIN:VEVENT\r\nUID:{uid}-{user}@demo.easdav\r\nDTSTAMP:{stamp}\r\n{body}END:VEVENT\r\n"
            )),
        });
    };
    let thu = on(monday, Weekday::Thursday, 0);
    event(
        "dentist",
        format!(
            "DTSTART;TZID={TZ}:{t}T150000\r\nDTEND;TZID={TZ}:{t}T154500\r\nSUMMARY:Dentist\r\n\
             LOCATION:Dr. Weiss, Hauptstr. 5\r\nCLASS:PRIVATE\r\n\
             BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Dentist\r\nTRIGGER:-PT30M\r\nEND:VALARM\r\n",
            t = d(thu)
        ),
    );
    let wed_next = on(monday, Weekday::Wednesday, 1);
    let fri_next = on(monday, Weekday::Friday, 1);
    event(
        "offsite",
        format!(
            "DTSTART;VALUE=DATE:{a}\r\nDTEND;VALUE=DATE:{b}\r\nSUMMARY:Company offsite\r\n\
             LOCATION:Lakeside Hotel\r\nTRANSP:OPAQUE\r\n",
            a = d(wed_next),
            b = d(fri_next)
        ),
    );
    let fri = on(monday, Weekday::Friday, 0);
    event(
        "lunch",
        format!(
            "DTSTART;TZID={TZ}:{t}T123000\r\nDTEND;TZID={TZ}:{t}T133000\r\nSUMMARY:Lunch with Bob\r\n\
             LOCATION:Trattoria Roma\r\nORGANIZER;CN=Alice Demo:mailto:alice@demo.easdav\r\n\
             ATTENDEE;CN=Bob Demo;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@demo.easdav\r\n\
             ATTENDEE;CN=Carol Meyer;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:carol@example.org\r\n",
            t = d(fri)
        ),
    );
    let first = today.first_of_month();
    let to_monday = (7 - i64::from(first.weekday().to_monday_zero_offset())) % 7;
    let first_monday = first.checked_add(jiff::Span::new().days(to_monday)).unwrap_or(first);
    event(
        "monthly-review",
        format!(
            "DTSTART;TZID={TZ}:{t}T140000\r\nDTEND;TZID={TZ}:{t}T150000\r\nSUMMARY:Monthly review\r\n\
             RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=12\r\nCATEGORIES:Work,Review\r\n",
            t = d(first_monday)
        ),
    );
    let bday = on(monday, Weekday::Saturday, 0);
    event(
        "birthday",
        format!(
            "DTSTART;VALUE=DATE:{a}\r\nDTEND;VALUE=DATE:{b}\r\nSUMMARY:Mum's birthday\r\n\
             RRULE:FREQ=YEARLY\r\nTRANSP:TRANSPARENT\r\nCATEGORIES:Family\r\n",
            a = d(bday),
            b = d(bday.checked_add(jiff::Span::new().days(1)).unwrap_or(bday))
        ),
    );
    let mut task = |uid: &str, body: String| {
        out.push(DemoItem {
            class: mapping::ItemClass::Tasks,
            text: ical(&format!(
                "BEGIN:VTODO\r\nUID:{uid}-{user}@demo.easdav\r\nDTSTAMP:{stamp}\r\n{body}END:VTODO\r\n"
            )),
        });
    };
    let tomorrow = today.checked_add(jiff::Span::new().days(1)).unwrap_or(today);
    task(
        "expenses",
        format!(
            "SUMMARY:Submit travel expenses\r\nDUE;VALUE=DATE:{}\r\nPRIORITY:1\r\n",
            d(tomorrow)
        ),
    );
    task(
        "slides",
        format!(
            "SUMMARY:Prepare offsite slides\r\nDUE;VALUE=DATE:{}\r\nDESCRIPTION:Roadmap and Q&A.\r\nPRIORITY:5\r\n",
            d(wed_next)
        ),
    );
    task(
        "plants",
        "SUMMARY:Water the office plants\r\nSTATUS:COMPLETED\r\nPERCENT-COMPLETE:100\r\n".to_owned(),
    );
    let mut contact = |text: &str| {
        out.push(DemoItem {
            class: mapping::ItemClass::Contacts,
            text: text.replace('\n', "\r\n"),
        });
    };
    contact(
        "BEGIN:VCARD\nVERSION:3.0\nUID:bob@demo.easdav\nFN:Bob Demo\nN:Demo;Bob;;;\nORG:Example GmbH;Sales\n\
         TITLE:Account Manager\nEMAIL;TYPE=WORK:bob@demo.easdav\nTEL;TYPE=CELL:+49 170 1234567\n\
         TEL;TYPE=WORK:+49 30 1234567\nADR;TYPE=WORK:;;Friedrichstr. 100;Berlin;;10117;Germany\n\
         BDAY:1985-04-12\nEND:VCARD\n",
    );
    contact(
        "BEGIN:VCARD\nVERSION:3.0\nUID:carol@demo.easdav\nFN:Carol Meyer\nN:Meyer;Carol;Ann;Dr.;\n\
         EMAIL;TYPE=HOME:carol@example.org\nEMAIL;TYPE=WORK:c.meyer@example.com\nTEL;TYPE=HOME:+49 40 555 0101\n\
         ADR;TYPE=HOME:;;Elbchaussee 12;Hamburg;;22763;Germany\nNOTE:Met at the 2025 conference.\n\
         URL:https://carol.example.org/\nEND:VCARD\n",
    );
    contact(
        "BEGIN:VCARD\nVERSION:3.0\nUID:plumber@demo.easdav\nFN:Dave's Plumbing\nN:;;;;\nORG:Dave's Plumbing\n\
         TEL;TYPE=WORK:+49 89 123 4000\nTEL;TYPE=FAX:+49 89 123 4001\nEMAIL;TYPE=WORK:info@daves-plumbing.example\n\
         CATEGORIES:Services\nEND:VCARD\n",
    );
    contact(
        "BEGIN:VCARD\nVERSION:3.0\nUID:erin@demo.easdav\nFN:Erin O'Neill\nN:O'Neill;Erin;;;\nNICKNAME:Ren\n\
         EMAIL;TYPE=HOME:erin@example.net\nTEL;TYPE=CELL:+353 87 555 1234\nBDAY:1990-11-30\nEND:VCARD\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_item_maps_to_eas() {
        // Every day of a year, so the demo works whatever today is.
        let start = Date::new(2026, 1, 1).unwrap();
        for (n, user) in (0..366).flat_map(|n| ["alice", "bob"].map(|u| (n, u))) {
            let today = start.checked_add(jiff::Span::new().days(n)).unwrap();
            let items = items(user, today);
            assert!(items.len() >= 10, "{user}: {}", items.len());
            for it in items {
                let r = match it.class {
                    mapping::ItemClass::Contacts => mapping::vcard_to_eas(&it.text, mapping::ProtocolVersion::V14_1),
                    c => mapping::ical_to_eas(&it.text, c, mapping::ProtocolVersion::V14_1),
                };
                assert!(r.is_ok(), "{user} on {today}: {:?}\n{}", r.err(), it.text);
            }
        }
    }
}
