//! to_element → WBXML encode → decode → from_element gives the original value,
//! for every request and response type, at every version it is valid for.

use std::fmt::Debug;

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
use wbxml::tags::{airsync, calendar, contacts};
use wbxml::Element;

const ALL: [ProtocolVersion; 5] = ProtocolVersion::ALL;

fn rt<M: EasMessage + PartialEq + Debug>(m: &M, v: ProtocolVersion) {
    let el = m.to_element(v);
    assert_eq!(el.tag, M::ROOT);
    let bytes = m.encode(v);
    assert_eq!(&bytes[..4], &wbxml::HEADER);
    let decoded = wbxml::decode(&bytes).expect("our own encoding decodes");
    let back = M::from_element(&decoded, v).unwrap_or_else(|e| panic!("{v}: {e}"));
    assert_eq!(&back, m, "round trip at {v}");
    assert_eq!(&M::decode(&bytes, v).unwrap(), m);
}

fn app_data(subject: &str) -> Element {
    Element::new(airsync::APPLICATION_DATA)
        .with_text_child(calendar::SUBJECT, subject)
        .with_text_child(calendar::START_TIME, "20260408T090000Z")
        .with_child(Element::new(calendar::ATTENDEES))
}

#[test]
fn folder_sync() {
    for v in ALL {
        rt(&FolderSyncRequest { sync_key: "0".into() }, v);
        let resp = FolderSyncResponse {
            status: FolderStatus::Success,
            sync_key: Some("{uuid}1".into()),
            changes: vec![
                FolderChange::Add(Folder {
                    server_id: "cal".into(),
                    parent_id: "0".into(),
                    display_name: "Calendar".into(),
                    folder_type: FolderType::Calendar,
                }),
                FolderChange::Update(Folder {
                    server_id: "c2".into(),
                    parent_id: "cal".into(),
                    display_name: "Birthdays & more <x>".into(),
                    folder_type: FolderType::UserCalendar,
                }),
                FolderChange::Delete("old".into()),
                FolderChange::Add(Folder {
                    server_id: "x".into(),
                    parent_id: "0".into(),
                    display_name: "Odd".into(),
                    folder_type: FolderType::Other(42),
                }),
            ],
        };
        rt(&resp, v);
        // Count is written and equals the number of changes.
        let el = resp.to_element(v);
        let count = el
            .find(wbxml::tags::folder_hierarchy::CHANGES)
            .unwrap()
            .child_text(wbxml::tags::folder_hierarchy::COUNT);
        assert_eq!(count, Some("4"));
        rt(
            &FolderSyncResponse {
                status: FolderStatus::InvalidSyncKey,
                sync_key: None,
                changes: vec![],
            },
            v,
        );
        rt(
            &FolderSyncResponse {
                status: FolderStatus::from_code(142),
                sync_key: None,
                changes: vec![],
            },
            v,
        );
    }
}

#[test]
fn folder_ops() {
    for v in ALL {
        rt(
            &FolderCreateRequest {
                sync_key: "3".into(),
                parent_id: "0".into(),
                display_name: "Work".into(),
                folder_type: FolderType::UserContacts,
            },
            v,
        );
        rt(
            &FolderCreateResponse {
                status: FolderStatus::Success,
                sync_key: Some("4".into()),
                server_id: Some("f9".into()),
            },
            v,
        );
        rt(
            &FolderCreateResponse {
                status: FolderStatus::AlreadyExists,
                sync_key: None,
                server_id: None,
            },
            v,
        );
        rt(
            &FolderUpdateRequest {
                sync_key: "4".into(),
                server_id: "f9".into(),
                parent_id: "0".into(),
                display_name: "Work 2".into(),
            },
            v,
        );
        rt(
            &FolderUpdateResponse {
                status: FolderStatus::Success,
                sync_key: Some("5".into()),
            },
            v,
        );
        rt(
            &FolderDeleteRequest {
                sync_key: "5".into(),
                server_id: "f9".into(),
            },
            v,
        );
        rt(
            &FolderDeleteResponse {
                status: FolderStatus::NotFound,
                sync_key: None,
            },
            v,
        );
    }
}

pub fn full_sync_request(v: ProtocolVersion) -> SyncRequest {
    let is16 = v.is_16();
    let mut c1 = SyncCollection::new("0", "cal");
    c1.supported = Some(Element::new(airsync::SUPPORTED).with_child(Element::new(calendar::LOCATION)));
    let mut c2 = SyncCollection::new("7", "contacts");
    c2.deletes_as_moves = Some(false);
    c2.get_changes = Some(true);
    c2.window_size = Some(100);
    c2.options.push(SyncOptions {
        class: Some("Contacts".into()),
        filter_type: Some(FilterType::All),
        body_preferences: vec![
            BodyPreference {
                body_type: BodyType::PlainText,
                truncation_size: Some(32768),
                all_or_none: Some(true),
                preview: None,
            },
            BodyPreference::new(BodyType::Html),
        ],
        conflict: Some(Conflict::ServerWins),
        mime_support: Some(0),
        mime_truncation: None,
        max_items: None,
        other: vec![Element::text_element(airsync::TRUNCATION, "4")],
    });
    c2.commands = vec![
        ClientCommand::Add {
            client_id: "c-1".into(),
            application_data: Element::new(airsync::APPLICATION_DATA)
                .with_text_child(contacts::FIRST_NAME, "Tryggve")
                .with_text_child(contacts::LAST_NAME, "Bue"),
        },
        ClientCommand::Change {
            server_id: "7:1".into(),
            instance_id: is16.then(|| "20260408T090000Z".into()),
            application_data: app_data("moved"),
        },
        ClientCommand::Delete {
            server_id: "7:2".into(),
            instance_id: is16.then(|| "20260409T090000Z".into()),
        },
        ClientCommand::Delete {
            server_id: "7:3".into(),
            instance_id: None,
        },
        ClientCommand::Fetch {
            server_id: "7:4".into(),
        },
    ];
    SyncRequest {
        collections: vec![c1, c2],
        wait: None,
        heartbeat_interval: (v >= ProtocolVersion::V14_0).then_some(480),
        window_size: Some(200),
        partial: false,
    }
}

#[test]
fn sync_request() {
    for v in ALL {
        rt(&full_sync_request(v), v);
        // Empty Sync and partial Sync.
        rt(&SyncRequest::default(), v);
        assert!(SyncRequest::default().is_empty());
        let partial = SyncRequest {
            collections: vec![SyncCollection::new("3", "cal")],
            wait: Some(10),
            partial: true,
            ..Default::default()
        };
        rt(&partial, v);
        assert!(!partial.is_empty());
        let built = SyncRequest {
            collections: vec![
                SyncCollection::initial("a"),
                SyncCollection::pull("1", "b", 50),
                SyncCollection::push(
                    "2",
                    "c",
                    vec![ClientCommand::Fetch {
                        server_id: "c:1".into(),
                    }],
                ),
            ],
            ..Default::default()
        };
        rt(&built, v);
        let el = built.to_element(v);
        let cols: Vec<_> = el.find(airsync::COLLECTIONS).unwrap().elements().cloned().collect();
        assert_eq!(
            cols[0].elements().count(),
            2,
            "key-0 collection has only SyncKey and CollectionId"
        );
        assert_eq!(cols[1].child_text(airsync::GET_CHANGES), Some("1"));
        assert_eq!(cols[1].child_text(airsync::WINDOW_SIZE), Some("50"));
        assert_eq!(cols[2].child_text(airsync::GET_CHANGES), Some("0"));
    }
}

#[test]
fn sync_response() {
    for v in ALL {
        let is16 = v.is_16();
        let mut col = SyncCollectionResponse::new("cal", Some("8".into()), SyncStatus::Success);
        col.more_available = true;
        col.commands = vec![
            ServerCommand::Add {
                server_id: "cal:1".into(),
                application_data: app_data("one"),
            },
            ServerCommand::Change {
                server_id: "cal:2".into(),
                application_data: app_data("two"),
            },
            ServerCommand::Delete {
                server_id: "cal:3".into(),
            },
            ServerCommand::SoftDelete {
                server_id: "cal:4".into(),
            },
        ];
        col.responses = vec![
            SyncItemResponse::Add {
                client_id: "c-1".into(),
                server_id: Some("cal:5".into()),
                status: SyncStatus::Success,
            },
            SyncItemResponse::Add {
                client_id: "c-2".into(),
                server_id: None,
                status: SyncStatus::ConversionError,
            },
            SyncItemResponse::Change {
                server_id: "cal:2".into(),
                instance_id: is16.then(|| "20260408T090000Z".into()),
                status: SyncStatus::Conflict,
            },
            SyncItemResponse::Delete {
                server_id: "cal:9".into(),
                instance_id: None,
                status: SyncStatus::ObjectNotFound,
            },
            SyncItemResponse::Fetch {
                server_id: "cal:1".into(),
                status: SyncStatus::Success,
                application_data: Some(app_data("one")),
            },
            SyncItemResponse::Fetch {
                server_id: "cal:0".into(),
                status: SyncStatus::ObjectNotFound,
                application_data: None,
            },
        ];
        let err_col = SyncCollectionResponse::new("contacts", Some("0".into()), SyncStatus::InvalidSyncKey);
        let mut no_key = SyncCollectionResponse::new("tasks", None, SyncStatus::FolderHierarchyChanged);
        no_key.class = Some("Tasks".into());
        rt(
            &SyncResponse {
                status: None,
                limit: None,
                collections: vec![col, err_col, no_key],
            },
            v,
        );
        rt(
            &SyncResponse {
                status: Some(SyncStatus::InvalidWaitOrHeartbeat),
                limit: Some(3540),
                collections: vec![],
            },
            v,
        );
        rt(
            &SyncResponse {
                status: Some(SyncStatus::from_code(111)),
                limit: None,
                collections: vec![],
            },
            v,
        );
    }
}

#[test]
fn ping() {
    for v in ALL {
        rt(
            &PingRequest {
                heartbeat_interval: Some(900),
                folders: vec![
                    PingFolder {
                        id: "cal".into(),
                        class: ItemClass::Calendar,
                    },
                    PingFolder {
                        id: "con".into(),
                        class: ItemClass::Contacts,
                    },
                    PingFolder {
                        id: "t".into(),
                        class: ItemClass::Tasks,
                    },
                ],
            },
            v,
        );
        rt(&PingRequest::default(), v);
        let mut changes = PingResponse::new(PingStatus::ChangesFound);
        changes.folders = vec!["cal".into(), "con".into()];
        rt(&changes, v);
        rt(&PingResponse::new(PingStatus::Expired), v);
        let mut bounds = PingResponse::new(PingStatus::InvalidHeartbeatInterval);
        bounds.heartbeat_interval = Some(60);
        rt(&bounds, v);
        let mut too_many = PingResponse::new(PingStatus::TooManyFolders);
        too_many.max_folders = Some(50);
        rt(&too_many, v);
    }
}

fn device_info(v: ProtocolVersion) -> DeviceInformation {
    let v14 = v >= ProtocolVersion::V14_0;
    DeviceInformation {
        model: Some("easdav".into()),
        imei: Some("1234567890".into()),
        friendly_name: Some("Gateway".into()),
        os: Some("Linux".into()),
        os_language: Some("en-us".into()),
        phone_number: Some("+4930123".into()),
        user_agent: Some("easdav/0.1".into()),
        enable_outbound_sms: v14.then_some(false),
        mobile_operator: v14.then(|| "none".into()),
    }
}

#[test]
fn provision() {
    for v in ALL {
        let di = (v >= ProtocolVersion::V14_1).then(|| device_info(v));
        let initial = ProvisionRequest::initial(di);
        assert!(!initial.is_acknowledgement());
        rt(&initial, v);
        let ack = ProvisionRequest::acknowledge(1_307_199_584, PolicyAckStatus::Applied);
        assert!(ack.is_acknowledgement());
        rt(&ack, v);
        rt(&ProvisionRequest::wipe_ack(WipeKind::Full, WipeAckStatus::Success), v);
        if v == ProtocolVersion::V16_1 {
            rt(
                &ProvisionRequest::wipe_ack(WipeKind::AccountOnly, WipeAckStatus::Failed),
                v,
            );
        }
        rt(&ProvisionRequest::default(), v);

        let mut doc = EasProvisionDoc::permissive();
        doc.max_attachment_size = Some(5_000_000);
        doc.other
            .push(Element::new(wbxml::tags::provision::UNAPPROVED_IN_ROM_APPLICATION_LIST));
        doc.other.push(Element::new(
            wbxml::tags::provision::MAX_DEVICE_PASSWORD_FAILED_ATTEMPTS,
        ));
        let phase1 = ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: (v >= ProtocolVersion::V14_1).then_some(SettingsStatus::Success),
            policy: Some(PolicyResponse {
                policy_type: EAS_POLICY_TYPE.into(),
                status: PolicyStatus::Success,
                policy_key: Some(1_307_199_584),
                data: Some(doc),
            }),
            remote_wipe: None,
        };
        rt(&phase1, v);
        let phase2 = ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: None,
            policy: Some(PolicyResponse {
                policy_type: EAS_POLICY_TYPE.into(),
                status: PolicyStatus::Success,
                policy_key: Some(u32::MAX),
                data: None,
            }),
            remote_wipe: None,
        };
        rt(&phase2, v);
        let wipe = ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: None,
            policy: None,
            remote_wipe: Some(if v == ProtocolVersion::V16_1 {
                WipeKind::AccountOnly
            } else {
                WipeKind::Full
            }),
        };
        rt(&wipe, v);
        rt(
            &ProvisionResponse {
                status: None,
                device_information_status: None,
                policy: None,
                remote_wipe: None,
            },
            v,
        );
    }
}

#[test]
fn provision_constructors() {
    let v = ProtocolVersion::V16_1;
    let p1 = ProvisionResponse::policy(7, EasProvisionDoc::permissive());
    assert_eq!(p1.policy_key(), Some(7));
    assert!(p1.is_success());
    rt(&p1, v);
    let p2 = ProvisionResponse::acknowledged(8);
    assert_eq!(p2.policy_key(), Some(8));
    rt(&p2, v);
    let w = ProvisionResponse::wipe(WipeKind::Full);
    assert_eq!(w.remote_wipe, Some(WipeKind::Full));
    assert_eq!(w.policy_key(), None);
    rt(&w, v);
    let mut failed = ProvisionResponse::acknowledged(9);
    if let Some(p) = failed.policy.as_mut() {
        p.status = PolicyStatus::WrongPolicyKey;
    }
    assert!(!failed.is_success());
    let no_status = ProvisionResponse {
        status: None,
        ..ProvisionResponse::acknowledged(1)
    };
    assert!(no_status.is_success());
}

#[test]
fn get_item_estimate() {
    for v in ALL {
        rt(
            &GetItemEstimateRequest {
                collections: vec![
                    EstimateCollection {
                        sync_key: "5".into(),
                        collection_id: "cal".into(),
                        filter_type: Some(FilterType::SixMonths),
                        class: Some("Calendar".into()),
                    },
                    EstimateCollection {
                        sync_key: "2".into(),
                        collection_id: "con".into(),
                        filter_type: None,
                        class: None,
                    },
                ],
            },
            v,
        );
        rt(
            &GetItemEstimateResponse {
                status: None,
                responses: vec![
                    EstimateResult {
                        status: GetItemEstimateStatus::Success,
                        collection_id: Some("cal".into()),
                        estimate: Some(42),
                    },
                    EstimateResult {
                        status: GetItemEstimateStatus::SyncStateNotPrimed,
                        collection_id: Some("con".into()),
                        estimate: None,
                    },
                ],
            },
            v,
        );
        rt(
            &GetItemEstimateResponse {
                status: Some(GetItemEstimateStatus::from_code(142)),
                responses: vec![],
            },
            v,
        );
    }
}

#[test]
fn item_operations() {
    for v in ALL {
        let mut f1 = FetchRequest::item("cal", "cal:1");
        f1.options = Some(FetchOptions {
            body_preferences: vec![BodyPreference {
                body_type: BodyType::Html,
                truncation_size: Some(1024),
                all_or_none: None,
                preview: Some(255),
            }],
            mime_support: Some(1),
            range: Some("0-1023".into()),
            schema: Some(
                Element::new(wbxml::tags::item_operations::SCHEMA).with_child(Element::new(calendar::SUBJECT)),
            ),
            other: vec![],
        });
        let f2 = FetchRequest {
            store: MAILBOX_STORE.into(),
            collection_id: None,
            server_id: None,
            long_id: Some("RgAAAAD".into()),
            file_reference: None,
            options: None,
        };
        rt(&ItemOperationsRequest { fetches: vec![f1, f2] }, v);
        let props = Element::new(wbxml::tags::item_operations::PROPERTIES).with_text_child(calendar::SUBJECT, "one");
        rt(
            &ItemOperationsResponse {
                status: ItemOperationsStatus::Success,
                fetches: vec![
                    FetchResult {
                        status: ItemOperationsStatus::Success,
                        collection_id: Some("cal".into()),
                        server_id: Some("cal:1".into()),
                        long_id: None,
                        file_reference: None,
                        class: Some("Calendar".into()),
                        properties: Some(props),
                    },
                    FetchResult {
                        status: ItemOperationsStatus::DocumentLibraryNotFound,
                        collection_id: Some("cal".into()),
                        server_id: Some("cal:404".into()),
                        long_id: None,
                        file_reference: None,
                        class: None,
                        properties: None,
                    },
                ],
            },
            v,
        );
        rt(
            &ItemOperationsResponse {
                status: ItemOperationsStatus::ProtocolError,
                fetches: vec![],
            },
            v,
        );
    }
}

#[test]
fn move_items() {
    for v in ALL {
        rt(
            &MoveItemsRequest {
                moves: vec![
                    Move {
                        src_msg_id: "cal:1".into(),
                        src_fld_id: "cal".into(),
                        dst_fld_id: "cal2".into(),
                    },
                    Move {
                        src_msg_id: "cal:2".into(),
                        src_fld_id: "cal".into(),
                        dst_fld_id: "cal".into(),
                    },
                ],
            },
            v,
        );
        rt(
            &MoveItemsResponse {
                status: None,
                responses: vec![
                    MoveResult {
                        src_msg_id: "cal:1".into(),
                        status: MoveItemsStatus::Success,
                        dst_msg_id: Some("cal2:1".into()),
                    },
                    MoveResult {
                        src_msg_id: "cal:2".into(),
                        status: MoveItemsStatus::SameSourceAndDestination,
                        dst_msg_id: None,
                    },
                ],
            },
            v,
        );
    }
}

#[test]
fn move_items_global_status() {
    for v in ALL {
        rt(
            &MoveItemsResponse {
                status: Some(CommonStatus::DeviceNotProvisioned.into()),
                responses: vec![],
            },
            v,
        );
    }
    let el = MoveItemsResponse {
        status: Some(MoveItemsStatus::from_code(142)),
        responses: vec![],
    }
    .to_element(ProtocolVersion::V14_1);
    assert_eq!(el.child_text(wbxml::tags::moveitems::STATUS), Some("142"));
}

#[test]
fn settings() {
    for v in ALL {
        rt(
            &SettingsRequest {
                device_information: Some(device_info(v)),
                get_user_information: true,
                other: vec![],
            },
            v,
        );
        rt(&SettingsRequest::default(), v);
        let ui = UserInformation {
            status: Some(SettingsStatus::Success),
            display_name: (v >= ProtocolVersion::V14_1).then(|| "Alice".into()),
            primary_smtp_address: (v >= ProtocolVersion::V14_1).then(|| "alice@example.com".into()),
            smtp_addresses: vec!["alice@example.com".into(), "a@example.com".into()],
        };
        rt(
            &SettingsResponse {
                status: SettingsStatus::Success,
                device_information_status: Some(SettingsStatus::Success),
                user_information: Some(ui),
                other: vec![],
            },
            v,
        );
        rt(
            &SettingsResponse {
                status: SettingsStatus::from_code(138),
                device_information_status: None,
                user_information: None,
                other: vec![],
            },
            v,
        );
    }
}

#[test]
fn version_gated_elements_are_left_out_and_rejected() {
    let v16 = ProtocolVersion::V16_1;
    let v14 = ProtocolVersion::V14_1;
    let req = full_sync_request(v16);
    // Encoding for 14.1 leaves InstanceId out...
    let at14 = SyncRequest::from_element(&req.to_element(v14), v14).unwrap();
    let has_instance = |r: &SyncRequest| {
        r.collections.iter().flat_map(|c| &c.commands).any(|c| {
            matches!(
                c,
                ClientCommand::Change {
                    instance_id: Some(_),
                    ..
                } | ClientCommand::Delete {
                    instance_id: Some(_),
                    ..
                }
            )
        })
    };
    assert!(has_instance(&req));
    assert!(!has_instance(&at14));
    // ...and decoding a 16.x body as 14.1 is refused with a typed error.
    match SyncRequest::from_element(&req.to_element(v16), v14) {
        Err(ProtoError::NotInVersion { tag, version }) => {
            assert_eq!(tag, wbxml::tags::airsyncbase::INSTANCE_ID);
            assert_eq!(version, v14);
        }
        other => panic!("expected NotInVersion, got {other:?}"),
    }
    // HeartbeatInterval is 14.0+.
    let hb = SyncRequest {
        heartbeat_interval: Some(600),
        ..Default::default()
    };
    assert!(matches!(
        SyncRequest::from_element(&hb.to_element(v14), ProtocolVersion::V12_1),
        Err(ProtoError::NotInVersion { .. })
    ));
    assert_eq!(
        hb.to_element(ProtocolVersion::V12_1).find(airsync::HEARTBEAT_INTERVAL),
        None
    );
    // DeviceInformation inside Provision is 14.1+.
    let p = ProvisionRequest::initial(Some(device_info(v16)));
    assert!(matches!(
        ProvisionRequest::from_element(&p.to_element(v16), ProtocolVersion::V14_0),
        Err(ProtoError::NotInVersion { .. })
    ));
    // AccountOnlyRemoteWipe is 16.1 only.
    let w = ProvisionResponse {
        status: Some(ProvisionStatus::Success),
        device_information_status: None,
        policy: None,
        remote_wipe: Some(WipeKind::AccountOnly),
    };
    assert!(matches!(
        ProvisionResponse::from_element(&w.to_element(v16), ProtocolVersion::V16_0),
        Err(ProtoError::NotInVersion { .. })
    ));
    // GetItemEstimate: 12.1 shape has no Options; 14.0+ has.
    let gie = GetItemEstimateRequest {
        collections: vec![EstimateCollection {
            sync_key: "1".into(),
            collection_id: "c".into(),
            filter_type: Some(FilterType::All),
            class: None,
        }],
    };
    let col12 = gie.to_element(ProtocolVersion::V12_1);
    let col14 = gie.to_element(v14);
    let first = |e: &Element| e.elements().next().and_then(|c| c.elements().next()).cloned().unwrap();
    assert!(first(&col12).find(airsync::OPTIONS).is_none());
    assert!(first(&col14).find(airsync::OPTIONS).is_some());
}
