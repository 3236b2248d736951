//! The 172-byte Windows `TIME_ZONE_INFORMATION` structure that EAS sends
//! base64-encoded in `Calendar:Timezone` (brief §5), and its meaning as a
//! yearly rule.

use base64::Engine;
use jiff::tz::{Offset, TimeZone};

use crate::MapError;

/// Length of the structure in bytes.
pub const BLOB_LEN: usize = 172;

/// A Windows `SYSTEMTIME` as used in the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SystemTime {
    /// 0 = yearly rule; otherwise an absolute date.
    pub year: u16,
    /// 1–12; 0 = no transition.
    pub month: u16,
    /// 0 = Sunday … 6.
    pub day_of_week: u16,
    /// Yearly rule: occurrence of the weekday, 1–5 (5 = last); absolute: day.
    pub day: u16,
    /// Local wall-clock hour (time in force before the switch).
    pub hour: u16,
    /// Minute.
    pub minute: u16,
    /// Second.
    pub second: u16,
    /// Milliseconds.
    pub millis: u16,
}

/// A decoded `TIME_ZONE_INFORMATION`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct TzBlob {
    /// Minutes to add to local standard time to get UTC.
    pub bias: i32,
    /// Standard-time name (Windows id, display name or free text).
    pub standard_name: String,
    /// Switch to standard time.
    pub standard_date: SystemTime,
    /// Added to `bias` during standard time.
    pub standard_bias: i32,
    /// Daylight-time name.
    pub daylight_name: String,
    /// Switch to daylight time.
    pub daylight_date: SystemTime,
    /// Added to `bias` during daylight time.
    pub daylight_bias: i32,
}

impl TzBlob {
    /// The all-zero blob, which means UTC.
    pub fn utc() -> Self {
        TzBlob::default()
    }

    /// Whether the blob has daylight-saving transitions.
    pub fn has_dst(&self) -> bool {
        self.standard_date.month != 0 && self.daylight_date.month != 0
    }

    /// Standard-time UTC offset in minutes.
    pub fn standard_offset_minutes(&self) -> i32 {
        self.bias.saturating_add(self.standard_bias).saturating_neg()
    }

    /// Daylight-time UTC offset in minutes.
    pub fn daylight_offset_minutes(&self) -> i32 {
        self.bias.saturating_add(self.daylight_bias).saturating_neg()
    }

    /// The rule part only (names cleared), for comparing zones.
    pub fn rules(&self) -> TzBlob {
        let mut r = self.clone();
        r.standard_name.clear();
        r.daylight_name.clear();
        if !r.has_dst() {
            r.standard_date = SystemTime::default();
            r.daylight_date = SystemTime::default();
            r.daylight_bias = 0;
        }
        r
    }

    /// Serialises to the 172 little-endian bytes.
    pub fn to_bytes(&self) -> [u8; BLOB_LEN] {
        let mut b = [0u8; BLOB_LEN];
        put_i32(&mut b, 0, self.bias);
        put_name(&mut b, 4, &self.standard_name);
        put_systemtime(&mut b, 68, &self.standard_date);
        put_i32(&mut b, 84, self.standard_bias);
        put_name(&mut b, 88, &self.daylight_name);
        put_systemtime(&mut b, 152, &self.daylight_date);
        put_i32(&mut b, 168, self.daylight_bias);
        b
    }

    /// Parses the 172 bytes.
    ///
    /// # Errors
    /// [`MapError::BadEas`] when the length is wrong.
    pub fn from_bytes(b: &[u8]) -> Result<Self, MapError> {
        if b.len() != BLOB_LEN {
            return Err(MapError::BadEas(format!(
                "time-zone blob has {} bytes, expected {BLOB_LEN}",
                b.len()
            )));
        }
        Ok(TzBlob {
            bias: get_i32(b, 0),
            standard_name: get_name(b, 4),
            standard_date: get_systemtime(b, 68),
            standard_bias: get_i32(b, 84),
            daylight_name: get_name(b, 88),
            daylight_date: get_systemtime(b, 152),
            daylight_bias: get_i32(b, 168),
        })
    }

    /// The base64 form sent in `Calendar:Timezone`.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_bytes())
    }

    /// Parses the base64 form (whitespace tolerated).
    ///
    /// # Errors
    /// [`MapError::BadEas`] for bad base64 or a wrong length.
    pub fn from_base64(s: &str) -> Result<Self, MapError> {
        let clean: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(clean.as_bytes())
            .map_err(|e| MapError::BadEas(format!("time-zone blob is not base64: {e}")))?;
        Self::from_bytes(&bytes)
    }

    /// The zone the blob describes, as a `jiff` zone built from the
    /// equivalent POSIX TZ rule.
    ///
    /// # Errors
    /// [`MapError::BadEas`] when offsets or dates are out of range.
    pub fn to_time_zone(&self) -> Result<TimeZone, MapError> {
        let std_min = self.standard_offset_minutes();
        if !(-18 * 60..=18 * 60).contains(&std_min) {
            return Err(MapError::BadEas(format!(
                "time-zone bias {} is out of range",
                self.bias
            )));
        }
        if !self.has_dst() {
            let off = Offset::from_seconds(std_min * 60).map_err(|e| MapError::BadEas(e.to_string()))?;
            return Ok(TimeZone::fixed(off));
        }
        let dst_min = self.daylight_offset_minutes();
        if !(-18 * 60..=18 * 60).contains(&dst_min) {
            return Err(MapError::BadEas(format!(
                "daylight bias {} is out of range",
                self.daylight_bias
            )));
        }
        let posix = format!(
            "<STD>{}<DST>{},{},{}",
            posix_offset(std_min),
            posix_offset(dst_min),
            posix_rule(&self.daylight_date)?,
            posix_rule(&self.standard_date)?,
        );
        TimeZone::posix(&posix).map_err(|e| MapError::BadEas(format!("time-zone blob rule {posix}: {e}")))
    }
}

fn posix_offset(utc_offset_min: i32) -> String {
    // POSIX offsets are west-positive.
    let west = -utc_offset_min;
    let sign = if west < 0 { "-" } else { "+" };
    let a = west.abs();
    format!("{sign}{:02}:{:02}", a / 60, a % 60)
}

fn posix_rule(st: &SystemTime) -> Result<String, MapError> {
    if !(1..=12).contains(&st.month) || st.day_of_week > 6 || st.hour > 24 || st.minute > 59 {
        return Err(MapError::BadEas(format!("time-zone transition {st:?} is out of range")));
    }
    let time = format!("{}:{:02}:{:02}", st.hour, st.minute, st.second.min(59));
    if st.year != 0 {
        // An absolute date: express it as a Julian day (Feb 29 never counted).
        const CUM: [u16; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
        let idx = usize::from(st.month - 1);
        let day = st.day.clamp(1, 31);
        let jday = CUM.get(idx).copied().unwrap_or(0) + day;
        return Ok(format!("J{}/{time}", jday.min(365)));
    }
    let week = st.day.clamp(1, 5);
    Ok(format!("M{}.{}.{}/{time}", st.month, week, st.day_of_week))
}

fn put_i32(b: &mut [u8; BLOB_LEN], at: usize, v: i32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get_i32(b: &[u8], at: usize) -> i32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    i32::from_le_bytes(x)
}

fn put_name(b: &mut [u8; BLOB_LEN], at: usize, name: &str) {
    for (i, u) in name.encode_utf16().take(31).enumerate() {
        b[at + 2 * i..at + 2 * i + 2].copy_from_slice(&u.to_le_bytes());
    }
}

fn get_name(b: &[u8], at: usize) -> String {
    let units: Vec<u16> = (0..32)
        .map(|i| {
            let lo = b.get(at + 2 * i).copied().unwrap_or(0);
            let hi = b.get(at + 2 * i + 1).copied().unwrap_or(0);
            u16::from_le_bytes([lo, hi])
        })
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16_lossy(&units)
}

fn put_systemtime(b: &mut [u8; BLOB_LEN], at: usize, st: &SystemTime) {
    let f = [
        st.year,
        st.month,
        st.day_of_week,
        st.day,
        st.hour,
        st.minute,
        st.second,
        st.millis,
    ];
    for (i, v) in f.iter().enumerate() {
        b[at + 2 * i..at + 2 * i + 2].copy_from_slice(&v.to_le_bytes());
    }
}

fn get_systemtime(b: &[u8], at: usize) -> SystemTime {
    let g = |i: usize| {
        let lo = b.get(at + 2 * i).copied().unwrap_or(0);
        let hi = b.get(at + 2 * i + 1).copied().unwrap_or(0);
        u16::from_le_bytes([lo, hi])
    };
    SystemTime {
        year: g(0),
        month: g(1),
        day_of_week: g(2),
        day: g(3),
        hour: g(4),
        minute: g(5),
        second: g(6),
        millis: g(7),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_evoas_dublin_blob() {
        let b = TzBlob::from_base64(
            "AAAAACgAVQBUAEMAKQAgAEcAcgBlAGUAbgB3AGkAYwBoACAATQBlAGEAbgAgAFQAaQBtAGUAIAA6ACAARAB1AGIAAAAAAAoAAAAFAAIAAAAAAAAAAAAAACgAVQBUAEMAKQAgAEcAcgBlAGUAbgB3AGkAYwBoACAATQBlAGEAbgAgAFQAaQBtAGUAIAA6ACAARAB1AGIAAAAAAAMAAAAFAAEAAAAAAAAAxP///w==",
        )
        .unwrap();
        assert_eq!(b.bias, 0);
        assert_eq!(b.daylight_bias, -60);
        assert_eq!(b.standard_date.month, 10);
        assert_eq!(b.standard_date.day, 5);
        assert_eq!(b.daylight_date.hour, 1);
        assert!(b.standard_name.starts_with("(UTC) Greenwich"));
        assert_eq!(TzBlob::from_base64(&b.to_base64()).unwrap(), b);
        let tz = b.to_time_zone().unwrap();
        let summer = "2024-07-01T12:00:00Z".parse::<jiff::Timestamp>().unwrap();
        assert_eq!(tz.to_offset(summer).seconds(), 3600);
    }

    #[test]
    fn rejects_wrong_length() {
        assert!(TzBlob::from_base64("AAAA").is_err());
        assert!(TzBlob::from_base64("!!!").is_err());
        assert_eq!(TzBlob::from_base64(&TzBlob::utc().to_base64()).unwrap(), TzBlob::utc());
    }
}
