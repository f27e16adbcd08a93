//! Output formats, one module each behind [`Report`].

pub mod human;
pub mod json;

use crate::check::Outcome;
use crate::policy::Rule;

/// What every report sees.
pub struct Context<'a> {
    pub outcome: &'a Outcome,
    pub rules: &'a [Rule],
    pub color: bool,
}

/// An output format.
pub trait Report {
    fn render(&self, ctx: &Context<'_>) -> String;
}

/// The documentation link of a rule.
pub fn rule_url(rule: &str) -> String {
    format!("https://github.com/tollgate-dev/tollgate/blob/main/docs/rules.md#{rule}")
}
