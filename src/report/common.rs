//! Helpers every format shares: what to say about a rule, counts, and URL-safe paths.

use std::fmt::Write as _;

use super::Context;
use crate::model::{Finding, Severity};

/// The help line of a finding: its rule's title.
pub fn help(ctx: &Context<'_>, f: &Finding) -> Option<String> {
    rule_title(ctx, &f.rule)
}

/// A rule's title.
pub fn rule_title(ctx: &Context<'_>, rule: &str) -> Option<String> {
    ctx.rule(rule).and_then(|r| r.title.clone())
}

/// The documentation link of a rule of tollgate's (team rules have none).
pub fn rule_doc(ctx: &Context<'_>, rule: &str) -> Option<String> {
    ctx.rule(rule).and_then(|r| r.docs_url())
}

/// `N thing` / `N things`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The counts line: `3 findings (2 errors, 1 warning, 0 notes), 1 waived`.
pub fn counts(ctx: &Context<'_>) -> String {
    let o = ctx.outcome;
    let n = |s: Severity| o.active().filter(|f| f.severity == s).count();
    let mut s = format!(
        "{} ({}, {}, {})",
        plural(o.active().count(), "finding", "findings"),
        plural(n(Severity::Error), "error", "errors"),
        plural(n(Severity::Warning), "warning", "warnings"),
        plural(n(Severity::Note), "note", "notes"),
    );
    let waived = o.suppressed_count();
    if waived > 0 {
        let _ = write!(s, ", {waived} waived");
    }
    if let Some(left_out) = left_out(ctx) {
        let _ = write!(s, ", {left_out}");
    }
    if !o.errors.is_empty() {
        let _ = write!(
            s,
            ", {}",
            plural(
                o.errors.len(),
                "policy or configuration error",
                "policy or configuration errors"
            )
        );
    }
    let _ = write!(s, "; {} checked", plural(o.files, "file", "files"));
    s
}

/// What a diff-scoped check or a baseline left out, for the counts line: `4 pre-existing left
/// out (not new since `origin/main`), 1 baseline entry no longer matches anything`; `None`
/// when neither was used.
pub fn left_out(ctx: &Context<'_>) -> Option<String> {
    let o = ctx.outcome;
    if o.baseline.is_none() && o.diff.is_none() {
        return None;
    }
    let mut why = Vec::new();
    if let Some(d) = &o.diff {
        why.push(if d.changed_files {
            format!("outside the files changed since {}", d.base)
        } else {
            format!("not new since {}", d.base)
        });
    }
    if o.baseline.is_some() {
        why.push("baseline".to_string());
    }
    let mut s = format!(
        "{} pre-existing left out ({})",
        o.pre_existing,
        why.join("; ")
    );
    if let Some(d) = o.diff.as_ref().filter(|d| d.touched_checked == 0) {
        let _ = write!(s, ", the diff against {} touches no checked file", d.base);
    }
    if !o.baseline_unmatched.is_empty() {
        let _ = write!(
            s,
            ", {} no longer {} anything",
            plural(
                o.baseline_unmatched.len(),
                "baseline entry",
                "baseline entries"
            ),
            if o.baseline_unmatched.len() == 1 {
                "matches"
            } else {
                "match"
            }
        );
    }
    Some(s)
}

/// The sentence about the project-scope rules a named-file run did not run, if any.
pub fn skipped_rules_note(ctx: &Context<'_>) -> Option<String> {
    let o = ctx.outcome;
    (!o.skipped_rules.is_empty()).then(|| {
        format!(
            "not run because files were named: {} (they need every document of the repository; check the repository to run them)",
            o.skipped_rules.join(", ")
        )
    })
}

/// The sentence about policy changes that wait for the merge (`--policies-from`), if any.
pub fn policy_changes_note(ctx: &Context<'_>) -> Option<String> {
    let o = ctx.outcome;
    (!o.policy_changes.is_empty()).then(|| {
        format!(
            "policy changes in this pull request take effect after merge: {}",
            o.policy_changes.join(", ")
        )
    })
}

/// One line per inline waiver the diff adds: `deploy/api.yaml:12 (k8s-probes): reason, expires
/// 2026-01-31`.
pub fn new_waiver_lines(ctx: &Context<'_>) -> Vec<String> {
    ctx.outcome
        .new_waivers
        .iter()
        .map(|w| {
            let mut s = format!("{}:{} ({})", w.file, w.line, w.rules.join(", "));
            match &w.reason {
                Some(r) => {
                    let _ = write!(s, ": {r}");
                }
                None => s.push_str(": no reason given"),
            }
            if let Some(e) = &w.expires {
                let _ = write!(s, ", expires {e}");
            }
            if !w.applied {
                s.push_str(" (not applied: --no-new-waivers)");
            }
            s
        })
        .collect()
}

/// Percent-encodes a relative path for a URL (keeps unreserved characters and `/`).
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
