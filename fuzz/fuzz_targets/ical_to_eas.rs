//! Fuzz target: map arbitrary text as iCalendar to EAS (`mapping::ical_to_eas`)
//! for the Calendar and Tasks classes at 14.1 and 16.1. Whatever maps must
//! encode to WBXML that decodes again, and must render back to iCalendar
//! (`mapping::eas_to_ical`, from the tree and from the decoded wire form)
//! without panicking. Seed with `../../shared/corpus/ical`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapping::{eas_to_ical, ical_to_eas, ItemClass, OccurrenceEditKind, ProtocolVersion};
use wbxml::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for class in [ItemClass::Calendar, ItemClass::Tasks] {
        for version in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
            let Ok(out) = ical_to_eas(text, class, version) else { continue };
            let wire = encode(&out.application_data);
            let back = decode(&wire).expect("mapped ApplicationData must encode to decodable WBXML");
            let _ = eas_to_ical(&out.application_data, class, version, &out.residue);
            let _ = eas_to_ical(&back, class, version, &out.residue);
            let _ = eas_to_ical(&back, class, version, &Default::default());
            for edit in &out.occurrence_edits {
                if let OccurrenceEditKind::Change(el) = &edit.kind {
                    let _ = decode(&encode(el)).expect("occurrence edit must encode to decodable WBXML");
                    let _ = eas_to_ical(el, class, version, &Default::default());
                }
            }
            let _ = mapping::Residue::from_bytes(&out.residue.to_bytes()).expect("residue must round-trip");
        }
    }
});
