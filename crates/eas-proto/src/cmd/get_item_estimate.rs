//! GetItemEstimate (MS-ASCMD §2.2.1.9): how many items a Sync would return.
//!
//! 14.0+ puts FilterType/Class inside `airsync:Options`; 12.1 puts `Class`
//! (GetItemEstimate page) and `airsync:FilterType` directly in the
//! collection. Encoding follows the version; decoding accepts both shapes.

use wbxml::tags::{airsync as a, get_item_estimate as g};
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{
    expect_root, num, opt_status, opt_text, opt_u32, push_opt_text, push_opt_u32, req_status, req_text, Result,
};
use crate::{FilterType, GetItemEstimateStatus, ProtocolVersion};

/// `GetItemEstimate` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetItemEstimateRequest {
    /// Collections to estimate.
    pub collections: Vec<EstimateCollection>,
}

/// One collection to estimate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateCollection {
    /// The collection's current (non-zero) sync key.
    pub sync_key: String,
    /// The folder's ServerId.
    pub collection_id: String,
    /// FilterType the next Sync will use.
    pub filter_type: Option<FilterType>,
    /// Class (mixed folders / 12.1).
    pub class: Option<String>,
}

/// `GetItemEstimate` response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GetItemEstimateResponse {
    /// Top-level status (request-wide errors, e.g. global codes).
    pub status: Option<GetItemEstimateStatus>,
    /// One `Response` per collection.
    pub responses: Vec<EstimateResult>,
}

/// One `Response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EstimateResult {
    /// Status for this collection.
    pub status: GetItemEstimateStatus,
    /// The folder's ServerId.
    pub collection_id: Option<String>,
    /// Number of items a Sync would return.
    pub estimate: Option<u32>,
}

impl EasMessage for GetItemEstimateRequest {
    const ROOT: Tag = g::GET_ITEM_ESTIMATE;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut cols = Element::new(g::COLLECTIONS);
        for c in &self.collections {
            let mut el = Element::new(g::COLLECTION);
            if version >= ProtocolVersion::V14_0 {
                el.push_text(a::SYNC_KEY, c.sync_key.as_str());
                el.push_text(g::COLLECTION_ID, c.collection_id.as_str());
                let mut opts = Element::new(a::OPTIONS);
                push_opt_u32(&mut opts, a::FILTER_TYPE, c.filter_type.map(FilterType::code));
                push_opt_text(&mut opts, a::CLASS, c.class.as_ref());
                if !opts.is_empty() {
                    el.push(opts);
                }
            } else {
                push_opt_text(&mut el, g::CLASS, c.class.as_ref());
                el.push_text(g::COLLECTION_ID, c.collection_id.as_str());
                push_opt_u32(&mut el, a::FILTER_TYPE, c.filter_type.map(FilterType::code));
                el.push_text(a::SYNC_KEY, c.sync_key.as_str());
            }
            cols.push(el);
        }
        Element::new(Self::ROOT).with_child(cols)
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut collections = Vec::new();
        if let Some(cols) = el.find(g::COLLECTIONS) {
            for c in cols.find_all(g::COLLECTION) {
                let opts = c.find(a::OPTIONS);
                let filter = match opts.and_then(|o| o.find(a::FILTER_TYPE)) {
                    Some(_) => opts.map(|o| opt_u32(o, a::FILTER_TYPE)).transpose()?.flatten(),
                    None => opt_u32(c, a::FILTER_TYPE)?,
                };
                let class = opts
                    .and_then(|o| opt_text(o, a::CLASS))
                    .or_else(|| opt_text(c, g::CLASS));
                collections.push(EstimateCollection {
                    sync_key: req_text(c, a::SYNC_KEY)?,
                    collection_id: req_text(c, g::COLLECTION_ID)?,
                    filter_type: filter.map(FilterType::from_code),
                    class,
                });
            }
        }
        Ok(GetItemEstimateRequest { collections })
    }
}

impl EasMessage for GetItemEstimateResponse {
    const ROOT: Tag = g::GET_ITEM_ESTIMATE;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        if let Some(s) = self.status {
            el.push(num(g::STATUS, s.code()));
        }
        for r in &self.responses {
            let mut resp = Element::new(g::RESPONSE).with_child(num(g::STATUS, r.status.code()));
            if r.collection_id.is_some() || r.estimate.is_some() {
                let mut col = Element::new(g::COLLECTION);
                push_opt_text(&mut col, g::COLLECTION_ID, r.collection_id.as_ref());
                push_opt_u32(&mut col, g::ESTIMATE, r.estimate);
                resp.push(col);
            }
            el.push(resp);
        }
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut responses = Vec::new();
        for r in el.find_all(g::RESPONSE) {
            let col = r.find(g::COLLECTION);
            responses.push(EstimateResult {
                status: req_status(r, g::STATUS)?,
                collection_id: col.and_then(|c| opt_text(c, g::COLLECTION_ID)),
                estimate: col.map(|c| opt_u32(c, g::ESTIMATE)).transpose()?.flatten(),
            });
        }
        Ok(GetItemEstimateResponse {
            status: opt_status(el, g::STATUS)?,
            responses,
        })
    }
}
