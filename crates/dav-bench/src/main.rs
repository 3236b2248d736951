//! `dav-bench`: requests/s and p50/p99 latency of four CalDAV requests at several concurrency
//! levels, against easdav's DAV server and Radicale holding the same data, in the same run.
//!
//! Cases (see `docs/benchmarks.md`):
//! - `sync`: sync-collection with the current token (no changes) on the big calendar;
//! - `multiget`: calendar-multiget of 100 events (ETag and calendar-data) from the big calendar;
//! - `propfind`: PROPFIND Depth 1 (resourcetype, getetag, getcontenttype) over the listing
//!   calendar (1,000 events);
//! - `query`: calendar-query, VEVENT time-range of January 2026, over the big calendar (10,000
//!   events with recurring series), ETags only.
//!
//! Targets are a base URL plus Basic credentials; discovery (current-user-principal,
//! calendar-home-set), MKCALENDAR and PUT seed them as a client would, so any CalDAV server works:
//! `--target gw=http://user:pw@127.0.0.1:8080/`. `--builtin easdav,radicale` (the default) starts
//! the dav-server in-memory backend (this binary as `serve-easdav`) and Radicale as children.
//! Every answer is validated (status and response count); the run exits 1 if any failed.

mod data;
mod load;
mod report;
mod target;
mod xml;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use reqwest::Method;

use crate::load::{Case, Cell};
use crate::report::{Row, Table};
use crate::target::{Setup, Spawned, Target};

/// Everything that can stop a run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// Bad command line.
    #[error("usage: {0}")]
    Usage(String),
    /// A corpus template file could not be read.
    #[error("reading corpus template {0}: {1}")]
    Corpus(String, std::io::Error),
    /// A built-in server did not start.
    #[error("starting {0}: {1}")]
    Spawn(String, String),
    /// An HTTP exchange failed below the DAV level.
    #[error("http to {0}: {1}")]
    Http(String, String),
    /// Discovery, seeding or a pre-flight check failed.
    #[error("set-up: {0}")]
    Setup(String),
    /// Writing the report failed.
    #[error("writing {0}: {1}")]
    Io(String, std::io::Error),
}

#[derive(Parser, Debug)]
#[command(
    name = "dav-bench",
    about = "CalDAV load benchmark: easdav vs Radicale (or any CalDAV URL)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Serve dav-server's in-memory backend (used by the `easdav` built-in target).
    ServeEasdav {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// `user:password` to create.
        #[arg(long)]
        user: String,
    },
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Built-in targets to start, comma-separated: easdav, radicale (empty for none).
    #[arg(long, value_delimiter = ',', default_value = "easdav,radicale")]
    builtin: Vec<String>,
    /// Extra target as NAME=URL with user:password@ in the URL (repeatable).
    #[arg(long)]
    target: Vec<String>,
    /// Target the ratios are computed against.
    #[arg(long, default_value = "radicale")]
    baseline: String,
    /// Events in the big calendar (sync, multiget, query).
    #[arg(long, default_value_t = 10_000)]
    events: usize,
    /// Events in the listing calendar (PROPFIND Depth 1).
    #[arg(long, default_value_t = 1_000)]
    listing_events: usize,
    /// Hrefs per calendar-multiget (at most `--events`).
    #[arg(long, default_value_t = 100)]
    multiget: usize,
    /// Measured seconds per cell.
    #[arg(long, default_value_t = 5.0)]
    duration_secs: f64,
    /// Warm-up seconds per cell.
    #[arg(long, default_value_t = 1.0)]
    warmup_secs: f64,
    /// Concurrent clients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    concurrency: Vec<usize>,
    /// Cases to run, comma-separated: sync, multiget, propfind, query.
    #[arg(long, value_delimiter = ',', default_value = "sync,multiget,propfind,query")]
    cases: Vec<String>,
    /// RNG seed of the generated data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// PUTs in flight while seeding.
    #[arg(long, default_value_t = 8)]
    seed_parallel: usize,
    /// Directory of iCalendar corpus files used as templates.
    #[arg(long)]
    corpus: Option<PathBuf>,
    /// Python interpreter with Radicale installed (default: $EASDAV_PYTHON or <repo>/.venv/bin/python).
    #[arg(long)]
    python: Option<PathBuf>,
    /// Also write the Markdown table here.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The time range of the query case (UTC).
const QUERY_FROM: (i16, i8) = (2026, 1);
const QUERY_TO: (i16, i8) = (2026, 2);

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    let result = match cli.cmd {
        Some(Cmd::ServeEasdav { listen, user }) => serve_easdav(&listen, &user).await,
        None => run(cli.run).await,
    };
    match result {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("dav-bench: {e}");
            std::process::exit(2);
        }
    }
}

async fn serve_easdav(listen: &str, user: &str) -> Result<bool, BenchError> {
    use std::io::Write as _;
    let (u, p) = user
        .split_once(':')
        .ok_or_else(|| BenchError::Usage("--user wants user:password".into()))?;
    let backend = Arc::new(dav_server::memory::MemoryBackend::new());
    backend.add_user(u, p);
    let io = |e: std::io::Error| BenchError::Io(listen.to_owned(), e);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io)?;
    println!("listening on {}", listener.local_addr().map_err(io)?);
    std::io::stdout().flush().map_err(io)?;
    dav_server::DavServer::new(backend, dav_server::DavConfig::default())
        .serve(listener)
        .await
        .map_err(io)?;
    Ok(true)
}

/// One target, seeded, with its ready-to-send cases.
struct Prepared {
    target: Target,
    cases: Vec<Case>,
}

async fn run(args: RunArgs) -> Result<bool, BenchError> {
    let corpus = args
        .corpus
        .clone()
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/ical"));
    let templates = data::Templates::load(&corpus)?;
    let big = data::generate(args.seed, "big", args.events, &templates);
    let listing = data::generate(args.seed, "listing", args.listing_events, &templates);
    let day = |(y, m): (i16, i8)| jiff::civil::date(y, m, 1).to_datetime(jiff::civil::Time::midnight());
    let expected = big.expected_in(day(QUERY_FROM), day(QUERY_TO));
    println!(
        "data: {} events ({} KiB) + {} listing events; query month expects {}..={} results",
        big.events.len(),
        big.events.iter().map(|e| e.body.len()).sum::<usize>() / 1024,
        listing.events.len(),
        expected.certain,
        expected.certain + expected.possible
    );

    let mut spawned: Vec<Spawned> = Vec::new();
    let mut targets = Vec::new();
    for b in args.builtin.iter().filter(|b| !b.is_empty()) {
        let s = match b.as_str() {
            "easdav" => target::spawn_easdav().await,
            "radicale" => target::spawn_radicale(&target::python(args.python.clone())).await,
            other => Err(BenchError::Usage(format!(
                "unknown built-in target {other:?} (easdav, radicale)"
            ))),
        };
        match s {
            Ok(s) => {
                targets.push(s.target.clone());
                spawned.push(s);
            }
            Err(e) => {
                stop_all(spawned).await;
                return Err(e);
            }
        }
    }
    for t in &args.target {
        targets.push(Target::parse(t)?);
    }
    if targets.is_empty() {
        return Err(BenchError::Usage("no targets (use --builtin and/or --target)".into()));
    }
    let result = bench(&args, &targets, &big, &listing, expected).await;
    stop_all(spawned).await;
    let (table, failed) = result?;
    let md = table.markdown();
    println!("\n{md}");
    if let Some(out) = &args.out {
        let text = format!(
            "<!-- dav-bench --events {} --listing-events {} --duration-secs {} --concurrency {:?} -->\n\n{md}",
            args.events, args.listing_events, args.duration_secs, args.concurrency
        );
        std::fs::write(out, text).map_err(|e| BenchError::Io(out.display().to_string(), e))?;
    }
    Ok(failed == 0)
}

async fn stop_all(spawned: Vec<Spawned>) {
    for s in spawned {
        s.stop().await;
    }
}

async fn bench(
    args: &RunArgs,
    targets: &[Target],
    big: &data::Calendar,
    listing: &data::Calendar,
    expected: data::Expected,
) -> Result<(Table, usize), BenchError> {
    let mut prepared = Vec::new();
    for t in targets {
        let started = Instant::now();
        let p = prepare(args, t, big, listing, expected).await?;
        println!(
            "{}: seeded and checked in {:.1} s",
            t.name,
            started.elapsed().as_secs_f64()
        );
        prepared.push(p);
    }
    let mut table = Table {
        targets: targets.iter().map(|t| t.name.clone()).collect(),
        baseline: targets.iter().position(|t| t.name == args.baseline),
        rows: Vec::new(),
    };
    let (mut validated, mut failed) = (0usize, 0usize);
    let cell_of = |clients| Cell {
        clients,
        warmup: Duration::from_secs_f64(args.warmup_secs.max(0.0)),
        duration: Duration::from_secs_f64(args.duration_secs.max(0.01)),
    };
    let n_cases = prepared.first().map_or(0, |p| p.cases.len());
    for ci in 0..n_cases {
        for &clients in &args.concurrency {
            let mut row = Row {
                case: "",
                clients,
                stats: Vec::new(),
            };
            // Targets take turns within a cell so drifting machine load hits them alike.
            for p in &prepared {
                let Some(case) = p.cases.get(ci) else { continue };
                row.case = case.name;
                let st = load::run(case, &p.target.auth(), cell_of(clients)).await?;
                println!(
                    "{:>9} c={:<3} {:<10} {:>9.1} req/s  p50 {:>8.2} ms  p99 {:>8.2} ms  n={} failed={}",
                    case.name, clients, p.target.name, st.rps, st.p50_ms, st.p99_ms, st.recorded, st.failed
                );
                if let Some(f) = &st.first_failure {
                    eprintln!("  first failure: {f}");
                }
                validated += st.validated;
                failed += st.failed;
                row.stats.push(st);
            }
            table.rows.push(row);
        }
    }
    println!("validated {validated} responses, {failed} failed");
    Ok((table, failed))
}

/// Discovers, seeds and pre-flights one target; returns the cases with their expected counts.
async fn prepare(
    args: &RunArgs,
    t: &Target,
    big: &data::Calendar,
    listing: &data::Calendar,
    expected: data::Expected,
) -> Result<Prepared, BenchError> {
    let setup = Setup::new(t)?;
    let home = setup.discover_home().await?;
    let big_coll = setup.seed(&home, "bench-big", big, args.seed_parallel).await?;
    let list_coll = setup.seed(&home, "bench-listing", listing, args.seed_parallel).await?;
    let (token, listed) = setup.initial_sync(&big_coll.url).await?;
    if listed != big.events.len() {
        return Err(BenchError::Setup(format!(
            "{}: initial sync-collection listed {listed} members, want {}",
            t.name,
            big.events.len()
        )));
    }
    let report = Method::from_bytes(b"REPORT").map_err(|e| BenchError::Usage(e.to_string()))?;
    let propfind = Method::from_bytes(b"PROPFIND").map_err(|e| BenchError::Usage(e.to_string()))?;
    let mut cases = Vec::new();
    for name in &args.cases {
        let case = match name.as_str() {
            "sync" => Case {
                name: "sync",
                method: report.clone(),
                url: big_coll.url.clone(),
                depth: None,
                body: target::sync_body(&xml_escape(&token)),
                status: 207,
                responses: 0,
            },
            "multiget" => {
                let n = args.multiget.min(big_coll.members.len()).max(1);
                let step = (big_coll.members.len() / n).max(1);
                let hrefs: String = big_coll
                    .members
                    .iter()
                    .step_by(step)
                    .take(n)
                    .map(|u| format!("<D:href>{}</D:href>", xml_escape(u.path())))
                    .collect();
                let count = big_coll.members.iter().step_by(step).take(n).count();
                Case {
                    name: "multiget",
                    method: report.clone(),
                    url: big_coll.url.clone(),
                    depth: Some("1"),
                    body: format!(
                        r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>{hrefs}</C:calendar-multiget>"#
                    ),
                    status: 207,
                    responses: count,
                }
            }
            "propfind" => Case {
                name: "propfind",
                method: propfind.clone(),
                url: list_coll.url.clone(),
                depth: Some("1"),
                body: r#"<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getetag/><D:getcontenttype/></D:prop></D:propfind>"#.to_owned(),
                status: 207,
                responses: listing.events.len() + 1,
            },
            "query" => Case {
                name: "query",
                method: report.clone(),
                url: big_coll.url.clone(),
                depth: Some("1"),
                body: format!(
                    r#"<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="{:04}{:02}01T000000Z" end="{:04}{:02}01T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#,
                    QUERY_FROM.0, QUERY_FROM.1, QUERY_TO.0, QUERY_TO.1
                ),
                status: 207,
                responses: 0, // set by the pre-flight below
            },
            other => return Err(BenchError::Usage(format!("unknown case {other:?} (sync, multiget, propfind, query)"))),
        };
        cases.push(case);
    }
    // Pre-flight: one request each; the query count must fall in the generator's bracket.
    let client = reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| BenchError::Http(t.name.clone(), e.to_string()))?;
    for case in &mut cases {
        if case.name == "query" {
            let (st, body) = setup
                .send("REPORT", &case.url, case.depth, case.body.clone(), "application/xml")
                .await?;
            let n = xml::count_responses(&body);
            if st != 207 || !expected.accepts(n) {
                return Err(BenchError::Setup(format!(
                    "{}: calendar-query answered {st} with {n} results, want {}..={}",
                    t.name,
                    expected.certain,
                    expected.certain + expected.possible
                )));
            }
            println!("{}: calendar-query for the month returns {n} resources", t.name);
            case.responses = n;
        }
        load::send(&client, case, &t.auth())
            .await
            .map_err(|e| BenchError::Setup(format!("{}: pre-flight {e}", t.name)))?;
    }
    Ok(Prepared {
        target: t.clone(),
        cases,
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
