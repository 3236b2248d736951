//! Ping (page 13): long poll over a folder list, woken by the user's change signal.

use std::collections::BTreeMap;
use std::time::Duration;

use wbxml::tags::ping as png;
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::PingCache;

/// Handles `Ping`.
pub async fn ping(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let cfg = &shared.config;
    let requested = doc.as_ref().filter(|d| d.tag == png::PING);
    if doc.is_some() && requested.is_none() {
        return status(4);
    }
    let hb = requested
        .and_then(|d| d.child_text(png::HEARTBEAT_INTERVAL))
        .map(|s| s.trim().parse::<u32>());
    let folders: Option<Vec<String>> = requested.and_then(|d| d.find(png::FOLDERS)).map(|f| {
        f.find_all(png::FOLDER)
            .filter_map(|x| x.child_text(png::ID))
            .map(|s| s.trim().to_owned())
            .collect()
    });
    // Fill in from the previous Ping; status 3 when nothing is known.
    let cache = shared.with_mailbox(&ctx.user, |mb| mb.device(&ctx.device_id).ping.clone());
    let heartbeat = match hb {
        Some(Ok(h)) => h,
        Some(Err(_)) => return status(4),
        None => match &cache {
            Some(c) => c.heartbeat,
            None => return status(3),
        },
    };
    let folders = match folders.or_else(|| cache.map(|c| c.folders)) {
        Some(f) if !f.is_empty() => f,
        _ => return status(3),
    };
    if heartbeat < cfg.heartbeat_min || heartbeat > cfg.heartbeat_max {
        let allowed = if heartbeat < cfg.heartbeat_min {
            cfg.heartbeat_min
        } else {
            cfg.heartbeat_max
        };
        return Outcome::Wbxml(
            Element::new(png::PING)
                .with_text_child(png::STATUS, "5")
                .with_text_child(png::HEARTBEAT_INTERVAL, allowed.to_string()),
        );
    }
    if folders.len() > cfg.max_ping_folders {
        return Outcome::Wbxml(
            Element::new(png::PING)
                .with_text_child(png::STATUS, "6")
                .with_text_child(png::MAX_FOLDERS, cfg.max_ping_folders.to_string()),
        );
    }
    let Some(mut rx) = shared.subscribe(&ctx.user) else {
        return status(8);
    };
    rx.borrow_and_update();
    // Baseline content sequence for folders the device has no Sync state for.
    let start = shared.with_mailbox(&ctx.user, |mb| {
        let dev = mb.device(&ctx.device_id);
        dev.ping = Some(PingCache {
            heartbeat,
            folders: folders.clone(),
        });
        folders
            .iter()
            .map(|f| (f.clone(), mb.folders.get(f).map(|x| x.content_seq)))
            .collect::<BTreeMap<_, _>>()
    });
    shared.save();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(heartbeat));
    loop {
        match check(shared, ctx, &start) {
            Check::HierarchyChanged => return status(7),
            Check::Changed(ids) => {
                let mut list = Element::new(png::FOLDERS);
                for id in ids {
                    list.push_text(png::FOLDER, id);
                }
                return Outcome::Wbxml(
                    Element::new(png::PING)
                        .with_text_child(png::STATUS, "2")
                        .with_child(list),
                );
            }
            Check::Nothing => {}
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return status(8),
            Err(_) => return status(1),
        }
    }
}

enum Check {
    HierarchyChanged,
    Changed(Vec<String>),
    Nothing,
}

fn check(shared: &Shared, ctx: &Ctx, start: &BTreeMap<String, Option<u64>>) -> Check {
    shared.with_mailbox(&ctx.user, |mb| {
        if mb.hierarchy_stale(&ctx.device_id) {
            return Check::HierarchyChanged;
        }
        let mut changed = Vec::new();
        for (id, seq0) in start {
            let Some(folder) = mb.folders.get(id) else {
                return Check::HierarchyChanged;
            };
            let part = mb.devices.get(&ctx.device_id).and_then(|d| d.collections.get(id));
            let dirty = match part {
                Some(p) => !mb.pending(id, &p.known).is_empty(),
                None => Some(folder.content_seq) != *seq0,
            };
            if dirty {
                changed.push(id.clone());
            }
        }
        if changed.is_empty() {
            Check::Nothing
        } else {
            Check::Changed(changed)
        }
    })
}

fn status(code: u16) -> Outcome {
    Outcome::Wbxml(Element::new(png::PING).with_text_child(png::STATUS, code.to_string()))
}
