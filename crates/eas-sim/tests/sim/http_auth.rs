//! Transport: OPTIONS, path, versions, auth, user isolation.

use eas_proto::ProtocolVersion as V;
use reqwest::StatusCode;
use serde_json::json;
use wbxml::tags::{airsync as air, folder_hierarchy as fh};

use crate::common::*;

#[tokio::test]
async fn options_advertises_versions_and_commands_and_path_is_case_insensitive() {
    let sim = start().await;
    let url = sim
        .url()
        .replace("Microsoft-Server-ActiveSync", "microsoft-server-activesync");
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, url)
        .basic_auth("alice", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["MS-ASProtocolVersions"], "12.1,14.0,14.1,16.0,16.1");
    let cmds = r.headers()["MS-ASProtocolCommands"].to_str().unwrap().to_owned();
    for c in [
        "Sync",
        "FolderSync",
        "Ping",
        "Provision",
        "ItemOperations",
        "MoveItems",
        "GetItemEstimate",
    ] {
        assert!(cmds.split(',').any(|x| x == c), "{c} missing from {cmds}");
    }
    let r = reqwest::Client::new()
        .post(format!("{}/../Other", sim.url()))
        .basic_auth("alice", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn min_version_refuses_older_versions_like_exchange_online() {
    let sim = start_with(|c| c.min_version = V::V16_1).await;
    let r = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, sim.url())
        .basic_auth("alice", Some("secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["MS-ASProtocolVersions"], "16.1");
    let old = Eas::new(&sim, "alice", "secret", "d1", V::V14_1);
    let r = old
        .post(
            "FolderSync",
            Some(&wbxml::Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0")),
        )
        .await;
    assert_eq!(r.doc().child_text(fh::STATUS), Some("138"));
    let older = Eas::new(&sim, "alice", "secret", "d1", V::V12_1);
    assert_eq!(older.post("FolderSync", None).await.status, StatusCode::BAD_REQUEST);
    let mut new = Eas::new(&sim, "alice", "secret", "d1", V::V16_1);
    new.provision().await;
    assert_eq!(new.folder_sync("0").await.0, "1");
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_or_missing_credentials_get_401_with_challenges() {
    let sim = start().await;
    let c = reqwest::Client::new();
    let r = c
        .post(format!("{}?Cmd=FolderSync&DeviceId=x&DeviceType=y", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let challenges: Vec<_> = r
        .headers()
        .get_all("WWW-Authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(challenges.iter().any(|c| c.starts_with("Basic")), "{challenges:?}");
    assert!(challenges.iter().any(|c| c.starts_with("Bearer")), "{challenges:?}");
    let r = c
        .request(reqwest::Method::OPTIONS, sim.url())
        .basic_auth("alice", Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .request(reqwest::Method::OPTIONS, sim.url())
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .request(reqwest::Method::OPTIONS, sim.url())
        .bearer_auth("bob-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn users_never_see_each_others_data_even_with_a_forged_user_parameter() {
    let sim = start().await;
    let (_, folders) = control(&sim, reqwest::Method::GET, "/users/alice/folders", None).await;
    let cal_id = folders.as_array().unwrap().iter().find(|f| f["type"] == 8).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, created) = control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{cal_id}/items"),
        Some(json!({"Subject": "alice private", "StartTime": "20260101T100000Z", "EndTime": "20260101T110000Z"})),
    )
    .await;
    assert_eq!(s, 201);
    let alice_item = created["server_id"].as_str().unwrap().to_owned();
    // bob authenticates with his token but claims to be alice in the query.
    let mut bob = Eas::new(&sim, "bob", "pw", "bobdev", V::V16_1);
    bob.provision().await;
    let bob_cal = bob.folder_id(8).await;
    let (_, pulled) = bob.initial_sync(&bob_cal).await;
    assert!(commands(&pulled).is_empty(), "bob sees alice's item");
    let forged = reqwest::Client::new()
        .post(format!(
            "{}?Cmd=ItemOperations&User=alice&DeviceId=bobdev&DeviceType=T",
            sim.url()
        ))
        .bearer_auth("bob-token")
        .header("MS-ASProtocolVersion", "16.1")
        .header("X-MS-PolicyKey", bob.policy_key.unwrap().to_string())
        .body(wbxml::encode(
            &wbxml::Element::new(wbxml::tags::item_operations::ITEM_OPERATIONS).with_child(
                wbxml::Element::new(wbxml::tags::item_operations::FETCH)
                    .with_text_child(wbxml::tags::item_operations::STORE, "Mailbox")
                    .with_text_child(air::COLLECTION_ID, cal_id.clone())
                    .with_text_child(air::SERVER_ID, alice_item.clone()),
            ),
        ))
        .send()
        .await
        .unwrap();
    let doc = wbxml::decode(&forged.bytes().await.unwrap()).unwrap();
    let fetch = doc
        .find(wbxml::tags::item_operations::RESPONSE)
        .unwrap()
        .find(wbxml::tags::item_operations::FETCH)
        .unwrap();
    assert_ne!(fetch.child_text(wbxml::tags::item_operations::STATUS), Some("1"));
    assert!(!format!("{doc:?}").contains("alice private"));
    sim.shutdown().await;
}

#[tokio::test]
async fn hostile_requests_get_http_errors_not_panics() {
    let sim = start().await;
    let mut e = Eas::new(&sim, "alice", "secret", "d", V::V16_1);
    e.provision().await;
    let c = reqwest::Client::new();
    let post = |query: &str, body: Vec<u8>, version: &str| {
        c.post(format!("{}?{query}", sim.url()))
            .basic_auth("alice", Some("secret"))
            .header("MS-ASProtocolVersion", version)
            .header("X-MS-PolicyKey", e.policy_key.unwrap().to_string())
            .body(body)
            .send()
    };
    let q = "Cmd=Sync&User=alice&DeviceId=d&DeviceType=T";
    // Truncated / garbage WBXML.
    assert_eq!(
        post(q, vec![0x03, 0x01, 0x6a, 0x00, 0x45, 0x5c], "16.1")
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post(q, b"<xml/>".to_vec(), "16.1").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // Unknown version string, missing DeviceId, unknown command, base64 garbage.
    assert_eq!(
        post(q, Vec::new(), "9.9").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("Cmd=Sync&User=alice", Vec::new(), "16.1").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("Cmd=Explode&DeviceId=d&DeviceType=T", Vec::new(), "16.1")
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post("AAAA", Vec::new(), "16.1").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // A known command the simulator does not implement.
    assert_eq!(
        post("Cmd=SendMail&DeviceId=d&DeviceType=T", Vec::new(), "16.1")
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_IMPLEMENTED
    );
    // A well-formed document with the wrong root for the command: protocol error status.
    let wrong = wbxml::encode(&wbxml::Element::new(fh::FOLDER_SYNC).with_text_child(fh::SYNC_KEY, "0"));
    let r = post(q, wrong, "16.1").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc = wbxml::decode(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(doc.child_text(air::STATUS), Some("4"));
    // The simulator still works afterwards.
    assert_eq!(e.folder_sync("0").await.0, "1");
    sim.shutdown().await;
}
