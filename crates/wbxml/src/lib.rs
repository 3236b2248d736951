//! WBXML 1.3 as Exchange ActiveSync uses it: a decoder to a small element
//! tree, an encoder from it, the ActiveSync code pages 0–25, and an XML text
//! form for logs, tests and fixtures.
//!
//! This crate is deliberately small and pure: no I/O, no async, no knowledge
//! of EAS commands (those live in `eas-proto`). EAS never uses attributes,
//! entities or a string table, so the tree has only elements, text and
//! opaque bytes.
//!
//! Central types: [`Tag`] (code page + token), [`Element`] and [`Node`] (the
//! tree), [`DecodeError`] (every way hostile input can be wrong).
//!
//! * Binary: [`decode`] / [`decode_with`] (limits in [`DecodeOptions`]),
//!   [`decode_fragment`] for header-less token streams with several top-level
//!   nodes (fixtures cut out of a document), [`encode`] / [`encode_body`].
//!   Decoding never panics and its memory is bounded by the input length and
//!   [`DecodeOptions::max_nodes`].
//! * Tags: [`tags`] has a constant per element (`tags::calendar::START_TIME`),
//!   generated from `eas-codepages.tsv` by `scripts/gen_tags.py`.
//! * XML: [`to_xml`] / [`from_xml`] (and the `_with` variants) speak
//!   libwbxml's ActiveSync dialect: `xmlns="AirSync:"`, undeclared prefixes,
//!   libwbxml's element spellings, base64 for binary elements, CDATA for
//!   opaque data. The rules are in the [`xml`] module docs, the
//!   cross-check against Debian's `libwbxml2-utils` in `tests/libwbxml.rs`.
//!
//! ```
//! use wbxml::{tags::folder_hierarchy as fh, Element};
//!
//! let doc = Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0");
//! let bytes = wbxml::encode(&doc);
//! assert_eq!(bytes, [0x03, 0x01, 0x6A, 0x00, 0x00, 0x07, 0x56, 0x52, 0x03, b'0', 0x00, 0x01, 0x01]);
//! assert_eq!(wbxml::decode(&bytes).unwrap(), doc);
//!
//! let xml = wbxml::to_xml(&doc);
//! assert!(xml.contains(r#"<FolderSync xmlns="FolderHierarchy:">"#));
//! assert_eq!(wbxml::from_xml(&xml).unwrap(), doc);
//! ```

mod codec;
mod element;
mod names;
pub mod tags;
pub mod xml;

pub use codec::{decode, decode_fragment, decode_with, encode, encode_body, DecodeError, DecodeOptions, HEADER};
pub use element::{Element, Node};
pub use names::{is_binary, libwbxml_name, page_for_namespace, tag_on_page};
pub use xml::{
    from_xml, from_xml_with, to_xml, to_xml_with, ParseOptions, XmlError, XmlOptions, ACTIVESYNC_DOCTYPE,
    MAX_XML_DEPTH, OPAQUE_PI,
};

/// An element name: a code page and a token within it (0x05–0x3F).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    /// Code page number (0–25 for ActiveSync).
    pub page: u8,
    /// Token within the page, without the content/attribute bits.
    pub token: u8,
}

impl Tag {
    /// Makes a tag from its page and token.
    pub const fn new(page: u8, token: u8) -> Self {
        Tag { page, token }
    }

    /// The element name from the code-page table, if the tag is known.
    pub fn name(self) -> Option<&'static str> {
        tags::ALL
            .binary_search_by(|&(p, t, _)| (p, t).cmp(&(self.page, self.token)))
            .ok()
            .map(|i| tags::ALL[i].2)
    }

    /// The namespace (code page name) of the tag, if the page is known.
    pub fn namespace(self) -> Option<&'static str> {
        tags::NAMESPACES.get(self.page as usize).copied()
    }

    /// Looks a tag up by namespace and element name, e.g. `("AirSync", "Sync")`.
    pub fn from_name(namespace: &str, name: &str) -> Option<Tag> {
        let page = tags::NAMESPACES.iter().position(|ns| *ns == namespace)? as u8;
        tags::ALL
            .iter()
            .find(|&&(p, _, n)| p == page && n == name)
            .map(|&(p, t, _)| Tag::new(p, t))
    }

    /// Whether the tag is in the code-page table.
    pub fn is_known(self) -> bool {
        self.name().is_some()
    }
}

impl std::fmt::Debug for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.namespace(), self.name()) {
            (Some(ns), Some(n)) => write!(f, "{ns}:{n}"),
            _ => write!(f, "Tag({}, {:#04x})", self.page, self.token),
        }
    }
}

impl std::fmt::Display for Tag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self, f)
    }
}
