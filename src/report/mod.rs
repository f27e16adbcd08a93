//! Output formats, one module each behind [`Report`]; they read only the model (the outcome and
//! the rules' descriptions) and the helpers in [`common`]. A new format is a module, a
//! [`Format`] variant and a line in [`Format::report`].

pub mod common;
pub mod concise;
pub mod github;
pub mod human;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod sarif;

use std::io::Write;
use std::path::PathBuf;

use crate::model::commands::{self, Escape};
use crate::model::{catalog, Outcome, RuleMeta};

/// What every report sees.
pub struct Context<'a> {
    pub outcome: &'a Outcome,
    /// The rules in effect.
    pub rules: &'a [RuleMeta],
    pub color: bool,
    /// Only the findings: no summary line (human).
    pub quiet: bool,
}

impl Context<'_> {
    /// What is known of rule `id`: a rule in effect, else one of tollgate's own.
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules
            .iter()
            .find(|r| r.id == id)
            .or_else(|| catalog::own_metas().iter().find(|r| r.id == id))
    }
}

/// An output format.
pub trait Report {
    fn render(&self, ctx: &Context<'_>) -> String;
    /// The policy and configuration errors, for standard error, when the format has no error
    /// channel of its own (human, concise): `render` then leaves them out, so that standard
    /// output holds only findings and the summary. Machine formats keep them in their own
    /// channel (JSON `errors`, SARIF notifications, …) and return `None`.
    fn render_errors(&self, _ctx: &Context<'_>) -> Option<String> {
        None
    }
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    /// One line a finding: `file:line:col: severity[rule] message` (editors, grep).
    Concise,
    Json,
    /// GitHub Actions annotations (and the job summary when `GITHUB_STEP_SUMMARY` is set).
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// JUnit XML, for CI test reports.
    Junit,
    /// Markdown, for pull-request comments.
    Markdown,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Human,
        Format::Concise,
        Format::Json,
        Format::Github,
        Format::Sarif,
        Format::Junit,
        Format::Markdown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Concise => "concise",
            Format::Json => "json",
            Format::Github => "github",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Markdown => "markdown",
        }
    }

    pub fn report(self) -> Box<dyn Report> {
        match self {
            Format::Human => Box::new(human::Human),
            Format::Concise => Box::new(concise::Concise),
            Format::Json => Box::new(json::Json),
            Format::Github => Box::new(github::Github),
            Format::Sarif => Box::new(sarif::Sarif),
            Format::Junit => Box::new(junit::Junit),
            Format::Markdown => Box::new(markdown::Markdown),
        }
    }
}

/// `--format FORMAT` or `--format FORMAT=PATH` (write that format to a file).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatSpec {
    pub format: Format,
    pub path: Option<PathBuf>,
}

impl std::str::FromStr for FormatSpec {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, path) = match s.split_once('=') {
            Some((n, p)) if !p.is_empty() => (n, Some(PathBuf::from(p))),
            Some(_) => return Err(format!("`{s}`: a path is needed after `=`")),
            None => (s, None),
        };
        let format = Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!("unknown format `{name}` (one of: {})", names.join(", "))
            })?;
        Ok(FormatSpec { format, path })
    }
}

/// Writes the policy and configuration errors to standard error once for the whole run, in the
/// words of the first format in `specs` that reports them there (human, concise): two such
/// formats never print them twice, and machine formats keep theirs in their own channel.
pub fn emit_errors(specs: &[FormatSpec], ctx: &Context<'_>) -> std::io::Result<()> {
    let Some(text) = specs
        .iter()
        .find_map(|s| s.format.report().render_errors(ctx))
    else {
        return Ok(());
    };
    if text.is_empty() {
        return Ok(());
    }
    let text = commands::for_output(&text, Escape::Plain);
    let mut err = std::io::stderr().lock();
    err.write_all(text.as_bytes())?;
    err.flush()
}

/// Renders `spec` to its destination (stdout or a file, whose folder is created). The `github`
/// format also appends the job summary to `GITHUB_STEP_SUMMARY` when that is set (a failure to
/// do so is a warning).
pub fn emit(spec: &FormatSpec, ctx: &Context<'_>) -> std::io::Result<()> {
    let text = spec.format.report().render(ctx);
    match &spec.path {
        Some(p) => {
            if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(p, text)?
        }
        None => {
            // Inside GitHub Actions, content echoed into the log must not become commands.
            let escape = match spec.format {
                Format::Human | Format::Concise => Escape::Plain,
                Format::Json | Format::Sarif => Escape::Json,
                Format::Markdown => Escape::Markdown,
                Format::Junit => Escape::Xml,
                Format::Github => Escape::GithubCommands,
            };
            let text = commands::for_output(&text, escape);
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?
        }
    }
    if spec.format == Format::Github {
        if let Err(e) = github::append_step_summary(ctx) {
            eprintln!("warning: cannot write the job summary to GITHUB_STEP_SUMMARY: {e}");
        }
    }
    Ok(())
}
