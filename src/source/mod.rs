//! Loaders: each input kind turns a file's bytes into [`Document`]s, the `input` Rego sees,
//! with a span tree pointing into the original text. The shapes are documented in
//! `docs/inputs.md`.

pub mod coverage;
pub mod trivy;
pub mod trivyignore;
pub mod yaml;

use serde_json::Value;
use std::fmt;
use std::sync::Arc;

use crate::finding::Finding;
use crate::locate::{LineIndex, Pos, Span, SpanNode};

/// The kinds of input tollgate understands. Policies name them in METADATA `input:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Workflow,
    Compose,
    Kubernetes,
    Coverage,
    Trivy,
    TrivyIgnore,
    /// A YAML file of no known kind, named explicitly.
    Yaml,
    /// A JSON file of no known kind, named explicitly.
    Json,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Workflow,
        Kind::Compose,
        Kind::Kubernetes,
        Kind::Coverage,
        Kind::Trivy,
        Kind::TrivyIgnore,
        Kind::Yaml,
        Kind::Json,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Workflow => "workflow",
            Kind::Compose => "compose",
            Kind::Kubernetes => "kubernetes",
            Kind::Coverage => "coverage",
            Kind::Trivy => "trivy",
            Kind::TrivyIgnore => "trivyignore",
            Kind::Yaml => "yaml",
            Kind::Json => "json",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        let s = match s.as_str() {
            "workflows" | "github-workflow" | "github-actions" => "workflow",
            "k8s" => "kubernetes",
            "docker-compose" => "compose",
            other => other,
        };
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A file's text with its line index, shared by every document of the file.
#[derive(Debug)]
pub struct SourceFile {
    /// As reported: relative to the working directory, with `/` separators.
    pub path: String,
    pub text: String,
    pub lines: LineIndex,
}

impl SourceFile {
    pub fn new(path: String, text: String) -> Arc<SourceFile> {
        let lines = LineIndex::new(&text);
        Arc::new(SourceFile { path, text, lines })
    }

    pub fn pos(&self, offset: usize) -> Pos {
        self.lines.pos(&self.text, offset)
    }

    /// The file name, lower-cased.
    pub fn file_name_lower(&self) -> String {
        self.path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase()
    }

    pub fn line_span(&self, line: u32) -> Span {
        self.lines.line_span(&self.text, line)
    }

    /// The first line with content: after blank lines, comments and a `---` marker.
    pub fn first_content_span(&self) -> Span {
        for line in 1..=self.lines.line_count() as u32 {
            let t = self.lines.line_text(&self.text, line).trim();
            if t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with("%YAML") {
                continue;
            }
            return self.line_span(line);
        }
        self.line_span(1)
    }
}

/// One input document: what Rego sees as `input`, and where each part of it came from.
#[derive(Clone, Debug)]
pub struct Document {
    pub kind: Kind,
    /// Position among the file's documents (0-based): the YAML stream's order, a `kind: List`
    /// counting one per item.
    pub index: usize,
    pub value: Value,
    pub spans: SpanNode,
    pub source: Arc<SourceFile>,
}

impl Document {
    pub fn path(&self) -> &str {
        &self.source.path
    }
}

/// What loading one file produced.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Document>,
    /// The file's text (set by the caller that read it).
    pub source: Option<Arc<SourceFile>>,
    /// `parse-error` findings.
    pub findings: Vec<Finding>,
}

impl Loaded {
    pub(crate) fn parse_error(source: &Arc<SourceFile>, pos: Pos, message: String) -> Loaded {
        let line = source.lines.line_text(&source.text, pos.line);
        // Underline from the error to the end of its line (at least one character).
        let rest = line.chars().count() as u32 + 1;
        let end_col = if pos.column < rest {
            rest
        } else {
            pos.column + 1
        };
        let end = Pos {
            line: pos.line,
            column: end_col,
            offset: pos.offset + (end_col - pos.column) as usize,
        };
        Loaded {
            documents: Vec::new(),
            source: None,
            findings: vec![Finding::parse_error(
                source.path.clone(),
                Span::new(pos, end),
                message,
            )],
        }
    }
}

/// How a file was classified by discovery (before its content is read), or by content sniffing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hint {
    Workflow,
    Compose,
    /// Any other YAML: Kubernetes if its documents have `apiVersion` and `kind`.
    Yaml,
    /// Any other JSON: a Trivy report, an istanbul summary, or nothing.
    Json,
    Lcov,
    Istanbul,
    /// XML: a Cobertura report if its root element is `<coverage>`.
    Xml,
    TrivyIgnore,
}

/// Loads one file of the given hint. `explicit` files of no known kind load as generic YAML/JSON.
pub fn load(source: Arc<SourceFile>, hint: Hint, explicit: bool, limits: yaml::Limits) -> Loaded {
    match hint {
        Hint::Lcov => coverage::load_lcov(source),
        Hint::Xml => coverage::load_cobertura(source, explicit),
        Hint::TrivyIgnore => trivyignore::load(source),
        Hint::Workflow | Hint::Compose | Hint::Yaml | Hint::Json | Hint::Istanbul => {
            let docs = match parse_structured(
                &source,
                hint == Hint::Json || hint == Hint::Istanbul,
                limits,
            ) {
                Ok(d) => d,
                Err(_) if hint == Hint::Json && !explicit && !claims_json(&source) => {
                    // Some other JSON (JSONC like tsconfig.json, say): not ours to judge.
                    return Loaded::default();
                }
                Err(e) => return Loaded::parse_error(&source, e.pos, e.message),
            };
            classify_structured(source, hint, explicit, docs)
        }
    }
}

/// Parses YAML or JSON; JSON that the YAML parser rejects (tabs, say) falls back to serde_json,
/// whose errors are also the more precise ones for JSON.
pub fn parse_structured(
    source: &SourceFile,
    json: bool,
    limits: yaml::Limits,
) -> Result<Vec<yaml::YamlDoc>, yaml::ParseError> {
    match yaml::parse(&source.text, &source.lines, limits) {
        Ok(docs) => Ok(docs),
        Err(e) if json => match serde_json::from_str::<Value>(&source.text) {
            Ok(value) => Ok(vec![yaml::YamlDoc {
                value,
                spans: SpanNode::leaf(source.first_content_span()),
            }]),
            Err(je) => {
                let pos = source.lines.pos_at(
                    &source.text,
                    je.line().max(1) as u32,
                    je.column().max(1) as u32,
                );
                let _ = e;
                Err(yaml::ParseError {
                    message: je.to_string(),
                    pos,
                })
            }
        },
        Err(e) => Err(e),
    }
}

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

fn is_k8s(v: &Value) -> bool {
    v.get("apiVersion").is_some_and(Value::is_string) && v.get("kind").is_some_and(Value::is_string)
}

fn classify_structured(
    source: Arc<SourceFile>,
    hint: Hint,
    explicit: bool,
    docs: Vec<yaml::YamlDoc>,
) -> Loaded {
    let mut out = Loaded::default();
    let doc = |kind, index, value, spans| Document {
        kind,
        index,
        value,
        spans,
        source: source.clone(),
    };
    match hint {
        Hint::Workflow | Hint::Compose => {
            let kind = if hint == Hint::Workflow {
                Kind::Workflow
            } else {
                Kind::Compose
            };
            for (i, d) in docs.into_iter().enumerate() {
                if d.value.is_null() {
                    continue;
                }
                out.documents.push(doc(kind, i, d.value, d.spans));
            }
        }
        Hint::Istanbul => {
            if let Some(d) = docs.into_iter().next() {
                if let Some((value, spans)) = coverage::normalize_istanbul(d) {
                    out.documents.push(doc(Kind::Coverage, 0, value, spans));
                }
            }
        }
        Hint::Json => {
            let Some(d) = docs.into_iter().next() else {
                return out;
            };
            if let Some((value, spans)) = trivy::normalize(&d) {
                out.documents.push(doc(Kind::Trivy, 0, value, spans));
            } else if let Some((value, spans)) = coverage::normalize_istanbul(d.clone()) {
                out.documents.push(doc(Kind::Coverage, 0, value, spans));
            } else if explicit {
                out.documents.push(doc(Kind::Json, 0, d.value, d.spans));
            }
        }
        Hint::Yaml => {
            let mut any_k8s = false;
            let mut generic = Vec::new();
            for (i, d) in docs.into_iter().enumerate() {
                if is_k8s(&d.value) {
                    any_k8s = true;
                    let list_items = d
                        .value
                        .get("kind")
                        .and_then(Value::as_str)
                        .is_some_and(|k| {
                            k == "List" || k.ends_with("List") && d.value.get("items").is_some()
                        });
                    if list_items {
                        if let (Some(Value::Array(items)), crate::locate::Children::Map(m)) =
                            (d.value.get("items"), &d.spans.children)
                        {
                            let item_spans = match m.get("items").map(|n| &n.children) {
                                Some(crate::locate::Children::Seq(s)) => s.clone(),
                                _ => Vec::new(),
                            };
                            for (j, item) in items.iter().enumerate() {
                                if is_k8s(item) {
                                    let spans = item_spans.get(j).cloned().unwrap_or_default();
                                    out.documents.push(doc(
                                        Kind::Kubernetes,
                                        i,
                                        item.clone(),
                                        spans,
                                    ));
                                }
                            }
                            continue;
                        }
                    }
                    out.documents
                        .push(doc(Kind::Kubernetes, i, d.value, d.spans));
                } else if !d.value.is_null() {
                    generic.push((i, d));
                }
            }
            if explicit && !any_k8s {
                for (i, d) in generic {
                    out.documents.push(doc(Kind::Yaml, i, d.value, d.spans));
                }
            }
        }
        Hint::Lcov | Hint::Xml | Hint::TrivyIgnore => {}
    }
    for (n, d) in out.documents.iter_mut().enumerate() {
        d.index = n;
    }
    out
}
