//! Autodiscover of the EAS endpoint from a user's e-mail address.
//!
//! [`discover`] walks an ordered list of [`Candidate`]s built from the e-mail domain and stops at
//! the first that yields a `MobileSync` URL:
//! 1. JSON Autodiscover v2, anonymous `GET https://autodiscover.<domain>/autodiscover/autodiscover.json/v1.0/<email>?Protocol=ActiveSync`
//!    (and the same at `outlook.office365.com` with [`AutodiscoverOptions::with_exchange_online`]);
//! 2. POX (MS-ASCMD Autodiscover, mobilesync schema), authenticated
//!    `POST https://<domain>/autodiscover/autodiscover.xml`, then `https://autodiscover.<domain>/…`;
//! 3. the unauthenticated `GET http://autodiscover.<domain>/autodiscover/autodiscover.xml`
//!    redirect probe (MS-OXDSCLI): its `Location` must be `https`, and the POX request goes there.
//!
//! A POX `Redirect`/`RedirectAddr` restarts the walk with the new address; a `RedirectUrl` or an
//! HTTP 301/302/307/308 sends the same request to the new URL. Everything is bounded: at most
//! `max_requests` HTTP requests and `max_redirects` redirects, a timeout per request, a size
//! limit per body. Every URL taken from a response must be `https` without user info (`http` only
//! with `allow_insecure`, for tests). Not done: DNS SRV `_autodiscover._tcp.<domain>` (no DNS
//! resolver crate in the workspace) and the Active Directory SCP lookup.

mod parse;

use std::collections::{HashSet, VecDeque};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};

use crate::auth::AuthProvider;
use crate::TlsConfig;

use parse::{check_endpoint, check_url, parse_json, parse_pox, pox_request, PoxAnswer};
pub use parse::{REQUEST_SCHEMA, RESPONSE_SCHEMA};

/// How a candidate URL is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DiscoveryMethod {
    /// Anonymous `GET` of the JSON Autodiscover v2 endpoint.
    JsonV2,
    /// Authenticated POX `POST` with the mobilesync request schema.
    Pox,
    /// Unauthenticated `GET` whose redirect names the POX endpoint (which is then POSTed to).
    HttpRedirectProbe,
}

/// One entry of the candidate list: a method and a URL template with the placeholders
/// `{domain}` (the e-mail domain, lower case) and `{email}` (the percent-encoded address).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// How the URL is asked.
    pub method: DiscoveryMethod,
    /// The URL template.
    pub template: String,
}

impl Candidate {
    /// A candidate asked with `method` at `template`.
    pub fn new(method: DiscoveryMethod, template: impl Into<String>) -> Self {
        Candidate {
            method,
            template: template.into(),
        }
    }
}

/// Bounds and candidates of one discovery (built by the gateway; tests point every step at a
/// local stub by replacing `candidates` and setting `allow_insecure`).
#[derive(Clone, Debug)]
pub struct AutodiscoverOptions {
    /// The candidates in the order they are tried.
    pub candidates: Vec<Candidate>,
    /// Most HTTP requests in total (every hop and retry counts).
    pub max_requests: u32,
    /// Most redirects in total (addresses, `RedirectUrl`s and HTTP 3xx).
    pub max_redirects: u32,
    /// Timeout of one request, connect to end of body.
    pub request_timeout: Duration,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Largest response body read.
    pub max_body_bytes: usize,
    /// Accept `http://` candidates, redirect targets and endpoints (tests only).
    pub allow_insecure: bool,
    /// The `User-Agent` sent.
    pub user_agent: String,
    /// Extra CA roots and client identity.
    pub tls: TlsConfig,
}

/// JSON v2 at the Exchange Online front door.
pub const EXCHANGE_ONLINE_JSON: &str =
    "https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/{email}?Protocol=ActiveSync";

impl Default for AutodiscoverOptions {
    /// The standard order (JSON v2, POX at the domain, POX at `autodiscover.`, the HTTP probe),
    /// 12 requests, 10 redirects, 15 s per request, 64 KiB per body.
    fn default() -> Self {
        use DiscoveryMethod::*;
        AutodiscoverOptions {
            candidates: vec![
                Candidate::new(
                    JsonV2,
                    "https://autodiscover.{domain}/autodiscover/autodiscover.json/v1.0/{email}?Protocol=ActiveSync",
                ),
                Candidate::new(Pox, "https://{domain}/autodiscover/autodiscover.xml"),
                Candidate::new(Pox, "https://autodiscover.{domain}/autodiscover/autodiscover.xml"),
                Candidate::new(
                    HttpRedirectProbe,
                    "http://autodiscover.{domain}/autodiscover/autodiscover.xml",
                ),
            ],
            max_requests: 12,
            max_redirects: 10,
            request_timeout: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            allow_insecure: false,
            user_agent: concat!("easdav/", env!("CARGO_PKG_VERSION")).to_owned(),
            tls: TlsConfig::default(),
        }
    }
}

impl AutodiscoverOptions {
    /// Also asks the Exchange Online JSON v2 endpoint, right after the domain's own JSON v2.
    /// Only for domains known to be hosted there: Exchange Online answers with its own URL
    /// for addresses it does not host.
    pub fn with_exchange_online(mut self) -> Self {
        let at = self
            .candidates
            .iter()
            .position(|c| c.method == DiscoveryMethod::JsonV2)
            .map_or(0, |i| i + 1);
        self.candidates
            .insert(at, Candidate::new(DiscoveryMethod::JsonV2, EXCHANGE_ONLINE_JSON));
        self
    }
}

/// A redirect followed on the way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Redirect {
    /// POX `Redirect`/`RedirectAddr`: discovery restarted for another address.
    Address {
        /// The address asked.
        from: String,
        /// The address given.
        to: String,
    },
    /// POX `RedirectUrl`: the request was sent to another Autodiscover URL.
    AutodiscoverUrl(String),
    /// HTTP 301/302/307/308.
    Http {
        /// The URL that redirected.
        from: String,
        /// Its `Location`.
        to: String,
    },
}

/// Why one request did not give the endpoint.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AttemptFailure {
    /// Connect, TLS, timeout or a reset.
    #[error("network: {0}")]
    Network(String),
    /// HTTP 401 (after one refresh of the credentials, if the provider had new ones).
    #[error("unauthorized (http 401)")]
    Unauthorized,
    /// Another HTTP status.
    #[error("http status {0}")]
    Http(u16),
    /// A URL (candidate, `Location`, `RedirectUrl` or endpoint) refused as unsafe or invalid.
    #[error("url refused: {0}")]
    BadUrl(String),
    /// The body exceeds the size limit.
    #[error("response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body does not parse.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// The server answered with an Autodiscover error.
    #[error("autodiscover error {}: {}", .code.as_deref().unwrap_or("?"), .message.as_deref().unwrap_or(""))]
    Server {
        /// `Status`/`ErrorCode`.
        code: Option<String>,
        /// `Message`.
        message: Option<String>,
    },
    /// Settings without a `MobileSync` server (ActiveSync not published for the user).
    #[error("no MobileSync server in the settings")]
    NoMobileSync,
    /// The redirect probe answered without a redirect.
    #[error("no redirect from the probe")]
    NoRedirect,
}

/// One failed request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The URL asked.
    pub url: String,
    /// How it was asked.
    pub method: DiscoveryMethod,
    /// What went wrong.
    pub failure: AttemptFailure,
}

/// The result of a successful discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredEndpoint {
    /// The EAS endpoint URL (checked; `/Microsoft-Server-ActiveSync` added to a bare origin).
    pub url: String,
    /// The method of the candidate that answered.
    pub method: DiscoveryMethod,
    /// The Autodiscover URL that answered.
    pub source: String,
    /// The e-mail address the answer was for (differs from the input after a redirect).
    pub email: String,
    /// Redirects followed, in order.
    pub redirects: Vec<Redirect>,
    /// Requests that failed before the answer (for diagnostics).
    pub failed: Vec<Attempt>,
    /// HTTP requests made.
    pub requests: u32,
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
pub enum AutodiscoverError {
    /// The address is not `local@domain` with a DNS domain.
    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),
    /// The options cannot work (TLS material).
    #[error("invalid autodiscover configuration: {0}")]
    Config(String),
    /// The auth provider could not produce credentials.
    #[error("auth provider: {0}")]
    Auth(String),
    /// `max_requests` reached before an answer.
    #[error("gave up after {limit} requests{}", attempts_suffix(.attempts))]
    TooManyRequests {
        /// The limit.
        limit: u32,
        /// The failed requests.
        attempts: Vec<Attempt>,
    },
    /// `max_redirects` exceeded.
    #[error("more than {limit} redirects")]
    TooManyRedirects {
        /// The limit.
        limit: u32,
        /// The redirects followed.
        redirects: Vec<Redirect>,
    },
    /// A redirect back to an address or URL already asked.
    #[error("redirect loop at {0}")]
    RedirectLoop(String),
    /// Every candidate failed.
    #[error("no candidate gave an endpoint{}", attempts_suffix(.attempts))]
    NotFound {
        /// The failed requests.
        attempts: Vec<Attempt>,
    },
}

impl AutodiscoverError {
    /// The failed requests behind [`NotFound`](Self::NotFound) and
    /// [`TooManyRequests`](Self::TooManyRequests) (empty for the other variants).
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            AutodiscoverError::NotFound { attempts } | AutodiscoverError::TooManyRequests { attempts, .. } => attempts,
            _ => &[],
        }
    }
}

fn attempts_suffix(attempts: &[Attempt]) -> String {
    let parts: Vec<String> = attempts.iter().map(|a| format!("{}: {}", a.url, a.failure)).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join("; "))
    }
}

/// One queued request.
struct Target {
    /// The candidate's method (kept through redirects, for the report).
    method: DiscoveryMethod,
    /// Whether to POST the POX request (true for POX and after the probe redirected).
    pox: bool,
    url: Url,
    /// The credentials were refreshed once for this target already.
    refreshed: bool,
}

/// What one request produced.
enum Step {
    Found(String),
    Failed(AttemptFailure),
    Address(String),
    /// A `RedirectUrl` (`http: false`) or an HTTP 3xx `Location` (`http: true`).
    Redirect {
        to: String,
        http: bool,
    },
}

/// Finds the EAS endpoint for `email` (see the module docs for the order and the bounds).
/// JSON v2 and the probe are anonymous; POX requests carry `auth`'s `Authorization`, and a 401
/// gets one [`AuthProvider::on_unauthorized`] refresh before the next candidate is tried.
///
/// # Errors
/// [`AutodiscoverError::InvalidEmail`] for a bad address, [`AutodiscoverError::NotFound`] when
/// every candidate failed (each failure listed), the bound errors, and
/// [`AutodiscoverError::Auth`]/[`AutodiscoverError::Config`].
///
/// # Example
/// ```no_run
/// use eas_client::{discover, AutodiscoverOptions, BasicAuth};
/// # async fn run() -> Result<(), eas_client::AutodiscoverError> {
/// let auth = BasicAuth::new("alice@contoso.com", "secret");
/// let found = discover("alice@contoso.com", &auth, &AutodiscoverOptions::default()).await?;
/// println!("{} via {:?}", found.url, found.method);
/// # Ok(()) }
/// ```
pub async fn discover(
    email: &str,
    auth: &dyn AuthProvider,
    options: &AutodiscoverOptions,
) -> Result<DiscoveredEndpoint, AutodiscoverError> {
    let http = build_http(options)?;
    let mut email = email.trim().to_owned();
    let mut seen_emails = HashSet::new();
    let mut seen_urls = HashSet::new();
    let mut redirects = Vec::new();
    let mut failed = Vec::new();
    let mut requests = 0u32;
    'address: loop {
        let domain = email_domain(&email).ok_or_else(|| AutodiscoverError::InvalidEmail(email.clone()))?;
        if !seen_emails.insert(email.to_ascii_lowercase()) {
            return Err(AutodiscoverError::RedirectLoop(email));
        }
        let mut queue = VecDeque::new();
        for c in &options.candidates {
            match expand(&c.template, &email, &domain) {
                Ok(url) => queue.push_back(Target {
                    method: c.method,
                    pox: c.method == DiscoveryMethod::Pox,
                    url,
                    refreshed: false,
                }),
                Err(e) => failed.push(Attempt {
                    url: c.template.clone(),
                    method: c.method,
                    failure: AttemptFailure::BadUrl(e),
                }),
            }
        }
        while let Some(t) = queue.pop_front() {
            // Candidates must be https; the probe is the one deliberate plain-http request.
            let insecure_ok = options.allow_insecure || (t.method == DiscoveryMethod::HttpRedirectProbe && !t.pox);
            if let Err(e) = check_url(t.url.as_str(), insecure_ok) {
                failed.push(attempt(&t, AttemptFailure::BadUrl(e)));
                continue;
            }
            if requests >= options.max_requests {
                return Err(AutodiscoverError::TooManyRequests {
                    limit: options.max_requests,
                    attempts: failed,
                });
            }
            requests += 1;
            let (step, rejected) = request(&http, &t, &email, auth, options).await?;
            match step {
                Step::Found(url) => {
                    return Ok(DiscoveredEndpoint {
                        url,
                        method: t.method,
                        source: t.url.to_string(),
                        email,
                        redirects,
                        failed,
                        requests,
                    })
                }
                Step::Failed(AttemptFailure::Unauthorized) if !t.refreshed && t.pox => {
                    let retry = match rejected {
                        Some(h) => auth
                            .on_unauthorized(&h)
                            .await
                            .map_err(|e| AutodiscoverError::Auth(e.0))?,
                        None => false,
                    };
                    if retry {
                        queue.push_front(Target { refreshed: true, ..t });
                    } else {
                        failed.push(attempt(&t, AttemptFailure::Unauthorized));
                    }
                }
                Step::Failed(f) => failed.push(attempt(&t, f)),
                Step::Address(to) => {
                    redirects.push(Redirect::Address {
                        from: email.clone(),
                        to: to.clone(),
                    });
                    bound_redirects(&redirects, options)?;
                    email = to;
                    continue 'address;
                }
                Step::Redirect { to, http: is_http } => {
                    let next = match t.url.join(&to) {
                        Ok(u) => u,
                        Err(e) => {
                            failed.push(attempt(&t, AttemptFailure::BadUrl(format!("{to:?}: {e}"))));
                            continue;
                        }
                    };
                    redirects.push(if is_http {
                        Redirect::Http {
                            from: t.url.to_string(),
                            to: next.to_string(),
                        }
                    } else {
                        Redirect::AutodiscoverUrl(next.to_string())
                    });
                    bound_redirects(&redirects, options)?;
                    if let Err(e) = check_url(next.as_str(), options.allow_insecure) {
                        failed.push(attempt(&t, AttemptFailure::BadUrl(e)));
                        continue;
                    }
                    if !seen_urls.insert(next.to_string()) {
                        return Err(AutodiscoverError::RedirectLoop(next.to_string()));
                    }
                    // After the probe, the redirect target is a POX endpoint; otherwise the
                    // same kind of request goes to the new URL.
                    let pox = t.pox || t.method == DiscoveryMethod::HttpRedirectProbe || !is_http;
                    queue.push_front(Target {
                        method: t.method,
                        pox,
                        url: next,
                        refreshed: false,
                    });
                }
            }
        }
        return Err(AutodiscoverError::NotFound { attempts: failed });
    }
}

fn attempt(t: &Target, failure: AttemptFailure) -> Attempt {
    Attempt {
        url: t.url.to_string(),
        method: t.method,
        failure,
    }
}

fn bound_redirects(redirects: &[Redirect], options: &AutodiscoverOptions) -> Result<(), AutodiscoverError> {
    if redirects.len() > options.max_redirects as usize {
        return Err(AutodiscoverError::TooManyRedirects {
            limit: options.max_redirects,
            redirects: redirects.to_vec(),
        });
    }
    Ok(())
}

/// Sends one request and classifies the answer. Also returns the `Authorization` value sent,
/// for the refresh after a 401.
async fn request(
    http: &reqwest::Client,
    t: &Target,
    email: &str,
    auth: &dyn AuthProvider,
    options: &AutodiscoverOptions,
) -> Result<(Step, Option<String>), AutodiscoverError> {
    let mut rejected = None;
    let builder = if t.pox {
        let header = auth.authorization().await.map_err(|e| AutodiscoverError::Auth(e.0))?;
        rejected = Some(header.clone());
        http.post(t.url.clone())
            .header(CONTENT_TYPE, "text/xml; charset=utf-8")
            .header(AUTHORIZATION, header)
            .body(pox_request(email))
    } else if t.method == DiscoveryMethod::JsonV2 {
        http.get(t.url.clone()).header(ACCEPT, "application/json")
    } else {
        http.get(t.url.clone())
    };
    tracing::debug!(url = %t.url, method = ?t.method, pox = t.pox, "autodiscover request");
    let resp = match builder.send().await {
        Ok(r) => r,
        Err(e) => return Ok((Step::Failed(AttemptFailure::Network(error_chain(&e))), rejected)),
    };
    let status = resp.status();
    if status.is_redirection() {
        let step = match resp.headers().get(LOCATION).and_then(|l| l.to_str().ok()) {
            Some(l) if is_followed(status) => Step::Redirect {
                to: l.to_owned(),
                http: true,
            },
            _ => Step::Failed(AttemptFailure::Http(status.as_u16())),
        };
        return Ok((step, rejected));
    }
    if t.method == DiscoveryMethod::HttpRedirectProbe && !t.pox {
        return Ok((Step::Failed(AttemptFailure::NoRedirect), rejected));
    }
    if status == StatusCode::UNAUTHORIZED {
        return Ok((Step::Failed(AttemptFailure::Unauthorized), rejected));
    }
    if status != StatusCode::OK {
        return Ok((Step::Failed(AttemptFailure::Http(status.as_u16())), rejected));
    }
    let body = match read_body(resp, options.max_body_bytes).await {
        Ok(b) => b,
        Err(f) => return Ok((Step::Failed(f), rejected)),
    };
    let step = if t.pox {
        match parse_pox(&body) {
            Ok(PoxAnswer::Settings(Some(u))) => found(&u, options),
            Ok(PoxAnswer::Settings(None)) => Step::Failed(AttemptFailure::NoMobileSync),
            Ok(PoxAnswer::RedirectAddr(a)) => Step::Address(a),
            Ok(PoxAnswer::RedirectUrl(u)) => Step::Redirect { to: u, http: false },
            Ok(PoxAnswer::Error { code, message }) => Step::Failed(AttemptFailure::Server { code, message }),
            Err(e) => Step::Failed(AttemptFailure::Malformed(e)),
        }
    } else {
        match parse_json(&body) {
            Ok(u) => found(&u, options),
            Err(e) => Step::Failed(AttemptFailure::Malformed(e)),
        }
    };
    Ok((step, rejected))
}

fn found(raw: &str, options: &AutodiscoverOptions) -> Step {
    match check_endpoint(raw, options.allow_insecure) {
        Ok(u) => Step::Found(u),
        Err(e) => Step::Failed(AttemptFailure::BadUrl(e)),
    }
}

fn is_followed(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 307 | 308)
}

/// Reads at most `limit` bytes of body; more is an error (checked before and while reading).
async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, AttemptFailure> {
    if resp.content_length().is_some_and(|n| n > limit as u64) {
        return Err(AttemptFailure::BodyTooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| AttemptFailure::Network(error_chain(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(AttemptFailure::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The causes of a reqwest error (its own message only repeats the URL, which the attempt names).
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let Some(first) = e.source() else {
        return e.to_string();
    };
    let mut s = first.to_string();
    let mut src = first.source();
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

/// The lower-cased domain of `local@domain`, if the address is plausible: a non-empty local
/// part without spaces, controls or URL delimiters, and a DNS name of letters, digits, hyphens
/// and dots.
fn email_domain(email: &str) -> Option<String> {
    let (local, domain) = email.rsplit_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || "/\\?#<>\"%".contains(c));
    let domain = domain.strip_suffix('.').unwrap_or(domain).to_ascii_lowercase();
    let domain_ok = !domain.is_empty()
        && domain.len() <= 253
        && domain.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    (local_ok && domain_ok).then_some(domain)
}

/// Characters percent-encoded in `{email}`: all but unreserved ones and `@`.
const EMAIL_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'@');

fn expand(template: &str, email: &str, domain: &str) -> Result<Url, String> {
    let s = template
        .replace("{domain}", domain)
        .replace("{email}", &utf8_percent_encode(email, EMAIL_SET).to_string());
    Url::parse(&s).map_err(|e| format!("{s:?}: {e}"))
}

fn build_http(options: &AutodiscoverOptions) -> Result<reqwest::Client, AutodiscoverError> {
    let b = reqwest::Client::builder()
        .use_rustls_tls()
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(options.user_agent.clone());
    crate::client::apply_tls(b, &options.tls)
        .and_then(|b| b.build().map_err(|e| crate::Error::Config(format!("http client: {e}"))))
        .map_err(|e| AutodiscoverError::Config(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_domains() {
        assert_eq!(email_domain("Alice@Contoso.COM"), Some("contoso.com".to_owned()));
        assert_eq!(email_domain("a+b@sub.example.org."), Some("sub.example.org".to_owned()));
        for bad in [
            "alice",
            "@example.com",
            "alice@",
            "alice@exa mple.com",
            "alice@-x.com",
            "alice@x..com",
            "a/b@example.com",
            "alice@example.com/evil",
            "alice@127.0.0.1:80",
            "alice@ex_ample.com",
        ] {
            assert_eq!(email_domain(bad), None, "{bad}");
        }
    }

    #[test]
    fn templates_expand_and_encode() {
        let u = expand(
            "https://autodiscover.{domain}/autodiscover/autodiscover.json/v1.0/{email}?Protocol=ActiveSync",
            "a+b@example.com",
            "example.com",
        )
        .unwrap();
        assert_eq!(
            u.as_str(),
            "https://autodiscover.example.com/autodiscover/autodiscover.json/v1.0/a%2Bb@example.com?Protocol=ActiveSync"
        );
    }

    #[test]
    fn exchange_online_goes_after_the_domain_json() {
        let o = AutodiscoverOptions::default().with_exchange_online();
        assert_eq!(o.candidates[1].template, EXCHANGE_ONLINE_JSON);
        assert_eq!(o.candidates.len(), 5);
    }
}
