//! tollgate: a policy-as-code gatekeeper for CI/CD.
//!
//! The layers, each depending only on those listed before it (`CONTRIBUTING.md` has the map):
//!
//! - [`stats`]: what a run read (for `--timings`);
//! - [`confined`]: reading files that repository content names, inside the repository only;
//! - [`model`]: findings, spans, rules' descriptions, the outcome, tollgate's own rules;
//! - [`source`]: the registry of input kinds and their loaders (text → [`source::Document`]s);
//! - [`config`]: `.tollgate.yml`; [`policy`]: the Rego side (regorus);
//! - the pipeline stages: [`discover`] files (or, when files are named, [`named`] loads their
//!   context) → [`read`] them → [`evaluate`] rules
//!   ([`pinpoint`] finds paths for findings that have none) → [`locate`] findings → [`filter`]
//!   (selection, waivers; [`waiver`]) — wired by [`check`];
//! - [`baseline`]: baseline files (findings accepted for now), applied by [`check`];
//! - [`git`]: the repository (diff base, changed files, files at a revision), for the diff modes;
//! - [`app`]: setting up a run (config, policies, data); [`testing`]: `tollgate test`;
//! - [`report`]: the output formats, which read only the model;
//! - [`github`]: the GitHub API (check runs, the sticky pull-request comment), over the reports;
//! - [`cli`]: the command line, on top.

pub mod app;
pub mod baseline;
pub mod check;
pub mod cli;
pub mod config;
pub mod confined;
pub mod discover;
pub mod evaluate;
pub mod filter;
pub mod git;
pub mod github;
pub mod locate;
pub mod model;
pub mod named;
pub mod pinpoint;
pub mod policy;
pub mod read;
pub mod report;
pub mod source;
pub mod stats;
pub mod testing;
pub mod waiver;
