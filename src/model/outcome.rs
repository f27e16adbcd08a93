//! The result of a run, as every report reads it.

use std::collections::{BTreeMap, BTreeSet};

use super::finding::{Diagnostic, Finding, Severity};
use super::kind::Kind;
use super::source_file::Sources;

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    pub files: usize,
    pub documents: usize,
    /// The files discovery found to read, before any filter: 0 is "nothing to check".
    pub candidates: usize,
    /// The configuration file in use (as displayed), if any.
    pub config_file: Option<String>,
    /// The text of every file with a document or finding, for snippets.
    pub sources: Sources,
    /// The kinds of the documents each checked file holds (by display path).
    pub file_kinds: BTreeMap<String, BTreeSet<Kind>>,
}

impl Outcome {
    /// The findings no waiver covers.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    }

    /// The exit code: 2 for errors, 1 for unwaived findings at or above `fail_on`, else 0.
    pub fn exit_code(&self, fail_on: Option<Severity>) -> i32 {
        if !self.errors.is_empty() {
            return 2;
        }
        match fail_on {
            Some(level) if self.active().any(|f| f.severity >= level) => 1,
            _ => 0,
        }
    }
}
