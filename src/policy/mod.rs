//! The Rego side, one module a job:
//!
//! - [`pack`]: the built-in pack embedded at build time, and reading policy folders;
//! - [`rego_text`]: what tollgate reads from Rego source itself (package, entry rules);
//! - [`metadata`]: `# METADATA` blocks;
//! - [`load`]: one regorus engine for every policy, isolating broken modules, and the rules;
//! - [`eval`]: evaluating a rule and turning its results into raw findings;
//! - [`builtins`]: conftest's builtins as engine extensions;
//! - [`docs`]: generates `docs/rules.md`;
//! - [`error`]: the layer's typed errors.
//!
//! One regorus engine holds every policy; it is compiled once per run and cloned per worker
//! thread (a clone of a prepared engine is cheap). Only the packages whose METADATA `input`
//! matches a document's kind are evaluated against it.

pub mod builtins;
pub mod docs;
pub mod error;
pub mod eval;
pub mod load;
pub mod metadata;
pub mod opa_builtins;
pub mod pack;
pub mod rego_text;

use std::ops::Deref;

use crate::model::{RuleMeta, Severity};

pub use error::PolicyError;
pub use eval::evaluate;
pub use load::{LoadOptions, PolicySet, DEFAULT_POLICY_TIMEOUT};
pub use pack::PolicySource;

/// A rule: one package with a METADATA id (all its `deny`/`warn`/`violation` rules), or one
/// entry rule of a package without (named `<package>/<rule>`). Its description, which every
/// report reads, is its [`RuleMeta`] (the rule derefs to it).
#[derive(Clone, Debug)]
pub struct Rule {
    pub meta: RuleMeta,
    pub package: String,
    /// Entry rules evaluated: `deny`, `warn_latest`, …
    pub entries: Vec<String>,
    /// A conftest-style rule (a team policy without METADATA id): subject to `--namespace`,
    /// `--combine` and the package's `exception` rules.
    pub conftest: bool,
    /// The package defines conftest `exception` rules.
    pub exception: bool,
}

impl Deref for Rule {
    type Target = RuleMeta;
    fn deref(&self) -> &RuleMeta {
        &self.meta
    }
}

impl Rule {
    /// Severity of a result of entry rule `entry`: `warn*` entries are warnings.
    fn entry_severity(&self, entry: &str) -> Severity {
        if entry.starts_with("warn") {
            Severity::Warning
        } else {
            self.meta.severity
        }
    }
}
