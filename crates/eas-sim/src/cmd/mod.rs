//! EAS command handlers, one file per command family.

mod folder;
mod items;
mod ping;
mod provision;
mod sync;
mod sync_commands;

use http::StatusCode;
use wbxml::tags::{
    airsync, folder_hierarchy as fh, get_item_estimate as gie, item_operations as io, moveitems, ping as png,
    provision as prov, settings,
};
use wbxml::{Element, Tag};

use eas_proto::ProtocolVersion;

use crate::normalize::Owner;
use crate::shared::Shared;

/// The request context every handler gets.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Authenticated logon name (the only mailbox the request can touch).
    pub user: String,
    /// DeviceId.
    pub device_id: String,
    /// DeviceType.
    pub device_type: String,
    /// Protocol version of this request.
    pub version: ProtocolVersion,
    /// Policy key the request carried.
    pub policy_key: Option<u32>,
    /// Command name.
    pub cmd: String,
}

impl Ctx {
    /// The mailbox owner's SMTP address.
    pub fn email(&self) -> String {
        owner_email(&self.user)
    }
}

/// The SMTP address of a logon name.
pub fn owner_email(user: &str) -> String {
    if user.contains('@') {
        user.to_owned()
    } else {
        format!("{user}@easdav.test")
    }
}

/// Runs `f` with the owner of `user`.
pub fn with_owner<R>(user: &str, f: impl FnOnce(&Owner<'_>) -> R) -> R {
    let email = owner_email(user);
    f(&Owner {
        name: user,
        email: &email,
    })
}

/// What a handler produced.
#[derive(Debug)]
pub enum Outcome {
    /// A WBXML document.
    Wbxml(Element),
    /// HTTP 200 with an empty body.
    Empty,
    /// A bare HTTP status.
    Http(StatusCode),
    /// The command is not implemented (HTTP 501).
    UnknownCommand,
}

/// Dispatches a command.
pub async fn dispatch(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    match ctx.cmd.as_str() {
        "Provision" => provision::provision(shared, ctx, doc),
        "FolderSync" => folder::folder_sync(shared, ctx, doc),
        "FolderCreate" => folder::folder_create(shared, ctx, doc),
        "FolderUpdate" => folder::folder_update(shared, ctx, doc),
        "FolderDelete" => folder::folder_delete(shared, ctx, doc),
        "Sync" => sync::sync(shared, ctx, doc).await,
        "Ping" => ping::ping(shared, ctx, doc).await,
        "GetItemEstimate" => items::get_item_estimate(shared, ctx, doc),
        "ItemOperations" => items::item_operations(shared, ctx, doc),
        "MoveItems" => items::move_items(shared, ctx, doc),
        "Settings" => items::settings(shared, ctx, doc),
        _ => Outcome::UnknownCommand,
    }
}

/// The root and status tags of a command's response.
fn root_of(cmd: &str) -> Option<(Tag, Tag)> {
    Some(match cmd {
        "Sync" => (airsync::SYNC, airsync::STATUS),
        "FolderSync" => (fh::FOLDER_SYNC, fh::STATUS),
        "FolderCreate" => (fh::FOLDER_CREATE, fh::STATUS),
        "FolderUpdate" => (fh::FOLDER_UPDATE, fh::STATUS),
        "FolderDelete" => (fh::FOLDER_DELETE, fh::STATUS),
        "Ping" => (png::PING, png::STATUS),
        "Provision" => (prov::PROVISION, prov::STATUS),
        "GetItemEstimate" => (gie::GET_ITEM_ESTIMATE, gie::STATUS),
        "ItemOperations" => (io::ITEM_OPERATIONS, io::STATUS),
        "MoveItems" => (moveitems::MOVE_ITEMS, moveitems::STATUS),
        "Settings" => (settings::SETTINGS, settings::STATUS),
        _ => return None,
    })
}

/// `<Command><Status>code</Status></Command>` for the command, or HTTP 400
/// for commands without a known response root.
pub fn status_response(cmd: &str, code: u16) -> Outcome {
    match root_of(cmd) {
        Some((root, status)) => Outcome::Wbxml(Element::new(root).with_text_child(status, code.to_string())),
        None => Outcome::Http(StatusCode::BAD_REQUEST),
    }
}

/// The answer for a `status` fault: collection statuses 3 and 12 for Sync,
/// a top-level status otherwise.
pub fn fault_status(shared: &Shared, ctx: &Ctx, doc: Option<&Element>, code: u16) -> Outcome {
    if ctx.cmd == "Sync" && (code == 3 || code == 12) {
        return sync::collection_fault(shared, ctx, doc, code);
    }
    status_response(&ctx.cmd, code)
}
