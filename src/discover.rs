//! Discovery: a gitignore-aware walk (ripgrep's `ignore` crate) that classifies files by name
//! with the registry of kinds (`crate::source::claim`). Inside a git repository, files git tracks
//! are candidates whatever the ignore files say (read from the index once: `Tracked`); the
//! config's `exclude` and the always-skipped folders still apply. Reports that CI writes into
//! ignored folders (`coverage/`, …) are found
//! by a second walk that matches only the report globs and skips `node_modules/`, `target/` and
//! `.git/`.

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::WalkBuilder;
use std::collections::{BTreeSet, HashMap, HashSet};
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
    /// A symlink that is not followed (it resolves outside the repository, dangles, or names
    /// something other than a regular file): why, reported as `symlink-outside-repository`.
    pub refused: Option<String>,
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
    /// The kind of standard input (`-`); `None` lets the content decide.
    pub stdin_kind: Option<Kind>,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            report_globs: source::default_report_globs(),
            base: PathBuf::from("."),
            exclude: None,
            forced: Vec::new(),
            stdin_kind: None,
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

/// A path as text: bytes that are not UTF-8 are escaped (`\xff`), so two different names never
/// display alike; on Windows `\` separators become `/` (elsewhere `\` is part of a name).
fn path_text(path: &Path) -> String {
    #[cfg(unix)]
    let s = {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in path.as_os_str().as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        }
        out
    };
    #[cfg(not(unix))]
    let s = path.to_string_lossy().replace('\\', "/");
    s
}

/// The path as reported: relative to the working directory where possible, `/` separators.
pub fn display_path(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let rel = match &cwd {
        Some(cwd) if path.is_absolute() => path.strip_prefix(cwd).unwrap_or(path),
        _ => path,
    };
    let s = path_text(rel);
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

/// The identity of a file for de-duplication: its real path (symlinks resolved), else its
/// absolute path. Two files whose displayed paths coincide are still two files.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_path_buf())
}

/// What a symlink met in a walk of `repo` is: `Ok(true)` a regular file inside the repository
/// (followed), `Ok(false)` a folder inside it (its files are walked where they are), `Err`
/// why it is not followed.
fn follow(link: &Path, repo: &Path) -> Result<bool, String> {
    let real = std::fs::canonicalize(link)
        .map_err(|_| "the symlink does not resolve to anything".to_string())?;
    if !real.starts_with(repo) {
        return Err("the symlink resolves outside the repository: it is not followed".into());
    }
    let meta = std::fs::metadata(&real).map_err(|e| format!("cannot read the target: {e}"))?;
    if meta.is_file() {
        Ok(true)
    } else if meta.is_dir() {
        Ok(false)
    } else {
        Err("the symlink resolves to something that is not a regular file".into())
    }
}

/// Walks `roots` and returns the files to load, sorted, each once.
///
/// Symlinks are followed when they resolve to a file inside the repository (the git root
/// above the walked folder, else the folder), and that file is checked once; a symlink to
/// outside, to a device or FIFO, or that dangles is a candidate with [`Candidate::refused`] set
/// when its name is one tollgate checks (or it is a folder), so it is reported, never skipped
/// silently.
pub fn discover(roots: &[PathBuf], opts: &DiscoverOptions) -> (Vec<Candidate>, Vec<Diagnostic>) {
    let mut out: BTreeSet<Candidate> = BTreeSet::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    // Followed symlinks, added once the walks are done: a file reached both directly and
    // through a link is shown at its own path.
    let mut linked: Vec<Candidate> = Vec::new();
    let mut errors = Vec::new();
    let mut tracked = Tracked::default();
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
        // `-` is standard input; a FIFO, `/dev/stdin` or `<(cat a.yaml)` is read as named
        // (within the size limit and a timeout), never walked as an empty folder.
        let special = root.as_os_str() == "-"
            || std::fs::metadata(root).is_ok_and(|m| !m.is_file() && !m.is_dir());
        if special {
            let claim = match (root.as_os_str() == "-", opts.stdin_kind) {
                (true, Some(kind)) => Claim::Kind(kind),
                (true, None) => Claim::Content(source::Format::Yaml),
                (false, _) => opts
                    .forced_claim(root)
                    .unwrap_or_else(|| source::explicit_claim(root)),
            };
            let key = std::path::absolute(root).unwrap_or_else(|_| root.clone());
            if seen.insert(key) {
                out.insert(Candidate {
                    path: root.clone(),
                    display: display_path(root),
                    claim,
                    explicit: true,
                    refused: None,
                });
            }
            continue;
        }
        if root.is_file() {
            let display = display_path(root);
            if seen.insert(identity(root)) {
                out.insert(Candidate {
                    path: root.clone(),
                    display,
                    claim: opts
                        .forced_claim(root)
                        .unwrap_or_else(|| source::explicit_claim(root)),
                    explicit: true,
                    refused: None,
                });
            }
            continue;
        }
        let repo = crate::confined::repository_root(root);
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
        // Pass 1: everything not ignored. The files it yields are remembered (cheaply, as
        // walked) so that pass 3 finds the tracked files the ignore rules hid.
        let tracked = tracked.under(&repo, root);
        let mut walked: HashSet<PathBuf> = HashSet::new();
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
                    let link = e.path_is_symlink() && e.depth() > 0;
                    if !link && !e.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    let path = e.into_path();
                    if !tracked.is_empty() {
                        walked.insert(path.clone());
                    }
                    walked_candidate(
                        path,
                        link,
                        opts,
                        &excluded,
                        &repo,
                        &mut seen,
                        &mut out,
                        &mut linked,
                    );
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
            let link = entry.path_is_symlink() && entry.depth() > 0;
            if !link && !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            if !report_set.is_match(rel) {
                continue;
            }
            let path = entry.into_path();
            let claim = source::claim(&path);
            if link {
                if !excluded(&path) && claim.is_some() {
                    symlink_candidate(&path, &repo, claim, &mut linked);
                }
                continue;
            }
            let Some(claim) = claim else {
                continue;
            };
            if excluded(&path) || !seen.insert(identity(&path)) {
                continue;
            }
            out.insert(Candidate {
                display: display_path(&path),
                path,
                claim,
                explicit: false,
                refused: None,
            });
        }
        // Pass 3: in a git repository, a tracked file is checked whatever the ignore files say
        // (GitHub runs a force-added workflow that `.gitignore` matches); the config's
        // `exclude` and the always-skipped folders still apply. Untracked ignored files stay
        // ignored.
        for path in tracked {
            if walked.contains(&path) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue; // deleted in the working tree
            };
            let link = meta.file_type().is_symlink();
            if !link && !meta.is_file() {
                continue;
            }
            walked_candidate(
                path,
                link,
                opts,
                &excluded,
                &repo,
                &mut seen,
                &mut out,
                &mut linked,
            );
        }
    }
    for c in linked {
        let key = if c.refused.is_some() {
            // Refused links are reported each at its own path.
            std::path::absolute(&c.path).unwrap_or_else(|_| c.path.clone())
        } else {
            identity(&c.path)
        };
        if seen.insert(key) {
            out.insert(c);
        }
    }
    (out.into_iter().collect(), errors)
}

/// A file met in a walk (or tracked by git): a candidate when a kind claims its name and the
/// config does not exclude it, once per real file; a symlink goes through [`symlink_candidate`].
#[allow(clippy::too_many_arguments)]
fn walked_candidate(
    path: PathBuf,
    link: bool,
    opts: &DiscoverOptions,
    excluded: &dyn Fn(&Path) -> bool,
    repo: &Path,
    seen: &mut BTreeSet<PathBuf>,
    out: &mut BTreeSet<Candidate>,
    linked: &mut Vec<Candidate>,
) {
    let claim = opts.forced_claim(&path).or_else(|| source::claim(&path));
    if link {
        if !excluded(&path) {
            symlink_candidate(&path, repo, claim, linked);
        }
        return;
    }
    let Some(claim) = claim else {
        return;
    };
    if excluded(&path) || !seen.insert(identity(&path)) {
        return;
    }
    out.insert(Candidate {
        display: display_path(&path),
        path,
        claim,
        explicit: false,
        refused: None,
    });
}

/// The files git tracks, per repository, read from the index once per run (no status walk).
/// Outside a git repository nothing is read.
#[derive(Default)]
struct Tracked {
    /// Working tree root (canonical) -> tracked paths relative to it; an empty list when the
    /// index cannot be read (then the ignore files decide, as before).
    by_repo: HashMap<PathBuf, Vec<PathBuf>>,
}

impl Tracked {
    /// The tracked files under the walked folder `root` of the repository at `repo` (the
    /// result of [`crate::confined::repository_root`]), as the walker would name them
    /// (`root` joined with the path below it), minus those in always-skipped folders.
    fn under(&mut self, repo: &Path, root: &Path) -> Vec<PathBuf> {
        if !repo.join(".git").exists() {
            return Vec::new();
        }
        let files = self
            .by_repo
            .entry(repo.to_path_buf())
            .or_insert_with(|| index_paths(repo));
        if files.is_empty() {
            return Vec::new();
        }
        let Ok(root_abs) = std::fs::canonicalize(root) else {
            return Vec::new();
        };
        let Ok(below) = root_abs.strip_prefix(repo) else {
            return Vec::new();
        };
        files
            .iter()
            .filter_map(|f| f.strip_prefix(below).ok())
            .filter(|rel| {
                let mut dirs = rel.components();
                dirs.next_back(); // the file's own name
                !dirs.any(|c| ALWAYS_SKIPPED.iter().any(|s| c.as_os_str() == *s))
            })
            .map(|rel| root.join(rel))
            .collect()
    }
}

/// The paths of the index of the repository whose working tree is `workdir` (files and
/// symlinks; submodules and conflicted duplicates left out). Empty when it cannot be read.
fn index_paths(workdir: &Path) -> Vec<PathBuf> {
    let Ok(repo) = git2::Repository::open_ext(
        workdir,
        git2::RepositoryOpenFlags::NO_SEARCH,
        std::iter::empty::<&std::ffi::OsStr>(),
    ) else {
        return Vec::new();
    };
    let Ok(index) = repo.index() else {
        return Vec::new();
    };
    const GITLINK: u32 = 0o160000;
    let mut paths: Vec<PathBuf> = index
        .iter()
        .filter(|e| e.mode & 0o170000 != GITLINK)
        .map(|e| bytes_path(&e.path))
        .collect();
    paths.dedup();
    paths
}

#[cfg(unix)]
fn bytes_path(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn bytes_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
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
    if !under_a_root {
        return None;
    }
    context_candidate(path, opts)
}

/// The candidate for a file wherever it is (a context file of a named-file run, which the
/// caller has checked is a regular file inside the repository; [`candidate_for`] once the file
/// is under a root): not excluded, of a kind its name claims (or the configuration forces).
pub fn context_candidate(path: &Path, opts: &DiscoverOptions) -> Option<Candidate> {
    if opts.is_excluded(path) {
        return None;
    }
    let claim = opts.forced_claim(path).or_else(|| source::claim(path))?;
    Some(Candidate {
        path: path.to_path_buf(),
        display: display_path(path),
        claim,
        explicit: false,
        refused: None,
    })
}

/// A symlink met in a walk: a followed file (with the claim of the link's name, else of the
/// target's), a refused one worth reporting, or nothing (a folder inside the repository, or a
/// link of no interest).
fn symlink_candidate(path: &Path, repo: &Path, claim: Option<Claim>, out: &mut Vec<Candidate>) {
    let display = display_path(path);
    match follow(path, repo) {
        Ok(true) => {
            let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            if let Some(claim) = claim.or_else(|| source::claim(&target)) {
                out.push(Candidate {
                    path: path.to_path_buf(),
                    display,
                    claim,
                    explicit: false,
                    refused: None,
                });
            }
        }
        Ok(false) => {}
        Err(why) => {
            let is_dir = std::fs::metadata(path).is_ok_and(|m| m.is_dir());
            if let Some(claim) = claim.or(is_dir.then_some(Claim::Content(source::Format::Yaml))) {
                out.push(Candidate {
                    path: path.to_path_buf(),
                    display,
                    claim,
                    explicit: false,
                    refused: Some(why),
                });
            }
        }
    }
}
