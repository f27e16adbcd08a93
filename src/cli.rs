//! Command-line interface.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::check::{self, CheckOptions};
use crate::config::{self, Config};
use crate::finding::Diagnostic;
use crate::finding::Severity;
use crate::policy::{self, LoadOptions, PolicySet};
use crate::report;

#[derive(Parser, Debug)]
#[command(name = "tollgate", version, about = "Policy-as-code gatekeeper for CI/CD: keeps production-hardening rules true, with every finding at its exact line", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a repository (or files) against the policies.
    Check(CheckArgs),
    /// Run policy tests: `test_` rules in `*_test.rego` and the fixtures' `# expect:` marks.
    Test(TestArgs),
    /// List the rules in effect.
    Rules(RulesArgs),
    /// Print a rule's documentation.
    Explain {
        /// The rule id, e.g. k8s-zero-downtime-rollout.
        rule: String,
    },
    /// Write a commented starter `.tollgate.yml`.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
        /// Where to write it.
        #[arg(default_value = ".tollgate.yml")]
        path: PathBuf,
    },
    /// Print the JSON schema of `.tollgate.yml` (for editor completion).
    Schema,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RegoVersion {
    /// Detect per file (`import rego.v1`, `if`/`contains` mean v1).
    Auto,
    V0,
    V1,
}

/// Policy options shared by `check`, `test` and `rules`.
#[derive(Args, Debug, Clone)]
pub struct PolicyArgs {
    /// Extra policy folder or file (repeatable).
    #[arg(long = "policy", short = 'p')]
    pub policies: Vec<PathBuf>,
    /// Extra JSON or YAML data file for policies, merged at the root of `data` (repeatable).
    #[arg(long = "data", short = 'd')]
    pub data: Vec<PathBuf>,
    /// Run only the given policies, not the built-in pack.
    #[arg(long)]
    pub no_builtin: bool,
    /// Packages of conftest-style policies to run (glob, repeatable; default `main`).
    #[arg(long = "namespace", short = 'n')]
    pub namespaces: Vec<String>,
    /// Run conftest-style policies of every package.
    #[arg(long)]
    pub all_namespaces: bool,
    /// Rego syntax of team policies.
    #[arg(long, value_enum, default_value_t = RegoVersion::Auto)]
    pub rego_version: RegoVersion,
    /// The configuration file (default: `.tollgate.yml` at the scan root or above, up to the
    /// git root).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
}

pub use crate::report::{Format, FormatSpec};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    pub fn level(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format, repeatable; `FORMAT=PATH` writes it to a file (default: human).
    #[arg(long, short = 'f', value_name = "FORMAT[=PATH]")]
    pub format: Vec<FormatSpec>,
    /// Colored output.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
    /// Lowest severity that fails the run (exit code 1) [default: error, or the config's].
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Files larger than this many bytes are reported, not parsed [default: 10 MiB].
    #[arg(long)]
    pub max_file_size: Option<u64>,
    /// The date expiry checks use (YYYY-MM-DD); default: today, UTC.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<String>,
    /// Show every finding: waivers suppress nothing.
    #[arg(long)]
    pub no_waivers: bool,
    /// conftest's --combine: conftest-style policies get every document at once, as a list of
    /// {path, contents}.
    #[arg(long)]
    pub combine: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Policy folders to test (default: the built-in pack).
    pub dirs: Vec<PathBuf>,
    /// Extra policy folder or file loaded beside the tested ones (repeatable).
    #[arg(long = "policy", short = 'p')]
    pub policies: Vec<PathBuf>,
    /// Extra JSON or YAML data file (repeatable).
    #[arg(long = "data", short = 'd')]
    pub data: Vec<PathBuf>,
    /// Run only the `test_` rules of packages matching this glob (repeatable), as
    /// `conftest verify --namespace` does; default: every package.
    #[arg(long = "namespace", short = 'n')]
    pub namespaces: Vec<String>,
    /// Print every test, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// The date expiry checks use in fixture runs (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub today: Option<String>,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Human)]
    pub format: ListFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Human,
    Json,
}

pub fn parse_date(s: &str) -> Result<String, String> {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.format("%Y-%m-%d").to_string())
        .map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}

/// Everything a run needs besides its paths: the config, the policies (selected), the data.
pub struct Setup {
    pub config: Config,
    pub policies: PolicySet,
    pub user_data: Vec<(String, serde_json::Value)>,
    /// Config and data errors (exit code 2).
    pub errors: Vec<Diagnostic>,
}

/// Reads JSON or YAML data files for `data`.
pub fn read_data_files(
    paths: &[PathBuf],
    errors: &mut Vec<Diagnostic>,
) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    for p in paths {
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
        let source = crate::source::SourceFile::new(display.clone(), text);
        let json = p.extension().is_some_and(|e| e == "json");
        match crate::source::parse_structured(&source, json, crate::source::yaml::Limits::default())
        {
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

pub(crate) fn glob_match(pattern: &str, text: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(false)
}

/// Loads the configuration (found from `scan_root` unless given), the policies it and the
/// command line name, the data files, and applies rule selection and severities.
pub fn setup(args: &PolicyArgs, scan_root: &std::path::Path, read_roots: Vec<PathBuf>) -> Setup {
    let mut errors = Vec::new();
    let config_path = args.config.clone().or_else(|| config::discover(scan_root));
    let config = match &config_path {
        Some(p) => match Config::load(p) {
            Ok(c) => c,
            Err(e) => {
                errors.extend(e);
                Config::default()
            }
        },
        None => Config::default(),
    };
    let mut dirs: Vec<PathBuf> = config.policies.clone();
    dirs.extend(args.policies.iter().cloned());
    let mut roots = read_roots;
    roots.extend(dirs.iter().cloned());
    let rego_v0 = match args.rego_version {
        RegoVersion::Auto => None,
        RegoVersion::V0 => Some(true),
        RegoVersion::V1 => Some(false),
    };
    let mut policies = load_policies_with(&dirs, args.no_builtin, false, rego_v0, roots);
    errors.extend(config.validate_rules(&policies.rules));
    // conftest namespaces: only for policies without a METADATA id.
    let namespaces: Vec<String> = if !args.namespaces.is_empty() {
        args.namespaces.clone()
    } else {
        config
            .namespaces
            .clone()
            .unwrap_or_else(|| vec!["main".to_string()])
    };
    let all = args.all_namespaces;
    policies
        .rules
        .retain(|r| !r.conftest || all || namespaces.iter().any(|n| glob_match(n, &r.package)));
    policies
        .rules
        .retain(|r| config.selected(&r.id, r.category.as_deref()));
    for r in policies.rules.iter_mut() {
        if let Some(sev) = config.rules.get(&r.id).and_then(|rc| rc.severity) {
            r.severity = sev;
        }
    }
    let mut data_paths = config.data.clone();
    data_paths.extend(args.data.iter().cloned());
    let user_data = read_data_files(&data_paths, &mut errors);
    Setup {
        config,
        policies,
        user_data,
        errors,
    }
}

/// Loads the built-in pack (unless `no_builtin`) and the given policy folders.
pub fn load_policies(extra: &[PathBuf], no_builtin: bool, tests: bool) -> PolicySet {
    load_policies_with(extra, no_builtin, tests, None, Vec::new())
}

fn load_policies_with(
    extra: &[PathBuf],
    no_builtin: bool,
    tests: bool,
    rego_v0: Option<bool>,
    read_roots: Vec<PathBuf>,
) -> PolicySet {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for dir in extra {
        match policy::dir_sources(dir, tests) {
            Ok(s) => sources.extend(s),
            Err(d) => errors.push(d),
        }
    }
    if no_builtin {
        // Library packages (tollgate.result, …) stay available to team policies.
        sources.extend(
            policy::builtin_sources(false)
                .into_iter()
                .filter(|s| s.path.starts_with("policies/lib/")),
        );
    } else {
        sources.extend(policy::builtin_sources(tests));
    }
    policy::dedup_sources(&mut sources);
    let mut set = PolicySet::load(
        &sources,
        &LoadOptions {
            tests,
            rego_v0,
            read_roots,
        },
    );
    set.errors.extend(errors);
    set
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => run_check(args),
        Command::Test(args) => crate::testing::run_cli(args),
        Command::Rules(args) => run_rules(args),
        Command::Explain { rule } => run_explain(&rule),
        Command::Init { force, path } => run_init(&path, force),
        Command::Schema => {
            print!("{}", config::SCHEMA);
            0
        }
    }
}

fn run_check(args: CheckArgs) -> i32 {
    let scan_root = args
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    let mut read_roots = args.paths.clone();
    read_roots.push(PathBuf::from("."));
    let setup = setup(&args.policy, &scan_root, read_roots);
    let cfg = &setup.config;
    let mut discover = crate::discover::DiscoverOptions {
        base: if cfg.dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            cfg.dir.clone()
        },
        exclude: Config::globset(&cfg.exclude),
        ..Default::default()
    };
    if let Some(r) = &cfg.reports {
        discover.report_globs = r.clone();
    }
    for (kind, glob) in &cfg.inputs {
        if let Some(set) = Config::globset(std::slice::from_ref(glob)) {
            let probe = std::path::Path::new(glob.trim_start_matches("**/"));
            discover
                .forced
                .push((set, crate::discover::hint_for_kind(*kind, probe)));
        }
    }
    let mut opts = CheckOptions {
        paths: args.paths.clone(),
        discover,
        max_file_size: args
            .max_file_size
            .or(cfg.max_file_size)
            .unwrap_or(10 * 1024 * 1024),
        settings: cfg.settings(),
        config: cfg.clone(),
        no_waivers: args.no_waivers,
        combine: args.combine,
        user_data: setup.user_data.clone(),
        ..CheckOptions::default()
    };
    if let Some(t) = args.today {
        opts.today = t;
    }
    let mut outcome = check::run(&setup.policies, &opts);
    outcome.errors.splice(0..0, setup.errors.iter().cloned());
    let fail_on = args.fail_on.or_else(|| {
        cfg.fail_on
            .as_deref()
            .and_then(|f| <FailOn as ValueEnum>::from_str(f, true).ok())
    });
    let fail_on = fail_on.unwrap_or(FailOn::Error);
    let ctx = report::Context {
        outcome: &outcome,
        rules: &setup.policies.rules,
        color: use_color(args.color),
    };
    let mut specs = args.format.clone();
    if specs.is_empty() {
        specs.push(FormatSpec {
            format: Format::Human,
            path: None,
        });
    }
    let mut code = check::exit_code(&outcome, fail_on.level());
    for spec in &specs {
        if let Err(e) = report::emit(spec, &ctx) {
            let to = spec
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "standard output".into());
            eprintln!("error: cannot write the report to {to}: {e}");
            code = 2;
        }
    }
    code
}

fn run_rules(args: RulesArgs) -> i32 {
    let setup = setup(
        &args.policy,
        std::path::Path::new("."),
        vec![PathBuf::from(".")],
    );
    let policies = &setup.policies;
    for e in policies.errors.iter().chain(&setup.errors) {
        eprintln!("error: {}", crate::report::human::diagnostic_line(e));
    }
    match args.format {
        ListFormat::Json => {
            let rules: Vec<_> = policies
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "id": r.id, "title": r.title, "severity": r.severity.name(),
                        "input": r.inputs.as_ref().map(|k| k.iter().map(|k| k.name()).collect::<Vec<_>>()),
                        "scope": if r.scope == policy::Scope::Project { "project" } else { "document" },
                        "category": r.category, "builtin": r.builtin, "settings": r.settings,
                        "file": r.file,
                    })
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&rules).unwrap_or_default()
            );
        }
        ListFormat::Human => {
            let w = policies
                .rules
                .iter()
                .map(|r| r.id.len())
                .max()
                .unwrap_or(4)
                .max(4);
            let wi = policies
                .rules
                .iter()
                .map(|r| r.input_names().len())
                .max()
                .unwrap_or(5)
                .max(5);
            println!("{:<w$}  {:<wi$}  {:<8}  TITLE", "ID", "INPUT", "SEVERITY");
            for r in &policies.rules {
                println!(
                    "{:<w$}  {:<wi$}  {:<8}  {}",
                    r.id,
                    r.input_names(),
                    r.severity.name(),
                    r.title.as_deref().unwrap_or("")
                );
            }
        }
    }
    if policies.errors.is_empty() && setup.errors.is_empty() {
        0
    } else {
        2
    }
}

fn run_init(path: &std::path::Path, force: bool) -> i32 {
    if path.exists() && !force {
        eprintln!(
            "error: {} exists; use --force to overwrite it",
            path.display()
        );
        return 2;
    }
    match std::fs::write(path, config::STARTER) {
        Ok(()) => {
            println!("wrote {}", path.display());
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", path.display());
            2
        }
    }
}

fn run_explain(id: &str) -> i32 {
    let policies = load_policies(&[], false, false);
    match policies.rule(id) {
        Some(r) => {
            match &r.readme {
                Some(doc) => print!("{doc}"),
                None => {
                    println!("# {}", r.id);
                    if let Some(t) = &r.title {
                        println!("\n{t}");
                    }
                    if let Some(d) = &r.description {
                        println!("\n{d}");
                    }
                }
            }
            0
        }
        None => match crate::policy::INTERNAL_RULE_DOCS
            .iter()
            .find(|(i, _, _)| *i == id)
        {
            Some((id, sev, doc)) => {
                println!("# {id}\n\n**Severity:** {sev}\n\n{doc}");
                0
            }
            None => {
                eprintln!("error: no rule `{id}`; `tollgate rules` lists them");
                2
            }
        },
    }
}
