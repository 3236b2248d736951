//! URL layout: parsing request paths into [`Target`]s and building hrefs.
//!
//! ```text
//! /                                   root (current-user-principal)
//! /.well-known/caldav, /.well-known/carddav   redirect to the root
//! /principals/                        principal collection
//! /principals/<user>/                 principal
//! /calendars/<user>/                  calendar home (calendars and task lists)
//! /calendars/<user>/<collection>/     calendar or task list
//! /calendars/<user>/<collection>/<name>   calendar object resource
//! /addressbooks/<user>/...            the same for address books
//! ```
//! All of it lives under the external prefix (configured base URL, trusted
//! `X-Forwarded-Prefix`, or the mount prefix). `<user>` may contain `@` written raw or as `%40`.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

use crate::backend::Home;

/// Characters escaped in a path segment: everything but RFC 3986 `pchar` (so `@` and `:` stay).
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// What a request path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The DAV root.
    Root,
    /// `/.well-known/caldav` or `/.well-known/carddav`.
    WellKnown,
    /// `/principals/`.
    Principals,
    /// `/principals/<user>/`.
    Principal(String),
    /// A home.
    Home(Home, String),
    /// A collection in a home.
    Collection(Home, String, String),
    /// A member resource.
    Resource(Home, String, String, String),
}

impl Target {
    /// The user a target belongs to, if any.
    pub fn user(&self) -> Option<&str> {
        match self {
            Target::Principal(u) | Target::Home(_, u) | Target::Collection(_, u, _) | Target::Resource(_, u, _, _) => {
                Some(u)
            }
            _ => None,
        }
    }
}

/// Parses a path relative to the mount prefix (starting with `/`). `None` = not ours (404).
pub fn parse(path: &str) -> Option<Target> {
    let trimmed = path.strip_prefix('/')?;
    let mut segs: Vec<String> = Vec::new();
    for s in trimmed.split('/') {
        if s.is_empty() {
            continue;
        }
        let d = percent_decode_str(s).decode_utf8().ok()?.into_owned();
        if d == "." || d == ".." || d.contains('/') {
            return None;
        }
        segs.push(d);
    }
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    Some(match segs.as_slice() {
        [] => Target::Root,
        [".well-known", "caldav" | "carddav"] => Target::WellKnown,
        ["principals"] => Target::Principals,
        ["principals", u] => Target::Principal((*u).to_owned()),
        [h, rest @ ..] if *h == "calendars" || *h == "addressbooks" => {
            let home = if *h == "calendars" {
                Home::Calendars
            } else {
                Home::AddressBooks
            };
            match rest {
                [u] => Target::Home(home, (*u).to_owned()),
                [u, c] => Target::Collection(home, (*u).to_owned(), (*c).to_owned()),
                [u, c, n] => Target::Resource(home, (*u).to_owned(), (*c).to_owned(), (*n).to_owned()),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// Percent-encodes one path segment.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// Builds hrefs (absolute paths) under the external prefix.
#[derive(Debug, Clone)]
pub struct Hrefs {
    /// External prefix without trailing slash (`""` or `/dav`).
    pub prefix: String,
}

impl Hrefs {
    /// The DAV root.
    pub fn root(&self) -> String {
        format!("{}/", self.prefix)
    }
    /// `/principals/`.
    pub fn principals(&self) -> String {
        format!("{}/principals/", self.prefix)
    }
    /// A principal.
    pub fn principal(&self, user: &str) -> String {
        format!("{}/principals/{}/", self.prefix, enc(user))
    }
    /// A home.
    pub fn home(&self, home: Home, user: &str) -> String {
        format!("{}/{}/{}/", self.prefix, home_seg(home), enc(user))
    }
    /// A collection.
    pub fn collection(&self, home: Home, user: &str, id: &str) -> String {
        format!("{}{}/", self.home(home, user), enc(id))
    }
    /// A member.
    pub fn resource(&self, home: Home, user: &str, id: &str, name: &str) -> String {
        format!("{}{}", self.collection(home, user, id), enc(name))
    }

    /// Resolves an href from a request body (absolute URL or absolute path) to a target.
    pub fn resolve(&self, href: &str) -> Option<Target> {
        let path = match href.find("://") {
            Some(i) => {
                let rest = href.get(i + 3..)?;
                rest.find('/').and_then(|j| rest.get(j..)).unwrap_or("/")
            }
            None => href,
        };
        let path = if self.prefix.is_empty() {
            path
        } else {
            path.strip_prefix(self.prefix.as_str())?
        };
        parse(if path.is_empty() { "/" } else { path })
    }
}

/// The URL segment of a home.
pub fn home_seg(home: Home) -> &'static str {
    match home {
        Home::Calendars => "calendars",
        Home::AddressBooks => "addressbooks",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_layout_and_at_spellings() {
        assert_eq!(parse("/"), Some(Target::Root));
        assert_eq!(parse("/principals/a%40b.c/"), Some(Target::Principal("a@b.c".into())));
        assert_eq!(parse("/principals/a@b.c"), Some(Target::Principal("a@b.c".into())));
        assert_eq!(
            parse("/calendars/a@b/work/x%20y.ics"),
            Some(Target::Resource(
                Home::Calendars,
                "a@b".into(),
                "work".into(),
                "x y.ics".into()
            ))
        );
        assert_eq!(parse("/calendars/a/../b/"), None);
        assert_eq!(parse("/calendars/a/b/c/d"), None);
        assert_eq!(parse("/other"), None);
    }

    #[test]
    fn builds_and_resolves_hrefs() {
        let h = Hrefs { prefix: "/dav".into() };
        let r = h.resource(Home::Calendars, "a@b", "c 1", "x.ics");
        assert_eq!(r, "/dav/calendars/a@b/c%201/x.ics");
        assert_eq!(h.resolve(&r), parse("/calendars/a@b/c%201/x.ics"));
        assert_eq!(
            h.resolve("https://h:8443/dav/principals/u/"),
            Some(Target::Principal("u".into()))
        );
        assert_eq!(h.resolve("/elsewhere/principals/u/"), None);
    }
}
