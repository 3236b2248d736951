//! VEVENT ⇄ EAS Calendar class (MS-ASCAL), for 14.x and 16.x.
//!
//! `to_eas` reads one series (a master VEVENT and its RECURRENCE-ID
//! overrides), `from_eas` renders one. The field table is
//! [`fields::CALENDAR_FIELDS`]; time zones live in `crate::tz`, recurrence in
//! `crate::recur`, residue handling in `crate::keep`.

pub mod fields;
mod render;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use wbxml::tags::{airsync, airsyncbase as asb, calendar as c};
use wbxml::Element;

use crate::ical::{self, Component};
use crate::recur::{self, RecurTags, Rrule};
use crate::time::{compact, date_utc_midnight, IcalTime};
use crate::tz::{self, ResolvedZone, TzBlob};
use crate::{keep, ItemClass, MapError, OccurrenceEdit, OccurrenceEditKind, ProtocolVersion, Residue, ToEas};

/// Residue path of the UID the DAV client wrote; it wins over Exchange's UID when rendering.
pub(crate) const CLIENT_UID_PATH: &str = "VEVENT#UID";

pub use render::{from_eas, PRODID};

/// Most exceptions EAS allows in one `Exceptions` block.
pub const MAX_EXCEPTIONS: usize = 256;

/// Residue path of the marker for a floating (zone-less) series.
pub(crate) const FLOATING: &str = "VEVENT#FLOATING";

/// Residue path suffix (after the item's path) of the client's end form
/// when it was not DTEND: the DURATION line, or empty for no end at all.
pub(crate) const END_FORM: &str = "#END";

/// Residue path of the client's RRULE spelling: `<canonical value>\n<client line>`.
pub(crate) const RRULE_FORM: &str = "VEVENT#RRULE";

/// Residue path suffix (after `VEVENT;RECURRENCE-ID=<UTC>`) of a whole
/// override the client marked STATUS:CANCELLED (sent as a deleted occurrence).
pub(crate) const CANCELLED: &str = "#CANCELLED";

/// Keeps how `ev` gave its end when that was not DTEND, so the renderer can
/// give the same form back while the upstream end still matches it.
fn keep_end_form(ev: &Component, path: &str, res: &mut Residue) {
    if ev.prop("DTEND").is_some() {
        return;
    }
    let line = ev.prop("DURATION").map(|p| p.to_line()).unwrap_or_default();
    keep::push(res, &format!("{path}{END_FORM}"), line);
}

/// The series' timing, resolved once.
pub(crate) struct Timing {
    pub all_day: bool,
    pub zone: Option<ResolvedZone>,
    pub floating: bool,
    pub start: Timestamp,
    pub end: Timestamp,
    pub local_start: DateTime,
}

impl Timing {
    /// Reads DTSTART/DTEND/DURATION of `ev`; overrides pass the series' zone.
    pub(crate) fn of(cal: &Component, ev: &Component) -> Result<Self, MapError> {
        let dtstart = ev
            .prop("DTSTART")
            .ok_or_else(|| MapError::Invalid("VEVENT without DTSTART".into()))?;
        let st = IcalTime::from_prop(dtstart)?;
        let all_day = st.is_date();
        let (zone, floating, local_start) = match &st {
            IcalTime::Zoned(dt, tzid) => (Some(tz::resolve_tzid(cal, tzid, dt.year())?), false, *dt),
            IcalTime::Floating(dt) => (None, true, *dt),
            IcalTime::Utc(t) => (None, false, t.to_zoned(TimeZone::UTC).datetime()),
            IcalTime::Date(d) => (None, false, d.to_datetime(jiff::civil::Time::midnight())),
        };
        let start = match &st {
            IcalTime::Zoned(dt, _) => zone
                .as_ref()
                .map(|z| z.tz.to_ambiguous_zoned(*dt).compatible())
                .transpose()
                .map_err(|e| MapError::Invalid(format!("DTSTART {dt}: {e}")))?
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH),
            other => other.instant(cal, &TimeZone::UTC)?,
        };
        let end = if let Some(p) = ev.prop("DTEND") {
            let et = IcalTime::from_prop(p)?;
            let e = match (&et, &zone) {
                (IcalTime::Zoned(dt, tzid), Some(z)) if *tzid == z.tzid => {
                    z.tz.to_ambiguous_zoned(*dt)
                        .compatible()
                        .map(|z| z.timestamp())
                        .map_err(|e| MapError::Invalid(format!("DTEND {dt}: {e}")))?
                }
                _ => et.instant(cal, &TimeZone::UTC)?,
            };
            if all_day && e <= start {
                start.checked_add(24.hours()).unwrap_or(start)
            } else {
                e.max(start)
            }
        } else if let Some(p) = ev.prop("DURATION") {
            let d = fields::parse_duration(&p.value)
                .ok_or_else(|| MapError::Invalid(format!("malformed DURATION {:?}", p.value)))?;
            if all_day {
                // Whole days, at least one (a DATE start cannot end mid-day).
                let days = (d.as_secs().max(1) + 86_399) / 86_400;
                start
                    .checked_add(jiff::SignedDuration::from_secs(days.saturating_mul(86_400)))
                    .unwrap_or(start)
            } else {
                fields::add_duration(start, zone.as_ref().map(|z| &z.tz), &p.value)
                    .unwrap_or(start)
                    .max(start)
            }
        } else if all_day {
            start.checked_add(24.hours()).unwrap_or(start)
        } else {
            start
        };
        Ok(Timing {
            all_day,
            zone,
            floating,
            start,
            end,
            local_start,
        })
    }

    /// The instant of a RECURRENCE-ID/EXDATE value of this series.
    pub(crate) fn instant_of(&self, cal: &Component, t: &IcalTime) -> Result<Timestamp, MapError> {
        match (t, &self.zone) {
            (IcalTime::Date(d), _) => Ok(date_utc_midnight(*d)),
            (IcalTime::Zoned(dt, tzid), Some(z)) if *tzid == z.tzid => {
                z.tz.to_ambiguous_zoned(*dt)
                    .compatible()
                    .map(|z| z.timestamp())
                    .map_err(|e| MapError::Invalid(format!("{dt}: {e}")))
            }
            (IcalTime::Floating(dt), Some(z)) => {
                z.tz.to_ambiguous_zoned(*dt)
                    .compatible()
                    .map(|z| z.timestamp())
                    .map_err(|e| MapError::Invalid(format!("{dt}: {e}")))
            }
            (other, _) => other.instant(cal, &TimeZone::UTC),
        }
    }
}

/// Maps one iCalendar VEVENT series (with overrides) to EAS.
///
/// # Errors
/// See [`crate::ical_to_eas`].
pub fn to_eas(ics: &str, version: ProtocolVersion) -> Result<ToEas, MapError> {
    let cal = ical::parse(ics)?;
    let events: Vec<&Component> = cal.children_named("VEVENT").collect();
    if events.is_empty() {
        if cal.children_named("VTODO").next().is_some() {
            return Err(MapError::WrongClass {
                expected: "VEVENT",
                class: ItemClass::Calendar,
            });
        }
        return Err(MapError::Invalid("the calendar object holds no VEVENT".into()));
    }
    let mut masters = events.iter().filter(|e| e.prop("RECURRENCE-ID").is_none());
    let master = *masters.next().ok_or_else(|| MapError::NotRepresentable {
        what: "event".into(),
        reason: "overridden occurrences without their series".into(),
    })?;
    if masters.next().is_some() {
        return Err(MapError::Invalid("two VEVENT series in one calendar object".into()));
    }
    let uid = master.prop("UID").map(|p| p.text());
    let overrides: Vec<&Component> = events
        .iter()
        .copied()
        .filter(|e| e.prop("RECURRENCE-ID").is_some())
        .collect();
    for o in &overrides {
        if o.prop("UID").map(|p| p.text()) != uid {
            return Err(MapError::Invalid(
                "an override has a different UID than its series".into(),
            ));
        }
    }

    let mut residue = Residue::default();
    for p in &cal.props {
        if p.name != "VERSION" {
            keep::push(&mut residue, "VCALENDAR", p.to_line());
        }
    }
    for child in &cal.children {
        if child.name != "VEVENT" {
            let mut text = String::new();
            child.write(&mut text);
            keep::push(&mut residue, &format!("VCALENDAR/{}", child.name), text);
        }
    }

    let timing = Timing::of(&cal, master)?;
    if timing.floating {
        keep::push(&mut residue, FLOATING, String::new());
    }
    let rrules: Vec<_> = master.props_named("RRULE").collect();
    if rrules.len() > 1 {
        return Err(not_rep("several RRULEs"));
    }
    if master.prop("EXRULE").is_some() {
        return Err(not_rep("EXRULE"));
    }
    // An RDATE that repeats DTSTART adds nothing and stays in the residue;
    // any other RDATE adds an occurrence, which EAS cannot express.
    for p in master.props_named("RDATE") {
        for v in p.value.split(',') {
            let same = IcalTime::parse(v.trim(), p.param("TZID"), p.param("VALUE"))
                .map(|t| timing.instant_of(&cal, &t))
                .is_some_and(|r| r.is_ok_and(|at| at == timing.start));
            if !same {
                return Err(not_rep(
                    "RDATE (EAS exceptions can change or cancel occurrences, not add them)",
                ));
            }
        }
    }
    let recurring = !rrules.is_empty();

    let mut data = Element::new(airsync::APPLICATION_DATA);
    if let Some(blob) = timezone_blob(&timing, version, recurring)? {
        data.push_text(c::TIMEZONE, blob.to_base64());
    }
    let reminder = fields::reminder(master);
    push_fields(&mut data, master, &timing, version, reminder.map(|r| r.1), false);
    if let Some(u) = uid.as_ref().filter(|_| !version.is_16()) {
        data.push_text(c::UID, u.clone());
    }
    push_meeting(&mut data, master, version);
    keep::collect(
        master,
        "VEVENT",
        &mapped_props(master),
        reminder.map(|r| r.0),
        &mut residue,
    );
    keep_end_form(master, "VEVENT", &mut residue);

    if let Some(rp) = rrules.first() {
        let r = Rrule::parse(&rp.value)?;
        let until = r
            .until
            .as_deref()
            .map(|u| until_instant(&cal, &timing, u))
            .transpose()?;
        let mut e = recur::rrule_to_eas(&r, timing.local_start, until)?;
        e.calendar_type = master
            .prop("X-EAS-CALENDARTYPE")
            .and_then(|p| p.value.trim().parse().ok());
        e.is_leap_month = master
            .prop("X-EAS-ISLEAPMONTH")
            .and_then(|p| p.value.trim().parse().ok());
        let el = recur::to_element(&e, RecurTags { tasks: false }, version);
        keep_rrule_spelling(ics, rp, &el, &timing, &mut residue);
        data.push(el);
    } else if !overrides.is_empty() || master.prop("EXDATE").is_some() {
        return Err(MapError::Invalid(
            "EXDATE or overrides on an event without RRULE".into(),
        ));
    }

    let mut edits = Vec::new();
    let mut exceptions: Vec<(Timestamp, Element)> = Vec::new();
    for p in master.props_named("EXDATE") {
        for v in p.value.split(',') {
            let t = IcalTime::parse(v.trim(), p.param("TZID"), p.param("VALUE"))
                .ok_or_else(|| MapError::Invalid(format!("malformed EXDATE {v:?}")))?;
            let at = timing.instant_of(&cal, &t)?;
            if version.is_16() {
                edits.push(OccurrenceEdit {
                    instance_id: compact(at),
                    kind: OccurrenceEditKind::Delete,
                });
            } else {
                let ex = Element::new(c::EXCEPTION)
                    .with_text_child(c::DELETED, "1")
                    .with_text_child(c::EXCEPTION_START_TIME, compact(at));
                exceptions.push((at, ex));
            }
        }
    }
    for o in &overrides {
        let rid = o
            .prop("RECURRENCE-ID")
            .map(IcalTime::from_prop)
            .transpose()?
            .ok_or_else(|| MapError::Invalid("override without RECURRENCE-ID".into()))?;
        if o.prop("RECURRENCE-ID").and_then(|p| p.param("RANGE")).is_some() {
            return Err(not_rep("RECURRENCE-ID;RANGE=THISANDFUTURE"));
        }
        let at = timing.instant_of(&cal, &rid)?;
        if is_cancelled(o) {
            // For Exchange a cancelled occurrence is a deleted one (MeetingStatus
            // inside an Exception is refused by 14.x servers); the client's
            // override is kept whole and rendered again while it stays deleted.
            let mut text = String::new();
            o.write(&mut text);
            keep::push(
                &mut residue,
                &format!("VEVENT;RECURRENCE-ID={}{CANCELLED}", compact(at)),
                text,
            );
            let id = compact(at);
            if version.is_16() {
                if !edits.iter().any(|e| e.instance_id == id) {
                    edits.push(OccurrenceEdit {
                        instance_id: id,
                        kind: OccurrenceEditKind::Delete,
                    });
                }
            } else if !exceptions.iter().any(|(t, _)| *t == at) {
                let ex = Element::new(c::EXCEPTION)
                    .with_text_child(c::DELETED, "1")
                    .with_text_child(c::EXCEPTION_START_TIME, id);
                exceptions.push((at, ex));
            }
            continue;
        }
        let ot = Timing::of(&cal, o)?;
        let rem = fields::reminder(o);
        let path = format!("VEVENT;RECURRENCE-ID={}", compact(at));
        keep::collect(o, &path, &mapped_props(o), rem.map(|r| r.0), &mut residue);
        keep_end_form(o, &path, &mut residue);
        if version.is_16() {
            let mut d = Element::new(airsync::APPLICATION_DATA);
            push_fields(&mut d, o, &ot, version, rem.map(|r| r.1), true);
            edits.push(OccurrenceEdit {
                instance_id: compact(at),
                kind: OccurrenceEditKind::Change(d),
            });
        } else {
            let mut ex = Element::new(c::EXCEPTION).with_text_child(c::EXCEPTION_START_TIME, compact(at));
            push_fields(&mut ex, o, &ot, version, rem.map(|r| r.1), true);
            exceptions.push((at, ex));
        }
    }
    if exceptions.len() > MAX_EXCEPTIONS || edits.len() > MAX_EXCEPTIONS {
        return Err(not_rep("more than 256 exceptions"));
    }
    if !exceptions.is_empty() {
        exceptions.sort_by_key(|(t, _)| *t);
        let mut el = Element::new(c::EXCEPTIONS);
        for (_, ex) in exceptions {
            el.push(ex);
        }
        data.push(el);
    }
    if let Some(u) = uid.as_ref().filter(|_| version.is_16()) {
        data.push_text(c::CLIENT_UID, u.clone());
    }
    if let Some(u) = &uid {
        // Exchange 16.x assigns its own UID (and may not echo ClientUid); the
        // DAV client must get back the UID it wrote (RFC 4791 5.3.2).
        keep::push(&mut residue, CLIENT_UID_PATH, format!("UID:{u}"));
    }
    Ok(ToEas {
        application_data: data,
        residue,
        occurrence_edits: edits,
        uid,
    })
}

/// The master as a 16.x server returns it after the instance edits were
/// applied: `edits` folded into its `Exceptions` keyed by `asb:InstanceId`
/// (the engine can store this form; [`from_eas`] reads it).
pub fn with_exceptions(master: &Element, edits: &[OccurrenceEdit]) -> Element {
    if edits.is_empty() {
        return master.clone();
    }
    let mut out = master.clone();
    let mut list = out
        .find(c::EXCEPTIONS)
        .cloned()
        .unwrap_or_else(|| Element::new(c::EXCEPTIONS));
    out.remove_all(c::EXCEPTIONS);
    for e in edits {
        let mut ex = Element::new(c::EXCEPTION).with_text_child(asb::INSTANCE_ID, e.instance_id.clone());
        match &e.kind {
            OccurrenceEditKind::Delete => ex.push_text(c::DELETED, "1"),
            OccurrenceEditKind::Change(d) => ex.children.extend(d.children.iter().cloned()),
        }
        list.push(ex);
    }
    out.push(list);
    out
}

/// Keeps the client's RRULE line beside the RRULE the renderer will write
/// from `el` (`VEVENT#RRULE`: the canonical value, then the client's line),
/// so the client's spelling comes back while the recurrence is unchanged.
fn keep_rrule_spelling(ics: &str, rp: &ical::Property, el: &Element, t: &Timing, res: &mut Residue) {
    let Ok(back) = recur::from_element(el, RecurTags { tasks: false }) else {
        return;
    };
    let until = back.until.map(|u| {
        if t.all_day {
            crate::time::ical_date(crate::time::utc_date(u))
        } else {
            compact(u)
        }
    });
    let Ok(canon) = recur::eas_to_rrule(&back, until) else {
        return;
    };
    let line = raw_rrule_line(ics, &rp.value).unwrap_or_else(|| rp.to_line());
    if line != format!("RRULE:{canon}") {
        keep::push(res, RRULE_FORM, format!("{canon}\n{line}"));
    }
}

/// The client's own RRULE line as written (the parser adapter re-serialises
/// values in its canonical part order): the unfolded source line whose parsed
/// value is `parsed`.
pub(crate) fn raw_rrule_line(ics: &str, parsed: &str) -> Option<String> {
    let unfolded = ics
        .replace("\r\n ", "")
        .replace("\r\n\t", "")
        .replace("\n ", "")
        .replace("\n\t", "");
    unfolded
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| l.get(..5).is_some_and(|n| n.eq_ignore_ascii_case("RRULE")))
        .find(|l| {
            let cal = format!("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n{l}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
            ical::parse(&cal).ok().is_some_and(|c| {
                c.children
                    .first()
                    .and_then(|e| e.prop("RRULE"))
                    .is_some_and(|p| p.value == parsed)
            })
        })
        .map(str::to_owned)
}

/// Whether `ev` has STATUS:CANCELLED.
fn is_cancelled(ev: &Component) -> bool {
    ev.prop("STATUS")
        .is_some_and(|p| p.value.trim().eq_ignore_ascii_case("CANCELLED"))
}

/// The properties EAS carries for `ev`: STATUS only when it is CANCELLED
/// (MeetingStatus); other STATUS values stay in the residue.
fn mapped_props(ev: &Component) -> Vec<&'static str> {
    let mut v = fields::MAPPED_EVENT_PROPS.to_vec();
    if ev
        .prop("STATUS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("CANCELLED"))
    {
        v.push("STATUS");
    }
    v
}

fn not_rep(reason: &str) -> MapError {
    MapError::NotRepresentable {
        what: "event".into(),
        reason: reason.into(),
    }
}

/// The `Timezone` blob to send, if any.
fn timezone_blob(t: &Timing, version: ProtocolVersion, recurring: bool) -> Result<Option<TzBlob>, MapError> {
    if t.all_day {
        // 16.x: no Timezone; ≤14.1: T000000Z boundaries with a UTC blob.
        return Ok((!version.is_16()).then(TzBlob::utc));
    }
    let Some(z) = &t.zone else {
        return Ok(Some(TzBlob::utc()));
    };
    let year = t.local_start.year();
    let d = tz::blob_for_zone(&z.tz, year);
    if d.exact && d.blob.rules() == TzBlob::utc() {
        // UTC-like zones travel as the all-zero blob, which renders as UTC.
        return Ok(Some(TzBlob::utc()));
    }
    if d.exact {
        return Ok(Some(d.blob));
    }
    if recurring {
        return Err(MapError::NotRepresentable {
            what: format!("time zone {}", z.tzid),
            reason: format!("its rules in {year} are not a yearly n-th weekday rule, so occurrences would drift"),
        });
    }
    // A single event only needs its own offset to be right.
    let off = z.tz.to_offset(t.start).seconds() / 60;
    Ok(Some(TzBlob {
        bias: -off,
        standard_name: d.blob.standard_name,
        ..Default::default()
    }))
}

/// Resolves an RRULE UNTIL to the EAS Until instant.
fn until_instant(cal: &Component, t: &Timing, raw: &str) -> Result<Timestamp, MapError> {
    let v = IcalTime::parse(raw, None, None).ok_or_else(|| MapError::Invalid(format!("malformed UNTIL {raw:?}")))?;
    match v {
        IcalTime::Date(d) if !t.all_day => {
            // A DATE UNTIL on a timed series: through the end of that day.
            let local = d.to_datetime(jiff::civil::Time::constant(23, 59, 59, 0));
            let zone = t.zone.as_ref().map(|z| z.tz.clone()).unwrap_or(TimeZone::UTC);
            zone.to_ambiguous_zoned(local)
                .compatible()
                .map(|z| z.timestamp())
                .map_err(|e| MapError::Invalid(format!("UNTIL: {e}")))
        }
        IcalTime::Utc(ts) if t.all_day => Ok(date_utc_midnight(crate::time::utc_date(ts))),
        other => t.instant_of(cal, &other),
    }
}

/// Pushes the fields shared by a series and its occurrences.
fn push_fields(
    el: &mut Element,
    ev: &Component,
    t: &Timing,
    version: ProtocolVersion,
    reminder: Option<u32>,
    occurrence: bool,
) {
    el.push_text(c::ALL_DAY_EVENT, if t.all_day { "1" } else { "0" });
    if let Some(d) = ev.prop("DESCRIPTION").map(|p| p.text()).filter(|s| !s.is_empty()) {
        el.push(fields::body_element(&d));
    }
    el.push_text(c::BUSY_STATUS, fields::busy_status(ev).to_string());
    if !version.is_16() && !occurrence {
        if let Some(o) = ev.prop("ORGANIZER") {
            if let Some(n) = o.param("CN") {
                el.push_text(c::ORGANIZER_NAME, n);
            }
            el.push_text(c::ORGANIZER_EMAIL, fields::address(&o.value));
        }
    }
    if !version.is_16() {
        let stamp = ev
            .prop("DTSTAMP")
            .and_then(|p| crate::time::parse_eas_utc(&p.value).ok());
        if let Some(s) = stamp {
            el.push_text(c::DT_STAMP, compact(s));
        }
    }
    el.push_text(c::END_TIME, compact(t.end));
    if let Some(l) = ev.prop("LOCATION").map(|p| p.text()).filter(|s| !s.is_empty()) {
        if version.is_16() {
            el.push(Element::new(asb::LOCATION).with_text_child(asb::DISPLAY_NAME, l));
        } else {
            el.push_text(c::LOCATION, l);
        }
    }
    if let Some(m) = reminder {
        el.push_text(c::REMINDER, m.to_string());
    }
    if let Some(s) = fields::sensitivity(ev) {
        el.push_text(c::SENSITIVITY, s.to_string());
    }
    if let Some(s) = ev.prop("SUMMARY").map(|p| p.text()).filter(|s| !s.is_empty()) {
        el.push_text(c::SUBJECT, s);
    }
    el.push_text(c::START_TIME, compact(t.start));
    let cats = fields::categories(ev);
    if !cats.is_empty() {
        let mut ce = Element::new(c::CATEGORIES);
        for cat in cats {
            ce.push_text(c::CATEGORY, cat);
        }
        el.push(ce);
    }
}

/// MeetingStatus, Attendees, ResponseRequested, DisallowNewTimeProposal.
fn push_meeting(el: &mut Element, ev: &Component, version: ProtocolVersion) {
    let attendees: Vec<_> = ev.props_named("ATTENDEE").collect();
    let cancelled = ev
        .prop("STATUS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("CANCELLED"));
    let base: u8 = ev
        .prop("X-EAS-MEETINGSTATUS")
        .and_then(|p| p.value.trim().parse().ok())
        .unwrap_or(if attendees.is_empty() { 0 } else { 1 });
    let status = match (cancelled, base) {
        (true, 0) => 5,
        (true, b) => b | 4,
        (false, b) => b & !4,
    };
    el.push_text(c::MEETING_STATUS, status.to_string());
    if !attendees.is_empty() {
        let list: Vec<_> = attendees.iter().map(|p| fields::attendee_from_prop(p)).collect();
        el.push(fields::attendees_element(&list, version));
    }
    if version >= ProtocolVersion::V14_0 {
        let rsvp = attendees
            .iter()
            .any(|p| p.param("RSVP").is_some_and(|v| v.eq_ignore_ascii_case("TRUE")));
        let requested = if attendees.is_empty() {
            ev.prop("X-EAS-RESPONSEREQUESTED").map(|p| p.value.trim() == "1")
        } else {
            Some(rsvp)
        };
        if let Some(r) = requested {
            el.push_text(c::RESPONSE_REQUESTED, if r { "1" } else { "0" });
        }
        if let Some(p) = ev.prop("X-MICROSOFT-DISALLOW-COUNTER") {
            let v = p.value.eq_ignore_ascii_case("TRUE");
            el.push_text(c::DISALLOW_NEW_TIME_PROPOSAL, if v { "1" } else { "0" });
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
#[path = "form_tests.rs"]
mod form_tests;
