use super::*;
use proptest::prelude::*;

fn dt(s: &str) -> DateTime {
    crate::time::parse_datetime(s).unwrap()
}

/// Expands DTSTART + RRULE with the independent `rrule` crate for 5 years.
fn expand(start: &str, rule: &str) -> Vec<String> {
    let text = format!("DTSTART:{start}Z\nRRULE:{rule}");
    let set: rrule::RRuleSet = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    let limit: rrule::RRuleSet = format!("DTSTART:{start}Z\nRRULE:FREQ=YEARLY;COUNT=6").parse().unwrap();
    let end = *limit.all(6).dates.last().unwrap();
    set.before(end).all(5000).dates.iter().map(|d| d.to_rfc3339()).collect()
}

fn until_of(r: &Rrule) -> Option<Timestamp> {
    r.until.as_deref().map(|u| crate::time::parse_eas_utc(u).unwrap())
}

/// RRULE → EAS → RRULE gives the same occurrences for five years.
fn check_same(start: &str, rule: &str) {
    let r = Rrule::parse(rule).unwrap();
    let e = rrule_to_eas(&r, dt(start), until_of(&r)).unwrap_or_else(|err| panic!("{rule}: {err}"));
    let back = eas_to_rrule(&e, e.until.map(crate::time::compact)).unwrap();
    let a = expand(start, rule);
    let b = expand(start, &back);
    assert!(!a.is_empty());
    assert_eq!(a, b, "{rule} -> {back}");
}

#[test]
fn representable_rules_keep_their_occurrences() {
    let cases = [
        ("20240102T090000", "FREQ=DAILY"),
        ("20240102T090000", "FREQ=DAILY;INTERVAL=3;COUNT=40"),
        ("20240102T090000", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"),
        ("20240102T090000", "FREQ=WEEKLY"),
        ("20240102T090000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=MO"),
        ("20240102T090000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU"),
        ("20240102T090000", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20250101T000000Z"),
        ("20240102T090000", "FREQ=MONTHLY"),
        ("20240115T090000", "FREQ=MONTHLY;BYMONTHDAY=15;INTERVAL=2"),
        ("20240102T090000", "FREQ=MONTHLY;BYDAY=1TU"),
        ("20240130T090000", "FREQ=MONTHLY;BYDAY=-1TU"),
        ("20240131T090000", "FREQ=MONTHLY;BYMONTHDAY=-1"),
        ("20240101T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1"),
        ("20240131T090000", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1"),
        ("20240102T090000", "FREQ=YEARLY"),
        ("20240229T090000", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3"),
        ("20241128T090000", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"),
        ("20240527T090000", "FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO;INTERVAL=2"),
        ("20240302T090000", "FREQ=YEARLY;BYMONTH=3;BYDAY=SA,SU;BYSETPOS=1"),
    ];
    for (s, r) in cases {
        check_same(s, r);
    }
}

#[test]
fn unrepresentable_rules_are_refused() {
    let cases = [
        "FREQ=HOURLY",
        "FREQ=DAILY;BYHOUR=9,10",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=2,3",
        "FREQ=MONTHLY;BYMONTHDAY=1,15",
        "FREQ=YEARLY;BYMONTH=1,7",
        "FREQ=YEARLY;BYWEEKNO=20",
        "FREQ=YEARLY;BYYEARDAY=100",
        "FREQ=MONTHLY;BYDAY=2MO,3TU",
        "FREQ=MONTHLY;BYDAY=-2TU",
        "FREQ=MONTHLY;BYDAY=TU",
        "FREQ=DAILY;COUNT=3;UNTIL=20250101T000000Z",
        "FREQ=WEEKLY;BYDAY=WE",
        "FREQ=YEARLY;RSCALE=CHINESE",
    ];
    for r in cases {
        let p = Rrule::parse(r).unwrap();
        let res = rrule_to_eas(&p, dt("20240102T090000"), None);
        assert!(matches!(res, Err(MapError::NotRepresentable { .. })), "{r}: {res:?}");
    }
}

#[test]
fn malformed_rules_are_invalid() {
    for r in ["", "FREQ", "FREQ=DAILY;COUNT=x", "FREQ=WEEKLY;BYDAY=XX"] {
        assert!(matches!(Rrule::parse(r), Err(MapError::Invalid(_))), "{r}");
    }
}

#[test]
fn element_round_trip_keeps_opaque_fields() {
    let e = EasRecurrence {
        kind: 6,
        interval: Some(2),
        week_of_month: Some(5),
        day_of_week: Some(62),
        month_of_year: Some(3),
        calendar_type: Some(15),
        is_leap_month: Some(1),
        first_day_of_week: Some(1),
        occurrences: Some(4),
        ..Default::default()
    };
    let el = to_element(&e, RecurTags { tasks: false }, ProtocolVersion::V16_1);
    assert_eq!(from_element(&el, RecurTags { tasks: false }).unwrap(), e);
    let el14 = to_element(&e, RecurTags { tasks: false }, ProtocolVersion::V14_0);
    assert_eq!(
        from_element(&el14, RecurTags { tasks: false })
            .unwrap()
            .first_day_of_week,
        None
    );
}

fn arb_eas() -> impl Strategy<Value = EasRecurrence> {
    (
        prop_oneof![Just(0u8), Just(1), Just(2), Just(3), Just(5), Just(6)],
        prop::option::of(2u16..5),
        prop::option::of(1u32..30),
        1u8..128,
        1u8..29,
        1u8..6,
        1u8..13,
        prop::option::of(0u8..7),
    )
        .prop_map(|(kind, interval, occ, dow, dom, wom, moy, fdw)| {
            let mut e = EasRecurrence {
                kind,
                interval,
                occurrences: occ,
                first_day_of_week: fdw,
                ..Default::default()
            };
            match kind {
                1 => e.day_of_week = Some(dow),
                2 => e.day_of_month = Some(dom),
                3 => (e.week_of_month, e.day_of_week) = (Some(wom), Some(dow)),
                5 => (e.day_of_month, e.month_of_year) = (Some(dom), Some(moy)),
                6 => (e.week_of_month, e.day_of_week, e.month_of_year) = (Some(wom), Some(dow), Some(moy)),
                _ => {}
            }
            e
        })
}

/// The first date on or after 2024-01-01 that is an occurrence of `e`.
fn first_start(e: &EasRecurrence) -> DateTime {
    let mut d = dt("20240101T090000");
    for _ in 0..800 {
        if starts_on_pattern(e, d) {
            return d;
        }
        d = d.checked_add(jiff::ToSpan::days(1)).unwrap();
    }
    d
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// EAS → RRULE → EAS is the identity, and both expand to the same dates.
    #[test]
    fn eas_rrule_eas_identity(e in arb_eas()) {
        let start = first_start(&e);
        let rule = eas_to_rrule(&e, None).unwrap();
        let r = Rrule::parse(&rule).unwrap();
        let back = rrule_to_eas(&r, start, None).unwrap();
        let mut want = e.clone();
        if want.kind == 0 { want.day_of_week = None; }
        prop_assert_eq!(&back, &want, "{}", rule);
        let s = crate::time::ical_local(start);
        let again = eas_to_rrule(&back, None).unwrap();
        prop_assert_eq!(expand(&s, &rule), expand(&s, &again));
    }
}
