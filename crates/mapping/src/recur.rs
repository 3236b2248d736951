//! RRULE ⇄ EAS `Recurrence` (MS-ASCAL §2.2.2.36, MS-ASTASK; brief §4.2).
//!
//! [`rrule_to_eas`] accepts exactly the rules whose occurrence set EAS can
//! express and returns [`MapError::NotRepresentable`] for every other rule:
//! nothing is simplified. [`eas_to_rrule`] is total over valid EAS data.

use jiff::civil::{DateTime, Weekday};
use jiff::Timestamp;
use wbxml::{Element, Tag};

use crate::{MapError, ProtocolVersion};

/// The EAS recurrence fields (calendar and task classes share them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EasRecurrence {
    /// 0 daily, 1 weekly, 2 monthly, 3 monthly nth, 5 yearly, 6 yearly nth.
    pub kind: u8,
    /// Interval (absent = 1).
    pub interval: Option<u16>,
    /// Occurrences (COUNT).
    pub occurrences: Option<u32>,
    /// Until (UTC instant; date at midnight UTC for all-day series).
    pub until: Option<Timestamp>,
    /// Bitmask Sun 1 … Sat 64.
    pub day_of_week: Option<u8>,
    /// 1–31.
    pub day_of_month: Option<u8>,
    /// 1–5 (5 = last).
    pub week_of_month: Option<u8>,
    /// 1–12.
    pub month_of_year: Option<u8>,
    /// CalendarType (14.0+), carried opaquely.
    pub calendar_type: Option<u8>,
    /// IsLeapMonth (14.0+), carried opaquely.
    pub is_leap_month: Option<u8>,
    /// FirstDayOfWeek 0 Sunday … 6 (14.1+) ⇄ WKST.
    pub first_day_of_week: Option<u8>,
    /// Tasks only: the series anchor.
    pub start: Option<Timestamp>,
    /// Tasks only: Regenerate.
    pub regenerate: Option<u8>,
    /// Tasks only: DeadOccur.
    pub dead_occur: Option<u8>,
}

/// The tags of one class's Recurrence block.
#[derive(Clone, Copy, Debug)]
pub struct RecurTags {
    /// Whether this is the tasks page (Start/Regenerate/DeadOccur, extended dates).
    pub tasks: bool,
}

const DAYS: [&str; 7] = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"];

/// A parsed RRULE (only what the mapping needs to decide).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rrule {
    freq: String,
    interval: Option<u16>,
    count: Option<u32>,
    /// The raw UNTIL value.
    pub until: Option<String>,
    byday: Vec<(i8, u8)>,
    bymonthday: Vec<i8>,
    bymonth: Vec<u8>,
    bysetpos: Vec<i32>,
    wkst: Option<u8>,
    unsupported: Vec<String>,
}

impl Rrule {
    /// Parses the value of an RRULE property.
    ///
    /// # Errors
    /// [`MapError::Invalid`] for a malformed rule.
    pub fn parse(value: &str) -> Result<Self, MapError> {
        let bad = |what: &str| MapError::Invalid(format!("RRULE {value:?}: {what}"));
        let mut r = Rrule::default();
        for part in value.split(';').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| bad("part without '='"))?;
            let k = k.trim().to_ascii_uppercase();
            let v = v.trim();
            match k.as_str() {
                "FREQ" => r.freq = v.to_ascii_uppercase(),
                "INTERVAL" => r.interval = Some(v.parse().map_err(|_| bad("bad INTERVAL"))?),
                "COUNT" => r.count = Some(v.parse().map_err(|_| bad("bad COUNT"))?),
                "UNTIL" => r.until = Some(v.to_owned()),
                "BYDAY" => {
                    for d in v.split(',') {
                        let d = d.trim().to_ascii_uppercase();
                        let cut = d.len().checked_sub(2).ok_or_else(|| bad("bad BYDAY"))?;
                        let (n, wd) = d.split_at(cut);
                        let wd = DAYS.iter().position(|x| *x == wd).ok_or_else(|| bad("bad BYDAY"))? as u8;
                        let n = if n.is_empty() || n == "+" {
                            0
                        } else {
                            n.trim_start_matches('+')
                                .parse()
                                .map_err(|_| bad("bad BYDAY ordinal"))?
                        };
                        r.byday.push((n, wd));
                    }
                }
                "BYMONTHDAY" => {
                    r.bymonthday = list(v).ok_or_else(|| bad("bad BYMONTHDAY"))?;
                }
                "BYMONTH" => r.bymonth = list(v).ok_or_else(|| bad("bad BYMONTH"))?,
                "BYSETPOS" => r.bysetpos = list(v).ok_or_else(|| bad("bad BYSETPOS"))?,
                "WKST" => {
                    let u = v.to_ascii_uppercase();
                    r.wkst = Some(DAYS.iter().position(|x| *x == u).ok_or_else(|| bad("bad WKST"))? as u8);
                }
                "RSCALE" if v.eq_ignore_ascii_case("GREGORIAN") => {}
                _ => r.unsupported.push(k),
            }
        }
        if r.freq.is_empty() {
            return Err(bad("no FREQ"));
        }
        Ok(r)
    }
}

fn list<T: std::str::FromStr>(v: &str) -> Option<Vec<T>> {
    v.split(',')
        .map(|x| x.trim().trim_start_matches('+').parse().ok())
        .collect()
}

fn not_rep(reason: impl Into<String>) -> MapError {
    MapError::NotRepresentable {
        what: "recurrence rule".into(),
        reason: reason.into(),
    }
}

/// Maps an RRULE to EAS. `start` is DTSTART in the series' zone;
/// `until` is the UNTIL instant the caller resolved from [`Rrule::until`].
///
/// # Errors
/// [`MapError::NotRepresentable`] when EAS cannot express the rule.
pub fn rrule_to_eas(r: &Rrule, start: DateTime, until: Option<Timestamp>) -> Result<EasRecurrence, MapError> {
    if let Some(k) = r.unsupported.first() {
        return Err(not_rep(format!("{k} has no EAS equivalent")));
    }
    if r.count.is_some() && r.until.is_some() {
        return Err(not_rep("COUNT together with UNTIL"));
    }
    if r.interval == Some(0) {
        return Err(not_rep("INTERVAL=0"));
    }
    let sdow = start.weekday().to_sunday_zero_offset() as u8;
    let mut e = EasRecurrence {
        interval: r.interval.filter(|i| *i > 1),
        occurrences: r.count,
        until,
        first_day_of_week: r.wkst,
        ..Default::default()
    };
    let mask_of = |days: &[(i8, u8)]| days.iter().fold(0u8, |m, (_, d)| m | (1 << d));
    let plain_days = r.byday.iter().all(|(n, _)| *n == 0);
    let single_month = || -> Result<u8, MapError> {
        match r.bymonth.as_slice() {
            [] => Ok(start.month() as u8),
            [m] if (1..=12).contains(m) => Ok(*m),
            _ => Err(not_rep("several BYMONTH values")),
        }
    };
    // The nth-weekday forms: BYDAY=2MO, BYDAY=-1FR, BYDAY=MO,TU;BYSETPOS=1.
    let nth = || -> Result<Option<(u8, u8)>, MapError> {
        if r.byday.is_empty() {
            return Ok(None);
        }
        let week = |n: i32| match n {
            1..=4 => Ok(n as u8),
            -1 => Ok(5),
            _ => Err(not_rep(format!(
                "occurrence {n} of a weekday (EAS has 1st–4th and last)"
            ))),
        };
        if !r.bysetpos.is_empty() {
            if !plain_days || r.bysetpos.len() != 1 {
                return Err(not_rep("BYSETPOS other than one first/…/last position"));
            }
            return Ok(Some((week(r.bysetpos[0])?, mask_of(&r.byday))));
        }
        match r.byday.as_slice() {
            [(n, d)] if *n != 0 => Ok(Some((week(i32::from(*n))?, 1 << d))),
            _ => Err(not_rep("several weekdays with different positions")),
        }
    };
    match r.freq.as_str() {
        "DAILY" => {
            if !r.bymonthday.is_empty() || !r.bymonth.is_empty() || !r.bysetpos.is_empty() {
                return Err(not_rep("DAILY with BYMONTHDAY/BYMONTH/BYSETPOS"));
            }
            if r.byday.is_empty() {
                e.kind = 0;
            } else if plain_days && e.interval.is_none() {
                e.kind = 1;
                e.day_of_week = Some(mask_of(&r.byday));
            } else {
                return Err(not_rep("DAILY with BYDAY and an interval"));
            }
        }
        "WEEKLY" => {
            if !r.bymonthday.is_empty() || !r.bymonth.is_empty() || !r.bysetpos.is_empty() || !plain_days {
                return Err(not_rep("WEEKLY with BYMONTHDAY/BYMONTH/BYSETPOS or weekday positions"));
            }
            e.kind = 1;
            e.day_of_week = Some(if r.byday.is_empty() {
                1 << sdow
            } else {
                mask_of(&r.byday)
            });
        }
        "MONTHLY" | "YEARLY" => {
            let yearly = r.freq == "YEARLY";
            if !yearly && !r.bymonth.is_empty() {
                return Err(not_rep("MONTHLY with BYMONTH"));
            }
            if yearly {
                e.month_of_year = Some(single_month()?);
            }
            match (r.bymonthday.as_slice(), r.byday.is_empty()) {
                ([], true) | ([_], true) => {
                    let d = r.bymonthday.first().copied().unwrap_or(start.day());
                    if d == -1 && r.bysetpos.is_empty() {
                        // The last day of the month: "last day among all days".
                        e.kind = if yearly { 6 } else { 3 };
                        e.week_of_month = Some(5);
                        e.day_of_week = Some(127);
                    } else if (1..=31).contains(&d) && r.bysetpos.is_empty() {
                        e.kind = if yearly { 5 } else { 2 };
                        e.day_of_month = Some(d as u8);
                    } else {
                        return Err(not_rep(format!("BYMONTHDAY={d}")));
                    }
                }
                ([], false) => {
                    let (w, mask) = nth()?.ok_or_else(|| not_rep("BYDAY without a position"))?;
                    e.kind = if yearly { 6 } else { 3 };
                    e.week_of_month = Some(w);
                    e.day_of_week = Some(mask);
                }
                _ => return Err(not_rep("several BYMONTHDAY values or BYMONTHDAY with BYDAY")),
            }
            if !matches!(e.kind, 3 | 6) && !r.byday.is_empty() {
                return Err(not_rep("BYDAY in this form"));
            }
        }
        f => return Err(not_rep(format!("FREQ={f}"))),
    }
    if !starts_on_pattern(&e, start) {
        return Err(not_rep(
            "DTSTART is not itself an occurrence of the rule (iCalendar counts it, EAS does not)",
        ));
    }
    Ok(e)
}

/// Whether `start` is an occurrence of the EAS pattern (ignoring interval phase).
fn starts_on_pattern(e: &EasRecurrence, start: DateTime) -> bool {
    let dow_bit = 1u8 << start.weekday().to_sunday_zero_offset();
    let month_ok = e.month_of_year.is_none_or(|m| m == start.month() as u8);
    match e.kind {
        0 => true,
        1 => e.day_of_week.is_some_and(|m| m & dow_bit != 0),
        2 | 5 => month_ok && e.day_of_month == Some(start.day() as u8),
        3 | 6 => month_ok && nth_matches(e.week_of_month.unwrap_or(1), e.day_of_week.unwrap_or(0), start),
        _ => false,
    }
}

/// Whether `d` is the `week`-th (5 = last) day among the `mask` weekdays of its month.
fn nth_matches(week: u8, mask: u8, d: DateTime) -> bool {
    let date = d.date();
    if mask & (1 << date.weekday().to_sunday_zero_offset()) == 0 {
        return false;
    }
    let in_mask = |day: i8| {
        jiff::civil::Date::new(date.year(), date.month(), day)
            .is_ok_and(|x| mask & (1 << x.weekday().to_sunday_zero_offset()) != 0)
    };
    if week == 5 {
        ((date.day() + 1)..=date.days_in_month()).all(|x| !in_mask(x))
    } else {
        (1..date.day()).filter(|x| in_mask(*x)).count() + 1 == usize::from(week)
    }
}

/// Renders EAS recurrence as an RRULE value; `until` is the formatted UNTIL
/// (DATE for all-day series, UTC DATE-TIME otherwise).
///
/// # Errors
/// [`MapError::BadEas`] for an unknown Type or missing qualifiers.
pub fn eas_to_rrule(e: &EasRecurrence, until: Option<String>) -> Result<String, MapError> {
    let bad = |w: &str| MapError::BadEas(format!("recurrence: {w}"));
    let days = |mask: u8| -> String {
        (0..7)
            .filter(|i| mask & (1 << i) != 0)
            .filter_map(|i| DAYS.get(i))
            .copied()
            .collect::<Vec<_>>()
            .join(",")
    };
    let pos = |w: u8| if w >= 5 { -1 } else { i32::from(w.max(1)) };
    let nth_part = |w: u8, mask: u8| -> Result<String, MapError> {
        if mask & 0x7f == 0 {
            return Err(bad("DayOfWeek missing"));
        }
        Ok(if mask.count_ones() == 1 {
            format!("BYDAY={}{}", pos(w), days(mask))
        } else {
            format!("BYDAY={};BYSETPOS={}", days(mask), pos(w))
        })
    };
    let mut parts: Vec<String> = Vec::new();
    match e.kind {
        0 => match e.day_of_week.filter(|m| *m & 0x7f != 0) {
            Some(m) if e.interval.unwrap_or(1) <= 1 => {
                parts.push("FREQ=WEEKLY".into());
                parts.push(format!("BYDAY={}", days(m)));
            }
            _ => parts.push("FREQ=DAILY".into()),
        },
        1 => {
            parts.push("FREQ=WEEKLY".into());
            if let Some(m) = e.day_of_week.filter(|m| *m & 0x7f != 0) {
                parts.push(format!("BYDAY={}", days(m)));
            }
        }
        2 => {
            parts.push("FREQ=MONTHLY".into());
            let d = e.day_of_month.ok_or_else(|| bad("DayOfMonth missing"))?;
            parts.push(format!("BYMONTHDAY={d}"));
        }
        3 => {
            parts.push("FREQ=MONTHLY".into());
            parts.push(nth_part(e.week_of_month.unwrap_or(1), e.day_of_week.unwrap_or(0))?);
        }
        5 | 6 => {
            parts.push("FREQ=YEARLY".into());
            let m = e.month_of_year.ok_or_else(|| bad("MonthOfYear missing"))?;
            parts.push(format!("BYMONTH={m}"));
            if e.kind == 5 {
                let d = e.day_of_month.ok_or_else(|| bad("DayOfMonth missing"))?;
                parts.push(format!("BYMONTHDAY={d}"));
            } else {
                parts.push(nth_part(e.week_of_month.unwrap_or(1), e.day_of_week.unwrap_or(0))?);
            }
        }
        k => return Err(bad(&format!("unknown Type {k}"))),
    }
    if let Some(i) = e.interval.filter(|i| *i > 1) {
        parts.insert(1, format!("INTERVAL={i}"));
    }
    if let Some(c) = e.occurrences {
        parts.push(format!("COUNT={c}"));
    } else if let Some(u) = until {
        parts.push(format!("UNTIL={u}"));
    }
    if let Some(w) = e.first_day_of_week.and_then(|w| DAYS.get(usize::from(w))) {
        parts.push(format!("WKST={w}"));
    }
    Ok(parts.join(";"))
}

/// Builds the `Recurrence` element.
pub fn to_element(e: &EasRecurrence, t: RecurTags, version: ProtocolVersion) -> Element {
    use wbxml::tags::{calendar as c, tasks as k};
    let pick = |cal: Tag, task: Tag| if t.tasks { task } else { cal };
    let date = |ts: Timestamp| {
        if t.tasks {
            crate::time::extended(ts)
        } else {
            crate::time::compact(ts)
        }
    };
    let mut el = Element::new(pick(c::RECURRENCE, k::RECURRENCE));
    el.push_text(pick(c::TYPE, k::TYPE), e.kind.to_string());
    if t.tasks {
        if let Some(s) = e.start {
            el.push_text(k::START, date(s));
        }
        if let Some(u) = e.until {
            el.push_text(k::UNTIL, date(u));
        }
    }
    if let Some(o) = e.occurrences {
        el.push_text(pick(c::OCCURRENCES, k::OCCURRENCES), o.to_string());
    }
    if let Some(i) = e.interval {
        el.push_text(pick(c::INTERVAL, k::INTERVAL), i.to_string());
    }
    let fields = [
        (pick(c::WEEK_OF_MONTH, k::WEEK_OF_MONTH), e.week_of_month),
        (pick(c::DAY_OF_WEEK, k::DAY_OF_WEEK), e.day_of_week),
        (pick(c::MONTH_OF_YEAR, k::MONTH_OF_YEAR), e.month_of_year),
    ];
    for (tag, v) in fields {
        if let Some(v) = v {
            el.push_text(tag, v.to_string());
        }
    }
    if !t.tasks {
        if let Some(u) = e.until {
            el.push_text(c::UNTIL, date(u));
        }
    }
    if let Some(d) = e.day_of_month {
        el.push_text(pick(c::DAY_OF_MONTH, k::DAY_OF_MONTH), d.to_string());
    }
    if t.tasks {
        if let Some(r) = e.regenerate {
            el.push_text(k::REGENERATE, r.to_string());
        }
        if let Some(d) = e.dead_occur {
            el.push_text(k::DEAD_OCCUR, d.to_string());
        }
    }
    if version >= ProtocolVersion::V14_0 {
        if let Some(v) = e.calendar_type {
            el.push_text(pick(c::CALENDAR_TYPE, k::CALENDAR_TYPE), v.to_string());
        }
        if let Some(v) = e.is_leap_month {
            el.push_text(pick(c::IS_LEAP_MONTH, k::IS_LEAP_MONTH), v.to_string());
        }
    }
    if version >= ProtocolVersion::V14_1 {
        if let Some(v) = e.first_day_of_week {
            el.push_text(pick(c::FIRST_DAY_OF_WEEK, k::FIRST_DAY_OF_WEEK), v.to_string());
        }
    }
    el
}

/// Reads a `Recurrence` element.
///
/// # Errors
/// [`MapError::BadEas`] for non-numeric or out-of-range values.
pub fn from_element(el: &Element, t: RecurTags) -> Result<EasRecurrence, MapError> {
    use wbxml::tags::{calendar as c, tasks as k};
    let pick = |cal: Tag, task: Tag| if t.tasks { task } else { cal };
    fn num<T: std::str::FromStr>(el: &Element, tag: Tag) -> Result<Option<T>, MapError> {
        match el.child_text(tag).map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s
                .parse()
                .map(Some)
                .map_err(|_| MapError::BadEas(format!("recurrence {tag:?} is not a number: {s:?}"))),
        }
    }
    let date = |tag: Tag| -> Result<Option<Timestamp>, MapError> {
        el.child_text(tag)
            .filter(|s| !s.trim().is_empty())
            .map(crate::time::parse_eas_utc)
            .transpose()
    };
    let e = EasRecurrence {
        kind: num(el, pick(c::TYPE, k::TYPE))?.ok_or_else(|| MapError::BadEas("recurrence without Type".into()))?,
        interval: num(el, pick(c::INTERVAL, k::INTERVAL))?,
        occurrences: num(el, pick(c::OCCURRENCES, k::OCCURRENCES))?,
        until: date(pick(c::UNTIL, k::UNTIL))?,
        day_of_week: num(el, pick(c::DAY_OF_WEEK, k::DAY_OF_WEEK))?,
        day_of_month: num(el, pick(c::DAY_OF_MONTH, k::DAY_OF_MONTH))?,
        week_of_month: num(el, pick(c::WEEK_OF_MONTH, k::WEEK_OF_MONTH))?,
        month_of_year: num(el, pick(c::MONTH_OF_YEAR, k::MONTH_OF_YEAR))?,
        calendar_type: num(el, pick(c::CALENDAR_TYPE, k::CALENDAR_TYPE))?,
        is_leap_month: num(el, pick(c::IS_LEAP_MONTH, k::IS_LEAP_MONTH))?,
        first_day_of_week: num(el, pick(c::FIRST_DAY_OF_WEEK, k::FIRST_DAY_OF_WEEK))?,
        start: if t.tasks { date(k::START)? } else { None },
        regenerate: if t.tasks { num(el, k::REGENERATE)? } else { None },
        dead_occur: if t.tasks { num(el, k::DEAD_OCCUR)? } else { None },
    };
    if e.interval == Some(0) {
        return Err(MapError::BadEas("recurrence Interval 0".into()));
    }
    if e.day_of_month.is_some_and(|d| !(1..=31).contains(&d))
        || e.month_of_year.is_some_and(|m| !(1..=12).contains(&m))
        || e.week_of_month.is_some_and(|w| !(1..=5).contains(&w))
        || e.first_day_of_week.is_some_and(|w| w > 6)
    {
        return Err(MapError::BadEas("recurrence qualifier out of range".into()));
    }
    Ok(e)
}

/// The weekday bit of a jiff weekday (Sun 1 … Sat 64).
pub fn weekday_bit(w: Weekday) -> u8 {
    1 << w.to_sunday_zero_offset()
}

#[cfg(test)]
#[path = "recur_tests.rs"]
mod tests;
