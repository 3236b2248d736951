//! Name tables for the XML form: libwbxml's element and namespace spellings
//! and the elements libwbxml carries as binary (base64 in XML, OPAQUE in
//! WBXML).
//!
//! The tables were taken by observation from Debian's `libwbxml2-utils`
//! 0.11.8: every tag of `eas-codepages.tsv` was encoded and rendered with
//! `wbxml2xml -l ACTIVESYNC`, and the rendered name and content compared with
//! the TSV. The cross-check test `tests/libwbxml.rs` keeps them honest.

use crate::{tags, Tag};

/// Element names libwbxml uses where they differ from the MS-ASWBXML names
/// of `eas-codepages.tsv` (same page, same token).
///
/// Quirks kept on purpose: `ihsManagementInformation` is libwbxml's typo for
/// `Settings:RightsManagementInformation`; libwbxml prints
/// `DeviceEncryptionEnabled` for Provision 0x10 (`RequireStorageCardEncryption`).
/// Tags libwbxml 0.11.8 does not know at all (Calendar 0x2B–0x32,
/// MeetingResponse 0x10–0x11, Provision 0x3B, the whole Find page) have no
/// entry: libwbxml renders them as `<unknown/>`.
pub(crate) const LIBWBXML_NAMES: &[(Tag, &str)] = &[
    (Tag::new(1, 0x07), "AssistantTelephoneNumber"),
    (Tag::new(1, 0x0D), "BusinessCity"),
    (Tag::new(1, 0x0E), "BusinessCountry"),
    (Tag::new(1, 0x0F), "BusinessPostalCode"),
    (Tag::new(1, 0x10), "BusinessState"),
    (Tag::new(1, 0x11), "BusinessStreet"),
    (Tag::new(1, 0x21), "HomeCity"),
    (Tag::new(1, 0x22), "HomeCountry"),
    (Tag::new(1, 0x23), "HomePostalCode"),
    (Tag::new(1, 0x24), "HomeState"),
    (Tag::new(1, 0x25), "HomeStreet"),
    (Tag::new(1, 0x2D), "OtherCity"),
    (Tag::new(1, 0x2E), "OtherCountry"),
    (Tag::new(1, 0x2F), "OtherPostalCode"),
    (Tag::new(1, 0x30), "OtherState"),
    (Tag::new(1, 0x31), "OtherStreet"),
    (Tag::new(2, 0x09), "AttOId"),
    (Tag::new(2, 0x19), "Reply-To"),
    (Tag::new(2, 0x1D), "DTStamp"),
    (Tag::new(2, 0x29), "Recurrence_Type"),
    (Tag::new(2, 0x2A), "Recurrence_Until"),
    (Tag::new(2, 0x2B), "Recurrence_Occurrences"),
    (Tag::new(2, 0x2C), "Recurrence_Interval"),
    (Tag::new(2, 0x2D), "Recurrence_DayOfWeek"),
    (Tag::new(2, 0x2E), "Recurrence_DayOfMonth"),
    (Tag::new(2, 0x2F), "Recurrence_WeekOfMonth"),
    (Tag::new(2, 0x30), "Recurrence_MonthOfYear"),
    (Tag::new(2, 0x3B), "FlagStatus"),
    (Tag::new(4, 0x05), "TimeZone"),
    (Tag::new(4, 0x09), "Attendee_Email"),
    (Tag::new(4, 0x0A), "Attendee_Name"),
    (Tag::new(4, 0x10), "Compressed_RTF"),
    (Tag::new(4, 0x11), "DTStamp"),
    (Tag::new(4, 0x15), "Exception_Deleted"),
    (Tag::new(4, 0x16), "Exception_StartTime"),
    (Tag::new(4, 0x19), "Organizer_Email"),
    (Tag::new(4, 0x1A), "Organizer_Name"),
    (Tag::new(4, 0x1C), "Recurrence_Type"),
    (Tag::new(4, 0x1D), "Recurrence_Until"),
    (Tag::new(4, 0x1E), "Recurrence_Occurrences"),
    (Tag::new(4, 0x1F), "Recurrence_Interval"),
    (Tag::new(4, 0x20), "Recurrence_DayOfWeek"),
    (Tag::new(4, 0x21), "Recurrence_DayOfMonth"),
    (Tag::new(4, 0x22), "Recurrence_WeekOfMonth"),
    (Tag::new(4, 0x23), "Recurrence_MonthOfYear"),
    (Tag::new(4, 0x29), "Attendee_Status"),
    (Tag::new(4, 0x2A), "Attendee_Type"),
    (Tag::new(9, 0x0D), "UTCDueDate"),
    (Tag::new(9, 0x10), "Recurrence_Type"),
    (Tag::new(9, 0x11), "Recurrence_Start"),
    (Tag::new(9, 0x12), "Recurrence_Until"),
    (Tag::new(9, 0x13), "Recurrence_Occurrences"),
    (Tag::new(9, 0x14), "Recurrence_Interval"),
    (Tag::new(9, 0x15), "Recurrence_DayOfMonth"),
    (Tag::new(9, 0x16), "Recurrence_DayOfWeek"),
    (Tag::new(9, 0x17), "Recurrence_WeekOfMonth"),
    (Tag::new(9, 0x18), "Recurrence_MonthOfYear"),
    (Tag::new(9, 0x19), "Recurrence_Regenerate"),
    (Tag::new(9, 0x1A), "Recurrence_DeadOccur"),
    (Tag::new(9, 0x1F), "UTCStartDate"),
    (Tag::new(14, 0x10), "DeviceEncryptionEnabled"),
    (Tag::new(18, 0x2B), "ihsManagementInformation"),
    (Tag::new(21, 0x10), "MIME"),
    (Tag::new(24, 0x12), "RMOwner"),
];

/// Elements whose content libwbxml treats as binary: OPAQUE in WBXML,
/// base64 text in XML (`WBXML_TAG_OPTION_BINARY`).
pub(crate) const BINARY: &[Tag] = &[
    tags::resolve_recipients::DATA,
    tags::search::CONVERSATION_ID,
    tags::gal::DATA,
    tags::airsyncbase::CONTENT,
    tags::item_operations::CONVERSATION_ID,
    tags::compose_mail::MIME,
    tags::email2::CONVERSATION_ID,
    tags::email2::CONVERSATION_INDEX,
];

/// Prefix of the SynCE namespace URIs (libwbxml's `AIRSYNC` language).
pub(crate) const SYNCE_PREFIX: &str = "http://synce.org/formats/airsync_wm5/";

/// Whether libwbxml carries this element's content as base64/OPAQUE.
pub fn is_binary(tag: Tag) -> bool {
    BINARY.contains(&tag)
}

/// The libwbxml spelling of a tag's name (the TSV name when they agree).
pub fn libwbxml_name(tag: Tag) -> Option<&'static str> {
    LIBWBXML_NAMES
        .iter()
        .find(|(t, _)| *t == tag)
        .map(|&(_, n)| n)
        .or_else(|| tag.name())
}

/// The libwbxml spelling of a page's namespace (`Gal` for GAL).
pub(crate) fn libwbxml_namespace(page: u8) -> Option<&'static str> {
    if page == tags::gal::PAGE {
        return Some("Gal");
    }
    tags::NAMESPACES.get(page as usize).copied()
}

/// Resolves a namespace as written in XML to a code page: `AirSync:`,
/// `AirSync`, `airsync` (an undeclared prefix), `Gal:`/`GAL:`, or a SynCE URI
/// such as `http://synce.org/formats/airsync_wm5/airsyncbase`.
pub fn page_for_namespace(ns: &str) -> Option<u8> {
    let ns = ns.strip_prefix(SYNCE_PREFIX).unwrap_or(ns);
    let ns = ns.strip_suffix(':').unwrap_or(ns);
    // SynCE calls the GetItemEstimate page "itemestimate"; older clients
    // used the POOM* names for some pages.
    let ns = match ns.to_ascii_lowercase().as_str() {
        "itemestimate" => "GetItemEstimate",
        "poomcontacts" => "Contacts",
        "poommail" => "Email",
        "poomcal" => "Calendar",
        "poomtasks" => "Tasks",
        "poomcontacts2" => "Contacts2",
        "poommail2" => "Email2",
        _ => ns,
    };
    tags::NAMESPACES
        .iter()
        .position(|known| known.eq_ignore_ascii_case(ns))
        .and_then(|p| u8::try_from(p).ok())
        // `CodePageN`: how `to_xml` writes a page outside the table.
        .or_else(|| ns.strip_prefix("CodePage").and_then(|n| n.parse().ok()))
}

/// The token of an `Unknown0xNN` name (how `to_xml` writes a tag outside
/// the table).
pub(crate) fn unknown_token(name: &str) -> Option<u8> {
    let hex = name.strip_prefix("Unknown0x")?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok().filter(|t| (0x05..=0x3F).contains(t))
}

/// Looks an element name up on one page: the MS-ASWBXML name, then the
/// libwbxml spelling, then either of them ignoring ASCII case.
pub fn tag_on_page(page: u8, name: &str) -> Option<Tag> {
    tag_on_page_exact(page, name).or_else(|| {
        tags::ALL
            .iter()
            .find(|&&(p, _, n)| p == page && n.eq_ignore_ascii_case(name))
            .map(|&(p, t, _)| Tag::new(p, t))
            .or_else(|| {
                LIBWBXML_NAMES
                    .iter()
                    .find(|(t, n)| t.page == page && n.eq_ignore_ascii_case(name))
                    .map(|&(t, _)| t)
            })
    })
}

/// Looks an element name up on one page, exact spelling only (MS-ASWBXML or
/// libwbxml name).
pub fn tag_on_page_exact(page: u8, name: &str) -> Option<Tag> {
    tags::ALL
        .iter()
        .find(|&&(p, _, n)| p == page && n == name)
        .map(|&(p, t, _)| Tag::new(p, t))
        .or_else(|| {
            LIBWBXML_NAMES
                .iter()
                .find(|(t, n)| t.page == page && *n == name)
                .map(|&(t, _)| t)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_in_every_spelling() {
        assert_eq!(page_for_namespace("AirSync:"), Some(0));
        assert_eq!(page_for_namespace("airsyncbase"), Some(17));
        assert_eq!(page_for_namespace("Gal:"), Some(16));
        assert_eq!(page_for_namespace("GAL"), Some(16));
        assert_eq!(
            page_for_namespace("http://synce.org/formats/airsync_wm5/itemestimate"),
            Some(6)
        );
        assert_eq!(page_for_namespace("POOMCAL:"), Some(4));
        assert_eq!(page_for_namespace("Nope:"), None);
        assert_eq!(page_for_namespace("CodePage40:"), Some(40));
        assert_eq!(page_for_namespace("CodePage300:"), None);
        assert_eq!(unknown_token("Unknown0x3F"), Some(0x3F));
        assert_eq!(unknown_token("Unknown0x40"), None);
        assert_eq!(unknown_token("Unknown0x3"), None);
    }

    #[test]
    fn names_and_aliases() {
        assert_eq!(tag_on_page(4, "Attendee_Email"), Some(tags::calendar::EMAIL));
        assert_eq!(tag_on_page(4, "Email"), Some(tags::calendar::EMAIL));
        assert_eq!(tag_on_page(4, "DTStamp"), Some(tags::calendar::DT_STAMP));
        assert_eq!(tag_on_page(4, "dtstamp"), Some(tags::calendar::DT_STAMP));
        assert_eq!(tag_on_page(1, "HomeCity"), Some(tags::contacts::HOME_ADDRESS_CITY));
        assert_eq!(tag_on_page(0, "Attendee_Email"), None);
        assert_eq!(libwbxml_name(tags::compose_mail::MIME), Some("MIME"));
        assert_eq!(libwbxml_name(tags::airsync::SYNC), Some("Sync"));
        // Every alias points at a tag of the table, and no alias shadows a
        // different tag's MS-ASWBXML name on the same page.
        for (tag, alias) in LIBWBXML_NAMES {
            assert!(tag.is_known(), "{alias}");
            assert_eq!(tag_on_page(tag.page, alias), Some(*tag), "{alias}");
        }
        assert!(BINARY.iter().all(|t| t.is_known()));
    }
}
