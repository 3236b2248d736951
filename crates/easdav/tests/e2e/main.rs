//! End-to-end tests with real processes: `easdav sim` (Exchange's stand-in) and `easdav serve`
//! on loopback, driven by clients nobody here wrote (python-caldav, vdirsyncer,
//! caldav-server-tester), directly and through nginx. Each test starts its own processes and
//! temporary directories; peers live in `tests/peers/` and need the test venv
//! (`EASDAV_PYTHON` or `<repo>/.venv/bin/python`).

mod harness;
mod nginx;
mod restart;
mod tester;
mod vdirsyncer;

use std::time::Duration;

use harness::{run_peer, Stack, PASSWORD, USER};

/// Discovery, creation of an event / a recurring event with exceptions / a todo, the EAS fields
/// on the simulator, an Exchange-side change seen through sync-collection (push), deletion.
#[test]
fn caldav_library_against_gateway() {
    let stack = Stack::start();
    let run = run_peer(
        "e2e_caldav.py",
        &[&stack.gw.url, USER, PASSWORD, &stack.sim.control],
        Duration::from_secs(120),
    );
    if let Some(l) = run.out.lines().find(|l| l.starts_with("push latency:")) {
        eprintln!("direct: {l}");
    }
    if !run.ok {
        eprintln!("--- gateway log (tail)\n{}", tail(&stack.log(), 60));
    }
    run.assert_all_ok("e2e_caldav.py against the gateway");
}

/// The last `n` lines of `s`.
pub fn tail(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
