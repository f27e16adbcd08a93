//! Setting up a run, below the command line: the configuration, the policies it and the
//! options name (loaded and selected), and the data files. `cli` turns arguments into
//! [`PolicyOptions`]; `check`, `rules`, `explain` and `test` all start here.

use std::path::{Path, PathBuf};

use crate::config::{self, Config};
use crate::filter;
use crate::model::Diagnostic;
use crate::policy::{pack, LoadOptions, PolicySet};
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

/// Reads JSON or YAML data files (or folders of them) for `data`.
pub fn read_data_files(
    paths: &[PathBuf],
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for p in &expand_data_paths(paths) {
        let display = crate::discover::display_path(p);
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) => {
                errors.push(Diagnostic::in_file(
                    format!("cannot read the data file: {e}"),
                    display,
                ));
                continue;
            }
        };
        let source = crate::model::SourceFile::new(display.clone(), text);
        let json = p.extension().is_some_and(|e| e == "json");
        match parse::parse_structured(&source, json, yaml::Limits::default()) {
            Ok(docs) => {
                if let Some(d) = docs.into_iter().next() {
                    out.push((display, d.value));
                }
            }
            Err(e) => errors.push(Diagnostic::at(
                format!("invalid data file: {}", e.message),
                display,
                e.pos.line,
                e.pos.column,
            )),
        }
    }
    out
}

/// Loads the built-in pack (unless `no_builtin`) and the given policy folders.
pub fn load_policies(
    dirs: &[PathBuf],
    no_builtin: bool,
    tests: bool,
    rego_v0: Option<bool>,
    read_roots: Vec<PathBuf>,
) -> PolicySet {
    let (sources, errors) = pack::assemble(dirs, no_builtin, tests);
    let mut set = PolicySet::load(
        &sources,
        &LoadOptions {
            tests,
            rego_v0,
            read_roots,
        },
    );
    set.errors
        .extend(errors.iter().map(crate::policy::PolicyError::to_diagnostic));
    set
}

/// The configuration: `--config`, else the one found from `scan_root` (none is fine).
pub fn load_config(explicit: Option<&Path>, scan_root: &Path) -> (Config, Vec<Diagnostic>) {
    let path = explicit
        .map(Path::to_path_buf)
        .or_else(|| crate::config::discover(scan_root));
    match &path {
        Some(p) => match Config::load(p) {
            Ok(c) => (c, Vec::new()),
            Err(e) => (Config::default(), e),
        },
        None => (Config::default(), Vec::new()),
    }
}

/// The policy folders of a run: the configuration's, then the options'.
fn policy_dirs(config: &Config, opts: &PolicyOptions) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = config.policies.clone();
    dirs.extend(opts.policies.iter().cloned());
    dirs
}

/// Every rule the configuration and the options name, unselected (for `tollgate explain`).
pub fn all_rules(opts: &PolicyOptions, scan_root: &Path) -> (PolicySet, Vec<Diagnostic>) {
    let (config, errors) = load_config(opts.config.as_deref(), scan_root);
    let dirs = policy_dirs(&config, opts);
    let set = load_policies(&dirs, opts.no_builtin, false, opts.rego_v0, dirs.clone());
    (set, errors)
}

/// Loads the configuration (found from `scan_root` unless given), the policies it and the
/// options name, the data files, and applies rule selection and severities.
pub fn setup(opts: &PolicyOptions, scan_root: &Path, read_roots: Vec<PathBuf>) -> Setup {
    let (mut config, mut errors) = load_config(opts.config.as_deref(), scan_root);
    let dirs = policy_dirs(&config, opts);
    let mut roots = read_roots;
    roots.extend(dirs.iter().cloned());
    let mut policies = load_policies(&dirs, opts.no_builtin, false, opts.rego_v0, roots);
    errors.extend(config.validate_rules(&policies.metas(), &policies.unloaded));
    // The command line wins over the configuration.
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
    filter::select_rules(
        &mut policies.rules,
        &config,
        &opts.namespaces,
        opts.all_namespaces,
    );
    let mut data_paths = config.data.clone();
    data_paths.extend(opts.data.iter().cloned());
    let user_data = read_data_files(&data_paths, &mut errors);
    Setup {
        config,
        policies,
        user_data,
        errors,
    }
}
