//! Parser decision by measurement: `calcard` vs `icalendar` (iCalendar) and
//! `calcard` vs `vcard_parser` (vCard) over every file of the shared corpus.
//!
//! Run: `cargo run -p mapping --example parser_eval -- ../shared/corpus`
//!
//! For each parser and file it records whether the file parsed (at least one
//! object, no error), whether a file under `invalid/` was rejected, and how
//! many content lines, parameters and (name, value) pairs of the input survive
//! a parse → write round trip. The counts use a parser-independent line
//! splitter (unfold, split name/params/value) applied to the input and to the
//! written output, compared as multisets. Speed is parse + write of every
//! valid file, repeated, in the same process.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// One content line, split without any parser.
struct Line {
    name: String,
    params: Vec<String>,
    value: String,
}

fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if (raw.starts_with(' ') || raw.starts_with('\t')) && !out.is_empty() {
            if let Some(last) = out.last_mut() {
                last.push_str(&raw[1..]);
            }
        } else if !raw.is_empty() {
            out.push(raw.to_string());
        }
    }
    out
}

fn split_line(line: &str) -> Option<Line> {
    // Find the first ':' outside double quotes.
    let mut in_q = false;
    let mut colon = None;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_q = !in_q,
            ':' if !in_q => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let head = &line[..colon];
    let value = line[colon + 1..].to_string();
    let mut parts = head.split(';');
    let name = parts.next()?.to_ascii_uppercase();
    let name = name.rsplit('.').next().unwrap_or(&name).to_string();
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, _)) => k.to_ascii_uppercase(),
            // vCard 2.1 bare parameters (`TEL;WORK;VOICE`) are TYPE values.
            None => "TYPE".to_string(),
        })
        .collect();
    Some(Line { name, params, value })
}

#[derive(Default, Clone, Copy)]
struct Counts {
    props: usize,
    params: usize,
    values: usize,
}

fn multiset<T: std::hash::Hash + Eq>(it: impl Iterator<Item = T>) -> HashMap<T, usize> {
    let mut m = HashMap::new();
    for x in it {
        *m.entry(x).or_insert(0) += 1;
    }
    m
}

fn overlap<T: std::hash::Hash + Eq>(a: &HashMap<T, usize>, b: &HashMap<T, usize>) -> usize {
    a.iter().map(|(k, n)| (*n).min(b.get(k).copied().unwrap_or(0))).sum()
}

fn is_frame(name: &str) -> bool {
    matches!(name, "BEGIN" | "END")
}

/// Counts of `input` lines, and how many of them `output` preserves.
fn preserved(input: &str, output: &str) -> (Counts, Counts) {
    let a: Vec<Line> = unfold(input)
        .iter()
        .filter_map(|l| split_line(l))
        .filter(|l| !is_frame(&l.name))
        .collect();
    let b: Vec<Line> = unfold(output)
        .iter()
        .filter_map(|l| split_line(l))
        .filter(|l| !is_frame(&l.name))
        .collect();
    let names = |v: &[Line]| multiset(v.iter().map(|l| l.name.clone()));
    let params = |v: &[Line]| {
        multiset(
            v.iter()
                .flat_map(|l| l.params.iter().map(move |p| (l.name.clone(), p.clone()))),
        )
    };
    let values = |v: &[Line]| multiset(v.iter().map(|l| (l.name.clone(), l.value.clone())));
    let total = Counts {
        props: a.len(),
        params: a.iter().map(|l| l.params.len()).sum(),
        values: a.len(),
    };
    let kept = Counts {
        props: overlap(&names(&a), &names(&b)),
        params: overlap(&params(&a), &params(&b)),
        values: overlap(&values(&a), &values(&b)),
    };
    (total, kept)
}

/// A parser under test: parse the whole text, write it back; `Err` if rejected.
type RoundTrip = fn(&str) -> Result<String, String>;

fn calcard_rt(text: &str) -> Result<String, String> {
    calcard_rt_with(calcard::Parser::new(text))
}

fn calcard_strict_rt(text: &str) -> Result<String, String> {
    calcard_rt_with(calcard::Parser::new(text).strict())
}

fn calcard_rt_with(mut p: calcard::Parser<'_>) -> Result<String, String> {
    let mut out = String::new();
    let mut n = 0;
    loop {
        match p.entry() {
            calcard::Entry::VCard(v) => out.push_str(&v.to_string()),
            calcard::Entry::ICalendar(c) => out.push_str(&c.to_string()),
            calcard::Entry::Eof => break,
            other => return Err(format!("{other:?}")),
        }
        n += 1;
        if n > 10_000 {
            return Err("too many objects".into());
        }
    }
    if n == 0 {
        return Err("no object".into());
    }
    Ok(out)
}

/// The contact mapping's own round trip (content-line layer + residue), for
/// comparison: one vCard per resource, so multi-card files count as rejected.
fn easdav_rt(text: &str) -> Result<String, String> {
    let v = mapping::ProtocolVersion::V16_1;
    let r = mapping::vcard_to_eas(text, v).map_err(|e| e.to_string())?;
    let out = if text.contains("VERSION:4.0") {
        mapping::VcardVersion::V4
    } else {
        mapping::VcardVersion::V3
    };
    mapping::eas_to_vcard(&r.application_data, v, &r.residue, out).map_err(|e| e.to_string())
}

fn icalendar_rt(text: &str) -> Result<String, String> {
    let cal: icalendar::Calendar = text.parse()?;
    if cal.components.is_empty() && cal.properties.is_empty() {
        return Err("no object".into());
    }
    Ok(cal.to_string())
}

fn vcard_parser_rt(text: &str) -> Result<String, String> {
    let cards = vcard_parser::parse_vcards(text).map_err(|e| e.to_string())?;
    if cards.is_empty() {
        return Err("no object".into());
    }
    Ok(cards.iter().map(|c| c.export()).collect())
}

#[derive(Default)]
struct Tally {
    valid_files: usize,
    parsed: usize,
    invalid_files: usize,
    rejected: usize,
    total: Counts,
    kept: Counts,
    bytes: usize,
    panics: usize,
}

fn run(parser: RoundTrip, valid: &[(PathBuf, String)], invalid: &[(PathBuf, String)], verbose: bool) -> Tally {
    let mut t = Tally::default();
    for (path, text) in valid {
        t.valid_files += 1;
        match std::panic::catch_unwind(|| parser(text)) {
            Ok(Ok(out)) => {
                t.parsed += 1;
                t.bytes += text.len();
                let (total, kept) = preserved(text, &out);
                t.total.props += total.props;
                t.total.params += total.params;
                t.total.values += total.values;
                t.kept.props += kept.props;
                t.kept.params += kept.params;
                t.kept.values += kept.values;
            }
            Ok(Err(e)) => {
                if verbose {
                    println!(
                        "    not parsed: {} ({})",
                        path.display(),
                        e.lines().next().unwrap_or("")
                    );
                }
            }
            Err(_) => {
                t.panics += 1;
                println!("    PANIC: {}", path.display());
            }
        }
    }
    for (path, text) in invalid {
        t.invalid_files += 1;
        match std::panic::catch_unwind(|| parser(text)) {
            Ok(Err(_)) => t.rejected += 1,
            Ok(Ok(_)) => {
                if verbose {
                    println!("    accepted invalid: {}", path.display());
                }
            }
            Err(_) => {
                t.panics += 1;
                t.rejected += 1;
                println!("    PANIC (counted as rejected): {}", path.display());
            }
        }
    }
    t
}

fn speed(parser: RoundTrip, valid: &[(PathBuf, String)]) -> (f64, f64) {
    let ok: Vec<&String> = valid.iter().map(|(_, t)| t).filter(|t| parser(t).is_ok()).collect();
    let bytes: usize = ok.iter().map(|t| t.len()).sum();
    let start = Instant::now();
    let mut files = 0usize;
    let mut rounds = 0usize;
    while start.elapsed().as_secs_f64() < 1.0 && rounds < 1000 {
        for t in &ok {
            let _ = std::hint::black_box(parser(t));
            files += 1;
        }
        rounds += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    (files as f64 / secs, (bytes * rounds) as f64 / secs / 1e6)
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

fn report(name: &str, t: &Tally, sp: (f64, f64)) {
    println!(
        "| {name} | {}/{} | {}/{} | {} ({}/{}) | {} ({}/{}) | {} ({}/{}) | {:.0} files/s, {:.2} MB/s | {} |",
        t.parsed,
        t.valid_files,
        t.rejected,
        t.invalid_files,
        pct(t.kept.props, t.total.props),
        t.kept.props,
        t.total.props,
        pct(t.kept.params, t.total.params),
        t.kept.params,
        t.total.params,
        pct(t.kept.values, t.total.values),
        t.kept.values,
        t.total.values,
        sp.0,
        sp.1,
        t.panics
    );
}

fn read_dir(dir: &Path, exts: &[&str]) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return out };
    let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
        if exts.contains(&ext) {
            // Non-UTF-8 files count as unparsed text for every parser alike.
            let text = std::fs::read(&p)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            out.push((p, text));
        }
    }
    out
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    if let Some(i) = std::env::args().position(|a| a == "--show") {
        // Print each parser's round trip of one file, to see what changes.
        let path = std::env::args().nth(i + 1).unwrap_or_default();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (name, p) in [
            ("calcard", calcard_rt as RoundTrip),
            ("icalendar", icalendar_rt),
            ("vcard_parser", vcard_parser_rt),
        ] {
            println!("--- {name}\n{}", p(&text).unwrap_or_else(|e| format!("error: {e}")));
        }
        return;
    }
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "../shared/corpus".into()));
    let verbose = std::env::args().any(|a| a == "-v");
    let mut ical = read_dir(&root.join("ical"), &["ics"]);
    ical.extend(read_dir(&root.join("eas/paired"), &["ics"]));
    let ical_bad = read_dir(&root.join("invalid/ical"), &["ics", "vcs", "txt"]);
    let mut vcard = read_dir(&root.join("vcard"), &["vcf"]);
    vcard.extend(read_dir(&root.join("eas/paired"), &["vcf"]));
    let vcard_bad = read_dir(&root.join("invalid/vcard"), &["vcf"]);

    println!(
        "iCalendar: {} valid files, {} invalid files",
        ical.len(),
        ical_bad.len()
    );
    println!("| parser | parsed | invalid rejected | properties kept | parameters kept | values kept verbatim | speed (parse+write) | panics |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, p) in [
        ("calcard 0.3", calcard_rt as RoundTrip),
        ("calcard 0.3 strict", calcard_strict_rt),
        ("icalendar 0.17", icalendar_rt),
    ] {
        if verbose {
            println!("  {name}:");
        }
        let t = run(p, &ical, &ical_bad, verbose);
        report(name, &t, speed(p, &ical));
    }
    println!();
    println!("vCard: {} valid files, {} invalid files", vcard.len(), vcard_bad.len());
    println!("| parser | parsed | invalid rejected | properties kept | parameters kept | values kept verbatim | speed (parse+write) | panics |");
    println!("|---|---|---|---|---|---|---|---|");
    for (name, p) in [
        ("calcard 0.3", calcard_rt as RoundTrip),
        ("calcard 0.3 strict", calcard_strict_rt),
        ("vcard_parser 0.2", vcard_parser_rt),
        ("easdav contact mapping + residue", easdav_rt),
    ] {
        if verbose {
            println!("  {name}:");
        }
        let t = run(p, &vcard, &vcard_bad, verbose);
        report(name, &t, speed(p, &vcard));
    }
}
