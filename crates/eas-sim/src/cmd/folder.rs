//! FolderSync, FolderCreate, FolderUpdate and FolderDelete (FolderHierarchy page).
//!
//! The hierarchy key chains per device: key 0 starts over, each answer issues
//! a new key, a repeat with the previous key replays the previous answer, and
//! any other key gets status 9.

use eas_proto::folder_ops::{
    FolderCreateRequest, FolderCreateResponse, FolderDeleteRequest, FolderDeleteResponse, FolderUpdateRequest,
    FolderUpdateResponse,
};
use eas_proto::folder_sync::{Folder as WireFolder, FolderChange, FolderSyncRequest, FolderSyncResponse};
use eas_proto::{EasMessage, FolderStatus, FolderType};
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::{folder_type, Blob, Mailbox, Partnership, Pending, Replay};

/// Handles `FolderSync`.
pub fn folder_sync(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let v = ctx.version;
    let Some(req) = decode::<FolderSyncRequest>(doc, ctx) else {
        return Outcome::Wbxml(sync_status(FolderStatus::MalformedRequest).to_element(v));
    };
    let key = req.sync_key.trim().to_owned();
    let out = shared.with_mailbox(&ctx.user, |mb| {
        let current = mb.devices.get(&ctx.device_id).and_then(|d| d.hierarchy.clone());
        let mut part = match (key.as_str(), current) {
            ("0", _) => Partnership::default(),
            (k, Some(p)) if p.key == k => p,
            (k, Some(p)) => match &p.replay {
                Some(r) if r.request_key == k => return r.response.0.clone(),
                _ => return sync_status(FolderStatus::InvalidSyncKey).to_element(v),
            },
            (_, None) => return sync_status(FolderStatus::InvalidSyncKey).to_element(v),
        };
        let mut changes = Vec::new();
        for p in mb.pending_folders(&part.known) {
            match p {
                Pending::Delete(id) => {
                    part.known.remove(&id);
                    changes.push(FolderChange::Delete(id));
                }
                Pending::Add(id) | Pending::Change(id) => {
                    let Some(f) = mb.folders.get(&id) else { continue };
                    let wire = WireFolder {
                        server_id: f.id.clone(),
                        parent_id: f.parent_id.clone(),
                        display_name: f.name.clone(),
                        folder_type: FolderType::from_code(u32::from(f.folder_type)),
                    };
                    let known = part.known.insert(id.clone(), f.modseq).is_some();
                    changes.push(if known {
                        FolderChange::Update(wire)
                    } else {
                        FolderChange::Add(wire)
                    });
                }
            }
        }
        let new_key = mb.next().to_string();
        let resp = FolderSyncResponse {
            status: FolderStatus::Success,
            sync_key: Some(new_key.clone()),
            changes,
        }
        .to_element(v);
        part.replay = Some(Replay {
            request_key: key.clone(),
            response: Blob(resp.clone()),
        });
        part.key = new_key;
        mb.device(&ctx.device_id).hierarchy = Some(part);
        resp
    });
    shared.save();
    Outcome::Wbxml(out)
}

/// Handles `FolderCreate`.
pub fn folder_create(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let fail = |s| FolderCreateResponse {
        status: s,
        sync_key: None,
        server_id: None,
    };
    let Some(req) = decode::<FolderCreateRequest>(doc, ctx) else {
        return Outcome::Wbxml(fail(FolderStatus::MalformedRequest).to_element(ctx.version));
    };
    let name = req.display_name.trim().to_owned();
    let parent = req.parent_id.trim().to_owned();
    let resp = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &req.sync_key) else {
            return fail(FolderStatus::InvalidSyncKey);
        };
        let user_types = [
            folder_type::USER_GENERIC,
            folder_type::USER_MAIL,
            folder_type::USER_CALENDAR,
            folder_type::USER_CONTACTS,
            folder_type::USER_TASKS,
            16,
            folder_type::USER_NOTES,
        ];
        let Some(ftype) = u8::try_from(req.folder_type.code())
            .ok()
            .filter(|t| user_types.contains(t))
        else {
            return fail(FolderStatus::MalformedRequest);
        };
        if name.is_empty() {
            return fail(FolderStatus::MalformedRequest);
        }
        if parent != "0" && !mb.folders.contains_key(&parent) {
            return fail(FolderStatus::ParentNotFound);
        }
        if mb.folders.values().any(|f| f.parent_id == parent && f.name == name) {
            return fail(FolderStatus::AlreadyExists);
        }
        let id = mb.create_folder(&parent, &name, ftype);
        let seq = mb.folders.get(&id).map(|f| f.modseq).unwrap_or_default();
        let key = advance(mb, ctx, next_key, |p| {
            p.known.insert(id.clone(), seq);
        });
        FolderCreateResponse {
            status: FolderStatus::Success,
            sync_key: Some(key),
            server_id: Some(id),
        }
    });
    finish(shared, ctx, resp.status, resp.to_element(ctx.version))
}

/// Handles `FolderUpdate` (rename and/or move).
pub fn folder_update(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let fail = |s| FolderUpdateResponse {
        status: s,
        sync_key: None,
    };
    let Some(req) = decode::<FolderUpdateRequest>(doc, ctx) else {
        return Outcome::Wbxml(fail(FolderStatus::MalformedRequest).to_element(ctx.version));
    };
    let id = req.server_id.trim().to_owned();
    let name = req.display_name.trim().to_owned();
    let parent = req.parent_id.trim().to_owned();
    let resp = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &req.sync_key) else {
            return fail(FolderStatus::InvalidSyncKey);
        };
        let Some(f) = mb.folders.get(&id) else {
            return fail(FolderStatus::NotFound);
        };
        if f.is_default() {
            return fail(FolderStatus::SpecialFolder);
        }
        if parent != "0" && (!mb.folders.contains_key(&parent) || parent == id) {
            return fail(FolderStatus::ParentNotFound);
        }
        if mb
            .folders
            .values()
            .any(|f| f.parent_id == parent && f.name == name && f.id != id)
        {
            return fail(FolderStatus::AlreadyExists);
        }
        let seq = mb.bump();
        if let Some(f) = mb.folders.get_mut(&id) {
            f.name = name.clone();
            f.parent_id = parent.clone();
            f.modseq = seq;
        }
        let key = advance(mb, ctx, next_key, |p| {
            p.known.insert(id.clone(), seq);
        });
        FolderUpdateResponse {
            status: FolderStatus::Success,
            sync_key: Some(key),
        }
    });
    finish(shared, ctx, resp.status, resp.to_element(ctx.version))
}

/// Handles `FolderDelete` (the folder, its sub-folders and their items).
pub fn folder_delete(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let fail = |s| FolderDeleteResponse {
        status: s,
        sync_key: None,
    };
    let Some(req) = decode::<FolderDeleteRequest>(doc, ctx) else {
        return Outcome::Wbxml(fail(FolderStatus::MalformedRequest).to_element(ctx.version));
    };
    let id = req.server_id.trim().to_owned();
    let resp = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &req.sync_key) else {
            return fail(FolderStatus::InvalidSyncKey);
        };
        let Some(f) = mb.folders.get(&id) else {
            return fail(FolderStatus::NotFound);
        };
        if f.is_default() {
            return fail(FolderStatus::SpecialFolder);
        }
        let gone = mb.delete_folder(&id);
        let key = advance(mb, ctx, next_key, |p| {
            for g in &gone {
                p.known.remove(g);
            }
        });
        for g in &gone {
            mb.device(&ctx.device_id).collections.remove(g);
        }
        FolderDeleteResponse {
            status: FolderStatus::Success,
            sync_key: Some(key),
        }
    });
    finish(shared, ctx, resp.status, resp.to_element(ctx.version))
}

fn decode<T: EasMessage>(doc: Option<Element>, ctx: &Ctx) -> Option<T> {
    match T::from_element(&doc?, ctx.version) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::debug!("bad {}: {e}", ctx.cmd);
            None
        }
    }
}

fn sync_status(s: FolderStatus) -> FolderSyncResponse {
    FolderSyncResponse {
        status: s,
        sync_key: None,
        changes: Vec::new(),
    }
}

fn finish(shared: &Shared, ctx: &Ctx, status: FolderStatus, out: Element) -> Outcome {
    if status.is_success() {
        shared.changed(&ctx.user);
    }
    Outcome::Wbxml(out)
}

/// Checks the request's hierarchy key; returns a fresh key to issue.
fn check_key(mb: &mut Mailbox, ctx: &Ctx, key: &str) -> Option<String> {
    let current = mb.devices.get(&ctx.device_id)?.hierarchy.as_ref()?.key.clone();
    (key.trim() == current).then(|| mb.next().to_string())
}

/// Moves the device's hierarchy partnership to `key` after applying `f`.
fn advance(mb: &mut Mailbox, ctx: &Ctx, key: String, f: impl FnOnce(&mut Partnership)) -> String {
    if let Some(p) = mb.device(&ctx.device_id).hierarchy.as_mut() {
        f(p);
        p.key = key.clone();
        p.replay = None;
    }
    key
}
