//! Setting up a run, below the command line: the configuration, the policies it and the
//! options name (loaded and selected), and the data files. `cli` turns arguments into
//! [`PolicyOptions`]; `check`, `rules`, `explain` and `test` all start here.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::confined::{self, Confinement};
use crate::filter;
use crate::model::Diagnostic;
use crate::policy::{pack, LoadOptions, PolicySet, DEFAULT_POLICY_TIMEOUT};
use crate::source::{parse, yaml};

/// The policy options every command shares.
#[derive(Clone, Debug, Default)]
pub struct PolicyOptions {
    /// Extra policy folders or files.
    pub policies: Vec<PathBuf>,
    /// Extra data files, merged at the root of `data`.
    pub data: Vec<PathBuf>,
    /// Only the given policies, not the built-in pack (its library stays available).
    pub no_builtin: bool,
    /// Packages of conftest-style policies to run (globs; default `main`).
    pub namespaces: Vec<String>,
    pub all_namespaces: bool,
    /// Force Rego v0 (`Some(true)`) or v1 (`Some(false)`); `None` detects per file.
    pub rego_v0: Option<bool>,
    /// The configuration file; `None` looks for one from the scan root.
    pub config: Option<PathBuf>,
    /// Rule selection from the command line, replacing the configuration's.
    pub select: Option<Vec<String>>,
    pub ignore: Option<Vec<String>>,
    /// Time budget of one rule on one document (default [`DEFAULT_POLICY_TIMEOUT`]).
    pub policy_timeout: Option<std::time::Duration>,
    /// `--policy-memory` (bytes).
    pub policy_memory: Option<u64>,
    /// Use no configuration file at all.
    pub no_config: bool,
}

/// Everything a run needs besides its paths: the config, the policies (selected), the data.
pub struct Setup {
    pub config: Config,
    pub policies: PolicySet,
    pub user_data: Vec<(String, serde_json::Value)>,
    /// Config and data errors (exit code 2).
    pub errors: Vec<Diagnostic>,
}

/// The data files a list of paths names: files as given, and every JSON or YAML file under a
/// folder (sorted; hidden folders skipped), as conftest's `--data DIR` loads them.
fn expand_data_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        if !p.is_dir() {
            out.push(p.clone());
            continue;
        }
        let mut found: Vec<PathBuf> = ignore::WalkBuilder::new(p)
            .standard_filters(false)
            .hidden(true)
            .build()
            .flatten()
            .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
            .map(|e| e.into_path())
            .filter(|f| {
                f.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| matches!(e, "json" | "yaml" | "yml"))
            })
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

/// Reads JSON or YAML data files (or folders of them) for `data`. `confine`: the files were
/// named by repository content (the config), so they must lie inside the repository; `None`
/// for the user's own.
pub fn read_data_files(
    paths: &[PathBuf],
    confine: Option<&Confinement>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for p in &expand_data_paths(paths) {
        let display = crate::discover::display_path(p);
        let read = match confine {
            Some(c) => c.read_to_string(p, confined::DEFAULT_LIMIT),
            None => confined::read_limited(p, confined::DEFAULT_LIMIT).and_then(confined::utf8),
        };
        let text = match read {
            Ok(t) => t,
            Err(e) => {
                errors.push(Diagnostic::in_file(
                    format!("cannot read the data file: {e}"),
                    display,
                ));
                continue;
            }
        };
        if let Some(d) = parse_data_text(p, display, text, errors) {
            out.push(d);
        }
    }
    out
}

/// Parses one data file's text (JSON by its `.json` extension, else YAML).
fn parse_data_text(
    p: &Path,
    display: String,
    text: String,
    errors: &mut Vec<Diagnostic>,
) -> Option<(String, serde_json::Value)> {
    let source = crate::model::SourceFile::new(display.clone(), text);
    let json = p.extension().is_some_and(|e| e == "json");
    match parse::parse_structured(&source, json, yaml::Limits::default()) {
        Ok(docs) => docs.into_iter().next().map(|d| (display, d.value)),
        Err(e) => {
            errors.push(Diagnostic::at(
                format!("invalid data file: {}", e.message),
                display,
                e.pos.line,
                e.pos.column,
            ));
            None
        }
    }
}

/// Loads the built-in pack (unless `no_builtin`) and the given policy folders.
pub fn load_policies(
    dirs: &[PathBuf],
    no_builtin: bool,
    tests: bool,
    rego_v0: Option<bool>,
    read_roots: Vec<PathBuf>,
) -> PolicySet {
    let dirs: Vec<(PathBuf, Option<Confinement>)> =
        dirs.iter().map(|d| (d.clone(), None)).collect();
    load_policies_in(&dirs, no_builtin, tests, rego_v0, read_roots)
}

/// [`load_policies`], each folder with its confinement (`Some` for folders the config names).
pub fn load_policies_in(
    dirs: &[(PathBuf, Option<Confinement>)],
    no_builtin: bool,
    tests: bool,
    rego_v0: Option<bool>,
    read_roots: Vec<PathBuf>,
) -> PolicySet {
    let (sources, errors) = pack::assemble_in(dirs, no_builtin, tests);
    let mut set = PolicySet::load(
        &sources,
        &LoadOptions {
            tests,
            rego_v0,
            read_roots,
            rev_files: None,
        },
    );
    set.errors
        .extend(errors.iter().map(crate::policy::PolicyError::to_diagnostic));
    set
}

/// The configuration: `--config`, else the one [`crate::config::find`] finds from the working
/// directory (none is fine). `_scan_root` is no longer consulted: one configuration per run.
pub fn load_config(explicit: Option<&Path>, _scan_root: &Path) -> (Config, Vec<Diagnostic>) {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| crate::config::find(Path::new(".")));
    match &path {
        Some(p) => match Config::load(p, explicit.is_none()) {
            Ok(c) => (c, Vec::new()),
            Err(e) => (Config::default(), e),
        },
        None => (Config::default(), Vec::new()),
    }
}

/// The policy folders of a run: the configuration's, which must lie inside its repository, then
/// the user's `--policy` folders, which may be anywhere.
fn policy_dirs(config: &Config, opts: &PolicyOptions) -> Vec<(PathBuf, Option<Confinement>)> {
    let inside = config.confinement();
    let mut dirs: Vec<(PathBuf, Option<Confinement>)> = config
        .policies
        .iter()
        .map(|d| (d.clone(), Some(inside.clone())))
        .collect();
    dirs.extend(opts.policies.iter().map(|d| (d.clone(), None)));
    dirs
}

/// The configuration of a run: none with `--no-config`, else [`load_config`].
fn run_config(opts: &PolicyOptions, scan_root: &Path) -> (Config, Vec<Diagnostic>) {
    if opts.no_config {
        (Config::default(), Vec::new())
    } else {
        load_config(opts.config.as_deref(), scan_root)
    }
}

/// Every rule the configuration and the options name, unselected (for `tollgate explain`).
pub fn all_rules(opts: &PolicyOptions, scan_root: &Path) -> (PolicySet, Vec<Diagnostic>) {
    let (config, errors) = run_config(opts, scan_root);
    let dirs = policy_dirs(&config, opts);
    let set = load_policies_in(
        &dirs,
        opts.no_builtin,
        false,
        opts.rego_v0,
        opts.policies.clone(),
    );
    (set, errors)
}

/// `--select`/`--ignore` replace the configuration's lists (the command line wins); unknown
/// names are errors.
fn command_line_selection(
    config: &mut Config,
    opts: &PolicyOptions,
    policies: &PolicySet,
    errors: &mut Vec<Diagnostic>,
) {
    let metas = policies.metas();
    for (flag, list) in [("--select", &opts.select), ("--ignore", &opts.ignore)] {
        for name in list.iter().flatten() {
            if !config::known_rule_or_category(&metas, &policies.unloaded, name) {
                errors.push(Diagnostic::new(format!(
                    "{flag}: unknown rule or category `{name}` (see `tollgate rules`)"
                )));
            }
        }
    }
    if let Some(sel) = &opts.select {
        config.select = Some(sel.clone());
    }
    if let Some(ign) = &opts.ignore {
        config.ignore = ign.clone();
    }
}

/// Validates the configuration against the loaded rules, then applies the time budget and the
/// selection (the command line's, the configuration's, conftest namespaces) and severities.
fn select(
    config: &mut Config,
    opts: &PolicyOptions,
    policies: &mut PolicySet,
    errors: &mut Vec<Diagnostic>,
) {
    policies.set_timeout(opts.policy_timeout.unwrap_or(DEFAULT_POLICY_TIMEOUT));
    if let Some(bytes) = opts.policy_memory {
        policies.set_memory_budget(bytes);
    }
    errors.extend(config.validate_rules(&policies.metas(), &policies.unloaded));
    command_line_selection(config, opts, policies, errors);
    filter::select_rules(
        &mut policies.rules,
        config,
        &opts.namespaces,
        opts.all_namespaces,
    );
}

/// Loads the configuration (found from `scan_root` unless given), the policies it and the
/// options name, the data files, and applies rule selection and severities.
pub fn setup(opts: &PolicyOptions, scan_root: &Path, read_roots: Vec<PathBuf>) -> Setup {
    let (mut config, mut errors) = run_config(opts, scan_root);
    // Policies the config names do not widen what `parse_config_file` may read; the user's
    // `--policy` folders do.
    let dirs = policy_dirs(&config, opts);
    let mut roots = read_roots;
    roots.extend(opts.policies.iter().cloned());
    let mut policies = load_policies_in(&dirs, opts.no_builtin, false, opts.rego_v0, roots);
    select(&mut config, opts, &mut policies, &mut errors);
    let mut user_data = read_data_files(&config.data, Some(&config.confinement()), &mut errors);
    user_data.extend(read_data_files(&opts.data, None, &mut errors));
    Setup {
        config,
        policies,
        user_data,
        errors,
    }
}

/// Reads the diff a check is scoped to from git: the base (`spec`: a revision or `auto`), the
/// files the diff touches and their bytes at the base, straight from the object database.
pub fn diff_scope(
    scan_root: &Path,
    spec: &str,
    mode: crate::check::DiffMode,
    env: crate::git::Env<'_>,
) -> Result<crate::check::DiffScope, Diagnostic> {
    use crate::git::{Change, Repo};
    use std::collections::BTreeMap;
    let fail = |e: crate::git::GitError| Diagnostic::new(e.0);
    let repo = Repo::discover(scan_root).map_err(fail)?;
    let base = repo.resolve_base(spec, env).map_err(fail)?;
    let changes = repo.changes(base.commit).map_err(fail)?;
    let mut scope = crate::check::DiffScope {
        mode,
        base: base.name.clone(),
        touched: BTreeMap::new(),
        deleted: BTreeMap::new(),
        renames: BTreeMap::new(),
    };
    for change in &changes {
        let at_base = |path: &str| repo.read(base.commit, path).map_err(fail);
        match change {
            Change::Added(new) => {
                scope.touched.insert(repo.display(new), None);
            }
            Change::Modified(path) => {
                scope.touched.insert(repo.display(path), at_base(path)?);
            }
            Change::Renamed(old, new) => {
                scope.touched.insert(repo.display(new), at_base(old)?);
                scope.renames.insert(repo.display(new), repo.display(old));
            }
            Change::Deleted(old) => {
                if let Some(bytes) = at_base(old)? {
                    scope.deleted.insert(repo.display(old), bytes);
                }
            }
        }
    }
    Ok(scope)
}

/// What `--policies-from REF` read, besides the setup.
pub struct FromRev {
    /// The baseline at REF, when one was asked for.
    pub baseline: Option<(String, Vec<crate::model::fingerprint::BaselineEntry>)>,
    /// The policy files (config, policies, data, baseline) the working tree changes, which
    /// take effect only after merge (display paths, sorted).
    pub policy_changes: Vec<String>,
}

/// [`setup`] with `.tollgate.yml`, the policy folders, the data files and the baseline read as
/// they are at `rev`, straight from the git object database (paths outside the repository are
/// read from disk): a pull request cannot loosen the policies that judge it.
pub fn setup_from_rev(
    opts: &PolicyOptions,
    scan_root: &Path,
    read_roots: Vec<PathBuf>,
    rev: &str,
    baseline: Option<&Path>,
) -> Result<(Setup, FromRev), Diagnostic> {
    use crate::git::Repo;
    use std::collections::BTreeSet;
    let fail = |e: crate::git::GitError| Diagnostic::new(format!("--policies-from: {e}"));
    let repo = Repo::discover(scan_root).map_err(fail)?;
    let (commit, rev_name) = repo.named(rev, &crate::git::process_env).map_err(fail)?;
    let rev = rev_name.trim_matches('`').to_string();
    let rev = rev.as_str();
    let mut errors = Vec::new();
    let mut changes: BTreeSet<String> = BTreeSet::new();
    // A file at REF: `Ok(None)` when it is not there; `Err` when outside the repository.
    let at_rev = |p: &Path| -> Result<Option<String>, ()> {
        let rel = repo.relative(p).ok_or(())?;
        match repo.read(commit, &rel) {
            Ok(Some(bytes)) => Ok(Some(String::from_utf8_lossy(&bytes).into_owned())),
            _ => Ok(None),
        }
    };
    // Records a file whose working-tree text differs from REF's.
    fn record(changes: &mut BTreeSet<String>, p: &Path, at: Option<&str>) {
        let now = std::fs::read_to_string(p).ok();
        if now.as_deref() != at {
            changes.insert(crate::discover::display_path(p));
        }
    }
    // The configuration.
    let config_path = match &opts.config {
        Some(p) => Some(p.clone()),
        // As for a check without `--policies-from`: from the working directory up to the git
        // root, the first name that exists at the revision (or, added since, in the tree).
        None => crate::config::find_where(Path::new("."), |p| {
            matches!(at_rev(p), Ok(Some(_))) || p.is_file()
        }),
    };
    let mut config = match &config_path {
        None => Config::default(),
        Some(p) => match at_rev(p) {
            Ok(Some(text)) => {
                record(&mut changes, p, Some(&text));
                match Config::from_text(p, text) {
                    Ok(c) => c,
                    Err(e) => {
                        errors.extend(e);
                        Config::default()
                    }
                }
            }
            // Added by the working tree: not in effect yet.
            Ok(None) => {
                record(&mut changes, p, None);
                Config::default()
            }
            Err(()) => match Config::load(p, opts.config.is_none()) {
                Ok(c) => c,
                Err(e) => {
                    errors.extend(e);
                    Config::default()
                }
            },
        },
    };
    // The team's policies.
    let mut dirs: Vec<PathBuf> = config.policies.clone();
    dirs.extend(opts.policies.iter().cloned());
    let mut sources = Vec::new();
    let mut rev_policies = BTreeSet::new();
    for dir in &dirs {
        let Some(rel) = repo.relative(dir) else {
            match pack::dir_sources(dir, false) {
                Ok(s) => sources.extend(s),
                Err(e) => errors.push(e.to_diagnostic()),
            }
            continue;
        };
        let files = repo.list(commit, &rel).map_err(fail)?;
        let base = rel.trim_end_matches('/');
        let mut seen = BTreeSet::new();
        for file in &files {
            let below = file
                .strip_prefix(base)
                .map(|r| r.trim_start_matches('/'))
                .filter(|r| !r.is_empty())
                .unwrap_or(file.rsplit('/').next().unwrap_or(file));
            if !pack::is_policy_file(below, false) {
                continue;
            }
            let display = repo.display(file);
            let Ok(Some(bytes)) = repo.read(commit, file) else {
                continue;
            };
            let text = String::from_utf8_lossy(&bytes).into_owned();
            record(&mut changes, &repo.workdir().join(file), Some(&text));
            seen.insert(display.clone());
            rev_policies.insert(display.clone());
            sources.push(crate::policy::PolicySource {
                path: display,
                text,
                builtin: false,
            });
        }
        if files.is_empty() {
            errors.push(Diagnostic::in_file(
                format!("no such policy file or folder at {rev}"),
                crate::discover::display_path(dir),
            ));
        }
        // Policies the working tree adds.
        if let Ok(now) = pack::dir_sources(dir, false) {
            for s in now {
                if !seen.contains(&s.path) {
                    changes.insert(s.path);
                }
            }
        }
    }
    let sources = pack::assemble_sources(sources, opts.no_builtin, false);
    let mut roots = read_roots;
    roots.extend(dirs.iter().cloned());
    // What those policies' `parse_config_file` reads: REF's files, in the repository only.
    let reader = std::sync::Mutex::new(Repo::discover(scan_root).map_err(fail)?);
    let read: crate::policy::builtins::RevReader = std::sync::Arc::new(move |p: &Path| {
        let repo = reader
            .lock()
            .map_err(|_| "the repository cannot be read".to_string())?;
        let rel = repo
            .relative(p)
            .ok_or_else(|| "outside the repository".to_string())?;
        match repo.read(commit, &rel) {
            Ok(None) => Ok(None),
            Ok(Some(bytes)) if bytes.len() as u64 > crate::confined::DEFAULT_LIMIT => {
                Err("over the size limit".to_string())
            }
            Ok(Some(bytes)) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| "not UTF-8 text".to_string()),
            Err(e) => Err(e.to_string()),
        }
    });
    let mut policies = PolicySet::load(
        &sources,
        &LoadOptions {
            tests: false,
            rego_v0: opts.rego_v0,
            read_roots: roots,
            rev_files: Some(crate::policy::builtins::RevFiles {
                policies: rev_policies,
                rev: rev.to_string(),
                read,
            }),
        },
    );
    select(&mut config, opts, &mut policies, &mut errors);
    // Data files.
    let mut data_paths = config.data.clone();
    data_paths.extend(opts.data.iter().cloned());
    let mut user_data = Vec::new();
    for p in &data_paths {
        match at_rev(p) {
            Ok(Some(text)) => {
                record(&mut changes, p, Some(&text));
                let display = crate::discover::display_path(p);
                if let Some(d) = parse_data_text(p, display, text, &mut errors) {
                    user_data.push(d);
                }
            }
            Ok(None) => {
                record(&mut changes, p, None);
                errors.push(Diagnostic::in_file(
                    format!("the data file is not at {rev}"),
                    crate::discover::display_path(p),
                ));
            }
            Err(()) => user_data.extend(read_data_files(
                std::slice::from_ref(p),
                Some(&config.confinement()),
                &mut errors,
            )),
        }
    }
    // The baseline.
    let baseline = match baseline {
        None => None,
        Some(p) => {
            let display = crate::discover::display_path(p);
            match at_rev(p) {
                Ok(Some(text)) => {
                    record(&mut changes, p, Some(&text));
                    match crate::baseline::parse(&text, &display) {
                        Ok(entries) => Some((display, entries)),
                        Err(e) => {
                            errors.push(e);
                            None
                        }
                    }
                }
                Ok(None) => {
                    record(&mut changes, p, None);
                    errors.push(Diagnostic::in_file(
                        format!("the baseline is not at {rev}"),
                        display,
                    ));
                    None
                }
                Err(()) => match crate::baseline::read(p) {
                    Ok(entries) => Some((display, entries)),
                    Err(e) => {
                        errors.push(e);
                        None
                    }
                },
            }
        }
    };
    Ok((
        Setup {
            config,
            policies,
            user_data,
            errors,
        },
        FromRev {
            baseline,
            policy_changes: changes.into_iter().collect(),
        },
    ))
}
