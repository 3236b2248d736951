//! Property test: EAS → iCalendar → EAS is the identity on generated Tasks
//! `ApplicationData`.

use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use mapping::time::extended;
use mapping::{eas_to_ical, ical_to_eas, ItemClass, ProtocolVersion, Residue};
use proptest::prelude::*;
use wbxml::tags::{airsync, airsyncbase as asb, tasks as k};
use wbxml::{Element, Node};

#[derive(Clone, Debug)]
struct Gen {
    subject: Option<String>,
    body: Option<String>,
    start: Option<(i64, bool)>,
    due: Option<(i64, bool)>,
    complete: Option<i64>,
    importance: Option<u8>,
    sensitivity: Option<u8>,
    categories: Vec<String>,
    reminder: Option<i64>,
    weekly: Option<(u8, Option<u32>)>,
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9äß][a-zA-Z0-9 ,;:äß]{0,12}[a-z.]"
}

fn arb() -> impl Strategy<Value = Gen> {
    (
        (prop::option::of(text()), prop::option::of(text())),
        (
            prop::option::of((0i64..500_000, any::<bool>())),
            prop::option::of((0i64..500_000, any::<bool>())),
            prop::option::of(0i64..500_000),
        ),
        (
            prop::option::of(0u8..3),
            prop::option::of(0u8..4),
            prop::collection::vec("[a-zA-Z0-9]{1,8}", 0..3),
        ),
        (
            prop::option::of(0i64..500_000),
            prop::option::of((0u8..128, prop::option::of(1u32..30))),
        ),
    )
        .prop_map(|(a, b, c, d)| Gen {
            subject: a.0,
            body: a.1,
            start: b.0,
            due: b.1,
            complete: b.2,
            importance: c.0,
            sensitivity: c.1,
            categories: c.2,
            reminder: d.0,
            weekly: d.1,
        })
}

/// Minutes after 2020-01-01 (whole days when `date_only`).
fn at(min: i64, date_only: bool) -> Timestamp {
    let base = Timestamp::from_second(1_577_836_800).unwrap();
    let t = base.checked_add((min * 60).seconds()).unwrap();
    if date_only {
        mapping::time::date_utc_midnight(t.to_zoned(TimeZone::UTC).date())
    } else {
        // Never exactly midnight, which reads back as a date-only value.
        t.checked_add(1.minute()).unwrap()
    }
}

fn build(g: &Gen) -> Element {
    let start = g.start.map(|(m, d)| at(m, d));
    let due = g.due.map(|(m, d)| at(m, d));
    let mut e = Element::new(airsync::APPLICATION_DATA);
    if let Some(b) = &g.body {
        e.push(
            Element::new(asb::BODY)
                .with_text_child(asb::TYPE, "1")
                .with_text_child(asb::DATA, b.clone()),
        );
    }
    if !g.categories.is_empty() {
        let mut c = Element::new(k::CATEGORIES);
        for x in &g.categories {
            c.push_text(k::CATEGORY, x.clone());
        }
        e.push(c);
    }
    e.push_text(k::COMPLETE, if g.complete.is_some() { "1" } else { "0" });
    if let Some(m) = g.complete {
        e.push_text(k::DATE_COMPLETED, extended(at(m, false)));
    }
    if let Some(d) = due {
        e.push_text(k::DUE_DATE, extended(d));
    }
    if let Some(i) = g.importance {
        e.push_text(k::IMPORTANCE, i.to_string());
    }
    if let (Some((extra, count)), Some(anchor)) = (g.weekly, start.or(due)) {
        let bit = 1u8 << anchor.to_zoned(TimeZone::UTC).weekday().to_sunday_zero_offset();
        let mut r = Element::new(k::RECURRENCE).with_text_child(k::TYPE, "1");
        r.push_text(k::START, extended(anchor));
        if let Some(n) = count {
            r.push_text(k::OCCURRENCES, n.to_string());
        }
        r.push_text(k::DAY_OF_WEEK, (bit | (extra & 0x7f)).to_string());
        e.push(r);
    }
    let reminder = g.reminder.filter(|_| start.or(due).is_some()).map(|m| at(m, false));
    e.push_text(k::REMINDER_SET, if reminder.is_some() { "1" } else { "0" });
    if let Some(r) = reminder {
        e.push_text(k::REMINDER_TIME, extended(r));
    }
    if let Some(s) = g.sensitivity {
        e.push_text(k::SENSITIVITY, s.to_string());
    }
    if let Some(s) = start {
        e.push_text(k::START_DATE, extended(s));
    }
    if let Some(s) = &g.subject {
        e.push_text(k::SUBJECT, s.clone());
    }
    if let Some(d) = due {
        e.push_text(k::UTC_DUE_DATE, extended(d));
    }
    if let Some(s) = start {
        e.push_text(k::UTC_START_DATE, extended(s));
    }
    e
}

fn norm(e: &Element) -> Element {
    let mut out = e.clone();
    out.children.sort_by_key(|n| match n {
        Node::Element(x) => (x.tag.page, x.tag.token),
        _ => (255, 255),
    });
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn eas_ical_eas_identity(g in arb()) {
        let data = build(&g);
        for v in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
            let ics = eas_to_ical(&data, ItemClass::Tasks, v, &Residue::default()).unwrap();
            let back = ical_to_eas(&ics, ItemClass::Tasks, v).map_err(|e| TestCaseError::fail(format!("{e}\n{ics}")))?;
            prop_assert_eq!(norm(&back.application_data), norm(&data), "{}", ics);
        }
    }
}
