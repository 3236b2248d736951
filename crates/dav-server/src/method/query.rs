//! calendar-query (RFC 4791 §7.8) and addressbook-query (RFC 6352 §8.6).

use dav_proto::filter::{CardFilter, CompFilter};
use dav_proto::ical;
use dav_proto::request::ReportProps;
use dav_proto::response::{MultiStatus, PropStat, Response};
use http::StatusCode;

use crate::backend::{Backend, Home};
use crate::error::{Body, DavError, DavResult};
use crate::method::{format_for, load_collection, report::selection};
use crate::paths::Target;
use crate::props::{fill, DavNode, PropCtx, Selection};
use crate::server::{multistatus, Ctx};

fn scope(target: &Target, want: Home) -> DavResult<(String, Option<String>)> {
    match target {
        Target::Collection(h, _, id) if *h == want => Ok((id.clone(), None)),
        Target::Resource(h, _, id, name) if *h == want => Ok((id.clone(), Some(name.clone()))),
        _ => Err(DavError::Status(StatusCode::FORBIDDEN)),
    }
}

/// Handles calendar-query: every member whose data matches the filter (all members when the
/// filter is only `VCALENDAR`).
pub async fn calendar<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    props: &ReportProps,
    filter: Option<&CompFilter>,
) -> DavResult<http::Response<Body>> {
    let (id, only) = scope(target, Home::Calendars)?;
    let c = load_collection(ctx, Home::Calendars, &id).await?;
    let names = selection(props);
    let only = only.map(|n| vec![n]);
    let all = ctx
        .backend
        .get_resources(&ctx.user, &id, only.as_deref(), crate::backend::Format::ICalendar)
        .await?;
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: crate::backend::Format::ICalendar,
    };
    let tzid = c.timezone.as_deref().and_then(ical::timezone_id);
    let mut ms = MultiStatus::default();
    for r in &all {
        if filter.is_some_and(|f| !ical::matches_calendar(f, &r.body, tzid.as_deref())) {
            continue;
        }
        let mut ps = PropStat::default();
        fill(
            &mut ps,
            &pc,
            &DavNode::Resource(&c, &r.meta, Some(&r.body)),
            &Selection::Props(&names),
            props.data.as_ref(),
        );
        ms.push(Response::with_props(
            ctx.hrefs.resource(Home::Calendars, &ctx.user, &id, &r.meta.name),
            ps,
        ));
    }
    Ok(multistatus(ms.render()))
}

/// Handles addressbook-query with its optional limit (truncation is signalled with a 507
/// response for the request-URI, RFC 6352 §8.6.1).
pub async fn addressbook<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    props: &ReportProps,
    filter: &CardFilter,
    limit: Option<usize>,
) -> DavResult<http::Response<Body>> {
    let (id, only) = scope(target, Home::AddressBooks)?;
    let c = load_collection(ctx, Home::AddressBooks, &id).await?;
    let fmt = format_for(c.kind, props.data.as_ref().and_then(|d| d.version.as_deref()), None);
    let names = selection(props);
    let only = only.map(|n| vec![n]);
    let all = ctx.backend.get_resources(&ctx.user, &id, only.as_deref(), fmt).await?;
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: fmt,
    };
    let mut ms = MultiStatus::default();
    let mut count = 0usize;
    for r in &all {
        if !ical::matches_card(filter, &r.body) {
            continue;
        }
        if limit.is_some_and(|l| count >= l) {
            ms.push(Response::with_status(
                ctx.hrefs.collection(Home::AddressBooks, &ctx.user, &id),
                507,
            ));
            break;
        }
        count += 1;
        let mut ps = PropStat::default();
        fill(
            &mut ps,
            &pc,
            &DavNode::Resource(&c, &r.meta, Some(&r.body)),
            &Selection::Props(&names),
            props.data.as_ref(),
        );
        ms.push(Response::with_props(
            ctx.hrefs.resource(Home::AddressBooks, &ctx.user, &id, &r.meta.name),
            ps,
        ));
    }
    Ok(multistatus(ms.render()))
}
