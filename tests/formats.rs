//! Output formats: snapshot tests of `github`, `sarif`, `junit` and `markdown` over
//! `fixtures/formats/` (team policies only, so that the wording of built-in rules does not
//! matter), waived findings, fingerprints, and validation of the SARIF output, `action.yml` and
//! the workflows against their JSON schemas (`../shared/corpus/schemas/`; under `CI=true` a
//! missing schema fails the test, elsewhere it is skipped).

mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use tollgate::model::rule::docs_url;
use tollgate::model::{
    Finding, Outcome, Pos, Severity, SourceFile, Span, Suppression, SuppressionKind,
};
use tollgate::report::{self, markdown, Context, Format};

/// Variables the reports read; cleared so that a run on a GitHub runner renders the same.
const GITHUB_VARS: &[&str] = &[
    "GITHUB_STEP_SUMMARY",
    "GITHUB_REPOSITORY",
    "GITHUB_SHA",
    "GITHUB_SERVER_URL",
    "TOLLGATE_LINK_SHA",
];

/// A copy of `fixtures/formats/` outside the repository (so that no configuration of the
/// repository applies to it).
fn fixture(name: &str) -> Scratch {
    let s = Scratch::new(&format!("formats-{name}"));
    copy_dir(&repo_root().join("fixtures/formats"), s.path());
    s
}

fn tollgate(dir: &Path) -> Command {
    let mut c = bin();
    for v in GITHUB_VARS {
        c.env_remove(v);
    }
    c.current_dir(dir)
        .args(["check", "--no-builtin", "--policy", "policies"]);
    c
}

fn run_format(dir: &Path, format: &str) -> Output {
    let o = tollgate(dir)
        .args(["--format", format])
        .output()
        .expect("tollgate runs");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    o
}

/// SARIF with the machine-dependent `%SRCROOT%` replaced.
fn sarif_of(dir: &Path, out: &str) -> String {
    let root = std::fs::canonicalize(dir).unwrap();
    let uri = format!(
        "file://{}/",
        report::sarif::uri_path(&root.to_string_lossy())
    );
    let uri2 = format!(
        "file://{}/",
        report::sarif::uri_path(&dir.to_string_lossy())
    );
    out.replace(&uri, "file:///SRCROOT/")
        .replace(&uri2, "file:///SRCROOT/")
}

#[test]
fn github_annotations() {
    let s = fixture("github");
    let o = run_format(s.path(), "github");
    insta::assert_snapshot!("github", stdout(&o));
}

#[test]
fn github_job_summary_is_appended_with_links() {
    let s = fixture("summary");
    let summary = s.path().join("summary.md");
    std::fs::write(&summary, "previous step\n").unwrap();
    let o = tollgate(s.path())
        .args(["--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_SERVER_URL", "https://github.example")
        .env("GITHUB_REPOSITORY", "acme/shop")
        .env("GITHUB_SHA", "0123abcd")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("::notice file=.github/workflows/ci.yml,"));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("previous step\n\n## tollgate: failed"),
        "{text}"
    );
    insta::assert_snapshot!("github_summary", text);
    // No GITHUB_STEP_SUMMARY, no summary; other formats never write one.
    std::fs::write(&summary, "").unwrap();
    let o = tollgate(s.path())
        .args(["--format", "sarif"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read_to_string(&summary).unwrap(), "");
}

#[test]
fn github_says_how_many_annotations_are_hidden() {
    let s = fixture("hidden");
    let mut manifest = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: many}\nspec:\n  template:\n    spec:\n      containers:\n",
    );
    for i in 0..14 {
        manifest.push_str(&format!(
            "        - name: c{i}\n          image: app{i}:latest\n"
        ));
    }
    s.write("deploy/many.yaml", &manifest);
    let summary = s.path().join("summary.md");
    let o = tollgate(s.path())
        .args(["--format", "github"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let out = stdout(&o);
    // 16 + 1 (parse error) = 17 error annotations: 7 past the 10 GitHub shows.
    assert_eq!(out.matches("::error ").count(), 17, "{out}");
    assert!(
        out.contains("7 of these 21 annotations may be hidden. Every finding is listed in this log and in the job summary."),
        "{out}"
    );
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.contains("7 of this run's annotations may be hidden"),
        "{text}"
    );
    assert_eq!(text.matches("\n- **error** ").count(), 17, "{text}");
    // Relative links without the GitHub environment.
    assert!(text.contains("](deploy/many.yaml#L9)"), "{text}");
}

#[test]
fn sarif_report() {
    let s = fixture("sarif");
    let o = run_format(s.path(), "sarif");
    insta::assert_snapshot!("sarif", sarif_of(s.path(), &stdout(&o)));
}

#[test]
fn junit_report() {
    let s = fixture("junit");
    let o = run_format(s.path(), "junit");
    let xml = stdout(&o);
    well_formed(&xml);
    insta::assert_snapshot!("junit", xml);
}

#[test]
fn markdown_report() {
    let s = fixture("markdown");
    let o = run_format(s.path(), "markdown");
    insta::assert_snapshot!("markdown", stdout(&o));
}

#[test]
fn one_run_prints_annotations_and_writes_the_other_formats() {
    let s = fixture("many");
    // The folder of a report file is created.
    let o = tollgate(s.path())
        .args([
            "--format",
            "github",
            "--format",
            "sarif=out/tollgate.sarif",
            "--format",
            "junit=junit.xml",
            "--format",
            "markdown=report.md",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stdout(&o), stdout(&run_format(s.path(), "github")));
    let read = |p: &str| std::fs::read_to_string(s.path().join(p)).unwrap();
    assert_eq!(read("junit.xml"), stdout(&run_format(s.path(), "junit")));
    assert_eq!(read("report.md"), stdout(&run_format(s.path(), "markdown")));
    let sarif: Value = serde_json::from_str(&read("out/tollgate.sarif")).unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 7);
}

#[test]
fn format_names_are_listed() {
    let o = bin().args(["check", "--format", "nope"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("one of: human, concise, json, github, sarif, junit, markdown"),
        "{}",
        stderr(&o)
    );
}

fn well_formed(xml: &str) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(_) => {}
            Err(e) => panic!("not well-formed XML: {e}\n{xml}"),
        }
    }
    assert_eq!(depth, 0, "{xml}");
}

// --- waived findings, rendered from an outcome built from the JSON report -------------------

/// The outcome of the fixture, rebuilt from its JSON report (independent of how waivers are
/// found), with two findings waived: one inline with a reason, one from the configuration
/// without one.
fn waived_outcome(dir: &Path) -> Outcome {
    let o = run_format(dir, "json");
    let v = json(&o);
    let mut outcome = Outcome::default();
    for f in v["findings"].as_array().unwrap() {
        let file = f["file"].as_str().unwrap().to_string();
        let src = outcome
            .sources
            .entry(file.clone())
            .or_insert_with(|| {
                SourceFile::new(
                    file.clone(),
                    std::fs::read_to_string(dir.join(&file)).unwrap(),
                )
            })
            .clone();
        let pos = |l: &str, c: &str| -> Pos {
            src.lines.pos_at(
                &src.text,
                f[l].as_u64().unwrap() as u32,
                f[c].as_u64().unwrap() as u32,
            )
        };
        outcome.findings.push(Finding {
            rule: f["rule"].as_str().unwrap().into(),
            severity: Severity::parse(f["severity"].as_str().unwrap()).unwrap(),
            message: f["message"].as_str().unwrap().into(),
            file: file.clone(),
            span: Span::new(pos("line", "column"), pos("end_line", "end_column")),
            path: f["path"].as_str().map(String::from),
            document: 0,
            related: Vec::new(),
            pinpointed: false,
            suppressed: None,
            identity: None,
            fingerprint: String::new(),
        });
    }
    outcome.files = v["summary"]["files"].as_u64().unwrap() as usize;
    outcome.documents = v["summary"]["documents"].as_u64().unwrap() as usize;
    for f in &mut outcome.findings {
        if f.file == "compose.yaml" {
            f.suppressed = Some(Suppression {
                kind: SuppressionKind::Inline,
                reason: Some("redis is pinned by digest in production".into()),
                expires: Some("2099-12-31".into()),
                source: "compose.yaml:2".into(),
            });
        }
        if f.rule == "no-privileged" && f.message.contains("sidecar") {
            f.suppressed = Some(Suppression {
                kind: SuppressionKind::Config,
                reason: None,
                expires: None,
                source: ".tollgate.yml:4".into(),
            });
        }
    }
    outcome
}

fn ctx(outcome: &Outcome) -> Context<'_> {
    Context {
        outcome,
        rules: &[],
        color: false,
        quiet: false,
    }
}

#[test]
fn waived_findings_are_counted_not_reported_except_in_sarif() {
    let s = fixture("waived");
    let outcome = waived_outcome(s.path());
    let ctx = ctx(&outcome);

    let gh = Format::Github.report().render(&ctx);
    assert_eq!(
        gh.lines().filter(|l| l.starts_with("::")).count(),
        5,
        "{gh}"
    );
    assert!(!gh.contains("compose.yaml"), "{gh}");
    assert!(!gh.contains("container sidecar runs privileged"), "{gh}");
    assert!(
        gh.contains("tollgate: 5 findings (3 errors, 1 warning, 1 note), 2 waived"),
        "{gh}"
    );
    let summary = report::github::step_summary(&ctx, &markdown::Links::default());
    assert!(
        summary.contains("5 findings (3 errors, 1 warning, 1 note), 2 waived"),
        "{summary}"
    );
    assert!(!summary.contains("compose.yaml"), "{summary}");

    let md = markdown::render_with(&ctx, &markdown::Links::default(), Default::default());
    assert!(md.contains(", 2 waived;"), "{md}");
    assert!(!md.contains("compose.yaml"), "{md}");

    let xml = Format::Junit.report().render(&ctx);
    well_formed(&xml);
    insta::assert_snapshot!("junit_waived", xml);

    let sarif = report::sarif::render_with(&ctx, None);
    let v: Value = serde_json::from_str(&sarif).unwrap();
    let results = v["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 7);
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 2);
    insta::assert_snapshot!(
        "sarif_suppressions",
        serde_json::to_string_pretty(&suppressed).unwrap()
    );
    validate_sarif(&sarif, "waived");
}

// --- fingerprints ---------------------------------------------------------------------------

fn results(dir: &Path) -> Vec<(String, String, u64, String)> {
    let o = run_format(dir, "sarif");
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
                r["partialFingerprints"]["tollgate/v2"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn sarif_fingerprints_survive_unrelated_lines_moving() {
    let s = fixture("fingerprints");
    let before = results(s.path());
    let prints: std::collections::BTreeSet<&String> = before.iter().map(|r| &r.3).collect();
    assert_eq!(
        prints.len(),
        before.len(),
        "fingerprints are unique: {before:?}"
    );
    let app = s.path().join("deploy/app.yaml");
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, format!("# moved\n# down\n# three lines\n{text}")).unwrap();
    let after = results(s.path());
    assert_eq!(before.len(), after.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(b.3, a.3, "{b:?} vs {a:?}");
        let moved = if b.1 == "deploy/app.yaml" { 3 } else { 0 };
        assert_eq!(a.2, b.2 + moved, "{b:?} vs {a:?}");
    }
    // Changing the offending line changes its fingerprint, and only its.
    let text = std::fs::read_to_string(&app).unwrap();
    std::fs::write(&app, text.replace("acme/api:latest", "acme/api2:latest")).unwrap();
    let changed = results(s.path());
    let differ: Vec<_> = after
        .iter()
        .zip(&changed)
        .filter(|(a, c)| a.3 != c.3)
        .map(|(a, _)| a.2)
        .collect();
    assert_eq!(differ, vec![14], "{after:?}\n{changed:?}");
}

// --- schemas ----------------------------------------------------------------------------------

/// A schema from `../shared/corpus/schemas/`: `None` (skipped) when it is missing, except in CI.
fn schema(rel: &str) -> Option<Value> {
    let p: PathBuf = repo_root().join("../shared/corpus/schemas").join(rel);
    match std::fs::read_to_string(&p) {
        Ok(t) => Some(serde_json::from_str(&t).unwrap_or_else(|e| panic!("{}: {e}", p.display()))),
        Err(e) => {
            if shared_required() {
                panic!("{} is required in CI: {e}", p.display());
            }
            eprintln!("skipped: {} is missing ({e})", p.display());
            None
        }
    }
}

/// The schema, with what the validator cannot compile fixed.
fn fixed(schema: &Value) -> Value {
    let mut schema = schema.clone();
    // The SARIF schema's `language` patterns have a stray `]`, legal in JavaScript regular
    // expressions but not in the validator's: escape it (tollgate writes no `language`).
    fn fix(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match x {
                        Value::String(p) if k == "pattern" && p.ends_with("{2}]?$") => {
                            *p = p.replace("{2}]?$", "{2}\\]?$");
                        }
                        _ => fix(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(fix),
            _ => {}
        }
    }
    fix(&mut schema);
    schema
}

fn validate(schema: &Value, instance: &Value, what: &str) {
    let schema = fixed(schema);
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not validate:\n{}",
        errors.join("\n")
    );
}

/// Validates against the SARIF 2.1.0 schema and checks GitHub code scanning's constraints.
fn validate_sarif(text: &str, what: &str) {
    let v: Value = serde_json::from_str(text).unwrap();
    // GitHub code scanning: a ruleId and at least one location per result, relative URIs,
    // partialFingerprints, ruleIndex pointing at the rule.
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    for r in run["results"].as_array().unwrap() {
        let id = r["ruleId"].as_str().expect("ruleId");
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id, "{what}: ruleIndex of {r}");
        let locs = r["locations"].as_array().unwrap();
        assert!(!locs.is_empty(), "{what}: {r}");
        let uri = locs[0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(
            !uri.contains("://") && !uri.starts_with('/'),
            "{what}: {uri}"
        );
        assert!(r["partialFingerprints"]
            .as_object()
            .is_some_and(|m| !m.is_empty()));
    }
    let Some(schema) = schema("sarif/sarif-schema-2.1.0.json") else {
        return;
    };
    validate(&schema, &v, what);
}

#[test]
fn sarif_validates_against_the_schema() {
    let s = fixture("schema");
    let o = run_format(s.path(), "sarif");
    validate_sarif(&stdout(&o), "the fixture's SARIF");
    // The schema does catch mistakes.
    if let Some(schema) = schema("sarif/sarif-schema-2.1.0.json") {
        let mut bad: Value = serde_json::from_slice(&o.stdout).unwrap();
        bad["runs"][0]["results"][0]["level"] = Value::String("fatal".into());
        let v = jsonschema::validator_for(&fixed(&schema)).unwrap();
        assert!(!v.is_valid(&bad));
    }

    // A clean run, and a run with a policy error (a tool execution notification).
    let clean = Scratch::new("formats-schema-clean");
    clean.write(
        "policies/p.rego",
        &std::fs::read_to_string(s.path().join("policies/image_pinned.rego")).unwrap(),
    );
    clean.write(
        "deploy/ok.yaml",
        &std::fs::read_to_string(s.path().join("deploy/ok.yaml")).unwrap(),
    );
    let o = tollgate(clean.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"][0]["results"], Value::Array(Vec::new()));
    assert_eq!(v["runs"][0]["invocations"][0]["executionSuccessful"], true);
    validate_sarif(&stdout(&o), "a clean run's SARIF");

    clean.write(
        "policies/broken.rego",
        "package broken\n\ndeny contains x if {\n",
    );
    let o = tollgate(clean.path())
        .args(["--format", "sarif"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert!(!inv["toolExecutionNotifications"]
        .as_array()
        .unwrap()
        .is_empty());
    validate_sarif(&stdout(&o), "a failed run's SARIF");

    // The built-in rules' descriptors (README as help Markdown, helpUri, tags).
    let o = bin()
        .current_dir(clean.path())
        .args(["check", "deploy", "--format", "sarif"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let probes = rules
        .iter()
        .find(|r| r["id"] == "k8s-probes")
        .expect("k8s-probes");
    assert!(probes["help"]["markdown"]
        .as_str()
        .unwrap()
        .starts_with("# k8s-probes"));
    assert_eq!(probes["helpUri"], docs_url("k8s-probes"));
    assert_eq!(
        probes["properties"]["tags"],
        serde_json::json!(["tollgate", "kubernetes", "builtin"])
    );
    validate_sarif(&stdout(&o), "the built-in pack's SARIF");
}

/// A YAML file as JSON, through tollgate's own loader.
fn yaml_value(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = tollgate::model::LineIndex::new(&text);
    let docs = tollgate::source::yaml::parse(&text, &lines, Default::default())
        .unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    assert_eq!(docs.len(), 1, "{}", path.display());
    docs.into_iter().next().unwrap().value
}

#[test]
fn action_and_workflows_validate_against_their_schemas() {
    let (Some(action), Some(workflow)) = (
        schema("github-workflow/github-action.json"),
        schema("github-workflow/github-workflow.json"),
    ) else {
        return;
    };
    let root = repo_root();
    validate(&action, &yaml_value(&root.join("action.yml")), "action.yml");
    let mut n = 0;
    for e in std::fs::read_dir(root.join(".github/workflows")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "yml" || x == "yaml") {
            validate(&workflow, &yaml_value(&p), &p.display().to_string());
            n += 1;
        }
    }
    assert!(n >= 3, "the workflows are there");
    // The schemas do catch mistakes.
    let mut bad = yaml_value(&root.join("action.yml"));
    bad["runs"]["using"] = Value::String("compost".into());
    let v = jsonschema::validator_for(&action).unwrap();
    assert!(!v.is_valid(&bad));
}
