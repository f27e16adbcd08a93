//! The load stage: reads each discovered file (within the size limit, as UTF-8) and hands its
//! text to the loader of its kind, in parallel.

use rayon::prelude::*;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::discover::{self, Candidate};
use crate::model::{value, Diagnostic, Finding, Kind, SourceFile, Sources};
use crate::source::{self, coverage, trivyignore, yaml, Document, LoadContext, Loaded};

/// What the load stage produced.
#[derive(Debug, Default)]
pub struct LoadedFiles {
    pub documents: Vec<Document>,
    /// `parse-error` findings.
    pub findings: Vec<Finding>,
    /// Files that could not be read at all.
    pub errors: Vec<Diagnostic>,
    /// The text of every file with a document or a finding.
    pub sources: Sources,
    /// The kinds of the documents of each file.
    pub kinds: BTreeMap<String, BTreeSet<Kind>>,
}

/// Reads and loads one candidate file.
pub fn load_file(
    c: &Candidate,
    max_file_size: u64,
    limits: yaml::Limits,
) -> Result<Loaded, Diagnostic> {
    if let Some(why) = &c.refused {
        let source = SourceFile::new(c.display.clone(), String::new());
        let at = source.pos(0);
        let mut loaded = Loaded::parse_error(&source, at, why.clone());
        for f in &mut loaded.findings {
            f.rule = crate::model::catalog::SYMLINK_OUTSIDE_REPOSITORY.to_string();
        }
        loaded.source = Some(source);
        return Ok(loaded);
    }
    if c.path.as_os_str() == "-" || std::fs::metadata(&c.path).is_ok_and(|m| !m.is_file()) {
        return load_stream(c, max_file_size, limits);
    }
    let meta = std::fs::metadata(&c.path)
        .map_err(|e| Diagnostic::in_file(format!("cannot read: {e}"), c.display.clone()))?;
    // Both errors below are located parse errors with the file's (partial) text for snippets.
    let located = |text: String, offset: usize, message: String| {
        let source = SourceFile::new(c.display.clone(), text);
        let mut loaded = Loaded::parse_error(&source, source.pos(offset), message);
        loaded.source = Some(source);
        loaded
    };
    if meta.len() > max_file_size {
        return Ok(located(
            String::new(),
            0,
            format!(
                "file is {:.1} MiB, over the size limit of {:.1} MiB: not checked",
                meta.len() as f64 / 1048576.0,
                max_file_size as f64 / 1048576.0
            ),
        ));
    }
    crate::stats::file_read(&c.path);
    let bytes = std::fs::read(&c.path)
        .map_err(|e| Diagnostic::in_file(format!("cannot read: {e}"), c.display.clone()))?;
    Ok(load_bytes(c, bytes, max_file_size, limits))
}

/// Loads one candidate from its bytes (read from the working tree, or from a git tree by the
/// diff modes): the size limit, UTF-8, a byte-order mark, then the loader of its kind.
pub fn load_bytes(
    c: &Candidate,
    bytes: Vec<u8>,
    max_file_size: u64,
    limits: yaml::Limits,
) -> Loaded {
    let located = |text: String, offset: usize, message: String| {
        let source = SourceFile::new(c.display.clone(), text);
        let mut loaded = Loaded::parse_error(&source, source.pos(offset), message);
        loaded.source = Some(source);
        loaded
    };
    if bytes.len() as u64 > max_file_size {
        return located(
            String::new(),
            0,
            format!(
                "file is {:.1} MiB, over the size limit of {:.1} MiB: not checked",
                bytes.len() as f64 / 1048576.0,
                max_file_size as f64 / 1048576.0
            ),
        );
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            // The valid prefix ends at the bad byte: the error is underlined there.
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.into_bytes()[..valid]).into_owned();
            return located(prefix, valid, format!("invalid UTF-8 at byte {valid}"));
        }
    };
    // A UTF-8 byte-order mark is not content.
    let text = match text.strip_prefix('\u{feff}') {
        Some(t) => t.to_string(),
        None => text,
    };
    let source = SourceFile::new(c.display.clone(), text);
    let ctx = LoadContext {
        explicit: c.explicit,
        limits,
    };
    let mut loaded = source::load(source.clone(), c.claim, ctx);
    loaded.source = Some(source);
    loaded
}

/// How long a named stream (standard input, a FIFO, a device) may take to deliver its content.
pub const STREAM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads a named stream (`-` for standard input, a FIFO, `/dev/stdin`, `<(cat a.yaml)`)
/// within the size limit and [`STREAM_TIMEOUT`], then loads it like a file.
fn load_stream(
    c: &Candidate,
    max_file_size: u64,
    limits: yaml::Limits,
) -> Result<Loaded, Diagnostic> {
    let path = c.path.clone();
    crate::stats::file_read(&path);
    let (tx, rx) = std::sync::mpsc::channel();
    // A reader that never ends (`/dev/zero` is cut by the limit; a silent FIFO by the timeout)
    // is left behind in its thread: the run goes on.
    std::thread::spawn(move || {
        let r = if path.as_os_str() == "-" {
            crate::confined::read_capped(std::io::stdin().lock(), max_file_size)
        } else {
            std::fs::File::open(&path)
                .map_err(|e| crate::confined::ConfinedError::Io(e.kind().to_string()))
                .and_then(|f| crate::confined::read_capped(f, max_file_size))
        };
        let _ = tx.send(r);
    });
    let bytes = match rx.recv_timeout(STREAM_TIMEOUT) {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => {
            return Err(Diagnostic::in_file(
                format!("cannot read: {e}"),
                c.display.clone(),
            ))
        }
        Err(_) => {
            return Err(Diagnostic::in_file(
                format!(
                    "cannot read: nothing arrived within {} s",
                    STREAM_TIMEOUT.as_secs()
                ),
                c.display.clone(),
            ))
        }
    };
    let text = match crate::confined::utf8(bytes) {
        Ok(t) => t,
        Err(e) => return Err(Diagnostic::in_file(e.to_string(), c.display.clone())),
    };
    let source = SourceFile::new(c.display.clone(), text);
    let ctx = LoadContext {
        explicit: true,
        limits,
    };
    let mut loaded = source::load(source.clone(), c.claim, ctx);
    loaded.source = Some(source);
    Ok(loaded)
}

/// Loads every candidate in parallel.
pub fn load_all(candidates: &[Candidate], max_file_size: u64, limits: yaml::Limits) -> LoadedFiles {
    load_all_from(candidates, max_file_size, limits, &BTreeMap::new())
}

/// Loads every candidate in parallel, taking the text of those `texts` holds (by display
/// path) from there instead of the working tree.
pub fn load_all_from(
    candidates: &[Candidate],
    max_file_size: u64,
    limits: yaml::Limits,
    texts: &BTreeMap<String, Vec<u8>>,
) -> LoadedFiles {
    let mut out = load_each(candidates, max_file_size, limits, texts);
    finish(&mut out, candidates, max_file_size);
    out
}

/// Loads each candidate in parallel, without the facts that depend on every file loaded
/// together ([`finish`] adds those).
pub fn load_each(
    candidates: &[Candidate],
    max_file_size: u64,
    limits: yaml::Limits,
    texts: &BTreeMap<String, Vec<u8>>,
) -> LoadedFiles {
    let results: Vec<Result<Loaded, Diagnostic>> = candidates
        .par_iter()
        .map(|c| match texts.get(&c.display) {
            Some(bytes) => Ok(load_bytes(c, bytes.clone(), max_file_size, limits)),
            None => load_file(c, max_file_size, limits),
        })
        .collect();
    let mut out = LoadedFiles::default();
    for r in results {
        match r {
            Ok(l) => {
                if !l.documents.is_empty() || !l.findings.is_empty() {
                    if let Some(s) = &l.source {
                        out.sources.insert(s.path.clone(), s.clone());
                        out.kinds
                            .insert(s.path.clone(), l.documents.iter().map(|d| d.kind).collect());
                    }
                }
                out.documents.extend(l.documents);
                out.findings.extend(l.findings);
            }
            Err(d) => out.errors.push(d),
        }
    }
    out
}

impl LoadedFiles {
    /// Adds what another [`load_each`] loaded.
    pub fn extend(&mut self, other: LoadedFiles) {
        self.documents.extend(other.documents);
        self.findings.extend(other.findings);
        self.errors.extend(other.errors);
        self.sources.extend(other.sources);
        self.kinds.extend(other.kinds);
    }
}

/// What holds only for the files loaded together (`candidates`): which coverage report is
/// the primary one, and which files a `kustomization.yaml` makes patches rather than manifests.
pub fn finish(out: &mut LoadedFiles, candidates: &[Candidate], max_file_size: u64) {
    coverage::mark_primary(&mut out.documents);
    skip_kustomize_patches(candidates, max_file_size, out);
}

/// Files that a `kustomization.yaml` lists as patches are partial objects, not manifests:
/// their documents and parse errors are dropped (see [`source::kustomize`]).
fn skip_kustomize_patches(candidates: &[Candidate], max_file_size: u64, out: &mut LoadedFiles) {
    let mut patches = BTreeSet::new();
    for c in candidates
        .iter()
        .filter(|c| source::kustomize::is_kustomization(&c.path))
    {
        let small = std::fs::metadata(&c.path).is_ok_and(|m| m.len() <= max_file_size);
        let Some(text) = small
            .then(|| {
                crate::stats::file_read(&c.path);
                std::fs::read_to_string(&c.path).ok()
            })
            .flatten()
        else {
            continue;
        };
        let dir = c.display.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        for p in source::kustomize::patch_paths(&text) {
            if let Some(file) = source::compose::resolve(dir, &p) {
                patches.insert(file);
            }
        }
    }
    if patches.is_empty() {
        return;
    }
    out.documents.retain(|d| !patches.contains(d.path()));
    out.findings.retain(|f| !patches.contains(&f.file));
    for p in &patches {
        out.sources.remove(p);
        out.kinds.remove(p);
    }
}

/// Shared facts for per-document rules, computed once from every document: `data.tollgate.today`,
/// `data.tollgate.trivyignore` (the entries of the `.trivyignore` at the scan root, `root`),
/// `data.tollgate.compose` (the compose stacks, with the configuration's declared `stacks`) and
/// `data.tollgate.kubernetes` (the claims). An undiscovered `.trivyignore` is read only if it is
/// a regular file inside the scan root of at most `limit` bytes, and only when a Trivy report
/// is loaded; a refusal is returned (never
/// the file's content). The base of a diff gets the same, so its findings compare with the head's.
pub fn shared_data(
    docs: &[Document],
    today: &str,
    root: &Path,
    limit: u64,
    stacks: &[Vec<String>],
) -> (Map<String, Value>, Option<Diagnostic>) {
    let mut m = Map::new();
    m.insert("today".into(), Value::String(today.to_string()));
    // Only the scan root's `.trivyignore`, as Trivy reads only the one where it runs.
    let root_dir = if root.is_dir() {
        root.to_path_buf()
    } else {
        root.parent().map(PathBuf::from).unwrap_or_default()
    };
    let root_dir = if root_dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root_dir
    };
    let root_ignore = root_dir.join(".trivyignore");
    let shown = discover::display_path(&root_ignore);
    let mut refused = None;
    let entries = match docs
        .iter()
        .find(|d| d.kind == trivyignore::KIND && d.path() == shown)
    {
        Some(d) => value::member(&d.value, "entries").map_or_else(|| json!([]), value::to_json),
        // Not discovered (a report named on the command line, or a file that failed to load):
        // read it directly, confined to the scan root and within the size limit, when there
        // is a Trivy report to apply it to.
        None if !docs.iter().any(|d| d.kind == crate::source::trivy::KIND) => json!([]),
        None if root_ignore.symlink_metadata().is_err() => json!([]),
        None => {
            match crate::confined::Confinement::new(&root_dir).read_to_string(&root_ignore, limit) {
                Ok(text) => Value::Array(
                    trivyignore::entries(&text)
                        .into_iter()
                        .map(|(_, v)| v)
                        .collect(),
                ),
                Err(e) => {
                    refused = Some(Diagnostic::in_file(format!("not read: {e}"), shown));
                    json!([])
                }
            }
        }
    };
    m.insert("trivyignore".into(), entries);
    m.insert(
        "compose".into(),
        crate::source::compose::stack_data(docs, stacks),
    );
    m.insert(
        "kubernetes".into(),
        crate::source::kubernetes::claim_data(docs),
    );
    (m, refused)
}
