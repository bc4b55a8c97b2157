//! The layering rules, checked on the sources: a family imports only from `common` (and
//! itself), `common` imports no family, and the math (`state` files and the plain-Rust modules of
//! `common` they use) reaches neither pgrx nor the glue.
use std::path::Path;

/// The families: every directory under `src/` but `common`.
fn families() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut families: Vec<String> = std::fs::read_dir(root)
        .expect("source directory")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .filter_map(|path| Some(path.file_name()?.to_str()?.to_string()))
        .filter(|name| name != "common")
        .collect();
    families.sort();
    families
}

#[test]
fn every_family_is_found() {
    let families = families();
    for family in ["clv", "funnels", "survey", "survival"] {
        assert!(families.iter().any(|found| found == family), "{families:?}");
    }
}

/// Every `crate::<family>::` path in the `.rs` files under `dir`.
fn imported_families(dir: &Path, families: &[String], found: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("source directory") {
        let path = entry.expect("directory entry").path();
        if path.is_dir() {
            imported_families(&path, families, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let source = std::fs::read_to_string(&path).expect("readable source");
            for family in families {
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
    let families = families();
    for importer in families.iter().map(String::as_str).chain(["common"]) {
        let mut found = Vec::new();
        imported_families(&root.join(importer), &families, &mut found);
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

/// The `common` modules that are plain Rust (no pgrx, no glue): the math of the families may use
/// these and no other part of `common`.
const PURE_COMMON: [&str; 15] = [
    "civil",
    "codec",
    "error",
    "exact",
    "flat_state",
    "interrupt",
    "keys",
    "limits",
    "money",
    "periods",
    "shares",
    "sort",
    "stats",
    "test_zones",
    "tz",
];

/// The source without its comment lines (doc comments name glue modules freely).
fn code_of(source: &str) -> String {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The modules a path prefix such as `common::` is followed by: `common::tz::Zone` gives `tz`,
/// `common::{periods::Period, tz::Zone}` gives `periods` and `tz`.
fn modules_after<'a>(code: &'a str, prefix: &str) -> Vec<&'a str> {
    let identifier = |text: &'a str| {
        let text = text.trim_start();
        let end = text
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(text.len());
        &text[..end]
    };
    let mut found = Vec::new();
    for (at, _) in code.match_indices(prefix) {
        let rest = &code[at + prefix.len()..];
        match rest.strip_prefix('{') {
            Some(group) => {
                let group = &group[..group.find('}').unwrap_or(group.len())];
                found.extend(group.split(',').map(identifier));
            }
            None => found.push(identifier(rest)),
        }
    }
    found.retain(|module| !module.is_empty());
    found
}

/// What in the code of a plain-Rust file reaches Postgres: pgrx, a glue module of `common`
/// (any module not in [`PURE_COMMON`]), or a family's SQL surface. `in_common`: the file is
/// in `common`, where `super::` names a `common` module.
fn glue_uses(source: &str, in_common: bool) -> Vec<String> {
    let code = code_of(source);
    let mut found: Vec<String> = ["pgrx", "pg_sys", "sql::"]
        .into_iter()
        .filter(|word| code.contains(word))
        .map(str::to_owned)
        .collect();
    let mut modules = modules_after(&code, "common::");
    if in_common {
        modules.extend(modules_after(&code, "super::"));
    }
    found.extend(
        modules
            .into_iter()
            .filter(|module| !PURE_COMMON.contains(module))
            .map(|module| format!("common::{module}")),
    );
    found
}

/// The `.rs` files of the math of every family: `state.rs`, `state_*.rs` and everything under
/// `state/`.
fn state_files(root: &Path, files: &mut Vec<std::path::PathBuf>) {
    for family in families() {
        let folder = root.join(family);
        for entry in std::fs::read_dir(&folder).expect("family directory") {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            if path.is_dir() && name == "state" {
                for file in std::fs::read_dir(&path).expect("state directory") {
                    files.push(file.expect("directory entry").path());
                }
            } else if name == "state.rs" || (name.starts_with("state_") && name.ends_with(".rs")) {
                files.push(path);
            }
        }
    }
}

#[test]
fn the_math_is_plain_rust() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut checked = Vec::new();
    state_files(&root, &mut checked);
    assert!(checked.len() > families().len(), "state files: {checked:?}");
    let mut common = Vec::new();
    for module in PURE_COMMON {
        let file = root.join("common").join(format!("{module}.rs"));
        assert!(file.is_file(), "{} is missing", file.display());
        common.push(file);
        let tests = root.join("common").join(format!("{module}_tests.rs"));
        if tests.is_file() {
            common.push(tests);
        }
    }
    let mut offenders = Vec::new();
    for (files, in_common) in [(checked, false), (common, true)] {
        for file in files {
            let source = std::fs::read_to_string(&file).expect("readable source");
            let uses = glue_uses(&source, in_common);
            if !uses.is_empty() {
                offenders.push(format!("{}: {uses:?}", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "plain-Rust files that reach pgrx, a glue module or a SQL surface:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_scan_sees_glue() {
    let state = "use crate::common::{periods::Period, pg::OrRaise};\nuse pgrx::prelude::*;";
    assert_eq!(glue_uses(state, false), ["pgrx", "common::pg"]);
    assert_eq!(
        glue_uses("use super::flat::{self, FlatState};", true),
        ["common::flat"]
    );
    assert_eq!(glue_uses("use super::sql::summary;", false), ["sql::"]);
    let pure =
        "//! Uses [`super::pg`] only in a comment.\nuse crate::common::flat_state::FlatState;";
    assert!(glue_uses(pure, true).is_empty());
}
