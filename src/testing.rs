//! `tollgate test`: Rego unit tests (`test_` rules in `*_test.rego`, `todo_` skipped), as
//! `opa test` runs them; fixture tests: in every `fixtures/<case>/` folder beside a rule, each
//! `# expect: rule-a, rule-b` mark (or `LINE RULE` line of a `<file>.expect` sidecar) must be
//! matched by a finding of that rule on that line, and the rule must report nothing else there;
//! and consistency checks of each rule folder (its METADATA id, settings lookups, README and
//! folder name agree).
//!
//! With no folder, the built-in pack embedded at build time is tested (an edit to `policies/`
//! needs a rebuild to show there); `tollgate test policies/` tests the folder as it is on disk.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::check::{self, CheckOptions};
use crate::discover::display_path;
use crate::filter::glob_match;
use crate::model::Diagnostic;
use crate::policy::{metadata, pack, rego_text, LoadOptions, PolicySet, PolicySource};

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

/// Line coverage of the Rego by the unit tests, per policy file: (covered, not covered) lines.
pub type Coverage = BTreeMap<String, (BTreeSet<u32>, BTreeSet<u32>)>;

/// Runs every `test_` rule of the `*_test.rego` sources against `set`. Files that failed to
/// load are left out: their load error is reported once, not as a failure of each test.
pub fn unit_tests(set: &PolicySet, sources: &[PolicySource]) -> Vec<TestResult> {
    unit_tests_covered(set, sources, false).0
}

/// Adds the coverage of one test's evaluation: a line is covered if any test covered it.
fn merge_coverage(into: &mut Coverage, engine: &regorus::Engine) {
    let Ok(report) = engine.get_coverage_report() else {
        return;
    };
    for f in report.files {
        let entry = into.entry(f.path).or_default();
        entry.0.extend(f.covered);
        entry.1.extend(f.not_covered);
    }
}

/// [`unit_tests`], with the line coverage of the policies when `coverage` is set (as
/// `opa test --coverage`).
pub fn unit_tests_covered(
    set: &PolicySet,
    sources: &[PolicySource],
    coverage: bool,
) -> (Vec<TestResult>, Coverage) {
    let mut covered = Coverage::new();
    let broken: BTreeSet<&str> = set
        .errors
        .iter()
        .filter_map(|e| e.file.as_deref())
        .collect();
    let mut out = Vec::new();
    for src in sources.iter().filter(|s| s.path.ends_with("_test.rego")) {
        if broken.contains(src.path.as_str()) {
            continue;
        }
        let Some(pkg) = rego_text::package_of(&src.text) else {
            continue;
        };
        for (name, line) in rego_text::tests(&src.text) {
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
            engine.set_enable_coverage(coverage);
            engine.set_input(regorus::Value::Undefined);
            let status = match crate::policy::eval::eval_rule(&mut engine, full.clone()) {
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
            if coverage {
                merge_coverage(&mut covered, &engine);
            }
            out.push(TestResult {
                name: full,
                location,
                status,
            });
        }
    }
    for (covered, not_covered) in covered.values_mut() {
        not_covered.retain(|l| !covered.contains(l));
    }
    (out, covered)
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
    // The policies' own load errors are reported once for the whole run.
    for e in outcome.errors.iter().filter(|e| !set.errors.contains(e)) {
        problems.push(format!("error: {e}"));
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
                    metadata::parse(&text).ok().flatten().and_then(|m| m.id)
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
    for (rel, text) in pack::embedded_files() {
        let p = root.join("policies").join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(p, text)?;
    }
    Ok(root)
}

/// What `tollgate test` runs.
#[derive(Clone, Debug, Default)]
pub struct TestOptions {
    /// Policy folders to test; empty: the built-in pack embedded at build time.
    pub dirs: Vec<PathBuf>,
    /// More policy folders loaded beside the tested ones.
    pub extra: Vec<PathBuf>,
    /// Data documents merged at the root of `data`.
    pub data: Vec<(String, serde_json::Value)>,
    /// Only the `test_` rules of packages matching these globs (`conftest verify --namespace`).
    pub namespaces: Vec<String>,
    /// The date expiry checks use in fixture runs.
    pub today: String,
    /// Force Rego v0 (`Some(true)`) or v1 (`Some(false)`) for the tested policies; `None`
    /// detects per file, as `tollgate check --rego-version`.
    pub rego_v0: Option<bool>,
    /// Measure the line coverage of the policies by the unit tests.
    pub coverage: bool,
}

/// The results of a test run.
#[derive(Debug, Default)]
pub struct TestReport {
    pub results: Vec<TestResult>,
    /// Policy and data load errors (reported once; the run then fails with exit code 2).
    pub errors: Vec<Diagnostic>,
    /// Line coverage of the policies (not of the `_test.rego` files), when asked.
    pub coverage: Coverage,
}

/// Runs unit and fixture tests of the built-in pack (`dirs` empty) or of the given folders.
pub fn run_tests(dirs: &[PathBuf], today: &str) -> (Vec<TestResult>, Vec<Diagnostic>) {
    let r = run(&TestOptions {
        dirs: dirs.to_vec(),
        today: today.to_string(),
        ..TestOptions::default()
    });
    (r.results, r.errors)
}

/// Runs the tests.
pub fn run(opts: &TestOptions) -> TestReport {
    let today = opts.today.as_str();
    let builtin = opts.dirs.is_empty();
    let mut dirs = opts.dirs.clone();
    dirs.extend(opts.extra.iter().cloned());
    // The tested folders first: their copy of a library wins over the embedded one.
    let (sources, source_errors) = pack::assemble(&dirs, !builtin, true);
    let mut set = PolicySet::load(
        &sources,
        &LoadOptions {
            tests: true,
            rego_v0: opts.rego_v0,
            // The working directory and the folders under test (named by the user), where
            // policies' relative reads resolve.
            read_roots: std::iter::once(PathBuf::from("."))
                .chain(dirs.iter().cloned())
                .collect(),
            rev_files: None,
        },
    );
    set.errors.extend(
        source_errors
            .iter()
            .map(crate::policy::PolicyError::to_diagnostic),
    );
    let tmp = if builtin {
        materialize_builtin().ok()
    } else {
        None
    };
    let roots: Vec<PathBuf> = match &tmp {
        Some(t) => vec![t.join("policies")],
        None => opts.dirs.clone(),
    };
    let mut shared = serde_json::Map::new();
    shared.insert("today".into(), serde_json::Value::String(today.to_string()));
    shared.insert("trivyignore".into(), serde_json::json!([]));
    let data_errors = set.set_data(&BTreeMap::new(), shared, &opts.data);
    set.errors.extend(data_errors);
    let (mut results, mut coverage) = unit_tests_covered(&set, &sources, opts.coverage);
    coverage.retain(|file, _| !file.ends_with("_test.rego"));
    for root in &roots {
        results.extend(consistency_tests(root));
        for (dir, own) in fixture_dirs(root) {
            results.push(fixture_test(&set, &dir, own.as_deref(), today));
        }
    }
    if let Some(t) = tmp {
        let prefix = format!("{}/", display_path(&t));
        for r in results.iter_mut() {
            r.name = r.name.replace(&prefix, "");
            r.location = r.location.replace(&prefix, "");
            if let Status::Fail(m) = &r.status {
                r.status = Status::Fail(m.replace(&prefix, ""));
            }
        }
        let _ = std::fs::remove_dir_all(t);
    }
    if !opts.namespaces.is_empty() {
        // `data.<package>.<test>`: keep the packages a namespace glob matches.
        results.retain(|r| {
            match r
                .name
                .strip_prefix("data.")
                .and_then(|n| n.rsplit_once('.'))
            {
                Some((pkg, _)) => opts.namespaces.iter().any(|g| glob_match(g, pkg)),
                None => true,
            }
        });
    }
    TestReport {
        results,
        errors: set.errors.clone(),
        coverage,
    }
}

static SETTINGS_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"data\.tollgate\.config\[\s*"([^"]*)"\s*\]"#).unwrap());

/// The ids a rule folder named `folder` in category `category` may have: the folder's name,
/// or the name prefixed by the category or one of its kind's aliases (`kubernetes/probes` is
/// `k8s-probes`). Ids never change (users write them in waivers): a folder is renamed to fit.
fn ids_for_folder(category: &str, folder: &str) -> Vec<String> {
    let mut prefixes = vec![category.to_string()];
    if let Some(spec) = crate::source::kind_named(category) {
        prefixes.extend(spec.aliases.iter().map(|a| a.to_string()));
    }
    let mut out = vec![folder.to_string()];
    out.extend(prefixes.iter().map(|p| format!("{p}-{folder}")));
    out
}

/// One rule folder's consistency: its METADATA id, the settings keys its Rego (rule and tests)
/// looks up, its README's title and its folder name agree.
fn consistency_test(dir: &Path) -> Option<TestResult> {
    let mut rego: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rego"))
        .filter_map(|p| Some((p.clone(), std::fs::read_to_string(&p).ok()?)))
        .collect();
    rego.sort();
    let (rule_file, meta) = rego.iter().find_map(|(p, t)| {
        let m = metadata::parse(t).ok().flatten()?;
        Some((p.clone(), m))
    })?;
    let id = meta.id.clone()?;
    let readme = dir.join("README.md");
    if !readme.is_file() {
        return None; // not a documented rule folder (a team policy, say)
    }
    let display = display_path(dir);
    let mut problems = Vec::new();
    for (p, text) in &rego {
        for c in SETTINGS_RE.captures_iter(text) {
            if c[1] != id {
                let start = c.get(0).map_or(0, |m| m.start());
                let line = text[..start].matches('\n').count() + 1;
                problems.push(format!(
                    "{}:{line}: reads the settings of `{}`, but the rule's id is `{id}`",
                    display_path(p),
                    &c[1]
                ));
            }
        }
    }
    problems.extend(settings_schema_problems(&rule_file, &meta));
    match std::fs::read_to_string(&readme) {
        Ok(text) => {
            let title = text.lines().next().unwrap_or_default();
            if title.trim() != format!("# {id}") {
                problems.push(format!(
                    "{}:1: the README's title is `{}`; it must be `# {id}`",
                    display_path(&readme),
                    title.trim()
                ));
            }
        }
        Err(_) => problems.push(format!(
            "{}: the rule has no README.md",
            display_path(&readme)
        )),
    }
    let folder = dir.file_name()?.to_string_lossy().to_string();
    let category = dir
        .parent()
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let allowed = ids_for_folder(&category, &folder);
    if !allowed.contains(&id) {
        problems.push(format!(
            "{}:{}: the id `{id}` does not fit the folder `{category}/{folder}` (expected one of: {})",
            display_path(&rule_file),
            meta.line,
            allowed.join(", ")
        ));
    }
    Some(TestResult {
        name: format!("consistency: {display} ({id})"),
        location: display,
        status: if problems.is_empty() {
            Status::Pass
        } else {
            Status::Fail(problems.join("\n"))
        },
    })
}

/// A rule's settings schema (METADATA `custom.schema`) against its settings: one schema per
/// setting and no other, compiling, and the defaults valid against it (a default its own
/// schema rejects would make the rule unconfigurable to its default).
fn settings_schema_problems(rule_file: &Path, meta: &metadata::Metadata) -> Vec<String> {
    let at = format!("{}:{}", display_path(rule_file), meta.line);
    let Some(per_key) = &meta.schema else {
        return Vec::new();
    };
    let defaults = meta
        .settings
        .as_ref()
        .and_then(serde_json::Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut problems = Vec::new();
    for k in defaults.keys().filter(|k| !per_key.contains_key(*k)) {
        problems.push(format!(
            "{at}: the setting `{k}` has no schema in `custom.schema`"
        ));
    }
    for k in per_key.keys().filter(|k| !defaults.contains_key(*k)) {
        problems.push(format!(
            "{at}: `custom.schema` describes `{k}`, which is not a setting (no default in `custom.settings`)"
        ));
    }
    let Some(schema) = meta.settings_schema() else {
        return problems;
    };
    match jsonschema::validator_for(&schema) {
        Err(e) => problems.push(format!("{at}: `custom.schema` does not compile: {e}")),
        Ok(v) => {
            // Settings without a schema are reported above.
            let value = serde_json::Value::Object(
                defaults
                    .into_iter()
                    .filter(|(k, _)| per_key.contains_key(k))
                    .collect(),
            );
            for e in v.iter_errors(&value) {
                problems.push(format!(
                    "{at}: the default of `{}` does not fit its own schema: {e}",
                    e.instance_path().to_string().trim_start_matches('/')
                ));
            }
        }
    }
    problems
}

/// Consistency tests of every documented rule folder (a folder with a README.md and a `.rego`
/// file with a METADATA id) under `root`.
fn consistency_tests(root: &Path) -> Vec<TestResult> {
    let mut dirs = BTreeSet::new();
    let walker = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .hidden(false)
        .filter_entry(|e| e.file_name() != "fixtures")
        .build();
    for e in walker.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "rego")
            && !p.to_string_lossy().ends_with("_test.rego")
        {
            if let Some(parent) = p.parent() {
                dirs.insert(parent.to_path_buf());
            }
        }
    }
    dirs.iter().filter_map(|d| consistency_test(d)).collect()
}
