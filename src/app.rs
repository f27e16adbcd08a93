//! Setting up a run, below the command line: the configuration, the policies it and the
//! options name (loaded and selected), and the data files. `cli` turns arguments into
//! [`PolicyOptions`]; `check`, `rules`, `explain` and `test` all start here.

use std::path::{Path, PathBuf};

use crate::config::Config;
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
    /// Time budget of one rule on one document (default [`DEFAULT_POLICY_TIMEOUT`]).
    pub policy_timeout: Option<std::time::Duration>,
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

/// Reads JSON or YAML data files for `data`. `confine`: the files were named by repository
/// content (the config), so they must lie inside the repository; `None` for the user's own.
pub fn read_data_files(
    paths: &[PathBuf],
    confine: Option<&Confinement>,
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for p in paths {
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

/// Loads the configuration (found from `scan_root` unless given), the policies it and the
/// options name, the data files, and applies rule selection and severities.
pub fn setup(opts: &PolicyOptions, scan_root: &Path, read_roots: Vec<PathBuf>) -> Setup {
    let (config, mut errors) = if opts.no_config {
        (Config::default(), Vec::new())
    } else {
        load_config(opts.config.as_deref(), scan_root)
    };
    // Policies the config names must lie inside its repository, and do not widen what
    // `parse_config_file` may read; the user's `--policy` folders may be anywhere and do.
    let inside = config.confinement();
    let mut dirs: Vec<(PathBuf, Option<Confinement>)> = config
        .policies
        .iter()
        .map(|d| (d.clone(), Some(inside.clone())))
        .collect();
    dirs.extend(opts.policies.iter().map(|d| (d.clone(), None)));
    let mut roots = read_roots;
    roots.extend(opts.policies.iter().cloned());
    let mut policies = load_policies_in(&dirs, opts.no_builtin, false, opts.rego_v0, roots);
    policies.set_timeout(opts.policy_timeout.unwrap_or(DEFAULT_POLICY_TIMEOUT));
    errors.extend(config.validate_rules(&policies.metas()));
    filter::select_rules(
        &mut policies.rules,
        &config,
        &opts.namespaces,
        opts.all_namespaces,
    );
    let mut user_data = read_data_files(&config.data, Some(&inside), &mut errors);
    user_data.extend(read_data_files(&opts.data, None, &mut errors));
    Setup {
        config,
        policies,
        user_data,
        errors,
    }
}
