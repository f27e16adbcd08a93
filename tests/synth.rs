//! The benchmark's synthetic repository is what it says: tollgate finds exactly the planted
//! violations in it, and nothing else (so that its figures measure a realistic, clean-ish
//! repository, and a change of findings on it is noticed).

mod common;
use common::*;

#[path = "common/synth.rs"]
mod synth;

#[test]
fn the_synthetic_repository_has_exactly_its_planted_findings() {
    let s = Scratch::new("synth");
    let made = synth::generate(s.path(), 300);
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--fail-on",
            "never",
            "--today",
            "2026-06-01",
        ],
    );
    let v = json(&o);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v:#}");
    let mut found: std::collections::BTreeMap<String, usize> = Default::default();
    for f in v["findings"].as_array().unwrap() {
        *found
            .entry(f["rule"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let want: std::collections::BTreeMap<String, usize> = made
        .expected
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.to_string(), *n))
        .collect();
    assert_eq!(found, want);
    assert_eq!(
        v["summary"]["documents"], made.documents,
        "{:#}",
        v["summary"]
    );
}
