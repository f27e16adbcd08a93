//! Kustomize: the files a `kustomization.yaml` lists as patches are partial objects (a
//! three-line `replicas:` patch), not manifests. They are not checked as manifests; the
//! `resources:` (bases) they patch are.

use serde_json::Value;
use std::path::Path;

use super::yaml;
use crate::model::LineIndex;

/// The names of a kustomization file.
pub const FILE_NAMES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Whether a file is a kustomization, by its name (`kustomization.yaml`, `kustomization.yml`,
/// `Kustomization`).
pub fn is_kustomization(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| FILE_NAMES.contains(&n))
}

/// The patch files a kustomization's text names, as written: `patches[].path`,
/// `patchesStrategicMerge[]` (file names, not inline patches) and `patchesJson6902[].path`.
pub fn patch_paths(text: &str) -> Vec<String> {
    let lines = LineIndex::new(text);
    let Ok(docs) = yaml::parse(text, &lines, yaml::Limits::default()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for d in docs {
        for key in ["patches", "patchesJson6902", "patchesStrategicMerge"] {
            let Some(Value::Array(items)) = d.value.get(key) else {
                continue;
            };
            for item in items {
                match item {
                    // An inline strategic-merge patch is YAML text, not a file name.
                    Value::String(s) if !s.contains('\n') && !s.contains(": ") => {
                        out.push(s.clone())
                    }
                    Value::Object(o) => {
                        if let Some(Value::String(p)) = o.get("path") {
                            out.push(p.clone());
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_paths_of_every_form() {
        let text = "resources: [../../base]\npatches:\n  - path: replicas.yaml\n    target: {kind: Deployment}\n  - patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 3\npatchesStrategicMerge:\n  - memory.yaml\n  - |-\n    apiVersion: apps/v1\n    kind: Deployment\npatchesJson6902:\n  - target: {kind: Deployment, name: api}\n    path: ops/json.yaml\n";
        assert_eq!(
            patch_paths(text),
            vec!["replicas.yaml", "ops/json.yaml", "memory.yaml"]
        );
        assert!(patch_paths("patches: [").is_empty());
        assert!(is_kustomization(Path::new(
            "overlays/prod/kustomization.yaml"
        )));
        assert!(!is_kustomization(Path::new("kustomization.json")));
    }
}
