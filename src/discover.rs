//! Discovery: a gitignore-aware walk (ripgrep's `ignore` crate) that classifies files by name
//! with the registry of kinds (`crate::source::claim`). Reports that CI writes into ignored folders (`coverage/`, …) are found
//! by a second walk that matches only the report globs and skips `node_modules/`, `target/` and
//! `.git/`.

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::model::{Diagnostic, Kind};
use crate::source::{self, Claim};

const ALWAYS_SKIPPED: &[&str] = &["node_modules", "target", ".git"];

/// A file to load.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// As reported: relative to the working directory, `/` separators.
    pub display: String,
    pub claim: Claim,
    /// Named on the command line: always loaded.
    pub explicit: bool,
}

#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    pub report_globs: Vec<String>,
    /// The folder `exclude` and `forced` globs are relative to (the config's folder).
    pub base: PathBuf,
    /// Files not to check. A root named on the command line that these globs exclude as a
    /// whole is still checked: naming it is explicit.
    pub exclude: Option<GlobSet>,
    /// Globs that force a kind on files with unusual names.
    pub forced: Vec<(GlobSet, Kind)>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            report_globs: source::default_report_globs(),
            base: PathBuf::from("."),
            exclude: None,
            forced: Vec::new(),
        }
    }
}

impl DiscoverOptions {
    /// `path` relative to `base`, `/`-separated.
    fn relative(&self, path: &Path) -> Option<String> {
        let base = std::path::absolute(&self.base).ok()?;
        let abs = std::path::absolute(path).ok()?;
        Some(
            abs.strip_prefix(&base)
                .ok()?
                .to_string_lossy()
                .replace('\\', "/"),
        )
    }

    fn is_excluded(&self, path: &Path) -> bool {
        match (&self.exclude, self.relative(path)) {
            (Some(g), Some(rel)) => g.is_match(rel),
            _ => false,
        }
    }

    fn forced_claim(&self, path: &Path) -> Option<Claim> {
        let rel = self.relative(path)?;
        self.forced
            .iter()
            .find(|(g, _)| g.is_match(&rel))
            .map(|(_, k)| Claim::Kind(*k))
    }
}

/// The path as reported: relative to the working directory where possible, `/` separators.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = match &cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let s = rel.to_string_lossy().replace('\\', "/");
    let s = s.strip_prefix("./").unwrap_or(&s).to_string();
    if s.is_empty() {
        ".".to_string()
    } else {
        s
    }
}

fn skip_dir(entry: &ignore::DirEntry) -> bool {
    entry.depth() > 0
        && entry.file_type().is_some_and(|t| t.is_dir())
        && ALWAYS_SKIPPED.iter().any(|s| entry.file_name() == *s)
}

/// Walks `roots` and returns the files to load, sorted, each once.
pub fn discover(roots: &[PathBuf], opts: &DiscoverOptions) -> (Vec<Candidate>, Vec<Diagnostic>) {
    let mut out: BTreeSet<Candidate> = BTreeSet::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut errors = Vec::new();
    let mut report_set = GlobSetBuilder::new();
    for g in &opts.report_globs {
        match Glob::new(g) {
            Ok(g) => {
                report_set.add(g);
            }
            Err(e) => errors.push(Diagnostic::new(format!("invalid report glob `{g}`: {e}"))),
        }
    }
    let report_set = report_set.build().unwrap_or_else(|_| GlobSet::empty());

    // Files named explicitly first: they keep their explicit loading when a folder also
    // holds them.
    let mut ordered: Vec<&PathBuf> = roots.iter().filter(|r| r.is_file()).collect();
    ordered.extend(roots.iter().filter(|r| !r.is_file()));
    for root in ordered {
        if root.is_file() {
            let display = display_path(root);
            if seen.insert(display.clone()) {
                out.insert(Candidate {
                    path: root.clone(),
                    display,
                    claim: opts
                        .forced_claim(root)
                        .unwrap_or_else(|| source::explicit_claim(root)),
                    explicit: true,
                });
            }
            continue;
        }
        // A root that the exclusions cover as a whole was named on purpose: check it all.
        let apply_exclude = !opts.is_excluded(&root.join("__any__"));
        let excluded = |p: &Path| apply_exclude && opts.is_excluded(p);
        if !root.exists() {
            errors.push(Diagnostic::in_file(
                "no such file or directory",
                display_path(root),
            ));
            continue;
        }
        // Pass 1: everything not ignored.
        let walker = WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(true)
            .git_global(false)
            .require_git(false)
            .parents(true)
            .filter_entry(|e| !skip_dir(e))
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if !e.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let path = e.into_path();
                    let Some(claim) = opts.forced_claim(&path).or_else(|| source::claim(&path))
                    else {
                        continue;
                    };
                    let display = display_path(&path);
                    if excluded(&path) || !seen.insert(display.clone()) {
                        continue;
                    }
                    out.insert(Candidate {
                        path,
                        display,
                        claim,
                        explicit: false,
                    });
                }
                Err(e) => errors.push(Diagnostic::new(format!("while walking: {e}"))),
            }
        }
        // Pass 2: reports, also inside ignored folders.
        let walker = WalkBuilder::new(root)
            .standard_filters(false)
            .hidden(false)
            .filter_entry(|e| !skip_dir(e))
            .build();
        for entry in walker.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if !report_set.is_match(rel) {
                continue;
            }
            let path = entry.into_path();
            let Some(claim) = source::claim(&path) else {
                continue;
            };
            let display = display_path(&path);
            if excluded(&path) || !seen.insert(display.clone()) {
                continue;
            }
            out.insert(Candidate {
                path,
                display,
                claim,
                explicit: false,
            });
        }
    }
    (out.into_iter().collect(), errors)
}

/// The candidate a walk of `roots` would give for `path` (a file that need not exist: the diff
/// modes ask about files deleted since the base), if any: under a root, not excluded, of a
/// kind its name claims. Reports are found only by their globs (`report_globs`).
pub fn candidate_for(path: &Path, roots: &[PathBuf], opts: &DiscoverOptions) -> Option<Candidate> {
    let abs = std::path::absolute(path).ok()?;
    let under_a_root = roots.iter().any(|r| {
        !r.is_file()
            && std::path::absolute(r)
                .ok()
                .is_some_and(|r| abs.starts_with(&r))
    });
    if !under_a_root || opts.is_excluded(path) {
        return None;
    }
    let claim = opts.forced_claim(path).or_else(|| source::claim(path))?;
    Some(Candidate {
        path: path.to_path_buf(),
        display: display_path(path),
        claim,
        explicit: false,
    })
}
