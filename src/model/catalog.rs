//! The catalog of tollgate's own rules: the findings tollgate raises itself, about inputs it
//! cannot read and about waivers. This table is the only description of them: every report,
//! `tollgate explain`, `tollgate rules` and `docs/rules.md` read it. A new own rule is one entry
//! here (and its id is stable from then on: users write it in waivers and `ignore`).

use std::sync::LazyLock;

use super::rule::{RuleMeta, Scope};
use super::severity::Severity;

pub const PARSE_ERROR: &str = "parse-error";
pub const TEMPLATED_FILE: &str = "templated-file";
pub const WAIVER_EXPIRED: &str = "waiver-expired";
pub const WAIVER_UNUSED: &str = "waiver-unused";
pub const WAIVER_WITHOUT_REASON: &str = "waiver-without-reason";
pub const WAIVER_INVALID_EXPIRY: &str = "waiver-invalid-expiry";
pub const SYMLINK_OUTSIDE_REPOSITORY: &str = "symlink-outside-repository";

/// One of tollgate's own rules.
pub struct OwnRule {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    pub description: &'static str,
}

/// tollgate's own rules: inputs first, then waivers (the order of `docs/rules.md`).
pub const OWN_RULES: &[OwnRule] = &[
    OwnRule {
        id: PARSE_ERROR,
        title: "Input files parse",
        severity: Severity::Error,
        description: "A file that tollgate should read does not parse (YAML or JSON syntax, a truncated report, invalid UTF-8, a file over the size limit, an alias bomb or pathological nesting). It is reported at the error's line and column; every other file is still checked.",
    },
    OwnRule {
        id: TEMPLATED_FILE,
        title: "Templated files are checked once rendered",
        severity: Severity::Note,
        description: "A YAML file that does not parse and holds template expressions (`{{ … }}`, `{% … %}`), outside a Helm chart and of no kind known from its path: a Jinja or Go template, not YAML. It is reported once, at its first expression, and not checked. Check the rendered output instead; `ignore: [templated-file]` silences the note, and `rules: {templated-file: {severity: error}}` makes it fail the run. A file whose kind its path names (a workflow, a compose file) is still a `parse-error`.",
    },
    OwnRule {
        id: SYMLINK_OUTSIDE_REPOSITORY,
        title: "Symlinked inputs stay inside the repository",
        severity: Severity::Error,
        description: "A symlink found while walking a folder that resolves outside the folder being checked (or to something that is not a regular file). tollgate does not follow it, as it would read files the repository does not hold, but kubectl and docker compose would: the link is reported instead of being skipped silently. Symlinks that resolve inside the folder are followed, and their target is checked once.",
    },
    OwnRule {
        id: WAIVER_EXPIRED,
        title: "Waivers are renewed or removed when they expire",
        severity: Severity::Warning,
        description: "A waiver (inline `# tollgate: ignore[…] expires=…` or a `.tollgate.yml` `waivers:` entry) whose expiry date has passed. It suppresses nothing any more; renew it with a reason or fix the findings.",
    },
    OwnRule {
        id: WAIVER_INVALID_EXPIRY,
        title: "Waiver expiry dates are dates",
        severity: Severity::Warning,
        description: "An inline waiver whose `expires=` is not a date (`YYYY-MM-DD`). It suppresses nothing, as an expiry that never comes would make the exception permanent; write the date as `expires=2026-12-31`.",
    },
    OwnRule {
        id: WAIVER_UNUSED,
        title: "Dead waivers are removed",
        severity: Severity::Note,
        description: "A waiver that matches no finding: remove it, so that dead exceptions do not pile up.",
    },
    OwnRule {
        id: WAIVER_WITHOUT_REASON,
        title: "Every waiver says why",
        severity: Severity::Warning,
        description: "A waiver that gives no reason. It still waives; say why the exception is acceptable.",
    },
];

/// Whether `id` is one of tollgate's own rules.
pub fn is_own(id: &str) -> bool {
    OWN_RULES.iter().any(|r| r.id == id)
}

/// The own rule `id`.
pub fn own(id: &str) -> Option<&'static OwnRule> {
    OWN_RULES.iter().find(|r| r.id == id)
}

impl OwnRule {
    /// The rule as every report sees rules.
    pub fn meta(&self) -> RuleMeta {
        RuleMeta {
            id: self.id.to_string(),
            title: Some(self.title.to_string()),
            description: Some(self.description.to_string()),
            severity: self.severity,
            inputs: None,
            scope: Scope::Document,
            settings: serde_json::json!({}),
            settings_schema: None,
            category: None,
            builtin: true,
            readme: Some(format!(
                "# {}\n\n**Severity:** {} · tollgate's own rule\n\n{}\n\n{}\n",
                self.id, self.severity, self.title, self.description
            )),
            file: String::new(),
            line: 0,
        }
    }
}

/// [`OwnRule::meta`] of every own rule.
pub fn own_metas() -> &'static [RuleMeta] {
    static METAS: LazyLock<Vec<RuleMeta>> =
        LazyLock::new(|| OWN_RULES.iter().map(OwnRule::meta).collect());
    &METAS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_rules_are_unique_kebab_case_and_described() {
        let mut ids: Vec<&str> = OWN_RULES.iter().map(|r| r.id).collect();
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for r in OWN_RULES {
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                r.id
            );
            assert!(!r.title.is_empty() && !r.description.is_empty());
            let meta = r.meta();
            assert!(meta
                .readme
                .as_deref()
                .unwrap()
                .starts_with(&format!("# {}\n", r.id)));
            assert!(meta.docs_url().unwrap().ends_with(&format!("#{}", r.id)));
        }
        assert!(is_own(PARSE_ERROR) && !is_own("k8s-probes"));
    }
}
