//! Live property values of every kind of node, and the PROPFIND/REPORT property selection.

use dav_proto::ical;
use dav_proto::names::{Prop, QName, CALDAV, CARDDAV, DAV};
use dav_proto::request::DataRequest;
use dav_proto::response::{Node, PropStat, Value};
use dav_proto::time::format_http_date;
use percent_encoding::percent_decode_str;

use crate::backend::{CollectionInfo, CollectionKind, Format, Home, PrincipalInfo, ResourceMeta};
use crate::paths::{enc, Hrefs};

/// Prefix of sync tokens: `http://easdav.invalid/sync/<collection>/<seq>`.
pub const SYNC_PREFIX: &str = "http://easdav.invalid/sync/";

/// The sync token (also the CTag) of a collection at a sequence.
pub fn sync_token(id: &str, seq: u64) -> String {
    format!("{SYNC_PREFIX}{}/{seq}", enc(id))
}

/// Parses a sync token for collection `id`; `None` if it is not one of ours or belongs to
/// another collection.
pub fn parse_sync_token(token: &str, id: &str) -> Option<u64> {
    let rest = token.trim().strip_prefix(SYNC_PREFIX)?;
    let (coll, seq) = rest.rsplit_once('/')?;
    let coll = percent_decode_str(coll).decode_utf8().ok()?;
    if coll != id {
        return None;
    }
    seq.parse().ok()
}

/// What a property is computed for.
pub enum DavNode<'a> {
    /// The DAV root.
    Root,
    /// `/principals/`.
    Principals,
    /// A principal.
    Principal(&'a PrincipalInfo),
    /// A home of the current user.
    Home(Home),
    /// A collection.
    Collection(&'a CollectionInfo),
    /// A member, with its body when calendar-data/address-data may be needed.
    Resource(&'a CollectionInfo, &'a ResourceMeta, Option<&'a str>),
}

/// Request-wide inputs of property computation.
pub struct PropCtx<'a> {
    /// Href builder.
    pub hrefs: &'a Hrefs,
    /// Current user.
    pub user: &'a str,
    /// max-resource-size.
    pub max_size: u64,
    /// Representation of address data.
    pub format: Format,
}

/// How properties were asked for.
pub enum Selection<'a> {
    /// allprop (+ include).
    All(&'a [QName]),
    /// propname.
    Names,
    /// An explicit list.
    Props(&'a [QName]),
}

/// Adds the selected properties of `node` to `ps` (unknown names become 404 rows).
pub fn fill(ps: &mut PropStat, pc: &PropCtx<'_>, node: &DavNode<'_>, sel: &Selection<'_>, data: Option<&DataRequest>) {
    match sel {
        Selection::Names => {
            for n in allprop_names(node) {
                ps.ok(n, Value::Empty);
            }
            for n in dead_names(node) {
                ps.ok(n, Value::Empty);
            }
        }
        Selection::All(include) => {
            for n in allprop_names(node).into_iter().chain(include.iter().cloned()) {
                if let Some(v) = value(pc, node, &n, data) {
                    ps.ok(n, v);
                }
            }
            if let DavNode::Collection(c) = node {
                for v in c.dead_props.values() {
                    ps.ok(QName::dav("dead"), Value::Raw(v.clone()));
                }
            }
        }
        Selection::Props(names) => {
            for n in names.iter() {
                match value(pc, node, n, data) {
                    Some(v) => ps.ok(n.clone(), v),
                    None => ps.not_found(n.clone()),
                }
            }
        }
    }
}

fn dead_names(node: &DavNode<'_>) -> Vec<QName> {
    match node {
        DavNode::Collection(c) => c.dead_props.keys().filter_map(|k| QName::from_clark(k)).collect(),
        _ => Vec::new(),
    }
}

/// Properties returned for allprop (RFC 4918 §9.1: not the expensive or protected ones such
/// as sync-token, calendar-data or the ACL set).
pub fn allprop_names(node: &DavNode<'_>) -> Vec<QName> {
    let q = |p: Prop| p.qname().unwrap_or_else(|| QName::dav("resourcetype"));
    let list: &[Prop] = match node {
        DavNode::Root | DavNode::Principals => &[Prop::ResourceType, Prop::DisplayName],
        DavNode::Principal(_) => &[Prop::ResourceType, Prop::DisplayName, Prop::PrincipalUrl],
        DavNode::Home(_) => &[Prop::ResourceType, Prop::DisplayName],
        DavNode::Collection(c) if c.kind.is_calendar() => &[
            Prop::ResourceType,
            Prop::DisplayName,
            Prop::GetCtag,
            Prop::SupportedCalendarComponentSet,
            Prop::CalendarColor,
            Prop::CalendarOrder,
            Prop::CalendarDescription,
        ],
        DavNode::Collection(_) => &[
            Prop::ResourceType,
            Prop::DisplayName,
            Prop::GetCtag,
            Prop::AddressbookDescription,
        ],
        DavNode::Resource(..) => &[
            Prop::ResourceType,
            Prop::GetEtag,
            Prop::GetContentType,
            Prop::GetContentLength,
            Prop::GetLastModified,
        ],
    };
    list.iter()
        .chain(std::iter::once(&Prop::CurrentUserPrincipal))
        .map(|p| q(*p))
        .collect()
}

fn privileges(write: bool, bind: bool) -> Value {
    let mut v = vec!["read", "read-current-user-privilege-set"];
    if write {
        v.extend(["write", "write-properties", "write-content"]);
    }
    if bind {
        v.extend(["bind", "unbind"]);
    }
    Value::Nodes(
        v.into_iter()
            .map(|p| Node::el(QName::dav("privilege"), vec![Node::empty(QName::dav(p))]))
            .collect(),
    )
}

fn reports(names: &[(&str, &str)]) -> Value {
    Value::Nodes(
        names
            .iter()
            .map(|(ns, n)| {
                Node::el(
                    QName::dav("supported-report"),
                    vec![Node::el(QName::dav("report"), vec![Node::empty(QName::new(ns, n))])],
                )
            })
            .collect(),
    )
}

fn rtype(names: &[(&str, &str)]) -> Value {
    Value::Nodes(names.iter().map(|(ns, n)| Node::empty(QName::new(ns, n))).collect())
}

/// The content type of members of a collection.
pub fn content_type(kind: CollectionKind) -> &'static str {
    match kind {
        CollectionKind::Calendar => "text/calendar; charset=utf-8; component=VEVENT",
        CollectionKind::Tasks => "text/calendar; charset=utf-8; component=VTODO",
        CollectionKind::AddressBook => "text/vcard; charset=utf-8",
    }
}

/// The value of one property of `node`, or `None` if it does not exist there.
pub fn value(pc: &PropCtx<'_>, node: &DavNode<'_>, name: &QName, data: Option<&DataRequest>) -> Option<Value> {
    let h = pc.hrefs;
    let me = h.principal(pc.user);
    let prop = Prop::of(name);
    // Properties every node has.
    match prop {
        Prop::CurrentUserPrincipal => return Some(Value::href(me)),
        Prop::PrincipalCollectionSet => return Some(Value::href(h.principals())),
        _ => {}
    }
    match node {
        DavNode::Root | DavNode::Principals => match prop {
            Prop::ResourceType => Some(rtype(&[(DAV, "collection")])),
            Prop::DisplayName => Some(Value::text(if matches!(node, DavNode::Root) {
                "easdav"
            } else {
                "principals"
            })),
            Prop::CurrentUserPrivilegeSet => Some(privileges(false, false)),
            _ => None,
        },
        DavNode::Principal(p) => match prop {
            Prop::ResourceType => Some(rtype(&[(DAV, "collection"), (DAV, "principal")])),
            Prop::DisplayName => Some(Value::text(p.display_name.clone())),
            Prop::PrincipalUrl | Prop::Owner => Some(Value::href(me)),
            Prop::CalendarHomeSet => Some(Value::href(h.home(Home::Calendars, pc.user))),
            Prop::AddressbookHomeSet => Some(Value::href(h.home(Home::AddressBooks, pc.user))),
            Prop::CalendarUserAddressSet => Some(Value::hrefs(
                p.emails
                    .iter()
                    .map(|e| format!("mailto:{e}"))
                    .chain(std::iter::once(h.principal(pc.user))),
            )),
            Prop::CurrentUserPrivilegeSet => Some(privileges(false, false)),
            Prop::SupportedReportSet => Some(reports(&[(DAV, "expand-property")])),
            Prop::ResourceId => Some(Value::href(format!("urn:x-easdav:principal:{}", enc(&p.user)))),
            _ => None,
        },
        DavNode::Home(home) => match prop {
            Prop::ResourceType => Some(rtype(&[(DAV, "collection")])),
            Prop::DisplayName => Some(Value::text(match home {
                Home::Calendars => "Calendars",
                Home::AddressBooks => "Address books",
            })),
            Prop::Owner => Some(Value::href(me)),
            Prop::CurrentUserPrivilegeSet => Some(privileges(false, true)),
            Prop::SupportedReportSet => Some(reports(&[(DAV, "sync-collection"), (DAV, "expand-property")])),
            _ => None,
        },
        DavNode::Collection(c) => collection_value(pc, c, prop, name, &me),
        DavNode::Resource(c, m, body) => match prop {
            Prop::ResourceType => Some(Value::Empty),
            Prop::GetEtag => Some(Value::text(format!("\"{}\"", m.etag))),
            Prop::GetContentType => Some(Value::text(content_type(c.kind))),
            Prop::GetContentLength => Some(Value::text(m.size.to_string())),
            Prop::GetLastModified => Some(Value::text(format_http_date(m.last_modified))),
            Prop::Owner => Some(Value::href(me)),
            Prop::CurrentUserPrivilegeSet => Some(privileges(true, false)),
            Prop::CalendarData if c.kind.is_calendar() => {
                let body = (*body)?;
                let tzid = c.timezone.as_deref().and_then(ical::timezone_id);
                if let Some(range) = data
                    .and_then(|d| d.limit_recurrence)
                    .filter(|_| data.is_some_and(|d| d.expand.is_none()))
                {
                    return Some(Value::Text(
                        ical::limit_recurrence_set(body, &range, tzid.as_deref()).unwrap_or_else(|| body.to_owned()),
                    ));
                }
                let text = match data.and_then(|d| d.expand) {
                    Some(range) => ical::expand(body, &range, tzid.as_deref()).unwrap_or_else(|| body.to_owned()),
                    None => body.to_owned(),
                };
                Some(Value::Text(match data.and_then(|d| d.calendar_select.as_ref()) {
                    Some(sel) => ical::select_calendar(&text, sel).unwrap_or(text),
                    None => text,
                }))
            }
            Prop::AddressData if !c.kind.is_calendar() => {
                let b = (*body)?;
                Some(Value::Text(match data.and_then(|d| d.card_props.as_deref()) {
                    Some(names) => ical::select_card(b, names).unwrap_or_else(|| b.to_owned()),
                    None => b.to_owned(),
                }))
            }
            _ => None,
        },
    }
}

fn collection_value(pc: &PropCtx<'_>, c: &CollectionInfo, prop: Prop, name: &QName, me: &str) -> Option<Value> {
    let cal = c.kind.is_calendar();
    match prop {
        Prop::ResourceType => Some(if cal {
            rtype(&[(DAV, "collection"), (CALDAV, "calendar")])
        } else {
            rtype(&[(DAV, "collection"), (CARDDAV, "addressbook")])
        }),
        Prop::DisplayName => Some(Value::text(c.display_name.clone())),
        Prop::GetCtag | Prop::SyncToken => Some(Value::text(sync_token(&c.id, c.seq))),
        Prop::Owner => Some(Value::href(me.to_owned())),
        Prop::CurrentUserPrivilegeSet => Some(privileges(true, false)),
        Prop::SupportedReportSet => Some(if cal {
            reports(&[
                (CALDAV, "calendar-multiget"),
                (CALDAV, "calendar-query"),
                (CALDAV, "free-busy-query"),
                (DAV, "sync-collection"),
                (DAV, "expand-property"),
            ])
        } else {
            reports(&[
                (CARDDAV, "addressbook-multiget"),
                (CARDDAV, "addressbook-query"),
                (DAV, "sync-collection"),
                (DAV, "expand-property"),
            ])
        }),
        Prop::SupportedCalendarComponentSet if cal => {
            let comp = if c.kind == CollectionKind::Tasks {
                "VTODO"
            } else {
                "VEVENT"
            };
            Some(Value::Nodes(vec![Node::with_attrs(
                QName::caldav("comp"),
                &[("name", comp)],
            )]))
        }
        Prop::SupportedCalendarData if cal => Some(Value::Nodes(vec![Node::with_attrs(
            QName::caldav("calendar-data"),
            &[("content-type", "text/calendar"), ("version", "2.0")],
        )])),
        // Only 3.0 is advertised: clients that see 4.0 switch to it for writes and multigets
        // (DAVx5, Evolution) while PROPFIND and sync-collection carry no version and report
        // 3.0 ETags, so every listing would look changed. 4.0 is still served when asked for.
        Prop::SupportedAddressData if !cal => Some(Value::Nodes(vec![Node::with_attrs(
            QName::carddav("address-data-type"),
            &[("content-type", "text/vcard"), ("version", "3.0")],
        )])),
        Prop::CalMaxResourceSize if cal => Some(Value::text(pc.max_size.to_string())),
        Prop::CardMaxResourceSize if !cal => Some(Value::text(pc.max_size.to_string())),
        Prop::CalendarDescription if cal => c.description.clone().map(Value::Text),
        Prop::AddressbookDescription if !cal => c.description.clone().map(Value::Text),
        Prop::CalendarTimezone if cal => c.timezone.clone().map(Value::Text),
        Prop::CalendarColor if cal => c.color.clone().map(Value::Text),
        Prop::CalendarOrder if cal => c.order.map(|o| Value::text(o.to_string())),
        Prop::Dead => c.dead_props.get(&name.clark()).map(|x| Value::Raw(x.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_tokens_round_trip() {
        let t = sync_token("a b", 42);
        assert!(t.starts_with("http://") && t.contains(':'));
        assert_eq!(parse_sync_token(&t, "a b"), Some(42));
        assert_eq!(parse_sync_token(&t, "other"), None);
        assert_eq!(parse_sync_token("garbage", "a b"), None);
    }
}
