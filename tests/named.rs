//! Named-file runs (pre-commit, editors): the named files are checked with only the context
//! their rules need, proven through the files a run reports it read (`--timings -v`), never a
//! timing. See `src/named.rs` and `docs/ci.md`.

mod common;
use common::*;

/// The files a run read (`tollgate: read PATH` lines of `--timings -v`), sorted.
fn files_read(o: &std::process::Output) -> Vec<String> {
    let mut v: Vec<String> = stderr(o)
        .lines()
        .filter_map(|l| l.strip_prefix("tollgate: read "))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

/// The count `--timings` prints.
fn read_count(o: &std::process::Output) -> usize {
    stderr(o)
        .lines()
        .find_map(|l| l.strip_prefix("tollgate: files read: "))
        .and_then(|l| l.split(';').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no files-read line in\n{}", stderr(o)))
}

const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: NAME}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27\n";

/// A git repository with 100 manifests, two workflows and a configuration.
fn big_repo(name: &str) -> Scratch {
    let s = Scratch::new(name);
    git2::Repository::init(s.path()).unwrap();
    for i in 0..100 {
        s.write(
            &format!("deploy/svc{i}/app.yaml"),
            &MANIFEST.replace("NAME", &format!("svc{i}")),
        );
    }
    s.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
    );
    s.write(
        ".github/workflows/lint.yml",
        "on: push\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make lint\n        continue-on-error: true\n",
    );
    s.write(
        ".tollgate.yml",
        "rules:\n  k8s-resources: {severity: warning}\n",
    );
    s
}

#[test]
fn a_named_workflow_reads_the_workflow_and_the_config_only() {
    let s = big_repo("named-workflow");
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--timings",
            "-v",
            ".github/workflows/lint.yml",
        ],
    );
    assert_eq!(
        files_read(&o),
        vec![".github/workflows/lint.yml", ".tollgate.yml"],
        "{}",
        stderr(&o)
    );
    assert_eq!(read_count(&o), 2);
    let v = json(&o);
    let locs = locations(&v);
    assert_eq!(
        locs,
        vec![(
            "workflow-continue-on-error".into(),
            ".github/workflows/lint.yml".into(),
            7,
            9,
            7,
            32
        )],
        "{v}"
    );
    // The governance matrix needs every workflow: not run, and said so.
    assert_eq!(
        v["skipped_rules"],
        serde_json::json!(["workflow-governance-matrix"])
    );
    let o = run_in(s.path(), &["check", ".github/workflows/lint.yml"]);
    assert!(
        stdout(&o).contains("not run because files were named: workflow-governance-matrix"),
        "{}",
        stdout(&o)
    );
    // The whole repository runs it: a service runs in a governance mode, and no workflow has
    // the matrix.
    s.write(
        "compose.yaml",
        "services:\n  api:\n    image: api:1\n    environment: {GOVERNANCE_MODE: DEMO}\n    healthcheck: {test: [CMD, true]}\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--timings", "."]);
    let rules: Vec<String> = locations(&json(&o)).into_iter().map(|l| l.0).collect();
    assert!(
        rules.contains(&"workflow-governance-matrix".to_string()),
        "{rules:?}"
    );
    assert_eq!(json(&o)["skipped_rules"], serde_json::json!([]));
    assert!(read_count(&o) >= 103, "{}", stderr(&o));
}

#[test]
fn a_named_compose_file_reads_its_stack_and_its_rules_see_the_whole_stack() {
    let s = big_repo("named-compose");
    // The base file's service gets its healthcheck from the override; `db` comes from an
    // included file; another folder's stack is not read.
    s.write(
        "app/compose.yaml",
        "include:\n  - ../shared/db.yml\nservices:\n  api:\n    image: api:1.0\n    depends_on:\n      db: {condition: service_healthy}\n",
    );
    s.write(
        "app/compose.override.yaml",
        "services:\n  api:\n    healthcheck:\n      test: [CMD, curl, -f, http://localhost/]\n",
    );
    s.write(
        "app/docker-compose.test.yml",
        "services:\n  t:\n    image: t:1\n",
    );
    s.write(
        "shared/db.yml",
        "services:\n  db:\n    image: postgres:16\n    healthcheck:\n      test: [CMD, pg_isready]\n",
    );
    s.write("other/compose.yaml", "services:\n  x:\n    image: x:1\n");
    let o = run_in(
        s.path(),
        &["check", "-f", "json", "--timings", "-v", "app/compose.yaml"],
    );
    assert_eq!(
        files_read(&o),
        vec![
            ".tollgate.yml",
            "app/compose.override.yaml",
            "app/compose.yaml",
            "shared/db.yml"
        ],
        "{}",
        stderr(&o)
    );
    let v = json(&o);
    // The stack is whole: the compose rules ran and found the healthchecks in the override and
    // the included file. (The governance matrix reads compose files too, and needs them all.)
    assert_eq!(locations(&v), vec![], "{v}");
    assert_eq!(
        v["skipped_rules"],
        serde_json::json!(["workflow-governance-matrix"])
    );
    // Without the override's healthcheck, the named base file gets the finding.
    s.write(
        "app/compose.override.yaml",
        "services:\n  api:\n    environment: {A: b}\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json", "app/compose.yaml"]);
    let rules: Vec<(String, String)> = locations(&json(&o))
        .into_iter()
        .map(|l| (l.0, l.1))
        .collect();
    assert_eq!(
        rules,
        vec![("compose-healthcheck".into(), "app/compose.yaml".into())],
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_named_manifest_reads_the_kustomizations_above_it() {
    let s = big_repo("named-kustomize");
    s.write(
        "k/base/kustomization.yaml",
        "resources: [app.yaml]\npatches:\n  - path: replicas.yaml\n",
    );
    s.write("k/base/app.yaml", &MANIFEST.replace("NAME", "k"));
    // A patch: not a manifest, so not checked as one.
    s.write(
        "k/base/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: k}\nspec:\n  replicas: 3\n",
    );
    s.write("kustomization.yaml", "resources: [k/base]\n");
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--timings",
            "-v",
            "k/base/replicas.yaml",
        ],
    );
    assert_eq!(
        files_read(&o),
        vec![
            ".tollgate.yml",
            // Read as an input, then for its patch list.
            "k/base/kustomization.yaml",
            "k/base/kustomization.yaml",
            "k/base/replicas.yaml",
            "kustomization.yaml",
            "kustomization.yaml",
        ],
        "{}",
        stderr(&o)
    );
    assert_eq!(locations(&json(&o)), vec![], "{}", stdout(&o));
}

#[test]
fn a_named_file_outside_any_repository_reads_nothing_from_its_siblings() {
    let s = Scratch::new("named-norepo");
    s.write("app.yaml", &MANIFEST.replace("NAME", "a"));
    for i in 0..20 {
        s.write(
            &format!("sub{i}/m.yaml"),
            &MANIFEST.replace("NAME", &format!("m{i}")),
        );
        s.write(
            &format!("sub{i}/kustomization.yaml"),
            "resources: [m.yaml]\n",
        );
    }
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--timings",
            "-v",
            "--no-config",
            "app.yaml",
        ],
    );
    assert_eq!(files_read(&o), vec!["app.yaml"], "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["files"], 1);
    assert!(locations(&v).iter().all(|l| l.1 == "app.yaml"), "{v}");
}

#[test]
fn a_named_trivy_report_reads_the_repository_trivyignore() {
    let s = big_repo("named-trivy");
    let report = r#"{"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "container_image",
 "Results": [{"Target": "app", "Class": "os-pkgs", "Type": "debian",
  "Vulnerabilities": [{"VulnerabilityID": "CVE-2024-0001", "PkgName": "openssl",
   "InstalledVersion": "1.0", "Severity": "HIGH", "Title": "t"}]}]}
"#;
    s.write("reports/trivy-results.json", report);
    s.write(
        ".trivyignore",
        "# accepted: not reachable, see ADR-7\nCVE-2024-0001 exp:2099-01-01\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--timings",
            "-v",
            "reports/trivy-results.json",
        ],
    );
    assert_eq!(
        files_read(&o),
        vec![
            ".tollgate.yml",
            ".trivyignore",
            "reports/trivy-results.json"
        ],
        "{}",
        stderr(&o)
    );
    let v = json(&o);
    assert!(
        locations(&v).iter().all(|l| l.0 != "trivy-vulnerability"),
        "the ignore applies: {v}"
    );
}

#[test]
fn config_waivers_apply_to_named_files() {
    let s = big_repo("named-waiver");
    s.write(
        ".tollgate.yml",
        "waivers:\n  - rule: workflow-continue-on-error\n    path: .github/workflows/lint.yml\n    reason: flaky linter, tracked in OPS-1\n    expires: 2099-01-01\n  - rule: k8s-probes\n    reason: unused here\n",
    );
    let o = run_in(
        s.path(),
        &["check", "-f", "json", ".github/workflows/lint.yml"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let v = json(&o);
    assert_eq!(v["summary"]["findings"], 0, "{v}");
    assert_eq!(v["summary"]["suppressed"], 1, "{v}");
    // The second waiver may be used by files not named: no `waiver-unused` here.
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "waiver-unused"),
        "{v}"
    );
}
