//! The caldav peer through nginx with a path prefix (/dav/), as in deploy/nginx/easdav-prefix.conf.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{free_port, run_peer, wait_tcp, Guard, Stack, PASSWORD, USER};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx configuration for a foreground, unprivileged instance in `dir`: the location blocks of
/// deploy/nginx/easdav-prefix.conf, with `$http_host` (host *and* port) where the deploy file
/// uses `$host`, because this listener is not on the scheme's default port.
fn conf(dir: &Path, port: u16, upstream: &str) -> String {
    let d = dir.display();
    format!(
        r"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 64; }}
http {{
    access_log {d}/access.log;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        location = /.well-known/caldav  {{ return 301 $scheme://$http_host/dav/; }}
        location = /.well-known/carddav {{ return 301 $scheme://$http_host/dav/; }}
        location /dav/ {{
            client_max_body_size 16m;
            proxy_pass http://{upstream}/;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            proxy_set_header X-Forwarded-Prefix /dav;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 120s;
            proxy_request_buffering off;
        }}
    }}
}}
"
    )
}

#[test]
fn caldav_library_through_nginx_prefix() {
    assert!(
        Path::new(NGINX).exists(),
        "{NGINX} not found: install nginx (tests/run.sh does: apt-get install nginx-light or nginx)"
    );
    let stack = Stack::start();
    let ndir = stack.dir.path().join("nginx");
    std::fs::create_dir_all(&ndir).expect("nginx dir");
    let port = free_port();
    let cfg = ndir.join("nginx.conf");
    std::fs::write(&cfg, conf(&ndir, port, &stack.gw.addr)).expect("write nginx.conf");
    let child = Command::new(NGINX)
        .arg("-p")
        .arg(&ndir)
        .arg("-c")
        .arg(&cfg)
        .arg("-e")
        .arg(ndir.join("error.log"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx starts");
    let _nginx = Guard::new("nginx", child);
    let addr = format!("127.0.0.1:{port}");
    wait_tcp(&addr, "nginx", Duration::from_secs(20));
    let base = format!("http://{addr}");
    let run = run_peer(
        "e2e_caldav.py",
        &[&base, USER, PASSWORD, &stack.sim.control, "/dav"],
        Duration::from_secs(120),
    );
    if let Some(l) = run.out.lines().find(|l| l.starts_with("push latency:")) {
        eprintln!("through nginx: {l}");
    }
    if !run.ok {
        let log = std::fs::read_to_string(ndir.join("error.log")).unwrap_or_default();
        eprintln!("--- nginx error.log (tail)\n{}", crate::tail(&log, 30));
        eprintln!("--- gateway log (tail)\n{}", crate::tail(&stack.log(), 40));
    }
    run.assert_all_ok("e2e_caldav.py through nginx under /dav/");
}
