//! The thin adapter between the iCalendar parser (`calcard`) and the mapping.
//!
//! `calcard` parses and validates the text; every entry is then written back
//! by `calcard`'s own writer and split into a small internal model of
//! components, properties and parameters whose values stay in their escaped
//! text form. Nothing outside this module names a `calcard` type, so the
//! parser can be swapped without touching the mapping. Writing is done here,
//! from the internal model, with RFC 5545 line folding.

use calcard::icalendar::{ICalendar, ICalendarComponent};

use crate::MapError;

/// A component (`VCALENDAR`, `VEVENT`, `VALARM`, …) with its properties and
/// nested components in document order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Component {
    /// Upper-case component name.
    pub name: String,
    /// Properties in order.
    pub props: Vec<Property>,
    /// Nested components in order.
    pub children: Vec<Component>,
}

/// One content line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Property {
    /// Upper-case property name.
    pub name: String,
    /// Parameters in order.
    pub params: Vec<Param>,
    /// The raw (still escaped) value text.
    pub value: String,
}

/// One parameter with its (unquoted) values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Param {
    /// Upper-case parameter name.
    pub name: String,
    /// Values, quotes removed.
    pub values: Vec<String>,
}

impl Component {
    /// An empty component.
    pub fn new(name: &str) -> Self {
        Component {
            name: name.to_owned(),
            ..Default::default()
        }
    }

    /// The first property named `name`.
    pub fn prop(&self, name: &str) -> Option<&Property> {
        self.props.iter().find(|p| p.name == name)
    }

    /// All properties named `name`.
    pub fn props_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Property> + 'a {
        self.props.iter().filter(move |p| p.name == name)
    }

    /// Nested components named `name`.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Component> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Appends a property.
    pub fn push(&mut self, p: Property) {
        self.props.push(p);
    }

    /// Appends a text property, escaping `text`.
    pub fn push_text(&mut self, name: &str, text: &str) {
        self.props.push(Property::new(name, &escape_text(text)));
    }

    /// Appends a property with a raw value.
    pub fn push_raw(&mut self, name: &str, raw: &str) {
        self.props.push(Property::new(name, raw));
    }

    /// Renders the component (and its children) as folded content lines.
    pub fn write(&self, out: &mut String) {
        fold_line(out, &format!("BEGIN:{}", self.name));
        for p in &self.props {
            fold_line(out, &p.to_line());
        }
        for c in &self.children {
            c.write(out);
        }
        fold_line(out, &format!("END:{}", self.name));
    }
}

impl Property {
    /// A property without parameters.
    pub fn new(name: &str, raw_value: &str) -> Self {
        Property {
            name: name.to_owned(),
            params: Vec::new(),
            value: raw_value.to_owned(),
        }
    }

    /// Builder: adds a single-valued parameter.
    pub fn with_param(mut self, name: &str, value: &str) -> Self {
        self.params.push(Param {
            name: name.to_owned(),
            values: vec![value.to_owned()],
        });
        self
    }

    /// The first value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.values.first())
            .map(String::as_str)
    }

    /// The value unescaped as TEXT.
    pub fn text(&self) -> String {
        unescape_text(&self.value)
    }

    /// The unfolded content line.
    pub fn to_line(&self) -> String {
        let mut s = self.name.clone();
        for p in &self.params {
            s.push(';');
            s.push_str(&p.name);
            s.push('=');
            for (i, v) in p.values.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                if v.contains([':', ';', ',']) {
                    s.push('"');
                    s.push_str(&v.replace('"', "'"));
                    s.push('"');
                } else {
                    s.push_str(v);
                }
            }
        }
        s.push(':');
        s.push_str(&self.value);
        s
    }
}

/// Parses iCalendar text to its `VCALENDAR` component.
///
/// # Errors
/// [`MapError::Parse`] when `calcard` rejects the text or it holds no calendar.
pub fn parse(text: &str) -> Result<Component, MapError> {
    if !text
        .trim_start()
        .get(..15)
        .is_some_and(|s| s.eq_ignore_ascii_case("BEGIN:VCALENDAR"))
    {
        return Err(parse_err("the text does not start with BEGIN:VCALENDAR"));
    }
    let tail = text.trim_end();
    if !tail
        .get(tail.len().saturating_sub(13)..)
        .is_some_and(|s| s.eq_ignore_ascii_case("END:VCALENDAR"))
    {
        return Err(parse_err("the text does not end with END:VCALENDAR (truncated?)"));
    }
    let cal = ICalendar::parse(text).map_err(|e| parse_err(&describe(&e)))?;
    let root = cal
        .components
        .first()
        .ok_or_else(|| parse_err("no VCALENDAR component"))?;
    let mut depth = 0;
    convert(&cal, root, &mut depth)
}

/// Parses one unfolded content line into a property (also used for residue).
pub fn parse_line(line: &str) -> Option<Property> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] != b';' && bytes[i] != b':' {
        i += 1;
    }
    let name = line.get(..i)?.to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    while i < bytes.len() && bytes[i] == b';' {
        i += 1;
        let start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b':' && bytes[i] != b';' {
            i += 1;
        }
        let pname = line.get(start..i)?.to_ascii_uppercase();
        let mut values = Vec::new();
        if i < bytes.len() && bytes[i] == b'=' {
            i += 1;
            loop {
                let mut v = String::new();
                if i < bytes.len() && bytes[i] == b'"' {
                    i += 1;
                    let s = i;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += 1;
                    }
                    v.push_str(line.get(s..i)?);
                    i += 1;
                } else {
                    let s = i;
                    while i < bytes.len() && bytes[i] != b',' && bytes[i] != b';' && bytes[i] != b':' {
                        i += 1;
                    }
                    v.push_str(line.get(s..i)?);
                }
                values.push(v);
                if i < bytes.len() && bytes[i] == b',' {
                    i += 1;
                    continue;
                }
                break;
            }
        }
        params.push(Param { name: pname, values });
    }
    if i >= bytes.len() || bytes[i] != b':' {
        return None;
    }
    Some(Property {
        name,
        params,
        value: line.get(i + 1..)?.to_owned(),
    })
}

/// Escapes TEXT per RFC 5545 §3.3.11.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Unescapes TEXT per RFC 5545 §3.3.11.
pub fn unescape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n' | 'N') => out.push('\n'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits a TEXT list value (CATEGORIES) at unescaped commas.
pub fn split_text_list(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in raw.chars() {
        if esc {
            cur.push('\\');
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == ',' {
            out.push(unescape_text(&cur));
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if esc {
        cur.push('\\');
    }
    out.push(unescape_text(&cur));
    out.retain(|s| !s.is_empty());
    out
}

/// Appends `line` folded at 75 octets (never inside a UTF-8 sequence), CRLF.
pub fn fold_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

fn convert(cal: &ICalendar, comp: &ICalendarComponent, depth: &mut usize) -> Result<Component, MapError> {
    *depth += 1;
    if *depth > 16 {
        return Err(parse_err("components nested too deeply"));
    }
    let mut out = Component::new(&comp.component_type.as_str().to_ascii_uppercase());
    for entry in &comp.entries {
        let mut text = String::new();
        entry
            .write_to(&mut text)
            .map_err(|_| parse_err("cannot re-serialise a property"))?;
        let unfolded = text.replace("\r\n ", "").replace("\r\n\t", "");
        let line = unfolded.trim_end_matches(['\r', '\n']);
        if let Some(mut p) = parse_line(line) {
            // calcard's writer backslash-escapes parameter values; undo it.
            for q in p.params.iter_mut() {
                for v in q.values.iter_mut() {
                    if v.contains('\\') {
                        *v = unescape_param(v);
                    }
                }
            }
            out.props.push(p);
        }
    }
    for id in &comp.component_ids {
        let child = cal
            .components
            .get(*id as usize)
            .ok_or_else(|| parse_err("dangling component reference"))?;
        out.children.push(convert(cal, child, depth)?);
    }
    *depth -= 1;
    Ok(out)
}

fn unescape_param(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // `\n` stays as written (Apple's convention inside parameters).
            match chars.next() {
                Some(o @ ('n' | 'N' | 'r')) => {
                    out.push('\\');
                    out.push(o);
                }
                Some(o) => out.push(o),
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn describe(e: &calcard::Entry) -> String {
    match e {
        calcard::Entry::InvalidLine(l) => format!("invalid line {:?}", l.chars().take(60).collect::<String>()),
        calcard::Entry::UnexpectedComponentEnd { expected, found } => {
            format!("expected END:{} but found END:{}", expected.as_str(), found.as_str())
        }
        calcard::Entry::UnterminatedComponent(c) => format!("component {c} is not terminated"),
        calcard::Entry::TooManyComponents => "too many components".into(),
        calcard::Entry::Eof => "unexpected end of input".into(),
        calcard::Entry::VCard(_) => "found a vCard, not an iCalendar object".into(),
        calcard::Entry::ICalendar(_) => "unexpected calendar".into(),
        #[allow(unreachable_patterns)]
        _ => "unreadable input".into(),
    }
}

fn parse_err(reason: &str) -> MapError {
    MapError::Parse {
        format: "iCalendar",
        reason: reason.to_owned(),
    }
}

/// Renders a `VCALENDAR` component to text.
pub fn write(cal: &Component) -> String {
    let mut out = String::new();
    cal.write(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_back() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nSUMMARY:Hi\\, there\r\n\
                   DTSTART;TZID=Europe/Berlin:20240101T090000\r\nX-FOO;X-P=\"a:b\":v\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = parse(ics).unwrap();
        let ev = cal.children_named("VEVENT").next().unwrap();
        assert_eq!(ev.prop("SUMMARY").unwrap().text(), "Hi, there");
        assert_eq!(ev.prop("DTSTART").unwrap().param("TZID"), Some("Europe/Berlin"));
        assert_eq!(ev.prop("X-FOO").unwrap().param("X-P"), Some("a:b"));
        let again = parse(&write(&cal)).unwrap();
        assert_eq!(again, cal);
    }

    #[test]
    fn backslash_in_parameter_survives() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nATTENDEE;CN=A\\B:mailto:a@b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let cal = parse(ics).unwrap();
        let cn = cal.children[0]
            .prop("ATTENDEE")
            .unwrap()
            .param("CN")
            .unwrap()
            .to_owned();
        let again = parse(&write(&cal)).unwrap();
        assert_eq!(again.children[0].prop("ATTENDEE").unwrap().param("CN").unwrap(), cn);
    }

    #[test]
    fn rejects_non_calendar() {
        assert!(matches!(parse("hello"), Err(MapError::Parse { .. })));
        assert!(parse("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n").is_err());
    }

    #[test]
    fn folds_long_lines_on_char_boundaries() {
        let mut s = String::new();
        fold_line(&mut s, &format!("SUMMARY:{}", "ä".repeat(80)));
        assert!(s.split("\r\n").all(|l| l.len() <= 75));
    }
}
