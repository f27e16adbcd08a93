//! Kubernetes manifests: the documents of a YAML stream that have a string `apiVersion` and
//! `kind`. A `kind: List` (or `*List` with `items`) counts one document per manifest item.
//! No file name claims them: any YAML that no other kind names is read, and its content
//! decides (see `structured`).

use serde_json::Value;
use std::sync::Arc;

use super::{yaml::YamlDoc, Document, Format, KindSpec, Loader};
use crate::model::{Children, Kind, SourceFile};

pub const KIND: Kind = Kind("kubernetes");

fn is_manifest(v: &Value) -> bool {
    v.get("apiVersion").is_some_and(Value::is_string) && v.get("kind").is_some_and(Value::is_string)
}

fn is_list(v: &Value) -> bool {
    v.get("kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k == "List" || k.ends_with("List") && v.get("items").is_some())
}

/// Splits a parsed stream into its manifests (documents of this kind, not yet numbered) and
/// the other documents.
pub fn recognise(source: &Arc<SourceFile>, docs: Vec<YamlDoc>) -> (Vec<Document>, Vec<YamlDoc>) {
    let mut manifests = Vec::new();
    let mut rest = Vec::new();
    let doc = |value, spans| Document {
        kind: KIND,
        index: 0,
        value,
        spans,
        source: source.clone(),
    };
    for d in docs {
        if !is_manifest(&d.value) {
            rest.push(d);
            continue;
        }
        if is_list(&d.value) {
            if let (Some(Value::Array(items)), Children::Map(m)) =
                (d.value.get("items"), &d.spans.children)
            {
                let item_spans = match m.get("items").map(|n| &n.children) {
                    Some(Children::Seq(s)) => s.clone(),
                    _ => Vec::new(),
                };
                for (j, item) in items.iter().enumerate() {
                    if is_manifest(item) {
                        let spans = item_spans.get(j).cloned().unwrap_or_default();
                        manifests.push(doc(item.clone(), spans));
                    }
                }
                continue;
            }
        }
        manifests.push(doc(d.value, d.spans));
    }
    (manifests, rest)
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &["k8s"],
    category: Some("kubernetes"),
    summary: "Kubernetes manifests (YAML documents with `apiVersion` and `kind`)",
    forceable: true,
    report_globs: &[],
    named: super::parse::never,
    load: Loader::Content(Format::Yaml),
};
