//! Span-preserving YAML (and JSON) loading.
//!
//! Why our own tree builder on top of `granit-parser` (the event parser under `serde-saphyr`)
//! rather than `serde-saphyr`'s `Spanned<T>`: the location contract needs, for every node, the
//! key span *and* the value span with its end, whether the value is a block or a flow
//! collection, and the use site of every alias and merge. The parser's events carry all of that;
//! building the tree ourselves with an explicit stack also bounds nesting depth and alias
//! expansion without recursion (a `- - - …` or `[[[[…` bomb is an error, never a stack
//! overflow). YAML 1.2 core schema: `on:` stays the string `on`, `NO` stays a string; or, for
//! Kubernetes manifests, [`Schema::Kubectl`]: YAML 1.1 booleans and 0-prefixed octal, as
//! kubectl's reader resolves them.
//!
//! [`parse_stream`] recovers from errors: a duplicate key is reported at each repeat (with
//! the first definition as a related location) and drops only its document; a syntax error
//! drops only the document (between `---` lines) it is in.

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
    /// A related location (the first definition of a duplicate key) and what it is.
    pub related: Option<(Span, String)>,
}

/// How plain scalars are resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Schema {
    /// YAML 1.2 core: `yes`, `on`, `0755` are strings.
    #[default]
    Core,
    /// As kubectl reads manifests (go-yaml's YAML 1.1 resolution): `y`, `yes`, `on` (and `n`,
    /// `no`, `off`) in lower, Capitalised or UPPER case are booleans, and `0755` is octal.
    Kubectl,
}

/// What [`parse_stream`] produced: the documents that parsed, and the errors of those that
/// did not.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub docs: Vec<YamlDoc>,
    pub errors: Vec<ParseError>,
    /// Some plain scalar would read differently under [`Schema::Kubectl`].
    pub kubectl_differs: bool,
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
    /// Offset of the parsed part in `text` (a document parsed on its own).
    base: usize,
    schema: Schema,
    kubectl_differs: bool,
    /// Duplicate keys of the current document.
    dups: Vec<ParseError>,
    /// Duplicate-key errors of finished documents (which are dropped).
    errors: Vec<ParseError>,
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
        related: None,
    }
}

impl<'a> Builder<'a> {
    fn pos(&self, m: &granit_parser::Marker) -> Pos {
        match m.byte_offset() {
            Some(b) => self.lines.pos(self.text, self.base + b),
            None => {
                let base_line = self.lines.pos(self.text, self.base).line.saturating_sub(1);
                self.lines
                    .pos_at(self.text, base_line + m.line() as u32, m.col() as u32 + 1)
            }
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
                        let end = spans.use_site.as_ref().map_or(spans.value.end, |u| u.end);
                        let site = Span::new(key_span.start, end);
                        map.merges.push((site, node.value, spans));
                        return Ok(());
                    }
                    if map.map.contains_key(&key) {
                        let first = map.spans.get(&key).and_then(|s| s.key);
                        let mut message = format!("duplicate key `{key}`");
                        if key_span.start.column == 1 && (key == "apiVersion" || key == "kind") {
                            message.push_str(
                                " (two manifests without a `---` line between them? start the second with `---`)",
                            );
                        }
                        if let Some(f) = first {
                            message.push_str(&format!(" (first defined at line {})", f.start.line));
                        }
                        self.dups.push(ParseError {
                            message,
                            pos: key_span.start,
                            related: first.map(|f| (f, format!("`{key}` first defined here"))),
                        });
                        return Ok(());
                    }
                    if let Some(u) = &mut spans.use_site {
                        **u = Span::new(key_span.start, u.end);
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
                    Children::Map(c) => c.into_iter().collect::<BTreeMap<_, _>>(),
                    _ => BTreeMap::new(),
                };
                for (k, v) in obj {
                    if explicit.contains(&k) || m.map.contains_key(&k) {
                        continue;
                    }
                    let mut s = child_spans.remove(&k).unwrap_or_default();
                    s.use_site = Some(Box::new(site));
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
                children: Children::Map(m.spans.into()),
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
                if !self.dups.is_empty() {
                    // A document with a duplicate key is not checked; the others are.
                    let dups = std::mem::take(&mut self.dups);
                    self.errors.extend(dups);
                    return Ok(());
                }
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
                            _ => match self.schema {
                                Schema::Core => {
                                    if !self.kubectl_differs && kubectl_scalar(&text).is_some() {
                                        self.kubectl_differs = true;
                                    }
                                    resolve_plain(&text)
                                }
                                Schema::Kubectl => {
                                    kubectl_scalar(&text).unwrap_or_else(|| resolve_plain(&text))
                                }
                            },
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
                spans.use_site = Some(Box::new(sp));
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

/// The value kubectl's YAML 1.1 reader gives a plain scalar where it differs from the core
/// schema: `y`/`yes`/`on` and `n`/`no`/`off` (lower, Capitalised or UPPER) are booleans, and a
/// 0-prefixed run of octal digits is an octal integer.
pub fn kubectl_scalar(s: &str) -> Option<Value> {
    match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => return Some(Value::Bool(true)),
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => return Some(Value::Bool(false)),
        _ => {}
    }
    let (sign, digits) = match s.strip_prefix('-') {
        Some(d) => (-1, d),
        None => (1, s.strip_prefix('+').unwrap_or(s)),
    };
    if digits.len() > 1
        && digits.starts_with('0')
        && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
    {
        return i64::from_str_radix(digits, 8)
            .ok()
            .map(|i| Value::Number((sign * i).into()));
    }
    None
}

fn new_builder<'a>(
    text: &'a str,
    lines: &'a LineIndex,
    limits: Limits,
    schema: Schema,
    base: usize,
) -> Builder<'a> {
    Builder {
        text,
        lines,
        base,
        schema,
        kubectl_differs: false,
        dups: Vec::new(),
        errors: Vec::new(),
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
        root: None,
    }
}

/// Parses `text[base..end]` (the whole stream, or one document of it). The error is a syntax
/// error or a limit; duplicate keys are in the builder's `errors`.
fn run<'a>(
    text: &'a str,
    lines: &'a LineIndex,
    limits: Limits,
    schema: Schema,
    range: std::ops::Range<usize>,
) -> (Builder<'a>, Option<ParseError>) {
    let mut b = new_builder(text, lines, limits, schema, range.start);
    for next in Parser::new_from_str(&text[range]) {
        let step = match next {
            Ok((ev, span)) => b.event(ev, span),
            Err(e) => {
                let pos = b.pos(e.marker());
                Err(err(e.info().to_string(), pos))
            }
        };
        if let Err(e) = step {
            return (b, Some(e));
        }
    }
    (b, None)
}

/// Parses a YAML stream (JSON included) into documents with span trees; the first error
/// fails the whole stream.
pub fn parse(text: &str, lines: &LineIndex, limits: Limits) -> Result<Vec<YamlDoc>, ParseError> {
    let (b, e) = run(text, lines, limits, Schema::Core, 0..text.len());
    if let Some(e) = e {
        return Err(e);
    }
    match b.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(b.docs),
    }
}

/// The byte ranges of a stream's documents: split before every line that starts with `---`.
fn document_ranges(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if offset > 0 {
            let rest = line.strip_prefix("---");
            if rest.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\n', '\r'])) {
                starts.push(offset);
            }
        }
        offset += line.len();
    }
    let mut out: Vec<_> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    out.push(*starts.last().unwrap_or(&0)..text.len());
    out
}

/// Parses a YAML stream, recovering what it can: a duplicate key drops its document (every
/// repeat is reported); a syntax error drops only the document it is in, the stream being
/// re-read one document (between `---` lines) at a time. Limits stop the whole stream.
pub fn parse_stream(text: &str, lines: &LineIndex, limits: Limits, schema: Schema) -> Parsed {
    let (b, e) = run(text, lines, limits, schema, 0..text.len());
    let Some(e) = e else {
        return Parsed {
            docs: b.docs,
            errors: b.errors,
            kubectl_differs: b.kubectl_differs,
        };
    };
    let ranges = document_ranges(text);
    let is_limit = e.message.contains("nesting deeper")
        || e.message.contains("too large")
        || e.message.contains("documents in one stream");
    if is_limit || ranges.len() < 2 || ranges.len() > limits.max_documents {
        let mut errors = b.errors;
        errors.push(explain(text, e, None));
        return Parsed {
            docs: Vec::new(),
            errors,
            kubectl_differs: b.kubectl_differs,
        };
    }
    // The documents share one node budget: re-reading them one by one costs no more than the
    // stream would have.
    let mut out = Parsed::default();
    let mut budget = limits.max_nodes;
    for range in ranges {
        let chunk_limits = Limits {
            max_nodes: budget,
            ..limits
        };
        let (b, e) = run(text, lines, chunk_limits, schema, range.clone());
        budget = budget.saturating_sub(b.nodes);
        out.kubectl_differs |= b.kubectl_differs;
        out.errors.extend(b.errors);
        match e {
            None => out.docs.extend(b.docs),
            Some(e) => {
                let limit = e.message.contains("too large");
                out.errors.push(explain(text, e, Some(range)));
                if limit || budget == 0 {
                    // The budget is spent: the rest of the stream is not read.
                    out.docs.clear();
                    break;
                }
            }
        }
    }
    out
}

/// A syntax error, with what usually causes it: text at a block scalar's indentation or less
/// (which ends the block), or two manifests without a `---` between them.
fn explain(text: &str, mut e: ParseError, range: Option<std::ops::Range<usize>>) -> ParseError {
    if let Some(hint) = block_scalar_hint(text, e.pos.line) {
        e.message = format!("{hint} (the parser says: {})", e.message);
        return e;
    }
    let part = range.map(|r| &text[r]).unwrap_or(text);
    let top_level = |key: &str| part.lines().filter(|l| l.starts_with(key)).count();
    if top_level("apiVersion:") > 1 || top_level("kind:") > 1 {
        e.message.push_str(
            " (two manifests without a `---` line between them? start each one with `---`)",
        );
    }
    e
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

/// A block scalar header: `key: |`, `- |`, `key: >-`, `key: |2 # comment`.
fn block_header(line: &str) -> Option<()> {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let t = code.trim_end();
    let last = t.rsplit([' ', ':']).next()?;
    let mut chars = last.chars();
    let first = chars.next()?;
    if !matches!(first, '|' | '>') || !chars.all(|c| matches!(c, '-' | '+' | '1'..='9')) {
        return None;
    }
    let before = t[..t.len() - last.len()].trim_end();
    (before.ends_with(':') || before.ends_with('-')).then_some(())
}

/// A line that reads as a mapping key or a sequence item (not text that slipped out of a block).
fn looks_like_yaml(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("- ") || t == "-" {
        return true;
    }
    match t.split_once(':') {
        Some((key, rest)) => {
            (rest.is_empty() || rest.starts_with([' ', '\t']))
                && !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '"' | '\'' | '/'))
        }
        None => false,
    }
}

/// When the text at `line` (or just before it) is indented no more than a block scalar header
/// above it, whose text it was probably meant to continue: a message naming the block.
fn block_scalar_hint(text: &str, line: u32) -> Option<String> {
    let all: Vec<&str> = text.lines().collect();
    let err_at = (line as usize).checked_sub(1)?;
    for k in (err_at.saturating_sub(1)..=err_at.min(all.len().saturating_sub(1))).rev() {
        let l = all[k];
        if l.trim().is_empty() || l.trim_start().starts_with('#') || looks_like_yaml(l) {
            continue;
        }
        let ik = indent(l);
        // Walk up over the block's text (indented more than line k) to its header.
        let mut j = k;
        let mut content = false;
        while j > 0 {
            j -= 1;
            let above = all[j];
            if above.trim().is_empty() {
                continue;
            }
            if block_header(above).is_some() && indent(above) >= ik && content {
                let key = above.trim();
                return Some(format!(
                    "line {} is indented less than the text of the block scalar `{}` at line {}, which ended the block; the rest is read as YAML: indent the line like the block's other lines",
                    k + 1,
                    key,
                    j + 1
                ));
            }
            if indent(above) <= ik {
                break;
            }
            content = true;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream(text: &str) -> Parsed {
        parse_stream(text, &LineIndex::new(text), Limits::default(), Schema::Core)
    }

    #[test]
    fn text_that_leaves_a_block_scalar_names_the_block() {
        let text = "jobs:\n  build:\n    steps:\n      - name: test\n        run: |\n          npm ci\nnpm test\n      - run: echo done\n";
        let p = stream(text);
        assert!(p.docs.is_empty());
        let e = &p.errors[0];
        assert!(
            e.message.starts_with("line 7 is indented less than the text of the block scalar `run: |` at line 5, which ended the block"),
            "{}",
            e.message
        );
    }

    #[test]
    fn other_syntax_errors_keep_the_parser_message() {
        let p = stream("a: [1, 2\nb: 3\n");
        assert_eq!(p.errors.len(), 1);
        assert!(!p.errors[0].message.contains("block scalar"));
    }

    #[test]
    fn block_headers() {
        for h in ["run: |", "  script: >-", "- |", "  x: |2 # c", "k: |+"] {
            assert!(block_header(h).is_some(), "{h}");
        }
        for h in ["run: echo |", "a: b", "x: '|'", "|"] {
            assert!(block_header(h).is_none(), "{h}");
        }
    }

    #[test]
    fn kubectl_scalars() {
        assert_eq!(kubectl_scalar("Yes"), Some(Value::Bool(true)));
        assert_eq!(kubectl_scalar("OFF"), Some(Value::Bool(false)));
        assert_eq!(kubectl_scalar("yEs"), None);
        assert_eq!(kubectl_scalar("0755"), Some(Value::from(493)));
        assert_eq!(kubectl_scalar("-010"), Some(Value::from(-8)));
        assert_eq!(kubectl_scalar("089"), None);
        assert_eq!(kubectl_scalar("0"), None);
        assert_eq!(kubectl_scalar("true"), None);
    }

    #[test]
    fn recovery_shares_one_node_budget() {
        // A broken first document, then alias bombs: the re-read stops at the stream's budget.
        let mut text = String::from("a: [1\n");
        for _ in 0..50 {
            text.push_str("---\nb: &b [x, x, x, x, x, x, x, x, x, x]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n");
        }
        let limits = Limits {
            max_nodes: 5_000,
            ..Limits::default()
        };
        let p = parse_stream(&text, &LineIndex::new(&text), limits, Schema::Core);
        assert!(p.docs.is_empty());
        assert!(
            p.errors.iter().any(|e| e.message.contains("too large")),
            "{:?}",
            p.errors
        );
        assert!(p.errors.len() < 10);
    }

    #[test]
    fn strict_parse_still_fails_at_the_first_duplicate() {
        let text = "a: 1\na: 2\na: 3\n";
        let e = parse(text, &LineIndex::new(text), Limits::default()).unwrap_err();
        assert_eq!(e.pos.line, 2);
        let p = stream(text);
        assert_eq!(
            p.errors.iter().map(|e| e.pos.line).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(p
            .errors
            .iter()
            .all(|e| e.related.as_ref().unwrap().0.start.line == 1));
    }
}
