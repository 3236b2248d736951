//! Property test: any Sync request or response survives
//! to_element → WBXML → decode → from_element, at every version.

use eas_proto::sync::*;
use eas_proto::*;
use proptest::prelude::*;
use wbxml::tags::{airsync, calendar};
use wbxml::Element;

/// Text that WBXML inline strings can carry (no NUL).
fn text() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,12}"
}

fn status() -> impl Strategy<Value = SyncStatus> {
    prop_oneof![1u32..20, 100u32..180, any::<u32>()].prop_map(SyncStatus::from_code)
}

fn app_data() -> impl Strategy<Value = Element> {
    (text(), proptest::option::of(text()), any::<bool>()).prop_map(|(subject, location, empty)| {
        let mut el = Element::new(airsync::APPLICATION_DATA).with_text_child(calendar::SUBJECT, subject);
        if let Some(l) = location {
            el.push_text(calendar::LOCATION, l);
        }
        if empty {
            el.push(Element::new(calendar::ATTENDEES));
        }
        el
    })
}

fn version() -> impl Strategy<Value = ProtocolVersion> {
    proptest::sample::select(ProtocolVersion::ALL.to_vec())
}

fn client_command(is16: bool) -> impl Strategy<Value = ClientCommand> {
    let inst = move || proptest::option::of(text()).prop_map(move |i| if is16 { i } else { None });
    prop_oneof![
        (text(), app_data()).prop_map(|(client_id, application_data)| ClientCommand::Add {
            client_id,
            application_data
        }),
        (text(), inst(), app_data()).prop_map(|(server_id, instance_id, application_data)| ClientCommand::Change {
            server_id,
            instance_id,
            application_data
        }),
        (text(), inst()).prop_map(|(server_id, instance_id)| ClientCommand::Delete { server_id, instance_id }),
        text().prop_map(|server_id| ClientCommand::Fetch { server_id }),
    ]
}

fn body_preference() -> impl Strategy<Value = BodyPreference> {
    (
        1u32..6,
        proptest::option::of(any::<u32>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(0u32..300),
    )
        .prop_map(|(t, truncation_size, all_or_none, preview)| BodyPreference {
            body_type: BodyType::from_code(t),
            truncation_size,
            all_or_none,
            preview,
        })
}

fn options() -> impl Strategy<Value = SyncOptions> {
    (
        proptest::option::of(proptest::sample::select(vec!["Calendar", "Contacts", "Tasks", "Email"])),
        proptest::option::of(0u32..10),
        proptest::collection::vec(body_preference(), 0..3),
        proptest::option::of(0u32..3),
        proptest::option::of(0u32..3),
    )
        .prop_map(|(class, filter, body_preferences, conflict, mime)| SyncOptions {
            class: class.map(str::to_owned),
            filter_type: filter.map(FilterType::from_code),
            body_preferences,
            conflict: conflict.map(Conflict::from_code),
            mime_support: mime,
            ..Default::default()
        })
}

fn collection(is16: bool) -> impl Strategy<Value = SyncCollection> {
    (
        text(),
        text(),
        proptest::option::of(any::<bool>()),
        proptest::option::of(any::<bool>()),
        proptest::option::of(1u32..513),
        proptest::collection::vec(options(), 0..2),
        proptest::collection::vec(client_command(is16), 0..5),
    )
        .prop_map(|(key, id, dam, gc, ws, options, commands)| SyncCollection {
            deletes_as_moves: dam,
            get_changes: gc,
            window_size: ws,
            options,
            commands,
            ..SyncCollection::new(key, id)
        })
}

fn request() -> impl Strategy<Value = (ProtocolVersion, SyncRequest)> {
    version().prop_flat_map(|v| {
        (
            proptest::collection::vec(collection(v.is_16()), 0..4),
            proptest::option::of(1u32..60),
            proptest::option::of(60u32..3541),
            proptest::option::of(1u32..513),
            any::<bool>(),
        )
            .prop_map(move |(collections, wait, hb, window_size, partial)| {
                // Wait and HeartbeatInterval are exclusive; HeartbeatInterval is 14.0+.
                let hb = if v >= ProtocolVersion::V14_0 && wait.is_none() {
                    hb
                } else {
                    None
                };
                (
                    v,
                    SyncRequest {
                        collections,
                        wait,
                        heartbeat_interval: hb,
                        window_size,
                        partial,
                    },
                )
            })
    })
}

fn server_command() -> impl Strategy<Value = ServerCommand> {
    prop_oneof![
        (text(), app_data()).prop_map(|(server_id, application_data)| ServerCommand::Add {
            server_id,
            application_data
        }),
        (text(), app_data()).prop_map(|(server_id, application_data)| ServerCommand::Change {
            server_id,
            application_data
        }),
        text().prop_map(|server_id| ServerCommand::Delete { server_id }),
        text().prop_map(|server_id| ServerCommand::SoftDelete { server_id }),
    ]
}

fn item_response(is16: bool) -> impl Strategy<Value = SyncItemResponse> {
    let inst = move || proptest::option::of(text()).prop_map(move |i| if is16 { i } else { None });
    prop_oneof![
        (text(), proptest::option::of(text()), status()).prop_map(|(client_id, server_id, status)| {
            SyncItemResponse::Add {
                client_id,
                server_id,
                status,
            }
        }),
        (text(), inst(), status()).prop_map(|(server_id, instance_id, status)| SyncItemResponse::Change {
            server_id,
            instance_id,
            status
        }),
        (text(), inst(), status()).prop_map(|(server_id, instance_id, status)| SyncItemResponse::Delete {
            server_id,
            instance_id,
            status
        }),
        (text(), status(), proptest::option::of(app_data())).prop_map(|(server_id, status, application_data)| {
            SyncItemResponse::Fetch {
                server_id,
                status,
                application_data,
            }
        }),
    ]
}

fn response() -> impl Strategy<Value = (ProtocolVersion, SyncResponse)> {
    version().prop_flat_map(|v| {
        let col = (
            proptest::option::of(text()),
            text(),
            proptest::option::of(text()),
            status(),
            any::<bool>(),
            proptest::collection::vec(server_command(), 0..5),
            proptest::collection::vec(item_response(v.is_16()), 0..5),
        )
            .prop_map(
                |(sync_key, collection_id, class, status, more_available, commands, responses)| {
                    SyncCollectionResponse {
                        sync_key,
                        collection_id,
                        class,
                        status,
                        more_available,
                        commands,
                        responses,
                    }
                },
            );
        (
            proptest::option::of(status()),
            proptest::option::of(any::<u32>()),
            proptest::collection::vec(col, 0..4),
        )
            .prop_map(move |(status, limit, collections)| {
                (
                    v,
                    SyncResponse {
                        status,
                        limit,
                        collections,
                    },
                )
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn sync_request_round_trip((v, req) in request()) {
        let bytes = req.encode(v);
        prop_assert_eq!(SyncRequest::decode(&bytes, v).unwrap(), req);
    }

    #[test]
    fn sync_response_round_trip((v, resp) in response()) {
        let bytes = resp.encode(v);
        prop_assert_eq!(SyncResponse::decode(&bytes, v).unwrap(), resp);
    }
}
