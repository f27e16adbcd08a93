//! Coverage reports, normalized to one shape whatever the format:
//!
//! ```json
//! {"format": "lcov" | "istanbul" | "cobertura",
//!  "primary": true,
//!  "totals": {"lines": {"covered": 90, "total": 100, "pct": 90.0}, "functions": {…}, …},
//!  "files": [{"path": "src/app.ts", "lines": {…}, "functions": {…}, …}]}
//! ```
//!
//! A metric appears only where the format carries it (lcov has no statements; Cobertura has
//! neither functions nor statements). `pct` is `null` when `total` is 0. `primary` is false for
//! a report that another format of the same run, in the same folder, supersedes (summary, then
//! lcov, then Cobertura). Spans: `totals` points at the report's totals (istanbul `total`, the
//! Cobertura root element, else the first line), `files[i]` at that file's record.

use quick_xml::events::Event as XmlEvent;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use super::{yaml::YamlDoc, Document, Kind, Loaded, SourceFile};
use crate::locate::{Children, Span, SpanNode};

#[derive(Clone, Copy, Debug, Default)]
struct Metric {
    covered: u64,
    total: u64,
}

impl Metric {
    fn add(&mut self, other: Metric) {
        self.covered += other.covered;
        self.total += other.total;
    }
    fn to_json(self) -> Value {
        let pct = if self.total == 0 {
            Value::Null
        } else {
            json!(self.covered as f64 * 100.0 / self.total as f64)
        };
        json!({"covered": self.covered, "total": self.total, "pct": pct})
    }
}

const METRICS: [&str; 4] = ["lines", "functions", "branches", "statements"];

#[derive(Default)]
struct FileCov {
    path: String,
    metrics: BTreeMap<&'static str, Metric>,
    span: Span,
}

fn metrics_json(m: &BTreeMap<&'static str, Metric>) -> Map<String, Value> {
    m.iter()
        .map(|(k, v)| (k.to_string(), v.to_json()))
        .collect()
}

fn build(
    source: Arc<SourceFile>,
    format: &str,
    totals: BTreeMap<&'static str, Metric>,
    totals_span: SpanNode,
    files: Vec<FileCov>,
) -> Loaded {
    let mut file_values = Vec::new();
    let mut file_spans = Vec::new();
    for f in files {
        let mut obj = metrics_json(&f.metrics);
        obj.insert("path".into(), Value::String(f.path));
        file_values.push(Value::Object(obj));
        file_spans.push(SpanNode::leaf(f.span));
    }
    let value = json!({
        "format": format,
        "primary": true,
        "totals": Value::Object(metrics_json(&totals)),
        "files": file_values,
    });
    let root_span = source.first_content_span();
    let mut children = BTreeMap::new();
    children.insert("totals".to_string(), totals_span);
    children.insert(
        "files".to_string(),
        SpanNode {
            children: Children::Seq(file_spans),
            ..SpanNode::leaf(root_span)
        },
    );
    let spans = SpanNode {
        children: Children::Map(children),
        ..SpanNode::leaf(root_span)
    };
    Loaded {
        documents: vec![Document {
            kind: Kind::Coverage,
            index: 0,
            value,
            spans,
            source,
        }],
        source: None,
        findings: Vec::new(),
    }
}

/// lcov tracefiles (`lcov.info`), including lcov 2.x records (`VER:`, `FNL:`, `FNA:`), which the
/// `lcov` crate does not know: those are read here, the classic records by the crate.
pub fn load_lcov(source: Arc<SourceFile>) -> Loaded {
    let mut files: Vec<FileCov> = Vec::new();
    let mut cur: Option<(FileCov, LcovAcc)> = None;
    let text = source.text.clone();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            continue;
        }
        let tag = line.split_once(':').map(|(t, _)| t).unwrap_or(line);
        match tag {
            // lcov 2.x: version, and function records by index.
            "VER" => continue,
            "FNL" | "FNA" => {
                if let Some((_, acc)) = cur.as_mut() {
                    let rest = &line[4..];
                    if tag == "FNA" {
                        // FNA:<index>,<hits>,<name>
                        let mut parts = rest.splitn(3, ',');
                        let (_, hits) = (parts.next(), parts.next());
                        match hits.and_then(|h| h.trim().parse::<u64>().ok()) {
                            Some(h) => {
                                acc.fn_total += 1;
                                if h > 0 {
                                    acc.fn_hit += 1;
                                }
                            }
                            None => return lcov_error(&source, line_no, "malformed FNA record"),
                        }
                    }
                    continue;
                }
                return lcov_error(&source, line_no, "record outside of an SF: section");
            }
            _ => {}
        }
        let record: lcov::Record = match line.parse() {
            Ok(r) => r,
            Err(e) => return lcov_error(&source, line_no, &format!("{e}: `{line}`")),
        };
        use lcov::Record as R;
        match record {
            R::TestName { .. } => {}
            R::SourceFile { path } => {
                if let Some((f, acc)) = cur.take() {
                    files.push(acc.finish(f));
                }
                cur = Some((
                    FileCov {
                        path: path.to_string_lossy().replace('\\', "/"),
                        span: source.line_span(line_no),
                        ..Default::default()
                    },
                    LcovAcc::default(),
                ));
            }
            R::EndOfRecord => {
                if let Some((f, acc)) = cur.take() {
                    files.push(acc.finish(f));
                }
            }
            other => {
                let Some((_, acc)) = cur.as_mut() else {
                    return lcov_error(&source, line_no, "record outside of an SF: section");
                };
                match other {
                    R::FunctionName { .. } => acc.fn_names += 1,
                    R::FunctionData { count, .. } => {
                        acc.fn_total += 1;
                        if count > 0 {
                            acc.fn_hit += 1;
                        }
                    }
                    R::FunctionsFound { found } => acc.fnf = Some(found as u64),
                    R::FunctionsHit { hit } => acc.fnh = Some(hit as u64),
                    R::BranchData { taken, .. } => {
                        acc.br_total += 1;
                        if taken.is_some_and(|t| t > 0) {
                            acc.br_hit += 1;
                        }
                    }
                    R::BranchesFound { found } => acc.brf = Some(found as u64),
                    R::BranchesHit { hit } => acc.brh = Some(hit as u64),
                    R::LineData { count, .. } => {
                        acc.ln_total += 1;
                        if count > 0 {
                            acc.ln_hit += 1;
                        }
                    }
                    R::LinesFound { found } => acc.lf = Some(found as u64),
                    R::LinesHit { hit } => acc.lh = Some(hit as u64),
                    _ => {}
                }
            }
        }
    }
    if let Some((f, acc)) = cur.take() {
        files.push(acc.finish(f));
    }
    if files.is_empty() {
        return lcov_error(&source, 1, "no SF: record: not an lcov tracefile, or empty");
    }
    let mut totals: BTreeMap<&'static str, Metric> = BTreeMap::new();
    for f in &files {
        for (k, m) in &f.metrics {
            totals.entry(k).or_default().add(*m);
        }
    }
    let span = SpanNode::leaf(source.first_content_span());
    build(source, "lcov", totals, span, files)
}

fn lcov_error(source: &Arc<SourceFile>, line: u32, msg: &str) -> Loaded {
    let pos = source.lines.pos_at(&source.text, line, 1);
    Loaded::parse_error(source, pos, format!("invalid lcov: {msg}"))
}

#[derive(Default)]
struct LcovAcc {
    fn_names: u64,
    fn_total: u64,
    fn_hit: u64,
    fnf: Option<u64>,
    fnh: Option<u64>,
    br_total: u64,
    br_hit: u64,
    brf: Option<u64>,
    brh: Option<u64>,
    ln_total: u64,
    ln_hit: u64,
    lf: Option<u64>,
    lh: Option<u64>,
}

impl LcovAcc {
    /// Summary records (`LF`/`LH`, …) win over counts of detail records, as in genhtml.
    fn finish(self, mut f: FileCov) -> FileCov {
        let pick =
            |summary_total: Option<u64>, summary_hit: Option<u64>, total: u64, hit: u64| match (
                summary_total,
                summary_hit,
            ) {
                (Some(t), Some(h)) => Metric {
                    covered: h.min(t),
                    total: t,
                },
                _ => Metric {
                    covered: hit,
                    total,
                },
            };
        f.metrics
            .insert("lines", pick(self.lf, self.lh, self.ln_total, self.ln_hit));
        let fn_total = self.fn_total.max(self.fn_names);
        f.metrics
            .insert("functions", pick(self.fnf, self.fnh, fn_total, self.fn_hit));
        f.metrics.insert(
            "branches",
            pick(self.brf, self.brh, self.br_total, self.br_hit),
        );
        f
    }
}

/// istanbul's `coverage-summary.json` (`json-summary` reporter): `{"total": {...}, "<file>": {...}}`.
pub fn normalize_istanbul(doc: YamlDoc) -> Option<(Value, SpanNode)> {
    let obj = doc.value.as_object()?;
    let total = obj.get("total")?.as_object()?;
    if !METRICS
        .iter()
        .any(|m| total.get(*m).is_some_and(Value::is_object))
    {
        return None;
    }
    let child_spans = match &doc.spans.children {
        Children::Map(m) => m.clone(),
        _ => BTreeMap::new(),
    };
    let metrics_of = |v: &Value| -> Map<String, Value> {
        let mut out = Map::new();
        for m in METRICS {
            if let Some(o) = v.get(m).and_then(Value::as_object) {
                let covered = o.get("covered").and_then(Value::as_u64);
                let total = o.get("total").and_then(Value::as_u64);
                if let (Some(covered), Some(total)) = (covered, total) {
                    out.insert(m.to_string(), Metric { covered, total }.to_json());
                }
            }
        }
        out
    };
    let totals = metrics_of(&Value::Object(total.clone()));
    let mut files = Vec::new();
    let mut file_spans = Vec::new();
    for (k, v) in obj {
        if k == "total" || !v.is_object() {
            continue;
        }
        let mut m = metrics_of(v);
        m.insert("path".into(), Value::String(k.clone()));
        files.push(Value::Object(m));
        file_spans.push(child_spans.get(k).cloned().unwrap_or_default());
    }
    let value = json!({
        "format": "istanbul",
        "primary": true,
        "totals": Value::Object(totals),
        "files": files,
    });
    let mut children = BTreeMap::new();
    children.insert(
        "totals".to_string(),
        child_spans.get("total").cloned().unwrap_or_default(),
    );
    children.insert(
        "files".to_string(),
        SpanNode {
            children: Children::Seq(file_spans),
            ..SpanNode::leaf(doc.spans.value)
        },
    );
    let spans = SpanNode {
        children: Children::Map(children),
        ..doc.spans
    };
    Some((value, spans))
}

/// Cobertura XML (`<coverage line-rate=… lines-covered=… lines-valid=…>`).
pub fn load_cobertura(source: Arc<SourceFile>, explicit: bool) -> Loaded {
    match parse_cobertura(&source) {
        Ok(Some((totals, root_span, files))) => build(
            source,
            "cobertura",
            totals,
            SpanNode::leaf(root_span),
            files,
        ),
        Ok(None) => Loaded::default(),
        Err(_) if !explicit && !claims_xml(&source) => Loaded::default(),
        Err((offset, msg)) => {
            let pos = source.pos(offset);
            Loaded::parse_error(&source, pos, format!("invalid XML: {msg}"))
        }
    }
}

/// True when an XML file that does not parse was plausibly a coverage report.
fn claims_xml(source: &SourceFile) -> bool {
    let name = source
        .path
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    name.contains("cobertura") || name.contains("coverage") || source.text.contains("<coverage")
}

type Cobertura = (BTreeMap<&'static str, Metric>, Span, Vec<FileCov>);

fn parse_cobertura(source: &SourceFile) -> Result<Option<Cobertura>, (usize, String)> {
    let mut reader = quick_xml::Reader::from_str(&source.text);
    let mut depth = 0usize;
    let mut root_attrs: Option<(Span, BTreeMap<String, String>)> = None;
    let mut in_methods = 0usize;
    // Files by path, in first-seen order.
    let mut order: Vec<String> = Vec::new();
    let mut by_path: BTreeMap<String, (FileCov, Metric, Metric)> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut lines_total = Metric::default();
    let mut branches_total = Metric::default();
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| (reader.error_position() as usize, e.to_string()))?;
        let (e, empty) = match ev {
            XmlEvent::Eof => break,
            XmlEvent::Start(e) => (e, false),
            XmlEvent::Empty(e) => (e, true),
            XmlEvent::End(e) => {
                depth = depth.saturating_sub(1);
                match e.name().as_ref() {
                    b"methods" => in_methods = in_methods.saturating_sub(1),
                    b"class" => current = None,
                    _ => {}
                }
                continue;
            }
            _ => continue,
        };
        let name = e.name().as_ref().to_vec();
        let attrs: BTreeMap<String, String> = e
            .attributes()
            .filter_map(Result::ok)
            .map(|a| {
                (
                    String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                    a.unescape_value()
                        .map(|v| v.into_owned())
                        .unwrap_or_default(),
                )
            })
            .collect();
        // The element's start tag, up to the end of its name: `<coverage`.
        let start = source.text[before..]
            .find('<')
            .map(|i| before + i)
            .unwrap_or(before);
        let tag_span = Span::new(source.pos(start), source.pos(start + 1 + name.len()));
        if depth == 0 {
            if name != b"coverage" {
                return Ok(None);
            }
            root_attrs = Some((tag_span, attrs.clone()));
        }
        match name.as_slice() {
            b"methods" if !empty => in_methods += 1,
            b"class" => {
                let path = attrs.get("filename").cloned().unwrap_or_default();
                if !by_path.contains_key(&path) {
                    order.push(path.clone());
                    by_path.insert(
                        path.clone(),
                        (
                            FileCov {
                                path: path.clone(),
                                span: tag_span,
                                ..Default::default()
                            },
                            Metric::default(),
                            Metric::default(),
                        ),
                    );
                }
                if !empty {
                    current = Some(path);
                }
            }
            b"line" if in_methods == 0 => {
                let hits = attrs
                    .get("hits")
                    .and_then(|h| h.parse::<f64>().ok())
                    .unwrap_or(0.0);
                let mut br = Metric::default();
                if attrs.get("branch").is_some_and(|b| b == "true") {
                    // condition-coverage="50% (1/2)"
                    if let Some(cc) = attrs.get("condition-coverage") {
                        if let Some((c, t)) = cc
                            .split_once('(')
                            .and_then(|(_, r)| r.trim_end_matches(')').split_once('/'))
                        {
                            br.covered = c.trim().parse().unwrap_or(0);
                            br.total = t.trim().parse().unwrap_or(0);
                        }
                    }
                }
                let ln = Metric {
                    covered: (hits > 0.0) as u64,
                    total: 1,
                };
                if let Some(entry) = current.as_ref().and_then(|p| by_path.get_mut(p)) {
                    entry.1.add(ln);
                    entry.2.add(br);
                }
                if current.is_some() {
                    lines_total.add(ln);
                    branches_total.add(br);
                }
            }
            _ => {}
        }
        if !empty {
            depth += 1;
        }
    }
    if depth > 0 {
        return Err((
            source.text.len(),
            "unexpected end of file: the report is truncated".to_string(),
        ));
    }
    let Some((root_span, root)) = root_attrs else {
        return Err((source.text.len(), "no root element".to_string()));
    };
    let attr = |k: &str| root.get(k).and_then(|v| v.parse::<u64>().ok());
    let mut totals = BTreeMap::new();
    totals.insert(
        "lines",
        match (attr("lines-covered"), attr("lines-valid")) {
            (Some(c), Some(t)) => Metric {
                covered: c,
                total: t,
            },
            _ => lines_total,
        },
    );
    totals.insert(
        "branches",
        match (attr("branches-covered"), attr("branches-valid")) {
            (Some(c), Some(t)) => Metric {
                covered: c,
                total: t,
            },
            _ => branches_total,
        },
    );
    let files = order
        .into_iter()
        .filter_map(|p| by_path.remove(&p))
        .map(|(mut f, ln, br)| {
            f.metrics.insert("lines", ln);
            f.metrics.insert("branches", br);
            f
        })
        .collect();
    Ok(Some((totals, root_span, files)))
}

/// Marks all but one report of a run as not primary: in one folder, an istanbul summary wins
/// over lcov, which wins over Cobertura.
pub fn mark_primary(docs: &mut [Document]) {
    let rank = |d: &Document| match d.value.get("format").and_then(Value::as_str) {
        Some("istanbul") => 0,
        Some("lcov") => 1,
        _ => 2,
    };
    let dir = |d: &Document| {
        d.path()
            .rsplit_once('/')
            .map(|(dir, _)| dir.to_string())
            .unwrap_or_default()
    };
    let mut best: BTreeMap<String, i32> = BTreeMap::new();
    for d in docs.iter().filter(|d| d.kind == Kind::Coverage) {
        let e = best.entry(dir(d)).or_insert(i32::MAX);
        *e = (*e).min(rank(d));
    }
    for d in docs.iter_mut().filter(|d| d.kind == Kind::Coverage) {
        if best.get(&dir(d)).is_some_and(|b| *b < rank(d)) {
            if let Some(o) = d.value.as_object_mut() {
                o.insert("primary".into(), Value::Bool(false));
            }
        }
    }
}
