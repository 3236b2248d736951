//! Property tests of the contact mapping: EAS → vCard → EAS is the identity
//! on generated Contacts ApplicationData (3.0 and 4.0), and vCard → EAS →
//! vCard keeps every line with the residue and every mapped field without.

use std::collections::BTreeMap;

use mapping::{eas_to_vcard, vcard_to_eas, ProtocolVersion, Residue, VcardVersion};
use proptest::prelude::*;
use wbxml::tags::{airsync, airsyncbase, contacts as c, contacts2 as c2};
use wbxml::{Element, Tag};

const V: ProtocolVersion = ProtocolVersion::V14_1;

/// Free text as people type it, with vCard's special characters.
fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9 äöüé漢字,;:\\\\\"'<>.!?()+-]{0,6}[A-Za-z0-9äöüé漢字.!?()+-]"
}

fn multiline() -> impl Strategy<Value = String> {
    prop::collection::vec(text(), 1..3).prop_map(|v| v.join("\n"))
}

fn phone() -> impl Strategy<Value = String> {
    "\\+?[0-9][0-9 ()-]{2,12}[0-9]"
}

fn email() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9.]{0,8}@[a-z]{1,8}\\.example"
}

fn date() -> impl Strategy<Value = String> {
    (prop_oneof![Just(1604i32), 1900i32..2100], 1u8..=12, 1u8..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}T12:00:00.000Z"))
}

/// Text fields and their value strategies.
fn fields() -> Vec<(Tag, BoxedStrategy<String>)> {
    let t = || text().boxed();
    vec![
        (c::LAST_NAME, t()),
        (c::FIRST_NAME, t()),
        (c::MIDDLE_NAME, t()),
        (c::TITLE, t()),
        (c::SUFFIX, t()),
        (c::YOMI_LAST_NAME, t()),
        (c::YOMI_FIRST_NAME, t()),
        (c2::NICK_NAME, t()),
        (c::EMAIL1_ADDRESS, email().boxed()),
        (c::EMAIL2_ADDRESS, email().boxed()),
        (c::EMAIL3_ADDRESS, email().boxed()),
        (c::MOBILE_PHONE_NUMBER, phone().boxed()),
        (c::HOME_PHONE_NUMBER, phone().boxed()),
        (c::HOME2_PHONE_NUMBER, phone().boxed()),
        (c::BUSINESS_PHONE_NUMBER, phone().boxed()),
        (c::BUSINESS2_PHONE_NUMBER, phone().boxed()),
        (c::HOME_FAX_NUMBER, phone().boxed()),
        (c::BUSINESS_FAX_NUMBER, phone().boxed()),
        (c::PAGER_NUMBER, phone().boxed()),
        (c::CAR_PHONE_NUMBER, phone().boxed()),
        (c::RADIO_PHONE_NUMBER, phone().boxed()),
        (c::ASSISTANT_PHONE_NUMBER, phone().boxed()),
        (c2::COMPANY_MAIN_PHONE, phone().boxed()),
        (c2::MMS, phone().boxed()),
        (c::HOME_ADDRESS_STREET, multiline().boxed()),
        (c::HOME_ADDRESS_CITY, t()),
        (c::HOME_ADDRESS_STATE, t()),
        (c::HOME_ADDRESS_POSTAL_CODE, t()),
        (c::HOME_ADDRESS_COUNTRY, t()),
        (c::BUSINESS_ADDRESS_STREET, multiline().boxed()),
        (c::BUSINESS_ADDRESS_CITY, t()),
        (c::BUSINESS_ADDRESS_COUNTRY, t()),
        (c::OTHER_ADDRESS_STREET, t()),
        (c::OTHER_ADDRESS_POSTAL_CODE, t()),
        (c::COMPANY_NAME, t()),
        (c::DEPARTMENT, t()),
        (c::YOMI_COMPANY_NAME, t()),
        (c::JOB_TITLE, t()),
        (c::OFFICE_LOCATION, t()),
        (c2::MANAGER_NAME, t()),
        (c::ASSISTANT_NAME, t()),
        (c::SPOUSE, t()),
        (c::BIRTHDAY, date().boxed()),
        (c::ANNIVERSARY, date().boxed()),
        (c::WEB_PAGE, "https://[a-z]{1,8}\\.example/[a-z0-9]{0,5}".boxed()),
        (c2::IM_ADDRESS, t()),
        (c2::IM_ADDRESS2, t()),
        (c2::IM_ADDRESS3, t()),
        (c2::CUSTOMER_ID, t()),
        (c2::GOVERNMENT_ID, t()),
        (c2::ACCOUNT_NAME, t()),
    ]
}

/// Generated Contacts ApplicationData. FileAs is always present: Exchange
/// always computes one, and vCard's FN carries it.
fn application_data() -> impl Strategy<Value = Element> {
    let optional: Vec<BoxedStrategy<Option<(Tag, String)>>> = fields()
        .into_iter()
        .map(|(tag, s)| proptest::option::weighted(0.4, s.prop_map(move |v| (tag, v))).boxed())
        .collect();
    (
        text(),
        optional,
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..3),
        proptest::option::of(multiline()),
        proptest::option::of(prop::collection::vec(any::<u8>(), 1..64)),
    )
        .prop_map(|(file_as, fields, cats, kids, body, pic)| {
            let mut app = Element::new(airsync::APPLICATION_DATA).with_text_child(c::FILE_AS, file_as);
            for (tag, v) in fields.into_iter().flatten() {
                app.push_text(tag, v);
            }
            if !cats.is_empty() {
                let mut e = Element::new(c::CATEGORIES);
                cats.into_iter().for_each(|x| e.push_text(c::CATEGORY, x));
                app.push(e);
            }
            if !kids.is_empty() {
                let mut e = Element::new(c::CHILDREN);
                kids.into_iter().for_each(|x| e.push_text(c::CHILD, x));
                app.push(e);
            }
            if let Some(b) = body {
                app.push(
                    Element::new(airsyncbase::BODY)
                        .with_text_child(airsyncbase::TYPE, "1")
                        .with_text_child(airsyncbase::DATA, b),
                );
            }
            if let Some(p) = pic {
                use base64::Engine as _;
                app.push_text(c::PICTURE, base64::engine::general_purpose::STANDARD.encode(p));
            }
            app
        })
}

/// Comparable form: every child by name, e-mails by address.
fn norm(el: &Element) -> BTreeMap<String, Vec<String>> {
    let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for c in el.elements() {
        let name = format!("{:?}", c.tag);
        let vals: Vec<String> = if c.tag == c::CATEGORIES || c.tag == c::CHILDREN {
            c.elements().filter_map(Element::text).map(str::to_string).collect()
        } else if c.tag == airsyncbase::BODY {
            vec![c.child_text(airsyncbase::DATA).unwrap_or("").to_string()]
        } else {
            let t = c.text().unwrap_or("").to_string();
            match (name.contains("Email"), t.rfind('<')) {
                (true, Some(i)) => vec![t[i + 1..t.len() - 1].to_string()],
                _ => vec![t],
            }
        };
        m.insert(name, vals);
    }
    // Documented: slots of one kind are filled in order, so a lone Home2
    // comes back as Home; compare each kind as a sorted list.
    for (kind, slots) in [
        ("Home*", &["Contacts:HomePhoneNumber", "Contacts:Home2PhoneNumber"][..]),
        (
            "Business*",
            &["Contacts:BusinessPhoneNumber", "Contacts:Business2PhoneNumber"][..],
        ),
        (
            "Email*",
            &[
                "Contacts:Email1Address",
                "Contacts:Email2Address",
                "Contacts:Email3Address",
            ][..],
        ),
        (
            "IM*",
            &["Contacts2:IMAddress", "Contacts2:IMAddress2", "Contacts2:IMAddress3"][..],
        ),
    ] {
        let mut vals: Vec<String> = slots.iter().filter_map(|s| m.remove(*s)).flatten().collect();
        vals.sort();
        if !vals.is_empty() {
            m.insert(kind.to_string(), vals);
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn eas_to_vcard_to_eas_is_identity(app in application_data(), v4 in any::<bool>()) {
        let out = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let vcf = eas_to_vcard(&app, V, &Residue::default(), out).unwrap();
        let back = vcard_to_eas(&vcf, V).unwrap();
        prop_assert_eq!(norm(&back.application_data), norm(&app), "{}", vcf);
        // And through real WBXML.
        let wire = wbxml::decode(&wbxml::encode(&back.application_data)).unwrap();
        prop_assert_eq!(wire, back.application_data);
    }

    #[test]
    fn vcard_to_eas_to_vcard_keeps_everything(app in application_data(), v4 in any::<bool>(),
                                              extra in prop::collection::vec("X-[A-Z]{1,6}(;X-P=[a-z]{1,4})?:[a-z ]{1,10}", 0..4)) {
        // A client vCard: our rendering of generated data, plus X- lines and
        // client-style parameters, as a phone would write it.
        let out = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let base = eas_to_vcard(&app, V, &Residue::default(), out).unwrap();
        let mut client = base.replace("TEL;TYPE=", "TEL;X-CLIENT=1;TYPE=");
        let end = client.rfind("END:VCARD").unwrap();
        let tail = format!("{}\r\nUID:prop-uid\r\nEND:VCARD\r\n", extra.join("\r\n"));
        client.replace_range(end.., tail.trim_start_matches("\r\n"));
        let r = vcard_to_eas(&client, V).unwrap();
        prop_assert_eq!(r.uid.as_deref(), Some("prop-uid"));
        // With the residue: every line comes back as written.
        let with = eas_to_vcard(&r.application_data, V, &r.residue, out).unwrap();
        let mut a: Vec<&str> = client.split("\r\n").collect();
        let mut b: Vec<&str> = with.split("\r\n").collect();
        a.sort();
        b.sort();
        prop_assert_eq!(a, b);
        // Without it: the same EAS meaning.
        let without = eas_to_vcard(&r.application_data, V, &Residue::default(), out).unwrap();
        prop_assert_eq!(norm(&vcard_to_eas(&without, V).unwrap().application_data), norm(&r.application_data));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Upstream wins: whatever Exchange now holds is what the rendered vCard
    /// means, whatever the residue of the client's earlier version says.
    #[test]
    fn upstream_wins_over_the_residue(before in application_data(), after in application_data(), v4 in any::<bool>()) {
        let out = if v4 { VcardVersion::V4 } else { VcardVersion::V3 };
        let client = eas_to_vcard(&before, V, &Residue::default(), out).unwrap();
        let client = client.replace("TEL;TYPE=", "TEL;X-CLIENT=1;TYPE=");
        let r = vcard_to_eas(&client, V).unwrap();
        let merged = eas_to_vcard(&after, V, &r.residue, out).unwrap();
        let again = vcard_to_eas(&merged, V).unwrap();
        prop_assert_eq!(norm(&again.application_data), norm(&after), "{}", merged);
    }
}

/// A real iPhone-style card to mutate.
const SEED: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;John;;;\r\nFN:John Doe\r\n\
item1.X-ABRELATEDNAMES:Jane\r\nitem1.X-ABLabel:_$!<Spouse>!$_\r\nTEL;type=CELL:+1 555\r\n\
BDAY;X-APPLE-OMIT-YEAR=1604:1604-05-17\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ\r\n\
ADR;TYPE=HOME:;;1 Main St;Town;;;\r\nNOTE:a\\nb\r\nEND:VCARD\r\n";

fn any_tag() -> impl Strategy<Value = Tag> {
    prop_oneof![
        (0x05u8..0x40).prop_map(|t| Tag::new(c::PAGE, t)),
        (0x05u8..0x10).prop_map(|t| Tag::new(c2::PAGE, t)),
        (0x05u8..0x1A).prop_map(|t| Tag::new(airsyncbase::PAGE, t)),
    ]
}

fn any_element() -> impl Strategy<Value = Element> {
    let leaf = (any_tag(), ".{0,12}").prop_map(|(t, s)| Element::text_element(t, s));
    let tree = leaf.prop_recursive(3, 24, 6, |inner| {
        (any_tag(), prop::collection::vec(inner, 0..6)).prop_map(|(t, kids)| {
            let mut e = Element::new(t);
            kids.into_iter().for_each(|k| e.push(k));
            e
        })
    });
    prop::collection::vec(tree, 0..12).prop_map(|kids| {
        let mut app = Element::new(airsync::APPLICATION_DATA);
        kids.into_iter().for_each(|k| app.push(k));
        app
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn no_text_panics(text in "(BEGIN:VCARD\r\n)?([A-Za-z.;=,:\"\\\\ -]{0,20}\r?\n ?){0,8}(END:VCARD)?") {
        if let Ok(r) = vcard_to_eas(&text, V) {
            eas_to_vcard(&r.application_data, V, &r.residue, VcardVersion::V4).unwrap();
        }
    }

    #[test]
    fn no_mutated_card_panics(edits in prop::collection::vec((any::<prop::sample::Index>(), ".{0,3}", 0usize..4), 1..6)) {
        let mut text = SEED.to_string();
        for (at, insert, delete) in edits {
            let chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len() + 1);
            let end = (i + delete).min(chars.len());
            let mut out: String = chars[..i].iter().collect();
            out.push_str(&insert);
            out.extend(&chars[end..]);
            text = out;
        }
        if let Ok(r) = vcard_to_eas(&text, V) {
            for out in [VcardVersion::V3, VcardVersion::V4] {
                let vcf = eas_to_vcard(&r.application_data, V, &r.residue, out).unwrap();
                // What we write, we read.
                vcard_to_eas(&vcf, V).unwrap();
            }
        }
    }

    #[test]
    fn no_eas_data_panics(app in any_element(),
                          residue in prop::collection::vec(("VCARD(@[A-Z-]{1,10}|\\?PHOTO)?", ".{0,30}"), 0..5)) {
        let residue = Residue {
            v: 1,
            entries: residue.into_iter().map(|(path, line)| mapping::ResidueEntry { path, line }).collect(),
        };
        for out in [VcardVersion::V3, VcardVersion::V4] {
            if let Ok(vcf) = eas_to_vcard(&app, V, &residue, out) {
                // Our own output is always one valid vCard, unless the residue injected garbage lines.
                if residue.entries.is_empty() {
                    vcard_to_eas(&vcf, V).unwrap();
                }
            }
        }
    }
}
