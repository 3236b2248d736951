//! Time zones: VTIMEZONE/TZID ⇄ the EAS `TIME_ZONE_INFORMATION` blob.
//!
//! Every zone is handled as a [`jiff::tz::TimeZone`]: IANA zones from the
//! tz database, blobs and custom (Outlook-style) VTIMEZONEs through the
//! equivalent POSIX TZ rule. A blob is derived for one year ("the event's
//! year") and checked against the source zone at every transition of that
//! year; [`blob_for_zone`] reports whether the blob is exact.

mod blob;
pub mod windows;

pub use blob::{SystemTime, TzBlob, BLOB_LEN};

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ToSpan};

use crate::ical::{Component, Property};
use crate::time::{ical_local, parse_datetime};
use crate::MapError;

/// A TZID resolved to a zone.
#[derive(Clone, Debug)]
pub struct ResolvedZone {
    /// The TZID to write in iCalendar.
    pub tzid: String,
    /// The zone.
    pub tz: TimeZone,
    /// The IANA name, when the zone is one.
    pub iana: Option<String>,
}

/// A blob derived from a zone for one year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DerivedBlob {
    /// The blob (names = Windows id when one shares the rules).
    pub blob: TzBlob,
    /// Whether the blob gives the zone's offsets at every instant of the year.
    pub exact: bool,
}

/// Resolves a TZID: a VTIMEZONE in `cal` that is not an IANA zone is read
/// as custom rules; IANA names (also behind `/vendor/…/` prefixes) and
/// Windows ids come from the tz database.
///
/// # Errors
/// [`MapError::Invalid`] when the TZID is neither defined nor known.
pub fn resolve_tzid(cal: &Component, tzid: &str, year: i16) -> Result<ResolvedZone, MapError> {
    if let Some(z) = known_zone(tzid) {
        return Ok(z);
    }
    let vtz = cal
        .children_named("VTIMEZONE")
        .find(|c| c.prop("TZID").is_some_and(|p| p.text() == tzid));
    if let Some(vtz) = vtz {
        let blob = vtimezone_rules(vtz, year)?;
        return Ok(ResolvedZone {
            tzid: tzid.to_owned(),
            tz: blob.to_time_zone()?,
            iana: None,
        });
    }
    Err(MapError::Invalid(format!(
        "unknown time zone {tzid:?} (no VTIMEZONE defines it)"
    )))
}

/// An IANA name, an IANA name behind a vendor prefix, or a Windows id.
pub fn known_zone(tzid: &str) -> Option<ResolvedZone> {
    let t = tzid.trim();
    let iana = |name: &str| {
        TimeZone::get(name).ok().map(|tz| ResolvedZone {
            tzid: name.to_owned(),
            tz,
            iana: Some(name.to_owned()),
        })
    };
    if t.contains('/') || t.eq_ignore_ascii_case("UTC") || t == "GMT" {
        if let Some(z) = iana(t.trim_start_matches('/')) {
            return Some(z);
        }
        let mut rest = t;
        while let Some((_, tail)) = rest.split_once('/') {
            if tail.contains('/') || TimeZone::get(tail).is_ok() {
                if let Some(z) = iana(tail) {
                    return Some(z);
                }
            }
            rest = tail;
        }
    }
    windows::iana_for_windows(t).and_then(iana)
}

/// Derives the blob of `tz` for `year`.
pub fn blob_for_zone(tz: &TimeZone, year: i16) -> DerivedBlob {
    let trans = transitions(tz, year);
    let jan = year_start(year);
    let base = tz.to_offset(jan);
    let mut candidates: Vec<TzBlob> = Vec::new();
    if trans.len() == 2 {
        let (a, b) = (&trans[0], &trans[1]);
        let (to_std, to_dst) = if a.2.seconds() < b.2.seconds() { (a, b) } else { (b, a) };
        let std_min = to_std.2.seconds() / 60;
        let dst_min = to_dst.2.seconds() / 60;
        let std_opts = systemtime_options(to_std.0, to_std.1);
        let dst_opts = systemtime_options(to_dst.0, to_dst.1);
        for s in &std_opts {
            for d in &dst_opts {
                candidates.push(TzBlob {
                    bias: -std_min,
                    standard_date: *s,
                    daylight_date: *d,
                    daylight_bias: -(dst_min - std_min),
                    ..Default::default()
                });
            }
        }
    }
    // Fallback (and the only candidate for zones without DST): a fixed offset.
    let fixed = TzBlob {
        bias: -(base.seconds() / 60),
        ..Default::default()
    };
    candidates.push(fixed);
    let mut best: Option<(usize, TzBlob)> = None;
    for c in candidates {
        let Ok(ctz) = c.to_time_zone() else { continue };
        if !same_offsets(&ctz, tz, year) {
            continue;
        }
        let score = ((year - 1)..=(year + 2)).filter(|y| same_offsets(&ctz, tz, *y)).count();
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, c));
        }
    }
    let (exact, mut blob) = match best {
        Some((_, b)) => (true, b),
        None => (
            false,
            TzBlob {
                bias: -(base.seconds() / 60),
                ..Default::default()
            },
        ),
    };
    let name = tz
        .iana_name()
        .and_then(windows::windows_for_iana)
        .map(str::to_owned)
        .or_else(|| windows_id_by_rules(&blob, year).map(str::to_owned))
        .or_else(|| tz.iana_name().map(str::to_owned))
        .unwrap_or_default();
    blob.standard_name = name.clone();
    blob.daylight_name = if blob.has_dst() { name } else { String::new() };
    DerivedBlob { blob, exact }
}

/// Maps a blob to a zone: by the Windows id in its name, by the name as an
/// IANA id, by rules against the canonical zones of every Windows id, and
/// otherwise as a custom zone that keeps the blob's rules exactly.
///
/// # Errors
/// [`MapError::BadEas`] when the blob's values are out of range.
pub fn zone_for_blob(blob: &TzBlob, year: i16) -> Result<ResolvedZone, MapError> {
    let own = blob.to_time_zone()?;
    if blob.rules() == TzBlob::utc() {
        return Ok(ResolvedZone {
            tzid: "UTC".into(),
            tz: TimeZone::UTC,
            iana: Some("UTC".into()),
        });
    }
    for name in [blob.standard_name.trim(), blob.daylight_name.trim()] {
        if name.is_empty() {
            continue;
        }
        if let Some(z) = known_zone(name) {
            if same_offsets(&z.tz, &own, year) {
                return Ok(z);
            }
        }
    }
    for (_, iana) in windows::WINDOWS_ZONES {
        if let Ok(tz) = TimeZone::get(iana) {
            if quick_match(&tz, &own, year) && same_offsets(&tz, &own, year) {
                return Ok(ResolvedZone {
                    tzid: (*iana).to_owned(),
                    tz,
                    iana: Some((*iana).to_owned()),
                });
            }
        }
    }
    let tzid = if blob.standard_name.trim().is_empty() {
        format!("Custom {}", blob.to_base64().get(..8).unwrap_or("zone"))
    } else {
        blob.standard_name.trim().to_owned()
    };
    Ok(ResolvedZone {
        tzid,
        tz: own,
        iana: None,
    })
}

/// Whether two zones give the same UTC offset at every instant of `year`.
pub fn same_offsets(a: &TimeZone, b: &TimeZone, year: i16) -> bool {
    let mut points: Vec<Timestamp> = Vec::new();
    for z in [a, b] {
        for (t, _, _) in transitions(z, year) {
            for d in [-1i64, 0, 1] {
                if let Ok(p) = t.checked_add(d.seconds()) {
                    points.push(p);
                }
            }
        }
    }
    for m in 1..=12 {
        if let Ok(d) = Date::new(year, m, 1) {
            if let Ok(z) = d.to_datetime(Time::midnight()).to_zoned(TimeZone::UTC) {
                points.push(z.timestamp());
            }
        }
    }
    points.iter().all(|p| a.to_offset(*p) == b.to_offset(*p))
}

/// A cheap pre-check: the offsets on 1 January and 1 July agree.
fn quick_match(a: &TimeZone, b: &TimeZone, year: i16) -> bool {
    [1, 7].iter().all(|m| {
        Date::new(year, *m, 1)
            .ok()
            .and_then(|d| d.to_datetime(Time::midnight()).to_zoned(TimeZone::UTC).ok())
            .is_some_and(|z| a.to_offset(z.timestamp()) == b.to_offset(z.timestamp()))
    })
}

/// The Windows id whose canonical zone has the same offsets as `blob` in `year`.
fn windows_id_by_rules(blob: &TzBlob, year: i16) -> Option<&'static str> {
    let own = blob.to_time_zone().ok()?;
    windows::WINDOWS_ZONES.iter().find_map(|(w, iana)| {
        let tz = TimeZone::get(iana).ok()?;
        (quick_match(&tz, &own, year) && same_offsets(&tz, &own, year)).then_some(*w)
    })
}

/// Transitions in `year`: (instant, offset before, offset after).
fn transitions(tz: &TimeZone, year: i16) -> Vec<(Timestamp, Offset, Offset)> {
    let start = year_start(year);
    let end = year_start(year.saturating_add(1));
    let mut out = Vec::new();
    for tr in tz.following(start).take(8) {
        let t = tr.timestamp();
        if t >= end {
            break;
        }
        let before = tz.to_offset(t.checked_sub(1.second()).unwrap_or(t));
        if before != tr.offset() {
            out.push((t, before, tr.offset()));
        }
    }
    out
}

fn year_start(year: i16) -> Timestamp {
    Date::new(year, 1, 1)
        .ok()
        .and_then(|d| d.to_datetime(Time::midnight()).to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The SYSTEMTIME rules (n-th weekday, and "last" where it also fits) for a
/// transition at `t`, expressed in the local time before it.
fn systemtime_options(t: Timestamp, before: Offset) -> Vec<SystemTime> {
    let local = before.to_datetime(t);
    let d = local.day();
    let nth = ((d - 1) / 7 + 1) as u16;
    let dim = local.date().days_in_month();
    let base = SystemTime {
        year: 0,
        month: local.month() as u16,
        day_of_week: local.weekday().to_sunday_zero_offset() as u16,
        day: nth,
        hour: local.hour() as u16,
        minute: local.minute() as u16,
        second: local.second() as u16,
        millis: 0,
    };
    let mut v = vec![base];
    if d + 7 > dim && nth != 5 {
        v.insert(0, SystemTime { day: 5, ..base });
    }
    v
}

/// Reads the yearly rules of a VTIMEZONE in force in `year`.
///
/// # Errors
/// [`MapError::Invalid`] when the VTIMEZONE has no usable STANDARD/DAYLIGHT.
pub fn vtimezone_rules(vtz: &Component, year: i16) -> Result<TzBlob, MapError> {
    let offset = |c: &Component, name: &str| c.prop(name).and_then(|p| parse_utc_offset(&p.value));
    let std = pick_observance(vtz, "STANDARD", year);
    let dst = pick_observance(vtz, "DAYLIGHT", year);
    let Some((std_c, std_dt)) = std.or(dst) else {
        return Err(MapError::Invalid("VTIMEZONE has neither STANDARD nor DAYLIGHT".into()));
    };
    let std_min =
        offset(std_c, "TZOFFSETTO").ok_or_else(|| MapError::Invalid("VTIMEZONE STANDARD without TZOFFSETTO".into()))?;
    let mut blob = TzBlob {
        bias: -std_min,
        ..Default::default()
    };
    if let (Some((dst_c, dst_dt)), true) = (dst, std.is_some()) {
        let rs = yearly_rule(std_c, std_dt, year);
        let rd = yearly_rule(dst_c, dst_dt, year);
        if let (Some(s), Some(d), Some(dst_min)) = (rs, rd, offset(dst_c, "TZOFFSETTO")) {
            blob.standard_date = s;
            blob.daylight_date = d;
            blob.daylight_bias = -(dst_min - std_min);
        }
    }
    Ok(blob)
}

/// The STANDARD or DAYLIGHT observance in force in `year` (the latest one
/// starting no later than `year`, else the earliest).
fn pick_observance<'a>(vtz: &'a Component, kind: &'a str, year: i16) -> Option<(&'a Component, DateTime)> {
    let mut best: Option<(&Component, DateTime)> = None;
    for c in vtz.children_named(kind) {
        let Some(dt) = c
            .prop("DTSTART")
            .and_then(|p| parse_datetime(p.value.trim_end_matches('Z')))
        else {
            continue;
        };
        let better = match &best {
            None => true,
            Some((_, b)) => (dt.year() <= year && dt > *b) || (b.year() > year && dt < *b),
        };
        if better {
            best = Some((c, dt));
        }
    }
    best
}

fn yearly_rule(c: &Component, dtstart: DateTime, year: i16) -> Option<SystemTime> {
    let rrule = c.prop("RRULE")?;
    let mut month = None;
    let mut byday = None;
    let mut monthdays: Vec<i8> = Vec::new();
    for part in rrule.value.split(';') {
        let (k, v) = part.split_once('=')?;
        match k.to_ascii_uppercase().as_str() {
            "FREQ" if !v.eq_ignore_ascii_case("YEARLY") => return None,
            "BYMONTH" => month = v.parse::<u16>().ok(),
            "BYDAY" => byday = Some(v.to_ascii_uppercase()),
            "BYMONTHDAY" => monthdays = v.split(',').filter_map(|x| x.parse().ok()).collect(),
            "UNTIL" => {
                let y: i16 = v.get(..4)?.parse().ok()?;
                if y < year {
                    return None;
                }
            }
            _ => {}
        }
    }
    let byday = byday?;
    let (num, wd) = byday.split_at(byday.len().checked_sub(2)?);
    let dow = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
        .iter()
        .position(|d| *d == wd)? as u16;
    let week = match num.parse::<i8>() {
        Ok(n) if n < 0 => 5,
        Ok(n) => n.clamp(1, 5) as u16,
        Err(_) => {
            let first = *monthdays.iter().min()?;
            if first < 0 {
                5
            } else {
                ((first - 1) / 7 + 1) as u16
            }
        }
    };
    Some(SystemTime {
        year: 0,
        month: month.unwrap_or(dtstart.month() as u16),
        day_of_week: dow,
        day: week,
        hour: dtstart.hour() as u16,
        minute: dtstart.minute() as u16,
        second: dtstart.second() as u16,
        millis: 0,
    })
}

fn parse_utc_offset(v: &str) -> Option<i32> {
    let v = v.trim();
    let (sign, rest) = match v.as_bytes().first()? {
        b'+' => (1, v.get(1..)?),
        b'-' => (-1, v.get(1..)?),
        _ => (1, v),
    };
    let h: i32 = rest.get(0..2)?.parse().ok()?;
    let m: i32 = rest.get(2..4)?.parse().ok()?;
    Some(sign * (h * 60 + m))
}

fn fmt_utc_offset(min: i32) -> String {
    let sign = if min < 0 { '-' } else { '+' };
    format!("{sign}{:02}{:02}", min.abs() / 60, min.abs() % 60)
}

/// A VTIMEZONE for `zone`, with the yearly rules in force in `year` (from
/// the tz database for IANA zones, from the blob for custom ones).
pub fn vtimezone(zone: &ResolvedZone, year: i16) -> Component {
    let blob = blob_for_zone(&zone.tz, year).blob;
    let mut vtz = Component::new("VTIMEZONE");
    vtz.push_text("TZID", &zone.tzid);
    let std_off = blob.standard_offset_minutes();
    if !blob.has_dst() {
        let mut s = Component::new("STANDARD");
        s.push_raw("DTSTART", "19700101T000000");
        s.push_raw("TZOFFSETFROM", &fmt_utc_offset(std_off));
        s.push_raw("TZOFFSETTO", &fmt_utc_offset(std_off));
        vtz.children.push(s);
        return vtz;
    }
    let dst_off = blob.daylight_offset_minutes();
    for (kind, st, from, to) in [
        ("STANDARD", blob.standard_date, dst_off, std_off),
        ("DAYLIGHT", blob.daylight_date, std_off, dst_off),
    ] {
        let mut c = Component::new(kind);
        c.push_raw("DTSTART", &ical_local(first_occurrence(1970, &st)));
        let n = if st.day >= 5 {
            "-1".to_owned()
        } else {
            st.day.to_string()
        };
        let wd = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"]
            .get(st.day_of_week as usize)
            .copied()
            .unwrap_or("SU");
        c.push(Property::new(
            "RRULE",
            &format!("FREQ=YEARLY;BYMONTH={};BYDAY={n}{wd}", st.month),
        ));
        c.push_raw("TZOFFSETFROM", &fmt_utc_offset(from));
        c.push_raw("TZOFFSETTO", &fmt_utc_offset(to));
        vtz.children.push(c);
    }
    vtz
}

/// The local date-time of a yearly SYSTEMTIME rule in `year`.
pub fn first_occurrence(year: i16, st: &SystemTime) -> DateTime {
    let month = (st.month as i8).clamp(1, 12);
    let time = Time::new(
        (st.hour as i8).clamp(0, 23),
        (st.minute as i8).clamp(0, 59),
        (st.second as i8).clamp(0, 59),
        0,
    )
    .unwrap_or(Time::midnight());
    let first = Date::new(year, month, 1).unwrap_or(Date::constant(1970, 1, 1));
    let fdow = first.weekday().to_sunday_zero_offset();
    let mut day = 1 + (st.day_of_week as i8 - fdow).rem_euclid(7) + 7 * ((st.day.clamp(1, 5) as i8) - 1);
    while day > first.days_in_month() {
        day -= 7;
    }
    Date::new(year, month, day).unwrap_or(first).to_datetime(time)
}

#[cfg(test)]
mod tests;
