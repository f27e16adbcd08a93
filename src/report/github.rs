//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//!
//! ```text
//! ::error file=deploy/api.yaml,line=13,col=7,endLine=13,endColumn=24,title=k8s-zero-downtime-rollout::message
//! ```
//!
//! `error`, `warning` or `notice` by severity; property values and messages escaped as the
//! Actions toolkit does (`%`, CR and LF everywhere; `:` and `,` in properties too). Policy and
//! configuration errors are `::error` commands titled `tollgate`. Waived findings are not
//! annotated, only counted.
//!
//! GitHub shows at most [`ANNOTATIONS_PER_KIND`] annotations of each kind per step, so the log
//! ends with how many may be hidden, and when `GITHUB_STEP_SUMMARY` names a file,
//! [`append_step_summary`] appends a Markdown summary there: counts by rule, then every
//! finding with a link to its line.

use std::fmt::Write as _;
use std::io::Write as _;

use super::common::{self, counts, plural};
use super::markdown::{self, Links};
use super::{Context, Report};
use crate::model::{Finding, Severity};

pub struct Github;

/// Annotations of one kind (error, warning, notice) GitHub shows per step.
pub const ANNOTATIONS_PER_KIND: usize = 10;

/// Bytes the job summary may take (GitHub's cap is 1 MiB per step).
pub const SUMMARY_BUDGET: usize = 1_000_000;

/// Escapes a workflow command's message (data).
pub fn escape_data(s: &str) -> String {
    // NUL and ESC (terminal escape sequences) are dropped: the log is not a terminal.
    s.replace(['\0', '\u{1b}'], "")
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// The command for a severity.
pub fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// One annotation command, without the trailing newline.
pub fn annotation(ctx: &Context<'_>, f: &Finding) -> String {
    let mut msg = f.message.clone();
    if let Some(t) = common::help(ctx, f) {
        let _ = write!(msg, "\nhelp: {t}");
    }
    if let Some(url) = common::rule_doc(ctx, &f.rule) {
        let _ = write!(msg, "\nsee {url}");
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        command(f.severity),
        escape_property(&f.file),
        f.span.start.line,
        f.span.start.column,
        f.span.end.line,
        f.span.end.column,
        escape_property(&f.rule),
        escape_data(&msg)
    )
}

/// How many annotations of each kind (error, warning, notice) a run makes.
fn annotation_counts(ctx: &Context<'_>) -> [usize; 3] {
    let o = ctx.outcome;
    let n = |s: Severity| o.active().filter(|f| f.severity == s).count();
    [
        n(Severity::Error) + o.errors.len(),
        n(Severity::Warning),
        n(Severity::Note),
    ]
}

/// Annotations GitHub may not show: those past [`ANNOTATIONS_PER_KIND`] of each kind.
pub fn hidden_annotations(ctx: &Context<'_>) -> usize {
    annotation_counts(ctx)
        .iter()
        .map(|n| n.saturating_sub(ANNOTATIONS_PER_KIND))
        .sum()
}

impl Report for Github {
    fn render(&self, ctx: &Context<'_>) -> String {
        let o = ctx.outcome;
        let mut out = String::new();
        for f in o.active() {
            out.push_str(&annotation(ctx, f));
            out.push('\n');
        }
        for d in &o.errors {
            let mut props = Vec::new();
            if let Some(file) = &d.file {
                props.push(format!("file={}", escape_property(file)));
                if let Some(l) = d.line {
                    props.push(format!("line={l}"));
                }
                if let Some(c) = d.column {
                    props.push(format!("col={c}"));
                }
            }
            props.push("title=tollgate".into());
            let _ = writeln!(
                out,
                "::error {}::{}",
                props.join(","),
                escape_data(&d.message)
            );
        }
        if let Some(n) = super::common::policy_changes_note(ctx) {
            let _ = writeln!(out, "::notice title=tollgate::{}", escape_data(&n));
        }
        if let Some(n) = super::common::skipped_rules_note(ctx) {
            let _ = writeln!(out, "::notice title=tollgate::{}", escape_data(&n));
        }
        for w in super::common::new_waiver_lines(ctx) {
            let _ = writeln!(
                out,
                "::notice title=tollgate::{}",
                escape_data(&format!("waiver added by this pull request: {w}"))
            );
        }
        let _ = writeln!(out, "tollgate: {}", counts(ctx));
        let hidden = hidden_annotations(ctx);
        if hidden > 0 {
            let total: usize = annotation_counts(ctx).iter().sum();
            let summary = if std::env::var_os("GITHUB_STEP_SUMMARY").is_some_and(|v| !v.is_empty())
            {
                " and in the job summary"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "tollgate: GitHub shows at most {n} error, {n} warning and {n} notice annotations per step: {hidden} of these {total} annotations may be hidden. Every finding is listed in this log{summary}.",
                n = ANNOTATIONS_PER_KIND
            );
        }
        out
    }
}

/// The job summary: counts, findings by rule, then every finding with a link to its line.
pub fn step_summary(ctx: &Context<'_>, links: &Links) -> String {
    let o = ctx.outcome;
    let hidden = hidden_annotations(ctx);
    let note = (hidden > 0).then(|| {
        format!(
            "> GitHub shows at most {n} annotations of each kind per step: {hidden} of this run's annotations may be hidden. Every finding is listed below.",
            n = ANNOTATIONS_PER_KIND
        )
    });
    let mut out = markdown::overview(ctx, links, note.as_deref());
    let active: Vec<&Finding> = o.active().collect();
    if !active.is_empty() {
        out.push_str("### Findings\n\n");
        for (i, f) in active.iter().enumerate() {
            let item = markdown::finding_item(f, links, true);
            if out.len() + item.len() > SUMMARY_BUDGET {
                let _ = writeln!(
                    out,
                    "- … {} not listed: the summary is limited to 1 MiB; the job log has every one.",
                    plural(active.len() - i, "more finding", "more findings")
                );
                break;
            }
            out.push_str(&item);
        }
        out.push('\n');
    }
    out
}

/// Appends [`step_summary`] to the file `GITHUB_STEP_SUMMARY` names, if any. Returns whether it
/// wrote.
pub fn append_step_summary(ctx: &Context<'_>) -> std::io::Result<bool> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else {
        return Ok(false);
    };
    let mut text = step_summary(ctx, &Links::from_env());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    if file.metadata()?.len() > 0 {
        // A blank line ends whatever an earlier step wrote.
        text.insert(0, '\n');
    }
    file.write_all(text.as_bytes())?;
    Ok(true)
}

/// The step outputs tollgate sets itself (`name=value` lines for `GITHUB_OUTPUT`): the counts
/// of the JSON summary, `findings` (no waiver covers them) and `errors` (policy and
/// configuration).
pub fn step_outputs(ctx: &Context<'_>) -> String {
    let o = ctx.outcome;
    format!(
        "findings={}\nerrors={}\n",
        o.active().count(),
        o.errors.len()
    )
}

/// Appends [`step_outputs`] to `path` (GitHub's `GITHUB_OUTPUT` file, created if missing).
pub fn append_step_outputs(path: &std::path::Path, ctx: &Context<'_>) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(step_outputs(ctx).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(
            escape_data("100% done\r\nnext: a,b"),
            "100%25 done%0D%0Anext: a,b"
        );
        assert_eq!(
            escape_property("dir:a,b/100%\n.yml"),
            "dir%3Aa%2Cb/100%25%0A.yml"
        );
        // `%` first, so that an escape is never escaped twice.
        assert_eq!(escape_data("%0A"), "%250A");
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn severities_map_to_commands() {
        assert_eq!(command(Severity::Error), "error");
        assert_eq!(command(Severity::Warning), "warning");
        assert_eq!(command(Severity::Note), "notice");
    }
}
