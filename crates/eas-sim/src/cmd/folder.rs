//! FolderSync, FolderCreate, FolderUpdate and FolderDelete (FolderHierarchy page).
//!
//! The hierarchy key chains per device: key 0 starts over, each answer issues
//! a new key, a repeat with the previous key replays the previous answer, and
//! any other key gets status 9.

use wbxml::tags::folder_hierarchy as fh;
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::{folder_type, Blob, Mailbox, Partnership, Pending, Replay};

/// Handles `FolderSync`.
pub fn folder_sync(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(key) = doc
        .as_ref()
        .filter(|d| d.tag == fh::FOLDER_SYNC)
        .and_then(|d| d.child_text(fh::SYNC_KEY))
        .map(|k| k.trim().to_owned())
    else {
        return super::status_response("FolderSync", 10);
    };
    let out = shared.with_mailbox(&ctx.user, |mb| {
        let current = mb.devices.get(&ctx.device_id).and_then(|d| d.hierarchy.clone());
        let mut part = match (key.as_str(), current) {
            ("0", _) => Partnership::default(),
            (k, Some(p)) if p.key == k => p,
            (k, Some(p)) => match &p.replay {
                Some(r) if r.request_key == k => return r.response.0.clone(),
                _ => return status(fh::FOLDER_SYNC, 9),
            },
            (_, None) => return status(fh::FOLDER_SYNC, 9),
        };
        let mut changes = Element::new(fh::CHANGES);
        let pending = mb.pending_folders(&part.known);
        changes.push_text(fh::COUNT, pending.len().to_string());
        for p in pending {
            match p {
                Pending::Delete(id) => {
                    part.known.remove(&id);
                    changes.push(Element::new(fh::DELETE).with_text_child(fh::SERVER_ID, id));
                }
                Pending::Add(id) | Pending::Change(id) => {
                    let Some(f) = mb.folders.get(&id) else { continue };
                    let tag = if part.known.contains_key(&id) {
                        fh::UPDATE
                    } else {
                        fh::ADD
                    };
                    part.known.insert(id.clone(), f.modseq);
                    changes.push(
                        Element::new(tag)
                            .with_text_child(fh::SERVER_ID, f.id.clone())
                            .with_text_child(fh::PARENT_ID, f.parent_id.clone())
                            .with_text_child(fh::DISPLAY_NAME, f.name.clone())
                            .with_text_child(fh::TYPE, f.folder_type.to_string()),
                    );
                }
            }
        }
        let new_key = mb.next().to_string();
        let resp = Element::new(fh::FOLDER_SYNC)
            .with_text_child(fh::STATUS, "1")
            .with_text_child(fh::SYNC_KEY, new_key.clone())
            .with_child(changes);
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
    let Some(doc) = doc.filter(|d| d.tag == fh::FOLDER_CREATE) else {
        return super::status_response("FolderCreate", 10);
    };
    let name = doc.child_text(fh::DISPLAY_NAME).unwrap_or_default().trim().to_owned();
    let parent = doc.child_text(fh::PARENT_ID).unwrap_or("0").trim().to_owned();
    let ftype = doc.child_text(fh::TYPE).and_then(|t| t.trim().parse::<u8>().ok());
    let (out, changed) = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &doc) else {
            return (status(fh::FOLDER_CREATE, 9), false);
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
        let Some(ftype) = ftype.filter(|t| user_types.contains(t)) else {
            return (status(fh::FOLDER_CREATE, 10), false);
        };
        if name.is_empty() {
            return (status(fh::FOLDER_CREATE, 10), false);
        }
        if parent != "0" && !mb.folders.contains_key(&parent) {
            return (status(fh::FOLDER_CREATE, 5), false);
        }
        if mb.folders.values().any(|f| f.parent_id == parent && f.name == name) {
            return (status(fh::FOLDER_CREATE, 2), false);
        }
        let id = mb.create_folder(&parent, &name, ftype);
        let seq = mb.folders.get(&id).map(|f| f.modseq).unwrap_or_default();
        let key = advance(mb, ctx, next_key, |p| {
            p.known.insert(id.clone(), seq);
        });
        let resp = Element::new(fh::FOLDER_CREATE)
            .with_text_child(fh::STATUS, "1")
            .with_text_child(fh::SYNC_KEY, key)
            .with_text_child(fh::SERVER_ID, id);
        (resp, true)
    });
    finish(shared, ctx, out, changed)
}

/// Handles `FolderUpdate` (rename and/or move).
pub fn folder_update(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == fh::FOLDER_UPDATE) else {
        return super::status_response("FolderUpdate", 10);
    };
    let id = doc.child_text(fh::SERVER_ID).unwrap_or_default().trim().to_owned();
    let name = doc.child_text(fh::DISPLAY_NAME).unwrap_or_default().trim().to_owned();
    let parent = doc.child_text(fh::PARENT_ID).unwrap_or("0").trim().to_owned();
    let (out, changed) = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &doc) else {
            return (status(fh::FOLDER_UPDATE, 9), false);
        };
        let Some(f) = mb.folders.get(&id) else {
            return (status(fh::FOLDER_UPDATE, 4), false);
        };
        if f.is_default() {
            return (status(fh::FOLDER_UPDATE, 2), false);
        }
        if parent != "0" && (!mb.folders.contains_key(&parent) || parent == id) {
            return (status(fh::FOLDER_UPDATE, 5), false);
        }
        if mb
            .folders
            .values()
            .any(|f| f.parent_id == parent && f.name == name && f.id != id)
        {
            return (status(fh::FOLDER_UPDATE, 2), false);
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
        let resp = Element::new(fh::FOLDER_UPDATE)
            .with_text_child(fh::STATUS, "1")
            .with_text_child(fh::SYNC_KEY, key);
        (resp, true)
    });
    finish(shared, ctx, out, changed)
}

/// Handles `FolderDelete` (the folder, its sub-folders and their items).
pub fn folder_delete(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == fh::FOLDER_DELETE) else {
        return super::status_response("FolderDelete", 10);
    };
    let id = doc.child_text(fh::SERVER_ID).unwrap_or_default().trim().to_owned();
    let (out, changed) = shared.with_mailbox(&ctx.user, |mb| {
        let Some(next_key) = check_key(mb, ctx, &doc) else {
            return (status(fh::FOLDER_DELETE, 9), false);
        };
        let Some(f) = mb.folders.get(&id) else {
            return (status(fh::FOLDER_DELETE, 4), false);
        };
        if f.is_default() {
            return (status(fh::FOLDER_DELETE, 3), false);
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
        let resp = Element::new(fh::FOLDER_DELETE)
            .with_text_child(fh::STATUS, "1")
            .with_text_child(fh::SYNC_KEY, key);
        (resp, true)
    });
    finish(shared, ctx, out, changed)
}

fn finish(shared: &Shared, ctx: &Ctx, out: Element, changed: bool) -> Outcome {
    if changed {
        shared.changed(&ctx.user);
    }
    Outcome::Wbxml(out)
}

/// Checks the request's hierarchy key; returns a fresh key to issue.
fn check_key(mb: &mut Mailbox, ctx: &Ctx, doc: &Element) -> Option<String> {
    let key = doc.child_text(fh::SYNC_KEY)?.trim().to_owned();
    let current = mb.devices.get(&ctx.device_id)?.hierarchy.as_ref()?.key.clone();
    (key == current).then(|| mb.next().to_string())
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

fn status(root: wbxml::Tag, code: u16) -> Element {
    Element::new(root).with_text_child(fh::STATUS, code.to_string())
}
