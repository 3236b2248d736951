//! The JSON control API on its own loopback listener (documented in docs/simulator.md).
//!
//! Changes made here behave as if another device of the user made them: every
//! partnership sees them as server-side Commands and Pings wake up.

use std::sync::Arc;

use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use serde_json::{json, Value};
use wbxml::tags::airsync;

use crate::cmd::with_owner;
use crate::faults::FaultRule;
use crate::json;
use crate::normalize::{self, Refused};
use crate::server::{full, Body};
use crate::shared::Shared;
use crate::state::{folder_type, Mailbox, WipeState};

use eas_proto::ProtocolVersion;

/// Handles one control request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Response<Body> {
    let method = req.method().clone();
    let path: Vec<String> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let body = match Limited::new(req.into_body(), 4 * 1024 * 1024).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return reply(StatusCode::PAYLOAD_TOO_LARGE, json!({"error": "body too large"})),
    };
    let input: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return reply(StatusCode::BAD_REQUEST, json!({"error": format!("invalid JSON: {e}")})),
        }
    };
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    let (code, v) = route(&shared, &method, &p, &input);
    reply(code, v)
}

type Answer = (StatusCode, Value);

fn route(shared: &Shared, m: &Method, p: &[&str], input: &Value) -> Answer {
    match (m, p) {
        (&Method::GET, ["health"]) => ok(json!({"ok": true})),
        (&Method::GET, ["users"]) => users(shared),
        (&Method::GET, ["counters"]) => ok(json!(shared
            .faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .counters())),
        (&Method::GET, ["faults"]) => ok(json!(shared.faults.lock().unwrap_or_else(|p| p.into_inner()).list())),
        (&Method::POST, ["faults"]) => add_fault(shared, None, input),
        (&Method::DELETE, ["faults"]) => {
            shared.faults.lock().unwrap_or_else(|p| p.into_inner()).clear(None);
            ok(json!({"cleared": true}))
        }
        (&Method::DELETE, ["faults", id]) => {
            let removed = id
                .parse::<u64>()
                .is_ok_and(|id| shared.faults.lock().unwrap_or_else(|p| p.into_inner()).remove(id));
            if removed {
                ok(json!({"removed": true}))
            } else {
                not_found("fault")
            }
        }
        (_, ["users", user, rest @ ..]) => {
            if !shared.config.users.iter().any(|u| u.name == *user) {
                return not_found("user");
            }
            user_route(shared, m, user, rest, input)
        }
        _ => not_found("route"),
    }
}

fn user_route(shared: &Shared, m: &Method, user: &str, p: &[&str], input: &Value) -> Answer {
    match (m, p) {
        (&Method::GET, ["counters"]) => {
            let f = shared.faults.lock().unwrap_or_else(|p| p.into_inner());
            ok(json!(f.counters().get(user).cloned().unwrap_or_default()))
        }
        (&Method::POST, ["faults"]) => add_fault(shared, Some(user), input),
        (&Method::DELETE, ["faults"]) => {
            shared.faults.lock().unwrap_or_else(|p| p.into_inner()).clear(Some(user));
            ok(json!({"cleared": true}))
        }
        (&Method::GET, ["folders"]) => shared.with_mailbox(user, |mb| ok(folders(mb))),
        (&Method::POST, ["folders"]) => mutate(shared, user, |mb| create_folder(mb, input)),
        (&Method::DELETE, ["folders", id]) => mutate(shared, user, |mb| {
            if !mb.folders.contains_key(*id) {
                return not_found("folder");
            }
            mb.delete_folder(id);
            ok(json!({"deleted": id}))
        }),
        (&Method::GET, ["folders", id, "items"]) => shared.with_mailbox(user, |mb| {
            if !mb.folders.contains_key(*id) {
                return not_found("folder");
            }
            ok(Value::Array(mb.items_in(id).map(item_json).collect()))
        }),
        (&Method::POST, ["folders", id, "items"]) => mutate(shared, user, |mb| add_item(mb, user, id, input)),
        (&Method::GET, ["items", id]) => shared.with_mailbox(user, |mb| match mb.items.get(*id) {
            Some(it) => ok(item_json(it)),
            None => not_found("item"),
        }),
        (&Method::PUT, ["items", id]) => mutate(shared, user, |mb| change_item(mb, user, id, input)),
        (&Method::DELETE, ["items", id]) => mutate(shared, user, |mb| match mb.remove_item(id) {
            Some(_) => ok(json!({"deleted": id})),
            None => not_found("item"),
        }),
        (&Method::GET, ["devices"]) => shared.with_mailbox(user, |mb| {
            ok(Value::Array(
                mb.devices
                    .values()
                    .map(|d| {
                        json!({
                            "id": d.id,
                            "device_type": d.device_type,
                            "provisioned": d.policy_key.is_some(),
                            "policy_key": d.policy_key,
                            "wipe": d.wipe,
                            "info": d.info,
                            "collections": d.collections.iter().map(|(k, p)| (k.clone(), p.key.clone())).collect::<std::collections::BTreeMap<_, _>>(),
                            "hierarchy_key": d.hierarchy.as_ref().map(|h| h.key.clone()),
                            "ping": d.ping.as_ref().map(|p| json!({"heartbeat": p.heartbeat, "folders": p.folders})),
                        })
                    })
                    .collect(),
            ))
        }),
        (&Method::POST, ["devices", id, "wipe"]) => mutate(shared, user, |mb| {
            let d = mb.device(id);
            d.wipe = WipeState::Ordered;
            ok(json!({"device": id, "wipe": d.wipe}))
        }),
        (&Method::DELETE, ["devices", id]) => mutate(shared, user, |mb| match mb.devices.remove(*id) {
            Some(_) => ok(json!({"deleted": id})),
            None => not_found("device"),
        }),
        _ => not_found("route"),
    }
}

fn mutate(shared: &Shared, user: &str, f: impl FnOnce(&mut Mailbox) -> Answer) -> Answer {
    let r = shared.with_mailbox(user, f);
    if r.0.is_success() {
        shared.changed(user);
    }
    r
}

fn users(shared: &Shared) -> Answer {
    let counters = shared
        .faults
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .counters()
        .clone();
    let list: Vec<Value> = shared
        .config
        .users
        .iter()
        .map(|u| {
            shared.with_mailbox(&u.name, |mb| {
                json!({
                    "name": u.name,
                    "email": crate::cmd::owner_email(&u.name),
                    "folders": mb.folders.len(),
                    "items": mb.items.len(),
                    "devices": mb.devices.keys().collect::<Vec<_>>(),
                    "counters": counters.get(&u.name).cloned().unwrap_or_default(),
                })
            })
        })
        .collect();
    ok(Value::Array(list))
}

fn folders(mb: &Mailbox) -> Value {
    Value::Array(
        mb.folders
            .values()
            .map(|f| {
                json!({
                    "id": f.id,
                    "parent_id": f.parent_id,
                    "name": f.name,
                    "type": f.folder_type,
                    "class": f.class().as_str(),
                    "items": mb.items_in(&f.id).count(),
                })
            })
            .collect(),
    )
}

fn item_json(it: &crate::state::Item) -> Value {
    json!({
        "server_id": it.server_id,
        "folder_id": it.folder_id,
        "class": it.class.as_str(),
        "data": json::to_json(&it.data.0),
        "xml": wbxml::to_xml(&it.data.0),
    })
}

fn create_folder(mb: &mut Mailbox, input: &Value) -> Answer {
    let name = input.get("name").and_then(Value::as_str).unwrap_or_default();
    let parent = input.get("parent_id").and_then(Value::as_str).unwrap_or("0");
    let t = input
        .get("type")
        .and_then(Value::as_u64)
        .unwrap_or(u64::from(folder_type::USER_CALENDAR));
    let Ok(t) = u8::try_from(t) else {
        return bad("type out of range");
    };
    if name.is_empty() {
        return bad("name required");
    }
    if parent != "0" && !mb.folders.contains_key(parent) {
        return bad("parent folder not found");
    }
    let id = mb.create_folder(parent, name, t);
    (StatusCode::CREATED, json!({"id": id}))
}

fn add_item(mb: &mut Mailbox, user: &str, folder_id: &str, input: &Value) -> Answer {
    let Some(folder) = mb.folders.get(folder_id) else {
        return not_found("folder");
    };
    let class = folder.class();
    let app = match input_data(class, input) {
        Ok(a) => a,
        Err(e) => return bad(&e),
    };
    // The control API writes as an Exchange-side (Outlook-like) client: 14.1 rules,
    // so UID and exceptions may be given.
    let norm = with_owner(user, |o| {
        normalize::normalize_new(class, &app, ProtocolVersion::V14_1, o)
    });
    match norm {
        Ok(n) => {
            let id = mb.insert_item(folder_id, class, n.data, n.client_uid);
            (StatusCode::CREATED, json!({"server_id": id}))
        }
        Err(Refused(code)) => bad(&format!("item refused with status {code}")),
    }
}

fn change_item(mb: &mut Mailbox, user: &str, id: &str, input: &Value) -> Answer {
    let Some(item) = mb.items.get(id).cloned() else {
        return not_found("item");
    };
    let app = match input_data(item.class, input) {
        Ok(a) => a,
        Err(e) => return bad(&e),
    };
    let merge = input.get("merge").and_then(Value::as_bool).unwrap_or(false);
    let supported: Option<Vec<(u8, u8)>> = merge.then(|| app.elements().map(|e| (e.tag.page, e.tag.token)).collect());
    let new = with_owner(user, |o| {
        normalize::normalize_change(
            item.class,
            &item.data.0,
            &app,
            ProtocolVersion::V14_1,
            supported.as_deref(),
            o,
        )
    });
    match new {
        Ok(d) => {
            mb.update_item(id, d);
            ok(json!({"server_id": id}))
        }
        Err(Refused(code)) => bad(&format!("change refused with status {code}")),
    }
}

/// The item data of a control request: `{"xml": "<ApplicationData ...>"}` or JSON (`data` or the body itself).
fn input_data(class: crate::state::ItemClass, input: &Value) -> Result<wbxml::Element, String> {
    if let Some(xml) = input.get("xml").and_then(Value::as_str) {
        let el = wbxml::from_xml(xml).map_err(|e| format!("invalid xml: {e}"))?;
        if el.tag != airsync::APPLICATION_DATA {
            return Err("xml root must be AirSync ApplicationData".into());
        }
        return Ok(el);
    }
    json::from_json(airsync::APPLICATION_DATA, class, input.get("data").unwrap_or(input))
}

fn add_fault(shared: &Shared, user: Option<&str>, input: &Value) -> Answer {
    let mut rule: FaultRule = match serde_json::from_value(input.clone()) {
        Ok(r) => r,
        Err(e) => return bad(&format!("invalid fault rule: {e}")),
    };
    if let Some(u) = user {
        rule.user = Some(u.to_owned());
    }
    let id = shared.faults.lock().unwrap_or_else(|p| p.into_inner()).add(rule);
    (StatusCode::CREATED, json!({"id": id}))
}

fn ok(v: Value) -> Answer {
    (StatusCode::OK, v)
}

fn bad(msg: &str) -> Answer {
    (StatusCode::BAD_REQUEST, json!({"error": msg}))
}

fn not_found(what: &str) -> Answer {
    (StatusCode::NOT_FOUND, json!({"error": format!("{what} not found")}))
}

fn reply(code: StatusCode, v: Value) -> Response<Body> {
    let mut r = Response::new(full(v.to_string()));
    *r.status_mut() = code;
    r.headers_mut()
        .insert("Content-Type", http::HeaderValue::from_static("application/json"));
    r
}
