//! Values shared by several commands' `Options`: FilterType, Conflict and
//! AirSyncBase BodyPreference.

use wbxml::tags::airsyncbase as asb;
use wbxml::Element;

use crate::xml::{opt_flag, opt_u32, push_opt_flag, push_opt_u32, req_u32, Result};

/// Sync `FilterType`: how far back items are synchronised (MS-ASCMD §2.2.3.70).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FilterType {
    /// 0: no filter, all items.
    All,
    /// 1: one day back.
    OneDay,
    /// 2: three days back.
    ThreeDays,
    /// 3: one week back.
    OneWeek,
    /// 4: two weeks back.
    TwoWeeks,
    /// 5: one month back.
    OneMonth,
    /// 6: three months back.
    ThreeMonths,
    /// 7: six months back.
    SixMonths,
    /// 8: incomplete tasks only.
    IncompleteTasks,
    /// Any other number, kept as received.
    Other(u32),
}

impl FilterType {
    /// The filter for a wire number.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::All,
            1 => Self::OneDay,
            2 => Self::ThreeDays,
            3 => Self::OneWeek,
            4 => Self::TwoWeeks,
            5 => Self::OneMonth,
            6 => Self::ThreeMonths,
            7 => Self::SixMonths,
            8 => Self::IncompleteTasks,
            n => Self::Other(n),
        }
    }

    /// The wire number.
    pub fn code(self) -> u32 {
        match self {
            Self::All => 0,
            Self::OneDay => 1,
            Self::ThreeDays => 2,
            Self::OneWeek => 3,
            Self::TwoWeeks => 4,
            Self::OneMonth => 5,
            Self::ThreeMonths => 6,
            Self::SixMonths => 7,
            Self::IncompleteTasks => 8,
            Self::Other(n) => n,
        }
    }

    /// Whether a Calendar collection accepts this filter (0, 4, 5, 6, 7).
    pub fn valid_for_calendar(self) -> bool {
        matches!(
            self,
            Self::All | Self::TwoWeeks | Self::OneMonth | Self::ThreeMonths | Self::SixMonths
        )
    }

    /// Whether a Tasks collection accepts this filter (0, 8).
    pub fn valid_for_tasks(self) -> bool {
        matches!(self, Self::All | Self::IncompleteTasks)
    }
}

/// Sync `Conflict`: which side wins when both changed an item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Conflict {
    /// 0: the client's object replaces the server's.
    ClientWins,
    /// 1: the server's object wins (the default when absent).
    ServerWins,
    /// Any other number, kept as received.
    Other(u32),
}

impl Conflict {
    /// The value for a wire number.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::ClientWins,
            1 => Self::ServerWins,
            n => Self::Other(n),
        }
    }

    /// The wire number.
    pub fn code(self) -> u32 {
        match self {
            Self::ClientWins => 0,
            Self::ServerWins => 1,
            Self::Other(n) => n,
        }
    }
}

/// AirSyncBase body `Type` (MS-ASAIRS §2.2.2.22.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BodyType {
    /// 1: plain text.
    PlainText,
    /// 2: HTML.
    Html,
    /// 3: RTF.
    Rtf,
    /// 4: MIME.
    Mime,
    /// Any other number, kept as received.
    Other(u32),
}

impl BodyType {
    /// The type for a wire number.
    pub fn from_code(code: u32) -> Self {
        match code {
            1 => Self::PlainText,
            2 => Self::Html,
            3 => Self::Rtf,
            4 => Self::Mime,
            n => Self::Other(n),
        }
    }

    /// The wire number.
    pub fn code(self) -> u32 {
        match self {
            Self::PlainText => 1,
            Self::Html => 2,
            Self::Rtf => 3,
            Self::Mime => 4,
            Self::Other(n) => n,
        }
    }
}

/// `airsyncbase:BodyPreference` (repeatable inside Options).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BodyPreference {
    /// Requested body type.
    pub body_type: BodyType,
    /// Truncate bodies larger than this many bytes.
    pub truncation_size: Option<u32>,
    /// With truncation: send the whole body or none of it.
    pub all_or_none: Option<bool>,
    /// Length of the preview text to include (14.0+).
    pub preview: Option<u32>,
}

impl BodyPreference {
    /// A preference for `body_type` with no truncation.
    pub fn new(body_type: BodyType) -> Self {
        BodyPreference {
            body_type,
            truncation_size: None,
            all_or_none: None,
            preview: None,
        }
    }

    /// The `airsyncbase:BodyPreference` element.
    pub fn to_element(&self) -> Element {
        let mut el = Element::new(asb::BODY_PREFERENCE).with_text_child(asb::TYPE, self.body_type.code().to_string());
        push_opt_u32(&mut el, asb::TRUNCATION_SIZE, self.truncation_size);
        push_opt_flag(&mut el, asb::ALL_OR_NONE, self.all_or_none);
        push_opt_u32(&mut el, asb::PREVIEW, self.preview);
        el
    }

    /// Reads an `airsyncbase:BodyPreference` element.
    pub fn from_element(el: &Element) -> Result<Self> {
        Ok(BodyPreference {
            body_type: BodyType::from_code(req_u32(el, asb::TYPE)?),
            truncation_size: opt_u32(el, asb::TRUNCATION_SIZE)?,
            all_or_none: opt_flag(el, asb::ALL_OR_NONE)?,
            preview: opt_u32(el, asb::PREVIEW)?,
        })
    }
}
