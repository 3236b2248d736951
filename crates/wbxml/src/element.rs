//! The element tree that WBXML decodes to and encodes from.

use crate::Tag;

/// One element: a tag and its children in document order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Element {
    /// The element's name.
    pub tag: Tag,
    /// Child nodes in document order.
    pub children: Vec<Node>,
}

/// A child of an element.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Node {
    /// A nested element.
    Element(Element),
    /// Inline text (STR_I).
    Text(String),
    /// Raw bytes (OPAQUE).
    Opaque(Vec<u8>),
}

impl Element {
    /// An empty element.
    pub fn new(tag: Tag) -> Self {
        Element {
            tag,
            children: Vec::new(),
        }
    }

    /// An element holding one text node.
    pub fn text_element(tag: Tag, text: impl Into<String>) -> Self {
        Element {
            tag,
            children: vec![Node::Text(text.into())],
        }
    }

    /// An element holding one opaque node.
    pub fn opaque_element(tag: Tag, bytes: impl Into<Vec<u8>>) -> Self {
        Element {
            tag,
            children: vec![Node::Opaque(bytes.into())],
        }
    }

    /// Builder: appends a child element.
    pub fn with_child(mut self, child: Element) -> Self {
        self.children.push(Node::Element(child));
        self
    }

    /// Builder: appends a child element holding `text`.
    pub fn with_text_child(self, tag: Tag, text: impl Into<String>) -> Self {
        self.with_child(Element::text_element(tag, text))
    }

    /// Builder: appends a child element holding `text` when it is `Some`.
    pub fn with_opt_text_child(self, tag: Tag, text: Option<impl Into<String>>) -> Self {
        match text {
            Some(t) => self.with_text_child(tag, t),
            None => self,
        }
    }

    /// Builder: appends a text node.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        self.children.push(Node::Text(text.into()));
        self
    }

    /// Appends a child element.
    pub fn push(&mut self, child: Element) {
        self.children.push(Node::Element(child));
    }

    /// Appends a child element holding `text`.
    pub fn push_text(&mut self, tag: Tag, text: impl Into<String>) {
        self.push(Element::text_element(tag, text));
    }

    /// Child elements in order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// Mutable child elements in order.
    pub fn elements_mut(&mut self) -> impl Iterator<Item = &mut Element> {
        self.children.iter_mut().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// The first child element with `tag`.
    pub fn find(&self, tag: Tag) -> Option<&Element> {
        self.elements().find(|e| e.tag == tag)
    }

    /// The first child element with `tag`, mutably.
    pub fn find_mut(&mut self, tag: Tag) -> Option<&mut Element> {
        self.elements_mut().find(|e| e.tag == tag)
    }

    /// All child elements with `tag`.
    pub fn find_all(&self, tag: Tag) -> impl Iterator<Item = &Element> {
        self.elements().filter(move |e| e.tag == tag)
    }

    /// Removes every child element with `tag`; returns how many were removed.
    pub fn remove_all(&mut self, tag: Tag) -> usize {
        let before = self.children.len();
        self.children.retain(|n| !matches!(n, Node::Element(e) if e.tag == tag));
        before - self.children.len()
    }

    /// The element's text: the first text node, or opaque bytes that are
    /// valid UTF-8. `None` when the element has neither.
    pub fn text(&self) -> Option<&str> {
        self.children.iter().find_map(|n| match n {
            Node::Text(t) => Some(t.as_str()),
            Node::Opaque(b) => std::str::from_utf8(b).ok(),
            Node::Element(_) => None,
        })
    }

    /// The element's opaque bytes, or its text as bytes.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.children.iter().find_map(|n| match n {
            Node::Text(t) => Some(t.as_bytes()),
            Node::Opaque(b) => Some(b.as_slice()),
            Node::Element(_) => None,
        })
    }

    /// Text of the first child element with `tag`.
    pub fn child_text(&self, tag: Tag) -> Option<&str> {
        self.find(tag).and_then(Element::text)
    }

    /// Whether the element has no children at all.
    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }
}
