//! Sync (AirSync page): sync-key chaining, server changes, paging, idempotent
//! replay, empty/partial and hanging requests. Client commands are applied in
//! `sync_commands.rs`.

use std::time::Duration;

use eas_proto::sync::{ServerCommand, SyncCollection, SyncCollectionResponse, SyncRequest, SyncResponse};
use eas_proto::{Conflict, EasMessage, SyncStatus};
use wbxml::tags::airsync as air;
use wbxml::{Element, Node};

use super::sync_commands::{client_command, Env};
use super::{Ctx, Outcome};
use crate::normalize;
use crate::shared::Shared;
use crate::state::{Blob, Mailbox, Partnership, Pending, Replay};

const DEFAULT_WINDOW: usize = 100;
const MAX_WINDOW: usize = 512;

/// Handles `Sync`.
pub async fn sync(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let v = ctx.version;
    let merged = match resolve_request(shared, ctx, doc) {
        Ok(r) => r,
        Err(code) => return super::status_response("Sync", code),
    };
    let req = match SyncRequest::from_element(&merged, v) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!("bad Sync: {e}");
            return top_status(SyncStatus::ProtocolError, None, v);
        }
    };
    // Hanging Sync: Wait (minutes, 12.1+) or HeartbeatInterval (seconds, 14.0+).
    let wait = req
        .heartbeat_interval
        .map(u64::from)
        .or_else(|| req.wait.map(|m| u64::from(m) * 60));
    if let Some(secs) = wait {
        let (min, max) = (
            u64::from(shared.config.heartbeat_min),
            u64::from(shared.config.heartbeat_max),
        );
        if secs < min || secs > max {
            let limit = if secs < min { min } else { max };
            let limit = if req.wait.is_some() { limit.div_ceil(60) } else { limit };
            return top_status(SyncStatus::InvalidWaitOrHeartbeat, u32::try_from(limit).ok(), v);
        }
        if let Some(mut rx) = shared.subscribe(&ctx.user) {
            rx.borrow_and_update();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
            while !has_work(shared, ctx, &req) {
                match tokio::time::timeout_at(deadline, rx.changed()).await {
                    Ok(Ok(())) => continue,
                    _ => return Outcome::Empty,
                }
            }
        }
    }
    let (resp, changed) = shared.with_mailbox(&ctx.user, |mb| run(mb, ctx, &req));
    if changed {
        shared.changed(&ctx.user);
    } else {
        shared.save();
    }
    match resp {
        Some(r) => Outcome::Wbxml(r),
        None => Outcome::Empty,
    }
}

fn top_status(status: SyncStatus, limit: Option<u32>, v: eas_proto::ProtocolVersion) -> Outcome {
    let r = SyncResponse {
        status: Some(status),
        limit,
        collections: Vec::new(),
    };
    Outcome::Wbxml(r.to_element(v))
}

/// Builds the effective request: a full request is cached; an empty or partial
/// one is completed from the cache (status 13 when there is none).
fn resolve_request(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Result<Element, u16> {
    shared.with_mailbox(&ctx.user, |mb| {
        let dev = mb.device(&ctx.device_id);
        let partial = doc.as_ref().is_some_and(|d| d.find(air::PARTIAL).is_some());
        let colls_given = doc.as_ref().and_then(|d| d.find(air::COLLECTIONS)).is_some();
        if let Some(d) = doc.as_ref().filter(|d| d.tag != air::SYNC) {
            tracing::debug!("sync body with root {:?}", d.tag);
            return Err(4);
        }
        if !partial && colls_given {
            let d = doc.unwrap_or_else(|| Element::new(air::SYNC));
            dev.last_sync = Some(Blob(strip_commands(&d)));
            return Ok(d);
        }
        let Some(cached) = dev.last_sync.as_ref().map(|b| b.0.clone()) else {
            return Err(13);
        };
        let mut merged = Element::new(air::SYNC);
        let given = doc.as_ref().and_then(|d| d.find(air::COLLECTIONS));
        let mut colls = Element::new(air::COLLECTIONS);
        for c in cached
            .find(air::COLLECTIONS)
            .into_iter()
            .flat_map(|c| c.find_all(air::COLLECTION))
        {
            let id = c.child_text(air::COLLECTION_ID).unwrap_or_default();
            let replaced = given.and_then(|g| {
                g.find_all(air::COLLECTION)
                    .find(|x| x.child_text(air::COLLECTION_ID) == Some(id))
            });
            colls.push(with_current_key(dev.collections.get(id), replaced.unwrap_or(c)));
        }
        for g in given.into_iter().flat_map(|g| g.find_all(air::COLLECTION)) {
            let id = g.child_text(air::COLLECTION_ID).unwrap_or_default();
            if !colls
                .find_all(air::COLLECTION)
                .any(|c| c.child_text(air::COLLECTION_ID) == Some(id))
            {
                colls.push(with_current_key(dev.collections.get(id), g));
            }
        }
        merged.push(colls);
        let src = doc.as_ref().unwrap_or(&cached);
        for t in [air::WAIT, air::HEARTBEAT_INTERVAL, air::WINDOW_SIZE] {
            if let Some(e) = src.find(t).or_else(|| cached.find(t)) {
                merged.push(e.clone());
            }
        }
        dev.last_sync = Some(Blob(strip_commands(&merged)));
        Ok(merged)
    })
}

fn with_current_key(p: Option<&Partnership>, c: &Element) -> Element {
    let mut c = c.clone();
    if c.find(air::SYNC_KEY).is_none() {
        if let Some(p) = p {
            c.children
                .insert(0, Node::Element(Element::text_element(air::SYNC_KEY, p.key.clone())));
        }
    }
    c
}

fn strip_commands(d: &Element) -> Element {
    let mut d = d.clone();
    d.remove_all(air::PARTIAL);
    if let Some(cs) = d.find_mut(air::COLLECTIONS) {
        for c in cs.elements_mut() {
            c.remove_all(air::COMMANDS);
            c.remove_all(air::SYNC_KEY);
        }
    }
    d
}

/// Whether running the request now would produce anything (for hanging Syncs).
fn has_work(shared: &Shared, ctx: &Ctx, req: &SyncRequest) -> bool {
    shared.with_mailbox(&ctx.user, |mb| {
        if mb.hierarchy_stale(&ctx.device_id) {
            return true;
        }
        req.collections.iter().any(|c| {
            let id = c.collection_id.trim();
            match mb.devices.get(&ctx.device_id).and_then(|d| d.collections.get(id)) {
                Some(p) if p.key == c.sync_key.trim() => !c.commands.is_empty() || !mb.pending(id, &p.known).is_empty(),
                _ => true,
            }
        })
    })
}

/// Runs the whole request under the lock; returns the response (`None` = empty
/// body) and whether the mailbox changed.
fn run(mb: &mut Mailbox, ctx: &Ctx, req: &SyncRequest) -> (Option<Element>, bool) {
    let mut budget = req
        .window_size
        .map_or(MAX_WINDOW * 16, |w| (w as usize).clamp(1, MAX_WINDOW));
    let mut colls = Element::new(air::COLLECTIONS);
    let mut changed = false;
    for c in &req.collections {
        let (e, ch) = collection(mb, ctx, c, &mut budget);
        changed |= ch;
        colls.push(e);
    }
    if colls.is_empty() {
        return (None, changed);
    }
    (Some(Element::new(air::SYNC).with_child(colls)), changed)
}

/// Encodes one response collection as its `Collection` element.
fn encode_collection(c: SyncCollectionResponse, v: eas_proto::ProtocolVersion) -> Element {
    let doc = SyncResponse {
        status: None,
        limit: None,
        collections: vec![c],
    }
    .to_element(v);
    doc.find(air::COLLECTIONS)
        .and_then(|c| c.find(air::COLLECTION))
        .cloned()
        .unwrap_or_else(|| Element::new(air::COLLECTION))
}

fn coll_status(key: &str, id: &str, status: SyncStatus, v: eas_proto::ProtocolVersion) -> Element {
    encode_collection(SyncCollectionResponse::new(id, Some(key.to_owned()), status), v)
}

/// Answers every collection of the request with `code` (fault injection);
/// status 3 also drops the partnership as a real state loss would.
pub fn collection_fault(shared: &Shared, ctx: &Ctx, doc: Option<&Element>, code: u16) -> Outcome {
    let mut colls = Element::new(air::COLLECTIONS);
    shared.with_mailbox(&ctx.user, |mb| {
        for c in doc
            .and_then(|d| d.find(air::COLLECTIONS))
            .into_iter()
            .flat_map(|c| c.find_all(air::COLLECTION))
        {
            let id = c.child_text(air::COLLECTION_ID).unwrap_or_default().to_owned();
            let key = c.child_text(air::SYNC_KEY).unwrap_or("0").to_owned();
            if code == 3 {
                mb.device(&ctx.device_id).collections.remove(&id);
            }
            let key = if code == 3 { "0" } else { key.as_str() };
            colls.push(coll_status(
                key,
                &id,
                SyncStatus::from_code(u32::from(code)),
                ctx.version,
            ));
        }
    });
    Outcome::Wbxml(Element::new(air::SYNC).with_child(colls))
}

fn collection(mb: &mut Mailbox, ctx: &Ctx, c: &SyncCollection, budget: &mut usize) -> (Element, bool) {
    let v = ctx.version;
    let id = c.collection_id.trim().to_owned();
    let key = c.sync_key.trim().to_owned();
    let Some(folder) = mb.folders.get(&id).cloned() else {
        return (coll_status(&key, &id, SyncStatus::FolderHierarchyChanged, v), false);
    };
    if mb.hierarchy_stale(&ctx.device_id) {
        return (coll_status(&key, &id, SyncStatus::FolderHierarchyChanged, v), false);
    }
    if key == "0" {
        let supported = c
            .supported
            .as_ref()
            .map(|s| s.elements().map(|e| (e.tag.page, e.tag.token)).collect());
        let new_key = mb.next().to_string();
        let part = Partnership {
            key: new_key.clone(),
            supported,
            ..Partnership::default()
        };
        mb.device(&ctx.device_id).collections.insert(id.clone(), part);
        return (coll_status(&new_key, &id, SyncStatus::Success, v), false);
    }
    let Some(mut part) = mb
        .devices
        .get(&ctx.device_id)
        .and_then(|d| d.collections.get(&id))
        .cloned()
    else {
        return (coll_status("0", &id, SyncStatus::InvalidSyncKey, v), false);
    };
    if part.key != key {
        return match &part.replay {
            Some(r) if r.request_key == key => (r.response.0.clone(), false),
            _ => (coll_status("0", &id, SyncStatus::InvalidSyncKey, v), false),
        };
    }
    let server_wins = c.options.iter().find_map(|o| o.conflict) != Some(Conflict::ClientWins);
    let window = c
        .window_size
        .map_or(DEFAULT_WINDOW, |w| (w as usize).clamp(1, MAX_WINDOW));
    let class = folder.class();
    let mut responses = Vec::new();
    let mut uids = Vec::new();
    let mut changed = false;
    let env = Env {
        ctx,
        folder_id: &id,
        class,
        server_wins,
        deletes_as_moves: c.deletes_as_moves.unwrap_or(true),
    };
    for cmd in &c.commands {
        changed |= client_command(mb, &env, &mut part, cmd, &mut responses, &mut uids);
    }
    let mut commands = Vec::new();
    let mut more = false;
    if c.get_changes.unwrap_or(true) {
        let pending = mb.pending(&id, &part.known);
        let take = window.min(*budget);
        more = pending.len() > take;
        for p in pending.into_iter().take(take) {
            *budget = budget.saturating_sub(1);
            match p {
                Pending::Delete(sid) => {
                    part.known.remove(&sid);
                    commands.push(ServerCommand::Delete { server_id: sid });
                }
                Pending::Add(sid) | Pending::Change(sid) => {
                    let Some(item) = mb.items.get(&sid) else { continue };
                    let application_data = normalize::render(item.class, &item.data.0, v);
                    let known = part.known.insert(sid.clone(), item.modseq).is_some();
                    commands.push(if known {
                        ServerCommand::Change {
                            server_id: sid,
                            application_data,
                        }
                    } else {
                        ServerCommand::Add {
                            server_id: sid,
                            application_data,
                        }
                    });
                }
            }
        }
    }
    let new_key = mb.next().to_string();
    let mut resp = SyncCollectionResponse::new(id.clone(), Some(new_key.clone()), SyncStatus::Success);
    if v == eas_proto::ProtocolVersion::V12_1 {
        resp.class = Some(class.as_str().to_owned());
    }
    resp.more_available = more;
    resp.commands = commands;
    resp.responses = responses;
    let mut el = encode_collection(resp, v);
    attach_uids(&mut el, &uids);
    part.replay = Some(Replay {
        request_key: key,
        response: Blob(el.clone()),
    });
    part.key = new_key;
    mb.device(&ctx.device_id).collections.insert(id, part);
    (el, changed)
}

/// 16.x: the server-generated UID of a calendar Add goes back inside
/// `Responses/Add/ApplicationData` (MS-ASCAL 2.2.2.46).
fn attach_uids(coll: &mut Element, uids: &[(String, String)]) {
    let Some(resps) = coll.find_mut(air::RESPONSES) else {
        return;
    };
    for add in resps.elements_mut().filter(|e| e.tag == air::ADD) {
        let cid = add.child_text(air::CLIENT_ID).unwrap_or_default().to_owned();
        if let Some((_, uid)) = uids.iter().find(|(c, _)| *c == cid) {
            add.push(Element::new(air::APPLICATION_DATA).with_text_child(wbxml::tags::calendar::UID, uid.clone()));
        }
    }
}
