//! The result of a run, as every report reads it.

use std::collections::{BTreeMap, BTreeSet};

use super::finding::{Diagnostic, Finding, Severity};
use super::fingerprint::BaselineEntry;
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
    /// Findings left out as pre-existing (listed in the baseline).
    pub pre_existing: usize,
    /// The baseline's display path, when one was applied.
    pub baseline: Option<String>,
    /// Baseline entries that matched no finding (paid-off debt), sorted.
    pub baseline_unmatched: Vec<BaselineEntry>,
    /// Set when the check was scoped to a diff (`--new-only`, `--changed-files`).
    pub diff: Option<DiffInfo>,
    /// Policy files (config, policies, data, baseline) the working tree changes while the
    /// policies come from a revision (`--policies-from`): they take effect after merge.
    pub policy_changes: Vec<String>,
    /// Inline waivers the diff adds (they apply unless `--no-new-waivers`).
    pub new_waivers: Vec<NewWaiver>,
    /// Project-scope rules not run because files were named: they need every document of
    /// the repository (sorted ids).
    pub skipped_rules: Vec<String>,
    /// The wall time of each phase, in order (`--timings`).
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// An inline waiver that the diff adds.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NewWaiver {
    pub file: String,
    pub line: u32,
    /// The rules of the findings it covers.
    pub rules: Vec<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
    /// Whether it applies (`false` with `--no-new-waivers`).
    pub applied: bool,
}

/// What a diff-scoped check compared against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiffInfo {
    /// How the base was named (`origin/main`, …).
    pub base: String,
    /// `--changed-files` (else `--new-only`).
    pub changed_files: bool,
    /// How many checked files the diff touches (changed, added, renamed or deleted).
    pub touched_checked: usize,
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
