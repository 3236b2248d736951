//! Malformed trees and bytes give typed errors, never panics.

use eas_proto::folder_ops::*;
use eas_proto::folder_sync::*;
use eas_proto::get_item_estimate::*;
use eas_proto::item_operations::*;
use eas_proto::move_items::*;
use eas_proto::ping::*;
use eas_proto::provision::*;
use eas_proto::settings::*;
use eas_proto::sync::*;
use eas_proto::*;
use proptest::prelude::*;
use wbxml::tags::{airsync as a, folder_hierarchy as fh, ping as p, provision as pv};
use wbxml::{Element, Tag};

const V: ProtocolVersion = ProtocolVersion::V16_1;

#[test]
fn wrong_root() {
    let el = Element::new(p::PING);
    assert_eq!(
        SyncRequest::from_element(&el, V),
        Err(ProtoError::UnexpectedRoot {
            expected: a::SYNC,
            found: p::PING
        })
    );
    assert!(matches!(
        FolderSyncResponse::from_element(&el, V),
        Err(ProtoError::UnexpectedRoot { .. })
    ));
}

#[test]
fn missing_required_elements() {
    assert_eq!(
        FolderSyncRequest::from_element(&Element::new(fh::FOLDER_SYNC), V),
        Err(ProtoError::MissingElement {
            parent: fh::FOLDER_SYNC,
            missing: fh::SYNC_KEY
        })
    );
    // A response without Status.
    let no_status = Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "1");
    assert_eq!(
        FolderSyncResponse::from_element(&no_status, V),
        Err(ProtoError::MissingElement {
            parent: fh::FOLDER_SYNC,
            missing: fh::STATUS
        })
    );
    // Add without ApplicationData.
    let add = Element::new(a::SYNC).with_child(
        Element::new(a::COLLECTIONS).with_child(
            Element::new(a::COLLECTION)
                .with_text_child(a::SYNC_KEY, "1")
                .with_text_child(a::COLLECTION_ID, "c")
                .with_child(
                    Element::new(a::COMMANDS).with_child(Element::new(a::ADD).with_text_child(a::CLIENT_ID, "x")),
                ),
        ),
    );
    assert_eq!(
        SyncRequest::from_element(&add, V),
        Err(ProtoError::MissingElement {
            parent: a::ADD,
            missing: a::APPLICATION_DATA
        })
    );
    // Collection without CollectionId.
    let col = Element::new(a::SYNC).with_child(
        Element::new(a::COLLECTIONS).with_child(Element::new(a::COLLECTION).with_text_child(a::SYNC_KEY, "1")),
    );
    assert!(matches!(
        SyncRequest::from_element(&col, V),
        Err(ProtoError::MissingElement { missing, .. }) if missing == a::COLLECTION_ID
    ));
    // Policies without Policy.
    let prov = Element::new(pv::PROVISION).with_child(Element::new(pv::POLICIES));
    assert!(matches!(
        ProvisionRequest::from_element(&prov, V),
        Err(ProtoError::MissingElement { missing, .. }) if missing == pv::POLICY
    ));
}

#[test]
fn non_numeric_values() {
    for bad in ["abc", "", "-1", "99999999999", "1.5"] {
        let el = Element::new(p::PING).with_text_child(p::STATUS, bad);
        assert_eq!(
            PingResponse::from_element(&el, V),
            Err(ProtoError::InvalidNumber {
                tag: p::STATUS,
                value: bad.into()
            }),
            "{bad:?}"
        );
    }
    // Surrounding whitespace is tolerated.
    let el = Element::new(p::PING).with_text_child(p::STATUS, " 2 ");
    assert_eq!(
        PingResponse::from_element(&el, V).unwrap().status,
        PingStatus::ChangesFound
    );
    // A non-numeric policy key.
    let el = Element::new(pv::PROVISION).with_child(
        Element::new(pv::POLICIES).with_child(
            Element::new(pv::POLICY)
                .with_text_child(pv::POLICY_TYPE, EAS_POLICY_TYPE)
                .with_text_child(pv::POLICY_KEY, "key"),
        ),
    );
    assert!(
        matches!(ProvisionRequest::from_element(&el, V), Err(ProtoError::InvalidNumber { tag, .. }) if tag == pv::POLICY_KEY)
    );
}

#[test]
fn invalid_flag_and_exclusive_elements() {
    let mut col = Element::new(a::COLLECTION)
        .with_text_child(a::SYNC_KEY, "1")
        .with_text_child(a::COLLECTION_ID, "c");
    col.push_text(a::GET_CHANGES, "yes");
    let el = Element::new(a::SYNC).with_child(Element::new(a::COLLECTIONS).with_child(col));
    assert!(
        matches!(SyncRequest::from_element(&el, V), Err(ProtoError::InvalidValue { tag, .. }) if tag == a::GET_CHANGES)
    );
    let both = Element::new(a::SYNC)
        .with_text_child(a::WAIT, "5")
        .with_text_child(a::HEARTBEAT_INTERVAL, "300");
    assert!(matches!(
        SyncRequest::from_element(&both, V),
        Err(ProtoError::InvalidValue { .. })
    ));
}

#[test]
fn unknown_status_numbers_are_kept() {
    let el = Element::new(p::PING).with_text_child(p::STATUS, "4242");
    assert_eq!(
        PingResponse::from_element(&el, V).unwrap().status,
        PingStatus::Other(4242)
    );
    let el = Element::new(p::PING).with_text_child(p::STATUS, "177");
    assert_eq!(
        PingResponse::from_element(&el, V).unwrap().status,
        PingStatus::Common(CommonStatus::MaximumDevicesReached)
    );
}

#[test]
fn bad_bytes_are_wbxml_errors() {
    let good = FolderSyncRequest { sync_key: "0".into() }.encode(V);
    for cut in 0..good.len() {
        assert!(
            matches!(FolderSyncRequest::decode(&good[..cut], V), Err(ProtoError::Wbxml(_))),
            "cut at {cut}"
        );
    }
    assert!(matches!(SyncRequest::decode(b"<Sync/>", V), Err(ProtoError::Wbxml(_))));
}

/// Runs every decoder on `el`; none may panic (errors are fine).
fn decode_all(el: &Element) {
    for v in ProtocolVersion::ALL {
        let _ = SyncRequest::from_element(el, v);
        let _ = SyncResponse::from_element(el, v);
        let _ = FolderSyncRequest::from_element(el, v);
        let _ = FolderSyncResponse::from_element(el, v);
        let _ = FolderCreateRequest::from_element(el, v);
        let _ = FolderCreateResponse::from_element(el, v);
        let _ = FolderUpdateRequest::from_element(el, v);
        let _ = FolderUpdateResponse::from_element(el, v);
        let _ = FolderDeleteRequest::from_element(el, v);
        let _ = FolderDeleteResponse::from_element(el, v);
        let _ = PingRequest::from_element(el, v);
        let _ = PingResponse::from_element(el, v);
        let _ = ProvisionRequest::from_element(el, v);
        let _ = ProvisionResponse::from_element(el, v);
        let _ = GetItemEstimateRequest::from_element(el, v);
        let _ = GetItemEstimateResponse::from_element(el, v);
        let _ = ItemOperationsRequest::from_element(el, v);
        let _ = ItemOperationsResponse::from_element(el, v);
        let _ = MoveItemsRequest::from_element(el, v);
        let _ = MoveItemsResponse::from_element(el, v);
        let _ = SettingsRequest::from_element(el, v);
        let _ = SettingsResponse::from_element(el, v);
        let _ = EasProvisionDoc::from_element(el);
    }
}

/// Tags that the decoders look for, so random trees hit real code paths.
fn interesting_tag() -> impl Strategy<Value = Tag> {
    let pages: Vec<u8> = vec![0, 5, 6, 7, 13, 14, 17, 18, 20];
    (proptest::sample::select(pages), 0x05u8..0x3C).prop_map(|(page, token)| Tag::new(page, token))
}

fn arb_tree() -> impl Strategy<Value = Element> {
    let leaf = (
        interesting_tag(),
        prop_oneof![Just(None), Just(Some("1".to_string())), "[0-9a-z ]{0,4}".prop_map(Some)],
    )
        .prop_map(|(tag, text)| match text {
            Some(t) => Element::text_element(tag, t),
            None => Element::new(tag),
        });
    leaf.prop_recursive(6, 64, 6, |inner| {
        (interesting_tag(), proptest::collection::vec(inner, 0..6)).prop_map(|(tag, kids)| {
            let mut el = Element::new(tag);
            for k in kids {
                el.push(k);
            }
            el
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_never_panic(tree in arb_tree()) {
        decode_all(&tree);
        // Also under each real root.
        for root in [a::SYNC, fh::FOLDER_SYNC, p::PING, pv::PROVISION, wbxml::tags::settings::SETTINGS,
                     wbxml::tags::item_operations::ITEM_OPERATIONS, wbxml::tags::get_item_estimate::GET_ITEM_ESTIMATE,
                     wbxml::tags::moveitems::MOVE_ITEMS, pv::EAS_PROVISION_DOC] {
            let mut el = tree.clone();
            el.tag = root;
            decode_all(&el);
        }
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let mut with_header = wbxml::HEADER.to_vec();
        with_header.extend_from_slice(&bytes);
        for b in [&bytes, &with_header] {
            let _ = SyncRequest::decode(b, V);
            let _ = SyncResponse::decode(b, V);
            let _ = ProvisionResponse::decode(b, V);
            let _ = PingRequest::decode(b, V);
        }
    }
}

#[test]
fn empty_bodies() {
    assert_eq!(SyncRequest::decode_body(b"", V), Ok(None));
    assert_eq!(SyncResponse::decode_body(b"", V), Ok(None));
    let ping = PingRequest::default();
    assert_eq!(PingRequest::decode_body(&ping.encode(V), V), Ok(Some(ping)));
    assert!(matches!(PingRequest::decode(b"", V), Err(ProtoError::Wbxml(_))));
}
