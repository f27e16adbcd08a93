//! Named-file runs (pre-commit, editors, `tollgate check a.yaml b.yaml`): the named files are
//! loaded with only the context their rules need, never the rest of the repository. Each
//! kind says what it needs ([`NamedContext`]): a compose file its stack, a manifest the
//! `kustomization.yaml` files above it, a Trivy report the repository's `.trivyignore` (read
//! by `read::shared_data`). Context is looked for in the named file's folder and the folders
//! above it up to the root of the git repository that holds it (outside any repository: its
//! own folder only); nothing outside that is read.
//!
//! Project-scope rules need every document of the repository (the governance matrix, Postgres
//! backups), except those over kinds whose context is whole (a compose stack): the others are
//! not run, and the run says so (`Outcome::skipped_rules`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::discover::{self, Candidate, DiscoverOptions};
use crate::model::value::to_json;
use crate::read::{self, LoadedFiles};
use crate::source::{self, compose, kustomize, yaml, Document, NamedContext};

/// How many rounds of context (a compose file naming a file that names another…) are followed.
const MAX_ROUNDS: usize = 32;

/// What a named-file run loads.
pub struct NamedLoad {
    /// The named files, then their context.
    pub candidates: Vec<Candidate>,
    pub loaded: LoadedFiles,
    /// The folder shared facts come from (the `.trivyignore`): the repository of the first
    /// named file, else its folder.
    pub root: PathBuf,
}

/// What a context search may look at.
pub struct Scope<'a> {
    pub discover: &'a DiscoverOptions,
    pub max_file_size: u64,
    pub limits: yaml::Limits,
    /// Compose stacks the configuration declares (display paths).
    pub stacks: &'a [Vec<String>],
}

/// Loads the named files (already discovered) and, round by round, the context their
/// documents need.
pub fn load(named: Vec<Candidate>, scope: &Scope<'_>) -> NamedLoad {
    let root = named
        .iter()
        .find(|c| c.path.as_os_str() != "-")
        .map(|c| repository_of(&c.path))
        .unwrap_or_else(|| PathBuf::from("."));
    let none = Default::default();
    let mut loaded = read::load_each(&named, scope.max_file_size, scope.limits, &none);
    let mut have: BTreeSet<String> = named.iter().map(|c| c.display.clone()).collect();
    let mut candidates = named;
    let mut fresh: Vec<usize> = (0..loaded.documents.len()).collect();
    // The repository of each file, found once however many documents it holds.
    let mut repos: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for _ in 0..MAX_ROUNDS {
        let mut wanted: Vec<Candidate> = Vec::new();
        for &i in &fresh {
            let doc = &loaded.documents[i];
            let Some(file) = candidates.iter().find(|c| c.display == doc.path()) else {
                continue;
            };
            let repo = repos
                .entry(file.path.clone())
                .or_insert_with(|| repository_of(&file.path));
            for c in context_of(doc, &file.path, repo, scope) {
                if have.insert(c.display.clone()) {
                    wanted.push(c);
                }
            }
        }
        if wanted.is_empty() {
            break;
        }
        let before = loaded.documents.len();
        loaded.extend(read::load_each(
            &wanted,
            scope.max_file_size,
            scope.limits,
            &none,
        ));
        fresh = (before..loaded.documents.len()).collect();
        candidates.extend(wanted);
    }
    read::finish(&mut loaded, &candidates, scope.max_file_size);
    NamedLoad {
        candidates,
        loaded,
        root,
    }
}

/// The git repository that holds `file`, else the file's folder.
fn repository_of(file: &Path) -> PathBuf {
    let dir = folder(file);
    crate::confined::repository_root(&dir)
}

/// A file's folder (`.` for a bare name).
fn folder(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The context files one document needs (not yet loaded or not: the caller dedupes).
fn context_of(doc: &Document, file: &Path, repo: &Path, scope: &Scope<'_>) -> Vec<Candidate> {
    let dir = folder(file);
    let mut paths: Vec<PathBuf> = Vec::new();
    match source::spec(doc.kind).context {
        NamedContext::Alone | NamedContext::RootTrivyignore => {}
        NamedContext::Kustomizations => {
            // The file's folder and each one above it, up to the repository root.
            let Ok(abs) = std::path::absolute(&dir) else {
                return Vec::new();
            };
            for d in abs.ancestors() {
                let Ok(real) = std::fs::canonicalize(d) else {
                    break;
                };
                if !real.starts_with(repo) {
                    break;
                }
                for name in kustomize::FILE_NAMES {
                    let p = d.join(name);
                    if p.is_file() {
                        paths.push(p);
                    }
                }
                if real == repo {
                    break;
                }
            }
        }
        NamedContext::ComposeStack => {
            // The base or override this one pairs with (of the folder's default names).
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if compose::is_default_name(name) {
                paths.extend(
                    compose::default_names()
                        .map(|n| dir.join(n))
                        .filter(|p| p.is_file()),
                );
            }
            // `COMPOSE_FILE` of the folder's `.env`, when it names this file.
            let env = compose::env_files(&folder_display(doc.path()));
            let mut named: Vec<String> = if env.iter().any(|f| f == doc.path()) {
                env
            } else {
                Vec::new()
            };
            named.extend(compose::linked_files(doc.path(), &to_json(&doc.value)));
            for stack in scope.stacks {
                if stack.iter().any(|f| f == doc.path()) {
                    named.extend(stack.iter().cloned());
                }
            }
            paths.extend(named.iter().map(PathBuf::from));
        }
    }
    paths
        .into_iter()
        .filter(|p| {
            // Inside the repository (after resolving symlinks), a regular file.
            std::fs::canonicalize(p).is_ok_and(|r| r.starts_with(repo) && r.is_file())
        })
        .filter_map(|p| discover::context_candidate(&p, scope.discover))
        .collect()
}

/// The folder part of a display path (`""` for a bare name).
fn folder_display(file: &str) -> String {
    file.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}
