//! Discovery: a gitignore-aware walk (ripgrep's `ignore` crate) that classifies files into the
//! kinds tollgate reads. Reports that CI writes into ignored folders (`coverage/`, …) are found
//! by a second walk that matches only the report globs and skips `node_modules/`, `target/` and
//! `.git/`.

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::finding::Diagnostic;
use crate::source::Hint;

/// Report globs searched even in gitignored folders.
pub const DEFAULT_REPORT_GLOBS: &[&str] = &[
    "**/lcov.info",
    "**/*.lcov",
    "**/coverage*.info",
    "**/coverage-summary.json",
    "**/cobertura*.xml",
    "**/coverage.xml",
    "**/trivy*.json",
    "**/*.trivy.json",
    "**/.trivyignore",
];

const ALWAYS_SKIPPED: &[&str] = &["node_modules", "target", ".git"];

/// A file to load.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Candidate {
    pub path: PathBuf,
    /// As reported: relative to the working directory, `/` separators.
    pub display: String,
    pub hint: Hint,
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
    pub forced: Vec<(GlobSet, Hint)>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            report_globs: DEFAULT_REPORT_GLOBS.iter().map(|s| s.to_string()).collect(),
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

    fn forced_hint(&self, path: &Path) -> Option<Hint> {
        let rel = self.relative(path)?;
        self.forced
            .iter()
            .find(|(g, _)| g.is_match(&rel))
            .map(|(_, h)| *h)
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

fn ext(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn is_helm_template(path: &Path) -> bool {
    path.ancestors().skip(1).any(|dir| {
        dir.file_name().is_some_and(|n| n == "templates")
            && dir.parent().is_some_and(|p| p.join("Chart.yaml").is_file())
    })
}

/// Classifies a path by its name alone. `None`: not a file tollgate reads.
pub fn hint_for(path: &Path) -> Option<Hint> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let ext = ext(path);
    let yaml = ext == "yml" || ext == "yaml";
    if name == ".trivyignore" {
        return Some(Hint::TrivyIgnore);
    }
    if yaml {
        let parent = path.parent();
        let in_workflows = parent
            .and_then(Path::file_name)
            .is_some_and(|n| n == "workflows")
            && parent
                .and_then(Path::parent)
                .and_then(Path::file_name)
                .is_some_and(|n| n == ".github");
        if in_workflows {
            return Some(Hint::Workflow);
        }
        if name.starts_with("compose") || name.starts_with("docker-compose") {
            return Some(Hint::Compose);
        }
        if is_helm_template(path) {
            return None;
        }
        return Some(Hint::Yaml);
    }
    match ext.as_str() {
        "info" | "lcov" => Some(Hint::Lcov),
        "json" if name == "coverage-summary.json" => Some(Hint::Istanbul),
        "json" => Some(Hint::Json),
        "xml" => Some(Hint::Xml),
        _ => None,
    }
}

/// The hint for files forced to `kind` by the config's `inputs`.
pub fn hint_for_kind(kind: crate::source::Kind, path: &Path) -> Hint {
    use crate::source::Kind;
    match kind {
        Kind::Workflow => Hint::Workflow,
        Kind::Compose => Hint::Compose,
        Kind::Kubernetes | Kind::Yaml => Hint::Yaml,
        Kind::Trivy | Kind::Json => Hint::Json,
        Kind::TrivyIgnore => Hint::TrivyIgnore,
        Kind::Coverage => match ext(path).as_str() {
            "json" => Hint::Istanbul,
            "xml" => Hint::Xml,
            _ => Hint::Lcov,
        },
    }
}

/// Hint for a file named on the command line: by name, else by extension.
fn explicit_hint(path: &Path) -> Hint {
    hint_for(path).unwrap_or_else(|| match ext(path).as_str() {
        "json" => Hint::Json,
        _ => Hint::Yaml,
    })
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
                    hint: opts
                        .forced_hint(root)
                        .unwrap_or_else(|| explicit_hint(root)),
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
                    let Some(hint) = opts.forced_hint(&path).or_else(|| hint_for(&path)) else {
                        continue;
                    };
                    let display = display_path(&path);
                    if excluded(&path) || !seen.insert(display.clone()) {
                        continue;
                    }
                    out.insert(Candidate {
                        path,
                        display,
                        hint,
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
            let Some(hint) = hint_for(&path) else {
                continue;
            };
            let display = display_path(&path);
            if excluded(&path) || !seen.insert(display.clone()) {
                continue;
            }
            out.insert(Candidate {
                path,
                display,
                hint,
                explicit: false,
            });
        }
    }
    (out.into_iter().collect(), errors)
}
