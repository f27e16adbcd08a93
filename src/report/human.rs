//! `--format human`: compiler-style diagnostics with the offending span underlined
//! (rendered by `annotate-snippets`, rustc's own renderer) on standard output; policy and
//! configuration errors go to standard error (`Report::render_errors`).

use annotate_snippets::renderer::DecorStyle;
use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};
use std::fmt::Write as _;

use super::{common, Context, Report};
use crate::model::{catalog, Finding, Severity};

pub struct Human;

fn level(s: Severity) -> Level<'static> {
    match s {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
        Severity::Note => Level::NOTE,
    }
}

/// The lines a finding's snippet shows: from its first line to its last (and its related
/// locations in the same file when they are near), so that rendering costs what the snippet
/// shows, not the whole file.
struct Window<'t> {
    text: &'t str,
    /// Byte offsets of the window in the file.
    start: usize,
    end: usize,
    first_line: u32,
}

/// Lines longer than this are not shown (a minified file): the finding keeps its location.
const MAX_LINE: usize = 500;

/// Related locations further than this many lines from the finding are not drawn.
const NEAR: u32 = 30;

fn window<'t>(src: &'t crate::model::SourceFile, f: &Finding) -> Option<Window<'t>> {
    let line = f.span.start.line;
    let mut first = line;
    let mut last = f.span.end.line.max(line);
    for r in f.related.iter().filter(|r| r.file == f.file) {
        if r.span.start.line + NEAR >= line && r.span.start.line <= last + NEAR {
            first = first.min(r.span.start.line);
            last = last.max(r.span.end.line);
        }
    }
    if (first..=last).any(|l| src.line_text(l).len() > MAX_LINE) {
        return None;
    }
    let start = src.lines.line_start(first)?;
    let end = src
        .lines
        .line_start(last + 1)
        .map(|e| e.saturating_sub(1))
        .unwrap_or(src.text.len())
        .max(start);
    Some(Window {
        text: &src.text[start..end],
        start,
        end,
        first_line: first,
    })
}

fn render_finding(ctx: &Context<'_>, f: &Finding, renderer: &Renderer) -> String {
    let help = common::help(ctx, f);
    let title = f.message.clone();
    let head = level(f.severity).primary_title(title).id(f.rule.as_str());
    let origin = || {
        annotate_snippets::Origin::path(f.file.as_str())
            .line(f.span.start.line as usize)
            // The origin line shows this number as it is: 1-based, as everywhere in tollgate.
            .char_column(f.span.start.column as usize)
    };
    let group = match ctx
        .outcome
        .sources
        .get(&f.file)
        .and_then(|src| window(src, f))
    {
        Some(w) => {
            let at = |span: &crate::model::Span| {
                let s = span.start.offset.clamp(w.start, w.end) - w.start;
                let e = span.end.offset.clamp(span.start.offset.max(w.start), w.end) - w.start;
                s..e.max(s)
            };
            let mut snippet = Snippet::source(w.text)
                .line_start(w.first_line as usize)
                .path(f.file.as_str())
                .fold(true)
                .annotation(
                    AnnotationKind::Primary
                        .span(at(&f.span))
                        .label(f.rule.as_str()),
                );
            for r in f.related.iter().filter(|r| {
                r.file == f.file && r.span.start.offset >= w.start && r.span.end.offset <= w.end
            }) {
                snippet = snippet.annotation(
                    AnnotationKind::Context
                        .span(at(&r.span))
                        .label(r.message.as_str()),
                );
            }
            head.element(snippet)
        }
        None => head.element(origin()),
    };
    let mut footers: Vec<String> = Vec::new();
    if let Some(h) = &help {
        footers.push(format!("help: {h}"));
    }
    // tollgate's own findings are located by tollgate itself, never by a rule's path.
    if f.path.is_none() && !catalog::is_own(&f.rule) {
        footers.push("note: the rule gave no path: shown at the document's start".into());
    } else if f.pinpointed {
        footers.push("note: the rule gave no path: tollgate located the smallest part of the document whose change silences it".into());
    }
    if let Some(url) = common::rule_doc(ctx, &f.rule) {
        footers.push(format!("note: see {url}"));
    }
    let mut report: Vec<Group> = vec![group];
    for ftr in &footers {
        let (lvl, msg) = match ftr.split_once(": ") {
            Some(("help", m)) => (Level::HELP, m),
            Some((_, m)) => (Level::NOTE, m),
            None => (Level::NOTE, ftr.as_str()),
        };
        report.push(Group::with_title(lvl.secondary_title(msg.to_string())));
    }
    renderer.render(&report)
}

impl Report for Human {
    fn render_errors(&self, ctx: &Context<'_>) -> Option<String> {
        let mut out = String::new();
        for e in &ctx.outcome.errors {
            let _ = writeln!(out, "error: {e}");
        }
        Some(out)
    }

    fn render(&self, ctx: &Context<'_>) -> String {
        let renderer = if ctx.color {
            Renderer::styled()
        } else {
            Renderer::plain()
        }
        .decor_style(DecorStyle::Ascii);
        let mut out = String::new();
        for f in ctx.outcome.active() {
            out.push_str(&render_finding(ctx, f, &renderer));
            out.push_str("\n\n");
        }
        if ctx.quiet {
            return out;
        }
        let o = ctx.outcome;
        let count = |s: Severity| o.active().filter(|f| f.severity == s).count();
        let active = o.active().count();
        let suppressed = o.suppressed_count();
        let mut waived = if suppressed > 0 {
            format!(", {suppressed} waived")
        } else {
            String::new()
        };
        if let Some(left_out) = super::common::left_out(ctx) {
            waived.push_str(", ");
            waived.push_str(&left_out);
        }
        if let Some(n) = super::common::policy_changes_note(ctx) {
            let _ = writeln!(out, "note: {n}");
        }
        if let Some(n) = super::common::skipped_rules_note(ctx) {
            let _ = writeln!(out, "note: {n}");
        }
        for w in super::common::new_waiver_lines(ctx) {
            let _ = writeln!(out, "note: waiver added by this pull request: {w}");
        }
        for e in &o.baseline_unmatched {
            let _ = writeln!(
                out,
                "note: {}: baseline entry for {} at {}{} matches nothing any more (`tollgate baseline --prune` drops it)",
                o.baseline.as_deref().unwrap_or_default(),
                e.rule,
                e.file,
                e.path.as_deref().map(|p| format!(" ({p})")).unwrap_or_default()
            );
        }
        let _ = writeln!(
            out,
            "tollgate: {} finding{} ({} error, {} warning, {} note{waived}), {} policy or configuration error{}; {} file{} and {} document{} checked",
            active,
            if active == 1 { "" } else { "s" },
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Note),
            o.errors.len(),
            if o.errors.len() == 1 { "" } else { "s" },
            o.files,
            if o.files == 1 { "" } else { "s" },
            o.documents,
            if o.documents == 1 { "" } else { "s" },
        );
        if let Some(cfg) = &o.config_file {
            let _ = writeln!(out, "configuration: {cfg}");
        }
        out
    }
}
