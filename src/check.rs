//! The pipeline: discover → load → evaluate → locate → (filter) → findings, sorted.

use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::Config;
use crate::discover::{self, Candidate, DiscoverOptions};
use crate::finding::{Diagnostic, Finding, Related, Severity};
use crate::locate::{locate, path_to_string};
use crate::policy::{self, PolicySet, RawFinding, Rule, Scope};
use crate::source::{self, coverage, yaml, Document, Kind, SourceFile};

/// Settings of one `tollgate check` run.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub paths: Vec<PathBuf>,
    pub discover: DiscoverOptions,
    /// Files larger than this are not parsed (a `parse-error` says so).
    pub max_file_size: u64,
    /// "Today", for expiry dates (`YYYY-MM-DD`).
    pub today: String,
    /// Per-rule settings overriding METADATA defaults.
    pub settings: BTreeMap<String, Value>,
    pub limits: yaml::Limits,
    /// The configuration (rule selection, severities, waivers).
    pub config: Config,
    /// Show every finding: no waiver applies.
    pub no_waivers: bool,
    /// conftest's `--combine`: conftest-style rules see every document at once.
    pub combine: bool,
    /// The team's data documents (`--data`), merged at the root of `data`.
    pub user_data: Vec<(String, Value)>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            paths: vec![PathBuf::from(".")],
            discover: DiscoverOptions::default(),
            max_file_size: 10 * 1024 * 1024,
            today: chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string(),
            settings: BTreeMap::new(),
            limits: yaml::Limits::default(),
            config: Config::default(),
            no_waivers: false,
            combine: false,
            user_data: Vec::new(),
        }
    }
}

/// The result of a run.
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub errors: Vec<Diagnostic>,
    pub files: usize,
    pub documents: usize,
    /// The text of every file with a document or finding, for snippets.
    pub sources: Sources,
}

/// Reads and loads one candidate file.
pub fn load_file(c: &Candidate, opts: &CheckOptions) -> Result<source::Loaded, Diagnostic> {
    let meta = std::fs::metadata(&c.path)
        .map_err(|e| Diagnostic::in_file(format!("cannot read: {e}"), c.display.clone()))?;
    // Both errors below are located parse errors with the file's (partial) text for snippets.
    let located = |text: String, offset: usize, message: String| {
        let source = SourceFile::new(c.display.clone(), text);
        let mut loaded = source::Loaded::parse_error(&source, source.pos(offset), message);
        loaded.source = Some(source);
        loaded
    };
    if meta.len() > opts.max_file_size {
        return Ok(located(
            String::new(),
            0,
            format!(
                "file is {:.1} MiB, over the size limit of {:.1} MiB: not checked",
                meta.len() as f64 / 1048576.0,
                opts.max_file_size as f64 / 1048576.0
            ),
        ));
    }
    let bytes = std::fs::read(&c.path)
        .map_err(|e| Diagnostic::in_file(format!("cannot read: {e}"), c.display.clone()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // The valid prefix ends at the bad byte: the error is underlined there.
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.into_bytes()[..valid]).into_owned();
            return Ok(located(
                prefix,
                valid,
                format!("invalid UTF-8 at byte {valid}"),
            ));
        }
    };
    // A UTF-8 byte-order mark is not content.
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    let source = SourceFile::new(c.display.clone(), text);
    let mut loaded = source::load(source.clone(), c.hint, c.explicit, opts.limits);
    loaded.source = Some(source);
    Ok(loaded)
}

/// Loads every candidate in parallel. Returns documents, parse-error findings, diagnostics and
/// the number of files that produced a document or a finding.
pub fn load_all(
    candidates: &[Candidate],
    opts: &CheckOptions,
) -> (Vec<Document>, Vec<Finding>, Vec<Diagnostic>, Sources) {
    let results: Vec<Result<source::Loaded, Diagnostic>> =
        candidates.par_iter().map(|c| load_file(c, opts)).collect();
    let mut docs = Vec::new();
    let mut findings = Vec::new();
    let mut errors = Vec::new();
    let mut files = Sources::new();
    for r in results {
        match r {
            Ok(l) => {
                if !l.documents.is_empty() || !l.findings.is_empty() {
                    if let Some(s) = &l.source {
                        files.insert(s.path.clone(), s.clone());
                    }
                }
                docs.extend(l.documents);
                findings.extend(l.findings);
            }
            Err(d) => errors.push(d),
        }
    }
    coverage::mark_primary(&mut docs);
    (docs, findings, errors, files)
}

/// Shared facts for per-document rules: `data.tollgate.today` and `data.tollgate.trivyignore`
/// (the entries of the `.trivyignore` at the scan root, `root`).
pub fn shared_data(docs: &[Document], today: &str, root: &Path) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("today".into(), Value::String(today.to_string()));
    // Only the scan root's `.trivyignore`, as Trivy reads only the one where it runs.
    let root_dir = if root.is_dir() {
        root.to_path_buf()
    } else {
        root.parent().map(PathBuf::from).unwrap_or_default()
    };
    let root_ignore = root_dir.join(".trivyignore");
    let shown = discover::display_path(&root_ignore);
    let entries = match docs
        .iter()
        .find(|d| d.kind == Kind::TrivyIgnore && d.path() == shown)
    {
        Some(d) => d.value.get("entries").cloned().unwrap_or_else(|| json!([])),
        // Not discovered (a report named on the command line): read it directly.
        None => match std::fs::read_to_string(&root_ignore) {
            Ok(text) => Value::Array(
                source::trivyignore::entries(&text)
                    .into_iter()
                    .map(|(_, v)| v)
                    .collect(),
            ),
            Err(_) => json!([]),
        },
    };
    m.insert("trivyignore".into(), entries);
    m
}

/// A raw finding of a rule about the document at an index.
pub type Located<'p> = (usize, &'p Rule, RawFinding);

/// Evaluates every applicable rule on every document (in parallel), then project rules.
pub fn evaluate<'p>(
    policies: &'p PolicySet,
    docs: &[Document],
    combine: bool,
) -> (Vec<(usize, &'p Rule, RawFinding)>, Vec<Diagnostic>) {
    // One engine clone per worker thread; rules one by one, so that an error names its rule.
    // (A single batched query per document was measured no faster: the cost is in the rules.)
    let doc_rules: Vec<&Rule> = policies
        .rules
        .iter()
        .filter(|r| r.scope == Scope::Document && !(combine && r.conftest))
        .collect();
    let per_doc: Vec<(Vec<Located<'_>>, Vec<Diagnostic>)> = docs
        .par_iter()
        .enumerate()
        .map_init(
            || policies.engine.clone(),
            |engine, (i, doc)| {
                let mut found = Vec::new();
                let mut errs = Vec::new();
                let rules: Vec<&&Rule> = doc_rules
                    .iter()
                    .filter(|r| r.applies_to(doc.kind))
                    .collect();
                if rules.is_empty() {
                    return (found, errs);
                }
                engine.set_input(regorus::Value::from(doc.value.clone()));
                for rule in rules {
                    match policy::evaluate(engine, rule) {
                        Ok(raws) => found.extend(raws.into_iter().map(|r| (i, *rule, r))),
                        Err(mut d) => {
                            d.message = format!("{} (on {})", d.message, doc.path());
                            errs.push(d)
                        }
                    }
                }
                (found, errs)
            },
        )
        .collect();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (f, e) in per_doc {
        found.extend(f);
        errors.extend(e);
    }
    if combine {
        let (f, e) = evaluate_combined(policies, docs);
        found.extend(f);
        errors.extend(e);
    }
    let project_rules: Vec<&Rule> = policies
        .rules
        .iter()
        .filter(|r| r.scope == Scope::Project)
        .collect();
    if !project_rules.is_empty() {
        let mut engine = policies.engine.clone();
        let mut by_kind: HashMap<Option<Vec<Kind>>, Vec<&Rule>> = HashMap::new();
        for r in project_rules {
            by_kind.entry(r.inputs.clone()).or_default().push(r);
        }
        let mut groups: Vec<_> = by_kind.into_iter().collect();
        groups.sort_by_key(|(_, rs)| rs[0].id.clone());
        let index: HashMap<(&str, usize), usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.path(), d.index), i))
            .collect();
        for (_, rules) in groups {
            let listed: Vec<Value> = docs
                .iter()
                .filter(|d| rules[0].applies_to(d.kind))
                .map(|d| {
                    json!({"file": d.path(), "kind": d.kind.name(), "index": d.index, "content": d.value})
                })
                .collect();
            engine.set_input(regorus::Value::from(json!({ "documents": listed })));
            for rule in rules {
                match policy::evaluate(&mut engine, rule) {
                    Ok(raws) => {
                        for raw in raws {
                            let file = raw.file.clone().unwrap_or_default();
                            let at = index
                                .get(&(file.as_str(), raw.document.unwrap_or(0)))
                                .copied()
                                .or_else(|| docs.iter().position(|d| d.path() == file));
                            match at {
                                Some(i) => found.push((i, rule, raw)),
                                None => errors.push(Diagnostic::at(
                                    format!(
                                        "rule {}: a project-scope finding must name the `file` (and `document`) it is about; got file {:?}",
                                        rule.id, raw.file
                                    ),
                                    rule.file.clone(),
                                    rule.line,
                                    1,
                                )),
                            }
                        }
                    }
                    Err(d) => errors.push(d),
                }
            }
        }
    }
    (found, errors)
}

/// conftest's `--combine`: conftest-style rules run once, with `input` the list of
/// `{"path", "contents"}` of every document. A result naming a `file` (or a `path` that is a
/// file) is located in it; others at the first document.
fn evaluate_combined<'p>(
    policies: &'p PolicySet,
    docs: &[Document],
) -> (Vec<(usize, &'p Rule, RawFinding)>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    if docs.is_empty() {
        return (found, errors);
    }
    let mut engine = policies.engine.clone();
    let listed: Vec<Value> = docs
        .iter()
        .map(|d| json!({"path": d.path(), "contents": d.value}))
        .collect();
    engine.set_input(regorus::Value::from(Value::Array(listed)));
    for rule in policies.rules.iter().filter(|r| r.conftest) {
        match policy::evaluate(&mut engine, rule) {
            Ok(raws) => {
                for mut raw in raws {
                    let at = raw
                        .file
                        .as_deref()
                        .and_then(|f| docs.iter().position(|d| d.path() == f))
                        .unwrap_or(0);
                    if raw.file.is_none() {
                        // The path of a combined result is relative to the whole list.
                        raw.path = None;
                    }
                    found.push((at, rule, raw));
                }
            }
            Err(d) => errors.push(d),
        }
    }
    (found, errors)
}

/// The file line of the `n`-th (1-based) line of the multi-line string located at `loc`: a
/// block scalar's text starts on the line after its `|`/`>` header (its first lines may be
/// blank); a multi-line flow scalar's on its first line. `None` for one-line scalars.
fn text_line(src: &SourceFile, loc: &crate::locate::Located, n: u32) -> Option<u32> {
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

/// Turns a raw finding into a located one.
pub fn locate_finding(doc: &Document, rule: &Rule, raw: &RawFinding) -> Finding {
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
        let line = src.lines.line_text(&src.text, span.start.line);
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
        span.end = crate::locate::Pos {
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
        title: rule.title.clone(),
        suppressed: None,
    }
}

/// The folder project-scope rules see when files are named explicitly: the git root above
/// the working directory, else the working directory.
fn context_root() -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for dir in cwd.ancestors() {
        if dir.join(".git").exists() {
            return dir.to_path_buf();
        }
    }
    cwd
}

/// tollgate's own rules (`parse-error`, `waiver-*`) always run unless `ignore` names them:
/// selecting a few policy rules should not hide broken inputs or dead waivers.
fn internal_selected(cfg: &Config, rule: &str) -> bool {
    !crate::config::INTERNAL_RULES.contains(&rule) || !cfg.ignore.iter().any(|i| i == rule)
}

/// Runs the whole check.
///
/// When every path is a file (as pre-commit passes them), the files limit what is reported,
/// not what is known: the whole repository is loaded, so project-scope rules see it all.
pub fn run(policies: &PolicySet, opts: &CheckOptions) -> Outcome {
    let explicit_only = !opts.paths.is_empty() && opts.paths.iter().all(|p| p.is_file());
    let (roots, report_only) = if explicit_only {
        // Explicit files first, so that they keep their explicit loading.
        let mut roots = opts.paths.clone();
        roots.push(context_root());
        let only: std::collections::BTreeSet<String> = opts
            .paths
            .iter()
            .map(|p| discover::display_path(p))
            .collect();
        (roots, Some(only))
    } else {
        (opts.paths.clone(), None)
    };
    let (candidates, mut errors) = discover::discover(&roots, &opts.discover);
    let (docs, mut findings, load_errors, mut sources) = load_all(&candidates, opts);
    errors.extend(load_errors);
    errors.extend(policies.errors.iter().cloned());
    let mut policies = policies.clone();
    // The scan root: the first path, or the repository when files are named.
    let root = if explicit_only {
        roots[roots.len() - 1].clone()
    } else {
        opts.paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."))
    };
    errors.extend(policies.set_data_with(
        &opts.settings,
        shared_data(&docs, &opts.today, &root),
        &opts.user_data,
    ));
    let (raws, eval_errors) = evaluate(&policies, &docs, opts.combine);
    errors.extend(eval_errors);
    for (i, rule, raw) in &raws {
        findings.push(locate_finding(&docs[*i], rule, raw));
    }
    let cfg = &opts.config;
    // Selection of tollgate's own rules (parse-error, …); Rego rules were filtered before.
    findings.retain(|f| internal_selected(cfg, &f.rule));
    for f in findings.iter_mut() {
        if let Some(sev) = cfg.rules.get(&f.rule).and_then(|r| r.severity) {
            f.severity = sev;
        }
    }
    let in_scope = |file: &str| report_only.as_ref().is_none_or(|only| only.contains(file));
    findings.retain(|f| in_scope(&f.file));
    if !opts.no_waivers {
        let mut waivers = crate::waiver::inline(&sources);
        waivers.retain(|w| in_scope(&w.at_file));
        if report_only.is_none() {
            // With a partial report, config waivers cannot be known unused.
            waivers.extend(crate::waiver::from_config(cfg));
        }
        let about = crate::waiver::apply(&mut findings, &mut waivers, cfg, &opts.today);
        findings.extend(
            about
                .into_iter()
                .filter(|f| internal_selected(cfg, &f.rule)),
        );
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    errors.sort_by(|a, b| {
        (&a.file, a.line, a.column, &a.message).cmp(&(&b.file, b.line, b.column, &b.message))
    });
    errors.dedup();
    let (files, documents) = match &report_only {
        None => (sources.len(), docs.len()),
        Some(only) => (
            sources.keys().filter(|k| only.contains(*k)).count(),
            docs.iter().filter(|d| only.contains(d.path())).count(),
        ),
    };
    // The config's text, for snippets of findings about its waivers (not a checked file).
    if let Some(src) = &cfg.source {
        sources
            .entry(src.path.clone())
            .or_insert_with(|| src.clone());
    }
    Outcome {
        findings,
        errors,
        files,
        documents,
        sources,
    }
}

/// The exit code: 2 for errors, 1 for findings at or above `fail_on`, else 0.
pub fn exit_code(outcome: &Outcome, fail_on: Option<Severity>) -> i32 {
    if !outcome.errors.is_empty() {
        return 2;
    }
    match fail_on {
        Some(level)
            if outcome
                .findings
                .iter()
                .any(|f| f.suppressed.is_none() && f.severity >= level) =>
        {
            1
        }
        _ => 0,
    }
}

impl Outcome {
    /// The findings no waiver covers.
    pub fn active(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppressed.is_none())
    }

    pub fn suppressed_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_some())
            .count()
    }
}

/// Source files by display path, for rendering snippets.
pub type Sources = HashMap<String, Arc<SourceFile>>;
