//! Date/time forms: MS-ASDTYPE compact and extended UTC values, iCalendar
//! DATE / DATE-TIME values, and their resolution against a time zone.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::ical::{Component, Property};
use crate::tz;
use crate::MapError;

/// An iCalendar DATE or DATE-TIME value, before zone resolution.
#[derive(Clone, Debug, PartialEq)]
pub enum IcalTime {
    /// `VALUE=DATE`.
    Date(Date),
    /// A DATE-TIME without zone.
    Floating(DateTime),
    /// A DATE-TIME in UTC (`Z`).
    Utc(Timestamp),
    /// A DATE-TIME with `TZID`.
    Zoned(DateTime, String),
}

impl IcalTime {
    /// Reads a DTSTART-like property.
    ///
    /// # Errors
    /// [`MapError::Invalid`] for a malformed value.
    pub fn from_prop(p: &Property) -> Result<Self, MapError> {
        let v = p.value.split(',').next().unwrap_or("").trim();
        Self::parse(v, p.param("TZID"), p.param("VALUE"))
            .ok_or_else(|| MapError::Invalid(format!("{} has a malformed date {:?}", p.name, p.value)))
    }

    /// Parses a value with its TZID/VALUE parameters.
    pub fn parse(v: &str, tzid: Option<&str>, value: Option<&str>) -> Option<Self> {
        if value.is_some_and(|x| x.eq_ignore_ascii_case("DATE")) || v.len() == 8 {
            return parse_date(v).map(IcalTime::Date);
        }
        let (body, utc) = match v.strip_suffix(['Z', 'z']) {
            Some(b) => (b, true),
            None => (v, false),
        };
        let dt = parse_datetime(body)?;
        if utc {
            return dt.to_zoned(TimeZone::UTC).ok().map(|z| IcalTime::Utc(z.timestamp()));
        }
        Some(match tzid {
            Some(t) => IcalTime::Zoned(dt, t.to_owned()),
            None => IcalTime::Floating(dt),
        })
    }

    /// Whether this is a DATE value.
    pub fn is_date(&self) -> bool {
        matches!(self, IcalTime::Date(_))
    }

    /// The instant, resolving TZIDs against `cal`'s VTIMEZONEs; floating and
    /// DATE values are read in `fallback`.
    ///
    /// # Errors
    /// [`MapError::Invalid`] for an unknown TZID or an impossible local time.
    pub fn instant(&self, cal: &Component, fallback: &TimeZone) -> Result<Timestamp, MapError> {
        let (dt, zone) = match self {
            IcalTime::Utc(t) => return Ok(*t),
            IcalTime::Date(d) => (d.to_datetime(jiff::civil::Time::midnight()), fallback.clone()),
            IcalTime::Floating(dt) => (*dt, fallback.clone()),
            IcalTime::Zoned(dt, tzid) => (*dt, tz::resolve_tzid(cal, tzid, dt.year())?.tz),
        };
        zone.to_ambiguous_zoned(dt)
            .compatible()
            .map(|z| z.timestamp())
            .map_err(|e| MapError::Invalid(format!("local time {dt} cannot be resolved: {e}")))
    }
}

/// Parses `YYYYMMDD` (also `YYYY-MM-DD`).
pub fn parse_date(v: &str) -> Option<Date> {
    let d: String = v.chars().filter(|c| *c != '-').collect();
    if d.len() != 8 || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i16 = d.get(0..4)?.parse().ok()?;
    let m: i8 = d.get(4..6)?.parse().ok()?;
    let day: i8 = d.get(6..8)?.parse().ok()?;
    Date::new(y, m, day).ok()
}

/// Parses `YYYYMMDDTHHMMSS` leniently (separators, missing seconds and a
/// fractional part are accepted).
pub fn parse_datetime(v: &str) -> Option<DateTime> {
    let (date, time) = v.split_once(['T', 't'])?;
    let d = parse_date(date)?;
    let t: String = time.split('.').next()?.chars().filter(|c| *c != ':').collect();
    if !(t.len() == 4 || t.len() == 6) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i8 = t.get(0..2)?.parse().ok()?;
    let mi: i8 = t.get(2..4)?.parse().ok()?;
    let s: i8 = if t.len() == 6 { t.get(4..6)?.parse().ok()? } else { 0 };
    let s = s.min(59);
    jiff::civil::Time::new(h, mi, s, 0).ok().map(|tm| d.to_datetime(tm))
}

/// Parses an EAS UTC value in either the compact (`YYYYMMDDTHHMMSSZ`) or the
/// extended (`YYYY-MM-DDTHH:MM:SS.sssZ`) form.
///
/// # Errors
/// [`MapError::BadEas`] for anything else.
pub fn parse_eas_utc(v: &str) -> Result<Timestamp, MapError> {
    let body = v.trim().trim_end_matches(['Z', 'z']);
    parse_datetime(body)
        .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .ok_or_else(|| MapError::BadEas(format!("malformed date-time {v:?}")))
}

/// Formats the MS-ASDTYPE compact form `YYYYMMDDTHHMMSSZ`.
pub fn compact(t: Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// Formats the MS-ASDTYPE extended form `YYYY-MM-DDTHH:MM:SS.000Z`.
pub fn extended(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// Formats a UTC DATE-TIME value (`…Z`).
pub fn ical_utc(t: Timestamp) -> String {
    compact(t)
}

/// Formats a local DATE-TIME value (no `Z`).
pub fn ical_local(dt: DateTime) -> String {
    dt.strftime("%Y%m%dT%H%M%S").to_string()
}

/// Formats a DATE value.
pub fn ical_date(d: Date) -> String {
    d.strftime("%Y%m%d").to_string()
}

/// The civil date of `t` in UTC.
pub fn utc_date(t: Timestamp) -> Date {
    t.to_zoned(TimeZone::UTC).date()
}

/// Midnight UTC of a date.
pub fn date_utc_midnight(d: Date) -> Timestamp {
    d.to_datetime(jiff::civil::Time::midnight())
        .to_zoned(TimeZone::UTC)
        .map(|z| z.timestamp())
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eas_forms() {
        let t = parse_eas_utc("20240102T030405Z").unwrap();
        assert_eq!(compact(t), "20240102T030405Z");
        assert_eq!(extended(t), "2024-01-02T03:04:05.000Z");
        assert_eq!(parse_eas_utc("2024-01-02T03:04:05.123Z").unwrap(), t);
        assert!(parse_eas_utc("yesterday").is_err());
    }

    #[test]
    fn ical_values() {
        assert!(matches!(
            IcalTime::parse("20240102", None, None),
            Some(IcalTime::Date(_))
        ));
        assert!(matches!(
            IcalTime::parse("20240102T010000Z", None, None),
            Some(IcalTime::Utc(_))
        ));
        assert!(matches!(
            IcalTime::parse("20240102T010000", Some("X"), None),
            Some(IcalTime::Zoned(..))
        ));
        assert!(IcalTime::parse("2024010", None, None).is_none());
        assert!(IcalTime::parse("20241399T010000", None, None).is_none());
    }
}
