//! conftest-style policies, unchanged: findings without a path are located by searching for
//! the smallest part of the document whose change silences them (`fixtures/conftest/`).

mod common;
use common::*;

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
