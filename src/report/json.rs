//! `--format json`: the stable machine-readable report (version 1; fields are only ever added).
//!
//! ```json
//! {"version": 1, "tool": {"name": "tollgate", "version": "0.1.0"},
//!  "findings": [{"rule", "severity", "message", "file", "line", "column",
//!                "end_line", "end_column", "path"}],
//!  "errors": [{"message", "file", "line", "column"}],
//!  "summary": {"files", "documents", "findings", "errors", "suppressed", "pre_existing",
//!              "baseline_unmatched"}}
//! ```
//!
//! Each finding has a `fingerprint` (see `model::fingerprint`); with `--baseline`, the findings
//! it lists are left out (`summary.pre_existing` counts them) and `"baseline": {"file",
//! "unmatched": [{"file", "rule", "path", "fingerprint"}]}` lists its entries that match
//! nothing any more (`summary.baseline_unmatched` counts them). With `--new-only` or
//! `--changed-files`, `"diff": {"base", "mode", "touched_files"}` says what was compared, and
//! `summary.pre_existing` also counts the findings left out as not new. `policy_changes` lists
//! the policy files a pull request changes (with `--policies-from`: not applied until merge) and
//! `new_waivers` the inline waivers the diff adds (`{"file", "line", "rules", "reason",
//! "expires", "applied"}`). `skipped_rules` lists the project-scope rules a named-file run
//! did not run (they need the whole repository).
//!
//! Waived findings stay in `findings` with `"suppressed": {"kind": "inline"|"config", "reason",
//! "expires", "source": "file:line"}`; `summary.findings` counts the others.

use serde::Serialize;

use super::{Context, Report};
use crate::model::fingerprint::{fingerprints, BaselineEntry};
use crate::model::{Diagnostic, NewWaiver, Suppression};

pub struct Json;

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct FindingOut<'a> {
    rule: &'a str,
    severity: &'a str,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related: Vec<RelatedOut<'a>>,
    /// `"search"` when the rule gave no path and tollgate found one (`crate::pinpoint`).
    #[serde(skip_serializing_if = "Option::is_none")]
    located_by: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a Suppression>,
    fingerprint: String,
}

#[derive(Serialize)]
struct Summary {
    files: usize,
    documents: usize,
    /// Findings no waiver covers.
    findings: usize,
    errors: usize,
    suppressed: usize,
    /// Findings left out because the baseline lists them.
    pre_existing: usize,
    /// Baseline entries that match no finding.
    baseline_unmatched: usize,
}

#[derive(Serialize)]
struct BaselineOut<'a> {
    file: &'a str,
    unmatched: &'a [BaselineEntry],
}

#[derive(Serialize)]
struct Out<'a> {
    version: u32,
    tool: Tool,
    findings: Vec<FindingOut<'a>>,
    errors: &'a [Diagnostic],
    summary: Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<DiffOut<'a>>,
    /// Policy files the working tree changes (with `--policies-from`; effective after merge).
    policy_changes: &'a [String],
    /// Inline waivers the diff adds.
    new_waivers: &'a [NewWaiver],
    /// Project-scope rules not run because files were named.
    skipped_rules: &'a [String],
}

#[derive(Serialize)]
struct DiffOut<'a> {
    base: &'a str,
    mode: &'static str,
    /// Checked files the diff touches.
    touched_files: usize,
}

impl Report for Json {
    fn render(&self, ctx: &Context<'_>) -> String {
        let o = ctx.outcome;
        let prints = fingerprints(&o.findings);
        let findings = o
            .findings
            .iter()
            .zip(prints)
            .map(|(f, fingerprint)| FindingOut {
                rule: &f.rule,
                severity: f.severity.name(),
                message: &f.message,
                file: &f.file,
                line: f.span.start.line,
                column: f.span.start.column,
                end_line: f.span.end.line,
                end_column: f.span.end.column,
                path: f.path.as_deref(),
                related: f
                    .related
                    .iter()
                    .map(|r| RelatedOut {
                        message: &r.message,
                        file: &r.file,
                        line: r.span.start.line,
                        column: r.span.start.column,
                        end_line: r.span.end.line,
                        end_column: r.span.end.column,
                    })
                    .collect(),
                located_by: f.pinpointed.then_some("search"),
                suppressed: f.suppressed.as_ref(),
                fingerprint,
            })
            .collect();
        let out = Out {
            version: 1,
            tool: Tool {
                name: "tollgate",
                version: env!("CARGO_PKG_VERSION"),
            },
            findings,
            errors: &o.errors,
            summary: Summary {
                files: o.files,
                documents: o.documents,
                findings: o.active().count(),
                errors: o.errors.len(),
                suppressed: o.suppressed_count(),
                pre_existing: o.pre_existing,
                baseline_unmatched: o.baseline_unmatched.len(),
            },
            baseline: o.baseline.as_deref().map(|file| BaselineOut {
                file,
                unmatched: &o.baseline_unmatched,
            }),
            diff: o.diff.as_ref().map(|d| DiffOut {
                base: &d.base,
                mode: if d.changed_files {
                    "changed-files"
                } else {
                    "new-only"
                },
                touched_files: d.touched_checked,
            }),
            policy_changes: &o.policy_changes,
            new_waivers: &o.new_waivers,
            skipped_rules: &o.skipped_rules,
        };
        let mut s = serde_json::to_string_pretty(&out).unwrap_or_default();
        s.push('\n');
        s
    }
}
