//! Ping (page 13): long poll over a folder list, woken by the user's change signal.

use std::collections::BTreeMap;
use std::time::Duration;

use eas_proto::ping::{PingRequest, PingResponse};
use eas_proto::{EasMessage, PingStatus};
use wbxml::Element;

use super::{Ctx, Outcome};
use crate::shared::Shared;
use crate::state::PingCache;

/// Handles `Ping`.
pub async fn ping(shared: &Shared, ctx: &Ctx, doc: Option<Element>) -> Outcome {
    let cfg = &shared.config;
    let req = match doc
        .as_ref()
        .map(|d| PingRequest::from_element(d, ctx.version))
        .transpose()
    {
        Ok(r) => r.unwrap_or_default(),
        Err(e) => {
            tracing::debug!("bad Ping: {e}");
            return status(PingStatus::SyntaxError);
        }
    };
    // Fill in from the previous Ping; status 3 when nothing is known.
    let cache = shared.with_mailbox(&ctx.user, |mb| mb.device(&ctx.device_id).ping.clone());
    let heartbeat = match (req.heartbeat_interval, &cache) {
        (Some(h), _) => h,
        (None, Some(c)) => c.heartbeat,
        (None, None) => return status(PingStatus::MissingParameters),
    };
    let folders: Vec<String> = if req.folders.is_empty() {
        cache.map(|c| c.folders).unwrap_or_default()
    } else {
        req.folders.iter().map(|f| f.id.trim().to_owned()).collect()
    };
    if folders.is_empty() {
        return status(PingStatus::MissingParameters);
    }
    if heartbeat < cfg.heartbeat_min || heartbeat > cfg.heartbeat_max {
        let allowed = if heartbeat < cfg.heartbeat_min {
            cfg.heartbeat_min
        } else {
            cfg.heartbeat_max
        };
        let mut r = PingResponse::new(PingStatus::InvalidHeartbeatInterval);
        r.heartbeat_interval = Some(allowed);
        return Outcome::Wbxml(r.to_element(ctx.version));
    }
    if folders.len() > cfg.max_ping_folders {
        let mut r = PingResponse::new(PingStatus::TooManyFolders);
        r.max_folders = u32::try_from(cfg.max_ping_folders).ok();
        return Outcome::Wbxml(r.to_element(ctx.version));
    }
    let Some(mut rx) = shared.subscribe(&ctx.user) else {
        return status(PingStatus::ServerError);
    };
    rx.borrow_and_update();
    // Baseline content sequence for folders the device has no Sync state for.
    let (start, generation) = shared.with_mailbox(&ctx.user, |mb| {
        let dev = mb.device(&ctx.device_id);
        dev.ping = Some(PingCache {
            heartbeat,
            folders: folders.clone(),
        });
        dev.ping_gen += 1;
        let generation = dev.ping_gen;
        let start = folders
            .iter()
            .map(|f| (f.clone(), mb.folders.get(f).map(|x| x.content_seq)))
            .collect::<BTreeMap<_, _>>();
        (start, generation)
    });
    // End an older Ping of this device (one outstanding Ping per device).
    shared.signal(&ctx.user);
    shared.save();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(u64::from(heartbeat));
    loop {
        match check(shared, ctx, &start, generation) {
            Check::HierarchyChanged => return status(PingStatus::FolderSyncRequired),
            Check::Changed(ids) => {
                let mut r = PingResponse::new(PingStatus::ChangesFound);
                r.folders = ids;
                return Outcome::Wbxml(r.to_element(ctx.version));
            }
            Check::Nothing => {}
            Check::Superseded => return status(PingStatus::Expired),
        }
        match tokio::time::timeout_at(deadline, rx.changed()).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) => return status(PingStatus::ServerError),
            Err(_) => return status(PingStatus::Expired),
        }
    }
}

enum Check {
    Superseded,
    HierarchyChanged,
    Changed(Vec<String>),
    Nothing,
}

fn check(shared: &Shared, ctx: &Ctx, start: &BTreeMap<String, Option<u64>>, generation: u64) -> Check {
    shared.with_mailbox(&ctx.user, |mb| {
        if mb.devices.get(&ctx.device_id).is_some_and(|d| d.ping_gen != generation) {
            return Check::Superseded;
        }
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

fn status(s: PingStatus) -> Outcome {
    Outcome::Wbxml(PingResponse::new(s).to_element(eas_proto::ProtocolVersion::V16_1))
}
