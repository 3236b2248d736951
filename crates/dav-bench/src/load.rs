//! The load generator: N workers, each with its own keep-alive connection, sending one request
//! back to back for a warm-up plus a measured window, validating every answer.
//!
//! Latency is recorded for requests *started* inside the measured window. Workers stop starting
//! new requests when the window ends but let the one in flight finish, so slow servers are
//! measured rather than cut off; throughput is the number of successful completions after the
//! window start (whenever the request started) divided by the time from the window start to the
//! last of them, so a backlog left by the warm-up counts as work done, not as idle time. If a cell would end without a single recorded request (each
//! request slower than the whole cell), workers keep going until one is recorded, up to a hard cap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, Url};

use crate::xml::count_responses;
use crate::BenchError;

/// One benchmark request, ready to send.
#[derive(Debug, Clone)]
pub struct Case {
    /// Short name for the table.
    pub name: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Request URL.
    pub url: Url,
    /// `Depth` header, if any.
    pub depth: Option<&'static str>,
    /// XML body.
    pub body: String,
    /// Expected HTTP status.
    pub status: u16,
    /// Expected number of `DAV:response` elements in the multistatus.
    pub responses: usize,
}

/// Settings of one measurement cell.
#[derive(Debug, Clone, Copy)]
pub struct Cell {
    /// Concurrent clients (connections).
    pub clients: usize,
    /// Warm-up before recording.
    pub warmup: Duration,
    /// Measured window.
    pub duration: Duration,
}

/// What one cell measured.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Recorded (validated) requests.
    pub recorded: usize,
    /// Requests validated in total, warm-up included.
    pub validated: usize,
    /// Requests whose answer failed validation (or failed at the HTTP level).
    pub failed: usize,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// Requests per second over the measured window.
    pub rps: f64,
    /// Median latency in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency in milliseconds.
    pub p99_ms: f64,
}

/// Hard cap on one cell, whatever the server does.
const CELL_CAP: Duration = Duration::from_secs(600);
/// Most requests one worker sends in one cell.
const MAX_PER_WORKER: usize = 5_000_000;

/// Runs one cell of `case` against a target with Basic credentials `auth`.
pub async fn run(case: &Case, auth: &str, cell: Cell) -> Result<Stats, BenchError> {
    let t0 = Instant::now();
    let window_start = t0 + cell.warmup;
    let window_end = window_start + cell.duration;
    let recorded_total = Arc::new(AtomicUsize::new(0));
    let mut handles = Vec::with_capacity(cell.clients);
    for _ in 0..cell.clients.max(1) {
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(1)
            .timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| BenchError::Http(case.url.to_string(), e.to_string()))?;
        let (case, auth, recorded_total) = (case.clone(), auth.to_owned(), recorded_total.clone());
        handles.push(tokio::spawn(async move {
            let mut w = Worker::default();
            for _ in 0..MAX_PER_WORKER {
                let now = Instant::now();
                let past_end = now >= window_end;
                if (past_end && recorded_total.load(Ordering::Relaxed) > 0) || now >= t0 + CELL_CAP {
                    break;
                }
                let started = Instant::now();
                let outcome = send(&client, &case, &auth).await;
                let done = Instant::now();
                match outcome {
                    Ok(()) => {
                        w.validated += 1;
                        if done > window_start {
                            w.completed_in_window += 1;
                            w.last_done = Some(w.last_done.map_or(done, |d: Instant| d.max(done)));
                        }
                        if started >= window_start {
                            w.lat_us.push(done.duration_since(started).as_micros() as u64);
                            recorded_total.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(msg) => {
                        w.failed += 1;
                        w.first_failure.get_or_insert(msg);
                        // A broken target must not spin: back off a little after failures.
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            w
        }));
    }
    let mut stats = Stats::default();
    let mut lat = Vec::new();
    let mut last_done = window_start;
    let mut completed = 0usize;
    for h in handles {
        let w = h
            .await
            .map_err(|e| BenchError::Setup(format!("worker panicked: {e}")))?;
        stats.validated += w.validated;
        stats.failed += w.failed;
        if stats.first_failure.is_none() {
            stats.first_failure = w.first_failure;
        }
        completed += w.completed_in_window;
        if let Some(d) = w.last_done {
            last_done = last_done.max(d);
        }
        lat.extend(w.lat_us);
    }
    lat.sort_unstable();
    stats.recorded = lat.len();
    let secs = last_done.duration_since(window_start).as_secs_f64();
    stats.rps = if secs > 0.0 { completed as f64 / secs } else { 0.0 };
    stats.p50_ms = percentile(&lat, 0.50);
    stats.p99_ms = percentile(&lat, 0.99);
    Ok(stats)
}

#[derive(Default)]
struct Worker {
    lat_us: Vec<u64>,
    validated: usize,
    failed: usize,
    first_failure: Option<String>,
    last_done: Option<Instant>,
    completed_in_window: usize,
}

/// Nearest-rank percentile of sorted microsecond samples, in milliseconds (0 when empty).
pub fn percentile(sorted_us: &[u64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us.get(rank - 1).copied().unwrap_or(0) as f64 / 1000.0
}

/// Sends one request and checks status and response count.
pub async fn send(client: &reqwest::Client, case: &Case, auth: &str) -> Result<(), String> {
    let mut rb = client
        .request(case.method.clone(), case.url.clone())
        .header("Authorization", auth)
        .header("Content-Type", "application/xml; charset=utf-8")
        .body(case.body.clone());
    if let Some(d) = case.depth {
        rb = rb.header("Depth", d);
    }
    let resp = rb.send().await.map_err(|e| format!("{}: {}", case.name, chain(&e)))?;
    let status = resp.status().as_u16();
    let body = resp
        .bytes()
        .await
        .map_err(|e| format!("{}: reading body: {e}", case.name))?;
    if status != case.status {
        return Err(format!("{}: status {status}, want {}", case.name, case.status));
    }
    let n = count_responses(&body);
    if n != case.responses {
        return Err(format!("{}: {n} responses, want {}", case.name, case.responses));
    }
    Ok(())
}

/// An error with its sources (reqwest's own message hides the cause, e.g. a reset connection).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    for _ in 0..8 {
        let Some(c) = cur else { break };
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile(&v, 0.5), 50.0);
        assert_eq!(percentile(&v, 0.99), 99.0);
        assert_eq!(percentile(&[7000], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }
}
