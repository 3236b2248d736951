//! Decode and encode throughput over the shared corpus's EAS samples.
//!
//! Every XML sample is parsed with `from_xml` and encoded once; the
//! benchmarks then decode the WBXML bytes and encode the trees. Baselines in
//! the same run, for ratios: a plain `to_vec` of the same WBXML bytes, and
//! quick-xml walking the events of the XML text (the cheapest XML parse),
//! next to our `from_xml` of it. Throughput is bytes of WBXML for the codec
//! group and bytes of XML text for the xml group.
//!
//! Run: `cargo bench -p wbxml -- --warm-up-time 1 --measurement-time 3`.

use std::hint::black_box;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wbxml::{decode, encode, from_xml, Element};

struct Samples {
    xml: Vec<String>,
    trees: Vec<Element>,
    wbxml: Vec<Vec<u8>>,
}

fn samples() -> Samples {
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/eas");
    let mut xml = Vec::new();
    for dir in [base.clone(), base.join("paired")] {
        let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus folder {} missing: {e}", dir.display()));
        let mut paths: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths.into_iter().filter(|p| p.extension().is_some_and(|x| x == "xml")) {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            // One fixture misspells its root element; it is not EAS XML.
            if from_xml(&text).is_ok() {
                xml.push(text);
            }
        }
    }
    let trees: Vec<Element> = xml.iter().map(|t| from_xml(t).expect("parsed above")).collect();
    let wbxml = trees.iter().map(encode).collect();
    Samples { xml, trees, wbxml }
}

fn codec(c: &mut Criterion) {
    let s = samples();
    let wbxml_bytes: usize = s.wbxml.iter().map(Vec::len).sum();
    let xml_bytes: usize = s.xml.iter().map(String::len).sum();
    eprintln!(
        "{} samples: {wbxml_bytes} bytes of WBXML, {xml_bytes} bytes of XML text",
        s.wbxml.len()
    );

    let mut g = c.benchmark_group("codec");
    g.throughput(Throughput::Bytes(wbxml_bytes as u64));
    g.bench_function("decode", |b| {
        b.iter(|| {
            for doc in &s.wbxml {
                black_box(decode(black_box(doc)).expect("decodes"));
            }
        })
    });
    g.bench_function("encode", |b| {
        b.iter(|| {
            for t in &s.trees {
                black_box(encode(black_box(t)));
            }
        })
    });
    g.bench_function("baseline_to_vec", |b| {
        b.iter(|| {
            for doc in &s.wbxml {
                black_box(black_box(doc.as_slice()).to_vec());
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("xml");
    g.throughput(Throughput::Bytes(xml_bytes as u64));
    g.bench_function("baseline_quick_xml_events", |b| {
        b.iter(|| {
            for text in &s.xml {
                let mut r = quick_xml::Reader::from_str(black_box(text));
                let mut n = 0usize;
                loop {
                    match r.read_event() {
                        Ok(quick_xml::events::Event::Eof) => break,
                        Ok(e) => {
                            n += 1;
                            black_box(e);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                black_box(n);
            }
        })
    });
    g.bench_function("from_xml", |b| {
        b.iter(|| {
            for text in &s.xml {
                black_box(from_xml(black_box(text)).expect("parses"));
            }
        })
    });
    g.finish();
}

criterion_group!(benches, codec);
criterion_main!(benches);
