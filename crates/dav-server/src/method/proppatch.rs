//! PROPPATCH (RFC 4918 §9.2) on collections: display name goes upstream (FolderUpdate),
//! colour/order/description/time zone and dead properties are stored by the backend. The
//! request is atomic: if one instruction fails, nothing changes and the rest get 424.

use dav_proto::names::{Prop, QName};
use dav_proto::request::{parse_proppatch, PatchOp};
use dav_proto::response::{MultiStatus, PropStat, Response};

use crate::backend::{Backend, CollectionKind, CollectionPatch};
use crate::error::{Body, DavResult};
use crate::method::{bad_xml, load_collection};
use crate::paths::Target;
use crate::server::{multistatus, Ctx};

/// Handles PROPPATCH.
pub async fn handle<B: Backend>(ctx: &Ctx<'_, B>, target: &Target, body: &[u8]) -> DavResult<http::Response<Body>> {
    let ops = parse_proppatch(body).map_err(bad_xml)?;
    let (href, kind) = match target {
        Target::Collection(home, _, id) => {
            let c = load_collection(ctx, *home, id).await?;
            (ctx.hrefs.collection(*home, &ctx.user, id), Some(c.kind))
        }
        Target::Home(home, _) => (ctx.hrefs.home(*home, &ctx.user), None),
        Target::Principal(_) => (ctx.hrefs.principal(&ctx.user), None),
        Target::Resource(home, _, id, name) => (ctx.hrefs.resource(*home, &ctx.user, id, name), None),
        _ => (ctx.hrefs.root(), None),
    };
    let (patch, results) = plan(&ops, kind);
    let failed = results.iter().any(|(_, s)| *s != 200);
    let mut ps = PropStat::default();
    for (name, status) in &results {
        let status = if failed && *status == 200 { 424 } else { *status };
        ps.status(status, name.clone());
    }
    if !failed {
        if let Target::Collection(_, _, id) = target {
            ctx.backend.update_collection(&ctx.user, id, patch).await?;
        }
    }
    let mut ms = MultiStatus::default();
    ms.push(Response::with_props(href, ps));
    Ok(multistatus(ms.render()))
}

/// Pure part: turns instructions into a patch and a status per property. `kind` is `None`
/// when the target is not a collection (then nothing can be set).
pub fn plan(ops: &[PatchOp], kind: Option<CollectionKind>) -> (CollectionPatch, Vec<(QName, u16)>) {
    let mut patch = CollectionPatch::default();
    let mut results = Vec::new();
    for op in ops {
        let (name, value) = match op {
            PatchOp::Set(n, el) => (n, Some(el)),
            PatchOp::Remove(n) => (n, None),
        };
        let Some(kind) = kind else {
            results.push((name.clone(), 403));
            continue;
        };
        let cal = kind.is_calendar();
        let text = value.map(|e| e.text.trim().to_owned());
        let status = match Prop::of(name) {
            Prop::DisplayName => match text {
                Some(t) if !t.is_empty() => {
                    patch.display_name = Some(t);
                    200
                }
                _ => 403,
            },
            Prop::CalendarColor if cal => {
                patch.color = Some(text.filter(|t| !t.is_empty()));
                200
            }
            Prop::CalendarOrder if cal => match text.as_deref().map(str::parse::<i64>) {
                None => {
                    patch.order = Some(None);
                    200
                }
                Some(Ok(o)) => {
                    patch.order = Some(Some(o));
                    200
                }
                Some(Err(_)) => 409,
            },
            Prop::CalendarDescription if cal => {
                patch.description = Some(text);
                200
            }
            Prop::AddressbookDescription if !cal => {
                patch.description = Some(text);
                200
            }
            Prop::CalendarTimezone if cal => {
                patch.timezone = Some(value.map(|e| e.text.clone()));
                200
            }
            Prop::Dead => {
                patch.dead_props.push((name.clark(), value.map(|e| e.to_xml())));
                200
            }
            _ => 403,
        };
        results.push((name.clone(), status));
    }
    (patch, results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dav_proto::xml::Element;

    #[test]
    fn atomic_plan() {
        let set = |n: QName, t: &str| {
            PatchOp::Set(
                n.clone(),
                Element {
                    ns: n.ns,
                    name: n.local,
                    text: t.into(),
                    ..Default::default()
                },
            )
        };
        let ops = vec![set(QName::dav("displayname"), "W"), set(QName::dav("getetag"), "x")];
        let (_, r) = plan(&ops, Some(CollectionKind::Calendar));
        assert_eq!(r.iter().map(|x| x.1).collect::<Vec<_>>(), vec![200, 403]);
        let ops = vec![
            set(QName::new("urn:x", "y"), "v"),
            set(QName::new(dav_proto::names::APPLE, "calendar-order"), "2"),
        ];
        let (p, r) = plan(&ops, Some(CollectionKind::Calendar));
        assert!(r.iter().all(|x| x.1 == 200));
        assert_eq!(p.order, Some(Some(2)));
        assert_eq!(p.dead_props.len(), 1);
    }
}
