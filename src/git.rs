//! The git side of pull-request gating, with libgit2 (`git2`, vendored: no system git needed):
//! finding the repository (libgit2 checks the owner, honouring `safe.directory`), resolving the
//! base of a diff (`--diff-base REF|auto`), the merge base, the files the diff touches
//! (committed and uncommitted changes, renames found), and reading files and trees at a
//! revision straight from the object database, without a checkout.
//!
//! Errors are one line each and never quote file content.

use git2::{
    BranchType, Delta, DiffFindOptions, DiffOptions, ErrorCode, ObjectType, Oid, Repository,
    TreeWalkMode, TreeWalkResult,
};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Blobs larger than this are not read from the object database (64 MiB).
pub const MAX_BLOB: usize = 64 * 1024 * 1024;

/// A git error, as one line for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitError(pub String);

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err(message: impl Into<String>) -> GitError {
    GitError(message.into())
}

/// libgit2's message, first line only (it names refs and paths, never file content).
fn lib(e: &git2::Error) -> String {
    e.message().lines().next().unwrap_or("").to_string()
}

/// What the diff did to a file (paths relative to the repository's root, `/`-separated).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    Added(String),
    Modified(String),
    Deleted(String),
    /// Old path, new path (`Modified` when the content changed too is still a rename).
    Renamed(String, String),
}

impl Change {
    /// The path in the working tree (none for a deleted file).
    pub fn new_path(&self) -> Option<&str> {
        match self {
            Change::Added(p) | Change::Modified(p) => Some(p),
            Change::Renamed(_, p) => Some(p),
            Change::Deleted(_) => None,
        }
    }
    /// The path at the base (none for an added file).
    pub fn old_path(&self) -> Option<&str> {
        match self {
            Change::Modified(p) | Change::Deleted(p) => Some(p),
            Change::Renamed(p, _) => Some(p),
            Change::Added(_) => None,
        }
    }
}

/// The base a diff is taken against.
#[derive(Clone, Debug)]
pub struct Base {
    /// The merge base of the named base and HEAD.
    pub commit: Oid,
    /// How the base was named or found (`origin/main`, `the first parent of GitHub's merge
    /// commit`, …), for reports.
    pub name: String,
}

/// An open repository with a working tree.
pub struct Repo {
    repo: Repository,
    /// The working tree's root, canonical.
    workdir: PathBuf,
}

/// The environment variables base resolution reads (a function, so tests can supply them).
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment, with empty values as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

impl Repo {
    /// Finds the repository holding `start` (a file or folder).
    pub fn discover(start: &Path) -> Result<Repo, GitError> {
        let start = if start.as_os_str().is_empty() {
            Path::new(".")
        } else if start.is_file() {
            start
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
        } else {
            start
        };
        let repo = Repository::discover(start).map_err(|e| match e.code() {
            ErrorCode::Owner => {
                let dir = std::path::absolute(start).unwrap_or_else(|_| start.to_path_buf());
                err(format!(
                    "the git repository at {} belongs to another user, so git does not trust it: add it to safe.directory (`git config --global --add safe.directory <path>`; actions/checkout does this for container jobs)",
                    dir.display()
                ))
            }
            ErrorCode::NotFound => err(format!(
                "{} is not in a git repository (the diff modes need one)",
                start.display()
            )),
            _ => err(format!("cannot open the git repository: {}", lib(&e))),
        })?;
        let workdir = repo
            .workdir()
            .ok_or_else(|| err("the git repository has no working tree (a bare repository)"))?;
        let workdir = workdir
            .canonicalize()
            .unwrap_or_else(|_| workdir.to_path_buf());
        Ok(Repo { repo, workdir })
    }

    /// The working tree's root.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The commit a revision names.
    pub fn commit(&self, rev: &str) -> Result<Oid, GitError> {
        let obj = self.repo.revparse_single(rev).map_err(|e| match e.code() {
            ErrorCode::NotFound => err(format!(
                "`{rev}` is not in this clone: fetch it (with actions/checkout, `fetch-depth: 0` fetches every branch's history)"
            )),
            _ => err(format!("cannot resolve `{rev}`: {}", lib(&e))),
        })?;
        obj.peel_to_commit()
            .map(|c| c.id())
            .map_err(|e| err(format!("`{rev}` does not name a commit: {}", lib(&e))))
    }

    fn head(&self) -> Result<git2::Commit<'_>, GitError> {
        self.repo
            .head()
            .and_then(|h| h.peel_to_commit())
            .map_err(|e| err(format!("the repository has no HEAD commit: {}", lib(&e))))
    }

    /// Resolves `--diff-base`: a revision, or `auto` (see [`Repo::auto_base`]); then the
    /// merge base of it and HEAD.
    pub fn resolve_base(&self, spec: &str, env: Env<'_>) -> Result<Base, GitError> {
        let (named, name) = self.named(spec, env)?;
        let head = self.head()?.id();
        let commit = self.repo.merge_base(named, head).map_err(|e| {
            if self.repo.is_shallow() {
                err(format!(
                    "{name} and HEAD have no common commit in this shallow clone: fetch more history (with actions/checkout, `fetch-depth: 0`)"
                ))
            } else {
                err(format!(
                    "{name} and HEAD have no common history: {}",
                    lib(&e)
                ))
            }
        })?;
        Ok(Base { commit, name })
    }

    /// A revision, or `auto` (see [`Repo::auto_base`]), as a commit and how it was named.
    pub fn named(&self, rev: &str, env: Env<'_>) -> Result<(Oid, String), GitError> {
        if rev == "auto" {
            self.auto_base(env)
        } else {
            Ok((self.commit(rev)?, format!("`{rev}`")))
        }
    }

    /// `--diff-base auto`: in a `pull_request` run whose HEAD is GitHub's merge commit, its
    /// first parent; else `origin/$GITHUB_BASE_REF`; else the upstream of the current branch.
    pub fn auto_base(&self, env: Env<'_>) -> Result<(Oid, String), GitError> {
        let event = env("GITHUB_EVENT_NAME").unwrap_or_default();
        if event.starts_with("pull_request") {
            let head = self.head()?;
            let first = head.parent_id(0).ok();
            let present = first.filter(|p| self.repo.find_commit(*p).is_ok());
            match (head.parent_count(), present) {
                (2, Some(parent)) => {
                    return Ok((
                        parent,
                        "the base branch (first parent of the merge commit)".into(),
                    ));
                }
                (2, None) | (0, _) if head.parent_count() == 2 || self.repo.is_shallow() => {
                    return Err(err(
                        "the base commit is not in this clone (a shallow clone): set `fetch-depth: 2` on actions/checkout so the merge commit's parents are fetched",
                    ));
                }
                _ => {}
            }
        }
        if let Some(base_ref) = env("GITHUB_BASE_REF") {
            let rev = format!("origin/{base_ref}");
            return match self.repo.revparse_single(&rev) {
                Ok(obj) => obj
                    .peel_to_commit()
                    .map(|c| (c.id(), format!("`{rev}`")))
                    .map_err(|e| err(format!("`{rev}` does not name a commit: {}", lib(&e)))),
                Err(_) => Err(err(format!(
                    "`{rev}` is not in this clone: set `fetch-depth: 0` on actions/checkout (or fetch the base branch) so the base commit is there"
                ))),
            };
        }
        let head = self
            .repo
            .head()
            .map_err(|e| err(format!("no HEAD: {}", lib(&e))))?;
        if head.is_branch() {
            if let Ok(name) = head.shorthand() {
                if let Ok(branch) = self.repo.find_branch(name, BranchType::Local) {
                    if let Ok(up) = branch.upstream() {
                        let label = up
                            .name()
                            .ok()
                            .flatten()
                            .unwrap_or("the upstream branch")
                            .to_string();
                        if let Ok(c) = up.get().peel_to_commit() {
                            return Ok((c.id(), format!("`{label}`")));
                        }
                    }
                }
            }
        }
        Err(err(
            "--diff-base auto found no base: not a pull_request run, no GITHUB_BASE_REF, and the current branch has no upstream; name the base with --diff-base REF",
        ))
    }

    /// The files that differ between `base` and the working tree (committed, staged,
    /// unstaged and untracked changes; renames found), sorted by path.
    pub fn changes(&self, base: Oid) -> Result<Vec<Change>, GitError> {
        let tree = self
            .repo
            .find_commit(base)
            .and_then(|c| c.tree())
            .map_err(|e| err(format!("cannot read the base commit: {}", lib(&e))))?;
        let mut opts = DiffOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        let mut diff = self
            .repo
            .diff_tree_to_workdir_with_index(Some(&tree), Some(&mut opts))
            .map_err(|e| err(format!("cannot diff against the base: {}", lib(&e))))?;
        let mut find = DiffFindOptions::new();
        find.renames(true).for_untracked(true);
        diff.find_similar(Some(&mut find))
            .map_err(|e| err(format!("cannot find renames: {}", lib(&e))))?;
        let path = |f: git2::DiffFile<'_>| -> Option<String> {
            f.path().map(|p| p.to_string_lossy().replace('\\', "/"))
        };
        let mut out = Vec::new();
        for d in diff.deltas() {
            let (old, new) = (path(d.old_file()), path(d.new_file()));
            let change = match (d.status(), old, new) {
                (Delta::Added | Delta::Untracked, _, Some(n)) => Change::Added(n),
                (Delta::Deleted, Some(o), _) => Change::Deleted(o),
                (Delta::Renamed, Some(o), Some(n)) if o != n => Change::Renamed(o, n),
                (Delta::Modified | Delta::Typechange | Delta::Renamed, _, Some(n)) => {
                    Change::Modified(n)
                }
                (Delta::Copied, _, Some(n)) => Change::Added(n),
                _ => continue,
            };
            out.push(change);
        }
        out.sort_by(|a, b| (a.new_path().or(a.old_path())).cmp(&b.new_path().or(b.old_path())));
        Ok(out)
    }

    /// A file's bytes at `commit` (`None` when it is not there, or not a file).
    pub fn read(&self, commit: Oid, path: &str) -> Result<Option<Vec<u8>>, GitError> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| err(format!("cannot read commit {commit}: {}", lib(&e))))?;
        let entry = match tree.get_path(Path::new(path)) {
            Ok(e) => e,
            Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(err(format!("cannot read {path} at {commit}: {}", lib(&e)))),
        };
        if entry.kind() != Some(ObjectType::Blob) || entry.filemode() == 0o120000 {
            // Folders, submodules and symbolic links are not files.
            return Ok(None);
        }
        let blob = entry
            .to_object(&self.repo)
            .and_then(|o| o.peel_to_blob())
            .map_err(|e| err(format!("cannot read {path} at {commit}: {}", lib(&e))))?;
        if blob.size() > MAX_BLOB {
            return Err(err(format!(
                "{path} at {commit} is larger than {MAX_BLOB} bytes"
            )));
        }
        Ok(Some(blob.content().to_vec()))
    }

    /// The files under `dir` (a folder, relative to the root; "" for all) at `commit`, as
    /// paths relative to the root; a file named directly lists itself.
    pub fn list(&self, commit: Oid, dir: &str) -> Result<Vec<String>, GitError> {
        let tree = self
            .repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| err(format!("cannot read commit {commit}: {}", lib(&e))))?;
        let dir = dir.trim_matches('/');
        let sub = if dir.is_empty() || dir == "." {
            tree
        } else {
            match tree.get_path(Path::new(dir)) {
                Ok(e) if e.kind() == Some(ObjectType::Tree) => e
                    .to_object(&self.repo)
                    .and_then(|o| o.peel_to_tree())
                    .map_err(|e| err(lib(&e)))?,
                Ok(e) if e.kind() == Some(ObjectType::Blob) => return Ok(vec![dir.to_string()]),
                _ => return Ok(Vec::new()),
            }
        };
        let mut out = Vec::new();
        let prefix = if dir.is_empty() || dir == "." {
            String::new()
        } else {
            format!("{dir}/")
        };
        sub.walk(TreeWalkMode::PreOrder, |root, entry| {
            if entry.kind() == Some(ObjectType::Blob) && entry.filemode() != 0o120000 {
                if let Ok(name) = entry.name() {
                    out.push(format!("{prefix}{root}{name}"));
                }
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| err(lib(&e)))?;
        out.sort();
        Ok(out)
    }

    /// A path (as given on the command line, relative to the working directory or absolute)
    /// relative to the repository's root, if it is inside the working tree.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let abs = std::path::absolute(path).ok()?;
        let abs = normalize(&abs);
        let rel = abs
            .strip_prefix(&self.workdir)
            .ok()
            .map(Path::to_path_buf)
            .or_else(|| {
                // The working directory may be reached through a symbolic link.
                let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
                let rest = abs.strip_prefix(std::env::current_dir().ok()?).ok()?;
                cwd.join(rest)
                    .strip_prefix(&self.workdir)
                    .ok()
                    .map(Path::to_path_buf)
            })?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }

    /// The path of a file of the repository (relative to its root) as tollgate displays it.
    pub fn display(&self, rel: &str) -> String {
        crate::discover::display_path(&self.workdir.join(rel))
    }

    /// The changes, keyed by tollgate's display paths: (display path of the working-tree file,
    /// or of the deleted file) → change.
    pub fn displayed(&self, changes: &[Change]) -> BTreeMap<String, Change> {
        changes
            .iter()
            .map(|c| {
                let p = c.new_path().or(c.old_path()).unwrap_or_default();
                (self.display(p), c.clone())
            })
            .collect()
    }
}

/// Removes `.` and resolves `..` lexically.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}
