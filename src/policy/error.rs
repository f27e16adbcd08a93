//! The policy layer's errors. Each becomes a located [`Diagnostic`] at the edge (exit code 2).

use regex::Regex;
use std::sync::LazyLock;

use crate::model::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error("cannot read policy folder: {source}")]
    ReadDir {
        file: String,
        source: std::io::Error,
    },
    #[error("policy folder not found")]
    NotFound { file: String },
    #[error("no Rego policy (`.rego` file) in this folder")]
    Empty { file: String },
    /// A policy the config names that is not a regular file inside the repository.
    #[error("cannot read policy: {source}")]
    Refused {
        file: String,
        source: crate::confined::ConfinedError,
    },
    /// A regorus error (syntax, analysis, evaluation), located where regorus says.
    #[error("{message}")]
    Engine {
        file: String,
        message: String,
        at: Option<(String, u32, u32)>,
    },
    /// An invalid METADATA block or result, at a line of a policy file.
    #[error("{message}")]
    At {
        file: String,
        line: u32,
        message: String,
    },
}

static LOCATION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"([^\s:]+\.rego):(\d+):(\d+)").unwrap());

/// Extracts `file:line:col` from a regorus error message.
pub fn error_location(message: &str) -> Option<(String, u32, u32)> {
    let c = LOCATION_RE.captures(message)?;
    Some((c[1].to_string(), c[2].parse().ok()?, c[3].parse().ok()?))
}

/// The line that says what is wrong in a regorus message (they are multi-line, with a source
/// excerpt): the `error:` line if there is one, else the first non-empty line.
fn first_line(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if let Some(e) = lines.iter().find(|l| l.contains("error:")) {
        return e.to_string();
    }
    lines.first().map(|l| l.to_string()).unwrap_or_default()
}

impl PolicyError {
    /// A regorus error about `file`.
    pub fn engine(file: &str, err: &anyhow::Error) -> PolicyError {
        let full = format!("{err:#}");
        PolicyError::Engine {
            file: file.to_string(),
            message: first_line(&full),
            at: error_location(&full),
        }
    }

    /// The same error with a prefix on its message.
    pub fn prefixed(self, prefix: &str) -> PolicyError {
        match self {
            PolicyError::Engine { file, message, at } => PolicyError::Engine {
                file,
                message: format!("{prefix}{message}"),
                at,
            },
            PolicyError::At {
                file,
                line,
                message,
            } => PolicyError::At {
                file,
                line,
                message: format!("{prefix}{message}"),
            },
            other => other,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        match self {
            PolicyError::Read { file, .. }
            | PolicyError::ReadDir { file, .. }
            | PolicyError::Refused { file, .. }
            | PolicyError::NotFound { file }
            | PolicyError::Empty { file } => Diagnostic::in_file(self.to_string(), file),
            PolicyError::Engine { file, message, at } => match at {
                Some((f, line, col)) => Diagnostic::at(message.clone(), f.clone(), *line, *col),
                None => Diagnostic::in_file(message.clone(), file.clone()),
            },
            PolicyError::At {
                file,
                line,
                message,
            } => Diagnostic::at(message.clone(), file.clone(), *line, 1),
        }
    }
}

impl From<PolicyError> for Diagnostic {
    fn from(e: PolicyError) -> Diagnostic {
        e.to_diagnostic()
    }
}
