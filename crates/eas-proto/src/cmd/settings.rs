//! Settings (MS-ASCMD §2.2.1.18): DeviceInformation and UserInformation.
//!
//! [`DeviceInformation`] is also carried inside Provision from 14.1 on.

use wbxml::tags::settings as s;
use wbxml::{Element, Tag};

use super::EasMessage;
use crate::xml::{
    check_version, expect_root, num, opt_flag, opt_status, opt_text, push_opt_flag, push_opt_text, Result,
};
use crate::{ProtocolVersion, SettingsStatus};

/// `settings:DeviceInformation/Set` contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceInformation {
    /// `Model`.
    pub model: Option<String>,
    /// `IMEI`.
    pub imei: Option<String>,
    /// `FriendlyName`.
    pub friendly_name: Option<String>,
    /// `OS`.
    pub os: Option<String>,
    /// `OSLanguage`.
    pub os_language: Option<String>,
    /// `PhoneNumber`.
    pub phone_number: Option<String>,
    /// `UserAgent`.
    pub user_agent: Option<String>,
    /// `EnableOutboundSMS` (14.0+).
    pub enable_outbound_sms: Option<bool>,
    /// `MobileOperator` (14.0+).
    pub mobile_operator: Option<String>,
}

impl DeviceInformation {
    /// The `settings:DeviceInformation` element with its `Set`.
    pub fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut set = Element::new(s::SET);
        push_opt_text(&mut set, s::MODEL, self.model.as_ref());
        push_opt_text(&mut set, s::IMEI, self.imei.as_ref());
        push_opt_text(&mut set, s::FRIENDLY_NAME, self.friendly_name.as_ref());
        push_opt_text(&mut set, s::OS, self.os.as_ref());
        push_opt_text(&mut set, s::OS_LANGUAGE, self.os_language.as_ref());
        push_opt_text(&mut set, s::PHONE_NUMBER, self.phone_number.as_ref());
        push_opt_text(&mut set, s::USER_AGENT, self.user_agent.as_ref());
        if version >= ProtocolVersion::V14_0 {
            push_opt_flag(&mut set, s::ENABLE_OUTBOUND_SMS, self.enable_outbound_sms);
            push_opt_text(&mut set, s::MOBILE_OPERATOR, self.mobile_operator.as_ref());
        }
        Element::new(s::DEVICE_INFORMATION).with_child(set)
    }

    /// Reads a `settings:DeviceInformation` element (its `Set`).
    pub fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        let set = crate::xml::required(el, s::SET)?;
        if set.find(s::ENABLE_OUTBOUND_SMS).is_some() {
            check_version(s::ENABLE_OUTBOUND_SMS, ProtocolVersion::V14_0, version)?;
        }
        if set.find(s::MOBILE_OPERATOR).is_some() {
            check_version(s::MOBILE_OPERATOR, ProtocolVersion::V14_0, version)?;
        }
        Ok(DeviceInformation {
            model: opt_text(set, s::MODEL),
            imei: opt_text(set, s::IMEI),
            friendly_name: opt_text(set, s::FRIENDLY_NAME),
            os: opt_text(set, s::OS),
            os_language: opt_text(set, s::OS_LANGUAGE),
            phone_number: opt_text(set, s::PHONE_NUMBER),
            user_agent: opt_text(set, s::USER_AGENT),
            enable_outbound_sms: opt_flag(set, s::ENABLE_OUTBOUND_SMS)?,
            mobile_operator: opt_text(set, s::MOBILE_OPERATOR),
        })
    }
}

/// Reads the status of a `DeviceInformation` in a response. MS-ASCMD puts
/// `Status` directly inside; some peers (libwbxml's samples) put it in `Set`.
pub(crate) fn device_information_status(el: &Element) -> Result<Option<SettingsStatus>> {
    match opt_status(el, s::STATUS)? {
        Some(st) => Ok(Some(st)),
        None => match el.find(s::SET) {
            Some(set) => opt_status(set, s::STATUS),
            None => Ok(None),
        },
    }
}

/// `Settings` request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsRequest {
    /// `DeviceInformation/Set`.
    pub device_information: Option<DeviceInformation>,
    /// `UserInformation/Get`.
    pub get_user_information: bool,
    /// Other settings (Oof, DevicePassword, RightsManagementInformation), kept as received.
    pub other: Vec<Element>,
}

/// `Settings` response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsResponse {
    /// Top-level status.
    pub status: SettingsStatus,
    /// Status of `DeviceInformation/Set`.
    pub device_information_status: Option<SettingsStatus>,
    /// `UserInformation` answer.
    pub user_information: Option<UserInformation>,
    /// Other settings answers, kept as received.
    pub other: Vec<Element>,
}

/// `UserInformation` answer (the primary account only).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserInformation {
    /// Status of the Get.
    pub status: Option<SettingsStatus>,
    /// `UserDisplayName` (14.1+).
    pub display_name: Option<String>,
    /// `PrimarySmtpAddress` (14.1+).
    pub primary_smtp_address: Option<String>,
    /// `SmtpAddress` values.
    pub smtp_addresses: Vec<String>,
}

impl UserInformation {
    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut el = Element::new(s::USER_INFORMATION);
        if let Some(st) = self.status {
            el.push(num(s::STATUS, st.code()));
        }
        let mut addrs = Element::new(s::EMAIL_ADDRESSES);
        for a in &self.smtp_addresses {
            addrs.push_text(s::SMTP_ADDRESS, a.as_str());
        }
        let get = if version >= ProtocolVersion::V14_1 {
            push_opt_text(&mut addrs, s::PRIMARY_SMTP_ADDRESS, self.primary_smtp_address.as_ref());
            let mut account = Element::new(s::ACCOUNT);
            push_opt_text(&mut account, s::USER_DISPLAY_NAME, self.display_name.as_ref());
            account.push(addrs);
            Element::new(s::GET).with_child(Element::new(s::ACCOUNTS).with_child(account))
        } else {
            Element::new(s::GET).with_child(addrs)
        };
        el.with_child(get)
    }

    fn from_element(el: &Element) -> Result<Self> {
        let mut info = UserInformation {
            status: opt_status(el, s::STATUS)?,
            ..Default::default()
        };
        let Some(get) = el.find(s::GET) else {
            return Ok(info);
        };
        let (account, addrs) = match get.find(s::ACCOUNTS).and_then(|a| a.find(s::ACCOUNT)) {
            Some(acc) => (Some(acc), acc.find(s::EMAIL_ADDRESSES)),
            None => (None, get.find(s::EMAIL_ADDRESSES)),
        };
        info.display_name = account.and_then(|a| opt_text(a, s::USER_DISPLAY_NAME));
        if let Some(addrs) = addrs {
            info.primary_smtp_address = opt_text(addrs, s::PRIMARY_SMTP_ADDRESS);
            info.smtp_addresses = addrs.find_all(s::SMTP_ADDRESS).map(crate::xml::text_of).collect();
        }
        Ok(info)
    }
}

impl EasMessage for SettingsRequest {
    const ROOT: Tag = s::SETTINGS;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT);
        if let Some(di) = &self.device_information {
            el.push(di.to_element(version));
        }
        if self.get_user_information {
            el.push(Element::new(s::USER_INFORMATION).with_child(Element::new(s::GET)));
        }
        for o in &self.other {
            el.push(o.clone());
        }
        el
    }

    fn from_element(el: &Element, version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut req = SettingsRequest::default();
        for child in el.elements() {
            match child.tag {
                s::DEVICE_INFORMATION => {
                    req.device_information = Some(DeviceInformation::from_element(child, version)?)
                }
                s::USER_INFORMATION if child.find(s::GET).is_some() => req.get_user_information = true,
                _ => req.other.push(child.clone()),
            }
        }
        Ok(req)
    }
}

impl EasMessage for SettingsResponse {
    const ROOT: Tag = s::SETTINGS;

    fn to_element(&self, version: ProtocolVersion) -> Element {
        let mut el = Element::new(Self::ROOT).with_child(num(s::STATUS, self.status.code()));
        if let Some(st) = self.device_information_status {
            el.push(Element::new(s::DEVICE_INFORMATION).with_child(num(s::STATUS, st.code())));
        }
        if let Some(ui) = &self.user_information {
            el.push(ui.to_element(version));
        }
        for o in &self.other {
            el.push(o.clone());
        }
        el
    }

    fn from_element(el: &Element, _version: ProtocolVersion) -> Result<Self> {
        expect_root(el, Self::ROOT)?;
        let mut resp = SettingsResponse {
            status: crate::xml::req_status(el, s::STATUS)?,
            device_information_status: None,
            user_information: None,
            other: Vec::new(),
        };
        for child in el.elements() {
            match child.tag {
                s::STATUS => {}
                s::DEVICE_INFORMATION => resp.device_information_status = device_information_status(child)?,
                s::USER_INFORMATION => resp.user_information = Some(UserInformation::from_element(child)?),
                _ => resp.other.push(child.clone()),
            }
        }
        Ok(resp)
    }
}
