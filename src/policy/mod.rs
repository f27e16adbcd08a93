//! The Rego side: the embedded built-in pack and team policies, METADATA, evaluation with
//! regorus, and the conversion of rule results into raw (not yet located) findings.
//!
//! One regorus [`Engine`] holds every policy; it is compiled once per run and cloned per worker
//! thread (a clone of a prepared engine is cheap). Only the packages whose METADATA `input`
//! matches a document's kind are evaluated against it.

pub mod builtins;
pub mod metadata;

use regex::Regex;
use regorus::Engine;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::finding::{Diagnostic, Severity};
use crate::locate::Seg;
use crate::source::Kind;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_policies.rs"));
}

/// The built-in pack's files, relative to `policies/`: rules, tests, fixtures, docs.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::EMBEDDED
}

/// Where a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `input` is one document.
    Document,
    /// `input` is `{"documents": [{"file", "kind", "index", "content"}, …]}`.
    Project,
}

/// A rule: one package with a METADATA id (all its `deny`/`warn`/`violation` rules), or one
/// entry rule of a package without (named `<package>/<rule>`).
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub severity: Severity,
    /// Kinds the rule reads; `None` = every document.
    pub inputs: Option<Vec<Kind>>,
    pub scope: Scope,
    /// Default settings, from METADATA.
    pub settings: Value,
    pub package: String,
    /// Entry rules evaluated: `deny`, `warn_latest`, …
    pub entries: Vec<String>,
    /// The policy file (as displayed) and the line of the package or METADATA.
    pub file: String,
    pub line: u32,
    /// The built-in category (the rule's top folder under `policies/`).
    pub category: Option<String>,
    pub builtin: bool,
    /// The rule's README (built-in rules).
    pub readme: Option<String>,
    /// A conftest-style rule (a team policy without METADATA id): subject to `--namespace`,
    /// `--combine` and the package's `exception` rules.
    pub conftest: bool,
    /// The package defines conftest `exception` rules.
    pub exception: bool,
}

impl Rule {
    pub fn applies_to(&self, kind: Kind) -> bool {
        match &self.inputs {
            None => true,
            Some(kinds) => kinds.contains(&kind),
        }
    }

    pub fn input_names(&self) -> String {
        match &self.inputs {
            None => "any".to_string(),
            Some(k) => k.iter().map(|k| k.name()).collect::<Vec<_>>().join(","),
        }
    }

    /// Severity of a result of entry rule `entry`: `warn*` entries are warnings.
    fn entry_severity(&self, entry: &str) -> Severity {
        if entry.starts_with("warn") {
            Severity::Warning
        } else {
            self.severity
        }
    }
}

/// A Rego source file to load.
#[derive(Clone, Debug)]
pub struct PolicySource {
    /// As displayed in diagnostics.
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

/// A finding as a rule returned it, before it is located.
#[derive(Clone, Debug, PartialEq)]
pub struct RawFinding {
    pub msg: String,
    pub path: Option<Vec<Seg>>,
    pub severity: Option<Severity>,
    pub related: Vec<(Vec<Seg>, String)>,
    pub text_line: Option<u32>,
    pub file: Option<String>,
    pub document: Option<usize>,
}

static PACKAGE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*package\s+([A-Za-z_][\w.]*)").unwrap());
static ENTRY_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(deny|violation|warn)(_[A-Za-z0-9_]+)?\b").unwrap());
static EXCEPTION_RE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?m)^exception\b").unwrap());
static LOCATION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([^\s:]+\.rego):(\d+):(\d+)").unwrap());

/// The package a Rego file declares.
pub fn package_of(text: &str) -> Option<String> {
    PACKAGE_RE.captures(text).map(|c| c[1].to_string())
}

/// Extracts `file:line:col` from a regorus error message.
pub fn error_location(message: &str) -> Option<(String, u32, u32)> {
    let c = LOCATION_RE.captures(message)?;
    Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?))
}

fn diagnostic_from_error(file: &str, err: &anyhow::Error) -> Diagnostic {
    let message = format!("{err:#}");
    match error_location(&message) {
        Some((f, line, col)) => Diagnostic::at(first_line(&message), f, line, col),
        None => Diagnostic::in_file(first_line(&message), file),
    }
}

fn first_line(s: &str) -> String {
    // regorus messages are multi-line with a source excerpt; keep the first non-empty line and
    // the `error:` line if there is one.
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if let Some(e) = lines.iter().find(|l| l.contains("error:")) {
        return e.to_string();
    }
    lines.first().map(|l| l.to_string()).unwrap_or_default()
}

/// True for a Rego v0 file: it neither imports `rego.v1` nor uses the v1 keywords `if` and
/// `contains`, and it has rule bodies (`{`).
pub fn looks_like_v0(text: &str) -> bool {
    static V1: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^\s*import\s+(rego\.v1|future\.keywords)|\bif\s*\{|\bcontains\b|\bif\s+\w")
            .unwrap()
    });
    !V1.is_match(text) && text.contains('{')
}

/// A fresh engine with conftest's builtins.
fn new_engine(opts: &LoadOptions) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_builtin_errors(false);
    crate::policy::builtins::register(&mut engine, &opts.read_roots);
    engine
}

/// The loaded policies: rules and a prepared engine.
#[derive(Clone)]
pub struct PolicySet {
    pub rules: Vec<Rule>,
    pub engine: Engine,
    /// Policy load errors (syntax, METADATA).
    pub errors: Vec<Diagnostic>,
}

/// Options for loading policies.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Also load `*_test.rego` files.
    pub tests: bool,
    /// Force Rego v0 (`Some(true)`) or v1 (`Some(false)`); `None` detects per file.
    pub rego_v0: Option<bool>,
    /// Folders conftest's `parse_config_file` builtins may read from.
    pub read_roots: Vec<PathBuf>,
}

impl LoadOptions {
    /// Whether `src` is read as Rego v0: as forced, else detected (built-in rules are v1).
    fn is_v0(&self, src: &PolicySource) -> bool {
        self.rego_v0
            .unwrap_or_else(|| !src.builtin && looks_like_v0(&src.text))
    }
}

/// The built-in pack's Rego files (tests only when asked).
pub fn builtin_sources(tests: bool) -> Vec<PolicySource> {
    embedded_files()
        .iter()
        .filter(|(p, _)| p.ends_with(".rego") && !p.contains("/fixtures/"))
        .filter(|(p, _)| tests || !p.ends_with("_test.rego"))
        .map(|(p, t)| PolicySource {
            path: format!("policies/{p}"),
            text: t.to_string(),
            builtin: true,
        })
        .collect()
}

/// Drops later sources that are the same file of the built-in pack as an earlier one (a
/// checkout's `policies/lib/result.rego` and the embedded copy), keeping the first.
pub fn dedup_sources(sources: &mut Vec<PolicySource>) {
    let mut seen = std::collections::BTreeSet::new();
    sources.retain(|s| {
        let key = match s.path.rsplit_once("policies/") {
            Some((_, rel)) if embedded_files().iter().any(|(p, _)| *p == rel) => rel.to_string(),
            _ => s.path.clone(),
        };
        seen.insert(key)
    });
}

/// Reads every `.rego` file under `dir` (fixtures excluded).
pub fn dir_sources(dir: &Path, tests: bool) -> Result<Vec<PolicySource>, Diagnostic> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    if dir.is_file() {
        let text = std::fs::read_to_string(dir).map_err(|e| {
            Diagnostic::in_file(
                format!("cannot read policy: {e}"),
                crate::discover::display_path(dir),
            )
        })?;
        return Ok(vec![PolicySource {
            path: crate::discover::display_path(dir),
            text,
            builtin: false,
        }]);
    }
    if !dir.is_dir() {
        return Err(Diagnostic::in_file(
            "policy folder not found",
            crate::discover::display_path(dir),
        ));
    }
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| {
            Diagnostic::in_file(
                format!("cannot read policy folder: {e}"),
                crate::discover::display_path(&d),
            )
        })?;
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if p.is_dir() {
                if name != "fixtures" && !name.starts_with('.') {
                    stack.push(p);
                }
            } else if name.ends_with(".rego") && (tests || !name.ends_with("_test.rego")) {
                let text = std::fs::read_to_string(&p).map_err(|e| {
                    Diagnostic::in_file(
                        format!("cannot read policy: {e}"),
                        crate::discover::display_path(&p),
                    )
                })?;
                out.push(PolicySource {
                    path: crate::discover::display_path(&p),
                    text,
                    builtin: false,
                });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn builtin_readme(category_rule: &str) -> Option<String> {
    let want = format!("{category_rule}/README.md");
    embedded_files()
        .iter()
        .find(|(p, _)| *p == want)
        .map(|(_, t)| t.to_string())
}

impl PolicySet {
    /// Loads policies into one engine. Errors do not stop the other files from loading.
    pub fn load(sources: &[PolicySource], opts: &LoadOptions) -> PolicySet {
        let mut engine = new_engine(opts);
        let mut errors = Vec::new();
        let mut rules: Vec<Rule> = Vec::new();
        let mut meta_by_package: BTreeMap<String, (metadata::Metadata, String)> = BTreeMap::new();
        let mut entries_by_package: BTreeMap<String, (Vec<String>, String, u32, bool)> =
            BTreeMap::new();
        let mut exception_packages = std::collections::BTreeSet::new();
        let mut loaded: Vec<&PolicySource> = Vec::new();
        for src in sources {
            engine.set_rego_v0(opts.is_v0(src));
            if let Err(e) = engine.add_policy(src.path.clone(), src.text.clone()) {
                errors.push(diagnostic_from_error(&src.path, &e));
                continue;
            }
            loaded.push(src);
        }
        // Some errors (unsafe variables, conflicting rule kinds) only show when the modules are
        // analysed together, and then break every rule. Find the culprits and leave them out,
        // so one broken policy never silences the others.
        if engine.eval_query("true".to_string(), false).is_err() {
            engine = new_engine(opts);
            let mut kept = Vec::new();
            let mut pending = loaded;
            // A file may need one that comes later (a library): retry until nothing changes.
            loop {
                let before = pending.len();
                let mut failed = Vec::new();
                for src in pending {
                    let mut candidate = engine.clone();
                    candidate.set_rego_v0(opts.is_v0(src));
                    let added = candidate
                        .add_policy(src.path.clone(), src.text.clone())
                        .and_then(|_| candidate.eval_query("true".to_string(), false).map(|_| ()));
                    match added {
                        Ok(()) => {
                            engine = candidate;
                            kept.push(src);
                        }
                        Err(e) => failed.push((src, e)),
                    }
                }
                if failed.is_empty() {
                    break;
                }
                if failed.len() == before {
                    for (src, e) in failed {
                        errors.push(diagnostic_from_error(&src.path, &e));
                    }
                    break;
                }
                pending = failed.into_iter().map(|(s, _)| s).collect();
            }
            loaded = kept;
        }
        for src in loaded {
            let Some(pkg) = package_of(&src.text) else {
                continue;
            };
            if src.path.ends_with("_test.rego") {
                continue;
            }
            match metadata::parse(&src.text) {
                Ok(Some(m)) if m.id.is_some() => {
                    meta_by_package.insert(pkg.clone(), (m, src.path.clone()));
                }
                Ok(_) => {}
                Err((line, msg)) => errors.push(Diagnostic::at(msg, src.path.clone(), line, 1)),
            }
            let package_line = src.text
                [..PACKAGE_RE.find(&src.text).map(|m| m.start()).unwrap_or(0)]
                .lines()
                .count() as u32
                + 1;
            if EXCEPTION_RE.is_match(&src.text) {
                exception_packages.insert(pkg.clone());
            }
            let e = entries_by_package
                .entry(pkg)
                .or_insert_with(|| (Vec::new(), src.path.clone(), package_line, src.builtin));
            for c in ENTRY_RE.captures_iter(&src.text) {
                let name = c.get(0).unwrap().as_str().to_string();
                if !e.0.contains(&name) {
                    e.0.push(name);
                }
            }
        }
        for (pkg, (entries, file, line, builtin)) in entries_by_package {
            if entries.is_empty() {
                continue; // a library package
            }
            let pkg_for_exception = pkg.clone();
            match meta_by_package.remove(&pkg) {
                Some((m, mfile)) => {
                    let id = m.id.clone().unwrap_or_default();
                    let severity = match m.severity.as_deref() {
                        None => Severity::Error,
                        Some(s) => Severity::parse(s).unwrap_or_else(|| {
                            errors.push(Diagnostic::at(
                                format!("invalid METADATA: unknown severity `{s}` (error, warning, note)"),
                                mfile.clone(),
                                m.line,
                                1,
                            ));
                            Severity::Error
                        }),
                    };
                    let inputs = m.input.as_ref().map(|names| {
                        names
                            .iter()
                            .filter_map(|n| {
                                let k = Kind::parse(n);
                                if k.is_none() {
                                    errors.push(Diagnostic::at(
                                        format!("invalid METADATA: unknown input kind `{n}`"),
                                        mfile.clone(),
                                        m.line,
                                        1,
                                    ));
                                }
                                k
                            })
                            .collect()
                    });
                    let scope = match m.scope.as_deref() {
                        Some("project") => Scope::Project,
                        _ => Scope::Document,
                    };
                    // policies/<category>/<rule>/<file>.rego
                    let (category, readme) = if builtin {
                        let parts: Vec<&str> = mfile.split('/').collect();
                        if parts.len() >= 4 {
                            let folder = format!("{}/{}", parts[1], parts[2]);
                            (Some(parts[1].to_string()), builtin_readme(&folder))
                        } else {
                            (None, None)
                        }
                    } else {
                        (None, None)
                    };
                    rules.push(Rule {
                        id,
                        title: m.title,
                        description: m.description,
                        severity,
                        inputs,
                        scope,
                        settings: m.settings.unwrap_or_else(|| json!({})),
                        package: pkg,
                        entries,
                        file: mfile,
                        line: m.line,
                        category,
                        builtin,
                        readme,
                        conftest: false,
                        exception: exception_packages.contains(&pkg_for_exception),
                    });
                }
                None => {
                    let short = pkg.strip_prefix("data.").unwrap_or(&pkg).to_string();
                    for entry in entries {
                        rules.push(Rule {
                            id: format!("{short}/{entry}"),
                            title: None,
                            description: None,
                            severity: if entry.starts_with("warn") {
                                Severity::Warning
                            } else {
                                Severity::Error
                            },
                            inputs: None,
                            scope: Scope::Document,
                            settings: json!({}),
                            package: pkg.clone(),
                            entries: vec![entry],
                            file: file.clone(),
                            line,
                            category: None,
                            builtin,
                            readme: None,
                            conftest: !builtin,
                            exception: exception_packages.contains(&pkg),
                        });
                    }
                }
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        PolicySet {
            rules,
            engine,
            errors,
        }
    }

    /// Sets `data.tollgate`: rule settings (METADATA defaults, replaced key by key by
    /// `overrides`), today's date and shared facts such as the `.trivyignore` entries.
    pub fn set_data(&mut self, overrides: &BTreeMap<String, Value>, extra: Map<String, Value>) {
        self.set_data_with(overrides, extra, &[]);
    }

    /// As [`Self::set_data`], merging the team's data documents (`--data`) at the root.
    pub fn set_data_with(
        &mut self,
        overrides: &BTreeMap<String, Value>,
        extra: Map<String, Value>,
        user: &[(String, Value)],
    ) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        let mut config = Map::new();
        for r in &self.rules {
            let mut s = r.settings.as_object().cloned().unwrap_or_default();
            if let Some(Value::Object(o)) = overrides.get(&r.id) {
                for (k, v) in o {
                    s.insert(k.clone(), v.clone());
                }
            }
            config.insert(r.id.clone(), Value::Object(s));
        }
        let mut tollgate = extra;
        tollgate.insert("config".into(), Value::Object(config));
        self.engine.clear_data();
        let data = json!({ "tollgate": tollgate });
        // add_data only fails for non-object data.
        let _ = self.engine.add_data(regorus::Value::from(data));
        for (file, value) in user {
            if !value.is_object() {
                errors.push(Diagnostic::in_file(
                    "a data file must hold a mapping at its top",
                    file.clone(),
                ));
                continue;
            }
            if let Err(e) = self.engine.add_data(regorus::Value::from(value.clone())) {
                errors.push(Diagnostic::in_file(
                    format!("cannot merge the data: {e}"),
                    file.clone(),
                ));
            }
        }
        // Prepare once here, so that the engines cloned per thread start prepared.
        let _ = self.engine.eval_query("true".to_string(), false);
        errors
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// Evaluates `rule` with the engine's current input. Errors are located at the policy.
pub fn evaluate(engine: &mut Engine, rule: &Rule) -> Result<Vec<RawFinding>, Diagnostic> {
    let mut out = Vec::new();
    let excepted = if rule.exception {
        exceptions(engine, rule)?
    } else {
        Vec::new()
    };
    for entry in &rule.entries {
        // conftest: `exception contains ["latest"]` exempts `deny_latest`; `[""]` exempts `deny`.
        let suffix = entry.split_once('_').map(|(_, s)| s).unwrap_or("");
        if excepted.iter().any(|e| e == suffix) {
            continue;
        }
        let query = format!("data.{}.{}", rule.package, entry);
        let value = engine.eval_rule(query).map_err(|e| {
            let mut d = diagnostic_from_error(&rule.file, &e);
            d.message = format!("rule {}: evaluation failed: {}", rule.id, d.message);
            d
        })?;
        out.extend(entry_results(rule, entry, value)?);
    }
    Ok(out)
}

/// Converts the value of one entry rule (`deny`, `warn_x`, …) into raw findings.
fn entry_results(
    rule: &Rule,
    entry: &str,
    value: regorus::Value,
) -> Result<Vec<RawFinding>, Diagnostic> {
    let value: Value = match value {
        regorus::Value::Undefined => return Ok(Vec::new()),
        v => serde_json::to_value(&v).unwrap_or(Value::Null),
    };
    let severity = rule.entry_severity(entry);
    let items: Vec<Value> = match value {
        Value::Array(a) => a,
        Value::Bool(true) => vec![Value::String(format!("{entry} is true"))],
        Value::Bool(false) | Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let mut raw = raw_finding(&item).map_err(|m| {
            Diagnostic::at(
                format!("rule {}: {m}", rule.id),
                rule.file.clone(),
                rule.line,
                1,
            )
        })?;
        if raw.severity.is_none() && severity != rule.severity {
            raw.severity = Some(severity);
        }
        out.push(raw);
    }
    Ok(out)
}

/// The rule names a package's conftest `exception` rules exempt for the current input.
fn exceptions(engine: &mut Engine, rule: &Rule) -> Result<Vec<String>, Diagnostic> {
    let value = engine
        .eval_rule(format!("data.{}.exception", rule.package))
        .map_err(|e| diagnostic_from_error(&rule.file, &e))?;
    let value: Value = match value {
        regorus::Value::Undefined => return Ok(Vec::new()),
        v => serde_json::to_value(&v).unwrap_or(Value::Null),
    };
    let mut out = Vec::new();
    let mut push = |v: &Value| match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string))),
        _ => {}
    };
    match &value {
        Value::Array(items) => items.iter().for_each(&mut push),
        other => push(other),
    }
    Ok(out)
}

fn parse_path(v: &Value) -> Result<Vec<Seg>, String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|s| match s {
                Value::String(k) => Ok(Seg::Key(k.clone())),
                Value::Number(n) => n
                    .as_u64()
                    .map(|i| Seg::Index(i as usize))
                    .ok_or_else(|| format!("invalid path segment {n}")),
                other => Err(format!("invalid path segment {other}")),
            })
            .collect(),
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        Value::String(s) => Ok(s
            .split('.')
            .map(|p| match p.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(p.to_string()),
            })
            .collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "`path` must be a list of keys and indices, got {other}"
        )),
    }
}

/// Converts one result of a rule: a string (conftest style) or an object with `msg`.
pub fn raw_finding(item: &Value) -> Result<RawFinding, String> {
    match item {
        Value::String(s) => Ok(RawFinding {
            msg: s.clone(),
            path: None,
            severity: None,
            related: Vec::new(),
            text_line: None,
            file: None,
            document: None,
        }),
        Value::Object(o) => {
            let msg = o
                .get("msg")
                .or_else(|| o.get("message"))
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .ok_or("a result object needs a `msg`")?;
            let path = match o.get("path") {
                None => None,
                Some(p) => Some(parse_path(p)?),
            };
            let severity = match o.get("severity").and_then(Value::as_str) {
                None => None,
                Some(s) => Some(Severity::parse(s).ok_or(format!("unknown severity `{s}`"))?),
            };
            let mut related = Vec::new();
            if let Some(Value::Array(rs)) = o.get("related") {
                for r in rs {
                    let p = parse_path(r.get("path").unwrap_or(&Value::Null))?;
                    let m = r
                        .get("msg")
                        .or_else(|| r.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("related")
                        .to_string();
                    related.push((p, m));
                }
            }
            Ok(RawFinding {
                msg,
                path,
                severity,
                related,
                text_line: o.get("text_line").and_then(Value::as_u64).map(|n| n as u32),
                file: o.get("file").and_then(Value::as_str).map(str::to_string),
                document: o
                    .get("document")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
            })
        }
        other => Ok(RawFinding {
            msg: other.to_string(),
            path: None,
            severity: None,
            related: Vec::new(),
            text_line: None,
            file: None,
            document: None,
        }),
    }
}

/// tollgate's own rules, documented beside the Rego ones.
pub const INTERNAL_RULE_DOCS: [(&str, &str, &str); 4] = [
    (
        "parse-error",
        "error",
        "A file that tollgate should read does not parse (YAML or JSON syntax, a truncated report, invalid UTF-8, a file over the size limit, an alias bomb or pathological nesting). It is reported at the error's line and column; every other file is still checked.",
    ),
    (
        "waiver-expired",
        "warning",
        "A waiver (inline `# tollgate: ignore[…] expires=…` or a `.tollgate.yml` `waivers:` entry) whose expiry date has passed. It suppresses nothing any more; renew it with a reason or fix the findings.",
    ),
    (
        "waiver-unused",
        "note",
        "A waiver that matches no finding: remove it, so that dead exceptions do not pile up.",
    ),
    (
        "waiver-without-reason",
        "warning",
        "A waiver that gives no reason. It still waives; say why the exception is acceptable.",
    ),
];

/// `docs/rules.md`: every built-in rule's documentation, in one page with an anchor per id.
pub fn rules_markdown(rules: &[Rule]) -> String {
    let mut out = String::from(
        "# Built-in rules\n\n<!-- Generated from policies/*/*/README.md by `UPDATE_DOCS=1 cargo test --test pack`. -->\n\n| id | input | severity | title |\n|---|---|---|---|\n",
    );
    let builtin: Vec<&Rule> = rules.iter().filter(|r| r.builtin).collect();
    for r in &builtin {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} | {} |\n",
            r.id,
            r.id,
            r.input_names(),
            r.severity.name(),
            r.title.as_deref().unwrap_or("")
        ));
    }
    for (id, sev, _) in INTERNAL_RULE_DOCS {
        out.push_str(&format!(
            "| [`{id}`](#{id}) | any | {sev} | tollgate's own diagnostic |\n"
        ));
    }
    for r in &builtin {
        out.push_str(&format!("\n<a id=\"{}\"></a>\n\n", r.id));
        let readme = r.readme.clone().unwrap_or_else(|| format!("# {}\n", r.id));
        // Each README starts with `# id`: nest it one level down.
        for line in readme.lines() {
            if line.starts_with('#') {
                out.push('#');
            }
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("\n## tollgate's own rules\n");
    for (id, sev, doc) in INTERNAL_RULE_DOCS {
        out.push_str(&format!(
            "\n<a id=\"{id}\"></a>\n\n### {id}\n\n**Severity:** {sev}\n\n{doc}\n"
        ));
    }
    out
}
