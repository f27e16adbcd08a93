//! Output formats, one module each behind [`Report`]. A new format is a module, a [`Format`]
//! variant and a line in [`Format::report`].

pub mod human;
pub mod json;

use std::io::Write;
use std::path::PathBuf;

use crate::check::Outcome;
use crate::policy::Rule;

/// What every report sees.
pub struct Context<'a> {
    pub outcome: &'a Outcome,
    pub rules: &'a [Rule],
    pub color: bool,
}

/// An output format.
pub trait Report {
    fn render(&self, ctx: &Context<'_>) -> String;
}

/// The documentation link of a rule.
pub fn rule_url(rule: &str) -> String {
    format!("https://github.com/tollgate-dev/tollgate/blob/main/docs/rules.md#{rule}")
}

/// The output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

impl Format {
    pub fn report(self) -> Box<dyn Report> {
        match self {
            Format::Human => Box::new(human::Human),
            Format::Json => Box::new(json::Json),
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
        use clap::ValueEnum;
        let (name, path) = match s.split_once('=') {
            Some((n, p)) if !p.is_empty() => (n, Some(PathBuf::from(p))),
            Some(_) => return Err(format!("`{s}`: a path is needed after `=`")),
            None => (s, None),
        };
        let format = Format::from_str(name, true).map_err(|_| {
            let names: Vec<String> = Format::value_variants()
                .iter()
                .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_string()))
                .collect();
            format!("unknown format `{name}` (one of: {})", names.join(", "))
        })?;
        Ok(FormatSpec { format, path })
    }
}

/// Renders `spec` to its destination (stdout or a file).
pub fn emit(spec: &FormatSpec, ctx: &Context<'_>) -> std::io::Result<()> {
    let text = spec.format.report().render(ctx);
    match &spec.path {
        Some(p) => std::fs::write(p, text),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }
}
