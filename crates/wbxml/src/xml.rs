//! The XML text form of the element tree: [`to_xml`] renders it (pretty, for
//! logs and tests) and [`from_xml`] parses it back, accepting the ActiveSync
//! XML conventions of libwbxml and of the fixtures in the shared corpus.
//!
//! # Conventions
//! * Namespaces name code pages: `xmlns="AirSync:"`, `xmlns="Gal:"` (any
//!   ASCII case, trailing colon optional), SynCE URIs such as
//!   `http://synce.org/formats/airsync_wm5/calendar`, or a prefix that is
//!   never declared (`<airsyncbase:Body>` means page AirSyncBase).
//! * An element with no namespace in scope is looked up on its parent's page
//!   first (page 0 for the root), then on every page in order, first match
//!   wins. This is a guess, needed for fixtures such as
//!   `<ApplicationData><Birthday>…` that never say which page they mean.
//! * Element names are the MS-ASWBXML names of `eas-codepages.tsv`; libwbxml's
//!   spellings (`Attendee_Email`, `BusinessCity`, `DTStamp`, `Reply-To`, …)
//!   and ASCII-case variants are accepted too.
//! * Whitespace-only text is formatting and dropped when the element also has
//!   child elements or when the whitespace contains a line break; any other
//!   text is kept byte for byte (not trimmed).
//! * Opaque data: inside the elements libwbxml treats as binary (see
//!   [`is_binary`], e.g. `ComposeMail:Mime`) the text is
//!   base64, as libwbxml writes it; a CDATA section is opaque data anywhere
//!   (libwbxml's `xml2wbxml` also turns CDATA into OPAQUE); opaque bytes that
//!   fit neither form are written as the processing instruction
//!   `<?wbxml-opaque BASE64?>`.
//! * Line breaks are normalised (CR LF and lone CR become LF) as XML 1.0
//!   requires; a CR written as `&#xD;` is kept.
//! * Only the five predefined entities and numeric character references are
//!   expanded; a DOCTYPE is skipped and its internal subset never used.
//!   Attributes other than namespace declarations are rejected (EAS has none).

use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};

use crate::names::{is_binary, libwbxml_name, libwbxml_namespace, page_for_namespace, tag_on_page};
use crate::{tags, Element, Node, Tag};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// The DOCTYPE libwbxml writes for (and needs to recognise) ActiveSync XML.
pub const ACTIVESYNC_DOCTYPE: &str =
    r#"<!DOCTYPE ActiveSync PUBLIC "-//MICROSOFT//DTD ActiveSync//EN" "http://www.microsoft.com/">"#;

/// Processing-instruction target used for opaque bytes that are neither
/// base64 in a binary element nor valid CDATA.
pub const OPAQUE_PI: &str = "wbxml-opaque";

/// Deepest element nesting [`from_xml`] accepts.
pub const MAX_XML_DEPTH: usize = 256;

/// Everything [`from_xml`] can reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// The text is not well-formed XML (or uses an unknown entity).
    #[error("xml syntax error at byte {position}: {message}")]
    Syntax { position: u64, message: String },
    /// A namespace or prefix that names no ActiveSync code page.
    #[error("unknown namespace {namespace:?} on element {element:?}")]
    UnknownNamespace { namespace: String, element: String },
    /// An element name that is not on its code page (or on any page).
    #[error("unknown element {name:?} in namespace {namespace:?}")]
    UnknownElement { namespace: String, name: String },
    /// An attribute that is not a namespace declaration.
    #[error("attribute {name:?} on element {element:?} is not supported")]
    Attribute { element: String, name: String },
    /// Non-whitespace text before or after the root element.
    #[error("text outside the root element at byte {position}")]
    OutsideRoot { position: u64 },
    /// A second root element.
    #[error("more than one root element at byte {position}")]
    MultipleRoots { position: u64 },
    /// Nesting deeper than [`MAX_XML_DEPTH`].
    #[error("nesting deeper than {limit} at byte {position}")]
    TooDeep { position: u64, limit: usize },
    /// No root element at all.
    #[error("no root element")]
    Empty,
}

/// How [`to_xml_with`] spells things.
#[derive(Clone, Debug)]
pub struct XmlOptions {
    /// Use libwbxml's element names (`Attendee_Email`, `Gal:`) instead of the
    /// MS-ASWBXML names, so that `xml2wbxml` accepts the output.
    pub libwbxml_names: bool,
    /// Start with the XML declaration and the ActiveSync DOCTYPE.
    pub header: bool,
    /// Spaces per nesting level.
    pub indent: usize,
}

impl Default for XmlOptions {
    fn default() -> Self {
        XmlOptions {
            libwbxml_names: false,
            header: true,
            indent: 2,
        }
    }
}

/// Renders a tree as indented XML with the ActiveSync DOCTYPE, MS-ASWBXML
/// names and an `xmlns="Page:"` declaration wherever the code page changes.
pub fn to_xml(root: &Element) -> String {
    to_xml_with(root, &XmlOptions::default())
}

/// Renders a tree as XML with explicit [`XmlOptions`].
///
/// Text is written inline in elements that have no child elements, so it
/// survives [`from_xml`] exactly; text mixed with child elements (never used
/// by EAS) is put on its own line and gains indentation. Unknown tags are
/// written as `Unknown0xNN` in namespace `CodePageN:`, which [`from_xml`]
/// reads back.
pub fn to_xml_with(root: &Element, opts: &XmlOptions) -> String {
    enum Step<'a> {
        Open(&'a Element, Option<u8>, usize),
        Close(&'a Element, usize),
        Leaf(&'a Node, Tag, usize),
    }
    let mut out = String::with_capacity(256);
    if opts.header {
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        out.push_str(ACTIVESYNC_DOCTYPE);
        out.push('\n');
    }
    let mut work = vec![Step::Open(root, None, 0)];
    while let Some(step) = work.pop() {
        match step {
            Step::Open(el, parent_page, depth) => {
                push_indent(&mut out, opts, depth);
                out.push('<');
                out.push_str(&element_name(el.tag, opts));
                if parent_page != Some(el.tag.page) {
                    out.push_str(" xmlns=\"");
                    out.push_str(&namespace_name(el.tag.page, opts));
                    out.push_str(":\"");
                }
                if el.children.is_empty() {
                    out.push_str("/>\n");
                } else if el.children.iter().all(|c| !matches!(c, Node::Element(_))) {
                    out.push('>');
                    for c in &el.children {
                        write_content(&mut out, c, el.tag);
                    }
                    out.push_str("</");
                    out.push_str(&element_name(el.tag, opts));
                    out.push_str(">\n");
                } else {
                    out.push_str(">\n");
                    work.push(Step::Close(el, depth));
                    for c in el.children.iter().rev() {
                        work.push(match c {
                            Node::Element(e) => Step::Open(e, Some(el.tag.page), depth + 1),
                            other => Step::Leaf(other, el.tag, depth + 1),
                        });
                    }
                }
            }
            Step::Close(el, depth) => {
                push_indent(&mut out, opts, depth);
                out.push_str("</");
                out.push_str(&element_name(el.tag, opts));
                out.push_str(">\n");
            }
            Step::Leaf(node, parent, depth) => {
                push_indent(&mut out, opts, depth);
                write_content(&mut out, node, parent);
                out.push('\n');
            }
        }
    }
    out
}

fn push_indent(out: &mut String, opts: &XmlOptions, depth: usize) {
    out.extend(std::iter::repeat_n(' ', depth.saturating_mul(opts.indent)));
}

fn element_name(tag: Tag, opts: &XmlOptions) -> String {
    let name = if opts.libwbxml_names {
        libwbxml_name(tag)
    } else {
        tag.name()
    };
    match name {
        Some(n) => n.to_owned(),
        None => format!("Unknown{:#04X}", tag.token).replace("0X", "0x"),
    }
}

fn namespace_name(page: u8, opts: &XmlOptions) -> String {
    let ns = if opts.libwbxml_names {
        libwbxml_namespace(page)
    } else {
        tags::NAMESPACES.get(page as usize).copied()
    };
    match ns {
        Some(n) => n.to_owned(),
        None => format!("CodePage{page}"),
    }
}

/// Writes a text or opaque node as element content.
fn write_content(out: &mut String, node: &Node, parent: Tag) {
    match node {
        Node::Text(t) => escape_text(out, t),
        Node::Opaque(b) if b.is_empty() => out.push_str("<![CDATA[]]>"),
        Node::Opaque(b) if is_binary(parent) => out.push_str(&B64.encode(b)),
        Node::Opaque(b) => match std::str::from_utf8(b) {
            Ok(s) if !s.contains("]]>") && s.chars().all(xml_char_ok) => {
                out.push_str("<![CDATA[");
                out.push_str(s);
                out.push_str("]]>");
            }
            _ => {
                out.push_str("<?");
                out.push_str(OPAQUE_PI);
                out.push(' ');
                out.push_str(&B64.encode(b));
                out.push_str("?>");
            }
        },
        Node::Element(_) => {}
    }
}

/// Characters that may appear literally in XML content (CR excluded: parsers
/// normalise it away).
fn xml_char_ok(c: char) -> bool {
    matches!(c, '\t' | '\n') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

fn escape_text(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c if xml_char_ok(c) => out.push(c),
            c => {
                out.push_str("&#x");
                out.push_str(&format!("{:X}", u32::from(c)));
                out.push(';');
            }
        }
    }
}

/// One open element while parsing.
struct Frame {
    el: Element,
    /// `xmlns="…"` declared on this element: `Some(None)` for `xmlns=""`.
    default_ns: Option<Option<u8>>,
    /// `xmlns:p="…"` declarations on this element.
    prefixes: Vec<(String, u8)>,
}

/// How [`from_xml_with`] resolves elements that have no namespace in scope.
#[derive(Clone, Debug, Default)]
pub struct ParseOptions {
    /// Code pages to try, in order, after the parent's page and before all
    /// pages in page order. E.g. `[Calendar, AirSyncBase]` for namespace-less
    /// calendar fixtures, where `<Sensitivity>` would otherwise resolve to
    /// `Email:Sensitivity` (page 2 comes before page 4).
    pub prefer_pages: Vec<u8>,
}

/// Parses the XML form back into a tree; see the module docs for the
/// conventions accepted.
///
/// # Errors
/// [`XmlError`] for malformed XML, unknown namespaces or elements,
/// attributes, unknown entities, or nesting deeper than [`MAX_XML_DEPTH`].
pub fn from_xml(text: &str) -> Result<Element, XmlError> {
    from_xml_with(text, &ParseOptions::default())
}

/// [`from_xml`] with explicit [`ParseOptions`].
///
/// # Errors
/// As [`from_xml`].
pub fn from_xml_with(text: &str, opts: &ParseOptions) -> Result<Element, XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event().map_err(|e| syntax(&reader, e))?;
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(XmlError::MultipleRoots { position });
            }
            Event::Start(start) => {
                if stack.len() >= MAX_XML_DEPTH {
                    return Err(XmlError::TooDeep {
                        position,
                        limit: MAX_XML_DEPTH,
                    });
                }
                let frame = open(&start, &stack, opts)?;
                stack.push(frame);
            }
            Event::Empty(start) => {
                let frame = open(&start, &stack, opts)?;
                close(frame, &mut stack, &mut root);
            }
            Event::End(_) => match stack.pop() {
                Some(frame) => close(frame, &mut stack, &mut root),
                None => return Err(XmlError::OutsideRoot { position }),
            },
            Event::Text(t) => {
                // XML end-of-line handling (XML 1.0 §2.11) comes before
                // reference expansion, so `&#xD;` still yields a CR.
                let raw = std::str::from_utf8(&t).map_err(|e| syntax(&reader, e))?;
                let s = quick_xml::escape::unescape(&normalize_eol(raw))
                    .map_err(|e| syntax(&reader, e))?
                    .into_owned();
                if s.contains('\0') {
                    // Not an XML character, and STR_I could not carry it.
                    return Err(XmlError::Syntax {
                        position,
                        message: "NUL character in text".into(),
                    });
                }
                match stack.last_mut() {
                    Some(f) => push_text(&mut f.el, &s),
                    None if s.trim().is_empty() => {}
                    None => return Err(XmlError::OutsideRoot { position }),
                }
            }
            Event::CData(c) => match stack.last_mut() {
                Some(f) => {
                    let raw = String::from_utf8_lossy(&c).into_owned();
                    f.el.children.push(Node::Opaque(normalize_eol(&raw).into_bytes()));
                }
                None => return Err(XmlError::OutsideRoot { position }),
            },
            Event::PI(pi) => {
                let raw = std::str::from_utf8(pi.as_ref()).unwrap_or("");
                if let Some(data) = raw.strip_prefix(OPAQUE_PI) {
                    let bytes = B64.decode(strip_ws(data)).map_err(|e| XmlError::Syntax {
                        position,
                        message: format!("bad base64 in <?{OPAQUE_PI}?>: {e}"),
                    })?;
                    match stack.last_mut() {
                        Some(f) => f.el.children.push(Node::Opaque(bytes)),
                        None => return Err(XmlError::OutsideRoot { position }),
                    }
                }
            }
            Event::Decl(_) | Event::Comment(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Syntax {
            position: reader.buffer_position(),
            message: "unclosed element at end of input".into(),
        });
    }
    root.ok_or(XmlError::Empty)
}

fn syntax<E: std::fmt::Display>(reader: &quick_xml::Reader<&[u8]>, e: E) -> XmlError {
    XmlError::Syntax {
        position: reader.error_position(),
        message: e.to_string(),
    }
}

/// Line breaks as an XML parser must report them: CR LF and lone CR
/// become LF.
fn normalize_eol(s: &str) -> String {
    if s.contains('\r') {
        s.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        s.to_owned()
    }
}

fn strip_ws(s: &str) -> String {
    s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

/// Appends text, merging with a directly preceding text node (text split by
/// a comment is one value).
fn push_text(el: &mut Element, s: &str) {
    if let Some(Node::Text(prev)) = el.children.last_mut() {
        prev.push_str(s);
    } else {
        el.children.push(Node::Text(s.to_owned()));
    }
}

/// Finishes an element: drops formatting whitespace, decodes base64 in
/// binary elements, and attaches it to its parent (or makes it the root).
fn close(frame: Frame, stack: &mut [Frame], root: &mut Option<Element>) {
    let mut el = frame.el;
    let has_elements = el.children.iter().any(|c| matches!(c, Node::Element(_)));
    el.children.retain(|c| match c {
        Node::Text(t) if t.trim().is_empty() => !(has_elements || t.contains(['\n', '\r'])),
        _ => true,
    });
    if is_binary(el.tag) {
        for c in &mut el.children {
            if let Node::Text(t) = c {
                // libwbxml fails on bad base64 here; we keep the text.
                if let Ok(bytes) = B64.decode(strip_ws(t)) {
                    *c = Node::Opaque(bytes);
                }
            }
        }
    }
    match stack.last_mut() {
        Some(parent) => parent.el.children.push(Node::Element(el)),
        None => *root = Some(el),
    }
}

/// Resolves a start tag to a frame: namespace declarations, then the tag.
fn open(start: &BytesStart<'_>, stack: &[Frame], opts: &ParseOptions) -> Result<Frame, XmlError> {
    let qname = start.name();
    let full = String::from_utf8_lossy(qname.as_ref()).into_owned();
    let (prefix, local) = match full.split_once(':') {
        Some((p, l)) => (Some(p.to_owned()), l.to_owned()),
        None => (None, full.clone()),
    };
    let mut default_ns = None;
    let mut prefixes = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Syntax {
            position: 0,
            message: format!("bad attribute on {full:?}: {e}"),
        })?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr
            .unescape_value()
            .map_err(|e| XmlError::Syntax {
                position: 0,
                message: format!("bad attribute value on {full:?}: {e}"),
            })?
            .into_owned();
        let page = || {
            page_for_namespace(&value).ok_or_else(|| XmlError::UnknownNamespace {
                namespace: value.clone(),
                element: full.clone(),
            })
        };
        if key == "xmlns" {
            default_ns = Some(if value.is_empty() { None } else { Some(page()?) });
        } else if let Some(p) = key.strip_prefix("xmlns:") {
            prefixes.push((p.to_owned(), page()?));
        } else {
            return Err(XmlError::Attribute {
                element: full,
                name: key,
            });
        }
    }
    let parent_page = stack.last().map_or(0, |f| f.el.tag.page);
    let tag = match &prefix {
        Some(p) => {
            let bound = prefixes
                .iter()
                .chain(stack.iter().rev().flat_map(|f| f.prefixes.iter()))
                .find(|(name, _)| name == p)
                .map(|&(_, page)| page);
            let page = bound
                .or_else(|| page_for_namespace(p))
                .ok_or_else(|| XmlError::UnknownNamespace {
                    namespace: p.clone(),
                    element: full.clone(),
                })?;
            lookup(page, &local)?
        }
        None => {
            let declared = default_ns.or_else(|| stack.iter().rev().find_map(|f| f.default_ns));
            match declared {
                Some(Some(page)) => lookup(page, &local)?,
                Some(None) | None => guess(parent_page, &local, opts)?,
            }
        }
    };
    Ok(Frame {
        el: Element::new(tag),
        default_ns,
        prefixes,
    })
}

fn lookup(page: u8, name: &str) -> Result<Tag, XmlError> {
    tag_on_page(page, name)
        .or_else(|| crate::names::unknown_token(name).map(|t| Tag::new(page, t)))
        .ok_or_else(|| XmlError::UnknownElement {
            namespace: tags::NAMESPACES.get(page as usize).copied().unwrap_or("?").to_owned(),
            name: name.to_owned(),
        })
}

/// An element with no namespace in scope: the parent's page first, then the
/// preferred pages, then every page in order (exact names before
/// case-insensitive ones).
fn guess(parent_page: u8, name: &str, opts: &ParseOptions) -> Result<Tag, XmlError> {
    let all = 0..tags::NAMESPACES.len() as u8;
    tag_on_page(parent_page, name)
        .or_else(|| opts.prefer_pages.iter().find_map(|&p| tag_on_page(p, name)))
        .or_else(|| all.clone().find_map(|p| crate::names::tag_on_page_exact(p, name)))
        .or_else(|| all.clone().find_map(|p| tag_on_page(p, name)))
        .or_else(|| crate::names::unknown_token(name).map(|t| Tag::new(parent_page, t)))
        .ok_or_else(|| XmlError::UnknownElement {
            namespace: String::new(),
            name: name.to_owned(),
        })
}
