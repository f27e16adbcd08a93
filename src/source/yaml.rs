//! Span-preserving YAML (and JSON) loading.
//!
//! Why our own tree builder on top of `granit-parser` (the event parser under `serde-saphyr`)
//! rather than `serde-saphyr`'s `Spanned<T>`: the location contract needs, for every node, the
//! key span *and* the value span with its end, whether the value is a block or a flow
//! collection, and the use site of every alias and merge. The parser's events carry all of that;
//! building the tree ourselves with an explicit stack also bounds nesting depth and alias
//! expansion without recursion (a `- - - …` or `[[[[…` bomb is an error, never a stack
//! overflow). YAML 1.2 core schema: `on:` stays the string `on`, `NO` stays a string.

use granit_parser::{Event, Parser, ScalarStyle, StructureStyle};
use serde_json::{Map, Number, Value};
use std::collections::{BTreeMap, HashMap};

use crate::model::{Children, LineIndex, Pos, Span, SpanNode};

/// One document of a YAML stream.
#[derive(Clone, Debug)]
pub struct YamlDoc {
    pub value: Value,
    pub spans: SpanNode,
}

/// A located parse error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub pos: Pos,
}

/// Bounds that keep hostile input from exhausting the stack or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_nodes: usize,
    pub max_documents: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 256,
            max_nodes: 2_000_000,
            max_documents: 20_000,
        }
    }
}

struct Node {
    value: Value,
    spans: SpanNode,
    /// The node is a plain scalar `<<` (a merge key when used as a key).
    merge_key: bool,
    /// The raw text of a scalar (used when the node is a mapping key).
    raw: Option<String>,
}

struct MapFrame {
    anchor: usize,
    start: Pos,
    block: bool,
    map: Map<String, Value>,
    spans: BTreeMap<String, SpanNode>,
    key: Option<(String, Span, bool)>,
    merges: Vec<(Span, Value, SpanNode)>,
}

struct SeqFrame {
    anchor: usize,
    start: Pos,
    block: bool,
    items: Vec<Value>,
    spans: Vec<SpanNode>,
}

enum Frame {
    Map(MapFrame),
    Seq(SeqFrame),
}

struct Builder<'a> {
    text: &'a str,
    lines: &'a LineIndex,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, SpanNode, usize)>,
    nodes: usize,
    docs: Vec<YamlDoc>,
    root: Option<Node>,
}

fn err(message: impl Into<String>, pos: Pos) -> ParseError {
    ParseError {
        message: message.into(),
        pos,
    }
}

impl<'a> Builder<'a> {
    fn pos(&self, m: &granit_parser::Marker) -> Pos {
        match m.byte_offset() {
            Some(b) => self.lines.pos(self.text, b),
            None => self
                .lines
                .pos_at(self.text, m.line() as u32, m.col() as u32 + 1),
        }
    }

    fn span(&self, s: &granit_parser::Span) -> Span {
        Span::new(self.pos(&s.start), self.pos(&s.end))
    }

    fn count(&mut self, n: usize, at: Pos) -> Result<(), ParseError> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(err(
                format!(
                    "document too large: more than {} nodes (an alias bomb?)",
                    self.limits.max_nodes
                ),
                at,
            ));
        }
        Ok(())
    }

    fn complete(&mut self, node: Node) -> Result<(), ParseError> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq(seq)) => {
                seq.items.push(node.value);
                seq.spans.push(node.spans);
                Ok(())
            }
            Some(Frame::Map(map)) => match map.key.take() {
                None => {
                    let key = match &node.raw {
                        Some(raw) => raw.clone(),
                        // A collection as a key (`{{a: 1}: x}`): its source text, at most
                        // 256 bytes (and its offset, which keeps keys distinct). Rendering it as
                        // JSON escaped each nesting level again: exponential in the depth (a
                        // 47-byte `{{{…0…}}}` ran out of memory; found by fuzzing).
                        None => collection_key(self.text, &node.spans.value),
                    };
                    map.key = Some((key, node.spans.value, node.merge_key));
                    Ok(())
                }
                Some((key, key_span, is_merge)) => {
                    let mut spans = node.spans;
                    if is_merge {
                        let end = spans.use_site.map(|u| u.end).unwrap_or(spans.value.end);
                        let site = Span::new(key_span.start, end);
                        map.merges.push((site, node.value, spans));
                        return Ok(());
                    }
                    if map.map.contains_key(&key) {
                        return Err(err(format!("duplicate key `{key}`"), key_span.start));
                    }
                    if let Some(u) = spans.use_site {
                        spans.use_site = Some(Span::new(key_span.start, u.end));
                    }
                    spans.key = Some(key_span);
                    map.map.insert(key.clone(), node.value);
                    map.spans.insert(key, spans);
                    Ok(())
                }
            },
        }
    }

    fn finish_map(&mut self, mut m: MapFrame, end: Pos) -> Result<Node, ParseError> {
        if let Some((key, span, _)) = m.key.take() {
            // A key without a value (possible only in malformed streams): treat as null.
            m.map.insert(key.clone(), Value::Null);
            m.spans.insert(key, SpanNode::leaf(span));
        }
        let explicit: Vec<String> = m.map.keys().cloned().collect();
        for (site, value, spans) in std::mem::take(&mut m.merges) {
            let sources: Vec<(Value, SpanNode)> = match value {
                Value::Object(_) => vec![(value, spans)],
                Value::Array(items) => {
                    let item_spans = match spans.children {
                        Children::Seq(s) => s,
                        _ => Vec::new(),
                    };
                    items
                        .into_iter()
                        .zip(
                            item_spans
                                .into_iter()
                                .chain(std::iter::repeat_with(SpanNode::default)),
                        )
                        .collect()
                }
                _ => {
                    return Err(err(
                        "the value of a `<<` merge key must be a mapping or a list of mappings",
                        site.start,
                    ))
                }
            };
            for (value, spans) in sources {
                let Value::Object(obj) = value else {
                    return Err(err(
                        "the value of a `<<` merge key must be a mapping or a list of mappings",
                        site.start,
                    ));
                };
                let mut child_spans = match spans.children {
                    Children::Map(c) => c,
                    _ => BTreeMap::new(),
                };
                for (k, v) in obj {
                    if explicit.contains(&k) || m.map.contains_key(&k) {
                        continue;
                    }
                    let mut s = child_spans.remove(&k).unwrap_or_default();
                    s.use_site = Some(site);
                    m.map.insert(k.clone(), v);
                    m.spans.insert(k, s);
                }
            }
        }
        Ok(Node {
            value: Value::Object(m.map),
            spans: SpanNode {
                key: None,
                value: Span::new(m.start, end),
                block: m.block,
                use_site: None,
                children: Children::Map(m.spans),
            },
            merge_key: false,
            raw: None,
        })
    }

    /// Keeps a copy of an anchored node for its aliases. The copy is charged against the node
    /// budget before it is made: 250 anchors nested around a 300,000-item list would otherwise
    /// copy it 250 times (7.8 GB) without one alias.
    fn remember(&mut self, anchor: usize, node: &Node) -> Result<(), ParseError> {
        if anchor != 0 {
            let size = node.spans.size();
            self.count(size, node.spans.value.start)?;
            self.anchors
                .insert(anchor, (node.value.clone(), node.spans.clone(), size));
        }
        Ok(())
    }

    fn event(&mut self, ev: Event<'_>, span: granit_parser::Span) -> Result<(), ParseError> {
        match ev {
            Event::DocumentStart(..) => {
                self.root = None;
                self.anchors.clear();
            }
            Event::DocumentEnd => {
                let root = self.root.take();
                let (value, spans) = match root {
                    Some(n) => (n.value, n.spans),
                    None => (Value::Null, SpanNode::leaf(self.span(&span))),
                };
                self.docs.push(YamlDoc { value, spans });
                if self.docs.len() > self.limits.max_documents {
                    return Err(err(
                        format!(
                            "more than {} documents in one stream",
                            self.limits.max_documents
                        ),
                        self.pos(&span.start),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let sp = self.span(&span);
                self.count(1, sp.start)?;
                let value = match style {
                    ScalarStyle::Plain => {
                        let core = tag
                            .as_ref()
                            .and_then(|t| t.core_suffix().map(str::to_string));
                        match core.as_deref() {
                            Some("str") => Value::String(text.to_string()),
                            _ => resolve_plain(&text),
                        }
                    }
                    _ => Value::String(text.to_string()),
                };
                let block = matches!(style, ScalarStyle::Literal | ScalarStyle::Folded);
                let node = Node {
                    value,
                    spans: SpanNode {
                        block,
                        ..SpanNode::leaf(sp)
                    },
                    merge_key: style == ScalarStyle::Plain && text == "<<",
                    raw: Some(text.to_string()),
                };
                self.remember(anchor, &node)?;
                self.complete(node)?;
            }
            Event::Alias(id) => {
                let sp = self.span(&span);
                let Some((value, spans, size)) = self.anchors.get(&id) else {
                    return Err(err("alias to an unknown anchor", sp.start));
                };
                let (value, mut spans, size) = (value.clone(), spans.clone(), *size);
                self.count(size, sp.start)?;
                spans.use_site = Some(sp);
                let raw = value.as_str().map(str::to_string);
                self.complete(Node {
                    value,
                    spans,
                    merge_key: false,
                    raw,
                })?;
            }
            Event::SequenceStart(style, anchor, _) => {
                let start = self.pos(&span.start);
                self.push(
                    Frame::Seq(SeqFrame {
                        anchor,
                        start,
                        block: style == StructureStyle::Block,
                        items: Vec::new(),
                        spans: Vec::new(),
                    }),
                    start,
                )?;
            }
            Event::MappingStart(style, anchor, _) => {
                let start = self.pos(&span.start);
                self.push(
                    Frame::Map(MapFrame {
                        anchor,
                        start,
                        block: style == StructureStyle::Block,
                        map: Map::new(),
                        spans: BTreeMap::new(),
                        key: None,
                        merges: Vec::new(),
                    }),
                    start,
                )?;
            }
            Event::SequenceEnd => {
                let end = self.end_pos(&span);
                if let Some(Frame::Seq(seq)) = self.stack.pop() {
                    let node = Node {
                        value: Value::Array(seq.items),
                        spans: SpanNode {
                            key: None,
                            value: Span::new(seq.start, end),
                            block: seq.block,
                            use_site: None,
                            children: Children::Seq(seq.spans),
                        },
                        merge_key: false,
                        raw: None,
                    };
                    self.remember(seq.anchor, &node)?;
                    self.complete(node)?;
                }
            }
            Event::MappingEnd => {
                let end = self.end_pos(&span);
                if let Some(Frame::Map(map)) = self.stack.pop() {
                    let anchor = map.anchor;
                    let node = self.finish_map(map, end)?;
                    self.remember(anchor, &node)?;
                    self.complete(node)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// End of a collection: for flow style the end of the closing bracket; block collections
    /// end where the next token starts, which we pull back over trailing white space.
    fn end_pos(&self, span: &granit_parser::Span) -> Pos {
        let p = self.pos(&span.end);
        let trimmed = self.text[..p.offset].trim_end();
        if trimmed.len() < p.offset {
            self.lines.pos(self.text, trimmed.len())
        } else {
            p
        }
    }

    fn push(&mut self, frame: Frame, at: Pos) -> Result<(), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(err(
                format!("nesting deeper than {} levels", self.limits.max_depth),
                at,
            ));
        }
        self.count(1, at)?;
        self.stack.push(frame);
        Ok(())
    }
}

/// Resolves a plain scalar by the YAML 1.2 core schema. Integers with leading zeros (`0755`)
/// stay strings: YAML 1.1 readers take them as octal, 1.2 as decimal, so neither guess is safe.
pub fn resolve_plain(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let bytes = s.as_bytes();
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        if unsigned.len() > 1 && unsigned.starts_with('0') {
            return Value::String(s.to_string());
        }
        if let Ok(i) = s.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = s.trim_start_matches('+').parse::<u64>() {
            return Value::Number(u.into());
        }
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(i) = i64::from_str_radix(hex, 16) {
            return Value::Number(i.into());
        }
    }
    if let Some(oct) = s.strip_prefix("0o") {
        if let Ok(i) = i64::from_str_radix(oct, 8) {
            return Value::Number(i.into());
        }
    }
    let first = bytes[0];
    if (first.is_ascii_digit() || matches!(first, b'.' | b'-' | b'+'))
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && bytes.iter().any(|b| b.is_ascii_digit())
    {
        if let Ok(f) = s.parse::<f64>() {
            if let Some(n) = Number::from_f64(f) {
                return Value::Number(n);
            }
        }
    }
    Value::String(s.to_string())
}

/// Parses a YAML stream (JSON included) into documents with span trees.
/// The key text of a collection used as a mapping key: its source, bounded.
fn collection_key(text: &str, span: &Span) -> String {
    const MAX: usize = 256;
    let (start, end) = (
        span.start.offset.min(text.len()),
        span.end.offset.min(text.len()),
    );
    let raw = text.get(start..end.max(start)).unwrap_or("");
    if raw.len() <= MAX {
        return raw.to_string();
    }
    let mut cut = MAX;
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… (at byte {start})", &raw[..cut])
}

pub fn parse(text: &str, lines: &LineIndex, limits: Limits) -> Result<Vec<YamlDoc>, ParseError> {
    let mut b = Builder {
        text,
        lines,
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
        root: None,
    };
    for next in Parser::new_from_str(text) {
        match next {
            Ok((ev, span)) => b.event(ev, span)?,
            Err(e) => {
                let m = e.marker();
                let pos = b.pos(m);
                return Err(err(e.info().to_string(), pos));
            }
        }
    }
    Ok(b.docs)
}
