//! What every layer knows about a rule: the policy layer fills a [`RuleMeta`] from a Rego
//! package's METADATA (or the catalog of tollgate's own rules does), and reports read it.

use serde_json::Value;

use super::kind::Kind;
use super::severity::Severity;

/// Where a rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `input` is one document.
    Document,
    /// `input` is `{"documents": [{"file", "kind", "index", "content"}, …]}`.
    Project,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Document => "document",
            Scope::Project => "project",
        }
    }
}

/// A rule's description.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMeta {
    /// Stable id (users write it in waivers).
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Default severity.
    pub severity: Severity,
    /// Kinds the rule reads; `None` = every document.
    pub inputs: Option<Vec<Kind>>,
    pub scope: Scope,
    /// Default settings, from METADATA (`data.tollgate.config[id]`).
    pub settings: Value,
    /// The JSON schema of the rule's settings mapping (METADATA `custom.schema`), when it
    /// declares one; the configuration's settings for the rule are validated against it.
    pub settings_schema: Option<Value>,
    /// The category usable in `select`/`ignore` (a built-in rule's top folder under `policies/`).
    pub category: Option<String>,
    /// Part of tollgate (the built-in pack or tollgate's own rules): documented online.
    pub builtin: bool,
    /// The rule's documentation (Markdown).
    pub readme: Option<String>,
    /// The policy file (as displayed) and the line of its package or METADATA; empty for
    /// tollgate's own rules.
    pub file: String,
    pub line: u32,
}

impl RuleMeta {
    pub fn applies_to(&self, kind: Kind) -> bool {
        match &self.inputs {
            None => true,
            Some(kinds) => kinds.contains(&kind),
        }
    }

    pub fn input_names(&self) -> String {
        match &self.inputs {
            None => "any".to_string(),
            Some(k) => k.iter().map(|k| k.name()).collect::<Vec<_>>().join(","),
        }
    }

    /// The documentation link of a rule that is part of tollgate (team rules have none).
    pub fn docs_url(&self) -> Option<String> {
        self.builtin.then(|| docs_url(&self.id))
    }
}

/// The documentation link of a rule of tollgate's, in the docs of this version (its release
/// tag), so that a link never describes a rule as a later version changed it.
pub fn docs_url(rule: &str) -> String {
    format!(
        "{}/blob/v{}/docs/rules.md#{rule}",
        env!("CARGO_PKG_REPOSITORY"),
        env!("CARGO_PKG_VERSION")
    )
}
