//! Trivy JSON reports. Both layouts normalize to the schema-2 shape
//! `{"SchemaVersion": 2, "ArtifactName": …, "Results": [{"Target", "Vulnerabilities": […],
//! "Misconfigurations": […]}]}`; the legacy layout (a top-level array of results) becomes
//! `{"SchemaVersion": 1, "Results": [...]}` with spans still pointing into the original file.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::{yaml::YamlDoc, Format, KindSpec, Loader};
use crate::model::{Children, Kind, SpanNode};

pub const KIND: Kind = Kind("trivy");

/// Recognised by content (see `structured`); the report globs find reports CI wrote into
/// gitignored folders.
pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &[],
    category: Some("trivy"),
    summary: "Trivy JSON reports (schema 2 and the legacy array layout)",
    forceable: true,
    report_globs: &["**/trivy*.json", "**/*.trivy.json"],
    named: super::parse::never,
    load: Loader::Content(Format::Json),
};

fn looks_like_result(v: &Value) -> bool {
    v.get("Target").is_some()
        && (v.get("Vulnerabilities").is_some()
            || v.get("Misconfigurations").is_some()
            || v.get("Class").is_some()
            || v.get("Type").is_some())
}

pub fn normalize(doc: &YamlDoc) -> Option<(Value, SpanNode)> {
    match &doc.value {
        Value::Object(o) => {
            let results_ok = match o.get("Results") {
                Some(Value::Array(rs)) => rs.iter().all(|r| r.get("Target").is_some()),
                None => false,
                _ => false,
            };
            let is_trivy = (o.contains_key("SchemaVersion")
                && (results_ok || o.contains_key("ArtifactName")))
                || (results_ok && o.contains_key("ArtifactType"));
            is_trivy.then(|| (doc.value.clone(), doc.spans.clone()))
        }
        Value::Array(items) if !items.is_empty() && items.iter().all(looks_like_result) => {
            let value = json!({"SchemaVersion": 1, "Results": items});
            let mut results = doc.spans.clone();
            results.key = None;
            let mut children = BTreeMap::new();
            children.insert("Results".to_string(), results);
            let spans = SpanNode {
                children: Children::Map(children),
                ..SpanNode::leaf(doc.spans.value)
            };
            Some((value, spans))
        }
        _ => None,
    }
}
