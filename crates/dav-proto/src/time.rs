//! UTC date-time values as used in CalDAV time-range attributes (`YYYYMMDDTHHMMSSZ`).

use crate::error::ProtoError;

/// Seconds since the Unix epoch for a proleptic Gregorian civil date (UTC).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (y, m, d) of a day number since the epoch.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYYMMDD`, `YYYYMMDDTHHMMSS` or `YYYYMMDDTHHMMSSZ` into Unix seconds, treating
/// values without `Z` as UTC (callers decide about floating time).
///
/// # Errors
/// [`ProtoError::DateTime`] when the value is not in one of these forms.
pub fn parse_utc(s: &str) -> Result<i64, ProtoError> {
    let bad = || ProtoError::DateTime(s.to_owned());
    let t = s.trim();
    let t = t.strip_suffix('Z').unwrap_or(t);
    let num = |a: usize, b: usize| -> Result<i64, ProtoError> {
        t.get(a..b)
            .filter(|x| x.bytes().all(|c| c.is_ascii_digit()))
            .and_then(|x| x.parse().ok())
            .ok_or_else(bad)
    };
    if t.len() != 8 && t.len() != 15 {
        return Err(bad());
    }
    let (y, mo, d) = (num(0, 4)?, num(4, 6)?, num(6, 8)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let (h, mi, se) = if t.len() == 15 {
        if t.as_bytes().get(8) != Some(&b'T') {
            return Err(bad());
        }
        (num(9, 11)?, num(11, 13)?, num(13, 15)?)
    } else {
        (0, 0, 0)
    };
    if h > 23 || mi > 59 || se > 60 {
        return Err(bad());
    }
    Ok(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Formats Unix seconds as `YYYYMMDDTHHMMSSZ`.
pub fn format_utc(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    let s = ts.rem_euclid(86_400);
    format!("{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z", s / 3600, (s / 60) % 60, s % 60)
}

/// Formats Unix seconds as `YYYYMMDD` (for all-day values).
pub fn format_date(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}{m:02}{d:02}")
}

/// Formats Unix seconds as an RFC 1123 HTTP date (`getlastmodified`, `Last-Modified`).
pub fn format_http_date(ts: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = ts.div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let s = ts.rem_euclid(86_400);
    let wd = DAYS.get(days.rem_euclid(7) as usize).copied().unwrap_or("Thu");
    let mn = MONTHS.get((m as usize).saturating_sub(1)).copied().unwrap_or("Jan");
    format!(
        "{wd}, {d:02} {mn} {y:04} {:02}:{:02}:{:02} GMT",
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let t = parse_utc("20060104T140000Z").unwrap();
        assert_eq!(t, 1_136_383_200);
        assert_eq!(format_utc(t), "20060104T140000Z");
        assert_eq!(parse_utc("19700101").unwrap(), 0);
        assert_eq!(format_date(86_400 * 365), "19710101");
        assert_eq!(format_http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(parse_utc("2006-01-04").is_err());
        assert!(parse_utc("20061304T000000Z").is_err());
        assert!(parse_utc("").is_err());
    }
}
