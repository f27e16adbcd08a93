//! The model: the types every stage and report shares, at the bottom of the crate. Nothing here
//! depends on another module of tollgate; everything else may depend on this.
//!
//! - [`span`]: positions, spans, paths into documents and the span tree that mirrors a
//!   document (with [`span::locate`], the resolution of a path to a span);
//! - [`source_file`]: a file's text with its line index;
//! - [`kind`]: the name of an input kind (the registry of kinds is `crate::source`);
//! - [`finding`]: findings (raw and located), severities, waivers' marks, diagnostics;
//! - [`rule`]: what is known about a rule ([`RuleMeta`]);
//! - [`catalog`]: tollgate's own rules (`parse-error`, `waiver-*`);
//! - [`commands`]: neutralising text that would become GitHub Actions workflow commands;
//! - [`outcome`]: the result of a run; [`fingerprint`]: stable finding fingerprints;
//! - [`value`]: documents' values as the engine holds them, and their JSON.

pub mod catalog;
pub mod commands;
pub mod finding;
pub mod fingerprint;
pub mod kind;
pub mod outcome;
pub mod rule;
pub mod severity;
pub mod source_file;
pub mod span;
pub mod value;

pub use finding::{
    Diagnostic, Finding, RawFinding, Related, Severity, Suppression, SuppressionKind,
};
pub use kind::Kind;
pub use outcome::{DiffInfo, NewWaiver, Outcome};
pub use rule::{RuleMeta, Scope};
pub use source_file::{SourceFile, Sources};
pub use span::{path_to_string, Children, LineIndex, Pos, Seg, Span, SpanMap, SpanNode};

/// Today's date in UTC (`YYYY-MM-DD`), the default for expiry checks.
pub fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}
