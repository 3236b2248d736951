//! GetItemEstimate, ItemOperations (Fetch), MoveItems and Settings.

use eas_proto::get_item_estimate::{EstimateResult, GetItemEstimateRequest, GetItemEstimateResponse};
use eas_proto::item_operations::{FetchResult, ItemOperationsRequest, ItemOperationsResponse};
use eas_proto::move_items::{MoveItemsRequest, MoveItemsResponse, MoveResult};
use eas_proto::settings::{SettingsRequest, SettingsResponse, UserInformation};
use eas_proto::{EasMessage, GetItemEstimateStatus, ItemOperationsStatus, MoveItemsStatus, SettingsStatus};
use wbxml::tags::item_operations as io;
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::normalize;
use crate::shared::Shared;
use crate::state::folder_type;

fn decode<T: EasMessage>(doc: Option<Element>, ctx: &Ctx) -> Option<T> {
    match T::from_element(&doc?, ctx.version) {
        Ok(r) => Some(r),
        Err(e) => {
            tracing::debug!("bad {}: {e}", ctx.cmd);
            None
        }
    }
}

/// Handles `GetItemEstimate` (status 2 unknown folder, 3 not primed, 4 bad key).
pub fn get_item_estimate(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(req) = decode::<GetItemEstimateRequest>(doc, ctx) else {
        return super::status_response("GetItemEstimate", 2);
    };
    let responses = shared.with_mailbox(&ctx.user, |mb| {
        req.collections
            .iter()
            .map(|c| {
                let id = c.collection_id.trim();
                let key = c.sync_key.trim();
                let part = mb.devices.get(&ctx.device_id).and_then(|d| d.collections.get(id));
                let (status, estimate) = if !mb.folders.contains_key(id) {
                    (GetItemEstimateStatus::InvalidCollection, None)
                } else {
                    match part {
                        None => (GetItemEstimateStatus::SyncStateNotPrimed, None),
                        Some(_) if key == "0" => (GetItemEstimateStatus::SyncStateNotPrimed, None),
                        Some(p) if p.key != key => (GetItemEstimateStatus::InvalidSyncKey, None),
                        Some(p) => (
                            GetItemEstimateStatus::Success,
                            u32::try_from(mb.pending(id, &p.known).len()).ok(),
                        ),
                    }
                };
                EstimateResult {
                    status,
                    collection_id: Some(id.to_owned()),
                    estimate,
                }
            })
            .collect()
    });
    Outcome::Wbxml(
        GetItemEstimateResponse {
            status: None,
            responses,
        }
        .to_element(ctx.version),
    )
}

/// Handles `ItemOperations` with `Fetch` of mailbox items (status 6 = not found).
pub fn item_operations(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(req) = decode::<ItemOperationsRequest>(doc, ctx) else {
        return super::status_response("ItemOperations", 2);
    };
    let fetches = shared.with_mailbox(&ctx.user, |mb| {
        req.fetches
            .iter()
            .map(|f| {
                let coll = f.collection_id.as_deref().unwrap_or_default().trim();
                let sid = f.server_id.as_deref().unwrap_or_default().trim();
                let item = mb.items.get(sid).filter(|i| coll.is_empty() || i.folder_id == coll);
                match item {
                    Some(it) => {
                        let mut props = Element::new(io::PROPERTIES);
                        props.children = normalize::render(it.class, &it.data.0, ctx.version).children;
                        FetchResult {
                            status: ItemOperationsStatus::Success,
                            collection_id: Some(it.folder_id.clone()),
                            server_id: Some(sid.to_owned()),
                            long_id: None,
                            file_reference: None,
                            class: Some(it.class.as_str().to_owned()),
                            properties: Some(props),
                        }
                    }
                    None => FetchResult {
                        status: ItemOperationsStatus::DocumentLibraryNotFound,
                        collection_id: f.collection_id.clone(),
                        server_id: f.server_id.clone(),
                        long_id: f.long_id.clone(),
                        file_reference: f.file_reference.clone(),
                        class: None,
                        properties: None,
                    },
                }
            })
            .collect()
    });
    let resp = ItemOperationsResponse {
        status: ItemOperationsStatus::Success,
        fetches,
    };
    Outcome::Wbxml(resp.to_element(ctx.version))
}

/// Handles `MoveItems` (status 1 bad source, 2 bad destination, 3 success,
/// 4 same folder, 5 class mismatch).
pub fn move_items(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(req) = decode::<MoveItemsRequest>(doc, ctx) else {
        return super::status_response("MoveItems", 5);
    };
    let mut changed = false;
    let responses = shared.with_mailbox(&ctx.user, |mb| {
        let mut out = Vec::new();
        for m in &req.moves {
            let (sid, src, dst) = (m.src_msg_id.trim(), m.src_fld_id.trim(), m.dst_fld_id.trim());
            let item = mb.items.get(sid).filter(|i| i.folder_id == src).map(|i| i.class);
            let status = match (item, mb.folders.get(dst)) {
                (None, _) => MoveItemsStatus::InvalidSource,
                (Some(_), None) => MoveItemsStatus::InvalidDestination,
                (Some(_), Some(_)) if src == dst => MoveItemsStatus::SameSourceAndDestination,
                (Some(class), Some(d)) if d.class() != class && d.folder_type != folder_type::DELETED_ITEMS => {
                    MoveItemsStatus::MoveFailure
                }
                (Some(_), Some(_)) => MoveItemsStatus::Success,
            };
            let mut dst_msg_id = None;
            if status == MoveItemsStatus::Success {
                if let Some(new_id) = mb.move_item(sid, dst) {
                    // The moving device already knows both sides of the move.
                    let seq = mb.items.get(&new_id).map(|i| i.modseq).unwrap_or_default();
                    let dev = mb.device(&ctx.device_id);
                    if let Some(p) = dev.collections.get_mut(src) {
                        p.known.remove(sid);
                    }
                    if let Some(p) = dev.collections.get_mut(dst) {
                        p.known.insert(new_id.clone(), seq);
                    }
                    dst_msg_id = Some(new_id);
                    changed = true;
                }
            }
            out.push(MoveResult {
                src_msg_id: sid.to_owned(),
                status,
                dst_msg_id,
            });
        }
        out
    });
    if changed {
        shared.changed(&ctx.user);
    }
    Outcome::Wbxml(
        MoveItemsResponse {
            status: None,
            responses,
        }
        .to_element(ctx.version),
    )
}

/// Handles `Settings`: DeviceInformation Set and UserInformation Get.
pub fn settings(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(req) = decode::<SettingsRequest>(doc, ctx) else {
        return super::status_response("Settings", 2);
    };
    let mut resp = SettingsResponse {
        status: SettingsStatus::Success,
        device_information_status: None,
        user_information: None,
        other: Vec::new(),
    };
    if let Some(info) = &req.device_information {
        shared.with_mailbox(&ctx.user, |mb| {
            super::provision::remember(mb.device(&ctx.device_id), info)
        });
        shared.save();
        resp.device_information_status = Some(SettingsStatus::Success);
    }
    if req.get_user_information {
        let email = ctx.email();
        resp.user_information = Some(UserInformation {
            status: Some(SettingsStatus::Success),
            display_name: Some(ctx.user.clone()),
            primary_smtp_address: Some(email.clone()),
            smtp_addresses: vec![email],
        });
    }
    Outcome::Wbxml(resp.to_element(ctx.version))
}
