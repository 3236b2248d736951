//! The `EASProvisionDoc` policy document (MS-ASPROV §2.2.2.27).

use wbxml::tags::provision as pv;
use wbxml::{Element, Tag};

use crate::xml::Result;

/// Defines the policy struct from a table of (field, tag, doc).
macro_rules! policy_doc {
    (
        flags { $( $(#[$bm:meta])* $bf:ident = $bt:ident, )* }
        numbers { $( $(#[$nm:meta])* $nf:ident = $nt:ident, )* }
    ) => {
        /// The `EASProvisionDoc` policy settings. Every field is optional
        /// (absent = not sent). Elements not modelled here, and modelled
        /// elements whose value does not parse (e.g. empty
        /// `<MaxAttachmentSize/>`), are kept in [`EasProvisionDoc::other`]
        /// and encoded back unchanged.
        #[derive(Clone, Debug, Default, PartialEq, Eq)]
        pub struct EasProvisionDoc {
            $( $(#[$bm])* pub $bf: Option<bool>, )*
            $( $(#[$nm])* pub $nf: Option<u32>, )*
            /// Other policy elements, kept as received.
            pub other: Vec<Element>,
        }

        impl EasProvisionDoc {
            /// The `EASProvisionDoc` element: modelled settings in code-page
            /// order, then [`Self::other`].
            pub fn to_element(&self) -> Element {
                let mut typed: Vec<Element> = Vec::new();
                $( if let Some(b) = self.$bf { typed.push(Element::text_element(pv::$bt, if b { "1" } else { "0" })); } )*
                $( if let Some(n) = self.$nf { typed.push(Element::text_element(pv::$nt, n.to_string())); } )*
                typed.sort_by_key(|e| e.tag);
                let mut el = Element::new(pv::EAS_PROVISION_DOC);
                for t in typed {
                    el.push(t);
                }
                for o in &self.other {
                    el.push(o.clone());
                }
                el
            }

            /// Reads an `EASProvisionDoc` element. Never fails on values:
            /// unparseable ones go to [`Self::other`].
            pub fn from_element(el: &Element) -> Result<Self> {
                crate::xml::expect_root(el, pv::EAS_PROVISION_DOC)?;
                let mut doc = EasProvisionDoc::default();
                for child in el.elements() {
                    let text = child.text().map(str::trim);
                    match child.tag {
                        $( pv::$bt if doc.$bf.is_none() && parse_flag(text).is_some() => doc.$bf = parse_flag(text), )*
                        $( pv::$nt if doc.$nf.is_none() && parse_num(text).is_some() => doc.$nf = parse_num(text), )*
                        _ => doc.other.push(child.clone()),
                    }
                }
                Ok(doc)
            }
        }
    };
}

fn parse_flag(text: Option<&str>) -> Option<bool> {
    match text {
        Some("1") => Some(true),
        Some("0") => Some(false),
        _ => None,
    }
}

fn parse_num(text: Option<&str>) -> Option<u32> {
    text.and_then(|t| t.parse().ok())
}

policy_doc! {
    flags {
        /// `DevicePasswordEnabled`: a device password is required.
        device_password_enabled = DEVICE_PASSWORD_ENABLED,
        /// `AlphanumericDevicePasswordRequired`.
        alphanumeric_device_password_required = ALPHANUMERIC_DEVICE_PASSWORD_REQUIRED,
        /// `RequireStorageCardEncryption`.
        require_storage_card_encryption = REQUIRE_STORAGE_CARD_ENCRYPTION,
        /// `PasswordRecoveryEnabled`.
        password_recovery_enabled = PASSWORD_RECOVERY_ENABLED,
        /// `AttachmentsEnabled`.
        attachments_enabled = ATTACHMENTS_ENABLED,
        /// `AllowSimpleDevicePassword`.
        allow_simple_device_password = ALLOW_SIMPLE_DEVICE_PASSWORD,
        /// `AllowStorageCard`.
        allow_storage_card = ALLOW_STORAGE_CARD,
        /// `AllowCamera`.
        allow_camera = ALLOW_CAMERA,
        /// `RequireDeviceEncryption`.
        require_device_encryption = REQUIRE_DEVICE_ENCRYPTION,
        /// `AllowUnsignedApplications`.
        allow_unsigned_applications = ALLOW_UNSIGNED_APPLICATIONS,
        /// `AllowUnsignedInstallationPackages`.
        allow_unsigned_installation_packages = ALLOW_UNSIGNED_INSTALLATION_PACKAGES,
        /// `AllowWiFi`.
        allow_wifi = ALLOW_WI_FI,
        /// `AllowTextMessaging`.
        allow_text_messaging = ALLOW_TEXT_MESSAGING,
        /// `AllowPOPIMAPEmail`.
        allow_pop_imap_email = ALLOW_POPIMAP_EMAIL,
        /// `AllowIrDA`.
        allow_irda = ALLOW_IR_DA,
        /// `RequireManualSyncWhenRoaming`.
        require_manual_sync_when_roaming = REQUIRE_MANUAL_SYNC_WHEN_ROAMING,
        /// `AllowDesktopSync`.
        allow_desktop_sync = ALLOW_DESKTOP_SYNC,
        /// `AllowHTMLEmail`.
        allow_html_email = ALLOW_HTML_EMAIL,
        /// `RequireSignedSMIMEMessages`.
        require_signed_smime_messages = REQUIRE_SIGNED_SMIME_MESSAGES,
        /// `RequireEncryptedSMIMEMessages`.
        require_encrypted_smime_messages = REQUIRE_ENCRYPTED_SMIME_MESSAGES,
        /// `AllowSMIMESoftCerts`.
        allow_smime_soft_certs = ALLOW_SMIME_SOFT_CERTS,
        /// `AllowBrowser`.
        allow_browser = ALLOW_BROWSER,
        /// `AllowConsumerEmail`.
        allow_consumer_email = ALLOW_CONSUMER_EMAIL,
        /// `AllowRemoteDesktop`.
        allow_remote_desktop = ALLOW_REMOTE_DESKTOP,
        /// `AllowInternetSharing`.
        allow_internet_sharing = ALLOW_INTERNET_SHARING,
    }
    numbers {
        /// `MinDevicePasswordLength`.
        min_device_password_length = MIN_DEVICE_PASSWORD_LENGTH,
        /// `MaxInactivityTimeDeviceLock` (seconds).
        max_inactivity_time_device_lock = MAX_INACTIVITY_TIME_DEVICE_LOCK,
        /// `MaxDevicePasswordFailedAttempts`.
        max_device_password_failed_attempts = MAX_DEVICE_PASSWORD_FAILED_ATTEMPTS,
        /// `MaxAttachmentSize` (bytes).
        max_attachment_size = MAX_ATTACHMENT_SIZE,
        /// `DevicePasswordExpiration` (days).
        device_password_expiration = DEVICE_PASSWORD_EXPIRATION,
        /// `DevicePasswordHistory`.
        device_password_history = DEVICE_PASSWORD_HISTORY,
        /// `MinDevicePasswordComplexCharacters`.
        min_device_password_complex_characters = MIN_DEVICE_PASSWORD_COMPLEX_CHARACTERS,
        /// `AllowBluetooth` (0 disabled, 1 hands-free only, 2 allowed).
        allow_bluetooth = ALLOW_BLUETOOTH,
        /// `MaxCalendarAgeFilter`: caps the calendar FilterType (a FilterType number).
        max_calendar_age_filter = MAX_CALENDAR_AGE_FILTER,
        /// `MaxEmailAgeFilter` (a FilterType number).
        max_email_age_filter = MAX_EMAIL_AGE_FILTER,
        /// `MaxEmailBodyTruncationSize`.
        max_email_body_truncation_size = MAX_EMAIL_BODY_TRUNCATION_SIZE,
        /// `MaxEmailHTMLBodyTruncationSize`.
        max_email_html_body_truncation_size = MAX_EMAIL_HTML_BODY_TRUNCATION_SIZE,
        /// `RequireSignedSMIMEAlgorithm`.
        require_signed_smime_algorithm = REQUIRE_SIGNED_SMIME_ALGORITHM,
        /// `RequireEncryptionSMIMEAlgorithm`.
        require_encryption_smime_algorithm = REQUIRE_ENCRYPTION_SMIME_ALGORITHM,
        /// `AllowSMIMEEncryptionAlgorithmNegotiation`.
        allow_smime_encryption_algorithm_negotiation = ALLOW_SMIME_ENCRYPTION_ALGORITHM_NEGOTIATION,
    }
}

impl EasProvisionDoc {
    /// The root tag.
    pub const TAG: Tag = pv::EAS_PROVISION_DOC;

    /// A permissive policy: no password, everything allowed, no limits on
    /// the calendar window. What a test server typically hands out.
    pub fn permissive() -> Self {
        EasProvisionDoc {
            device_password_enabled: Some(false),
            alphanumeric_device_password_required: Some(false),
            require_storage_card_encryption: Some(false),
            password_recovery_enabled: Some(false),
            attachments_enabled: Some(true),
            allow_simple_device_password: Some(true),
            allow_storage_card: Some(true),
            allow_camera: Some(true),
            require_device_encryption: Some(false),
            allow_unsigned_applications: Some(true),
            allow_unsigned_installation_packages: Some(true),
            allow_wifi: Some(true),
            allow_text_messaging: Some(true),
            allow_pop_imap_email: Some(true),
            allow_bluetooth: Some(2),
            allow_irda: Some(true),
            require_manual_sync_when_roaming: Some(false),
            allow_desktop_sync: Some(true),
            max_calendar_age_filter: Some(0),
            allow_html_email: Some(true),
            max_email_age_filter: Some(0),
            allow_browser: Some(true),
            allow_consumer_email: Some(true),
            allow_remote_desktop: Some(true),
            allow_internet_sharing: Some(true),
            ..Default::default()
        }
    }
}
