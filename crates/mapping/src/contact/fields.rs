//! The field table: one vCard property (or Apple label pair) ⇄ EAS fields.
//!
//! Inbound, [`map_prop`] puts a property into the [`Contact`] and names the
//! *group* it filled (e.g. `TEL-HOME` for HomePhoneNumber/Home2PhoneNumber);
//! a property it cannot place returns `None` and goes to the residue.
//! Outbound, [`render_group`] writes the vCard lines of one group for 3.0 or
//! 4.0. Groups are also the unit of the residue's "unchanged upstream →
//! echo the client's own line" rule (see `mod.rs`).

use base64::Engine as _;
use wbxml::tags::{contacts as c, contacts2 as c2};
use wbxml::Tag;

use super::dates;
use super::model::{Contact, MAX_PICTURE_BASE64};
use super::vcard::{escape, escape_list_component, Prop};

/// Every group, in the order lines are written.
pub(crate) const GROUPS: &[&str] = &[
    "FN",
    "N",
    "NICKNAME",
    "YOMI-FIRST",
    "YOMI-LAST",
    "EMAIL",
    "TEL-CELL",
    "TEL-HOME",
    "TEL-WORK",
    "TEL-HOMEFAX",
    "TEL-WORKFAX",
    "TEL-PAGER",
    "TEL-CAR",
    "TEL-RADIO",
    "TEL-ASSISTANT",
    "TEL-MAIN",
    "TEL-MMS",
    "ADR-HOME",
    "ADR-WORK",
    "ADR-OTHER",
    "ORG",
    "YOMI-ORG",
    "TITLE",
    "OFFICE",
    "MANAGER",
    "ASSISTANT",
    "SPOUSE",
    "CHILDREN",
    "BDAY",
    "ANNIVERSARY",
    "URL",
    "IMPP",
    "CATEGORIES",
    "NOTE",
    "PHOTO",
    "CUSTOMERID",
    "GOVERNMENTID",
    "ACCOUNTNAME",
];

/// The EAS text fields of a group (empty for list/body/picture groups).
pub(crate) fn group_tags(group: &str) -> &'static [Tag] {
    match group {
        "FN" => &[c::FILE_AS],
        "N" => &[c::LAST_NAME, c::FIRST_NAME, c::MIDDLE_NAME, c::TITLE, c::SUFFIX],
        "NICKNAME" => &[c2::NICK_NAME],
        "YOMI-FIRST" => &[c::YOMI_FIRST_NAME],
        "YOMI-LAST" => &[c::YOMI_LAST_NAME],
        "YOMI-ORG" => &[c::YOMI_COMPANY_NAME],
        "EMAIL" => &[c::EMAIL1_ADDRESS, c::EMAIL2_ADDRESS, c::EMAIL3_ADDRESS],
        "TEL-CELL" => &[c::MOBILE_PHONE_NUMBER],
        "TEL-HOME" => &[c::HOME_PHONE_NUMBER, c::HOME2_PHONE_NUMBER],
        "TEL-WORK" => &[c::BUSINESS_PHONE_NUMBER, c::BUSINESS2_PHONE_NUMBER],
        "TEL-HOMEFAX" => &[c::HOME_FAX_NUMBER],
        "TEL-WORKFAX" => &[c::BUSINESS_FAX_NUMBER],
        "TEL-PAGER" => &[c::PAGER_NUMBER],
        "TEL-CAR" => &[c::CAR_PHONE_NUMBER],
        "TEL-RADIO" => &[c::RADIO_PHONE_NUMBER],
        "TEL-ASSISTANT" => &[c::ASSISTANT_PHONE_NUMBER],
        "TEL-MAIN" => &[c2::COMPANY_MAIN_PHONE],
        "TEL-MMS" => &[c2::MMS],
        "ADR-HOME" => &[
            c::HOME_ADDRESS_STREET,
            c::HOME_ADDRESS_CITY,
            c::HOME_ADDRESS_STATE,
            c::HOME_ADDRESS_POSTAL_CODE,
            c::HOME_ADDRESS_COUNTRY,
        ],
        "ADR-WORK" => &[
            c::BUSINESS_ADDRESS_STREET,
            c::BUSINESS_ADDRESS_CITY,
            c::BUSINESS_ADDRESS_STATE,
            c::BUSINESS_ADDRESS_POSTAL_CODE,
            c::BUSINESS_ADDRESS_COUNTRY,
        ],
        "ADR-OTHER" => &[
            c::OTHER_ADDRESS_STREET,
            c::OTHER_ADDRESS_CITY,
            c::OTHER_ADDRESS_STATE,
            c::OTHER_ADDRESS_POSTAL_CODE,
            c::OTHER_ADDRESS_COUNTRY,
        ],
        "ORG" => &[c::COMPANY_NAME, c::DEPARTMENT],
        "TITLE" => &[c::JOB_TITLE],
        "OFFICE" => &[c::OFFICE_LOCATION],
        "MANAGER" => &[c2::MANAGER_NAME],
        "ASSISTANT" => &[c::ASSISTANT_NAME],
        "SPOUSE" => &[c::SPOUSE],
        "BDAY" => &[c::BIRTHDAY],
        "ANNIVERSARY" => &[c::ANNIVERSARY],
        "URL" => &[c::WEB_PAGE],
        "IMPP" => &[c2::IM_ADDRESS, c2::IM_ADDRESS2, c2::IM_ADDRESS3],
        "CUSTOMERID" => &[c2::CUSTOMER_ID],
        "GOVERNMENTID" => &[c2::GOVERNMENT_ID],
        "ACCOUNTNAME" => &[c2::ACCOUNT_NAME],
        _ => &[],
    }
}

/// The group's content in a comparable form (emails by address, dates by
/// resolved day, text as is).
pub(crate) fn group_value(ct: &Contact, group: &str) -> Vec<String> {
    match group {
        "CHILDREN" => ct.children.clone(),
        "CATEGORIES" => ct.categories.clone(),
        "NOTE" => ct.body.iter().cloned().collect(),
        "PHOTO" => ct.picture.iter().cloned().collect(),
        "EMAIL" => group_tags(group)
            .iter()
            .map(|t| {
                ct.get(*t)
                    .map(|v| addr_spec(v).to_ascii_lowercase())
                    .unwrap_or_default()
            })
            .collect(),
        "BDAY" | "ANNIVERSARY" => group_tags(group)
            .iter()
            .map(|t| {
                ct.get(*t)
                    .and_then(dates::from_eas)
                    .map(|d| d.to_string())
                    .unwrap_or_default()
            })
            .collect(),
        _ => group_tags(group)
            .iter()
            .map(|t| ct.get(*t).unwrap_or("").to_string())
            .collect(),
    }
}

/// Context for inbound mapping that depends on other lines.
#[derive(Default)]
pub(crate) struct InCtx {
    /// FN text, used as the display name of e-mail addresses.
    pub fn_text: Option<String>,
    /// Whether a TITLE line exists (ROLE maps only without one).
    pub has_title: bool,
}

/// Apple label of a group (`_$!<Spouse>!$_` → `spouse`, custom labels as is).
pub(crate) fn apple_label(label: &str) -> String {
    let l = label.trim();
    l.strip_prefix("_$!<")
        .and_then(|x| x.strip_suffix(">!$_"))
        .unwrap_or(l)
        .to_ascii_lowercase()
}

/// The addr-spec of an RFC 5322 mailbox (`"Name" <a@b>` → `a@b`).
pub(crate) fn addr_spec(mailbox: &str) -> &str {
    let m = mailbox.trim();
    match (m.rfind('<'), m.ends_with('>')) {
        (Some(i), true) => m.get(i + 1..m.len() - 1).unwrap_or(m).trim(),
        _ => m,
    }
}

/// The display name of a mailbox, if it has one.
fn display_name(mailbox: &str) -> Option<String> {
    let m = mailbox.trim();
    let i = m.rfind('<')?;
    let name = m.get(..i)?.trim().trim_matches('"').trim();
    (!name.is_empty()).then(|| name.replace("\\\"", "\""))
}

/// `"Name" <addr>` as Exchange writes it (plain address without a name).
fn mailbox(name: Option<&str>, addr: &str) -> String {
    match name.filter(|n| !n.trim().is_empty()) {
        Some(n) => format!("\"{}\" <{addr}>", n.replace('\\', "\\\\").replace('"', "\\\"")),
        None => addr.to_string(),
    }
}

fn is_uri(v: &str) -> bool {
    v.split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)))
}

/// Which phone group a TEL line belongs to, by its TYPEs.
fn tel_group(types: &[String]) -> &'static str {
    let has = |t: &str| types.iter().any(|x| x == t);
    if has("fax") {
        if has("home") {
            "TEL-HOMEFAX"
        } else {
            "TEL-WORKFAX"
        }
    } else if has("pager") {
        "TEL-PAGER"
    } else if has("car") {
        "TEL-CAR"
    } else if has("x-radio") || has("x-evolution-radio") || has("radio") {
        "TEL-RADIO"
    } else if has("x-assistant") || has("x-evolution-assistant") || has("assistant") {
        "TEL-ASSISTANT"
    } else if has("main") || has("x-company-main") || has("x-evolution-company") {
        "TEL-MAIN"
    } else if has("cell") || has("iphone") || has("mobile") {
        "TEL-CELL"
    } else if has("x-mms") || has("text") || has("msg") {
        "TEL-MMS"
    } else if has("work") {
        "TEL-WORK"
    } else {
        // home, voice, other and untyped numbers.
        "TEL-HOME"
    }
}

fn adr_group(p: &Prop) -> &'static str {
    if p.has_type("home") {
        "ADR-HOME"
    } else if p.has_type("work") {
        "ADR-WORK"
    } else {
        "ADR-OTHER"
    }
}

/// The relation a RELATED/X-ABRELATEDNAMES line (or X-ABDATE label) names.
fn relation_group(kind: &str) -> Option<&'static str> {
    match kind {
        "spouse" | "partner" => Some("SPOUSE"),
        "child" => Some("CHILDREN"),
        "manager" | "x-manager" => Some("MANAGER"),
        "assistant" | "x-assistant" | "agent" => Some("ASSISTANT"),
        _ => None,
    }
}

fn set_group(ct: &mut Contact, group: &'static str, value: String) -> Option<&'static str> {
    ct.set_first_free(group_tags(group), value).then_some(group)
}

/// Maps one property into `ct`. `label` is the Apple `X-ABLabel` of the
/// line's group. Returns the group filled, or `None` (→ residue).
pub(crate) fn map_prop(p: &Prop, label: Option<&str>, ct: &mut Contact, ctx: &InCtx) -> Option<&'static str> {
    let label = label.map(apple_label);
    match p.name.as_str() {
        "FN" => set_group(ct, "FN", p.text()),
        "N" => {
            if group_tags("N").iter().any(|t| ct.has(*t)) {
                return None;
            }
            let comps = p.component_lists();
            for (i, tag) in group_tags("N").iter().enumerate() {
                let v = comps.get(i).map(|l| l.join(",")).unwrap_or_default();
                ct.set(*tag, v);
            }
            Some("N")
        }
        "NICKNAME" => set_group(ct, "NICKNAME", p.list().join(",")),
        "X-PHONETIC-FIRST-NAME" => set_group(ct, "YOMI-FIRST", p.text()),
        "X-PHONETIC-LAST-NAME" => set_group(ct, "YOMI-LAST", p.text()),
        "X-PHONETIC-ORG" => set_group(ct, "YOMI-ORG", p.text()),
        "EMAIL" => {
            let v = p.text();
            let addr = addr_spec(&v).to_string();
            if addr.is_empty() {
                return None;
            }
            let name = display_name(&v).or_else(|| ctx.fn_text.clone());
            set_group(ct, "EMAIL", mailbox(name.as_deref(), &addr))
        }
        "TEL" => {
            let v = p.text();
            let v = v.strip_prefix("tel:").unwrap_or(&v).to_string();
            if v.is_empty() {
                return None;
            }
            set_group(ct, tel_group(&p.types()), v)
        }
        "ADR" => {
            let g = adr_group(p);
            let tags = group_tags(g);
            if tags.iter().any(|t| ct.has(*t)) {
                return None;
            }
            let comps = p.component_lists();
            let comp = |i: usize| comps.get(i).map(|l| l.join("\n")).unwrap_or_default();
            // Street, locality, region, postal code, country; PO box and
            // extended address have no EAS field (kept by the residue).
            for (tag, i) in tags.iter().zip([2usize, 3, 4, 5, 6]) {
                ct.set(*tag, comp(i));
            }
            Some(g)
        }
        "ORG" => {
            if ct.has(c::COMPANY_NAME) || ct.has(c::DEPARTMENT) {
                return None;
            }
            let comps = p.components();
            ct.set(c::COMPANY_NAME, comps.first().cloned().unwrap_or_default());
            let units: Vec<&String> = comps.iter().skip(1).collect();
            let dept = units.iter().map(|u| u.as_str()).collect::<Vec<_>>().join(";");
            ct.set(c::DEPARTMENT, dept.trim_end_matches(';').to_string());
            Some("ORG")
        }
        "TITLE" => set_group(ct, "TITLE", p.text()),
        "ROLE" if !ctx.has_title => set_group(ct, "TITLE", p.text()),
        "X-EAS-OFFICELOCATION" | "X-MS-OFFICELOCATION" => set_group(ct, "OFFICE", p.text()),
        "X-EAS-CUSTOMERID" => set_group(ct, "CUSTOMERID", p.text()),
        "X-EAS-GOVERNMENTID" => set_group(ct, "GOVERNMENTID", p.text()),
        "X-EAS-ACCOUNTNAME" => set_group(ct, "ACCOUNTNAME", p.text()),
        "X-EVOLUTION-MANAGER" | "X-MS-MANAGER" | "X-KADDRESSBOOK-X-MANAGERSNAME" => set_group(ct, "MANAGER", p.text()),
        "X-EVOLUTION-ASSISTANT" | "X-MS-ASSISTANT" | "X-ASSISTANT" | "X-KADDRESSBOOK-X-ASSISTANTSNAME" => {
            set_group(ct, "ASSISTANT", p.text())
        }
        "X-EVOLUTION-SPOUSE" | "X-MS-SPOUSE" | "X-SPOUSE" | "X-KADDRESSBOOK-X-SPOUSENAME" => {
            set_group(ct, "SPOUSE", p.text())
        }
        "X-ABRELATEDNAMES" => relation(ct, label.as_deref()?, p.text()),
        "RELATED" => {
            let v = p.text();
            let text_valued = p.param("VALUE").is_some_and(|x| x.eq_ignore_ascii_case("text")) || !is_uri(&v);
            if !text_valued {
                return None;
            }
            let kind = p.types().into_iter().find(|t| relation_group(t).is_some())?;
            relation(ct, &kind, v)
        }
        "BDAY" | "ANNIVERSARY" | "X-ANNIVERSARY" | "X-MS-ANNIVERSARY" | "X-EVOLUTION-ANNIVERSARY" | "X-ABDATE" => {
            let group = match p.name.as_str() {
                "BDAY" => "BDAY",
                "X-ABDATE" if label.as_deref() != Some("anniversary") => return None,
                _ => "ANNIVERSARY",
            };
            if p.param("VALUE").is_some_and(|v| v.eq_ignore_ascii_case("text")) {
                return None;
            }
            let date = dates::parse_vcard_date(&p.text(), p.param("X-APPLE-OMIT-YEAR"))?;
            set_group(ct, group, dates::to_eas(date))
        }
        "URL" => set_group(ct, "URL", p.text()),
        "IMPP" | "X-AIM" | "X-JABBER" | "X-MSN" | "X-YAHOO" | "X-ICQ" | "X-SKYPE" | "X-GOOGLE-TALK" | "X-GADUGADU"
        | "X-QQ" | "X-MS-IMADDRESS" | "X-SIP" => set_group(ct, "IMPP", p.text()),
        "CATEGORIES" => {
            ct.categories.extend(p.list().into_iter().filter(|c| !c.is_empty()));
            Some("CATEGORIES")
        }
        "NOTE" => {
            if ct.body.is_some() {
                return None;
            }
            ct.body = Some(p.text().replace("\r\n", "\n")).filter(|b| !b.is_empty());
            Some("NOTE")
        }
        "PHOTO" => {
            if ct.picture.is_some() {
                return None;
            }
            let b64 = photo_base64(p)?;
            if b64.len() > MAX_PICTURE_BASE64 {
                return None;
            }
            ct.picture = Some(b64);
            Some("PHOTO")
        }
        _ => None,
    }
}

fn relation(ct: &mut Contact, kind: &str, name: String) -> Option<&'static str> {
    match relation_group(kind)? {
        "CHILDREN" => {
            if name.is_empty() {
                return None;
            }
            ct.children.push(name);
            Some("CHILDREN")
        }
        g => set_group(ct, g, name),
    }
}

/// The base64 image of an inline PHOTO (3.0 `ENCODING=b`, 2.1
/// `ENCODING=BASE64`, 4.0 `data:` URI); `None` for a URL or bad data.
pub(crate) fn photo_base64(p: &Prop) -> Option<String> {
    let raw: String = p.value.chars().filter(|c| !c.is_whitespace()).collect();
    let enc = p.param("ENCODING").map(str::to_ascii_lowercase);
    let b64 = if matches!(enc.as_deref(), Some("b" | "base64")) {
        raw
    } else {
        let (head, data) = raw.strip_prefix("data:")?.split_once(',')?;
        if !head.ends_with(";base64") {
            return None;
        }
        data.to_string()
    };
    base64::engine::general_purpose::STANDARD.decode(&b64).ok()?;
    Some(b64)
}

/// Image media type from the first bytes of the base64 data.
fn image_type(b64: &str) -> (&'static str, &'static str) {
    let head = base64::engine::general_purpose::STANDARD
        .decode(b64.get(..b64.len().min(16)).unwrap_or(""))
        .unwrap_or_default();
    if head.starts_with(&[0x89, b'P', b'N', b'G']) {
        ("PNG", "image/png")
    } else if head.starts_with(b"GIF8") {
        ("GIF", "image/gif")
    } else {
        ("JPEG", "image/jpeg")
    }
}

/// Output state shared by the rendered groups of one card.
pub(crate) struct OutCtx {
    /// vCard 4.0 (else 3.0).
    pub v4: bool,
    /// Next free Apple `itemN` group number.
    pub next_item: usize,
}

impl OutCtx {
    fn item(&mut self) -> String {
        let g = format!("item{}", self.next_item);
        self.next_item += 1;
        g
    }

    fn ty(&self, t: &str) -> String {
        if self.v4 {
            t.to_ascii_lowercase()
        } else {
            t.to_ascii_uppercase()
        }
    }
}

/// The vCard lines (unfolded) of one group.
pub(crate) fn render_group(group: &str, ct: &Contact, out: &mut OutCtx) -> Vec<String> {
    let get = |t: Tag| ct.get(t).unwrap_or("");
    let single = |name: &str, t: Tag| -> Vec<String> {
        ct.get(t)
            .map(|v| vec![format!("{name}:{}", escape(v))])
            .unwrap_or_default()
    };
    let tel = |out: &OutCtx, types: &str, t: Tag| -> Vec<String> {
        ct.get(t)
            .map(|v| vec![format!("TEL;TYPE={}:{}", out.ty(types), escape(v))])
            .unwrap_or_default()
    };
    match group {
        "FN" => {
            let name = ct
                .get(c::FILE_AS)
                .map(str::to_string)
                .unwrap_or_else(|| synthesized_fn(ct));
            vec![format!("FN:{}", escape(&name))]
        }
        "N" => {
            // RFC 2426 requires N in 3.0; in 4.0 it is optional.
            if out.v4 && !group_tags("N").iter().any(|t| ct.has(*t)) {
                return Vec::new();
            }
            let parts: Vec<String> = group_tags("N").iter().map(|t| escape_list_component(get(*t))).collect();
            vec![format!("N:{}", parts.join(";"))]
        }
        "NICKNAME" => ct
            .get(c2::NICK_NAME)
            .map(|v| vec![format!("NICKNAME:{}", escape_list_component(v))])
            .unwrap_or_default(),
        "YOMI-FIRST" => single("X-PHONETIC-FIRST-NAME", c::YOMI_FIRST_NAME),
        "YOMI-LAST" => single("X-PHONETIC-LAST-NAME", c::YOMI_LAST_NAME),
        "YOMI-ORG" => single("X-PHONETIC-ORG", c::YOMI_COMPANY_NAME),
        "EMAIL" => group_tags(group)
            .iter()
            .filter_map(|t| ct.get(*t))
            .map(|v| {
                let a = escape(addr_spec(v));
                if out.v4 {
                    format!("EMAIL:{a}")
                } else {
                    format!("EMAIL;TYPE=INTERNET:{a}")
                }
            })
            .collect(),
        "TEL-CELL" => tel(out, "CELL", c::MOBILE_PHONE_NUMBER),
        "TEL-HOME" => [c::HOME_PHONE_NUMBER, c::HOME2_PHONE_NUMBER]
            .iter()
            .flat_map(|t| tel(out, "HOME", *t))
            .collect(),
        "TEL-WORK" => [c::BUSINESS_PHONE_NUMBER, c::BUSINESS2_PHONE_NUMBER]
            .iter()
            .flat_map(|t| tel(out, "WORK", *t))
            .collect(),
        "TEL-HOMEFAX" => tel(out, "HOME,FAX", c::HOME_FAX_NUMBER),
        "TEL-WORKFAX" => tel(out, "WORK,FAX", c::BUSINESS_FAX_NUMBER),
        "TEL-PAGER" => tel(out, "PAGER", c::PAGER_NUMBER),
        "TEL-CAR" => tel(out, "CAR", c::CAR_PHONE_NUMBER),
        "TEL-RADIO" => tel(out, "X-RADIO", c::RADIO_PHONE_NUMBER),
        "TEL-ASSISTANT" => tel(out, "X-ASSISTANT", c::ASSISTANT_PHONE_NUMBER),
        "TEL-MAIN" => tel(out, "MAIN", c2::COMPANY_MAIN_PHONE),
        "TEL-MMS" => tel(out, "TEXT", c2::MMS),
        "ADR-HOME" | "ADR-WORK" | "ADR-OTHER" => {
            let tags = group_tags(group);
            if !tags.iter().any(|t| ct.has(*t)) {
                return Vec::new();
            }
            let ty = match group {
                "ADR-HOME" => "HOME",
                "ADR-WORK" => "WORK",
                _ => "OTHER",
            };
            let comps: Vec<String> = tags.iter().map(|t| escape(get(*t))).collect();
            vec![format!("ADR;TYPE={}:;;{}", out.ty(ty), comps.join(";"))]
        }
        "ORG" => {
            if !ct.has(c::COMPANY_NAME) && !ct.has(c::DEPARTMENT) {
                return Vec::new();
            }
            let mut v = escape(get(c::COMPANY_NAME));
            if let Some(d) = ct.get(c::DEPARTMENT) {
                for unit in d.split(';') {
                    v.push(';');
                    v.push_str(&escape(unit));
                }
            }
            vec![format!("ORG:{v}")]
        }
        "TITLE" => single("TITLE", c::JOB_TITLE),
        "OFFICE" => single("X-EAS-OFFICELOCATION", c::OFFICE_LOCATION),
        "CUSTOMERID" => single("X-EAS-CUSTOMERID", c2::CUSTOMER_ID),
        "GOVERNMENTID" => single("X-EAS-GOVERNMENTID", c2::GOVERNMENT_ID),
        "ACCOUNTNAME" => single("X-EAS-ACCOUNTNAME", c2::ACCOUNT_NAME),
        "MANAGER" => related(out, "x-manager", "Manager", ct.get(c2::MANAGER_NAME).into_iter()),
        "ASSISTANT" => related(out, "agent", "Assistant", ct.get(c::ASSISTANT_NAME).into_iter()),
        "SPOUSE" => related(out, "spouse", "Spouse", ct.get(c::SPOUSE).into_iter()),
        "CHILDREN" => related(out, "child", "Child", ct.children.iter().map(String::as_str)),
        "BDAY" | "ANNIVERSARY" => {
            let Some(date) = group_tags(group)
                .first()
                .and_then(|t| ct.get(*t))
                .and_then(dates::from_eas)
            else {
                return Vec::new();
            };
            let (param, value) = dates::to_vcard(date, out.v4);
            let param = param.map(|p| format!(";{p}")).unwrap_or_default();
            if group == "BDAY" {
                vec![format!("BDAY{param}:{value}")]
            } else if out.v4 {
                vec![format!("ANNIVERSARY{param}:{value}")]
            } else {
                let g = out.item();
                vec![
                    format!("{g}.X-ABDATE{param}:{value}"),
                    format!("{g}.X-ABLabel:_$!<Anniversary>!$_"),
                ]
            }
        }
        "URL" => single("URL", c::WEB_PAGE),
        "IMPP" => group_tags(group)
            .iter()
            .filter_map(|t| ct.get(*t))
            .map(|v| format!("IMPP:{}", escape(v)))
            .collect(),
        "CATEGORIES" if !ct.categories.is_empty() => {
            vec![format!(
                "CATEGORIES:{}",
                ct.categories.iter().map(|c| escape(c)).collect::<Vec<_>>().join(",")
            )]
        }
        "NOTE" => ct.body.iter().map(|b| format!("NOTE:{}", escape(b))).collect(),
        "PHOTO" => match &ct.picture {
            Some(b64) => {
                let (short, mime) = image_type(b64);
                if out.v4 {
                    vec![format!("PHOTO:data:{mime};base64,{b64}")]
                } else {
                    vec![format!("PHOTO;ENCODING=b;TYPE={short}:{b64}")]
                }
            }
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn related<'a>(out: &mut OutCtx, v4_type: &str, label: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut lines = Vec::new();
    for name in names {
        if out.v4 {
            lines.push(format!("RELATED;TYPE={v4_type};VALUE=text:{}", escape(name)));
        } else {
            let g = out.item();
            lines.push(format!("{g}.X-ABRELATEDNAMES:{}", escape(name)));
            lines.push(format!("{g}.X-ABLabel:_$!<{label}>!$_"));
        }
    }
    lines
}

/// FN for a contact without FileAs: the name parts, else company, else the
/// first e-mail address.
pub(crate) fn synthesized_fn(ct: &Contact) -> String {
    let parts: Vec<&str> = [c::TITLE, c::FIRST_NAME, c::MIDDLE_NAME, c::LAST_NAME, c::SUFFIX]
        .iter()
        .filter_map(|t| ct.get(*t))
        .collect();
    if !parts.is_empty() {
        return parts.join(" ");
    }
    ct.get(c::COMPANY_NAME)
        .or_else(|| ct.get(c::EMAIL1_ADDRESS).map(addr_spec))
        .unwrap_or("")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::vcard::parse_line;

    fn map(line: &str) -> (Option<&'static str>, Contact) {
        let mut ct = Contact::default();
        let p = parse_line(line).unwrap();
        (map_prop(&p, None, &mut ct, &InCtx::default()), ct)
    }

    #[test]
    fn phone_types() {
        for (line, tag) in [
            ("TEL;TYPE=CELL:1", c::MOBILE_PHONE_NUMBER),
            ("TEL;type=HOME;type=VOICE:1", c::HOME_PHONE_NUMBER),
            ("TEL;WORK;VOICE:1", c::BUSINESS_PHONE_NUMBER),
            ("TEL;TYPE=HOME,FAX:1", c::HOME_FAX_NUMBER),
            ("TEL;TYPE=fax:1", c::BUSINESS_FAX_NUMBER),
            ("TEL;TYPE=PAGER:1", c::PAGER_NUMBER),
            ("TEL;TYPE=CAR:1", c::CAR_PHONE_NUMBER),
            ("TEL;TYPE=X-RADIO:1", c::RADIO_PHONE_NUMBER),
            ("TEL;TYPE=X-ASSISTANT:1", c::ASSISTANT_PHONE_NUMBER),
            ("TEL;TYPE=MAIN:1", c2::COMPANY_MAIN_PHONE),
            ("TEL;TYPE=text:1", c2::MMS),
            ("TEL;TYPE=cell,text:1", c::MOBILE_PHONE_NUMBER),
            ("TEL;VALUE=uri;TYPE=work:tel:1", c::BUSINESS_PHONE_NUMBER),
            ("TEL:1", c::HOME_PHONE_NUMBER),
        ] {
            let (g, ct) = map(line);
            assert!(g.is_some(), "{line}");
            assert_eq!(ct.get(tag), Some("1"), "{line}");
        }
    }

    #[test]
    fn email_display_forms() {
        let (_, ct) = map("EMAIL;TYPE=internet:\"x y\" <a@b.c>");
        assert_eq!(ct.get(c::EMAIL1_ADDRESS), Some("\"x y\" <a@b.c>"));
        let mut ct = Contact::default();
        let ctx = InCtx {
            fn_text: Some("Ann \"A\" Lee".into()),
            ..InCtx::default()
        };
        map_prop(&parse_line("EMAIL:a@b.c").unwrap(), None, &mut ct, &ctx);
        assert_eq!(ct.get(c::EMAIL1_ADDRESS), Some("\"Ann \\\"A\\\" Lee\" <a@b.c>"));
        assert_eq!(addr_spec("\"Ann\" <a@b.c>"), "a@b.c");
        assert_eq!(addr_spec("a@b.c"), "a@b.c");
    }

    #[test]
    fn apple_relations_need_their_label() {
        let p = parse_line("item1.X-ABRELATEDNAMES:Jane").unwrap();
        let mut ct = Contact::default();
        assert_eq!(
            map_prop(&p, Some("_$!<Spouse>!$_"), &mut ct, &InCtx::default()),
            Some("SPOUSE")
        );
        assert_eq!(ct.get(c::SPOUSE), Some("Jane"));
        assert_eq!(map_prop(&p, Some("_$!<Friend>!$_"), &mut ct, &InCtx::default()), None);
        assert_eq!(map_prop(&p, None, &mut ct, &InCtx::default()), None);
    }

    #[test]
    fn related_uri_stays_in_residue() {
        assert_eq!(map("RELATED;TYPE=spouse:urn:uuid:1234").0, None);
        let (g, ct) = map("RELATED;TYPE=spouse;VALUE=text:Jane");
        assert_eq!(g, Some("SPOUSE"));
        assert_eq!(ct.get(c::SPOUSE), Some("Jane"));
    }

    #[test]
    fn photo_forms_and_limit() {
        let (g, ct) = map("PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ");
        assert_eq!(g, Some("PHOTO"));
        assert_eq!(ct.picture.as_deref(), Some("/9j/4AAQ"));
        let (g, ct) = map("PHOTO:data:image/png;base64,iVBORw0K");
        assert_eq!(g, Some("PHOTO"));
        assert_eq!(ct.picture.as_deref(), Some("iVBORw0K"));
        assert_eq!(map("PHOTO;VALUE=uri:http://example.com/a.jpg").0, None);
        let big = format!("PHOTO;ENCODING=b;TYPE=JPEG:{}", "A".repeat(MAX_PICTURE_BASE64 + 4));
        assert_eq!(map(&big).0, None);
    }
}
