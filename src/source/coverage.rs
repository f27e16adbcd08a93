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

use crate::model::value;
use quick_xml::events::Event as XmlEvent;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

use std::path::Path;

use super::parse::{ext_lower, file_name_lower, parse_structured};
use super::{yaml::YamlDoc, Document, KindSpec, LoadContext, Loaded, Loader};
use crate::model::{Children, Kind, Seg, SourceFile, Span, SpanMap, SpanNode};

pub const KIND: Kind = Kind("coverage");

/// lcov tracefiles (`*.info`, `*.lcov`) and istanbul's `coverage-summary.json`; Cobertura XML
/// is recognised by its root element.
fn named(path: &Path) -> bool {
    let name = file_name_lower(path);
    let ext = ext_lower(path);
    matches!(ext.as_str(), "info" | "lcov") || name == "coverage-summary.json"
}

/// By extension: `.json` is an istanbul summary, `.xml` Cobertura, anything else lcov.
fn load(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    let name = source.file_name_lower();
    if name.ends_with(".json") {
        match parse_structured(source, true, ctx.limits) {
            Err(e) => Loaded::parse_error(source, e.pos, e.message),
            Ok(docs) => {
                let Some(d) = docs.into_iter().next() else {
                    return Loaded::default();
                };
                if let Some(problem) = istanbul_problem(&d.value) {
                    return super::located_problem(source, &d.spans, problem);
                }
                match normalize_istanbul(d) {
                    Some((value, spans)) => Loaded {
                        documents: vec![Document::new(KIND, 0, value, spans, source.clone())],
                        ..Loaded::default()
                    },
                    None => Loaded::default(),
                }
            }
        }
    } else if name.ends_with(".xml") {
        load_cobertura(source.clone(), ctx.explicit)
    } else {
        load_lcov(source.clone())
    }
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &[],
    category: Some("coverage"),
    summary: "coverage reports: lcov, istanbul `coverage-summary.json`, Cobertura XML",
    forceable: true,
    report_globs: &[
        "**/lcov.info",
        "**/*.lcov",
        "**/coverage*.info",
        "**/coverage-summary.json",
        "**/cobertura*.xml",
        "**/coverage.xml",
    ],
    named,
    load: Loader::Own(load),
    context: super::NamedContext::Alone,
};

#[derive(Clone, Copy, Debug, Default)]
struct Metric {
    covered: u64,
    total: u64,
}

impl Metric {
    fn add(&mut self, other: Metric) {
        // Saturating: a hostile report's huge counts must not wrap around into a pass.
        self.covered = self.covered.saturating_add(other.covered);
        self.total = self.total.saturating_add(other.total);
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
    // More covered than there is to cover (istanbul `covered` 2^64-1 of `total` 1, Cobertura
    // `lines-covered` > `lines-valid`) is a broken report: an error, never a pass.
    let impossible = |m: &BTreeMap<&'static str, Metric>| {
        m.iter().find(|(_, v)| v.covered > v.total).map(|(k, v)| {
            format!(
                "invalid {format} report: {k} covered ({}) is more than their total ({})",
                v.covered, v.total
            )
        })
    };
    if let Some(message) = impossible(&totals) {
        let at = totals_span.key.unwrap_or(totals_span.value).start;
        return Loaded::parse_error(&source, at, message);
    }
    for f in &files {
        if let Some(message) = impossible(&f.metrics) {
            return Loaded::parse_error(&source, f.span.start, message);
        }
    }
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
        children: Children::Map(children.into()),
        ..SpanNode::leaf(root_span)
    };
    Loaded {
        documents: vec![Document::new(KIND, 0, value, spans, source)],
        source: None,
        findings: Vec::new(),
    }
}

/// One source file of an lcov tracefile, merged over all its sections (one per test name).
#[derive(Default)]
struct LcovFile {
    path: String,
    span: Span,
    lines: BTreeMap<u32, u64>,
    /// Functions declared (by name, or `#index` for lcov 2.x `FNL`).
    declared: std::collections::BTreeSet<String>,
    /// Hits per function.
    hits: BTreeMap<String, u64>,
    branches: BTreeMap<(u32, String, String), bool>,
    /// Summary records (`LF`/`LH`, `FNF`/`FNH`, `BRF`/`BRH`), used where no detail record is.
    summary: BTreeMap<&'static str, Metric>,
}

impl LcovFile {
    fn finish(self) -> FileCov {
        let mut metrics = BTreeMap::new();
        let pick = |detail: Metric, key: &'static str| {
            if detail.total > 0 {
                detail
            } else {
                self.summary.get(key).copied().unwrap_or_default()
            }
        };
        let lines = Metric {
            covered: self.lines.values().filter(|c| **c > 0).count() as u64,
            total: self.lines.len() as u64,
        };
        metrics.insert("lines", pick(lines, "lines"));
        let all: std::collections::BTreeSet<&String> =
            self.declared.iter().chain(self.hits.keys()).collect();
        let functions = Metric {
            covered: self.hits.values().filter(|c| **c > 0).count() as u64,
            total: all.len() as u64,
        };
        metrics.insert("functions", pick(functions, "functions"));
        let branches = Metric {
            covered: self.branches.values().filter(|t| **t).count() as u64,
            total: self.branches.len() as u64,
        };
        metrics.insert("branches", pick(branches, "branches"));
        FileCov {
            path: self.path,
            metrics,
            span: self.span,
        }
    }
}

fn summary_add(f: &mut LcovFile, key: &'static str, covered: Option<u64>, total: Option<u64>) {
    let m = f.summary.entry(key).or_default();
    if let Some(c) = covered {
        m.covered = m.covered.saturating_add(c);
    }
    if let Some(t) = total {
        m.total = m.total.saturating_add(t);
    }
}

/// lcov tracefiles (`lcov.info`). Classic records are parsed by the `lcov` crate; lcov 2.x
/// records it does not know (`VER:`, `FNL:`, `FNA:`, `BRDA` with an exception block `e0`,
/// `MCDC:`, …) are read here or skipped. A file listed in several sections (one per test
/// name) is merged: a line is covered if any section covers it.
pub fn load_lcov(source: Arc<SourceFile>) -> Loaded {
    let mut order: Vec<String> = Vec::new();
    let mut files: BTreeMap<String, LcovFile> = BTreeMap::new();
    let mut cur: Option<String> = None;
    for (i, raw) in source.text.lines().enumerate() {
        let line_no = i as u32 + 1;
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() {
            continue;
        }
        let (tag, rest) = line.split_once(':').unwrap_or((line, ""));
        let known_tag = !tag.is_empty()
            && tag
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if tag == "SF" {
            let path = rest.trim().replace('\\', "/");
            if !files.contains_key(&path) {
                order.push(path.clone());
                files.insert(
                    path.clone(),
                    LcovFile {
                        path: path.clone(),
                        span: source.line_span(line_no),
                        ..Default::default()
                    },
                );
            }
            cur = Some(path);
            continue;
        }
        if line == "end_of_record" {
            cur = None;
            continue;
        }
        if tag == "TN" || tag == "VER" {
            continue;
        }
        let Some(f) = cur.as_ref().and_then(|p| files.get_mut(p)) else {
            if known_tag {
                return lcov_error(
                    &source,
                    line_no,
                    &format!("`{tag}:` record outside of an SF: section"),
                );
            }
            return lcov_error(&source, line_no, &format!("not an lcov record: `{line}`"));
        };
        match line.parse::<lcov::Record>() {
            Ok(record) => {
                use lcov::Record as R;
                match record {
                    R::FunctionName { name, .. } => {
                        f.declared.insert(name);
                    }
                    R::FunctionData { name, count } => {
                        let e = f.hits.entry(name).or_default();
                        *e = (*e).max(count);
                    }
                    R::FunctionsFound { found } => {
                        summary_add(f, "functions", None, Some(found as u64))
                    }
                    R::FunctionsHit { hit } => summary_add(f, "functions", Some(hit as u64), None),
                    R::BranchData {
                        line,
                        block,
                        branch,
                        taken,
                    } => {
                        let e = f
                            .branches
                            .entry((line, block.to_string(), branch.to_string()))
                            .or_default();
                        *e |= taken.is_some_and(|t| t > 0);
                    }
                    R::BranchesFound { found } => {
                        summary_add(f, "branches", None, Some(found as u64))
                    }
                    R::BranchesHit { hit } => summary_add(f, "branches", Some(hit as u64), None),
                    R::LineData { line, count, .. } => {
                        let e = f.lines.entry(line).or_default();
                        *e = (*e).max(count);
                    }
                    R::LinesFound { found } => summary_add(f, "lines", None, Some(found as u64)),
                    R::LinesHit { hit } => summary_add(f, "lines", Some(hit as u64), None),
                    R::TestName { .. } | R::SourceFile { .. } | R::EndOfRecord => {}
                }
            }
            Err(e) => match tag {
                // FNL:<index>,<line>[,<end line>]
                "FNL" => {
                    let idx = rest.split(',').next().unwrap_or_default().trim();
                    f.declared.insert(format!("#{idx}"));
                }
                // FNA:<index>,<hits>,<name>; aliases of one function share its index.
                "FNA" => {
                    let mut parts = rest.splitn(3, ',');
                    let idx = parts.next().unwrap_or_default().trim().to_string();
                    match parts.next().and_then(|h| h.trim().parse::<u64>().ok()) {
                        Some(h) => {
                            let e = f.hits.entry(format!("#{idx}")).or_default();
                            *e = (*e).max(h);
                        }
                        None => {
                            return lcov_error(
                                &source,
                                line_no,
                                &format!("malformed FNA record: `{line}`"),
                            )
                        }
                    }
                }
                // BRDA:<line>,<block>,<branch>,<taken>, with lcov 2.x exception blocks (`e0`).
                "BRDA" => {
                    let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
                    match (
                        parts.first().and_then(|l| l.parse::<u32>().ok()),
                        parts.len(),
                    ) {
                        (Some(l), n) if n >= 4 => {
                            let taken = parts[n - 1].parse::<u64>().is_ok_and(|t| t > 0);
                            let key = (l, parts[1].to_string(), parts[2..n - 1].join(","));
                            *f.branches.entry(key).or_default() |= taken;
                        }
                        _ => {
                            return lcov_error(
                                &source,
                                line_no,
                                &format!("malformed BRDA record: `{line}`"),
                            )
                        }
                    }
                }
                // Records of newer lcov versions that carry nothing we measure (MCDC, MCF, …).
                _ if known_tag
                    && !matches!(
                        tag,
                        "DA" | "FN" | "FNDA" | "FNF" | "FNH" | "BRF" | "BRH" | "LF" | "LH"
                    ) => {}
                _ => return lcov_error(&source, line_no, &format!("{e}: `{line}`")),
            },
        }
    }
    if files.is_empty() {
        return lcov_error(&source, 1, "no SF: record: not an lcov tracefile, or empty");
    }
    let files: Vec<FileCov> = order
        .into_iter()
        .filter_map(|p| files.remove(&p))
        .map(LcovFile::finish)
        .collect();
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

/// What makes an istanbul summary unusable, and where: a count that is not a non-negative
/// integer, or more covered than the total. Messages name the field, never the value.
pub fn istanbul_problem(value: &Value) -> Option<(Vec<Seg>, String)> {
    let obj = value.as_object()?;
    obj.get("total")?.as_object()?;
    for (key, entry) in obj {
        let Some(entry) = entry.as_object() else {
            continue;
        };
        for m in METRICS {
            let Some(metric) = entry.get(m) else {
                continue;
            };
            let base = [Seg::from(key.as_str()), Seg::from(m)];
            let Some(metric) = metric.as_object() else {
                return Some((
                    base.to_vec(),
                    format!("invalid istanbul summary: `{m}` must be a mapping"),
                ));
            };
            let mut counts = [0u64; 2];
            for (n, field) in ["covered", "total"].into_iter().enumerate() {
                match metric.get(field).map(Value::as_u64) {
                    Some(Some(c)) => counts[n] = c,
                    _ => {
                        let mut p = base.to_vec();
                        p.push(Seg::from(field));
                        return Some((
                            p,
                            format!(
                                "invalid istanbul summary: `{m}.{field}` must be a non-negative integer"
                            ),
                        ));
                    }
                }
            }
            if counts[0] > counts[1] {
                return Some((
                    base.to_vec(),
                    format!(
                        "invalid istanbul summary: {m} covered ({}) is more than their total ({})",
                        counts[0], counts[1]
                    ),
                ));
            }
        }
    }
    None
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
        _ => SpanMap::new(),
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
        children: Children::Map(children.into()),
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
    let name = source.file_name_lower();
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
            // Clover also uses a `<coverage>` root, with `clover=` and `<project>`: not ours.
            if name != b"coverage" || attrs.contains_key("clover") {
                return Ok(None);
            }
            root_attrs = Some((tag_span, attrs.clone()));
        }
        match name.as_slice() {
            b"methods" if !empty => in_methods += 1,
            b"class" => {
                let path = attrs
                    .get("filename")
                    .cloned()
                    .unwrap_or_default()
                    .replace('\\', "/");
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
    let rank = |d: &Document| match value::str_at(&d.value, &["format"]) {
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
    // The winner of each folder: best format, then the first path.
    let mut best: BTreeMap<String, (i32, String)> = BTreeMap::new();
    for d in docs.iter().filter(|d| d.kind == KIND) {
        let key = (rank(d), d.path().to_string());
        let e = best.entry(dir(d)).or_insert_with(|| key.clone());
        if key < *e {
            *e = key;
        }
    }
    for d in docs.iter_mut().filter(|d| d.kind == KIND) {
        if best.get(&dir(d)).is_some_and(|b| b.1 != d.path()) {
            if let Ok(o) = d.value.as_object_mut() {
                o.insert("primary".into(), false.into());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcov(text: &str) -> Loaded {
        load_lcov(SourceFile::new("lcov.info".into(), text.into()))
    }

    fn totals(l: &Loaded) -> Value {
        assert!(l.findings.is_empty(), "{:?}", l.findings);
        value::to_json(&l.documents[0].value)["totals"].clone()
    }

    #[test]
    fn lcov_sections_of_one_file_are_merged() {
        let l = lcov("TN:unit\nSF:a.c\nDA:1,1\nDA:2,0\nend_of_record\nTN:integration\nSF:a.c\nDA:1,0\nDA:2,3\nend_of_record\n");
        assert_eq!(
            totals(&l)["lines"],
            json!({"covered": 2, "total": 2, "pct": 100.0})
        );
        let v = value::to_json(&l.documents[0].value);
        assert_eq!(v["files"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn lcov_2_records_are_understood() {
        let l = lcov("VER:2.0\nTN:\nSF:a.c\nFNL:0,3\nFNA:0,1,_Z3fooi\nFNA:0,1,foo(int)\nFNL:1,12\nFNA:1,0,bar\nBRDA:5,e0,0,1\nBRDA:5,0,1,-\nMCDC:5,2,t,1,0,a\nMCF:2\nDA:5,1\nend_of_record\n");
        let t = totals(&l);
        assert_eq!(
            t["functions"],
            json!({"covered": 1, "total": 2, "pct": 50.0})
        );
        assert_eq!(
            t["branches"],
            json!({"covered": 1, "total": 2, "pct": 50.0})
        );
    }

    #[test]
    fn lcov_summary_records_are_used_without_details() {
        let l = lcov("SF:b.c\nLF:10\nLH:4\nFNF:0\nFNH:0\nend_of_record\n");
        let t = totals(&l);
        assert_eq!(t["lines"], json!({"covered": 4, "total": 10, "pct": 40.0}));
        assert_eq!(
            t["functions"],
            json!({"covered": 0, "total": 0, "pct": null})
        );
    }

    #[test]
    fn lcov_garbage_is_a_located_error() {
        let l = lcov("SF:a.c\nDA:1,1\nthis is not lcov\n");
        assert_eq!(l.findings[0].span.start.line, 3);
        let l = lcov("DA:1,1\n");
        assert!(
            l.findings[0].message.contains("outside"),
            "{:?}",
            l.findings
        );
        let l = lcov("SF:a.c\nDA:x,1\n");
        assert_eq!(l.findings[0].span.start.line, 2);
    }

    #[test]
    fn cobertura_totals_and_files() {
        let xml = "<?xml version=\"1.0\"?>\n<coverage lines-valid=\"4\" lines-covered=\"3\" line-rate=\"0.75\">\n<packages><package name=\"p\"><classes>\n<class name=\"A\" filename=\"src\\a.py\"><methods><method name=\"m\"><lines><line number=\"1\" hits=\"1\"/></lines></method></methods>\n<lines><line number=\"1\" hits=\"1\"/><line number=\"2\" hits=\"0\" branch=\"true\" condition-coverage=\"50% (1/2)\"/></lines></class>\n</classes></package></packages></coverage>\n";
        let l = load_cobertura(SourceFile::new("coverage.xml".into(), xml.into()), false);
        let v = &value::to_json(&l.documents[0].value);
        assert_eq!(
            v["totals"]["lines"],
            json!({"covered": 3, "total": 4, "pct": 75.0})
        );
        assert_eq!(
            v["totals"]["branches"],
            json!({"covered": 1, "total": 2, "pct": 50.0})
        );
        assert_eq!(v["files"][0]["path"], "src/a.py");
        // Method lines repeat class lines: counted once.
        assert_eq!(
            v["files"][0]["lines"],
            json!({"covered": 1, "total": 2, "pct": 50.0})
        );
        let root =
            crate::model::span::locate(&l.documents[0].spans, &[crate::model::Seg::from("totals")]);
        assert_eq!((root.span.start.line, root.span.start.column), (2, 1));
    }

    #[test]
    fn clover_is_not_cobertura() {
        let xml = "<coverage generated=\"1\" clover=\"4.4\"><project/></coverage>";
        let l = load_cobertura(SourceFile::new("clover.xml".into(), xml.into()), false);
        assert!(l.documents.is_empty() && l.findings.is_empty());
    }
}
