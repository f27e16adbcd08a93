//! `tollgate baseline` and `tollgate check --baseline`: fingerprints that survive edits
//! elsewhere, inserted documents and reformatting; new findings reported at their location;
//! paid-off entries listed and pruned; bad baseline files as one error.

mod common;

use common::{json, locations, run_in, stderr, stdout, Scratch};
use serde_json::Value;

const API: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 1
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      securityContext: {runAsNonRoot: true}
      containers:
        - name: api
          image: ghcr.io/acme/api:1.8.0
          readinessProbe:
            httpGet: {path: /readyz, port: 8080}
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          resources:
            requests: {cpu: 250m, memory: 256Mi}
            limits: {memory: 512Mi}
";

const CONFIG_MAP: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  level: info
---
";

fn repo() -> Scratch {
    let s = Scratch::new(&format!(
        "baseline-{}",
        std::thread::current()
            .name()
            .unwrap_or("t")
            .replace("::", "-")
    ));
    s.write("deploy/api.yaml", API);
    s
}

fn check(s: &Scratch, extra: &[&str]) -> (std::process::Output, Value) {
    let mut args = vec![
        "check",
        "--format",
        "json",
        "--baseline",
        ".tollgate-baseline.json",
    ];
    args.extend_from_slice(extra);
    let o = run_in(s.path(), &args);
    let v = json(&o);
    (o, v)
}

fn write_baseline(s: &Scratch) -> String {
    let o = run_in(s.path(), &["baseline"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    std::fs::read_to_string(s.path().join(".tollgate-baseline.json")).unwrap()
}

#[test]
fn baseline_exits_0_and_writes_one_sorted_entry_a_line() {
    let s = repo();
    let before = run_in(s.path(), &["check", "--format", "json"]);
    assert_eq!(before.status.code(), Some(1), "{}", stdout(&before));
    let all = json(&before);
    let n = all["findings"].as_array().unwrap().len();
    assert!(n >= 1, "{all}");
    let o = run_in(s.path(), &["baseline"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains(&format!("with {n} entr")),
        "{}",
        stdout(&o)
    );
    let text = std::fs::read_to_string(s.path().join(".tollgate-baseline.json")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), n + 2, "{text}");
    let mut entries: Vec<&str> = lines[1..=n].to_vec();
    let sorted = {
        let mut e = entries.clone();
        e.sort();
        e
    };
    entries.dedup();
    assert_eq!(entries, sorted, "{text}");
    // The entries carry the JSON report's fingerprints.
    for f in all["findings"].as_array().unwrap() {
        let print = f["fingerprint"].as_str().unwrap();
        assert!(text.contains(print), "{print} not in {text}");
    }
    // Writing again gives the same file.
    assert_eq!(write_baseline(&s), text);
}

#[test]
fn check_with_the_baseline_is_clean_and_counts_what_it_left_out() {
    let s = repo();
    write_baseline(&s);
    let (o, v) = check(&s, &[]);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(v["findings"], Value::Array(Vec::new()));
    assert!(v["summary"]["pre_existing"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["summary"]["baseline_unmatched"], 0);
    assert_eq!(v["baseline"]["file"], ".tollgate-baseline.json");
    let human = run_in(
        s.path(),
        &["check", "--baseline", ".tollgate-baseline.json"],
    );
    assert_eq!(human.status.code(), Some(0));
    assert!(
        stdout(&human).contains("pre-existing left out (baseline)"),
        "{}",
        stdout(&human)
    );
    let md = run_in(
        s.path(),
        &[
            "check",
            "--format",
            "markdown",
            "--baseline",
            ".tollgate-baseline.json",
        ],
    );
    let junit = run_in(
        s.path(),
        &[
            "check",
            "--format",
            "junit",
            "--baseline",
            ".tollgate-baseline.json",
        ],
    );
    assert!(
        stdout(&junit).contains(&format!(
            "<!-- tollgate: {} pre-existing left out (baseline) -->",
            v["summary"]["pre_existing"]
        )),
        "{}",
        stdout(&junit)
    );
    assert!(
        stdout(&md).contains("pre-existing left out (baseline)"),
        "{}",
        stdout(&md)
    );
}

#[test]
fn the_baseline_survives_lines_and_documents_inserted_above_and_reformatting() {
    let s = repo();
    let original = json(&run_in(s.path(), &["check", "--format", "json"]));
    write_baseline(&s);
    // A document inserted before the Deployment, comments above the finding, and the
    // Deployment's flow mappings written as blocks.
    let edited = format!(
        "{CONFIG_MAP}# the API\n# (moved down)\n{}",
        API.replace(
            "    matchLabels: {app: api}",
            "    matchLabels:\n      app: api"
        )
        .replace(
            "      maxUnavailable: 1",
            "      # one at a time\n      maxUnavailable: 1"
        )
    );
    s.write("deploy/api.yaml", &edited);
    let moved = json(&run_in(s.path(), &["check", "--format", "json"]));
    assert_eq!(
        moved["findings"].as_array().unwrap().len(),
        original["findings"].as_array().unwrap().len()
    );
    // Lines moved, fingerprints did not.
    assert_ne!(locations(&moved), locations(&original));
    let prints = |v: &Value| -> Vec<String> {
        let mut p: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["fingerprint"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    assert_eq!(prints(&moved), prints(&original));
    let (o, v) = check(&s, &[]);
    assert_eq!(o.status.code(), Some(0), "{v}");
    assert_eq!(
        v["summary"]["pre_existing"], original["summary"]["findings"],
        "{v}"
    );
}

#[test]
fn new_findings_are_reported_at_their_place_and_paid_off_entries_listed_then_pruned() {
    let s = repo();
    write_baseline(&s);
    // Pay off the rollout finding; add a second Deployment with the same problem.
    let fixed = API.replace("maxUnavailable: 1", "maxUnavailable: 0");
    let second = API.replace("name: api\n", "name: worker\n");
    s.write("deploy/api.yaml", &format!("{fixed}---\n{second}"));
    let (o, v) = check(&s, &[]);
    assert_eq!(o.status.code(), Some(1), "{v}");
    let locs = locations(&v);
    assert!(!locs.is_empty(), "{v}");
    let fixed_lines = fixed.lines().count() as u64 + 1;
    // Every new finding is in the second document, at its own lines.
    for l in &locs {
        assert_eq!(l.1, "deploy/api.yaml");
        assert!(l.2 > fixed_lines, "{l:?} is in the first document");
    }
    let rollout = locs
        .iter()
        .find(|l| l.0 == "k8s-zero-downtime-rollout")
        .expect("the new Deployment's rollout finding");
    let line = fixed_lines + 11;
    assert_eq!(
        (rollout.2, rollout.3, rollout.4, rollout.5),
        (line, 7, line, 24),
        "{v}"
    );
    let unmatched = v["baseline"]["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{v}");
    assert_eq!(unmatched[0]["rule"], "k8s-zero-downtime-rollout");
    assert_eq!(unmatched[0]["file"], "deploy/api.yaml");
    assert_eq!(v["summary"]["baseline_unmatched"], 1);
    let human = run_in(
        s.path(),
        &["check", "--baseline", ".tollgate-baseline.json"],
    );
    assert!(
        stdout(&human).contains("1 baseline entry no longer matches anything"),
        "{}",
        stdout(&human)
    );
    // --prune drops the paid-off entry and adds none of the new findings.
    let before = std::fs::read_to_string(s.path().join(".tollgate-baseline.json")).unwrap();
    let o = run_in(s.path(), &["baseline", "--prune"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let after = std::fs::read_to_string(s.path().join(".tollgate-baseline.json")).unwrap();
    assert_eq!(after.lines().count(), before.lines().count() - 1, "{after}");
    assert!(!after.contains("k8s-zero-downtime-rollout"), "{after}");
    let (o, v) = check(&s, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(v["summary"]["baseline_unmatched"], 0, "{v}");
    assert_eq!(locations(&v), locs);
}

#[test]
fn sarif_partial_fingerprints_are_the_json_fingerprints() {
    let s = repo();
    let v = json(&run_in(s.path(), &["check", "--format", "json"]));
    let sarif = json(&run_in(s.path(), &["check", "--format", "sarif"]));
    let from_sarif: Vec<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["partialFingerprints"]["tollgate/v2"].as_str().unwrap())
        .collect();
    let from_json: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(from_sarif, from_json);
    write_baseline(&s);
    let sarif = json(&run_in(
        s.path(),
        &[
            "check",
            "--format",
            "sarif",
            "--baseline",
            ".tollgate-baseline.json",
        ],
    ));
    assert_eq!(
        sarif["runs"][0]["properties"]["preExisting"],
        from_json.len(),
        "{sarif}"
    );
}

#[test]
fn a_missing_or_invalid_baseline_is_one_error_and_hides_no_finding() {
    let s = repo();
    let all = json(&run_in(s.path(), &["check", "--format", "json"]));
    let o = run_in(
        s.path(),
        &["check", "--format", "json", "--baseline", "missing.json"],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["file"], "missing.json");
    assert_eq!(locations(&v), locations(&all));
    s.write(
        "bad.json",
        "{\"version\": 1, \"findings\": [\n  TOKEN-abc123]}",
    );
    let o = run_in(
        s.path(),
        &["check", "--format", "json", "--baseline", "bad.json"],
    );
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let e = &v["errors"][0];
    assert_eq!(
        (e["file"].as_str(), e["line"].as_u64()),
        (Some("bad.json"), Some(2)),
        "{v}"
    );
    assert!(!v.to_string().contains("TOKEN"), "{v}");
    assert_eq!(locations(&v), locations(&all));
    // --prune needs a baseline to prune.
    let o = run_in(s.path(), &["baseline", "--prune", "--output", "none.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("none.json"), "{}", stderr(&o));
}

#[test]
fn a_broken_configuration_writes_no_baseline() {
    let s = repo();
    s.write(".tollgate.yml", "select: [\n");
    let o = run_in(s.path(), &["baseline"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(!s.path().join(".tollgate-baseline.json").exists());
    assert!(stderr(&o).contains("not written"), "{}", stderr(&o));
}
