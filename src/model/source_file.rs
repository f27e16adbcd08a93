//! A file's text with its line index, shared by every document of the file and by reports
//! (snippets).

use std::collections::HashMap;
use std::sync::Arc;

use super::span::{LineIndex, Pos, Span};

/// A file's text with its line index.
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

    /// The text of a 1-based line, without its terminator.
    pub fn line_text(&self, line: u32) -> &str {
        self.lines.line_text(&self.text, line)
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

    /// A span from `pos` to the end of its line, at least one character wide (where parse
    /// errors are underlined).
    pub fn rest_of_line(&self, pos: Pos) -> Span {
        let line = self.line_text(pos.line);
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
        Span::new(pos, end)
    }
}

/// Source files by display path, for rendering snippets.
pub type Sources = HashMap<String, Arc<SourceFile>>;
