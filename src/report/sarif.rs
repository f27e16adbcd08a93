//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One run, whose driver lists a `reportingDescriptor` for every rule in effect and for every
//! other rule that fired (tollgate's own rules are described by the catalog, `crate::model::catalog`):
//! id, name, short and full description, help (text, and Markdown for built-in rules),
//! `helpUri` for built-in rules, default level and tags. Each finding is a result with `ruleId`
//! and `ruleIndex`, level, message, one physical location relative to `%SRCROOT%` (the working
//! directory, which is the repository root in CI) with start and end line and column (columns
//! count Unicode code points; the end is exclusive), related locations, and
//! `partialFingerprints` (see [`fingerprints`]). Waived findings stay, with a `suppressions`
//! entry (`inSource` for inline waivers, `external` for `.tollgate.yml` ones, the reason as
//! `justification`). Policy and configuration errors are tool execution notifications, and make
//! `executionSuccessful` false.
//!
//! GitHub code scanning's constraints hold: every result has a `ruleId` and a location, URIs
//! are relative, and fingerprints are given.

use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

use super::{common, Context, Report};
use crate::model::fingerprint::fingerprints;
use crate::model::{Finding, RuleMeta, Severity, Span, Suppression, SuppressionKind};

pub struct Sarif;

/// The `$schema` written into every log.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The key of tollgate's fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "tollgate/v2";

#[derive(Serialize)]
struct Text {
    text: String,
}

fn text(s: impl Into<String>) -> Text {
    Text { text: s.into() }
}

#[derive(Serialize)]
struct Help {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    markdown: Option<String>,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    start_column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_column: Option<u32>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SuppressionOut {
    kind: &'static str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Location>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    properties: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultOut {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<SuppressionOut>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    properties: Map<String, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    column_kind: &'static str,
    results: Vec<ResultOut>,
    invocations: Vec<Invocation>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    properties: Map<String, Value>,
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

/// The SARIF level of a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// A rule id as a SARIF `name`: PascalCase words (`k8s-probes` → `K8sProbes`).
pub fn pascal_case(id: &str) -> String {
    id.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut cs = w.chars();
            match cs.next() {
                Some(c) => c.to_uppercase().chain(cs).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// Percent-encodes a path into a URI reference (unreserved characters and `/` stay).
pub fn uri_path(path: &str) -> String {
    common::encode_path(path)
}

/// The artifact location of a reported file: relative to `%SRCROOT%`, or a `file://` URI for a
/// file outside the working directory.
fn artifact(file: &str) -> ArtifactLocation {
    let unix = file.replace('\\', "/");
    if unix.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", uri_path(&unix)),
            uri_base_id: None,
        }
    } else if unix.as_bytes().get(1) == Some(&b':') {
        ArtifactLocation {
            uri: format!("file:///{}", uri_path(&unix)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: uri_path(&unix),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

fn region(span: &Span) -> Region {
    let start_line = span.start.line.max(1);
    let start_column = span.start.column.max(1);
    let end_line = span.end.line.max(start_line);
    let end_column = if end_line == start_line {
        span.end.column.max(start_column + 1)
    } else {
        span.end.column.max(1)
    };
    Region {
        start_line,
        start_column,
        end_line: Some(end_line),
        end_column: Some(end_column),
    }
}

fn location(file: &str, span: &Span) -> Location {
    Location {
        id: None,
        physical_location: PhysicalLocation {
            artifact_location: artifact(file),
            region: Some(region(span)),
        },
        message: None,
    }
}

fn suppression(s: &Suppression) -> SuppressionOut {
    let location = s.source.rsplit_once(':').and_then(|(file, line)| {
        let line: u32 = line.parse().ok()?;
        Some(Location {
            id: None,
            physical_location: PhysicalLocation {
                artifact_location: artifact(file),
                region: Some(Region {
                    start_line: line.max(1),
                    start_column: 1,
                    end_line: None,
                    end_column: None,
                }),
            },
            message: None,
        })
    });
    let mut properties = Map::new();
    if let Some(e) = &s.expires {
        properties.insert("expires".into(), Value::String(e.clone()));
    }
    SuppressionOut {
        kind: match s.kind {
            SuppressionKind::Inline => "inSource",
            SuppressionKind::Config => "external",
        },
        status: "accepted",
        justification: s.reason.clone().filter(|r| !r.trim().is_empty()),
        location,
        properties,
    }
}

fn tags(list: &[&str]) -> Map<String, Value> {
    let mut m = Map::new();
    let mut seen: Vec<&str> = Vec::new();
    for t in list {
        if !t.is_empty() && !seen.contains(t) {
            seen.push(t);
        }
    }
    m.insert(
        "tags".into(),
        Value::Array(seen.into_iter().map(|t| Value::String(t.into())).collect()),
    );
    m
}

/// The descriptor of a rule.
fn descriptor(r: &RuleMeta) -> Descriptor {
    let title = r.title.clone().unwrap_or_else(|| r.id.clone());
    let full = r.description.clone().unwrap_or_else(|| title.clone());
    let help_text = match r.docs_url() {
        Some(url) => format!("{full}\n\nSee {url} or run `tollgate explain {}`.", r.id),
        None => format!("{full}\n\nDefined in {}:{}.", r.file, r.line),
    };
    let category = r.category.as_deref().unwrap_or("");
    Descriptor {
        id: r.id.clone(),
        name: pascal_case(&r.id),
        short_description: text(title),
        full_description: text(full),
        help: Help {
            text: help_text,
            markdown: r.readme.clone(),
        },
        help_uri: r.docs_url(),
        default_configuration: Configuration {
            level: level(r.severity),
        },
        properties: tags(&[
            "tollgate",
            category,
            if r.builtin { "builtin" } else { "team-policy" },
        ]),
    }
}

/// The descriptors: every rule in effect, then every other rule that fired (sorted).
fn descriptors(ctx: &Context<'_>) -> Vec<Descriptor> {
    let mut out: Vec<Descriptor> = Vec::new();
    for r in ctx.rules {
        if !out.iter().any(|d| d.id == r.id) {
            out.push(descriptor(r));
        }
    }
    let mut extra: Vec<&Finding> = Vec::new();
    for f in &ctx.outcome.findings {
        if !out.iter().any(|d| d.id == f.rule) && !extra.iter().any(|e| e.rule == f.rule) {
            extra.push(f);
        }
    }
    extra.sort_by(|a, b| a.rule.cmp(&b.rule));
    for f in extra {
        out.push(match ctx.rule(&f.rule) {
            Some(r) => descriptor(r),
            None => Descriptor {
                id: f.rule.clone(),
                name: pascal_case(&f.rule),
                short_description: text(f.rule.clone()),
                full_description: text(f.rule.clone()),
                help: Help {
                    text: f.rule.clone(),
                    markdown: None,
                },
                help_uri: None,
                default_configuration: Configuration {
                    level: level(f.severity),
                },
                properties: tags(&["tollgate"]),
            },
        });
    }
    out
}

/// The working directory as a `file://` URI ending in `/`, for `%SRCROOT%`.
fn srcroot() -> Option<String> {
    let cwd = std::env::current_dir().ok()?;
    let s = cwd.to_string_lossy().replace('\\', "/");
    let s = s.trim_end_matches('/');
    let lead = if s.starts_with('/') { "" } else { "/" };
    Some(format!("file://{lead}{}/", uri_path(s)))
}

/// Renders the log with an explicit `%SRCROOT%` (the [`Report`] impl uses the working
/// directory).
/// GitHub code scanning rejects or truncates large uploads: at most this many results go into
/// a run (errors first, then warnings, then notes; waived ones last), with a notification
/// counting the rest.
pub const MAX_RESULTS: usize = 5_000;
/// At most this many policy and configuration errors go into the notifications.
pub const MAX_NOTIFICATIONS: usize = 1_000;
/// Messages are cut at this many characters.
pub const MAX_MESSAGE: usize = 4_096;

fn clip(s: &str) -> String {
    match s.char_indices().nth(MAX_MESSAGE) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The indices of the findings that fit in [`MAX_RESULTS`], in report order.
fn within_budget(findings: &[crate::model::Finding]) -> Vec<bool> {
    let mut keep = vec![true; findings.len()];
    if findings.len() > MAX_RESULTS {
        let mut order: Vec<usize> = (0..findings.len()).collect();
        order.sort_by_key(|&i| {
            let f = &findings[i];
            (f.suppressed.is_some(), std::cmp::Reverse(f.severity))
        });
        for &i in &order[MAX_RESULTS..] {
            keep[i] = false;
        }
    }
    keep
}

pub fn render_with(ctx: &Context<'_>, root: Option<String>) -> String {
    let o = ctx.outcome;
    let keep = within_budget(&o.findings);
    let left_out = keep.iter().filter(|k| !**k).count();
    let rules = descriptors(ctx);
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, d)| (d.id.as_str(), i))
        .collect();
    let prints = fingerprints(&o.findings);
    let results = o
        .findings
        .iter()
        .zip(prints)
        .zip(&keep)
        .filter(|(_, keep)| **keep)
        .map(|((f, print), _)| {
            let mut properties = Map::new();
            if let Some(p) = &f.path {
                properties.insert("path".into(), Value::String(p.clone()));
            }
            ResultOut {
                rule_id: f.rule.clone(),
                rule_index: index.get(f.rule.as_str()).copied().unwrap_or(0),
                level: level(f.severity),
                message: text(clip(&f.message)),
                locations: vec![location(&f.file, &f.span)],
                related_locations: f
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| Location {
                        id: Some(i + 1),
                        message: Some(text(r.message.clone())),
                        ..location(&r.file, &r.span)
                    })
                    .collect(),
                partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, print)]),
                suppressions: f.suppressed.iter().map(suppression).collect(),
                properties,
            }
        })
        .collect();
    let mut notifications: Vec<Notification> = o
        .errors
        .iter()
        .take(MAX_NOTIFICATIONS)
        .map(|d| Notification {
            level: "error",
            message: text(clip(&d.message)),
            locations: match &d.file {
                Some(file) => vec![Location {
                    id: None,
                    physical_location: PhysicalLocation {
                        artifact_location: artifact(file),
                        region: d.line.map(|l| Region {
                            start_line: l.max(1),
                            start_column: d.column.unwrap_or(1).max(1),
                            end_line: None,
                            end_column: None,
                        }),
                    },
                    message: None,
                }],
                None => Vec::new(),
            },
        })
        .collect();
    if o.errors.len() > MAX_NOTIFICATIONS {
        notifications.push(Notification {
            level: "warning",
            message: text(format!(
                "{} more errors are not included (SARIF limit of {MAX_NOTIFICATIONS}); the JSON report has them all",
                o.errors.len() - MAX_NOTIFICATIONS
            )),
            locations: Vec::new(),
        });
    }
    if left_out > 0 {
        notifications.push(Notification {
            level: "warning",
            message: text(format!(
                "{left_out} more findings are not included (SARIF limit of {MAX_RESULTS} results, errors first); the JSON report has them all"
            )),
            locations: Vec::new(),
        });
    }
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "tollgate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules,
                },
            },
            original_uri_base_ids: root
                .map(|uri| {
                    BTreeMap::from([(
                        "%SRCROOT%",
                        ArtifactLocation {
                            uri,
                            uri_base_id: None,
                        },
                    )])
                })
                .unwrap_or_default(),
            column_kind: "unicodeCodePoints",
            results,
            invocations: vec![Invocation {
                execution_successful: o.errors.is_empty(),
                tool_execution_notifications: notifications,
            }],
            properties: run_properties(o),
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// The run's properties: with a baseline, how many findings it left out as pre-existing and
/// how many of its entries match nothing any more.
fn run_properties(o: &crate::model::Outcome) -> Map<String, Value> {
    let mut p = Map::new();
    if let Some(d) = &o.diff {
        p.insert("diffBase".into(), Value::String(d.base.clone()));
        p.insert("preExisting".into(), Value::from(o.pre_existing));
    }
    if !o.policy_changes.is_empty() {
        p.insert(
            "policyChanges".into(),
            Value::from(o.policy_changes.clone()),
        );
    }
    if !o.skipped_rules.is_empty() {
        p.insert("skippedRules".into(), Value::from(o.skipped_rules.clone()));
    }
    if !o.new_waivers.is_empty() {
        p.insert(
            "newWaivers".into(),
            serde_json::to_value(&o.new_waivers).unwrap_or_default(),
        );
    }
    if let Some(file) = &o.baseline {
        p.insert("baseline".into(), Value::String(file.clone()));
        p.insert("preExisting".into(), Value::from(o.pre_existing));
        p.insert(
            "baselineUnmatched".into(),
            Value::from(o.baseline_unmatched.len()),
        );
    }
    p
}

impl Report for Sarif {
    fn render(&self, ctx: &Context<'_>) -> String {
        render_with(ctx, srcroot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_uris() {
        assert_eq!(pascal_case("k8s-probes"), "K8sProbes");
        assert_eq!(pascal_case("main/deny_latest_tag"), "MainDenyLatestTag");
        let a = artifact("deploy/my app.yaml");
        assert_eq!(a.uri, "deploy/my%20app.yaml");
        assert_eq!(a.uri_base_id, Some("%SRCROOT%"));
        assert_eq!(artifact("/tmp/x.yml").uri, "file:///tmp/x.yml");
        assert_eq!(artifact("/tmp/x.yml").uri_base_id, None);
    }
}
