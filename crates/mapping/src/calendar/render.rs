//! EAS Calendar `ApplicationData` → iCalendar text, with the residue merged back.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use wbxml::tags::{airsyncbase as asb, calendar as c};
use wbxml::{Element, Node};

use super::fields;
use super::FLOATING;
use crate::ical::{self, Component, Property};
use crate::recur::{self, RecurTags};
use crate::time::{compact, ical_date, ical_local, parse_eas_utc};
use crate::tz::{self, ResolvedZone, TzBlob};
use crate::{keep, MapError, ProtocolVersion, Residue};

/// PRODID written when the client's own is not in the residue.
pub const PRODID: &str = "-//easdav//mapping//EN";

/// How the series' times are written.
struct Frame {
    all_day: bool,
    zone: Option<ResolvedZone>,
    floating: bool,
}

impl Frame {
    /// A DATE value for an all-day instant (brief §4.5: `T000000Z` is the
    /// date itself; other values are local midnight in the item's zone).
    fn date_of(&self, t: Timestamp) -> Date {
        let utc = t.to_zoned(TimeZone::UTC);
        if utc.time() == jiff::civil::Time::midnight() {
            return utc.date();
        }
        let zone = self.zone.as_ref().map(|z| z.tz.clone()).unwrap_or(TimeZone::UTC);
        t.to_zoned(zone).date()
    }

    /// A DTSTART-like property for `t`.
    fn prop(&self, name: &str, t: Timestamp) -> Property {
        if self.all_day {
            return Property::new(name, &ical_date(self.date_of(t))).with_param("VALUE", "DATE");
        }
        match &self.zone {
            Some(z) if z.tzid != "UTC" => {
                Property::new(name, &ical_local(t.to_zoned(z.tz.clone()).datetime())).with_param("TZID", &z.tzid)
            }
            _ if self.floating => Property::new(name, &ical_local(t.to_zoned(TimeZone::UTC).datetime())),
            _ => Property::new(name, &compact(t)),
        }
    }
}

/// Renders EAS Calendar data as iCalendar.
///
/// # Errors
/// See [`crate::eas_to_ical`].
pub fn from_eas(data: &Element, _version: ProtocolVersion, residue: &Residue) -> Result<String, MapError> {
    let start = opt_time(data, c::START_TIME)?;
    let year = start.map(|t| t.to_zoned(TimeZone::UTC).year()).unwrap_or(2026);
    let all_day = data.child_text(c::ALL_DAY_EVENT).is_some_and(|v| v.trim() == "1");
    let zone = match data.child_text(c::TIMEZONE).filter(|s| !s.trim().is_empty()) {
        Some(b64) => Some(tz::zone_for_blob(&TzBlob::from_base64(b64)?, year)?),
        None => None,
    };
    let floating = residue.entries.iter().any(|e| e.path == FLOATING);
    let (zone, vtimezone) = pick_vtimezone(zone, residue, year, all_day);
    let frame = Frame {
        all_day,
        zone,
        floating,
    };

    let mut cal = Component::new("VCALENDAR");
    cal.push_raw("VERSION", "2.0");
    keep::merge(&mut cal, "VCALENDAR", residue, None);
    if cal.prop("PRODID").is_none() {
        cal.props.insert(1, Property::new("PRODID", PRODID));
    }
    if let Some(v) = vtimezone {
        cal.children.insert(0, v);
    }

    let mut master = Component::new("VEVENT");
    let kept_uid = residue
        .entries
        .iter()
        .find(|e| e.path == super::CLIENT_UID_PATH)
        .and_then(|e| e.line.split_once(':').map(|(_, v)| v.to_owned()));
    let uid = kept_uid
        .or_else(|| data.child_text(c::CLIENT_UID).map(str::to_owned))
        .or_else(|| data.child_text(c::UID).map(str::to_owned));
    if let Some(u) = &uid {
        master.push_text("UID", u);
    }
    if let Some(s) = opt_time(data, c::DT_STAMP)? {
        master.push_raw("DTSTAMP", &compact(s));
    }
    if let Some(id) = data.child_text(asb::INSTANCE_ID).filter(|s| !s.trim().is_empty()) {
        master.push(frame.prop("RECURRENCE-ID", parse_eas_utc(id)?));
        if data.child_text(c::DELETED).is_some_and(|v| v.trim() == "1") {
            master.push_raw("STATUS", "CANCELLED");
        }
    }
    let reminder = event_fields(&mut master, data, &frame)?;
    restore_end_form(&mut master, data, &frame, "VEVENT", residue)?;
    if let Some(r) = data.find(c::RECURRENCE) {
        let e = recur::from_element(r, RecurTags { tasks: false })?;
        let until = e.until.map(|u| {
            if all_day {
                ical_date(frame.date_of(u))
            } else {
                compact(u)
            }
        });
        let value = recur::eas_to_rrule(&e, until)?;
        let kept = residue
            .entries
            .iter()
            .filter(|x| x.path == super::RRULE_FORM)
            .filter_map(|x| x.line.split_once('\n'))
            .find(|(canon, _)| *canon == value)
            .and_then(|(_, line)| ical::parse_line(line))
            .filter(|p| p.name == "RRULE");
        match kept {
            Some(p) => master.push(p),
            None => master.push_raw("RRULE", &value),
        }
        if let Some(v) = e.calendar_type {
            master.push_raw("X-EAS-CALENDARTYPE", &v.to_string());
        }
        if let Some(v) = e.is_leap_month {
            master.push_raw("X-EAS-ISLEAPMONTH", &v.to_string());
        }
    }
    let duration = match (start, opt_time(data, c::END_TIME)?) {
        (Some(s), Some(e)) => e.duration_since(s),
        _ => jiff::SignedDuration::ZERO,
    };
    let mut overrides = Vec::new();
    if let Some(exs) = data.find(c::EXCEPTIONS) {
        for ex in exs.find_all(c::EXCEPTION) {
            let orig = ex
                .child_text(asb::INSTANCE_ID)
                .filter(|s| !s.trim().is_empty())
                .or(ex.child_text(c::EXCEPTION_START_TIME).filter(|s| !s.trim().is_empty()));
            let Some(orig) = orig else { continue };
            let at = parse_eas_utc(orig)?;
            if ex.child_text(c::DELETED).is_some_and(|v| v.trim() == "1") {
                match kept_cancelled(residue, at) {
                    Some(ov) => overrides.push(ov),
                    None => master.push(frame.prop("EXDATE", at)),
                }
                continue;
            }
            overrides.push(render_override(data, ex, at, duration, &frame, &master, residue)?);
        }
    }
    keep::merge(&mut master, "VEVENT", residue, reminder);
    cal.children.push(master);
    cal.children.extend(overrides);
    Ok(ical::write(&cal))
}

/// The client's cancelled override of the occurrence at `at`, kept whole
/// when it was sent as a deleted occurrence.
fn kept_cancelled(residue: &Residue, at: Timestamp) -> Option<Component> {
    let key = format!("VEVENT;RECURRENCE-ID={}{}", compact(at), super::CANCELLED);
    residue
        .entries
        .iter()
        .filter(|e| e.path == key)
        .find_map(|e| keep::parse_component(&e.line))
        .filter(|c| c.name == "VEVENT")
}

/// An override VEVENT: the exception's fields over the master's.
fn render_override(
    data: &Element,
    ex: &Element,
    at: Timestamp,
    duration: jiff::SignedDuration,
    frame: &Frame,
    master: &Component,
    residue: &Residue,
) -> Result<Component, MapError> {
    const NOT_INHERITED: [wbxml::Tag; 8] = [
        c::RECURRENCE,
        c::EXCEPTIONS,
        c::TIMEZONE,
        c::UID,
        c::CLIENT_UID,
        c::START_TIME,
        c::END_TIME,
        c::DT_STAMP,
    ];
    let mut merged = Element::new(c::EXCEPTION);
    for child in data.elements() {
        if !NOT_INHERITED.contains(&child.tag) && ex.find(child.tag).is_none() {
            merged.push(child.clone());
        }
    }
    for child in ex.elements() {
        merged.push(child.clone());
    }
    if merged.find(c::START_TIME).is_none() {
        merged.push_text(c::START_TIME, compact(at));
    }
    if merged.find(c::END_TIME).is_none() {
        let s = opt_time(&merged, c::START_TIME)?.unwrap_or(at);
        merged.push_text(c::END_TIME, compact(s.checked_add(duration).unwrap_or(s)));
    }
    let mut ov = Component::new("VEVENT");
    if let Some(p) = master.prop("UID") {
        ov.push(p.clone());
    }
    match opt_time(ex, c::DT_STAMP)? {
        Some(s) => ov.push_raw("DTSTAMP", &compact(s)),
        None => {
            if let Some(p) = master.prop("DTSTAMP") {
                ov.push(p.clone());
            }
        }
    }
    ov.push(frame.prop("RECURRENCE-ID", at));
    let occ_frame = Frame {
        all_day: merged
            .child_text(c::ALL_DAY_EVENT)
            .map_or(frame.all_day, |v| v.trim() == "1"),
        zone: frame.zone.clone(),
        floating: frame.floating,
    };
    let reminder = event_fields(&mut ov, &merged, &occ_frame)?;
    let path = format!("VEVENT;RECURRENCE-ID={}", compact(at));
    restore_end_form(&mut ov, &merged, &occ_frame, &path, residue)?;
    keep::merge(&mut ov, &path, residue, reminder);
    Ok(ov)
}

/// Writes the fields shared by series and occurrences; returns the Reminder.
fn event_fields(ev: &mut Component, d: &Element, frame: &Frame) -> Result<Option<u32>, MapError> {
    let start = opt_time(d, c::START_TIME)?;
    let end = opt_time(d, c::END_TIME)?;
    if let Some(s) = start {
        ev.push(frame.prop("DTSTART", s));
        if let Some(e) = end {
            let e = if frame.all_day && frame.date_of(e) <= frame.date_of(s) {
                s.checked_add(24.hours()).unwrap_or(s)
            } else {
                e.max(s)
            };
            ev.push(frame.prop("DTEND", e));
        }
    }
    if let Some(s) = d.child_text(c::SUBJECT) {
        ev.push_text("SUMMARY", s);
    }
    let location = d
        .find(asb::LOCATION)
        .and_then(|l| l.child_text(asb::DISPLAY_NAME))
        .or(d.child_text(c::LOCATION));
    if let Some(l) = location.filter(|l| !l.is_empty()) {
        ev.push_text("LOCATION", l);
    }
    let (text, html) = fields::body_from(d, c::BODY);
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        ev.push_text("DESCRIPTION", &t);
    }
    if let Some(h) = html {
        ev.push(Property::new("X-ALT-DESC", &ical::escape_text(&h)).with_param("FMTTYPE", "text/html"));
    }
    if let Some(b) = num(d, c::BUSY_STATUS) {
        ev.props.extend(fields::busy_props(b));
    }
    if let Some(s) = num(d, c::SENSITIVITY) {
        ev.push_raw("CLASS", fields::class_value(s));
    }
    if let Some(email) = d.child_text(c::ORGANIZER_EMAIL).filter(|e| !e.is_empty()) {
        let mut p = Property::new("ORGANIZER", &format!("mailto:{email}"));
        if let Some(n) = d.child_text(c::ORGANIZER_NAME).filter(|n| !n.is_empty()) {
            p = p.with_param("CN", n);
        }
        ev.push(p);
    }
    let rsvp = num(d, c::RESPONSE_REQUESTED);
    let attendees = d.find(c::ATTENDEES).map(fields::attendees_from).unwrap_or_default();
    for a in &attendees {
        ev.push(fields::attendee_prop(a, rsvp == Some(1)));
    }
    if attendees.is_empty() {
        if let Some(r) = rsvp {
            ev.push_raw("X-EAS-RESPONSEREQUESTED", &r.to_string());
        }
    }
    if let Some(ms) = num(d, c::MEETING_STATUS) {
        let cancelled = ms & 4 != 0;
        if cancelled {
            ev.push_raw("STATUS", "CANCELLED");
        }
        let default = match (cancelled, attendees.is_empty()) {
            (false, true) => 0,
            (false, false) => 1,
            (true, true) => 5,
            (true, false) => 5,
        };
        if ms != default {
            ev.push_raw("X-EAS-MEETINGSTATUS", &ms.to_string());
        }
    }
    for (tag, name) in [
        (c::RESPONSE_TYPE, "X-EAS-RESPONSETYPE"),
        (c::APPOINTMENT_REPLY_TIME, "X-EAS-APPOINTMENTREPLYTIME"),
        (c::ONLINE_MEETING_CONF_LINK, "X-EAS-ONLINEMEETINGCONFLINK"),
        (c::ONLINE_MEETING_EXTERNAL_LINK, "X-EAS-ONLINEMEETINGEXTERNALLINK"),
    ] {
        if let Some(v) = d.child_text(tag).filter(|v| !v.trim().is_empty()) {
            ev.push_text(name, v.trim());
        }
    }
    if let Some(v) = num(d, c::DISALLOW_NEW_TIME_PROPOSAL) {
        ev.push_raw("X-MICROSOFT-DISALLOW-COUNTER", if v == 1 { "TRUE" } else { "FALSE" });
    }
    if let Some(cats) = d.find(c::CATEGORIES) {
        let list: Vec<String> = cats
            .find_all(c::CATEGORY)
            .filter_map(|x| x.text())
            .map(str::to_owned)
            .collect();
        if !list.is_empty() {
            ev.push(fields::categories_prop(&list));
        }
    }
    let reminder: Option<u32> = d.child_text(c::REMINDER).and_then(|v| v.trim().parse().ok());
    if let Some(m) = reminder {
        ev.children.push(fields::reminder_alarm(m));
    }
    Ok(reminder)
}

/// Gives back the client's end form (DURATION, or no end at all) kept under
/// `path` when the upstream StartTime → EndTime still spans the same time;
/// otherwise the rendered DTEND stays (upstream wins).
fn restore_end_form(
    ev: &mut Component,
    d: &Element,
    frame: &Frame,
    path: &str,
    residue: &Residue,
) -> Result<(), MapError> {
    let key = format!("{path}{}", super::END_FORM);
    let Some(kept) = residue.entries.iter().find(|e| e.path == key) else {
        return Ok(());
    };
    let (Some(s), Some(e)) = (opt_time(d, c::START_TIME)?, opt_time(d, c::END_TIME)?) else {
        return Ok(());
    };
    let duration = match kept.line.is_empty() {
        true => None,
        false => match ical::parse_line(&kept.line) {
            Some(p) if p.name == "DURATION" => Some(p),
            _ => return Ok(()),
        },
    };
    let want = match &duration {
        Some(p) => match fields::parse_duration(&p.value) {
            Some(x) => x,
            None => return Ok(()),
        },
        None if frame.all_day => jiff::SignedDuration::from_hours(24),
        None => jiff::SignedDuration::ZERO,
    };
    let same = if frame.all_day {
        // Whole days, at least one, as the mapping to EAS counted them.
        let days = frame
            .date_of(s)
            .until(frame.date_of(e))
            .map(|sp| i64::from(sp.get_days()).max(1));
        let want_days = (want.as_secs().max(1) + 86_399) / 86_400;
        days.is_ok_and(|n| n == want_days)
    } else if let Some(p) = &duration {
        let zone = frame.zone.as_ref().map(|z| &z.tz);
        fields::add_duration(s, zone, &p.value).is_some_and(|x| x.max(s) == e)
    } else {
        e == s
    };
    if !same {
        return Ok(());
    }
    match (ev.props.iter().position(|p| p.name == "DTEND"), duration) {
        (Some(i), Some(p)) => {
            if let Some(slot) = ev.props.get_mut(i) {
                *slot = p;
            }
        }
        (Some(i), None) => {
            ev.props.remove(i);
        }
        (None, _) => {}
    }
    Ok(())
}

/// Uses the client's own VTIMEZONE (from the residue) when it gives the
/// same offsets as the blob's zone; otherwise a VTIMEZONE from the tz rules.
fn pick_vtimezone(
    zone: Option<ResolvedZone>,
    residue: &Residue,
    year: i16,
    all_day: bool,
) -> (Option<ResolvedZone>, Option<Component>) {
    let Some(zone) = zone else { return (None, None) };
    if all_day || zone.tzid == "UTC" {
        return (Some(zone), None);
    }
    for e in residue.entries.iter().filter(|e| e.path == "VCALENDAR/VTIMEZONE") {
        let Some(vtz) = keep::parse_component(&e.line) else {
            continue;
        };
        let Some(tzid) = vtz.prop("TZID").map(|p| p.text()) else {
            continue;
        };
        let holder = Component {
            name: "VCALENDAR".into(),
            children: vec![vtz.clone()],
            ..Default::default()
        };
        if let Ok(own) = tz::resolve_tzid(&holder, &tzid, year) {
            if tz::same_offsets(&own.tz, &zone.tz, year) {
                return (Some(ResolvedZone { tzid, ..own }), Some(vtz));
            }
        }
    }
    let v = tz::vtimezone(&zone, year);
    (Some(zone), Some(v))
}

fn opt_time(d: &Element, tag: wbxml::Tag) -> Result<Option<Timestamp>, MapError> {
    d.child_text(tag)
        .filter(|s| !s.trim().is_empty())
        .map(parse_eas_utc)
        .transpose()
}

fn num(d: &Element, tag: wbxml::Tag) -> Option<u8> {
    d.find(tag)
        .and_then(|e| {
            e.children
                .iter()
                .find_map(|n| if let Node::Text(t) = n { Some(t) } else { None })
        })
        .and_then(|t| t.trim().parse().ok())
}
