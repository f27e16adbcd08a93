//! Command-line interface.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::PathBuf;

use crate::check::{self, CheckOptions};
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
    /// Lowest severity that fails the run (exit code 1).
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Files larger than this many bytes are reported, not parsed.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    pub max_file_size: u64,
    /// The date expiry checks use (YYYY-MM-DD); default: today, UTC.
    #[arg(long, value_parser = parse_date)]
    pub today: Option<String>,
    /// Extra policy folder or file (repeatable).
    #[arg(long = "policy", short = 'p')]
    pub policies: Vec<PathBuf>,
    /// Run only the given policies, not the built-in pack.
    #[arg(long)]
    pub no_builtin: bool,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Policy folders to test (default: the built-in pack).
    pub dirs: Vec<PathBuf>,
    /// Print every test, not only failures.
    #[arg(long, short = 'v')]
    pub verbose: bool,
    /// The date expiry checks use in fixture runs (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    pub today: Option<String>,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Extra policy folder or file (repeatable).
    #[arg(long = "policy", short = 'p')]
    pub policies: Vec<PathBuf>,
    #[arg(long)]
    pub no_builtin: bool,
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

/// Loads the built-in pack (unless `no_builtin`) and the given policy folders.
pub fn load_policies(extra: &[PathBuf], no_builtin: bool, tests: bool) -> PolicySet {
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
            rego_v0: None,
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
    }
}

fn run_check(args: CheckArgs) -> i32 {
    let policies = load_policies(&args.policies, args.no_builtin, false);
    let mut opts = CheckOptions {
        paths: args.paths.clone(),
        max_file_size: args.max_file_size,
        ..CheckOptions::default()
    };
    if let Some(t) = args.today {
        opts.today = t;
    }
    let outcome = check::run(&policies, &opts);
    let ctx = report::Context {
        outcome: &outcome,
        rules: &policies.rules,
        color: use_color(args.color),
    };
    let mut specs = args.format.clone();
    if specs.is_empty() {
        specs.push(FormatSpec {
            format: Format::Human,
            path: None,
        });
    }
    let mut code = check::exit_code(&outcome, args.fail_on.level());
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
    let policies = load_policies(&args.policies, args.no_builtin, false);
    for e in &policies.errors {
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
    if policies.errors.is_empty() {
        0
    } else {
        2
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
        None => {
            eprintln!("error: no rule `{id}`; `tollgate rules` lists them");
            2
        }
    }
}
