//! Keeps the crate graph of docs/ARCHITECTURE.md true: every internal
//! dependency edge must be one the document allows. Adding an edge is a design
//! change; update the table there and here together.

use std::collections::BTreeMap;
use std::path::Path;

/// crate → internal crates it may depend on (normal dependencies).
const ALLOWED: &[(&str, &[&str])] = &[
    ("wbxml", &[]),
    ("eas-proto", &["wbxml"]),
    ("mapping", &["wbxml", "eas-proto"]),
    ("store", &[]),
    ("eas-client", &["wbxml", "eas-proto"]),
    (
        "sync-engine",
        &["store", "eas-client", "mapping", "eas-proto", "wbxml", "dav-server"],
    ),
    ("dav-proto", &[]),
    ("dav-server", &["dav-proto"]),
    ("eas-sim", &["wbxml", "eas-proto"]),
    ("dav-bench", &["dav-server", "dav-proto"]),
    (
        "easdav",
        &[
            "wbxml",
            "eas-proto",
            "mapping",
            "store",
            "eas-client",
            "sync-engine",
            "dav-proto",
            "dav-server",
            "eas-sim",
        ],
    ),
];

/// Crates that must stay free of I/O and async runtimes.
const PURE: &[&str] = &["wbxml", "eas-proto", "dav-proto", "mapping"];
const IO_CRATES: &[&str] = &["tokio", "hyper", "hyper-util", "reqwest", "rusqlite"];

fn manifests() -> BTreeMap<String, toml::Table> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&crates).expect("crates/ is readable") {
        let dir = entry.expect("directory entry").path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).expect("manifest is readable");
        let table: toml::Table = toml::from_str(&text).expect("manifest is valid TOML");
        let name = table["package"]["name"].as_str().expect("package name").to_owned();
        out.insert(name, table);
    }
    out
}

fn deps(t: &toml::Table) -> Vec<String> {
    t.get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn internal_dependencies_follow_the_architecture() {
    let all = manifests();
    let internal: Vec<&String> = all.keys().collect();
    assert!(all.len() >= 10, "expected the workspace crates, found {internal:?}");
    let mut violations = Vec::new();
    for (name, table) in &all {
        let allowed = ALLOWED.iter().find(|(n, _)| n == name).map(|(_, a)| *a);
        let Some(allowed) = allowed else {
            violations.push(format!(
                "{name}: not listed in docs/ARCHITECTURE.md's table (and this test)"
            ));
            continue;
        };
        for d in deps(table) {
            if all.contains_key(&d) && !allowed.contains(&d.as_str()) {
                violations.push(format!("{name} → {d} is not an allowed edge"));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn wire_and_mapping_crates_do_no_io() {
    let all = manifests();
    for name in PURE {
        let table = all.get(*name).unwrap_or_else(|| panic!("{name} exists"));
        for d in deps(table) {
            assert!(!IO_CRATES.contains(&d.as_str()), "{name} must not depend on {d}");
        }
    }
}

#[test]
fn simulator_shares_only_the_wire_crates() {
    let all = manifests();
    let sim = deps(&all["eas-sim"]);
    for forbidden in [
        "mapping",
        "store",
        "eas-client",
        "sync-engine",
        "dav-server",
        "dav-proto",
    ] {
        assert!(
            !sim.iter().any(|d| d == forbidden),
            "eas-sim must not depend on {forbidden}"
        );
    }
}
