//! Property tests: decode∘encode is the identity on generated trees, the XML
//! form round-trips, and no input makes the decoders panic.

use proptest::prelude::*;
use wbxml::{
    decode, decode_fragment, decode_with, encode, encode_body, from_xml, is_binary, tags, to_xml, DecodeOptions,
    Element, Node, Tag,
};

fn known_tag() -> impl Strategy<Value = Tag> {
    proptest::sample::select(tags::ALL).prop_map(|(p, t, _)| Tag::new(p, t))
}

/// Text as WBXML can carry it: any Unicode except NUL.
fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,24}"
}

/// Any tree of known tags: elements, text (no NUL) and opaque bytes, mixed.
fn tree() -> impl Strategy<Value = Element> {
    let leaf = prop_oneof![
        known_tag().prop_map(Element::new),
        (known_tag(), text()).prop_map(|(t, s)| Element::text_element(t, s)),
        (known_tag(), proptest::collection::vec(any::<u8>(), 0..40)).prop_map(|(t, b)| Element::opaque_element(t, b)),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        let child = prop_oneof![
            4 => inner.prop_map(Node::Element),
            1 => text().prop_map(Node::Text),
            1 => proptest::collection::vec(any::<u8>(), 0..16).prop_map(Node::Opaque),
        ];
        (known_tag(), proptest::collection::vec(child, 0..6)).prop_map(|(tag, children)| Element { tag, children })
    })
}

/// Trees the XML form represents exactly: no mixed content, no empty or
/// line-broken whitespace-only text, no text in binary elements.
fn xml_tree() -> impl Strategy<Value = Element> {
    let value = "[^\u{0}]{0,8}[^\u{0}\\s][^\u{0}]{0,8}";
    let leaf = prop_oneof![
        known_tag().prop_map(Element::new),
        (known_tag(), value).prop_map(|(t, s)| if is_binary(t) {
            Element::opaque_element(t, s.into_bytes())
        } else {
            Element::text_element(t, s)
        }),
        (known_tag(), proptest::collection::vec(any::<u8>(), 0..24)).prop_map(|(t, b)| Element::opaque_element(t, b)),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        (known_tag(), proptest::collection::vec(inner, 1..6)).prop_map(|(tag, kids)| {
            let mut el = Element::new(tag);
            for k in kids {
                el.push(k);
            }
            el
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_then_decode_is_identity(t in tree()) {
        let bytes = encode(&t);
        prop_assert_eq!(decode(&bytes), Ok(t.clone()));
        let headerless = DecodeOptions { allow_headerless: true, ..DecodeOptions::default() };
        prop_assert_eq!(decode_with(&encode_body(&t), &headerless), Ok(t.clone()));
        prop_assert_eq!(decode_fragment(&encode_body(&t), &DecodeOptions::default()), Ok(vec![Node::Element(t)]));
    }

    #[test]
    fn xml_form_round_trips(t in xml_tree()) {
        let xml = to_xml(&t);
        prop_assert_eq!(from_xml(&xml), Ok(t), "{}", xml);
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
        let lenient = DecodeOptions { allow_headerless: true, allow_unknown_tags: true, max_depth: 4, max_nodes: 50 };
        let _ = decode_with(&bytes, &lenient);
        let _ = decode_fragment(&bytes, &lenient);
    }

    #[test]
    fn decode_never_panics_after_a_valid_header(body in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut bytes = wbxml::HEADER.to_vec();
        bytes.extend_from_slice(&body);
        if let Ok(t) = decode(&bytes) {
            // Whatever decodes re-encodes to something that decodes the same.
            prop_assert_eq!(decode(&encode(&t)), Ok(t));
        }
    }

    #[test]
    fn mutated_encodings_never_panic(t in tree(), pos in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = encode(&t);
        let i = pos.index(bytes.len());
        bytes[i] = byte;
        if let Ok(d) = decode(&bytes) {
            prop_assert_eq!(decode(&encode(&d)), Ok(d));
        }
    }

    #[test]
    fn from_xml_never_panics(s in "\\PC{0,200}", t in xml_tree(), cut in any::<prop::sample::Index>()) {
        let _ = from_xml(&s);
        let xml = to_xml(&t);
        let mut end = cut.index(xml.len() + 1);
        while !xml.is_char_boundary(end) {
            end -= 1;
        }
        let _ = from_xml(&xml[..end]);
    }
}
