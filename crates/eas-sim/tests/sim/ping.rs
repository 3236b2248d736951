//! Ping: bounds, folder list, wake-up on change, expiry, cached parameters.

use std::time::Duration;

use eas_proto::ProtocolVersion as V;
use serde_json::json;
use wbxml::tags::ping as png;
use wbxml::Element;

use crate::common::*;

fn ping(hb: Option<u32>, folders: &[(&str, &str)]) -> Element {
    let mut p = Element::new(png::PING);
    if let Some(h) = hb {
        p.push_text(png::HEARTBEAT_INTERVAL, h.to_string());
    }
    if !folders.is_empty() {
        let mut fs = Element::new(png::FOLDERS);
        for (id, class) in folders {
            fs.push(
                Element::new(png::FOLDER)
                    .with_text_child(png::ID, *id)
                    .with_text_child(png::CLASS, *class),
            );
        }
        p.push(fs);
    }
    p
}

#[tokio::test]
async fn heartbeat_out_of_bounds_gets_status_5_with_the_limit() {
    let sim = start_with(|c| {
        c.heartbeat_min = 60;
        c.heartbeat_max = 3540;
    })
    .await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let cal = e.folder_id(8).await;
    let r = e.post("Ping", Some(&ping(Some(10), &[(&cal, "Calendar")]))).await;
    assert_eq!(
        (
            r.doc().child_text(png::STATUS),
            r.doc().child_text(png::HEARTBEAT_INTERVAL)
        ),
        (Some("5"), Some("60"))
    );
    let r = e.post("Ping", Some(&ping(Some(4000), &[(&cal, "Calendar")]))).await;
    assert_eq!(
        (
            r.doc().child_text(png::STATUS),
            r.doc().child_text(png::HEARTBEAT_INTERVAL)
        ),
        (Some("5"), Some("3540"))
    );
    // No cached parameters yet: an empty Ping is status 3.
    let e2 = device(&sim, "alice", "secret", "d2", V::V14_1).await;
    assert_eq!(e2.post("Ping", None).await.doc().child_text(png::STATUS), Some("3"));
    sim.shutdown().await;
}

#[tokio::test]
async fn ping_returns_2_with_the_folder_when_the_control_api_changes_an_item() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V16_1).await;
    let cal = e.folder_id(8).await;
    let con = e.folder_id(9).await;
    e.initial_sync(&cal).await;
    e.initial_sync(&con).await;
    let body = ping(Some(300), &[(&cal, "Calendar"), (&con, "Contacts")]);
    let pending = tokio::spawn({
        let e = Eas {
            http: e.http.clone(),
            url: e.url.clone(),
            user: e.user.clone(),
            password: e.password.clone(),
            device: e.device.clone(),
            version: e.version,
            policy_key: e.policy_key,
        };
        async move { e.post("Ping", Some(&body)).await }
    });
    // Wait (bounded) until the Ping is registered, then change a contact.
    for _ in 0..200 {
        let (_, devs) = control(&sim, reqwest::Method::GET, "/users/alice/devices", None).await;
        if !devs[0]["ping"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!pending.is_finished(), "ping returned before any change");
    let (s, _) = control(
        &sim,
        reqwest::Method::POST,
        &format!("/users/alice/folders/{con}/items"),
        Some(json!({"FirstName": "Wake"})),
    )
    .await;
    assert_eq!(s, 201);
    let r = tokio::time::timeout(Duration::from_secs(30), pending)
        .await
        .expect("ping answered")
        .unwrap();
    assert_eq!(r.doc().child_text(png::STATUS), Some("2"));
    let ids: Vec<String> = r
        .doc()
        .find(png::FOLDERS)
        .unwrap()
        .find_all(png::FOLDER)
        .map(|f| f.text().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids, vec![con.clone()]);
    // Still unsynced: an empty-body Ping (cached folders) answers 2 at once.
    let r = e.post("Ping", None).await;
    assert_eq!(r.doc().child_text(png::STATUS), Some("2"));
    sim.shutdown().await;
}

#[tokio::test]
async fn ping_expires_with_status_1() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let cal = e.folder_id(8).await;
    e.initial_sync(&cal).await;
    let r = e.post("Ping", Some(&ping(Some(1), &[(&cal, "Calendar")]))).await;
    assert_eq!(r.doc().child_text(png::STATUS), Some("1"));
    // The folder list is remembered for the next empty Ping.
    let r = e.post("Ping", None).await;
    assert_eq!(r.doc().child_text(png::STATUS), Some("1"));
    sim.shutdown().await;
}

#[tokio::test]
async fn a_new_ping_from_the_same_device_ends_the_previous_one() {
    let sim = start().await;
    let e = device(&sim, "alice", "secret", "d", V::V14_1).await;
    let cal = e.folder_id(8).await;
    e.initial_sync(&cal).await;
    let first = tokio::spawn({
        let e = Eas {
            http: e.http.clone(),
            url: e.url.clone(),
            user: e.user.clone(),
            password: e.password.clone(),
            device: e.device.clone(),
            version: e.version,
            policy_key: e.policy_key,
        };
        let body = ping(Some(600), &[(&cal, "Calendar")]);
        async move { e.post("Ping", Some(&body)).await }
    });
    for _ in 0..500 {
        let (_, devs) = control(&sim, reqwest::Method::GET, "/users/alice/devices", None).await;
        if !devs[0]["ping"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // The second Ping (short heartbeat) supersedes the first, which answers 1 at once.
    let second = e.post("Ping", Some(&ping(Some(1), &[(&cal, "Calendar")]))).await;
    assert_eq!(second.doc().child_text(png::STATUS), Some("1"));
    let r = tokio::time::timeout(Duration::from_secs(30), first)
        .await
        .expect("first ping ended")
        .unwrap();
    assert_eq!(r.doc().child_text(png::STATUS), Some("1"));
    sim.shutdown().await;
}
