//! The command line people expect: rule selection, severities, quiet and verbose, the concise
//! format, one format per stream, completions and the man page, and conftest's folder options.

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

const TEAM_RULE: &str = "# METADATA\n# title: Images are pinned\n# custom:\n#   id: image-pinned\n#   severity: warning\n#   input: [kubernetes]\npackage team.image_pinned\n\nimport rego.v1\nimport data.tollgate.lib.result\n\ndeny contains result.fail([\"spec\", \"template\", \"spec\", \"containers\", i, \"image\"], sprintf(\"container %s uses :latest\", [c.name])) if {\n  some i, c in input.spec.template.spec.containers\n  endswith(c.image, \":latest\")\n}\n";

fn repo(name: &str) -> Scratch {
    let s = Scratch::new(&format!("cli-{name}"));
    s.write("deploy/api.yaml", DEPLOY);
    s.write("policy/image_pinned.rego", TEAM_RULE);
    s
}

fn rules_in(v: &Value) -> Vec<String> {
    let mut r: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    r.sort();
    r.dedup();
    r
}

#[test]
fn concise_is_one_line_a_finding() {
    let s = repo("concise");
    let o = run_in(
        s.path(),
        &[
            "check",
            "-p",
            "policy",
            "--select",
            "image-pinned",
            "-f",
            "concise",
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "a warning does not fail: {}",
        stderr(&o)
    );
    assert_eq!(
        stdout(&o),
        "deploy/api.yaml:10:11: warning[image-pinned] container api uses :latest\n"
    );
}

#[test]
fn only_one_format_goes_to_standard_output() {
    let s = repo("streams");
    let o = run_in(s.path(), &["check", "-f", "json", "-f", "human"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("only one format can go to standard output"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).is_empty());
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "-f",
            "sarif=out/r.sarif",
            "--fail-on",
            "never",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(s.path().join("out/r.sarif").is_file());
}

#[test]
fn select_and_ignore_on_the_command_line_win_over_the_config() {
    let s = repo("select");
    s.write(".tollgate.yml", "select: [k8s-probes]\n");
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "-p", "policy", "-f", "json", "--fail-on", "never"];
        args.extend_from_slice(extra);
        let o = run_in(s.path(), &args);
        (o.status.code(), json(&o))
    };
    assert_eq!(rules_in(&run(&[]).1), vec!["k8s-probes"]);
    assert_eq!(
        rules_in(&run(&["--select", "image-pinned,k8s-probes"]).1),
        vec!["image-pinned", "k8s-probes"]
    );
    let fired = rules_in(
        &run(&[
            "--select",
            "kubernetes",
            "--select",
            "image-pinned",
            "--ignore",
            "k8s-probes,k8s-resources,k8s-non-root",
        ])
        .1,
    );
    assert!(fired.contains(&"image-pinned".to_string()), "{fired:?}");
    assert!(
        !fired
            .iter()
            .any(|r| r == "k8s-probes" || r == "k8s-resources"),
        "{fired:?}"
    );
    let (code, v) = run(&["--select", "kubernets"]);
    assert_eq!(code, Some(2));
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--select: unknown rule or category `kubernets`"),
        "{v:#}"
    );
}

#[test]
fn min_severity_hides_lower_findings_from_reports_and_the_exit_code() {
    let s = repo("min-severity");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "check",
            "-p",
            "policy",
            "--select",
            "image-pinned",
            "-f",
            "json",
            "--fail-on",
            "warning",
        ];
        args.extend_from_slice(extra);
        let o = run_in(s.path(), &args);
        (o.status.code(), json(&o))
    };
    let (code, v) = run(&[]);
    assert_eq!(code, Some(1));
    assert_eq!(v["summary"]["findings"], 1);
    let (code, v) = run(&["--min-severity", "error"]);
    assert_eq!(code, Some(0));
    assert_eq!(v["summary"]["findings"], 0);
}

#[test]
fn quiet_prints_findings_only_and_verbose_says_what_was_checked() {
    let s = repo("quiet");
    s.write(
        ".tollgate.yml",
        "select: [image-pinned]\npolicies: [policy]\n",
    );
    let o = run_in(s.path(), &["check", "-q"]);
    let out = stdout(&o);
    assert!(out.contains("warning[image-pinned]"), "{out}");
    assert!(!out.contains("tollgate:"), "{out}");
    let o = run_in(s.path(), &["check", "-v"]);
    let err = stderr(&o);
    assert!(
        err.contains("tollgate: configuration .tollgate.yml"),
        "{err}"
    );
    assert!(
        err.contains("tollgate: checked deploy/api.yaml (kubernetes)"),
        "{err}"
    );
    assert!(stdout(&o).contains("tollgate: 1 finding"), "{}", stdout(&o));
}

#[test]
fn completions_and_man_page() {
    let s = repo("completions");
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = run_in(s.path(), &["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("tollgate"), "{shell}");
    }
    let o = run_in(s.path(), &["man"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(".TH tollgate 1"), "{}", stdout(&o));
}

#[test]
fn a_policy_folder_without_rego_is_an_error() {
    let s = repo("empty-policy");
    std::fs::create_dir_all(s.path().join("empty")).unwrap();
    s.write("empty/README.md", "nothing here\n");
    let o = run_in(s.path(), &["check", "-p", "empty", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert_eq!(v["errors"][0]["file"], "empty");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no Rego policy"),
        "{v:#}"
    );
    let o = run_in(s.path(), &["test", "empty"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("empty: no Rego policy"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn data_folders_load_every_data_file() {
    let s = repo("data-dir");
    s.write(
        "policy/allowed.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  not data.registries[input.metadata.name]\n  msg := sprintf(\"%s: no registry\", [input.metadata.name])\n}\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  data.limits.replicas < 1\n  msg := \"limits\"\n}\n",
    );
    s.write("data/registries.yaml", "registries:\n  api: ghcr.io\n");
    s.write(
        "data/nested/limits.json",
        "{\"limits\": {\"replicas\": 3}}\n",
    );
    s.write("data/notes.txt", "not data\n");
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "-p",
            "policy",
            "--select",
            "main/deny",
            "-d",
            "data",
            "-f",
            "json",
        ],
    );
    let v = json(&o);
    assert_eq!(o.status.code(), Some(0), "{v:#}");
    assert_eq!(v["summary"]["findings"], 0, "{v:#}");
    // Without the folder, the first rule fires.
    let o = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "-p",
            "policy",
            "--select",
            "main/deny",
            "-f",
            "json",
        ],
    );
    assert_eq!(json(&o)["findings"][0]["message"], "api: no registry");
}

#[test]
fn explain_and_rules_see_team_rules() {
    let s = repo("explain");
    let o = run_in(s.path(), &["explain", "image-pinned", "-p", "policy"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("# image-pinned"), "{out}");
    assert!(out.contains("Images are pinned"), "{out}");
    assert!(out.contains("policy/image_pinned.rego:1"), "{out}");
    s.write(".tollgate.yml", "policies: [policy]\n");
    let o = run_in(s.path(), &["explain", "image-pinned"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = run_in(s.path(), &["explain", "waiver-expired"]);
    assert!(
        stdout(&o).starts_with("# waiver-expired\n"),
        "{}",
        stdout(&o)
    );
    let o = run_in(s.path(), &["rules"]);
    assert!(stdout(&o).contains("image-pinned"), "{}", stdout(&o));
}

#[test]
fn a_team_policy_folders_fixtures_are_not_repository_content() {
    let s = repo("team-fixtures");
    s.write(
        "policy/image-pinned/fixtures/fail/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: fixture}\nspec:\n  template:\n    spec:\n      containers:\n        - {name: x, image: \"x:latest\"}\n",
    );
    s.write(
        ".tollgate.yml",
        "policies: [policy]\nselect: [image-pinned]\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--fail-on", "never"]);
    let v = json(&o);
    let files: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(files, vec!["deploy/api.yaml"], "{v:#}");
}

#[test]
fn a_rego_syntax_error_is_one_located_error() {
    let s = repo("syntax");
    s.write(
        "policy/image_pinned.rego",
        &TEAM_RULE.replace("some i, c in", "some i, c in in"),
    );
    s.write(
        ".tollgate.yml",
        "policies: [policy]\nrules:\n  image-pinned:\n    severity: error\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v:#}");
    assert_eq!(errors[0]["file"], "policy/image_pinned.rego");
    assert!(errors[0]["line"].as_u64().unwrap() > 1, "{v:#}");
}

#[test]
fn metadata_is_validated_like_configuration() {
    let s = repo("metadata");
    s.write(
        "policy/image_pinned.rego",
        &TEAM_RULE
            .replace("severity: warning", "severity: critical")
            .replace("input: [kubernetes]", "input: [compse]\n#   scope: global"),
    );
    let o = run_in(s.path(), &["check", "-p", "policy", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let messages: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    for want in [
        "unknown severity `critical`",
        "unknown input kind `compse`",
        "unknown scope `global`",
    ] {
        assert!(
            messages.iter().any(|m| m.contains(want)),
            "{want}: {messages:?}"
        );
    }
    assert!(v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["file"] == "policy/image_pinned.rego" && e["line"] == 1));
}

#[test]
fn config_errors_are_located_at_the_key_with_a_suggestion_and_only_once() {
    let s = repo("config-errors");
    s.write(
        ".tollgate.yml",
        "selct: [kubernetes]\nwaivers:\n  - rule: k8s-probes\n    reasn: legacy\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    let errors: Vec<(String, u64, u64)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["message"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["column"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (
                "invalid configuration: unknown key `selct` (did you mean `select`?)".to_string(),
                1,
                1
            ),
            (
                "invalid configuration: unknown key `waivers[0].reasn` (did you mean `reason`?)"
                    .to_string(),
                4,
                5
            ),
        ]
    );
    // A configuration that is not YAML is one error, never also a parse-error finding.
    s.write(".tollgate.yml", "select: [kubernetes\n");
    let o = run_in(s.path(), &["check", "-f", "json"]);
    let v = json(&o);
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v:#}");
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["file"] != ".tollgate.yml"),
        "{v:#}"
    );
}

#[test]
fn a_finding_on_a_minified_line_is_located_without_echoing_the_line() {
    let s = Scratch::new("cli-minified");
    let filler = "x".repeat(600);
    s.write(
        "trivy-results.json",
        &format!("{{\"SchemaVersion\":2,\"ArtifactName\":\"app\",\"Results\":[{{\"Target\":\"app\",\"Vulnerabilities\":[{{\"VulnerabilityID\":\"CVE-2024-1\",\"PkgName\":\"lib\",\"InstalledVersion\":\"1\",\"FixedVersion\":\"2\",\"Severity\":\"CRITICAL\",\"Description\":\"{filler}\"}}]}}]}}"),
    );
    let o = run_in(
        s.path(),
        &["check", "--select", "trivy-vulnerability", "-f", "json"],
    );
    let v = json(&o);
    let f = &v["findings"][0];
    assert_eq!(f["line"], 1, "{v:#}");
    let col = f["column"].as_u64().unwrap();
    assert!(col > 50, "{v:#}");
    let o = run_in(s.path(), &["check", "--select", "trivy-vulnerability"]);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("trivy-results.json:1:{col}")),
        "{out}"
    );
    assert!(
        !out.contains(&filler),
        "a 700-character line is not echoed: {out}"
    );
}

/// Policy and configuration errors: human and concise print them on standard error, once,
/// whatever formats are asked for, and keep standard output for findings and the summary;
/// machine formats keep them in their own error channel and leave standard error alone.
#[test]
fn errors_go_to_standard_error_once_and_findings_to_standard_output() {
    let s = repo("error-streams");
    s.write(".tollgate.yml", "selct: [kubernetes]\n");
    s.write(
        "policy/broken.rego",
        "package team.broken\n\ndeny contains msg if {\n",
    );
    let config_error = "unknown key `selct`";
    let policy_error = "policy/broken.rego";
    let finding = "container api uses :latest";
    let args = |extra: &[&str]| {
        let mut a = vec!["check", "-p", "policy", "--select", "image-pinned"];
        a.extend_from_slice(extra);
        run_in(s.path(), &a)
    };
    let count = |text: &str, what: &str| text.matches(what).count();
    for format in ["human", "concise"] {
        let o = args(&["-f", format]);
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        let (out, err) = (stdout(&o), stderr(&o));
        assert_eq!(count(&out, finding), 1, "{format} stdout: {out}");
        assert_eq!(count(&out, config_error), 0, "{format} stdout: {out}");
        assert_eq!(count(&out, "error[tollgate]"), 0, "{format} stdout: {out}");
        assert_eq!(count(&err, config_error), 1, "{format} stderr: {err}");
        assert!(count(&err, policy_error) >= 1, "{format} stderr: {err}");
        assert_eq!(count(&err, finding), 0, "{format} stderr: {err}");
    }
    // The human summary still counts the errors, on standard output.
    let o = args(&[]);
    assert!(
        stdout(&o).contains("policy or configuration errors;"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).lines().all(|l| l.starts_with("error: ")),
        "{}",
        stderr(&o)
    );
    // Quiet still reports errors.
    let o = args(&["-q"]);
    assert_eq!(count(&stderr(&o), config_error), 1, "{}", stderr(&o));
    // JSON: the errors are in `errors`, standard error stays empty.
    let o = args(&["-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(stderr(&o), "");
    let v = json(&o);
    let messages: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages.iter().filter(|m| m.contains(config_error)).count(),
        1,
        "{v:#}"
    );
    // Human and concise to files beside JSON on standard output: the errors once on standard
    // error, in the first of them's words, and in neither file.
    let o = args(&[
        "-f",
        "json",
        "-f",
        "concise=out/c.txt",
        "-f",
        "human=out/h.txt",
    ]);
    let err = stderr(&o);
    assert_eq!(count(&err, config_error), 1, "{err}");
    assert!(err.contains("error[tollgate]"), "{err}");
    assert_eq!(
        json(&o)["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["message"].as_str().unwrap().contains(config_error))
            .count(),
        1
    );
    for f in ["out/c.txt", "out/h.txt"] {
        let text = std::fs::read_to_string(s.path().join(f)).unwrap();
        assert_eq!(count(&text, finding), 1, "{f}: {text}");
        assert_eq!(count(&text, config_error), 0, "{f}: {text}");
    }
}
