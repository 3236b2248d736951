//! FolderCreate, FolderUpdate and FolderDelete (MS-ASCMD §2.2.1.2–.4).

use wbxml::tags::folder_hierarchy as fh;
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{expect_root, num, opt_text, push_opt_text, req_status, req_text, req_u32, Result};
use crate::{FolderStatus, FolderType, ProtocolVersion};

/// `FolderCreate` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderCreateRequest {
    /// Current hierarchy sync key.
    pub sync_key: String,
    /// Parent folder ServerId (`"0"` for the root).
    pub parent_id: String,
    /// Name of the new folder.
    pub display_name: String,
    /// Type of the new folder (12–17 for user folders).
    pub folder_type: FolderType,
}

/// `FolderCreate` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderCreateResponse {
    /// Command status.
    pub status: FolderStatus,
    /// The new hierarchy sync key.
    pub sync_key: Option<String>,
    /// ServerId of the created folder.
    pub server_id: Option<String>,
}

/// `FolderUpdate` request (rename and/or move).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderUpdateRequest {
    /// Current hierarchy sync key.
    pub sync_key: String,
    /// ServerId of the folder to update.
    pub server_id: String,
    /// New parent folder ServerId (`"0"` for the root).
    pub parent_id: String,
    /// New name.
    pub display_name: String,
}

/// `FolderUpdate` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderUpdateResponse {
    /// Command status.
    pub status: FolderStatus,
    /// The new hierarchy sync key.
    pub sync_key: Option<String>,
}

/// `FolderDelete` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDeleteRequest {
    /// Current hierarchy sync key.
    pub sync_key: String,
    /// ServerId of the folder to delete.
    pub server_id: String,
}

/// `FolderDelete` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderDeleteResponse {
    /// Command status.
    pub status: FolderStatus,
    /// The new hierarchy sync key.
    pub sync_key: Option<String>,
}

impl EasMessage for FolderCreateRequest {
    const ROOT: Tag = fh::FOLDER_CREATE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        Element::new(Self::ROOT)
            .with_text_child(fh::SYNC_KEY, self.sync_key.as_str())
            .with_text_child(fh::PARENT_ID, self.parent_id.as_str())
            .with_text_child(fh::DISPLAY_NAME, self.display_name.as_str())
            .with_child(num(fh::TYPE, self.folder_type.code()))
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderCreateRequest {
            sync_key: req_text(el, fh::SYNC_KEY)?,
            parent_id: req_text(el, fh::PARENT_ID)?,
            display_name: req_text(el, fh::DISPLAY_NAME)?,
            folder_type: FolderType::from_code(req_u32(el, fh::TYPE)?),
        })
    }
}

impl EasMessage for FolderCreateResponse {
    const ROOT: Tag = fh::FOLDER_CREATE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT).with_child(num(fh::STATUS, self.status.code()));
        push_opt_text(&mut el, fh::SYNC_KEY, self.sync_key.as_ref());
        push_opt_text(&mut el, fh::SERVER_ID, self.server_id.as_ref());
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderCreateResponse {
            status: req_status(el, fh::STATUS)?,
            sync_key: opt_text(el, fh::SYNC_KEY),
            server_id: opt_text(el, fh::SERVER_ID),
        })
    }
}

impl EasMessage for FolderUpdateRequest {
    const ROOT: Tag = fh::FOLDER_UPDATE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        Element::new(Self::ROOT)
            .with_text_child(fh::SYNC_KEY, self.sync_key.as_str())
            .with_text_child(fh::SERVER_ID, self.server_id.as_str())
            .with_text_child(fh::PARENT_ID, self.parent_id.as_str())
            .with_text_child(fh::DISPLAY_NAME, self.display_name.as_str())
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderUpdateRequest {
            sync_key: req_text(el, fh::SYNC_KEY)?,
            server_id: req_text(el, fh::SERVER_ID)?,
            parent_id: req_text(el, fh::PARENT_ID)?,
            display_name: req_text(el, fh::DISPLAY_NAME)?,
        })
    }
}

impl EasMessage for FolderUpdateResponse {
    const ROOT: Tag = fh::FOLDER_UPDATE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        status_and_key(Self::ROOT, self.status, self.sync_key.as_ref())
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderUpdateResponse {
            status: req_status(el, fh::STATUS)?,
            sync_key: opt_text(el, fh::SYNC_KEY),
        })
    }
}

impl EasMessage for FolderDeleteRequest {
    const ROOT: Tag = fh::FOLDER_DELETE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        Element::new(Self::ROOT)
            .with_text_child(fh::SYNC_KEY, self.sync_key.as_str())
            .with_text_child(fh::SERVER_ID, self.server_id.as_str())
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderDeleteRequest {
            sync_key: req_text(el, fh::SYNC_KEY)?,
            server_id: req_text(el, fh::SERVER_ID)?,
        })
    }
}

impl EasMessage for FolderDeleteResponse {
    const ROOT: Tag = fh::FOLDER_DELETE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        status_and_key(Self::ROOT, self.status, self.sync_key.as_ref())
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderDeleteResponse {
            status: req_status(el, fh::STATUS)?,
            sync_key: opt_text(el, fh::SYNC_KEY),
        })
    }
}

fn status_and_key(root: Tag, status: FolderStatus, sync_key: Option<&String>) -> Element {
    let mut el = Element::new(root).with_child(num(fh::STATUS, status.code()));
    push_opt_text(&mut el, fh::SYNC_KEY, sync_key);
    el
}
