//! Fuzz target: decode arbitrary bytes as WBXML (leniently: headerless bodies,
//! unknown tags, fragments) and render the result as EAS `ApplicationData`
//! with `mapping::eas_to_ical` (Calendar and Tasks) and
//! `mapping::eas_to_vcard` (vCard 3.0 and 4.0) at 14.1 and 16.1. Nothing may
//! panic. Candidates are the root, every `AirSync:ApplicationData` inside it,
//! and a fragment's top-level elements wrapped in one `ApplicationData`.
//! Seed with `../../shared/corpus/eas`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapping::{eas_to_ical, eas_to_vcard, ItemClass, ProtocolVersion, Residue, VcardVersion};
use wbxml::tags::airsync::APPLICATION_DATA;
use wbxml::{decode_fragment, decode_with, DecodeOptions, Element, Node};

/// At most this many candidates per input, to keep executions fast.
const MAX_CANDIDATES: usize = 8;

fn collect(el: &Element, out: &mut Vec<Element>) {
    if out.len() >= MAX_CANDIDATES {
        return;
    }
    if el.tag == APPLICATION_DATA {
        out.push(el.clone());
    }
    for ch in el.elements() {
        collect(ch, out);
    }
}

fn render(data: &Element) {
    let none = Residue::default();
    for version in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
        for class in [ItemClass::Calendar, ItemClass::Tasks] {
            let _ = eas_to_ical(data, class, version, &none);
        }
        for vv in [VcardVersion::V3, VcardVersion::V4] {
            let _ = eas_to_vcard(data, version, &none, vv);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let opts = DecodeOptions {
        allow_headerless: true,
        allow_unknown_tags: true,
        ..DecodeOptions::default()
    };
    let mut candidates = Vec::new();
    if let Ok(root) = decode_with(data, &opts) {
        candidates.push(root.clone());
        collect(&root, &mut candidates);
    } else if let Ok(nodes) = decode_fragment(data, &opts) {
        let mut holder = Element::new(APPLICATION_DATA);
        holder.children = nodes.into_iter().filter(|n| matches!(n, Node::Element(_))).collect();
        collect(&holder, &mut candidates);
    }
    for c in candidates.iter().take(MAX_CANDIDATES) {
        render(c);
    }
});
