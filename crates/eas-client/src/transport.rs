//! One request with every recovery the client does itself: bounded retries with back-off,
//! `Retry-After`, 451 redirects, one auth refresh on 401, one re-provisioning on 449 or a
//! provisioning status.

use std::time::Duration;

use eas_proto::status::CommonStatus;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use reqwest::{Method, StatusCode, Url};
use wbxml::Element;

use crate::client::Client;
use crate::retry::parse_retry_after;
use crate::{Error, PartnershipState, Result};

/// The WBXML media type of EAS bodies.
pub const WBXML_CONTENT_TYPE: &str = "application/vnd.ms-sync.wbxml";

/// One logical request (retried as a whole).
#[derive(Clone, Debug)]
pub(crate) struct Req {
    pub(crate) method: Method,
    /// The `Cmd` value (also the command name in errors).
    pub(crate) cmd: &'static str,
    pub(crate) body: Option<Vec<u8>>,
    /// Whether an empty 200 body is a valid answer (Sync, Ping).
    pub(crate) empty_ok: bool,
    pub(crate) timeout: Duration,
    /// `X-MS-PolicyKey` to send instead of the state's (Provision phases).
    pub(crate) policy_key: Option<String>,
    /// Whether a 449 or provisioning status may trigger re-provisioning (not for Provision).
    pub(crate) reprovision: bool,
}

impl Req {
    pub(crate) fn post(cmd: &'static str, body: Option<Vec<u8>>) -> Req {
        Req {
            method: Method::POST,
            cmd,
            body,
            empty_ok: false,
            timeout: Duration::ZERO,
            policy_key: None,
            reprovision: cmd != "Provision",
        }
    }

    pub(crate) fn options() -> Req {
        Req {
            method: Method::OPTIONS,
            cmd: "OPTIONS",
            body: None,
            empty_ok: true,
            timeout: Duration::ZERO,
            policy_key: None,
            reprovision: false,
        }
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Element>,
}

/// What one HTTP exchange produced.
enum Outcome {
    Ok(Resp),
    Http { status: StatusCode, headers: HeaderMap },
    Network(reqwest::Error),
}

/// What the client does about a top-level EAS status.
#[derive(Debug, PartialEq, Eq)]
enum StatusAction {
    Reprovision,
    Retry,
}

impl Client {
    /// Runs `req` to completion under the retry policy.
    pub(crate) async fn send(&self, req: &Req) -> Result<Resp> {
        let policy = &self.inner.cfg.retry;
        let max_attempts = policy.max_attempts.max(1);
        let mut attempts = 0u32;
        let mut auth_refreshed = false;
        let mut reprovisioned = false;
        let mut redirects = 0u32;
        loop {
            attempts += 1;
            if let Some(wait) = self.cooling_down() {
                return Err(Error::Throttled {
                    retry_after: Some(wait),
                    status: None,
                });
            }
            let snapshot = self.state();
            let auth = self.inner.auth.authorization().await.map_err(|e| Error::Auth(e.0))?;
            let outcome = self.round_trip(req, &snapshot, &auth).await?;
            let status = match outcome {
                Outcome::Ok(resp) => {
                    let action = resp.body.as_ref().and_then(top_level_status).and_then(status_action);
                    match action {
                        None => return Ok(resp),
                        Some((code, StatusAction::Reprovision)) => {
                            if !req.reprovision || reprovisioned {
                                return Err(Error::Status {
                                    command: req.cmd,
                                    status: code,
                                });
                            }
                            tracing::info!(cmd = req.cmd, status = code, "server asks for provisioning");
                            reprovisioned = true;
                            Box::pin(self.reprovision(&snapshot)).await?;
                            attempts -= 1;
                            continue;
                        }
                        Some((code, StatusAction::Retry)) => {
                            if attempts >= max_attempts {
                                return Err(Error::Throttled {
                                    retry_after: None,
                                    status: Some(code),
                                });
                            }
                            let d = policy.throttle_backoff(attempts);
                            tracing::warn!(
                                cmd = req.cmd,
                                status = code,
                                delay_ms = d.as_millis() as u64,
                                "eas status asks to retry later"
                            );
                            self.inner.sleeper.sleep(d).await;
                            continue;
                        }
                    }
                }
                Outcome::Network(e) => {
                    if attempts >= max_attempts {
                        return Err(Error::Network { attempts, source: e });
                    }
                    let d = policy.backoff(attempts);
                    tracing::warn!(cmd = req.cmd, error = %e, delay_ms = d.as_millis() as u64, "network error, retrying");
                    self.inner.sleeper.sleep(d).await;
                    continue;
                }
                Outcome::Http { status, headers } => (status, headers),
            };
            let (status, headers) = status;
            match status.as_u16() {
                449 => {
                    if !req.reprovision || reprovisioned {
                        return Err(Error::Provision(format!("http 449 for {}", req.cmd)));
                    }
                    tracing::info!(cmd = req.cmd, "http 449: provisioning again");
                    reprovisioned = true;
                    Box::pin(self.reprovision(&snapshot)).await?;
                    attempts -= 1;
                }
                451 => {
                    redirects += 1;
                    self.follow_redirect(&snapshot, &headers, redirects)?;
                    attempts -= 1;
                }
                401 => {
                    let diagnostics = header_str(&headers, "x-ms-diagnostics").map(str::to_owned);
                    tracing::warn!(cmd = req.cmd, diagnostics = diagnostics.as_deref(), "http 401");
                    if auth_refreshed {
                        return Err(Error::Unauthorized { diagnostics });
                    }
                    auth_refreshed = true;
                    let refreshed = self
                        .inner
                        .auth
                        .on_unauthorized(&auth)
                        .await
                        .map_err(|e| Error::Auth(e.0))?;
                    if !refreshed {
                        return Err(Error::Unauthorized { diagnostics });
                    }
                    attempts -= 1;
                }
                403 => return Err(Error::Forbidden),
                503 => {
                    let retry_after = parse_retry_after(header_str(&headers, "retry-after"));
                    let too_long = retry_after.is_some_and(|r| r > policy.max_retry_after);
                    if too_long || attempts >= max_attempts {
                        if let Some(r) = retry_after {
                            self.cool_down(r);
                        }
                        return Err(Error::Throttled {
                            retry_after,
                            status: None,
                        });
                    }
                    let d = match retry_after {
                        Some(r) => policy.retry_after_delay(r),
                        None => policy.throttle_backoff(attempts),
                    };
                    tracing::warn!(
                        cmd = req.cmd,
                        throttle = header_str(&headers, "x-ms-asthrottle"),
                        delay_ms = d.as_millis() as u64,
                        "http 503, backing off"
                    );
                    self.inner.sleeper.sleep(d).await;
                }
                500 | 502 | 504 => {
                    if attempts >= max_attempts {
                        return Err(Error::Server {
                            status: status.as_u16(),
                            attempts,
                        });
                    }
                    let d = policy.backoff(attempts);
                    tracing::warn!(
                        cmd = req.cmd,
                        status = status.as_u16(),
                        delay_ms = d.as_millis() as u64,
                        "server error, retrying"
                    );
                    self.inner.sleeper.sleep(d).await;
                }
                other => return Err(Error::Http { status: other }),
            }
        }
    }

    /// The rest of a server-requested pause, if one is in force.
    fn cooling_down(&self) -> Option<Duration> {
        let mut until = self.inner.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        let left = until.and_then(|u| u.checked_duration_since(tokio::time::Instant::now()));
        if left.is_none() {
            *until = None;
        }
        left.filter(|d| !d.is_zero())
    }

    /// Keeps every request of this partnership away from the server for `pause`.
    fn cool_down(&self, pause: Duration) {
        let until = tokio::time::Instant::now() + pause;
        let mut cur = self.inner.blocked_until.lock().unwrap_or_else(|p| p.into_inner());
        if cur.is_none_or(|c| c < until) {
            *cur = Some(until);
        }
    }

    /// Switches to the `X-MS-Location` of a 451 answer and publishes the new URL.
    fn follow_redirect(&self, snapshot: &PartnershipState, headers: &HeaderMap, count: u32) -> Result<()> {
        if count > self.inner.cfg.max_redirects {
            return Err(Error::Redirect(format!(
                "more than {} redirects",
                self.inner.cfg.max_redirects
            )));
        }
        let location = header_str(headers, "x-ms-location")
            .ok_or_else(|| Error::Redirect("http 451 without X-MS-Location".to_owned()))?;
        let current = Url::parse(&snapshot.url).map_err(|e| Error::Config(format!("endpoint url: {e}")))?;
        let new = current
            .join(location.trim())
            .map_err(|e| Error::Redirect(format!("bad X-MS-Location {location:?}: {e}")))?;
        // The redirect target is a bare endpoint; drop any query the server copied into it.
        let mut new = new;
        new.set_query(None);
        new.set_fragment(None);
        if !matches!(new.scheme(), "https" | "http") || (current.scheme() == "https" && new.scheme() != "https") {
            return Err(Error::Redirect(format!("refusing redirect to {new}")));
        }
        let mut cur_plain = current.clone();
        cur_plain.set_query(None);
        if new == cur_plain {
            return Err(Error::Redirect(format!("server redirected to the same url {new}")));
        }
        tracing::info!(from = %cur_plain, to = %new, "http 451: following redirect");
        let url = new.to_string();
        self.update_state(|s| s.url = url);
        Ok(())
    }

    /// One HTTP exchange.
    async fn round_trip(&self, req: &Req, snapshot: &PartnershipState, auth: &str) -> Result<Outcome> {
        let cfg = &self.inner.cfg;
        let mut url = Url::parse(&snapshot.url).map_err(|e| Error::Config(format!("endpoint url: {e}")))?;
        if req.method == Method::POST {
            url.query_pairs_mut()
                .append_pair("Cmd", req.cmd)
                .append_pair("User", &cfg.user)
                .append_pair("DeviceId", &cfg.device_id)
                .append_pair("DeviceType", &cfg.device_type);
        }
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, header_value(auth, "Authorization")?);
        if let Some(anchor) = &cfg.anchor_mailbox {
            headers.insert(
                COOKIE,
                header_value(&format!("DefaultAnchorMailbox={anchor}"), "Cookie")?,
            );
        }
        if req.method == Method::POST {
            if let Some(v) = snapshot.version {
                headers.insert(
                    HeaderName::from_static("ms-asprotocolversion"),
                    HeaderValue::from_static(v.as_str()),
                );
            }
            if let Some(key) = req.policy_key.as_ref().or(snapshot.policy_key.as_ref()) {
                headers.insert(
                    HeaderName::from_static("x-ms-policykey"),
                    header_value(key, "X-MS-PolicyKey")?,
                );
            }
            if req.body.is_some() {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(WBXML_CONTENT_TYPE));
            }
        }
        let timeout = if req.timeout.is_zero() {
            cfg.timeouts.request
        } else {
            req.timeout
        };
        let mut builder = self
            .inner
            .http
            .request(req.method.clone(), url)
            .headers(headers)
            .timeout(timeout);
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        tracing::debug!(cmd = req.cmd, "sending request");
        let started = std::time::Instant::now();
        let resp = match builder.send().await {
            Ok(r) => r,
            Err(e) => {
                metrics::counter!("easdav_eas_requests_total", "command" => req.cmd, "status" => "network")
                    .increment(1);
                return Ok(Outcome::Network(e));
            }
        };
        let status = resp.status();
        metrics::counter!("easdav_eas_requests_total", "command" => req.cmd, "status" => status.as_str().to_owned())
            .increment(1);
        metrics::histogram!("easdav_eas_request_duration_seconds", "command" => req.cmd)
            .record(started.elapsed().as_secs_f64());
        let headers = resp.headers().clone();
        if status != StatusCode::OK {
            // Read the (small) error body so the connection can be reused; failures do not matter.
            let _ = resp.bytes().await;
            return Ok(Outcome::Http { status, headers });
        }
        let bytes = match resp.bytes().await {
            Ok(b) => b,
            Err(e) => return Ok(Outcome::Network(e)),
        };
        if req.method != Method::POST {
            return Ok(Outcome::Ok(Resp { headers, body: None }));
        }
        let body = decode_body(req, &headers, &bytes)?;
        Ok(Outcome::Ok(Resp { headers, body }))
    }
}

/// Checks the media type and magic, then decodes.
fn decode_body(req: &Req, headers: &HeaderMap, bytes: &[u8]) -> Result<Option<Element>> {
    if bytes.is_empty() {
        return if req.empty_ok {
            Ok(None)
        } else {
            Err(Error::EmptyResponse { command: req.cmd })
        };
    }
    let content_type = header_str(headers, "content-type").map(str::to_owned);
    let type_ok = content_type.as_deref().is_none_or(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case(WBXML_CONTENT_TYPE))
    });
    if !type_ok || !bytes.starts_with(&[0x03, 0x01, 0x6A, 0x00]) {
        return Err(Error::NotWbxml { content_type });
    }
    wbxml::decode(bytes).map(Some).map_err(|source| Error::Decode {
        command: req.cmd,
        source,
    })
}

/// The number in the root's direct `Status` child, whatever its namespace.
pub(crate) fn top_level_status(root: &Element) -> Option<u32> {
    root.elements()
        .find(|e| e.tag.name() == Some("Status"))
        .and_then(|e| e.text())
        .and_then(|t| t.trim().parse().ok())
}

/// The client-side reaction to a global status, if it has one.
fn status_action(code: u32) -> Option<(u32, StatusAction)> {
    let s = CommonStatus::known(code)?;
    if s.needs_reprovision() || s == CommonStatus::DeviceInformationRequired {
        Some((code, StatusAction::Reprovision))
    } else if s.is_transient() {
        Some((code, StatusAction::Retry))
    } else {
        None
    }
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_value(v: &str, name: &str) -> Result<HeaderValue> {
    HeaderValue::from_str(v).map_err(|_| Error::Config(format!("invalid characters in {name} header")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wbxml::tags::{airsync, folder_hierarchy as fh, ping};

    #[test]
    fn status_actions() {
        let el = Element::new(fh::FOLDER_SYNC).with_text_child(fh::STATUS, "142");
        assert_eq!(top_level_status(&el), Some(142));
        assert_eq!(status_action(142), Some((142, StatusAction::Reprovision)));
        assert_eq!(status_action(165), Some((165, StatusAction::Reprovision)));
        assert_eq!(status_action(111), Some((111, StatusAction::Retry)));
        assert_eq!(status_action(110), Some((110, StatusAction::Retry)));
        assert_eq!(status_action(1), None);
        assert_eq!(status_action(3), None);
        assert_eq!(status_action(126), None);
        let ping = Element::new(ping::PING).with_text_child(ping::STATUS, "2");
        assert_eq!(top_level_status(&ping).and_then(status_action), None);
        // A collection-level status is not a top-level one.
        let sync = Element::new(airsync::SYNC).with_child(
            Element::new(airsync::COLLECTIONS)
                .with_child(Element::new(airsync::COLLECTION).with_text_child(airsync::STATUS, "142")),
        );
        assert_eq!(top_level_status(&sync), None);
    }

    #[test]
    fn body_checks() {
        let req = Req::post("FolderSync", None);
        let mut h = HeaderMap::new();
        assert!(matches!(decode_body(&req, &h, b""), Err(Error::EmptyResponse { .. })));
        let mut sync = Req::post("Sync", None);
        sync.empty_ok = true;
        assert!(matches!(decode_body(&sync, &h, b""), Ok(None)));
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        let doc = wbxml::encode(&Element::new(fh::FOLDER_SYNC));
        assert!(matches!(decode_body(&req, &h, &doc), Err(Error::NotWbxml { .. })));
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("Application/vnd.ms-sync.WBXML; charset=utf-8"),
        );
        assert!(matches!(decode_body(&req, &h, &doc), Ok(Some(_))));
        assert!(matches!(decode_body(&req, &h, b"<html>"), Err(Error::NotWbxml { .. })));
        assert!(matches!(
            decode_body(&req, &h, &[3, 1, 0x6A, 0, 0x45]),
            Err(Error::Decode { .. })
        ));
    }
}
