//! Sync (MS-ASCMD §2.2.1.21): collections, client commands, server commands
//! and per-item responses.
//!
//! An empty HTTP body (or an empty `<Sync/>`) asks the server to re-run its
//! cached request; `Partial` merges the listed collections into the cached
//! request. Both are plain [`SyncRequest`] values here (see
//! [`SyncRequest::is_empty`]); an empty *response* body is handled at the
//! HTTP layer, not by this type.

use wbxml::tags::{airsync as a, airsyncbase as asb};
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{
    check_version, expect_root, flag_of, num, opt_flag, opt_status, opt_text, opt_u32, push_opt_flag, push_opt_text,
    push_opt_u32, req_status, req_text, required, Result,
};
use crate::{BodyPreference, Conflict, FilterType, ProtoError, ProtocolVersion, SyncStatus};

/// `Sync` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncRequest {
    /// The collections to synchronise (empty for an empty Sync).
    pub collections: Vec<SyncCollection>,
    /// Hanging Sync: wait up to this many minutes (1–59). Exclusive with `heartbeat_interval`.
    pub wait: Option<u32>,
    /// Hanging Sync: wait up to this many seconds (14.0+; 60–3540 on Exchange).
    pub heartbeat_interval: Option<u32>,
    /// Global cap on changed items across all collections.
    pub window_size: Option<u32>,
    /// `Partial`: merge with the server's cached request.
    pub partial: bool,
}

/// One `Collection` of a Sync request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncCollection {
    /// Collection sync key; `"0"` to start a partnership.
    pub sync_key: String,
    /// The folder's ServerId.
    pub collection_id: String,
    /// `Supported` (ghosting; only with key 0): the element as sent, children = managed elements.
    pub supported: Option<Element>,
    /// `DeletesAsMoves` (server default true).
    pub deletes_as_moves: Option<bool>,
    /// `GetChanges` (absent with a non-zero key behaves as true).
    pub get_changes: Option<bool>,
    /// Maximum changed items in the response for this collection (1–512).
    pub window_size: Option<u32>,
    /// `Options` blocks (usually zero or one; one per class in mixed folders).
    pub options: Vec<SyncOptions>,
    /// Client changes.
    pub commands: Vec<ClientCommand>,
}

impl SyncCollection {
    /// A collection request with only its key and id.
    pub fn new(sync_key: impl Into<String>, collection_id: impl Into<String>) -> Self {
        SyncCollection {
            sync_key: sync_key.into(),
            collection_id: collection_id.into(),
            supported: None,
            deletes_as_moves: None,
            get_changes: None,
            window_size: None,
            options: Vec::new(),
            commands: Vec::new(),
        }
    }

    /// The first request for a folder: key `"0"`, nothing else (MS-ASCMD
    /// forbids GetChanges and Commands with key 0).
    pub fn initial(collection_id: impl Into<String>) -> Self {
        Self::new("0", collection_id)
    }

    /// A pull: `GetChanges` with a window.
    pub fn pull(sync_key: impl Into<String>, collection_id: impl Into<String>, window_size: u32) -> Self {
        SyncCollection {
            get_changes: Some(true),
            window_size: Some(window_size),
            ..Self::new(sync_key, collection_id)
        }
    }

    /// A push of `commands` with `GetChanges=0`, so the answer carries only
    /// the responses to these commands.
    pub fn push(sync_key: impl Into<String>, collection_id: impl Into<String>, commands: Vec<ClientCommand>) -> Self {
        SyncCollection {
            get_changes: Some(false),
            commands,
            ..Self::new(sync_key, collection_id)
        }
    }
}

/// Sync `Options`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// `Class` the options apply to.
    pub class: Option<String>,
    /// `FilterType`.
    pub filter_type: Option<FilterType>,
    /// `airsyncbase:BodyPreference` entries.
    pub body_preferences: Vec<BodyPreference>,
    /// `Conflict` (server wins when absent).
    pub conflict: Option<Conflict>,
    /// `MIMESupport` (0 never, 1 S/MIME only, 2 always).
    pub mime_support: Option<u32>,
    /// `MIMETruncation`.
    pub mime_truncation: Option<u32>,
    /// `MaxItems` (recipient information cache only).
    pub max_items: Option<u32>,
    /// Other option elements, kept as received (e.g. 2.5 `Truncation`).
    pub other: Vec<Element>,
}

/// A client command inside a request collection's `Commands`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientCommand {
    /// Create an item.
    Add {
        /// Client-chosen temporary id (≤64 chars), echoed in `Responses/Add`.
        client_id: String,
        /// The `airsync:ApplicationData` element.
        application_data: Element,
    },
    /// Change an item (or, 16.x with `instance_id`, one occurrence).
    Change {
        /// The item's ServerId.
        server_id: String,
        /// 16.x: `airsyncbase:InstanceId` of the occurrence (Compact DateTime).
        instance_id: Option<String>,
        /// The `airsync:ApplicationData` element.
        application_data: Element,
    },
    /// Delete an item (or, 16.x with `instance_id`, cancel one occurrence).
    Delete {
        /// The item's ServerId.
        server_id: String,
        /// 16.x: `airsyncbase:InstanceId` of the occurrence.
        instance_id: Option<String>,
    },
    /// Fetch an item; the answer is in `Responses/Fetch`.
    Fetch {
        /// The item's ServerId.
        server_id: String,
    },
}

/// `Sync` response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncResponse {
    /// Top-level status (present on request-wide errors only).
    pub status: Option<SyncStatus>,
    /// `Limit`: allowed Wait/HeartbeatInterval bound with status 14, or max collections with 15.
    pub limit: Option<u32>,
    /// Per-collection results.
    pub collections: Vec<SyncCollectionResponse>,
}

/// One `Collection` of a Sync response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncCollectionResponse {
    /// The next sync key (absent on some errors).
    pub sync_key: Option<String>,
    /// The folder's ServerId.
    pub collection_id: String,
    /// `Class` (2.5-style servers; optional).
    pub class: Option<String>,
    /// Collection status.
    pub status: SyncStatus,
    /// More changes wait on the server: sync again with the new key.
    pub more_available: bool,
    /// Server changes for the client.
    pub commands: Vec<ServerCommand>,
    /// Answers to the client's commands.
    pub responses: Vec<SyncItemResponse>,
}

impl SyncCollectionResponse {
    /// A response collection with a status and no content.
    pub fn new(collection_id: impl Into<String>, sync_key: Option<String>, status: SyncStatus) -> Self {
        SyncCollectionResponse {
            sync_key,
            collection_id: collection_id.into(),
            class: None,
            status,
            more_available: false,
            commands: Vec::new(),
            responses: Vec::new(),
        }
    }
}

/// A server change inside a response collection's `Commands`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerCommand {
    /// A new item.
    Add {
        /// The item's ServerId.
        server_id: String,
        /// The `airsync:ApplicationData` element.
        application_data: Element,
    },
    /// A changed item.
    Change {
        /// The item's ServerId.
        server_id: String,
        /// The `airsync:ApplicationData` element.
        application_data: Element,
    },
    /// A deleted item.
    Delete {
        /// The item's ServerId.
        server_id: String,
    },
    /// An item that left the FilterType window (not deleted on the server).
    SoftDelete {
        /// The item's ServerId.
        server_id: String,
    },
}

/// An answer inside a response collection's `Responses`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyncItemResponse {
    /// Result of a client `Add`.
    Add {
        /// The client's id.
        client_id: String,
        /// The ServerId the item got (on success).
        server_id: Option<String>,
        /// Item status.
        status: SyncStatus,
    },
    /// Result of a client `Change` (sent on failure).
    Change {
        /// The item's ServerId.
        server_id: String,
        /// 16.x occurrence id, echoed.
        instance_id: Option<String>,
        /// Item status.
        status: SyncStatus,
    },
    /// Result of a client `Delete` (sent on failure).
    Delete {
        /// The item's ServerId.
        server_id: String,
        /// 16.x occurrence id, echoed.
        instance_id: Option<String>,
        /// Item status.
        status: SyncStatus,
    },
    /// Result of a client `Fetch`.
    Fetch {
        /// The item's ServerId.
        server_id: String,
        /// Item status.
        status: SyncStatus,
        /// The item (`airsync:ApplicationData`) on success.
        application_data: Option<Element>,
    },
}

impl SyncRequest {
    /// Whether this is an empty Sync (re-run the cached request).
    pub fn is_empty(&self) -> bool {
        self.collections.is_empty()
            && !self.partial
            && self.wait.is_none()
            && self.heartbeat_interval.is_none()
            && self.window_size.is_none()
    }
}

impl EasMessage for SyncRequest {
    const ROOT: Tag = a::SYNC;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut root = Element::new(Self::ROOT);
        if !self.collections.is_empty() {
            let mut cols = Element::new(a::COLLECTIONS);
            for c in &self.collections {
                cols.push(collection_to_element(c, version));
            }
            root.push(cols);
        }
        push_opt_u32(&mut root, a::WAIT, self.wait);
        if version >= ProtocolVersion::V14_0 {
            push_opt_u32(&mut root, a::HEARTBEAT_INTERVAL, self.heartbeat_interval);
        }
        push_opt_u32(&mut root, a::WINDOW_SIZE, self.window_size);
        if self.partial {
            root.push(Element::new(a::PARTIAL));
        }
        root
    }

    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut collections = Vec::new();
        if let Some(cols) = el.find(a::COLLECTIONS) {
            for c in cols.find_all(a::COLLECTION) {
                collections.push(collection_from_element(c, version)?);
            }
        }
        let wait = opt_u32(el, a::WAIT)?;
        let heartbeat_interval = opt_u32(el, a::HEARTBEAT_INTERVAL)?;
        if heartbeat_interval.is_some() {
            check_version(a::HEARTBEAT_INTERVAL, ProtocolVersion::V14_0, version)?;
            if wait.is_some() {
                return Err(ProtoError::InvalidValue {
                    tag: a::HEARTBEAT_INTERVAL,
                    value: String::new(),
                    reason: "Wait and HeartbeatInterval are mutually exclusive",
                });
            }
        }
        Ok(SyncRequest {
            collections,
            wait,
            heartbeat_interval,
            window_size: opt_u32(el, a::WINDOW_SIZE)?,
            partial: el.find(a::PARTIAL).map(flag_of).transpose()?.unwrap_or(false),
        })
    }
}

fn collection_to_element(c: &SyncCollection, version: ProtocolVersion) -> Element {
    let mut el = Element::new(a::COLLECTION)
        .with_text_child(a::SYNC_KEY, c.sync_key.as_str())
        .with_text_child(a::COLLECTION_ID, c.collection_id.as_str());
    if let Some(s) = &c.supported {
        el.push(s.clone());
    }
    push_opt_flag(&mut el, a::DELETES_AS_MOVES, c.deletes_as_moves);
    push_opt_flag(&mut el, a::GET_CHANGES, c.get_changes);
    push_opt_u32(&mut el, a::WINDOW_SIZE, c.window_size);
    for o in &c.options {
        el.push(options_to_element(o));
    }
    if !c.commands.is_empty() {
        let mut cmds = Element::new(a::COMMANDS);
        for cmd in &c.commands {
            cmds.push(client_command_to_element(cmd, version));
        }
        el.push(cmds);
    }
    el
}

fn collection_from_element(el: &Element, version: ProtocolVersion) -> Result<SyncCollection> {
    let mut commands = Vec::new();
    if let Some(cmds) = el.find(a::COMMANDS) {
        for cmd in cmds.elements() {
            if let Some(c) = client_command_from_element(cmd, version)? {
                commands.push(c);
            }
        }
    }
    Ok(SyncCollection {
        sync_key: req_text(el, a::SYNC_KEY)?,
        collection_id: req_text(el, a::COLLECTION_ID)?,
        supported: el.find(a::SUPPORTED).cloned(),
        deletes_as_moves: opt_flag(el, a::DELETES_AS_MOVES)?,
        get_changes: opt_flag(el, a::GET_CHANGES)?,
        window_size: opt_u32(el, a::WINDOW_SIZE)?,
        options: el
            .find_all(a::OPTIONS)
            .map(options_from_element)
            .collect::<Result<_>>()?,
        commands,
    })
}

fn options_to_element(o: &SyncOptions) -> Element {
    let mut el = Element::new(a::OPTIONS);
    push_opt_text(&mut el, a::CLASS, o.class.as_ref());
    push_opt_u32(&mut el, a::FILTER_TYPE, o.filter_type.map(FilterType::code));
    for bp in &o.body_preferences {
        el.push(bp.to_element());
    }
    push_opt_u32(&mut el, a::CONFLICT, o.conflict.map(Conflict::code));
    push_opt_u32(&mut el, a::MIME_SUPPORT, o.mime_support);
    push_opt_u32(&mut el, a::MIME_TRUNCATION, o.mime_truncation);
    push_opt_u32(&mut el, a::MAX_ITEMS, o.max_items);
    for other in &o.other {
        el.push(other.clone());
    }
    el
}

fn options_from_element(el: &Element) -> Result<SyncOptions> {
    let mut o = SyncOptions::default();
    for child in el.elements() {
        match child.tag {
            a::CLASS => o.class = Some(crate::xml::text_of(child)),
            a::FILTER_TYPE => o.filter_type = Some(FilterType::from_code(crate::xml::u32_of(child)?)),
            asb::BODY_PREFERENCE => o.body_preferences.push(BodyPreference::from_element(child)?),
            a::CONFLICT => o.conflict = Some(Conflict::from_code(crate::xml::u32_of(child)?)),
            a::MIME_SUPPORT => o.mime_support = Some(crate::xml::u32_of(child)?),
            a::MIME_TRUNCATION => o.mime_truncation = Some(crate::xml::u32_of(child)?),
            a::MAX_ITEMS => o.max_items = Some(crate::xml::u32_of(child)?),
            _ => o.other.push(child.clone()),
        }
    }
    Ok(o)
}

fn client_command_to_element(cmd: &ClientCommand, version: ProtocolVersion) -> Element {
    match cmd {
        ClientCommand::Add {
            client_id,
            application_data,
        } => Element::new(a::ADD)
            .with_text_child(a::CLIENT_ID, client_id.as_str())
            .with_child(application_data.clone()),
        ClientCommand::Change {
            server_id,
            instance_id,
            application_data,
        } => {
            let mut el = Element::new(a::CHANGE).with_text_child(a::SERVER_ID, server_id.as_str());
            if version.is_16() {
                push_opt_text(&mut el, asb::INSTANCE_ID, instance_id.as_ref());
            }
            el.with_child(application_data.clone())
        }
        ClientCommand::Delete { server_id, instance_id } => {
            let mut el = Element::new(a::DELETE).with_text_child(a::SERVER_ID, server_id.as_str());
            if version.is_16() {
                push_opt_text(&mut el, asb::INSTANCE_ID, instance_id.as_ref());
            }
            el
        }
        ClientCommand::Fetch { server_id } => Element::new(a::FETCH).with_text_child(a::SERVER_ID, server_id.as_str()),
    }
}

/// Reads an InstanceId sibling of ServerId, rejecting it before 16.0.
fn instance_id(el: &Element, version: ProtocolVersion) -> Result<Option<String>> {
    match opt_text(el, asb::INSTANCE_ID) {
        Some(id) => {
            check_version(asb::INSTANCE_ID, ProtocolVersion::V16_0, version)?;
            Ok(Some(id))
        }
        None => Ok(None),
    }
}

fn client_command_from_element(el: &Element, version: ProtocolVersion) -> Result<Option<ClientCommand>> {
    Ok(Some(match el.tag {
        a::ADD => ClientCommand::Add {
            client_id: req_text(el, a::CLIENT_ID)?,
            application_data: required(el, a::APPLICATION_DATA)?.clone(),
        },
        a::CHANGE => ClientCommand::Change {
            server_id: req_text(el, a::SERVER_ID)?,
            instance_id: instance_id(el, version)?,
            application_data: required(el, a::APPLICATION_DATA)?.clone(),
        },
        a::DELETE => ClientCommand::Delete {
            server_id: req_text(el, a::SERVER_ID)?,
            instance_id: instance_id(el, version)?,
        },
        a::FETCH => ClientCommand::Fetch {
            server_id: req_text(el, a::SERVER_ID)?,
        },
        _ => return Ok(None),
    }))
}

impl EasMessage for SyncResponse {
    const ROOT: Tag = a::SYNC;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut root = Element::new(Self::ROOT);
        if let Some(s) = self.status {
            root.push(num(a::STATUS, s.code()));
        }
        push_opt_u32(&mut root, a::LIMIT, self.limit);
        if !self.collections.is_empty() {
            let mut cols = Element::new(a::COLLECTIONS);
            for c in &self.collections {
                cols.push(response_collection_to_element(c, version));
            }
            root.push(cols);
        }
        root
    }

    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut collections = Vec::new();
        if let Some(cols) = el.find(a::COLLECTIONS) {
            for c in cols.find_all(a::COLLECTION) {
                collections.push(response_collection_from_element(c, version)?);
            }
        }
        Ok(SyncResponse {
            status: opt_status(el, a::STATUS)?,
            limit: opt_u32(el, a::LIMIT)?,
            collections,
        })
    }
}

fn response_collection_to_element(c: &SyncCollectionResponse, version: ProtocolVersion) -> Element {
    let mut el = Element::new(a::COLLECTION);
    push_opt_text(&mut el, a::CLASS, c.class.as_ref());
    push_opt_text(&mut el, a::SYNC_KEY, c.sync_key.as_ref());
    el.push_text(a::COLLECTION_ID, c.collection_id.as_str());
    el.push(num(a::STATUS, c.status.code()));
    // Child order as MS-ASCMD §2.2.3.29.2 lists it: … Status, MoreAvailable, Commands, Responses.
    if c.more_available {
        el.push(Element::new(a::MORE_AVAILABLE));
    }
    if !c.commands.is_empty() {
        let mut cmds = Element::new(a::COMMANDS);
        for cmd in &c.commands {
            cmds.push(match cmd {
                ServerCommand::Add {
                    server_id,
                    application_data,
                } => Element::new(a::ADD)
                    .with_text_child(a::SERVER_ID, server_id.as_str())
                    .with_child(application_data.clone()),
                ServerCommand::Change {
                    server_id,
                    application_data,
                } => Element::new(a::CHANGE)
                    .with_text_child(a::SERVER_ID, server_id.as_str())
                    .with_child(application_data.clone()),
                ServerCommand::Delete { server_id } => {
                    Element::new(a::DELETE).with_text_child(a::SERVER_ID, server_id.as_str())
                }
                ServerCommand::SoftDelete { server_id } => {
                    Element::new(a::SOFT_DELETE).with_text_child(a::SERVER_ID, server_id.as_str())
                }
            });
        }
        el.push(cmds);
    }
    if !c.responses.is_empty() {
        let mut resp = Element::new(a::RESPONSES);
        for r in &c.responses {
            resp.push(item_response_to_element(r, version));
        }
        el.push(resp);
    }
    el
}

fn item_response_to_element(r: &SyncItemResponse, version: ProtocolVersion) -> Element {
    match r {
        SyncItemResponse::Add {
            client_id,
            server_id,
            status,
        } => {
            let mut el = Element::new(a::ADD).with_text_child(a::CLIENT_ID, client_id.as_str());
            push_opt_text(&mut el, a::SERVER_ID, server_id.as_ref());
            el.with_child(num(a::STATUS, status.code()))
        }
        SyncItemResponse::Change {
            server_id,
            instance_id,
            status,
        } => id_status(a::CHANGE, server_id, instance_id.as_ref(), *status, version),
        SyncItemResponse::Delete {
            server_id,
            instance_id,
            status,
        } => id_status(a::DELETE, server_id, instance_id.as_ref(), *status, version),
        SyncItemResponse::Fetch {
            server_id,
            status,
            application_data,
        } => {
            let mut el = Element::new(a::FETCH)
                .with_text_child(a::SERVER_ID, server_id.as_str())
                .with_child(num(a::STATUS, status.code()));
            if let Some(ad) = application_data {
                el.push(ad.clone());
            }
            el
        }
    }
}

fn id_status(
    tag: Tag,
    server_id: &str,
    instance_id: Option<&String>,
    status: SyncStatus,
    version: ProtocolVersion,
) -> Element {
    let mut el = Element::new(tag).with_text_child(a::SERVER_ID, server_id);
    if version.is_16() {
        push_opt_text(&mut el, asb::INSTANCE_ID, instance_id);
    }
    el.with_child(num(a::STATUS, status.code()))
}

fn response_collection_from_element(el: &Element, version: ProtocolVersion) -> Result<SyncCollectionResponse> {
    let mut commands = Vec::new();
    if let Some(cmds) = el.find(a::COMMANDS) {
        for cmd in cmds.elements() {
            let server_id = || req_text(cmd, a::SERVER_ID);
            commands.push(match cmd.tag {
                a::ADD => ServerCommand::Add {
                    server_id: server_id()?,
                    application_data: required(cmd, a::APPLICATION_DATA)?.clone(),
                },
                a::CHANGE => ServerCommand::Change {
                    server_id: server_id()?,
                    application_data: required(cmd, a::APPLICATION_DATA)?.clone(),
                },
                a::DELETE => ServerCommand::Delete {
                    server_id: server_id()?,
                },
                a::SOFT_DELETE => ServerCommand::SoftDelete {
                    server_id: server_id()?,
                },
                _ => continue,
            });
        }
    }
    let mut responses = Vec::new();
    if let Some(resp) = el.find(a::RESPONSES) {
        for r in resp.elements() {
            responses.push(match r.tag {
                a::ADD => SyncItemResponse::Add {
                    client_id: req_text(r, a::CLIENT_ID)?,
                    server_id: opt_text(r, a::SERVER_ID),
                    status: req_status(r, a::STATUS)?,
                },
                a::CHANGE => SyncItemResponse::Change {
                    server_id: req_text(r, a::SERVER_ID)?,
                    instance_id: instance_id(r, version)?,
                    status: req_status(r, a::STATUS)?,
                },
                a::DELETE => SyncItemResponse::Delete {
                    server_id: req_text(r, a::SERVER_ID)?,
                    instance_id: instance_id(r, version)?,
                    status: req_status(r, a::STATUS)?,
                },
                a::FETCH => SyncItemResponse::Fetch {
                    server_id: req_text(r, a::SERVER_ID)?,
                    status: req_status(r, a::STATUS)?,
                    application_data: r.find(a::APPLICATION_DATA).cloned(),
                },
                _ => continue,
            });
        }
    }
    Ok(SyncCollectionResponse {
        sync_key: opt_text(el, a::SYNC_KEY),
        collection_id: req_text(el, a::COLLECTION_ID)?,
        class: opt_text(el, a::CLASS),
        status: req_status(el, a::STATUS)?,
        more_available: el.find(a::MORE_AVAILABLE).is_some(),
        commands,
        responses,
    })
}
