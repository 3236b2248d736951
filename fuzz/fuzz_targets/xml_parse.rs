//! Fuzz target: parse arbitrary text with `from_xml`. Whatever parses must
//! encode to WBXML that decodes to the same tree, and must render with
//! `to_xml` without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbxml::{decode_with, encode, from_xml, to_xml, DecodeOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = from_xml(text) {
        let lenient = DecodeOptions {
            allow_unknown_tags: true,
            max_depth: usize::MAX,
            ..DecodeOptions::default()
        };
        let again = decode_with(&encode(&tree), &lenient).expect("from_xml tree must encode and decode");
        assert_eq!(again, tree);
        let _ = to_xml(&tree);
    }
});
