//! Brute-force protection: failed DAV logins are counted per user name and per
//! client address in a sliding one-minute window; past the limit, requests
//! with credentials for that user (or from that address) get 429 without
//! reaching the backend, so an attacker cannot lock the Exchange account.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The window over which failures are counted.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Most distinct keys remembered; older ones are dropped first.
const MAX_KEYS: usize = 100_000;

/// Sliding-window failure counters.
#[derive(Debug)]
pub struct LoginLimiter {
    per_user: u32,
    per_addr: u32,
    inner: Mutex<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    users: HashMap<String, Vec<Instant>>,
    addrs: HashMap<IpAddr, Vec<Instant>>,
}

impl LoginLimiter {
    /// Allows `per_user` failures per minute per user name and `per_addr` per address
    /// (0 disables that limit).
    pub fn new(per_user: u32, per_addr: u32) -> Self {
        LoginLimiter {
            per_user,
            per_addr,
            inner: Mutex::new(Counters::default()),
        }
    }

    /// Whether a login attempt for `user` from `addr` must be refused now;
    /// returns how long until it may be tried again.
    pub fn check(&self, user: Option<&str>, addr: IpAddr, now: Instant) -> Option<Duration> {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        if self.per_addr > 0 {
            if let Some(v) = c.addrs.get_mut(&addr) {
                wait = max_wait(wait, blocked_for(v, self.per_addr, now));
            }
        }
        if let (Some(u), true) = (user, self.per_user > 0) {
            if let Some(v) = c.users.get_mut(&u.to_lowercase()) {
                wait = max_wait(wait, blocked_for(v, self.per_user, now));
            }
        }
        wait
    }

    /// Records a failed login.
    pub fn failed(&self, user: Option<&str>, addr: IpAddr, now: Instant) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if c.addrs.len() >= MAX_KEYS || c.users.len() >= MAX_KEYS {
            c.addrs
                .retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
            c.users
                .retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        push(c.addrs.entry(addr).or_default(), now);
        if let Some(u) = user {
            push(c.users.entry(u.to_lowercase()).or_default(), now);
        }
    }
}

fn push(v: &mut Vec<Instant>, now: Instant) {
    v.retain(|t| now.duration_since(*t) < WINDOW);
    if v.len() < 1024 {
        v.push(now);
    }
}

fn blocked_for(v: &mut Vec<Instant>, limit: u32, now: Instant) -> Option<Duration> {
    v.retain(|t| now.duration_since(*t) < WINDOW);
    if v.len() >= limit as usize {
        let oldest = v.first().copied().unwrap_or(now);
        Some(
            WINDOW
                .saturating_sub(now.duration_since(oldest))
                .max(Duration::from_secs(1)),
        )
    } else {
        None
    }
}

fn max_wait(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_and_recovers() {
        let l = LoginLimiter::new(3, 100);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check(Some("alice"), ip, t0).is_none(), "attempt {i}");
            l.failed(Some("alice"), ip, t0);
        }
        assert!(l.check(Some("Alice"), ip, t0).is_some());
        // Another user from the same address is not blocked by the per-user limit.
        assert!(l.check(Some("bob"), ip, t0).is_none());
        assert!(l
            .check(Some("alice"), ip, t0 + WINDOW + Duration::from_secs(1))
            .is_none());
    }

    #[test]
    fn per_address_limit() {
        let l = LoginLimiter::new(100, 2);
        let ip: IpAddr = "::1".parse().unwrap();
        let t0 = Instant::now();
        l.failed(Some("a"), ip, t0);
        l.failed(Some("b"), ip, t0);
        assert!(l.check(Some("c"), ip, t0).is_some());
        assert!(l.check(Some("c"), "127.0.0.2".parse().unwrap(), t0).is_none());
    }
}
