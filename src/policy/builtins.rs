//! conftest's own builtins, as regorus extensions, so that teams' conftest policies run as is:
//!
//! - `parse_config(parser, content)`: parses a string (`yaml`/`yml`, `json`);
//! - `parse_config_file(path)`: reads and parses a file (by extension);
//! - `parse_combined_config_files(paths)`: `[{"path", "contents"}]` of several files.
//!
//! A relative path is resolved from the folder of the policy file that calls the builtin, as
//! conftest does. File reads are confined to the scanned folders and the policy folders: a pull
//! request's policy cannot read `~/.ssh` or the runner's environment through them. A policy
//! read from a revision (`--policies-from REF`) reads REF's files, inside the repository only.
//!
//! Some of regorus's own builtins are replaced (extensions win over builtins), so that a run is
//! deterministic and bounded:
//!
//! - `time.now_ns()` is noon UTC of "today" (`--today`), not the clock;
//! - `rand.intn` and `uuid.rfc4122` are errors: a gate that answers differently on each run
//!   cannot be reviewed or reproduced;
//! - `numbers.range` and `numbers.range_step` refuse to build more than [`MAX_RANGE`] numbers
//!   (`numbers.range(1, 2000000000)` would otherwise abort the process out of memory).

use anyhow::{anyhow, bail, Result};
use regorus::{Engine, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use crate::confined::{self, Confinement};
use crate::model::LineIndex;
use crate::source::yaml;

fn parse_text(parser: &str, text: &str) -> Result<serde_json::Value> {
    match parser.to_ascii_lowercase().as_str() {
        "json" => Ok(serde_json::from_str(text)?),
        "yaml" | "yml" => {
            let lines = LineIndex::new(text);
            let docs = yaml::parse(text, &lines, yaml::Limits::default())
                .map_err(|e| anyhow!("{}:{}: {}", e.pos.line, e.pos.column, e.message))?;
            let mut values: Vec<serde_json::Value> = docs.into_iter().map(|d| d.value).collect();
            Ok(match values.len() {
                0 => serde_json::Value::Null,
                1 => values.remove(0),
                _ => serde_json::Value::Array(values),
            })
        }
        other => bail!("parse_config: unsupported parser `{other}` (tollgate supports yaml, json)"),
    }
}

fn parser_for(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("json") => "json",
        _ => "yaml",
    }
}

/// Reads a file as it is at a revision: `Ok(None)` when it is not there, `Err` when it cannot
/// be read (outside the repository, not a regular file, over the size limit, not UTF-8).
pub type RevReader = Arc<dyn Fn(&Path) -> Result<Option<String>, String> + Send + Sync>;

/// The policy files read from a revision (`--policies-from REF`), whose relative reads resolve
/// in that revision's tree, and how to read it.
#[derive(Clone)]
pub struct RevFiles {
    /// Display paths of the policy files read from the revision.
    pub policies: BTreeSet<String>,
    /// The revision, as named in messages.
    pub rev: String,
    pub read: RevReader,
}

impl std::fmt::Debug for RevFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevFiles")
            .field("policies", &self.policies)
            .field("rev", &self.rev)
            .finish_non_exhaustive()
    }
}

/// Where the conftest builtins read files from.
#[derive(Clone)]
struct Files {
    /// The allowed folders on disk.
    roots: Arc<Confinement>,
    rev: Option<RevFiles>,
}

/// `path` as a policy names it, resolved as conftest does: a relative path from the folder of
/// the policy file that calls the builtin (regorus tells which, see TOLLGATE PATCH (8)), else
/// from the working directory. Also the calling policy's path.
fn resolve(path: &str) -> (PathBuf, Option<String>) {
    let p = Path::new(path);
    let caller = regorus::extension_caller();
    let resolved = match caller.as_deref().and_then(|c| Path::new(c).parent()) {
        Some(dir) if p.is_relative() => dir.join(p),
        _ => p.to_path_buf(),
    };
    (resolved, caller)
}

/// A resolved path as displayed: `policy/../names.yaml` is `names.yaml` (lexically; the read
/// itself resolves symbolic links and checks the result).
fn shown(p: &Path) -> String {
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    crate::discover::display_path(&out)
}

impl Files {
    /// Reads `path` (as the policy names it, resolved by [`resolve`]): at the revision when the
    /// calling policy was read from one, confined to its repository; else on disk, a regular
    /// file inside one of the allowed folders. Within the size limit either way. The error
    /// names the path, never the file's content.
    fn read(&self, name: &str, path: &str) -> Result<String> {
        let (resolved, caller) = resolve(path);
        let shown = if resolved.as_path() == Path::new(path) {
            path.to_string()
        } else {
            format!("{path} ({})", shown(&resolved))
        };
        if let Some(rev) = self
            .rev
            .as_ref()
            .filter(|r| caller.is_some_and(|c| r.policies.contains(&c)))
        {
            return match (rev.read)(&resolved) {
                Ok(Some(text)) => Ok(text),
                Ok(None) => Err(anyhow!("{name}: {shown}: no such file at {}", rev.rev)),
                Err(e) => Err(anyhow!("{name}: {shown}: {e}")),
            };
        }
        self.roots
            .read_to_string(&resolved, confined::DEFAULT_LIMIT)
            .map_err(|e| match e {
                confined::ConfinedError::Outside => {
                    anyhow!("{name}: {shown} is outside the scanned and policy folders")
                }
                e => anyhow!("{name}: {shown}: {e}"),
            })
    }
}

fn to_value(v: serde_json::Value) -> Value {
    crate::model::value::from_json(v)
}

fn string_arg(args: &[Value], i: usize, name: &str) -> Result<String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        _ => bail!("{name}: argument {} must be a string", i + 1),
    }
}

/// The builtins registered here.
pub const NAMES: &[&str] = &[
    "parse_config",
    "parse_config_file",
    "parse_combined_config_files",
];

/// The most numbers `numbers.range` and `numbers.range_step` build.
pub const MAX_RANGE: u64 = 1_000_000;

/// "Today" for `time.now_ns`, in nanoseconds since the epoch (0: not set yet).
static TODAY_NS: AtomicI64 = AtomicI64::new(0);

/// Sets the day `time.now_ns` answers with (noon UTC of `date`, `YYYY-MM-DD`).
pub fn set_today(date: &str) {
    if let Some(ns) = noon_ns(date) {
        TODAY_NS.store(ns, Ordering::Relaxed);
    }
}

fn noon_ns(date: &str) -> Option<i64> {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()?
        .and_hms_opt(12, 0, 0)?
        .and_utc()
        .timestamp_nanos_opt()
}

fn now_ns() -> i64 {
    match TODAY_NS.load(Ordering::Relaxed) {
        0 => noon_ns(&crate::model::today()).unwrap_or(0),
        ns => ns,
    }
}

fn int_arg(args: &[Value], i: usize, name: &str) -> Result<i64> {
    args.get(i)
        .and_then(|v| v.as_number().ok())
        .filter(|n| n.is_integer())
        .and_then(|n| n.as_i64())
        .ok_or_else(|| anyhow!("{name}: argument {} must be an integer", i + 1))
}

/// `from..=to` by `step` (descending when `from > to`), at most [`MAX_RANGE`] numbers.
fn bounded_range(name: &str, from: i64, to: i64, step: i64) -> Result<Value> {
    if step <= 0 {
        bail!("{name}: the step must be a positive integer");
    }
    let span = (i128::from(to) - i128::from(from)).unsigned_abs();
    let count = span / step as u128 + 1;
    if count > u128::from(MAX_RANGE) {
        bail!("{name}: {count} numbers, over tollgate's limit of {MAX_RANGE}");
    }
    let sign: i128 = if to >= from { 1 } else { -1 };
    let out: Vec<Value> = (0..count as i128)
        .map(|k| Value::from((i128::from(from) + sign * k * i128::from(step)) as i64))
        .collect();
    Ok(Value::from(out))
}

/// Registers the builtins on `engine`, reading only under `roots` (and, for the policies read
/// from a revision, in that revision's tree).
pub fn register(engine: &mut Engine, roots: &[PathBuf], rev: Option<RevFiles>) {
    let _ = engine.add_extension(
        "time.now_ns".to_string(),
        0,
        Box::new(|_: Vec<Value>| Ok(Value::from(now_ns()))),
    );
    for (name, nargs) in [("rand.intn", 2u8), ("uuid.rfc4122", 1)] {
        let _ = engine.add_extension(
            name.to_string(),
            nargs,
            Box::new(move |_: Vec<Value>| {
                bail!("{name} is not available in tollgate: a gate must give the same answer on every run")
            }),
        );
    }
    let _ = engine.add_extension(
        "numbers.range".to_string(),
        2,
        Box::new(|args: Vec<Value>| {
            let name = "numbers.range";
            bounded_range(name, int_arg(&args, 0, name)?, int_arg(&args, 1, name)?, 1)
        }),
    );
    let _ = engine.add_extension(
        "numbers.range_step".to_string(),
        3,
        Box::new(|args: Vec<Value>| {
            let name = "numbers.range_step";
            bounded_range(
                name,
                int_arg(&args, 0, name)?,
                int_arg(&args, 1, name)?,
                int_arg(&args, 2, name)?,
            )
        }),
    );
    let files = Files {
        roots: Arc::new(Confinement::with_roots(roots)),
        rev,
    };
    let _ = engine.add_extension(
        "parse_config".to_string(),
        2,
        Box::new(|args: Vec<Value>| {
            let parser = string_arg(&args, 0, "parse_config")?;
            let text = string_arg(&args, 1, "parse_config")?;
            Ok(to_value(parse_text(&parser, &text)?))
        }),
    );
    let r = files.clone();
    let _ = engine.add_extension(
        "parse_config_file".to_string(),
        1,
        Box::new(move |args: Vec<Value>| {
            let path = string_arg(&args, 0, "parse_config_file")?;
            let text = r.read("parse_config_file", &path)?;
            Ok(to_value(parse_text(parser_for(Path::new(&path)), &text)?))
        }),
    );
    let r = files;
    let _ = engine.add_extension(
        "parse_combined_config_files".to_string(),
        1,
        Box::new(move |args: Vec<Value>| {
            let paths: Vec<String> = match args.first() {
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(|v| v.as_string().ok().map(|s| s.to_string()))
                    .collect(),
                Some(Value::Set(s)) => s
                    .iter()
                    .filter_map(|v| v.as_string().ok().map(|s| s.to_string()))
                    .collect(),
                _ => bail!("parse_combined_config_files: the argument must be a list of paths"),
            };
            let mut out = Vec::new();
            for p in paths {
                let text = r.read("parse_combined_config_files", &p)?;
                let contents = parse_text(parser_for(Path::new(&p)), &text)?;
                out.push(serde_json::json!({"path": p, "contents": contents}));
            }
            Ok(to_value(serde_json::Value::Array(out)))
        }),
    );
}
