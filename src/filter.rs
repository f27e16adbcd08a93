//! The filter stage, the one home of "which rules and findings count": rule selection
//! (`select`/`ignore`, conftest namespaces) before evaluation, and after it the selection of
//! tollgate's own rules, configured severities, the report scope of named files, and waivers.

use std::collections::BTreeSet;

use crate::config::Config;
use crate::model::{catalog, Finding, Sources};
use crate::policy::Rule;
use crate::waiver;

/// Whether `text` matches the glob `pattern` (`*` crosses `.` and `/`), as conftest matches
/// namespaces.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    globset::GlobBuilder::new(pattern)
        .literal_separator(false)
        .build()
        .map(|g| g.compile_matcher().is_match(text))
        .unwrap_or(false)
}

/// Keeps the rules that run: conftest-style rules of the selected namespaces (default
/// `main`), then the configuration's `select`/`ignore`; applies configured severities.
pub fn select_rules(rules: &mut Vec<Rule>, config: &Config, namespaces: &[String], all: bool) {
    let namespaces: Vec<String> = if !namespaces.is_empty() {
        namespaces.to_vec()
    } else {
        config
            .namespaces
            .clone()
            .unwrap_or_else(|| vec!["main".to_string()])
    };
    rules.retain(|r| !r.conftest || all || namespaces.iter().any(|n| glob_match(n, &r.package)));
    rules.retain(|r| config.selected(&r.id, r.category.as_deref()));
    for r in rules.iter_mut() {
        if let Some(sev) = config.rules.get(&r.id).and_then(|rc| rc.severity) {
            r.meta.severity = sev;
        }
    }
}

/// tollgate's own rules (`parse-error`, `waiver-*`) always run unless `ignore` names them:
/// selecting a few policy rules should not hide broken inputs or dead waivers.
fn own_rule_selected(cfg: &Config, rule: &str) -> bool {
    !catalog::is_own(rule) || !cfg.ignore.iter().any(|i| i == rule)
}

/// What the filter needs to know about the run.
pub struct FilterContext<'a> {
    pub config: &'a Config,
    /// When files are named: only findings in them are reported.
    pub report_only: Option<&'a BTreeSet<String>>,
    pub no_waivers: bool,
    pub today: &'a str,
    /// Every loaded file's text (inline waivers are read from it).
    pub sources: &'a Sources,
    /// The scalars' byte ranges per file: waiver directives inside them are not comments.
    pub scalars: Option<&'a waiver::ScalarRanges>,
}

/// Filters located findings: own-rule selection, configured severities, the report scope, then
/// waivers (which mark findings and add findings about the waivers themselves).
pub fn apply(mut findings: Vec<Finding>, ctx: &FilterContext<'_>) -> Vec<Finding> {
    let cfg = ctx.config;
    findings.retain(|f| own_rule_selected(cfg, &f.rule));
    for f in findings.iter_mut() {
        if let Some(sev) = cfg.rules.get(&f.rule).and_then(|r| r.severity) {
            f.severity = sev;
        }
    }
    let in_scope = |file: &str| ctx.report_only.is_none_or(|only| only.contains(file));
    findings.retain(|f| in_scope(&f.file));
    if !ctx.no_waivers {
        let mut waivers = match ctx.scalars {
            Some(scalars) => waiver::inline_in_comments(ctx.sources, scalars),
            None => waiver::inline(ctx.sources),
        };
        waivers.retain(|w| in_scope(&w.at_file));
        waivers.extend(waiver::from_config(cfg));
        let about = waiver::apply(&mut findings, &mut waivers, cfg, ctx.today);
        // When files are named, findings about the configuration's waivers are not reported
        // (a waiver unused in these files may be used elsewhere); the waivers still apply.
        findings.extend(
            about
                .into_iter()
                .filter(|f| own_rule_selected(cfg, &f.rule) && in_scope(&f.file)),
        );
    }
    findings
}
