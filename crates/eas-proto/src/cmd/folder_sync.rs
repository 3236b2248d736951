//! FolderSync (MS-ASCMD §2.2.1.5): the folder hierarchy and its changes.

use wbxml::tags::folder_hierarchy as fh;
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{expect_root, num, opt_text, req_status, req_text, req_u32, Result};
use crate::{FolderStatus, FolderType, ProtocolVersion};

/// `FolderSync` request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSyncRequest {
    /// Hierarchy sync key; `"0"` for the initial sync.
    pub sync_key: String,
}

/// `FolderSync` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderSyncResponse {
    /// Command status.
    pub status: FolderStatus,
    /// The new hierarchy sync key (absent on most errors).
    pub sync_key: Option<String>,
    /// Changes since the request's key, in order.
    pub changes: Vec<FolderChange>,
}

/// One folder as FolderSync `Add`/`Update` describe it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folder {
    /// The folder's ServerId (its CollectionId in Sync).
    pub server_id: String,
    /// The parent's ServerId; `"0"` for the root.
    pub parent_id: String,
    /// The display name.
    pub display_name: String,
    /// The folder type.
    pub folder_type: FolderType,
}

/// One entry of `Changes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FolderChange {
    /// A new folder.
    Add(Folder),
    /// A renamed or moved folder.
    Update(Folder),
    /// A deleted folder, by ServerId.
    Delete(String),
}

impl Folder {
    fn to_element(&self, tag: Tag) -> Element {
        Element::new(tag)
            .with_text_child(fh::SERVER_ID, self.server_id.as_str())
            .with_text_child(fh::PARENT_ID, self.parent_id.as_str())
            .with_text_child(fh::DISPLAY_NAME, self.display_name.as_str())
            .with_child(num(fh::TYPE, self.folder_type.code()))
    }

    fn from_element(el: &Element) -> Result<Self> {
        Ok(Folder {
            server_id: req_text(el, fh::SERVER_ID)?,
            parent_id: req_text(el, fh::PARENT_ID)?,
            display_name: req_text(el, fh::DISPLAY_NAME)?,
            folder_type: FolderType::from_code(req_u32(el, fh::TYPE)?),
        })
    }
}

impl EasMessage for FolderSyncRequest {
    const ROOT: Tag = fh::FOLDER_SYNC;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        Element::new(Self::ROOT).with_text_child(fh::SYNC_KEY, self.sync_key.as_str())
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        Ok(FolderSyncRequest {
            sync_key: req_text(el, fh::SYNC_KEY)?,
        })
    }
}

impl EasMessage for FolderSyncResponse {
    const ROOT: Tag = fh::FOLDER_SYNC;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut root = Element::new(Self::ROOT).with_child(num(fh::STATUS, self.status.code()));
        if let Some(key) = &self.sync_key {
            root.push_text(fh::SYNC_KEY, key.as_str());
        }
        if self.status.is_success() || !self.changes.is_empty() {
            let count = u32::try_from(self.changes.len()).unwrap_or(u32::MAX);
            let mut changes = Element::new(fh::CHANGES).with_child(num(fh::COUNT, count));
            for change in &self.changes {
                changes.push(match change {
                    FolderChange::Add(f) => f.to_element(fh::ADD),
                    FolderChange::Update(f) => f.to_element(fh::UPDATE),
                    FolderChange::Delete(id) => Element::new(fh::DELETE).with_text_child(fh::SERVER_ID, id.as_str()),
                });
            }
            root.push(changes);
        }
        root
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut changes = Vec::new();
        if let Some(ch) = el.find(fh::CHANGES) {
            for child in ch.elements() {
                match child.tag {
                    fh::ADD => changes.push(FolderChange::Add(Folder::from_element(child)?)),
                    fh::UPDATE => changes.push(FolderChange::Update(Folder::from_element(child)?)),
                    fh::DELETE => changes.push(FolderChange::Delete(req_text(child, fh::SERVER_ID)?)),
                    _ => {}
                }
            }
        }
        Ok(FolderSyncResponse {
            status: req_status(el, fh::STATUS)?,
            sync_key: opt_text(el, fh::SYNC_KEY),
            changes,
        })
    }
}
