//! Fuzz target: decode arbitrary bytes as WBXML (strict, lenient and as a
//! fragment); whatever decodes must re-encode to bytes that decode to the
//! same tree, and must render as XML without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbxml::{decode, decode_fragment, decode_with, encode, encode_body, to_xml, DecodeOptions, Node};

fuzz_target!(|data: &[u8]| {
    let lenient = DecodeOptions {
        allow_headerless: true,
        allow_unknown_tags: true,
        ..DecodeOptions::default()
    };
    for opts in [DecodeOptions::default(), lenient.clone()] {
        if let Ok(tree) = decode_with(data, &opts) {
            let again = decode_with(&encode(&tree), &opts).expect("re-encoded tree must decode");
            assert_eq!(again, tree, "decode(encode(t)) != t");
            let _ = to_xml(&tree);
        }
    }
    if let Ok(nodes) = decode_fragment(data, &lenient) {
        for node in nodes {
            if let Node::Element(el) = node {
                let again = decode_with(&encode_body(&el), &lenient).expect("fragment element must re-decode");
                assert_eq!(again, el);
            }
        }
    }
    let _ = decode(data);
});
