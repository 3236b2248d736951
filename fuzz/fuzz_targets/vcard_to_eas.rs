//! Fuzz target: map arbitrary text as a vCard to EAS Contacts
//! (`mapping::vcard_to_eas`) at 14.1 and 16.1. Whatever maps must encode to
//! WBXML that decodes again, and must render back as vCard 3.0 and 4.0
//! (`mapping::eas_to_vcard`) without panicking. Seed with
//! `../../shared/corpus/vcard`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mapping::{eas_to_vcard, vcard_to_eas, ProtocolVersion, VcardVersion};
use wbxml::{decode, encode};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for version in [ProtocolVersion::V14_1, ProtocolVersion::V16_1] {
        let Ok(out) = vcard_to_eas(text, version) else { continue };
        let wire = encode(&out.application_data);
        let back = decode(&wire).expect("mapped ApplicationData must encode to decodable WBXML");
        for vv in [VcardVersion::V3, VcardVersion::V4] {
            let _ = eas_to_vcard(&out.application_data, version, &out.residue, vv);
            let _ = eas_to_vcard(&back, version, &out.residue, vv);
            let _ = eas_to_vcard(&back, version, &Default::default(), vv);
        }
        let _ = mapping::Residue::from_bytes(&out.residue.to_bytes()).expect("residue must round-trip");
    }
});
