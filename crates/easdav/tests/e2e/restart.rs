//! Gateway restart mid-run: SIGTERM, clean exit, restart on the same data directory; the
//! client's old sync token still works and lists only what changed while it was down.

use std::time::Duration;

use crate::harness::{run_peer, Gateway, Stack, PASSWORD, USER};

#[test]
fn restart_keeps_sync_tokens_and_etags() {
    let mut stack = Stack::start();
    let state = stack.dir.path().join("restart-state.json");
    let state = state.to_str().expect("utf-8 temp path").to_owned();
    let phase = |name: &str, url: &str, control: &str| {
        run_peer(
            "e2e_restart.py",
            &[name, url, USER, PASSWORD, control, &state],
            Duration::from_secs(60),
        )
    };
    let before = phase("before", &stack.gw.url, &stack.sim.control);
    assert!(
        before.ok,
        "before-restart phase failed:\n{}\n{}",
        before.out, before.err
    );

    let status = stack.gw.guard.terminate(Duration::from_secs(20));
    assert!(
        status.success(),
        "the gateway exited with {status} after SIGTERM (expected 0)"
    );

    let down = phase("down", &stack.gw.url, &stack.sim.control);
    assert!(down.ok, "change while down failed:\n{}\n{}", down.out, down.err);

    let addr = stack.gw.addr.clone();
    let data = stack.dir.path().join("data");
    let log = stack.dir.path().join("gateway.log");
    stack.gw = Gateway::start(&stack.sim, &data, &addr, &log);
    assert_eq!(stack.gw.addr, addr, "restarted on the same address");

    let after = phase("after", &stack.gw.url, &stack.sim.control);
    if let Some(l) = after.out.lines().find(|l| l.starts_with("catch-up")) {
        eprintln!("{l}");
    }
    if !after.ok {
        eprintln!("--- gateway log (tail)\n{}", crate::tail(&stack.log(), 60));
    }
    after.assert_all_ok("after-restart phase");
}
