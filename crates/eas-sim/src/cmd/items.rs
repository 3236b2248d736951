//! GetItemEstimate, ItemOperations (Fetch), MoveItems and Settings.

use wbxml::tags::{airsync as air, get_item_estimate as gie, item_operations as io, moveitems as mv, settings as st};
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::normalize;
use crate::shared::Shared;
use crate::state::folder_type;

/// Handles `GetItemEstimate` (status 2 unknown folder, 3 not primed, 4 bad key).
pub fn get_item_estimate(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == gie::GET_ITEM_ESTIMATE) else {
        return super::status_response("GetItemEstimate", 2);
    };
    let mut out = Element::new(gie::GET_ITEM_ESTIMATE);
    shared.with_mailbox(&ctx.user, |mb| {
        for c in doc
            .find(gie::COLLECTIONS)
            .into_iter()
            .flat_map(|c| c.find_all(gie::COLLECTION))
        {
            let id = c.child_text(gie::COLLECTION_ID).unwrap_or_default().trim().to_owned();
            let key = c.child_text(air::SYNC_KEY).unwrap_or("0").trim().to_owned();
            let part = mb.devices.get(&ctx.device_id).and_then(|d| d.collections.get(&id));
            let (status, estimate) = if !mb.folders.contains_key(&id) {
                (2, None)
            } else {
                match part {
                    None => (3, None),
                    Some(_) if key == "0" => (3, None),
                    Some(p) if p.key != key => (4, None),
                    Some(p) => (1, Some(mb.pending(&id, &p.known).len())),
                }
            };
            let mut coll = Element::new(gie::COLLECTION).with_text_child(gie::COLLECTION_ID, id);
            if let Some(n) = estimate {
                coll.push_text(gie::ESTIMATE, n.to_string());
            }
            out.push(
                Element::new(gie::RESPONSE)
                    .with_text_child(gie::STATUS, status.to_string())
                    .with_child(coll),
            );
        }
    });
    Outcome::Wbxml(out)
}

/// Handles `ItemOperations` with `Fetch` of mailbox items (status 6 = not found).
pub fn item_operations(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == io::ITEM_OPERATIONS) else {
        return super::status_response("ItemOperations", 2);
    };
    let mut resp = Element::new(io::RESPONSE);
    shared.with_mailbox(&ctx.user, |mb| {
        for f in doc.find_all(io::FETCH) {
            let coll = f.child_text(air::COLLECTION_ID).unwrap_or_default().trim().to_owned();
            let sid = f.child_text(air::SERVER_ID).unwrap_or_default().trim().to_owned();
            let item = mb.items.get(&sid).filter(|i| coll.is_empty() || i.folder_id == coll);
            let mut e = Element::new(io::FETCH);
            match item {
                Some(it) => {
                    let mut props = Element::new(io::PROPERTIES);
                    props.children = normalize::render(it.class, &it.data.0, ctx.version).children;
                    e.push_text(io::STATUS, "1");
                    e.push_text(air::COLLECTION_ID, it.folder_id.clone());
                    e.push_text(air::SERVER_ID, sid);
                    e.push_text(air::CLASS, it.class.as_str());
                    e.push(props);
                }
                None => {
                    e.push_text(io::STATUS, "6");
                    e.push_text(air::COLLECTION_ID, coll);
                    e.push_text(air::SERVER_ID, sid);
                }
            }
            resp.push(e);
        }
    });
    Outcome::Wbxml(
        Element::new(io::ITEM_OPERATIONS)
            .with_text_child(io::STATUS, "1")
            .with_child(resp),
    )
}

/// Handles `MoveItems` (status 1 bad source, 2 bad destination, 3 success,
/// 4 same folder, 5 class mismatch).
pub fn move_items(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == mv::MOVE_ITEMS) else {
        return super::status_response("MoveItems", 5);
    };
    let mut out = Element::new(mv::MOVE_ITEMS);
    let mut changed = false;
    shared.with_mailbox(&ctx.user, |mb| {
        for m in doc.find_all(mv::MOVE) {
            let sid = m.child_text(mv::SRC_MSG_ID).unwrap_or_default().trim().to_owned();
            let src = m.child_text(mv::SRC_FLD_ID).unwrap_or_default().trim().to_owned();
            let dst = m.child_text(mv::DST_FLD_ID).unwrap_or_default().trim().to_owned();
            let item = mb.items.get(&sid).filter(|i| i.folder_id == src).map(|i| i.class);
            let dst_folder = mb.folders.get(&dst);
            let status = match (item, dst_folder) {
                (None, _) => 1,
                (Some(_), None) => 2,
                (Some(_), Some(_)) if src == dst => 4,
                (Some(class), Some(d)) if d.class() != class && d.folder_type != folder_type::DELETED_ITEMS => 5,
                (Some(_), Some(_)) => 3,
            };
            let mut r = Element::new(mv::RESPONSE)
                .with_text_child(mv::SRC_MSG_ID, sid.clone())
                .with_text_child(mv::STATUS, status.to_string());
            if status == 3 {
                if let Some(new_id) = mb.move_item(&sid, &dst) {
                    // The moving device already knows both sides of the move.
                    let seq = mb.items.get(&new_id).map(|i| i.modseq).unwrap_or_default();
                    let dev = mb.device(&ctx.device_id);
                    if let Some(p) = dev.collections.get_mut(&src) {
                        p.known.remove(&sid);
                    }
                    if let Some(p) = dev.collections.get_mut(&dst) {
                        p.known.insert(new_id.clone(), seq);
                    }
                    r.push_text(mv::DST_MSG_ID, new_id);
                    changed = true;
                }
            }
            out.push(r);
        }
    });
    if changed {
        shared.changed(&ctx.user);
    }
    Outcome::Wbxml(out)
}

/// Handles `Settings`: DeviceInformation Set and UserInformation Get.
pub fn settings(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let Some(doc) = doc.filter(|d| d.tag == st::SETTINGS) else {
        return super::status_response("Settings", 2);
    };
    let mut out = Element::new(st::SETTINGS).with_text_child(st::STATUS, "1");
    if let Some(set) = doc.find(st::DEVICE_INFORMATION).and_then(|d| d.find(st::SET)) {
        shared.with_mailbox(&ctx.user, |mb| {
            let dev = mb.device(&ctx.device_id);
            for e in set.elements() {
                if let (Some(n), Some(t)) = (e.tag.name(), e.text()) {
                    dev.info.insert(n.to_owned(), t.to_owned());
                }
            }
        });
        out.push(Element::new(st::DEVICE_INFORMATION).with_text_child(st::STATUS, "1"));
    }
    if doc.find(st::USER_INFORMATION).is_some() {
        let email = ctx.email();
        let addrs = if ctx.version >= eas_proto::ProtocolVersion::V14_1 {
            Element::new(st::ACCOUNTS).with_child(
                Element::new(st::ACCOUNT)
                    .with_text_child(st::USER_DISPLAY_NAME, ctx.user.clone())
                    .with_child(
                        Element::new(st::EMAIL_ADDRESSES)
                            .with_text_child(st::PRIMARY_SMTP_ADDRESS, email.clone())
                            .with_text_child(st::SMTP_ADDRESS, email),
                    ),
            )
        } else {
            Element::new(st::EMAIL_ADDRESSES).with_text_child(st::SMTP_ADDRESS, email)
        };
        out.push(
            Element::new(st::USER_INFORMATION)
                .with_text_child(st::STATUS, "1")
                .with_child(Element::new(st::GET).with_child(addrs)),
        );
    }
    shared.save();
    Outcome::Wbxml(out)
}
