//! Measured fidelity: how much of each iCalendar/vCard file survives the trip
//! through EAS and back, with and without the residue.
//!
//! Run: `cargo run -p mapping --example fidelity -- ../shared/corpus [-q]`
//!
//! For every `.ics` and `.vcf` under the given folder (recursively; files
//! under `invalid/` are skipped), the file is mapped to EAS
//! (`ical_to_eas` / `vcard_to_eas` at 16.1), sent through the real WBXML
//! encoder and decoder, and rendered back (`eas_to_ical` / `eas_to_vcard`)
//! twice: with an empty residue and with the residue the mapping returned.
//! Every content line of the input (BEGIN/END excluded) counts as one
//! property. A property is *preserved* when the output has a line of the
//! same name with the same value (text escapes undone, `mailto:`/`tel:`
//! dropped, dates compared by their digits); it is *verbatim* when the very
//! line (parameters included) is in the output. Files the mapping refuses
//! count as errors, with the error. `-q` prints totals only; `--show FILE`
//! prints both renderings of one file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mapping::{ItemClass, MapError, ProtocolVersion, Residue, ToEas, VcardVersion};

const V: ProtocolVersion = ProtocolVersion::V16_1;

fn unfold(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut qp = false;
    for raw in text.split('\n') {
        let raw = raw.trim_end_matches('\r');
        if (raw.starts_with(' ') || raw.starts_with('\t')) && !out.is_empty() {
            if let Some(l) = out.last_mut() {
                l.push_str(&raw[1..]);
            }
        } else if qp {
            if let Some(l) = out.last_mut() {
                l.pop();
                l.push_str(raw);
            }
        } else if !raw.is_empty() {
            out.push(raw.to_string());
        }
        qp = out
            .last()
            .is_some_and(|l| l.ends_with('=') && l.to_ascii_uppercase().contains("QUOTED-PRINTABLE"));
    }
    out.retain(|l| {
        let u = l.to_ascii_uppercase();
        !u.starts_with("BEGIN:") && !u.starts_with("END:")
    });
    out
}

/// (NAME, normalised value) of a content line.
fn key(line: &str) -> Option<(String, String)> {
    let mut in_q = false;
    let colon = line.char_indices().find(|&(_, c)| {
        if c == '"' {
            in_q = !in_q;
        }
        c == ':' && !in_q
    })?;
    let head = &line[..colon.0];
    let name = head.split(';').next()?.rsplit('.').next()?.to_ascii_uppercase();
    let raw = &line[colon.0 + 1..];
    let raw = if head.to_ascii_uppercase().contains("QUOTED-PRINTABLE") {
        decode_qp(raw)
    } else {
        raw.to_string()
    };
    let mut v = raw.replace("\\n", "\n").replace("\\N", "\n");
    v = v.replace("\\,", ",").replace("\\;", ";").replace("\\\\", "\\");
    let v = v.trim();
    // Addresses: the scheme and case do not matter.
    let lower = v.to_ascii_lowercase();
    let v = if matches!(name.as_str(), "ATTENDEE" | "ORGANIZER" | "EMAIL") {
        lower.strip_prefix("mailto:").unwrap_or(&lower)
    } else {
        v
    };
    let v = v.strip_prefix("tel:").unwrap_or(v);
    let is_date = matches!(
        name.as_str(),
        "BDAY" | "ANNIVERSARY" | "DTSTART" | "DTEND" | "DUE" | "RECURRENCE-ID"
    );
    // Structured values: trailing empty components carry nothing.
    let v = if matches!(name.as_str(), "N" | "ADR" | "ORG") {
        v.trim_end_matches(';')
    } else {
        v
    };
    let v = if is_date {
        v.chars().filter(char::is_ascii_alphanumeric).collect()
    } else {
        v.to_string()
    };
    Some((name, v))
}

fn decode_qp(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = |j: usize| b.get(j).and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'=', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).replace("\r\n", "\n")
}

/// Occurrences by property name.
type Tally = BTreeMap<String, usize>;

#[derive(Default, Clone, Copy)]
struct Count {
    props: usize,
    bare: usize,
    residue: usize,
    verbatim: usize,
}

/// Counts what of `input`'s lines `bare` and `with` keep; returns the lost ones.
fn compare(input: &str, bare: &str, with: &str) -> (Count, Vec<String>, Vec<String>) {
    let inp = unfold(input);
    let take = |out: &str| -> Vec<Option<(String, String)>> { unfold(out).iter().map(|l| key(l)).collect() };
    let mut c = Count::default();
    let (mut lost_bare, mut lost_with) = (Vec::new(), Vec::new());
    let mut pool_bare = take(bare);
    let mut pool_with = take(with);
    let mut pool_exact = unfold(with);
    for line in &inp {
        c.props += 1;
        let k = key(line);
        let hit = |pool: &mut Vec<Option<(String, String)>>| match pool.iter().position(|x| *x == k) {
            Some(i) => {
                pool.swap_remove(i);
                true
            }
            None => false,
        };
        if hit(&mut pool_bare) {
            c.bare += 1;
        } else {
            lost_bare.push(k.as_ref().map(|k| k.0.clone()).unwrap_or_else(|| line.clone()));
        }
        if hit(&mut pool_with) {
            c.residue += 1;
        } else {
            lost_with.push(line.chars().take(80).collect());
        }
        if let Some(i) = pool_exact.iter().position(|x| x == line) {
            pool_exact.swap_remove(i);
            c.verbatim += 1;
        }
    }
    (c, lost_bare, lost_with)
}

fn run(path: &Path, text: &str) -> Result<(String, String), MapError> {
    let is_vcf = path.extension().is_some_and(|e| e == "vcf");
    let (to, class): (ToEas, Option<ItemClass>) = if is_vcf {
        (mapping::vcard_to_eas(text, V)?, None)
    } else {
        let class = if text.contains("BEGIN:VTODO") && !text.contains("BEGIN:VEVENT") {
            ItemClass::Tasks
        } else {
            ItemClass::Calendar
        };
        (mapping::ical_to_eas(text, class, V)?, Some(class))
    };
    let data = wbxml::decode(&wbxml::encode(&to.application_data)).map_err(|e| MapError::BadEas(e.to_string()))?;
    let empty = Residue::default();
    match class {
        None => {
            let out = if text.contains("VERSION:4.0") {
                VcardVersion::V4
            } else {
                VcardVersion::V3
            };
            Ok((
                mapping::eas_to_vcard(&data, V, &empty, out)?,
                mapping::eas_to_vcard(&data, V, &to.residue, out)?,
            ))
        }
        Some(class) => Ok((
            mapping::eas_to_ical(&data, class, V, &empty)?,
            mapping::eas_to_ical(&data, class, V, &to.residue)?,
        )),
    }
}

/// Splits a file holding several top-level objects (test suites concatenate
/// them) into one text per object, as a DAV client would PUT them.
fn split_objects(text: &str, top: &str) -> Vec<String> {
    let begin = format!("BEGIN:{top}");
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in text.split_inclusive('\n') {
        if line.trim_end().eq_ignore_ascii_case(&begin) && !cur.trim().is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        cur.push_str(line);
    }
    if !cur.trim().is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "invalid") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "ics" || x == "vcf") {
            out.push(p);
        }
    }
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

fn main() {
    let root = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "../shared/corpus".into()));
    let quiet = std::env::args().any(|a| a == "-q");
    if let Some(i) = std::env::args().position(|a| a == "--show") {
        // Print both renderings of one file.
        let p = PathBuf::from(std::env::args().nth(i + 1).unwrap_or_default());
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap_or_default()).into_owned();
        match run(&p, &text) {
            Ok((bare, with)) => println!("--- without residue\n{bare}\n--- with residue\n{with}"),
            Err(e) => println!("error: {e}"),
        }
        return;
    }
    let mut paths = Vec::new();
    walk(&root, &mut paths);
    paths.sort();
    // Per kind: files, mapped, errors, counts; lost property names.
    let mut totals: BTreeMap<&str, (usize, usize, Count)> = BTreeMap::new();
    let mut errors: BTreeMap<&str, BTreeMap<String, usize>> = BTreeMap::new();
    let mut lost_names: BTreeMap<&str, (Tally, Tally)> = BTreeMap::new();
    for p in &paths {
        let kind = if p.extension().is_some_and(|e| e == "vcf") {
            "vCard"
        } else {
            "iCalendar"
        };
        let whole = String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
        let objects = split_objects(&whole, if kind == "vCard" { "VCARD" } else { "VCALENDAR" });
        let many = objects.len() > 1;
        for (n, text) in objects.iter().enumerate() {
            let text = text.as_str();
            let base = p.strip_prefix(&root).unwrap_or(p).display().to_string();
            let rel = if many { format!("{base}#{}", n + 1) } else { base };
            let t = totals.entry(kind).or_default();
            t.0 += 1;
            let result = std::panic::catch_unwind(|| run(p, text));
            match result {
                Ok(Ok((bare, with))) => {
                    t.1 += 1;
                    let (c, lb, lw) = compare(text, &bare, &with);
                    t.2.props += c.props;
                    t.2.bare += c.bare;
                    t.2.residue += c.residue;
                    t.2.verbatim += c.verbatim;
                    let ln = lost_names.entry(kind).or_default();
                    for n in &lb {
                        *ln.0.entry(n.clone()).or_default() += 1;
                    }
                    for l in &lw {
                        let n = key(l).map(|k| k.0).unwrap_or_else(|| l.clone());
                        *ln.1.entry(n).or_default() += 1;
                    }
                    if !quiet {
                        println!(
                            "{rel}: {} props; without residue {} ({}); with residue {} ({}), verbatim {}",
                            c.props,
                            c.bare,
                            pct(c.bare, c.props),
                            c.residue,
                            pct(c.residue, c.props),
                            pct(c.verbatim, c.props)
                        );
                        if !lb.is_empty() {
                            let mut names = lb.clone();
                            names.sort();
                            names.dedup();
                            println!("    lost without residue: {}", names.join(", "));
                        }
                        for l in &lw {
                            println!("    LOST with residue: {l}");
                        }
                    }
                }
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    let short: String = msg.chars().take(70).collect();
                    *errors.entry(kind).or_default().entry(short).or_default() += 1;
                    if !quiet {
                        println!("{rel}: ERROR {msg}");
                    }
                }
                Err(_) => {
                    *errors.entry(kind).or_default().entry("PANIC".into()).or_default() += 1;
                    println!("{rel}: PANIC");
                }
            }
        }
    }
    println!();
    println!("| kind | objects | mapped | errors | properties | preserved without residue | preserved with residue | verbatim with residue |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut all = (0, 0, Count::default());
    for (kind, (files, mapped, c)) in &totals {
        println!(
            "| {kind} | {files} | {mapped} | {} | {} | {} ({}) | {} ({}) | {} ({}) |",
            files - mapped,
            c.props,
            c.bare,
            pct(c.bare, c.props),
            c.residue,
            pct(c.residue, c.props),
            c.verbatim,
            pct(c.verbatim, c.props)
        );
        all.0 += files;
        all.1 += mapped;
        all.2.props += c.props;
        all.2.bare += c.bare;
        all.2.residue += c.residue;
        all.2.verbatim += c.verbatim;
    }
    let c = all.2;
    println!(
        "| total | {} | {} | {} | {} | {} ({}) | {} ({}) | {} ({}) |",
        all.0,
        all.1,
        all.0 - all.1,
        c.props,
        c.bare,
        pct(c.bare, c.props),
        c.residue,
        pct(c.residue, c.props),
        c.verbatim,
        pct(c.verbatim, c.props)
    );
    for (kind, (bare, with)) in &lost_names {
        let mut v: Vec<(&String, &usize)> = bare.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1));
        let list: Vec<String> = v.iter().take(25).map(|(n, k)| format!("{n} {k}")).collect();
        println!(
            "\n{kind}: lost without residue (what EAS cannot carry), by property: {}",
            list.join(", ")
        );
        let list: Vec<String> = with.iter().map(|(n, k)| format!("{n} {k}")).collect();
        println!(
            "{kind}: lost even with residue: {}",
            if list.is_empty() {
                "nothing".into()
            } else {
                list.join(", ")
            }
        );
    }
    for (kind, errs) in &errors {
        println!("\n{kind} errors:");
        for (e, n) in errs {
            println!("  {n} × {e}");
        }
    }
}
