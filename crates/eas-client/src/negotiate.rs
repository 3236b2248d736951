//! OPTIONS and protocol version negotiation (MS-ASHTTP §2.2.4).

use eas_proto::ProtocolVersion;
use reqwest::header::HeaderMap;

use crate::client::Client;
use crate::transport::Req;
use crate::{Error, Result};

/// Versions the client will negotiate, most preferred first.
pub const PREFERRED_VERSIONS: [ProtocolVersion; 5] = [
    ProtocolVersion::V16_1,
    ProtocolVersion::V16_0,
    ProtocolVersion::V14_1,
    ProtocolVersion::V14_0,
    ProtocolVersion::V12_1,
];

/// What OPTIONS told us about the server.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// `MS-ASProtocolVersions`, every header occurrence joined, de-duplicated, in server order.
    pub versions: Vec<String>,
    /// `MS-ASProtocolCommands`, joined and de-duplicated the same way.
    pub commands: Vec<String>,
    /// `MS-Server-ActiveSync` (server build), if sent.
    pub server: Option<String>,
}

impl ServerOptions {
    /// Reads the OPTIONS response headers.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        ServerOptions {
            versions: comma_list(headers, "ms-asprotocolversions"),
            commands: comma_list(headers, "ms-asprotocolcommands"),
            server: headers
                .get("ms-server-activesync")
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_owned()),
        }
    }

    /// Picks the version to speak: `pin` if the server offers it, else the first of
    /// [`PREFERRED_VERSIONS`] the server offers.
    ///
    /// # Errors
    /// [`Error::NoCommonVersion`] when there is no overlap (or the pin is not offered).
    ///
    /// # Example
    /// ```
    /// use eas_client::ServerOptions;
    /// use eas_proto::ProtocolVersion;
    /// let o = ServerOptions { versions: vec!["2.5".into(), "14.1".into(), "16.1".into()], ..Default::default() };
    /// assert_eq!(o.choose(None).unwrap(), ProtocolVersion::V16_1);
    /// assert_eq!(o.choose(Some(ProtocolVersion::V14_1)).unwrap(), ProtocolVersion::V14_1);
    /// assert!(o.choose(Some(ProtocolVersion::V16_0)).is_err());
    /// ```
    pub fn choose(&self, pin: Option<ProtocolVersion>) -> Result<ProtocolVersion> {
        let offered: Vec<ProtocolVersion> = self.versions.iter().filter_map(|v| v.parse().ok()).collect();
        let pick = match pin {
            Some(p) => offered.contains(&p).then_some(p),
            None => PREFERRED_VERSIONS.into_iter().find(|v| offered.contains(v)),
        };
        pick.ok_or_else(|| Error::NoCommonVersion {
            offered: self.versions.clone(),
        })
    }
}

/// Joins every occurrence of a comma-list header, trims and de-duplicates (EXO sends some twice).
fn comma_list(headers: &HeaderMap, name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in headers.get_all(name) {
        let Ok(s) = value.to_str() else { continue };
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if !out.iter().any(|o| o.eq_ignore_ascii_case(item)) {
                out.push(item.to_owned());
            }
        }
    }
    out
}

impl Client {
    /// Sends OPTIONS and returns what the server offers, without changing the state.
    ///
    /// # Errors
    /// Transport and auth errors.
    pub async fn options(&self) -> Result<ServerOptions> {
        let resp = self.send(&Req::options()).await?;
        Ok(ServerOptions::from_headers(&resp.headers))
    }

    /// Sends OPTIONS, picks the version (honouring the configured pin), records it and the
    /// command list in the state, and returns it.
    ///
    /// # Errors
    /// Transport and auth errors; [`Error::NoCommonVersion`].
    pub async fn negotiate(&self) -> Result<ProtocolVersion> {
        let _g = self.inner.bootstrap.lock().await;
        self.negotiate_locked().await
    }

    /// [`negotiate`](Self::negotiate) with the bootstrap lock already held.
    pub(crate) async fn negotiate_locked(&self) -> Result<ProtocolVersion> {
        let opts = self.options().await?;
        let version = opts.choose(self.inner.cfg.version_pin)?;
        tracing::info!(%version, offered = ?opts.versions, server = opts.server.as_deref(), "negotiated eas version");
        self.update_state(|s| {
            s.version = Some(version);
            s.commands = opts.commands;
        });
        Ok(version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn duplicated_headers_are_joined() {
        let mut h = HeaderMap::new();
        h.append("MS-ASProtocolVersions", HeaderValue::from_static("12.1,14.0"));
        h.append("MS-ASProtocolVersions", HeaderValue::from_static("14.1, 16.0,16.1 "));
        h.append("MS-ASProtocolCommands", HeaderValue::from_static("Sync,FolderSync"));
        h.append(
            "MS-ASProtocolCommands",
            HeaderValue::from_static("Sync,FolderSync,Ping"),
        );
        let o = ServerOptions::from_headers(&h);
        assert_eq!(o.versions, ["12.1", "14.0", "14.1", "16.0", "16.1"]);
        assert_eq!(o.commands, ["Sync", "FolderSync", "Ping"]);
        assert_eq!(o.choose(None).unwrap(), ProtocolVersion::V16_1);
    }

    #[test]
    fn preference_order_and_no_overlap() {
        let o = |v: &[&str]| ServerOptions {
            versions: v.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        };
        assert_eq!(
            o(&["14.0", "14.1", "12.1"]).choose(None).unwrap(),
            ProtocolVersion::V14_1
        );
        assert_eq!(o(&["16.0", "14.1"]).choose(None).unwrap(), ProtocolVersion::V16_0);
        assert!(matches!(
            o(&["2.0", "2.5", "12.0"]).choose(None),
            Err(Error::NoCommonVersion { offered }) if offered.len() == 3
        ));
        assert!(o(&[]).choose(None).is_err());
    }
}
