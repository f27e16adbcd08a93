//! YAML and JSON files that no kind claims by name: parsed once, then recognised from their
//! content. A YAML stream's documents with `apiVersion` and `kind` are Kubernetes manifests; a
//! JSON file is a Trivy report or an istanbul summary by its keys; an XML file is a Cobertura
//! report by its root element. A file named on the command line that holds none of these loads
//! as generic YAML or JSON, so that team policies can check any file.

use std::sync::Arc;

use super::parse::{each_document, parse_structured};
use super::{coverage, generic, kubernetes, trivy, Document, Format, LoadContext, Loaded};
use crate::model::SourceFile;

/// True when a JSON file that does not parse was plausibly meant for tollgate: a Trivy report,
/// a coverage summary or a Kubernetes manifest (by its name or its first bytes).
fn claims_json(source: &SourceFile) -> bool {
    let name = source.file_name_lower();
    let head: String = source.text.chars().take(4096).collect();
    name.starts_with("trivy")
        || name.contains("coverage")
        || [
            "\"SchemaVersion\"",
            "\"ArtifactName\"",
            "\"Vulnerabilities\"",
            "\"apiVersion\"",
        ]
        .iter()
        .any(|m| head.contains(m))
}

/// Loads a YAML stream whose kind its content decides: Kubernetes manifests, else (named files
/// only) generic YAML.
pub fn load_yaml(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    let docs = match parse_structured(source, false, ctx.limits) {
        Ok(d) => d,
        Err(e) => return Loaded::parse_error(source, e.pos, e.message),
    };
    let (manifests, rest) = kubernetes::recognise(source, docs);
    if !manifests.is_empty() || !ctx.explicit {
        return numbered(manifests);
    }
    each_document(source, generic::YAML, rest)
}

/// Loads a JSON file whose kind its content decides: a Trivy report, an istanbul summary, else
/// (named files only) generic JSON. A broken JSON file that is not plausibly ours is skipped.
pub fn load_json(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    let docs = match parse_structured(source, true, ctx.limits) {
        Ok(d) => d,
        // Some other JSON (JSONC like tsconfig.json, say): not ours to judge.
        Err(_) if !ctx.explicit && !claims_json(source) => return Loaded::default(),
        Err(e) => return Loaded::parse_error(source, e.pos, e.message),
    };
    let Some(d) = docs.into_iter().next() else {
        return Loaded::default();
    };
    let doc = |kind, (value, spans)| Document {
        kind,
        index: 0,
        value,
        spans,
        source: source.clone(),
    };
    let mut out = Loaded::default();
    if let Some(v) = trivy::normalize(&d) {
        if let Some(problem) = trivy::problem(&v.0) {
            return super::located_problem(source, &v.1, problem);
        }
        out.documents.push(doc(trivy::KIND, v));
    } else if let Some(problem) = coverage::istanbul_problem(&d.value) {
        return super::located_problem(source, &d.spans, problem);
    } else if let Some(v) = coverage::normalize_istanbul(d.clone()) {
        out.documents.push(doc(coverage::KIND, v));
    } else if ctx.explicit {
        out.documents.push(doc(generic::JSON, (d.value, d.spans)));
    }
    out
}

/// Loads a file whose kind its content decides.
pub fn load(source: &Arc<SourceFile>, format: Format, ctx: LoadContext) -> Loaded {
    match format {
        Format::Yaml => load_yaml(source, ctx),
        Format::Json => load_json(source, ctx),
        Format::Xml => coverage::load_cobertura(source.clone(), ctx.explicit),
    }
}

fn numbered(documents: Vec<Document>) -> Loaded {
    let mut out = Loaded {
        documents,
        ..Loaded::default()
    };
    for (n, d) in out.documents.iter_mut().enumerate() {
        d.index = n;
    }
    out
}
