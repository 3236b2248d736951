//! ItemOperations (MS-ASCMD §2.2.1.10), the `Fetch` operation: read whole
//! items (or attachments) by id.

use wbxml::tags::{airsync as a, airsyncbase as asb, item_operations as io, search};
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{expect_root, num, opt_text, push_opt_text, push_opt_u32, req_status, req_text, u32_of, Result};
use crate::{BodyPreference, ItemOperationsStatus, ProtocolVersion};

/// The store name for mailbox items.
pub const MAILBOX_STORE: &str = "Mailbox";

/// `ItemOperations` request (Fetch operations only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemOperationsRequest {
    /// Fetch operations, in order.
    pub fetches: Vec<FetchRequest>,
}

/// One `Fetch` operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchRequest {
    /// `Store` (`Mailbox` for items and attachments).
    pub store: String,
    /// `airsync:CollectionId` of the item's folder.
    pub collection_id: Option<String>,
    /// `airsync:ServerId` of the item.
    pub server_id: Option<String>,
    /// `search:LongId` (item found by Search).
    pub long_id: Option<String>,
    /// `airsyncbase:FileReference` (attachment).
    pub file_reference: Option<String>,
    /// `Options`.
    pub options: Option<FetchOptions>,
}

impl FetchRequest {
    /// A mailbox fetch of one item by folder and ServerId.
    pub fn item(collection_id: impl Into<String>, server_id: impl Into<String>) -> Self {
        FetchRequest {
            store: MAILBOX_STORE.to_owned(),
            collection_id: Some(collection_id.into()),
            server_id: Some(server_id.into()),
            long_id: None,
            file_reference: None,
            options: None,
        }
    }
}

/// Fetch `Options`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FetchOptions {
    /// `airsyncbase:BodyPreference` entries.
    pub body_preferences: Vec<BodyPreference>,
    /// `airsync:MIMESupport`.
    pub mime_support: Option<u32>,
    /// `Range` (`"0-1023"`).
    pub range: Option<String>,
    /// `Schema` (properties to return), as sent.
    pub schema: Option<Element>,
    /// Other option elements, kept as received.
    pub other: Vec<Element>,
}

/// `ItemOperations` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemOperationsResponse {
    /// Top-level status.
    pub status: ItemOperationsStatus,
    /// Fetch results (match them by `server_id`; order is not guaranteed).
    pub fetches: Vec<FetchResult>,
}

/// One `Response/Fetch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchResult {
    /// Status for this fetch.
    pub status: ItemOperationsStatus,
    /// `airsync:CollectionId`, echoed.
    pub collection_id: Option<String>,
    /// `airsync:ServerId`, echoed.
    pub server_id: Option<String>,
    /// `search:LongId`, echoed.
    pub long_id: Option<String>,
    /// `airsyncbase:FileReference`, echoed.
    pub file_reference: Option<String>,
    /// `airsync:Class` of the item.
    pub class: Option<String>,
    /// `Properties`: same children as `ApplicationData`.
    pub properties: Option<Element>,
}

impl EasMessage for ItemOperationsRequest {
    const ROOT: Tag = io::ITEM_OPERATIONS;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut root = Element::new(Self::ROOT);
        for f in &self.fetches {
            let mut el = Element::new(io::FETCH).with_text_child(io::STORE, f.store.as_str());
            push_opt_text(&mut el, a::COLLECTION_ID, f.collection_id.as_ref());
            push_opt_text(&mut el, a::SERVER_ID, f.server_id.as_ref());
            push_opt_text(&mut el, search::LONG_ID, f.long_id.as_ref());
            push_opt_text(&mut el, asb::FILE_REFERENCE, f.file_reference.as_ref());
            if let Some(o) = &f.options {
                let mut opts = Element::new(io::OPTIONS);
                if let Some(s) = &o.schema {
                    opts.push(s.clone());
                }
                push_opt_text(&mut opts, io::RANGE, o.range.as_ref());
                push_opt_u32(&mut opts, a::MIME_SUPPORT, o.mime_support);
                for bp in &o.body_preferences {
                    opts.push(bp.to_element());
                }
                for other in &o.other {
                    opts.push(other.clone());
                }
                el.push(opts);
            }
            root.push(el);
        }
        root
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut fetches = Vec::new();
        for f in el.find_all(io::FETCH) {
            let options = match f.find(io::OPTIONS) {
                None => None,
                Some(o) => {
                    let mut opts = FetchOptions::default();
                    for child in o.elements() {
                        match child.tag {
                            asb::BODY_PREFERENCE => opts.body_preferences.push(BodyPreference::from_element(child)?),
                            a::MIME_SUPPORT => opts.mime_support = Some(u32_of(child)?),
                            io::RANGE => opts.range = Some(crate::xml::text_of(child)),
                            io::SCHEMA => opts.schema = Some(child.clone()),
                            _ => opts.other.push(child.clone()),
                        }
                    }
                    Some(opts)
                }
            };
            fetches.push(FetchRequest {
                store: req_text(f, io::STORE)?,
                collection_id: opt_text(f, a::COLLECTION_ID),
                server_id: opt_text(f, a::SERVER_ID),
                long_id: opt_text(f, search::LONG_ID),
                file_reference: opt_text(f, asb::FILE_REFERENCE),
                options,
            });
        }
        Ok(ItemOperationsRequest { fetches })
    }
}

impl EasMessage for ItemOperationsResponse {
    const ROOT: Tag = io::ITEM_OPERATIONS;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut root = Element::new(Self::ROOT).with_child(num(io::STATUS, self.status.code()));
        if !self.fetches.is_empty() {
            let mut resp = Element::new(io::RESPONSE);
            for f in &self.fetches {
                let mut el = Element::new(io::FETCH).with_child(num(io::STATUS, f.status.code()));
                push_opt_text(&mut el, a::COLLECTION_ID, f.collection_id.as_ref());
                push_opt_text(&mut el, a::SERVER_ID, f.server_id.as_ref());
                push_opt_text(&mut el, search::LONG_ID, f.long_id.as_ref());
                push_opt_text(&mut el, asb::FILE_REFERENCE, f.file_reference.as_ref());
                push_opt_text(&mut el, a::CLASS, f.class.as_ref());
                if let Some(p) = &f.properties {
                    el.push(p.clone());
                }
                resp.push(el);
            }
            root.push(resp);
        }
        root
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut fetches = Vec::new();
        if let Some(resp) = el.find(io::RESPONSE) {
            for f in resp.find_all(io::FETCH) {
                fetches.push(FetchResult {
                    status: req_status(f, io::STATUS)?,
                    collection_id: opt_text(f, a::COLLECTION_ID),
                    server_id: opt_text(f, a::SERVER_ID),
                    long_id: opt_text(f, search::LONG_ID),
                    file_reference: opt_text(f, asb::FILE_REFERENCE),
                    class: opt_text(f, a::CLASS),
                    properties: f.find(io::PROPERTIES).cloned(),
                });
            }
        }
        Ok(ItemOperationsResponse {
            status: req_status(el, io::STATUS)?,
            fetches,
        })
    }
}
