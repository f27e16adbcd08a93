//! conftest-style policies, unchanged: findings without a path are located by searching for
//! the smallest part of the document whose change silences them (`fixtures/conftest/`).

mod common;
use common::*;
use serde_json::Value;

fn run(dir: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "check",
        "--no-builtin",
        "--policy",
        "policy",
        "-f",
        "json",
        "--fail-on",
        "never",
    ];
    args.extend_from_slice(extra);
    args.push("manifests");
    let o = run_in(dir, &args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    json(&o)
}

fn fixture(name: &str) -> Scratch {
    let s = Scratch::new(&format!("conftest-{name}"));
    copy_dir(&repo_root().join("fixtures/conftest"), s.path());
    s
}

#[test]
fn string_results_are_located_at_what_silences_them() {
    let s = fixture("located");
    let v = run(s.path(), &[]);
    let found: Vec<(String, String, u64, u64, Option<String>)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["path"].as_str().map(String::from),
            )
        })
        .collect();
    let at = |msg: &str| {
        found
            .iter()
            .find(|f| f.0 == msg)
            .unwrap_or_else(|| panic!("no finding {msg:?} in {found:?}"))
    };
    // A false flag: at the flag, not at the name the message quotes.
    let f = at("Containers must not run as root in Deployment hello-kubernetes");
    assert_eq!(
        (f.1.as_str(), f.2, f.3),
        ("manifests/deployment.yaml", 16, 9)
    );
    assert_eq!(
        f.4.as_deref(),
        Some("spec.template.spec.securityContext.runAsNonRoot")
    );
    // The offending item of a list, deep in the template.
    let f = at("sidecar in the Deployment hello-kubernetes uses the latest tag");
    assert_eq!((f.2, f.3), (23, 11));
    let f = at("sidecar in the Deployment hello-kubernetes is privileged");
    assert_eq!((f.2, f.3), (25, 13));
    // Rego v0 rules too, and the second document of a stream.
    let f = at("Service hello-kubernetes must not use NodePort");
    assert_eq!((f.1.as_str(), f.2, f.3), ("manifests/service.yaml", 6, 3));
    let f = at("Service hello-kubernetes exposes SSH");
    assert_eq!((f.2, f.3), (10, 7));
    // Something missing: nothing silences it, so the document's start (never `kind:`).
    let f = at("Containers must provide app label for pod selectors");
    assert_eq!((f.1.as_str(), f.2, f.3), ("manifests/service.yaml", 15, 1));
    assert_eq!(f.4, None);
    // Compose: the published port (a list item no change of a string fixes), the service that
    // lacks a key, the flag.
    let f = at("service web publishes 0.0.0.0:8443:443 on every interface");
    assert_eq!((f.1.as_str(), f.2, f.3), ("manifests/compose.yaml", 7, 9));
    let f = at("service worker has no restart policy");
    assert_eq!((f.2, f.3, f.4.as_deref()), (8, 3, Some("services.worker")));
    let f = at("service worker must not be privileged");
    assert_eq!((f.2, f.3), (10, 5));
    // Workflows: a trigger whose value is null, and the `uses:` of the unpinned step.
    let f = at("workflows must not run on pull_request_target");
    assert_eq!(
        (f.1.as_str(), f.2, f.3),
        ("manifests/.github/workflows/ci.yml", 3, 3)
    );
    let f = at("job test uses actions/setup-node@v4, not pinned to a commit");
    assert_eq!(
        (f.2, f.3, f.4.as_deref()),
        (10, 9, Some("jobs.test.steps[1].uses"))
    );
    let located = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["located_by"] == "search")
        .count();
    assert_eq!(located, 10, "{v:#}");
    assert_eq!(v["findings"].as_array().unwrap().len(), 11, "{v:#}");
}

#[test]
fn no_locate_keeps_the_document_start() {
    let s = fixture("no-locate");
    let v = run(s.path(), &["--no-locate"]);
    for f in v["findings"].as_array().unwrap() {
        assert!(f.get("path").is_none(), "{f}");
        assert!(f.get("located_by").is_none(), "{f}");
        let line = f["line"].as_u64().unwrap();
        assert!(line == 1 || line == 15, "{f}");
    }
}

#[test]
fn human_output_says_how_a_finding_was_located() {
    let s = fixture("human");
    let o = run_in(
        s.path(),
        &["check", "--no-builtin", "--policy", "policy", "manifests"],
    );
    let out = stdout(&o);
    assert!(
        out.contains("note: the rule gave no path: tollgate located the smallest part of the document whose change silences it"),
        "{out}"
    );
    assert!(
        out.contains("note: the rule gave no path: shown at the document's start"),
        "{out}"
    );
}

/// `parse_config_file` and `parse_combined_config_files` resolve a relative path from the
/// folder of the policy file that calls them, as conftest does: the fixture's tests pass under
/// `tollgate test` from its folder and from elsewhere, and `tollgate check` uses the data
/// beside the policy.
#[test]
fn relative_config_files_resolve_from_the_calling_policy() {
    let s = Scratch::new("conftest-relative");
    copy_dir(&repo_root().join("fixtures/conftest-relative"), s.path());
    let o = run_in(s.path(), &["test", "policy"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("tollgate: 2 passed, 0 failed, 0 skipped"),
        "{}",
        stdout(&o)
    );
    // From another working directory, the folder named by its absolute path.
    let elsewhere = Scratch::new("conftest-relative-cwd");
    let policy = s.path().join("policy");
    let o = run_in(elsewhere.path(), &["test", policy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    // `check`: only the container whose registry data.yaml does not list.
    let v = run(s.path(), &[]);
    assert_eq!(
        locations(&v),
        vec![(
            "main/deny".into(),
            "manifests/web.yaml".into(),
            10,
            11,
            10,
            46
        )],
        "{v}"
    );
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
}

/// `check` with the fixture's policies, whatever its exit code.
fn run_errors(dir: &std::path::Path) -> Value {
    let o = run_in(
        dir,
        &[
            "check",
            "--no-builtin",
            "--policy",
            "policy",
            "-f",
            "json",
            "manifests",
        ],
    );
    json(&o)
}

/// A relative path that is not beside the calling policy is not looked up elsewhere (the
/// working directory holds one of that name): the error names the path as resolved and is
/// located at the call. One that leaves the allowed folders is refused.
#[test]
fn relative_config_files_stay_beside_the_policy_and_confined() {
    let s = Scratch::new("conftest-relative-missing");
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  cfg := parse_config_file(\"names.yaml\")\n  not input.metadata.name in cfg.names\n  msg := \"unknown name\"\n}\n",
    );
    s.write("names.yaml", "names: [web]\n");
    s.write(
        "manifests/web.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    );
    let v = run_errors(s.path());
    let e = &v["errors"][0];
    assert_eq!(
        (&e["file"], &e["line"], &e["column"]),
        (
            &Value::from("policy/p.rego"),
            &Value::from(7),
            &Value::from(27)
        ),
        "{v}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("parse_config_file: names.yaml (policy/names.yaml): cannot read"),
        "{v}"
    );
    // `..` out of the scanned and policy folders is refused (the scan covers `manifests`).
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  cfg := parse_config_file(\"../names.yaml\")\n  not input.metadata.name in cfg.names\n  msg := \"unknown name\"\n}\n",
    );
    let v = run_errors(s.path());
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("../names.yaml (names.yaml) is outside the scanned and policy folders"),
        "{v}"
    );
    // Beside the policy, it is read.
    s.write("policy/names.yaml", "names: [api]\n");
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  cfg := parse_config_file(\"names.yaml\")\n  not input.metadata.name in cfg.names\n  msg := \"unknown name\"\n}\n",
    );
    let v = run_errors(s.path());
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["findings"][0]["message"], "unknown name", "{v}");
}
