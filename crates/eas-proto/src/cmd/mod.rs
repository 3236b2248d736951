//! One module per command: typed requests and responses with
//! `to_element`/`from_element` through the [`EasMessage`] trait.

use wbxml::{Element, Tag};

use crate::{ProtoError, ProtocolVersion};

pub mod folder_ops;
pub mod folder_sync;
pub mod get_item_estimate;
pub mod item_operations;
pub mod move_items;
pub mod ping;
pub mod provision;
pub mod settings;
pub mod sync;

mod policy;

pub use policy::EasProvisionDoc;

/// A request or response body of one EAS command.
///
/// `version` is the protocol version of the request (the
/// `MS-ASProtocolVersion` header). Encoding omits elements the version does
/// not have; decoding rejects them with [`ProtoError::NotInVersion`].
pub trait EasMessage: Sized {
    /// The document's root element.
    const ROOT: Tag;

    /// Builds the element tree.
    fn to_element(&self, version: ProtocolVersion) -> Element;

    /// Reads the element tree; the root must be [`Self::ROOT`].
    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self, ProtoError>;

    /// Encodes to a WBXML body (with header).
    fn encode(&self, version: ProtocolVersion) -> Vec<u8> {
        wbxml::encode(&self.to_element(version))
    }

    /// Decodes a WBXML body.
    fn decode(bytes: &[u8], version: ProtocolVersion) -> Result<Self, ProtoError> {
        let el = wbxml::decode(bytes)?;
        Self::from_element(&el, version)
    }

    /// Decodes a body that may legally be empty: `None` for an empty body
    /// (an empty Sync or Ping request re-uses the server's cached request;
    /// an empty Sync response means "no changes").
    fn decode_body(bytes: &[u8], version: ProtocolVersion) -> Result<Option<Self>, ProtoError> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            Self::decode(bytes, version).map(Some)
        }
    }
}
