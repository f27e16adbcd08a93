//! `--format human`: compiler-style diagnostics with the offending span underlined
//! (rendered by `annotate-snippets`, rustc's own renderer).

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

fn render_finding(ctx: &Context<'_>, f: &Finding, renderer: &Renderer) -> String {
    let help = common::help(ctx, f);
    let title = f.message.clone();
    let head = level(f.severity).primary_title(title).id(f.rule.as_str());
    let group = match ctx.outcome.sources.get(&f.file) {
        Some(src) => {
            let text = src.text.as_str();
            let start = f.span.start.offset.min(text.len());
            let end = f.span.end.offset.clamp(start, text.len());
            let mut snippet = Snippet::source(text)
                .path(f.file.as_str())
                .fold(true)
                .annotation(
                    AnnotationKind::Primary
                        .span(start..end)
                        .label(f.rule.as_str()),
                );
            for r in f.related.iter().filter(|r| r.file == f.file) {
                let s = r.span.start.offset.min(text.len());
                let e = r.span.end.offset.clamp(s, text.len());
                snippet = snippet
                    .annotation(AnnotationKind::Context.span(s..e).label(r.message.as_str()));
            }
            head.element(snippet)
        }
        None => head.element(
            annotate_snippets::Origin::path(f.file.as_str())
                .line(f.span.start.line as usize)
                .char_column(f.span.start.column as usize - 1),
        ),
    };
    let mut footers: Vec<String> = Vec::new();
    if let Some(h) = &help {
        footers.push(format!("help: {h}"));
    }
    // tollgate's own findings are located by tollgate itself, never by a rule's path.
    if f.path.is_none() && !catalog::is_own(&f.rule) {
        footers.push("note: the rule gave no path: shown at the document's start".into());
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
        for e in &ctx.outcome.errors {
            let _ = writeln!(out, "error: {e}");
        }
        let o = ctx.outcome;
        let count = |s: Severity| o.active().filter(|f| f.severity == s).count();
        let active = o.active().count();
        let suppressed = o.suppressed_count();
        let waived = if suppressed > 0 {
            format!(", {suppressed} waived")
        } else {
            String::new()
        };
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
