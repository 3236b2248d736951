//! caldav-server-tester against the gateway (with the simulator upstream) and against Radicale,
//! in the same test; tests/peers/cst_compare.py does the comparison.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{free_port, python, run_peer, wait_tcp, Guard, Stack, PASSWORD, USER};

#[test]
fn caldav_server_tester_easdav_vs_radicale() {
    let stack = Stack::start();
    let rdir = stack.dir.path().join("radicale");
    std::fs::create_dir_all(&rdir).expect("radicale dir");
    std::fs::write(rdir.join("users"), "tester:testpw\n").expect("htpasswd");
    let port = free_port();
    let cfg = rdir.join("config");
    let d = rdir.display();
    std::fs::write(
        &cfg,
        format!(
            "[server]\nhosts = 127.0.0.1:{port}\n[auth]\ntype = htpasswd\nhtpasswd_filename = {d}/users\n\
             htpasswd_encryption = plain\n[storage]\nfilesystem_folder = {d}/collections\n[logging]\nlevel = warning\n"
        ),
    )
    .expect("radicale config");
    let child = Command::new(python())
        .args(["-m", "radicale", "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("radicale starts");
    let _radicale = Guard::new("radicale", child);
    let raddr = format!("127.0.0.1:{port}");
    wait_tcp(&raddr, "radicale", Duration::from_secs(30));
    let report = stack.dir.path().join("cst-report.json");
    let run = run_peer(
        "cst_compare.py",
        &[
            &format!("{}/", stack.gw.url),
            USER,
            PASSWORD,
            &format!("http://{raddr}/"),
            "tester",
            "testpw",
            report.to_str().expect("utf-8 temp path"),
        ],
        Duration::from_secs(600),
    );
    if !run.ok {
        eprintln!("--- gateway log (tail)\n{}", crate::tail(&stack.log(), 40));
    }
    run.assert_all_ok("caldav-server-tester comparison");
}
