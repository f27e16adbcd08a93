//! Robustness over real-world files nobody on this project wrote (`../shared/corpus`): no panic,
//! no policy error, and a located `parse-error` for every file that does not parse. Under
//! `CI=true` a missing corpus fails the test.

mod common;
use common::*;
use std::path::PathBuf;

fn corpus() -> Option<PathBuf> {
    let p = std::env::var_os("TOLLGATE_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/corpus"));
    if p.is_dir() {
        return Some(p);
    }
    if shared_required() {
        panic!("the corpus is required in CI: {} not found", p.display());
    }
    eprintln!("skipped: no corpus at {}", p.display());
    None
}

#[test]
fn the_whole_corpus_is_checked_without_panic_or_error() {
    let Some(dir) = corpus() else { return };
    let o = run_in(&dir, &["check", "-f", "json", "--today", "2026-11-26"]);
    let err = stderr(&o);
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "exit {:?}\n{err}",
        o.status.code()
    );
    let v = json(&o);
    assert_eq!(v["errors"], serde_json::json!([]), "policy or read errors");
    assert!(
        v["summary"]["files"].as_u64().unwrap() > 500,
        "{}",
        v["summary"]
    );
    let parse: Vec<(String, u64, u64)> = locations(&v)
        .into_iter()
        .filter(|l| l.0 == "parse-error")
        .map(|l| (l.1, l.2, l.3))
        .collect();
    for (file, line, col) in &parse {
        assert!(dir.join(file).is_file(), "{file}");
        assert!(*line >= 1 && *col >= 1, "{file}:{line}:{col}");
    }
    // Files known to be broken upstream, at the place their own tools report.
    for (file, line, col) in [
        ("actionlint/testdata/examples/broken_yaml.yaml", 6, 17),
        ("actionlint/testdata/err/duplicate_keys.yaml", 12, 5),
        (
            "coverage-reporter/spec/fixtures/cobertura/cobertura.xml",
            781,
            21,
        ),
        ("coverage-reporter/spec/fixtures/lcov/empty.lcov", 1, 1),
    ] {
        assert!(
            parse
                .iter()
                .any(|p| p.0 == file && p.1 == line && p.2 == col),
            "no parse-error at {file}:{line}:{col}; got {parse:?}"
        );
    }
    // Every Trivy report of the corpus was recognised and loaded: none is a parse error.
    assert!(
        !parse.iter().any(|p| p.0.starts_with("real-trivy-reports/")),
        "{parse:?}"
    );
}

#[test]
fn every_corpus_file_named_explicitly_loads_or_is_located() {
    let Some(dir) = corpus() else { return };
    // Explicit arguments load files of no known kind as generic YAML/JSON: every YAML and JSON
    // file of the corpus then either loads or is a located parse-error.
    let mut files = Vec::new();
    for e in ignore::WalkBuilder::new(&dir)
        .standard_filters(false)
        .build()
        .flatten()
    {
        let p = e.path();
        if p.extension()
            .is_some_and(|x| x == "yaml" || x == "yml" || x == "json")
        {
            // Files with nothing but comments hold no document: nothing to load.
            let text = std::fs::read(p).unwrap_or_default();
            let text = String::from_utf8_lossy(&text);
            if text
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            {
                continue;
            }
            files.push(p.strip_prefix(&dir).unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(files.len() > 300);
    // Files a kustomization lists as patches are partial objects: not checked, not counted.
    let mut patches = std::collections::BTreeSet::new();
    for f in files.iter().filter(|f| f.ends_with("/kustomization.yaml")) {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_default();
        let folder = f.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for p in tollgate::source::kustomize::patch_paths(&text) {
            patches.extend(tollgate::source::compose::resolve(folder, &p));
        }
    }
    let mut args = vec!["check", "--no-builtin", "-f", "json"];
    args.extend(files.iter().map(String::as_str));
    let o = run_in(&dir, &args);
    assert!(!stderr(&o).contains("panicked"));
    let v = json(&o);
    let loaded = v["summary"]["files"].as_u64().unwrap() as usize;
    let expected = files.iter().filter(|f| !patches.contains(*f)).count();
    assert_eq!(loaded, expected, "every named file is loaded or reported");
}
