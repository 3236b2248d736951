//! The VEVENT ⇄ Calendar field table and its small converters, shared by the
//! series, its exceptions and (partly) tasks.

use jiff::SignedDuration;
use wbxml::tags::{airsyncbase as asb, calendar as c};
use wbxml::{Element, Tag};

use crate::ical::{escape_text, split_text_list, Component, Property};
use crate::ProtocolVersion;

/// One row of the field table (also the source of `docs/mapping.md`).
#[derive(Clone, Copy, Debug)]
pub struct FieldRow {
    /// The EAS element.
    pub eas: &'static str,
    /// The iCalendar side.
    pub ical: &'static str,
    /// Versions in which the client sends it.
    pub sent: &'static str,
    /// Notes.
    pub note: &'static str,
}

/// Every Calendar element the mapping handles.
#[rustfmt::skip]
pub const CALENDAR_FIELDS: &[FieldRow] = &[
    FieldRow { eas: "Subject", ical: "SUMMARY", sent: "all", note: "" },
    FieldRow { eas: "Location", ical: "LOCATION", sent: "≤14.1", note: "16.x: airsyncbase:Location/DisplayName" },
    FieldRow { eas: "airsyncbase:Location", ical: "LOCATION", sent: "16.x", note: "DisplayName only" },
    FieldRow { eas: "airsyncbase:Body", ical: "DESCRIPTION / X-ALT-DESC;FMTTYPE=text/html", sent: "all", note: "sent as Type 1; HTML from the server kept as X-ALT-DESC" },
    FieldRow { eas: "StartTime / EndTime", ical: "DTSTART / DTEND / DURATION", sent: "all", note: "UTC compact; all-day = dates at T000000Z" },
    FieldRow { eas: "AllDayEvent", ical: "DTSTART;VALUE=DATE", sent: "all", note: "" },
    FieldRow { eas: "Timezone", ical: "TZID + VTIMEZONE", sent: "all (not for 16.x all-day)", note: "blob for the event's year" },
    FieldRow { eas: "BusyStatus", ical: "TRANSP + X-MICROSOFT-CDO-BUSYSTATUS", sent: "all", note: "0 FREE, 1 TENTATIVE, 2 BUSY, 3 OOF, 4 WORKINGELSEWHERE" },
    FieldRow { eas: "Sensitivity", ical: "CLASS", sent: "all", note: "0 PUBLIC, 1 X-PERSONAL, 2 PRIVATE, 3 CONFIDENTIAL" },
    FieldRow { eas: "UID", ical: "UID", sent: "≤14.1", note: "" },
    FieldRow { eas: "ClientUid", ical: "UID", sent: "16.x", note: "" },
    FieldRow { eas: "DtStamp", ical: "DTSTAMP", sent: "≤14.1", note: "" },
    FieldRow { eas: "OrganizerName / OrganizerEmail", ical: "ORGANIZER;CN", sent: "≤14.1", note: "" },
    FieldRow { eas: "Attendees/Attendee", ical: "ATTENDEE", sent: "all", note: "Email = mailto, Name = CN" },
    FieldRow { eas: "AttendeeType", ical: "ROLE / CUTYPE", sent: "all", note: "1 REQ-PARTICIPANT, 2 OPT-PARTICIPANT, 3 CUTYPE=RESOURCE" },
    FieldRow { eas: "AttendeeStatus", ical: "PARTSTAT", sent: "≤14.1", note: "0/5 NEEDS-ACTION, 2 TENTATIVE, 3 ACCEPTED, 4 DECLINED" },
    FieldRow { eas: "MeetingStatus", ical: "STATUS:CANCELLED + X-EAS-MEETINGSTATUS", sent: "all", note: "0 without attendees, 1 with, +4 cancelled" },
    FieldRow { eas: "ResponseRequested", ical: "ATTENDEE;RSVP=TRUE", sent: "14.0+", note: "" },
    FieldRow { eas: "ResponseType", ical: "X-EAS-RESPONSETYPE", sent: "never (server only)", note: "" },
    FieldRow { eas: "AppointmentReplyTime", ical: "X-EAS-APPOINTMENTREPLYTIME", sent: "never (server only)", note: "" },
    FieldRow { eas: "Reminder", ical: "first VALARM relative to start", sent: "all", note: "minutes before start" },
    FieldRow { eas: "Categories/Category", ical: "CATEGORIES", sent: "all", note: "" },
    FieldRow { eas: "DisallowNewTimeProposal", ical: "X-MICROSOFT-DISALLOW-COUNTER", sent: "14.0+", note: "" },
    FieldRow { eas: "OnlineMeetingConfLink / ExternalLink", ical: "X-EAS-ONLINEMEETINGCONFLINK / X-EAS-ONLINEMEETINGEXTERNALLINK", sent: "never (server only)", note: "" },
    FieldRow { eas: "Recurrence", ical: "RRULE", sent: "all", note: "see recur.rs" },
    FieldRow { eas: "Exceptions (Deleted)", ical: "EXDATE", sent: "≤14.1; 16.x: Delete + InstanceId", note: "" },
    FieldRow { eas: "Exceptions", ical: "VEVENT with RECURRENCE-ID", sent: "≤14.1; 16.x: Change + InstanceId", note: "" },
];

/// Properties of a VEVENT that the mapping consumes (everything else is residue).
pub const MAPPED_EVENT_PROPS: &[&str] = &[
    "UID",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "DTSTART",
    "DTEND",
    "DURATION",
    "TRANSP",
    "X-MICROSOFT-CDO-BUSYSTATUS",
    "CLASS",
    "DTSTAMP",
    "ORGANIZER",
    "ATTENDEE",
    "CATEGORIES",
    "X-MICROSOFT-DISALLOW-COUNTER",
    "RRULE",
    "EXDATE",
    "RECURRENCE-ID",
    "X-MICROSOFT-CDO-ALLDAYEVENT",
    "X-EAS-MEETINGSTATUS",
    "X-EAS-RESPONSETYPE",
    "X-EAS-RESPONSEREQUESTED",
    "X-EAS-APPOINTMENTREPLYTIME",
    "X-EAS-ONLINEMEETINGCONFLINK",
    "X-EAS-ONLINEMEETINGEXTERNALLINK",
    "X-EAS-CALENDARTYPE",
    "X-EAS-ISLEAPMONTH",
];

/// Parameters each mapped property carries in EAS (others go to the residue).
pub fn mapped_params(prop: &str) -> &'static [&'static str] {
    match prop {
        "DTSTART" | "DTEND" | "DUE" | "RECURRENCE-ID" | "EXDATE" => &["TZID", "VALUE"],
        "ATTENDEE" => &["CN", "ROLE", "PARTSTAT", "CUTYPE", "RSVP"],
        "ORGANIZER" => &["CN"],
        "DURATION" | "RRULE" | "UID" | "DTSTAMP" | "TRANSP" | "CLASS" => &["VALUE"],
        _ => &[],
    }
}

/// BusyStatus from TRANSP / STATUS / X-MICROSOFT-CDO-BUSYSTATUS.
pub fn busy_status(ev: &Component) -> u8 {
    if let Some(p) = ev.prop("X-MICROSOFT-CDO-BUSYSTATUS") {
        match p.value.to_ascii_uppercase().as_str() {
            "FREE" => return 0,
            "TENTATIVE" => return 1,
            "BUSY" => return 2,
            "OOF" => return 3,
            "WORKINGELSEWHERE" => return 4,
            _ => {}
        }
    }
    if ev
        .prop("TRANSP")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("TRANSPARENT"))
    {
        0
    } else if ev
        .prop("STATUS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("TENTATIVE"))
    {
        1
    } else {
        2
    }
}

/// TRANSP and X-MICROSOFT-CDO-BUSYSTATUS for a BusyStatus.
pub fn busy_props(v: u8) -> [Property; 2] {
    let (transp, cdo) = match v {
        0 => ("TRANSPARENT", "FREE"),
        1 => ("OPAQUE", "TENTATIVE"),
        3 => ("OPAQUE", "OOF"),
        4 => ("OPAQUE", "WORKINGELSEWHERE"),
        _ => ("OPAQUE", "BUSY"),
    };
    [
        Property::new("TRANSP", transp),
        Property::new("X-MICROSOFT-CDO-BUSYSTATUS", cdo),
    ]
}

/// Sensitivity from CLASS.
pub fn sensitivity(ev: &Component) -> Option<u8> {
    let v = ev.prop("CLASS")?.value.to_ascii_uppercase();
    Some(match v.as_str() {
        "PUBLIC" => 0,
        "X-PERSONAL" => 1,
        "CONFIDENTIAL" => 3,
        _ => 2,
    })
}

/// CLASS for a Sensitivity.
pub fn class_value(v: u8) -> &'static str {
    match v {
        0 => "PUBLIC",
        1 => "X-PERSONAL",
        3 => "CONFIDENTIAL",
        _ => "PRIVATE",
    }
}

/// All CATEGORIES values of a component.
pub fn categories(ev: &Component) -> Vec<String> {
    ev.props_named("CATEGORIES")
        .flat_map(|p| split_text_list(&p.value))
        .collect()
}

/// The CATEGORIES property for a list.
pub fn categories_prop(cats: &[String]) -> Property {
    let v: Vec<String> = cats.iter().map(|c| escape_text(c)).collect();
    Property::new("CATEGORIES", &v.join(","))
}

/// Parses an RFC 5545 duration (`-PT15M`, `P1D`, `P2W`, `PT1H30M`).
pub fn parse_duration(s: &str) -> Option<SignedDuration> {
    let s = s.trim();
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, s.get(1..)?),
        b'+' => (false, s.get(1..)?),
        _ => (false, s),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let mut secs: i64 = 0;
    let mut num = String::new();
    let mut in_time = false;
    for ch in rest.chars() {
        match ch.to_ascii_uppercase() {
            'T' => in_time = true,
            d if d.is_ascii_digit() => num.push(d),
            unit => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                let mult = match (unit, in_time) {
                    ('W', false) => 7 * 86_400,
                    ('D', false) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                secs = secs.checked_add(n.checked_mul(mult)?)?;
            }
        }
    }
    if !num.is_empty() {
        return None;
    }
    Some(SignedDuration::from_secs(if neg { -secs } else { secs }))
}

/// `start` + an iCalendar DURATION, its days and weeks counted as nominal
/// days in `zone` (RFC 5545 3.3.6: 23 or 25 hours across a DST change), its
/// time part as exact seconds. Without a zone every day is 24 hours.
pub fn add_duration(start: jiff::Timestamp, zone: Option<&jiff::tz::TimeZone>, raw: &str) -> Option<jiff::Timestamp> {
    let s = raw.trim();
    let (neg, body) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (date_part, time_part) = match body.find(['T', 't']) {
        Some(i) => (body.get(..i)?, body.get(i..)?),
        None => (body, ""),
    };
    let sign = if neg { -1 } else { 1 };
    let days = sign * parse_duration(date_part)?.as_secs() / 86_400;
    let secs = if time_part.is_empty() {
        0
    } else {
        sign * parse_duration(&format!("P{time_part}"))?.as_secs()
    };
    let mid = match zone {
        Some(z) if days != 0 => {
            let span = jiff::Span::new().try_days(days).ok()?;
            start.to_zoned(z.clone()).checked_add(span).ok()?.timestamp()
        }
        _ => start
            .checked_add(SignedDuration::from_secs(days.checked_mul(86_400)?))
            .ok()?,
    };
    mid.checked_add(SignedDuration::from_secs(secs)).ok()
}

/// Minutes before start of the first alarm that EAS `Reminder` can carry:
/// a DISPLAY (or AUDIO) alarm whose TRIGGER is a duration at or before the
/// start. Returns the alarm's index among the component's VALARMs.
pub fn reminder(ev: &Component) -> Option<(usize, u32)> {
    let alarms: Vec<&Component> = ev.children_named("VALARM").collect();
    let pick = |actions: &[&str]| {
        alarms.iter().enumerate().find_map(|(i, a)| {
            let action = a.prop("ACTION")?.value.to_ascii_uppercase();
            if !actions.contains(&action.as_str()) {
                return None;
            }
            let trig = a.prop("TRIGGER")?;
            if trig.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME"))
                || trig.param("RELATED").is_some_and(|v| v.eq_ignore_ascii_case("END"))
            {
                return None;
            }
            let d = parse_duration(&trig.value)?;
            let secs = d.as_secs();
            (secs <= 0 && secs % 60 == 0).then(|| (i, u32::try_from(-secs / 60).unwrap_or(0)))
        })
    };
    pick(&["DISPLAY"]).or_else(|| pick(&["AUDIO"]))
}

/// A display VALARM `minutes` before start.
pub fn reminder_alarm(minutes: u32) -> Component {
    let mut a = Component::new("VALARM");
    a.push_raw("ACTION", "DISPLAY");
    a.push_raw("DESCRIPTION", "Reminder");
    a.push_raw(
        "TRIGGER",
        &if minutes == 0 {
            "PT0S".to_owned()
        } else {
            format!("-PT{minutes}M")
        },
    );
    a
}

/// An attendee as EAS sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attendee {
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub name: Option<String>,
    /// AttendeeType 1/2/3.
    pub kind: Option<u8>,
    /// AttendeeStatus.
    pub status: Option<u8>,
}

/// Strips `mailto:` from a cal-address.
pub fn address(v: &str) -> String {
    let v = v.trim();
    match v.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("mailto:") => v.get(7..).unwrap_or("").to_owned(),
        _ => v.to_owned(),
    }
}

/// Reads an ATTENDEE property.
pub fn attendee_from_prop(p: &Property) -> Attendee {
    let cutype = p.param("CUTYPE").map(str::to_ascii_uppercase);
    let role = p.param("ROLE").map(str::to_ascii_uppercase);
    let kind = if matches!(cutype.as_deref(), Some("RESOURCE" | "ROOM")) {
        3
    } else if matches!(role.as_deref(), Some("OPT-PARTICIPANT" | "NON-PARTICIPANT")) {
        2
    } else {
        1
    };
    let status = p.param("PARTSTAT").map(|s| match s.to_ascii_uppercase().as_str() {
        "ACCEPTED" => 3,
        "TENTATIVE" => 2,
        "DECLINED" => 4,
        "NEEDS-ACTION" => 5,
        _ => 0,
    });
    Attendee {
        email: address(&p.value),
        name: p.param("CN").map(str::to_owned),
        kind: Some(kind),
        status,
    }
}

/// Renders an attendee; `rsvp` from ResponseRequested.
pub fn attendee_prop(a: &Attendee, rsvp: bool) -> Property {
    let mut p = Property::new("ATTENDEE", &format!("mailto:{}", a.email));
    if let Some(n) = &a.name {
        p = p.with_param("CN", n);
    }
    match a.kind {
        Some(2) => p = p.with_param("ROLE", "OPT-PARTICIPANT"),
        Some(3) => p = p.with_param("CUTYPE", "RESOURCE").with_param("ROLE", "NON-PARTICIPANT"),
        _ => p = p.with_param("ROLE", "REQ-PARTICIPANT"),
    }
    // AttendeeStatus 0 ("response unknown") and an absent one leave PARTSTAT
    // out, which RFC 5545 reads as NEEDS-ACTION.
    let partstat = match a.status {
        Some(2) => Some("TENTATIVE"),
        Some(3) => Some("ACCEPTED"),
        Some(4) => Some("DECLINED"),
        Some(5) => Some("NEEDS-ACTION"),
        _ => None,
    };
    if let Some(ps) = partstat {
        p = p.with_param("PARTSTAT", ps);
    }
    if rsvp {
        p = p.with_param("RSVP", "TRUE");
    }
    p
}

/// The `Attendees` element (AttendeeStatus only where the client may send it).
pub fn attendees_element(list: &[Attendee], version: ProtocolVersion) -> Element {
    let mut el = Element::new(c::ATTENDEES);
    for a in list {
        let mut at = Element::new(c::ATTENDEE).with_text_child(c::EMAIL, a.email.clone());
        at.push_text(c::NAME, a.name.clone().unwrap_or_else(|| a.email.clone()));
        if !version.is_16() {
            if let Some(s) = a.status {
                at.push_text(c::ATTENDEE_STATUS, s.to_string());
            }
        }
        if let Some(k) = a.kind {
            at.push_text(c::ATTENDEE_TYPE, k.to_string());
        }
        el.push(at);
    }
    el
}

/// Reads an `Attendees` element.
pub fn attendees_from(el: &Element) -> Vec<Attendee> {
    el.find_all(c::ATTENDEE)
        .map(|a| Attendee {
            email: a.child_text(c::EMAIL).unwrap_or("").to_owned(),
            name: a.child_text(c::NAME).map(str::to_owned).filter(|n| !n.is_empty()),
            kind: a.child_text(c::ATTENDEE_TYPE).and_then(|v| v.trim().parse().ok()),
            status: a.child_text(c::ATTENDEE_STATUS).and_then(|v| v.trim().parse().ok()),
        })
        .filter(|a| !a.email.is_empty())
        .collect()
}

/// An `airsyncbase:Body` of Type 1 (plain text).
pub fn body_element(text: &str) -> Element {
    Element::new(asb::BODY)
        .with_text_child(asb::TYPE, "1")
        .with_text_child(asb::DATA, text.replace("\r\n", "\n").replace('\n', "\r\n"))
}

/// Reads a body: (plain text, HTML if the body is HTML).
pub fn body_from(data: &Element, legacy: Tag) -> (Option<String>, Option<String>) {
    if let Some(b) = data.find(asb::BODY) {
        let text = b.child_text(asb::DATA).unwrap_or("").replace("\r\n", "\n");
        let kind = b.child_text(asb::TYPE).map(str::trim).unwrap_or("1");
        if kind == "2" {
            return (Some(html_to_text(&text)), Some(text));
        }
        if kind == "3" {
            // Compressed RTF cannot be rendered as text here.
            return (None, None);
        }
        return (Some(text), None);
    }
    (data.child_text(legacy).map(|t| t.replace("\r\n", "\n")), None)
}

/// A crude HTML → text conversion for DESCRIPTION beside X-ALT-DESC.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    let mut tag = String::new();
    for ch in html.chars() {
        match ch {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let t = tag.to_ascii_lowercase();
                if t.starts_with("br") || t.starts_with("/p") || t.starts_with("/div") {
                    out.push('\n');
                }
            }
            c if in_tag => tag.push(c),
            c => out.push(c),
        }
    }
    out.replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("-PT15M").unwrap().as_secs(), -900);
        assert_eq!(parse_duration("P1DT1H").unwrap().as_secs(), 90_000);
        assert_eq!(parse_duration("P2W").unwrap().as_secs(), 14 * 86_400);
        assert!(parse_duration("PT").is_some());
        assert!(parse_duration("15M").is_none());
        assert!(parse_duration("PT5").is_none());
    }

    #[test]
    fn busy_and_class() {
        for v in 0..5 {
            let mut ev = Component::new("VEVENT");
            ev.props.extend(busy_props(v));
            assert_eq!(busy_status(&ev), v);
        }
        for v in 0..4 {
            let mut ev = Component::new("VEVENT");
            ev.push_raw("CLASS", class_value(v));
            assert_eq!(sensitivity(&ev), Some(v));
        }
    }

    #[test]
    fn attendee_round_trip() {
        let a = Attendee {
            email: "a@example.com".into(),
            name: Some("A, B".into()),
            kind: Some(2),
            status: Some(3),
        };
        assert_eq!(attendee_from_prop(&attendee_prop(&a, false)), a);
    }

    #[test]
    fn docs_list_every_field() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/mapping.md");
        let doc = std::fs::read_to_string(path).unwrap();
        for row in CALENDAR_FIELDS {
            let first = row.eas.split(" (").next().unwrap_or(row.eas);
            assert!(doc.contains(&format!("| {first}")), "docs/mapping.md lacks {}", row.eas);
        }
    }

    #[test]
    fn html_is_flattened() {
        assert_eq!(html_to_text("<p>a &amp; b</p><br>c"), "a & b\n\nc");
    }
}
