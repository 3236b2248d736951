//! Small helpers for reading and writing element trees. Crate-internal.

use wbxml::{Element, Tag};

use crate::status::StatusCode;
use crate::{ProtoError, ProtocolVersion};

pub(crate) type Result<T> = std::result::Result<T, ProtoError>;

/// Fails unless `el` is a `tag` element.
pub(crate) fn expect_root(el: &Element, tag: Tag) -> Result<()> {
    if el.tag == tag {
        Ok(())
    } else {
        Err(ProtoError::UnexpectedRoot {
            expected: tag,
            found: el.tag,
        })
    }
}

/// The first `tag` child of `el`, or a `MissingElement` error.
pub(crate) fn required(el: &Element, tag: Tag) -> Result<&Element> {
    el.find(tag).ok_or(ProtoError::MissingElement {
        parent: el.tag,
        missing: tag,
    })
}

/// The text of an element; an empty element reads as `""`.
pub(crate) fn text_of(el: &Element) -> String {
    el.text().unwrap_or("").to_owned()
}

/// Text of a required child.
pub(crate) fn req_text(el: &Element, tag: Tag) -> Result<String> {
    required(el, tag).map(text_of)
}

/// Text of an optional child.
pub(crate) fn opt_text(el: &Element, tag: Tag) -> Option<String> {
    el.find(tag).map(text_of)
}

/// Parses an element's text as an unsigned integer.
pub(crate) fn u32_of(el: &Element) -> Result<u32> {
    let raw = el.text().unwrap_or("");
    raw.trim().parse::<u32>().map_err(|_| ProtoError::InvalidNumber {
        tag: el.tag,
        value: raw.to_owned(),
    })
}

/// A required numeric child.
pub(crate) fn req_u32(el: &Element, tag: Tag) -> Result<u32> {
    required(el, tag).and_then(u32_of)
}

/// An optional numeric child.
pub(crate) fn opt_u32(el: &Element, tag: Tag) -> Result<Option<u32>> {
    el.find(tag).map(u32_of).transpose()
}

/// A boolean flag element: empty or `1` is true, `0` is false.
pub(crate) fn flag_of(el: &Element) -> Result<bool> {
    match el.text().map(str::trim) {
        None | Some("") | Some("1") => Ok(true),
        Some("0") => Ok(false),
        Some(other) => Err(ProtoError::InvalidValue {
            tag: el.tag,
            value: other.to_owned(),
            reason: "expected 0, 1 or empty",
        }),
    }
}

/// An optional flag child.
pub(crate) fn opt_flag(el: &Element, tag: Tag) -> Result<Option<bool>> {
    el.find(tag).map(flag_of).transpose()
}

/// A required status child.
pub(crate) fn req_status<S: StatusCode>(el: &Element, tag: Tag) -> Result<S> {
    req_u32(el, tag).map(S::from_code)
}

/// An optional status child.
pub(crate) fn opt_status<S: StatusCode>(el: &Element, tag: Tag) -> Result<Option<S>> {
    Ok(opt_u32(el, tag)?.map(S::from_code))
}

/// A text element holding a number.
pub(crate) fn num(tag: Tag, n: u32) -> Element {
    Element::text_element(tag, n.to_string())
}

/// Appends `tag` with `n` when present.
pub(crate) fn push_opt_u32(el: &mut Element, tag: Tag, n: Option<u32>) {
    if let Some(n) = n {
        el.push(num(tag, n));
    }
}

/// Appends `tag` with `s` when present.
pub(crate) fn push_opt_text(el: &mut Element, tag: Tag, s: Option<&String>) {
    if let Some(s) = s {
        el.push_text(tag, s.as_str());
    }
}

/// Appends a `0`/`1` flag when present.
pub(crate) fn push_opt_flag(el: &mut Element, tag: Tag, b: Option<bool>) {
    if let Some(b) = b {
        el.push_text(tag, if b { "1" } else { "0" });
    }
}

/// Rejects an element that exists only from `min` on.
pub(crate) fn check_version(tag: Tag, min: ProtocolVersion, version: ProtocolVersion) -> Result<()> {
    if version >= min {
        Ok(())
    } else {
        Err(ProtoError::NotInVersion { tag, version })
    }
}
