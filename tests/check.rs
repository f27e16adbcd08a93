//! CLI tests of `tollgate check`: discovery, bad input, exit codes and the JSON contract.
//! They use small team policies so that they do not depend on the built-in pack's wording.

mod common;
use common::*;

const LATEST_POLICY: &str = r#"# METADATA
# title: Images are pinned
# custom:
#   id: image-pinned
#   severity: error
#   input: [kubernetes, compose]
package team.image_pinned

import rego.v1

deny contains {"msg": sprintf("container %s uses a :latest image", [c.name]), "path": ["spec", "template", "spec", "containers", i, "image"]} if {
	some i, c in input.spec.template.spec.containers
	endswith(c.image, ":latest")
}

deny contains {"msg": sprintf("service %s uses a :latest image", [name]), "path": ["services", name, "image"], "severity": "warning"} if {
	some name, s in input.services
	endswith(s.image, ":latest")
}
"#;

fn scratch_repo(name: &str) -> Scratch {
    let s = Scratch::new(name);
    s.write("policies/pinned.rego", LATEST_POLICY);
    s.write(
        "deploy/app.yaml",
        "# app\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:latest\n",
    );
    s.write(
        "compose.yaml",
        "services:\n  web:\n    image: \"redis:latest\"\n",
    );
    s
}

#[test]
fn json_report_has_the_documented_shape_and_exact_locations() {
    let s = scratch_repo("json");
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "--format",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "tollgate");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        locations(&v),
        vec![
            ("image-pinned".into(), "compose.yaml".into(), 3, 5, 3, 26),
            (
                "image-pinned".into(),
                "deploy/app.yaml".into(),
                10,
                11,
                10,
                30
            ),
        ]
    );
    assert_eq!(v["findings"][0]["severity"], "warning");
    assert_eq!(v["findings"][1]["severity"], "error");
    assert_eq!(
        v["findings"][1]["path"],
        "spec.template.spec.containers[0].image"
    );
    assert_eq!(
        v["findings"][1]["message"],
        "container app uses a :latest image"
    );
    assert_eq!(
        v["summary"],
        serde_json::json!({"files": 2, "documents": 2, "findings": 2, "errors": 0, "suppressed": 0,
                           "pre_existing": 0, "baseline_unmatched": 0})
    );
    // A fingerprint per finding: 32 hex digits and an occurrence.
    for f in v["findings"].as_array().unwrap() {
        let print = f["fingerprint"].as_str().unwrap();
        assert_eq!(print.len(), 34, "{print}");
        assert!(print.ends_with(":1"), "{print}");
    }
    assert_eq!(v["errors"], serde_json::json!([]));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let s = scratch_repo("failon");
    s.write(
        "deploy/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    );
    let args = ["check", "--no-builtin", "--policy", "policies"];
    // Only a warning is left.
    assert_eq!(run_in(s.path(), &args).status.code(), Some(0));
    let with = |level: &str| {
        let mut a = args.to_vec();
        a.extend(["--fail-on", level]);
        run_in(s.path(), &a).status.code()
    };
    assert_eq!(with("warning"), Some(1));
    assert_eq!(with("note"), Some(1));
    assert_eq!(with("error"), Some(0));
    assert_eq!(with("never"), Some(0));
}

#[test]
fn malformed_files_are_located_and_the_rest_is_still_checked() {
    let s = scratch_repo("malformed");
    s.write(
        "deploy/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: [1, 2\n  b: 3\n",
    );
    s.write(
        "coverage/coverage-summary.json",
        "{\"total\": {\"lines\": {\"total\": 10, \"covered\"",
    );
    s.write(
        "trivy-results.json",
        "{\"SchemaVersion\": 2, \"Results\": [",
    );
    s.write(
        "coverage.xml",
        "<?xml version=\"1.0\"?>\n<coverage line-rate=\"0.5\">\n  <packages>\n",
    );
    s.write(
        "lcov.info",
        "TN:\nSF:src/a.ts\nDA:1,1\nDA:x,y\nend_of_record\n",
    );
    s.write(
        "tsconfig.json",
        "{\n  // JSONC is not ours to judge\n  \"compilerOptions\": {}\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "-f",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let locs = locations(&v);
    let parse: Vec<_> = locs
        .iter()
        .filter(|l| l.0 == "parse-error")
        .map(|l| (l.1.as_str(), l.2, l.3))
        .collect();
    assert_eq!(
        parse,
        vec![
            ("coverage.xml", 4, 1),
            // serde_json names the last character read before the end of the file.
            ("coverage/coverage-summary.json", 1, 43),
            ("deploy/broken.yaml", 5, 4),
            ("lcov.info", 4, 1),
            ("trivy-results.json", 1, 33),
        ],
        "{locs:?}"
    );
    // The valid files were still checked.
    assert!(locs
        .iter()
        .any(|l| l.0 == "image-pinned" && l.1 == "deploy/app.yaml"));
    assert!(locs
        .iter()
        .any(|l| l.0 == "image-pinned" && l.1 == "compose.yaml"));
    assert_eq!(v["summary"]["errors"], 0);
}

#[test]
fn hostile_yaml_is_a_parse_error_not_a_crash() {
    let s = Scratch::new("hostile");
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    s.write("bomb.yaml", &bomb);
    s.write("deep.yaml", &("- ".repeat(100_000) + "x\n"));
    s.write("brackets.yaml", &"[".repeat(200_000));
    s.write(
        "ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n",
    );
    std::fs::write(
        s.path().join("latin1.yaml"),
        b"apiVersion: v1\nkind: ConfigMap\ndata: {a: \"caf\xe9\"}\n",
    )
    .unwrap();
    let o = run_in(s.path(), &["check", "--no-builtin", "-f", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let files: Vec<String> = locations(&v)
        .into_iter()
        .filter(|l| l.0 == "parse-error")
        .map(|l| format!("{}:{}", l.1, l.2))
        .collect();
    assert_eq!(
        files,
        vec![
            "bomb.yaml:7",
            "brackets.yaml:1",
            "deep.yaml:1",
            "latin1.yaml:3"
        ]
    );
    assert_eq!(v["summary"]["documents"], 1);
}

#[test]
fn oversized_files_are_reported_not_parsed() {
    let s = Scratch::new("size");
    s.write(
        "big.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  a: \"{}\"\n",
            "x".repeat(4000)
        ),
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--max-file-size",
            "1000",
            "-f",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(v["findings"][0]["rule"], "parse-error");
    assert!(
        v["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("size limit"),
        "{v}"
    );
}

#[test]
fn a_broken_policy_is_a_located_error_with_exit_2() {
    let s = scratch_repo("brokenpolicy");
    s.write(
        "policies/broken.rego",
        "package team.broken\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "-f",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "2 wins over 1");
    let v = json(&o);
    let e = &v["errors"][0];
    assert_eq!(e["file"], "policies/broken.rego");
    assert!(e["line"].as_u64().unwrap() >= 6, "{e}");
    // The other policy still ran.
    assert!(locations(&v).iter().any(|l| l.0 == "image-pinned"));
}

#[test]
fn a_runtime_error_in_a_policy_is_an_error_with_exit_2() {
    let s = scratch_repo("runtime");
    s.write(
        "policies/runtime.rego",
        "# METADATA\n# custom:\n#   id: divide\n#   input: [kubernetes]\npackage team.runtime\n\nimport rego.v1\n\nname = input.metadata.name\n\nname = \"other\" if input.kind\n\ndeny contains msg if {\n  msg := name\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "-f",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(o.status.code(), Some(2), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("divide"),
        "{v}"
    );
}

#[test]
fn missing_paths_and_bad_arguments_are_usage_errors() {
    let s = Scratch::new("usage");
    let o = run_in(s.path(), &["check", "does-not-exist", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(json(&o)["errors"][0]["file"], "does-not-exist");
    let o = run_in(s.path(), &["check", "--fail-on", "sometimes"]);
    assert_eq!(o.status.code(), Some(2));
    let o = run_in(s.path(), &["check", "--today", "26/11/2026"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("YYYY-MM-DD"));
}

#[test]
fn discovery_respects_gitignore_but_finds_reports_in_ignored_folders() {
    let s = Scratch::new("discover");
    s.write(".gitignore", "build/\ncoverage/\n");
    s.write(
        "build/deploy.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: generated}\n",
    );
    s.write(
        "node_modules/pkg/compose.yaml",
        "services: {a: {image: x}}\n",
    );
    s.write("coverage/lcov.info", "SF:a.ts\nDA:1,1\nend_of_record\n");
    s.write(
        "charts/api/Chart.yaml",
        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
    );
    s.write(
        "charts/api/templates/deploy.yaml",
        "apiVersion: apps/v1\nkind: {{ .Values.kind }}\n",
    );
    s.write(".github/workflows/ci.yml", "on: push\njobs: {}\n");
    s.write("notes.yaml", "just: data\n");
    let o = run_in(s.path(), &["check", "--no-builtin", "-f", "json"]);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v}");
    // The workflow and the lcov report; not the ignored manifest, node_modules, the Helm
    // template or the plain YAML.
    assert_eq!(v["summary"]["files"], 2, "{v}");
    // A plain YAML file named explicitly is loaded.
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "-f",
            "json",
            "notes.yaml",
            "build/deploy.yaml",
        ],
    );
    assert_eq!(json(&o)["summary"]["files"], 2);
}

#[test]
fn an_unsafe_policy_does_not_silence_the_others() {
    let s = scratch_repo("unsafe");
    s.write(
        "policies/bad.rego",
        "package team.bad\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"%v\", [undefined_var])\n}\n",
    );
    let o = run_in(s.path(), &["check", "--policy", "policies", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v["errors"][0]["file"], "policies/bad.rego");
    assert_eq!(v["errors"][0]["line"], 6);
    // The team rule and the built-in pack still ran.
    let rules: Vec<String> = locations(&v).into_iter().map(|l| l.0).collect();
    assert!(rules.iter().any(|r| r == "image-pinned"), "{rules:?}");
    assert!(rules.iter().any(|r| r == "k8s-probes"), "{rules:?}");
}

const TEXT_LINE_POLICY: &str = r#"# METADATA
# custom:
#   id: conf-lines
#   input: [kubernetes]
package team.conf_lines

import rego.v1

deny contains {"msg": sprintf("line %d: %s", [n, line]), "path": ["data", key], "text_line": n} if {
	some key, text in input.data
	lines := split(text, "\n")
	some i, line in lines
	startswith(line, "bad")
	n := i + 1
}
"#;

#[test]
fn text_line_points_inside_block_scalars() {
    let s = Scratch::new("textline");
    s.write("policies/conf.rego", TEXT_LINE_POLICY);
    s.write(
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  a.conf: |  # comment after the header\n\n    good\n    bad one\n  b.conf: |-\n    bad two\n    good\n  c.conf: \"good\\nbad three\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\ndata:\n  last.conf: |\n    bad four\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "-f",
            "json",
        ],
    );
    let v = json(&o);
    let got: Vec<(u64, u64, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (8, 5, "line 3: bad one".to_string()),
            (10, 5, "line 1: bad two".to_string()),
            // A one-line flow scalar has no lines to move to: the entry.
            (12, 3, "line 2: bad three".to_string()),
            (19, 5, "line 1: bad four".to_string()),
        ]
    );
}

#[test]
fn project_findings_land_on_the_right_list_item() {
    let s = Scratch::new("listitems");
    s.write(
        "policies/p.rego",
        "# METADATA\n# custom:\n#   id: name-first\n#   input: [kubernetes]\n#   scope: project\npackage team.p\n\nimport rego.v1\nimport data.tollgate.result\n\ndeny contains result.fail_in(doc, [\"kind\"], \"first\") if {\n  some doc in input.documents\n  doc.content.metadata.name == \"first\"\n}\n",
    );
    s.write(
        "list.yaml",
        "apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: second}\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: first}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policies",
            "-f",
            "json",
        ],
    );
    let locs = locations(&json(&o));
    assert_eq!(
        locs,
        vec![("name-first".into(), "list.yaml".into(), 8, 5, 8, 20)]
    );
}
