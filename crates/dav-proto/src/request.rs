//! Typed DAV request bodies: PROPFIND, PROPPATCH, REPORT and MKCOL/MKCALENDAR.

use crate::error::ProtoError;
use crate::filter::{CardFilter, CompFilter, TimeRange};
use crate::names::{QName, CALDAV, CARDDAV, DAV};
use crate::time::parse_utc;
use crate::xml::Element;

/// A PROPFIND request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropFind {
    /// `<allprop/>` (or an empty body), with the names of `<include>`.
    AllProp(Vec<QName>),
    /// `<propname/>`.
    PropName,
    /// `<prop>` with the requested names.
    Prop(Vec<QName>),
}

impl PropFind {
    /// Parses a PROPFIND body; an empty body means allprop (RFC 4918 §9.1).
    ///
    /// # Errors
    /// [`ProtoError`] for malformed XML or a root other than `DAV:propfind`.
    pub fn parse(body: &[u8]) -> Result<Self, ProtoError> {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(PropFind::AllProp(Vec::new()));
        }
        let root = Element::parse(body)?;
        if !root.is(DAV, "propfind") {
            return Err(ProtoError::Invalid(format!(
                "expected DAV:propfind, got {}",
                root.qname()
            )));
        }
        if let Some(p) = root.child(DAV, "prop") {
            return Ok(PropFind::Prop(p.children.iter().map(Element::qname).collect()));
        }
        if root.child(DAV, "propname").is_some() {
            return Ok(PropFind::PropName);
        }
        if root.child(DAV, "allprop").is_some() {
            let inc = root
                .child(DAV, "include")
                .map(|i| i.children.iter().map(Element::qname).collect());
            return Ok(PropFind::AllProp(inc.unwrap_or_default()));
        }
        Err(ProtoError::Invalid("propfind without prop, propname or allprop".into()))
    }
}

/// One PROPPATCH instruction, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchOp {
    /// Set a property to the given element (the property element itself).
    Set(QName, Element),
    /// Remove a property.
    Remove(QName),
}

/// Parses a PROPPATCH body (`DAV:propertyupdate`).
///
/// # Errors
/// [`ProtoError`] for malformed XML or a wrong root element.
pub fn parse_proppatch(body: &[u8]) -> Result<Vec<PatchOp>, ProtoError> {
    let root = Element::parse(body)?;
    if !root.is(DAV, "propertyupdate") {
        return Err(ProtoError::Invalid(format!(
            "expected DAV:propertyupdate, got {}",
            root.qname()
        )));
    }
    let mut ops = Vec::new();
    for c in &root.children {
        let set = c.is(DAV, "set");
        if !set && !c.is(DAV, "remove") {
            continue;
        }
        for p in c.children_named(DAV, "prop") {
            for prop in &p.children {
                ops.push(if set {
                    PatchOp::Set(prop.qname(), prop.clone())
                } else {
                    PatchOp::Remove(prop.qname())
                });
            }
        }
    }
    Ok(ops)
}

/// A MKCOL (extended, RFC 5689) or MKCALENDAR (RFC 4791) body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MkCol {
    /// The `resourcetype` children requested (empty if none was given).
    pub resourcetype: Vec<QName>,
    /// Other properties to set, as (name, property element).
    pub set: Vec<(QName, Element)>,
}

impl MkCol {
    /// Parses a MKCOL or MKCALENDAR body; an empty body gives the default value.
    ///
    /// # Errors
    /// [`ProtoError`] for malformed XML or an unexpected root.
    pub fn parse(body: &[u8]) -> Result<Self, ProtoError> {
        if body.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(MkCol::default());
        }
        let root = Element::parse(body)?;
        if !root.is(DAV, "mkcol") && !root.is(CALDAV, "mkcalendar") {
            return Err(ProtoError::Invalid(format!(
                "expected mkcol or mkcalendar, got {}",
                root.qname()
            )));
        }
        let mut out = MkCol::default();
        for s in root.children_named(DAV, "set") {
            for p in s.children_named(DAV, "prop") {
                for prop in &p.children {
                    if prop.is(DAV, "resourcetype") {
                        out.resourcetype = prop.children.iter().map(Element::qname).collect();
                    } else {
                        out.set.push((prop.qname(), prop.clone()));
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Options inside `<C:calendar-data>` / `<CR:address-data>` of a REPORT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DataRequest {
    /// `<C:expand start end>`: return instances, not the master.
    pub expand: Option<TimeRange>,
    /// `<C:limit-recurrence-set>`.
    pub limit_recurrence: Option<TimeRange>,
    /// `version` attribute (`3.0`/`4.0` for vCard).
    pub version: Option<String>,
    /// `content-type` attribute.
    pub content_type: Option<String>,
    /// `<C:comp>` selection of parts of the calendar data (RFC 4791 §9.6.1).
    pub calendar_select: Option<CompSelect>,
    /// `<CR:prop name>` selection of vCard properties (RFC 6352 §10.4.2); `None` = all.
    pub card_props: Option<Vec<String>>,
}

/// `<C:comp>`: which properties and sub-components of a component to return.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompSelect {
    /// Component name (upper case).
    pub name: String,
    /// `<C:allprop/>`.
    pub all_props: bool,
    /// `<C:prop name>` names (upper case).
    pub props: Vec<String>,
    /// `<C:allcomp/>`.
    pub all_comps: bool,
    /// Nested selections.
    pub comps: Vec<CompSelect>,
}

fn comp_select(el: &Element) -> CompSelect {
    CompSelect {
        name: el.attr("name").unwrap_or_default().to_ascii_uppercase(),
        all_props: el.child(CALDAV, "allprop").is_some(),
        props: el
            .children_named(CALDAV, "prop")
            .filter_map(|p| p.attr("name"))
            .map(str::to_ascii_uppercase)
            .collect(),
        all_comps: el.child(CALDAV, "allcomp").is_some(),
        comps: el.children_named(CALDAV, "comp").map(comp_select).collect(),
    }
}

/// The property list of a REPORT: names, plus the data request if calendar-data or
/// address-data was asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportProps {
    /// Requested property names (including calendar-data/address-data).
    pub names: Vec<QName>,
    /// Options of calendar-data / address-data.
    pub data: Option<DataRequest>,
    /// `<D:allprop/>` was given instead of `<D:prop>`.
    pub allprop: bool,
}

/// One node of an expand-property request (RFC 3253 §3.8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpandItem {
    /// Property to report.
    pub name: QName,
    /// Properties to report on each href found in it.
    pub children: Vec<ExpandItem>,
}

/// A REPORT request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// RFC 6578.
    SyncCollection {
        /// The token sent (`None` for an initial sync).
        token: Option<String>,
        /// `sync-level` infinite.
        infinite: bool,
        /// `DAV:limit/DAV:nresults`.
        limit: Option<usize>,
        /// Properties.
        props: ReportProps,
    },
    /// RFC 4791 §7.9.
    CalendarMultiget {
        /// Properties.
        props: ReportProps,
        /// Requested hrefs, exactly as sent.
        hrefs: Vec<String>,
    },
    /// RFC 6352 §8.7.
    AddressbookMultiget {
        /// Properties.
        props: ReportProps,
        /// Requested hrefs, exactly as sent.
        hrefs: Vec<String>,
    },
    /// RFC 4791 §7.8.
    CalendarQuery {
        /// Properties.
        props: ReportProps,
        /// Root comp-filter (normally VCALENDAR).
        filter: Option<CompFilter>,
    },
    /// RFC 6352 §8.6.
    AddressbookQuery {
        /// Properties.
        props: ReportProps,
        /// Filter.
        filter: CardFilter,
        /// `CR:limit/CR:nresults`.
        limit: Option<usize>,
    },
    /// RFC 4791 §7.10.
    FreeBusyQuery(TimeRange),
    /// RFC 3253 §3.8.
    ExpandProperty(Vec<ExpandItem>),
    /// RFC 3744 §9.4.
    PrincipalPropertySearch {
        /// (properties searched, text to match) pairs.
        searches: Vec<(Vec<QName>, String)>,
        /// `test="anyof"` (default allof).
        any_of: bool,
        /// Properties to return.
        props: Vec<QName>,
    },
    /// RFC 3744 §9.5.
    PrincipalSearchPropertySet,
    /// A report this crate does not know.
    Unsupported(QName),
}

impl Report {
    /// Parses a REPORT body.
    ///
    /// # Errors
    /// [`ProtoError`] for malformed XML or malformed known reports.
    pub fn parse(body: &[u8]) -> Result<Self, ProtoError> {
        let root = Element::parse(body)?;
        let props = || report_props(&root);
        let hrefs = || {
            root.children_named(DAV, "href")
                .map(|h| h.text.trim().to_owned())
                .collect()
        };
        Ok(match (root.ns.as_str(), root.name.as_str()) {
            (DAV, "sync-collection") => {
                let token = root
                    .child(DAV, "sync-token")
                    .map(|t| t.text.trim().to_owned())
                    .filter(|t| !t.is_empty());
                let infinite = root
                    .child(DAV, "sync-level")
                    .is_some_and(|l| l.text.trim() == "infinite");
                let limit = root
                    .child(DAV, "limit")
                    .and_then(|l| l.child(DAV, "nresults"))
                    .map(nresults)
                    .transpose()?;
                Report::SyncCollection {
                    token,
                    infinite,
                    limit,
                    props: props()?,
                }
            }
            (CALDAV, "calendar-multiget") => Report::CalendarMultiget {
                props: props()?,
                hrefs: hrefs(),
            },
            (CARDDAV, "addressbook-multiget") => Report::AddressbookMultiget {
                props: props()?,
                hrefs: hrefs(),
            },
            (CALDAV, "calendar-query") => {
                let filter = match root
                    .child(CALDAV, "filter")
                    .and_then(|f| f.child(CALDAV, "comp-filter"))
                {
                    Some(cf) => Some(CompFilter::parse(cf)?),
                    None => None,
                };
                Report::CalendarQuery {
                    props: props()?,
                    filter,
                }
            }
            (CARDDAV, "addressbook-query") => {
                let filter = match root.child(CARDDAV, "filter") {
                    Some(f) => CardFilter::parse(f)?,
                    None => CardFilter::default(),
                };
                let limit = root
                    .child(CARDDAV, "limit")
                    .and_then(|l| l.child(CARDDAV, "nresults"))
                    .map(nresults)
                    .transpose()?;
                Report::AddressbookQuery {
                    props: props()?,
                    filter,
                    limit,
                }
            }
            (CALDAV, "free-busy-query") => {
                let tr = root
                    .child(CALDAV, "time-range")
                    .ok_or_else(|| ProtoError::Invalid("free-busy-query without time-range".into()))?;
                Report::FreeBusyQuery(time_range(tr)?)
            }
            (DAV, "expand-property") => Report::ExpandProperty(expand_items(&root)),
            (DAV, "principal-property-search") => Report::PrincipalPropertySearch {
                searches: root
                    .children_named(DAV, "property-search")
                    .map(|ps| {
                        let names = ps
                            .child(DAV, "prop")
                            .map(|p| p.children.iter().map(Element::qname).collect());
                        let text = ps.child(DAV, "match").map(|m| m.text.clone()).unwrap_or_default();
                        (names.unwrap_or_default(), text)
                    })
                    .collect(),
                any_of: root.attr("test") == Some("anyof"),
                props: root
                    .child(DAV, "prop")
                    .map(|p| p.children.iter().map(Element::qname).collect())
                    .unwrap_or_default(),
            },
            (DAV, "principal-search-property-set") => Report::PrincipalSearchPropertySet,
            _ => Report::Unsupported(root.qname()),
        })
    }
}

fn nresults(el: &Element) -> Result<usize, ProtoError> {
    el.text
        .trim()
        .parse()
        .map_err(|_| ProtoError::Invalid(format!("bad nresults {:?}", el.text)))
}

fn time_range(el: &Element) -> Result<TimeRange, ProtoError> {
    let start = el.attr("start").map(parse_utc).transpose()?;
    let end = el.attr("end").map(parse_utc).transpose()?;
    Ok(TimeRange { start, end })
}

fn expand_items(el: &Element) -> Vec<ExpandItem> {
    el.children_named(DAV, "property")
        .filter_map(|p| {
            let name = p.attr("name")?;
            let ns = p.attr("namespace").unwrap_or(DAV);
            Some(ExpandItem {
                name: QName::new(ns, name),
                children: expand_items(p),
            })
        })
        .collect()
}

fn report_props(root: &Element) -> Result<ReportProps, ProtoError> {
    let mut out = ReportProps {
        allprop: root.child(DAV, "allprop").is_some(),
        ..Default::default()
    };
    let Some(prop) = root.child(DAV, "prop") else {
        return Ok(out);
    };
    for p in &prop.children {
        out.names.push(p.qname());
        if p.is(CALDAV, "calendar-data") || p.is(CARDDAV, "address-data") {
            let mut d = DataRequest {
                version: p.attr("version").map(str::to_owned),
                content_type: p.attr("content-type").map(str::to_owned),
                ..Default::default()
            };
            if let Some(e) = p.child(CALDAV, "expand") {
                d.expand = Some(time_range(e)?);
            }
            if let Some(e) = p.child(CALDAV, "limit-recurrence-set") {
                d.limit_recurrence = Some(time_range(e)?);
            }
            d.calendar_select = p.child(CALDAV, "comp").map(comp_select);
            if p.is(CARDDAV, "address-data") && p.child(CARDDAV, "prop").is_some() {
                let names = p.children_named(CARDDAV, "prop").filter_map(|x| x.attr("name"));
                d.card_props = Some(names.map(str::to_ascii_uppercase).collect());
            }
            out.data = Some(d);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn propfind_forms() {
        assert_eq!(PropFind::parse(b"").unwrap(), PropFind::AllProp(vec![]));
        let b = br#"<propfind xmlns="DAV:"><allprop/><include><supported-report-set/></include></propfind>"#;
        assert_eq!(
            PropFind::parse(b).unwrap(),
            PropFind::AllProp(vec![QName::dav("supported-report-set")])
        );
        assert_eq!(
            PropFind::parse(br#"<propfind xmlns="DAV:"><propname/></propfind>"#).unwrap(),
            PropFind::PropName
        );
        assert!(PropFind::parse(br#"<x xmlns="DAV:"/>"#).is_err());
    }

    #[test]
    fn sync_collection_and_multiget() {
        let b =
            br#"<d:sync-collection xmlns:d="DAV:"><d:sync-token>http://x/1</d:sync-token><d:sync-level>1</d:sync-level>
            <d:limit><d:nresults>5</d:nresults></d:limit><d:prop><d:getetag/></d:prop></d:sync-collection>"#;
        match Report::parse(b).unwrap() {
            Report::SyncCollection {
                token,
                limit,
                props,
                infinite,
            } => {
                assert_eq!(token.as_deref(), Some("http://x/1"));
                assert_eq!(limit, Some(5));
                assert!(!infinite);
                assert_eq!(props.names, vec![QName::dav("getetag")]);
            }
            r => panic!("{r:?}"),
        }
        let b =
            br#"<c:calendar-multiget xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data>
            <c:expand start="20060103T000000Z" end="20060105T000000Z"/></c:calendar-data></d:prop>
            <d:href>/a%40b/x.ics</d:href></c:calendar-multiget>"#;
        match Report::parse(b).unwrap() {
            Report::CalendarMultiget { props, hrefs } => {
                assert_eq!(hrefs, vec!["/a%40b/x.ics".to_owned()]);
                assert!(props.data.unwrap().expand.is_some());
            }
            r => panic!("{r:?}"),
        }
    }

    #[test]
    fn proppatch_and_mkcol() {
        let b = br#"<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/"><D:set><D:prop>
            <D:displayname>W</D:displayname><A:calendar-color>#FF0000</A:calendar-color></D:prop></D:set>
            <D:remove><D:prop><A:calendar-order/></D:prop></D:remove></D:propertyupdate>"#;
        let ops = parse_proppatch(b).unwrap();
        assert_eq!(ops.len(), 3);
        assert!(matches!(&ops[2], PatchOp::Remove(q) if q.local == "calendar-order"));
        let b = br#"<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
            <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>B</D:displayname>
            </D:prop></D:set></D:mkcol>"#;
        let m = MkCol::parse(b).unwrap();
        assert_eq!(m.resourcetype.len(), 2);
        assert_eq!(m.set.len(), 1);
    }
}
