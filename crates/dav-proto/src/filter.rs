//! calendar-query and addressbook-query filters (RFC 4791 §9.7, RFC 6352 §10.5), parsed from XML.

use crate::error::ProtoError;
use crate::names::{CALDAV, CARDDAV};
use crate::time::parse_utc;
use crate::xml::Element;

/// A time range in Unix seconds (UTC); either end may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    /// Inclusive start.
    pub start: Option<i64>,
    /// Exclusive end.
    pub end: Option<i64>,
}

impl TimeRange {
    /// Whether the period `[s, e)` overlaps this range per RFC 4791 §9.9 (a zero-length
    /// period at `s` overlaps when `start <= s < end`).
    pub fn overlaps(&self, s: i64, e: i64) -> bool {
        let rs = self.start.unwrap_or(i64::MIN);
        let re = self.end.unwrap_or(i64::MAX);
        if e > s {
            s < re && e > rs
        } else {
            s < re && s >= rs
        }
    }

    fn parse(el: &Element) -> Result<Self, ProtoError> {
        let start = el.attr("start").map(parse_utc).transpose()?;
        let end = el.attr("end").map(parse_utc).transpose()?;
        if start.is_none() && end.is_none() {
            return Err(ProtoError::Invalid("time-range needs start or end".into()));
        }
        Ok(TimeRange { start, end })
    }
}

/// Collations of RFC 4790 that text-match accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collation {
    /// `i;ascii-casemap` (the default).
    AsciiCasemap,
    /// `i;unicode-casemap` (RFC 5051; approximated by Unicode lower-casing).
    UnicodeCasemap,
    /// `i;octet`: exact bytes.
    Octet,
}

/// How the text must occur (CardDAV adds the non-default ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchType {
    /// Substring (default).
    Contains,
    /// Whole value.
    Equals,
    /// Prefix.
    StartsWith,
    /// Suffix.
    EndsWith,
}

/// `<text-match>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextMatch {
    /// Text to look for.
    pub text: String,
    /// Collation.
    pub collation: Collation,
    /// `negate-condition="yes"`.
    pub negate: bool,
    /// Match type.
    pub match_type: MatchType,
}

impl TextMatch {
    /// Whether `value` matches (negation applied).
    pub fn matches(&self, value: &str) -> bool {
        let (v, t) = match self.collation {
            Collation::Octet => (value.to_owned(), self.text.clone()),
            Collation::AsciiCasemap => (value.to_ascii_lowercase(), self.text.to_ascii_lowercase()),
            Collation::UnicodeCasemap => (value.to_lowercase(), self.text.to_lowercase()),
        };
        let hit = match self.match_type {
            MatchType::Contains => v.contains(&t),
            MatchType::Equals => v == t,
            MatchType::StartsWith => v.starts_with(&t),
            MatchType::EndsWith => v.ends_with(&t),
        };
        hit != self.negate
    }

    fn parse(el: &Element) -> Result<Self, ProtoError> {
        let collation = match el.attr("collation").unwrap_or("i;ascii-casemap") {
            "i;ascii-casemap" => Collation::AsciiCasemap,
            "i;unicode-casemap" => Collation::UnicodeCasemap,
            "i;octet" => Collation::Octet,
            other => return Err(ProtoError::Invalid(format!("unsupported collation {other}"))),
        };
        let match_type = match el.attr("match-type").unwrap_or("contains") {
            "contains" => MatchType::Contains,
            "equals" => MatchType::Equals,
            "starts-with" => MatchType::StartsWith,
            "ends-with" => MatchType::EndsWith,
            other => return Err(ProtoError::Invalid(format!("unsupported match-type {other}"))),
        };
        Ok(TextMatch {
            text: el.text.clone(),
            collation,
            negate: el.attr("negate-condition") == Some("yes"),
            match_type,
        })
    }
}

/// `<param-filter>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamFilter {
    /// Parameter name (upper case).
    pub name: String,
    /// `<is-not-defined/>`.
    pub is_not_defined: bool,
    /// Text to match in the parameter value.
    pub text_match: Option<TextMatch>,
}

/// `<prop-filter>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropFilter {
    /// Property name (upper case).
    pub name: String,
    /// `<is-not-defined/>`.
    pub is_not_defined: bool,
    /// Time range on a date-time property (CalDAV).
    pub time_range: Option<TimeRange>,
    /// Text matches (CalDAV allows one, CardDAV several).
    pub text_matches: Vec<TextMatch>,
    /// Parameter filters.
    pub params: Vec<ParamFilter>,
    /// CardDAV `test="allof"` (default anyof); CalDAV always all.
    pub all_of: bool,
}

/// `<comp-filter>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompFilter {
    /// Component name (upper case).
    pub name: String,
    /// `<is-not-defined/>`.
    pub is_not_defined: bool,
    /// Time range the component (any instance) must overlap.
    pub time_range: Option<TimeRange>,
    /// Property filters (all must match).
    pub props: Vec<PropFilter>,
    /// Nested component filters (all must match).
    pub comps: Vec<CompFilter>,
}

impl CompFilter {
    /// Parses `<C:comp-filter>`.
    ///
    /// # Errors
    /// [`ProtoError::Invalid`] for malformed filters and unsupported collations.
    pub fn parse(el: &Element) -> Result<Self, ProtoError> {
        let name = el
            .attr("name")
            .ok_or_else(|| ProtoError::Invalid("comp-filter without name".into()))?;
        let mut f = CompFilter {
            name: name.to_ascii_uppercase(),
            is_not_defined: false,
            time_range: None,
            props: Vec::new(),
            comps: Vec::new(),
        };
        for c in &el.children {
            if c.ns != CALDAV {
                continue;
            }
            match c.name.as_str() {
                "is-not-defined" => f.is_not_defined = true,
                "time-range" => f.time_range = Some(TimeRange::parse(c)?),
                "prop-filter" => f.props.push(PropFilter::parse(c, CALDAV)?),
                "comp-filter" => f.comps.push(CompFilter::parse(c)?),
                _ => {}
            }
        }
        Ok(f)
    }
}

impl PropFilter {
    /// Parses a `<prop-filter>` in the CalDAV or CardDAV namespace.
    ///
    /// # Errors
    /// [`ProtoError::Invalid`] for malformed filters.
    pub fn parse(el: &Element, ns: &str) -> Result<Self, ProtoError> {
        let name = el
            .attr("name")
            .ok_or_else(|| ProtoError::Invalid("prop-filter without name".into()))?;
        let mut f = PropFilter {
            name: name.to_ascii_uppercase(),
            is_not_defined: false,
            time_range: None,
            text_matches: Vec::new(),
            params: Vec::new(),
            all_of: ns == CALDAV || el.attr("test") == Some("allof"),
        };
        for c in el.children.iter().filter(|c| c.ns == ns) {
            match c.name.as_str() {
                "is-not-defined" => f.is_not_defined = true,
                "time-range" => f.time_range = Some(TimeRange::parse(c)?),
                "text-match" => f.text_matches.push(TextMatch::parse(c)?),
                "param-filter" => {
                    let pname = c
                        .attr("name")
                        .ok_or_else(|| ProtoError::Invalid("param-filter without name".into()))?;
                    let mut pf = ParamFilter {
                        name: pname.to_ascii_uppercase(),
                        is_not_defined: false,
                        text_match: None,
                    };
                    for g in c.children.iter().filter(|g| g.ns == ns) {
                        match g.name.as_str() {
                            "is-not-defined" => pf.is_not_defined = true,
                            "text-match" => pf.text_match = Some(TextMatch::parse(g)?),
                            _ => {}
                        }
                    }
                    f.params.push(pf);
                }
                _ => {}
            }
        }
        Ok(f)
    }
}

/// The filter of an addressbook-query.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CardFilter {
    /// `test="allof"` (default anyof).
    pub all_of: bool,
    /// Property filters.
    pub props: Vec<PropFilter>,
}

impl CardFilter {
    /// Parses `<CR:filter>`.
    ///
    /// # Errors
    /// [`ProtoError::Invalid`] for malformed filters.
    pub fn parse(el: &Element) -> Result<Self, ProtoError> {
        let props = el
            .children_named(CARDDAV, "prop-filter")
            .map(|p| PropFilter::parse(p, CARDDAV))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CardFilter {
            all_of: el.attr("test") == Some("allof"),
            props,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_filter() {
        let x = br#"<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">
          <C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/>
          <C:prop-filter name="summary"><C:text-match collation="i;octet" negate-condition="yes">x</C:text-match>
          <C:param-filter name="x-p"><C:is-not-defined/></C:param-filter></C:prop-filter>
          </C:comp-filter></C:comp-filter></C:filter>"#;
        let el = Element::parse(x).unwrap();
        let f = CompFilter::parse(el.child(CALDAV, "comp-filter").unwrap()).unwrap();
        assert_eq!(f.name, "VCALENDAR");
        let ev = &f.comps[0];
        assert_eq!(ev.time_range.unwrap().start, Some(1_136_332_800));
        let p = &ev.props[0];
        assert_eq!(p.name, "SUMMARY");
        assert!(p.text_matches[0].negate);
        assert!(p.params[0].is_not_defined);
    }

    #[test]
    fn text_match_collations() {
        let tm = |c, t: &str| TextMatch {
            text: t.into(),
            collation: c,
            negate: false,
            match_type: MatchType::Contains,
        };
        assert!(tm(Collation::AsciiCasemap, "MEET").matches("a meeting"));
        assert!(!tm(Collation::Octet, "MEET").matches("a meeting"));
        assert!(tm(Collation::UnicodeCasemap, "ÄRGER").matches("viel ärger"));
        assert!(!tm(Collation::AsciiCasemap, "ÄRGER").matches("viel ärger"));
    }

    #[test]
    fn overlap_rules() {
        let r = TimeRange {
            start: Some(10),
            end: Some(20),
        };
        assert!(r.overlaps(5, 11));
        assert!(!r.overlaps(5, 10));
        assert!(!r.overlaps(20, 30));
        assert!(r.overlaps(10, 10));
        assert!(!r.overlaps(20, 20));
    }
}
