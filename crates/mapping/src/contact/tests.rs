//! Round-trip tests of the contact mapping through the public functions.

use wbxml::tags::{contacts as c, contacts2 as c2};

use super::*;

const V: ProtocolVersion = ProtocolVersion::V16_1;

fn full_v3() -> &'static str {
    "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
PRODID:-//Apple Inc.//iPhone OS 17.0//EN\r\n\
N:Doe;John;Quincy,Q.;Dr.;Jr.\r\n\
FN:John Doe\r\n\
NICKNAME:Johnny\r\n\
ORG:Acme;Research;Lab 2\r\n\
TITLE:Engineer\r\n\
EMAIL;type=INTERNET;type=WORK;type=pref:john@acme.example\r\n\
EMAIL;type=INTERNET;type=HOME:john@home.example\r\n\
EMAIL;type=INTERNET:j3@x.example\r\n\
EMAIL;type=INTERNET:j4@x.example\r\n\
TEL;type=CELL;type=VOICE;type=pref:+1 555 0100\r\n\
TEL;type=HOME;type=VOICE:+1 555 0101\r\n\
TEL;type=HOME:+1 555 0102\r\n\
TEL;type=HOME:+1 555 0103\r\n\
TEL;type=WORK,FAX:+1 555 0104\r\n\
item1.ADR;type=HOME;type=pref:;;1 Main St\\nApt 2;Springfield;IL;62701;USA\r\n\
item1.X-ABADR:us\r\n\
item2.X-ABRELATEDNAMES:Jane Doe\r\n\
item2.X-ABLabel:_$!<Spouse>!$_\r\n\
item3.X-ABRELATEDNAMES:Bob\r\n\
item3.X-ABLabel:_$!<Friend>!$_\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17\r\n\
NOTE:Line one\\nLine two\\, with comma\r\n\
URL;type=pref:https://acme.example\r\n\
IMPP;X-SERVICE-TYPE=Jabber;type=pref:xmpp:john@jabber.example\r\n\
CATEGORIES:Work,VIP\r\n\
PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQEAYABgAAD/\r\n\
X-SOCIALPROFILE;type=twitter:https://twitter.com/jd\r\n\
UID:1234-5678\r\n\
END:VCARD\r\n"
}

fn unfolded_lines(text: &str) -> Vec<String> {
    let card = parse_card(text).unwrap();
    card.props.into_iter().map(|p| p.raw).collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn maps_every_field_of_a_full_card() {
    let r = to_eas(full_v3(), V).unwrap();
    let ct = Contact::from_element(&r.application_data).unwrap();
    assert_eq!(r.uid.as_deref(), Some("1234-5678"));
    assert_eq!(ct.get(c::LAST_NAME), Some("Doe"));
    assert_eq!(ct.get(c::FIRST_NAME), Some("John"));
    assert_eq!(ct.get(c::MIDDLE_NAME), Some("Quincy,Q."));
    assert_eq!(ct.get(c::TITLE), Some("Dr."));
    assert_eq!(ct.get(c::SUFFIX), Some("Jr."));
    assert_eq!(ct.get(c::FILE_AS), Some("John Doe"));
    assert_eq!(ct.get(c2::NICK_NAME), Some("Johnny"));
    assert_eq!(ct.get(c::COMPANY_NAME), Some("Acme"));
    assert_eq!(ct.get(c::DEPARTMENT), Some("Research;Lab 2"));
    assert_eq!(ct.get(c::JOB_TITLE), Some("Engineer"));
    assert_eq!(ct.get(c::EMAIL1_ADDRESS), Some("\"John Doe\" <john@acme.example>"));
    assert_eq!(ct.get(c::EMAIL3_ADDRESS), Some("\"John Doe\" <j3@x.example>"));
    assert_eq!(ct.get(c::MOBILE_PHONE_NUMBER), Some("+1 555 0100"));
    assert_eq!(ct.get(c::HOME_PHONE_NUMBER), Some("+1 555 0101"));
    assert_eq!(ct.get(c::HOME2_PHONE_NUMBER), Some("+1 555 0102"));
    assert_eq!(ct.get(c::BUSINESS_FAX_NUMBER), Some("+1 555 0104"));
    assert_eq!(ct.get(c::HOME_ADDRESS_STREET), Some("1 Main St\nApt 2"));
    assert_eq!(ct.get(c::HOME_ADDRESS_COUNTRY), Some("USA"));
    assert_eq!(ct.get(c::SPOUSE), Some("Jane Doe"));
    assert_eq!(ct.get(c::BIRTHDAY), Some("1604-05-17T12:00:00.000Z"));
    assert_eq!(ct.get(c::WEB_PAGE), Some("https://acme.example"));
    assert_eq!(ct.get(c2::IM_ADDRESS), Some("xmpp:john@jabber.example"));
    assert_eq!(ct.categories, vec!["Work", "VIP"]);
    assert_eq!(ct.body.as_deref(), Some("Line one\nLine two, with comma"));
    assert_eq!(ct.picture.as_deref(), Some("/9j/4AAQSkZJRgABAQEAYABgAAD/"));
    // What EAS cannot hold is in the residue as written.
    let kept: Vec<&str> = r
        .residue
        .entries
        .iter()
        .filter(|e| e.path == "VCARD")
        .map(|e| e.line.as_str())
        .collect();
    for l in [
        "EMAIL;type=INTERNET:j4@x.example",
        "TEL;type=HOME:+1 555 0103",
        "item1.X-ABADR:us",
        "item3.X-ABRELATEDNAMES:Bob",
        "item3.X-ABLabel:_$!<Friend>!$_",
        "UID:1234-5678",
        "PRODID:-//Apple Inc.//iPhone OS 17.0//EN",
    ] {
        assert!(kept.contains(&l), "{l} not in residue: {kept:?}");
    }
}

#[test]
fn round_trip_with_residue_is_line_exact() {
    let r = to_eas(full_v3(), V).unwrap();
    let bytes = wbxml::encode(&r.application_data);
    let data = wbxml::decode(&bytes).unwrap();
    let back = from_eas(&data, V, &r.residue, VcardVersion::V3).unwrap();
    assert_eq!(sorted(unfolded_lines(&back)), sorted(unfolded_lines(full_v3())));
}

#[test]
fn without_residue_the_mapped_fields_survive_in_both_versions() {
    let r = to_eas(full_v3(), V).unwrap();
    for out in [VcardVersion::V3, VcardVersion::V4] {
        let back = from_eas(&r.application_data, V, &Residue::default(), out).unwrap();
        let again = to_eas(&back, V).unwrap();
        assert_eq!(
            Contact::from_element(&again.application_data).unwrap(),
            Contact::from_element(&r.application_data).unwrap(),
            "{out:?}:\n{back}"
        );
    }
    let v4 = from_eas(&r.application_data, V, &Residue::default(), VcardVersion::V4).unwrap();
    assert!(v4.contains("BDAY:--0517"), "{v4}");
    assert!(v4.contains("RELATED;TYPE=spouse;VALUE=text:Jane Doe"), "{v4}");
    assert!(v4.contains("PHOTO:data:image/jpeg;base64,/9j/"), "{v4}");
    let v3 = from_eas(&r.application_data, V, &Residue::default(), VcardVersion::V3).unwrap();
    assert!(v3.contains("BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17"), "{v3}");
    assert!(
        v3.contains("item1.X-ABRELATEDNAMES:Jane Doe\r\nitem1.X-ABLabel:_$!<Spouse>!$_"),
        "{v3}"
    );
}

#[test]
fn upstream_change_wins_and_the_rest_stays() {
    let r = to_eas(full_v3(), V).unwrap();
    let mut data = r.application_data.clone();
    if let Some(e) = data.find_mut(c::MOBILE_PHONE_NUMBER) {
        *e = wbxml::Element::text_element(c::MOBILE_PHONE_NUMBER, "+49 30 1234");
    }
    data.remove_all(c::JOB_TITLE);
    let back = from_eas(&data, V, &r.residue, VcardVersion::V3).unwrap();
    // The new number keeps the client's parameters.
    assert!(
        back.contains("TEL;type=CELL;type=VOICE;type=pref:+49 30 1234"),
        "{back}"
    );
    assert!(!back.contains("0100"), "{back}");
    assert!(!back.contains("TITLE:"), "{back}");
    // Unchanged groups keep the client's spelling and parameters.
    assert!(back.contains("TEL;type=HOME;type=VOICE:+1 555 0101"), "{back}");
    assert!(
        back.contains("X-SOCIALPROFILE;type=twitter:https://twitter.com/jd"),
        "{back}"
    );
    assert!(back.contains("UID:1234-5678"), "{back}");
}

#[test]
fn changed_address_keeps_po_box_and_extended_address() {
    let vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nitem1.ADR;TYPE=WORK;PREF=1:PO 7;Suite 5;1 Main;Town;;9;X\r\nEND:VCARD\r\n";
    let r = to_eas(vcf, V).unwrap();
    let mut data = r.application_data.clone();
    if let Some(e) = data.find_mut(c::BUSINESS_ADDRESS_CITY) {
        *e = wbxml::Element::text_element(c::BUSINESS_ADDRESS_CITY, "Other Town");
    }
    let back = from_eas(&data, V, &r.residue, VcardVersion::V3).unwrap();
    assert!(
        back.contains("item1.ADR;TYPE=WORK;PREF=1:PO 7;Suite 5;1 Main;Other Town;;9;X"),
        "{back}"
    );
}

#[test]
fn exchange_birthday_forms_read_back_on_the_right_day() {
    let data = wbxml::Element::new(wbxml::tags::airsync::APPLICATION_DATA)
        .with_text_child(c::FILE_AS, "A")
        .with_text_child(c::BIRTHDAY, "1990-05-16T22:00:00.000Z")
        .with_text_child(c::ANNIVERSARY, "2011-01-13T05:00:00.000Z");
    let v4 = from_eas(&data, V, &Residue::default(), VcardVersion::V4).unwrap();
    assert!(v4.contains("BDAY:19900517"), "{v4}");
    assert!(v4.contains("ANNIVERSARY:20110113"), "{v4}");
    let v3 = from_eas(&data, V, &Residue::default(), VcardVersion::V3).unwrap();
    assert!(v3.contains("BDAY:1990-05-17"), "{v3}");
    assert!(v3.contains(".X-ABDATE:2011-01-13"), "{v3}");
}

#[test]
fn oversized_photo_is_kept_not_sent() {
    let big = "A".repeat(MAX_PICTURE_BASE64 + 4);
    let vcf = format!("BEGIN:VCARD\r\nVERSION:4.0\r\nFN:X\r\nPHOTO:data:image/jpeg;base64,{big}\r\nEND:VCARD\r\n");
    let r = to_eas(&vcf, V).unwrap();
    assert!(r.application_data.find(c::PICTURE).is_none());
    assert!(r.residue.entries.iter().any(|e| e.path == "VCARD?PHOTO"));
    let back = from_eas(&r.application_data, V, &r.residue, VcardVersion::V4).unwrap();
    assert!(back.replace("\r\n ", "").contains(&big));
    // Once Exchange has a picture of its own, that one wins.
    let with_pic = r.application_data.clone().with_text_child(c::PICTURE, "/9j/4AAQ");
    let back = from_eas(&with_pic, V, &r.residue, VcardVersion::V4).unwrap();
    assert!(!back.replace("\r\n ", "").contains(&big));
    assert!(back.contains("/9j/4AAQ"));
}

#[test]
fn oversized_photo_before_a_small_one_is_kept() {
    let big = "A".repeat(MAX_PICTURE_BASE64 + 4);
    let vcf = format!(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:X\r\nPHOTO;ENCODING=b:{big}\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\nEND:VCARD\r\n"
    );
    let r = to_eas(&vcf, V).unwrap();
    assert_eq!(r.application_data.child_text(c::PICTURE), Some("/9j/4AAQ"));
    let back = from_eas(&r.application_data, V, &r.residue, VcardVersion::V3).unwrap();
    assert!(back.replace("\r\n ", "").contains(&big));
    assert!(back.contains("/9j/4AAQ"));
}

#[test]
fn groups_are_not_representable() {
    let vcf = "BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\nMEMBER:urn:uuid:1\r\nEND:VCARD\r\n";
    assert!(matches!(to_eas(vcf, V), Err(MapError::NotRepresentable { .. })));
}

#[test]
fn version_change_renders_fresh_lines() {
    let r = to_eas(full_v3(), V).unwrap();
    let v4 = from_eas(&r.application_data, V, &r.residue, VcardVersion::V4).unwrap();
    assert!(v4.contains("VERSION:4.0"));
    assert!(!v4.contains("VERSION:3.0"));
    assert!(!v4.contains("ENCODING=b"), "{v4}");
    assert!(v4.contains("UID:1234-5678"));
}

#[test]
fn vcard_21_lines_that_are_valid_30_are_echoed() {
    let vcf = "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;John\r\nTEL;WORK;VOICE:123\r\n\
X-MS-ANNIVERSARY:20110113\r\nNOTE;ENCODING=QUOTED-PRINTABLE:a=0D=0Ab\r\nEND:VCARD\r\n";
    let r = to_eas(vcf, V).unwrap();
    let back = from_eas(&r.application_data, V, &r.residue, VcardVersion::V3).unwrap();
    assert!(back.contains("VERSION:3.0"), "{back}");
    // Plain lines come back as written; 2.1-only syntax is rendered as 3.0.
    assert!(back.contains("\r\nN:Doe;John\r\n"), "{back}");
    assert!(back.contains("\r\nX-MS-ANNIVERSARY:20110113\r\n"), "{back}");
    assert!(back.contains("TEL;TYPE=WORK:123"), "{back}");
    assert!(!back.contains("WORK;VOICE"), "{back}");
    assert!(back.contains("NOTE:a\\nb"), "{back}");
    assert!(!back.contains("QUOTED-PRINTABLE"), "{back}");
}
