//! `.tollgate.yml`, waivers, and team policies with conftest's conventions.

mod common;
use common::*;
use serde_json::Value;

const DEPLOY: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: nginx:latest
";

const LCOV_60: &str = "SF:src/a.ts\nDA:1,1\nDA:2,1\nDA:3,1\nDA:4,0\nDA:5,0\nend_of_record\n";

fn check(dir: &std::path::Path, extra: &[&str]) -> (Option<i32>, Value) {
    let mut args = vec!["check", "-f", "json", "--today", "2026-11-26"];
    args.extend(extra);
    let o = run_in(dir, &args);
    (o.status.code(), json(&o))
}

fn rules_of(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f.get("suppressed").is_none())
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    r.dedup();
    r
}

#[test]
fn config_errors_are_located_and_exit_2() {
    let s = Scratch::new("cfg-errors");
    s.write("deploy/api.yaml", DEPLOY);
    s.write(
        ".tollgate.yml",
        "# team config\nselect: [kubernetes]\nfail-on: sometimes\nrules:\n  k8s-probes:\n    severity: loud\nwaivers:\n  - rule: k8s-probes\n    expires: 31/12/2026\nunknown-key: 1\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(2), "{v}");
    let errs: Vec<(u64, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["file"], ".tollgate.yml");
            (e["line"].as_u64().unwrap(), e["column"].as_u64().unwrap())
        })
        .collect();
    // fail-on (3), rules.k8s-probes.severity (6), waivers[0].expires (9), the unknown key (root).
    for want in [(3, 1), (6, 5), (9, 5)] {
        assert!(errs.contains(&want), "{want:?} not in {errs:?}\n{v}");
    }
    assert!(v["errors"].to_string().contains("unknown-key"), "{v}");
}

#[test]
fn unknown_rules_and_settings_are_located_errors() {
    let s = Scratch::new("cfg-unknown");
    s.write("deploy/api.yaml", DEPLOY);
    s.write(
        ".tollgate.yml",
        "ignore:\n  - k8s-probez\nrules:\n  coverage-threshold:\n    settings:\n      line: 50\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(2));
    let msgs: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("2:5 ") && m.contains("k8s-probez")),
        "{msgs:?}"
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("6:7 ") && m.contains("no setting `line`")),
        "{msgs:?}"
    );
}

#[test]
fn select_ignore_and_severity() {
    let s = Scratch::new("cfg-select");
    s.write("deploy/api.yaml", DEPLOY);
    s.write("coverage/lcov.info", LCOV_60);
    let (_, all) = check(s.path(), &[]);
    let all = rules_of(&all);
    assert!(
        all.contains(&"k8s-probes".to_string()) && all.contains(&"coverage-threshold".to_string()),
        "{all:?}"
    );

    s.write(".tollgate.yml", "select: [coverage]\n");
    let (_, v) = check(s.path(), &[]);
    assert_eq!(rules_of(&v), vec!["coverage-threshold"]);

    s.write(".tollgate.yml", "select: [kubernetes, coverage-threshold]\nignore: [k8s-probes, k8s-resources, k8s-non-root]\n");
    let (_, v) = check(s.path(), &[]);
    let r = rules_of(&v);
    // Only kubernetes rules and the one selected by id fire, never an ignored one (the test
    // does not pin which kubernetes rules exist).
    let listed = run_in(s.path(), &["rules", "-f", "json"]);
    let rules: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let kubernetes: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["category"] == "kubernetes")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        r.contains(&"coverage-threshold".to_string())
            && r.contains(&"k8s-zero-downtime-rollout".to_string()),
        "{r:?}"
    );
    for id in &r {
        assert!(
            id == "coverage-threshold" || kubernetes.contains(&id.as_str()),
            "{id} is not selected: {r:?}"
        );
        assert!(
            !["k8s-probes", "k8s-resources", "k8s-non-root"].contains(&id.as_str()),
            "{id} is ignored: {r:?}"
        );
    }

    s.write(
        ".tollgate.yml",
        "select: [coverage-threshold]\nrules:\n  coverage-threshold:\n    severity: note\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(0), "a note does not fail the default fail-on");
    assert!(v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["severity"] == "note"));
    s.write(".tollgate.yml", "select: [coverage-threshold]\nfail-on: note\nrules:\n  coverage-threshold:\n    severity: note\n");
    assert_eq!(check(s.path(), &[]).0, Some(1));
    // The command line wins over the config.
    assert_eq!(check(s.path(), &["--fail-on", "error"]).0, Some(0));
}

#[test]
fn settings_reach_the_policies() {
    let s = Scratch::new("cfg-settings");
    s.write("coverage/lcov.info", LCOV_60);
    s.write(".tollgate.yml", "select: [coverage-threshold]\n");
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(1), "{v}");
    s.write(
        ".tollgate.yml",
        "select: [coverage-threshold]\nrules:\n  coverage-threshold:\n    settings: {lines: 60}\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(0), "{v}");
}

#[test]
fn exclude_inputs_and_discovery_from_a_subfolder() {
    let s = Scratch::new("cfg-exclude");
    git2::Repository::init(s.path()).unwrap();
    s.write("deploy/api.yaml", DEPLOY);
    s.write("testdata/bad.yaml", DEPLOY);
    s.write("ops/deploy.yaml.tpl", DEPLOY);
    s.write(".tollgate.yml", "select: [k8s-probes]\nexclude: [\"testdata/**\"]\ninputs:\n  kubernetes: [\"ops/*.tpl\"]\n");
    let (_, v) = check(s.path(), &[]);
    let files: Vec<String> = locations(&v).into_iter().map(|l| l.1).collect();
    assert_eq!(files, vec!["deploy/api.yaml", "ops/deploy.yaml.tpl"], "{v}");
    // Run from a subfolder: the config above it (up to the git root) applies.
    let o = run_in(&s.path().join("deploy"), &["check", "-f", "json", "."]);
    let v = json(&o);
    assert_eq!(rules_of(&v), vec!["k8s-probes"], "{v}");
    // An excluded folder named explicitly is checked.
    let (_, v) = check(s.path(), &["testdata"]);
    assert_eq!(locations(&v).len(), 1, "{v}");
}

#[test]
fn inline_waivers() {
    let s = Scratch::new("waive-inline");
    s.write(".tollgate.yml", "select: [k8s-probes, k8s-resources]\n");
    s.write(
        "deploy/api.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        # tollgate: ignore[k8s-probes] expires=2099-01-01 the probe endpoint ships in v2\n        - name: api\n          image: nginx:1.27\n          resources: {requests: {cpu: 10m, memory: 10Mi}, limits: {memory: 20Mi}}\n        - name: side  # tollgate: ignore[k8s-probes, k8s-resources]\n          image: envoy:1\n        - name: old\n          image: envoy:1  # tollgate: ignore[k8s-probes] expires=2020-01-01 legacy\n        - name: none  # tollgate: ignore[k8s-non-root] nothing to waive here\n          image: envoy:1\n",
    );
    let (code, v) = check(s.path(), &[]);
    let f = v["findings"].as_array().unwrap();
    let get = |rule: &str, line: u64| {
        f.iter()
            .find(|x| x["rule"] == rule && x["line"] == line)
            .cloned()
            .unwrap_or_else(|| panic!("no {rule} at {line}: {v}"))
    };
    let api = get("k8s-probes", 9);
    assert_eq!(
        api["suppressed"],
        serde_json::json!({"kind": "inline", "reason": "the probe endpoint ships in v2", "expires": "2099-01-01", "source": "deploy/api.yaml:8"})
    );
    assert_eq!(get("k8s-probes", 12)["suppressed"]["kind"], "inline");
    assert_eq!(
        get("k8s-resources", 12)["suppressed"]["reason"],
        Value::Null
    );
    // Without a reason it still waives, and says so.
    assert_eq!(get("waiver-without-reason", 12)["severity"], "warning");
    assert_eq!(get("waiver-without-reason", 12)["column"], 23);
    // Expired: waives nothing.
    assert!(get("k8s-probes", 14).get("suppressed").is_none());
    assert_eq!(get("waiver-expired", 15)["severity"], "warning");
    // Unused.
    assert_eq!(get("waiver-unused", 16)["severity"], "note");
    assert_eq!(v["summary"]["suppressed"], 3);
    assert_eq!(code, Some(1), "the expired waiver's finding fails the run");
    // --no-waivers shows everything and judges no waiver.
    let (_, v) = check(s.path(), &["--no-waivers"]);
    assert_eq!(v["summary"]["suppressed"], 0);
    assert!(
        !rules_of(&v).iter().any(|r| r.starts_with("waiver-")),
        "{v}"
    );
}

#[test]
fn config_waivers() {
    let s = Scratch::new("waive-config");
    s.write("deploy/legacy/api.yaml", DEPLOY);
    s.write("deploy/new/api.yaml", DEPLOY);
    s.write(
        ".tollgate.yml",
        "select: [k8s-probes]\nwaivers:\n  - rule: k8s-probes\n    path: deploy/legacy/*.yaml\n    reason: the legacy worker has no HTTP endpoint\n    expires: 2099-12-31\n    owner: team-payments\n  - rule: k8s-probes\n    path: deploy/gone/*.yaml\n    reason: removed last quarter\n  - rule: k8s-probes\n    path: deploy/new/*.yaml\n    expires: 2021-01-01\n",
    );
    let (code, v) = check(s.path(), &[]);
    let f = v["findings"].as_array().unwrap();
    let legacy = f
        .iter()
        .find(|x| x["file"] == "deploy/legacy/api.yaml")
        .unwrap();
    assert_eq!(
        legacy["suppressed"],
        serde_json::json!({"kind": "config", "reason": "the legacy worker has no HTTP endpoint", "expires": "2099-12-31", "source": ".tollgate.yml:3"})
    );
    let new = f
        .iter()
        .find(|x| x["file"] == "deploy/new/api.yaml")
        .unwrap();
    assert!(new.get("suppressed").is_none());
    let about: Vec<(String, u64)> = f
        .iter()
        .filter(|x| x["file"] == ".tollgate.yml")
        .map(|x| {
            (
                x["rule"].as_str().unwrap().to_string(),
                x["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        about,
        vec![
            ("waiver-unused".to_string(), 8),
            ("waiver-expired".to_string(), 11)
        ]
    );
    assert_eq!(code, Some(1));
}

const CONFTEST_V0: &str = r#"package main

deny[msg] {
  input.kind == "Deployment"
  c := input.spec.template.spec.containers[_]
  endswith(c.image, ":latest")
  msg := sprintf("container %s uses a latest tag", [c.name])
}

warn_replicas[msg] {
  input.kind == "Deployment"
  not input.spec.replicas
  msg := "no replicas set"
}

violation_labels[{"msg": msg, "details": {}}] {
  input.kind == "Deployment"
  not input.metadata.labels
  msg := "no labels"
}

exception[rules] {
  input.metadata.name == "exempt"
  rules := ["replicas"]
}
"#;

const CONFTEST_V1: &str = r#"package team.images

import rego.v1

deny_latest_tag contains msg if {
	some c in input.services
	endswith(c.image, ":latest")
	msg := "a service uses a latest tag"
}
"#;

#[test]
fn conftest_policies_in_both_rego_versions() {
    let s = Scratch::new("conftest");
    s.write("policy/deploy.rego", CONFTEST_V0);
    s.write("policy/images.rego", CONFTEST_V1);
    s.write("deploy/api.yaml", DEPLOY);
    s.write(
        "deploy/exempt.yaml",
        &DEPLOY.replace("name: api\n", "name: exempt\n"),
    );
    s.write(
        "compose.yaml",
        "# stack\nservices:\n  web:\n    image: nginx:latest\n",
    );
    s.write("conf/settings.json", "{\"kind\": \"Deployment\", \"spec\": {\"template\": {\"spec\": {\"containers\": [{\"name\": \"j\", \"image\": \"x:latest\"}]}}}}\n");
    // package main only, by default.
    let (code, v) = check(
        s.path(),
        &[
            "--no-builtin",
            "--policy",
            "policy",
            ".",
            "conf/settings.json",
        ],
    );
    assert_eq!(code, Some(1), "{v}");
    let got: Vec<(String, String, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().into(),
                f["file"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "main/violation_labels".into(),
                "conf/settings.json".into(),
                1,
                "error".into()
            ),
            (
                "main/warn_replicas".into(),
                "conf/settings.json".into(),
                1,
                "warning".into()
            ),
            // On the same line, at the image's column.
            (
                "main/deny".into(),
                "conf/settings.json".into(),
                1,
                "error".into()
            ),
            (
                "main/violation_labels".into(),
                "deploy/api.yaml".into(),
                1,
                "error".into()
            ),
            (
                "main/warn_replicas".into(),
                "deploy/api.yaml".into(),
                1,
                "warning".into()
            ),
            // The string result is located at the image that silences it.
            (
                "main/deny".into(),
                "deploy/api.yaml".into(),
                10,
                "error".into()
            ),
            (
                "main/violation_labels".into(),
                "deploy/exempt.yaml".into(),
                1,
                "error".into()
            ),
            (
                "main/deny".into(),
                "deploy/exempt.yaml".into(),
                10,
                "error".into()
            ),
        ],
        "{v}"
    );
    // --namespace and --all-namespaces.
    let (_, v) = check(
        s.path(),
        &[
            "--no-builtin",
            "--policy",
            "policy",
            "--namespace",
            "team.*",
        ],
    );
    assert_eq!(rules_of(&v), vec!["team.images/deny_latest_tag"]);
    assert_eq!(locations(&v)[0].1, "compose.yaml");
    assert_eq!(
        locations(&v)[0].2,
        4,
        "a result without a path is located at the image that silences it"
    );
    let (_, v) = check(
        s.path(),
        &[
            "--no-builtin",
            "--policy",
            "policy",
            "--namespace",
            "team.*",
            "--no-locate",
        ],
    );
    assert_eq!(
        locations(&v)[0].2,
        2,
        "without the search, at the document's first line"
    );
    let (_, v) = check(
        s.path(),
        &["--no-builtin", "--policy", "policy", "--all-namespaces"],
    );
    assert_eq!(locations(&v).len(), 6, "{v}");
    // Forcing the version: a v0 file read as v1 is a located policy error.
    let (code, v) = check(
        s.path(),
        &["--no-builtin", "--policy", "policy", "--rego-version", "v1"],
    );
    assert_eq!(code, Some(2));
    assert_eq!(v["errors"][0]["file"], "policy/deploy.rego");
}

#[test]
fn conftest_combine_and_builtins() {
    let s = Scratch::new("combine");
    s.write(
        "policy/combined.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  names := [d.contents.metadata.name | some d in input; d.contents.kind == \"Service\"]\n  some d in input\n  d.contents.kind == \"Deployment\"\n  not d.contents.metadata.name in names\n  msg := sprintf(\"deployment %s has no service\", [d.contents.metadata.name])\n}\n",
    );
    s.write(
        "policy/parse.rego",
        "package parsing\n\nimport rego.v1\n\ndeny contains msg if {\n  cfg := parse_config(\"yaml\", input.data[\"app.yaml\"])\n  cfg.debug == true\n  msg := \"debug is on\"\n}\n\ndeny contains msg if {\n  input.kind == \"ConfigMap\"\n  f := parse_config_file(\"settings.json\")\n  f.mode == \"unsafe\"\n  msg := \"unsafe mode\"\n}",
    );
    s.write(
        "policy/outside.rego",
        "package outside\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"ConfigMap\"\n  parse_config_file(\"/etc/hostname\")\n  msg := \"read outside\"\n}\n",
    );
    // Beside the policy that reads it: a relative path resolves from the calling policy's
    // folder, as in conftest.
    s.write("policy/settings.json", "{\"mode\": \"unsafe\"}\n");
    s.write("k8s/app.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n");
    s.write("k8s/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  app.yaml: |\n    debug: true\n");
    let (_, v) = check(
        s.path(),
        &["--no-builtin", "--policy", "policy", "--combine"],
    );
    let msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(msgs, vec!["deployment api has no service"], "{v}");
    let (code, v) = check(
        s.path(),
        &[
            "--no-builtin",
            "--policy",
            "policy",
            "--namespace",
            "parsing",
            "--namespace",
            "outside",
        ],
    );
    let mut msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    msgs.sort();
    assert_eq!(msgs, vec!["debug is on", "unsafe mode"], "{v}");
    // A read outside the scanned and policy folders is refused, as a located policy error.
    assert_eq!(code, Some(2));
    assert_eq!(v["errors"][0]["file"], "policy/outside.rego");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("outside the scanned and policy folders"),
        "{v}"
    );
}

#[test]
fn data_files_reach_team_policies() {
    let s = Scratch::new("data");
    s.write(
        "policy/registry.rego",
        "# METADATA\n# custom:\n#   id: trusted-registry\n#   input: [kubernetes]\npackage team.registry\n\nimport rego.v1\n\ndeny contains {\"msg\": \"untrusted registry\", \"path\": [\"spec\", \"template\", \"spec\", \"containers\", i, \"image\"]} if {\n  some i, c in input.spec.template.spec.containers\n  not startswith(c.image, data.registries.trusted)\n}\n",
    );
    s.write(
        "policy/data.yaml",
        "registries:\n  trusted: ghcr.io/acme/\n",
    );
    s.write("deploy/api.yaml", DEPLOY);
    let (code, v) = check(
        s.path(),
        &[
            "--no-builtin",
            "--policy",
            "policy",
            "--data",
            "policy/data.yaml",
        ],
    );
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        locations(&v),
        vec![(
            "trusted-registry".into(),
            "deploy/api.yaml".into(),
            10,
            11,
            10,
            30
        )]
    );
}

#[test]
fn test_command_runs_team_tests_with_data() {
    let s = Scratch::new("team-tests");
    s.write("policy/main.rego", CONFTEST_V0);
    s.write(
        "policy/main_test.rego",
        "package main\n\ntest_latest_is_denied {\n  count(deny) == 1 with input as {\"kind\": \"Deployment\", \"metadata\": {\"name\": \"a\"}, \"spec\": {\"replicas\": 1, \"template\": {\"spec\": {\"containers\": [{\"name\": \"a\", \"image\": \"x:latest\"}]}}}}\n}\n\ntest_uses_data {\n  data.limits.max == 3\n}\n\ntest_fails_on_purpose {\n  count(deny) == 5 with input as {}\n}\n\ntodo_later {\n  true\n}\n",
    );
    s.write("limits.json", "{\"limits\": {\"max\": 3}}");
    let o = run_in(s.path(), &["test", "policy", "--data", "limits.json"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL data.main.test_fails_on_purpose (policy/main_test.rego:11)"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("tollgate: 2 passed, 1 failed, 1 skipped"),
        "{out}"
    );
}

#[test]
fn init_writes_a_valid_starter_and_schema_is_json() {
    let s = Scratch::new("init");
    let o = run_in(s.path(), &["init"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(s.path().join(".tollgate.yml").is_file());
    assert_eq!(
        run_in(s.path(), &["init"]).status.code(),
        Some(2),
        "no overwrite without --force"
    );
    // The starter is a valid configuration (an empty folder has nothing else to check).
    let (code, v) = check(s.path(), &["--allow-empty"]);
    assert_eq!(code, Some(0), "{v}");
    let o = run_in(s.path(), &["schema"]);
    let schema: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(schema["type"], "object");
}

#[test]
fn test_command_filters_by_namespace() {
    let s = Scratch::new("team-tests-ns");
    s.write(
        "policy/a_test.rego",
        "package team.a_test\n\nimport rego.v1\n\ntest_a if true\n",
    );
    s.write(
        "policy/b_test.rego",
        "package other.b_test\n\nimport rego.v1\n\ntest_b if false\n",
    );
    let o = run_in(s.path(), &["test", "policy"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = run_in(s.path(), &["test", "policy", "--namespace", "team.*"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.trim_end()
            .ends_with("tollgate: 1 passed, 0 failed, 0 skipped"),
        "{out}"
    );
}

#[test]
fn schema_file_is_generated_from_the_registry() {
    let s = Scratch::new("schema-file");
    let o = run_in(s.path(), &["schema"]);
    let want = stdout(&o);
    let path = repo_root().join("schema/tollgate.schema.json");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "schema/tollgate.schema.json is stale: run `UPDATE_DOCS=1 cargo test --test config`"
    );
    // Every kind the configuration may force is an `inputs` key, and nothing else is.
    let schema: Value = serde_json::from_str(&want).unwrap();
    let mut keys: Vec<&str> = schema["properties"]["inputs"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    let mut forceable: Vec<&str> = tollgate::source::KINDS
        .iter()
        .filter(|k| k.forceable)
        .map(|k| k.kind.name())
        .collect();
    forceable.sort();
    assert_eq!(keys, forceable);
}

#[test]
fn test_command_checks_that_a_rule_folder_is_consistent() {
    let s = Scratch::new("consistency");
    let rule = "# METADATA\n# title: Images are pinned\n# custom:\n#   id: kubernetes-image-pinned\n#   input: [kubernetes]\n#   settings: {tags: [latest]}\npackage team.image_pinned\n\nimport rego.v1\n\ndeny contains {\"msg\": \"x\", \"path\": []} if {\n  some t in data.tollgate.config[\"image-pinned\"].tags\n  endswith(input.spec.image, t)\n}\n";
    s.write("policies/kubernetes/image-pinned/image_pinned.rego", rule);
    s.write(
        "policies/kubernetes/image-pinned/README.md",
        "# image-pinned\n\nImages are pinned.\n",
    );
    let o = run_in(s.path(), &["test", "policies"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let file = "policies/kubernetes/image-pinned/image_pinned.rego";
    assert!(
        out.contains(&format!(
            "{file}:12: reads the settings of `image-pinned`, but the rule's id is `kubernetes-image-pinned`"
        )),
        "{out}"
    );
    assert!(
        out.contains("README.md:1: the README's title is `# image-pinned`; it must be `# kubernetes-image-pinned`"),
        "{out}"
    );
    // Fixed: the id fits the folder (`kubernetes-` + folder), lookups and README agree.
    s.write(
        "policies/kubernetes/image-pinned/image_pinned.rego",
        &rule.replace(
            "config[\"image-pinned\"]",
            "config[\"kubernetes-image-pinned\"]",
        ),
    );
    s.write(
        "policies/kubernetes/image-pinned/README.md",
        "# kubernetes-image-pinned\n\nImages are pinned.\n",
    );
    let o = run_in(s.path(), &["test", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));
    // An id that does not fit its folder.
    s.write(
        "policies/kubernetes/image-pinned/image_pinned.rego",
        &rule
            .replace("id: kubernetes-image-pinned", "id: pinned-images")
            .replace("config[\"image-pinned\"]", "config[\"pinned-images\"]"),
    );
    s.write(
        "policies/kubernetes/image-pinned/README.md",
        "# pinned-images\n",
    );
    let out = stdout(&run_in(s.path(), &["test", "policies"]));
    assert!(
        out.contains(&format!("{file}:1: the id `pinned-images` does not fit the folder `kubernetes/image-pinned` (expected one of: image-pinned, kubernetes-image-pinned, k8s-image-pinned)")),
        "{out}"
    );
}

#[test]
fn a_broken_test_file_is_one_error_not_a_failure_of_every_test() {
    let s = Scratch::new("broken-test-file");
    s.write(
        "policies/team/rule.rego",
        "# METADATA\n# custom:\n#   id: team-rule\n#   input: [kubernetes]\npackage team.rule\n\nimport rego.v1\n\ndeny contains {\"msg\": \"no name\", \"path\": [\"metadata\"]} if not input.metadata.name\n",
    );
    s.write(
        "policies/team/rule_test.rego",
        "package team.rule_test\n\nimport rego.v1\n\ntest_fires if {\n  count(data.team.rule.deny) == 1 with input as {\"metadata\": {}}\n}\n",
    );
    s.write(
        "policies/team/broken_test.rego",
        "package team.broken_test\n\nimport rego.v1\n\ntest_broken if {\n  x := \n}\n",
    );
    s.write(
        "policies/team/fixtures/fail/deploy.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: # expect: team-rule\n  labels: {}\n",
    );
    let o = run_in(s.path(), &["test", "policies"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert_eq!(
        out.matches("broken_test.rego").count(),
        1,
        "the load error is reported once: {out}"
    );
    assert!(
        out.contains("tollgate: 2 passed, 0 failed, 0 skipped"),
        "{out}"
    );
}

/// Errors of a `check` run as `line:col message`.
fn error_lines(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{}:{} {}",
                e["line"],
                e["column"],
                e["message"].as_str().unwrap()
            )
        })
        .collect()
}

/// Every built-in rule's settings are validated against the schema in its METADATA: wrong
/// types, out-of-range numbers, fractions for percentages, unknown list items and unknown
/// settings are located errors at the offending value, named as the rule's setting.
#[test]
fn rule_settings_are_validated_against_their_schemas() {
    let s = Scratch::new("cfg-setting-schemas");
    s.write("coverage/lcov.info", LCOV_60);
    s.write(
        ".tollgate.yml",
        "rules:\n  coverage-threshold:\n    settings:\n      lines: 0.8\n      brnches: 50\n  k8s-probes:\n    settings:\n      probes: [readinessProbe, livnessProbe]\n  k8s-non-root:\n    settings: {init_containers: \"yes\"}\n  trivy-vulnerability:\n    settings: {severities: \"HIGH,CRITICL\"}\n  k8s-zero-downtime-rollout:\n    settings: {max_unavailable: 1.5}\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(2), "{v}");
    let errs = error_lines(&v);
    let want = [
        "4:7 invalid configuration: `rules.coverage-threshold.settings.lines`: setting `lines` of rule `coverage-threshold` must be a percentage from 0 to 100: 0.8 reads as 0.8%, which looks like a fraction (write 80 for 80%)",
        "5:7 invalid configuration: `rules.coverage-threshold.settings.brnches`: rule `coverage-threshold` has no setting `brnches` (did you mean `branches`?)",
        "8:32 invalid configuration: `rules.k8s-probes.settings.probes[1]`: setting `probes[1]` of rule `k8s-probes`:",
        "10:16 invalid configuration: `rules.k8s-non-root.settings.init_containers`: setting `init_containers` of rule `k8s-non-root` must be true or false:",
        "12:16 invalid configuration: `rules.trivy-vulnerability.settings.severities`: setting `severities` of rule `trivy-vulnerability` must be a list of Trivy severities",
        "14:16 invalid configuration: `rules.k8s-zero-downtime-rollout.settings.max_unavailable`: setting `max_unavailable` of rule `k8s-zero-downtime-rollout` must be a whole number (0 or more):",
    ];
    assert_eq!(errs.len(), want.len(), "{errs:#?}");
    for (have, want) in errs.iter().zip(want) {
        assert!(
            have.starts_with(want),
            "{have}\n  does not start with\n{want}"
        );
    }
    // Valid values of every shape pass, and the gate still holds at the configured level.
    s.write(
        ".tollgate.yml",
        "rules:\n  coverage-threshold:\n    settings: {lines: 61.5, branches: 0, functions: 1}\n  k8s-probes:\n    settings: {probes: [readinessProbe, startupProbe]}\n  trivy-vulnerability:\n    settings: {severities: \"high, Critical\"}\n  workflow-trivy-gate:\n    settings: {required_severities: [critical]}\n",
    );
    let (code, v) = check(s.path(), &[]);
    assert_eq!(code, Some(1), "{v}");
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
    let msgs: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        msgs.iter().any(|m| m.contains("below the required 61.50%")),
        "{msgs:?}"
    );
}

/// The generated schema carries each built-in rule's settings schema (what editors complete
/// and what `.tollgate.yml` is validated against), with its default; every built-in rule with
/// settings has one.
#[test]
fn every_builtin_rule_with_settings_has_a_schema_in_the_config_schema() {
    let schema = tollgate::config::schema();
    let rules = &schema["properties"]["rules"]["properties"];
    let mut with_settings = 0;
    for src in tollgate::policy::pack::builtin_sources(false) {
        let Some(m) = tollgate::policy::metadata::parse(&src.text).unwrap() else {
            continue;
        };
        let (Some(id), Some(Value::Object(settings))) = (&m.id, &m.settings) else {
            continue;
        };
        if settings.is_empty() {
            continue;
        }
        with_settings += 1;
        let props = &rules[id]["properties"]["settings"]["properties"];
        for (k, default) in settings {
            assert_eq!(&props[k]["default"], default, "{id}.{k}: {props}");
            assert!(
                props[k].as_object().is_some_and(|o| o.len() > 1),
                "{id}.{k}"
            );
        }
        assert_eq!(
            rules[id]["properties"]["settings"]["additionalProperties"],
            Value::Bool(false),
            "{id}"
        );
    }
    assert!(with_settings >= 14, "{with_settings}");
}

/// A team rule declares its settings schema as the built-in ones do: the configuration is
/// validated against it (located), and `tollgate test` checks that the defaults fit it and
/// that every setting has one.
#[test]
fn team_rules_declare_settings_schemas() {
    let s = Scratch::new("cfg-team-schema");
    let rule = "# METADATA\n# title: Few replicas\n# custom:\n#   id: team-replicas\n#   input: [kubernetes]\n#   settings: {max: 3}\n#   schema:\n#     max: {type: integer, minimum: 1}\npackage team.replicas\n\nimport rego.v1\n\ndeny contains {\"msg\": \"too many replicas\", \"path\": [\"spec\", \"replicas\"]} if {\n  input.spec.replicas > data.tollgate.config[\"team-replicas\"].max\n}\n";
    s.write("team/replicas/replicas.rego", rule);
    s.write(
        "team/replicas/README.md",
        "# team-replicas\n\nFew replicas.\n",
    );
    s.write(
        "deploy/api.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  replicas: 5\n",
    );
    s.write(
        ".tollgate.yml",
        "policies: [team]\nrules:\n  team-replicas:\n    settings:\n      max: \"4\"\n      mx: 2\n",
    );
    let (code, v) = check(s.path(), &["--no-builtin"]);
    assert_eq!(code, Some(2), "{v}");
    let errs = error_lines(&v);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].starts_with("5:7 invalid configuration: `rules.team-replicas.settings.max`: setting `max` of rule `team-replicas` must be a whole number of at least 1: \"4\""),
        "{errs:#?}"
    );
    assert!(
        errs[1].starts_with("6:7 invalid configuration: `rules.team-replicas.settings.mx`: rule `team-replicas` has no setting `mx` (did you mean `max`?)"),
        "{errs:#?}"
    );
    s.write(
        ".tollgate.yml",
        "policies: [team]\nrules:\n  team-replicas:\n    settings: {max: 4}\n",
    );
    let (code, v) = check(s.path(), &["--no-builtin"]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(rules_of(&v), vec!["team-replicas".to_string()], "{v}");
    // `tollgate test`: the schema passes its own defaults ...
    let o = run_in(s.path(), &["test", "team"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // ... and catches a default the schema rejects, and a setting without a schema.
    s.write(
        "team/replicas/replicas.rego",
        &rule.replace("settings: {max: 3}", "settings: {max: 0, min: 1}"),
    );
    let o = run_in(s.path(), &["test", "team"]);
    let out = stdout(&o);
    // The setting without a schema is also a METADATA error when the rule loads (exit 2).
    assert_eq!(o.status.code(), Some(2), "{out}");
    assert!(
        out.contains("team/replicas/replicas.rego:1:1: invalid METADATA: setting `min` has no schema in `custom.schema`"),
        "{out}"
    );
    let file = "team/replicas/replicas.rego:1";
    assert!(
        out.contains(&format!(
            "{file}: the setting `min` has no schema in `custom.schema`"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{file}: the default of `max` does not fit its own schema"
        )),
        "{out}"
    );
}
