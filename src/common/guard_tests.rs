//! Reads the sources and checks that every function Postgres can call runs under the guard.
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("source directory")
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The definitions of `extern "C"` and `extern "C-unwind"` functions in `source`: the
/// function's name and the text of its body after the opening brace.
fn extern_functions(source: &str) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    for marker in ["extern \"C-unwind\" fn ", "extern \"C\" fn "] {
        let mut from = 0;
        while let Some(offset) = source[from..].find(marker) {
            let start = from + offset + marker.len();
            from = start;
            let name: String = source[start..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            // The body starts at the first brace after the parameter list closes.
            let mut depth = 0usize;
            let mut body = None;
            for (index, character) in source[start..].char_indices() {
                match character {
                    '(' | '<' => depth += 1,
                    ')' | '>' if depth > 0 => depth -= 1,
                    '{' if depth == 0 => {
                        body = Some(&source[start + index + 1..]);
                        break;
                    }
                    ';' if depth == 0 => break, // a declaration, not a definition
                    _ => {}
                }
            }
            if let Some(body) = body {
                found.push((name, body));
            }
        }
    }
    found
}

/// The body with its leading whitespace and comment lines removed.
fn first_statement(body: &str) -> String {
    body.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Functions that return a static record and call nothing (the V1 info records, the module
/// magic), and `_PG_init`, which pgrx's `#[pg_guard]` wraps.
fn exempt(name: &str, body: &str) -> bool {
    let is_info_record = name.starts_with("pg_finfo")
        || name == "$finfo"
        || name.ends_with("_finfo")
        || name == "Pg_magic_func";
    is_info_record && first_statement(body).starts_with("const V1_API")
}

const GUARDS: [&str; 4] = [
    "$crate::common::guard::guard(",
    "crate::common::guard::guard(",
    "super::guard::guard(",
    "guard(",
];

#[test]
fn every_entry_point_is_guarded() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut checked = 0;
    let mut unguarded = Vec::new();
    for file in &files {
        if file.ends_with("common/guard_tests.rs") {
            continue;
        }
        let source = std::fs::read_to_string(file).expect("readable source");
        for (name, body) in extern_functions(&source) {
            checked += 1;
            if name == "_PG_init" {
                let before = &source[..source.find("fn _PG_init").expect("found above")];
                let attribute = before.trim_end().lines().rev().nth(1).unwrap_or("");
                if !attribute.contains("#[pg_guard]") {
                    unguarded.push(format!("{}: _PG_init without #[pg_guard]", file.display()));
                }
                continue;
            }
            if exempt(&name, body) {
                continue;
            }
            let statement = first_statement(body);
            if !GUARDS.iter().any(|guard| statement.starts_with(guard)) {
                unguarded.push(format!(
                    "{}: fn {name} does not start with the guard: {}",
                    file.display(),
                    statement.chars().take(80).collect::<String>()
                ));
            }
        }
    }
    assert!(
        checked >= 6,
        "found only {checked} entry points: is the scan broken?"
    );
    assert!(
        unguarded.is_empty(),
        "unguarded entry points:\n{}",
        unguarded.join("\n")
    );
}

#[test]
fn the_scan_finds_an_unguarded_function() {
    let source = r#"
        pub unsafe extern "C-unwind" fn bad(fcinfo: FunctionCallInfo) -> Datum {
            // a comment
            crate::common::interrupt::check();
            Datum::from(0)
        }
        pub unsafe extern "C-unwind" fn good(header: *mut Header<T>) -> Size {
            // SAFETY: a comment
            super::guard::guard(|| 0)
        }
        unsafe extern "C" { fn declared(x: i32) -> i32; }
    "#;
    let found = extern_functions(source);
    let names: Vec<&str> = found.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["bad", "good"]);
    assert!(first_statement(found[0].1).starts_with("crate::common::interrupt::check()"));
    assert!(first_statement(found[1].1).starts_with("super::guard::guard("));
}
