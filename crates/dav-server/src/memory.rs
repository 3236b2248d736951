//! An in-memory [`Backend`] so the DAV logic can be tested without the sync engine.
//!
//! Every user starts with one calendar (`calendar`), one task list (`tasks`) and one address
//! book (`contacts`). Bodies are stored verbatim; vCards are converted with calcard when the
//! other version is asked for. Sequence numbers come from one counter shared by all
//! collections, so a token of a deleted and re-created collection can never be valid again.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use calcard::vcard::{VCard, VCardVersion};
use sha2::{Digest, Sha256};

use crate::backend::{
    Backend, BackendError, BackendResult, ChangeSet, CollectionInfo, CollectionKind, CollectionPatch, Format, Home,
    PrincipalInfo, PutOutcome, Resource, ResourceMeta, WriteCondition,
};

#[derive(Default)]
struct State {
    clock: u64,
    users: BTreeMap<String, User>,
    /// Error returned by the next write (fault injection for tests).
    fail_next_write: Option<BackendError>,
}

struct User {
    password: String,
    principal: PrincipalInfo,
    collections: Vec<Coll>,
}

struct Coll {
    info: CollectionInfo,
    /// Sequence at creation: older tokens are invalid.
    born: u64,
    items: BTreeMap<String, Item>,
    /// Last change sequence of every name ever touched (tombstones included).
    log: BTreeMap<String, u64>,
}

#[derive(Clone)]
struct Item {
    body: String,
    uid: String,
    modified: i64,
}

/// The in-memory backend.
#[derive(Default)]
pub struct MemoryBackend {
    state: Mutex<State>,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The strong ETag of a body: 32 hex digits of its SHA-256.
pub fn etag_of(body: &str) -> String {
    let d = Sha256::digest(body.as_bytes());
    hex::encode(d.get(..16).unwrap_or(&d))
}

fn uid_of(body: &str) -> String {
    body.lines()
        .find_map(|l| l.strip_prefix("UID:").or_else(|| l.strip_prefix("uid:")))
        .map(|u| u.trim().to_owned())
        .unwrap_or_default()
}

fn render(body: &str, format: Format) -> String {
    let want = match format {
        Format::ICalendar => return body.to_owned(),
        Format::VCard3 => VCardVersion::V3_0,
        Format::VCard4 => VCardVersion::V4_0,
    };
    let Ok(card) = VCard::parse(body) else {
        return body.to_owned();
    };
    if card.version() == Some(want) {
        return body.to_owned();
    }
    let mut out = String::new();
    match card.write_to(&mut out, want) {
        Ok(()) => out,
        Err(_) => body.to_owned(),
    }
}

impl MemoryBackend {
    /// An empty backend (add users with [`MemoryBackend::add_user`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a user with the default collections. The user name is canonical as given;
    /// logins match it case-insensitively.
    pub fn add_user(&self, user: &str, password: &str) {
        let mut st = self.lock();
        st.clock += 1;
        let born = st.clock;
        let mk = |id: &str, kind, name: &str, order| Coll {
            info: CollectionInfo {
                id: id.to_owned(),
                kind,
                display_name: name.to_owned(),
                color: None,
                order,
                description: None,
                timezone: None,
                seq: born,
                dead_props: BTreeMap::new(),
            },
            born,
            items: BTreeMap::new(),
            log: BTreeMap::new(),
        };
        let collections = vec![
            mk("calendar", CollectionKind::Calendar, "Calendar", Some(1)),
            mk("tasks", CollectionKind::Tasks, "Tasks", Some(2)),
            mk("contacts", CollectionKind::AddressBook, "Contacts", None),
        ];
        let principal = PrincipalInfo {
            user: user.to_owned(),
            display_name: user.to_owned(),
            emails: if user.contains('@') {
                vec![user.to_owned()]
            } else {
                Vec::new()
            },
        };
        st.users.insert(
            user.to_owned(),
            User {
                password: password.to_owned(),
                principal,
                collections,
            },
        );
    }

    /// Forgets change history up to the current sequence of every collection of `user`, so
    /// that older tokens become invalid (tests of valid-sync-token).
    pub fn expire_history(&self, user: &str) {
        let mut st = self.lock();
        if let Some(u) = st.users.get_mut(user) {
            for c in &mut u.collections {
                c.born = c.info.seq;
                c.log.retain(|n, _| c.items.contains_key(n));
            }
        }
    }

    /// Makes the next write (PUT, DELETE, collection change) fail with `err`, as the engine
    /// would when Exchange is down, refuses or cannot represent the change.
    pub fn fail_next_write(&self, err: BackendError) {
        self.lock().fail_next_write = Some(err);
    }

    fn take_fault(&self) -> BackendResult<()> {
        match self.lock().fail_next_write.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with_coll<T>(
        &self,
        user: &str,
        id: &str,
        f: impl FnOnce(&mut Coll, &mut u64) -> BackendResult<T>,
    ) -> BackendResult<T> {
        let mut st = self.lock();
        let State { clock, users, .. } = &mut *st;
        let u = users.get_mut(user).ok_or(BackendError::NotFound)?;
        let c = u
            .collections
            .iter_mut()
            .find(|c| c.info.id == id)
            .ok_or(BackendError::NotFound)?;
        f(c, clock)
    }
}

fn meta(name: &str, item: &Item, format: Format) -> (ResourceMeta, String) {
    let body = render(&item.body, format);
    (
        ResourceMeta {
            name: name.to_owned(),
            etag: etag_of(&body),
            last_modified: item.modified,
            size: body.len() as u64,
        },
        body,
    )
}

fn apply_patch(info: &mut CollectionInfo, p: CollectionPatch) {
    if let Some(d) = p.display_name {
        info.display_name = d;
    }
    if let Some(c) = p.color {
        info.color = c;
    }
    if let Some(o) = p.order {
        info.order = o;
    }
    if let Some(d) = p.description {
        info.description = d;
    }
    if let Some(t) = p.timezone {
        info.timezone = t;
    }
    for (k, v) in p.dead_props {
        match v {
            Some(v) => info.dead_props.insert(k, v),
            None => info.dead_props.remove(&k),
        };
    }
}

impl Backend for MemoryBackend {
    async fn authenticate(&self, user: &str, password: &str) -> BackendResult<Option<String>> {
        let st = self.lock();
        Ok(st
            .users
            .iter()
            .find(|(n, u)| n.eq_ignore_ascii_case(user) && u.password == password)
            .map(|(n, _)| n.clone()))
    }

    async fn principal(&self, user: &str) -> BackendResult<PrincipalInfo> {
        self.lock()
            .users
            .get(user)
            .map(|u| u.principal.clone())
            .ok_or(BackendError::NotFound)
    }

    async fn list_collections(&self, user: &str, home: Home) -> BackendResult<Vec<CollectionInfo>> {
        let st = self.lock();
        let u = st.users.get(user).ok_or(BackendError::NotFound)?;
        Ok(u.collections
            .iter()
            .filter(|c| c.info.kind.is_calendar() == (home == Home::Calendars))
            .map(|c| c.info.clone())
            .collect())
    }

    async fn collection(&self, user: &str, id: &str) -> BackendResult<CollectionInfo> {
        self.with_coll(user, id, |c, _| Ok(c.info.clone()))
    }

    async fn list_resources(&self, user: &str, collection: &str, format: Format) -> BackendResult<Vec<ResourceMeta>> {
        self.with_coll(user, collection, |c, _| {
            Ok(c.items.iter().map(|(n, i)| meta(n, i, format).0).collect())
        })
    }

    async fn get_resources(
        &self,
        user: &str,
        collection: &str,
        names: Option<&[String]>,
        format: Format,
    ) -> BackendResult<Vec<Resource>> {
        self.with_coll(user, collection, |c, _| {
            let pick = |(n, i): (&String, &Item)| {
                let (meta, body) = meta(n, i, format);
                Resource { meta, body }
            };
            Ok(match names {
                None => c.items.iter().map(pick).collect(),
                Some(ns) => ns.iter().filter_map(|n| c.items.get_key_value(n)).map(pick).collect(),
            })
        })
    }

    async fn changes(
        &self,
        user: &str,
        collection: &str,
        since: Option<u64>,
        limit: Option<usize>,
        format: Format,
    ) -> BackendResult<ChangeSet> {
        self.with_coll(user, collection, |c, _| {
            if let Some(s) = since {
                if s > c.info.seq || s < c.born {
                    return Err(BackendError::InvalidSyncToken);
                }
            }
            let floor = since.unwrap_or(0);
            let mut touched: Vec<(u64, &String)> = c
                .log
                .iter()
                .filter(|(n, seq)| **seq > floor && (since.is_some() || c.items.contains_key(*n)))
                .map(|(n, seq)| (*seq, n))
                .collect();
            touched.sort();
            let mut out = ChangeSet {
                seq: c.info.seq,
                ..Default::default()
            };
            if let Some(l) = limit {
                if touched.len() > l {
                    out.truncated = true;
                    touched.truncate(l);
                    out.seq = touched.last().map_or(floor, |t| t.0);
                }
            }
            for (_, n) in touched {
                match c.items.get(n) {
                    Some(i) => out.changed.push(meta(n, i, format).0),
                    None => out.removed.push(n.clone()),
                }
            }
            Ok(out)
        })
    }

    async fn put_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        body: &str,
        condition: WriteCondition,
    ) -> BackendResult<PutOutcome> {
        self.take_fault()?;
        self.with_coll(user, collection, |c, clock| {
            let existing = c.items.get(name);
            match (&condition, existing) {
                (WriteCondition::MustNotExist, Some(_)) => return Err(BackendError::PreconditionFailed),
                (WriteCondition::IfMatch(_), None) => return Err(BackendError::PreconditionFailed),
                (WriteCondition::IfMatch(e), Some(i)) => {
                    let fmt = if c.info.kind.is_calendar() {
                        Format::ICalendar
                    } else {
                        Format::VCard3
                    };
                    let cur3 = meta(name, i, fmt).0.etag;
                    let cur4 = meta(name, i, Format::VCard4).0.etag;
                    if *e != cur3 && *e != cur4 {
                        return Err(BackendError::PreconditionFailed);
                    }
                }
                _ => {}
            }
            let uid = uid_of(body);
            if let Some((other, _)) = c
                .items
                .iter()
                .find(|(n, i)| n.as_str() != name && i.uid == uid && !uid.is_empty())
            {
                return Err(BackendError::UidConflict { name: other.clone() });
            }
            let created = existing.is_none();
            *clock += 1;
            c.info.seq = *clock;
            c.log.insert(name.to_owned(), *clock);
            c.items.insert(
                name.to_owned(),
                Item {
                    body: body.to_owned(),
                    uid,
                    modified: now(),
                },
            );
            let default = if c.info.kind.is_calendar() {
                Format::ICalendar
            } else {
                Format::VCard3
            };
            let served = render(body, default);
            Ok(PutOutcome {
                etag: etag_of(&served),
                created,
                stored_as_sent: served == body,
            })
        })
    }

    async fn delete_resource(
        &self,
        user: &str,
        collection: &str,
        name: &str,
        if_match: Option<&str>,
    ) -> BackendResult<()> {
        self.take_fault()?;
        self.with_coll(user, collection, |c, clock| {
            let item = c.items.get(name).ok_or(BackendError::NotFound)?;
            if let Some(e) = if_match {
                let ok = [Format::ICalendar, Format::VCard3, Format::VCard4]
                    .iter()
                    .any(|f| meta(name, item, *f).0.etag == e);
                if !ok {
                    return Err(BackendError::PreconditionFailed);
                }
            }
            c.items.remove(name);
            *clock += 1;
            c.info.seq = *clock;
            c.log.insert(name.to_owned(), *clock);
            Ok(())
        })
    }

    async fn create_collection(
        &self,
        user: &str,
        id: &str,
        kind: CollectionKind,
        props: CollectionPatch,
    ) -> BackendResult<CollectionInfo> {
        self.take_fault()?;
        let mut st = self.lock();
        let State { clock, users, .. } = &mut *st;
        let u = users.get_mut(user).ok_or(BackendError::NotFound)?;
        if u.collections.iter().any(|c| c.info.id == id) {
            return Err(BackendError::Conflict(format!("collection {id} exists")));
        }
        *clock += 1;
        let mut info = CollectionInfo {
            id: id.to_owned(),
            kind,
            display_name: id.to_owned(),
            color: None,
            order: None,
            description: None,
            timezone: None,
            seq: *clock,
            dead_props: BTreeMap::new(),
        };
        apply_patch(&mut info, props);
        u.collections.push(Coll {
            info: info.clone(),
            born: *clock,
            items: BTreeMap::new(),
            log: BTreeMap::new(),
        });
        Ok(info)
    }

    async fn update_collection(&self, user: &str, id: &str, patch: CollectionPatch) -> BackendResult<CollectionInfo> {
        self.take_fault()?;
        self.with_coll(user, id, |c, _| {
            apply_patch(&mut c.info, patch);
            Ok(c.info.clone())
        })
    }

    async fn delete_collection(&self, user: &str, id: &str) -> BackendResult<()> {
        self.take_fault()?;
        let mut st = self.lock();
        let u = st.users.get_mut(user).ok_or(BackendError::NotFound)?;
        let before = u.collections.len();
        u.collections.retain(|c| c.info.id != id);
        if u.collections.len() == before {
            return Err(BackendError::NotFound);
        }
        Ok(())
    }
}
