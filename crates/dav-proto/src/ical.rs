//! Adapter over iCalendar and vCard text: a content-line tree for filters and output, and
//! calcard for strict parsing and recurrence expansion.
//!
//! The tree ([`Component`]) keeps every property line verbatim so that filters can read
//! values and parameters and expanded output can copy unchanged lines. calcard numbers
//! components in document order, exactly like [`Component::parse`]'s `index`, which is how
//! expansion results are tied back to tree nodes.

use calcard::common::timezone::Tz;
use calcard::icalendar::{ICalendar, ICalendarProperty};
use calcard::{Entry, Parser};

use crate::filter::TimeRange;
use crate::request::CompSelect;

pub use crate::eval::{matches_calendar, matches_card, parse_duration};
use crate::time::{format_date, format_utc, parse_utc};

/// Most recurrence instances examined for one resource.
pub const MAX_INSTANCES: usize = 20_000;

/// One content line: `NAME;PARAM=a,b:value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Upper-case name (group prefix removed).
    pub name: String,
    /// Upper-case parameter names with their values (quotes removed).
    pub params: Vec<(String, Vec<String>)>,
    /// Raw value as written (still escaped).
    pub value: String,
    /// The whole unfolded line.
    pub raw: String,
}

impl Property {
    /// The value with RFC 5545/6350 text escapes removed.
    pub fn text(&self) -> String {
        let mut out = String::with_capacity(self.value.len());
        let mut it = self.value.chars();
        while let Some(c) = it.next() {
            if c == '\\' {
                match it.next() {
                    Some('n' | 'N') => out.push('\n'),
                    Some(o) => out.push(o),
                    None => {}
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The values of one parameter.
    pub fn param(&self, name: &str) -> Option<&[String]> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }

    /// Whether the value is a DATE (all-day) rather than a DATE-TIME.
    pub fn is_date(&self) -> bool {
        self.param("VALUE")
            .is_some_and(|v| v.iter().any(|x| x.eq_ignore_ascii_case("DATE")))
            || (self.value.len() == 8 && !self.value.contains('T'))
    }
}

/// A component (`BEGIN:X` … `END:X`) with its properties and sub-components.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Component {
    /// Upper-case component name.
    pub name: String,
    /// Document-order index (0 for the outermost component).
    pub index: u32,
    /// Properties in order.
    pub props: Vec<Property>,
    /// Sub-components in order.
    pub children: Vec<Component>,
}

/// Why text is not a valid object resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DataError {
    /// Not parseable at all.
    #[error("not parseable: {0}")]
    Unparseable(String),
    /// Parseable but breaks the object-resource rules (RFC 4791 §4.1, RFC 6352 §5.1).
    #[error("{0}")]
    InvalidObject(String),
}

impl Component {
    /// Parses iCalendar or vCard text into a tree (lenient: unknown lines are kept).
    ///
    /// # Errors
    /// [`DataError::Unparseable`] for unbalanced BEGIN/END or no component at all.
    pub fn parse(text: &str) -> Result<Vec<Component>, DataError> {
        let mut roots = Vec::new();
        let mut stack: Vec<Component> = Vec::new();
        let mut next_index = 0u32;
        for line in unfold(text) {
            if line.trim().is_empty() {
                continue;
            }
            let Some(p) = parse_line(&line) else {
                return Err(DataError::Unparseable(format!(
                    "bad content line {:?}",
                    truncate(&line)
                )));
            };
            match p.name.as_str() {
                "BEGIN" => {
                    if stack.len() > 16 {
                        return Err(DataError::Unparseable("components nested too deeply".into()));
                    }
                    stack.push(Component {
                        name: p.value.trim().to_ascii_uppercase(),
                        index: next_index,
                        ..Default::default()
                    });
                    next_index += 1;
                }
                "END" => {
                    let Some(c) = stack.pop() else {
                        return Err(DataError::Unparseable("END without BEGIN".into()));
                    };
                    if !c.name.eq_ignore_ascii_case(p.value.trim()) {
                        return Err(DataError::Unparseable(format!(
                            "END:{} closes BEGIN:{}",
                            p.value.trim(),
                            c.name
                        )));
                    }
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(c),
                        None => {
                            roots.push(c);
                            next_index = 0;
                        }
                    }
                }
                _ => match stack.last_mut() {
                    Some(c) => c.props.push(p),
                    None => return Err(DataError::Unparseable("property outside a component".into())),
                },
            }
        }
        if !stack.is_empty() {
            return Err(DataError::Unparseable("unterminated component".into()));
        }
        if roots.is_empty() {
            return Err(DataError::Unparseable("no component".into()));
        }
        Ok(roots)
    }

    /// The first property with this name.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    /// Finds a component by its document-order index.
    pub fn find(&self, index: u32) -> Option<&Component> {
        if self.index == index {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(index))
    }

    /// Appends the component as folded text with CRLF line ends.
    pub fn write(&self, out: &mut String) {
        fold_into(out, &format!("BEGIN:{}", self.name));
        for p in &self.props {
            fold_into(out, &p.raw);
        }
        for c in &self.children {
            c.write(out);
        }
        fold_into(out, &format!("END:{}", self.name));
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(60).collect()
}

fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let l = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = l.strip_prefix(' ').or_else(|| l.strip_prefix('\t')) {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
                continue;
            }
        }
        lines.push(l.to_owned());
    }
    lines
}

fn parse_line(line: &str) -> Option<Property> {
    let mut in_quotes = false;
    let mut colon = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let head = line.get(..colon)?;
    let value = line.get(colon + 1..)?.to_owned();
    let mut parts = split_unquoted(head, ';').into_iter();
    let name_part = parts.next()?;
    let name = name_part.rsplit('.').next().unwrap_or(&name_part).to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let vals = split_unquoted(v, ',')
                .into_iter()
                .map(|x| x.trim_matches('"').to_owned())
                .collect();
            Some((k.to_ascii_uppercase(), vals))
        })
        .collect();
    Some(Property {
        name,
        params,
        value,
        raw: line.to_owned(),
    })
}

fn split_unquoted(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut q = false;
    for c in s.chars() {
        if c == '"' {
            q = !q;
        }
        if c == sep && !q {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

/// Folds one logical line at 75 octets (on a char boundary) and appends it with CRLF.
pub fn fold_into(out: &mut String, line: &str) {
    let mut count = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if count + n > 75 {
            out.push_str("\r\n ");
            count = 1;
        }
        out.push(c);
        count += n;
    }
    out.push_str("\r\n");
}

/// A readable reason for a calcard parse result that is not an object.
fn describe(e: &Entry) -> String {
    match e {
        Entry::Eof => "empty body or no BEGIN line".to_owned(),
        Entry::InvalidLine(l) => format!("invalid line {:?}", truncate(l)),
        Entry::UnexpectedComponentEnd { expected, found } => {
            format!("END:{} where END:{} was expected", found.as_str(), expected.as_str())
        }
        Entry::UnterminatedComponent(c) => format!("component {c} is not terminated"),
        Entry::TooManyComponents => "too many components".to_owned(),
        other => format!("{other:?}").chars().take(120).collect(),
    }
}

/// Facts about a valid calendar object resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarObject {
    /// The UID shared by all components.
    pub uid: String,
    /// The component type (`VEVENT`, `VTODO`, `VJOURNAL`, ...).
    pub component: String,
}

/// Checks the calendar object resource rules of RFC 4791 §4.1: one VCALENDAR, parseable by
/// calcard, no METHOD, one component type (besides VTIMEZONE), one UID.
///
/// # Errors
/// [`DataError::Unparseable`] (→ `valid-calendar-data`) or [`DataError::InvalidObject`]
/// (→ `valid-calendar-object-resource`).
pub fn validate_calendar(text: &str) -> Result<CalendarObject, DataError> {
    match Parser::new(text).entry() {
        Entry::ICalendar(_) => {}
        Entry::VCard(_) => return Err(DataError::Unparseable("a vCard is not iCalendar data".into())),
        other => return Err(DataError::Unparseable(describe(&other))),
    }
    let roots = Component::parse(text)?;
    let [cal] = roots.as_slice() else {
        return Err(DataError::InvalidObject(
            "exactly one VCALENDAR is allowed per resource".into(),
        ));
    };
    if cal.name != "VCALENDAR" {
        return Err(DataError::Unparseable(format!("top-level component is {}", cal.name)));
    }
    if cal.prop("METHOD").is_some() {
        return Err(DataError::InvalidObject(
            "METHOD is not allowed in a stored calendar object".into(),
        ));
    }
    let mut kind: Option<&str> = None;
    let mut uid: Option<String> = None;
    for c in cal.children.iter().filter(|c| c.name != "VTIMEZONE") {
        if kind.is_some_and(|k| k != c.name) {
            return Err(DataError::InvalidObject(
                "components of different types in one resource".into(),
            ));
        }
        kind = Some(&c.name);
        let u = c
            .prop("UID")
            .map(Property::text)
            .ok_or_else(|| DataError::InvalidObject(format!("{} without UID", c.name)))?;
        if uid.as_ref().is_some_and(|x| *x != u) {
            return Err(DataError::InvalidObject(
                "components with different UIDs in one resource".into(),
            ));
        }
        uid = Some(u);
    }
    match (kind, uid) {
        (Some(k), Some(u)) => Ok(CalendarObject {
            uid: u,
            component: k.to_owned(),
        }),
        _ => Err(DataError::InvalidObject("no calendar component".into())),
    }
}

/// Checks a vCard object resource (one vCard with a UID) and returns its UID and version.
///
/// # Errors
/// [`DataError`] as for [`validate_calendar`].
pub fn validate_vcard(text: &str) -> Result<(String, String), DataError> {
    match Parser::new(text).entry() {
        Entry::VCard(_) => {}
        Entry::ICalendar(_) => return Err(DataError::Unparseable("iCalendar data is not a vCard".into())),
        other => return Err(DataError::Unparseable(describe(&other))),
    }
    let roots = Component::parse(text)?;
    let [card] = roots.as_slice() else {
        return Err(DataError::InvalidObject(
            "exactly one vCard is allowed per resource".into(),
        ));
    };
    if card.name != "VCARD" {
        return Err(DataError::Unparseable(format!("top-level component is {}", card.name)));
    }
    let uid = card
        .prop("UID")
        .map(Property::text)
        .ok_or_else(|| DataError::InvalidObject("vCard without UID".into()))?;
    let version = card
        .prop("VERSION")
        .map(|v| v.value.trim().to_owned())
        .unwrap_or_default();
    Ok((uid, version))
}

/// One occurrence: component index, start and end in Unix seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instance {
    /// Index of the component ([`Component::index`]) the occurrence comes from.
    pub index: u32,
    /// Start (UTC seconds; floating times read as UTC).
    pub start: i64,
    /// End (UTC seconds).
    pub end: i64,
}

/// Expands all occurrences of the components in `text` (up to [`MAX_INSTANCES`]).
/// Floating and all-day values are interpreted in UTC. A DATE-TIME start without end or
/// duration gives a zero-length occurrence (RFC 5545 §3.6.1).
pub fn instances(text: &str, tree: &Component) -> Vec<Instance> {
    instances_until(text, tree, None, None)
}

/// The TZID of the first VTIMEZONE in a `calendar-timezone` value (RFC 4791 §5.2.2), used to
/// read floating times of that collection.
pub fn timezone_id(calendar_timezone: &str) -> Option<String> {
    let roots = Component::parse(calendar_timezone).ok()?;
    let cal = roots.first()?;
    let tz = cal.children.iter().find(|c| c.name == "VTIMEZONE")?;
    tz.prop("TZID").map(|p| p.value.trim().to_owned())
}

fn resolve_tz(tzid: Option<&str>) -> Tz {
    tzid.and_then(|t| t.parse::<Tz>().ok()).unwrap_or(Tz::UTC)
}

/// Like [`instances`], but stops expanding once every occurrence starting before `until`
/// is known (later ones may or may not be included). Expansion runs with a growing limit, so
/// a query for next week does not enumerate thousands of occurrences of an old daily series.
///
/// Floating and all-day values are read in the time zone `tzid` (an IANA or Windows name, as
/// in the collection's `calendar-timezone`), UTC when `None` or unknown.
pub fn instances_until(text: &str, tree: &Component, until: Option<i64>, tzid: Option<&str>) -> Vec<Instance> {
    let tz = resolve_tz(tzid);
    let Entry::ICalendar(mut ical) = Parser::new(text).entry() else {
        return Vec::new();
    };
    strip_sequences(&mut ical);
    // Each step of calcard's iteration yields an occurrence or hits an EXDATE or override.
    let skips: usize = tree
        .children
        .iter()
        .map(|c| {
            c.props
                .iter()
                .filter(|p| p.name == "EXDATE")
                .map(|p| p.value.split(',').count())
                .sum::<usize>()
                + usize::from(c.prop("RECURRENCE-ID").is_some())
        })
        .sum();
    let mut limit = 256;
    loop {
        let exp = ical.expand_dates(tz, limit);
        let out = to_instances(&exp.events, tree);
        let exhausted = out.len() + skips < limit;
        // Only occurrences generated from a rule count: an override may sit far from its slot.
        let generated = out
            .iter()
            .filter(|i| tree.find(i.index).is_some_and(|c| c.prop("RRULE").is_some()));
        let far_enough = until.is_some_and(|u| generated.map(|i| i.start).max().is_some_and(|m| m >= u));
        if exhausted || far_enough || limit >= MAX_INSTANCES {
            return out;
        }
        limit = (limit * 4).min(MAX_INSTANCES);
    }
}

type CalEvent = calcard::icalendar::dates::CalendarEvent<
    chrono::DateTime<Tz>,
    calcard::icalendar::dates::TimeOrDelta<chrono::DateTime<Tz>, chrono::TimeDelta>,
>;

fn to_instances(events: &[CalEvent], tree: &Component) -> Vec<Instance> {
    events
        .iter()
        .map(|e| {
            let (s, mut end) = e.timestamps();
            if let Some(c) = tree.find(e.comp_id) {
                let open = c.prop("DTEND").is_none() && c.prop("DURATION").is_none() && c.prop("DUE").is_none();
                if open && c.prop("DTSTART").is_some_and(|d| !d.is_date()) {
                    end = s;
                }
            }
            Instance {
                index: e.comp_id,
                start: s,
                end,
            }
        })
        .collect()
}

/// calcard pairs overrides with their master by (SEQUENCE, RECURRENCE-ID); clients bump
/// SEQUENCE on single occurrences, so the sequence is dropped before expansion.
fn strip_sequences(ical: &mut ICalendar) {
    for c in &mut ical.components {
        c.entries.retain(|e| e.name != ICalendarProperty::Sequence);
    }
}

/// Rewrites a calendar object with its recurrences expanded inside `range` (RFC 4791 §9.6.5):
/// every overlapping occurrence becomes its own component with RECURRENCE-ID, and DATE-TIME
/// values are written in UTC. Returns `None` if the text cannot be parsed.
pub fn expand(text: &str, range: &TimeRange, tzid: Option<&str>) -> Option<String> {
    let roots = Component::parse(text).ok()?;
    let cal = roots.first()?;
    let inst = instances_until(text, cal, range.end, tzid);
    let mut out = String::new();
    fold_into(&mut out, "BEGIN:VCALENDAR");
    for p in &cal.props {
        fold_into(&mut out, &p.raw);
    }
    for i in inst.iter().filter(|i| range.overlaps(i.start, i.end)) {
        let Some(c) = cal.find(i.index) else { continue };
        let master_recurs = c.prop("RRULE").is_some() || c.prop("RDATE").is_some();
        let all_day = c.prop("DTSTART").is_some_and(Property::is_date);
        let fmt = |t: i64| {
            if all_day {
                format!(";VALUE=DATE:{}", format_date(t))
            } else {
                format!(":{}", format_utc(t))
            }
        };
        fold_into(&mut out, &format!("BEGIN:{}", c.name));
        for p in &c.props {
            if !matches!(
                p.name.as_str(),
                "DTSTART" | "DTEND" | "DURATION" | "RRULE" | "RDATE" | "EXDATE" | "EXRULE" | "RECURRENCE-ID" | "DUE"
            ) {
                fold_into(&mut out, &p.raw);
            }
        }
        fold_into(&mut out, &format!("DTSTART{}", fmt(i.start)));
        if i.end != i.start || c.prop("DTEND").is_some() || c.prop("DUE").is_some() {
            let n = if c.name == "VTODO" { "DUE" } else { "DTEND" };
            fold_into(&mut out, &format!("{n}{}", fmt(i.end)));
        }
        if master_recurs || c.prop("RECURRENCE-ID").is_some() {
            fold_into(
                &mut out,
                &format!(
                    "RECURRENCE-ID{}",
                    fmt(if master_recurs {
                        i.start
                    } else {
                        rid(c).unwrap_or(i.start)
                    })
                ),
            );
        }
        for sub in &c.children {
            sub.write(&mut out);
        }
        fold_into(&mut out, &format!("END:{}", c.name));
    }
    fold_into(&mut out, "END:VCALENDAR");
    Some(out)
}

/// `limit-recurrence-set` (RFC 4791 §9.6.6): keeps the master components and time zones, and
/// of the overridden occurrences only those that overlap `range`. Returns `None` if the text
/// cannot be parsed.
pub fn limit_recurrence_set(text: &str, range: &TimeRange, tzid: Option<&str>) -> Option<String> {
    let roots = Component::parse(text).ok()?;
    let cal = roots.first()?;
    let inst = instances_until(text, cal, range.end, tzid);
    let mut out = String::new();
    fold_into(&mut out, "BEGIN:VCALENDAR");
    for p in &cal.props {
        fold_into(&mut out, &p.raw);
    }
    for c in &cal.children {
        let keep = c.prop("RECURRENCE-ID").is_none()
            || inst
                .iter()
                .filter(|i| i.index == c.index)
                .any(|i| range.overlaps(i.start, i.end));
        if keep {
            c.write(&mut out);
        }
    }
    fold_into(&mut out, "END:VCALENDAR");
    Some(out)
}

/// Partial retrieval of calendar data (RFC 4791 §9.6.1): only the selected properties and
/// components are written. `None` if the text cannot be parsed or the root does not match.
pub fn select_calendar(text: &str, sel: &CompSelect) -> Option<String> {
    let roots = Component::parse(text).ok()?;
    let cal = roots.first().filter(|c| c.name == sel.name)?;
    let mut out = String::new();
    write_selected(cal, sel, &mut out);
    Some(out)
}

fn write_selected(c: &Component, sel: &CompSelect, out: &mut String) {
    fold_into(out, &format!("BEGIN:{}", c.name));
    for p in c.props.iter().filter(|p| sel.all_props || sel.props.contains(&p.name)) {
        fold_into(out, &p.raw);
    }
    for child in &c.children {
        if sel.all_comps {
            child.write(out);
        } else if let Some(sub) = sel.comps.iter().find(|s| s.name == child.name) {
            write_selected(child, sub, out);
        }
    }
    fold_into(out, &format!("END:{}", c.name));
}

/// Partial retrieval of a vCard (RFC 6352 §10.4.2): VERSION plus the named properties.
pub fn select_card(text: &str, props: &[String]) -> Option<String> {
    let roots = Component::parse(text).ok()?;
    let card = roots.first()?;
    let mut out = String::new();
    fold_into(&mut out, "BEGIN:VCARD");
    for p in card
        .props
        .iter()
        .filter(|p| p.name == "VERSION" || props.contains(&p.name))
    {
        fold_into(&mut out, &p.raw);
    }
    fold_into(&mut out, "END:VCARD");
    Some(out)
}

fn rid(c: &Component) -> Option<i64> {
    c.prop("RECURRENCE-ID").and_then(|p| parse_utc(&p.value).ok())
}

/// Busy periods of the events in `text` that overlap `range` (for free-busy-query):
/// (start, end, FBTYPE). Transparent and cancelled events are skipped.
pub fn busy_periods(text: &str, range: &TimeRange, tzid: Option<&str>) -> Vec<(i64, i64, &'static str)> {
    let Ok(roots) = Component::parse(text) else {
        return Vec::new();
    };
    let Some(cal) = roots.first() else { return Vec::new() };
    instances_until(text, cal, range.end, tzid)
        .into_iter()
        .filter(|i| range.overlaps(i.start, i.end))
        .filter_map(|i| {
            let c = cal.find(i.index)?;
            if c.name != "VEVENT"
                || c.prop("TRANSP")
                    .is_some_and(|t| t.value.eq_ignore_ascii_case("TRANSPARENT"))
            {
                return None;
            }
            let status = c
                .prop("STATUS")
                .map(|s| s.value.to_ascii_uppercase())
                .unwrap_or_default();
            let kind = match status.as_str() {
                "CANCELLED" => return None,
                "TENTATIVE" => "BUSY-TENTATIVE",
                _ => "BUSY",
            };
            Some((i.start, i.end, kind))
        })
        .collect()
}

#[cfg(test)]
#[path = "ical_tests.rs"]
mod tests;
