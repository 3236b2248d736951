//! The thin vCard content-line layer the contact mapping works on.
//!
//! The mapping needs every line exactly as the client wrote it (for the
//! residue), its group, name, parameters and value; nothing more. This module
//! unfolds, splits and validates content lines (RFC 6350 §3.3, RFC 2426 §4,
//! vCard 2.1 quoted-printable soft breaks) and writes them back folded. Value
//! decoding (text escapes, components, lists) lives here too, so the mapping
//! never sees a parser's types. See `docs/decisions/0001-ical-vcard-parser.md`
//! for why this layer is ours and not `calcard`'s.

use crate::MapError;

/// One content line of a vCard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Prop {
    /// The group (`item1` in `item1.TEL`), if any.
    pub group: Option<String>,
    /// Upper-cased property name.
    pub name: String,
    /// Parameters in order; names upper-cased, values as written (unquoted).
    /// vCard 2.1 bare parameters (`TEL;WORK`) become `TYPE=WORK`.
    pub params: Vec<(String, String)>,
    /// The raw (still escaped) value.
    pub value: String,
    /// The unfolded line exactly as written.
    pub raw: String,
}

/// A parsed vCard: its version and its properties (without BEGIN/END).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Card {
    /// The VERSION value (`3.0`, `4.0`, `2.1`).
    pub version: String,
    /// Content lines between BEGIN and END, VERSION included.
    pub props: Vec<Prop>,
}

fn parse_err(reason: impl Into<String>) -> MapError {
    MapError::Parse {
        format: "vCard",
        reason: reason.into(),
    }
}

/// Unfolds text into logical lines (1-based physical line number of each).
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut qp_continue = false;
    for (i, raw) in text.split('\n').enumerate() {
        // Some exporters (iOS 5) wrote "\r\r\n".
        let raw = raw.trim_end_matches('\r');
        let folded = raw.starts_with(' ') || raw.starts_with('\t');
        match out.last_mut() {
            Some((_, last)) if folded => last.push_str(raw.get(1..).unwrap_or("")),
            Some((_, last)) if qp_continue => {
                // vCard 2.1 quoted-printable soft line break: "=" at the end.
                last.pop();
                last.push_str(raw);
            }
            _ if raw.is_empty() => {}
            _ => out.push((i + 1, raw.to_string())),
        }
        qp_continue = out.last().is_some_and(|(_, l)| {
            l.ends_with('=')
                && l.to_ascii_uppercase()
                    .split(':')
                    .next()
                    .is_some_and(|h| h.contains("QUOTED-PRINTABLE"))
        });
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// Splits one unfolded line.
pub(crate) fn parse_line(line: &str) -> Option<Prop> {
    let line_no_bom = line.strip_prefix('\u{feff}').unwrap_or(line);
    // Name (with group): up to the first ';' or ':'.
    let name_end = line_no_bom.find([';', ':'])?;
    let full_name = &line_no_bom[..name_end];
    let (group, name) = match full_name.rsplit_once('.') {
        Some((g, n)) => (Some(g.to_string()), n),
        None => (None, full_name),
    };
    // Lenient: Evolution/Android wrote "X-GOOGLE TALK"; allow spaces in X- names.
    let x_name = name.len() > 2 && name.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("X-"));
    let name_ok = name.chars().all(|c| is_name_char(c) || (x_name && c == ' '));
    if name.is_empty() || !name_ok || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    if let Some(g) = &group {
        if g.is_empty() || !g.chars().all(|c| is_name_char(c) || c == '.') {
            return None;
        }
    }
    let mut params = Vec::new();
    let mut rest = &line_no_bom[name_end..];
    while let Some(r) = rest.strip_prefix(';') {
        // One parameter: name[=value[,value]] with quoted values allowed.
        let mut end = None;
        let mut in_q = false;
        for (i, c) in r.char_indices() {
            match c {
                '"' => in_q = !in_q,
                ';' | ':' if !in_q => {
                    end = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let end = end?;
        let p = &r[..end];
        match p.split_once('=') {
            Some((k, v)) => params.push((k.trim().to_ascii_uppercase(), v.replace('"', ""))),
            None => params.push(("TYPE".to_string(), p.trim().to_string())),
        }
        rest = &r[end..];
    }
    let value = rest.strip_prefix(':')?;
    Some(Prop {
        group,
        name: name.to_ascii_uppercase(),
        params,
        value: value.to_string(),
        raw: line.to_string(),
    })
}

/// Parses exactly one vCard.
///
/// # Errors
/// [`MapError::Parse`] when the text is not one well-formed vCard: no
/// BEGIN/END, a line that is not a content line, control characters, a
/// nested or second vCard, or an unknown VERSION. A missing VERSION is read
/// as 3.0.
pub(crate) fn parse_card(text: &str) -> Result<Card, MapError> {
    let lines = unfold(text);
    let mut iter = lines.into_iter();
    let first = iter.next().ok_or_else(|| parse_err("empty input"))?;
    let first_prop = parse_line(&first.1);
    if !first_prop
        .as_ref()
        .is_some_and(|p| p.name == "BEGIN" && p.value.trim().eq_ignore_ascii_case("VCARD"))
    {
        return Err(parse_err(format!("line {}: expected BEGIN:VCARD", first.0)));
    }
    let mut props = Vec::new();
    let mut ended = false;
    for (no, line) in iter {
        if ended {
            if parse_line(&line).is_some_and(|p| p.name == "BEGIN") {
                return Err(parse_err("more than one vCard in one resource"));
            }
            return Err(parse_err(format!("line {no}: content after END:VCARD")));
        }
        let prop = parse_line(&line).ok_or_else(|| parse_err(format!("line {no}: not a vCard content line")))?;
        if let Some(c) = prop.value.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(parse_err(format!(
                "line {no}: control character U+{:04X} in {}",
                c as u32, prop.name
            )));
        }
        match prop.name.as_str() {
            "END" if prop.value.trim().eq_ignore_ascii_case("VCARD") => ended = true,
            "BEGIN" if prop.value.trim().eq_ignore_ascii_case("VCARD") => {
                return Err(parse_err(format!("line {no}: nested BEGIN:VCARD")));
            }
            // Outlook's vCard 2.1 can embed an AGENT vCard; nothing else nests.
            "BEGIN" | "END" => return Err(parse_err(format!("line {no}: unexpected {}", prop.raw))),
            _ => props.push(prop),
        }
    }
    if !ended {
        return Err(parse_err("missing END:VCARD (truncated vCard)"));
    }
    // Lenient: a card without VERSION is read as 3.0.
    let version = props
        .iter()
        .find(|p| p.name == "VERSION")
        .map(|p| p.value.trim().to_string())
        .unwrap_or_else(|| "3.0".to_string());
    if !matches!(version.as_str(), "2.1" | "3.0" | "4.0") {
        return Err(parse_err(format!("unsupported VERSION {version:?}")));
    }
    Ok(Card { version, props })
}

impl Prop {
    /// All TYPE values, lower-cased, comma lists split.
    pub fn types(&self) -> Vec<String> {
        self.params
            .iter()
            .filter(|(k, _)| k == "TYPE")
            .flat_map(|(_, v)| v.split(','))
            .map(|t| t.trim().to_ascii_lowercase())
            .filter(|t| !t.is_empty())
            .collect()
    }

    /// Whether a TYPE value is present (case-insensitive).
    pub fn has_type(&self, t: &str) -> bool {
        self.types().iter().any(|x| x == t)
    }

    /// The first value of parameter `name` (upper-case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The raw value, quoted-printable decoded when so encoded (vCard 2.1).
    fn decoded(&self) -> String {
        let qp = self
            .param("ENCODING")
            .is_some_and(|e| e.eq_ignore_ascii_case("QUOTED-PRINTABLE"));
        if qp {
            decode_qp(&self.value)
        } else {
            self.value.clone()
        }
    }

    /// The value as one unescaped text.
    pub fn text(&self) -> String {
        unescape(&self.decoded())
    }

    /// The value split into `;` components, each unescaped.
    pub fn components(&self) -> Vec<String> {
        split_unescaped(&self.decoded(), ';')
            .iter()
            .map(|c| unescape(c))
            .collect()
    }

    /// The value split into `;` components, each split into `,` values.
    pub fn component_lists(&self) -> Vec<Vec<String>> {
        split_unescaped(&self.decoded(), ';')
            .iter()
            .map(|c| split_unescaped(c, ',').iter().map(|v| unescape(v)).collect())
            .collect()
    }

    /// The value split into `,` values, each unescaped.
    pub fn list(&self) -> Vec<String> {
        split_unescaped(&self.decoded(), ',')
            .iter()
            .map(|c| unescape(c))
            .collect()
    }
}

fn decode_qp(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (
            b.get(i),
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (Some(b'='), Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (Some(&c), _, _) => {
                out.push(c);
                i += 1;
            }
            (None, _, _) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Splits on `sep` not preceded by a backslash escape.
fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut esc = false;
    for c in s.chars() {
        if esc {
            if let Some(cur) = out.last_mut() {
                cur.push('\\');
                cur.push(c);
            }
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == sep {
            out.push(String::new());
        } else if let Some(cur) = out.last_mut() {
            cur.push(c);
        }
    }
    if esc {
        if let Some(cur) = out.last_mut() {
            cur.push('\\');
        }
    }
    out
}

/// Undoes text escapes (`\n`, `\,`, `\;`, `\\`).
pub(crate) fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c == '\\' {
            match it.next() {
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

/// Escapes a text value (`\`, `,`, `;`, newlines); drops control
/// characters other than tab, which vCard cannot carry.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => out.push_str("\\n"),
            // vCard text cannot hold other control characters (EAS can).
            c if c.is_control() && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Escapes a component that may hold a `,` list: commas stay separators.
pub(crate) fn escape_list_component(s: &str) -> String {
    s.split(',').map(escape).collect::<Vec<_>>().join(",")
}

/// Folds one logical line at 75 octets and terminates it with CRLF.
pub(crate) fn fold_into(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_group_params_and_quoted_colon() {
        let p = parse_line("item1.X-FOO;X-BAR=\"a:b\";TYPE=HOME,pref:v\\,1").unwrap();
        assert_eq!(p.group.as_deref(), Some("item1"));
        assert_eq!(p.name, "X-FOO");
        assert_eq!(p.param("X-BAR"), Some("a:b"));
        assert_eq!(p.types(), vec!["home", "pref"]);
        assert_eq!(p.text(), "v,1");
    }

    #[test]
    fn bare_21_params_are_types() {
        let p = parse_line("TEL;WORK;VOICE:123").unwrap();
        assert_eq!(p.types(), vec!["work", "voice"]);
    }

    #[test]
    fn components_and_lists() {
        let p = parse_line("N:Doe;John;Richter,James;Mr.;Sr\\;x").unwrap();
        assert_eq!(p.components(), vec!["Doe", "John", "Richter,James", "Mr.", "Sr;x"]);
        assert_eq!(p.component_lists()[2], vec!["Richter", "James"]);
    }

    #[test]
    fn unfold_and_qp_soft_breaks() {
        let card = parse_card(
            "BEGIN:VCARD\r\nVERSION:2.1\r\nLABEL;ENCODING=QUOTED-PRINTABLE:a=0D=0A=\r\nb\r\nNOTE:x\r\n y\r\nEND:VCARD\r\n",
        )
        .unwrap();
        assert_eq!(card.props[1].text(), "a\r\nb");
        assert_eq!(card.props[2].text(), "xy");
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "",
            "BEGIN:VCARD\nVERSION:4.0\nFN:x\n",
            "--BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:3.0\n***item1.ADR:x\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:3.0\nNOTE:a\u{1}b\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n",
            "BEGIN:VCARD\nVERSION:5.0\nFN:x\nEND:VCARD\n",
        ] {
            assert!(matches!(parse_card(bad), Err(MapError::Parse { .. })), "{bad:?}");
        }
    }

    #[test]
    fn escape_round_trips() {
        let s = "a,b;c\\d\ne";
        assert_eq!(unescape(&escape(s)), s);
    }

    #[test]
    fn folds_on_char_boundaries() {
        let mut out = String::new();
        fold_into(&mut out, &"é".repeat(60));
        assert!(out.lines().all(|l| l.len() <= 75));
        let unfolded: String = unfold(&out).into_iter().map(|(_, l)| l).collect();
        assert_eq!(unfolded, "é".repeat(60));
    }
}
