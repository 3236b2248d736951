//! vCard ⇄ EAS Contacts + Contacts2 classes (MS-ASCNTC).
//!
//! `to_eas` reads one vCard (2.1 leniently, 3.0, 4.0) through the thin
//! content-line layer in `vcard`, fills the version-independent [`Contact`]
//! form field by field (`fields::map_prop`, one row per property) and builds
//! `ApplicationData` from it. `from_eas` goes the other way and writes vCard
//! 3.0 or 4.0 from the same form.
//!
//! # Residue
//!
//! Every input line is kept in the [`Residue`], in input order:
//! * `path = "VCARD"`: a line EAS cannot hold (X- properties, a 4th e-mail,
//!   a third home phone, GEO, KEY, UID, a PHOTO URL, …). Always written back.
//! * `path = "VCARD?PHOTO"`: a PHOTO that EAS cannot hold (over the 48 KB
//!   limit). Written back only while Exchange has no picture of its own.
//! * `path = "VCARD@<group>"` (e.g. `VCARD@TEL-HOME`, `VCARD@N`): a line
//!   that *was* mapped, kept as the client wrote it. When rendering, if the
//!   EAS value of that group is still what these lines map to, the client's
//!   own lines (with their parameters, groups and spelling) are written back;
//!   if Exchange changed the group, the upstream value wins and is written
//!   fresh. `VCARD@VERSION` records the source version: client lines of
//!   mapped groups are echoed only into a vCard of the same version.
//!
//! UID: EAS contacts have no UID; the vCard UID is returned in
//! [`ToEas::uid`] and kept as a `VCARD` residue line, so the DAV client gets
//! its UID back. A contact created on the Exchange side has no residue: the
//! caller must add a `UID:` line (path `VCARD`) to the residue it passes in,
//! or the rendered vCard has no UID.

mod dates;
mod fields;
mod model;
mod vcard;

use std::collections::{HashMap, HashSet};

use wbxml::Element;

use crate::{MapError, ProtocolVersion, Residue, ResidueEntry, ToEas, VcardVersion};
use fields::{group_value, map_prop, render_group, InCtx, OutCtx, GROUPS};
use model::Contact;
use vcard::{fold_into, parse_card, parse_line, Prop};

pub use model::MAX_PICTURE_BASE64;

/// Residue path of unmapped lines.
const PATH: &str = "VCARD";
/// Residue path prefix of mapped lines (followed by the group).
const MAPPED: &str = "VCARD@";
/// Residue path of a PHOTO that EAS could not take.
const PHOTO_KEPT: &str = "VCARD?PHOTO";

/// Maps one vCard to EAS.
///
/// # Errors
/// [`MapError::Parse`] when the text is not exactly one well-formed vCard;
/// [`MapError::NotRepresentable`] for a contact group (`KIND:group`).
pub fn to_eas(vcf: &str, _version: ProtocolVersion) -> Result<ToEas, MapError> {
    let card = parse_card(vcf)?;
    let props = &card.props;
    if let Some(k) = props.iter().find(|p| {
        matches!(p.name.as_str(), "KIND" | "X-ADDRESSBOOKSERVER-KIND") && !p.text().eq_ignore_ascii_case("individual")
    }) {
        return Err(MapError::NotRepresentable {
            what: format!("vCard KIND:{}", k.text()),
            reason: "Exchange ActiveSync contacts are individuals only (no groups, organisations or locations)".into(),
        });
    }
    let labels: HashMap<&str, String> = props
        .iter()
        .filter(|p| p.name == "X-ABLABEL")
        .filter_map(|p| Some((p.group.as_deref()?, p.text())))
        .collect();
    let ctx = InCtx {
        fn_text: props
            .iter()
            .find(|p| p.name == "FN")
            .map(Prop::text)
            .filter(|t| !t.is_empty()),
        has_title: props.iter().any(|p| p.name == "TITLE"),
    };
    let mut ct = Contact::default();
    let mut paths: Vec<Option<String>> = vec![None; props.len()];
    let mut label_groups: HashMap<&str, &'static str> = HashMap::new();
    if ct.picture.is_some() {
        // A later PHOTO was sent: an earlier over-limit one is plain residue.
        for path in paths.iter_mut().flatten().filter(|x| *x == PHOTO_KEPT) {
            *path = PATH.to_string();
        }
    }
    for (i, p) in props.iter().enumerate() {
        if p.name == "X-ABLABEL" {
            continue;
        }
        if p.name == "VERSION" {
            paths[i] = Some(format!("{MAPPED}VERSION"));
            continue;
        }
        let label = p.group.as_deref().and_then(|g| labels.get(g)).map(String::as_str);
        paths[i] = Some(match map_prop(p, label, &mut ct, &ctx) {
            Some(g) => {
                if let (Some(grp), true) = (
                    p.group.as_deref(),
                    matches!(p.name.as_str(), "X-ABRELATEDNAMES" | "X-ABDATE"),
                ) {
                    label_groups.insert(grp, g);
                }
                format!("{MAPPED}{g}")
            }
            // An inline photo over the size limit: kept while EAS has none.
            None if p.name == "PHOTO" && ct.picture.is_none() && fields::photo_base64(p).is_some() => {
                PHOTO_KEPT.to_string()
            }
            None => PATH.to_string(),
        });
    }
    if ct.picture.is_some() {
        // A later PHOTO was sent: an earlier over-limit one is plain residue.
        for path in paths.iter_mut().flatten().filter(|x| *x == PHOTO_KEPT) {
            *path = PATH.to_string();
        }
    }
    for (i, p) in props.iter().enumerate() {
        if p.name == "X-ABLABEL" {
            paths[i] = Some(match p.group.as_deref().and_then(|g| label_groups.get(g)) {
                Some(g) => format!("{MAPPED}{g}"),
                None => PATH.to_string(),
            });
        }
    }
    let mut entries: Vec<ResidueEntry> = props
        .iter()
        .zip(paths)
        .map(|(p, path)| ResidueEntry {
            path: path.unwrap_or_else(|| PATH.to_string()),
            line: p.raw.clone(),
        })
        .collect();
    if !props.iter().any(|p| p.name == "VERSION") {
        // Read as 3.0 (lenient); record that so unchanged lines echo back.
        entries.insert(
            0,
            ResidueEntry {
                path: format!("{MAPPED}VERSION"),
                line: format!("VERSION:{}", card.version),
            },
        );
    }
    Ok(ToEas {
        application_data: ct.to_element(),
        residue: Residue { v: 1, entries },
        occurrence_edits: Vec::new(),
        uid: props
            .iter()
            .find(|p| p.name == "UID")
            .map(Prop::text)
            .filter(|u| !u.is_empty()),
    })
}

/// Renders EAS Contacts data as a vCard.
///
/// # Errors
/// [`MapError::BadEas`] when the EAS data is malformed (a Picture that is not
/// base64).
pub fn from_eas(
    data: &Element,
    _version: ProtocolVersion,
    residue: &Residue,
    out: VcardVersion,
) -> Result<String, MapError> {
    let ct = Contact::from_element(data)?;
    let v4 = out == VcardVersion::V4;
    let out_version = if v4 { "4.0" } else { "3.0" };

    // The client's own lines of each mapped group, and the source version.
    let mut shadows: HashMap<&str, Vec<Prop>> = HashMap::new();
    let mut same_version = false;
    let mut from_21 = false;
    let mut max_item = 0usize;
    for e in &residue.entries {
        for line in e.line.split("\r\n") {
            let Some(p) = parse_line(line) else { continue };
            if let Some(n) = p
                .group
                .as_deref()
                .and_then(|g| g.strip_prefix("item"))
                .and_then(|n| n.parse().ok())
            {
                max_item = max_item.max(n);
            }
            match e.path.strip_prefix(MAPPED) {
                Some("VERSION") => {
                    same_version = p.value.trim() == out_version;
                    from_21 = p.value.trim() == "2.1" && !v4;
                }
                Some(group) => shadows.entry(group).or_default().push(p),
                None => {}
            }
        }
    }
    // A 2.1 card is rendered as 3.0: its lines are echoed only where they
    // are valid 3.0 as written (no bare parameters, no ENCODING/CHARSET).
    let echoable = |lines: &Vec<Prop>| same_version || (from_21 && lines.iter().all(plain_21));
    let echo: HashSet<&str> = if same_version || from_21 {
        shadows
            .iter()
            .filter(|(_, lines)| echoable(lines))
            .filter(|(group, lines)| group_value(&replay(lines), group) == group_value(&ct, group))
            .map(|(g, _)| *g)
            .collect()
    } else {
        HashSet::new()
    };

    let mut octx = OutCtx {
        v4,
        next_item: max_item + 1,
    };
    let mut lines: Vec<String> = vec!["BEGIN:VCARD".into(), format!("VERSION:{out_version}")];
    let mut emitted: HashSet<String> = HashSet::new();
    for e in &residue.entries {
        let path = e.path.as_str();
        if path == PATH || (path == PHOTO_KEPT && ct.picture.is_none()) {
            lines.extend(e.line.split("\r\n").map(str::to_string));
        } else if let Some(group) = path.strip_prefix(MAPPED) {
            if group == "VERSION" {
                continue;
            }
            if echo.contains(group) {
                lines.extend(e.line.split("\r\n").map(str::to_string));
                emitted.insert(group.to_string());
            } else if emitted.insert(group.to_string()) {
                let fresh = render_group(group, &ct, &mut octx);
                let client = shadows.get(group).map(Vec::as_slice).unwrap_or(&[]);
                lines.extend(if same_version {
                    carry(group, client, fresh)
                } else {
                    fresh
                });
            }
        }
    }
    for group in GROUPS {
        if !emitted.contains(*group) {
            lines.extend(render_group(group, &ct, &mut octx));
        }
    }
    lines.push("END:VCARD".into());
    let mut text = String::new();
    for l in &lines {
        fold_into(&mut text, l);
    }
    Ok(text)
}

/// Upstream changed `group`: its new lines keep what EAS does not carry
/// from the client's lines, pairwise when both have as many lines of the
/// same property: the `itemN.` group and parameters (e.g. `TYPE=pref`,
/// `X-SERVICE-TYPE`), and an address's PO box and extended address. Lines
/// whose parameters describe the value itself (ENCODING, VALUE) or that come
/// in label pairs are rendered fresh.
fn carry(group: &str, client: &[Prop], fresh: Vec<String>) -> Vec<String> {
    if matches!(
        group,
        "PHOTO" | "BDAY" | "ANNIVERSARY" | "MANAGER" | "ASSISTANT" | "SPOUSE" | "CHILDREN"
    ) || client.len() != fresh.len()
    {
        return fresh;
    }
    fresh
        .into_iter()
        .zip(client)
        .map(|(line, c)| {
            let Some(new) = parse_line(&line) else { return line };
            if new.name != c.name || c.param("ENCODING").is_some() || c.param("VALUE").is_some() {
                return line;
            }
            let Some(head) = head_of(&c.raw) else { return line };
            let value = if new.name == "ADR" {
                // Keep PO box and extended address (no EAS field) from the client.
                let old: Vec<&str> = split_raw(&c.value);
                let mut parts: Vec<&str> = split_raw(&new.value);
                for i in 0..2 {
                    if let (Some(p), Some(o)) = (parts.get_mut(i), old.get(i)) {
                        *p = o;
                    }
                }
                parts.join(";")
            } else {
                new.value.clone()
            };
            format!("{head}:{value}")
        })
        .collect()
}

/// Whether a vCard 2.1 line is also valid 3.0 as written.
fn plain_21(p: &Prop) -> bool {
    let Some(head) = head_of(&p.raw) else { return false };
    head.split(';').skip(1).all(|param| param.contains('='))
        && p.param("ENCODING").is_none()
        && p.param("CHARSET").is_none()
}

/// The part of a raw line before its value (up to the first `:` outside
/// double quotes).
fn head_of(raw: &str) -> Option<&str> {
    let mut in_q = false;
    let end = raw.char_indices().find(|&(_, ch)| {
        if ch == '"' {
            in_q = !in_q;
        }
        ch == ':' && !in_q
    })?;
    raw.get(..end.0)
}

/// Splits a raw structured value on unescaped `;`, keeping escapes.
fn split_raw(v: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut esc = false;
    for (i, ch) in v.char_indices() {
        if esc {
            esc = false;
        } else if ch == '\\' {
            esc = true;
        } else if ch == ';' {
            out.push(&v[start..i]);
            start = i + 1;
        }
    }
    out.push(&v[start..]);
    out
}

/// What the client's own lines of one group map to.
fn replay(lines: &[Prop]) -> Contact {
    let labels: HashMap<&str, String> = lines
        .iter()
        .filter(|p| p.name == "X-ABLABEL")
        .filter_map(|p| Some((p.group.as_deref()?, p.text())))
        .collect();
    let ctx = InCtx {
        fn_text: None,
        has_title: lines.iter().any(|p| p.name == "TITLE"),
    };
    let mut ct = Contact::default();
    for p in lines.iter().filter(|p| p.name != "X-ABLABEL") {
        let label = p.group.as_deref().and_then(|g| labels.get(g)).map(String::as_str);
        map_prop(p, label, &mut ct, &ctx);
    }
    ct
}

#[cfg(test)]
mod tests;
