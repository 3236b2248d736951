//! The mailbox state: users, folders, items, devices and their sync partnerships.
//!
//! Change detection is by snapshot comparison: every item and folder carries the
//! per-user modification sequence of its last change, and each device partnership
//! remembers which sequence it last delivered per item. Pending changes for a
//! device are the difference between the two, so no change log has to be kept.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use wbxml::Element;

/// Folder types (MS-ASCMD FolderHierarchy Type).
pub mod folder_type {
    /// User-created generic (mail) folder.
    pub const USER_GENERIC: u8 = 1;
    /// Default Inbox.
    pub const INBOX: u8 = 2;
    /// Default Drafts.
    pub const DRAFTS: u8 = 3;
    /// Default Deleted Items.
    pub const DELETED_ITEMS: u8 = 4;
    /// Default Sent Items.
    pub const SENT_ITEMS: u8 = 5;
    /// Default Outbox.
    pub const OUTBOX: u8 = 6;
    /// Default Tasks.
    pub const TASKS: u8 = 7;
    /// Default Calendar.
    pub const CALENDAR: u8 = 8;
    /// Default Contacts.
    pub const CONTACTS: u8 = 9;
    /// Default Notes.
    pub const NOTES: u8 = 10;
    /// User-created mail folder.
    pub const USER_MAIL: u8 = 12;
    /// User-created calendar.
    pub const USER_CALENDAR: u8 = 13;
    /// User-created contacts folder.
    pub const USER_CONTACTS: u8 = 14;
    /// User-created tasks folder.
    pub const USER_TASKS: u8 = 15;
    /// User-created notes folder.
    pub const USER_NOTES: u8 = 17;
}

/// The item class a folder type holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemClass {
    /// Calendar items (MS-ASCAL).
    Calendar,
    /// Contacts (MS-ASCNTC).
    Contacts,
    /// Tasks (MS-ASTASK).
    Tasks,
    /// Notes (MS-ASNOTE).
    Notes,
    /// E-mail (MS-ASEMAIL).
    Email,
}

impl ItemClass {
    /// The class of items stored in folders of type `t`.
    pub fn of_folder_type(t: u8) -> ItemClass {
        use folder_type::*;
        match t {
            CALENDAR | USER_CALENDAR => ItemClass::Calendar,
            CONTACTS | USER_CONTACTS => ItemClass::Contacts,
            TASKS | USER_TASKS => ItemClass::Tasks,
            NOTES | USER_NOTES => ItemClass::Notes,
            _ => ItemClass::Email,
        }
    }

    /// The `Class` string used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemClass::Calendar => "Calendar",
            ItemClass::Contacts => "Contacts",
            ItemClass::Tasks => "Tasks",
            ItemClass::Notes => "Notes",
            ItemClass::Email => "Email",
        }
    }
}

/// An element tree persisted as base64 WBXML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blob(pub Element);

impl Serialize for Blob {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(wbxml::encode(&self.0)))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(s.as_bytes())
            .map_err(serde::de::Error::custom)?;
        wbxml::decode(&bytes).map(Blob).map_err(serde::de::Error::custom)
    }
}

/// The whole simulator state (what `--data` persists).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// Mailboxes by logon name.
    pub users: BTreeMap<String, Mailbox>,
}

/// One user's mailbox and device partnerships.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Mailbox {
    /// Folders by ServerId.
    pub folders: BTreeMap<String, Folder>,
    /// Items by ServerId.
    pub items: BTreeMap<String, Item>,
    /// Device partnerships by DeviceId.
    pub devices: BTreeMap<String, Device>,
    /// Counter for ids and keys.
    pub next_id: u64,
    /// Modification sequence: bumped by every change.
    pub modseq: u64,
}

/// One folder.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Folder {
    /// ServerId.
    pub id: String,
    /// Parent ServerId, `0` for the root.
    pub parent_id: String,
    /// Display name.
    pub name: String,
    /// FolderHierarchy Type.
    pub folder_type: u8,
    /// Sequence of the last change of the folder itself (name, parent).
    pub modseq: u64,
    /// Sequence of the last change of an item inside it.
    pub content_seq: u64,
}

impl Folder {
    /// Whether this is a default (undeletable) folder.
    pub fn is_default(&self) -> bool {
        !matches!(
            self.folder_type,
            folder_type::USER_GENERIC
                | folder_type::USER_MAIL
                | folder_type::USER_CALENDAR
                | folder_type::USER_CONTACTS
                | folder_type::USER_TASKS
                | 16
                | folder_type::USER_NOTES
        )
    }

    /// The class of items this folder holds.
    pub fn class(&self) -> ItemClass {
        ItemClass::of_folder_type(self.folder_type)
    }
}

/// One stored item, in canonical (normalised) form.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Item {
    /// ServerId.
    pub server_id: String,
    /// Folder ServerId.
    pub folder_id: String,
    /// Item class.
    pub class: ItemClass,
    /// Canonical `ApplicationData` children.
    pub data: Blob,
    /// Sequence of the last change.
    pub modseq: u64,
    /// 16.x ClientUid the item was created with (for de-duplication).
    pub client_uid: Option<String>,
}

/// Remote-wipe progress of a device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WipeState {
    /// No wipe ordered.
    #[default]
    None,
    /// Ordered through the control API; the next Provision carries RemoteWipe.
    Ordered,
    /// RemoteWipe sent, no acknowledgement yet.
    Sent,
    /// The device acknowledged the wipe; its partnership data is gone.
    Wiped,
}

/// One device partnership.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Device {
    /// DeviceId.
    pub id: String,
    /// DeviceType from the last request.
    pub device_type: String,
    /// Final policy key once the two-phase Provision completed.
    pub policy_key: Option<u32>,
    /// Temporary policy key handed out in phase one.
    pub pending_policy_key: Option<u32>,
    /// Remote wipe state.
    pub wipe: WipeState,
    /// Settings:DeviceInformation fields the device sent.
    pub info: BTreeMap<String, String>,
    /// FolderSync partnership.
    pub hierarchy: Option<Partnership>,
    /// Sync partnerships by CollectionId.
    pub collections: BTreeMap<String, Partnership>,
    /// Parameters of the last complete Ping (for empty-body Pings).
    pub ping: Option<PingCache>,
    /// The last complete Sync request (for empty and partial Syncs).
    pub last_sync: Option<Blob>,
    /// Generation of the newest Ping (a newer Ping ends an older one).
    #[serde(skip)]
    pub ping_gen: u64,
}

/// The sync state of one (device, folder) or (device, hierarchy) pair.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Partnership {
    /// The key the next request must carry.
    pub key: String,
    /// What the device has: item (or folder) id → sequence delivered or accepted.
    pub known: BTreeMap<String, u64>,
    /// The last answered request, replayed when the client repeats it.
    pub replay: Option<Replay>,
    /// Tags listed in `Supported` on the key-0 request (ghosting); `None` = none sent.
    pub supported: Option<Vec<(u8, u8)>>,
}

/// A response kept for idempotent replay.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Replay {
    /// The key the answered request carried.
    pub request_key: String,
    /// The response element (a Sync `Collection` or a `FolderSync`).
    pub response: Blob,
}

/// Cached Ping parameters.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PingCache {
    /// Heartbeat in seconds.
    pub heartbeat: u32,
    /// Folder ids watched.
    pub folders: Vec<String>,
}

/// A pending change for one device and folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// The device does not have the item yet.
    Add(String),
    /// The item changed since the device last saw it.
    Change(String),
    /// The device has an item that is gone.
    Delete(String),
}

impl Mailbox {
    /// A fresh id or key (unique within the mailbox).
    pub fn next(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Bumps and returns the modification sequence.
    pub fn bump(&mut self) -> u64 {
        self.modseq += 1;
        self.modseq
    }

    /// A mailbox with the default folder hierarchy.
    pub fn with_default_folders() -> Self {
        use folder_type::*;
        let mut m = Mailbox::default();
        let defaults = [
            (INBOX, "Inbox"),
            (DRAFTS, "Drafts"),
            (SENT_ITEMS, "Sent Items"),
            (DELETED_ITEMS, "Deleted Items"),
            (OUTBOX, "Outbox"),
            (CALENDAR, "Calendar"),
            (CONTACTS, "Contacts"),
            (TASKS, "Tasks"),
            (NOTES, "Notes"),
        ];
        for (t, name) in defaults {
            m.create_folder("0", name, t);
        }
        m
    }

    /// Creates a folder and returns its ServerId.
    pub fn create_folder(&mut self, parent_id: &str, name: &str, folder_type: u8) -> String {
        let id = self.next().to_string();
        let seq = self.bump();
        self.folders.insert(
            id.clone(),
            Folder {
                id: id.clone(),
                parent_id: parent_id.to_owned(),
                name: name.to_owned(),
                folder_type,
                modseq: seq,
                content_seq: seq,
            },
        );
        id
    }

    /// The folder of the given type (first match), e.g. the default Calendar.
    pub fn folder_of_type(&self, t: u8) -> Option<&Folder> {
        self.folders.values().find(|f| f.folder_type == t)
    }

    /// Deletes a folder, its sub-folders and their items; returns the deleted folder ids.
    pub fn delete_folder(&mut self, id: &str) -> Vec<String> {
        let mut doomed = vec![id.to_owned()];
        let mut i = 0;
        while let Some(cur) = doomed.get(i).cloned() {
            doomed.extend(
                self.folders
                    .values()
                    .filter(|f| f.parent_id == cur)
                    .map(|f| f.id.clone()),
            );
            i += 1;
        }
        for f in &doomed {
            self.folders.remove(f);
        }
        self.items.retain(|_, it| !doomed.contains(&it.folder_id));
        self.bump();
        doomed
    }

    /// Stores a new item in `folder_id` and returns its ServerId.
    pub fn insert_item(
        &mut self,
        folder_id: &str,
        class: ItemClass,
        data: Element,
        client_uid: Option<String>,
    ) -> String {
        let server_id = format!("{folder_id}:{}", self.next());
        let seq = self.bump();
        self.items.insert(
            server_id.clone(),
            Item {
                server_id: server_id.clone(),
                folder_id: folder_id.to_owned(),
                class,
                data: Blob(data),
                modseq: seq,
                client_uid,
            },
        );
        self.touch_folder(folder_id, seq);
        server_id
    }

    /// Replaces an item's data; returns the new sequence, or `None` if the item is gone.
    pub fn update_item(&mut self, server_id: &str, data: Element) -> Option<u64> {
        let seq = self.bump();
        let item = self.items.get_mut(server_id)?;
        item.data = Blob(data);
        item.modseq = seq;
        let folder = item.folder_id.clone();
        self.touch_folder(&folder, seq);
        Some(seq)
    }

    /// Removes an item; returns it.
    pub fn remove_item(&mut self, server_id: &str) -> Option<Item> {
        let item = self.items.remove(server_id)?;
        let seq = self.bump();
        self.touch_folder(&item.folder_id, seq);
        Some(item)
    }

    /// Moves an item to another folder under a new ServerId; returns the new id.
    pub fn move_item(&mut self, server_id: &str, dst_folder: &str) -> Option<String> {
        let item = self.remove_item(server_id)?;
        Some(self.insert_item(dst_folder, item.class, item.data.0, item.client_uid))
    }

    fn touch_folder(&mut self, folder_id: &str, seq: u64) {
        if let Some(f) = self.folders.get_mut(folder_id) {
            f.content_seq = seq;
        }
    }

    /// Items of a folder, ordered by ServerId.
    pub fn items_in<'a>(&'a self, folder_id: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items.values().filter(move |i| i.folder_id == folder_id)
    }

    /// Changes pending for a partnership on `folder_id` (adds and changes in
    /// sequence order, then deletes).
    pub fn pending(&self, folder_id: &str, known: &BTreeMap<String, u64>) -> Vec<Pending> {
        let mut upserts: Vec<(u64, Pending)> = self
            .items_in(folder_id)
            .filter_map(|it| match known.get(&it.server_id) {
                None => Some((it.modseq, Pending::Add(it.server_id.clone()))),
                Some(&s) if s != it.modseq => Some((it.modseq, Pending::Change(it.server_id.clone()))),
                Some(_) => None,
            })
            .collect();
        upserts.sort_by_key(|(s, _)| *s);
        let mut out: Vec<Pending> = upserts.into_iter().map(|(_, p)| p).collect();
        out.extend(
            known
                .keys()
                .filter(|id| self.items.get(*id).is_none_or(|it| it.folder_id != folder_id))
                .map(|id| Pending::Delete(id.clone())),
        );
        out
    }

    /// Hierarchy changes pending for a FolderSync partnership.
    pub fn pending_folders(&self, known: &BTreeMap<String, u64>) -> Vec<Pending> {
        let mut out: Vec<Pending> = self
            .folders
            .values()
            .filter_map(|f| match known.get(&f.id) {
                None => Some(Pending::Add(f.id.clone())),
                Some(&s) if s != f.modseq => Some(Pending::Change(f.id.clone())),
                Some(_) => None,
            })
            .collect();
        out.extend(
            known
                .keys()
                .filter(|id| !self.folders.contains_key(*id))
                .map(|id| Pending::Delete(id.clone())),
        );
        out
    }

    /// Whether the device's view of the hierarchy is out of date (it has
    /// synced the hierarchy before and something changed since).
    pub fn hierarchy_stale(&self, device_id: &str) -> bool {
        self.devices
            .get(device_id)
            .and_then(|d| d.hierarchy.as_ref())
            .is_some_and(|h| !self.pending_folders(&h.known).is_empty())
    }

    /// The device partnership, created on first use.
    pub fn device(&mut self, id: &str) -> &mut Device {
        self.devices.entry(id.to_owned()).or_insert_with(|| Device {
            id: id.to_owned(),
            ..Device::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wbxml::tags::calendar as cal;

    #[test]
    fn pending_tracks_adds_changes_and_deletes() {
        let mut m = Mailbox::with_default_folders();
        let cal_id = m.folder_of_type(folder_type::CALENDAR).unwrap().id.clone();
        let a = m.insert_item(&cal_id, ItemClass::Calendar, Element::new(cal::SUBJECT), None);
        let b = m.insert_item(&cal_id, ItemClass::Calendar, Element::new(cal::SUBJECT), None);
        let mut known = BTreeMap::new();
        assert_eq!(
            m.pending(&cal_id, &known),
            vec![Pending::Add(a.clone()), Pending::Add(b.clone())]
        );
        known.insert(a.clone(), m.items[&a].modseq);
        known.insert(b.clone(), m.items[&b].modseq);
        assert!(m.pending(&cal_id, &known).is_empty());
        m.update_item(&a, Element::new(cal::LOCATION)).unwrap();
        m.remove_item(&b).unwrap();
        assert_eq!(m.pending(&cal_id, &known), vec![Pending::Change(a), Pending::Delete(b)]);
    }

    #[test]
    fn blob_round_trips_through_json() {
        let b = Blob(Element::text_element(cal::SUBJECT, "x"));
        let s = serde_json::to_string(&b).unwrap();
        assert_eq!(serde_json::from_str::<Blob>(&s).unwrap(), b);
    }
}
