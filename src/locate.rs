//! The locate stage: turns a rule's raw finding (a message and a path into the document) into a
//! located [`Finding`], following the location contract of [`crate::model::span`]: the exact
//! node, else the nearest existing ancestor; an aliased value at its use site with the anchor
//! as a related location; `text_line` moves into a multi-line string.

use crate::model::fingerprint;
use crate::model::span::{locate, Located};
use crate::model::{path_to_string, Finding, Pos, RawFinding, Related, RuleMeta, SourceFile};
use crate::source::Document;

/// The file line of the `n`-th (1-based) line of the multi-line string located at `loc`: a
/// block scalar's text starts on the line after its `|`/`>` header (its first lines may be
/// blank); a multi-line flow scalar's on its first line. `None` for one-line scalars.
fn text_line(src: &SourceFile, loc: &Located, n: u32) -> Option<u32> {
    let text = src.text.as_str();
    let start = loc.value.start.offset.min(text.len());
    let end = loc.value.end.offset.clamp(start, text.len());
    // The last line that holds the scalar's content.
    let last = src.pos(text[..end].trim_end().len().max(start)).line;
    let first = if loc.block {
        // The header is the closest line above the content that is not blank.
        let before = text[..start].trim_end();
        src.pos(before.len()).line + 1
    } else if last > loc.value.start.line {
        loc.value.start.line
    } else {
        return None;
    };
    Some((first + n.max(1) - 1).min(last.max(first)))
}

/// Turns a raw finding of `rule` about `doc` into a located one.
pub fn locate_finding(doc: &Document, rule: &RuleMeta, raw: &RawFinding) -> Finding {
    let src = &doc.source;
    let (span, path, mut related) = match &raw.path {
        None => (locate(&doc.spans, &[]).span, None, Vec::new()),
        Some(path) => {
            let loc = locate(&doc.spans, path);
            let mut span = loc.span;
            if let (Some(n), true) = (raw.text_line, loc.exact) {
                if let Some(line) = text_line(src, &loc, n) {
                    span = src.line_span(line);
                }
            }
            let mut related = Vec::new();
            if let Some(def) = loc.defined_at {
                related.push(Related {
                    file: doc.path().to_string(),
                    span: def,
                    message: "the value is defined here (through an alias or merge key)".into(),
                });
            }
            (span, Some(path_to_string(path)), related)
        }
    };
    for (p, m) in &raw.related {
        related.push(Related {
            file: doc.path().to_string(),
            span: locate(&doc.spans, p).span,
            message: m.clone(),
        });
    }
    // Degenerate spans underline at least one character.
    let mut span = span;
    if span.end <= span.start {
        let line = src.line_text(span.start.line);
        let chars = line.chars().count() as u32;
        let end_col = if span.start.column <= chars {
            chars + 1
        } else {
            span.start.column + 1
        };
        let width = line
            .chars()
            .skip(span.start.column as usize - 1)
            .map(char::len_utf8)
            .sum::<usize>()
            .max(1);
        span.end = Pos {
            line: span.start.line,
            column: end_col,
            offset: span.start.offset + width,
        };
    }
    Finding {
        rule: rule.id.clone(),
        severity: raw.severity.unwrap_or(rule.severity),
        message: raw.msg.clone(),
        file: doc.path().to_string(),
        span,
        path: path.filter(|p| !p.is_empty()),
        document: doc.index,
        related,
        pinpointed: raw.pinpointed,
        suppressed: None,
        identity: raw
            .path
            .as_ref()
            .map(|p| fingerprint::identity(&doc.value, doc.index, p)),
        fingerprint: String::new(),
    }
}
