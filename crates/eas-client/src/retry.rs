//! Back-off computation and the injectable sleeper.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng as _;

use crate::auth::BoxFuture;
use crate::RetryPolicy;

/// Waits between retries. Injected so tests can record the schedule instead of sleeping.
pub trait Sleeper: Send + Sync {
    /// Sleeps for `delay`.
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()>;
}

/// The real sleeper (`tokio::time::sleep`).
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(delay))
    }
}

/// Records every requested delay and returns at once.
///
/// # Example
/// ```
/// use eas_client::{RecordingSleeper, Sleeper};
/// use std::time::Duration;
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let s = RecordingSleeper::default();
/// s.sleep(Duration::from_secs(7)).await;
/// assert_eq!(s.delays(), vec![Duration::from_secs(7)]);
/// # });
/// ```
#[derive(Clone, Debug, Default)]
pub struct RecordingSleeper {
    delays: Arc<Mutex<Vec<Duration>>>,
}

impl RecordingSleeper {
    /// The delays requested so far, in order.
    pub fn delays(&self) -> Vec<Duration> {
        self.delays.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl Sleeper for RecordingSleeper {
    fn sleep(&self, delay: Duration) -> BoxFuture<'static, ()> {
        self.delays.lock().unwrap_or_else(|p| p.into_inner()).push(delay);
        Box::pin(async {})
    }
}

impl RetryPolicy {
    /// The back-off before retry number `retry` (1-based) after a transient failure.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self.base_delay.saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        shrink_jitter(exp.min(self.max_delay), self.jitter)
    }

    /// The delay before retry number `retry` after throttling without `Retry-After`.
    pub fn throttle_backoff(&self, retry: u32) -> Duration {
        let exp = self
            .throttle_delay
            .saturating_mul(1u32 << retry.saturating_sub(1).min(20));
        shrink_jitter(exp.min(self.max_retry_after.max(self.throttle_delay)), self.jitter)
    }

    /// The delay honouring a server `Retry-After`: never shorter, up to `jitter` longer.
    pub fn retry_after_delay(&self, retry_after: Duration) -> Duration {
        let j = self.jitter.clamp(0.0, 1.0);
        if j == 0.0 {
            return retry_after;
        }
        let extra = retry_after.mul_f64(rand::thread_rng().gen_range(0.0..=j));
        retry_after + extra
    }
}

/// Removes a random part (up to `jitter`) of `d`.
fn shrink_jitter(d: Duration, jitter: f64) -> Duration {
    let j = jitter.clamp(0.0, 1.0);
    if j == 0.0 {
        return d;
    }
    d.mul_f64(1.0 - rand::thread_rng().gen_range(0.0..=j))
}

/// Parses `Retry-After` in its delta-seconds form (Exchange never sends the date form).
pub(crate) fn parse_retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            jitter: 0.0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), Duration::from_secs(1));
        assert_eq!(p.backoff(2), Duration::from_secs(2));
        assert_eq!(p.backoff(3), Duration::from_secs(4));
        assert_eq!(p.backoff(10), Duration::from_secs(30));
        assert_eq!(p.backoff(u32::MAX), Duration::from_secs(30));
        assert_eq!(p.throttle_backoff(1), Duration::from_secs(60));
        assert_eq!(p.throttle_backoff(4), Duration::from_secs(300));
    }

    #[test]
    fn jitter_stays_in_range() {
        let p = RetryPolicy::default();
        for _ in 0..200 {
            let d = p.backoff(2);
            assert!(d <= Duration::from_secs(2) && d >= Duration::from_millis(1600), "{d:?}");
            let r = p.retry_after_delay(Duration::from_secs(10));
            assert!(r >= Duration::from_secs(10) && r <= Duration::from_secs(12), "{r:?}");
        }
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after(Some(" 30 ")), Some(Duration::from_secs(30)));
        assert_eq!(parse_retry_after(Some("Wed, 21 Oct 2015 07:28:00 GMT")), None);
        assert_eq!(parse_retry_after(Some("-1")), None);
        assert_eq!(parse_retry_after(None), None);
    }
}
