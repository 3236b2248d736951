//! Ping (MS-ASCMD §2.2.1.13): long-poll for changes in a set of folders.
//!
//! An empty HTTP body re-uses the server's cached Ping parameters; a
//! [`PingRequest`] with no interval and no folders encodes as `<Ping/>`.

use wbxml::tags::ping as p;
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{expect_root, num, opt_u32, push_opt_u32, req_status, req_text, text_of, Result};
use crate::{ItemClass, PingStatus, ProtocolVersion};

/// `Ping` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PingRequest {
    /// Seconds to wait for changes (required in the first Ping).
    pub heartbeat_interval: Option<u32>,
    /// Folders to watch.
    pub folders: Vec<PingFolder>,
}

/// One watched folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingFolder {
    /// The folder's ServerId.
    pub id: String,
    /// The folder's item class.
    pub class: ItemClass,
}

/// `Ping` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PingResponse {
    /// Ping status.
    pub status: PingStatus,
    /// With status 2: ids of the folders that changed.
    pub folders: Vec<String>,
    /// With status 6: the most folders the server watches.
    pub max_folders: Option<u32>,
    /// With status 5: the allowed minimum or maximum interval.
    pub heartbeat_interval: Option<u32>,
}

impl PingResponse {
    /// A response with only a status.
    pub fn new(status: PingStatus) -> Self {
        PingResponse {
            status,
            folders: Vec::new(),
            max_folders: None,
            heartbeat_interval: None,
        }
    }
}

impl EasMessage for PingRequest {
    const ROOT: Tag = p::PING;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        push_opt_u32(&mut el, p::HEARTBEAT_INTERVAL, self.heartbeat_interval);
        if !self.folders.is_empty() {
            let mut folders = Element::new(p::FOLDERS);
            for f in &self.folders {
                folders.push(
                    Element::new(p::FOLDER)
                        .with_text_child(p::ID, f.id.as_str())
                        .with_text_child(p::CLASS, f.class.as_str()),
                );
            }
            el.push(folders);
        }
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut folders = Vec::new();
        if let Some(fs) = el.find(p::FOLDERS) {
            for f in fs.find_all(p::FOLDER) {
                folders.push(PingFolder {
                    id: req_text(f, p::ID)?,
                    class: ItemClass::parse(&req_text(f, p::CLASS)?),
                });
            }
        }
        Ok(PingRequest {
            heartbeat_interval: opt_u32(el, p::HEARTBEAT_INTERVAL)?,
            folders,
        })
    }
}

impl EasMessage for PingResponse {
    const ROOT: Tag = p::PING;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT).with_child(num(p::STATUS, self.status.code()));
        if !self.folders.is_empty() {
            let mut folders = Element::new(p::FOLDERS);
            for id in &self.folders {
                folders.push_text(p::FOLDER, id.as_str());
            }
            el.push(folders);
        }
        push_opt_u32(&mut el, p::MAX_FOLDERS, self.max_folders);
        push_opt_u32(&mut el, p::HEARTBEAT_INTERVAL, self.heartbeat_interval);
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let folders = el
            .find(p::FOLDERS)
            .map(|fs| fs.find_all(p::FOLDER).map(text_of).collect())
            .unwrap_or_default();
        Ok(PingResponse {
            status: req_status(el, p::STATUS)?,
            folders,
            max_folders: opt_u32(el, p::MAX_FOLDERS)?,
            heartbeat_interval: opt_u32(el, p::HEARTBEAT_INTERVAL)?,
        })
    }
}
