//! Loading policies into one regorus engine and describing their rules.

use regorus::Engine;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::{metadata, pack, rego_text, PolicyError, PolicySource, Rule};
use crate::model::value::from_json;
use crate::model::{Diagnostic, Kind, RuleMeta, Scope, Severity};

/// Options for loading policies.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Also load `*_test.rego` files.
    pub tests: bool,
    /// Force Rego v0 (`Some(true)`) or v1 (`Some(false)`); `None` detects per file.
    pub rego_v0: Option<bool>,
    /// Folders conftest's `parse_config_file` builtins may read from.
    pub read_roots: Vec<PathBuf>,
    /// Policies read from a revision (`--policies-from`): their `parse_config_file` reads
    /// that revision's files.
    pub rev_files: Option<super::builtins::RevFiles>,
}

impl LoadOptions {
    /// Whether `src` is read as Rego v0: built-in rules are v1; others as forced, else detected.
    fn is_v0(&self, src: &PolicySource) -> bool {
        !src.builtin
            && self
                .rego_v0
                .unwrap_or_else(|| rego_text::looks_like_v0(&src.text))
    }
}

/// The loaded policies: rules and a prepared engine.
#[derive(Clone)]
pub struct PolicySet {
    pub rules: Vec<Rule>,
    pub engine: Engine,
    /// Policy load errors (syntax, METADATA).
    pub errors: Vec<Diagnostic>,
    /// METADATA ids declared in files that failed to load: their error is reported once, and
    /// the configuration does not also call them unknown rules.
    pub unloaded: Vec<String>,
    /// Functions called but defined nowhere (reported once at load, at each call): evaluation
    /// errors naming them are not repeated per document.
    pub unknown_functions: BTreeSet<String>,
    /// How many bytes evaluation may allocate beyond what the run holds when it starts
    /// (`--policy-memory`; see [`MemoryLimit`]).
    pub memory_budget: u64,
}

/// Calls of dotted names that are neither regorus builtins nor tollgate's extensions, reported
/// at the call (the engine only finds out when a document reaches it, once per document).
fn unknown_calls(loaded: &[&PolicySource], errors: &mut Vec<PolicyError>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for src in loaded {
        for (name, line, col) in rego_text::dotted_calls(&src.text) {
            let known = regorus::is_builtin(&name)
                || super::opa_builtins::ADDED.iter().any(|(n, _)| *n == name)
                || super::builtins::NAMES.contains(&name.as_str());
            if !known {
                errors.push(PolicyError::Engine {
                    file: src.path.clone(),
                    message: format!(
                        "unknown function `{name}`: no builtin of this name exists in tollgate's engine (docs/opa-compatibility.md lists the missing ones)"
                    ),
                    at: Some((src.path.clone(), line, col)),
                });
                names.insert(name);
            }
        }
    }
    names
}

/// How long one rule may run on one document, unless `--policy-timeout` says otherwise.
pub const DEFAULT_POLICY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How much memory evaluation may allocate beyond what the run already holds, unless
/// `--policy-memory` says otherwise (2 GiB).
pub const DEFAULT_POLICY_MEMORY: u64 = 2 << 30;

/// regorus's allocation limit, armed for the time evaluation runs: the bytes in use when it is
/// armed plus the budget. The engine checks it as it builds values; a rule that goes over is a
/// policy error for that document (its values are freed, so the next document starts below the
/// limit again), and the other documents are still checked. The limit is process-wide (the
/// mimalloc allocator regorus installs counts every thread), so a rule that exhausts it may
/// also cost a rule evaluating on another thread at that moment its result for that document;
/// both are reported. Dropping the guard disarms it.
pub struct MemoryLimit(());

impl MemoryLimit {
    #[cfg(feature = "mimalloc")]
    pub fn arm(budget: u64) -> MemoryLimit {
        // The usage now: what the limit reports when it is 0.
        regorus::set_global_memory_limit(Some(0));
        let usage = match regorus::check_global_memory_limit() {
            Err(regorus::LimitError::MemoryLimitExceeded { usage, .. }) => usage,
            _ => 0,
        };
        regorus::set_global_memory_limit(Some(usage.saturating_add(budget)));
        MemoryLimit(())
    }

    /// Without the `mimalloc` feature there is no allocation limit.
    #[cfg(not(feature = "mimalloc"))]
    pub fn arm(_budget: u64) -> MemoryLimit {
        MemoryLimit(())
    }
}

impl Drop for MemoryLimit {
    fn drop(&mut self) {
        #[cfg(feature = "mimalloc")]
        regorus::set_global_memory_limit(None);
    }
}

impl PolicySet {
    /// Bounds what evaluation may allocate (see [`MemoryLimit`]).
    pub fn set_memory_budget(&mut self, bytes: u64) {
        self.memory_budget = bytes;
    }

    /// Bounds each evaluation (one rule on one document, or one project rule) to `limit`
    /// (regorus's execution timer): a rule that runs longer is a policy error for that
    /// document, and the other documents are still checked.
    pub fn set_timeout(&mut self, limit: std::time::Duration) {
        self.engine
            .set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
                limit,
                check_interval: std::num::NonZeroU32::new(100).unwrap_or(std::num::NonZeroU32::MIN),
            });
    }
}

/// A fresh engine with conftest's builtins.
fn new_engine(opts: &LoadOptions) -> Engine {
    let mut engine = Engine::new();
    engine.set_strict_builtin_errors(false);
    // `print()` output is gathered and written by `eval::flush_prints`, neutralised.
    engine.set_gather_prints(true);
    super::builtins::register(&mut engine, &opts.read_roots, opts.rev_files.clone());
    super::opa_builtins::register(&mut engine);
    engine
}

/// Adds `src` to a copy of `engine` and checks that the modules still analyse together.
fn try_add(engine: &Engine, src: &PolicySource, opts: &LoadOptions) -> Result<Engine, PolicyError> {
    let mut candidate = engine.clone();
    candidate.set_rego_v0(opts.is_v0(src));
    candidate
        .add_policy(src.path.clone(), src.text.clone())
        .and_then(|_| candidate.eval_query("true".to_string(), false).map(|_| ()))
        .map_err(|e| PolicyError::engine(&src.path, &e))?;
    Ok(candidate)
}

/// Some errors (unsafe variables, conflicting rule kinds) only show when the modules are
/// analysed together, and then break every rule. This finds the culprits and leaves them out,
/// so that one broken policy never silences the others. A file may need one that comes later
/// (a library): it retries until nothing changes.
fn isolate_broken<'s>(
    loaded: Vec<&'s PolicySource>,
    opts: &LoadOptions,
    errors: &mut Vec<PolicyError>,
) -> (Engine, Vec<&'s PolicySource>) {
    let mut engine = new_engine(opts);
    let mut kept = Vec::new();
    let mut pending = loaded;
    loop {
        let before = pending.len();
        let mut failed = Vec::new();
        for src in pending {
            match try_add(&engine, src, opts) {
                Ok(e) => {
                    engine = e;
                    kept.push(src);
                }
                Err(e) => failed.push((src, e)),
            }
        }
        if failed.is_empty() {
            break;
        }
        if failed.len() == before {
            errors.extend(failed.into_iter().map(|(_, e)| e));
            break;
        }
        pending = failed.into_iter().map(|(s, _)| s).collect();
    }
    (engine, kept)
}

/// What the loaded files say about one package.
struct Package {
    entries: Vec<String>,
    file: String,
    line: u32,
    builtin: bool,
    exception: bool,
    meta: Option<(metadata::Metadata, String)>,
}

/// Groups the loaded (non-test) files by package.
fn packages(loaded: &[&PolicySource], errors: &mut Vec<PolicyError>) -> BTreeMap<String, Package> {
    let mut out: BTreeMap<String, Package> = BTreeMap::new();
    for src in loaded {
        let Some(pkg) = rego_text::package_of(&src.text) else {
            continue;
        };
        if src.path.ends_with("_test.rego") {
            continue;
        }
        let meta = match pack::metadata_of(src) {
            Ok(Some(m)) if m.id.is_some() => Some((m, src.path.clone())),
            Ok(_) => None,
            Err((line, message)) => {
                errors.push(PolicyError::At {
                    file: src.path.clone(),
                    line,
                    message,
                });
                None
            }
        };
        let p = out.entry(pkg).or_insert_with(|| Package {
            entries: Vec::new(),
            file: src.path.clone(),
            line: rego_text::package_line(&src.text),
            builtin: src.builtin,
            exception: false,
            meta: None,
        });
        p.exception |= rego_text::has_exception(&src.text);
        if meta.is_some() {
            p.meta = meta;
        }
        for e in rego_text::entries(&src.text) {
            if !p.entries.contains(&e) {
                p.entries.push(e);
            }
        }
    }
    out
}

/// The rule a package with a METADATA id describes.
fn described_rule(
    pkg: String,
    p: Package,
    m: metadata::Metadata,
    mfile: String,
    errors: &mut Vec<PolicyError>,
) -> Rule {
    let at = |message: String| PolicyError::At {
        file: mfile.clone(),
        line: m.line,
        message,
    };
    // METADATA is validated like the configuration: exactly one of the three names.
    let severity = match m.severity.as_deref() {
        None => Severity::Error,
        Some(s) => [Severity::Error, Severity::Warning, Severity::Note]
            .into_iter()
            .find(|v| v.name() == s)
            .unwrap_or_else(|| {
                errors.push(at(format!(
                    "invalid METADATA: unknown severity `{s}` (error, warning, note)"
                )));
                Severity::Error
            }),
    };
    let inputs: Option<Vec<Kind>> = m.input.as_ref().map(|names| {
        names
            .iter()
            .filter_map(|n| {
                let k = crate::source::kind_named(n).map(|s| s.kind);
                if k.is_none() {
                    errors.push(at(format!("invalid METADATA: unknown input kind `{n}`")));
                }
                k
            })
            .collect()
    });
    let scope = match m.scope.as_deref() {
        Some("project") => Scope::Project,
        None | Some("document") => Scope::Document,
        Some(other) => {
            errors.push(at(format!(
                "invalid METADATA: unknown scope `{other}` (document, project)"
            )));
            Scope::Document
        }
    };
    // A schema that does not compile would reject every configuration, or none. The built-in
    // pack's are not compiled on every run: `tollgate test` checks them (the pack's own test,
    // `the_builtin_pack_passes_its_own_tests`), and the binary cannot change them.
    let settings_schema = m.settings_schema().filter(|s| {
        p.builtin
            || match jsonschema::validator_for(s) {
                Ok(_) => true,
                Err(e) => {
                    errors.push(at(format!("invalid METADATA: `custom.schema`: {e}")));
                    false
                }
            }
    });
    if let (Some(per_key), Some(Value::Object(defaults))) = (&m.schema, &m.settings) {
        if let Some(k) = defaults.keys().find(|k| !per_key.contains_key(*k)) {
            errors.push(at(format!(
                "invalid METADATA: setting `{k}` has no schema in `custom.schema`"
            )));
        }
    }
    // policies/<category>/<rule>/<file>.rego
    let (category, readme) = match mfile.split('/').collect::<Vec<_>>().as_slice() {
        [_, cat, rule, _, ..] if p.builtin => (
            Some(cat.to_string()),
            pack::builtin_readme(&format!("{cat}/{rule}")),
        ),
        _ => (None, None),
    };
    Rule {
        meta: RuleMeta {
            id: m.id.clone().unwrap_or_default(),
            title: m.title,
            description: m.description,
            severity,
            inputs,
            scope,
            settings: m.settings.unwrap_or_else(|| json!({})),
            settings_schema,
            category,
            builtin: p.builtin,
            readme,
            file: mfile,
            line: m.line,
        },
        package: pkg,
        entries: p.entries,
        conftest: false,
        exception: p.exception,
    }
}

/// The rules of a package without METADATA id: one per entry rule, named `<package>/<entry>`.
fn conftest_rules(pkg: &str, p: &Package) -> Vec<Rule> {
    let short = pkg.strip_prefix("data.").unwrap_or(pkg);
    p.entries
        .iter()
        .map(|entry| Rule {
            meta: RuleMeta {
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
                settings_schema: None,
                category: None,
                builtin: p.builtin,
                readme: None,
                file: p.file.clone(),
                line: p.line,
            },
            package: pkg.to_string(),
            entries: vec![entry.clone()],
            conftest: !p.builtin,
            exception: p.exception,
        })
        .collect()
}

impl PolicySet {
    /// Loads policies into one engine. Errors do not stop the other files from loading.
    pub fn load(sources: &[PolicySource], opts: &LoadOptions) -> PolicySet {
        let mut engine = new_engine(opts);
        let mut errors: Vec<PolicyError> = Vec::new();
        let mut loaded: Vec<&PolicySource> = Vec::new();
        // Parsed on the worker threads (regorus patch 14): the pack's parse is a quarter of a
        // one-file run.
        let parsed = engine.add_policies(
            sources
                .iter()
                .map(|s| (s.path.clone(), s.text.clone(), opts.is_v0(s)))
                .collect(),
            rayon::current_num_threads(),
        );
        for (src, result) in sources.iter().zip(parsed) {
            match result {
                Ok(_) => loaded.push(src),
                Err(e) => errors.push(PolicyError::engine(&src.path, &e)),
            }
        }
        // As one `add_policy` after another left it: the version of the last file.
        if let Some(last) = sources.last() {
            engine.set_rego_v0(opts.is_v0(last));
        }
        if engine.eval_query("true".to_string(), false).is_err() {
            (engine, loaded) = isolate_broken(loaded, opts, &mut errors);
        }
        let unloaded: Vec<String> = sources
            .iter()
            .filter(|s| !loaded.iter().any(|l| std::ptr::eq(*l, *s)))
            .filter_map(|s| pack::metadata_of(s).ok().flatten()?.id)
            .collect();
        let unknown_functions = unknown_calls(&loaded, &mut errors);
        let mut rules: Vec<Rule> = Vec::new();
        for (pkg, mut p) in packages(&loaded, &mut errors) {
            if p.entries.is_empty() {
                continue; // a library package
            }
            match p.meta.take() {
                Some((m, mfile)) => rules.push(described_rule(pkg, p, m, mfile, &mut errors)),
                None => rules.extend(conftest_rules(&pkg, &p)),
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        PolicySet {
            rules,
            engine,
            errors: errors.iter().map(PolicyError::to_diagnostic).collect(),
            unloaded,
            unknown_functions,
            memory_budget: DEFAULT_POLICY_MEMORY,
        }
    }

    /// Sets `data.tollgate`: rule settings (METADATA defaults, replaced key by key by
    /// `overrides`), shared facts such as today's date and the `.trivyignore` entries (`extra`),
    /// and the team's data documents (`user`, merged at the root of `data`).
    pub fn set_data(
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
        if let Some(today) = extra.get("today").and_then(Value::as_str) {
            super::builtins::set_today(today);
        }
        let mut tollgate = extra;
        tollgate.insert("config".into(), Value::Object(config));
        self.engine.clear_data();
        if let Err(e) = self
            .engine
            .add_data(from_json(json!({ "tollgate": tollgate })))
        {
            errors.push(Diagnostic::new(format!("cannot set data.tollgate: {e}")));
        }
        for (file, value) in user {
            if !value.is_object() {
                errors.push(Diagnostic::in_file(
                    "a data file must hold a mapping at its top",
                    file.clone(),
                ));
                continue;
            }
            if let Err(e) = self.engine.add_data(from_json(value.clone())) {
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

    /// The descriptions of the rules, as reports read them.
    pub fn metas(&self) -> Vec<RuleMeta> {
        self.rules.iter().map(|r| r.meta.clone()).collect()
    }

    /// Every category of the loaded rules.
    pub fn categories(&self) -> BTreeSet<String> {
        self.rules
            .iter()
            .filter_map(|r| r.category.clone())
            .collect()
    }
}
