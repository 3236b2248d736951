//! sync-collection (RFC 6578) on collections and homes.
//!
//! Collection tokens are `http://easdav.invalid/sync/<collection>/<seq>`, where `seq` is the
//! backend's change sequence: they never expire unless the backend forgets history. Home
//! tokens carry the (collection, seq) state of the whole home, so they need no storage:
//! `http://easdav.invalid/sync/~home/<hex id>.<seq>~...`.

use dav_proto::names::QName;
use dav_proto::request::ReportProps;
use dav_proto::response::{MultiStatus, PropStat, Response};
use http::StatusCode;

use crate::backend::{Backend, BackendError, Home};
use crate::error::{Body, DavError, DavResult};
use crate::method::{format_for, load_collection};
use crate::paths::Target;
use crate::props::{fill, parse_sync_token, sync_token, DavNode, PropCtx, Selection, SYNC_PREFIX};
use crate::server::{multistatus, xml_response, Ctx};

/// Handles a sync-collection REPORT.
pub async fn handle<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    token: Option<&str>,
    limit: Option<usize>,
    props: &ReportProps,
) -> DavResult<http::Response<Body>> {
    let (home, id) = match target {
        Target::Collection(home, _, id) => (*home, id),
        Target::Home(home, _) => return home_sync(ctx, *home, token, props).await,
        _ => {
            return Err(DavError::condition(
                StatusCode::FORBIDDEN,
                QName::dav("supported-report"),
                "sync-collection works on collections only",
            ))
        }
    };
    let c = load_collection(ctx, home, id).await?;
    let since = match token {
        None => None,
        Some(t) => match parse_sync_token(t, id) {
            Some(s) => Some(s),
            None => return Err(invalid_token(ctx, c.kind.is_calendar())),
        },
    };
    let fmt = format_for(c.kind, props.data.as_ref().and_then(|d| d.version.as_deref()), None);
    let limit = limit.or(ctx.cfg.sync_page_size);
    let changes = match ctx.backend.changes(&ctx.user, id, since, limit, fmt).await {
        Err(BackendError::InvalidSyncToken) => return Err(invalid_token(ctx, c.kind.is_calendar())),
        other => other?,
    };
    let wants_data = props.data.is_some();
    let bodies = if wants_data && !changes.changed.is_empty() {
        let names: Vec<String> = changes.changed.iter().map(|m| m.name.clone()).collect();
        ctx.backend.get_resources(&ctx.user, id, Some(&names), fmt).await?
    } else {
        Vec::new()
    };
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: fmt,
    };
    let names = if props.names.is_empty() {
        vec![QName::dav("getetag")]
    } else {
        props.names.clone()
    };
    let sel = Selection::Props(&names);
    let mut ms = MultiStatus::default();
    for m in &changes.changed {
        let body = bodies.iter().find(|r| r.meta.name == m.name);
        let meta = body.map(|r| &r.meta).unwrap_or(m);
        let mut ps = PropStat::default();
        fill(
            &mut ps,
            &pc,
            &DavNode::Resource(&c, meta, body.map(|r| r.body.as_str())),
            &sel,
            props.data.as_ref(),
        );
        ms.push(Response::with_props(
            ctx.hrefs.resource(home, &ctx.user, id, &m.name),
            ps,
        ));
    }
    for r in &changes.removed {
        ms.push(Response::with_status(ctx.hrefs.resource(home, &ctx.user, id, r), 404));
    }
    if changes.truncated {
        ms.push(Response::with_status(ctx.hrefs.collection(home, &ctx.user, id), 507));
    }
    ms.sync_token = Some(sync_token(id, changes.seq));
    Ok(multistatus(ms.render()))
}

/// 403 valid-sync-token; Thunderbird's address book only understands 400 (same body).
fn invalid_token<B>(ctx: &Ctx<'_, B>, calendar: bool) -> DavError {
    let tb = ctx.header("user-agent").is_some_and(|u| u.contains("Thunderbird"));
    let status = if tb && !calendar {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::FORBIDDEN
    };
    DavError::condition(
        status,
        QName::dav("valid-sync-token"),
        "unknown or expired sync token; start a full sync",
    )
}

fn home_token(state: &[(String, u64)]) -> String {
    let parts: Vec<String> = state
        .iter()
        .map(|(id, seq)| format!("{}.{seq}", hex::encode(id.as_bytes())))
        .collect();
    format!("{SYNC_PREFIX}~home/{}", parts.join("~"))
}

fn parse_home_token(t: &str) -> Option<Vec<(String, u64)>> {
    let rest = t.trim().strip_prefix(SYNC_PREFIX)?.strip_prefix("~home/")?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    rest.split('~')
        .map(|p| {
            let (h, s) = p.split_once('.')?;
            Some((String::from_utf8(hex::decode(h).ok()?).ok()?, s.parse().ok()?))
        })
        .collect()
}

async fn home_sync<B: Backend>(
    ctx: &Ctx<'_, B>,
    home: Home,
    token: Option<&str>,
    props: &ReportProps,
) -> DavResult<http::Response<Body>> {
    let old = match token {
        None => Vec::new(),
        Some(t) => parse_home_token(t).ok_or_else(|| invalid_token(ctx, true))?,
    };
    let colls = ctx.backend.list_collections(&ctx.user, home).await?;
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: crate::backend::Format::ICalendar,
    };
    let names = if props.names.is_empty() {
        vec![QName::dav("getetag")]
    } else {
        props.names.clone()
    };
    let mut ms = MultiStatus::default();
    for c in &colls {
        if old.iter().any(|(id, seq)| *id == c.id && *seq == c.seq) {
            continue;
        }
        let mut ps = PropStat::default();
        fill(&mut ps, &pc, &DavNode::Collection(c), &Selection::Props(&names), None);
        ms.push(Response::with_props(ctx.hrefs.collection(home, &ctx.user, &c.id), ps));
    }
    for (id, _) in &old {
        if !colls.iter().any(|c| c.id == *id) {
            ms.push(Response::with_status(ctx.hrefs.collection(home, &ctx.user, id), 404));
        }
    }
    let state: Vec<(String, u64)> = colls.iter().map(|c| (c.id.clone(), c.seq)).collect();
    ms.sync_token = Some(home_token(&state));
    Ok(xml_response(StatusCode::MULTI_STATUS, ms.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_tokens_round_trip() {
        let s = vec![("a/b".to_owned(), 3), ("x~y".to_owned(), 0)];
        assert_eq!(parse_home_token(&home_token(&s)), Some(s));
        assert_eq!(parse_home_token(&home_token(&[])), Some(vec![]));
        assert_eq!(parse_home_token("http://easdav.invalid/sync/~home/zz.1"), None);
    }
}
