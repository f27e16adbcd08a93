//! `.trivyignore`: one vulnerability or misconfiguration id a line, optionally with
//! `exp:YYYY-MM-DD`; `#` comments. The document is
//!
//! ```json
//! {"entries": [{"id": "CVE-2023-1234", "line": 4, "expires": "2026-12-31",
//!               "comment_above": "reason…", "comment": "trailing reason…",
//!               "justification": "reason…", "directives": ["tollgate: …"]}]}
//! ```
//!
//! `justification` is the comment block directly above the entry (no blank line between) or,
//! failing that, the comment after the id on its line; `tollgate:` directives are not
//! justifications. `entries[i]` is located at the entry's line.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use std::path::Path;

use super::{Document, KindSpec, LoadContext, Loaded, Loader};
use crate::model::{Children, Kind, SourceFile, SpanNode};

pub const KIND: Kind = Kind("trivyignore");

fn named(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase() == ".trivyignore")
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &[],
    category: Some("trivy"),
    summary: "`.trivyignore` files",
    forceable: true,
    report_globs: &["**/.trivyignore"],
    named,
    load: Loader::Own(load),
    context: super::NamedContext::Alone,
};

fn is_directive(c: &str) -> bool {
    c.trim_start().starts_with("tollgate:")
}

/// Parses the entries of a `.trivyignore` text; each with its 1-based line.
pub fn entries(text: &str) -> Vec<(u32, Value)> {
    let mut out = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let mut directives: Vec<String> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            block.clear();
            directives.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim();
            if is_directive(c) {
                directives.push(c.to_string());
            } else if !c.is_empty() {
                block.push(c.to_string());
            }
            continue;
        }
        let (body, trailing) = match line.split_once(" #").or_else(|| line.split_once("\t#")) {
            Some((b, c)) => (b.trim(), Some(c.trim().to_string())),
            None => (line, None),
        };
        let id = body
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        // As Trivy reads it: the first `exp:` field anywhere on the line (Trivy has no trailing
        // comments, so an `exp:` after a `#` still counts).
        let expires = line
            .split_whitespace()
            .skip(1)
            .find_map(|w| w.strip_prefix("exp:"))
            .map(|d| Value::String(d.to_string()))
            .unwrap_or(Value::Null);
        let mut line_directives = directives.clone();
        let trailing_reason = match trailing {
            Some(c) if is_directive(&c) => {
                line_directives.push(c);
                None
            }
            Some(c) if !c.is_empty() => Some(c),
            _ => None,
        };
        let above = (!block.is_empty()).then(|| block.join("\n"));
        let justification = above.clone().or_else(|| trailing_reason.clone());
        out.push((
            i as u32 + 1,
            json!({
                "id": id,
                "line": i + 1,
                "expires": expires,
                "comment_above": above,
                "comment": trailing_reason,
                "justification": justification,
                "directives": line_directives,
            }),
        ));
        block.clear();
        directives.clear();
    }
    out
}

fn load(source: &Arc<SourceFile>, _: LoadContext) -> Loaded {
    let source = source.clone();
    let parsed = entries(&source.text);
    let spans: Vec<SpanNode> = parsed
        .iter()
        .map(|(line, _)| SpanNode::leaf(source.line_span(*line)))
        .collect();
    let value = json!({"entries": parsed.into_iter().map(|(_, v)| v).collect::<Vec<_>>()});
    let root = source.first_content_span();
    let mut children = BTreeMap::new();
    children.insert(
        "entries".to_string(),
        SpanNode {
            children: Children::Seq(spans),
            ..SpanNode::leaf(root)
        },
    );
    Loaded {
        documents: vec![Document::new(
            KIND,
            0,
            value,
            SpanNode {
                children: Children::Map(children.into()),
                ..SpanNode::leaf(root)
            },
            source,
        )],
        source: None,
        findings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_justifications_and_expiry() {
        let text = "# header\n\n# reviewed: not reachable\nCVE-1 exp:2099-01-01\nCVE-2 # trailing reason\n# tollgate: ignore[trivyignore-justification]\nCVE-3\nCVE-4 # note exp:2020-01-01\nCVE-5 exp:2021-01-01 exp:2099-01-01\n";
        let e = entries(text);
        let get = |i: usize, k: &str| e[i].1[k].clone();
        assert_eq!(
            e.iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![4, 5, 7, 8, 9]
        );
        assert_eq!(get(0, "justification"), "reviewed: not reachable");
        assert_eq!(get(0, "expires"), "2099-01-01");
        assert_eq!(get(1, "justification"), "trailing reason");
        assert!(get(2, "justification").is_null());
        assert_eq!(
            get(2, "directives"),
            json!(["tollgate: ignore[trivyignore-justification]"])
        );
        // As Trivy reads it: the first exp: field, even after a `#`.
        assert_eq!(get(3, "expires"), "2020-01-01");
        assert_eq!(get(4, "expires"), "2021-01-01");
    }
}
