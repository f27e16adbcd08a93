//! `--format markdown`: the report as a pull-request comment.
//!
//! A heading with the counts, a table of findings by rule, then the findings grouped by file,
//! each with a link to its line. A comment must stay readable and under GitHub's 65,536
//! characters: past [`Limits::open`] characters the remaining files are folded into one
//! `<details>` block, and past [`Limits::total`] the rest is only counted.
//!
//! Waived findings are left out and counted ("1 waived"). Links point at
//! `$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/FILE#LLINE` when those variables are
//! set (`TOLLGATE_LINK_SHA` overrides the commit, e.g. a pull request's head), else they are
//! relative (`FILE#LLINE`). The helpers here are shared with the GitHub job summary.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::common::{counts, encode_path, plural, rule_doc, rule_title};
use super::{Context, Report};
use crate::model::{Diagnostic, Finding, Severity};

pub struct Markdown;

/// Size limits of the Markdown report, in bytes of output.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Findings are shown unfolded until the report reaches this size.
    pub open: usize,
    /// Nothing more is written past this size (GitHub comments hold 65,536 characters).
    pub total: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            open: 20_000,
            total: 60_000,
        }
    }
}

/// Where links to files and lines point.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Links {
    /// `https://github.com/OWNER/REPO/blob/SHA/`, or `None` for relative links.
    pub base: Option<String>,
}

impl Links {
    /// From the GitHub Actions environment (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`,
    /// `GITHUB_SHA`, or `TOLLGATE_LINK_SHA` for another commit).
    pub fn from_env() -> Links {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let server = var("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into());
        let base = match (
            var("GITHUB_REPOSITORY"),
            var("TOLLGATE_LINK_SHA").or_else(|| var("GITHUB_SHA")),
        ) {
            (Some(repo), Some(sha)) => Some(format!(
                "{}/{}/blob/{}/",
                server.trim_end_matches('/'),
                repo,
                sha
            )),
            _ => None,
        };
        Links { base }
    }

    /// A link to `line` of `file`; `None` for files outside the working directory.
    pub fn line(&self, file: &str, line: u32) -> Option<String> {
        if file.starts_with('/') || file.starts_with("..") || file.contains(":\\") {
            return None;
        }
        Some(format!(
            "{}{}#L{}",
            self.base.as_deref().unwrap_or(""),
            encode_path(file),
            line
        ))
    }
}

/// Escapes text for Markdown (inline, one line): punctuation that could start markup is
/// backslash-escaped and line breaks become spaces.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            // `@user` and `@org/team` would notify people: a zero-width space after `@`
            // keeps the text and breaks the mention (as Dependabot does).
            '@' => out.push_str("@\u{200b}"),
            '\r' => {}
            '\n' => out.push(' '),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// An inline code span holding `text` verbatim (fenced with more backticks than it contains).
pub fn code(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// `[text](url)`, or the text alone without a URL.
fn link(text: &str, url: Option<String>) -> String {
    match url {
        Some(u) => format!("[{text}]({u})"),
        None => text.to_string(),
    }
}

/// The table of unwaived findings by rule, sorted by rule id; empty without findings.
pub fn rule_table(ctx: &Context<'_>) -> String {
    let mut by_rule: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for f in ctx.outcome.active() {
        let c = by_rule.entry(f.rule.as_str()).or_default();
        match f.severity {
            Severity::Error => c[0] += 1,
            Severity::Warning => c[1] += 1,
            Severity::Note => c[2] += 1,
        }
    }
    if by_rule.is_empty() {
        return String::new();
    }
    let mut out =
        String::from("| Rule | Title | Errors | Warnings | Notes |\n|---|---|--:|--:|--:|\n");
    for (rule, c) in by_rule {
        let title = rule_title(ctx, rule)
            .map(|t| escape(&t))
            .unwrap_or_default();
        let id = link(&code(rule), rule_doc(ctx, rule));
        let _ = writeln!(out, "| {id} | {title} | {} | {} | {} |", c[0], c[1], c[2]);
    }
    out
}

/// A message cut at `max` characters (one item must not fill a comment).
fn clip(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]).into(),
        None => text.into(),
    }
}

/// Longest message shown in an item, in characters.
const MAX_ITEM: usize = 1_000;
/// Bytes the errors section may take; the rest of the errors are only counted.
pub const ERRORS_BUDGET: usize = 15_000;

/// One list item: `- **error** [`file:10:11`](link) message · `rule``.
pub fn finding_item(f: &Finding, links: &Links, with_file: bool) -> String {
    let at = if with_file {
        format!("{}:{}:{}", f.file, f.span.start.line, f.span.start.column)
    } else {
        format!("line {}:{}", f.span.start.line, f.span.start.column)
    };
    format!(
        "- **{}** {} {} · {}\n",
        f.severity.name(),
        link(&escape(&at), links.line(&f.file, f.span.start.line)),
        escape(&clip(&f.message, MAX_ITEM)),
        code(&f.rule)
    )
}

/// One list item for a policy or configuration error.
pub fn diagnostic_item(d: &Diagnostic, links: &Links) -> String {
    let at = match (&d.file, d.line, d.column) {
        (Some(f), Some(l), Some(c)) => format!(
            "{} ",
            link(&escape(&format!("{f}:{l}:{c}")), links.line(f, l))
        ),
        (Some(f), _, _) => format!("{} ", escape(f)),
        _ => String::new(),
    };
    format!("- **error** {at}{}\n", escape(&clip(&d.message, MAX_ITEM)))
}

/// The head of a report (verdict, counts, an optional note, findings by rule, errors), shared
/// by this format and the GitHub job summary.
pub fn overview(ctx: &Context<'_>, links: &Links, note: Option<&str>) -> String {
    let o = ctx.outcome;
    let mut out = String::new();
    let verdict = if o.active().count() == 0 && o.errors.is_empty() {
        "passed"
    } else {
        "failed"
    };
    let _ = writeln!(out, "## tollgate: {verdict}\n");
    let _ = writeln!(out, "{}\n", counts(ctx));
    if let Some(n) = note {
        let _ = writeln!(out, "{n}\n");
    }
    let table = rule_table(ctx);
    if !table.is_empty() {
        out.push_str(&table);
        out.push('\n');
    }
    if let Some(n) = super::common::policy_changes_note(ctx) {
        let _ = writeln!(out, "> {}\n", escape(&n));
    }
    if let Some(n) = super::common::skipped_rules_note(ctx) {
        let _ = writeln!(out, "> {}\n", escape(&n));
    }
    let waivers = super::common::new_waiver_lines(ctx);
    if !waivers.is_empty() {
        out.push_str("### Waivers added by this pull request\n\n");
        for w in &waivers {
            let _ = writeln!(out, "- {}", escape(w));
        }
        out.push('\n');
    }
    if !o.baseline_unmatched.is_empty() {
        let _ = writeln!(
            out,
            "### Paid-off baseline entries\n\nThese entries of {} match nothing any more; `tollgate baseline --prune` drops them.\n",
            code(o.baseline.as_deref().unwrap_or_default())
        );
        for e in &o.baseline_unmatched {
            let _ = writeln!(
                out,
                "- {} in {}{}",
                code(&e.rule),
                code(&e.file),
                e.path
                    .as_deref()
                    .map(|p| format!(" at {}", code(p)))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
    }
    if !o.errors.is_empty() {
        out.push_str("### Policy or configuration errors\n\n");
        let start = out.len();
        for (i, d) in o.errors.iter().enumerate() {
            let item = diagnostic_item(d, links);
            if out.len() - start + item.len() > ERRORS_BUDGET {
                let _ = writeln!(
                    out,
                    "- … {} not shown: the job log and the JSON report have them all",
                    plural(o.errors.len() - i, "more error", "more errors")
                );
                break;
            }
            out.push_str(&item);
        }
        out.push('\n');
    }
    out
}

/// Renders with explicit links and limits (the [`Report`] impl reads them from the environment).
pub fn render_with(ctx: &Context<'_>, links: &Links, limits: Limits) -> String {
    let o = ctx.outcome;
    let mut out = overview(ctx, links, None);
    // Findings by file, in report order.
    let mut files: Vec<(&str, Vec<&Finding>)> = Vec::new();
    for f in o.active() {
        match files.last_mut() {
            Some((name, list)) if *name == f.file => list.push(f),
            _ => files.push((f.file.as_str(), vec![f])),
        }
    }
    let mut folded = false;
    let mut shown = 0usize;
    for (i, (file, list)) in files.iter().enumerate() {
        let mut block = format!("### {}\n\n", code(file));
        for f in list {
            block.push_str(&finding_item(f, links, false));
        }
        block.push('\n');
        if !folded && out.len() + block.len() > limits.open && shown > 0 {
            let rest: usize = files[i..].iter().map(|(_, l)| l.len()).sum();
            let _ = writeln!(
                out,
                "<details><summary>{} more in {}</summary>\n",
                plural(rest, "finding", "findings"),
                plural(files.len() - i, "file", "files")
            );
            folded = true;
        }
        if out.len() + block.len() > limits.total {
            // Truncate inside the file: as many of its findings as fit, then a count.
            const NOTE: usize = 300;
            let mut partial = format!("### {}\n\n", code(file));
            let mut fitted = 0usize;
            for f in list {
                let item = finding_item(f, links, false);
                if out.len() + partial.len() + item.len() + NOTE > limits.total {
                    break;
                }
                partial.push_str(&item);
                fitted += 1;
            }
            if fitted > 0 {
                partial.push('\n');
                out.push_str(&partial);
            }
            let rest: usize = files[i..].iter().map(|(_, l)| l.len()).sum::<usize>() - fitted;
            let _ = writeln!(
                out,
                "… {} not shown: the comment would be too long. The job log and the SARIF report have every finding.\n",
                plural(rest, "more finding", "more findings")
            );
            break;
        }
        out.push_str(&block);
        shown += list.len();
    }
    if folded {
        out.push_str("</details>\n\n");
    }
    out.push_str("<sub>Reported by tollgate ");
    out.push_str(env!("CARGO_PKG_VERSION"));
    out.push_str("</sub>\n");
    out
}

impl Report for Markdown {
    fn render(&self, ctx: &Context<'_>) -> String {
        render_with(ctx, &Links::from_env(), Limits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Outcome, Pos, Span};

    fn finding(file: &str, line: u32, msg: &str) -> Finding {
        let p = |column| Pos {
            line,
            column,
            offset: 0,
        };
        Finding {
            rule: "team-rule".into(),
            severity: Severity::Error,
            message: msg.into(),
            file: file.into(),
            span: Span::new(p(3), p(9)),
            path: None,
            document: 0,
            related: Vec::new(),
            pinpointed: false,
            suppressed: None,
            identity: None,
            fingerprint: String::new(),
        }
    }

    #[test]
    fn escapes_markup_and_line_breaks() {
        assert_eq!(
            escape("a *b* _c_ `d` [e](f) <g> | h & #1 !\nnext\r"),
            "a \\*b\\* \\_c\\_ \\`d\\` \\[e\\](f) \\<g\\> \\| h \\& \\#1 \\! next"
        );
        assert_eq!(code("k8s-probes"), "`k8s-probes`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        assert_eq!(
            encode_path("dir with space/a(1).yml"),
            "dir%20with%20space/a%281%29.yml"
        );
    }

    #[test]
    fn links_use_the_github_environment_or_stay_relative() {
        let rel = Links::default();
        assert_eq!(rel.line("a b.yml", 3).as_deref(), Some("a%20b.yml#L3"));
        assert_eq!(rel.line("/abs/x.yml", 3), None);
        let gh = Links {
            base: Some("https://github.com/o/r/blob/abc/".into()),
        };
        assert_eq!(
            gh.line("deploy/x.yml", 7).as_deref(),
            Some("https://github.com/o/r/blob/abc/deploy/x.yml#L7")
        );
    }

    #[test]
    fn long_reports_fold_then_stop() {
        let mut outcome = Outcome::default();
        for i in 0..40 {
            outcome
                .findings
                .push(finding(&format!("f{i:02}.yml"), 1, &"x".repeat(50)));
        }
        outcome.files = 40;
        let ctx = Context {
            outcome: &outcome,
            rules: &[],
            color: false,
            quiet: false,
        };
        let full = render_with(&ctx, &Links::default(), Limits::default());
        assert!(!full.contains("<details>"), "{full}");
        let small = render_with(
            &ctx,
            &Links::default(),
            Limits {
                open: 1000,
                total: 3000,
            },
        );
        assert!(small.contains("<details><summary>"), "{small}");
        assert!(small.contains("</details>"), "{small}");
        assert!(small.contains("not shown"), "{small}");
        assert!(small.len() < 3300, "{}", small.len());
        // Every file before the fold is complete; the counts cover all 40.
        assert!(small.contains("40 findings (40 errors"), "{small}");
    }
}
