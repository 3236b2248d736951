//! Typed configuration of the DAV service (the gateway builds it from its config file).

use std::net::IpAddr;
use std::time::Duration;

/// Settings of [`crate::DavServer`].
#[derive(Debug, Clone)]
pub struct DavConfig {
    /// Path prefix the service is mounted under on this listener (`""` or `/dav`); requests
    /// outside it get 404.
    pub mount_prefix: String,
    /// Public base URL as clients see it (`https://cal.example.com/dav`). When set it wins
    /// over the Host header and forwarded headers for absolute URLs and the href prefix.
    pub public_base_url: Option<String>,
    /// Peers whose `X-Forwarded-Proto`, `X-Forwarded-Host` and `X-Forwarded-Prefix` headers are
    /// honoured. Forwarded headers from anyone else are ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest request body accepted (413 beyond).
    pub max_body_bytes: usize,
    /// Largest calendar object or vCard accepted by PUT (advertised as max-resource-size).
    pub max_resource_size: u64,
    /// Basic auth realm.
    pub realm: String,
    /// How long a successful authentication is cached.
    pub auth_cache_ttl: Duration,
    /// Most members returned by one sync-collection answer when the client sets no limit
    /// (`None`: unlimited). Beyond it the answer is truncated with 507 and a continuation.
    pub sync_page_size: Option<usize>,
}

impl Default for DavConfig {
    fn default() -> Self {
        DavConfig {
            mount_prefix: String::new(),
            public_base_url: None,
            trusted_proxies: Vec::new(),
            max_body_bytes: 12 * 1024 * 1024,
            max_resource_size: 10 * 1024 * 1024,
            realm: "easdav".to_owned(),
            auth_cache_ttl: Duration::from_secs(60),
            sync_page_size: None,
        }
    }
}
