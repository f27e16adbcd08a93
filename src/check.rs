//! `tollgate check`, the orchestrator: discover → load → evaluate → locate → filter, each
//! stage in its own module; this one only wires them and counts.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::discover::{self, Candidate, DiscoverOptions};
use crate::filter::{self, FilterContext};
use crate::locate::locate_finding;
use crate::model::fingerprint::{self, BaselineEntry};
use crate::model::span::{Children, SpanNode};
use crate::model::{DiffInfo, Finding, NewWaiver, Outcome, Scope, SuppressionKind};
use crate::policy::PolicySet;
use crate::source::{yaml, Document};
use crate::{baseline, evaluate, named, pinpoint, read};

/// Files larger than this are not parsed unless configured otherwise (10 MiB).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

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
    /// Locate findings whose rule gave no path by removal (`None`: `--no-locate`).
    pub pinpoint: Option<pinpoint::Budget>,
    /// A baseline (`--baseline`): its display path and entries; the findings it lists are left
    /// out as pre-existing.
    pub baseline: Option<(String, Vec<BaselineEntry>)>,
    /// The diff the check is scoped to (`--new-only`, `--changed-files`).
    pub diff: Option<DiffScope>,
    /// Inline waivers the diff adds do not apply (their findings count).
    pub no_new_waivers: bool,
}

/// Which findings a diff-scoped check reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiffMode {
    /// Findings that do not exist at the base (by fingerprint).
    NewOnly,
    /// Every finding in a file the diff touches, and new project-scope findings anywhere.
    ChangedFiles,
}

/// The diff a check is scoped to, read from git by the caller (this stage never runs git).
#[derive(Clone, Debug)]
pub struct DiffScope {
    pub mode: DiffMode,
    /// How the base was named, for reports.
    pub base: String,
    /// Files the diff touches that are in the working tree (display paths), with their bytes
    /// at the base (`None`: added). A renamed file is here under its new path, with the bytes
    /// of its old path.
    pub touched: BTreeMap<String, Option<Vec<u8>>>,
    /// Files the diff deletes (display paths), with their bytes at the base.
    pub deleted: BTreeMap<String, Vec<u8>>,
    /// Renamed files: new display path → old display path (baseline entries follow them).
    pub renames: BTreeMap<String, String>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            paths: vec![PathBuf::from(".")],
            discover: DiscoverOptions::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            today: crate::model::today(),
            settings: BTreeMap::new(),
            limits: yaml::Limits::default(),
            config: Config::default(),
            no_waivers: false,
            combine: false,
            user_data: Vec::new(),
            pinpoint: Some(pinpoint::Budget::default()),
            baseline: None,
            diff: None,
            no_new_waivers: false,
        }
    }
}

/// The byte ranges of every scalar value and mapping key of `docs`, per file.
fn scalar_ranges(docs: &[crate::source::Document]) -> crate::waiver::ScalarRanges {
    fn walk(n: &SpanNode, out: &mut Vec<(usize, usize)>) {
        if let Some(k) = &n.key {
            out.push((k.start.offset, k.end.offset));
        }
        match &n.children {
            Children::Leaf => out.push((n.value.start.offset, n.value.end.offset)),
            Children::Map(m) => m.values().for_each(|c| walk(c, out)),
            Children::Seq(s) => s.iter().for_each(|c| walk(c, out)),
        }
    }
    let mut out = crate::waiver::ScalarRanges::new();
    // Only files that can hold a directive (`waiver::inline_in_comments` reads no others): the
    // rest of the repository's span trees are not walked.
    for d in docs.iter().filter(|d| d.source.text.contains("tollgate:")) {
        walk(&d.spans, out.entry(d.path().to_string()).or_default());
    }
    out
}

/// Whether a path is named rather than walked: a file, standard input (`-`), a FIFO or a
/// device; not a folder, not a path that does not exist.
fn is_named(path: &Path) -> bool {
    path.as_os_str() == "-" || std::fs::metadata(path).is_ok_and(|m| !m.is_dir())
}

/// Runs the whole check.
///
/// When every path is named (a file, as pre-commit passes them), the files are checked with
/// only the context their rules need ([`named`]); project-scope rules that need the whole
/// repository are skipped and listed in [`Outcome::skipped_rules`]. Otherwise the paths are
/// walked.
pub fn run(policies: &PolicySet, opts: &CheckOptions) -> Outcome {
    let mut clock = Clock::new();
    let named_only = !opts.paths.is_empty() && opts.paths.iter().all(|p| is_named(p));
    let (candidates, mut errors) = discover::discover(&opts.paths, &opts.discover);
    let candidate_count = candidates.len();
    let roots = opts.paths.clone();
    clock.lap("discover");
    let mut policies = policies.clone();
    let mut skipped_rules = Vec::new();
    let (candidates, loaded, root, report_only) = if named_only {
        let only: BTreeSet<String> = candidates.iter().map(|c| c.display.clone()).collect();
        let load = named::load(
            candidates,
            &named::Scope {
                discover: &opts.discover,
                max_file_size: opts.max_file_size,
                limits: opts.limits,
                stacks: &opts.config.compose_stacks,
            },
        );
        skipped_rules = skip_project_rules(&mut policies, &load.loaded.documents);
        (load.candidates, load.loaded, load.root, Some(only))
    } else {
        let loaded = read::load_all(&candidates, opts.max_file_size, opts.limits);
        // The scan root: the first path.
        let root = opts
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| PathBuf::from("."));
        (candidates, loaded, root, None)
    };
    errors.extend(loaded.errors);
    errors.extend(policies.errors.iter().cloned());
    let docs = loaded.documents;
    let (shared, refused) = read::shared_data(
        &docs,
        &opts.today,
        &root,
        opts.max_file_size,
        &opts.config.compose_stacks,
    );
    // A `.trivyignore` that failed to load already has its finding; otherwise say why it was
    // not read.
    if let Some(d) = refused {
        if !loaded
            .findings
            .iter()
            .any(|f| Some(&f.file) == d.file.as_ref())
        {
            errors.push(d);
        }
    }
    clock.lap("load");
    errors.extend(policies.set_data(&opts.settings, shared, &opts.user_data));
    let (mut raws, eval_errors) = evaluate::evaluate(&policies, &docs, opts.combine);
    errors.extend(eval_errors);
    clock.lap("evaluate");
    if let Some(budget) = opts.pinpoint {
        pinpoint::pinpoint(&policies, &docs, &mut raws, opts.combine, budget);
    }
    let mut findings = loaded.findings;
    findings.extend(
        raws.iter()
            .map(|(i, rule, raw)| locate_finding(&docs[*i], &rule.meta, raw)),
    );
    clock.lap("locate");
    let mut sources = loaded.sources;
    let scalars = scalar_ranges(&docs);
    let mut findings = filter::apply(
        findings,
        &FilterContext {
            config: &opts.config,
            report_only: report_only.as_ref(),
            no_waivers: opts.no_waivers,
            today: &opts.today,
            sources: &sources,
            scalars: Some(&scalars),
        },
    );
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    fingerprint::assign(&mut findings);
    clock.lap("filter");
    let mut pre_existing = 0;
    let mut diff_info = None;
    let mut new_waivers = Vec::new();
    if let Some(scope) = &opts.diff {
        new_waivers = added_waivers(&mut findings, scope, &sources, opts.no_new_waivers);
    }
    if let Some(scope) = &opts.diff {
        let checked: BTreeSet<&str> = candidates.iter().map(|c| c.display.as_str()).collect();
        let touched_checked = scope
            .touched
            .keys()
            .filter(|k| checked.contains(k.as_str()))
            .count();
        let deleted = scope
            .deleted
            .keys()
            .filter(|d| discover::candidate_for(Path::new(d), &roots, &opts.discover).is_some())
            .count();
        let mut base = if touched_checked + deleted == 0 {
            // Nothing checked changed: every finding is as it was at the base.
            BTreeMap::new()
        } else {
            base_fingerprints(&policies, opts, scope, &candidates, &roots, &root)
        };
        let project: BTreeSet<&str> = policies
            .rules
            .iter()
            .filter(|r| r.scope == Scope::Project)
            .map(|r| r.id.as_str())
            .collect();
        let before = findings.len();
        findings.retain(|f| {
            let touched = scope.touched.contains_key(&f.file);
            let is_project = project.contains(f.rule.as_str());
            let mut at_base = || match base.get_mut(&f.fingerprint) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            };
            match scope.mode {
                DiffMode::NewOnly => (touched || is_project) && !at_base(),
                DiffMode::ChangedFiles => touched || (is_project && !at_base()),
            }
        });
        pre_existing += before - findings.len();
        diff_info = Some(DiffInfo {
            base: scope.base.clone(),
            changed_files: matches!(scope.mode, DiffMode::ChangedFiles),
            touched_checked: touched_checked + deleted,
        });
    }
    let mut baseline_unmatched = Vec::new();
    if let Some((_, entries)) = &opts.baseline {
        let entries = follow_renames(entries, opts.diff.as_ref(), &findings);
        let applied = baseline::apply(findings, &entries);
        findings = applied.findings;
        pre_existing += applied.pre_existing;
        baseline_unmatched = applied.unmatched;
    }
    if opts.diff.is_some() || opts.baseline.is_some() {
        clock.lap("diff and baseline");
    }
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
    if let Some(src) = &opts.config.source {
        sources
            .entry(src.path.clone())
            .or_insert_with(|| src.clone());
    }
    Outcome {
        findings,
        errors,
        files,
        documents,
        candidates: candidate_count,
        config_file: opts.config.source.as_ref().map(|s| s.path.clone()),
        sources,
        file_kinds: loaded.kinds,
        pre_existing,
        baseline: opts.baseline.as_ref().map(|(path, _)| path.clone()),
        baseline_unmatched,
        diff: diff_info,
        policy_changes: Vec::new(),
        new_waivers,
        skipped_rules,
        timings: clock.laps,
    }
}

/// Wall time per phase.
struct Clock {
    last: std::time::Instant,
    laps: Vec<(&'static str, std::time::Duration)>,
}

impl Clock {
    fn new() -> Clock {
        Clock {
            last: std::time::Instant::now(),
            laps: Vec::new(),
        }
    }

    fn lap(&mut self, phase: &'static str) {
        let now = std::time::Instant::now();
        self.laps.push((phase, now - self.last));
        self.last = now;
    }
}

/// Drops, for a named-file run, the project-scope rules that need every document of the
/// repository (those over kinds whose named context is not whole, see
/// [`crate::source::NamedContext::is_whole`]); returns the ids of those that would have seen
/// one of the loaded documents.
fn skip_project_rules(policies: &mut PolicySet, docs: &[Document]) -> Vec<String> {
    let whole = |r: &crate::policy::Rule| {
        r.inputs.as_ref().is_some_and(|ks| {
            !ks.is_empty()
                && ks
                    .iter()
                    .all(|k| crate::source::spec(*k).context.is_whole())
        })
    };
    let mut skipped = BTreeSet::new();
    policies.rules.retain(|r| {
        if r.scope != Scope::Project || whole(r) {
            return true;
        }
        if docs.iter().any(|d| r.applies_to(d.kind)) {
            skipped.insert(r.id.clone());
        }
        false
    });
    skipped.into_iter().collect()
}

/// The inline waivers (of findings) that the diff adds: on a line of a file the diff adds, or
/// whose text is on no line of the file at the base. With `unwaive`, their findings count.
fn added_waivers(
    findings: &mut [Finding],
    scope: &DiffScope,
    sources: &crate::model::Sources,
    unwaive: bool,
) -> Vec<NewWaiver> {
    let mut out: BTreeMap<(String, u32), NewWaiver> = BTreeMap::new();
    for f in findings.iter_mut() {
        let Some(s) = &f.suppressed else { continue };
        if s.kind != SuppressionKind::Inline {
            continue;
        }
        let Some((file, line)) = s
            .source
            .rsplit_once(':')
            .and_then(|(f, l)| Some((f.to_string(), l.parse::<u32>().ok()?)))
        else {
            continue;
        };
        let Some(at_base) = scope.touched.get(&file) else {
            continue;
        };
        let text = sources
            .get(&file)
            .map(|src| src.line_text(line).trim().to_string())
            .unwrap_or_default();
        let added = match at_base {
            None => true,
            Some(bytes) => !String::from_utf8_lossy(bytes)
                .lines()
                .any(|l| l.trim() == text),
        };
        if !added {
            continue;
        }
        let w = out
            .entry((file.clone(), line))
            .or_insert_with(|| NewWaiver {
                file,
                line,
                rules: Vec::new(),
                reason: s.reason.clone(),
                expires: s.expires.clone(),
                applied: !unwaive,
            });
        if !w.rules.contains(&f.rule) {
            w.rules.push(f.rule.clone());
        }
        if unwaive {
            f.suppressed = None;
        }
    }
    out.into_values().collect()
}

/// The baseline with the entries of renamed files moved to their new paths: an entry of an old
/// path takes the fingerprint of the finding it matches under the old name.
fn follow_renames(
    entries: &[BaselineEntry],
    scope: Option<&DiffScope>,
    findings: &[Finding],
) -> Vec<BaselineEntry> {
    let Some(scope) = scope.filter(|s| !s.renames.is_empty()) else {
        return entries.to_vec();
    };
    // (old path, fingerprint there) → (new path, fingerprint now).
    let mut moved: BTreeMap<(String, String), (String, String)> = BTreeMap::new();
    for (new, old) in &scope.renames {
        let mut there: Vec<Finding> = findings
            .iter()
            .filter(|f| &f.file == new)
            .cloned()
            .collect();
        let now: Vec<String> = there.iter().map(|f| f.fingerprint.clone()).collect();
        for f in &mut there {
            f.file = old.clone();
        }
        for (old_print, now_print) in fingerprint::compute(&there).into_iter().zip(now) {
            moved.insert((old.clone(), old_print), (new.clone(), now_print));
        }
    }
    entries
        .iter()
        .map(
            |e| match moved.get(&(e.file.clone(), e.fingerprint.clone())) {
                Some((file, print)) => BaselineEntry {
                    file: file.clone(),
                    fingerprint: print.clone(),
                    ..e.clone()
                },
                None => e.clone(),
            },
        )
        .collect()
}

/// The fingerprints of the findings at the diff's base (with their counts), evaluated in
/// memory: the working tree's files, with the touched ones as they were at the base (added
/// ones left out, deleted ones put back); document rules only on the touched documents, project
/// rules on all.
fn base_fingerprints(
    policies: &PolicySet,
    opts: &CheckOptions,
    scope: &DiffScope,
    candidates: &[Candidate],
    roots: &[PathBuf],
    root: &Path,
) -> BTreeMap<String, usize> {
    let mut texts: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut cands: Vec<Candidate> = Vec::new();
    for c in candidates {
        match scope.touched.get(&c.display) {
            Some(None) => {}
            Some(Some(bytes)) => {
                texts.insert(c.display.clone(), bytes.clone());
                cands.push(c.clone());
            }
            None => cands.push(c.clone()),
        }
    }
    for (display, bytes) in &scope.deleted {
        if let Some(c) = discover::candidate_for(Path::new(display), roots, &opts.discover) {
            texts.insert(c.display.clone(), bytes.clone());
            cands.push(c);
        }
    }
    let loaded = read::load_all_from(&cands, opts.max_file_size, opts.limits, &texts);
    let docs = loaded.documents;
    let mut policies = policies.clone();
    let (shared, _) = read::shared_data(
        &docs,
        &opts.today,
        root,
        opts.max_file_size,
        &opts.config.compose_stacks,
    );
    let _ = policies.set_data(&opts.settings, shared, &opts.user_data);
    let changed = |d: &Document| texts.contains_key(d.path());
    let (mut raws, _) = evaluate::evaluate_some(&policies, &docs, opts.combine, &changed);
    // Located as at the head, so that a finding without a path has the same fingerprint.
    if let Some(budget) = opts.pinpoint {
        pinpoint::pinpoint(&policies, &docs, &mut raws, opts.combine, budget);
    }
    let mut findings: Vec<Finding> = loaded
        .findings
        .into_iter()
        .filter(|f| texts.contains_key(&f.file))
        .collect();
    findings.extend(
        raws.iter()
            .map(|(i, rule, raw)| locate_finding(&docs[*i], &rule.meta, raw)),
    );
    let scalars = scalar_ranges(&docs);
    let mut findings = filter::apply(
        findings,
        &FilterContext {
            config: &opts.config,
            report_only: None,
            no_waivers: opts.no_waivers,
            today: &opts.today,
            sources: &loaded.sources,
            scalars: Some(&scalars),
        },
    );
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup();
    let mut out = BTreeMap::new();
    for print in fingerprint::compute(&findings) {
        *out.entry(print).or_insert(0) += 1;
    }
    out
}
