//! Parsing helpers the loaders share.

use serde_json::Value;
use std::sync::Arc;

use std::path::Path;

use super::{yaml, Document, LoadContext, Loaded};
use crate::model::{Kind, SourceFile, SpanNode};

/// Parses YAML or JSON; JSON that the YAML parser rejects (tabs, say) falls back to serde_json,
/// whose errors are also the more precise ones for JSON.
pub fn parse_structured(
    source: &SourceFile,
    json: bool,
    limits: yaml::Limits,
) -> Result<Vec<yaml::YamlDoc>, yaml::ParseError> {
    match yaml::parse(&source.text, &source.lines, limits) {
        Ok(docs) => Ok(docs),
        Err(_) if json => match serde_json::from_str::<Value>(&source.text) {
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
                Err(yaml::ParseError {
                    message: je.to_string(),
                    pos,
                    related: None,
                })
            }
        },
        Err(e) => Err(e),
    }
}

/// Parses a YAML stream, keeping the documents that parse (see [`yaml::parse_stream`]).
pub fn parse_yaml(source: &SourceFile, limits: yaml::Limits, schema: yaml::Schema) -> yaml::Parsed {
    yaml::parse_stream(&source.text, &source.lines, limits, schema)
}

/// Documents of `kind` from a stream that may have failed in part: the documents that parsed,
/// and a `parse-error` for each error.
pub fn stream_documents(source: &Arc<SourceFile>, kind: Kind, parsed: yaml::Parsed) -> Loaded {
    let mut out = each_document(source, kind, parsed.docs);
    out.add_parse_errors(source, parsed.errors);
    out
}

/// Documents of `kind`, one per non-null document of the stream, numbered in order.
pub fn each_document(source: &Arc<SourceFile>, kind: Kind, docs: Vec<yaml::YamlDoc>) -> Loaded {
    let mut out = Loaded::default();
    for d in docs {
        if d.value.is_null() {
            continue;
        }
        let index = out.documents.len();
        out.documents
            .push(Document::new(kind, index, d.value, d.spans, source.clone()));
    }
    out
}

/// Loads a YAML stream whose documents are all of `kind` (workflows, compose files).
pub fn load_stream(source: &Arc<SourceFile>, ctx: LoadContext, kind: Kind) -> Loaded {
    stream_documents(
        source,
        kind,
        parse_yaml(source, ctx.limits, yaml::Schema::Core),
    )
}

/// A path's file name, lower-cased.
pub fn file_name_lower(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// A path's extension, lower-cased.
pub fn ext_lower(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// For kinds that no file name claims.
pub fn never(_: &Path) -> bool {
    false
}
