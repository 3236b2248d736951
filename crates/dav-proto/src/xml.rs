//! A small namespace-resolved XML tree for request bodies.
//!
//! Parsing uses quick-xml's namespace reader. Entity references other than the five predefined
//! ones are errors (nothing is expanded), a `DOCTYPE` is refused, and nesting depth and element
//! count are bounded so that hostile bodies cannot exhaust memory or stack.

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::error::ProtoError;
use crate::names::QName;

/// Maximum element nesting accepted by [`Element::parse`].
pub const MAX_DEPTH: usize = 48;
/// Maximum number of elements accepted by [`Element::parse`].
pub const MAX_ELEMENTS: usize = 50_000;

/// One XML element with its resolved namespace, attributes, text and children.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI (empty when the element is in no namespace).
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Attributes as (local name, unescaped value); attribute namespaces are not kept.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Concatenated character data directly inside this element.
    pub text: String,
}

impl Element {
    /// Parses a complete document and returns its root element.
    ///
    /// # Errors
    /// [`ProtoError::Xml`] for malformed input, [`ProtoError::DocType`], [`ProtoError::TooDeep`]
    /// and [`ProtoError::TooManyElements`] for bodies beyond the limits.
    pub fn parse(body: &[u8]) -> Result<Element, ProtoError> {
        let mut reader = NsReader::from_reader(body);
        reader.config_mut().trim_text(false);
        reader.config_mut().expand_empty_elements = false;
        let mut stack: Vec<Element> = Vec::new();
        let mut count = 0usize;
        loop {
            let (res, ev) = reader
                .read_resolved_event()
                .map_err(|e| ProtoError::Xml(e.to_string()))?;
            match ev {
                Event::Start(ref e) | Event::Empty(ref e) => {
                    count += 1;
                    if count > MAX_ELEMENTS {
                        return Err(ProtoError::TooManyElements(MAX_ELEMENTS));
                    }
                    if stack.len() >= MAX_DEPTH {
                        return Err(ProtoError::TooDeep(MAX_DEPTH));
                    }
                    let ns = match res {
                        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
                        ResolveResult::Unbound => String::new(),
                        ResolveResult::Unknown(p) => {
                            return Err(ProtoError::Xml(format!(
                                "unknown namespace prefix {}",
                                String::from_utf8_lossy(&p)
                            )))
                        }
                    };
                    let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                    let mut attrs = Vec::new();
                    for a in e.attributes() {
                        let a = a.map_err(|e| ProtoError::Xml(e.to_string()))?;
                        let key = a.key.as_ref();
                        if key.starts_with(b"xmlns") {
                            continue;
                        }
                        let local = String::from_utf8_lossy(a.key.local_name().as_ref()).into_owned();
                        let value = a
                            .unescape_value()
                            .map_err(|e| ProtoError::Xml(e.to_string()))?
                            .into_owned();
                        attrs.push((local, value));
                    }
                    let el = Element {
                        ns,
                        name,
                        attrs,
                        children: Vec::new(),
                        text: String::new(),
                    };
                    if matches!(ev, Event::Empty(_)) {
                        match stack.last_mut() {
                            Some(parent) => parent.children.push(el),
                            None => return finish(&mut reader, Some(el)),
                        }
                    } else {
                        stack.push(el);
                    }
                }
                Event::End(_) => {
                    let Some(el) = stack.pop() else {
                        return Err(ProtoError::Xml("unbalanced end tag".into()));
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => return finish(&mut reader, Some(el)),
                    }
                }
                Event::Text(t) => {
                    let s = t.unescape().map_err(|e| ProtoError::Xml(e.to_string()))?;
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&s);
                    } else if !s.trim().is_empty() {
                        return Err(ProtoError::Xml("text outside the root element".into()));
                    }
                }
                Event::CData(c) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&String::from_utf8_lossy(&c.into_inner()));
                    }
                }
                Event::DocType(_) => return Err(ProtoError::DocType),
                Event::Eof => return Err(ProtoError::Xml("unexpected end of document".into())),
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            }
        }
    }

    /// The qualified name of this element.
    pub fn qname(&self) -> QName {
        QName::new(&self.ns, &self.name)
    }

    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child named `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// All children named `{ns}name`.
    pub fn children_named<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// The value of the attribute with this local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Serialises the element with explicit namespace declarations (used to store dead
    /// properties verbatim).
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write_xml(&mut out, "");
        out
    }

    fn write_xml(&self, out: &mut String, parent_ns: &str) {
        out.push('<');
        out.push_str(&self.name);
        if self.ns != parent_ns {
            out.push_str(" xmlns=\"");
            out.push_str(&crate::response::escape(&self.ns));
            out.push('"');
        }
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            out.push_str(&crate::response::escape(v));
            out.push('"');
        }
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        out.push_str(&crate::response::escape(&self.text));
        for c in &self.children {
            c.write_xml(out, &self.ns);
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

fn finish(reader: &mut NsReader<&[u8]>, root: Option<Element>) -> Result<Element, ProtoError> {
    let root = root.ok_or_else(|| ProtoError::Xml("empty document".into()))?;
    loop {
        match reader.read_event().map_err(|e| ProtoError::Xml(e.to_string()))? {
            Event::Eof => return Ok(root),
            Event::Text(t) if t.iter().all(|b| b.is_ascii_whitespace()) => {}
            Event::Comment(_) | Event::PI(_) => {}
            _ => return Err(ProtoError::Xml("content after the root element".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_and_text() {
        let el = Element::parse(
            br#"<?xml version="1.0"?><a:x xmlns:a="DAV:" xmlns="urn:y"><b k="v &amp; w">t&lt;</b><a:c/></a:x>"#,
        )
        .unwrap();
        assert!(el.is("DAV:", "x"));
        assert_eq!(el.children[0].ns, "urn:y");
        assert_eq!(el.children[0].attr("k"), Some("v & w"));
        assert_eq!(el.children[0].text, "t<");
        assert!(el.children[1].is("DAV:", "c"));
    }

    #[test]
    fn refuses_doctype_and_entities() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#;
        assert_eq!(Element::parse(bomb), Err(ProtoError::DocType));
        assert!(Element::parse(b"<x>&a;</x>").is_err());
    }

    #[test]
    fn bounds_depth_and_rejects_garbage() {
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(Element::parse(deep.as_bytes()), Err(ProtoError::TooDeep(MAX_DEPTH)));
        assert!(Element::parse(b"").is_err());
        assert!(Element::parse(b"<a></b>").is_err());
        assert!(Element::parse(b"<a/><b/>").is_err());
        assert!(Element::parse(b"<p:a/>").is_err());
    }

    #[test]
    fn dead_property_round_trip() {
        let el = Element::parse(br#"<x:p xmlns:x="urn:z"><x:q a="1">v</x:q></x:p>"#).unwrap();
        assert_eq!(el.to_xml(), r#"<p xmlns="urn:z"><q a="1">v</q></p>"#);
    }
}
