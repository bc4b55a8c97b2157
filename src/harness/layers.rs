//! The layering rule, checked on the sources: a family imports only from `common` (and itself),
//! and `common` imports no family.
use std::path::Path;

const FAMILIES: [&str; 8] = [
    "survey",
    "customers",
    "cohorts",
    "clv",
    "pipeline",
    "ratios",
    "revenue",
    "service",
];

/// Every `crate::<family>::` path in the `.rs` files under `dir`.
fn imported_families(dir: &Path, found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            imported_families(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).expect("readable source");
            for family in FAMILIES {
                if source.contains(&format!("crate::{family}::")) {
                    found.push(family.to_string());
                }
            }
        }
    }
}

#[test]
fn families_import_only_common() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut edges = Vec::new();
    for importer in FAMILIES.iter().copied().chain(["common"]) {
        let mut found = Vec::new();
        imported_families(&root.join(importer), &mut found);
        found.sort();
        found.dedup();
        for imported in found.into_iter().filter(|imported| imported != importer) {
            edges.push((importer.to_string(), imported));
        }
    }
    assert!(
        edges.is_empty(),
        "imports across families (or from common into a family): {edges:?}"
    );
}
