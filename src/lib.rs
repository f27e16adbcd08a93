//! tollgate: a policy-as-code gatekeeper for CI/CD.
//!
//! The pipeline (one module a stage): [`discover`] files → [`source`] loads them into
//! [`source::Document`]s with span trees → [`policy`] evaluates Rego (regorus) → [`locate`]
//! turns rule paths into file:line:column → [`report`] renders. [`check`] wires them together.

pub mod check;
pub mod cli;
pub mod config;
pub mod discover;
pub mod finding;
pub mod locate;
pub mod policy;
pub mod report;
pub mod source;
pub mod testing;
pub mod waiver;
