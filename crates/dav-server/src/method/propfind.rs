//! PROPFIND (RFC 4918 §9.1) on the root, principals, homes, collections and members.

use dav_proto::names::{Prop, QName};
use dav_proto::request::PropFind;
use dav_proto::response::{MultiStatus, PropStat, Response};
use http::StatusCode;

use crate::backend::{Backend, Home};
use crate::error::{Body, DavError, DavResult};
use crate::method::{bad_xml, format_for, load_collection, minimal};
use crate::paths::Target;
use crate::props::{fill, DavNode, PropCtx, Selection};
use crate::server::{multistatus, Ctx};

/// Depth of a PROPFIND.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// `0`.
    Zero,
    /// `1` (also used when the header is missing).
    One,
}

/// Reads the Depth header; `infinity` is refused with 403 propfind-finite-depth.
pub fn depth<B>(ctx: &Ctx<'_, B>) -> DavResult<Depth> {
    match ctx.header("depth").map(str::trim) {
        Some("0") => Ok(Depth::Zero),
        Some("1") | None => Ok(Depth::One),
        Some(d) if d.eq_ignore_ascii_case("infinity") => Err(DavError::condition(
            StatusCode::FORBIDDEN,
            QName::dav("propfind-finite-depth"),
            "depth infinity is not supported; use 0 or 1",
        )),
        Some(_) => Err(DavError::BadRequest("invalid Depth header".into())),
    }
}

/// Handles PROPFIND.
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target, body: &[u8]) -> DavResult<http::Response<Body>> {
    let depth = depth(ctx)?;
    let pf = PropFind::parse(body).map_err(bad_xml)?;
    let (sel, wants_data) = match &pf {
        PropFind::AllProp(inc) => (Selection::All(inc), false),
        PropFind::PropName => (Selection::Names, false),
        PropFind::Prop(p) => (
            Selection::Props(p),
            p.iter()
                .any(|n| matches!(Prop::of(n), Prop::CalendarData | Prop::AddressData)),
        ),
    };
    let min = minimal(ctx);
    let user = ctx.user.as_str();
    let h = &ctx.hrefs;
    let mut ms = MultiStatus::default();
    let mk = |format| PropCtx {
        hrefs: h,
        user,
        max_size: ctx.cfg.max_resource_size,
        format,
    };
    let pc = mk(crate::backend::Format::ICalendar);
    let add = |ms: &mut MultiStatus, href: String, pc: &PropCtx<'_>, node: DavNode<'_>| {
        let mut ps = PropStat::default();
        fill(&mut ps, pc, &node, &sel, None);
        if min {
            ps.retain_ok();
        }
        ms.push(Response::with_props(href, ps));
    };
    match target {
        Target::Root => {
            add(&mut ms, h.root(), &pc, DavNode::Root);
            if depth == Depth::One {
                add(&mut ms, h.principals(), &pc, DavNode::Principals);
            }
        }
        Target::Principals => {
            add(&mut ms, h.principals(), &pc, DavNode::Principals);
            if depth == Depth::One {
                let p = ctx.backend.principal(user).await?;
                add(&mut ms, h.principal(user), &pc, DavNode::Principal(&p));
            }
        }
        Target::Principal(_) => {
            let p = ctx.backend.principal(user).await?;
            add(&mut ms, h.principal(user), &pc, DavNode::Principal(&p));
        }
        Target::Home(home, _) => {
            add(&mut ms, h.home(*home, user), &pc, DavNode::Home(*home));
            if depth == Depth::One {
                for c in ctx.backend.list_collections(user, *home).await? {
                    add(&mut ms, h.collection(*home, user, &c.id), &pc, DavNode::Collection(&c));
                }
            }
        }
        Target::Collection(home, _, id) => {
            let c = load_collection(ctx, *home, id).await?;
            add(&mut ms, h.collection(*home, user, &c.id), &pc, DavNode::Collection(&c));
            if depth == Depth::One {
                let fmt = format_for(c.kind, None, ctx.header("accept"));
                let pc = mk(fmt);
                if wants_data {
                    for r in ctx.backend.get_resources(user, id, None, fmt).await? {
                        let href = h.resource(*home, user, id, &r.meta.name);
                        add(&mut ms, href, &pc, DavNode::Resource(&c, &r.meta, Some(&r.body)));
                    }
                } else {
                    for m in ctx.backend.list_resources(user, id, fmt).await? {
                        add(
                            &mut ms,
                            h.resource(*home, user, id, &m.name),
                            &pc,
                            DavNode::Resource(&c, &m, None),
                        );
                    }
                }
            }
        }
        Target::Resource(home, _, id, name) => {
            let c = load_collection(ctx, *home, id).await?;
            let fmt = format_for(c.kind, None, ctx.header("accept"));
            let names = [name.clone()];
            let r = ctx.backend.get_resources(user, id, Some(&names), fmt).await?;
            let r = r.into_iter().next().ok_or(DavError::Status(StatusCode::NOT_FOUND))?;
            let pc = mk(fmt);
            add(
                &mut ms,
                h.resource(*home, user, id, name),
                &pc,
                DavNode::Resource(&c, &r.meta, Some(&r.body)),
            );
        }
        Target::WellKnown => return Err(DavError::Status(StatusCode::NOT_FOUND)),
    }
    let _ = Home::Calendars;
    Ok(multistatus(ms.render()))
}
