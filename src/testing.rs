//! `tollgate test`: Rego unit tests (`test_` rules in `*_test.rego`, `todo_` skipped), as
//! `opa test` runs them, and fixture tests: in every `fixtures/<case>/` folder beside a rule,
//! each `# expect: rule-a, rule-b` mark (or `LINE RULE` line of a `<file>.expect` sidecar) must be
//! matched by a finding of that rule on that line, and the rule must report nothing else there.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::check::{self, CheckOptions};
use crate::cli::TestArgs;
use crate::discover::display_path;
use crate::finding::Diagnostic;
use crate::policy::{self, PolicySet, PolicySource};

static TEST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(test_[A-Za-z0-9_]+|todo_[A-Za-z0-9_]+)\b").unwrap());
static MARK_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*expect:\s*([A-Za-z0-9_\-/., ]+)").unwrap());

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Pass,
    Fail(String),
    Error(String),
    Skip,
}

/// The result of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// `data.pkg.test_name`, or `fixtures: <dir>`.
    pub name: String,
    /// `file:line`.
    pub location: String,
    pub status: Status,
}

/// Runs every `test_` rule of the `*_test.rego` sources against `set`.
pub fn unit_tests(set: &PolicySet, sources: &[PolicySource]) -> Vec<TestResult> {
    let mut out = Vec::new();
    for src in sources.iter().filter(|s| s.path.ends_with("_test.rego")) {
        let Some(pkg) = policy::package_of(&src.text) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for m in TEST_RE.captures_iter(&src.text) {
            let name = m[1].to_string();
            if !seen.insert(name.clone()) {
                continue; // several bodies of one test rule
            }
            let line = src.text[..m.get(0).unwrap().start()].lines().count() + 1;
            let location = format!("{}:{line}", src.path);
            let full = format!("data.{pkg}.{name}");
            if name.starts_with("todo_") {
                out.push(TestResult {
                    name: full,
                    location,
                    status: Status::Skip,
                });
                continue;
            }
            let mut engine = set.engine.clone();
            engine.set_input(regorus::Value::Undefined);
            let status = match engine.eval_rule(full.clone()) {
                Ok(regorus::Value::Bool(true)) => Status::Pass,
                Ok(regorus::Value::Undefined) => Status::Fail(
                    "the test rule is undefined (a condition in its body failed)".into(),
                ),
                Ok(v) => match v.to_json_str() {
                    Ok(s) if s == "false" => Status::Fail("the test rule is false".into()),
                    Ok(_) => Status::Pass,
                    Err(e) => Status::Error(e.to_string()),
                },
                Err(e) => Status::Error(format!("{e:#}")),
            };
            out.push(TestResult {
                name: full,
                location,
                status,
            });
        }
    }
    out
}

/// Marks of a fixture folder: (file as displayed, line) → rule ids.
pub fn marks(dir: &Path) -> BTreeMap<(String, u32), BTreeSet<String>> {
    let mut out: BTreeMap<(String, u32), BTreeSet<String>> = BTreeMap::new();
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(false)
        .build();
    for e in walker.flatten() {
        if !e.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let path = e.path();
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if path.extension().is_some_and(|x| x == "expect") {
            let target = display_path(&path.with_extension(""));
            for l in text.lines() {
                let mut parts = l.split_whitespace();
                if let (Some(line), Some(rule)) = (parts.next(), parts.next()) {
                    if let Ok(line) = line.parse::<u32>() {
                        out.entry((target.clone(), line))
                            .or_default()
                            .insert(rule.to_string());
                    }
                }
            }
            continue;
        }
        let display = display_path(path);
        for (i, l) in text.lines().enumerate() {
            if let Some(c) = MARK_RE.captures(l) {
                for rule in c[1].split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    out.entry((display.clone(), i as u32 + 1))
                        .or_default()
                        .insert(rule.to_string());
                }
            }
        }
    }
    out
}

/// Checks one fixture folder: `own` is the rule whose folder it is.
pub fn fixture_test(set: &PolicySet, dir: &Path, own: Option<&str>, today: &str) -> TestResult {
    let display = display_path(dir);
    let opts = CheckOptions {
        paths: vec![dir.to_path_buf()],
        today: today.to_string(),
        ..CheckOptions::default()
    };
    let outcome = check::run(set, &opts);
    let expected = marks(dir);
    let mut problems = Vec::new();
    for e in &outcome.errors {
        problems.push(format!(
            "error: {}",
            crate::report::human::diagnostic_line(e)
        ));
    }
    let mut rules: BTreeSet<String> = expected.values().flatten().cloned().collect();
    if let Some(o) = own {
        rules.insert(o.to_string());
    }
    for rule in &rules {
        let want: BTreeSet<(String, u32)> = expected
            .iter()
            .filter(|(_, rs)| rs.contains(rule))
            .map(|(k, _)| k.clone())
            .collect();
        let got: BTreeMap<(String, u32), &str> = outcome
            .findings
            .iter()
            .filter(|f| &f.rule == rule)
            .map(|f| ((f.file.clone(), f.span.start.line), f.message.as_str()))
            .collect();
        for w in &want {
            if !got.contains_key(w) {
                problems.push(format!(
                    "{}:{}: expected a `{rule}` finding on this line; none was reported",
                    w.0, w.1
                ));
            }
        }
        for (g, msg) in &got {
            if !want.contains(g) {
                problems.push(format!(
                    "{}:{}: unexpected `{rule}` finding: {msg}",
                    g.0, g.1
                ));
            }
        }
    }
    let n = expected.values().map(BTreeSet::len).sum::<usize>();
    TestResult {
        name: format!(
            "fixtures: {display} ({n} mark{})",
            if n == 1 { "" } else { "s" }
        ),
        location: display,
        status: if problems.is_empty() {
            Status::Pass
        } else {
            Status::Fail(problems.join("\n"))
        },
    }
}

/// Rule folders with fixtures under `root`: (fixture case folder, the folder's rule id).
fn fixture_dirs(root: &Path) -> Vec<(PathBuf, Option<String>)> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .build();
    let mut rule_dirs = BTreeSet::new();
    for e in walker.flatten() {
        if e.file_type().is_some_and(|t| t.is_dir()) && e.file_name() == "fixtures" {
            if e.path()
                .ancestors()
                .skip(1)
                .any(|a| a.file_name().is_some_and(|n| n == "fixtures"))
            {
                continue;
            }
            if let Some(parent) = e.path().parent() {
                rule_dirs.insert(parent.to_path_buf());
            }
        }
    }
    for dir in rule_dirs {
        let own = std::fs::read_dir(&dir).ok().and_then(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "rego")
                        && !p.to_string_lossy().ends_with("_test.rego")
                })
                .find_map(|p| {
                    let text = std::fs::read_to_string(&p).ok()?;
                    policy::metadata::parse(&text)
                        .ok()
                        .flatten()
                        .and_then(|m| m.id)
                })
        });
        let Ok(cases) = std::fs::read_dir(dir.join("fixtures")) else {
            continue;
        };
        let mut cases: Vec<PathBuf> = cases
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        cases.sort();
        for c in cases {
            out.push((c, own.clone()));
        }
    }
    out
}

/// Writes the embedded pack into a fresh temporary folder (fixtures need real files).
fn materialize_builtin() -> std::io::Result<PathBuf> {
    let root = std::env::temp_dir().join(format!("tollgate-pack-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    for (rel, text) in policy::embedded_files() {
        let p = root.join("policies").join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
    }
    Ok(root)
}

/// Runs unit and fixture tests of the built-in pack (`dirs` empty) or of the given folders.
pub fn run_tests(dirs: &[PathBuf], today: &str) -> (Vec<TestResult>, Vec<Diagnostic>) {
    run_tests_with(dirs, &[], &[], today)
}

/// As [`run_tests`], with more policy folders and data files loaded beside the tested ones.
pub fn run_tests_with(
    dirs: &[PathBuf],
    extra: &[PathBuf],
    data: &[(String, serde_json::Value)],
    today: &str,
) -> (Vec<TestResult>, Vec<Diagnostic>) {
    let (set, sources, roots, tmp) = if dirs.is_empty() {
        let sources = policy::builtin_sources(true);
        let set = PolicySet::load(
            &sources,
            &policy::LoadOptions {
                tests: true,
                rego_v0: None,
                read_roots: vec![PathBuf::from(".")],
            },
        );
        let tmp = materialize_builtin().ok();
        let roots = tmp.iter().map(|t| t.join("policies")).collect::<Vec<_>>();
        (set, sources, roots, tmp)
    } else {
        // The tested folders first: their copy of a library wins over the embedded one.
        let mut sources: Vec<PolicySource> = Vec::new();
        let mut errors = Vec::new();
        for d in dirs.iter().chain(extra) {
            match policy::dir_sources(d, true) {
                Ok(s) => sources.extend(s),
                Err(e) => errors.push(e),
            }
        }
        sources.extend(
            policy::builtin_sources(false)
                .into_iter()
                .filter(|s| s.path.starts_with("policies/lib/")),
        );
        policy::dedup_sources(&mut sources);
        let mut set = PolicySet::load(
            &sources,
            &policy::LoadOptions {
                tests: true,
                rego_v0: None,
                read_roots: vec![PathBuf::from(".")],
            },
        );
        set.errors.extend(errors);
        (set, sources, dirs.to_vec(), None)
    };
    let mut set = set;
    let data_errors = set.set_data_with(
        &BTreeMap::new(),
        {
            let mut m = serde_json::Map::new();
            m.insert("today".into(), serde_json::Value::String(today.to_string()));
            m.insert("trivyignore".into(), serde_json::json!([]));
            m
        },
        data,
    );
    set.errors.extend(data_errors);
    let mut results = unit_tests(&set, &sources);
    for root in &roots {
        for (dir, own) in fixture_dirs(root) {
            let mut r = fixture_test(&set, &dir, own.as_deref(), today);
            if let Some(t) = &tmp {
                let prefix = display_path(t);
                let fix = |s: &str| s.replace(&format!("{prefix}/"), "");
                r.name = fix(&r.name);
                r.location = fix(&r.location);
                if let Status::Fail(m) = &r.status {
                    r.status = Status::Fail(fix(m));
                }
            }
            results.push(r);
        }
    }
    if let Some(t) = tmp {
        let _ = std::fs::remove_dir_all(t);
    }
    (results, set.errors.clone())
}

pub fn run_cli(args: TestArgs) -> i32 {
    let today = args.today.unwrap_or_else(|| {
        chrono::Utc::now()
            .date_naive()
            .format("%Y-%m-%d")
            .to_string()
    });
    let mut errors = Vec::new();
    let data = crate::cli::read_data_files(&args.data, &mut errors);
    let (mut results, more) = run_tests_with(&args.dirs, &args.policies, &data, &today);
    errors.extend(more);
    if !args.namespaces.is_empty() {
        // `data.<package>.<test>`: keep the packages a namespace glob matches.
        results.retain(|r| {
            match r
                .name
                .strip_prefix("data.")
                .and_then(|n| n.rsplit_once('.'))
            {
                Some((pkg, _)) => args
                    .namespaces
                    .iter()
                    .any(|g| crate::cli::glob_match(g, pkg)),
                None => true,
            }
        });
    }
    for e in &errors {
        println!("error: {}", crate::report::human::diagnostic_line(e));
    }
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    for r in &results {
        match &r.status {
            Status::Pass => {
                pass += 1;
                if args.verbose {
                    println!("PASS {} ({})", r.name, r.location);
                }
            }
            Status::Skip => {
                skip += 1;
                if args.verbose {
                    println!("SKIP {} ({})", r.name, r.location);
                }
            }
            Status::Fail(m) | Status::Error(m) => {
                fail += 1;
                let word = if matches!(r.status, Status::Fail(_)) {
                    "FAIL"
                } else {
                    "ERROR"
                };
                println!("{word} {} ({})", r.name, r.location);
                for l in m.lines() {
                    println!("    {l}");
                }
            }
        }
    }
    println!("tollgate: {pass} passed, {fail} failed, {skip} skipped");
    if !errors.is_empty() {
        2
    } else if fail > 0 {
        1
    } else {
        0
    }
}
