//! `tollgate check`, the orchestrator: discover → load → evaluate → locate → filter, each
//! stage in its own module; this one only wires them and counts.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::config::Config;
use crate::discover::{self, DiscoverOptions};
use crate::filter::{self, FilterContext};
use crate::locate::locate_finding;
use crate::model::span::{Children, SpanNode};
use crate::model::Outcome;
use crate::policy::PolicySet;
use crate::source::yaml;
use crate::{evaluate, read};

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
        }
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
    for d in docs {
        walk(&d.spans, out.entry(d.path().to_string()).or_default());
    }
    out
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
        let only: BTreeSet<String> = opts
            .paths
            .iter()
            .map(|p| discover::display_path(p))
            .collect();
        (roots, Some(only))
    } else {
        (opts.paths.clone(), None)
    };
    let (candidates, mut errors) = discover::discover(&roots, &opts.discover);
    let candidate_count = candidates.len();
    let loaded = read::load_all(&candidates, opts.max_file_size, opts.limits);
    errors.extend(loaded.errors);
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
    let docs = loaded.documents;
    let (shared, refused) =
        read::shared_data_limited(&docs, &opts.today, &root, opts.max_file_size);
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
    errors.extend(policies.set_data(&opts.settings, shared, &opts.user_data));
    let (raws, eval_errors) = evaluate::evaluate(&policies, &docs, opts.combine);
    errors.extend(eval_errors);
    let mut findings = loaded.findings;
    findings.extend(
        raws.iter()
            .map(|(i, rule, raw)| locate_finding(&docs[*i], &rule.meta, raw)),
    );
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
    }
}
