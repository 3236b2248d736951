//! Real samples from ../shared/corpus/eas (other projects' test suites):
//! XML → wbxml::from_xml → WBXML bytes → decode → typed value, fields checked.

use std::path::PathBuf;

use eas_proto::folder_sync::{FolderChange, FolderSyncResponse};
use eas_proto::provision::{ProvisionRequest, EAS_POLICY_TYPE};
use eas_proto::settings::{SettingsRequest, SettingsResponse};
use eas_proto::sync::{ClientCommand, ServerCommand, SyncItemResponse, SyncRequest, SyncResponse};
use eas_proto::*;
use wbxml::tags::{airsync, contacts, settings};

const V: ProtocolVersion = ProtocolVersion::V14_1;

fn corpus(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus/eas")
        .join(name)
}

/// Loads an XML sample and passes it through real WBXML bytes.
fn load<M: EasMessage>(name: &str, v: ProtocolVersion) -> M {
    let text = std::fs::read_to_string(corpus(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"));
    let el = wbxml::from_xml(&text).unwrap_or_else(|e| panic!("parsing {name}: {e}"));
    let bytes = wbxml::encode(&el);
    M::decode(&bytes, v).unwrap_or_else(|e| panic!("decoding {name}: {e}"))
}

#[test]
fn evolution_sync_response_plain() {
    let r: SyncResponse = load("evoas_negative_CalendarDeleteInvalidServerId.xml", V);
    assert_eq!(r.status, None);
    assert_eq!(r.collections.len(), 1);
    let c = &r.collections[0];
    assert_eq!(c.sync_key.as_deref(), Some("212154948"));
    assert_eq!(c.collection_id, "4");
    assert_eq!(c.status, SyncStatus::Success);
    assert!(c.commands.is_empty() && c.responses.is_empty() && !c.more_available);
}

#[test]
fn evolution_sync_response_with_failed_change() {
    let r: SyncResponse = load("evoas_negative_CalendarUpdateInvalidServerId.xml", V);
    let c = &r.collections[0];
    assert_eq!(c.sync_key.as_deref(), Some("217860050"));
    assert_eq!(c.collection_id, "1");
    assert_eq!(
        c.responses,
        vec![SyncItemResponse::Change {
            server_id: "wrong".into(),
            instance_id: None,
            status: SyncStatus::ObjectNotFound,
        }]
    );
}

#[test]
fn libwbxml_sync_request_contacts_add() {
    let r: SyncRequest = load("libwbxml_airsync-001.xml", V);
    assert_eq!(r.collections.len(), 1);
    let c = &r.collections[0];
    assert_eq!(c.sync_key, "{F0A866C8-E590-42B9-830C-4CF4DFD545DF}12");
    assert_eq!(c.collection_id, "{F0A866C8-E590-42B9-830C-4CF4DFD545DF}");
    // Empty <DeletesAsMoves/> and <GetChanges/> mean true.
    assert_eq!(c.deletes_as_moves, Some(true));
    assert_eq!(c.get_changes, Some(true));
    assert_eq!(c.window_size, Some(100));
    assert_eq!(c.options.len(), 1);
    let o = &c.options[0];
    assert_eq!(o.conflict, Some(Conflict::ServerWins));
    // 2.5 Truncation/RTFTruncation are kept, not dropped.
    let kept: Vec<_> = o.other.iter().map(|e| e.tag).collect();
    assert_eq!(kept, vec![airsync::TRUNCATION, airsync::RTF_TRUNCATION]);
    match c.commands.as_slice() {
        [ClientCommand::Add {
            client_id,
            application_data,
        }] => {
            assert_eq!(client_id, "2147483800");
            assert_eq!(application_data.tag, airsync::APPLICATION_DATA);
            assert_eq!(application_data.child_text(contacts::FILE_AS), Some("Bue, Tryggve"));
            assert_eq!(
                application_data.child_text(contacts::MOBILE_PHONE_NUMBER),
                Some("12345678")
            );
        }
        other => panic!("unexpected commands {other:?}"),
    }
}

#[test]
fn libwbxml_sync_response_email_add() {
    let r: SyncResponse = load("libwbxml_airsync-004-binary_byte_array.xml", V);
    let c = &r.collections[0];
    assert_eq!(c.sync_key.as_deref(), Some("16668481"));
    assert_eq!(c.collection_id, "14");
    assert_eq!(c.status, SyncStatus::Success);
    match c.commands.first() {
        Some(ServerCommand::Add {
            server_id,
            application_data,
        }) => {
            assert_eq!(server_id, "14:4");
            assert_eq!(
                application_data.child_text(wbxml::tags::email::SUBJECT),
                Some("Hello world!")
            );
        }
        other => panic!("unexpected first command {other:?}"),
    }
}

#[test]
fn libwbxml_folder_sync_initial_response() {
    let r: FolderSyncResponse = load("libwbxml_activesync-021-folder_sync_initial_response.xml", V);
    assert_eq!(r.status, FolderStatus::Success);
    assert_eq!(r.sync_key.as_deref(), Some("1"));
    let adds: Vec<_> = r
        .changes
        .iter()
        .map(|c| match c {
            FolderChange::Add(f) => (
                f.server_id.as_str(),
                f.parent_id.as_str(),
                f.display_name.as_str(),
                f.folder_type,
            ),
            other => panic!("unexpected change {other:?}"),
        })
        .collect();
    assert_eq!(
        adds,
        vec![
            ("1", "0", "Calendar", FolderType::Calendar),
            ("2", "0", "Contacts", FolderType::Contacts),
            ("3", "0", "INBOX", FolderType::SentItems),
            ("12", "3", "Family", FolderType::UserMail),
            ("RI", "0", "RecipientInfo", FolderType::RecipientInformationCache),
        ]
    );
    assert!(FolderType::Calendar.is_calendar());
}

#[test]
fn libwbxml_settings_device_information() {
    let r: SettingsRequest = load("libwbxml_activesync-001-settings_device_information.xml", V);
    let di = r.device_information.expect("device information");
    assert_eq!(di.model.as_deref(), Some("0.11-beta"));
    assert_eq!(di.imei.as_deref(), Some("1234567890"));
    assert_eq!(di.friendly_name.as_deref(), Some("Test Device"));
    assert_eq!(di.os.as_deref(), Some("Linux"));
    assert_eq!(di.os_language.as_deref(), Some("de_DE"));
    assert_eq!(di.phone_number.as_deref(), Some("+49301234567890"));
    assert_eq!(di.mobile_operator.as_deref(), Some("O2"));
    assert_eq!(di.user_agent.as_deref(), Some("libwbxml"));
    assert!(!r.get_user_information);
    // MobileOperator does not exist in 12.1.
    let text = std::fs::read_to_string(corpus("libwbxml_activesync-001-settings_device_information.xml")).unwrap();
    let el = wbxml::from_xml(&text).unwrap();
    assert!(matches!(
        SettingsRequest::from_element(&el, ProtocolVersion::V12_1),
        Err(ProtoError::NotInVersion { tag, .. }) if tag == settings::MOBILE_OPERATOR
    ));
}

#[test]
fn libwbxml_settings_other_setting_is_kept() {
    let r: SettingsRequest = load("libwbxml_activesync-003-settings_device_password.xml", V);
    assert_eq!(r.device_information, None);
    assert_eq!(r.other.len(), 1);
    assert_eq!(r.other[0].tag, settings::DEVICE_PASSWORD);
}

#[test]
fn libwbxml_settings_status() {
    let r: SettingsResponse = load("libwbxml_activesync-005-settings_status.xml", V);
    assert_eq!(r.status, SettingsStatus::Success);
    // libwbxml nests the DeviceInformation status inside Set; accepted.
    assert_eq!(r.device_information_status, Some(SettingsStatus::Success));
}

#[test]
fn libwbxml_provision_requests() {
    let r: ProvisionRequest = load("libwbxml_activesync-010-provision-eas.xml", V);
    assert_eq!(r, ProvisionRequest::initial(None));
    assert_eq!(r.policy.as_ref().map(|p| p.policy_type.as_str()), Some(EAS_POLICY_TYPE));
    let wap: ProvisionRequest = load("libwbxml_activesync-011-provision-wap.xml", V);
    assert_eq!(
        wap.policy.as_ref().map(|p| p.policy_type.as_str()),
        Some("MS-WAP-Provisioning-XML")
    );
}

#[test]
fn horde_policy_document_fragment() {
    let bytes = std::fs::read(corpus("horde-activesync_default_policies.wbxml")).unwrap();
    let nodes = wbxml::decode_fragment(&bytes, &wbxml::DecodeOptions::default()).expect("fragment decodes");
    let el = nodes
        .iter()
        .find_map(|n| match n {
            wbxml::Node::Element(e) => Some(e),
            _ => None,
        })
        .expect("an element");
    let doc = EasProvisionDoc::from_element(el).expect("policy document");
    // Horde's defaults: no password, attachments allowed, 5 MB cap.
    assert_eq!(doc.device_password_enabled, Some(false));
    assert_eq!(doc.attachments_enabled, Some(true));
    assert_eq!(doc.max_attachment_size, Some(5_000_000));
    // 0x10 (libwbxml: DeviceEncryptionEnabled, MS-ASWBXML: RequireStorageCardEncryption).
    assert_eq!(doc.require_storage_card_encryption, Some(false));
    assert!(doc.other.is_empty());
    // And it survives our own encoding.
    assert_eq!(EasProvisionDoc::from_element(&doc.to_element()).unwrap(), doc);
}
