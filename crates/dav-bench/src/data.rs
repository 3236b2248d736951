//! Deterministic calendar data: the same events, byte for byte, for every server in a run.
//!
//! Events span 2025-01-01 .. 2026-12-31. The mix is about 68 % single timed events (in
//! `Europe/Berlin` with a VTIMEZONE, or in UTC), 12 % single all-day events (1-3 days), and 20 %
//! recurring series: weekly (interval 1 or 2, some without end), workday dailies, monthly by day
//! of month and yearly all-day "birthdays". About 40 % of timed series carry one or two EXDATEs and
//! 40 % a RECURRENCE-ID override moved by 1-3 hours, in the same resource as the master.
//!
//! The non-time properties of each event (SUMMARY, DESCRIPTION, LOCATION, CLASS, TRANSP,
//! PRIORITY, ORGANIZER, ATTENDEE, X-MICROSOFT-CDO-*, X-MOZ-*, VALARM blocks ...) are taken at run
//! time from the VEVENTs of a few permissively licensed corpus files in
//! `../shared/corpus/ical` (see [`TEMPLATE_FILES`]); UID, DTSTAMP, DTSTART, DTEND, RRULE, EXDATE,
//! RECURRENCE-ID and anything with a TZID parameter are dropped and generated here instead.
//!
//! For the calendar-query case the generator also knows which resources must match a time range
//! ([`Expected`]): an instance counts as certain when it overlaps the range shrunk by two days, and
//! as possible when it overlaps the range grown by two days. The margin absorbs time-zone offsets,
//! floating all-day dates and server differences in override handling near the edges.

use std::path::Path;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::ToSpan;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::BenchError;

/// Corpus files whose VEVENTs give the non-time properties (all BSD-licensed test data).
///
/// - `ical4j_transform_outlook1.ics`: Outlook meeting (organizer, attendee, CDO busy status, alarm)
/// - `ical4j_transform_apple.ics`: Apple Calendar events (all-day, location, audio alarms)
/// - `ical4j_transform_yahoo1.ics`: Yahoo event with location and SENT-BY organizer
/// - `pyical_calendars_alarm_thunderbird_future.ics`: Thunderbird event with two alarms
/// - `ical4j_valid_Standup.ics`: Outlook recurring stand-up (importance, reminder)
pub const TEMPLATE_FILES: &[&str] = &[
    "ical4j_transform_outlook1.ics",
    "ical4j_transform_apple.ics",
    "ical4j_transform_yahoo1.ics",
    "pyical_calendars_alarm_thunderbird_future.ics",
    "ical4j_valid_Standup.ics",
];

const VTIMEZONE_BERLIN: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n\
TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n\
END:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n\
DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

/// Properties of a template VEVENT that the generator replaces.
const DROPPED: &[&str] = &[
    "UID",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RRULE",
    "RDATE",
    "EXDATE",
    "RECURRENCE-ID",
    "X-WR-ALARMUID",
];

/// One calendar object resource to upload.
#[derive(Debug, Clone)]
pub struct Event {
    /// Resource name inside the collection (`ev-00042.ics`).
    pub name: String,
    /// The iCalendar text (CRLF line ends).
    pub body: String,
    instances: Vec<(DateTime, DateTime)>,
}

/// A calendar's worth of generated events.
#[derive(Debug, Clone)]
pub struct Calendar {
    /// The events, in name order.
    pub events: Vec<Event>,
}

/// How many resources a time-range query must return: at least `certain`, at most
/// `certain + possible`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected {
    /// Resources with an instance well inside the range.
    pub certain: usize,
    /// Resources with an instance only near an edge of the range.
    pub possible: usize,
}

impl Expected {
    /// Whether a server's answer count is plausible.
    pub fn accepts(&self, n: usize) -> bool {
        n >= self.certain && n <= self.certain + self.possible
    }
}

/// Non-time property lines (already CRLF-terminated, folded lines kept with their continuation).
#[derive(Debug, Clone)]
pub struct Templates(Vec<Vec<String>>);

impl Templates {
    /// Reads [`TEMPLATE_FILES`] from `dir`.
    pub fn load(dir: &Path) -> Result<Self, BenchError> {
        let mut out = Vec::new();
        for f in TEMPLATE_FILES {
            let path = dir.join(f);
            let text = std::fs::read_to_string(&path).map_err(|e| BenchError::Corpus(path.display().to_string(), e))?;
            out.extend(decorations(&text));
        }
        if out.is_empty() {
            return Err(BenchError::Setup(format!(
                "no VEVENT found in the template files under {}",
                dir.display()
            )));
        }
        Ok(Templates(out))
    }
}

/// Extracts the kept lines of every VEVENT in `text`.
fn decorations(text: &str) -> Vec<Vec<String>> {
    // Unfold into logical lines first, then re-emit each kept line as it was (unfolded).
    let mut logical: Vec<String> = Vec::new();
    for raw in text.lines() {
        let raw = raw.trim_end_matches('\r');
        if let Some(cont) = raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')) {
            if let Some(last) = logical.last_mut() {
                last.push_str(cont);
            }
        } else if !raw.is_empty() {
            logical.push(raw.to_owned());
        }
    }
    let mut out = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    let mut depth = 0usize;
    for line in logical {
        let upper = line.to_ascii_uppercase();
        if upper == "BEGIN:VEVENT" {
            cur = Some(Vec::new());
            depth = 0;
            continue;
        }
        let Some(c) = cur.as_mut() else { continue };
        if upper == "END:VEVENT" {
            out.extend(cur.take());
            continue;
        }
        if upper.starts_with("BEGIN:") {
            depth += 1;
        } else if upper.starts_with("END:") {
            depth = depth.saturating_sub(1);
        }
        let name = upper.split([':', ';']).next().unwrap_or("");
        let nested_uid = depth > 0 && name == "UID";
        if (depth == 0 && DROPPED.contains(&name)) || nested_uid || name == "X-WR-ALARMUID" || upper.contains("TZID=") {
            continue;
        }
        c.push(format!("{line}\r\n"));
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Zone {
    Berlin,
    Utc,
    AllDay,
}

#[derive(Debug, Clone)]
enum Rule {
    Weekly { interval: i64, count: Option<i64> },
    Workdays { count: i64 },
    Monthly { count: i64 },
    Yearly,
}

/// Generates `n` events for collection `cal` from `seed`.
pub fn generate(seed: u64, cal: &str, n: usize, templates: &Templates) -> Calendar {
    let mut rng = StdRng::seed_from_u64(seed ^ fnv(cal));
    let first = Date::constant(2025, 1, 1);
    let events = (0..n)
        .map(|i| one_event(&mut rng, seed, cal, i, first, templates))
        .collect();
    Calendar { events }
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn one_event(rng: &mut StdRng, seed: u64, cal: &str, i: usize, first: Date, templates: &Templates) -> Event {
    let day = first.saturating_add(rng.gen_range(0..729i64).days());
    let roll = rng.gen_range(0..100u32);
    let (zone, rule) = match roll {
        0..=67 => (if rng.gen_bool(0.6) { Zone::Berlin } else { Zone::Utc }, None),
        68..=79 => (Zone::AllDay, None),
        80..=86 => {
            let count = if rng.gen_bool(0.2) {
                None
            } else {
                Some(rng.gen_range(4..40))
            };
            (
                Zone::Berlin,
                Some(Rule::Weekly {
                    interval: rng.gen_range(1..=2),
                    count,
                }),
            )
        }
        87..=90 => (
            Zone::Berlin,
            Some(Rule::Workdays {
                count: rng.gen_range(10..60),
            }),
        ),
        91..=95 => (
            Zone::Utc,
            Some(Rule::Monthly {
                count: rng.gen_range(3..24),
            }),
        ),
        _ => (Zone::AllDay, Some(Rule::Yearly)),
    };
    // Day of month <= 28 keeps monthly and yearly rules free of skipped months.
    let mut day = day.with().day(day.day().min(28)).build().unwrap_or(day);
    if matches!(rule, Some(Rule::Workdays { .. })) {
        while matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) {
            day = day.saturating_add(1.day());
        }
    }
    let (start, end) = match zone {
        Zone::AllDay => {
            let s = day.to_datetime(jiff::civil::Time::midnight());
            let len = if rule.is_some() { 1 } else { rng.gen_range(1..=3i64) };
            (s, s.saturating_add(len.days()))
        }
        _ => {
            let t = jiff::civil::time(rng.gen_range(7..20), [0, 15, 30, 45][rng.gen_range(0..4)], 0, 0);
            let s = day.to_datetime(t);
            (
                s,
                s.saturating_add(([30, 60, 90, 120][rng.gen_range(0..4)] as i64).minutes()),
            )
        }
    };
    let mut instances = match &rule {
        None => vec![(start, end)],
        Some(r) => expand(r, start, end),
    };
    // The resource name is the UID plus `.ics`, so servers that name imported items after their
    // UID (Radicale's whole-calendar PUT) end up with the same hrefs as item-by-item PUTs.
    let uid = format!("bench-{seed}-{cal}-{i:05}");
    let fmt = |d: DateTime| -> String {
        match zone {
            Zone::AllDay => format!(";VALUE=DATE:{}", d.date().strftime("%Y%m%d")),
            Zone::Berlin => format!(";TZID=Europe/Berlin:{}", d.strftime("%Y%m%dT%H%M%S")),
            Zone::Utc => format!(":{}", d.strftime("%Y%m%dT%H%M%SZ")),
        }
    };
    let mut master = format!(
        "UID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nDTSTART{}\r\nDTEND{}\r\n",
        fmt(start),
        fmt(end)
    );
    let mut overrides = String::new();
    if let Some(r) = &rule {
        master.push_str(&format!("RRULE:{}\r\n", rrule_text(r)));
        let timed = !matches!(zone, Zone::AllDay);
        if timed && instances.len() >= 3 && rng.gen_bool(0.4) {
            for _ in 0..rng.gen_range(1..=2) {
                let k = rng.gen_range(1..instances.len());
                master.push_str(&format!("EXDATE{}\r\n", fmt(instances[k].0)));
                instances.remove(k);
            }
        }
        if timed && instances.len() >= 3 && rng.gen_bool(0.4) {
            let k = rng.gen_range(1..instances.len());
            let (os, oe) = instances[k];
            let shift = rng.gen_range(1..=3i64).hours();
            let (ns, ne) = (os.saturating_add(shift), oe.saturating_add(shift));
            overrides.push_str(&format!(
                "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20250101T000000Z\r\nRECURRENCE-ID{}\r\nDTSTART{}\r\nDTEND{}\r\n\
                 SUMMARY:Moved occurrence {i}\r\nSEQUENCE:1\r\nEND:VEVENT\r\n",
                fmt(os),
                fmt(ns),
                fmt(ne)
            ));
            instances[k] = (ns, ne);
        }
    }
    let deco = &templates.0[rng.gen_range(0..templates.0.len())];
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easdav//dav-bench//EN\r\n");
    if matches!(zone, Zone::Berlin) {
        body.push_str(VTIMEZONE_BERLIN);
    }
    body.push_str("BEGIN:VEVENT\r\n");
    body.push_str(&master);
    let mut has_summary = false;
    for line in deco {
        if line.to_ascii_uppercase().starts_with("SUMMARY") {
            has_summary = true;
            body.push_str(&format!("{} {i}\r\n", line.trim_end()));
        } else {
            body.push_str(line);
        }
    }
    if !has_summary {
        body.push_str(&format!("SUMMARY:Event {i}\r\n"));
    }
    body.push_str("END:VEVENT\r\n");
    body.push_str(&overrides);
    body.push_str("END:VCALENDAR\r\n");
    Event {
        name: format!("{uid}.ics"),
        body,
        instances,
    }
}

fn rrule_text(r: &Rule) -> String {
    match r {
        Rule::Weekly { interval, count } => {
            let c = count.map(|c| format!(";COUNT={c}")).unwrap_or_default();
            format!("FREQ=WEEKLY;INTERVAL={interval}{c}")
        }
        Rule::Workdays { count } => format!("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT={count}"),
        Rule::Monthly { count } => format!("FREQ=MONTHLY;COUNT={count}"),
        Rule::Yearly => "FREQ=YEARLY".to_owned(),
    }
}

/// Instances of a rule up to the end of 2027 (series without end are cut there).
fn expand(r: &Rule, start: DateTime, end: DateTime) -> Vec<(DateTime, DateTime)> {
    let horizon = jiff::civil::date(2028, 1, 1).to_datetime(jiff::civil::Time::midnight());
    let len = start.duration_until(end);
    let mut out = Vec::new();
    let at = |s: DateTime| (s, s.checked_add(len).unwrap_or(s));
    match r {
        Rule::Weekly { interval, count } => {
            for k in 0..count.unwrap_or(200) {
                let s = start.saturating_add((k * interval * 7).days());
                if s >= horizon {
                    break;
                }
                out.push(at(s));
            }
        }
        Rule::Workdays { count } => {
            let mut s = start;
            while (out.len() as i64) < *count && s < horizon {
                if !matches!(s.weekday(), Weekday::Saturday | Weekday::Sunday) {
                    out.push(at(s));
                }
                s = s.saturating_add(1.day());
            }
        }
        Rule::Monthly { count } => {
            for k in 0..*count {
                out.push(at(start.saturating_add(k.months())));
            }
        }
        Rule::Yearly => {
            for k in 0..4 {
                out.push(at(start.saturating_add((k as i64).years())));
            }
        }
    }
    out
}

impl Calendar {
    /// All events as one VCALENDAR (the Berlin VTIMEZONE once), for a whole-calendar import.
    pub fn as_one_vcalendar(&self) -> String {
        let mut out = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//easdav//dav-bench//EN\r\n");
        out.push_str(VTIMEZONE_BERLIN);
        for ev in &self.events {
            let inner = ev
                .body
                .split_once("END:VTIMEZONE\r\n")
                .map_or(ev.body.as_str(), |(_, rest)| rest);
            let start = inner.find("BEGIN:VEVENT").unwrap_or(0);
            let end = inner.rfind("END:VCALENDAR").unwrap_or(inner.len());
            out.push_str(inner.get(start..end).unwrap_or(""));
        }
        out.push_str("END:VCALENDAR\r\n");
        out
    }

    /// Expected result count of a VEVENT time-range query over `[from, to)` (UTC instants given
    /// as civil date-times).
    pub fn expected_in(&self, from: DateTime, to: DateTime) -> Expected {
        let margin = 2.days();
        let (inner_from, inner_to) = (from.saturating_add(margin), to.saturating_sub(margin));
        let (outer_from, outer_to) = (from.saturating_sub(margin), to.saturating_add(margin));
        let mut e = Expected {
            certain: 0,
            possible: 0,
        };
        for ev in &self.events {
            if ev.instances.iter().any(|&(s, t)| s < inner_to && t > inner_from) {
                e.certain += 1;
            } else if ev.instances.iter().any(|&(s, t)| s < outer_to && t > outer_from) {
                e.possible += 1;
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn templates() -> Templates {
        Templates::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ical"))
            .expect("corpus templates")
    }

    #[test]
    fn generation_is_deterministic_and_varied() {
        let t = templates();
        let a = generate(7, "big", 500, &t);
        let b = generate(7, "big", 500, &t);
        assert_eq!(a.events.len(), 500);
        assert!(a.events.iter().zip(&b.events).all(|(x, y)| x.body == y.body));
        let all = |needle: &str| a.events.iter().filter(|e| e.body.contains(needle)).count();
        assert!(all("RRULE:FREQ=WEEKLY") > 10);
        assert!(all("EXDATE") > 0);
        assert!(all("RECURRENCE-ID") > 0);
        assert!(all("DTSTART;VALUE=DATE") > 20);
        assert!(all("BEGIN:VALARM") > 20);
        // Templates never leak their own identity or time properties.
        assert!(!a
            .events
            .iter()
            .any(|e| e.body.contains("9177c616") || e.body.contains("20140131")));
        // Each body has one UID value (master and overrides share it), the resource name's stem.
        for e in &a.events {
            assert!(e.body.contains(&format!("UID:{}\r\n", e.name.trim_end_matches(".ics"))));
            let uids: std::collections::BTreeSet<_> = e.body.lines().filter(|l| l.starts_with("UID:")).collect();
            assert_eq!(uids.len(), 1, "{}", e.body);
        }
    }

    #[test]
    fn expected_counts_are_bracketed() {
        let t = templates();
        let cal = generate(1, "big", 2000, &t);
        let from = jiff::civil::date(2026, 1, 1).to_datetime(jiff::civil::Time::midnight());
        let to = jiff::civil::date(2026, 2, 1).to_datetime(jiff::civil::Time::midnight());
        let e = cal.expected_in(from, to);
        // About 1/24 of the single events, plus the series that reach into January.
        assert!(e.certain > 40 && e.certain < 400, "{e:?}");
        assert!(e.possible < e.certain, "{e:?}");
        assert!(e.accepts(e.certain) && !e.accepts(e.certain + e.possible + 1));
        let one = cal.as_one_vcalendar();
        assert_eq!(one.matches("BEGIN:VTIMEZONE").count(), 1);
        let key = |l: &&str| {
            ["BEGIN:VEVENT", "UID:", "EXDATE", "RECURRENCE-ID"]
                .iter()
                .any(|p| l.starts_with(p))
        };
        let separate: usize = cal.events.iter().map(|e| e.body.lines().filter(key).count()).sum();
        assert_eq!(one.lines().filter(key).count(), separate);
        assert!(one.starts_with("BEGIN:VCALENDAR\r\n") && one.ends_with("END:VCALENDAR\r\n"));
    }
}
