//! Namespaces, qualified names and the table of live properties the server knows.

use std::fmt;

/// `DAV:`
pub const DAV: &str = "DAV:";
/// CalDAV, RFC 4791.
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
/// CardDAV, RFC 6352.
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";
/// CalendarServer extensions (getctag).
pub const CS: &str = "http://calendarserver.org/ns/";
/// Apple iCal extensions (calendar-color, calendar-order).
pub const APPLE: &str = "http://apple.com/ns/ical/";

/// Namespace prefixes declared on every rendered multistatus root.
pub const PREFIXES: &[(&str, &str)] = &[("D", DAV), ("C", CALDAV), ("CR", CARDDAV), ("CS", CS), ("A", APPLE)];

/// A namespace-qualified XML name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QName {
    /// Namespace URI.
    pub ns: String,
    /// Local name.
    pub local: String,
}

impl QName {
    /// Builds a name from its parts.
    pub fn new(ns: &str, local: &str) -> Self {
        Self {
            ns: ns.to_owned(),
            local: local.to_owned(),
        }
    }
    /// A name in `DAV:`.
    pub fn dav(local: &str) -> Self {
        Self::new(DAV, local)
    }
    /// A name in the CalDAV namespace.
    pub fn caldav(local: &str) -> Self {
        Self::new(CALDAV, local)
    }
    /// A name in the CardDAV namespace.
    pub fn carddav(local: &str) -> Self {
        Self::new(CARDDAV, local)
    }
    /// Whether this is `{ns}local`.
    pub fn is(&self, ns: &str, local: &str) -> bool {
        self.ns == ns && self.local == local
    }
    /// Clark notation `{ns}local`, used as a storage key for dead properties.
    pub fn clark(&self) -> String {
        format!("{{{}}}{}", self.ns, self.local)
    }
    /// Parses Clark notation back.
    pub fn from_clark(s: &str) -> Option<Self> {
        let rest = s.strip_prefix('{')?;
        let (ns, local) = rest.split_once('}')?;
        Some(Self::new(ns, local))
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.clark())
    }
}

/// Properties the server computes or stores with meaning. Anything else is [`Prop::Dead`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Prop {
    ResourceType,
    DisplayName,
    GetEtag,
    GetCtag,
    SyncToken,
    GetContentType,
    GetLastModified,
    GetContentLength,
    CreationDate,
    CurrentUserPrincipal,
    PrincipalUrl,
    Owner,
    PrincipalCollectionSet,
    CalendarHomeSet,
    AddressbookHomeSet,
    CalendarUserAddressSet,
    SupportedCalendarComponentSet,
    SupportedCalendarData,
    SupportedAddressData,
    SupportedReportSet,
    CalMaxResourceSize,
    CardMaxResourceSize,
    CalendarDescription,
    AddressbookDescription,
    CalendarTimezone,
    CurrentUserPrivilegeSet,
    CalendarColor,
    CalendarOrder,
    QuotaAvailableBytes,
    QuotaUsedBytes,
    CalendarData,
    AddressData,
    ResourceId,
    Dead,
}

/// Declarative table: property, namespace, local name, whether it is protected (read-only).
const TABLE: &[(Prop, &str, &str, bool)] = &[
    (Prop::ResourceType, DAV, "resourcetype", true),
    (Prop::DisplayName, DAV, "displayname", false),
    (Prop::GetEtag, DAV, "getetag", true),
    (Prop::GetCtag, CS, "getctag", true),
    (Prop::SyncToken, DAV, "sync-token", true),
    (Prop::GetContentType, DAV, "getcontenttype", true),
    (Prop::GetLastModified, DAV, "getlastmodified", true),
    (Prop::GetContentLength, DAV, "getcontentlength", true),
    (Prop::CreationDate, DAV, "creationdate", true),
    (Prop::CurrentUserPrincipal, DAV, "current-user-principal", true),
    (Prop::PrincipalUrl, DAV, "principal-URL", true),
    (Prop::Owner, DAV, "owner", true),
    (Prop::PrincipalCollectionSet, DAV, "principal-collection-set", true),
    (Prop::CalendarHomeSet, CALDAV, "calendar-home-set", true),
    (Prop::AddressbookHomeSet, CARDDAV, "addressbook-home-set", true),
    (Prop::CalendarUserAddressSet, CALDAV, "calendar-user-address-set", true),
    (
        Prop::SupportedCalendarComponentSet,
        CALDAV,
        "supported-calendar-component-set",
        true,
    ),
    (Prop::SupportedCalendarData, CALDAV, "supported-calendar-data", true),
    (Prop::SupportedAddressData, CARDDAV, "supported-address-data", true),
    (Prop::SupportedReportSet, DAV, "supported-report-set", true),
    (Prop::CalMaxResourceSize, CALDAV, "max-resource-size", true),
    (Prop::CardMaxResourceSize, CARDDAV, "max-resource-size", true),
    (Prop::CalendarDescription, CALDAV, "calendar-description", false),
    (Prop::AddressbookDescription, CARDDAV, "addressbook-description", false),
    (Prop::CalendarTimezone, CALDAV, "calendar-timezone", false),
    (Prop::CurrentUserPrivilegeSet, DAV, "current-user-privilege-set", true),
    (Prop::CalendarColor, APPLE, "calendar-color", false),
    (Prop::CalendarOrder, APPLE, "calendar-order", false),
    (Prop::QuotaAvailableBytes, DAV, "quota-available-bytes", true),
    (Prop::QuotaUsedBytes, DAV, "quota-used-bytes", true),
    (Prop::CalendarData, CALDAV, "calendar-data", true),
    (Prop::AddressData, CARDDAV, "address-data", true),
    (Prop::ResourceId, DAV, "resource-id", true),
];

impl Prop {
    /// Classifies a qualified name.
    pub fn of(name: &QName) -> Prop {
        TABLE
            .iter()
            .find(|(_, ns, local, _)| *ns == name.ns && *local == name.local)
            .map_or(Prop::Dead, |row| row.0)
    }

    /// The qualified name of a live property (`None` for [`Prop::Dead`]).
    pub fn qname(self) -> Option<QName> {
        TABLE
            .iter()
            .find(|row| row.0 == self)
            .map(|row| QName::new(row.1, row.2))
    }

    /// Whether clients may not set this property with PROPPATCH.
    pub fn is_protected(self) -> bool {
        TABLE.iter().find(|row| row.0 == self).is_some_and(|row| row.3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        for (p, ns, local, _) in TABLE {
            assert_eq!(Prop::of(&QName::new(ns, local)), *p);
            assert_eq!(p.qname(), Some(QName::new(ns, local)));
        }
        assert_eq!(Prop::of(&QName::new("urn:x", "y")), Prop::Dead);
        assert!(Prop::GetEtag.is_protected());
        assert!(!Prop::DisplayName.is_protected());
        let q = QName::new("urn:x", "y");
        assert_eq!(QName::from_clark(&q.clark()), Some(q));
    }
}
