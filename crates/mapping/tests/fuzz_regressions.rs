//! Inputs found by the cargo-fuzz targets in `fuzz/` (see `crates/wbxml/README.md`), kept as
//! ordinary tests so that stable `cargo test` checks them: each must give a typed result, never a
//! panic.

use base64::Engine;
use mapping::tz::TzBlob;
use mapping::{eas_to_ical, eas_to_vcard, ItemClass, MapError, ProtocolVersion, Residue, VcardVersion};
use wbxml::tags::{airsync, calendar as c};
use wbxml::Element;

/// Every renderer on one `ApplicationData`, as the `eas_to_ical` fuzz target calls them.
fn render_all(data: &Element) -> Vec<Result<String, MapError>> {
    let none = Residue::default();
    let mut out = Vec::new();
    for v in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
        for class in [ItemClass::Calendar, ItemClass::Tasks] {
            out.push(eas_to_ical(data, class, v, &none));
        }
        for vv in [VcardVersion::V3, VcardVersion::V4] {
            out.push(eas_to_vcard(data, v, &none, vv));
        }
    }
    out
}

/// A blob with the given biases and, so that both offsets are used, last-Sunday-of-October and
/// last-Sunday-of-March transitions.
fn blob_with_bias(bias: i32, standard_bias: i32, daylight_bias: i32) -> String {
    let mut b = [0u8; 172];
    b[0..4].copy_from_slice(&bias.to_le_bytes());
    // SYSTEMTIME: year, month, day of week, day (week), hour, minute, second, ms (u16 each).
    for (at, month, hour) in [(68, 10u16, 3u16), (152, 3, 2)] {
        for (i, v) in [0u16, month, 0, 5, hour, 0, 0, 0].into_iter().enumerate() {
            b[at + 2 * i..at + 2 * i + 2].copy_from_slice(&v.to_le_bytes());
        }
    }
    b[84..88].copy_from_slice(&standard_bias.to_le_bytes());
    b[168..172].copy_from_slice(&daylight_bias.to_le_bytes());
    base64::engine::general_purpose::STANDARD.encode(b)
}

fn is_bad_eas(r: &Result<String, MapError>) -> bool {
    matches!(r, Err(MapError::BadEas(_)))
}

/// eas_to_ical crash-65b5e64e: a time-zone blob whose bias is `i32::MIN` overflowed the negation
/// in `TzBlob::standard_offset_minutes` ("attempt to negate with overflow"). The fuzzer's input,
/// verbatim: a 14.x `ApplicationData` holding the Dublin blob with its bias mutated, and
/// `AllDayEvent` 0.
#[test]
fn crash_65b5e64e_time_zone_bias_i32_min() {
    let bytes: &[u8] = b"\x03\x01\x6a\x00\x5d\x00\x04\x45\x03\
AAAAgACVAQBUAEMAKQAgAEcAcgBlAGUAbgB3AGkAYwBoACAATQBlAGEAbgAgAFQAaQBtAGUAIAA6ACAARAB1AGIAAAAAAAoAAAAFAAIA\
AAAAAAAAAAAAACgAVQBUAEMAKQAgAEcAcgBlAGUAbgB3AGkAYwBoACAATQBlAGEAbgAgAFQAaQBtAGUAIAA6ACAARAB1AGIAAAAAAAMA\
AAAFAAEAAAAAAAAAxP///w==\x00\x01\x46\x03\x30\x00\x01\x01";
    let data = wbxml::decode(bytes).expect("the crash input is well-formed WBXML");
    assert_eq!(data.tag, airsync::APPLICATION_DATA);
    let results = render_all(&data);
    // Calendar (14.1 and 16.1) reads the blob and must refuse it as bad EAS data.
    assert!(is_bad_eas(&results[0]), "{:?}", results[0]);
    assert!(is_bad_eas(&results[4]), "{:?}", results[4]);
}

/// The same overflow reduced to its cause, for both offsets and with the sum saturating from
/// either side.
#[test]
fn time_zone_bias_extremes_are_refused_not_negated() {
    for (bias, std, dst) in [
        (i32::MIN, 0, 0),
        (i32::MIN, -1, 0),
        (-1, i32::MIN, 0),
        (0, 0, i32::MIN),
        (i32::MAX, 1, 0),
        (i32::MAX, 0, i32::MAX),
    ] {
        let b64 = blob_with_bias(bias, std, dst);
        let blob = TzBlob::from_base64(&b64).expect("172 bytes");
        assert!(blob.has_dst());
        let _ = (blob.standard_offset_minutes(), blob.daylight_offset_minutes());
        assert!(
            matches!(blob.to_time_zone(), Err(MapError::BadEas(_))),
            "bias {bias} std {std} dst {dst}"
        );
        let data = Element::new(airsync::APPLICATION_DATA)
            .with_text_child(c::TIMEZONE, b64)
            .with_text_child(c::START_TIME, "20260102T100000Z")
            .with_text_child(c::END_TIME, "20260102T110000Z");
        let r = eas_to_ical(&data, ItemClass::Calendar, ProtocolVersion::V16_1, &Residue::default());
        assert!(is_bad_eas(&r), "bias {bias} std {std} dst {dst}: {r:?}");
        let _ = render_all(&data);
    }
}
