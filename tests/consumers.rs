//! Files read as their real consumers read them (issue 11): compose stacks, Kubernetes YAML 1.1,
//! Kustomize patches, parse errors that say what was not checked, templated files.

mod common;
use common::*;

fn findings_of<'a>(v: &'a serde_json::Value, rule: &str) -> Vec<&'a serde_json::Value> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

const BASE: &str = "services:\n  api:\n    image: ghcr.io/acme/api:1\n";
const CI: &str = "services:\n  api:\n    healthcheck:\n      test: [\"CMD\", \"true\"]\n";

#[test]
fn compose_stacks_come_from_the_defaults_and_the_configuration() {
    let s = Scratch::new("stacks");
    s.write("docker-compose.yml", BASE);
    s.write("docker-compose.ci.yml", CI);
    s.write(".tollgate.yml", "select: [compose-healthcheck]\n");
    // The CI file is used on its own: its healthcheck does not reach docker-compose.yml.
    let o = run_in(s.path(), &["check", "-f", "json"]);
    let v = json(&o);
    let locs: Vec<_> = locations(&v)
        .into_iter()
        .filter(|l| l.0 == "compose-healthcheck")
        .collect();
    assert_eq!(
        locs,
        vec![(
            "compose-healthcheck".to_string(),
            "docker-compose.yml".to_string(),
            2,
            3,
            2,
            6
        )]
    );
    // Declared as one stack, they are read together.
    s.write(
        ".tollgate.yml",
        "select: [compose-healthcheck]\ncompose:\n  stacks:\n    - [docker-compose.yml, ./docker-compose.ci.yml]\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    // A malformed declaration is a located configuration error.
    s.write(
        ".tollgate.yml",
        "compose:\n  stacks: [docker-compose.yml]\n",
    );
    let o = run_in(s.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    let out = format!("{}{}", stdout(&o), stderr(&o));
    assert!(
        out.contains(".tollgate.yml:2:12: invalid configuration"),
        "{out}"
    );
}

#[test]
fn one_bad_manifest_does_not_hide_the_others() {
    let s = Scratch::new("partial");
    s.write(
        "k8s/all.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      securityContext:\n        runAsNonRoot: yes\n      containers:\n        - name: web\n          image: nginx:1.27\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--fail-on", "never"]);
    let v = json(&o);
    let parse = findings_of(&v, "parse-error");
    assert_eq!(parse.len(), 1);
    assert_eq!(
        (parse[0]["line"].as_u64(), parse[0]["column"].as_u64()),
        (Some(3), Some(11))
    );
    assert!(parse[0]["message"]
        .as_str()
        .unwrap()
        .ends_with("this document was not checked (the file's other documents were)"));
    // The Deployment is checked, and `runAsNonRoot: yes` is true as kubectl reads it.
    let probes = findings_of(&v, "k8s-probes");
    assert_eq!(probes.len(), 1);
    assert_eq!(probes[0]["line"].as_u64(), Some(15));
    assert!(findings_of(&v, "k8s-non-root").is_empty());
}

#[test]
fn duplicate_keys_are_reported_at_each_repeat_with_the_first_definition() {
    let s = Scratch::new("dups");
    s.write(
        "svc.yaml",
        "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\napiVersion: v1\nkind: Service\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    let parse = findings_of(&v, "parse-error");
    let at: Vec<_> = parse
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["related"][0]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(at, vec![(5, 1), (6, 2)]);
    let m = parse[0]["message"].as_str().unwrap();
    assert!(
        m.contains("two manifests without a `---` line between them"),
        "{m}"
    );
    assert!(m.ends_with("the file's rules were not run"), "{m}");
}

#[test]
fn templated_files_are_one_note_that_settings_decide() {
    let s = Scratch::new("templated");
    s.write(
        "deploy/app.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name }}\ndata:\n  k: [{{ x }\n",
    );
    // A workflow keeps its parse error: its kind is known from its path.
    s.write(
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  a: [{{ x }\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(1));
    let notes = findings_of(&v, "templated-file");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["severity"], "note");
    assert_eq!(notes[0]["file"], "deploy/app.yaml");
    assert_eq!(
        (notes[0]["line"].as_u64(), notes[0]["column"].as_u64()),
        (Some(4), Some(9))
    );
    let parse = findings_of(&v, "parse-error");
    assert_eq!(parse.len(), 1);
    assert_eq!(parse[0]["file"], ".github/workflows/ci.yml");

    s.write(
        ".tollgate.yml",
        "rules:\n  templated-file:\n    severity: error\nignore: [parse-error]\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        findings_of(&json(&o), "templated-file")[0]["severity"],
        "error"
    );

    s.write(".tollgate.yml", "ignore: [templated-file, parse-error]\n");
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn kustomize_patches_are_not_checked_as_manifests() {
    let s = Scratch::new("kustomize");
    s.write(
        "overlays/prod/kustomization.yaml",
        "resources: [../../base]\npatches:\n  - path: replicas.yaml\n",
    );
    s.write(
        "overlays/prod/replicas.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  replicas: 5\n",
    );
    s.write(
        "base/deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: api:1\n",
    );
    s.write(".tollgate.yml", "select: [kubernetes]\n");
    let o = run_in(s.path(), &["check", "-f", "json"]);
    let v = json(&o);
    let files: std::collections::BTreeSet<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(files, ["base/deploy.yaml".to_string()].into());
}
