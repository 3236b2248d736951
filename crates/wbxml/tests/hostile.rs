//! Hostile WBXML: every way the issue lists for input to be wrong gives its
//! typed error, never a panic or an unbounded allocation.

use wbxml::tags::{airsync, calendar, email};
use wbxml::{decode, decode_fragment, decode_with, encode, DecodeError, DecodeOptions, Element, Node};

/// Header + body.
fn doc(body: &[u8]) -> Vec<u8> {
    let mut v = wbxml::HEADER.to_vec();
    v.extend_from_slice(body);
    v
}

const SYNC_OPEN: u8 = 0x45; // AirSync:Sync with content
const SYNC_KEY_OPEN: u8 = 0x4B;

#[test]
fn truncated_input() {
    for bad in [&[][..], &[0x03], &[0x03, 0x01], &[0x03, 0x01, 0x6A]] {
        assert!(matches!(decode(bad), Err(DecodeError::Truncated { .. })), "{bad:?}");
    }
    // Element never closed.
    assert_eq!(decode(&doc(&[SYNC_OPEN])), Err(DecodeError::Truncated { offset: 5 }));
    // STR_I without its NUL.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, SYNC_KEY_OPEN, 0x03, b'a', b'b'])),
        Err(DecodeError::Truncated { offset: 9 })
    );
    // SWITCH_PAGE without the page byte, OPAQUE without its length.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0x00])),
        Err(DecodeError::Truncated { offset: 6 })
    );
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0xC3])),
        Err(DecodeError::Truncated { offset: 6 })
    );
    // A multi-byte integer whose continuation bit runs into the end.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0xC3, 0x81])),
        Err(DecodeError::Truncated { offset: 7 })
    );
}

#[test]
fn empty_and_header_only() {
    assert_eq!(decode(&wbxml::HEADER), Err(DecodeError::Empty));
    assert_eq!(decode_fragment(&[], &DecodeOptions::default()), Err(DecodeError::Empty));
}

#[test]
fn unknown_code_page() {
    let bytes = doc(&[0x00, 26, 0x05]);
    assert_eq!(decode(&bytes), Err(DecodeError::UnknownPage { offset: 4, page: 26 }));
    assert_eq!(
        decode(&doc(&[0x00, 0xFF, 0x05])),
        Err(DecodeError::UnknownPage { offset: 4, page: 255 })
    );
    let lenient = DecodeOptions {
        allow_unknown_tags: true,
        ..DecodeOptions::default()
    };
    assert_eq!(
        decode_with(&bytes, &lenient).map(|e| e.tag),
        Ok(wbxml::Tag::new(26, 0x05))
    );
}

#[test]
fn unknown_token() {
    // AirSync stops at 0x29; 0x3F is unassigned.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0x3F, 0x01])),
        Err(DecodeError::UnknownTag {
            offset: 5,
            page: 0,
            token: 0x3F
        })
    );
    // Page 25 jumps from 0x19 to 0x20: 0x1A is a gap.
    assert!(matches!(
        decode(&doc(&[0x00, 25, 0x1A])),
        Err(DecodeError::UnknownTag {
            page: 25,
            token: 0x1A,
            ..
        })
    ));
}

#[test]
fn attributes_are_rejected() {
    for tok in [0x85u8, 0xC5, 0xBF, 0xFF] {
        assert_eq!(
            decode(&doc(&[tok, 0x01])),
            Err(DecodeError::Attributes { offset: 4, token: tok }),
            "{tok:#x}"
        );
    }
}

#[test]
fn string_tables_and_unused_global_tokens() {
    // Non-empty string table in the header.
    let mut bytes = vec![0x03, 0x01, 0x6A, 0x03, b'a', 0, b'b', 0x05];
    assert_eq!(decode(&bytes), Err(DecodeError::StringTable { offset: 3, len: 3 }));
    // Public id given as a string-table index.
    bytes = vec![0x03, 0x00, 0x00, 0x6A, 0x00, 0x05];
    assert!(matches!(decode(&bytes), Err(DecodeError::StringTable { .. })));
    // STR_T (string-table reference), ENTITY, LITERAL, EXT_*, PI.
    for tok in [0x83u8, 0x02, 0x04, 0x44, 0x84, 0xC4, 0x40, 0x80, 0xC0, 0x43] {
        assert_eq!(
            decode(&doc(&[SYNC_OPEN, tok, 0x00, 0x01])),
            Err(DecodeError::UnsupportedToken { offset: 5, token: tok }),
            "{tok:#x}"
        );
    }
}

#[test]
fn bad_header() {
    assert!(matches!(
        decode(&[0x00, 0x01, 0x6A, 0x00, 0x05]),
        Err(DecodeError::BadHeader { .. })
    ));
    assert!(matches!(
        decode(&[0x09, 0x01, 0x6A, 0x00, 0x05]),
        Err(DecodeError::BadHeader { .. })
    ));
    // Charset 4 (ISO-8859-1) is not UTF-8.
    assert!(matches!(
        decode(&[0x03, 0x01, 0x04, 0x00, 0x05]),
        Err(DecodeError::BadHeader { offset: 2, .. })
    ));
}

#[test]
fn depth_limit() {
    let opts = DecodeOptions {
        max_depth: 8,
        ..DecodeOptions::default()
    };
    let nest = |n: usize| {
        let mut body = vec![SYNC_OPEN; n];
        body.extend(std::iter::repeat_n(0x01, n));
        doc(&body)
    };
    assert!(decode_with(&nest(8), &opts).is_ok());
    assert_eq!(
        decode_with(&nest(9), &opts),
        Err(DecodeError::TooDeep { offset: 12, limit: 8 })
    );
    // The default limit holds against a deep bomb far beyond it.
    assert!(matches!(
        decode(&nest(100_000)),
        Err(DecodeError::TooDeep { limit: 64, .. })
    ));
}

#[test]
fn node_limit() {
    let opts = DecodeOptions {
        max_nodes: 3,
        ..DecodeOptions::default()
    };
    assert!(decode_with(&doc(&[SYNC_OPEN, 0x13, 0x13, 0x01]), &opts).is_ok());
    assert_eq!(
        decode_with(&doc(&[SYNC_OPEN, 0x13, 0x13, 0x13, 0x01]), &opts),
        Err(DecodeError::TooManyNodes { offset: 7, limit: 3 })
    );
}

#[test]
fn multibyte_integer_overflow() {
    // 2^32 needs 33 bits: 0x90 0x80 0x80 0x80 0x00.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0xC3, 0x90, 0x80, 0x80, 0x80, 0x00])),
        Err(DecodeError::IntOverflow { offset: 6 })
    );
    // Six bytes, even of leading zeros, are too many.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0xC3, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])),
        Err(DecodeError::IntOverflow { offset: 6 })
    );
    // In the header too.
    assert_eq!(
        decode(&[0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
        Err(DecodeError::IntOverflow { offset: 1 })
    );
    // u32::MAX itself is representable (and then runs past the end).
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, 0xC3, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F])),
        Err(DecodeError::LengthPastEnd {
            offset: 5,
            len: u32::MAX
        })
    );
}

#[test]
fn lengths_past_the_end() {
    assert_eq!(
        decode(&doc(&[
            SYNC_OPEN,
            SYNC_KEY_OPEN,
            0xC3,
            10,
            b'a',
            b'b',
            b'c',
            0x01,
            0x01
        ])),
        Err(DecodeError::LengthPastEnd { offset: 6, len: 10 })
    );
    // Exactly to the end: the opaque eats the END bytes, so the elements stay open.
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, SYNC_KEY_OPEN, 0xC3, 2, 0x01, 0x01])),
        Err(DecodeError::Truncated { offset: 10 })
    );
}

#[test]
fn huge_opaque_length_is_checked_before_allocating() {
    // A 2 GiB and a 4 GiB claim on a 12-byte input: the bounds check comes
    // first (`Reader::take` slices the input; the copy happens only for a
    // slice that exists), so this returns at once instead of reserving.
    for (len_bytes, len) in [
        (&[0x88, 0x80, 0x80, 0x80, 0x00][..], 1u32 << 31),
        (&[0x8F, 0xFF, 0xFF, 0xFF, 0x7F], u32::MAX),
    ] {
        let mut body = vec![SYNC_OPEN, SYNC_KEY_OPEN, 0xC3];
        body.extend_from_slice(len_bytes);
        body.extend_from_slice(&[b'x', 0x01, 0x01]);
        assert_eq!(decode(&doc(&body)), Err(DecodeError::LengthPastEnd { offset: 6, len }));
    }
}

#[test]
fn bad_utf8_in_inline_string() {
    assert_eq!(
        decode(&doc(&[SYNC_OPEN, SYNC_KEY_OPEN, 0x03, 0xC3, 0x28, 0x00, 0x01, 0x01])),
        Err(DecodeError::BadUtf8 { offset: 7 })
    );
}

#[test]
fn content_outside_the_root() {
    assert_eq!(
        decode(&doc(&[0x03, b'a', 0x00, 0x05])),
        Err(DecodeError::OutsideRoot {
            offset: 4,
            what: "text"
        })
    );
    assert_eq!(
        decode(&doc(&[0xC3, 0x01, b'a', 0x05])),
        Err(DecodeError::OutsideRoot {
            offset: 4,
            what: "opaque data"
        })
    );
    assert_eq!(
        decode(&doc(&[0x01])),
        Err(DecodeError::OutsideRoot { offset: 4, what: "END" })
    );
    assert_eq!(
        decode(&doc(&[0x05, 0x05])),
        Err(DecodeError::TrailingData { offset: 5 })
    );
    assert_eq!(
        decode(&doc(&[0x05, 0x45, 0x01])),
        Err(DecodeError::TrailingData { offset: 5 })
    );
    assert_eq!(
        decode(&doc(&[0x05, 0x03, b'a', 0x00])),
        Err(DecodeError::OutsideRoot {
            offset: 5,
            what: "text"
        })
    );
}

#[test]
fn fragments_hold_several_top_level_nodes() {
    // Page 4: Subject "s", then AllDayEvent (empty), then bare text.
    let bytes = [0x00, 0x04, 0x66, 0x03, b's', 0x00, 0x01, 0x06, 0x03, b't', 0x00];
    let nodes = decode_fragment(&bytes, &DecodeOptions::default()).unwrap();
    assert_eq!(
        nodes,
        vec![
            Node::Element(Element::text_element(calendar::SUBJECT, "s")),
            Node::Element(Element::new(calendar::ALL_DAY_EVENT)),
            Node::Text("t".into()),
        ]
    );
    assert_eq!(
        decode_fragment(&[0x01], &DecodeOptions::default()),
        Err(DecodeError::OutsideRoot { offset: 0, what: "END" })
    );
}

#[test]
fn every_prefix_and_every_byte_flip_of_a_real_document_is_handled() {
    let tree = Element::new(airsync::SYNC).with_child(
        Element::new(airsync::COLLECTIONS).with_child(
            Element::new(airsync::COLLECTION)
                .with_text_child(airsync::SYNC_KEY, "123")
                .with_child(Element::opaque_element(email::SUBJECT, vec![0, 1, 2, 255]))
                .with_child(Element::new(airsync::GET_CHANGES)),
        ),
    );
    let bytes = encode(&tree);
    assert_eq!(decode(&bytes).as_ref(), Ok(&tree));
    for cut in 0..bytes.len() {
        assert!(decode(&bytes[..cut]).is_err(), "prefix of {cut} bytes decoded");
    }
    for i in 0..bytes.len() {
        for b in 0..=255u8 {
            let mut m = bytes.clone();
            m[i] = b;
            let _ = decode(&m); // must return, Ok or Err
        }
    }
}

#[test]
fn nul_in_text_cannot_be_encoded_and_is_dropped() {
    let t = Element::text_element(airsync::SYNC_KEY, "a\0b");
    assert_eq!(decode(&encode(&t)), Ok(Element::text_element(airsync::SYNC_KEY, "ab")));
}
