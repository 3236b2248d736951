//! Write-through details: conflicts (server wins / client wins), 16.x occurrence edits, 14.1.

use std::time::Duration;

use dav_server::backend::{Backend, BackendError, CollectionKind, Format, Home, WriteCondition};
use eas_proto::ProtocolVersion;
use reqwest::Method;
use serde_json::json;
use sync_engine::ConflictPolicy;

use crate::common::*;

const SERIES: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260406T090000Z\r\nDTEND:20260406T100000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\nEXDATE:20260408T090000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:series-1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID:20260407T090000Z\r\nDTSTART:20260407T110000Z\r\nDTEND:20260407T120000Z\r\nSUMMARY:Standup (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

async fn calendar(env: &Env) -> String {
    let cals = env.backend.list_collections(USER, Home::Calendars).await.unwrap();
    cals.iter()
        .find(|c| c.kind == CollectionKind::Calendar)
        .unwrap()
        .id
        .clone()
}

/// Disables push so the mirror only changes when the test says so.
async fn no_push(env: &Env) {
    env.control(
        Method::POST,
        "/faults",
        Some(json!({"action": {"kind": "status", "status": 8}, "command": "Ping"})),
    )
    .await;
}

#[tokio::test]
async fn conflict_server_wins_refreshes_the_mirror() {
    let env = env(|_| {}, |c| c.staleness = Duration::from_secs(3600)).await;
    no_push(&env).await;
    env.login().await;
    let cal = calendar(&env).await;
    let put = env
        .backend
        .put_resource(USER, &cal, "c.ics", &ics("c-1", "Mine"), WriteCondition::None)
        .await
        .unwrap();
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    let sid = items[0]["server_id"].as_str().unwrap().to_owned();
    env.control(
        Method::PUT,
        &format!("/users/{USER}/items/{sid}"),
        Some(json!({"merge": true, "data": {"Subject": "Theirs"}})),
    )
    .await;
    let res = env
        .backend
        .put_resource(
            USER,
            &cal,
            "c.ics",
            &ics("c-1", "Mine again"),
            WriteCondition::IfMatch(put.etag.clone()),
        )
        .await;
    assert!(matches!(res, Err(BackendError::Conflict(_))), "{res:?}");
    let got = env
        .backend
        .get_resources(USER, &cal, Some(&["c.ics".to_owned()]), Format::ICalendar)
        .await
        .unwrap();
    assert!(
        got[0].body.contains("SUMMARY:Theirs"),
        "mirror refreshed with the server's version: {}",
        got[0].body
    );
    let item = env
        .control(Method::GET, &format!("/users/{USER}/items/{sid}"), None)
        .await;
    assert_eq!(item["data"]["Calendar:Subject"], "Theirs");
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn conflict_client_wins_when_configured() {
    let env = env(
        |_| {},
        |c| {
            c.staleness = Duration::from_secs(3600);
            c.conflict = ConflictPolicy::ClientWins;
        },
    )
    .await;
    no_push(&env).await;
    env.login().await;
    let cal = calendar(&env).await;
    let put = env
        .backend
        .put_resource(USER, &cal, "c.ics", &ics("c-1", "Mine"), WriteCondition::None)
        .await
        .unwrap();
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    let sid = items[0]["server_id"].as_str().unwrap().to_owned();
    env.control(
        Method::PUT,
        &format!("/users/{USER}/items/{sid}"),
        Some(json!({"merge": true, "data": {"Subject": "Theirs"}})),
    )
    .await;
    env.backend
        .put_resource(
            USER,
            &cal,
            "c.ics",
            &ics("c-1", "Mine again"),
            WriteCondition::IfMatch(put.etag.clone()),
        )
        .await
        .unwrap();
    let item = env
        .control(Method::GET, &format!("/users/{USER}/items/{sid}"), None)
        .await;
    assert_eq!(item["data"]["Calendar:Subject"], "Mine again");
    env.engine.sync_all(USER).await.unwrap();
    env.check_mirror().await;
    env.engine.shutdown().await;
}

async fn series_round_trip(pin: Option<ProtocolVersion>) {
    let env = env(|_| {}, |c| c.version_pin = pin).await;
    env.login().await;
    let cal = calendar(&env).await;
    env.backend
        .put_resource(USER, &cal, "series.ics", SERIES, WriteCondition::MustNotExist)
        .await
        .unwrap();
    let sim_cal = env.sim_folder(8).await;
    let items = env
        .control(Method::GET, &format!("/users/{USER}/folders/{sim_cal}/items"), None)
        .await;
    assert_eq!(items.as_array().unwrap().len(), 1, "one series item upstream");
    let data = &items[0]["data"];
    assert_eq!(data["Calendar:Subject"], "Standup");
    let exceptions = data["Calendar:Exceptions"].to_string();
    assert!(
        exceptions.contains("Standup (moved)"),
        "override upstream: {exceptions}"
    );
    assert!(
        exceptions.contains("Deleted"),
        "cancelled occurrence upstream: {exceptions}"
    );
    let got = env
        .backend
        .get_resources(USER, &cal, Some(&["series.ics".to_owned()]), Format::ICalendar)
        .await
        .unwrap();
    assert!(
        got[0].body.contains("RECURRENCE-ID"),
        "override served back: {}",
        got[0].body
    );
    env.check_mirror().await;
    env.engine.shutdown().await;
}

#[tokio::test]
async fn recurring_series_with_override_and_exdate_at_16_1() {
    series_round_trip(None).await;
}

#[tokio::test]
async fn recurring_series_with_override_and_exdate_at_14_1() {
    series_round_trip(Some(ProtocolVersion::V14_1)).await;
}
