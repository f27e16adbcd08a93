//! `--format concise`: one line a finding, `file:line:col: severity[rule] message`, for editors'
//! problem matchers and grep. Waived findings are left out; line breaks in messages become
//! spaces. Policy and configuration errors go to standard error as
//! `file:line:col: error[tollgate] message` (as much of the location as is known).

use std::fmt::Write as _;

use super::{Context, Report};

pub struct Concise;

fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

impl Report for Concise {
    fn render(&self, ctx: &Context<'_>) -> String {
        let mut out = String::new();
        for f in ctx.outcome.active() {
            let _ = writeln!(
                out,
                "{}:{}:{}: {}[{}] {}",
                f.file,
                f.span.start.line,
                f.span.start.column,
                f.severity,
                f.rule,
                one_line(&f.message)
            );
        }
        out
    }

    fn render_errors(&self, ctx: &Context<'_>) -> Option<String> {
        let mut out = String::new();
        for d in &ctx.outcome.errors {
            let at = match (&d.file, d.line, d.column) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}: "),
                (Some(f), _, _) => format!("{f}: "),
                _ => String::new(),
            };
            let _ = writeln!(out, "{at}error[tollgate] {}", one_line(&d.message));
        }
        Some(out)
    }
}
