//! Fault injection: rules that make the simulator misbehave the way Exchange
//! does under load or failure, set by flag or through the control API.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What a fault does to a matching request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultAction {
    /// HTTP 503 with `Retry-After: retry_after` seconds.
    Unavailable {
        /// Seconds for `Retry-After`.
        #[serde(default = "default_retry_after")]
        retry_after: u64,
    },
    /// HTTP 500 with an empty body.
    ServerError,
    /// The handler runs, then only the first half of the response is written
    /// and the connection is dropped.
    Reset,
    /// The response is delayed by `ms` milliseconds.
    Latency {
        /// Added delay in milliseconds.
        ms: u64,
    },
    /// The command answers with this status instead of running. For Sync,
    /// 3 and 12 are collection statuses (3 also drops the partnership);
    /// anything else is the top-level Sync status (e.g. 110, 111).
    Status {
        /// The status code.
        status: u16,
    },
    /// Requests beyond `per_minute` within a sliding minute are throttled:
    /// with `status` absent by HTTP 503 + `Retry-After` + `X-MS-ASThrottle`
    /// (what Exchange Online does), otherwise by that in-band status (110/111).
    Throttle {
        /// Requests allowed per sliding 60 s window (per user, or global).
        per_minute: u32,
        /// In-band status to answer with instead of HTTP 503.
        #[serde(default)]
        status: Option<u16>,
    },
}

fn default_retry_after() -> u64 {
    30
}

/// A fault rule: which requests it hits and what it does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Only requests of this user (logon name); `None` = every user.
    #[serde(default)]
    pub user: Option<String>,
    /// Only this command (`Sync`, `Ping`, ...; case-insensitive); `None` = every command.
    #[serde(default)]
    pub command: Option<String>,
    /// Fire only on the n-th matching request (1-based) after the rule was set.
    #[serde(default)]
    pub nth: Option<u64>,
    /// Fire at most this many times; `None` = unlimited (or once with `nth`).
    #[serde(default)]
    pub times: Option<u64>,
    /// The effect.
    pub action: FaultAction,
}

impl FaultRule {
    /// Parses the `--fault` flag form: `KIND[:ARG][,user=U][,cmd=C][,nth=N][,times=N]`
    /// with KIND one of `503[:secs]`, `500`, `reset`, `latency:MS`,
    /// `status:CODE`, `throttle:PER_MINUTE[:STATUS]`.
    ///
    /// # Errors
    /// A message naming the part that is wrong.
    ///
    /// # Example
    /// ```
    /// let r = eas_sim::FaultRule::parse("status:110,cmd=Sync,nth=3").unwrap();
    /// assert_eq!(r.nth, Some(3));
    /// ```
    pub fn parse(s: &str) -> Result<FaultRule, String> {
        let mut parts = s.split(',');
        let head = parts.next().unwrap_or_default();
        let mut kv = head.split(':');
        let kind = kv.next().unwrap_or_default();
        let arg = |x: Option<&str>| -> Result<Option<u64>, String> {
            x.map(|v| v.parse::<u64>().map_err(|_| format!("bad number {v:?} in fault {s:?}")))
                .transpose()
        };
        let a1 = arg(kv.next())?;
        let a2 = arg(kv.next())?;
        let action = match kind {
            "503" => FaultAction::Unavailable {
                retry_after: a1.unwrap_or(default_retry_after()),
            },
            "500" => FaultAction::ServerError,
            "reset" => FaultAction::Reset,
            "latency" => FaultAction::Latency {
                ms: a1.ok_or("latency needs milliseconds")?,
            },
            "status" => FaultAction::Status {
                status: a1.ok_or("status needs a code")? as u16,
            },
            "throttle" => FaultAction::Throttle {
                per_minute: a1.ok_or("throttle needs a per-minute limit")? as u32,
                status: a2.map(|v| v as u16),
            },
            other => return Err(format!("unknown fault kind {other:?}")),
        };
        let mut rule = FaultRule {
            user: None,
            command: None,
            nth: None,
            times: None,
            action,
        };
        for p in parts {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| format!("expected key=value, got {p:?}"))?;
            match k {
                "user" => rule.user = Some(v.to_owned()),
                "cmd" => rule.command = Some(v.to_owned()),
                "nth" => rule.nth = arg(Some(v))?,
                "times" => rule.times = arg(Some(v))?,
                other => return Err(format!("unknown fault option {other:?}")),
            }
        }
        Ok(rule)
    }

    fn matches(&self, user: &str, command: &str) -> bool {
        self.user.as_deref().is_none_or(|u| u == user)
            && self.command.as_deref().is_none_or(|c| c.eq_ignore_ascii_case(command))
    }
}

#[derive(Debug)]
struct ActiveRule {
    id: u64,
    rule: FaultRule,
    seen: u64,
    fired: u64,
    window: VecDeque<Instant>,
}

/// The fault rules in force plus per-user request counters.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Vec<ActiveRule>,
    next_id: u64,
    counters: BTreeMap<String, BTreeMap<String, u64>>,
}

/// A rule as listed by the control API.
#[derive(Clone, Debug, Serialize)]
pub struct ListedRule {
    /// Rule id (for deletion).
    pub id: u64,
    /// Matching requests seen so far.
    pub seen: u64,
    /// Times fired.
    pub fired: u64,
    /// The rule.
    #[serde(flatten)]
    pub rule: FaultRule,
}

impl Faults {
    /// Adds a rule; returns its id.
    pub fn add(&mut self, rule: FaultRule) -> u64 {
        self.next_id += 1;
        self.rules.push(ActiveRule {
            id: self.next_id,
            rule,
            seen: 0,
            fired: 0,
            window: VecDeque::new(),
        });
        self.next_id
    }

    /// Removes one rule; returns whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        before != self.rules.len()
    }

    /// Removes every rule (optionally only those of `user`).
    pub fn clear(&mut self, user: Option<&str>) {
        match user {
            Some(u) => self.rules.retain(|r| r.rule.user.as_deref() != Some(u)),
            None => self.rules.clear(),
        }
    }

    /// Lists the rules.
    pub fn list(&self) -> Vec<ListedRule> {
        self.rules
            .iter()
            .map(|r| ListedRule {
                id: r.id,
                seen: r.seen,
                fired: r.fired,
                rule: r.rule.clone(),
            })
            .collect()
    }

    /// Per-user request counters: user → command → count (`total` included).
    pub fn counters(&self) -> &BTreeMap<String, BTreeMap<String, u64>> {
        &self.counters
    }

    /// Counts a request and returns the actions that apply to it, in rule order.
    pub fn on_request(&mut self, user: &str, command: &str, now: Instant) -> Vec<FaultAction> {
        let c = self.counters.entry(user.to_owned()).or_default();
        *c.entry("total".to_owned()).or_default() += 1;
        *c.entry(command.to_owned()).or_default() += 1;
        let mut out = Vec::new();
        for r in &mut self.rules {
            if !r.rule.matches(user, command) {
                continue;
            }
            r.seen += 1;
            if let FaultAction::Throttle { per_minute, .. } = r.rule.action {
                while r
                    .window
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
                {
                    r.window.pop_front();
                }
                r.window.push_back(now);
                if r.window.len() > per_minute as usize {
                    r.fired += 1;
                    out.push(r.rule.action.clone());
                }
                continue;
            }
            let due = match r.rule.nth {
                Some(n) => r.seen == n,
                None => r.rule.times.is_none_or(|t| r.fired < t),
            };
            if due {
                r.fired += 1;
                out.push(r.rule.action.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nth_fires_once_and_throttle_counts_the_window() {
        let mut f = Faults::default();
        f.add(FaultRule::parse("status:110,cmd=Sync,nth=2").unwrap());
        f.add(FaultRule::parse("throttle:2,user=bob").unwrap());
        let t = Instant::now();
        assert!(f.on_request("alice", "Sync", t).is_empty());
        assert_eq!(
            f.on_request("alice", "Sync", t),
            vec![FaultAction::Status { status: 110 }]
        );
        assert!(f.on_request("alice", "Sync", t).is_empty());
        assert!(f.on_request("bob", "Ping", t).is_empty());
        assert!(f.on_request("bob", "Ping", t).is_empty());
        assert_eq!(f.on_request("bob", "Ping", t).len(), 1);
        assert!(f.on_request("bob", "Ping", t + Duration::from_secs(61)).is_empty());
        assert_eq!(f.counters()["alice"]["Sync"], 3);
    }

    #[test]
    fn parse_rejects_garbage() {
        assert!(FaultRule::parse("explode").is_err());
        assert!(FaultRule::parse("latency").is_err());
        assert!(FaultRule::parse("500,foo=1").is_err());
    }
}
