//! Spans in source files, the span tree that mirrors a document's value, and the
//! resolution of a rule's path (`["spec", "template", ...]`) to the span it is about.
//!
//! The location contract (see `docs/inputs.md` and DESIGN.md):
//! - a path that ends at a mapping entry starts at the entry's **key**; a sequence item starts
//!   at the item itself (after `- `);
//! - the span ends at the end of the value when the value is a scalar or a flow collection, and at
//!   the end of the key when the value is a block collection (a block mapping underlines its key);
//! - a path that does not exist resolves to the nearest ancestor that does;
//! - a value reached through an alias or a `<<` merge is located at its use site, with the anchor
//!   definition as a related location.

use std::collections::BTreeMap;

/// A position in a source file. `line` and `column` are 1-based; `column` counts Unicode
/// characters; `offset` is the byte offset from the start of the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
}

/// A half-open range `[start, end)` in a source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: Pos,
    pub end: Pos,
}

impl Span {
    pub fn new(start: Pos, end: Pos) -> Self {
        Span { start, end }
    }
    pub fn point(p: Pos) -> Self {
        Span { start: p, end: p }
    }
}

/// One segment of a path into a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(s: &str) -> Self {
        Seg::Key(s.to_string())
    }
}
impl From<usize> for Seg {
    fn from(i: usize) -> Self {
        Seg::Index(i)
    }
}

/// Renders a path as `spec.template.spec.containers[0]`, quoting keys that are not plain
/// identifiers: `data["redis.conf"]`.
pub fn path_to_string(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
            Seg::Key(k) => {
                let plain = !k.is_empty()
                    && k.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if plain {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                } else {
                    out.push('[');
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(']');
                }
            }
        }
    }
    out
}

/// Children of a span node, mirroring the document's value.
#[derive(Clone, Debug, Default)]
pub enum Children {
    #[default]
    Leaf,
    Map(SpanMap),
    Seq(Vec<SpanNode>),
}

/// A mapping's children by key, in key order: a sorted vector, exactly sized. (A `BTreeMap`
/// allocates a node for eleven entries: with `SpanNode` values that is 1.8 KB for every
/// mapping of every document, most of the memory a repository's span trees took; issue 9.)
#[derive(Clone, Debug, Default)]
pub struct SpanMap(Box<[(String, SpanNode)]>);

impl SpanMap {
    pub fn new() -> Self {
        SpanMap::default()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    pub fn get(&self, key: &str) -> Option<&SpanNode> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &SpanNode)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl Iterator<Item = &SpanNode> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl From<BTreeMap<String, SpanNode>> for SpanMap {
    fn from(m: BTreeMap<String, SpanNode>) -> Self {
        SpanMap(m.into_iter().collect())
    }
}

/// Entries in any order; of a repeated key, the last one counts (as `BTreeMap::insert`).
impl FromIterator<(String, SpanNode)> for SpanMap {
    fn from_iter<I: IntoIterator<Item = (String, SpanNode)>>(iter: I) -> Self {
        SpanMap::from(iter.into_iter().collect::<BTreeMap<_, _>>())
    }
}

impl IntoIterator for SpanMap {
    type Item = (String, SpanNode);
    type IntoIter = std::vec::IntoIter<(String, SpanNode)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_vec().into_iter()
    }
}

/// The spans of one node of a document, and of its children.
#[derive(Clone, Debug, Default)]
pub struct SpanNode {
    /// The span of the mapping key, when this node is a mapping entry's value.
    pub key: Option<Span>,
    /// The span of the value node itself.
    pub value: Span,
    /// True when the value is a block collection (its span then covers many lines).
    pub block: bool,
    /// Set when this node was reached through an alias or a merge key: the use site. Boxed:
    /// few nodes have one, and every node of every document pays for the field's size.
    pub use_site: Option<Box<Span>>,
    pub children: Children,
}

impl SpanNode {
    pub fn leaf(value: Span) -> Self {
        SpanNode {
            value,
            ..Default::default()
        }
    }

    /// Counts the nodes of this subtree (used to budget alias expansion).
    pub fn size(&self) -> usize {
        1 + match &self.children {
            Children::Leaf => 0,
            Children::Map(m) => m.values().map(SpanNode::size).sum(),
            Children::Seq(s) => s.iter().map(SpanNode::size).sum(),
        }
    }

    fn child(&self, seg: &Seg) -> Option<&SpanNode> {
        match (&self.children, seg) {
            (Children::Map(m), Seg::Key(k)) => m.get(k),
            (Children::Seq(s), Seg::Index(i)) => s.get(*i),
            // Rego paths may address sequence items with numeric strings.
            (Children::Seq(s), Seg::Key(k)) => k.parse::<usize>().ok().and_then(|i| s.get(i)),
            (Children::Map(m), Seg::Index(i)) => m.get(&i.to_string()),
            _ => None,
        }
    }

    /// The span a finding about this node covers, following the location contract.
    fn finding_span(&self) -> Span {
        match self.key {
            Some(key) => {
                let end = if self.block { key.end } else { self.value.end };
                Span::new(key.start, end.max(key.end))
            }
            None => {
                if self.block {
                    // A block collection without a key (a sequence item or a document root):
                    // underline its first entry, e.g. the `name: api` of `- name: api`.
                    let first = match &self.children {
                        Children::Map(m) => m
                            .values()
                            .filter(|c| c.use_site.is_none())
                            .min_by_key(|c| c.key.map(|k| k.start).unwrap_or(c.value.start)),
                        Children::Seq(s) => s.first(),
                        Children::Leaf => None,
                    };
                    match first {
                        Some(c) => Span::new(self.value.start, c.finding_span().end),
                        None => Span::new(self.value.start, self.value.start),
                    }
                } else {
                    self.value
                }
            }
        }
    }
}

/// The result of locating a path in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub span: Span,
    /// How many segments of the requested path exist; `exact` when all of them do.
    pub matched: usize,
    pub exact: bool,
    /// Where the value was defined, when it was reached through an alias or merge key.
    pub defined_at: Option<Span>,
    /// The span of the value found (the last existing node), and whether it is a block node.
    pub value: Span,
    pub block: bool,
}

/// Resolves `path` against the span tree rooted at `root`.
pub fn locate(root: &SpanNode, path: &[Seg]) -> Located {
    let mut node = root;
    let mut matched = 0;
    let mut use_site: Option<Span> = None;
    for seg in path {
        match node.child(seg) {
            Some(child) => {
                node = child;
                matched += 1;
                if use_site.is_none() {
                    use_site = child.use_site.as_deref().copied();
                }
            }
            None => break,
        }
    }
    let exact = matched == path.len();
    let (span, defined_at) = match use_site {
        Some(site) => (site, Some(node.finding_span())),
        None => (node.finding_span(), None),
    };
    Located {
        span,
        matched,
        exact,
        defined_at,
        value: node.value,
        block: node.block,
    }
}

/// Maps byte offsets to 1-based line and character-column positions, in time independent of
/// the line's length: an ASCII line's column is its byte offset; a long line with other
/// characters keeps a checkpoint (byte offset, characters before it) every [`CHECKPOINT`]
/// bytes, so that a one-line (minified) 2 MB JSON file costs no more than a pretty-printed one.
#[derive(Clone, Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    /// Whether each line is ASCII.
    ascii: Vec<bool>,
    /// Checkpoints of the long non-ASCII lines, by line index.
    checkpoints: std::collections::HashMap<usize, Vec<(usize, usize)>>,
}

/// Bytes between two checkpoints of a long non-ASCII line.
const CHECKPOINT: usize = 256;

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        let mut ascii = Vec::new();
        let mut checkpoints = std::collections::HashMap::new();
        let mut line_ascii = true;
        let bytes = text.as_bytes();
        let mut close = |line: usize, start: usize, end: usize, is_ascii: bool| {
            ascii.push(is_ascii);
            if !is_ascii && end - start > CHECKPOINT {
                let mut cps = Vec::new();
                let mut next = start + CHECKPOINT;
                for (chars, (i, _)) in text[start..end].char_indices().enumerate() {
                    if start + i >= next {
                        cps.push((start + i, chars));
                        next = start + i + CHECKPOINT;
                    }
                }
                checkpoints.insert(line, cps);
            }
        };
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'\n' {
                let line = starts.len() - 1;
                close(line, starts[line], i, line_ascii);
                starts.push(i + 1);
                line_ascii = true;
            } else if b >= 0x80 {
                line_ascii = false;
            }
        }
        let last = starts.len() - 1;
        close(last, starts[last], text.len(), line_ascii);
        LineIndex {
            starts,
            ascii,
            checkpoints,
        }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// Position of a byte offset (clamped to the text and to a char boundary).
    pub fn pos(&self, text: &str, offset: usize) -> Pos {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let col = if self.ascii.get(line).copied().unwrap_or(false) {
            offset - start
        } else {
            let (from, before) = self
                .checkpoints
                .get(&line)
                .and_then(|cps| {
                    let n = cps.partition_point(|&(b, _)| b <= offset);
                    n.checked_sub(1).map(|k| cps[k])
                })
                .unwrap_or((start, 0));
            before + text[from..offset].chars().count()
        };
        Pos {
            line: (line + 1) as u32,
            column: (col + 1) as u32,
            offset,
        }
    }

    /// Byte offset of the start of a 1-based line.
    pub fn line_start(&self, line: u32) -> Option<usize> {
        self.starts.get((line as usize).checked_sub(1)?).copied()
    }

    /// Position at a 1-based line and character column.
    pub fn pos_at(&self, text: &str, line: u32, column: u32) -> Pos {
        let Some(start) = self.line_start(line) else {
            return self.pos(text, text.len());
        };
        let line_text = self.line_text(text, line);
        let byte_col: usize = line_text
            .char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map(|(i, _)| i)
            .unwrap_or(line_text.len());
        Pos {
            line,
            column: column.max(1),
            offset: start + byte_col,
        }
    }

    /// The text of a 1-based line, without its line terminator.
    pub fn line_text<'a>(&self, text: &'a str, line: u32) -> &'a str {
        let Some(start) = self.line_start(line) else {
            return "";
        };
        let end = self
            .starts
            .get(line as usize)
            .map(|e| e - 1)
            .unwrap_or(text.len());
        let s = &text[start..end.max(start)];
        s.strip_suffix('\r').unwrap_or(s)
    }

    /// A span covering a whole line's content (leading white space excluded).
    pub fn line_span(&self, text: &str, line: u32) -> Span {
        let content = self.line_text(text, line);
        let lead = content.len() - content.trim_start().len();
        let start = self.line_start(line).unwrap_or(text.len()) + lead;
        let end = start + content.trim().len();
        Span::new(self.pos(text, start), self.pos(text, end))
    }
}

#[cfg(test)]
#[path = "span_tests.rs"]
mod tests;
