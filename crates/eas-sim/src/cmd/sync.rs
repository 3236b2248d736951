//! Sync (AirSync page): sync-key chaining, client commands, server changes,
//! paging, conflicts, idempotent replay, empty/partial and hanging requests.

use std::time::Duration;

use wbxml::tags::{airsync as air, airsyncbase as asb, calendar as cal};
use wbxml::{Element, Node};

use eas_proto::ProtocolVersion;

use super::{flag, with_owner, Ctx, Outcome};
use crate::normalize::{self, Refused};
use crate::shared::Shared;
use crate::state::{folder_type, Blob, ItemClass, Mailbox, Partnership, Pending, Replay};

const DEFAULT_WINDOW: usize = 100;
const MAX_WINDOW: usize = 512;

/// Handles `Sync`.
pub async fn sync(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let req = match resolve_request(shared, ctx, doc) {
        Ok(r) => r,
        Err(code) => return super::status_response("Sync", code),
    };
    // Hanging Sync: Wait (minutes, 12.1+) or HeartbeatInterval (seconds, 14.0+).
    let wait = req
        .child_text(air::HEARTBEAT_INTERVAL)
        .and_then(|s| s.trim().parse::<u64>().ok())
        .or_else(|| {
            req.child_text(air::WAIT)
                .and_then(|s| s.trim().parse::<u64>().ok())
                .map(|m| m * 60)
        });
    if let Some(secs) = wait {
        let (min, max) = (
            u64::from(shared.config.heartbeat_min),
            u64::from(shared.config.heartbeat_max),
        );
        if secs < min || secs > max {
            let limit = if secs < min { min } else { max };
            let limit = if req.find(air::WAIT).is_some() {
                limit / 60
            } else {
                limit
            };
            return Outcome::Wbxml(
                Element::new(air::SYNC)
                    .with_text_child(air::STATUS, "14")
                    .with_text_child(air::LIMIT, limit.to_string()),
            );
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
fn has_work(shared: &Shared, ctx: &Ctx, req: &Element) -> bool {
    shared.with_mailbox(&ctx.user, |mb| {
        if mb.hierarchy_stale(&ctx.device_id) {
            return true;
        }
        req.find(air::COLLECTIONS)
            .into_iter()
            .flat_map(|c| c.find_all(air::COLLECTION))
            .any(|c| {
                let id = c.child_text(air::COLLECTION_ID).unwrap_or_default();
                let key = c.child_text(air::SYNC_KEY).unwrap_or_default();
                match mb.devices.get(&ctx.device_id).and_then(|d| d.collections.get(id)) {
                    Some(p) if p.key == key => c.find(air::COMMANDS).is_some() || !mb.pending(id, &p.known).is_empty(),
                    _ => true,
                }
            })
    })
}

/// Runs the whole request under the lock; returns the response (`None` = empty
/// body) and whether the mailbox changed.
fn run(mb: &mut Mailbox, ctx: &Ctx, req: &Element) -> (Option<Element>, bool) {
    let mut budget = req
        .child_text(air::WINDOW_SIZE)
        .and_then(|w| w.trim().parse::<usize>().ok())
        .map_or(MAX_WINDOW * 16, |w| w.clamp(1, MAX_WINDOW));
    let mut colls = Element::new(air::COLLECTIONS);
    let mut changed = false;
    for c in req
        .find(air::COLLECTIONS)
        .into_iter()
        .flat_map(|c| c.find_all(air::COLLECTION))
    {
        let (e, ch) = collection(mb, ctx, c, &mut budget);
        changed |= ch;
        colls.push(e);
    }
    if colls.is_empty() {
        return (None, changed);
    }
    (Some(Element::new(air::SYNC).with_child(colls)), changed)
}

fn coll_status(key: &str, id: &str, code: u16) -> Element {
    Element::new(air::COLLECTION)
        .with_text_child(air::SYNC_KEY, key)
        .with_text_child(air::COLLECTION_ID, id)
        .with_text_child(air::STATUS, code.to_string())
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
            colls.push(coll_status(if code == 3 { "0" } else { &key }, &id, code));
        }
    });
    Outcome::Wbxml(Element::new(air::SYNC).with_child(colls))
}

fn collection(mb: &mut Mailbox, ctx: &Ctx, c: &Element, budget: &mut usize) -> (Element, bool) {
    let id = c.child_text(air::COLLECTION_ID).unwrap_or_default().trim().to_owned();
    let key = c.child_text(air::SYNC_KEY).unwrap_or_default().trim().to_owned();
    let Some(folder) = mb.folders.get(&id).cloned() else {
        return (coll_status(&key, &id, 12), false);
    };
    if mb.hierarchy_stale(&ctx.device_id) {
        return (coll_status(&key, &id, 12), false);
    }
    if key == "0" {
        let supported = c
            .find(air::SUPPORTED)
            .map(|s| s.elements().map(|e| (e.tag.page, e.tag.token)).collect());
        let new_key = mb.next().to_string();
        let part = Partnership {
            key: new_key.clone(),
            supported,
            ..Partnership::default()
        };
        mb.device(&ctx.device_id).collections.insert(id.clone(), part);
        return (coll_status(&new_key, &id, 1), false);
    }
    let Some(mut part) = mb
        .devices
        .get(&ctx.device_id)
        .and_then(|d| d.collections.get(&id))
        .cloned()
    else {
        return (coll_status("0", &id, 3), false);
    };
    if part.key != key {
        return match &part.replay {
            Some(r) if r.request_key == key => (r.response.0.clone(), false),
            _ => (coll_status("0", &id, 3), false),
        };
    }
    let opts = c.find(air::OPTIONS);
    let server_wins = opts.and_then(|o| o.child_text(air::CONFLICT)).map(str::trim) != Some("0");
    let deletes_as_moves = flag(c, air::DELETES_AS_MOVES, true);
    let get_changes = flag(c, air::GET_CHANGES, true);
    let window = c
        .child_text(air::WINDOW_SIZE)
        .and_then(|w| w.trim().parse::<usize>().ok())
        .map_or(DEFAULT_WINDOW, |w| w.clamp(1, MAX_WINDOW));
    let class = folder.class();
    let mut responses = Element::new(air::RESPONSES);
    let mut changed = false;
    if let Some(cmds) = c.find(air::COMMANDS) {
        for cmd in cmds.elements() {
            let env = Env {
                ctx,
                folder_id: &id,
                class,
                server_wins,
                deletes_as_moves,
            };
            changed |= client_command(mb, &env, &mut part, cmd, &mut responses);
        }
    }
    let mut commands = Element::new(air::COMMANDS);
    let mut more = false;
    if get_changes {
        let pending = mb.pending(&id, &part.known);
        let take = window.min(*budget);
        more = pending.len() > take;
        for p in pending.into_iter().take(take) {
            *budget = budget.saturating_sub(1);
            match p {
                Pending::Delete(sid) => {
                    part.known.remove(&sid);
                    commands.push(Element::new(air::DELETE).with_text_child(air::SERVER_ID, sid));
                }
                Pending::Add(sid) | Pending::Change(sid) => {
                    let Some(item) = mb.items.get(&sid) else { continue };
                    let tag = if part.known.contains_key(&sid) {
                        air::CHANGE
                    } else {
                        air::ADD
                    };
                    part.known.insert(sid.clone(), item.modseq);
                    commands.push(
                        Element::new(tag)
                            .with_text_child(air::SERVER_ID, sid)
                            .with_child(normalize::render(item.class, &item.data.0, ctx.version)),
                    );
                }
            }
        }
    }
    let new_key = mb.next().to_string();
    let mut resp = coll_status(&new_key, &id, 1);
    if ctx.version == ProtocolVersion::V12_1 {
        resp.children
            .insert(0, Node::Element(Element::text_element(air::CLASS, class.as_str())));
    }
    if more {
        resp.push(Element::new(air::MORE_AVAILABLE));
    }
    if !commands.is_empty() {
        resp.push(commands);
    }
    if !responses.is_empty() {
        resp.push(responses);
    }
    part.replay = Some(Replay {
        request_key: key,
        response: Blob(resp.clone()),
    });
    part.key = new_key;
    mb.device(&ctx.device_id).collections.insert(id, part);
    (resp, changed)
}

struct Env<'a> {
    ctx: &'a Ctx,
    folder_id: &'a str,
    class: ItemClass,
    server_wins: bool,
    deletes_as_moves: bool,
}

/// Applies one client command; returns whether the mailbox changed.
fn client_command(mb: &mut Mailbox, env: &Env<'_>, part: &mut Partnership, cmd: &Element, out: &mut Element) -> bool {
    let v = env.ctx.version;
    let sid = cmd.child_text(air::SERVER_ID).unwrap_or_default().trim().to_owned();
    let instance = cmd
        .child_text(asb::INSTANCE_ID)
        .filter(|_| v.is_16())
        .map(str::to_owned);
    let item = mb.items.get(&sid).filter(|i| i.folder_id == env.folder_id).cloned();
    let fail = |tag, code: u16| {
        Element::new(tag)
            .with_text_child(air::SERVER_ID, sid.clone())
            .with_text_child(air::STATUS, code.to_string())
    };
    match cmd.tag {
        t if t == air::ADD => {
            let client_id = cmd.child_text(air::CLIENT_ID).unwrap_or_default().to_owned();
            let reply = |code: u16, server_id: Option<&str>| {
                Element::new(air::ADD)
                    .with_text_child(air::CLIENT_ID, client_id.clone())
                    .with_opt_text_child(air::SERVER_ID, server_id)
                    .with_text_child(air::STATUS, code.to_string())
            };
            let Some(app) = cmd.find(air::APPLICATION_DATA) else {
                out.push(reply(6, None));
                return false;
            };
            let norm = with_owner(&env.ctx.user, |o| normalize::normalize_new(env.class, app, v, o));
            let n = match norm {
                Ok(n) => n,
                Err(Refused(code)) => {
                    out.push(reply(code.into(), None));
                    return false;
                }
            };
            // 16.x ClientUid de-duplicates calendar adds (MS-ASCAL 2.2.2.13).
            let dup = n.client_uid.as_ref().and_then(|cu| {
                mb.items_in(env.folder_id)
                    .find(|i| i.client_uid.as_deref() == Some(cu.as_str()))
                    .map(|i| (i.server_id.clone(), i.modseq))
            });
            let (new_id, seq, created) = match dup {
                Some((id, seq)) => (id, seq, false),
                None => {
                    let id = mb.insert_item(env.folder_id, env.class, n.data, n.client_uid);
                    let seq = mb.items.get(&id).map(|i| i.modseq).unwrap_or_default();
                    (id, seq, true)
                }
            };
            part.known.insert(new_id.clone(), seq);
            let mut r = reply(1, Some(&new_id));
            if env.class == ItemClass::Calendar && v.is_16() {
                if let Some(uid) = mb.items.get(&new_id).and_then(|i| i.data.0.child_text(cal::UID)) {
                    r.push(Element::new(air::APPLICATION_DATA).with_text_child(cal::UID, uid));
                }
            }
            out.push(r);
            created
        }
        t if t == air::CHANGE => {
            let Some(item) = item else {
                out.push(fail(air::CHANGE, 8));
                return false;
            };
            if env.server_wins && part.known.get(&sid) != Some(&item.modseq) {
                out.push(fail(air::CHANGE, 7));
                return false;
            }
            let app = cmd.find(air::APPLICATION_DATA);
            let new = match (&instance, app) {
                (Some(iid), app) if env.class == ItemClass::Calendar => normalize::apply_instance_change(
                    &item.data.0,
                    iid,
                    app.or(Some(&Element::new(air::APPLICATION_DATA))),
                ),
                (_, Some(app)) => with_owner(&env.ctx.user, |o| {
                    normalize::normalize_change(env.class, &item.data.0, app, v, part.supported.as_deref(), o)
                }),
                (_, None) => Err(Refused(6)),
            };
            match new {
                Ok(data) => {
                    if let Some(seq) = mb.update_item(&sid, data) {
                        part.known.insert(sid, seq);
                    }
                    true
                }
                Err(Refused(code)) => {
                    out.push(fail(air::CHANGE, code.into()));
                    false
                }
            }
        }
        t if t == air::DELETE => {
            let Some(item) = item else {
                out.push(fail(air::DELETE, 8));
                return false;
            };
            if let Some(iid) = &instance {
                return match normalize::apply_instance_change(&item.data.0, iid, None) {
                    Ok(data) => {
                        if let Some(seq) = mb.update_item(&sid, data) {
                            part.known.insert(sid, seq);
                        }
                        true
                    }
                    Err(Refused(code)) => {
                        out.push(fail(air::DELETE, code.into()));
                        false
                    }
                };
            }
            part.known.remove(&sid);
            let trash = mb.folder_of_type(folder_type::DELETED_ITEMS).map(|f| f.id.clone());
            match trash.filter(|t| env.deletes_as_moves && t != env.folder_id) {
                Some(t) => {
                    mb.move_item(&sid, &t);
                }
                None => {
                    mb.remove_item(&sid);
                }
            }
            true
        }
        t if t == air::FETCH => {
            match item {
                Some(item) => out.push(
                    Element::new(air::FETCH)
                        .with_text_child(air::SERVER_ID, sid)
                        .with_text_child(air::STATUS, "1")
                        .with_child(normalize::render(item.class, &item.data.0, v)),
                ),
                None => out.push(fail(air::FETCH, 8)),
            }
            false
        }
        _ => false,
    }
}
