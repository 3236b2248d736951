//! Multistatus, propstat and error bodies: builders plus the one place that writes XML.

use crate::names::{QName, PREFIXES};

/// Namespace of the human-readable message element added to error bodies.
pub const MESSAGE_NS: &str = "http://easdav.invalid/ns/";

/// Escapes text for XML element content and attribute values.
pub fn escape(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

/// A rendered XML node inside a property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// An element with attributes and children.
    El {
        /// Element name.
        name: QName,
        /// Unqualified attributes.
        attrs: Vec<(String, String)>,
        /// Child nodes.
        children: Vec<Node>,
    },
    /// Character data (escaped when rendered).
    Text(String),
}

impl Node {
    /// An empty element.
    pub fn empty(name: QName) -> Node {
        Node::El {
            name,
            attrs: Vec::new(),
            children: Vec::new(),
        }
    }
    /// An element holding only text.
    pub fn text_el(name: QName, text: impl Into<String>) -> Node {
        Node::El {
            name,
            attrs: Vec::new(),
            children: vec![Node::Text(text.into())],
        }
    }
    /// An element with children.
    pub fn el(name: QName, children: Vec<Node>) -> Node {
        Node::El {
            name,
            attrs: Vec::new(),
            children,
        }
    }
    /// An element with attributes and no children.
    pub fn with_attrs(name: QName, attrs: &[(&str, &str)]) -> Node {
        Node::El {
            name,
            attrs: attrs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
            children: Vec::new(),
        }
    }
    /// `<D:href>` with an already percent-encoded path.
    pub fn href(h: impl Into<String>) -> Node {
        Node::text_el(QName::dav("href"), h)
    }
}

/// The value of one property in a propstat.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Value {
    /// No content (`<D:displayname/>`): used for 404/403 rows and empty values.
    #[default]
    Empty,
    /// Text content.
    Text(String),
    /// Child elements.
    Nodes(Vec<Node>),
    /// A stored XML fragment (dead properties): the element itself, rendered verbatim.
    Raw(String),
}

impl Value {
    /// A text value.
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text(s.into())
    }
    /// A single `<D:href>` child.
    pub fn href(h: impl Into<String>) -> Value {
        Value::Nodes(vec![Node::href(h)])
    }
    /// Several `<D:href>` children.
    pub fn hrefs<I: IntoIterator<Item = String>>(hs: I) -> Value {
        Value::Nodes(hs.into_iter().map(Node::href).collect())
    }
}

/// Properties of one resource grouped by status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropStat {
    rows: Vec<(u16, QName, Value)>,
}

impl PropStat {
    /// Adds a property found with this value (200).
    pub fn ok(&mut self, name: QName, value: Value) {
        self.rows.push((200, name, value));
    }
    /// Adds a property that does not exist on this resource (404).
    pub fn not_found(&mut self, name: QName) {
        self.rows.push((404, name, Value::Empty));
    }
    /// Adds a property with an arbitrary status.
    pub fn status(&mut self, status: u16, name: QName) {
        self.rows.push((status, name, Value::Empty));
    }
    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
    /// Drops all rows whose status is not 200 (for `Prefer: return=minimal`).
    pub fn retain_ok(&mut self) {
        self.rows.retain(|r| r.0 == 200);
    }
    /// The rows (status, name, value) in insertion order.
    pub fn rows(&self) -> &[(u16, QName, Value)] {
        &self.rows
    }
}

/// One `<D:response>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Percent-encoded absolute path.
    pub href: String,
    /// Properties, or a bare status.
    pub body: ResponseBody,
}

/// What a response carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseBody {
    /// Property rows grouped into propstats.
    Props(PropStat),
    /// A bare status (404 for removed members, 507 for truncation, ...).
    Status(u16),
}

impl Response {
    /// A response carrying properties.
    pub fn with_props(href: impl Into<String>, props: PropStat) -> Self {
        Self {
            href: href.into(),
            body: ResponseBody::Props(props),
        }
    }
    /// A response carrying only a status.
    pub fn with_status(href: impl Into<String>, status: u16) -> Self {
        Self {
            href: href.into(),
            body: ResponseBody::Status(status),
        }
    }
}

/// A `<D:multistatus>` document (or one of its look-alikes such as `mkcol-response`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultiStatus {
    /// Responses in order.
    pub responses: Vec<Response>,
    /// `<D:sync-token>` after the responses (sync-collection).
    pub sync_token: Option<String>,
}

impl MultiStatus {
    /// Appends a response.
    pub fn push(&mut self, r: Response) {
        self.responses.push(r);
    }

    /// Renders as `<D:multistatus>`.
    pub fn render(&self) -> String {
        self.render_as(&QName::dav("multistatus"))
    }

    /// Renders with another root element; for `mkcol-response`/`mkcalendar-response` the
    /// propstats are written directly under the root (RFC 5689 §3, RFC 4791 §5.3.1).
    pub fn render_as(&self, root: &QName) -> String {
        let mut out = String::with_capacity(256 + self.responses.len() * 256);
        out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
        let root_tag = tag(root, &mut out, true);
        let flat = root.local != "multistatus";
        for r in &self.responses {
            if !flat {
                out.push_str("<D:response><D:href>");
                out.push_str(&escape(&r.href));
                out.push_str("</D:href>");
            }
            match &r.body {
                ResponseBody::Status(s) => {
                    out.push_str("<D:status>");
                    out.push_str(&status_line(*s));
                    out.push_str("</D:status>");
                }
                ResponseBody::Props(ps) => write_propstats(&mut out, ps),
            }
            if !flat {
                out.push_str("</D:response>");
            }
        }
        if let Some(t) = &self.sync_token {
            out.push_str("<D:sync-token>");
            out.push_str(&escape(t));
            out.push_str("</D:sync-token>");
        }
        out.push_str("</");
        out.push_str(&root_tag);
        out.push_str(">\n");
        out
    }
}

fn write_propstats(out: &mut String, ps: &PropStat) {
    let mut statuses: Vec<u16> = Vec::new();
    for (s, _, _) in &ps.rows {
        if !statuses.contains(s) {
            statuses.push(*s);
        }
    }
    for s in statuses {
        out.push_str("<D:propstat><D:prop>");
        for (_, name, value) in ps.rows.iter().filter(|r| r.0 == s) {
            write_prop(out, name, value);
        }
        out.push_str("</D:prop><D:status>");
        out.push_str(&status_line(s));
        out.push_str("</D:status></D:propstat>");
    }
}

fn write_prop(out: &mut String, name: &QName, value: &Value) {
    if let Value::Raw(xml) = value {
        out.push_str(xml);
        return;
    }
    let t = tag(name, out, false);
    match value {
        Value::Empty | Value::Raw(_) => {
            out.push_str("/>");
            return;
        }
        Value::Text(s) => {
            out.push('>');
            out.push_str(&escape(s));
        }
        Value::Nodes(nodes) => {
            out.push('>');
            for n in nodes {
                write_node(out, n);
            }
        }
    }
    out.push_str("</");
    out.push_str(&t);
    out.push('>');
}

/// Renders a whole document whose root is `node` (namespace prefixes declared on the root;
/// root attributes are not written).
pub fn render_document(node: &Node) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    match node {
        Node::Text(t) => out.push_str(&escape(t)),
        Node::El { name, children, .. } => {
            let t = tag(name, &mut out, true);
            for c in children {
                write_node(&mut out, c);
            }
            out.push_str("</");
            out.push_str(&t);
            out.push_str(">\n");
        }
    }
    out
}

/// Renders one node (used by the error body and property values).
pub fn write_node(out: &mut String, node: &Node) {
    match node {
        Node::Text(s) => out.push_str(&escape(s)),
        Node::El { name, attrs, children } => {
            let t = tag(name, out, false);
            for (k, v) in attrs {
                out.push(' ');
                out.push_str(k);
                out.push_str("=\"");
                out.push_str(&escape(v));
                out.push('"');
            }
            if children.is_empty() {
                out.push_str("/>");
                return;
            }
            out.push('>');
            for c in children {
                write_node(out, c);
            }
            out.push_str("</");
            out.push_str(&t);
            out.push('>');
        }
    }
}

/// Writes `<prefix:local` (plus declarations) and returns the closing tag name. Known
/// namespaces use the fixed prefixes declared on the root; others get an inline `xmlns:X`.
fn tag(name: &QName, out: &mut String, root: bool) -> String {
    out.push('<');
    let known = PREFIXES.iter().find(|(_, ns)| *ns == name.ns);
    let t = match known {
        Some((p, _)) => format!("{p}:{}", name.local),
        None if name.ns.is_empty() => name.local.clone(),
        None => format!("X:{}", name.local),
    };
    out.push_str(&t);
    if root {
        for (p, ns) in PREFIXES {
            out.push_str(&format!(" xmlns:{p}=\"{ns}\""));
        }
    }
    if known.is_none() && !name.ns.is_empty() {
        out.push_str(&format!(" xmlns:X=\"{}\"", escape(&name.ns)));
    }
    if root {
        out.push('>');
    }
    t
}

/// The literal status line clients compare against (`HTTP/1.1 200 OK`).
pub fn status_line(code: u16) -> String {
    let reason = match code {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        207 => "Multi-Status",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        412 => "Precondition Failed",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        423 => "Locked",
        424 => "Failed Dependency",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "Unknown",
    };
    format!("HTTP/1.1 {code} {reason}")
}

/// Renders a `<D:error>` body holding one precondition element (with optional children) and
/// an optional human-readable message.
pub fn error_body(condition: &QName, children: Vec<Node>, message: Option<&str>) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let root = tag(&QName::dav("error"), &mut out, true);
    write_node(
        &mut out,
        &Node::El {
            name: condition.clone(),
            attrs: Vec::new(),
            children,
        },
    );
    if let Some(m) = message {
        write_node(&mut out, &Node::text_el(QName::new(MESSAGE_NS, "message"), m));
    }
    out.push_str("</");
    out.push_str(&root);
    out.push_str(">\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::Element;

    #[test]
    fn renders_grouped_propstats_and_parses_back() {
        let mut ps = PropStat::default();
        ps.ok(QName::dav("displayname"), Value::text("A & B"));
        ps.not_found(QName::new("urn:x", "weird"));
        ps.ok(
            QName::dav("resourcetype"),
            Value::Nodes(vec![Node::empty(QName::dav("collection"))]),
        );
        let mut ms = MultiStatus {
            sync_token: Some("http://x/sync/1".into()),
            ..Default::default()
        };
        ms.push(Response::with_props("/a%20b/", ps));
        ms.push(Response::with_status("/gone.ics", 404));
        let xml = ms.render();
        assert!(xml.contains("<D:status>HTTP/1.1 200 OK</D:status>"));
        assert!(xml.contains("<D:status>HTTP/1.1 404 Not Found</D:status>"));
        let el = Element::parse(xml.as_bytes()).unwrap();
        assert!(el.is("DAV:", "multistatus"));
        let r0 = &el.children[0];
        assert_eq!(r0.child("DAV:", "href").unwrap().text, "/a%20b/");
        let props = r0.children_named("DAV:", "propstat").collect::<Vec<_>>();
        assert_eq!(props.len(), 2);
        let p = props[0].child("DAV:", "prop").unwrap();
        assert_eq!(p.child("DAV:", "displayname").unwrap().text, "A & B");
        assert!(props[1]
            .child("DAV:", "prop")
            .unwrap()
            .child("urn:x", "weird")
            .is_some());
        assert_eq!(el.child("DAV:", "sync-token").unwrap().text, "http://x/sync/1");
    }

    #[test]
    fn error_body_parses() {
        let b = error_body(
            &QName::caldav("no-uid-conflict"),
            vec![Node::href("/c/x.ics")],
            Some("uid <1>"),
        );
        let el = Element::parse(b.as_bytes()).unwrap();
        let c = el.child(crate::names::CALDAV, "no-uid-conflict").unwrap();
        assert_eq!(c.child("DAV:", "href").unwrap().text, "/c/x.ics");
        assert_eq!(el.child(MESSAGE_NS, "message").unwrap().text, "uid <1>");
    }
}
