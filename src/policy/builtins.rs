//! conftest's own builtins, as regorus extensions, so that teams' conftest policies run as is:
//!
//! - `parse_config(parser, content)`: parses a string (`yaml`/`yml`, `json`);
//! - `parse_config_file(path)`: reads and parses a file (by extension);
//! - `parse_combined_config_files(paths)`: `[{"path", "contents"}]` of several files.
//!
//! File reads are confined to the scanned folders and the policy folders: a pull request's
//! policy cannot read `~/.ssh` or the runner's environment through them.

use anyhow::{anyhow, bail, Result};
use regorus::{Engine, Value};
use std::path::{Path, PathBuf};
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

/// Reads `path` if it is a regular file inside one of the allowed folders, within the size
/// limit. The error names the path (the policy's own argument), never the file's content.
fn confined_read(roots: &Confinement, path: &str) -> Result<String> {
    roots
        .read_to_string(Path::new(path), confined::DEFAULT_LIMIT)
        .map_err(|e| match e {
            confined::ConfinedError::Outside => {
                anyhow!("parse_config_file: {path} is outside the scanned and policy folders")
            }
            e => anyhow!("parse_config_file: {path}: {e}"),
        })
}

fn to_value(v: serde_json::Value) -> Value {
    Value::from(v)
}

fn string_arg(args: &[Value], i: usize, name: &str) -> Result<String> {
    match args.get(i) {
        Some(Value::String(s)) => Ok(s.to_string()),
        _ => bail!("{name}: argument {} must be a string", i + 1),
    }
}

/// Registers the builtins on `engine`, reading only under `roots`.
pub fn register(engine: &mut Engine, roots: &[PathBuf]) {
    let roots: Arc<Confinement> = Arc::new(Confinement::with_roots(roots));
    let _ = engine.add_extension(
        "parse_config".to_string(),
        2,
        Box::new(|args: Vec<Value>| {
            let parser = string_arg(&args, 0, "parse_config")?;
            let text = string_arg(&args, 1, "parse_config")?;
            Ok(to_value(parse_text(&parser, &text)?))
        }),
    );
    let r = roots.clone();
    let _ = engine.add_extension(
        "parse_config_file".to_string(),
        1,
        Box::new(move |args: Vec<Value>| {
            let path = string_arg(&args, 0, "parse_config_file")?;
            let text = confined_read(&r, &path)?;
            Ok(to_value(parse_text(parser_for(Path::new(&path)), &text)?))
        }),
    );
    let r = roots;
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
                let text = confined_read(&r, &p)?;
                let contents = parse_text(parser_for(Path::new(&p)), &text)?;
                out.push(serde_json::json!({"path": p, "contents": contents}));
            }
            Ok(to_value(serde_json::Value::Array(out)))
        }),
    );
}
