//! Pure wire handling of Autodiscover: the POX request body, the POX response parser
//! (quick-xml, no DTDs, no entity expansion), the JSON v2 answer, and the checks every URL
//! taken from a response must pass.

use quick_xml::events::Event;
use quick_xml::Reader;
use reqwest::Url;

/// The mobilesync request schema of the POX request (MS-ASCMD 2.2.1.1).
pub const REQUEST_SCHEMA: &str = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006";
/// The mobilesync response schema the client accepts (MS-ASCMD 2.2.1.1).
pub const RESPONSE_SCHEMA: &str = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006";

/// Deepest element nesting accepted in a POX response (the schema needs 6).
const MAX_DEPTH: usize = 32;

/// What a POX Autodiscover response tells the client to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PoxAnswer {
    /// `Action/Settings`: the `Url` (or `Name`) of the `MobileSync` server, if there is one.
    Settings(Option<String>),
    /// `Action/Redirect` (mobilesync) or `RedirectAddr` (outlook schema): ask again for this
    /// e-mail address.
    RedirectAddr(String),
    /// `RedirectUrl` (outlook schema): ask this Autodiscover URL instead.
    RedirectUrl(String),
    /// `Error` with its `Status`/`ErrorCode` and `Message`.
    Error {
        /// The status or error code, as sent.
        code: Option<String>,
        /// The server's message.
        message: Option<String>,
    },
}

/// The POX request for `email` (the e-mail text is escaped).
pub(crate) fn pox_request(email: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<Autodiscover xmlns=\"{REQUEST_SCHEMA}\">\r\n  <Request>\r\n    \
         <EMailAddress>{}</EMailAddress>\r\n    <AcceptableResponseSchema>{RESPONSE_SCHEMA}</AcceptableResponseSchema>\r\n  \
         </Request>\r\n</Autodiscover>\r\n",
        quick_xml::escape::escape(email)
    )
}

#[derive(Default)]
struct Server {
    kind: String,
    url: String,
    name: String,
}

/// Parses a POX Autodiscover response. Elements are matched by local name, so both the
/// mobilesync schema (MS-ASCMD) and the outlook schema (MS-OXDSCLI) redirects are understood.
///
/// # Errors
/// A message for: not well-formed XML, a DTD, an unknown entity, a root other than
/// `Autodiscover`, nesting deeper than 32, or an unterminated document.
pub(crate) fn parse_pox(body: &[u8]) -> Result<PoxAnswer, String> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut servers: Vec<Server> = Vec::new();
    let mut current: Option<Server> = None;
    let mut redirect_addr = None;
    let mut redirect_url = None;
    let mut error_seen = false;
    let mut error_code = None;
    let mut error_message = None;
    let mut root_seen = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.is_empty() {
                    if root_seen || name != "Autodiscover" {
                        return Err(format!("unexpected root element {name}"));
                    }
                    root_seen = true;
                }
                if stack.len() >= MAX_DEPTH {
                    return Err("elements nested too deeply".to_owned());
                }
                match name.as_str() {
                    "Server" => current = Some(Server::default()),
                    "Error" => error_seen = true,
                    _ => {}
                }
                stack.push(name);
                text.clear();
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.is_empty() {
                    return Err(format!("unexpected empty root element {name}"));
                }
                if name == "Error" {
                    error_seen = true;
                }
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|e| format!("bad text: {e}"))?;
                text.push_str(&s);
            }
            Event::CData(c) => text.push_str(&String::from_utf8_lossy(&c)),
            Event::End(_) => {
                let Some(name) = stack.pop() else {
                    return Err("unbalanced end tag".to_owned());
                };
                let parent = stack.last().map(String::as_str).unwrap_or("");
                let value = text.trim().to_owned();
                text.clear();
                match (parent, name.as_str()) {
                    ("Action", "Redirect") | (_, "RedirectAddr") if !value.is_empty() => redirect_addr = Some(value),
                    (_, "RedirectUrl") if !value.is_empty() => redirect_url = Some(value),
                    ("Server", "Type") => current.get_or_insert_with(Server::default).kind = value,
                    ("Server", "Url") => current.get_or_insert_with(Server::default).url = value,
                    ("Server", "Name") => current.get_or_insert_with(Server::default).name = value,
                    ("Error", "Status" | "ErrorCode") if !value.is_empty() => error_code = Some(value),
                    ("Error", "Message") if !value.is_empty() => error_message = Some(value),
                    (_, "Server") => servers.extend(current.take()),
                    _ => {}
                }
            }
            Event::DocType(_) => return Err("document type declarations are refused".to_owned()),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !root_seen {
        return Err("empty document".to_owned());
    }
    if !stack.is_empty() {
        return Err("unexpected end of document".to_owned());
    }
    let mobile_sync = servers
        .into_iter()
        .find(|s| s.kind.eq_ignore_ascii_case("MobileSync"))
        .map(|s| if s.url.is_empty() { s.name } else { s.url })
        .filter(|u| !u.is_empty());
    Ok(match (mobile_sync, redirect_addr, redirect_url) {
        (Some(u), _, _) => PoxAnswer::Settings(Some(u)),
        (None, Some(a), _) => PoxAnswer::RedirectAddr(a),
        (None, None, Some(u)) => PoxAnswer::RedirectUrl(u),
        (None, None, None) if error_seen => PoxAnswer::Error {
            code: error_code,
            message: error_message,
        },
        (None, None, None) => PoxAnswer::Settings(None),
    })
}

/// The `Url` of a JSON v2 answer (`{"Protocol":"ActiveSync","Url":"…"}`).
///
/// # Errors
/// A message when the body is not a JSON object with a string `Url`, or names another protocol.
/// A JSON error answer (`ErrorCode`, `ErrorMessage`) is reported with its code and message.
pub(crate) fn parse_json(body: &[u8]) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not json: {e}"))?;
    let obj = v.as_object().ok_or("json answer is not an object")?;
    if let Some(code) = obj.get("ErrorCode") {
        let msg = obj.get("ErrorMessage").and_then(|m| m.as_str()).unwrap_or("");
        return Err(format!("server error {code}: {msg}"));
    }
    if let Some(p) = obj.get("Protocol").and_then(|p| p.as_str()) {
        if !p.eq_ignore_ascii_case("ActiveSync") {
            return Err(format!("answer is for protocol {p}"));
        }
    }
    obj.get("Url")
        .and_then(|u| u.as_str())
        .map(str::to_owned)
        .ok_or_else(|| "json answer has no Url".to_owned())
}

/// Checks a URL taken from a response or a `Location` header: absolute, `https` (or `http`
/// with `allow_insecure`), a host, no user name or password.
///
/// # Errors
/// A message naming what is wrong.
pub(crate) fn check_url(raw: &str, allow_insecure: bool) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{raw:?} is not an absolute url: {e}"))?;
    match url.scheme() {
        "https" => {}
        "http" if allow_insecure => {}
        s => return Err(format!("{raw:?}: scheme {s} refused (https required)")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{raw:?} has no host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url with user name or password refused".to_owned());
    }
    Ok(url)
}

/// Checks the discovered EAS endpoint like [`check_url`] and adds the standard path
/// `/Microsoft-Server-ActiveSync` when the server gave a bare origin (Exchange Online does).
///
/// # Errors
/// As [`check_url`], and for a URL with a fragment.
pub(crate) fn check_endpoint(raw: &str, allow_insecure: bool) -> Result<String, String> {
    let mut url = check_url(raw, allow_insecure)?;
    if url.fragment().is_some() {
        return Err(format!("{raw:?}: fragment refused"));
    }
    if url.path().is_empty() || url.path() == "/" {
        url.set_path("/Microsoft-Server-ActiveSync");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SETTINGS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
 <Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006">
  <Culture>en:us</Culture>
  <User><DisplayName>Chris Gray</DisplayName><EMailAddress>chris@woodgrovebank.com</EMailAddress></User>
  <Action><Settings>
   <Server><Type>CertEnroll</Type><Url>https://cert.woodgrovebank.com/CertEnroll</Url><Name/></Server>
   <Server><Type>MobileSync</Type>
    <Url> https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync </Url>
    <Name>https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync</Name></Server>
  </Settings></Action>
 </Response>
</Autodiscover>"#;

    #[test]
    fn settings_pick_the_mobilesync_server() {
        assert_eq!(
            parse_pox(SETTINGS.as_bytes()),
            Ok(PoxAnswer::Settings(Some(
                "https://loandept.woodgrovebank.com/Microsoft-Server-ActiveSync".to_owned()
            )))
        );
    }

    #[test]
    fn redirect_and_error_answers() {
        let redirect = r#"<Autodiscover xmlns="x"><Response xmlns="y"><Action><Redirect>bob@b.example</Redirect></Action></Response></Autodiscover>"#;
        assert_eq!(
            parse_pox(redirect.as_bytes()),
            Ok(PoxAnswer::RedirectAddr("bob@b.example".into()))
        );
        let url = "<Autodiscover><Response><Account><Action>redirectUrl</Action>\
                   <RedirectUrl>https://x.example/autodiscover/autodiscover.xml</RedirectUrl></Account></Response></Autodiscover>";
        assert_eq!(
            parse_pox(url.as_bytes()),
            Ok(PoxAnswer::RedirectUrl(
                "https://x.example/autodiscover/autodiscover.xml".into()
            ))
        );
        let err = "<Autodiscover><Response><Action><Error><Status>2</Status><Message>directory &amp; down</Message>\
                   </Error></Action></Response></Autodiscover>";
        assert_eq!(
            parse_pox(err.as_bytes()),
            Ok(PoxAnswer::Error {
                code: Some("2".into()),
                message: Some("directory & down".into())
            })
        );
        let no_ms = "<Autodiscover><Response><Action><Settings/></Action></Response></Autodiscover>";
        assert_eq!(parse_pox(no_ms.as_bytes()), Ok(PoxAnswer::Settings(None)));
    }

    #[test]
    fn malformed_documents_are_errors() {
        let bad: &[&[u8]] = &[
            b"",
            b"<Autodiscover><Response>",
            b"<Autodiscover><Response></Action></Autodiscover>",
            b"<Other/>",
            b"<Other></Other>",
            b"<Autodiscover></Autodiscover><Autodiscover></Autodiscover>",
            b"<!DOCTYPE a [<!ENTITY x \"y\">]><Autodiscover>&x;</Autodiscover>",
            b"<Autodiscover><Response><Action><Redirect>&x;</Redirect></Action></Response></Autodiscover>",
            b"\xff\xfe<Autodiscover/>",
        ];
        for b in bad {
            assert!(parse_pox(b).is_err(), "accepted {:?}", String::from_utf8_lossy(b));
        }
        let deep = format!("<Autodiscover>{}{}</Autodiscover>", "<a>".repeat(40), "</a>".repeat(40));
        assert_eq!(parse_pox(deep.as_bytes()), Err("elements nested too deeply".to_owned()));
    }

    #[test]
    fn request_body_names_both_schemas_and_escapes() {
        let body = pox_request("a&b@example.com");
        assert!(body.contains("<EMailAddress>a&amp;b@example.com</EMailAddress>"));
        assert!(body.contains(REQUEST_SCHEMA) && body.contains(RESPONSE_SCHEMA));
        assert!(parse_pox(body.as_bytes()).is_ok());
    }

    #[test]
    fn json_answers() {
        assert_eq!(
            parse_json(
                br#"{"Protocol":"ActiveSync","Url":"https://outlook.office365.com/Microsoft-Server-ActiveSync"}"#
            ),
            Ok("https://outlook.office365.com/Microsoft-Server-ActiveSync".to_owned())
        );
        assert!(parse_json(br#"{"ErrorCode":"InvalidProtocol","ErrorMessage":"no"}"#)
            .is_err_and(|e| e.contains("InvalidProtocol")));
        assert!(parse_json(br#"{"Protocol":"Ews","Url":"https://x/EWS"}"#).is_err());
        assert!(parse_json(b"[1]").is_err());
        assert!(parse_json(b"{").is_err());
    }

    #[test]
    fn urls_are_checked() {
        assert_eq!(
            check_endpoint("https://outlook.office365.com", false),
            Ok("https://outlook.office365.com/Microsoft-Server-ActiveSync".to_owned())
        );
        assert_eq!(
            check_endpoint("https://mail.example.com/eas/custom?x=1", false),
            Ok("https://mail.example.com/eas/custom?x=1".to_owned())
        );
        assert!(check_endpoint("http://mail.example.com/Microsoft-Server-ActiveSync", false).is_err());
        assert!(check_endpoint("http://127.0.0.1:9/Microsoft-Server-ActiveSync", true).is_ok());
        assert!(check_endpoint("https://u:p@mail.example.com/x", false).is_err());
        assert!(check_endpoint("https://u@mail.example.com/x", false).is_err());
        assert!(check_endpoint("https://mail.example.com/x#f", false).is_err());
        assert!(check_endpoint("ftp://mail.example.com/x", true).is_err());
        assert!(check_endpoint("/relative", true).is_err());
        assert!(check_url("file:///etc/passwd", true).is_err());
    }
}
