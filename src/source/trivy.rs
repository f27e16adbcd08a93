//! Trivy JSON reports. Both layouts normalize to the schema-2 shape
//! `{"SchemaVersion": 2, "ArtifactName": …, "Results": [{"Target", "Vulnerabilities": […],
//! "Misconfigurations": […]}]}`; the legacy layout (a top-level array of results) becomes
//! `{"SchemaVersion": 1, "Results": [...]}` with spans still pointing into the original file.

use serde_json::{json, Value};
use std::collections::BTreeMap;

use super::{yaml::YamlDoc, Format, KindSpec, Loader};
use crate::model::{Children, Kind, Seg, SpanNode};

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
    context: super::NamedContext::RootTrivyignore,
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
                children: Children::Map(children.into()),
                ..SpanNode::leaf(doc.spans.value)
            };
            Some((value, spans))
        }
        _ => None,
    }
}

/// What makes a (normalized) Trivy report unusable, and where: a wrongly typed field would
/// otherwise hide its vulnerabilities from the rules (fail open). Messages name the field and
/// the expected type, never the value.
pub fn problem(report: &Value) -> Option<(Vec<Seg>, String)> {
    let at = |segs: &[Seg], m: String| Some((segs.to_vec(), format!("invalid Trivy report: {m}")));
    if let Some(v) = report.get("SchemaVersion") {
        if v.as_u64().is_none() {
            return at(
                &[Seg::from("SchemaVersion")],
                "`SchemaVersion` must be a number".into(),
            );
        }
    }
    let results = match report.get("Results") {
        None | Some(Value::Null) => return None,
        Some(Value::Array(rs)) => rs,
        Some(_) => return at(&[Seg::from("Results")], "`Results` must be a list".into()),
    };
    for (i, r) in results.iter().enumerate() {
        let base = [Seg::from("Results"), Seg::Index(i)];
        if !r.is_object() {
            return at(&base, "each result must be a mapping".into());
        }
        for list in ["Vulnerabilities", "Misconfigurations"] {
            let items = match r.get(list) {
                None | Some(Value::Null) => continue,
                Some(Value::Array(items)) => items,
                Some(_) => {
                    let mut p = base.to_vec();
                    p.push(Seg::from(list));
                    return at(&p, format!("`{list}` must be a list"));
                }
            };
            for (j, item) in items.iter().enumerate() {
                let mut p = base.to_vec();
                p.extend([Seg::from(list), Seg::Index(j)]);
                if !item.is_object() {
                    return at(&p, format!("each of `{list}` must be a mapping"));
                }
                for field in ["Severity", "VulnerabilityID", "ID", "PkgName"] {
                    match item.get(field) {
                        None | Some(Value::Null) | Some(Value::String(_)) => {}
                        Some(_) => {
                            p.push(Seg::from(field));
                            return at(&p, format!("`{field}` must be a string"));
                        }
                    }
                }
                if let Some(Value::String(sev)) = item.get("Severity") {
                    if !["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(&sev.as_str()) {
                        p.push(Seg::from("Severity"));
                        return at(
                            &p,
                            "`Severity` must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL".into(),
                        );
                    }
                }
            }
        }
    }
    None
}
