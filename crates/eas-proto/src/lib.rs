//! The Exchange ActiveSync protocol model shared by the client (`eas-client`)
//! and the simulator (`eas-sim`): typed requests and responses with WBXML
//! (de)serialisation, status codes, and MS-ASHTTP request framing.
//!
//! Deliberately not here: any I/O, async, HTTP client or server. Item payloads
//! (Calendar, Contacts, Tasks `ApplicationData`) stay as [`wbxml::Element`]
//! trees; the iCalendar/vCard mapping lives in `mapping`.
//!
//! Every command body implements [`EasMessage`]: `to_element(version)` /
//! `from_element(&el, version)`, and `encode`/`decode` to and from WBXML bytes.
//! The protocol version governs version-dependent elements (e.g. 16.x
//! `airsyncbase:InstanceId`): encoding leaves out what the version lacks,
//! decoding rejects it with [`ProtoError::NotInVersion`].
//!
//! Layout:
//! * one module per command with its request and response types:
//!   [`folder_sync`], [`folder_ops`] (Create/Update/Delete), [`sync`], [`ping`],
//!   [`provision`] (with [`EasProvisionDoc`]), [`get_item_estimate`],
//!   [`item_operations`], [`move_items`], [`settings`];
//! * [`status`]: [`CommonStatus`] (101–177) and one enum per command, each
//!   keeping unknown numbers;
//! * [`http`]: request line (plain and base64 query), headers, OPTIONS,
//!   HTTP status semantics;
//! * shared values: [`FolderType`], [`ItemClass`], [`FilterType`],
//!   [`Conflict`], [`BodyPreference`], [`ProtocolVersion`], [`ProtoError`].
//!
//! ```
//! use eas_proto::{EasMessage, ProtocolVersion, SyncStatus};
//! use eas_proto::sync::{ClientCommand, SyncCollection, SyncRequest, SyncResponse};
//! use wbxml::{tags::{airsync, calendar}, Element};
//!
//! let v = ProtocolVersion::V16_1;
//! let mut col = SyncCollection::new("1", "cal-1");
//! col.get_changes = Some(false);
//! col.commands.push(ClientCommand::Delete {
//!     server_id: "cal-1:7".into(),
//!     instance_id: Some("20260408T090000Z".into()),
//! });
//! let req = SyncRequest { collections: vec![col], ..Default::default() };
//!
//! let bytes = req.encode(v);
//! assert_eq!(SyncRequest::decode(&bytes, v).unwrap(), req);
//! // InstanceId does not exist before 16.0:
//! assert!(SyncRequest::decode(&bytes, ProtocolVersion::V14_1).is_err());
//!
//! // A server answer, as the simulator would build it:
//! let app = Element::new(airsync::APPLICATION_DATA).with_text_child(calendar::SUBJECT, "Standup");
//! let resp = eas_proto::sync::SyncResponse {
//!     status: None,
//!     limit: None,
//!     collections: vec![eas_proto::sync::SyncCollectionResponse {
//!         commands: vec![eas_proto::sync::ServerCommand::Add { server_id: "cal-1:8".into(), application_data: app }],
//!         ..eas_proto::sync::SyncCollectionResponse::new("cal-1", Some("2".into()), SyncStatus::Success)
//!     }],
//! };
//! assert_eq!(SyncResponse::decode(&resp.encode(v), v).unwrap(), resp);
//! ```

mod cmd;
mod error;
mod folder;
pub mod http;
mod options;
pub mod status;
mod version;
mod xml;

pub use cmd::{
    folder_ops, folder_sync, get_item_estimate, item_operations, move_items, ping, provision, settings, sync,
    EasMessage, EasProvisionDoc,
};
pub use error::ProtoError;
pub use folder::{FolderType, ItemClass};
pub use options::{BodyPreference, BodyType, Conflict, FilterType};
pub use status::{
    CommonStatus, FolderCreateStatus, FolderDeleteStatus, FolderStatus, FolderSyncStatus, FolderUpdateStatus,
    GetItemEstimateStatus, ItemOperationsStatus, MoveItemsStatus, PingStatus, PolicyAckStatus, PolicyStatus,
    ProvisionStatus, SettingsStatus, StatusCode, SyncStatus, WipeAckStatus,
};
pub use version::{ProtocolVersion, UnknownVersion};
