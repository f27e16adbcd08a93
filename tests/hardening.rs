//! Hostile repositories (issue 10): each test builds the attack in a temporary folder and checks
//! that tollgate neither reads what it must not, nor lets the gate be bypassed, nor goes down.

mod common;

use common::*;
use serde_json::Value;

const SECRET: &str = "GITHUB_TOKEN=ghs_secret_value_do_not_leak";

const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: nginx:1.27\n";

/// A policy that prints every `.trivyignore` entry it is given into a finding.
const LEAK_TRIVYIGNORE: &str = "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  some e in data.tollgate.trivyignore\n  msg := sprintf(\"entry %v\", [e])\n}\n";

fn all_output(o: &std::process::Output) -> String {
    format!("{}{}", stdout(o), stderr(o))
}

#[cfg(unix)]
fn symlink(target: &std::path::Path, link: &std::path::Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

/// Item 1: a `.tollgate.yml` symlinked out of the repository is refused, in every format, and
/// its content is never quoted.
#[cfg(unix)]
#[test]
fn symlinked_config_out_of_the_repository_is_refused_without_quoting_it() {
    let outside = Scratch::new("h1-outside");
    outside.write(
        "secret.pem",
        &format!("-----BEGIN PRIVATE KEY-----\n{SECRET}\n"),
    );
    let s = Scratch::new("h1-repo");
    s.write("k8s/app.yaml", DEPLOY);
    symlink(
        &outside.path().join("secret.pem"),
        &s.path().join(".tollgate.yml"),
    );
    for format in ["human", "json", "sarif", "github", "markdown"] {
        let o = run_in(s.path(), &["check", "-f", format]);
        assert_eq!(o.status.code(), Some(2), "{format}: {}", all_output(&o));
        let out = all_output(&o);
        assert!(!out.contains("ghs_secret"), "{format} leaks: {out}");
        assert!(!out.contains("PRIVATE KEY"), "{format} leaks: {out}");
        assert!(out.contains("outside the repository"), "{format}: {out}");
    }
    // A FIFO or device named `.tollgate.yml` is refused too, not read until memory runs out.
    let s = Scratch::new("h1-dev");
    symlink(
        std::path::Path::new("/dev/zero"),
        &s.path().join(".tollgate.yml"),
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("refused"), "{}", all_output(&o));
}

/// Item 1: a configuration (inside the repository) that is one long string is described, not
/// quoted, in the schema error, which stays located.
#[test]
fn schema_errors_quote_at_most_the_offending_token() {
    let s = Scratch::new("h1-string");
    s.write(
        ".tollgate.yml",
        &format!("\"{SECRET} and much more text\"\n"),
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!all_output(&o).contains("ghs_secret"), "{}", all_output(&o));
    let v = json(&o);
    assert_eq!(v["errors"][0]["file"], ".tollgate.yml");
    assert_eq!(v["errors"][0]["line"], 1);
    // A short wrong token is still shown, so the author can find it.
    s.write(".tollgate.yml", "fail-on: 3\n");
    let o = run_in(s.path(), &["check", "-f", "json"]);
    let v = json(&o);
    let m = v["errors"][0]["message"].as_str().unwrap();
    assert!(m.contains('3'), "{m}");
    assert_eq!(v["errors"][0]["line"], 1);
}

/// Item 2: the scan root's `.trivyignore` symlinked to the environment, to `/dev/zero`, or
/// over the size limit never reaches policies.
#[cfg(unix)]
#[test]
fn trivyignore_is_confined_and_size_limited() {
    let outside = Scratch::new("h2-outside");
    outside.write("environ", &format!("{SECRET}\n"));
    let s = Scratch::new("h2-repo");
    s.write("k8s/app.yaml", DEPLOY);
    s.write("policy/leak.rego", LEAK_TRIVYIGNORE);
    let args = ["check", "-f", "json", "--no-builtin", "--policy", "policy"];
    for target in [
        outside.path().join("environ"),
        std::path::PathBuf::from("/proc/self/environ"),
        std::path::PathBuf::from("/dev/zero"),
    ] {
        let _ = std::fs::remove_file(s.path().join(".trivyignore"));
        symlink(&target, &s.path().join(".trivyignore"));
        let o = run_in(s.path(), &args);
        let out = all_output(&o);
        assert!(
            !out.contains("ghs_secret") && !out.contains("PATH="),
            "{out}"
        );
        let v = json(&o);
        // Nothing reaches the policy; the link itself is reported where it is.
        let found: Vec<(String, String, u64)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["file"].as_str().unwrap().to_string(),
                    f["line"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![(
                "symlink-outside-repository".to_string(),
                ".trivyignore".to_string(),
                1
            )],
            "{v}"
        );
    }
    // A report named on the command line: the `.trivyignore` beside it is read directly, and
    // refused the same way, with an error naming it.
    s.write("trivy.json", "{\"SchemaVersion\": 2, \"Results\": []}\n");
    let _ = std::fs::remove_file(s.path().join(".trivyignore"));
    symlink(
        &outside.path().join("environ"),
        &s.path().join(".trivyignore"),
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            "policy",
            "trivy.json",
            "k8s/app.yaml",
        ],
    );
    let out = all_output(&o);
    assert!(!out.contains("ghs_secret"), "{out}");
    // Over the size limit: reported as such, and its entries do not reach policies.
    let _ = std::fs::remove_file(s.path().join(".trivyignore"));
    s.write(".trivyignore", &"CVE-2024-0001\n".repeat(200));
    let o = run_in(s.path(), &[&args[..], &["--max-file-size", "100"]].concat());
    let v = json(&o);
    let leaked: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().starts_with("entry"))
        .collect();
    assert!(leaked.is_empty(), "{v}");
    // Within the limit, the entries do reach policies (what must keep working).
    s.write(".trivyignore", "CVE-2024-0001\n");
    let o = run_in(s.path(), &args);
    let v = json(&o);
    assert_eq!(v["findings"].as_array().unwrap().len(), 1, "{v}");
}

/// Item 3: the configuration cannot widen the sandbox: `policies:` and `data:` outside the
/// repository are refused, and `parse_config_file` cannot read them or the working directory.
#[test]
fn configuration_cannot_widen_the_sandbox() {
    let outside = Scratch::new("h3-outside");
    outside.write("secret.json", &format!("{{\"token\": \"{SECRET}\"}}\n"));
    outside.write(
        "policies/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"x\" if false\n",
    );
    let s = Scratch::new("h3-repo");
    s.write("k8s/app.yaml", DEPLOY);
    let reader = |path: &str| {
        format!(
            "package main\n\nimport rego.v1\n\ndeny contains msg if {{\n  input.kind == \"Deployment\"\n  f := parse_config_file(\"{path}\")\n  msg := sprintf(\"read %v\", [f])\n}}\n"
        )
    };
    let secret = outside.path().join("secret.json");
    let secret = secret.to_str().unwrap();
    s.write("policy/read.rego", &reader(secret));
    s.write(
        ".tollgate.yml",
        &format!(
            "policies: [{:?}, policy]\ndata: [{secret:?}]\n",
            outside.path().join("policies").to_str().unwrap()
        ),
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--no-builtin"]);
    let out = all_output(&o);
    assert!(!out.contains("ghs_secret"), "{out}");
    assert_eq!(o.status.code(), Some(2), "{out}");
    let v = json(&o);
    let errors: Vec<String> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        errors
            .iter()
            .filter(|e| e.contains("outside the repository"))
            .count()
            >= 2,
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("outside the scanned and policy folders")),
        "{errors:?}"
    );
    // The working directory is not readable as such: checking a sub-folder from a parent that
    // holds a secret (a relative path resolves from the policy's folder, `policy/`).
    let parent = Scratch::new("h3-parent");
    parent.write("secret.json", &format!("{{\"token\": \"{SECRET}\"}}\n"));
    parent.write("repo/k8s/app.yaml", DEPLOY);
    parent.write("policy/read.rego", &reader("../secret.json"));
    let o = run_in(
        parent.path(),
        &[
            "check",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            "policy",
            "repo",
        ],
    );
    let out = all_output(&o);
    assert!(!out.contains("ghs_secret"), "{out}");
    assert!(
        out.contains("outside the scanned and policy folders"),
        "{out}"
    );
}

/// Runs tollgate in `dir` with its standard output a pipe whose reader is already gone.
fn run_closed_stdout(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    bin()
        .current_dir(dir)
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap()
}

/// Item 14: a closed pipe ends every command quietly, without a panic.
#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let s = Scratch::new("h14");
    s.write("k8s/app.yaml", DEPLOY);
    s.write(
        "policy/p_test.rego",
        "package main\n\nimport rego.v1\n\ntest_one if true\n\ntest_two if true\n",
    );
    for args in [
        &["rules"][..],
        &["rules", "--format", "json"][..],
        &["explain", "k8s-probes"][..],
        &["schema"][..],
        &["test", "-v", "policy"][..],
    ] {
        let o = run_closed_stdout(s.path(), args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
    }
    // `check | head`: the run's own verdict (findings: 1), not an error.
    let o = run_closed_stdout(s.path(), &["check", "--today", "2026-11-26"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
}

fn messages(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// Item 13: a rule that runs past `--policy-timeout` is a located policy error for that
/// document; other documents and other rules are still checked. A huge `numbers.range` is an
/// error, not an abort.
#[test]
fn rego_has_a_time_and_size_budget() {
    let s = Scratch::new("h13");
    s.write(
        "k8s/slow.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: slow}\n",
    );
    s.write(
        "k8s/fast.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fast}\n",
    );
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.metadata.name == \"slow\"\n  n := count([x | some i in numbers.range(1, 30000); some j in numbers.range(1, 30000); x := i + j])\n  msg := sprintf(\"slow %d\", [n])\n}\n\ndeny contains msg if {\n  input.metadata.name == \"fast\"\n  count(numbers.range(1, 2000000000)) > 0\n  msg := \"huge\"\n}\n",
    );
    s.write(
        "policy/cheap.rego",
        "package cheap\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"seen %s\", [input.metadata.name])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            "policy",
            "--all-namespaces",
            "--policy-timeout",
            "300ms",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v = json(&o);
    let mut found = messages(&v, "findings");
    found.sort();
    // The other rule still ran on both documents: rules run one by one, so the slow one costs
    // only its own result on that document.
    assert_eq!(found, vec!["seen fast", "seen slow"], "{v}");
    let errors = v["errors"].as_array().unwrap();
    let timeout = errors
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains("time limit"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(timeout["file"], "policy/p.rego");
    assert!(timeout["line"].as_u64().is_some(), "{timeout}");
    assert!(timeout["message"]
        .as_str()
        .unwrap()
        .contains("(on k8s/slow.yaml)"));
    assert!(
        errors.iter().any(|e| {
            let m = e["message"].as_str().unwrap();
            m.contains("numbers.range") && m.contains("limit") && m.contains("(on k8s/fast.yaml)")
        }),
        "{v}"
    );
    // Bad values are usage errors.
    for bad in ["0s", "-1", "abc", "5h"] {
        let o = run_in(s.path(), &["check", "--policy-timeout", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

/// Item 13: a rule that allocates past `--policy-memory` is a located policy error for that
/// document (regorus's allocation limit, with the `mimalloc` feature); the other documents and
/// rules are still checked, and the run does not abort.
#[cfg(feature = "mimalloc")]
#[test]
fn rego_has_a_memory_budget() {
    let s = Scratch::new("h13mem");
    s.write(
        "k8s/big.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\n",
    );
    s.write(
        "k8s/small.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: small}\n",
    );
    // 3,000 × 3,000 strings: gigabytes, built faster than the time limit notices.
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.metadata.name == \"big\"\n  xs := numbers.range(1, 3000)\n  ys := [concat(\"-\", [format_int(a, 10), format_int(b, 10), \"padding-padding-padding-padding\"]) | some a in xs; some b in xs]\n  msg := sprintf(\"built %d\", [count(ys)])\n}\n",
    );
    s.write(
        "policy/cheap.rego",
        "package cheap\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"seen %s\", [input.metadata.name])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            "policy",
            "--all-namespaces",
            "--policy-timeout",
            "60s",
            "--policy-memory",
            "64MiB",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let v = json(&o);
    let mut found = messages(&v, "findings");
    found.sort();
    assert_eq!(found, vec!["seen big", "seen small"], "{v}");
    let errors = v["errors"].as_array().unwrap();
    let over = errors
        .iter()
        .find(|e| e["message"].as_str().unwrap().contains("memory"))
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(over["file"], "policy/p.rego");
    assert!(over["line"].as_u64().is_some(), "{over}");
    assert!(
        over["message"]
            .as_str()
            .unwrap()
            .contains("(on k8s/big.yaml)"),
        "{over}"
    );
    for bad in ["0", "12", "abc", "5TB"] {
        let o = run_in(s.path(), &["check", "--policy-memory", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
    }
}

/// Item 18: `time.now_ns` is noon UTC of `--today`; `rand.intn` and `uuid.rfc4122` are errors.
#[test]
fn policies_are_deterministic() {
    let s = Scratch::new("h18");
    s.write(
        "k8s/a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    );
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"now %d\", [time.now_ns()])\n}\n",
    );
    s.write(
        "policy/r.rego",
        "package random\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"rand %d\", [rand.intn(\"x\", 100)])\n}\n",
    );
    s.write(
        "policy/u.rego",
        "package uuid\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf(\"uuid %s\", [uuid.rfc4122(\"x\")])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--no-builtin",
            "--policy",
            "policy",
            "--all-namespaces",
            "--today",
            "2026-01-15",
        ],
    );
    let v = json(&o);
    // 2026-01-15T12:00:00Z
    assert_eq!(
        messages(&v, "findings"),
        vec!["now 1768478400000000000"],
        "{v}"
    );
    let errors = messages(&v, "errors");
    assert!(
        errors
            .iter()
            .any(|e| e.contains("rand.intn is not available")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("uuid.rfc4122 is not available")),
        "{errors:?}"
    );
    assert_eq!(o.status.code(), Some(2));
}

/// Item 7: a waiver directive counts only in a real YAML comment, not inside a quoted or block
/// scalar or a key; an inline `expires=` that is not a date waives nothing.
#[test]
fn waiver_directives_count_only_in_comments() {
    let s = Scratch::new("h7");
    let manifest = |name_line: &str| {
        format!("apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: api}}\nspec:\n  template:\n    spec:\n      containers:\n{name_line}\n          image: nginx:1.27\n")
    };
    let probes = |v: &Value| -> Vec<(u64, bool)> {
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule"] == "k8s-probes")
            .map(|f| (f["line"].as_u64().unwrap(), f.get("suppressed").is_some()))
            .collect()
    };
    let run = |s: &Scratch| {
        json(&run_in(
            s.path(),
            &["check", "-f", "json", "--today", "2026-11-26", "k8s"],
        ))
    };
    for hostile in [
        "        - name: \"api # tollgate: ignore[k8s-probes] quoted, not a comment\"",
        "        - name: 'api # tollgate: ignore[k8s-probes] quoted, not a comment'",
        "        - name: |\n            api # tollgate: ignore[k8s-probes] block scalar\n          env: []",
        "        - \"x # tollgate: ignore[k8s-probes] key\": 1\n          name: api",
    ] {
        s.write("k8s/app.yaml", &manifest(hostile));
        let v = run(&s);
        let p = probes(&v);
        assert_eq!(p.len(), 1, "{hostile}: {v}");
        assert!(!p[0].1, "waived by a scalar: {hostile}: {v}");
    }
    // A real comment still waives.
    s.write(
        "k8s/app.yaml",
        &manifest("        - name: api  # tollgate: ignore[k8s-probes] the probe ships in v2"),
    );
    let v = run(&s);
    assert_eq!(probes(&v), vec![(8, true)], "{v}");
    // An expiry that is not a date waives nothing, and says so at the directive.
    s.write(
        "k8s/app.yaml",
        &manifest("        - name: api  # tollgate: ignore[k8s-probes] expires=someday the probe ships in v2"),
    );
    let v = run(&s);
    assert_eq!(probes(&v), vec![(8, false)], "{v}");
    let invalid: Vec<(u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "waiver-invalid-expiry")
        .map(|f| (f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect();
    assert_eq!(invalid, vec![(8, 22)], "{v}");
}

/// Item 4: symlinked manifests and workflows inside the repository are followed (the target is
/// checked once); those resolving outside, dangling or to a device are reported, not skipped.
#[cfg(unix)]
#[test]
fn symlinks_in_walks_are_followed_or_reported() {
    let outside = Scratch::new("h4-outside");
    outside.write("app.yaml", DEPLOY);
    let s = Scratch::new("h4-repo");
    s.write("base/app.yaml", DEPLOY);
    std::fs::create_dir_all(s.path().join("k8s")).unwrap();
    std::fs::create_dir_all(s.path().join(".github/workflows")).unwrap();
    // Inside, to a file also walked directly: checked once, at its own path.
    symlink(
        &s.path().join("base/app.yaml"),
        &s.path().join("k8s/same.yaml"),
    );
    // Inside, relative, to a file under an ignored folder: followed, shown at the link.
    s.write(".gitignore", "hidden/\n");
    s.write("hidden/web.yaml", &DEPLOY.replace("name: api", "name: web"));
    symlink(
        std::path::Path::new("../hidden/web.yaml"),
        &s.path().join("k8s/web.yaml"),
    );
    // Outside, dangling, a device, and a folder outside: reported.
    symlink(
        &outside.path().join("app.yaml"),
        &s.path().join("k8s/out.yaml"),
    );
    symlink(
        &s.path().join("nothing.yaml"),
        &s.path().join("k8s/dangling.yaml"),
    );
    symlink(
        std::path::Path::new("/dev/zero"),
        &s.path().join(".github/workflows/ci.yml"),
    );
    symlink(outside.path(), &s.path().join("k8s/vendor"));
    // A FIFO inside the repository, through a link: not a regular file.
    let made = std::process::Command::new("mkfifo")
        .arg(s.path().join("fifo"))
        .status()
        .unwrap();
    assert!(made.success());
    symlink(
        std::path::Path::new("../fifo"),
        &s.path().join("k8s/pipe.yaml"),
    );
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  msg := sprintf(\"deployment %s\", [input.metadata.name])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--today",
            "2026-11-26",
            "--no-builtin",
            "--policy",
            "policy",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = json(&o);
    let mut found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().chars().take(40).collect(),
            )
        })
        .collect();
    found.sort();
    let row = |r: &str, f: &str, m: &str| (r.to_string(), f.to_string(), m.to_string());
    assert_eq!(
        found,
        vec![
            row("main/deny", "base/app.yaml", "deployment api"),
            row("main/deny", "k8s/web.yaml", "deployment web"),
            row(
                "symlink-outside-repository",
                ".github/workflows/ci.yml",
                "the symlink resolves outside the reposit"
            ),
            row(
                "symlink-outside-repository",
                "k8s/dangling.yaml",
                "the symlink does not resolve to anything"
            ),
            row(
                "symlink-outside-repository",
                "k8s/out.yaml",
                "the symlink resolves outside the reposit"
            ),
            row(
                "symlink-outside-repository",
                "k8s/pipe.yaml",
                "the symlink resolves to something that i"
            ),
            row(
                "symlink-outside-repository",
                "k8s/vendor",
                "the symlink resolves outside the reposit"
            ),
        ],
        "{v}"
    );
    for f in v["findings"].as_array().unwrap() {
        if f["rule"] == "symlink-outside-repository" {
            assert_eq!(
                (f["line"].as_u64(), f["column"].as_u64()),
                (Some(1), Some(1))
            );
        }
    }
}

/// Item 5: two files whose displayed paths would coincide are both checked; undecodable bytes
/// are shown escaped.
#[cfg(target_os = "linux")]
#[test]
fn files_are_deduplicated_on_their_real_path() {
    use std::os::unix::ffi::OsStrExt;
    let s = Scratch::new("h5");
    s.write("deploy/app.yaml", DEPLOY);
    // On Linux `deploy\app.yaml` is one file name in the root, not a path.
    s.write(
        "deploy\\app.yaml",
        &DEPLOY.replace("name: api", "name: back"),
    );
    let bad = |b: u8| {
        let mut name = b"bad-".to_vec();
        name.push(b);
        name.extend_from_slice(b".yaml");
        s.path().join(std::ffi::OsStr::from_bytes(&name))
    };
    std::fs::write(bad(0xff), DEPLOY.replace("name: api", "name: ff")).unwrap();
    std::fs::write(bad(0xfe), DEPLOY.replace("name: api", "name: fe")).unwrap();
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  msg := sprintf(\"deployment %s\", [input.metadata.name])\n}\n",
    );
    let o = run_in(
        s.path(),
        &["check", "-f", "json", "--no-builtin", "--policy", "policy"],
    );
    let v = json(&o);
    let mut found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("bad-\\xfe.yaml".to_string(), "deployment fe".to_string()),
            ("bad-\\xff.yaml".to_string(), "deployment ff".to_string()),
            ("deploy/app.yaml".to_string(), "deployment api".to_string()),
            (
                "deploy\\app.yaml".to_string(),
                "deployment back".to_string()
            ),
        ],
        "{v}"
    );
}

/// Item 15: inside GitHub Actions, repository content cannot inject workflow commands through
/// any format or through `print()`; the github format keeps its own commands, without NUL or
/// terminal escapes.
#[test]
fn output_cannot_inject_workflow_commands() {
    let s = Scratch::new("h15");
    s.write(
        "k8s/a.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"api\\n::set-output name=findings::0\\n  ::add-mask::x\"\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: \"web ##[stop-commands]tok \\e[31mred\\0nul\"\n",
    );
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  print(input.metadata.name)\n  msg := sprintf(\"configmap %s\", [input.metadata.name])\n}\n",
    );
    let command_lines = |text: &str, own: bool| -> Vec<String> {
        text.lines()
            .filter(|l| {
                let t = l.trim_start();
                (t.starts_with("::")
                    && !(own
                        && [
                            "::error ",
                            "::warning ",
                            "::notice ",
                            "::group::",
                            "::endgroup::",
                        ]
                        .iter()
                        .any(|c| t.starts_with(c))))
                    || l.contains("##[")
            })
            .map(str::to_string)
            .collect()
    };
    for format in ["human", "json", "sarif", "markdown", "junit", "github"] {
        let o = bin()
            .current_dir(s.path())
            .env("GITHUB_ACTIONS", "true")
            .args([
                "check",
                "-f",
                format,
                "--no-builtin",
                "--policy",
                "policy",
                "--color",
                "never",
            ])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{format}: {}", stderr(&o));
        let out = stdout(&o);
        let bad = command_lines(&out, format == "github");
        assert!(bad.is_empty(), "{format}: {bad:?}\n{out}");
        let bad = command_lines(&stderr(&o), false);
        assert!(bad.is_empty(), "{format} stderr (print): {bad:?}");
        if format == "github" {
            assert!(!out.contains('\0') && !out.contains('\u{1b}'), "{out:?}");
        }
        if format == "json" {
            // The escape keeps the value.
            let v = json(&o);
            let msgs = messages(&v, "findings");
            assert!(
                msgs.iter().any(|m| m.contains("web ##[stop-commands]tok")),
                "{msgs:?}"
            );
            assert!(
                msgs.iter()
                    .any(|m| m.contains("\n::set-output name=findings::0")),
                "{msgs:?}"
            );
        }
    }
    // Outside GitHub Actions the text is left as it is.
    let o = bin()
        .current_dir(s.path())
        .env_remove("GITHUB_ACTIONS")
        .args(["check", "-f", "json", "--no-builtin", "--policy", "policy"])
        .output()
        .unwrap();
    assert!(stdout(&o).contains("##[stop-commands]"));
}

/// (rule, file, line) of every finding.
fn rule_lines(v: &Value) -> Vec<(String, String, u64)> {
    let mut out: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Item 11: malformed reports are located parse errors, never a silent pass.
#[test]
fn malformed_reports_fail_closed() {
    let s = Scratch::new("h11");
    let trivy = |vulns: &str, version: &str| {
        format!("{{\n  \"SchemaVersion\": {version},\n  \"ArtifactName\": \"app\",\n  \"Results\": [\n    {{\n      \"Target\": \"app\",\n      \"Vulnerabilities\": {vulns}\n    }}\n  ]\n}}\n")
    };
    s.write(
        "trivy-severity.json",
        &trivy("[\n        {\"VulnerabilityID\": \"CVE-2024-1\", \"PkgName\": \"x\",\n         \"Severity\": [\"HIGH\"]}\n      ]", "2"),
    );
    s.write("trivy-none.json", &trivy("\"none\"", "2"));
    s.write("trivy-version.json", &trivy("[]", "\"two\""));
    s.write(
        "web/coverage/coverage-summary.json",
        "{\n  \"total\": {\n    \"lines\": {\"covered\": 18446744073709551615, \"total\": 1, \"pct\": 100}\n  }\n}\n",
    );
    s.write(
        "api/coverage/coverage-summary.json",
        "{\n  \"total\": {\n    \"lines\": {\"covered\": \"80\", \"total\": 100, \"pct\": 80}\n  }\n}\n",
    );
    s.write(
        "py/coverage.xml",
        "<?xml version=\"1.0\"?>\n<coverage line-rate=\"1\" lines-covered=\"10\" lines-valid=\"5\" branch-rate=\"1\">\n  <packages/>\n</coverage>\n",
    );
    // Found by the fuzzer: branch counts whose sum overflowed (a panic in debug builds, a wrap
    // in release ones). Saturated, then more covered than the total.
    s.write(
        "go/coverage.xml",
        "<coverage lines-valid=\"2\" lines-covered=\"2\" line-rate=\"1\" branch-rate=\"1\">\n<packages><package name=\"p\"><classes>\n<class name=\"a\" filename=\"a.go\"><lines>\n<line number=\"1\" hits=\"1\" branch=\"true\" condition-coverage=\"50% (18446744073709551615/2)\"/>\n<line number=\"2\" hits=\"1\" branch=\"true\" condition-coverage=\"50% (1/2)\"/>\n</lines></class></classes></package></packages></coverage>\n",
    );
    // Summary records that cover more than there is (two sections of one file add up).
    s.write(
        "native/coverage.info",
        "SF:a.c\nLH:4000000000\nLF:10\nend_of_record\nSF:a.c\nLH:4000000000\nend_of_record\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--today", "2026-11-26"]);
    let v = json(&o);
    assert_eq!(o.status.code(), Some(1), "{v}");
    let parse_errors: Vec<(String, u64)> = rule_lines(&v)
        .into_iter()
        .filter(|(r, _, _)| r == "parse-error")
        .map(|(_, f, l)| (f, l))
        .collect();
    assert_eq!(
        parse_errors,
        vec![
            ("api/coverage/coverage-summary.json".to_string(), 3),
            ("go/coverage.xml".to_string(), 1),
            ("native/coverage.info".to_string(), 1),
            ("py/coverage.xml".to_string(), 2),
            ("trivy-none.json".to_string(), 7),
            ("trivy-severity.json".to_string(), 9),
            ("trivy-version.json".to_string(), 2),
            ("web/coverage/coverage-summary.json".to_string(), 3),
        ],
        "{v}"
    );
    // No message quotes more than the field.
    for f in v["findings"].as_array().unwrap() {
        let m = f["message"].as_str().unwrap();
        assert!(!m.contains("CVE-2024-1"), "{m}");
    }
}

/// Item 16: Markdown escapes mentions and keeps every section within its size cap, truncating
/// inside a file; SARIF caps its results with a note.
#[test]
fn markdown_and_sarif_stay_within_their_budgets() {
    let s = Scratch::new("h16");
    let docs = |n: usize, name: &str| {
        (0..n)
            .map(|i| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-{i}\n"))
            .collect::<Vec<_>>()
            .join("---\n")
    };
    // 300 findings with long messages in one file.
    s.write("k8s/many.yaml", &docs(300, "many"));
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  startswith(input.metadata.name, \"many\")\n  msg := sprintf(\"configmap %s, ping @octocat and @acme/security: %s\", [input.metadata.name, concat(\"\", [\"x\" | some _ in numbers.range(1, 300)])])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "markdown",
            "--no-builtin",
            "--policy",
            "policy",
        ],
    );
    let md = stdout(&o);
    assert!(md.len() < 65_536, "{}", md.len());
    assert!(
        !md.contains("@octocat") && !md.contains("@acme"),
        "mentions"
    );
    assert!(md.contains("@\u{200b}octocat"), "the text is kept");
    let shown = md.matches("- **error** ").count();
    assert!(shown > 0 && shown < 300, "{shown}");
    assert!(
        md.contains(&format!("… {} more findings not shown", 300 - shown)),
        "{}",
        &md[md.len().saturating_sub(600)..]
    );
    // Thousands of policy errors: the errors section keeps to its budget.
    let s = Scratch::new("h16-errors");
    s.write("k8s/many.yaml", &docs(3000, "err"));
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  n := to_number(trim_prefix(input.metadata.name, \"err-\"))\n  msg := sprintf(\"%d\", [count(numbers.range(1, 2000000 + n))])\n}\n",
    );
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "markdown",
            "--no-builtin",
            "--policy",
            "policy",
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    let full = run_in(
        s.path(),
        &["check", "-f", "json", "--no-builtin", "--policy", "policy"],
    );
    assert_eq!(json(&full)["errors"].as_array().unwrap().len(), 3000);
    let md = stdout(&o);
    assert!(md.len() < 65_536, "{}", md.len());
    assert!(
        md.contains("more errors not shown"),
        "{}",
        &md[..600.min(md.len())]
    );
    // SARIF: at most 5,000 results, and a note counting the rest.
    let s = Scratch::new("h16-sarif");
    s.write("k8s/many.yaml", &docs(5200, "sarif"));
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains \"x\" if true\n",
    );
    let o = run_in(
        s.path(),
        &["check", "-f", "sarif", "--no-builtin", "--policy", "policy"],
    );
    let v = json(&o);
    let run = &v["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 5000);
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notes.iter().any(|n| n["message"]["text"]
            .as_str()
            .unwrap()
            .starts_with("200 more findings are not included")),
        "{notes:?}"
    );
}

/// Item 9: a run that checks nothing fails (exit 2) unless `--allow-empty`; named streams are
/// read (standard input as `-`, a FIFO), with a diff of nothing checked not being "nothing".
#[cfg(unix)]
#[test]
fn a_run_that_checks_nothing_does_not_pass() {
    let s = Scratch::new("h9");
    std::fs::create_dir_all(s.path().join("empty")).unwrap();
    let o = run_in(s.path(), &["check", "-f", "json", "empty"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let v = json(&o);
    assert!(
        messages(&v, "errors")[0]
            .starts_with("nothing to check: no file tollgate reads was found in empty"),
        "{v}"
    );
    let o = run_in(s.path(), &["check", "-f", "json", "--allow-empty", "empty"]);
    assert_eq!(o.status.code(), Some(0));
    // Standard input, shown as `-`, its kind from the content or --stdin-kind.
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: nginx:latest\n";
    for extra in [&[][..], &["--stdin-kind", "kubernetes"][..]] {
        let mut child = bin()
            .current_dir(s.path().join("empty"))
            .args(["check", "-f", "json", "--today", "2026-11-26"])
            .args(extra)
            .arg("-")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(manifest.as_bytes())
            .unwrap();
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
        let v = json(&o);
        assert!(
            locations(&v)
                .iter()
                .any(|l| l.0 == "k8s-probes" && l.1 == "-" && l.2 == 8),
            "{v}"
        );
    }
    // A FIFO named on the command line is read, not walked as an empty folder.
    let fifo = s.path().join("deploy.yaml");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let writer = {
        let fifo = fifo.clone();
        let text = manifest.to_string();
        std::thread::spawn(move || std::fs::write(fifo, text))
    };
    let o = run_in(
        s.path(),
        &[
            "check",
            "-f",
            "json",
            "--today",
            "2026-11-26",
            "deploy.yaml",
        ],
    );
    writer.join().unwrap().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    assert!(
        locations(&v)
            .iter()
            .any(|l| l.0 == "k8s-probes" && l.1 == "deploy.yaml" && l.2 == 8),
        "{v}"
    );
}

/// Item 12 and a fuzzing find: nested anchors are charged against the node budget, and
/// collections used as keys cost linear, not exponential, memory.
#[test]
fn yaml_memory_holds_for_nested_anchors_and_complex_keys() {
    let s = Scratch::new("h12");
    let items = vec!["1"; 100_000].join(",");
    let anchors: String = (0..250).map(|i| format!("&a{i} [")).collect();
    s.write(
        "nested.yaml",
        &format!("a: {anchors}[{items}]{}\n", "]".repeat(250)),
    );
    // 200 nested flow mappings as keys (47 bytes of this ran out of memory).
    s.write(
        "keys.yaml",
        &format!("{}0{}\n", "{".repeat(200), "}".repeat(200)),
    );
    let o = run_in(
        s.path(),
        &["check", "-f", "json", "nested.yaml", "keys.yaml"],
    );
    let v = json(&o);
    // `{{…}}` reads as a template expression too: a note, not a parse error.
    let errs: Vec<(String, String, u64)> = rule_lines(&v)
        .into_iter()
        .filter(|(rule, _, _)| rule != "templated-file")
        .collect();
    assert_eq!(
        errs,
        vec![("parse-error".to_string(), "nested.yaml".to_string(), 1)],
        "{v}"
    );
    assert!(
        messages(&v, "findings")
            .iter()
            .any(|m| m.contains("document too large")),
        "{v}"
    );
    // keys.yaml parses within the budget; its `{{` makes it a templated file (a note).
    assert_eq!(v["summary"]["files"], 2, "{v}");
}

/// Item 10: one configuration per run, from the working directory (up to the git root), never
/// from the first named path; `--no-config` uses none; the human summary names it.
#[test]
fn the_configuration_comes_from_the_working_directory() {
    let s = Scratch::new("h10");
    let deploy = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: nginx:1.27\n";
    s.write("a/app.yaml", deploy);
    s.write("b/app.yaml", deploy);
    // A pull request adds a config inside a checked folder that turns the rule off.
    s.write("a/.tollgate.yml", "ignore: [k8s-probes]\n");
    let probes = |v: &Value| -> Vec<String> {
        rule_lines(v)
            .into_iter()
            .filter(|(r, _, _)| r == "k8s-probes")
            .map(|(_, f, _)| f)
            .collect()
    };
    let o = run_in(s.path(), &["check", "-f", "json", "a", "b"]);
    assert_eq!(probes(&json(&o)), vec!["a/app.yaml", "b/app.yaml"]);
    // The working directory's config applies to every path.
    s.write(".tollgate.yml", "ignore: [k8s-probes]\n");
    let o = run_in(s.path(), &["check", "-f", "json", "b", "a"]);
    assert!(probes(&json(&o)).is_empty());
    let o = run_in(s.path(), &["check", "--no-config", "-f", "json", "b", "a"]);
    assert_eq!(probes(&json(&o)), vec!["a/app.yaml", "b/app.yaml"]);
    let o = run_in(s.path(), &["check", "--color", "never", "a"]);
    assert!(
        stdout(&o).contains("configuration: .tollgate.yml\n"),
        "{}",
        stdout(&o)
    );
}

/// Item 8: a rule setting its schema (METADATA `custom.schema`) rejects is a located
/// configuration error, not a silently disabled gate; a fraction for a percentage included.
#[test]
fn wrongly_typed_settings_are_located_errors() {
    let s = Scratch::new("h8");
    s.write(
        "web/coverage/coverage-summary.json",
        "{\"total\": {\"lines\": {\"covered\": 50, \"total\": 100, \"pct\": 50}}}\n",
    );
    for bad in ["\"80\"", "-5", "null", "[80]", "0.8", "101"] {
        s.write(
            ".tollgate.yml",
            &format!("rules:\n  coverage-threshold:\n    settings:\n      lines: {bad}\n"),
        );
        let o = run_in(s.path(), &["check", "-f", "json"]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stdout(&o));
        let v = json(&o);
        let e = &v["errors"][0];
        assert_eq!(e["file"], ".tollgate.yml", "{v}");
        assert_eq!(
            (e["line"].as_u64(), e["column"].as_u64()),
            (Some(4), Some(7)),
            "{bad}: {v}"
        );
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("setting `lines` of rule `coverage-threshold` must be"),
            "{v}"
        );
    }
    // A number still works, and the gate holds.
    s.write(
        ".tollgate.yml",
        "rules:\n  coverage-threshold:\n    settings:\n      lines: 80\n",
    );
    let o = run_in(s.path(), &["check", "-f", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(rule_lines(&json(&o))
        .iter()
        .any(|(r, _, _)| r == "coverage-threshold"));
}

/// Item 6: inside a git repository every tracked file is a candidate whatever `.gitignore` says
/// (GitHub runs a force-added workflow); untracked ignored files stay ignored, and the config's
/// `exclude` and the always-skipped folders (`node_modules/`, …) still win over tracking.
#[test]
fn tracked_files_are_checked_whatever_gitignore_says() {
    let s = Scratch::new("h6");
    let wf = |name: &str| {
        format!("name: {name}\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo {name}\n")
    };
    let deploy = |name: &str| DEPLOY.replace("name: api", &format!("name: {name}"));
    s.write(
        ".gitignore",
        ".github/\ndeploy/generated/\nexcluded/\nnode_modules/\ngone.yml\n",
    );
    s.write(".tollgate.yml", "exclude: [\"excluded/**\"]\n");
    s.write(
        "policy/p.rego",
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n  input.on == \"push\"\n  msg := sprintf(\"workflow %s\", [input.name])\n}\n\ndeny contains msg if {\n  input.kind == \"Deployment\"\n  msg := sprintf(\"deployment %s\", [input.metadata.name])\n}\n",
    );
    s.write(".github/workflows/ci.yml", &wf("forced"));
    s.write(".github/workflows/local.yml", &wf("untracked"));
    s.write("deploy/generated/app.yml", &deploy("forced-deep"));
    s.write("deploy/generated/tmp.yml", &deploy("untracked-deep"));
    s.write("excluded/wf.yml", &deploy("excluded"));
    s.write("node_modules/pkg/wf.yml", &deploy("node-modules"));
    s.write("plain.yml", &deploy("plain"));
    s.write("gone.yml", &deploy("gone"));
    let repo = git2::Repository::init(s.path()).unwrap();
    let mut index = repo.index().unwrap();
    // `add_path` adds whatever the ignore rules say, as `git add -f` does.
    for f in [
        ".gitignore",
        ".tollgate.yml",
        "policy/p.rego",
        ".github/workflows/ci.yml",
        "deploy/generated/app.yml",
        "excluded/wf.yml",
        "node_modules/pkg/wf.yml",
        "plain.yml",
        "gone.yml",
    ] {
        index.add_path(std::path::Path::new(f)).unwrap();
    }
    index.write().unwrap();
    // Tracked, ignored, then deleted from the working tree: nothing to read, no error.
    std::fs::remove_file(s.path().join("gone.yml")).unwrap();
    let names = |args: &[&str]| {
        let mut all = vec!["check", "-f", "json", "--no-builtin", "--policy", "policy"];
        all.extend_from_slice(args);
        let o = run_in(s.path(), &all);
        assert_eq!(o.status.code(), Some(1), "{}", all_output(&o));
        let v = json(&o);
        assert_eq!(v["errors"].as_array().map(Vec::len), Some(0), "{v}");
        let mut found: Vec<(String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["file"].as_str().unwrap().to_string(),
                    f["message"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let row = |f: &str, m: &str| (f.to_string(), m.to_string());
    assert_eq!(
        names(&[]),
        vec![
            row(".github/workflows/ci.yml", "workflow forced"),
            row("deploy/generated/app.yml", "deployment forced-deep"),
            row("plain.yml", "deployment plain"),
        ]
    );
    // A walked folder below the root reads the same index.
    assert_eq!(
        names(&["deploy"]),
        vec![row("deploy/generated/app.yml", "deployment forced-deep")]
    );
    // Outside git the ignore files decide, as before.
    std::fs::remove_dir_all(s.path().join(".git")).unwrap();
    assert_eq!(names(&[]), vec![row("plain.yml", "deployment plain")]);
}

/// A key that regorus's own JSON deserializer reads as a number in disguise
/// (`$serde_json::private::Number`) must not make a document undefined: every rule still sees
/// it (a pull request could otherwise silence the gate on any file): the manifest's rules and
/// the compose project rules.
#[test]
fn a_number_in_disguise_does_not_silence_a_document() {
    let s = Scratch::new("h-disguise");
    s.write(
        "k8s/app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  annotations: {\"$serde_json::private::Number\": \"x\"}\nspec:\n  template:\n    spec:\n      containers:\n        - name: api\n          image: nginx:latest\n",
    );
    s.write(
        "docker-compose.yml",
        "x-a: {\"$serde_json::private::Number\": \"x\"}\nservices:\n  api:\n    image: nginx:1.27\n",
    );
    let o = run_in(
        s.path(),
        &["check", "-f", "json", "--today", "2026-11-26", "."],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let v = json(&o);
    let found = locations(&v);
    assert!(
        found
            .iter()
            .any(|l| l.0 == "k8s-probes" && l.1 == "k8s/app.yaml" && l.2 == 10),
        "{v}"
    );
    assert!(
        found
            .iter()
            .any(|l| l.0 == "compose-healthcheck" && l.1 == "docker-compose.yml"),
        "{v}"
    );
}
