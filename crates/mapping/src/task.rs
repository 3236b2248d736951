//! VTODO ⇄ EAS Tasks class (MS-ASTASK; brief §7).
//!
//! | EAS | VTODO |
//! |---|---|
//! | Subject | SUMMARY |
//! | airsyncbase:Body | DESCRIPTION |
//! | StartDate / UtcStartDate | DTSTART (local wall clock with `Z` / the instant) |
//! | DueDate / UtcDueDate | DUE (same pairing) |
//! | Complete, DateCompleted | STATUS:COMPLETED + PERCENT-COMPLETE:100, COMPLETED |
//! | Importance | PRIORITY (1–4 → 2, 5/0 → 1, 6–9 → 0; back 2 → 1, 1 → 5, 0 → 9) |
//! | Sensitivity | CLASS |
//! | Categories | CATEGORIES |
//! | ReminderSet / ReminderTime | first DISPLAY/AUDIO VALARM (relative triggers resolved) |
//! | Recurrence (Start, Regenerate, DeadOccur) | RRULE (anchor DTSTART, else DUE), X-EAS-REGENERATE, X-EAS-DEADOCCUR |
//!
//! Tasks have no UID in EAS: the UID stays in the residue. Where the EAS
//! form is coarser (PRIORITY, DTSTART/DUE with TZID), the client's original
//! line is kept and used again while upstream still means the same.

use jiff::tz::TimeZone;
use jiff::Timestamp;
use wbxml::tags::{airsync, tasks as k};
use wbxml::Element;

use crate::calendar::fields;
use crate::ical::{self, Component, Property};
use crate::recur::{self, RecurTags, Rrule};
use crate::time::{date_utc_midnight, extended, parse_eas_utc, IcalTime};
use crate::{keep, ItemClass, MapError, ProtocolVersion, Residue, ToEas};

/// Residue path of the client's original lines of coarsely mapped properties.
const ORIG: &str = "VTODO#ORIG";

/// Residue path of the client's RRULE spelling: `<canonical value>\n<client line>`.
const RRULE_FORM: &str = "VTODO#RRULE";

/// Maps one iCalendar VTODO to EAS.
///
/// # Errors
/// See [`crate::ical_to_eas`].
pub fn to_eas(ics: &str, version: ProtocolVersion) -> Result<ToEas, MapError> {
    let cal = ical::parse(ics)?;
    let mut todos = cal.children_named("VTODO");
    let todo = match todos.next() {
        Some(t) => t,
        None if cal.children_named("VEVENT").next().is_some() => {
            return Err(MapError::WrongClass {
                expected: "VTODO",
                class: ItemClass::Tasks,
            })
        }
        None => return Err(MapError::Invalid("the calendar object holds no VTODO".into())),
    };
    if todos.next().is_some() {
        return Err(MapError::NotRepresentable {
            what: "task".into(),
            reason: "several VTODOs (recurrence overrides) in one object; EAS tasks have no exceptions".into(),
        });
    }
    let mut residue = Residue::default();
    for p in &cal.props {
        if p.name != "VERSION" {
            keep::push(&mut residue, "VCALENDAR", p.to_line());
        }
    }
    for child in cal.children.iter().filter(|c| c.name != "VTODO") {
        let mut text = String::new();
        child.write(&mut text);
        keep::push(&mut residue, &format!("VCALENDAR/{}", child.name), text);
    }

    let at = |name: &str| -> Result<Option<(IcalTime, Timestamp)>, MapError> {
        let Some(p) = todo.prop(name) else { return Ok(None) };
        let t = IcalTime::from_prop(p)?;
        let inst = match &t {
            IcalTime::Date(d) => date_utc_midnight(*d),
            other => other.instant(&cal, &TimeZone::UTC)?,
        };
        Ok(Some((t, inst)))
    };
    let start = at("DTSTART")?;
    let due = match at("DUE")? {
        Some(d) => Some(d),
        None => match (todo.prop("DURATION"), &start) {
            (Some(p), Some((_, s))) => {
                let d = fields::parse_duration(&p.value)
                    .ok_or_else(|| MapError::Invalid(format!("malformed DURATION {:?}", p.value)))?;
                let t = s.checked_add(d).unwrap_or(*s);
                Some((due_from_duration(&cal, start.as_ref().map(|x| &x.0), t), t))
            }
            _ => None,
        },
    };
    let completed = todo
        .prop("STATUS")
        .is_some_and(|p| p.value.eq_ignore_ascii_case("COMPLETED"))
        || todo.prop("COMPLETED").is_some();

    let mut d = Element::new(airsync::APPLICATION_DATA);
    if let Some(t) = todo.prop("DESCRIPTION").map(|p| p.text()).filter(|s| !s.is_empty()) {
        d.push(fields::body_element(&t));
    }
    let cats = fields::categories(todo);
    if !cats.is_empty() {
        let mut ce = Element::new(k::CATEGORIES);
        for c in cats {
            ce.push_text(k::CATEGORY, c);
        }
        d.push(ce);
    }
    d.push_text(k::COMPLETE, if completed { "1" } else { "0" });
    if completed {
        let when = todo
            .prop("COMPLETED")
            .and_then(|p| parse_eas_utc(&p.value).ok())
            .or(due.as_ref().map(|x| x.1))
            .unwrap_or(Timestamp::UNIX_EPOCH);
        d.push_text(k::DATE_COMPLETED, extended(when));
    }
    if let Some((t, inst)) = &due {
        d.push_text(k::DUE_DATE, extended(local_as_utc(t, *inst, &cal)));
    }
    if let Some(p) = todo.prop("PRIORITY") {
        let v: u8 = p.value.trim().parse().unwrap_or(0);
        d.push_text(k::IMPORTANCE, importance(v).to_string());
    }
    if let Some(rp) = todo.prop("RRULE") {
        if todo.prop("EXDATE").is_some() || todo.prop("RDATE").is_some() {
            return Err(MapError::NotRepresentable {
                what: "task".into(),
                reason: "EXDATE/RDATE on a recurring task (EAS tasks have no exceptions)".into(),
            });
        }
        let (anchor_t, anchor) = start
            .as_ref()
            .or(due.as_ref())
            .ok_or_else(|| MapError::NotRepresentable {
                what: "task".into(),
                reason: "a recurring task needs DTSTART or DUE".into(),
            })?;
        let r = Rrule::parse(&rp.value)?;
        let until = r.until.as_deref().and_then(|u| parse_eas_utc(u).ok());
        let local = local_as_utc(anchor_t, *anchor, &cal).to_zoned(TimeZone::UTC).datetime();
        let mut e = recur::rrule_to_eas(&r, local, until)?;
        e.start = Some(*anchor);
        e.regenerate = todo.prop("X-EAS-REGENERATE").and_then(|p| p.value.trim().parse().ok());
        e.dead_occur = todo.prop("X-EAS-DEADOCCUR").and_then(|p| p.value.trim().parse().ok());
        let el = recur::to_element(&e, RecurTags { tasks: true }, version);
        let canon = recur::from_element(&el, RecurTags { tasks: true })
            .and_then(|b| recur::eas_to_rrule(&b, b.until.map(crate::time::compact)));
        if let Ok(canon) = canon {
            let line = crate::calendar::raw_rrule_line(ics, &rp.value).unwrap_or_else(|| rp.to_line());
            if line != format!("RRULE:{canon}") {
                keep::push(&mut residue, RRULE_FORM, format!("{canon}\n{line}"));
            }
        }
        d.push(el);
    }
    let reminder = task_reminder(todo, start.as_ref().map(|x| x.1), due.as_ref().map(|x| x.1));
    d.push_text(k::REMINDER_SET, if reminder.is_some() { "1" } else { "0" });
    if let Some((_, t)) = reminder {
        d.push_text(k::REMINDER_TIME, extended(t));
    }
    if let Some(s) = fields::sensitivity(todo) {
        d.push_text(k::SENSITIVITY, s.to_string());
    }
    if let Some((t, inst)) = &start {
        d.push_text(k::START_DATE, extended(local_as_utc(t, *inst, &cal)));
    }
    if let Some(s) = todo.prop("SUMMARY").map(|p| p.text()).filter(|s| !s.is_empty()) {
        d.push_text(k::SUBJECT, s);
    }
    if let Some((_, inst)) = &due {
        d.push_text(k::UTC_DUE_DATE, extended(*inst));
    }
    if let Some((_, inst)) = &start {
        d.push_text(k::UTC_START_DATE, extended(*inst));
    }

    let mut mapped = vec![
        "SUMMARY",
        "DESCRIPTION",
        "DTSTART",
        "DUE",
        "COMPLETED",
        "PRIORITY",
        "CLASS",
        "CATEGORIES",
        "RRULE",
        "X-EAS-REGENERATE",
        "X-EAS-DEADOCCUR",
    ];
    if completed {
        mapped.extend(["STATUS", "PERCENT-COMPLETE"]);
    }
    if start.is_some() {
        // DTSTART + DURATION became the due date (a DURATION without
        // DTSTART means nothing in EAS and stays in the residue).
        mapped.push("DURATION");
    }
    for name in ["PRIORITY", "DTSTART", "DUE"] {
        if let Some(p) = todo.prop(name) {
            keep::push(&mut residue, ORIG, p.to_line());
        }
    }
    // The client's DURATION form (RFC 5545 3.6.2: DUE or DURATION, never
    // both) is rendered again while the due date still matches it.
    if let (None, Some(p), Some(_)) = (todo.prop("DUE"), todo.prop("DURATION"), &start) {
        keep::push(&mut residue, ORIG, p.to_line());
    }
    keep::collect(todo, "VTODO", &mapped, reminder.map(|r| r.0), &mut residue);
    Ok(ToEas {
        application_data: d,
        residue,
        occurrence_edits: Vec::new(),
        uid: todo.prop("UID").map(|p| p.text()),
    })
}

/// Renders EAS Tasks data as iCalendar.
///
/// # Errors
/// See [`crate::eas_to_ical`].
pub fn from_eas(data: &Element, _version: ProtocolVersion, residue: &Residue) -> Result<String, MapError> {
    let time = |tag| {
        data.child_text(tag)
            .filter(|s| !s.trim().is_empty())
            .map(parse_eas_utc)
            .transpose()
    };
    let mut todo = Component::new("VTODO");
    let start = time(k::UTC_START_DATE)?.or(time(k::START_DATE)?);
    let due = time(k::UTC_DUE_DATE)?.or(time(k::DUE_DATE)?);
    let local_start = time(k::START_DATE)?;
    let local_due = time(k::DUE_DATE)?;
    let originals: Vec<Property> = residue
        .entries
        .iter()
        .filter(|e| e.path == ORIG)
        .filter_map(|e| ical::parse_line(&e.line))
        .collect();
    for (name, utc, local) in [("DTSTART", start, local_start), ("DUE", due, local_due)] {
        let Some(utc) = utc else { continue };
        if name == "DUE" {
            if let Some(p) = kept_duration(&originals, start, utc) {
                todo.push(p.clone());
                continue;
            }
        }
        let orig = originals
            .iter()
            .find(|p| p.name == name && same_instant(p, utc, residue));
        todo.push(match orig {
            Some(p) => p.clone(),
            None => date_or_instant(name, utc, local),
        });
    }
    if let Some(s) = data.child_text(k::SUBJECT) {
        todo.push_text("SUMMARY", s);
    }
    if let (Some(t), _) = fields::body_from(data, k::BODY) {
        if !t.is_empty() {
            todo.push_text("DESCRIPTION", &t);
        }
    }
    if data.child_text(k::COMPLETE).is_some_and(|v| v.trim() == "1") {
        todo.push_raw("STATUS", "COMPLETED");
        todo.push_raw("PERCENT-COMPLETE", "100");
        if let Some(t) = time(k::DATE_COMPLETED)? {
            todo.push_raw("COMPLETED", &crate::time::compact(t));
        }
    }
    if let Some(i) = data.child_text(k::IMPORTANCE).and_then(|v| v.trim().parse::<u8>().ok()) {
        let orig = originals
            .iter()
            .find(|p| p.name == "PRIORITY" && importance(p.value.trim().parse().unwrap_or(0)) == i);
        let p = orig.cloned().unwrap_or_else(|| {
            Property::new(
                "PRIORITY",
                match i {
                    2 => "1",
                    0 => "9",
                    _ => "5",
                },
            )
        });
        todo.push(p);
    }
    if let Some(s) = data.child_text(k::SENSITIVITY).and_then(|v| v.trim().parse().ok()) {
        todo.push_raw("CLASS", fields::class_value(s));
    }
    if let Some(cats) = data.find(k::CATEGORIES) {
        let list: Vec<String> = cats
            .find_all(k::CATEGORY)
            .filter_map(|x| x.text())
            .map(str::to_owned)
            .collect();
        if !list.is_empty() {
            todo.push(fields::categories_prop(&list));
        }
    }
    if let Some(r) = data.find(k::RECURRENCE) {
        let e = recur::from_element(r, RecurTags { tasks: true })?;
        let until = e.until.map(crate::time::compact);
        let value = recur::eas_to_rrule(&e, until)?;
        let kept = residue
            .entries
            .iter()
            .filter(|x| x.path == RRULE_FORM)
            .filter_map(|x| x.line.split_once('\n'))
            .find(|(canon, _)| *canon == value)
            .and_then(|(_, line)| ical::parse_line(line))
            .filter(|p| p.name == "RRULE");
        match kept {
            Some(p) => todo.push(p),
            None => todo.push_raw("RRULE", &value),
        }
        if let Some(v) = e.regenerate {
            todo.push_raw("X-EAS-REGENERATE", &v.to_string());
        }
        if let Some(v) = e.dead_occur {
            todo.push_raw("X-EAS-DEADOCCUR", &v.to_string());
        }
    }
    if data.child_text(k::REMINDER_SET).is_some_and(|v| v.trim() == "1") {
        if let Some(t) = time(k::REMINDER_TIME)? {
            let kept = residue
                .entries
                .iter()
                .filter(|e| e.path == "VTODO/VALARM#REMINDER")
                .filter_map(|e| keep::parse_component(&e.line))
                .find(|a| {
                    let holder = Component {
                        children: vec![a.clone()],
                        ..Default::default()
                    };
                    task_reminder(&holder, start, due).map(|r| r.1) == Some(t)
                });
            todo.children.push(kept.unwrap_or_else(|| absolute_alarm(t)));
        }
    }
    keep::merge(&mut todo, "VTODO", residue, None);
    let mut cal = Component::new("VCALENDAR");
    cal.push_raw("VERSION", "2.0");
    keep::merge(&mut cal, "VCALENDAR", residue, None);
    if cal.prop("PRODID").is_none() {
        cal.props.insert(1, Property::new("PRODID", crate::calendar::PRODID));
    }
    for e in residue.entries.iter().filter(|e| e.path == "VCALENDAR/VTIMEZONE") {
        if let Some(v) = keep::parse_component(&e.line) {
            cal.children.push(v);
        }
    }
    cal.children.push(todo);
    Ok(ical::write(&cal))
}

/// The kept DURATION when it still spans DTSTART → the upstream due date.
fn kept_duration(originals: &[Property], start: Option<Timestamp>, due: Timestamp) -> Option<&Property> {
    if originals.iter().any(|p| p.name == "DUE") {
        return None;
    }
    let start = start?;
    originals.iter().find(|p| {
        p.name == "DURATION" && fields::parse_duration(&p.value).and_then(|d| start.checked_add(d).ok()) == Some(due)
    })
}

/// The due time of DTSTART + DURATION in the start's own form (so the local
/// `DueDate` is the wall clock of the start's zone).
fn due_from_duration(cal: &Component, start: Option<&IcalTime>, due: Timestamp) -> IcalTime {
    match start {
        Some(IcalTime::Zoned(dt, tzid)) => crate::tz::resolve_tzid(cal, tzid, dt.year())
            .map(|z| IcalTime::Zoned(due.to_zoned(z.tz).datetime(), tzid.clone()))
            .unwrap_or(IcalTime::Utc(due)),
        Some(IcalTime::Floating(_)) => IcalTime::Floating(due.to_zoned(TimeZone::UTC).datetime()),
        _ => IcalTime::Utc(due),
    }
}

/// PRIORITY → Importance.
fn importance(priority: u8) -> u8 {
    match priority {
        1..=4 => 2,
        6..=9 => 0,
        _ => 1,
    }
}

/// The "local" task date: the wall-clock time written with a `Z`.
fn local_as_utc(t: &IcalTime, inst: Timestamp, cal: &Component) -> Timestamp {
    let local = match t {
        IcalTime::Zoned(dt, tzid) => crate::tz::resolve_tzid(cal, tzid, dt.year()).ok().map(|_| *dt),
        IcalTime::Floating(dt) => Some(*dt),
        IcalTime::Date(d) => Some(d.to_datetime(jiff::civil::Time::midnight())),
        IcalTime::Utc(_) => None,
    };
    local
        .and_then(|dt| dt.to_zoned(TimeZone::UTC).ok())
        .map(|z| z.timestamp())
        .unwrap_or(inst)
}

/// A DATE when the local value is midnight (Outlook's date-only tasks),
/// else the UTC instant.
fn date_or_instant(name: &str, utc: Timestamp, local: Option<Timestamp>) -> Property {
    let l = local.unwrap_or(utc).to_zoned(TimeZone::UTC);
    if l.time() == jiff::civil::Time::midnight() {
        Property::new(name, &crate::time::ical_date(l.date())).with_param("VALUE", "DATE")
    } else {
        Property::new(name, &crate::time::compact(utc))
    }
}

fn same_instant(p: &Property, utc: Timestamp, residue: &Residue) -> bool {
    let Ok(t) = IcalTime::from_prop(p) else { return false };
    let mut holder = Component::new("VCALENDAR");
    for e in residue.entries.iter().filter(|e| e.path == "VCALENDAR/VTIMEZONE") {
        if let Some(v) = keep::parse_component(&e.line) {
            holder.children.push(v);
        }
    }
    match &t {
        IcalTime::Date(d) => date_utc_midnight(*d) == utc || crate::time::utc_date(utc) == *d,
        other => other.instant(&holder, &TimeZone::UTC).is_ok_and(|x| x == utc),
    }
}

/// The first display (or audio) alarm's absolute time: (index, instant).
fn task_reminder(todo: &Component, start: Option<Timestamp>, due: Option<Timestamp>) -> Option<(usize, Timestamp)> {
    let alarms: Vec<&Component> = todo.children_named("VALARM").collect();
    let resolve = |a: &Component| -> Option<Timestamp> {
        let trig = a.prop("TRIGGER")?;
        if trig.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE-TIME")) || trig.value.ends_with('Z') {
            return parse_eas_utc(&trig.value).ok();
        }
        let d = fields::parse_duration(&trig.value)?;
        let base = if trig.param("RELATED").is_some_and(|v| v.eq_ignore_ascii_case("END")) {
            due.or(start)?
        } else {
            start.or(due)?
        };
        base.checked_add(d).ok()
    };
    for actions in [["DISPLAY", "DISPLAY"], ["AUDIO", "AUDIO"]] {
        for (i, a) in alarms.iter().enumerate() {
            let act = a
                .prop("ACTION")
                .map(|p| p.value.to_ascii_uppercase())
                .unwrap_or_default();
            if actions.contains(&act.as_str()) {
                if let Some(t) = resolve(a) {
                    return Some((i, t));
                }
            }
        }
    }
    None
}

fn absolute_alarm(t: Timestamp) -> Component {
    let mut a = Component::new("VALARM");
    a.push_raw("ACTION", "DISPLAY");
    a.push_raw("DESCRIPTION", "Reminder");
    a.push(Property::new("TRIGGER", &crate::time::compact(t)).with_param("VALUE", "DATE-TIME"));
    a
}

#[cfg(test)]
#[path = "task_tests.rs"]
mod tests;
