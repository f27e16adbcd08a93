//! Finding fingerprints: what recognises a finding across runs and edits (SARIF
//! `partialFingerprints`, the JSON report's `fingerprint`, baselines, `--new-only`).
//!
//! A fingerprint hashes the rule id, the file, and the finding's [`identity`]: the identity of
//! its document (for a Kubernetes object `apiVersion`/`kind`/namespace/name, not its index in
//! the stream), the path the rule asked for (not the ancestor the finding was located at) and
//! the canonical JSON of the value at that path when it exists. Findings without a path are
//! identified by their message. Line numbers, source text and (for findings with a path)
//! message wording are never part of it, so a fingerprint survives edits elsewhere in the file,
//! reformatting, reworded messages and inserted documents. Identical findings are told apart by
//! their occurrence: the fingerprint ends in `:N`, the N-th finding with the same hash.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::fmt::Write as _;

use super::finding::Finding;
use super::span::{path_to_string, Seg};
use super::value;

/// The version of the fingerprint scheme (SARIF's `partialFingerprints` key carries it).
pub const VERSION: u32 = 2;

/// FNV-1a, 128 bits: small, stable across Rust versions and platforms.
fn fnv1a128(bytes: &[u8]) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in bytes {
        h ^= *b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

/// JSON with object keys sorted at every level and no whitespace: the same value always gives
/// the same text, whatever the key order or layout of its source.
pub fn canonical_json(v: &Value) -> String {
    let mut out = String::new();
    write_canonical(v, &mut out);
    out
}

fn write_canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                write_canonical(&map[k.as_str()], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The value at `path` in a document's value, if it exists.
pub fn value_at<'a>(v: &'a regorus::Value, path: &[Seg]) -> Option<&'a regorus::Value> {
    path.iter().try_fold(v, |v, seg| match (seg, v) {
        (Seg::Key(k), _) => value::member(v, k),
        (Seg::Index(i), regorus::Value::Array(a)) => a.get(*i),
        _ => None,
    })
}

/// A document's identity within its file: `apiVersion/kind/namespace/name` for an object with
/// a `kind` and a `metadata.name` (Kubernetes and lookalikes), so inserting or reordering
/// documents does not change it; else its index in the stream (`#N`).
pub fn document_identity(v: &regorus::Value, index: usize) -> String {
    let s = |p: &[&str]| value::str_at(v, p);
    match (s(&["kind"]), s(&["metadata", "name"])) {
        (Some(kind), Some(name)) => format!(
            "{}/{kind}/{}/{name}",
            s(&["apiVersion"]).unwrap_or(""),
            s(&["metadata", "namespace"]).unwrap_or("")
        ),
        _ => format!("#{index}"),
    }
}

/// A finding's identity (see [`Finding::identity`]) from its document and the path the rule
/// asked for.
pub fn identity(doc_value: &regorus::Value, doc_index: usize, path: &[Seg]) -> String {
    let mut out = document_identity(doc_value, doc_index);
    out.push('\0');
    out.push_str(&path_to_string(path));
    out.push('\0');
    match value_at(doc_value, path) {
        Some(v) => write_canonical(&value::to_json(v), &mut out),
        None => out.push_str("(absent)"),
    }
    out
}

/// The hash part of a finding's fingerprint (without the occurrence).
fn hash(f: &Finding) -> u128 {
    let mut key = Vec::new();
    let id = match &f.identity {
        Some(id) => id.as_str(),
        None => f.message.as_str(),
    };
    let tag = if f.identity.is_some() { "at" } else { "msg" };
    for part in [f.rule.as_str(), f.file.as_str(), tag, id] {
        key.extend_from_slice(part.as_bytes());
        key.push(0);
    }
    fnv1a128(&key)
}

/// One fingerprint per finding (in order): 32 hex digits, `:`, the finding's occurrence among
/// the findings with the same hash (1-based, in the order given).
pub fn compute(findings: &[Finding]) -> Vec<String> {
    let mut seen: HashMap<u128, usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let h = hash(f);
            let n = seen.entry(h).or_insert(0);
            *n += 1;
            let mut s = String::with_capacity(40);
            let _ = write!(s, "{h:032x}:{n}");
            s
        })
        .collect()
}

/// Sets every finding's `fingerprint` (call once the findings are sorted).
pub fn assign(findings: &mut [Finding]) {
    let prints = compute(findings);
    for (f, print) in findings.iter_mut().zip(prints) {
        f.fingerprint = print;
    }
}

/// The fingerprints of `findings`: those set by the check, or computed when some are missing
/// (an outcome built by hand).
pub fn fingerprints(findings: &[Finding]) -> Vec<String> {
    if findings.iter().all(|f| !f.fingerprint.is_empty()) {
        findings.iter().map(|f| f.fingerprint.clone()).collect()
    } else {
        compute(findings)
    }
}

/// One entry of a baseline file (`.tollgate-baseline.json`): a finding known and accepted.
/// `rule`, `file` and `path` are there for people reading the file and for moving entries with
/// renamed files; matching uses the fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub file: String,
    pub rule: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub fingerprint: String,
}

impl BaselineEntry {
    pub fn of(f: &Finding) -> BaselineEntry {
        BaselineEntry {
            file: f.file.clone(),
            rule: f.rule.clone(),
            path: f.path.clone(),
            fingerprint: f.fingerprint.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Pos, Severity, Span};
    use serde_json::json;

    fn finding(file: &str, line: u32, identity: Option<String>, message: &str) -> Finding {
        let p = |column| Pos {
            line,
            column,
            offset: 0,
        };
        Finding {
            rule: "team-rule".into(),
            severity: Severity::Warning,
            message: message.into(),
            file: file.into(),
            span: Span::new(p(1), p(5)),
            path: None,
            document: 0,
            related: Vec::new(),
            pinpointed: false,
            suppressed: None,
            identity,
            fingerprint: String::new(),
        }
    }

    fn segs(keys: &[&str]) -> Vec<Seg> {
        keys.iter().map(|k| Seg::from(*k)).collect()
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level() {
        let a = json!({"b": [1, {"y": 2, "x": "s"}], "a": null});
        assert_eq!(canonical_json(&a), r#"{"a":null,"b":[1,{"x":"s","y":2}]}"#);
        let b: Value = serde_json::from_str(r#"{ "a" : null , "b":[1,{"x":"s","y":2}] }"#).unwrap();
        assert_eq!(canonical_json(&a), canonical_json(&b));
    }

    #[test]
    fn kubernetes_documents_are_identified_by_kind_namespace_and_name() {
        let d = value::from_json(json!({"apiVersion": "apps/v1", "kind": "Deployment",
                       "metadata": {"name": "api", "namespace": "prod"}}));
        assert_eq!(document_identity(&d, 3), "apps/v1/Deployment/prod/api");
        assert_eq!(
            document_identity(&d, 3),
            document_identity(&d, 0),
            "the index does not matter"
        );
        assert_eq!(
            document_identity(&value::from_json(json!({"services": {}})), 2),
            "#2"
        );
    }

    #[test]
    fn identity_uses_the_requested_path_and_the_value_there() {
        let json = json!({"kind": "Pod", "metadata": {"name": "p"},
                       "spec": {"containers": [{"image": "a:latest"}], "replicas": 2.0}});
        let d = value::from_json(json.clone());
        let path = vec![
            Seg::from("spec"),
            Seg::from("containers"),
            Seg::Index(0),
            Seg::from("image"),
        ];
        let id = identity(&d, 0, &path);
        assert!(
            id.ends_with("\0spec.containers[0].image\0\"a:latest\""),
            "{id:?}"
        );
        // A path that does not exist (a missing field) is part of the identity as absent.
        let missing = identity(&d, 0, &segs(&["spec", "securityContext"]));
        assert!(missing.ends_with("\0(absent)"), "{missing:?}");
        let mut other = json.clone();
        other["spec"]["containers"][0]["image"] = json!("a:1.2");
        assert_ne!(identity(&value::from_json(other), 0, &path), id);
        // Numbers as written: a float stays a float (fingerprints of earlier versions, which
        // held documents as JSON, are unchanged).
        let replicas = identity(&d, 0, &segs(&["spec", "replicas"]));
        assert!(replicas.ends_with("\0spec.replicas\x002.0"), "{replicas:?}");
    }

    #[test]
    fn fingerprints_ignore_lines_and_messages_and_count_repeats() {
        let id = || Some("#0\0x\0one".to_string());
        let before = compute(&[finding("a.yml", 2, id(), "old wording")]);
        let after = compute(&[finding("a.yml", 40, id(), "new wording")]);
        assert_eq!(before, after);
        let elsewhere = compute(&[finding("b.yml", 2, id(), "old wording")]);
        assert_ne!(before, elsewhere, "the file is part of it");
        let twice = compute(&[
            finding("a.yml", 1, id(), "m"),
            finding("a.yml", 9, id(), "m"),
        ]);
        assert_eq!(twice[0], before[0]);
        assert_eq!(
            twice[0].split_once(':').unwrap().0,
            twice[1].split_once(':').unwrap().0
        );
        assert!(twice[1].ends_with(":2"), "{twice:?}");
        // Without an identity, the message identifies the finding.
        let a = compute(&[finding("a.yml", 1, None, "one")]);
        let b = compute(&[finding("a.yml", 7, None, "one")]);
        let c = compute(&[finding("a.yml", 1, None, "two")]);
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a[0].len(), 34, "{a:?}");
    }

    #[test]
    fn assigned_fingerprints_are_kept() {
        let mut fs = vec![
            finding("a.yml", 1, None, "one"),
            finding("a.yml", 2, None, "one"),
        ];
        assign(&mut fs);
        assert!(fs[1].fingerprint.ends_with(":2"));
        // Dropping the first keeps the second's fingerprint (no renumbering).
        let rest = fs.split_off(1);
        assert_eq!(fingerprints(&rest), vec![fs_print(&rest[0])]);
    }

    fn fs_print(f: &Finding) -> String {
        f.fingerprint.clone()
    }
}
