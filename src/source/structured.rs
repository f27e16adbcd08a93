//! YAML and JSON files that no kind claims by name: parsed once, then recognised from their
//! content. A YAML stream's documents with `apiVersion` and `kind` are Kubernetes manifests; a
//! JSON file is a Trivy report or an istanbul summary by its keys; an XML file is a Cobertura
//! report by its root element. A file named on the command line that holds none of these loads
//! as generic YAML or JSON, so that team policies can check any file.

use std::sync::Arc;

use super::parse::{each_document, parse_structured, parse_yaml};
use super::yaml::Schema;
use super::{coverage, generic, kubernetes, trivy, Document, Format, LoadContext, Loaded};
use crate::model::{catalog, Finding, SourceFile};

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

/// The first template expression (`{{ … }}` or `{% … %}`) of a text, by byte offset. A GitHub
/// Actions expression (`${{ … }}`) is not a template.
fn template_marker(text: &str) -> Option<usize> {
    let jinja = text.find("{%");
    let go = text
        .match_indices("{{")
        .map(|(i, _)| i)
        .find(|&i| i == 0 || text.as_bytes()[i - 1] != b'$');
    [jinja, go].into_iter().flatten().min()
}

/// The first template expression in a place where YAML reads it as syntax, not text: a line
/// that starts with one, or a value (after `key: ` or `- `) that does. `"{{ x }}"` in quotes is
/// a string, and such files are checked as they are.
fn unquoted_template(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim_start();
        let starts = |s: &str| s.starts_with("{{") || s.starts_with("{%");
        let mut at = None;
        if starts(t) {
            at = Some(line.len() - t.len());
        } else {
            let rest = t.strip_prefix("- ").unwrap_or(t);
            if let Some(i) = rest.find(": ") {
                let v = rest[i + 2..].trim_start();
                if starts(v) {
                    at = Some(line.len() - v.len());
                }
            } else if starts(rest.trim_start()) {
                at = Some(line.len() - rest.trim_start().len());
            }
        }
        if let Some(a) = at {
            if !t.starts_with('#') {
                return Some(offset + a);
            }
        }
        offset += line.len();
    }
    None
}

/// A file with template expressions that does not parse as YAML: a `templated-file` note
/// (not a parse error) at its first expression.
fn templated(source: &Arc<SourceFile>, offset: usize) -> Loaded {
    let pos = source.pos(offset);
    let f = Finding::own(
        catalog::TEMPLATED_FILE,
        source.path.clone(),
        source.rest_of_line(pos),
        format!(
            "templated file (a template expression at line {}), not checked: check the rendered output, or exclude the file",
            pos.line
        ),
    );
    Loaded {
        findings: vec![f],
        ..Loaded::default()
    }
}

/// Loads a YAML stream whose kind its content decides: Kubernetes manifests, else (named files
/// only) generic YAML. Manifests are read as kubectl reads them ([`Schema::Kubectl`]: YAML 1.1
/// booleans and octal), which takes a second parse only when some plain scalar reads
/// differently. A stream that does not parse and holds template expressions, or that has one
/// where YAML reads it as syntax (`name: {{ .name }}`), is a template (Jinja, Go templates),
/// reported once as a `templated-file` note.
pub fn load_yaml(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    let mut parsed = parse_yaml(source, ctx.limits, Schema::Core);
    if !parsed.errors.is_empty() {
        if let Some(offset) = template_marker(&source.text) {
            return templated(source, offset);
        }
    }
    let (mut manifests, rest) = kubernetes::recognise(source, std::mem::take(&mut parsed.docs));
    // A file that parsed is a template only if it would be checked (manifests, or named).
    if parsed.errors.is_empty() && (!manifests.is_empty() || ctx.explicit) {
        if let Some(offset) = unquoted_template(&source.text) {
            return templated(source, offset);
        }
    }
    if !manifests.is_empty() && parsed.kubectl_differs {
        let again = parse_yaml(source, ctx.limits, Schema::Kubectl);
        manifests = kubernetes::recognise(source, again.docs).0;
    }
    let mut out = if !manifests.is_empty() || !ctx.explicit {
        numbered(manifests)
    } else {
        each_document(source, generic::YAML, rest)
    };
    out.add_parse_errors(source, parsed.errors);
    out
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
    let doc = |kind, (value, spans)| Document::new(kind, 0, value, spans, source.clone());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::span::locate;
    use crate::model::value::to_json;
    use crate::model::{Seg, Severity};
    use crate::source::yaml::Limits;
    use serde_json::json;

    fn load(name: &str, text: &str) -> Loaded {
        let source = SourceFile::new(name.to_string(), text.to_string());
        load_yaml(
            &source,
            LoadContext {
                explicit: false,
                limits: Limits::default(),
            },
        )
    }

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {tier: \"yes\"}\nspec:\n  securityContext:\n    runAsNonRoot: yes\n    runAsUser: 01750\n  hostNetwork: Off\n  containers:\n    - name: a\n      image: a\n      tty: 'on'\n";

    #[test]
    fn manifests_read_yaml_1_1_booleans_and_octal_as_kubectl_does() {
        let l = load("pod.yaml", POD);
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        let v = &to_json(&l.documents[0].value);
        assert_eq!(v["spec"]["securityContext"]["runAsNonRoot"], json!(true));
        assert_eq!(v["spec"]["securityContext"]["runAsUser"], json!(1000));
        assert_eq!(v["spec"]["hostNetwork"], json!(false));
        // Quoted scalars stay strings.
        assert_eq!(v["metadata"]["labels"]["tier"], json!("yes"));
        assert_eq!(v["spec"]["containers"][0]["tty"], json!("on"));
        // Locations stay on the literal text.
        let spans = &l.documents[0].spans;
        let at = locate(
            spans,
            &[
                Seg::from("spec"),
                Seg::from("securityContext"),
                Seg::from("runAsNonRoot"),
            ],
        );
        assert_eq!((at.span.start.line, at.span.start.column), (8, 5));
    }

    #[test]
    fn other_yaml_keeps_the_core_schema() {
        let text = "on: push\nenabled: yes\nmode: 0644\n";
        let parsed = parse_yaml(
            &SourceFile::new("x.yaml".into(), text.into()),
            Limits::default(),
            Schema::Core,
        );
        assert_eq!(parsed.docs[0].value["enabled"], json!("yes"));
        assert_eq!(parsed.docs[0].value["mode"], json!("0644"));
        assert!(parsed.kubectl_differs);
    }

    #[test]
    fn one_bad_document_does_not_hide_the_others() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n";
        let l = load("cm.yaml", text);
        assert_eq!(l.documents.len(), 1);
        assert_eq!(
            to_json(&l.documents[0].value)["metadata"]["name"],
            json!("b")
        );
        assert_eq!(l.findings.len(), 1);
        let f = &l.findings[0];
        assert_eq!(f.rule, "parse-error");
        assert!(
            f.message
                .ends_with("this document was not checked (the file's other documents were)"),
            "{}",
            f.message
        );
        // The second document keeps its own lines.
        let at = locate(
            &l.documents[0].spans,
            &[Seg::from("metadata"), Seg::from("name")],
        );
        assert_eq!(at.span.start.line, 8);
    }

    #[test]
    fn a_missing_document_separator_is_named_and_each_repeat_reported() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: c\n";
        let l = load("svc.yaml", text);
        assert_eq!(l.documents.len(), 1);
        let lines: Vec<(u32, u32)> = l
            .findings
            .iter()
            .map(|f| (f.span.start.line, f.related[0].span.start.line))
            .collect();
        assert_eq!(lines, vec![(5, 1), (6, 2), (7, 3)]);
        assert!(l.findings[0]
            .message
            .contains("without a `---` line between them"));
        assert!(l.findings[0].related[0]
            .message
            .contains("first defined here"));
    }

    #[test]
    fn templated_files_are_one_note() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .name }}\n",
            "{% if prod %}\napiVersion: v1\n{% endif %}\nkind: ConfigMap\n",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  k: [{{ x }\n",
        ] {
            let l = load("t.yaml", text);
            assert!(l.documents.is_empty());
            assert_eq!(l.findings.len(), 1, "{text}");
            assert_eq!(l.findings[0].rule, "templated-file");
            assert_eq!(l.findings[0].severity, Severity::Note);
            assert!(l.findings[0].message.starts_with("templated file"));
        }
        // GitHub Actions expressions are not templates: a broken workflow stays a parse error.
        let l = load(
            "wf.yaml",
            "on: push\njobs:\n  a:\n    if: ${{ x }}\n    a: 1\n    a: 2\n",
        );
        assert_eq!(l.findings[0].rule, "parse-error");
        // A file that parses, holds no manifest and is not named is not ours: no note.
        let l = load("values.yaml", "name: {{ .Values.name }}\n");
        assert!(l.findings.is_empty() && l.documents.is_empty());
        // Quoted expressions are strings: the file is checked.
        let l = load(
            "alert.yaml",
            "apiVersion: v1\nkind: ConfigMap\ndata:\n  summary: \"{{ $labels.instance }} down\"\n",
        );
        assert_eq!(l.documents.len(), 1);
        assert!(l.findings.is_empty());
    }
}
