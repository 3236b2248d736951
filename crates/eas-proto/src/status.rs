//! Status codes with their meaning from MS-ASCMD (and MS-ASPROV for Provision).
//!
//! Every command-specific enum has a `Common` variant for the global codes
//! 101–177 ([`CommonStatus`], MS-ASCMD §2.2.2), which any command's top-level
//! `Status` may carry, and an `Other(u32)` variant that keeps numbers this
//! crate does not know. Converting from a number never fails.

use std::fmt;

/// A numeric status that converts from and to its wire value without loss.
pub trait StatusCode: Copy {
    /// The status for a wire number; unknown numbers are kept, never rejected.
    fn from_code(code: u32) -> Self;
    /// The wire number.
    fn code(self) -> u32;
}

/// Defines a command status enum.
macro_rules! command_status {
    (
        $(#[$meta:meta])*
        pub enum $name:ident (success = $success:ident) {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A global status (MS-ASCMD §2.2.2, 101–177) in this command's `Status`.
            Common(CommonStatus),
            /// A number this crate does not know, kept as received.
            Other(u32),
        }

        impl $name {
            /// The status for a wire number: command codes first, then the
            /// global ones, else [`Self::Other`].
            pub fn from_code(code: u32) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    _ => match CommonStatus::known(code) {
                        Some(c) => Self::Common(c),
                        None => Self::Other(code),
                    },
                }
            }

            /// The wire number.
            pub fn code(self) -> u32 {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Common(c) => c.code(),
                    Self::Other(n) => n,
                }
            }

            /// Whether this is the command's success value.
            pub fn is_success(self) -> bool {
                matches!(self, Self::$success)
            }

            /// The global status, if this is one.
            pub fn common(self) -> Option<CommonStatus> {
                match self {
                    Self::Common(c) => Some(c),
                    _ => None,
                }
            }

            /// Whether the client must run Provision and then retry (see
            /// [`CommonStatus::needs_reprovision`]).
            pub fn needs_reprovision(self) -> bool {
                self.common().is_some_and(CommonStatus::needs_reprovision)
            }

            /// Whether the server is throttling or busy (see
            /// [`CommonStatus::is_throttling`]).
            pub fn is_throttling(self) -> bool {
                self.common().is_some_and(CommonStatus::is_throttling)
            }
        }

        impl StatusCode for $name {
            fn from_code(code: u32) -> Self {
                $name::from_code(code)
            }
            fn code(self) -> u32 {
                $name::code(self)
            }
        }

        impl From<u32> for $name {
            fn from(code: u32) -> Self {
                $name::from_code(code)
            }
        }

        impl From<CommonStatus> for $name {
            fn from(c: CommonStatus) -> Self {
                // Through the number, so a command's own meaning of a code
                // (ItemOperations 155/156) wins as it does when decoding.
                $name::from_code(c.code())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Common(c) => fmt::Display::fmt(c, f),
                    Self::Other(n) => write!(f, "{n} (unknown)"),
                    _ => write!(f, "{} ({:?})", self.code(), self),
                }
            }
        }
    };
}

/// Defines a status enum without the global codes (client-sent values).
macro_rules! plain_status {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A number this crate does not know, kept as received.
            Other(u32),
        }

        impl $name {
            /// The known status for a number, if any.
            pub fn known(code: u32) -> Option<Self> {
                match code {
                    $( $code => Some(Self::$variant), )*
                    _ => None,
                }
            }

            /// The status for a wire number; unknown numbers become [`Self::Other`].
            pub fn from_code(code: u32) -> Self {
                Self::known(code).unwrap_or(Self::Other(code))
            }

            /// The wire number.
            pub fn code(self) -> u32 {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Other(n) => n,
                }
            }
        }

        impl StatusCode for $name {
            fn from_code(code: u32) -> Self {
                $name::from_code(code)
            }
            fn code(self) -> u32 {
                $name::code(self)
            }
        }

        impl From<u32> for $name {
            fn from(code: u32) -> Self {
                $name::from_code(code)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    Self::Other(n) => write!(f, "{n} (unknown)"),
                    _ => write!(f, "{} ({:?})", self.code(), self),
                }
            }
        }
    };
}

plain_status! {
    /// Global status codes any command may return (MS-ASCMD §2.2.2).
    pub enum CommonStatus {
        /// The body of the request is not what the content type says (bad body or content type).
        InvalidContent = 101,
        /// The request contains WBXML that cannot be decoded.
        InvalidWbxml = 102,
        /// The XML in the request does not match the command's schema.
        InvalidXml = 103,
        /// A date/time value in the request is malformed.
        InvalidDateTime = 104,
        /// The request contains an invalid combination of ids.
        InvalidCombinationOfIds = 105,
        /// One or more ids in the request are invalid.
        InvalidIds = 106,
        /// The MIME content of the request is invalid (SendMail).
        InvalidMime = 107,
        /// The DeviceId is missing or invalid.
        DeviceIdMissingOrInvalid = 108,
        /// The DeviceType is missing or invalid.
        DeviceTypeMissingOrInvalid = 109,
        /// Unknown server error; retry with backoff (EXO also uses it when throttling).
        ServerError = 110,
        /// Transient server error or server busy: retry later.
        ServerErrorRetryLater = 111,
        /// The server lacks rights to access the directory for this user.
        ActiveDirectoryAccessDenied = 112,
        /// The mailbox has reached its quota.
        MailboxQuotaExceeded = 113,
        /// The mailbox server is offline.
        MailboxServerOffline = 114,
        /// The send quota has been exceeded.
        SendQuotaExceeded = 115,
        /// A message recipient could not be resolved.
        MessageRecipientUnresolved = 116,
        /// Replying to this message is not allowed.
        MessageReplyNotAllowed = 117,
        /// The message was already sent.
        MessagePreviouslySent = 118,
        /// The message has no recipient.
        MessageHasNoRecipient = 119,
        /// Mail submission failed.
        MailSubmissionFailed = 120,
        /// The reply could not be created.
        MessageReplyFailed = 121,
        /// The attachment is too large.
        AttachmentIsTooLarge = 122,
        /// The user has no mailbox.
        UserHasNoMailbox = 123,
        /// The user cannot be anonymous.
        UserCannotBeAnonymous = 124,
        /// The user principal could not be found.
        UserPrincipalCouldNotBeFound = 125,
        /// ActiveSync is disabled for this user.
        UserDisabledForSync = 126,
        /// The user's (new) mailbox server cannot sync with this device.
        UserOnNewMailboxCannotSync = 127,
        /// The user's (legacy) mailbox server cannot sync with this device.
        UserOnLegacyMailboxCannotSync = 128,
        /// The device is blocked for this user (Allow/Block/Quarantine rule).
        DeviceIsBlockedForThisUser = 129,
        /// Access denied.
        AccessDenied = 130,
        /// The account is disabled.
        AccountDisabled = 131,
        /// The sync state could not be found: resync from key 0.
        SyncStateNotFound = 132,
        /// The sync state is locked by a concurrent request: retry later.
        SyncStateLocked = 133,
        /// The sync state is corrupt: resync from key 0.
        SyncStateCorrupt = 134,
        /// The sync state already exists.
        SyncStateAlreadyExists = 135,
        /// The sync state version is invalid: resync from key 0.
        SyncStateVersionInvalid = 136,
        /// The command is not supported by the server.
        CommandNotSupported = 137,
        /// The protocol version is not supported by the server.
        VersionNotSupported = 138,
        /// The device cannot fully comply with the policy (acknowledged with 2) and the server requires it.
        DeviceNotFullyProvisionable = 139,
        /// A remote wipe is requested: send Provision to receive the wipe directive.
        RemoteWipeRequested = 140,
        /// The device is not provisionable: it sent no policy key and the server requires one.
        LegacyDeviceOnStrictPolicy = 141,
        /// The device is not provisioned: run Provision.
        DeviceNotProvisioned = 142,
        /// The policy changed: run Provision again.
        PolicyRefresh = 143,
        /// The policy key is invalid: run Provision again.
        InvalidPolicyKey = 144,
        /// Externally managed devices are not allowed.
        ExternallyManagedDevicesNotAllowed = 145,
        /// InstanceId was used on a non-recurring item.
        NoRecurrenceInCalendar = 146,
        /// The item class does not match the folder.
        UnexpectedItemClass = 147,
        /// The remote server has no SSL.
        RemoteServerHasNoSsl = 148,
        /// The cached (stored) request is invalid: resend a full request.
        InvalidStoredRequest = 149,
        /// The item was not found.
        ItemNotFound = 150,
        /// Too many folders.
        TooManyFolders = 151,
        /// No folders were found.
        NoFoldersFound = 152,
        /// Items were lost after a move.
        ItemsLostAfterMove = 153,
        /// The move operation failed.
        FailureInMoveOperation = 154,
        /// A move is not allowed for a non-persistent move action.
        MoveCommandDisallowedForNonPersistentMoveAction = 155,
        /// The move destination folder is invalid.
        MoveCommandInvalidDestinationFolder = 156,
        /// Availability: too many recipients.
        AvailabilityTooManyRecipients = 160,
        /// Availability: a distribution list is too large.
        AvailabilityDlLimitReached = 161,
        /// Availability: transient failure, retry.
        AvailabilityTransientFailure = 162,
        /// Availability: failure.
        AvailabilityFailure = 163,
        /// The BodyPartPreference type is not supported.
        BodyPartPreferenceTypeNotSupported = 164,
        /// DeviceInformation is missing from the Provision request (14.1+).
        DeviceInformationRequired = 165,
        /// The account id is invalid.
        InvalidAccountId = 166,
        /// Sending is disabled for the account.
        AccountSendDisabled = 167,
        /// IRM is disabled.
        IrmFeatureDisabled = 168,
        /// Transient IRM error.
        IrmTransientError = 169,
        /// Permanent IRM error.
        IrmPermanentError = 170,
        /// The IRM template id is invalid.
        IrmInvalidTemplateId = 171,
        /// The IRM operation is not permitted.
        IrmOperationNotPermitted = 172,
        /// The contact has no picture.
        NoPicture = 173,
        /// The picture is too large.
        PictureTooLarge = 174,
        /// The picture limit was reached.
        PictureLimitReached = 175,
        /// The conversation body part is too large.
        BodyPartConversationTooLarge = 176,
        /// The user has too many device partnerships.
        MaximumDevicesReached = 177,
    }
}

impl CommonStatus {
    /// Whether the client must (re-)run Provision before retrying: 140
    /// (remote wipe pending, delivered by Provision), 141, 142, 143, 144.
    /// Not 145 (externally managed devices are refused, reprovisioning won't help).
    pub fn needs_reprovision(self) -> bool {
        matches!(
            self,
            Self::RemoteWipeRequested
                | Self::LegacyDeviceOnStrictPolicy
                | Self::DeviceNotProvisioned
                | Self::PolicyRefresh
                | Self::InvalidPolicyKey
        )
    }

    /// Whether this is the server's "busy, retry later" answer: 111.
    /// (110 is a generic server error that EXO also returns when throttling;
    /// see [`Self::is_transient`].)
    pub fn is_throttling(self) -> bool {
        matches!(self, Self::ServerErrorRetryLater)
    }

    /// Whether retrying later (with backoff) may succeed: 110, 111, 114, 133,
    /// 162.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Self::ServerError
                | Self::ServerErrorRetryLater
                | Self::MailboxServerOffline
                | Self::SyncStateLocked
                | Self::AvailabilityTransientFailure
        )
    }

    /// Whether the client's sync state is gone and it must restart from key 0:
    /// 132, 134, 136.
    pub fn needs_resync(self) -> bool {
        matches!(
            self,
            Self::SyncStateNotFound | Self::SyncStateCorrupt | Self::SyncStateVersionInvalid
        )
    }

    /// Whether the account or device is refused and retrying is pointless
    /// until an administrator acts: 126–131, 139, 145, 177.
    pub fn is_access_denied(self) -> bool {
        matches!(
            self,
            Self::UserDisabledForSync
                | Self::UserOnNewMailboxCannotSync
                | Self::UserOnLegacyMailboxCannotSync
                | Self::DeviceIsBlockedForThisUser
                | Self::AccessDenied
                | Self::AccountDisabled
                | Self::DeviceNotFullyProvisionable
                | Self::ExternallyManagedDevicesNotAllowed
                | Self::MaximumDevicesReached
        )
    }
}

command_status! {
    /// `Sync` status, top level or per collection or per item (MS-ASCMD §2.2.3.177.17).
    pub enum SyncStatus (success = Success) {
        /// Success.
        Success = 1,
        /// Invalid or unknown synchronization key: reset the collection to key 0.
        InvalidSyncKey = 3,
        /// Protocol error: the request is semantically wrong.
        ProtocolError = 4,
        /// Server error (often transient or a bad item): retry later.
        ServerError = 5,
        /// Error converting the client's item (invalid item): do not resend unchanged.
        ConversionError = 6,
        /// Conflict: the server's version won.
        Conflict = 7,
        /// The object (ServerId) was not found.
        ObjectNotFound = 8,
        /// The command cannot be completed (e.g. the mailbox is full).
        CannotComplete = 9,
        /// The folder hierarchy changed: run FolderSync, then retry.
        FolderHierarchyChanged = 12,
        /// An empty or partial Sync request, but the server has no cached request: send a full one.
        IncompleteRequest = 13,
        /// Wait or HeartbeatInterval out of range; `Limit` carries the allowed bound.
        InvalidWaitOrHeartbeat = 14,
        /// Too many collections in one Sync request.
        TooManyCollections = 15,
        /// Transient server condition: resend the same request.
        Retry = 16,
    }
}

command_status! {
    /// Status of `FolderSync`, `FolderCreate`, `FolderUpdate` and `FolderDelete`
    /// (MS-ASCMD §2.2.3.177.2–.5); not every command uses every value.
    pub enum FolderStatus (success = Success) {
        /// Success.
        Success = 1,
        /// A folder with that name already exists (Create, Update).
        AlreadyExists = 2,
        /// The folder is a special (system) folder and cannot be changed (Create, Update, Delete).
        SpecialFolder = 3,
        /// The folder does not exist (Update, Delete).
        NotFound = 4,
        /// The parent folder was not found (Create, Update).
        ParentNotFound = 5,
        /// Server error; retry.
        ServerError = 6,
        /// The request timed out (FolderSync); retry.
        RequestTimedOut = 8,
        /// Invalid or mismatched hierarchy synchronization key: FolderSync from key 0.
        InvalidSyncKey = 9,
        /// The request is malformed.
        MalformedRequest = 10,
        /// Unknown error.
        UnknownError = 11,
        /// Code unknown: an unusual back-end issue.
        CodeUnknown = 12,
    }
}

/// `FolderSync` status (same codes as [`FolderStatus`]).
pub type FolderSyncStatus = FolderStatus;
/// `FolderCreate` status (same codes as [`FolderStatus`]).
pub type FolderCreateStatus = FolderStatus;
/// `FolderUpdate` status (same codes as [`FolderStatus`]).
pub type FolderUpdateStatus = FolderStatus;
/// `FolderDelete` status (same codes as [`FolderStatus`]).
pub type FolderDeleteStatus = FolderStatus;

command_status! {
    /// `Ping` status (MS-ASCMD §2.2.3.177.13).
    pub enum PingStatus (success = Expired) {
        /// The heartbeat interval expired with no changes.
        Expired = 1,
        /// Changes occurred in the folders listed in the response.
        ChangesFound = 2,
        /// Required parameters are missing (no cached Ping): send a full Ping.
        MissingParameters = 3,
        /// Syntax error in the request.
        SyntaxError = 4,
        /// HeartbeatInterval out of range; the response carries the allowed bound.
        InvalidHeartbeatInterval = 5,
        /// Too many folders; the response carries `MaxFolders`.
        TooManyFolders = 6,
        /// The folder hierarchy is out of date: run FolderSync.
        FolderSyncRequired = 7,
        /// Server error; retry later.
        ServerError = 8,
    }
}

impl PingStatus {
    /// Whether the Ping completed normally (1 expired or 2 changes).
    pub fn is_ok(self) -> bool {
        matches!(self, Self::Expired | Self::ChangesFound)
    }
}

command_status! {
    /// Top-level `Provision` status (MS-ASPROV §2.2.2.54.2).
    pub enum ProvisionStatus (success = Success) {
        /// Success.
        Success = 1,
        /// Protocol error (syntax).
        ProtocolError = 2,
        /// Server error; retry.
        ServerError = 3,
    }
}

command_status! {
    /// `Policy/Status` in a Provision response (MS-ASPROV §2.2.2.54.1).
    pub enum PolicyStatus (success = Success) {
        /// Success.
        Success = 1,
        /// There is no policy for this client.
        NoPolicy = 2,
        /// Unknown PolicyType value.
        UnknownPolicyType = 3,
        /// The policy data on the server is corrupted.
        PolicyDataCorrupt = 4,
        /// The client acknowledged the wrong policy key.
        WrongPolicyKey = 5,
    }
}

plain_status! {
    /// The client's `Policy/Status` when acknowledging a policy (MS-ASPROV §2.2.2.54.1).
    pub enum PolicyAckStatus {
        /// The policy was applied.
        Applied = 1,
        /// The policy was partially applied.
        PartiallyApplied = 2,
        /// The policy was not applied.
        NotApplied = 3,
        /// The device is managed by a third party.
        ExternallyManaged = 4,
    }
}

plain_status! {
    /// The client's `RemoteWipe/Status` or `AccountOnlyRemoteWipe/Status`
    /// acknowledgement (MS-ASPROV §2.2.2.54.3).
    pub enum WipeAckStatus {
        /// The wipe succeeded.
        Success = 1,
        /// The wipe failed.
        Failed = 2,
    }
}

command_status! {
    /// `GetItemEstimate` status (MS-ASCMD §2.2.3.177.6).
    pub enum GetItemEstimateStatus (success = Success) {
        /// Success.
        Success = 1,
        /// A collection is invalid or does not exist.
        InvalidCollection = 2,
        /// The sync state is not primed: Sync with key 0 first.
        SyncStateNotPrimed = 3,
        /// The synchronization key is invalid.
        InvalidSyncKey = 4,
    }
}

command_status! {
    /// `ItemOperations` status, top level or per operation (MS-ASCMD §2.2.3.177.7).
    pub enum ItemOperationsStatus (success = Success) {
        /// Success.
        Success = 1,
        /// Protocol error (malformed request).
        ProtocolError = 2,
        /// Server error.
        ServerError = 3,
        /// Document library: the URI is bad.
        BadUri = 4,
        /// Document library: access denied.
        DocumentLibraryAccessDenied = 5,
        /// Document library: the object was not found or access was denied.
        DocumentLibraryNotFound = 6,
        /// Document library: failed to connect to the server.
        ConnectionFailed = 7,
        /// The byte range is invalid or too large.
        InvalidByteRange = 8,
        /// The store is unknown or unsupported.
        UnknownStore = 9,
        /// The file is empty.
        EmptyFile = 10,
        /// The requested data is too large.
        DataTooLarge = 11,
        /// I/O failure while downloading a file.
        IoFailure = 12,
        /// Mailbox fetch failed: conversion error.
        ConversionFailed = 14,
        /// The attachment or attachment id is invalid.
        InvalidAttachment = 15,
        /// Access to the resource is denied.
        ResourceAccessDenied = 16,
        /// Partial success.
        PartialSuccess = 17,
        /// Credentials are required.
        CredentialsRequired = 18,
        /// Protocol violation / XML validation error.
        ProtocolViolation = 155,
        /// The requested action is not supported.
        ActionNotSupported = 156,
    }
}

command_status! {
    /// `MoveItems` per-item status (MS-ASCMD §2.2.3.177.9). Note: success is 3.
    pub enum MoveItemsStatus (success = Success) {
        /// Invalid source collection id or item id.
        InvalidSource = 1,
        /// Invalid destination collection id.
        InvalidDestination = 2,
        /// Success.
        Success = 3,
        /// Source and destination are the same.
        SameSourceAndDestination = 4,
        /// The move failed (e.g. the item cannot be moved, or several destinations).
        MoveFailure = 5,
        /// The source or destination item was locked.
        Locked = 7,
    }
}

command_status! {
    /// `Settings` status, top level or per setting (MS-ASCMD §2.2.3.177.14).
    pub enum SettingsStatus (success = Success) {
        /// Success.
        Success = 1,
        /// Protocol error.
        ProtocolError = 2,
        /// Access denied.
        AccessDenied = 3,
        /// Server unavailable.
        ServerUnavailable = 4,
        /// Invalid arguments.
        InvalidArguments = 5,
        /// Conflicting arguments.
        ConflictingArguments = 6,
        /// Denied by policy.
        DeniedByPolicy = 7,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknowns_are_kept() {
        for code in 0..400 {
            assert_eq!(SyncStatus::from_code(code).code(), code);
            assert_eq!(PingStatus::from_code(code).code(), code);
            assert_eq!(MoveItemsStatus::from_code(code).code(), code);
            assert_eq!(ItemOperationsStatus::from_code(code).code(), code);
            assert_eq!(CommonStatus::from_code(code).code(), code);
        }
        assert_eq!(SyncStatus::from_code(2), SyncStatus::Other(2));
        assert_eq!(SyncStatus::from_code(999), SyncStatus::Other(999));
        assert_eq!(SyncStatus::from_code(12), SyncStatus::FolderHierarchyChanged);
        assert_eq!(
            SyncStatus::from_code(142),
            SyncStatus::Common(CommonStatus::DeviceNotProvisioned)
        );
        // ItemOperations' own 155 wins over the global 155.
        assert_eq!(
            ItemOperationsStatus::from_code(155),
            ItemOperationsStatus::ProtocolViolation
        );
        assert!(MoveItemsStatus::from_code(3).is_success());
        assert!(!MoveItemsStatus::from_code(1).is_success());
    }

    #[test]
    fn helpers() {
        for code in [140, 141, 142, 143, 144] {
            assert!(FolderStatus::from_code(code).needs_reprovision(), "{code}");
        }
        assert!(!FolderStatus::from_code(145).needs_reprovision());
        assert!(!SyncStatus::from_code(3).needs_reprovision());
        assert!(PingStatus::from_code(111).is_throttling());
        assert!(!PingStatus::from_code(110).is_throttling());
        assert!(CommonStatus::ServerError.is_transient());
        assert!(CommonStatus::SyncStateCorrupt.needs_resync());
        assert!(CommonStatus::MaximumDevicesReached.is_access_denied());
        assert_eq!(SyncStatus::Conflict.to_string(), "7 (Conflict)");
        assert_eq!(SyncStatus::from_code(144).to_string(), "144 (InvalidPolicyKey)");
    }
}
