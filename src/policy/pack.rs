//! Where policies come from: the built-in pack embedded into the binary by `build.rs` (rules,
//! their tests, fixtures and docs), and policy folders on disk.

use std::path::{Path, PathBuf};

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{metadata, PolicyError};
use crate::confined::{self, Confinement};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded_policies.rs"));
}

/// The built-in pack's files, relative to `policies/`: rules, tests, fixtures, docs.
pub fn embedded_files() -> &'static [(&'static str, &'static str)] {
    embedded::EMBEDDED
}

/// A Rego source file to load.
#[derive(Clone, Debug)]
pub struct PolicySource {
    /// As displayed in diagnostics.
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

/// The METADATA of a policy file ([`metadata::parse`]). The built-in pack's blocks are parsed
/// once per process: the configuration's schema and the policy set both read them (parsing
/// them twice was 4% of the instructions of a one-file run).
pub fn metadata_of(src: &PolicySource) -> metadata::Parsed {
    static BUILTIN: LazyLock<HashMap<String, metadata::Parsed>> = LazyLock::new(|| {
        builtin_sources(false)
            .into_iter()
            .map(|s| {
                let parsed = metadata::parse(&s.text);
                (s.path, parsed)
            })
            .collect()
    });
    if !src.builtin {
        return metadata::parse(&src.text);
    }
    match BUILTIN.get(&src.path) {
        Some(parsed) => parsed.clone(),
        None => metadata::parse(&src.text),
    }
}

/// The built-in pack's Rego files (tests only when asked).
pub fn builtin_sources(tests: bool) -> Vec<PolicySource> {
    embedded_files()
        .iter()
        .filter(|(p, _)| p.ends_with(".rego") && !p.contains("/fixtures/"))
        .filter(|(p, _)| tests || !p.ends_with("_test.rego"))
        .map(|(p, t)| PolicySource {
            path: format!("policies/{p}"),
            text: t.to_string(),
            builtin: true,
        })
        .collect()
}

/// The built-in rules' settings schemas (METADATA `custom.schema`, see
/// [`super::metadata::Metadata::settings_schema`]), by rule id: the configuration's schema
/// includes them, so that `.tollgate.yml` is validated against them (and editors complete
/// them).
pub fn builtin_settings_schemas() -> Vec<(String, serde_json::Value)> {
    builtin_sources(false)
        .iter()
        .filter_map(|s| {
            let m = metadata_of(s).ok().flatten()?;
            Some((m.id.clone()?, m.settings_schema()?))
        })
        .collect()
}

/// The built-in library packages (`policies/lib/`), which team policies may import.
fn builtin_library() -> Vec<PolicySource> {
    builtin_sources(false)
        .into_iter()
        .filter(|s| s.path.starts_with("policies/lib/"))
        .collect()
}

/// Drops later sources that are the same file of the built-in pack as an earlier one (a
/// checkout's `policies/lib/result.rego` and the embedded copy), keeping the first.
pub fn dedup_sources(sources: &mut Vec<PolicySource>) {
    let mut seen = std::collections::BTreeSet::new();
    sources.retain(|s| {
        let key = match s.path.rsplit_once("policies/") {
            Some((_, rel)) if embedded_files().iter().any(|(p, _)| *p == rel) => rel.to_string(),
            _ => s.path.clone(),
        };
        seen.insert(key)
    });
}

fn display(p: &Path) -> String {
    crate::discover::display_path(p)
}

fn read(p: &Path, confine: Option<&Confinement>) -> Result<PolicySource, PolicyError> {
    let text = match confine {
        Some(c) => c
            .read_to_string(p, confined::DEFAULT_LIMIT)
            .map_err(|source| PolicyError::Refused {
                file: display(p),
                source,
            })?,
        None => std::fs::read_to_string(crate::stats::recorded(p)).map_err(|source| {
            PolicyError::Read {
                file: display(p),
                source,
            }
        })?,
    };
    Ok(PolicySource {
        path: display(p),
        text,
        builtin: false,
    })
}

/// Reads every `.rego` file under `dir` (`fixtures/` and hidden folders excluded), or the one
/// file `dir` names. A folder without any is an error: a misspelt or empty `--policy` folder
/// must not pass silently.
pub fn dir_sources(dir: &Path, tests: bool) -> Result<Vec<PolicySource>, PolicyError> {
    dir_sources_in(dir, tests, None)
}

/// [`dir_sources`] confined: `dir` and every file read must resolve inside `confine`
/// (folders named by the configuration); symlinked folders are not followed then.
pub fn dir_sources_in(
    dir: &Path,
    tests: bool,
    confine: Option<&Confinement>,
) -> Result<Vec<PolicySource>, PolicyError> {
    if let Some(c) = confine {
        if let Err(source) = c.resolve(dir) {
            return Err(PolicyError::Refused {
                file: display(dir),
                source,
            });
        }
    }
    if dir.is_file() {
        return Ok(vec![read(dir, confine)?]);
    }
    if !dir.is_dir() {
        return Err(PolicyError::NotFound { file: display(dir) });
    }
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|source| PolicyError::ReadDir {
            file: display(&d),
            source,
        })?;
        for e in rd.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            let link = e.file_type().is_ok_and(|t| t.is_symlink());
            if p.is_dir() {
                if name != "fixtures" && !name.starts_with('.') && !(link && confine.is_some()) {
                    stack.push(p);
                }
            } else if name.ends_with(".rego") && (tests || !name.ends_with("_test.rego")) {
                out.push(read(&p, confine)?);
            }
        }
    }
    if out.is_empty() {
        return Err(PolicyError::Empty { file: display(dir) });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The policy sources of a run: the given folders first (so that a folder's copy of a library
/// file wins over the embedded one), then the built-in pack, or only its library with
/// `no_builtin`. `tests` adds the `*_test.rego` files.
pub fn assemble(
    dirs: &[PathBuf],
    no_builtin: bool,
    tests: bool,
) -> (Vec<PolicySource>, Vec<PolicyError>) {
    let dirs: Vec<(PathBuf, Option<Confinement>)> =
        dirs.iter().map(|d| (d.clone(), None)).collect();
    assemble_in(&dirs, no_builtin, tests)
}

/// [`assemble`], each folder with its confinement (`Some` for folders the config names).
pub fn assemble_in(
    dirs: &[(PathBuf, Option<Confinement>)],
    no_builtin: bool,
    tests: bool,
) -> (Vec<PolicySource>, Vec<PolicyError>) {
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for (dir, confine) in dirs {
        match dir_sources_in(dir, tests, confine.as_ref()) {
            Ok(s) => sources.extend(s),
            Err(e) => errors.push(e),
        }
    }
    if no_builtin {
        sources.extend(builtin_library());
    } else {
        sources.extend(builtin_sources(tests));
    }
    dedup_sources(&mut sources);
    (sources, errors)
}

/// [`assemble`] with the team's sources already read (from a git tree by `--policies-from`).
pub fn assemble_sources(
    mut sources: Vec<PolicySource>,
    no_builtin: bool,
    tests: bool,
) -> Vec<PolicySource> {
    if no_builtin {
        sources.extend(builtin_library());
    } else {
        sources.extend(builtin_sources(tests));
    }
    dedup_sources(&mut sources);
    sources
}

/// Whether a file under a policy folder is a policy `dir_sources` would read (`rel`: its path
/// below the folder).
pub fn is_policy_file(rel: &str, tests: bool) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let name = parts.pop().unwrap_or("");
    name.ends_with(".rego")
        && (tests || !name.ends_with("_test.rego"))
        && !parts.iter().any(|d| *d == "fixtures" || d.starts_with('.'))
}

/// The README of a built-in rule folder (`kubernetes/probes`).
pub fn builtin_readme(category_rule: &str) -> Option<String> {
    let want = format!("{category_rule}/README.md");
    embedded_files()
        .iter()
        .find(|(p, _)| *p == want)
        .map(|(_, t)| t.to_string())
}
