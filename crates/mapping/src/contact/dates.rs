//! Birthday and anniversary: vCard dates ⇄ the EAS date-time form.
//!
//! # The rule (see also `docs/mapping.md`, Contacts)
//!
//! * **Writing to EAS**: the calendar date D is sent as `D T12:00:00.000Z`
//!   (noon UTC). Every zone from UTC−11 to UTC+11 sees that instant on date D,
//!   so Outlook, OWA and phones show the right day without our knowing the
//!   user's zone. (Exchange itself stores local midnight; noon is the
//!   zone-free choice.)
//! * **Reading from EAS**: the instant is rounded to the nearest UTC midnight
//!   and that day is taken (exactly 12:00 stays on the same day). This undoes
//!   Exchange's "local midnight converted to UTC" for every zone within ±12 h:
//!   `1990-05-16T22:00:00.000Z` (midnight in Berlin, summer) reads as
//!   1990-05-17, `1990-05-17T05:00:00.000Z` (midnight in New York) too. Taking
//!   the date prefix instead is the classic off-by-one-day bug for users east
//!   of UTC.
//! * **Year-less dates** (`--0517`, or Apple's `X-APPLE-OMIT-YEAR=1604`):
//!   EAS needs a year, so year 1604 is sent (Apple's placeholder); 1604 read
//!   back becomes `--0517` in vCard 4.0 and `X-APPLE-OMIT-YEAR=1604` in 3.0.
//! * A date that is not a date (vCard 4.0 `VALUE=text`, "circa 1800") is not
//!   sent; the line stays in the residue.

use jiff::civil::Date;

/// Apple's placeholder year for "no year".
pub(crate) const NO_YEAR: i16 = 1604;

/// Parses a vCard BDAY/ANNIVERSARY value (3.0/4.0 forms, with or without
/// dashes, with an optional time). `omit_year` is Apple's parameter.
pub(crate) fn parse_vcard_date(value: &str, omit_year: Option<&str>) -> Option<Date> {
    let v = value.trim();
    let date_part = v.split('T').next().unwrap_or(v);
    let date = if let Some(md) = date_part.strip_prefix("--") {
        // --MMDD or --MM-DD (4.0 / 3.0 year-less).
        let md: String = md.chars().filter(|c| *c != '-').collect();
        if md.len() != 4 {
            return None;
        }
        Date::new(NO_YEAR, md.get(0..2)?.parse().ok()?, md.get(2..4)?.parse().ok()?).ok()?
    } else {
        let digits: String = date_part.chars().filter(|c| *c != '-').collect();
        if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        Date::new(
            digits.get(0..4)?.parse().ok()?,
            digits.get(4..6)?.parse().ok()?,
            digits.get(6..8)?.parse().ok()?,
        )
        .ok()?
    };
    // Apple writes the placeholder year itself; honour the parameter anyway.
    match omit_year.and_then(|y| y.trim().parse::<i16>().ok()) {
        Some(y) if y == date.year() => Date::new(NO_YEAR, date.month(), date.day()).ok(),
        _ => Some(date),
    }
}

/// The EAS form of a date: noon UTC on that day.
pub(crate) fn to_eas(date: Date) -> String {
    format!("{:04}-{:02}-{:02}T12:00:00.000Z", date.year(), date.month(), date.day())
}

/// Reads an EAS Birthday/Anniversary (extended or compact form, or a bare
/// date), rounding to the nearest UTC midnight.
pub(crate) fn from_eas(value: &str) -> Option<Date> {
    let v = value.trim();
    let (d, t) = match v.split_once('T') {
        Some((d, t)) => (d, t),
        None => (v, ""),
    };
    let digits: String = d.chars().filter(|c| *c != '-').collect();
    if digits.len() != 8 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let date = Date::new(
        digits.get(0..4)?.parse().ok()?,
        digits.get(4..6)?.parse().ok()?,
        digits.get(6..8)?.parse().ok()?,
    )
    .ok()?;
    let tdigits: String = t
        .chars()
        .take_while(|c| *c != '.' && *c != 'Z')
        .filter(|c| *c != ':')
        .collect();
    let hour: u32 = tdigits.get(0..2).and_then(|h| h.parse().ok()).unwrap_or(0);
    let rest: u32 = tdigits.get(2..).and_then(|h| h.parse().ok()).unwrap_or(0);
    if hour > 12 || (hour == 12 && rest > 0) {
        date.tomorrow().ok()
    } else {
        Some(date)
    }
}

/// The vCard form of a date for `v4` or 3.0: `(params, value)`.
pub(crate) fn to_vcard(date: Date, v4: bool) -> (Option<String>, String) {
    if date.year() == NO_YEAR {
        if v4 {
            (None, format!("--{:02}{:02}", date.month(), date.day()))
        } else {
            (
                Some(format!("X-APPLE-OMIT-YEAR={NO_YEAR}")),
                format!("{NO_YEAR}-{:02}-{:02}", date.month(), date.day()),
            )
        }
    } else if v4 {
        (None, format!("{:04}{:02}{:02}", date.year(), date.month(), date.day()))
    } else {
        (
            None,
            format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn vcard_forms() {
        assert_eq!(parse_vcard_date("1990-05-17", None), Some(d(1990, 5, 17)));
        assert_eq!(parse_vcard_date("19900517", None), Some(d(1990, 5, 17)));
        assert_eq!(parse_vcard_date("1990-05-17T00:00:00Z", None), Some(d(1990, 5, 17)));
        assert_eq!(parse_vcard_date("--0517", None), Some(d(NO_YEAR, 5, 17)));
        assert_eq!(parse_vcard_date("--05-17", None), Some(d(NO_YEAR, 5, 17)));
        assert_eq!(parse_vcard_date("1604-05-17", Some("1604")), Some(d(NO_YEAR, 5, 17)));
        assert_eq!(parse_vcard_date("circa 1800", None), None);
        assert_eq!(parse_vcard_date("28/09/1889", None), None);
        assert_eq!(parse_vcard_date("1990-02-30", None), None);
    }

    #[test]
    fn eas_read_rule_undoes_local_midnight() {
        // Berlin summer (UTC+2): local midnight of the 17th.
        assert_eq!(from_eas("1990-05-16T22:00:00.000Z"), Some(d(1990, 5, 17)));
        // New York (UTC-4): local midnight of the 17th.
        assert_eq!(from_eas("1990-05-17T04:00:00.000Z"), Some(d(1990, 5, 17)));
        // Tokyo (UTC+9) and Auckland (UTC+12).
        assert_eq!(from_eas("1990-05-16T15:00:00.000Z"), Some(d(1990, 5, 17)));
        assert_eq!(from_eas("1990-05-16T12:00:01.000Z"), Some(d(1990, 5, 17)));
        // Our own noon form and exactly-noon stay on the day.
        assert_eq!(from_eas("1990-05-17T12:00:00.000Z"), Some(d(1990, 5, 17)));
        assert_eq!(from_eas("1990-05-17T00:00:00.000Z"), Some(d(1990, 5, 17)));
        assert_eq!(from_eas("19900516T220000Z"), Some(d(1990, 5, 17)));
        assert_eq!(from_eas("1990-05-17"), Some(d(1990, 5, 17)));
        assert_eq!(from_eas("1990-12-31T23:00:00.000Z"), Some(d(1991, 1, 1)));
        assert_eq!(from_eas("garbage"), None);
    }

    #[test]
    fn write_rule_survives_every_zone_within_11_hours() {
        let day = d(2000, 2, 29);
        let sent = to_eas(day);
        assert_eq!(sent, "2000-02-29T12:00:00.000Z");
        let ts: jiff::Timestamp = sent.parse().unwrap();
        for off in -11..=11 {
            let local = ts.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(off))).date();
            assert_eq!(local, day, "offset {off}");
        }
        assert_eq!(from_eas(&sent), Some(day));
    }

    #[test]
    fn year_less_round_trip() {
        let day = d(NO_YEAR, 5, 17);
        assert_eq!(to_vcard(day, true), (None, "--0517".to_string()));
        assert_eq!(
            to_vcard(day, false),
            (Some("X-APPLE-OMIT-YEAR=1604".to_string()), "1604-05-17".to_string())
        );
        assert_eq!(from_eas(&to_eas(day)), Some(day));
    }
}
