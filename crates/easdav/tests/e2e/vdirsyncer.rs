//! vdirsyncer: two-way sync of a calendar and an address book built from ../shared/corpus files
//! (tests/peers/vdirsyncer_e2e.py does the checks).

use std::time::Duration;

use crate::harness::{repo_root, run_peer, Stack, PASSWORD, USER};

#[test]
fn vdirsyncer_two_way_sync_of_corpus_files() {
    let corpus = repo_root().join("../shared/corpus");
    assert!(
        corpus.join("ical").is_dir() && corpus.join("vcard").is_dir(),
        "corpus not found at {} (expected ical/ and vcard/)",
        corpus.display()
    );
    let stack = Stack::start();
    let work = stack.dir.path().join("vdirsyncer");
    std::fs::create_dir_all(&work).expect("work dir");
    let run = run_peer(
        "vdirsyncer_e2e.py",
        &[
            &stack.gw.url,
            USER,
            PASSWORD,
            &stack.sim.control,
            corpus.to_str().expect("utf-8 corpus path"),
            work.to_str().expect("utf-8 temp path"),
        ],
        Duration::from_secs(400),
    );
    for l in run
        .out
        .lines()
        .filter(|l| l.starts_with("corpus ") || l.contains("visible on the gateway"))
    {
        eprintln!("{l}");
    }
    if !run.ok {
        eprintln!("--- gateway log (tail)\n{}", crate::tail(&stack.log(), 40));
    }
    run.assert_all_ok("vdirsyncer two-way sync");
}
