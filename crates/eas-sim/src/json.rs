//! `ApplicationData` ⇄ JSON for the control API.
//!
//! An element with only text becomes a string, an element with children an
//! object keyed `"Namespace:Name"`, a repeated element an array, an empty
//! element `""` and opaque bytes `{"base64": "..."}`. On input, keys without a
//! namespace are looked up in the class's own code page, then AirSyncBase.

use base64::Engine as _;
use serde_json::{Map, Value};
use wbxml::{Element, Node, Tag};

use crate::state::ItemClass;

/// Renders an element's children as a JSON object.
pub fn to_json(e: &Element) -> Value {
    let mut map = Map::new();
    for c in e.elements() {
        let key = match (c.tag.namespace(), c.tag.name()) {
            (Some(ns), Some(n)) => format!("{ns}:{n}"),
            _ => format!("{}:{:#04x}", c.tag.page, c.tag.token),
        };
        let v = value_of(c);
        match map.get_mut(&key) {
            Some(Value::Array(a)) => a.push(v),
            Some(old) => {
                let prev = old.take();
                *old = Value::Array(vec![prev, v]);
            }
            None => {
                map.insert(key, v);
            }
        }
    }
    Value::Object(map)
}

fn value_of(e: &Element) -> Value {
    if e.elements().next().is_some() {
        return to_json(e);
    }
    match e.children.first() {
        Some(Node::Opaque(b)) if std::str::from_utf8(b).is_err() => {
            let mut m = Map::new();
            m.insert(
                "base64".into(),
                Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
            );
            Value::Object(m)
        }
        _ => Value::String(e.text().unwrap_or_default().to_owned()),
    }
}

/// Builds an element with tag `root` from a JSON object.
///
/// # Errors
/// A message naming the key or value that cannot be mapped.
pub fn from_json(root: Tag, class: ItemClass, v: &Value) -> Result<Element, String> {
    let obj = v.as_object().ok_or("item data must be a JSON object")?;
    let mut out = Element::new(root);
    for (k, v) in obj {
        let tag = resolve(k, class).ok_or_else(|| format!("unknown element {k:?}"))?;
        match v {
            Value::Array(items) => {
                for it in items {
                    out.push(leaf(tag, class, it)?);
                }
            }
            other => out.push(leaf(tag, class, other)?),
        }
    }
    Ok(out)
}

fn leaf(tag: Tag, class: ItemClass, v: &Value) -> Result<Element, String> {
    match v {
        Value::String(s) if s.is_empty() => Ok(Element::new(tag)),
        Value::String(s) => Ok(Element::text_element(tag, s.clone())),
        Value::Number(n) => Ok(Element::text_element(tag, n.to_string())),
        Value::Bool(b) => Ok(Element::text_element(tag, if *b { "1" } else { "0" })),
        Value::Object(m) if m.len() == 1 && m.contains_key("base64") => {
            let s = m.get("base64").and_then(Value::as_str).unwrap_or_default();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| format!("bad base64 for {tag:?}: {e}"))?;
            Ok(Element::opaque_element(tag, bytes))
        }
        Value::Object(_) => from_json(tag, class, v),
        other => Err(format!("unsupported value for {tag:?}: {other}")),
    }
}

fn resolve(key: &str, class: ItemClass) -> Option<Tag> {
    if let Some((ns, name)) = key.split_once(':') {
        return Tag::from_name(ns, name);
    }
    let own = match class {
        ItemClass::Calendar => "Calendar",
        ItemClass::Contacts => "Contacts",
        ItemClass::Tasks => "Tasks",
        ItemClass::Notes => "Notes",
        ItemClass::Email => "Email",
    };
    Tag::from_name(own, key)
        .or_else(|| Tag::from_name("AirSyncBase", key))
        .or_else(|| Tag::from_name("Contacts2", key))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wbxml::tags::{airsync, calendar as cal};

    #[test]
    fn round_trip_with_repeats_and_nesting() {
        let v = serde_json::json!({
            "Subject": "Standup",
            "Categories": {"Category": ["a", "b", "c"]},
            "Attendees": {"Attendee": {"Email": "bob@example.test", "Name": "Bob"}},
            "Reminder": 15,
        });
        let e = from_json(airsync::APPLICATION_DATA, ItemClass::Calendar, &v).unwrap();
        assert_eq!(e.child_text(cal::SUBJECT), Some("Standup"));
        assert_eq!(e.find(cal::CATEGORIES).unwrap().find_all(cal::CATEGORY).count(), 3);
        let back = to_json(&e);
        assert_eq!(back["Calendar:Categories"]["Calendar:Category"][2], "c");
        assert_eq!(back["Calendar:Reminder"], "15");
        assert!(from_json(
            airsync::APPLICATION_DATA,
            ItemClass::Calendar,
            &serde_json::json!({"Nope": 1})
        )
        .is_err());
    }
}
