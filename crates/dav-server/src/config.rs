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
    pub trusted_proxies: Vec<IpNet>,
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

/// An address or network in CIDR form (`10.0.0.0/8`, `::1`), used for trusted proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    /// Network address.
    pub addr: IpAddr,
    /// Prefix length (32 or 128 for a single address).
    pub prefix: u8,
}

impl IpNet {
    /// Whether `ip` is inside this network (IPv4-mapped IPv6 addresses match IPv4 networks).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let bits = u32::from(self.prefix.min(32));
                let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let bits = u32::from(self.prefix.min(128));
                let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
                u128::from(net) & mask == u128::from(ip) & mask
            }
            (IpAddr::V6(_), IpAddr::V4(v4)) => self.contains(IpAddr::V6(v4.to_ipv6_mapped())),
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().is_some_and(|v4| self.contains(IpAddr::V4(v4))),
        }
    }
}

impl From<IpAddr> for IpNet {
    fn from(addr: IpAddr) -> Self {
        IpNet {
            addr,
            prefix: if addr.is_ipv4() { 32 } else { 128 },
        }
    }
}

impl std::str::FromStr for IpNet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an IP address or CIDR network"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(|| format!("`{s}`: prefix must be 0..={max}"))?,
            None => max,
        };
        Ok(IpNet { addr, prefix })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipnet_matching() {
        let c: IpNet = "10.0.0.0/8".parse().unwrap();
        assert!(c.contains("10.1.2.3".parse().unwrap()));
        assert!(!c.contains("11.0.0.1".parse().unwrap()));
        let l: IpNet = "::1".parse().unwrap();
        assert!(l.contains("::1".parse().unwrap()));
        assert!(!l.contains("::2".parse().unwrap()));
        let m: IpNet = "127.0.0.0/8".parse().unwrap();
        assert!(m.contains("::ffff:127.0.0.5".parse().unwrap()));
        assert!("1.2.3.4/33".parse::<IpNet>().is_err());
    }
}
