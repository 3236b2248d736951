//! Collecting iCalendar content that EAS cannot hold into the [`Residue`],
//! and merging it back when rendering.
//!
//! Paths: `VCALENDAR` (calendar-level lines), `VCALENDAR/<COMP>` (whole
//! components such as a client's VTIMEZONE), `<ITEM>` (unmapped lines of the
//! master VEVENT/VTODO), `<ITEM>+PARAMS` (the original line of a mapped
//! property that had parameters EAS cannot carry), `<ITEM>/VALARM` (extra
//! alarms), `<ITEM>/VALARM#REMINDER` (the alarm that became `Reminder`).
//! Overrides use `<ITEM>;RECURRENCE-ID=<UTC compact>` as `<ITEM>`.

use crate::calendar::fields::{address, mapped_params};
use crate::ical::{self, parse_line, Component};
use crate::{Residue, ResidueEntry};

/// Properties a rendered component has at most once: a residue copy is
/// dropped when the renderer already produced one (upstream wins).
const SINGLE: &[&str] = &[
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "X-ALT-DESC",
    "CLASS",
    "TRANSP",
    "STATUS",
    "DTSTAMP",
    "PRODID",
    "VERSION",
    "PRIORITY",
    "PERCENT-COMPLETE",
    "COMPLETED",
    "DUE",
];

/// Adds one entry.
pub fn push(res: &mut Residue, path: &str, line: String) {
    res.entries.push(ResidueEntry {
        path: path.to_owned(),
        line,
    });
}

/// Keeps what `mapped` does not cover from `comp` under `path`;
/// `reminder` is the index of the VALARM mapped to `Reminder`.
pub fn collect(comp: &Component, path: &str, mapped: &[&str], reminder: Option<usize>, res: &mut Residue) {
    for p in &comp.props {
        if !mapped.contains(&p.name.as_str()) {
            push(res, path, p.to_line());
        } else {
            let allowed = mapped_params(&p.name);
            let room = p.param("CUTYPE").is_some_and(|v| v.eq_ignore_ascii_case("ROOM"));
            if room || p.params.iter().any(|q| !allowed.contains(&q.name.as_str())) {
                push(res, &format!("{path}+PARAMS"), p.to_line());
            }
        }
    }
    let mut alarm_idx = 0;
    for child in &comp.children {
        let mut text = String::new();
        child.write(&mut text);
        if child.name == "VALARM" {
            let suffix = if Some(alarm_idx) == reminder { "#REMINDER" } else { "" };
            push(res, &format!("{path}/VALARM{suffix}"), text);
            alarm_idx += 1;
        } else {
            push(res, &format!("{path}/{}", child.name), text);
        }
    }
}

/// Parses a component kept as text.
pub fn parse_component(text: &str) -> Option<Component> {
    let cal = ical::parse(&format!("BEGIN:VCALENDAR\r\n{text}END:VCALENDAR\r\n")).ok()?;
    cal.children.into_iter().next()
}

/// Merges the residue kept under `path` into `comp`. `reminder` is the
/// `Reminder` the renderer turned into the component's first VALARM: when the
/// kept original alarm has the same trigger, it replaces the generated one.
pub fn merge(comp: &mut Component, path: &str, res: &Residue, reminder: Option<u32>) {
    let params_path = format!("{path}+PARAMS");
    let alarm_path = format!("{path}/VALARM");
    let reminder_path = format!("{path}/VALARM#REMINDER");
    let child_prefix = format!("{path}/");
    for e in &res.entries {
        if e.path == path {
            let Some(p) = parse_line(&e.line) else { continue };
            if SINGLE.contains(&p.name.as_str()) && comp.prop(&p.name).is_some() {
                continue;
            }
            comp.props.push(p);
        } else if e.path == params_path {
            let Some(orig) = parse_line(&e.line) else { continue };
            merge_params(comp, &orig);
        } else if e.path == reminder_path {
            let Some(alarm) = parse_component(&e.line) else {
                continue;
            };
            let same = crate::calendar::fields::reminder(&Component {
                children: vec![alarm.clone()],
                ..Default::default()
            })
            .map(|(_, m)| m);
            if reminder.is_some() && same == reminder {
                if let Some(slot) = comp.children.iter_mut().find(|c| c.name == "VALARM") {
                    *slot = alarm;
                }
            }
        } else if e.path == alarm_path || (e.path.starts_with(&child_prefix) && !e.path.contains('#')) {
            let rest = e.path.get(child_prefix.len()..).unwrap_or("");
            if rest.contains('/') || rest.contains(';') || rest.contains('+') || rest == "VTIMEZONE" {
                continue;
            }
            if let Some(c) = parse_component(&e.line) {
                comp.children.push(c);
            }
        }
    }
}

/// Adds the parameters of the client's original line that the rendered
/// property lacks (the value and mapped parameters come from upstream).
fn merge_params(comp: &mut Component, orig: &ical::Property) {
    let by_address = matches!(orig.name.as_str(), "ATTENDEE" | "ORGANIZER");
    let target = comp.props.iter_mut().find(|p| {
        p.name == orig.name && (!by_address || address(&p.value).eq_ignore_ascii_case(&address(&orig.value)))
    });
    let Some(target) = target else { return };
    for q in &orig.params {
        if target.params.iter().any(|t| t.name == q.name) {
            // A room is a resource that EAS cannot tell apart.
            if q.name == "CUTYPE" && q.values.first().is_some_and(|v| v.eq_ignore_ascii_case("ROOM")) {
                if let Some(t) = target.params.iter_mut().find(|t| t.name == "CUTYPE") {
                    if t.values.first().is_some_and(|v| v == "RESOURCE") {
                        t.values = q.values.clone();
                    }
                }
            }
            continue;
        }
        target.params.push(q.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_and_alarms_come_back() {
        let src = crate::ical::parse(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY;LANGUAGE=de:Hallo\r\nX-A:1\r\n\
             ATTENDEE;CN=R;CUTYPE=ROOM;X-NUM=3:mailto:r@x\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\n\
             TRIGGER:-PT5M\r\nX-WR-ALARMUID:u1\r\nEND:VALARM\r\nBEGIN:VALARM\r\nACTION:AUDIO\r\n\
             TRIGGER:PT5M\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        )
        .unwrap();
        let ev = &src.children[0];
        let mut res = Residue::default();
        collect(ev, "VEVENT", &["SUMMARY", "ATTENDEE"], Some(0), &mut res);
        let mut out = Component::new("VEVENT");
        out.push_raw("SUMMARY", "Hallo");
        out.push(
            ical::Property::new("ATTENDEE", "mailto:R@X")
                .with_param("CN", "R")
                .with_param("CUTYPE", "RESOURCE"),
        );
        out.children.push(crate::calendar::fields::reminder_alarm(5));
        merge(&mut out, "VEVENT", &res, Some(5));
        assert_eq!(out.prop("SUMMARY").unwrap().param("LANGUAGE"), Some("de"));
        assert_eq!(out.prop("X-A").unwrap().value, "1");
        let att = out.prop("ATTENDEE").unwrap();
        assert_eq!(att.param("CUTYPE"), Some("ROOM"));
        assert_eq!(att.param("X-NUM"), Some("3"));
        assert_eq!(out.children.len(), 2);
        assert!(out.children[0].prop("X-WR-ALARMUID").is_some());
    }
}
