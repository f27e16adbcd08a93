//! Kubernetes manifests: the documents of a YAML stream that have a string `apiVersion` and
//! `kind`. A `kind: List` (or `*List` with `items`) counts one document per manifest item.
//! No file name claims them: any YAML that no other kind names is read, and its content
//! decides (see `structured`).

use crate::model::value;
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
    let doc = |value, spans| Document::new(KIND, 0, value, spans, source.clone());
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
    context: super::NamedContext::Kustomizations,
};

/// The PersistentVolumeClaims among the loaded manifests, for `data.tollgate.kubernetes`:
/// `{"claims": {"<name>": [{"namespace": ns or null, "accessModes": [...]}, …]}}`, so that
/// per-document rules can tell what a workload's claims allow (a ReadWriteOnce claim cannot be
/// attached by a surge pod).
pub fn claim_data(docs: &[Document]) -> Value {
    let mut claims = serde_json::Map::new();
    for d in docs.iter().filter(|d| d.kind == KIND) {
        if value::str_at(&d.value, &["kind"]) != Some("PersistentVolumeClaim") {
            continue;
        }
        let v = &value::to_json(&d.value);
        let Some(name) = v.pointer("/metadata/name").and_then(Value::as_str) else {
            continue;
        };
        let modes: Vec<Value> = v
            .pointer("/spec/accessModes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter(|m| m.is_string()).cloned().collect())
            .unwrap_or_default();
        let entry = serde_json::json!({
            "namespace": v.pointer("/metadata/namespace").filter(|n| n.is_string()),
            "accessModes": modes,
        });
        if let Value::Array(list) = claims
            .entry(name.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            list.push(entry);
        }
    }
    serde_json::json!({ "claims": claims })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanNode;
    use serde_json::json;

    #[test]
    fn claims_are_listed_by_name_with_their_access_modes() {
        let source = SourceFile::new("k.yaml".into(), String::new());
        let doc = |value: Value| Document::new(KIND, 0, value, SpanNode::default(), source.clone());
        let docs = vec![
            doc(
                json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "shop"}, "spec": {"accessModes": ["ReadWriteOnce"]}}),
            ),
            doc(
                json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "shared"}, "spec": {"accessModes": ["ReadWriteMany", 3]}}),
            ),
            doc(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "spec": {}})),
            doc(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "data"}})),
        ];
        assert_eq!(
            claim_data(&docs),
            json!({"claims": {
                "data": [{"namespace": "shop", "accessModes": ["ReadWriteOnce"]}],
                "shared": [{"namespace": null, "accessModes": ["ReadWriteMany"]}],
            }})
        );
    }
}
