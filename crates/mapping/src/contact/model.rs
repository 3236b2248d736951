//! The internal form of a contact: the EAS fields, independent of vCard
//! version, and its conversion to and from `ApplicationData`.

use std::collections::BTreeMap;

use wbxml::tags::{airsync, airsyncbase, contacts as c, contacts2 as c2};
use wbxml::{Element, Tag};

use crate::MapError;

/// Largest `Picture` the server accepts: 48 KB of base64 text
/// (MS-ASCNTC §2.2.2.58; larger gets Sync Status 6).
pub const MAX_PICTURE_BASE64: usize = 48 * 1024;

/// Single-valued text fields in the order they are sent.
pub(crate) const TEXT_FIELDS: &[Tag] = &[
    c::FILE_AS,
    c::LAST_NAME,
    c::FIRST_NAME,
    c::MIDDLE_NAME,
    c::TITLE,
    c::SUFFIX,
    c::YOMI_LAST_NAME,
    c::YOMI_FIRST_NAME,
    c2::NICK_NAME,
    c::EMAIL1_ADDRESS,
    c::EMAIL2_ADDRESS,
    c::EMAIL3_ADDRESS,
    c::MOBILE_PHONE_NUMBER,
    c::HOME_PHONE_NUMBER,
    c::HOME2_PHONE_NUMBER,
    c::BUSINESS_PHONE_NUMBER,
    c::BUSINESS2_PHONE_NUMBER,
    c::HOME_FAX_NUMBER,
    c::BUSINESS_FAX_NUMBER,
    c::PAGER_NUMBER,
    c::CAR_PHONE_NUMBER,
    c::RADIO_PHONE_NUMBER,
    c::ASSISTANT_PHONE_NUMBER,
    c2::COMPANY_MAIN_PHONE,
    c2::MMS,
    c::HOME_ADDRESS_STREET,
    c::HOME_ADDRESS_CITY,
    c::HOME_ADDRESS_STATE,
    c::HOME_ADDRESS_POSTAL_CODE,
    c::HOME_ADDRESS_COUNTRY,
    c::BUSINESS_ADDRESS_STREET,
    c::BUSINESS_ADDRESS_CITY,
    c::BUSINESS_ADDRESS_STATE,
    c::BUSINESS_ADDRESS_POSTAL_CODE,
    c::BUSINESS_ADDRESS_COUNTRY,
    c::OTHER_ADDRESS_STREET,
    c::OTHER_ADDRESS_CITY,
    c::OTHER_ADDRESS_STATE,
    c::OTHER_ADDRESS_POSTAL_CODE,
    c::OTHER_ADDRESS_COUNTRY,
    c::COMPANY_NAME,
    c::DEPARTMENT,
    c::YOMI_COMPANY_NAME,
    c::JOB_TITLE,
    c::OFFICE_LOCATION,
    c2::MANAGER_NAME,
    c::ASSISTANT_NAME,
    c::SPOUSE,
    c::BIRTHDAY,
    c::ANNIVERSARY,
    c::WEB_PAGE,
    c2::IM_ADDRESS,
    c2::IM_ADDRESS2,
    c2::IM_ADDRESS3,
    c2::CUSTOMER_ID,
    c2::GOVERNMENT_ID,
    c2::ACCOUNT_NAME,
];

/// A contact as EAS sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Contact {
    /// Single-valued text fields (never empty strings).
    pub text: BTreeMap<Tag, String>,
    /// `Categories/Category`.
    pub categories: Vec<String>,
    /// `Children/Child`.
    pub children: Vec<String>,
    /// The plain-text note (`airsyncbase:Body` Type 1).
    pub body: Option<String>,
    /// `Picture`: base64 text without whitespace.
    pub picture: Option<String>,
}

impl Contact {
    /// The value of a text field.
    pub fn get(&self, tag: Tag) -> Option<&str> {
        self.text.get(&tag).map(String::as_str)
    }

    /// Whether a text field is set.
    pub fn has(&self, tag: Tag) -> bool {
        self.text.contains_key(&tag)
    }

    /// Sets a text field; empty values are ignored. Returns false if the
    /// field was already set (the caller keeps the value elsewhere).
    pub fn set(&mut self, tag: Tag, value: impl Into<String>) -> bool {
        if self.has(tag) {
            return false;
        }
        let v = value.into();
        if !v.is_empty() {
            self.text.insert(tag, v);
        }
        true
    }

    /// Sets the first free field of `slots`; false when all are taken.
    pub fn set_first_free(&mut self, slots: &[Tag], value: String) -> bool {
        match slots.iter().find(|t| !self.has(**t)) {
            Some(t) => self.set(*t, value),
            None => false,
        }
    }

    /// Builds the `AirSync:ApplicationData` element.
    pub fn to_element(&self) -> Element {
        let mut app = Element::new(airsync::APPLICATION_DATA);
        for tag in TEXT_FIELDS {
            if let Some(v) = self.text.get(tag) {
                app.push_text(*tag, v.clone());
            }
        }
        if !self.categories.is_empty() {
            let mut cats = Element::new(c::CATEGORIES);
            for cat in &self.categories {
                cats.push_text(c::CATEGORY, cat.clone());
            }
            app.push(cats);
        }
        if !self.children.is_empty() {
            let mut ch = Element::new(c::CHILDREN);
            for child in &self.children {
                ch.push_text(c::CHILD, child.clone());
            }
            app.push(ch);
        }
        if let Some(body) = &self.body {
            // EstimatedDataSize is left out: 16.1 servers reject it in requests.
            app.push(
                Element::new(airsyncbase::BODY)
                    .with_text_child(airsyncbase::TYPE, "1")
                    .with_text_child(airsyncbase::DATA, body.clone()),
            );
        }
        if let Some(p) = &self.picture {
            app.push_text(c::PICTURE, p.clone());
        }
        app
    }

    /// Reads `ApplicationData` (or any element holding Contacts fields).
    /// Unknown and read-only elements (Alias, WeightedRank, NativeBodyType)
    /// are ignored.
    ///
    /// # Errors
    /// [`MapError::BadEas`] for a Picture that is not base64.
    pub fn from_element(data: &Element) -> Result<Self, MapError> {
        let mut out = Contact::default();
        for el in data.elements() {
            if TEXT_FIELDS.contains(&el.tag) {
                let v = el.text().unwrap_or("").replace("\r\n", "\n");
                if !v.is_empty() {
                    out.text.insert(el.tag, v);
                }
            } else if el.tag == c::CATEGORIES {
                out.categories = el
                    .find_all(c::CATEGORY)
                    .filter_map(Element::text)
                    .map(str::to_string)
                    .collect();
            } else if el.tag == c::CHILDREN {
                out.children = el
                    .find_all(c::CHILD)
                    .filter_map(Element::text)
                    .map(str::to_string)
                    .collect();
            } else if el.tag == airsyncbase::BODY {
                // Type 1 (plain) or 2 (HTML, kept as is); RTF (3) is not text.
                let ty = el.child_text(airsyncbase::TYPE).unwrap_or("1").trim();
                if ty != "3" {
                    out.body = el
                        .child_text(airsyncbase::DATA)
                        .map(|d| d.replace("\r\n", "\n"))
                        .filter(|d| !d.is_empty());
                }
            } else if el.tag == c::BODY {
                // EAS 2.5 form.
                out.body = el.text().map(|d| d.replace("\r\n", "\n")).filter(|d| !d.is_empty());
            } else if el.tag == c::PICTURE {
                let b64: String = el.text().unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
                if !b64.is_empty() {
                    use base64::Engine as _;
                    base64::engine::general_purpose::STANDARD
                        .decode(&b64)
                        .map_err(|e| MapError::BadEas(format!("contact Picture is not base64: {e}")))?;
                    out.picture = Some(b64);
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn element_round_trip() {
        let mut ct = Contact::default();
        ct.set(c::FIRST_NAME, "Ann");
        ct.set(c2::NICK_NAME, "A");
        ct.categories = vec!["x".into(), "y".into()];
        ct.children = vec!["k".into()];
        ct.body = Some("note\nline".into());
        ct.picture = Some("QUJD".into());
        let el = ct.to_element();
        assert_eq!(Contact::from_element(&el).unwrap(), ct);
        let bytes = wbxml::encode(&el);
        assert_eq!(Contact::from_element(&wbxml::decode(&bytes).unwrap()).unwrap(), ct);
    }

    #[test]
    fn bad_picture_is_a_typed_error() {
        let el = Element::new(airsync::APPLICATION_DATA).with_text_child(c::PICTURE, "!!!");
        assert!(matches!(Contact::from_element(&el), Err(MapError::BadEas(_))));
    }

    #[test]
    fn first_free_slot() {
        let mut ct = Contact::default();
        let slots = [c::HOME_PHONE_NUMBER, c::HOME2_PHONE_NUMBER];
        assert!(ct.set_first_free(&slots, "1".into()));
        assert!(ct.set_first_free(&slots, "2".into()));
        assert!(!ct.set_first_free(&slots, "3".into()));
        assert_eq!(ct.get(c::HOME2_PHONE_NUMBER), Some("2"));
    }
}
