//! `--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure Pipelines,
//! test-reporter actions).
//!
//! One `<testsuite>` per rule (the rules in effect, then any other rule that fired), one
//! `<testcase>` per file the rule checked (`name` and `file` = the path, `classname` = the rule
//! id), and one `<failure>` per finding, whose `message` starts with `file:line:column`.
//! `parse-error` checks every file. Waived findings are not failures: they are counted in a
//! `waived` property of their suite and listed in the test case's `<system-out>`. Policy and
//! configuration errors are `<error>`s of a `tollgate` suite.
//!
//! Which files a rule checked follows from the kinds it reads and the kinds of each file's
//! documents, as the load stage recorded them in the outcome.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::{common, Context, Report};
use crate::model::catalog::PARSE_ERROR;
use crate::model::{Finding, Kind};

pub struct Junit;

/// Escapes text for XML content and attribute values. Characters XML 1.0 cannot hold
/// (controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// [`escape`] for attribute values, keeping line breaks and tabs (an XML parser would
/// normalize them to spaces).
pub fn escape_attr(s: &str) -> String {
    escape(s)
        .replace('\t', "&#9;")
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
}

struct Suite<'a> {
    rule: String,
    /// File → its findings for this rule (waived ones too).
    cases: BTreeMap<&'a str, Vec<&'a Finding>>,
}

fn failure_body(ctx: &Context<'_>, f: &Finding) -> String {
    let mut body = format!(
        "{}:{}:{}: {}[{}]: {}\n",
        f.file,
        f.span.start.line,
        f.span.start.column,
        f.severity.name(),
        f.rule,
        f.message
    );
    if let Some(p) = &f.path {
        let _ = writeln!(body, "  at {p}");
    }
    if let Some(src) = ctx.outcome.sources.get(&f.file) {
        let line = src.line_text(f.span.start.line);
        let _ = writeln!(body, "{:>5} | {}", f.span.start.line, line.trim_end());
    }
    for r in &f.related {
        let _ = writeln!(
            body,
            "  note: {}:{}:{}: {}",
            r.file, r.span.start.line, r.span.start.column, r.message
        );
    }
    if let Some(t) = common::help(ctx, f) {
        let _ = writeln!(body, "help: {t}");
    }
    if let Some(u) = common::rule_doc(ctx, &f.rule) {
        let _ = writeln!(body, "see: {u}");
    }
    body
}

impl Report for Junit {
    fn render(&self, ctx: &Context<'_>) -> String {
        let o = ctx.outcome;
        let mut files: Vec<&str> = o.sources.keys().map(String::as_str).collect();
        for f in &o.findings {
            files.push(&f.file);
        }
        files.sort_unstable();
        files.dedup();
        let kinds: BTreeMap<&str, BTreeSet<Kind>> = files
            .iter()
            .map(|f| (*f, o.file_kinds.get(*f).cloned().unwrap_or_default()))
            .collect();

        let mut suites: Vec<Suite> = Vec::new();
        for r in ctx.rules {
            if suites.iter().any(|s| s.rule == r.id) {
                continue;
            }
            let cases = files
                .iter()
                .filter(|f| kinds[*f].iter().any(|k| r.applies_to(*k)))
                .map(|f| (*f, Vec::new()))
                .collect();
            suites.push(Suite {
                rule: r.id.clone(),
                cases,
            });
        }
        let mut extra: BTreeSet<&str> = BTreeSet::new();
        for f in &o.findings {
            if !suites.iter().any(|s| s.rule == f.rule) {
                extra.insert(&f.rule);
            }
        }
        if !extra.contains(PARSE_ERROR) && !suites.iter().any(|s| s.rule == PARSE_ERROR) {
            // Every file is checked for parse errors, whether or not one fails.
            suites.push(Suite {
                rule: PARSE_ERROR.into(),
                cases: files.iter().map(|f| (*f, Vec::new())).collect(),
            });
        }
        for rule in extra {
            let cases = if rule == PARSE_ERROR {
                files.iter().map(|f| (*f, Vec::new())).collect()
            } else {
                BTreeMap::new()
            };
            suites.push(Suite {
                rule: rule.into(),
                cases,
            });
        }
        for f in &o.findings {
            if let Some(s) = suites.iter_mut().find(|s| s.rule == f.rule) {
                s.cases.entry(&f.file).or_default().push(f);
            }
        }

        let mut body = String::new();
        let (mut tests, mut failures) = (0usize, 0usize);
        for s in &suites {
            let suite_failures = s
                .cases
                .values()
                .flatten()
                .filter(|f| f.suppressed.is_none())
                .count();
            let waived = s
                .cases
                .values()
                .flatten()
                .filter(|f| f.suppressed.is_some())
                .count();
            tests += s.cases.len();
            failures += suite_failures;
            let _ = writeln!(
                body,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
                escape_attr(&s.rule),
                s.cases.len(),
                suite_failures
            );
            if waived > 0 {
                let _ = writeln!(
                    body,
                    "    <properties>\n      <property name=\"waived\" value=\"{waived}\"/>\n    </properties>"
                );
            }
            for (file, found) in &s.cases {
                let active: Vec<&&Finding> =
                    found.iter().filter(|f| f.suppressed.is_none()).collect();
                let line = active
                    .first()
                    .map(|f| format!(" line=\"{}\"", f.span.start.line))
                    .unwrap_or_default();
                let open = format!(
                    "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\"{line}",
                    escape_attr(file),
                    escape_attr(&s.rule),
                    escape_attr(file)
                );
                let waived: Vec<&&Finding> =
                    found.iter().filter(|f| f.suppressed.is_some()).collect();
                if active.is_empty() && waived.is_empty() {
                    let _ = writeln!(body, "{open}/>");
                    continue;
                }
                let _ = writeln!(body, "{open}>");
                for f in &active {
                    let _ = writeln!(
                        body,
                        "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                        escape_attr(&format!(
                            "{}:{}:{}: {}",
                            f.file, f.span.start.line, f.span.start.column, f.message
                        )),
                        f.severity.name(),
                        escape(&failure_body(ctx, f))
                    );
                }
                if !waived.is_empty() {
                    let mut out = String::new();
                    for f in &waived {
                        let s = f.suppressed.as_ref().expect("waived");
                        let _ = writeln!(
                            out,
                            "waived: {}:{}:{}: {} ({}; waiver at {})",
                            f.file,
                            f.span.start.line,
                            f.span.start.column,
                            f.message,
                            s.reason.as_deref().unwrap_or("no reason given"),
                            s.source
                        );
                    }
                    let _ = writeln!(body, "      <system-out>{}</system-out>", escape(&out));
                }
                let _ = writeln!(body, "    </testcase>");
            }
            let _ = writeln!(body, "  </testsuite>");
        }
        let errors = o.errors.len();
        if errors > 0 {
            tests += 1;
            let _ = writeln!(
                body,
                "  <testsuite name=\"tollgate\" tests=\"1\" failures=\"0\" errors=\"{errors}\" skipped=\"0\">\n    <testcase name=\"policies and configuration\" classname=\"tollgate\">"
            );
            for d in &o.errors {
                let line = d.to_string();
                let _ = writeln!(
                    body,
                    "      <error message=\"{}\" type=\"error\">{}</error>",
                    escape_attr(&line),
                    escape(&line)
                );
            }
            let _ = writeln!(body, "    </testcase>\n  </testsuite>");
        }
        // What a baseline or a diff mode left out, and policy changes waiting for the merge,
        // as comments: JUnit has no place for them, and readers ignore comments.
        let mut notes = String::new();
        for n in super::common::left_out(ctx)
            .into_iter()
            .chain(super::common::policy_changes_note(ctx))
            .chain(super::common::skipped_rules_note(ctx))
        {
            let _ = writeln!(
                notes,
                "<!-- tollgate: {} -->",
                escape(&n).replace("--", "- -")
            );
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{notes}<testsuites name=\"tollgate\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n{body}</testsuites>\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_invalid_characters() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\u{1}\u{FFFF}\n"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;\u{FFFD}\u{FFFD}\n"
        );
        assert_eq!(escape_attr("a\nb\tc\r"), "a&#10;b&#9;c&#13;");
    }

    #[test]
    fn output_is_well_formed_xml() {
        let outcome = crate::model::Outcome::default();
        let ctx = Context {
            outcome: &outcome,
            rules: &[],
            color: false,
            quiet: false,
        };
        let xml = Junit.render(&ctx);
        let mut reader = quick_xml::Reader::from_str(&xml);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => panic!("{e}: {xml}"),
            }
        }
        assert!(
            xml.contains("<testsuites name=\"tollgate\" tests=\"0\""),
            "{xml}"
        );
    }
}
