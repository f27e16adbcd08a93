//! Command-line interface: clap definitions, and each command's printing. The work is done
//! below, in `app` (setup), `check`, `testing` and `report`; nothing below depends on this
//! module.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::app::{self, PolicyOptions};
use crate::check::{self, CheckOptions};
use crate::config::{self, Config};
use crate::model::{catalog, Severity};
use crate::report::{self, Format, FormatSpec};
use crate::testing::{self, Status, TestOptions};

/// Writes to standard output; a closed pipe (`tollgate rules | head -1`) ends the run quietly
/// with exit code 0 instead of a panic.
fn write_out(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
    }
}

macro_rules! out {
    ($($t:tt)*) => { write_out(format_args!($($t)*)) };
}

macro_rules! outln {
    () => { write_out(format_args!("\n")) };
    ($($t:tt)*) => { write_out(format_args!("{}\n", format_args!($($t)*))) };
}

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
    /// The configuration file (default: the nearest `.tollgate.yml` from the working directory
    /// up to the git root; outside git, in the working directory only).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Time budget of one rule on one document: `5s`, `500ms`, or seconds (`2.5`) [default: 5s].
    /// A rule that runs longer is a policy error for that document; the others still run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub policy_timeout: Option<std::time::Duration>,
    /// Use no configuration file (not even the `.tollgate.yml` found from the working
    /// directory).
    #[arg(long, conflicts_with = "config")]
    pub no_config: bool,
}

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
    /// Exit 0 when nothing is found to check (by default "nothing to check" is an error,
    /// exit code 2: a gate that checks nothing must not pass silently).
    #[arg(long)]
    pub allow_empty: bool,
    /// The input kind of standard input (`-`), e.g. `kubernetes`, `workflow`, `compose`,
    /// `trivy`, `coverage`; by default its content decides.
    #[arg(long, value_name = "KIND")]
    pub stdin_kind: Option<String>,
    #[command(flatten)]
    pub policy: PolicyArgs,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Policy folders to test, as they are on disk (default: the built-in pack embedded in
    /// this binary at build time; to test edits to `policies/` without rebuilding, name it:
    /// `tollgate test policies/`).
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

impl PolicyArgs {
    /// The options `app` takes.
    pub fn options(&self) -> PolicyOptions {
        PolicyOptions {
            policies: self.policies.clone(),
            data: self.data.clone(),
            no_builtin: self.no_builtin,
            namespaces: self.namespaces.clone(),
            all_namespaces: self.all_namespaces,
            rego_v0: match self.rego_version {
                RegoVersion::Auto => None,
                RegoVersion::V0 => Some(true),
                RegoVersion::V1 => Some(false),
            },
            config: self.config.clone(),
            policy_timeout: self.policy_timeout,
            no_config: self.no_config,
        }
    }
}

/// `5s`, `500ms`, `2m` or a number of seconds (`2.5`), more than zero.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a duration such as 5s, 500ms or 2.5: `{s}`"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("unknown unit `{unit}` (ms, s or m)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs < 86_400.0) {
        return Err(format!("`{s}` must be more than zero and less than a day"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

/// Loads the built-in pack (unless `no_builtin`) and the given policy folders.
pub fn load_policies(extra: &[PathBuf], no_builtin: bool, tests: bool) -> crate::policy::PolicySet {
    app::load_policies(extra, no_builtin, tests, None, Vec::new())
}

pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => run_check(args),
        Command::Test(args) => run_test(args),
        Command::Rules(args) => run_rules(args),
        Command::Explain { rule } => run_explain(&rule),
        Command::Init { force, path } => run_init(&path, force),
        Command::Schema => {
            out!("{}", config::schema_text());
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
    // What `parse_config_file` may read: the named paths, and the repository when only files
    // are named (it is loaded for project-scope rules); not the working directory as such.
    let mut read_roots = args.paths.clone();
    if !args.paths.is_empty() && args.paths.iter().all(|p| p.is_file()) {
        read_roots.push(crate::confined::repository_root(std::path::Path::new(".")));
    }
    let setup = app::setup(&args.policy.options(), &scan_root, read_roots);
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
            discover.forced.push((set, *kind));
        }
    }
    let mut opts = CheckOptions {
        paths: args.paths.clone(),
        discover,
        max_file_size: args
            .max_file_size
            .or(cfg.max_file_size)
            .unwrap_or(check::DEFAULT_MAX_FILE_SIZE),
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
    if let Some(k) = &args.stdin_kind {
        match crate::source::kind_named(k) {
            Some(spec) => opts.discover.stdin_kind = Some(spec.kind),
            None => {
                eprintln!("error: unknown input kind `{k}` for --stdin-kind (`tollgate rules` lists the kinds)");
                return 2;
            }
        }
    }
    let mut outcome = check::run(&setup.policies, &opts);
    if outcome.candidates == 0 && !args.allow_empty {
        let named: Vec<String> = args
            .paths
            .iter()
            .map(|p| crate::discover::display_path(p))
            .collect();
        outcome.errors.push(crate::model::Diagnostic::new(format!(
            "nothing to check: no file tollgate reads was found in {} (--allow-empty accepts that)",
            named.join(", ")
        )));
    }
    outcome.errors.splice(0..0, setup.errors.iter().cloned());
    let fail_on = args.fail_on.or_else(|| {
        cfg.fail_on
            .as_deref()
            .and_then(|f| <FailOn as ValueEnum>::from_str(f, true).ok())
    });
    let fail_on = fail_on.unwrap_or(FailOn::Error);
    let metas = setup.policies.metas();
    let ctx = report::Context {
        outcome: &outcome,
        rules: &metas,
        color: use_color(args.color),
    };
    let mut specs = args.format.clone();
    if specs.is_empty() {
        specs.push(FormatSpec {
            format: Format::Human,
            path: None,
        });
    }
    let mut code = outcome.exit_code(fail_on.level());
    for spec in &specs {
        if let Err(e) = report::emit(spec, &ctx) {
            // A reader that stopped reading (`check | head`) is not a failure of the run.
            if spec.path.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe {
                continue;
            }
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
    let setup = app::setup(
        &args.policy.options(),
        std::path::Path::new("."),
        vec![PathBuf::from(".")],
    );
    let policies = &setup.policies;
    for e in policies.errors.iter().chain(&setup.errors) {
        eprintln!("error: {e}");
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
                        "scope": r.scope.name(),
                        "category": r.category, "builtin": r.builtin, "settings": r.settings,
                        "file": r.file,
                    })
                })
                .collect();
            outln!(
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
            outln!("{:<w$}  {:<wi$}  {:<8}  TITLE", "ID", "INPUT", "SEVERITY");
            for r in &policies.rules {
                outln!(
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
            outln!("wrote {}", path.display());
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
                Some(doc) => out!("{doc}"),
                None => {
                    outln!("# {}", r.id);
                    if let Some(t) = &r.title {
                        outln!("\n{t}");
                    }
                    if let Some(d) = &r.description {
                        outln!("\n{d}");
                    }
                }
            }
            0
        }
        None => match catalog::own(id) {
            Some(own) => {
                out!("{}", own.meta().readme.unwrap_or_default());
                0
            }
            None => {
                eprintln!("error: no rule `{id}`; `tollgate rules` lists them");
                2
            }
        },
    }
}

fn run_test(args: TestArgs) -> i32 {
    let mut errors = Vec::new();
    let data = app::read_data_files(&args.data, None, &mut errors);
    let report = testing::run(&TestOptions {
        dirs: args.dirs.clone(),
        extra: args.policies.clone(),
        data,
        namespaces: args.namespaces.clone(),
        today: args.today.clone().unwrap_or_else(crate::model::today),
    });
    errors.extend(report.errors);
    for e in &errors {
        outln!("error: {e}");
    }
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    for r in &report.results {
        match &r.status {
            Status::Pass => {
                pass += 1;
                if args.verbose {
                    outln!("PASS {} ({})", r.name, r.location);
                }
            }
            Status::Skip => {
                skip += 1;
                if args.verbose {
                    outln!("SKIP {} ({})", r.name, r.location);
                }
            }
            Status::Fail(m) | Status::Error(m) => {
                fail += 1;
                let word = if matches!(r.status, Status::Fail(_)) {
                    "FAIL"
                } else {
                    "ERROR"
                };
                outln!("{word} {} ({})", r.name, r.location);
                for l in m.lines() {
                    outln!("    {l}");
                }
            }
        }
    }
    outln!("tollgate: {pass} passed, {fail} failed, {skip} skipped");
    if !errors.is_empty() {
        2
    } else if fail > 0 {
        1
    } else {
        0
    }
}
