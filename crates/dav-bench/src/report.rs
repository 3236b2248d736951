//! The results table (Markdown), with ratios of every target against the baseline.

use std::fmt::Write as _;

use crate::load::Stats;

/// One request type at one concurrency, measured on every target (in target order).
#[derive(Debug, Clone)]
pub struct Row {
    /// Case name.
    pub case: &'static str,
    /// Concurrent clients.
    pub clients: usize,
    /// Per-target results, in the order of [`Table::targets`].
    pub stats: Vec<Stats>,
}

/// All rows of a run.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Target names.
    pub targets: Vec<String>,
    /// Index of the baseline target in `targets`, if present.
    pub baseline: Option<usize>,
    /// Measured rows.
    pub rows: Vec<Row>,
}

impl Table {
    /// Renders the Markdown table (requests that failed validation are noted after req/s). Ratio columns: `req/s` is target/baseline (above 1 = more
    /// throughput); `p50` and `p99` are target/baseline latency (below 1 = faster).
    pub fn markdown(&self) -> String {
        let mut s = String::from("| request | clients |");
        let mut sep = String::from("|---|---:|");
        for t in &self.targets {
            let _ = write!(s, " {t} req/s | {t} p50 ms | {t} p99 ms |");
            sep.push_str("---:|---:|---:|");
        }
        let others = self.ratio_targets();
        for &i in &others {
            let (t, b) = (&self.targets[i], self.baseline_name());
            let _ = write!(s, " req/s {t}/{b} | p50 {t}/{b} | p99 {t}/{b} |");
            sep.push_str("---:|---:|---:|");
        }
        s.push('\n');
        s.push_str(&sep);
        s.push('\n');
        for r in &self.rows {
            let _ = write!(s, "| {} | {} |", r.case, r.clients);
            for st in &r.stats {
                let failed = if st.failed > 0 {
                    format!(" ({} failed)", st.failed)
                } else {
                    String::new()
                };
                let _ = write!(
                    s,
                    " {}{failed} | {} | {} |",
                    num(st.rps),
                    num(st.p50_ms),
                    num(st.p99_ms)
                );
            }
            if let Some(b) = self.baseline.and_then(|b| r.stats.get(b)) {
                for &i in &others {
                    if let Some(st) = r.stats.get(i) {
                        let _ = write!(
                            s,
                            " {} | {} | {} |",
                            ratio(st.rps, b.rps),
                            ratio(st.p50_ms, b.p50_ms),
                            ratio(st.p99_ms, b.p99_ms)
                        );
                    }
                }
            }
            s.push('\n');
        }
        s
    }

    fn ratio_targets(&self) -> Vec<usize> {
        match self.baseline {
            Some(b) => (0..self.targets.len()).filter(|&i| i != b).collect(),
            None => Vec::new(),
        }
    }

    fn baseline_name(&self) -> &str {
        self.baseline
            .and_then(|b| self.targets.get(b))
            .map(String::as_str)
            .unwrap_or("")
    }
}

fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        let r = a / b;
        // Keep two significant digits for tiny latency ratios instead of printing 0.00.
        if r > 0.0 && r < 0.01 {
            format!("{r:.1e}×")
        } else {
            format!("{r:.2}×")
        }
    } else {
        "n/a".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_against_baseline() {
        let st = |rps, p50, p99| Stats {
            rps,
            p50_ms: p50,
            p99_ms: p99,
            ..Stats::default()
        };
        let t = Table {
            targets: vec!["easdav".into(), "radicale".into()],
            baseline: Some(1),
            rows: vec![Row {
                case: "multiget",
                clients: 16,
                stats: vec![st(1000.0, 2.0, 8.0), st(100.0, 20.0, 40.0)],
            }],
        };
        let md = t.markdown();
        assert!(md.contains("| req/s easdav/radicale |"), "{md}");
        assert!(
            md.contains("| multiget | 16 | 1000 | 2.00 | 8.00 | 100 | 20.0 | 40.0 | 10.00× | 0.10× | 0.20× |"),
            "{md}"
        );
        assert_eq!(ratio(0.1, 1000.0), "1.0e-4×");
        assert_eq!(ratio(1.0, 0.0), "n/a");
    }
}
