//! Findings: what a rule reports, located in a file.

use serde::Serialize;
use std::fmt;

use super::catalog::{self, PARSE_ERROR};
pub use super::severity::Severity;
use super::span::{Seg, Span};

/// A further located note attached to a finding (e.g. where an aliased value was defined).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub file: String,
    pub span: Span,
    pub message: String,
}

/// Where a waiver came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// A `# tollgate: ignore[…]` comment in the file.
    Inline,
    /// A `waivers:` entry of `.tollgate.yml`.
    Config,
}

/// A finding's waiver: it stays in the report, marked, and does not fail the run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub kind: SuppressionKind,
    pub reason: Option<String>,
    pub expires: Option<String>,
    /// `file:line` of the waiver.
    pub source: String,
}

/// A located finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    pub span: Span,
    /// The path into the document, rendered (`spec.template.spec.containers[0]`).
    pub path: Option<String>,
    /// Index of the document in its file's stream.
    pub document: usize,
    pub related: Vec<Related>,
    /// The rule gave no path: tollgate located the finding by search (`crate::pinpoint`).
    pub pinpointed: bool,
    /// Set when a waiver covers the finding.
    pub suppressed: Option<Suppression>,
    /// What identifies the finding within its file besides its rule, for its fingerprint: the
    /// document's identity, the path the rule asked for and the canonical JSON of the value
    /// there (see [`super::fingerprint`]). `None`: the message identifies it.
    pub identity: Option<String>,
    /// The finding's fingerprint (set by the check once every finding is known; empty before).
    pub fingerprint: String,
}

impl Finding {
    /// A finding of one of tollgate's own rules (the catalog gives its severity), at `span`.
    pub fn own(rule: &str, file: String, span: Span, message: String) -> Finding {
        Finding {
            rule: rule.to_string(),
            severity: catalog::own(rule).map_or(Severity::Error, |r| r.severity),
            message,
            file,
            span,
            path: None,
            document: 0,
            related: Vec::new(),
            pinpointed: false,
            suppressed: None,
            identity: None,
            fingerprint: String::new(),
        }
    }

    pub fn parse_error(file: String, span: Span, message: String) -> Finding {
        Finding::own(PARSE_ERROR, file, span, message)
    }

    /// The sort key of every output: file, line, column, rule.
    pub fn sort_key(&self) -> (&str, u32, u32, &str, &str) {
        (
            &self.file,
            self.span.start.line,
            self.span.start.column,
            &self.rule,
            &self.message,
        )
    }
}

/// A finding as a rule returned it, before it is located.
#[derive(Clone, Debug, PartialEq)]
pub struct RawFinding {
    pub msg: String,
    pub path: Option<Vec<Seg>>,
    pub severity: Option<Severity>,
    pub related: Vec<(Vec<Seg>, String)>,
    pub text_line: Option<u32>,
    pub file: Option<String>,
    pub document: Option<usize>,
    /// The rule gave no path; tollgate found one by search (`crate::pinpoint`).
    pub pinpointed: bool,
}

impl RawFinding {
    /// A finding with only a message (conftest-style string results).
    pub fn message(msg: String) -> RawFinding {
        RawFinding {
            msg,
            path: None,
            severity: None,
            related: Vec::new(),
            text_line: None,
            file: None,
            document: None,
            pinpointed: false,
        }
    }
}

/// Something that is not a finding about an input's content: a policy or config error, an
/// unreadable file. Any of these makes the exit code 2.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            file: None,
            line: None,
            column: None,
        }
    }
    pub fn at(message: impl Into<String>, file: impl Into<String>, line: u32, column: u32) -> Self {
        Diagnostic {
            message: message.into(),
            file: Some(file.into()),
            line: Some(line),
            column: Some(column),
        }
    }
    pub fn in_file(message: impl Into<String>, file: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            file: Some(file.into()),
            line: None,
            column: None,
        }
    }
}

/// `file:line:col: message` (as much of the location as is known).
impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.file, self.line, self.column) {
            (Some(file), Some(l), Some(c)) => write!(f, "{file}:{l}:{c}: {}", self.message),
            (Some(file), _, _) => write!(f, "{file}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}
