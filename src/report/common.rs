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

/// What a baseline left out, for the counts line: `4 pre-existing left out (baseline), 1
/// baseline entry matches nothing`; `None` without a baseline.
pub fn left_out(ctx: &Context<'_>) -> Option<String> {
    let o = ctx.outcome;
    o.baseline.as_ref()?;
    let mut s = format!("{} pre-existing left out (baseline)", o.pre_existing);
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
