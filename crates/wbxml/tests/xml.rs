//! The XML form: `from_xml` on hand-written edge cases and on every XML
//! fixture of the shared corpus, and `to_xml` → `from_xml` = identity.

use std::path::PathBuf;
use wbxml::tags::{airsync, airsyncbase, calendar, compose_mail, contacts, email, gal};
use wbxml::{from_xml, from_xml_with, to_xml, to_xml_with, Element, Node, ParseOptions, XmlError, XmlOptions};

fn corpus_xml() -> Vec<PathBuf> {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/eas");
    let mut files = Vec::new();
    for dir in [base.clone(), base.join("paired")] {
        let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus folder {} missing: {e}", dir.display()));
        for entry in rd {
            let p = entry.expect("dir entry").path();
            if p.extension().is_some_and(|x| x == "xml") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(
        files.len() >= 50,
        "expected the 53 EAS XML fixtures, found {}",
        files.len()
    );
    files
}

fn read(p: &PathBuf) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn corpus_file(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/eas")
        .join(name);
    read(&p)
}

#[test]
fn every_corpus_fixture_parses_or_fails_for_a_known_reason() {
    let mut ok = 0;
    for p in corpus_xml() {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        match from_xml(&read(&p)) {
            Ok(tree) => {
                ok += 1;
                // The pretty form parses back to the same tree.
                assert_eq!(from_xml(&to_xml(&tree)).as_ref(), Ok(&tree), "{name}");
                let lw = XmlOptions {
                    libwbxml_names: true,
                    ..XmlOptions::default()
                };
                assert_eq!(
                    from_xml(&to_xml_with(&tree, &lw)).as_ref(),
                    Ok(&tree),
                    "{name} (libwbxml names)"
                );
            }
            // The origin fixture misspells its root element.
            Err(XmlError::UnknownElement { name: el, .. })
                if name == "evoas_cal_resp_category.xml" && el == "ApplicatonData" => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(ok, 52);
}

#[test]
fn namespace_conventions_of_the_fixtures() {
    // Undeclared prefixes name the page.
    let t = from_xml(&corpus_file("paired/evoas_con_req_note.xml")).unwrap();
    assert_eq!(t.tag, airsync::APPLICATION_DATA);
    let body = t.find(airsyncbase::BODY).expect("airsyncbase:Body");
    assert_eq!(body.child_text(airsyncbase::DATA), Some("note number 1"));

    // No namespace at all: parent's page, then the first page that has it.
    let t = from_xml(&corpus_file("libwbxml_airsync-001.xml")).unwrap();
    let add = t
        .find(airsync::COLLECTIONS)
        .and_then(|c| c.find(airsync::COLLECTION))
        .and_then(|c| c.find(airsync::COMMANDS))
        .and_then(|c| c.find(airsync::ADD))
        .and_then(|c| c.find(airsync::APPLICATION_DATA))
        .expect("Add/ApplicationData");
    assert_eq!(add.child_text(contacts::FILE_AS), Some("Bue, Tryggve"));

    // Children inherit the parent's page, even after a sibling in another page.
    let t = from_xml(&corpus_file("paired/evoas_cal_resp_exception.xml")).unwrap();
    let exc = t
        .find(calendar::EXCEPTIONS)
        .and_then(|e| e.find(calendar::EXCEPTION))
        .unwrap();
    assert_eq!(exc.child_text(calendar::LOCATION), Some("location"));
    assert_eq!(exc.child_text(calendar::DT_STAMP), Some("20110711T080000Z"));
    assert_eq!(exc.child_text(calendar::DELETED), Some("0"));

    // libwbxml names and `Gal:` spelling.
    let t = from_xml(&corpus_file("paired/evoas_cal_resp_attendee.xml")).unwrap();
    let att = t
        .find(calendar::ATTENDEES)
        .and_then(|a| a.find(calendar::ATTENDEE))
        .unwrap();
    assert_eq!(att.child_text(calendar::EMAIL), Some("example1@example.com"));
    assert_eq!(att.child_text(calendar::ATTENDEE_STATUS), Some("2"));

    // SynCE URIs.
    let t = from_xml(&corpus_file("libwbxml_airsync-004-binary_byte_array.xml")).unwrap();
    let s = to_xml(&t);
    assert!(
        s.contains("<ReplyTo xmlns=\"Email:\">&quot;Momo&quot;") || s.contains("<ReplyTo xmlns=\"Email:\">\"Momo\"")
    );
}

#[test]
fn prefer_pages_resolves_namespace_less_fixtures() {
    let text = corpus_file("paired/evoas_cal_req_sensitivity.xml");
    // Page order alone picks Email (page 2) for <Sensitivity>.
    let t = from_xml(&text).unwrap();
    assert!(t.find(email::SENSITIVITY).is_some());
    let opts = ParseOptions {
        prefer_pages: vec![calendar::PAGE, airsyncbase::PAGE],
    };
    let t = from_xml_with(&text, &opts).unwrap();
    assert_eq!(t.child_text(calendar::SENSITIVITY), Some("2"));
}

#[test]
fn binary_elements_are_base64() {
    let t = from_xml(&corpus_file("libwbxml_activesync-032-formatted-base64.xml")).unwrap();
    let mime = t.find(compose_mail::MIME).unwrap();
    match mime.children.as_slice() {
        [Node::Opaque(b)] => assert!(b.starts_with(b"From: <jane.doe@example.com>\nTo:")),
        other => panic!("MIME should be opaque: {other:?}"),
    }
    let t = from_xml(&corpus_file("libwbxml_activesync-040-search-response.xml")).unwrap();
    let s = to_xml(&t);
    assert!(
        s.contains("<Data>/9j/4AAQSkZJRgABAQAAAQABAAD"),
        "rendered back as base64"
    );
    let pic_data = find_deep(&t, gal::DATA).expect("Gal:Data");
    assert!(matches!(pic_data.children.as_slice(), [Node::Opaque(b)] if b.starts_with(&[0xFF, 0xD8, 0xFF])));
}

fn find_deep(el: &Element, tag: wbxml::Tag) -> Option<&Element> {
    if el.tag == tag {
        return Some(el);
    }
    el.elements().find_map(|c| find_deep(c, tag))
}

#[test]
fn cdata_and_pi_are_opaque_and_round_trip() {
    let t = from_xml(r#"<Sync xmlns="AirSync:"><SyncKey><![CDATA[a<b]]></SyncKey></Sync>"#).unwrap();
    assert_eq!(
        t,
        Element::new(airsync::SYNC).with_child(Element::opaque_element(airsync::SYNC_KEY, b"a<b".to_vec()))
    );
    for bytes in [vec![], vec![0xFF, 0x00, 0x01], b"]]>".to_vec(), b"plain".to_vec()] {
        let t = Element::new(airsync::SYNC).with_child(Element::opaque_element(airsync::SYNC_KEY, bytes.clone()));
        assert_eq!(from_xml(&to_xml(&t)), Ok(t), "{bytes:?}");
        let t = Element::opaque_element(compose_mail::MIME, bytes.clone());
        assert_eq!(from_xml(&to_xml(&t)), Ok(t), "binary element {bytes:?}");
    }
}

#[test]
fn whitespace_rules() {
    let t = from_xml("<Sync>\n  <SyncKey>  a b  </SyncKey>\n  <ServerId> </ServerId><ClientId>\n</ClientId></Sync>")
        .unwrap();
    let want = Element::new(airsync::SYNC)
        .with_text_child(airsync::SYNC_KEY, "  a b  ")
        .with_text_child(airsync::SERVER_ID, " ")
        .with_child(Element::new(airsync::CLIENT_ID));
    assert_eq!(t, want);
    // Text split by a comment is one value; references are expanded.
    let t = from_xml("<SyncKey>a<!-- c -->&amp;&#x42;&#67;&lt;</SyncKey>").unwrap();
    assert_eq!(t, Element::text_element(airsync::SYNC_KEY, "a&BC<"));
    // Line breaks are normalised as XML requires (libwbxml's expat does the
    // same: the cross-check found it on a CRLF fixture); `&#xD;` stays a CR.
    let t = from_xml("<SyncKey>a\r\nb\rc&#xD;</SyncKey>").unwrap();
    assert_eq!(t, Element::text_element(airsync::SYNC_KEY, "a\nb\nc\r"));
    let t = from_xml("<SyncKey><![CDATA[x\r\ny]]></SyncKey>").unwrap();
    assert_eq!(t, Element::opaque_element(airsync::SYNC_KEY, b"x\ny".to_vec()));
    // Control characters and CR survive to_xml/from_xml.
    let t = Element::text_element(airsync::SYNC_KEY, "x\u{1}\r\ny\t");
    assert_eq!(from_xml(&to_xml(&t)), Ok(t));
}

#[test]
fn entities_beyond_the_predefined_are_rejected() {
    let doc =
        r#"<?xml version="1.0"?><!DOCTYPE Sync [<!ENTITY boom "xxxxxxxx">]><Sync><SyncKey>&boom;</SyncKey></Sync>"#;
    assert!(
        matches!(from_xml(doc), Err(XmlError::Syntax { .. })),
        "{:?}",
        from_xml(doc)
    );
    // Billion laughs never expands.
    let lol = r#"<!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><SyncKey>&b;</SyncKey>"#;
    assert!(matches!(from_xml(lol), Err(XmlError::Syntax { .. })));
}

#[test]
fn structural_errors() {
    assert_eq!(from_xml(""), Err(XmlError::Empty));
    assert_eq!(
        from_xml("<?xml version=\"1.0\"?>\n<!-- only -->\n"),
        Err(XmlError::Empty)
    );
    assert!(matches!(
        from_xml("<Sync/><Sync/>"),
        Err(XmlError::MultipleRoots { .. })
    ));
    assert!(matches!(from_xml("hello<Sync/>"), Err(XmlError::OutsideRoot { .. })));
    assert!(matches!(from_xml("<Sync>"), Err(XmlError::Syntax { .. })));
    assert!(matches!(from_xml("<Sync></Ping>"), Err(XmlError::Syntax { .. })));
    assert!(matches!(
        from_xml(r#"<Sync foo="1"/>"#),
        Err(XmlError::Attribute { ref name, .. }) if name == "foo"
    ));
    assert!(matches!(
        from_xml(r#"<Sync xmlns="Nowhere:"/>"#),
        Err(XmlError::UnknownNamespace { ref namespace, .. }) if namespace == "Nowhere:"
    ));
    assert!(matches!(
        from_xml("<bogus:Sync/>"),
        Err(XmlError::UnknownNamespace { .. })
    ));
    assert!(matches!(
        from_xml(r#"<Sync xmlns="AirSync:"><FileAs/></Sync>"#),
        Err(XmlError::UnknownElement { ref namespace, .. }) if namespace == "AirSync"
    ));
    assert!(matches!(
        from_xml("<NoSuchThing/>"),
        Err(XmlError::UnknownElement { .. })
    ));
    let deep = "<Sync>".repeat(wbxml::MAX_XML_DEPTH + 1);
    assert!(matches!(from_xml(&deep), Err(XmlError::TooDeep { .. })));
    assert!(matches!(
        from_xml("<Sync><?wbxml-opaque !!?></Sync>"),
        Err(XmlError::Syntax { .. })
    ));
}

#[test]
fn declared_prefixes_and_default_namespaces() {
    let doc = r#"<a:Sync xmlns:a="AirSync:" xmlns:c="http://synce.org/formats/airsync_wm5/calendar" xmlns="AirSyncBase:">
        <a:Collections><c:Subject>s</c:Subject><Body><Type>1</Type></Body></a:Collections></a:Sync>"#;
    let t = from_xml(doc).unwrap();
    let want = Element::new(airsync::SYNC).with_child(
        Element::new(airsync::COLLECTIONS)
            .with_text_child(calendar::SUBJECT, "s")
            .with_child(Element::new(airsyncbase::BODY).with_text_child(airsyncbase::TYPE, "1")),
    );
    assert_eq!(t, want);
    // xmlns="" undeclares the default: back to guessing.
    let t = from_xml(r#"<Body xmlns="AirSyncBase:"><Type xmlns="">1</Type></Body>"#).unwrap();
    assert_eq!(t.child_text(airsyncbase::TYPE), Some("1"));
}

#[test]
fn to_xml_is_pretty_and_declares_pages() {
    let t = Element::new(airsync::SYNC).with_child(
        Element::new(airsync::COLLECTIONS)
            .with_text_child(calendar::SUBJECT, "a<b")
            .with_child(Element::new(airsync::GET_CHANGES)),
    );
    let s = to_xml(&t);
    let want = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n".to_owned()
        + wbxml::ACTIVESYNC_DOCTYPE
        + "\n<Sync xmlns=\"AirSync:\">\n  <Collections>\n    <Subject xmlns=\"Calendar:\">a&lt;b</Subject>\n    <GetChanges/>\n  </Collections>\n</Sync>\n";
    assert_eq!(s, want);
    let lw = XmlOptions {
        libwbxml_names: true,
        header: false,
        indent: 0,
    };
    let s = to_xml_with(
        &Element::new(calendar::ATTENDEE).with_text_child(calendar::EMAIL, "x"),
        &lw,
    );
    assert_eq!(
        s,
        "<Attendee xmlns=\"Calendar:\">\n<Attendee_Email>x</Attendee_Email>\n</Attendee>\n"
    );
    let s = to_xml_with(&Element::new(gal::PICTURE), &lw);
    assert_eq!(s, "<Picture xmlns=\"Gal:\"/>\n");
}

#[test]
fn unknown_tags_round_trip_through_xml() {
    use wbxml::{decode_with, encode, DecodeOptions, Tag};
    let t = Element::new(airsync::SYNC)
        .with_child(Element::text_element(Tag::new(0, 0x3F), "x"))
        .with_child(Element::new(Tag::new(40, 0x05)).with_child(Element::new(Tag::new(40, 0x06))));
    let xml = to_xml(&t);
    assert!(xml.contains("<Unknown0x3F>x</Unknown0x3F>"), "{xml}");
    assert!(xml.contains("<Unknown0x05 xmlns=\"CodePage40:\">"), "{xml}");
    assert_eq!(from_xml(&xml), Ok(t.clone()));
    let lenient = DecodeOptions {
        allow_unknown_tags: true,
        ..DecodeOptions::default()
    };
    assert_eq!(decode_with(&encode(&t), &lenient), Ok(t));
}

#[test]
fn nul_is_rejected_because_wbxml_cannot_carry_it() {
    for doc in [
        "<SyncKey>a&#0;b</SyncKey>",
        "<SyncKey>a&#x0;</SyncKey>",
        "<SyncKey>a\0b</SyncKey>",
    ] {
        assert!(
            matches!(from_xml(doc), Err(XmlError::Syntax { .. })),
            "{doc:?}: {:?}",
            from_xml(doc)
        );
    }
}
