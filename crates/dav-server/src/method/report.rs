//! REPORT dispatch, plus calendar/addressbook-multiget, free-busy-query and expand-property.

use dav_proto::ical;
use dav_proto::names::QName;
use dav_proto::request::{ExpandItem, Report, ReportProps};
use dav_proto::response::{status_line, MultiStatus, Node, PropStat, Response, Value};
use dav_proto::time::format_utc;
use http::{header, HeaderValue, StatusCode};

use crate::backend::{Backend, CollectionInfo, Home};
use crate::error::{Body, DavError, DavResult};
use crate::method::{bad_xml, format_for, load_collection, query, sync};
use crate::paths::Target;
use crate::props::{fill, value, DavNode, PropCtx, Selection};
use crate::server::{multistatus, Ctx};

/// Handles REPORT.
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target, body: &[u8]) -> DavResult<http::Response<Body>> {
    let report = Report::parse(body).map_err(bad_xml)?;
    match report {
        Report::SyncCollection {
            token, limit, props, ..
        } => sync::handle(ctx, target, token.as_deref(), limit, &props).await,
        Report::CalendarMultiget { props, hrefs } | Report::AddressbookMultiget { props, hrefs } => {
            multiget(ctx, &props, &hrefs).await
        }
        Report::CalendarQuery { props, filter } => query::calendar(ctx, target, &props, filter.as_ref()).await,
        Report::AddressbookQuery { props, filter, limit } => {
            query::addressbook(ctx, target, &props, &filter, limit).await
        }
        Report::FreeBusyQuery(range) => free_busy(ctx, target, &range).await,
        Report::ExpandProperty(items) => expand_property(ctx, target, &items).await,
        Report::PrincipalPropertySearch {
            searches,
            any_of,
            props,
        } => principal_search(ctx, &searches, any_of, &props).await,
        Report::PrincipalSearchPropertySet => Ok(search_property_set()),
        Report::Unsupported(name) => Err(DavError::condition(
            StatusCode::FORBIDDEN,
            QName::dav("supported-report"),
            format!("report {name} is not supported"),
        )),
    }
}

/// The selection of a REPORT's `<D:prop>` (getetag if empty).
pub fn selection(props: &ReportProps) -> Vec<QName> {
    if props.names.is_empty() {
        vec![QName::dav("getetag")]
    } else {
        props.names.clone()
    }
}

async fn multiget<B: Backend>(
    ctx: &Ctx<'_, B>,
    props: &ReportProps,
    hrefs: &[String],
) -> DavResult<http::Response<Body>> {
    let names = selection(props);
    let mut ms = MultiStatus::default();
    // Group requested members by collection, keeping the request order in the answer.
    let mut cache: Vec<(Home, String, Option<CollectionInfo>)> = Vec::new();
    for href in hrefs {
        let Some(Target::Resource(home, user, id, name)) = ctx.hrefs.resolve(href) else {
            ms.push(Response::with_status(href.clone(), 404));
            continue;
        };
        if !user.eq_ignore_ascii_case(&ctx.user) {
            ms.push(Response::with_status(href.clone(), 404));
            continue;
        }
        if !cache.iter().any(|(h, i, _)| *h == home && *i == id) {
            let c = load_collection(ctx, home, &id).await.ok();
            cache.push((home, id.clone(), c));
        }
        let Some(Some(c)) = cache.iter().find(|(h, i, _)| *h == home && *i == id).map(|x| &x.2) else {
            ms.push(Response::with_status(href.clone(), 404));
            continue;
        };
        let fmt = format_for(c.kind, props.data.as_ref().and_then(|d| d.version.as_deref()), None);
        let found = ctx
            .backend
            .get_resources(&ctx.user, &id, Some(std::slice::from_ref(&name)), fmt)
            .await?;
        let Some(r) = found.into_iter().next() else {
            ms.push(Response::with_status(href.clone(), 404));
            continue;
        };
        let pc = PropCtx {
            hrefs: &ctx.hrefs,
            user: &ctx.user,
            max_size: ctx.cfg.max_resource_size,
            format: fmt,
        };
        let mut ps = PropStat::default();
        fill(
            &mut ps,
            &pc,
            &DavNode::Resource(c, &r.meta, Some(&r.body)),
            &Selection::Props(&names),
            props.data.as_ref(),
        );
        ms.push(Response::with_props(href.clone(), ps));
    }
    Ok(multistatus(ms.render()))
}

async fn free_busy<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    range: &dav_proto::filter::TimeRange,
) -> DavResult<http::Response<Body>> {
    let (Target::Collection(home @ Home::Calendars, _, id), Some(start), Some(end)) = (target, range.start, range.end)
    else {
        return Err(DavError::BadRequest(
            "free-busy-query needs a calendar and a closed time-range".into(),
        ));
    };
    let c = load_collection(ctx, *home, id).await?;
    let tzid = c.timezone.as_deref().and_then(ical::timezone_id);
    let mut periods = Vec::new();
    for r in ctx
        .backend
        .get_resources(&ctx.user, id, None, crate::backend::Format::ICalendar)
        .await?
    {
        periods.extend(ical::busy_periods(&r.body, range, tzid.as_deref()));
    }
    periods.sort();
    let mut out = String::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//easdav//dav-server//EN",
        "BEGIN:VFREEBUSY",
    ] {
        ical::fold_into(&mut out, l);
    }
    ical::fold_into(&mut out, &format!("DTSTAMP:{}", format_utc(now)));
    ical::fold_into(&mut out, &format!("DTSTART:{}", format_utc(start)));
    ical::fold_into(&mut out, &format!("DTEND:{}", format_utc(end)));
    for (s, e, kind) in periods {
        let (s, e) = (s.max(start), e.min(end).max(s.max(start)));
        ical::fold_into(
            &mut out,
            &format!("FREEBUSY;FBTYPE={kind}:{}/{}", format_utc(s), format_utc(e)),
        );
    }
    ical::fold_into(&mut out, "END:VFREEBUSY");
    ical::fold_into(&mut out, "END:VCALENDAR");
    let mut r = http::Response::new(http_body_util::Full::new(bytes::Bytes::from(out)));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(r)
}

async fn expand_property<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    items: &[ExpandItem],
) -> DavResult<http::Response<Body>> {
    let href = match target {
        Target::Principal(_) => ctx.hrefs.principal(&ctx.user),
        Target::Home(h, _) => ctx.hrefs.home(*h, &ctx.user),
        Target::Collection(h, _, id) => ctx.hrefs.collection(*h, &ctx.user, id),
        Target::Root => ctx.hrefs.root(),
        _ => return Err(DavError::Status(StatusCode::FORBIDDEN)),
    };
    let ps = expand_on(ctx, target, items, 0).await?;
    let mut ms = MultiStatus::default();
    ms.push(Response::with_props(href, ps));
    Ok(multistatus(ms.render()))
}

/// Computes `items` on `target`, replacing hrefs inside properties that have child items by
/// nested `<D:response>` elements (two levels at most).
async fn expand_on<B: Backend>(
    ctx: &Ctx<'_, B>,
    target: &Target,
    items: &[ExpandItem],
    level: u8,
) -> DavResult<PropStat> {
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: crate::backend::Format::ICalendar,
    };
    let principal;
    let coll;
    let node = match target {
        Target::Root => DavNode::Root,
        Target::Principals => DavNode::Principals,
        Target::Principal(_) => {
            principal = ctx.backend.principal(&ctx.user).await?;
            DavNode::Principal(&principal)
        }
        Target::Home(h, _) => DavNode::Home(*h),
        Target::Collection(h, _, id) => {
            coll = load_collection(ctx, *h, id).await?;
            DavNode::Collection(&coll)
        }
        _ => return Ok(PropStat::default()),
    };
    let mut ps = PropStat::default();
    for item in items {
        let Some(v) = value(&pc, &node, &item.name, None) else {
            ps.not_found(item.name.clone());
            continue;
        };
        let v = match v {
            Value::Nodes(nodes) if !item.children.is_empty() && level < 2 => {
                let mut out = Vec::new();
                for n in nodes {
                    let Node::El { name, children, .. } = &n else { continue };
                    let Some(Node::Text(h)) = children.first().filter(|_| name.local == "href") else {
                        out.push(n);
                        continue;
                    };
                    let Some(t) = ctx
                        .hrefs
                        .resolve(h)
                        .filter(|t| t.user().is_none_or(|u| u.eq_ignore_ascii_case(&ctx.user)))
                    else {
                        continue;
                    };
                    let inner = Box::pin(expand_on(ctx, &t, &item.children, level + 1)).await?;
                    out.push(response_node(h, &inner));
                }
                Value::Nodes(out)
            }
            other => other,
        };
        ps.ok(item.name.clone(), v);
    }
    Ok(ps)
}

/// principal-property-search: only the user's own principal is ever visible, so the answer
/// holds it when it matches (an empty search lists it) and is empty otherwise.
async fn principal_search<B: Backend>(
    ctx: &Ctx<'_, B>,
    searches: &[(Vec<QName>, String)],
    any_of: bool,
    props: &[QName],
) -> DavResult<http::Response<Body>> {
    let p = ctx.backend.principal(&ctx.user).await?;
    let pc = PropCtx {
        hrefs: &ctx.hrefs,
        user: &ctx.user,
        max_size: ctx.cfg.max_resource_size,
        format: crate::backend::Format::ICalendar,
    };
    let node = DavNode::Principal(&p);
    let text_of = |n: &QName| -> String {
        match value(&pc, &node, n, None) {
            Some(Value::Text(t)) => t,
            Some(Value::Nodes(ns)) => ns
                .iter()
                .filter_map(|n| match n {
                    Node::El { children, .. } => children.first().and_then(|c| match c {
                        Node::Text(t) => Some(t.clone()),
                        Node::El { .. } => None,
                    }),
                    Node::Text(t) => Some(t.clone()),
                })
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        }
    };
    let hit = |(names, text): &(Vec<QName>, String)| {
        let t = text.to_lowercase();
        names.iter().any(|n| text_of(n).to_lowercase().contains(&t))
    };
    let matched = searches.is_empty()
        || if any_of {
            searches.iter().any(hit)
        } else {
            searches.iter().all(hit)
        };
    let mut ms = MultiStatus::default();
    if matched {
        let names = if props.is_empty() {
            vec![QName::dav("displayname")]
        } else {
            props.to_vec()
        };
        let mut ps = PropStat::default();
        fill(&mut ps, &pc, &node, &Selection::Props(&names), None);
        ms.push(Response::with_props(ctx.hrefs.principal(&ctx.user), ps));
    }
    Ok(multistatus(ms.render()))
}

fn search_property_set() -> http::Response<Body> {
    let item = |ns: &str, n: &str, d: &str| {
        Node::el(
            QName::dav("principal-search-property"),
            vec![
                Node::el(QName::dav("prop"), vec![Node::empty(QName::new(ns, n))]),
                Node::text_el(QName::dav("description"), d),
            ],
        )
    };
    let out = dav_proto::response::render_document(&Node::el(
        QName::dav("principal-search-property-set"),
        vec![
            item(dav_proto::names::DAV, "displayname", "Display name"),
            item(dav_proto::names::CALDAV, "calendar-user-address-set", "E-mail address"),
        ],
    ));
    crate::server::xml_response(StatusCode::OK, out)
}

fn response_node(href: &str, ps: &PropStat) -> Node {
    let mut children = vec![Node::href(href)];
    let mut statuses: Vec<u16> = Vec::new();
    for (s, _, _) in ps.rows() {
        if !statuses.contains(s) {
            statuses.push(*s);
        }
    }
    for s in statuses {
        let props = ps
            .rows()
            .iter()
            .filter(|r| r.0 == s)
            .map(|(_, n, v)| match v {
                Value::Text(t) => Node::text_el(n.clone(), t.clone()),
                Value::Nodes(ns) => Node::el(n.clone(), ns.clone()),
                _ => Node::empty(n.clone()),
            })
            .collect();
        children.push(Node::el(
            QName::dav("propstat"),
            vec![
                Node::el(QName::dav("prop"), props),
                Node::text_el(QName::dav("status"), status_line(s)),
            ],
        ));
    }
    Node::el(QName::dav("response"), children)
}
