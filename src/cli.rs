//! Command-line interface: clap definitions, and each command's printing. The work is done
//! below, in `app` (setup), `check`, `testing` and `report`; nothing below depends on this
//! module.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use crate::app::{self, PolicyOptions};
use crate::check::{self, CheckOptions};
use crate::config::{self, Config, FailOn};
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
        /// The rule id, e.g. k8s-zero-downtime-rollout (built-in, team or tollgate's own).
        rule: String,
        #[command(flatten)]
        policy: PolicyArgs,
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
    /// Print a shell completion script (e.g. `tollgate completions bash > /etc/bash_completion.d/tollgate`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `tollgate man > tollgate.1`.
    Man,
    /// Write a baseline (`.tollgate-baseline.json`) of the current findings, for
    /// `check --baseline`. Exits 0 whatever it finds.
    Baseline(BaselineArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RegoVersion {
    /// Detect per file (`import rego.v1`, `if`/`contains` mean v1).
    Auto,
    V0,
    V1,
}

impl RegoVersion {
    /// As `LoadOptions::rego_v0` takes it: `None` detects per file.
    pub fn rego_v0(self) -> Option<bool> {
        match self {
            RegoVersion::Auto => None,
            RegoVersion::V0 => Some(true),
            RegoVersion::V1 => Some(false),
        }
    }
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
    /// Run only these rules: ids or categories, comma-separated or repeated; replaces the
    /// configuration's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULE|CATEGORY")]
    pub select: Vec<String>,
    /// Do not run these rules: ids or categories, comma-separated or repeated; replaces the
    /// configuration's `ignore`. (Unlike conftest's `--ignore`, which is a file regex.)
    #[arg(long, value_delimiter = ',', value_name = "RULE|CATEGORY")]
    pub ignore: Vec<String>,
    /// Time budget of one rule on one document: `5s`, `500ms`, or seconds (`2.5`) [default: 5s].
    /// A rule that runs longer is a policy error for that document; the others still run.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub policy_timeout: Option<std::time::Duration>,
    /// Memory evaluation may allocate beyond what the run holds when it starts: `512MiB`,
    /// `2GiB`, or bytes [default: 2GiB]. A rule that goes over is a policy error for that
    /// document; the other documents are still checked.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub policy_memory: Option<u64>,
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
pub enum MinSeverity {
    Error,
    Warning,
    Note,
}

impl MinSeverity {
    pub fn level(self) -> Severity {
        match self {
            MinSeverity::Error => Severity::Error,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Note => Severity::Note,
        }
    }
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format, repeatable; `FORMAT=PATH` writes it to a file (default: human). FORMAT is
    /// one of: human, concise (`file:line:col: severity[rule] message`), json, github, sarif,
    /// junit, markdown. At most one format goes to standard output.
    #[arg(long, short = 'f', value_name = "FORMAT[=PATH]")]
    pub format: Vec<FormatSpec>,
    /// Hide findings below this severity from the reports and the exit code.
    #[arg(long, value_enum)]
    pub min_severity: Option<MinSeverity>,
    /// Print only the findings (human: no summary line).
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,
    /// Also say, on standard error, which configuration is used and which files are checked.
    #[arg(long, short = 'v')]
    pub verbose: bool,
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
    /// Do not locate findings whose rule gives no path (conftest-style string results) by
    /// re-evaluating the rule on the document with parts changed or removed: show them at the
    /// document's start.
    #[arg(long)]
    pub no_locate: bool,
    #[command(flatten)]
    pub policy: PolicyArgs,
    /// Leave out the findings a baseline file lists (`tollgate baseline` writes one) and
    /// report its entries that match nothing any more.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Compare with the merge base of REF and HEAD (committed and uncommitted changes); `auto`:
    /// the pull request's base branch in GitHub Actions, else the branch's upstream. Alone,
    /// it means --new-only.
    #[arg(long, value_name = "REF")]
    pub diff_base: Option<String>,
    /// Report only findings that do not exist at the diff base (default base: auto).
    #[arg(long, conflicts_with = "changed_files")]
    pub new_only: bool,
    /// Report the findings in files the diff touches, and new project-scope findings anywhere
    /// (default base: auto).
    #[arg(long)]
    pub changed_files: bool,
    /// Read `.tollgate.yml`, the policy folders, data files and the baseline as they are at
    /// REF (e.g. the pull request's base branch; `auto`: the base `--diff-base auto` finds),
    /// from the git object database: changes the working tree makes to them are reported, and
    /// take effect after merge.
    #[arg(long, value_name = "REF")]
    pub policies_from: Option<String>,
    /// Inline waivers the diff adds do not apply: their findings count (they are still listed).
    #[arg(long)]
    pub no_new_waivers: bool,
    /// Create a check run `tollgate` on the head commit with the conclusion, the Markdown
    /// summary and every finding as an annotation (GitHub API: GITHUB_TOKEN with
    /// `checks: write`, GITHUB_REPOSITORY, GITHUB_SHA or the pull request event). Its failures
    /// are reported on standard error and never change the exit code.
    #[arg(long)]
    pub github_check: bool,
    /// Create or update one pull-request comment with the Markdown report, found again by a
    /// hidden marker; a clean run updates it to say so (GITHUB_TOKEN with
    /// `pull-requests: write`, GITHUB_EVENT_PATH of a pull request event). Never changes the
    /// exit code.
    #[arg(long)]
    pub github_comment: bool,
    /// Exit 0 when nothing is found to check (by default "nothing to check" is an error,
    /// exit code 2: a gate that checks nothing must not pass silently).
    #[arg(long)]
    pub allow_empty: bool,
    /// The input kind of standard input (`-`), e.g. `kubernetes`, `workflow`, `compose`,
    /// `trivy`, `coverage`; by default its content decides.
    #[arg(long, value_name = "KIND")]
    pub stdin_kind: Option<String>,
    /// Print the wall time of each phase, the files read and the counts on standard error
    /// (with -v, also which files were read).
    #[arg(long)]
    pub timings: bool,
    /// Append `findings=N` and `errors=N` (the JSON summary's counts: findings no waiver
    /// covers, policy and configuration errors) to FILE, in GitHub's step output format
    /// (`--github-output "$GITHUB_OUTPUT"`), whatever the formats.
    #[arg(long, value_name = "FILE")]
    pub github_output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BaselineArgs {
    /// Files or folders to check.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// The baseline file to write.
    #[arg(long, short = 'o', default_value = crate::baseline::DEFAULT_FILE)]
    pub output: PathBuf,
    /// Only drop the entries of the existing baseline that match nothing any more (paid-off
    /// debt); add none.
    #[arg(long)]
    pub prune: bool,
    /// Files larger than this many bytes are reported, not parsed [default: 10 MiB].
    #[arg(long)]
    pub max_file_size: Option<u64>,
    /// The date expiry checks use (YYYY-MM-DD); default: today, UTC.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<String>,
    /// conftest's --combine (as for `check`).
    #[arg(long)]
    pub combine: bool,
    /// Read `.tollgate.yml`, the policy folders and data files as they are at REF (as `check
    /// --policies-from` does), so the baseline holds what the base's policies find.
    #[arg(long, value_name = "REF")]
    pub policies_from: Option<String>,
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
    /// Rego syntax of the tested policies, as for `check`.
    #[arg(long, value_enum, default_value_t = RegoVersion::Auto)]
    pub rego_version: RegoVersion,
    /// Report the line coverage of each policy by the unit tests, as `opa test --coverage`.
    #[arg(long)]
    pub coverage: bool,
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

/// Whether the human report is coloured: as asked, else as the environment says (`NO_COLOR`,
/// `CLICOLOR`, `CLICOLOR_FORCE`, `FORCE_COLOR`, `TERM=dumb`, a terminal or not), through
/// `anstream`, the crate clap itself uses.
fn use_color(c: Color) -> bool {
    match c {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
            if var("NO_COLOR").is_some() {
                false
            } else if var("FORCE_COLOR").is_some_and(|v| v != "0") {
                true
            } else {
                anstream::AutoStream::choice(&std::io::stdout()) != anstream::ColorChoice::Never
            }
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
            select: (!self.select.is_empty()).then(|| self.select.clone()),
            ignore: (!self.ignore.is_empty()).then(|| self.ignore.clone()),
            policy_timeout: self.policy_timeout,
            policy_memory: self.policy_memory,
            no_config: self.no_config,
        }
    }
}

/// `5s`, `500ms`, `2m` or a number of seconds (`2.5`), more than zero.
/// A size: bytes, or with a unit (`KiB`, `MiB`, `GiB`; `KB`, `MB`, `GB` are read as the same).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => t.split_at(i),
        None => (t, ""),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("expected a size such as 512MiB, 2GiB or bytes: `{s}`"))?;
    let scale: f64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown unit `{unit}` (KiB, MiB or GiB)")),
    };
    let bytes = n * scale;
    if !(bytes.is_finite() && bytes >= 1024.0 * 1024.0 && bytes < 1024f64.powi(5)) {
        return Err(format!("`{s}` must be at least 1MiB"));
    }
    Ok(bytes as u64)
}

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
        Command::Explain { rule, policy } => run_explain(&rule, &policy),
        Command::Init { force, path } => run_init(&path, force),
        Command::Schema => {
            out!("{}", config::schema_text());
            0
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut cmd, "tollgate", &mut out);
            write_stdout(&out)
        }
        Command::Man => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut out) {
                Ok(()) => write_stdout(&out),
                Err(e) => {
                    eprintln!("error: cannot render the man page: {e}");
                    2
                }
            }
        }
        Command::Baseline(args) => run_baseline(args),
    }
}

/// Writes generated text to standard output; a closed pipe (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> i32 {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => 0,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: cannot write to standard output: {e}");
            2
        }
    }
}

/// A check's outcome with the setup it ran with.
struct CheckRun {
    outcome: crate::model::Outcome,
    setup: app::Setup,
}

/// Sets up and runs a check: the outcome (setup errors first), the setup and the `fail_on`
/// the arguments or the config ask for.
fn check_outcome(args: &CheckArgs) -> (CheckRun, Option<FailOn>) {
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
    let mut early_errors = Vec::new();
    let mut from_rev = None;
    crate::stats::reset();
    let started = std::time::Instant::now();
    let setup = match &args.policies_from {
        None => app::setup(&args.policy.options(), &scan_root, read_roots),
        Some(rev) => match app::setup_from_rev(
            &args.policy.options(),
            &scan_root,
            read_roots.clone(),
            rev,
            args.baseline.as_deref(),
        ) {
            Ok((setup, from)) => {
                from_rev = Some(from);
                setup
            }
            Err(e) => {
                early_errors.push(e);
                app::setup(&args.policy.options(), &scan_root, read_roots)
            }
        },
    };
    let setup_time = started.elapsed();
    let cfg = &setup.config;
    let base = if cfg.dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cfg.dir.clone()
    };
    // A team policy folder's own fixtures are test inputs, not repository content.
    let mut exclude = cfg.exclude.clone();
    for dir in cfg.policies.iter().chain(&args.policy.policies) {
        let (Ok(abs), Ok(abs_base)) = (std::path::absolute(dir), std::path::absolute(&base)) else {
            continue;
        };
        if let Ok(rel) = abs.strip_prefix(&abs_base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            let prefix = if rel.is_empty() {
                String::new()
            } else {
                format!("{rel}/")
            };
            exclude.push(globset::escape(&prefix) + "**/fixtures/**");
        }
    }
    let mut discover = crate::discover::DiscoverOptions {
        base,
        exclude: Config::globset(&exclude),
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
        pinpoint: (!args.no_locate).then(Default::default),
        ..CheckOptions::default()
    };
    if let Some(t) = &args.today {
        opts.today = t.clone();
    }
    let mut setup_errors = early_errors;
    setup_errors.extend(setup.errors.iter().cloned());
    opts.no_new_waivers = args.no_new_waivers;
    if args.new_only || args.changed_files || args.diff_base.is_some() {
        let mode = if args.changed_files {
            check::DiffMode::ChangedFiles
        } else {
            check::DiffMode::NewOnly
        };
        let spec = args.diff_base.as_deref().unwrap_or("auto");
        match app::diff_scope(&scan_root, spec, mode, &crate::git::process_env) {
            Ok(scope) => opts.diff = Some(scope),
            Err(e) => setup_errors.push(e),
        }
    }
    if let Some(from) = &mut from_rev {
        opts.baseline = from.baseline.take();
    } else if let Some(path) = &args.baseline {
        match crate::baseline::read(path) {
            Ok(entries) => {
                opts.baseline = Some((crate::discover::display_path(path), entries));
            }
            Err(e) => setup_errors.push(e),
        }
    }
    if args.verbose {
        match &cfg.source {
            Some(src) => eprintln!("tollgate: configuration {}", src.path),
            None => eprintln!("tollgate: no configuration file"),
        }
    }
    if let Some(k) = &args.stdin_kind {
        match crate::source::kind_named(k) {
            Some(spec) => opts.discover.stdin_kind = Some(spec.kind),
            None => setup_errors.push(crate::model::Diagnostic::new(format!(
                "unknown input kind `{k}` for --stdin-kind (`tollgate rules` lists the kinds)"
            ))),
        }
    }
    let mut outcome = check::run(&setup.policies, &opts);
    outcome.timings.insert(0, ("setup", setup_time));
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
    outcome.errors.splice(0..0, setup_errors);
    if let Some(from) = from_rev {
        outcome.policy_changes = from.policy_changes;
    }
    if let Some(min) = args.min_severity {
        outcome.findings.retain(|f| f.severity >= min.level());
    }
    if args.verbose {
        for (file, kinds) in &outcome.file_kinds {
            let kinds: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
            eprintln!("tollgate: checked {file} ({})", kinds.join(", "));
        }
    }
    let fail_on = args.fail_on.or(cfg.fail_on);
    (CheckRun { outcome, setup }, fail_on)
}

fn run_check(args: CheckArgs) -> i32 {
    let mut specs = args.format.clone();
    if specs.is_empty() {
        specs.push(FormatSpec {
            format: Format::Human,
            path: None,
        });
    }
    if specs.iter().filter(|s| s.path.is_none()).count() > 1 {
        eprintln!(
            "error: only one format can go to standard output; write the others to files with FORMAT=PATH (e.g. -f sarif=tollgate.sarif)"
        );
        return 2;
    }
    let (run, fail_on) = check_outcome(&args);
    let (outcome, setup) = (run.outcome, run.setup);
    let fail_on = fail_on.unwrap_or(FailOn::Error);
    let metas = setup.policies.metas();
    let ctx = report::Context {
        outcome: &outcome,
        rules: &metas,
        color: use_color(args.color),
        quiet: args.quiet,
    };
    let mut code = outcome.exit_code(fail_on.level());
    // Errors first: standard output then ends with the findings and the summary.
    if let Err(e) = report::emit_errors(&specs, &ctx) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            code = 2;
        }
    }
    let reporting = std::time::Instant::now();
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
    if let Some(path) = &args.github_output {
        if let Err(e) = report::github::append_step_outputs(path, &ctx) {
            eprintln!(
                "error: cannot write the step outputs to {}: {e}",
                path.display()
            );
            code = 2;
        }
    }
    if args.github_check || args.github_comment {
        // After the exit code is decided: nothing the API does changes it.
        let env = crate::github::Env::from_vars(&crate::git::process_env);
        let mut publication = crate::github::publication(&ctx, &env, code);
        publication.check_run = args.github_check;
        publication.comment = args.github_comment;
        crate::github::publish(&publication, &env, &mut |n| match n {
            crate::github::Notice::Done(line) if !args.quiet => eprintln!("tollgate: {line}"),
            crate::github::Notice::Done(_) => {}
            crate::github::Notice::Problem(line) => eprintln!("warning: {line}"),
        });
    }
    if args.timings {
        let mut timings = outcome.timings.clone();
        timings.push(("report", reporting.elapsed()));
        let text = timings_text(&outcome, &timings, args.verbose);
        eprint!(
            "{}",
            crate::model::commands::for_output(&text, crate::model::commands::Escape::Plain)
        );
    }
    // The process exits next (`main`): freeing the engine, every document and every finding
    // one by one cost 7% of a one-file run (issue 9); the system reclaims them at once.
    // Nothing here has a `Drop` with an effect outside the process.
    std::mem::forget((outcome, setup, metas));
    code
}

/// What `--timings` prints: the phases' wall times, the counts, the files read.
fn timings_text(
    outcome: &crate::model::Outcome,
    timings: &[(&'static str, std::time::Duration)],
    verbose: bool,
) -> String {
    use std::fmt::Write;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let total: std::time::Duration = timings.iter().map(|(_, d)| *d).sum();
    let phases: Vec<String> = timings
        .iter()
        .map(|(p, d)| format!("{p} {:.1} ms", ms(*d)))
        .collect();
    let reads = crate::stats::files_read();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "tollgate: timings: {}; total {:.1} ms",
        phases.join(", "),
        ms(total)
    );
    let _ = writeln!(
        out,
        "tollgate: files read: {}; {} file{} and {} document{} checked, {} finding{}",
        reads.len(),
        outcome.files,
        if outcome.files == 1 { "" } else { "s" },
        outcome.documents,
        if outcome.documents == 1 { "" } else { "s" },
        outcome.findings.len(),
        if outcome.findings.len() == 1 { "" } else { "s" },
    );
    if verbose {
        for p in reads {
            let _ = writeln!(out, "tollgate: read {}", crate::discover::display_path(&p));
        }
    }
    out
}

fn run_baseline(args: BaselineArgs) -> i32 {
    let check_args = CheckArgs {
        paths: args.paths.clone(),
        format: Vec::new(),
        color: Color::Never,
        fail_on: None,
        max_file_size: args.max_file_size,
        today: args.today.clone(),
        no_waivers: false,
        combine: args.combine,
        policy: args.policy.clone(),
        baseline: None,
        diff_base: None,
        new_only: false,
        changed_files: false,
        policies_from: args.policies_from.clone(),
        no_new_waivers: false,
        github_check: false,
        github_comment: false,
        min_severity: None,
        quiet: true,
        verbose: false,
        no_locate: false,
        allow_empty: true,
        stdin_kind: None,
        timings: false,
        github_output: None,
    };
    let old = if args.prune {
        match crate::baseline::read(&args.output) {
            Ok(entries) => Some(entries),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    } else {
        None
    };
    let (run, _) = check_outcome(&check_args);
    let outcome = run.outcome;
    if !outcome.errors.is_empty() {
        for e in &outcome.errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "error: {} not written: fix the errors above first",
            args.output.display()
        );
        return 2;
    }
    if !outcome.policy_changes.is_empty() {
        eprintln!(
            "note: the working tree's changes to {} are not applied: the baseline holds what the policies at {} find",
            outcome.policy_changes.join(", "),
            args.policies_from.as_deref().unwrap_or("the revision")
        );
    }
    let entries = match &old {
        Some(old) => crate::baseline::prune(old, &outcome.findings),
        None => crate::baseline::entries(&outcome.findings),
    };
    if let Err(e) = std::fs::write(&args.output, crate::baseline::render(&entries)) {
        eprintln!(
            "error: cannot write {}: {}",
            args.output.display(),
            e.kind()
        );
        return 2;
    }
    match &old {
        Some(old) => println!(
            "tollgate: pruned {}: {} kept, {} paid off",
            args.output.display(),
            report::common::plural(entries.len(), "entry", "entries"),
            old.len() - entries.len()
        ),
        None => println!(
            "tollgate: wrote {} with {}",
            args.output.display(),
            report::common::plural(entries.len(), "entry", "entries")
        ),
    }
    0
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

fn run_explain(id: &str, args: &PolicyArgs) -> i32 {
    let (policies, errors) = app::all_rules(&args.options(), std::path::Path::new("."));
    for e in policies.errors.iter().chain(&errors) {
        eprintln!("error: {e}");
    }
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
                    println!(
                        "\n**Severity:** {} · **Input:** {} · defined in {}:{}",
                        r.severity,
                        r.input_names(),
                        r.file,
                        r.line
                    );
                    if r.settings.as_object().is_some_and(|o| !o.is_empty()) {
                        println!("\n**Settings (defaults):** `{}`", r.settings);
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

/// `1-3, 7`: line numbers as ranges.
fn line_ranges(lines: &std::collections::BTreeSet<u32>) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut iter = lines.iter().copied().peekable();
    while let Some(start) = iter.next() {
        let mut end = start;
        while iter.peek() == Some(&(end + 1)) {
            end += 1;
            iter.next();
        }
        out.push(if start == end {
            start.to_string()
        } else {
            format!("{start}-{end}")
        });
    }
    out.join(", ")
}

/// Per-policy line coverage, then the total (the share of evaluable lines a test evaluated).
fn print_coverage(coverage: &testing::Coverage) {
    let pct = |c: usize, n: usize| {
        if c + n == 0 {
            100.0
        } else {
            100.0 * c as f64 / (c + n) as f64
        }
    };
    let (mut all_c, mut all_n) = (0, 0);
    for (file, (covered, not_covered)) in coverage {
        let (c, n) = (covered.len(), not_covered.len());
        all_c += c;
        all_n += n;
        print!("coverage {file}: {:.1}% ({c}/{} lines)", pct(c, n), c + n);
        if n > 0 {
            print!("; not covered: {}", line_ranges(not_covered));
        }
        println!();
    }
    println!(
        "coverage: {:.1}% ({all_c}/{} lines)",
        pct(all_c, all_n),
        all_c + all_n
    );
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
        rego_v0: args.rego_version.rego_v0(),
        coverage: args.coverage,
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
    if args.coverage {
        print_coverage(&report.coverage);
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
