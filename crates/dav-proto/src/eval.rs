//! Evaluation of calendar-query and addressbook-query filters over iCalendar and vCard text
//! (RFC 4791 §9.7 and §9.9, RFC 6352 §10.5), on top of the tree and expansion in [`crate::ical`].

use crate::filter::{CardFilter, CompFilter, PropFilter, TimeRange};
use crate::ical::{instances_until, Component, Instance};
use crate::time::parse_utc;

/// Whether a calendar object matches a calendar-query filter (RFC 4791 §9.7).
/// Floating times are read in `tzid` (see [`instances_until`]).
pub fn matches_calendar(filter: &CompFilter, text: &str, tzid: Option<&str>) -> bool {
    let Ok(roots) = Component::parse(text) else {
        return false;
    };
    let Some(cal) = roots.first() else {
        return false;
    };
    if filter.name != cal.name {
        return filter.is_not_defined;
    }
    if filter.is_not_defined {
        return false;
    }
    let needs_instances = filter.comps.iter().any(has_time_range);
    let inst = if needs_instances {
        instances_until(text, cal, latest_end(filter), tzid)
    } else {
        Vec::new()
    };
    filter.props.iter().all(|p| prop_matches(p, cal)) && filter.comps.iter().all(|cf| comp_matches(cf, cal, &inst))
}

fn comp_matches(f: &CompFilter, parent: &Component, inst: &[Instance]) -> bool {
    let mut candidates = parent.children.iter().filter(|c| c.name == f.name).peekable();
    if f.is_not_defined {
        return candidates.peek().is_none();
    }
    candidates.any(|c| {
        f.time_range.is_none_or(|tr| component_in_range(c, parent, &tr, inst))
            && f.props.iter().all(|p| prop_matches(p, c))
            && f.comps.iter().all(|sub| comp_matches(sub, c, inst))
    })
}

fn component_in_range(c: &Component, parent: &Component, tr: &TimeRange, inst: &[Instance]) -> bool {
    match c.name.as_str() {
        "VTODO" if c.prop("DTSTART").is_none() => todo_in_range(c, tr),
        "VEVENT" | "VTODO" | "VJOURNAL" | "VFREEBUSY" => inst
            .iter()
            .filter(|i| i.index == c.index)
            .any(|i| tr.overlaps(i.start, i.end)),
        "VALARM" => alarm_in_range(c, parent, tr, inst),
        _ => false,
    }
}

/// RFC 4791 §9.9 for VALARM: the trigger time of any occurrence of the parent (relative to
/// its start, or its end with `RELATED=END`, or absolute) lies in the range; `REPEAT` and
/// `DURATION` add further triggers.
fn alarm_in_range(alarm: &Component, parent: &Component, tr: &TimeRange, inst: &[Instance]) -> bool {
    let Some(trigger) = alarm.prop("TRIGGER") else {
        return false;
    };
    let repeat = alarm
        .prop("REPEAT")
        .and_then(|r| r.value.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .clamp(0, 100);
    let step = alarm
        .prop("DURATION")
        .and_then(|d| parse_duration(&d.value))
        .unwrap_or(0);
    let hits = |t: i64| {
        (0..=repeat).any(|k| {
            let at = t.saturating_add(k.saturating_mul(step));
            tr.overlaps(at, at)
        })
    };
    if let Ok(abs) = parse_utc(&trigger.value) {
        return hits(abs);
    }
    let Some(offset) = parse_duration(&trigger.value) else {
        return false;
    };
    let from_end = trigger
        .param("RELATED")
        .is_some_and(|r| r.iter().any(|v| v.eq_ignore_ascii_case("END")));
    inst.iter()
        .filter(|i| i.index == parent.index)
        .any(|i| hits(if from_end { i.end } else { i.start }.saturating_add(offset)))
}

/// Parses an RFC 5545 duration (`-PT15M`, `P1DT2H`, `P2W`) into seconds.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => (-1, r),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    let rest = rest.strip_prefix('P')?;
    let mut total = 0i64;
    let mut num = String::new();
    let mut in_time = false;
    for ch in rest.chars() {
        match ch {
            '0'..='9' => num.push(ch),
            'T' => in_time = true,
            _ => {
                let n: i64 = num.parse().ok()?;
                num.clear();
                let unit = match (ch, in_time) {
                    ('W', _) => 604_800,
                    ('D', _) => 86_400,
                    ('H', true) => 3600,
                    ('M', true) => 60,
                    ('S', true) => 1,
                    _ => return None,
                };
                total = total.checked_add(n.checked_mul(unit)?)?;
            }
        }
    }
    num.is_empty().then_some(sign * total)
}

/// The latest end of all time ranges in a filter (`None` if one is open-ended). VALARM
/// triggers can precede their occurrence by any amount, so alarms disable the bound.
fn latest_end(f: &CompFilter) -> Option<i64> {
    let mut best = i64::MIN;
    let mut stack = vec![f];
    while let Some(c) = stack.pop() {
        if c.name == "VALARM" && c.time_range.is_some() {
            return None;
        }
        if let Some(tr) = c.time_range {
            best = best.max(tr.end?);
        }
        stack.extend(c.comps.iter());
    }
    Some(best)
}

fn has_time_range(f: &CompFilter) -> bool {
    f.time_range.is_some() || f.comps.iter().any(has_time_range)
}

/// RFC 4791 §9.9 rows for a VTODO without DTSTART.
fn todo_in_range(c: &Component, tr: &TimeRange) -> bool {
    let t = |n: &str| c.prop(n).and_then(|p| parse_utc(&p.value).ok());
    let (rs, re) = (tr.start.unwrap_or(i64::MIN), tr.end.unwrap_or(i64::MAX));
    match (t("DUE"), t("COMPLETED"), t("CREATED")) {
        (Some(due), _, _) => rs < due && re >= due,
        (None, Some(done), Some(created)) => (rs <= created || rs <= done) && (re >= created || re >= done),
        (None, Some(done), None) => rs <= done && re >= done,
        (None, None, Some(created)) => re > created,
        (None, None, None) => true,
    }
}

fn prop_matches(f: &PropFilter, c: &Component) -> bool {
    let mut props = c.props.iter().filter(|p| p.name == f.name).peekable();
    if f.is_not_defined {
        return props.peek().is_none();
    }
    props.any(|p| {
        let range_ok = f
            .time_range
            .is_none_or(|tr| parse_utc(&p.value).is_ok_and(|t| tr.overlaps(t, t)));
        let texts = f.text_matches.iter().map(|tm| tm.matches(&p.text()));
        let text_ok = if f.text_matches.is_empty() {
            true
        } else if f.all_of {
            texts.into_iter().all(|x| x)
        } else {
            texts.into_iter().any(|x| x)
        };
        let params_ok = f.params.iter().all(|pf| match p.param(&pf.name) {
            None => pf.is_not_defined,
            Some(_) if pf.is_not_defined => false,
            Some(vals) => pf
                .text_match
                .as_ref()
                .is_none_or(|tm| vals.iter().any(|v| tm.matches(v))),
        });
        range_ok && text_ok && params_ok
    })
}

/// Whether a vCard matches an addressbook-query filter (RFC 6352 §10.5).
pub fn matches_card(filter: &CardFilter, text: &str) -> bool {
    let Ok(roots) = Component::parse(text) else {
        return false;
    };
    let Some(card) = roots.first() else {
        return false;
    };
    if filter.props.is_empty() {
        return true;
    }
    let mut results = filter.props.iter().map(|p| prop_matches(p, card));
    if filter.all_of {
        results.all(|x| x)
    } else {
        results.any(|x| x)
    }
}
