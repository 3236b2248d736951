//! `src/tags.rs` must match the shared code-page table `eas-codepages.tsv`
//! exactly: same rows, same order, same names, and the file must be what
//! `scripts/gen_tags.py` generates from the table today.

use std::path::PathBuf;
use wbxml::{tags, Tag};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn tsv_path() -> PathBuf {
    manifest_dir().join("../../../shared/docs/eas-codepages.tsv")
}

fn read_tsv() -> String {
    let path = tsv_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the code-page table {} ({e}); the shared docs must sit beside the repository",
            path.display()
        )
    })
}

/// (page, namespace, token, name) rows of the TSV, header checked.
fn rows() -> Vec<(u8, String, u8, String)> {
    let text = read_tsv();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("page\tnamespace\ttoken_hex\ttag"),
        "unexpected TSV header"
    );
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad TSV row {l:?}");
            let page: u8 = f[0].parse().expect("page number");
            let tok = u8::from_str_radix(f[2].trim_start_matches("0x"), 16).expect("token hex");
            (page, f[1].to_owned(), tok, f[3].to_owned())
        })
        .collect()
}

#[test]
fn tags_match_tsv() {
    let rows = rows();
    assert_eq!(rows.len(), 652, "the table documents 652 rows");
    let mut from_tsv: Vec<(u8, u8, &str)> = rows.iter().map(|(p, _, t, n)| (*p, *t, n.as_str())).collect();
    from_tsv.sort();
    assert_eq!(tags::ALL, from_tsv.as_slice(), "tags::ALL differs from the TSV");
    for (page, ns, tok, name) in &rows {
        assert_eq!(tags::NAMESPACES[*page as usize], ns, "namespace of page {page}");
        let tag = Tag::new(*page, *tok);
        assert_eq!(tag.name(), Some(name.as_str()));
        assert_eq!(tag.namespace(), Some(ns.as_str()));
        assert_eq!(Tag::from_name(ns, name), Some(tag), "{ns}:{name}");
        assert!((0x05..=0x3F).contains(tok), "token {tok:#x} outside the tag range");
    }
    let pages: std::collections::BTreeSet<u8> = rows.iter().map(|r| r.0).collect();
    assert_eq!(pages.len(), tags::NAMESPACES.len());
    assert_eq!(pages.into_iter().collect::<Vec<_>>(), (0..26).collect::<Vec<u8>>());
}

#[test]
fn constants_spot_check() {
    // The named constants come from the same generator; check a few by hand
    // against MS-ASWBXML so a generator bug would show.
    assert_eq!(tags::airsync::SYNC, Tag::new(0, 0x05));
    assert_eq!(tags::folder_hierarchy::FOLDER_SYNC, Tag::new(7, 0x16));
    assert_eq!(tags::calendar::UID, Tag::new(4, 0x28));
    assert_eq!(tags::airsyncbase::INSTANCE_ID, Tag::new(17, 0x2D));
    assert_eq!(tags::find::PICTURE, Tag::new(25, 0x22));
}

#[test]
fn generated_file_is_current() {
    let script = manifest_dir().join("scripts/gen_tags.py");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(tsv_path())
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 {} ({e}); Python 3 is required", script.display()));
    assert!(
        out.status.success(),
        "gen_tags.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).expect("utf-8 output");
    let current = std::fs::read_to_string(manifest_dir().join("src/tags.rs")).expect("read src/tags.rs");
    assert!(
        generated == current,
        "src/tags.rs is stale: run `python3 scripts/gen_tags.py ../../../shared/docs/eas-codepages.tsv > src/tags.rs`"
    );
}
