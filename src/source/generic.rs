//! Generic YAML and JSON: files named on the command line (or forced by the configuration) that
//! hold no known kind, so that team policies can check any YAML or JSON file.

use super::{Format, KindSpec, Loader};
use crate::model::Kind;

pub const YAML: Kind = Kind("yaml");
pub const JSON: Kind = Kind("json");

pub static YAML_SPEC: KindSpec = KindSpec {
    kind: YAML,
    aliases: &[],
    category: None,
    summary: "a YAML file of no known kind, named on the command line",
    forceable: false,
    report_globs: &[],
    named: super::parse::never,
    load: Loader::Content(Format::Yaml),
    context: super::NamedContext::Alone,
};

pub static JSON_SPEC: KindSpec = KindSpec {
    kind: JSON,
    aliases: &[],
    category: None,
    summary: "a JSON file of no known kind, named on the command line",
    forceable: false,
    report_globs: &[],
    named: super::parse::never,
    load: Loader::Content(Format::Json),
    context: super::NamedContext::Alone,
};
