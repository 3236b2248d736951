//! Exchange-like normalisation of client-sent items, and version-dependent rendering.
//!
//! Items are stored in one canonical form: times in compact UTC
//! (`YYYYMMDDTHHMMSSZ`), location as an `airsyncbase:Location` container,
//! exception occurrences identified by `airsyncbase:InstanceId`, server-set
//! `UID`, `DtStamp` and organizer. [`render`] turns that into what a client of
//! a given protocol version receives.
//!
//! 16.x rules applied to client writes (MS-ASCAL §2.2.2 and EXO observations):
//! `UID`, `Exceptions` and `AttendeeStatus` are refused with item status 6 (the
//! specification says they MUST NOT be sent); `DtStamp`, `OrganizerName` and
//! `OrganizerEmail` are ignored and replaced by server values (the
//! specification says the server uses the current user); empty elements other
//! than `Reminder` and `Picture` are refused with status 6; all-day events must
//! use `T000000Z` boundaries and a sent `Timezone` is dropped.

use eas_proto::ProtocolVersion;
use wbxml::tags::{airsync, airsyncbase as asb, calendar as cal, contacts, tasks};
use wbxml::{Element, Node, Tag};

use crate::state::ItemClass;

/// Why a client item was refused (the Sync item status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refused(pub u8);

/// Parses a date-time in compact (`20261125T100000Z`) or extended
/// (`2026-11-25T10:00:00.000Z`) form into its digits `YYYYMMDDhhmmss`.
pub fn parse_utc(s: &str) -> Option<[u32; 6]> {
    let s = s.trim();
    let body = s.strip_suffix('Z').or_else(|| s.strip_suffix('z'))?;
    let (date, time) = body.split_once(['T', 't']).unwrap_or((body, "000000"));
    let date: String = date.chars().filter(|c| *c != '-').collect();
    let time = time.split('.').next().unwrap_or_default();
    let time: String = time.chars().filter(|c| *c != ':').collect();
    let time = if time.len() == 4 { format!("{time}00") } else { time };
    if date.len() != 8 || time.len() != 6 || !date.chars().chain(time.chars()).all(|c| c.is_ascii_digit()) {
        return None;
    }
    let n = |x: &str| x.parse::<u32>().ok();
    let v = [
        n(date.get(0..4)?)?,
        n(date.get(4..6)?)?,
        n(date.get(6..8)?)?,
        n(time.get(0..2)?)?,
        n(time.get(2..4)?)?,
        n(time.get(4..6)?)?,
    ];
    let ok = (1..=12).contains(&v[1]) && (1..=31).contains(&v[2]) && v[3] < 24 && v[4] < 60 && v[5] < 61;
    ok.then_some(v)
}

/// Compact DateTime form (MS-ASDTYPE §2.7.2).
pub fn compact(v: [u32; 6]) -> String {
    format!("{:04}{:02}{:02}T{:02}{:02}{:02}Z", v[0], v[1], v[2], v[3], v[4], v[5])
}

/// Extended dateTime form used by contacts and tasks.
pub fn extended(v: [u32; 6]) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.000Z",
        v[0], v[1], v[2], v[3], v[4], v[5]
    )
}

/// The current time in compact form.
pub fn now_compact() -> String {
    jiff::Timestamp::now().strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The owner whose name and address the server writes as organizer.
#[derive(Clone, Debug)]
pub struct Owner<'a> {
    /// Display name.
    pub name: &'a str,
    /// SMTP address.
    pub email: &'a str,
}

/// A normalised client write.
#[derive(Debug)]
pub struct Normalized {
    /// Canonical `ApplicationData`.
    pub data: Element,
    /// The 16.x `ClientUid`, if sent.
    pub client_uid: Option<String>,
}

/// Normalises a client `Add` (or a control-API item) into canonical form.
///
/// # Errors
/// [`Refused`] with the Sync item status when Exchange would refuse the item.
pub fn normalize_new(
    class: ItemClass,
    app: &Element,
    v: ProtocolVersion,
    owner: &Owner<'_>,
) -> Result<Normalized, Refused> {
    let mut data = canonical(class, app, v)?;
    let client_uid = take_text(&mut data, cal::CLIENT_UID);
    if class == ItemClass::Calendar {
        let uid = if v.is_16() {
            None
        } else {
            take_text(&mut data, cal::UID)
        };
        let uid = uid.unwrap_or_else(new_uid);
        set_text(&mut data, cal::UID, &uid);
        stamp_calendar(&mut data, v, owner);
    }
    if class == ItemClass::Contacts && data.find(contacts::FILE_AS).is_none() {
        if let Some(file_as) = file_as(&data) {
            data.push_text(contacts::FILE_AS, file_as);
        }
    }
    Ok(Normalized { data, client_uid })
}

/// Applies a client `Change` to the stored canonical item.
///
/// 16.x calendar changes merge top-level elements (absent = kept, MS-ASCAL
/// §3.1.5.3); other changes replace the item except for ghosted elements
/// (`supported` lists the managed ones) and server-owned fields.
///
/// # Errors
/// [`Refused`] with the Sync item status.
pub fn normalize_change(
    class: ItemClass,
    old: &Element,
    app: &Element,
    v: ProtocolVersion,
    supported: Option<&[(u8, u8)]>,
    owner: &Owner<'_>,
) -> Result<Element, Refused> {
    let new = canonical(class, app, v)?;
    let merge_all = class == ItemClass::Calendar && v.is_16();
    let mut out = Element::new(airsync::APPLICATION_DATA);
    let managed = |t: Tag| match supported {
        None => true,
        Some(list) => list.contains(&(t.page, t.token)),
    };
    // Keep what the client did not send and may not (or need not) send.
    for e in old.elements() {
        let sent = new.find(e.tag).is_some();
        let server_owned = [cal::UID, cal::DT_STAMP, cal::ORGANIZER_NAME, cal::ORGANIZER_EMAIL].contains(&e.tag)
            || (class == ItemClass::Contacts && e.tag == contacts::PICTURE);
        if !sent && (merge_all || server_owned || !managed(e.tag)) {
            out.push(e.clone());
        }
    }
    for e in new.elements() {
        if e.tag == cal::CLIENT_UID || (class == ItemClass::Calendar && v.is_16() && e.tag == cal::UID) {
            continue;
        }
        if !(e.tag == contacts::PICTURE && e.is_empty()) {
            out.push(e.clone());
        }
    }
    if class == ItemClass::Calendar {
        if v.is_16() {
            let pattern_changed = [cal::RECURRENCE, cal::START_TIME, cal::END_TIME]
                .iter()
                .any(|t| new.find(*t).is_some_and(|n| old.find(*t) != Some(n)));
            if pattern_changed {
                out.remove_all(cal::EXCEPTIONS);
            }
        }
        stamp_calendar(&mut out, v, owner);
    }
    if class == ItemClass::Contacts && out.find(contacts::FILE_AS).is_none() {
        if let Some(file_as) = file_as(&out) {
            out.push_text(contacts::FILE_AS, file_as);
        }
    }
    Ok(out)
}

/// Applies a 16.x per-occurrence change (`InstanceId` sibling of `ServerId`).
///
/// # Errors
/// [`Refused`]: 6 when the item is not recurring, or the change carries
/// `Timezone` or `Deleted` (EXO answers 6 to both); 6 for a bad InstanceId.
pub fn apply_instance_change(old: &Element, instance_id: &str, app: Option<&Element>) -> Result<Element, Refused> {
    let id = parse_utc(instance_id).map(compact).ok_or(Refused(6))?;
    if old.find(cal::RECURRENCE).is_none() {
        return Err(Refused(6));
    }
    let mut ex = Element::new(cal::EXCEPTION).with_text_child(asb::INSTANCE_ID, id.clone());
    match app {
        None => ex.push_text(cal::DELETED, "1"),
        Some(app) => {
            if app.find(cal::TIMEZONE).is_some() || app.find(cal::DELETED).is_some() {
                return Err(Refused(6));
            }
            let fields = canonical(ItemClass::Calendar, app, ProtocolVersion::V16_1)?;
            for e in fields.elements() {
                if ![cal::CLIENT_UID, cal::UID, cal::RECURRENCE, cal::EXCEPTIONS].contains(&e.tag) {
                    ex.push(e.clone());
                }
            }
        }
    }
    let mut out = old.clone();
    if out.find(cal::EXCEPTIONS).is_none() {
        out.push(Element::new(cal::EXCEPTIONS));
    }
    if let Some(list) = out.find_mut(cal::EXCEPTIONS) {
        list.children
            .retain(|n| !matches!(n, Node::Element(e) if e.child_text(asb::INSTANCE_ID) == Some(id.as_str())));
        list.push(ex);
    }
    set_text(&mut out, cal::DT_STAMP, &now_compact());
    Ok(out)
}

/// Renders a canonical item as `ApplicationData` for protocol version `v`.
pub fn render(class: ItemClass, data: &Element, v: ProtocolVersion) -> Element {
    let mut out = Element::new(airsync::APPLICATION_DATA);
    if class != ItemClass::Calendar {
        out.children = data.children.clone();
        return out;
    }
    let all_day = data.child_text(cal::ALL_DAY_EVENT) == Some("1");
    for e in data.elements() {
        match e.tag {
            t if t == cal::TIMEZONE && all_day && v.is_16() => {}
            t if t == cal::EXCEPTIONS => {
                let mut list = Element::new(cal::EXCEPTIONS);
                for ex in e.elements() {
                    list.push(render_exception(ex, v));
                }
                out.push(list);
            }
            t if t == asb::LOCATION && !v.is_16() => {
                if let Some(name) = e.child_text(asb::DISPLAY_NAME) {
                    out.push_text(cal::LOCATION, name);
                }
            }
            t if is_v14_only(t) && v < ProtocolVersion::V14_0 => {}
            _ => out.push(e.clone()),
        }
    }
    out
}

fn render_exception(ex: &Element, v: ProtocolVersion) -> Element {
    let mut out = Element::new(cal::EXCEPTION);
    for e in ex.elements() {
        match e.tag {
            t if t == asb::INSTANCE_ID && !v.is_16() => {
                out.push_text(cal::EXCEPTION_START_TIME, e.text().unwrap_or(""))
            }
            t if t == asb::LOCATION && !v.is_16() => {
                if let Some(name) = e.child_text(asb::DISPLAY_NAME) {
                    out.push_text(cal::LOCATION, name);
                }
            }
            _ => out.push(e.clone()),
        }
    }
    out
}

fn is_v14_only(t: Tag) -> bool {
    [
        cal::RESPONSE_REQUESTED,
        cal::APPOINTMENT_REPLY_TIME,
        cal::RESPONSE_TYPE,
        cal::DISALLOW_NEW_TIME_PROPOSAL,
        cal::ONLINE_MEETING_CONF_LINK,
        cal::ONLINE_MEETING_EXTERNAL_LINK,
    ]
    .contains(&t)
}

/// Validates and canonicalises the fields of one client `ApplicationData`.
fn canonical(class: ItemClass, app: &Element, v: ProtocolVersion) -> Result<Element, Refused> {
    let mut out = Element::new(airsync::APPLICATION_DATA);
    let all_day = app.child_text(cal::ALL_DAY_EVENT) == Some("1");
    for e in app.elements() {
        if v.is_16() && e.is_empty() && e.tag != cal::REMINDER && e.tag != contacts::PICTURE {
            return Err(Refused(6));
        }
        match class {
            ItemClass::Calendar => {
                if v.is_16() {
                    if e.tag == cal::UID || e.tag == cal::EXCEPTIONS {
                        return Err(Refused(6));
                    }
                    if [cal::DT_STAMP, cal::ORGANIZER_NAME, cal::ORGANIZER_EMAIL].contains(&e.tag) {
                        continue;
                    }
                    if e.tag == cal::TIMEZONE && all_day {
                        continue;
                    }
                    if e.tag == cal::ATTENDEES && e.elements().any(|a| a.find(cal::ATTENDEE_STATUS).is_some()) {
                        return Err(Refused(6));
                    }
                    if (e.tag == cal::START_TIME || e.tag == cal::END_TIME)
                        && all_day
                        && e.text().and_then(parse_utc).is_none_or(|t| t[3..] != [0, 0, 0])
                    {
                        return Err(Refused(6));
                    }
                }
                out.push(canonical_calendar_field(e)?);
            }
            ItemClass::Contacts if e.tag == contacts::BIRTHDAY || e.tag == contacts::ANNIVERSARY => {
                let t = e.text().and_then(parse_utc).ok_or(Refused(6))?;
                out.push_text(e.tag, extended(t));
            }
            ItemClass::Tasks if is_task_date(e.tag) => {
                let t = e.text().and_then(parse_utc).ok_or(Refused(6))?;
                out.push_text(e.tag, extended(t));
            }
            _ => out.push(e.clone()),
        }
    }
    Ok(out)
}

fn canonical_calendar_field(e: &Element) -> Result<Element, Refused> {
    let time = |e: &Element| -> Result<Element, Refused> {
        let t = e.text().and_then(parse_utc).ok_or(Refused(6))?;
        Ok(Element::text_element(e.tag, compact(t)))
    };
    match e.tag {
        t if [
            cal::START_TIME,
            cal::END_TIME,
            cal::DT_STAMP,
            cal::APPOINTMENT_REPLY_TIME,
        ]
        .contains(&t) =>
        {
            time(e)
        }
        t if t == cal::LOCATION => {
            Ok(Element::new(asb::LOCATION).with_text_child(asb::DISPLAY_NAME, e.text().unwrap_or("")))
        }
        t if t == cal::RECURRENCE => {
            let mut r = Element::new(cal::RECURRENCE);
            for c in e.elements() {
                r.push(if c.tag == cal::UNTIL { time(c)? } else { c.clone() });
            }
            Ok(r)
        }
        t if t == cal::EXCEPTIONS => {
            let mut list = Element::new(cal::EXCEPTIONS);
            for ex in e.elements() {
                let mut out = Element::new(cal::EXCEPTION);
                for c in ex.elements() {
                    match c.tag {
                        t if t == cal::EXCEPTION_START_TIME || t == asb::INSTANCE_ID => {
                            let v = c.text().and_then(parse_utc).ok_or(Refused(6))?;
                            out.push_text(asb::INSTANCE_ID, compact(v));
                        }
                        t if t == cal::UID => {}
                        _ => out.push(canonical_calendar_field(c)?),
                    }
                }
                if out.find(asb::INSTANCE_ID).is_none() {
                    return Err(Refused(6));
                }
                list.push(out);
            }
            Ok(list)
        }
        _ => Ok(e.clone()),
    }
}

fn is_task_date(t: Tag) -> bool {
    [
        tasks::START_DATE,
        tasks::UTC_START_DATE,
        tasks::DUE_DATE,
        tasks::UTC_DUE_DATE,
        tasks::DATE_COMPLETED,
        tasks::REMINDER_TIME,
    ]
    .contains(&t)
}

fn stamp_calendar(data: &mut Element, v: ProtocolVersion, owner: &Owner<'_>) {
    set_text(data, cal::DT_STAMP, &now_compact());
    if v.is_16() || data.find(cal::ORGANIZER_EMAIL).is_none() {
        set_text(data, cal::ORGANIZER_NAME, owner.name);
        set_text(data, cal::ORGANIZER_EMAIL, owner.email);
    }
    if data.find(cal::MEETING_STATUS).is_none() {
        data.push_text(cal::MEETING_STATUS, "0");
    }
}

fn file_as(data: &Element) -> Option<String> {
    let first = data.child_text(contacts::FIRST_NAME);
    let last = data.child_text(contacts::LAST_NAME);
    match (last, first) {
        (Some(l), Some(f)) => Some(format!("{l}, {f}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_owned()),
        (None, None) => data
            .child_text(contacts::COMPANY_NAME)
            .or_else(|| data.child_text(contacts::EMAIL1_ADDRESS))
            .map(str::to_owned),
    }
}

fn new_uid() -> String {
    // Outlook-style GlobalObjectId prefix followed by random bytes.
    let tail: [u8; 16] = rand::random();
    let hex: String = tail.iter().map(|b| format!("{b:02X}")).collect();
    format!("040000008200E00074C5B7101A82E00800000000{hex}")
}

/// Removes the first child with `tag` and returns its text.
pub fn take_text(e: &mut Element, tag: Tag) -> Option<String> {
    let text = e.child_text(tag).map(str::to_owned);
    e.remove_all(tag);
    text
}

/// Sets (replaces) a text child.
pub fn set_text(e: &mut Element, tag: Tag, text: &str) {
    match e.find_mut(tag) {
        Some(c) => c.children = vec![Node::Text(text.to_owned())],
        None => e.push_text(tag, text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> Owner<'static> {
        Owner {
            name: "alice",
            email: "alice@example.test",
        }
    }

    fn app(children: Vec<Element>) -> Element {
        let mut e = Element::new(airsync::APPLICATION_DATA);
        for c in children {
            e.push(c);
        }
        e
    }

    #[test]
    fn times_are_normalised_and_server_fields_set() {
        let a = app(vec![
            Element::text_element(cal::START_TIME, "2026-11-25T10:00:00.000Z"),
            Element::text_element(cal::DT_STAMP, "20000101T000000Z"),
            Element::text_element(cal::LOCATION, "Room 1"),
            Element::text_element(cal::UID, "client-uid"),
        ]);
        let n = normalize_new(ItemClass::Calendar, &a, ProtocolVersion::V14_1, &owner()).unwrap();
        assert_eq!(n.data.child_text(cal::START_TIME), Some("20261125T100000Z"));
        assert_ne!(n.data.child_text(cal::DT_STAMP), Some("20000101T000000Z"));
        assert_eq!(n.data.child_text(cal::UID), Some("client-uid"));
        let r14 = render(ItemClass::Calendar, &n.data, ProtocolVersion::V14_1);
        assert_eq!(r14.child_text(cal::LOCATION), Some("Room 1"));
        let r16 = render(ItemClass::Calendar, &n.data, ProtocolVersion::V16_1);
        assert_eq!(
            r16.find(asb::LOCATION).and_then(|l| l.child_text(asb::DISPLAY_NAME)),
            Some("Room 1")
        );
    }

    #[test]
    fn v16_refuses_uid_and_ignores_organizer() {
        let a = app(vec![Element::text_element(cal::UID, "x")]);
        assert_eq!(
            normalize_new(ItemClass::Calendar, &a, ProtocolVersion::V16_1, &owner()).unwrap_err(),
            Refused(6)
        );
        let a = app(vec![Element::text_element(cal::ORGANIZER_EMAIL, "mallory@evil.test")]);
        let n = normalize_new(ItemClass::Calendar, &a, ProtocolVersion::V16_1, &owner()).unwrap();
        assert_eq!(n.data.child_text(cal::ORGANIZER_EMAIL), Some("alice@example.test"));
        assert!(n
            .data
            .child_text(cal::UID)
            .is_some_and(|u| u.starts_with("040000008200E000")));
    }

    #[test]
    fn bad_dates_are_refused() {
        assert_eq!(parse_utc("20261325T000000Z"), None);
        assert_eq!(parse_utc("2026-01-02T03:04Z"), Some([2026, 1, 2, 3, 4, 0]));
        let a = app(vec![Element::text_element(cal::START_TIME, "tomorrow")]);
        assert!(normalize_new(ItemClass::Calendar, &a, ProtocolVersion::V14_1, &owner()).is_err());
    }
}
