//! MoveItems (MS-ASCMD §2.2.1.12): move items between folders.

use wbxml::tags::moveitems as m;
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{expect_root, num, opt_status, opt_text, push_opt_text, req_status, req_text, Result};
use crate::{MoveItemsStatus, ProtocolVersion};

/// `MoveItems` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveItemsRequest {
    /// The moves, in order.
    pub moves: Vec<Move>,
}

/// One `Move`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Move {
    /// ServerId of the item.
    pub src_msg_id: String,
    /// ServerId of its current folder.
    pub src_fld_id: String,
    /// ServerId of the destination folder.
    pub dst_fld_id: String,
}

/// `MoveItems` response.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MoveItemsResponse {
    /// Top-level status: only for request-wide failures (global codes such as
    /// 142), which servers send as `<MoveItems><Status>…</Status></MoveItems>`.
    pub status: Option<MoveItemsStatus>,
    /// One result per move.
    pub responses: Vec<MoveResult>,
}

/// One `Response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveResult {
    /// ServerId of the item as requested.
    pub src_msg_id: String,
    /// Status (3 = success).
    pub status: MoveItemsStatus,
    /// The item's new ServerId in the destination folder.
    pub dst_msg_id: Option<String>,
}

impl EasMessage for MoveItemsRequest {
    const ROOT: Tag = m::MOVE_ITEMS;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        for mv in &self.moves {
            el.push(
                Element::new(m::MOVE)
                    .with_text_child(m::SRC_MSG_ID, mv.src_msg_id.as_str())
                    .with_text_child(m::SRC_FLD_ID, mv.src_fld_id.as_str())
                    .with_text_child(m::DST_FLD_ID, mv.dst_fld_id.as_str()),
            );
        }
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let moves = el
            .find_all(m::MOVE)
            .map(|mv| {
                Ok(Move {
                    src_msg_id: req_text(mv, m::SRC_MSG_ID)?,
                    src_fld_id: req_text(mv, m::SRC_FLD_ID)?,
                    dst_fld_id: req_text(mv, m::DST_FLD_ID)?,
                })
            })
            .collect::<Result<_>>()?;
        Ok(MoveItemsRequest { moves })
    }
}

impl EasMessage for MoveItemsResponse {
    const ROOT: Tag = m::MOVE_ITEMS;

    fn to_element(&self, _version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        if let Some(s) = self.status {
            el.push(num(m::STATUS, s.code()));
        }
        for r in &self.responses {
            let mut resp = Element::new(m::RESPONSE)
                .with_text_child(m::SRC_MSG_ID, r.src_msg_id.as_str())
                .with_child(num(m::STATUS, r.status.code()));
            push_opt_text(&mut resp, m::DST_MSG_ID, r.dst_msg_id.as_ref());
            el.push(resp);
        }
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let responses = el
            .find_all(m::RESPONSE)
            .map(|r| {
                Ok(MoveResult {
                    src_msg_id: req_text(r, m::SRC_MSG_ID)?,
                    status: req_status(r, m::STATUS)?,
                    dst_msg_id: opt_text(r, m::DST_MSG_ID),
                })
            })
            .collect::<Result<_>>()?;
        Ok(MoveItemsResponse {
            status: opt_status(el, m::STATUS)?,
            responses,
        })
    }
}
