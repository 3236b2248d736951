//! Cross-check typed messages against Debian's libwbxml (`libwbxml2-utils`),
//! an implementation nobody here wrote:
//! * our bytes → `wbxml2xml` → `from_xml` → `from_element` gives the value back;
//! * libwbxml-style XML → `xml2wbxml` (libwbxml's encoder) → our typed decode
//!   gives the same value.
//!
//! Flags as in the wbxml crate's cross-check: `wbxml2xml -l ACTIVESYNC -k`,
//! `xml2wbxml -a -n -v 1.3` (no public-id string table).

use std::fmt::Debug;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use eas_proto::folder_sync::*;
use eas_proto::get_item_estimate::*;
use eas_proto::ping::*;
use eas_proto::provision::*;
use eas_proto::sync::*;
use eas_proto::*;
use wbxml::tags::{airsync, calendar};
use wbxml::{Element, XmlOptions};

fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("`{name}` not found on PATH: install Debian's libwbxml2-utils (run tests/run.sh, which installs it)")
        })
}

static SEQ: AtomicUsize = AtomicUsize::new(0);

fn run(tool_name: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let base = std::env::temp_dir().join(format!("eas-proto-libwbxml-{}-{n}", std::process::id()));
    let (inp, out) = (base.with_extension("in"), base.with_extension("out"));
    std::fs::write(&inp, input).expect("write scratch input");
    let res = Command::new(tool(tool_name))
        .args(args)
        .arg("-o")
        .arg(&out)
        .arg(&inp)
        .output();
    let _ = std::fs::remove_file(&inp);
    let res = res.unwrap_or_else(|e| panic!("cannot run {tool_name}: {e}"));
    let data = std::fs::read(&out);
    let _ = std::fs::remove_file(&out);
    assert!(
        res.status.success(),
        "{tool_name} failed: {}{}",
        String::from_utf8_lossy(&res.stdout),
        String::from_utf8_lossy(&res.stderr)
    );
    data.unwrap_or_else(|e| panic!("{tool_name} wrote no output: {e}"))
}

fn check<M: EasMessage + PartialEq + Debug>(m: &M, v: ProtocolVersion) {
    // Ours → libwbxml.
    let xml = String::from_utf8(run("wbxml2xml", &["-l", "ACTIVESYNC", "-k"], &m.encode(v))).expect("utf-8");
    let tree = wbxml::from_xml(&xml).unwrap_or_else(|e| panic!("{e}\n{xml}"));
    assert_eq!(
        &M::from_element(&tree, v).unwrap(),
        m,
        "libwbxml read our bytes as:\n{xml}"
    );
    // libwbxml → ours.
    let ours_xml = wbxml::to_xml_with(
        &m.to_element(v),
        &XmlOptions {
            libwbxml_names: true,
            ..XmlOptions::default()
        },
    );
    let bytes = run("xml2wbxml", &["-a", "-n", "-v", "1.3"], ours_xml.as_bytes());
    assert_eq!(
        &M::decode(&bytes, v).unwrap(),
        m,
        "our decode of libwbxml's bytes for:\n{ours_xml}"
    );
}

fn app(subject: &str) -> Element {
    Element::new(airsync::APPLICATION_DATA)
        .with_text_child(calendar::SUBJECT, subject)
        .with_text_child(calendar::START_TIME, "20260408T090000Z")
}

#[test]
fn sync_messages() {
    let v = ProtocolVersion::V16_1;
    let mut col = SyncCollection::new("4", "cal");
    col.get_changes = Some(false);
    col.window_size = Some(25);
    col.options.push(SyncOptions {
        filter_type: Some(FilterType::All),
        conflict: Some(Conflict::ServerWins),
        body_preferences: vec![BodyPreference {
            body_type: BodyType::PlainText,
            truncation_size: Some(51200),
            all_or_none: None,
            preview: None,
        }],
        ..Default::default()
    });
    col.commands = vec![
        ClientCommand::Add {
            client_id: "c1".into(),
            application_data: app("Standup"),
        },
        ClientCommand::Change {
            server_id: "cal:1".into(),
            instance_id: Some("20260409T090000Z".into()),
            application_data: app("Moved"),
        },
        ClientCommand::Delete {
            server_id: "cal:2".into(),
            instance_id: None,
        },
    ];
    check(
        &SyncRequest {
            collections: vec![col],
            heartbeat_interval: Some(600),
            ..Default::default()
        },
        v,
    );
    let mut rc = SyncCollectionResponse::new("cal", Some("5".into()), SyncStatus::Success);
    rc.more_available = true;
    rc.commands = vec![
        ServerCommand::Add {
            server_id: "cal:9".into(),
            application_data: app("From server"),
        },
        ServerCommand::SoftDelete {
            server_id: "cal:3".into(),
        },
    ];
    rc.responses = vec![
        SyncItemResponse::Add {
            client_id: "c1".into(),
            server_id: Some("cal:10".into()),
            status: SyncStatus::Success,
        },
        SyncItemResponse::Change {
            server_id: "cal:1".into(),
            instance_id: Some("20260409T090000Z".into()),
            status: SyncStatus::Conflict,
        },
    ];
    check(
        &SyncResponse {
            status: None,
            limit: None,
            collections: vec![rc],
        },
        v,
    );
}

#[test]
fn hierarchy_ping_estimate_provision() {
    let v = ProtocolVersion::V14_1;
    check(
        &FolderSyncResponse {
            status: FolderStatus::Success,
            sync_key: Some("1".into()),
            changes: vec![
                FolderChange::Add(Folder {
                    server_id: "2".into(),
                    parent_id: "0".into(),
                    display_name: "Kalender".into(),
                    folder_type: FolderType::Calendar,
                }),
                FolderChange::Delete("9".into()),
            ],
        },
        v,
    );
    check(
        &PingRequest {
            heartbeat_interval: Some(900),
            folders: vec![PingFolder {
                id: "2".into(),
                class: ItemClass::Calendar,
            }],
        },
        v,
    );
    let mut pr = PingResponse::new(PingStatus::ChangesFound);
    pr.folders = vec!["2".into()];
    check(&pr, v);
    check(
        &GetItemEstimateRequest {
            collections: vec![EstimateCollection {
                sync_key: "3".into(),
                collection_id: "2".into(),
                filter_type: Some(FilterType::All),
                class: None,
            }],
        },
        v,
    );
    check(
        &ProvisionRequest::initial(Some(eas_proto::settings::DeviceInformation {
            model: Some("easdav".into()),
            os: Some("Linux".into()),
            user_agent: Some("easdav/0.1".into()),
            ..Default::default()
        })),
        v,
    );
    check(
        &ProvisionResponse {
            status: Some(ProvisionStatus::Success),
            device_information_status: Some(SettingsStatus::Success),
            policy: Some(PolicyResponse {
                policy_type: EAS_POLICY_TYPE.into(),
                status: PolicyStatus::Success,
                policy_key: Some(3_942_919_513),
                data: Some(EasProvisionDoc::permissive()),
            }),
            remote_wipe: None,
        },
        v,
    );
}
