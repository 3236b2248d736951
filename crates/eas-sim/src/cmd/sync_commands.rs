//! Client commands inside a Sync collection: Add, Change, Delete, Fetch,
//! including 16.x per-occurrence commands, ClientUid de-duplication and conflicts.

use eas_proto::sync::{ClientCommand, SyncItemResponse};
use eas_proto::SyncStatus;
use wbxml::tags::calendar as cal;

use super::{with_owner, Ctx};
use crate::normalize::{self, Refused};
use crate::state::{folder_type, ItemClass, Mailbox, Partnership};

/// What a collection's commands are applied with.
pub struct Env<'a> {
    /// Request context.
    pub ctx: &'a Ctx,
    /// The collection.
    pub folder_id: &'a str,
    /// Its item class.
    pub class: ItemClass,
    /// `Conflict` 1 (default): server wins.
    pub server_wins: bool,
    /// `DeletesAsMoves` (default on).
    pub deletes_as_moves: bool,
}

fn refused(code: u8) -> SyncStatus {
    SyncStatus::from_code(u32::from(code))
}

/// Applies one client command, appending its answer (if any) to `out` and
/// (ClientId, UID) pairs of 16.x calendar adds to `uids`; returns whether the
/// mailbox changed.
pub fn client_command(
    mb: &mut Mailbox,
    env: &Env<'_>,
    part: &mut Partnership,
    cmd: &ClientCommand,
    out: &mut Vec<SyncItemResponse>,
    uids: &mut Vec<(String, String)>,
) -> bool {
    let v = env.ctx.version;
    let find = |mb: &Mailbox, sid: &str| {
        mb.items
            .get(sid.trim())
            .filter(|i| i.folder_id == env.folder_id)
            .cloned()
    };
    match cmd {
        ClientCommand::Add {
            client_id,
            application_data,
        } => {
            let reply = |status, server_id| SyncItemResponse::Add {
                client_id: client_id.clone(),
                server_id,
                status,
            };
            let norm = with_owner(&env.ctx.user, |o| {
                normalize::normalize_new(env.class, application_data, v, o)
            });
            let n = match norm {
                Ok(n) => n,
                Err(Refused(code)) => {
                    out.push(reply(refused(code), None));
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
            if env.class == ItemClass::Calendar && v.is_16() {
                if let Some(uid) = mb.items.get(&new_id).and_then(|i| i.data.0.child_text(cal::UID)) {
                    uids.push((client_id.clone(), uid.to_owned()));
                }
            }
            out.push(reply(SyncStatus::Success, Some(new_id)));
            created
        }
        ClientCommand::Change {
            server_id,
            instance_id,
            application_data,
        } => {
            let fail = |status| SyncItemResponse::Change {
                server_id: server_id.clone(),
                instance_id: instance_id.clone(),
                status,
            };
            let Some(item) = find(mb, server_id) else {
                out.push(fail(SyncStatus::ObjectNotFound));
                return false;
            };
            let sid = item.server_id.clone();
            if env.server_wins && part.known.get(&sid) != Some(&item.modseq) {
                out.push(fail(SyncStatus::Conflict));
                return false;
            }
            let new = match instance_id {
                Some(iid) if env.class == ItemClass::Calendar => {
                    normalize::apply_instance_change(&item.data.0, iid, Some(application_data))
                }
                Some(_) => Err(Refused(6)),
                None => with_owner(&env.ctx.user, |o| {
                    normalize::normalize_change(
                        env.class,
                        &item.data.0,
                        application_data,
                        v,
                        part.supported.as_deref(),
                        o,
                    )
                }),
            };
            match new {
                Ok(data) => {
                    if let Some(seq) = mb.update_item(&sid, data) {
                        part.known.insert(sid, seq);
                    }
                    true
                }
                Err(Refused(code)) => {
                    out.push(fail(refused(code)));
                    false
                }
            }
        }
        ClientCommand::Delete { server_id, instance_id } => {
            let fail = |status| SyncItemResponse::Delete {
                server_id: server_id.clone(),
                instance_id: instance_id.clone(),
                status,
            };
            let Some(item) = find(mb, server_id) else {
                out.push(fail(SyncStatus::ObjectNotFound));
                return false;
            };
            let sid = item.server_id.clone();
            if let Some(iid) = instance_id {
                return match normalize::apply_instance_change(&item.data.0, iid, None) {
                    Ok(data) => {
                        if let Some(seq) = mb.update_item(&sid, data) {
                            part.known.insert(sid, seq);
                        }
                        true
                    }
                    Err(Refused(code)) => {
                        out.push(fail(refused(code)));
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
        ClientCommand::Fetch { server_id } => {
            out.push(match find(mb, server_id) {
                Some(item) => SyncItemResponse::Fetch {
                    server_id: server_id.clone(),
                    status: SyncStatus::Success,
                    application_data: Some(normalize::render(item.class, &item.data.0, v)),
                },
                None => SyncItemResponse::Fetch {
                    server_id: server_id.clone(),
                    status: SyncStatus::ObjectNotFound,
                    application_data: None,
                },
            });
            false
        }
    }
}
