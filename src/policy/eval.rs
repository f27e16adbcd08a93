//! Evaluating a rule with the engine's current input, and turning its results (strings, or
//! objects with `msg` and `path`) into raw findings.

use regorus::Engine;
use serde_json::Value;

use super::{PolicyError, Rule};
use crate::model::{commands, RawFinding, Seg, Severity};

/// Writes what policies `print()`ed to standard error, each line prefixed with its policy
/// location, and neutralised inside GitHub Actions (see [`crate::model::commands`]). Engines
/// gather prints (`set_gather_prints`), so regorus never writes them itself.
pub fn flush_prints(engine: &mut Engine) {
    if let Ok(lines) = engine.take_prints() {
        for l in lines {
            eprintln!("{}", commands::for_output(&l, commands::Escape::Plain));
        }
    }
}

/// Evaluates the rule at `query`, then [`flush_prints`]. Consecutive calls with the same input
/// keep the rule values computed so far (`eval_rule_continuing`, vendored regorus patch 12):
/// the rules of one document share what the libraries compute over `input` (its pod templates
/// and containers), as within one OPA query; `set_input` starts afresh.
pub fn eval_rule(engine: &mut Engine, query: String) -> anyhow::Result<regorus::Value> {
    let r = engine.eval_rule_continuing(query);
    flush_prints(engine);
    r
}

/// Evaluates `rule` with the engine's current input. Errors are located at the policy.
pub fn evaluate(engine: &mut Engine, rule: &Rule) -> Result<Vec<RawFinding>, PolicyError> {
    let mut out = Vec::new();
    let excepted = if rule.exception {
        exceptions(engine, rule)?
    } else {
        Vec::new()
    };
    for entry in &rule.entries {
        // conftest: `exception contains ["latest"]` exempts `deny_latest`; `[""]` exempts `deny`.
        let suffix = entry.split_once('_').map(|(_, s)| s).unwrap_or("");
        if excepted.iter().any(|e| e == suffix) {
            continue;
        }
        let query = format!("data.{}.{}", rule.package, entry);
        let value = eval_rule(engine, query).map_err(|e| {
            let err = PolicyError::engine(&rule.file, &e)
                .prefixed(&format!("rule {}: evaluation failed: ", rule.id));
            // An error regorus does not locate (a time limit) is located at the rule.
            match err {
                PolicyError::Engine {
                    file,
                    message,
                    at: None,
                } => PolicyError::At {
                    file,
                    line: rule.line,
                    message,
                },
                other => other,
            }
        })?;
        out.extend(entry_results(rule, entry, value)?);
    }
    Ok(out)
}

/// Converts the value of one entry rule (`deny`, `warn_x`, …) into raw findings.
fn entry_results(
    rule: &Rule,
    entry: &str,
    value: regorus::Value,
) -> Result<Vec<RawFinding>, PolicyError> {
    let at = |message: String| PolicyError::At {
        file: rule.file.clone(),
        line: rule.line,
        message: format!("rule {}: {message}", rule.id),
    };
    let value = to_json(value).map_err(|e| at(format!("its result cannot be read: {e}")))?;
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let severity = rule.entry_severity(entry);
    let items: Vec<Value> = match value {
        Value::Array(a) => a,
        Value::Bool(true) => vec![Value::String(format!("{entry} is true"))],
        Value::Bool(false) | Value::Null => Vec::new(),
        other => vec![other],
    };
    let mut out = Vec::new();
    for item in items {
        let mut raw = raw_finding(&item).map_err(at)?;
        if raw.severity.is_none() && severity != rule.severity {
            raw.severity = Some(severity);
        }
        out.push(raw);
    }
    Ok(out)
}

/// The rule names a package's conftest `exception` rules exempt for the current input.
fn exceptions(engine: &mut Engine, rule: &Rule) -> Result<Vec<String>, PolicyError> {
    let value = eval_rule(engine, format!("data.{}.exception", rule.package))
        .map_err(|e| PolicyError::engine(&rule.file, &e))?;
    let value = to_json(value).map_err(|e| PolicyError::At {
        file: rule.file.clone(),
        line: rule.line,
        message: format!("rule {}: its `exception` cannot be read: {e}", rule.id),
    })?;
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    let mut push = |v: &Value| match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => out.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string))),
        _ => {}
    };
    match &value {
        Value::Array(items) => items.iter().for_each(&mut push),
        other => push(other),
    }
    Ok(out)
}

fn parse_path(v: &Value) -> Result<Vec<Seg>, String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|s| match s {
                Value::String(k) => Ok(Seg::Key(k.clone())),
                Value::Number(n) => n
                    .as_u64()
                    .map(|i| Seg::Index(i as usize))
                    .ok_or_else(|| format!("invalid path segment {n}")),
                other => Err(format!("invalid path segment {other}")),
            })
            .collect(),
        Value::String(s) if s.is_empty() => Ok(Vec::new()),
        Value::String(s) => Ok(s
            .split('.')
            .map(|p| match p.parse::<usize>() {
                Ok(i) => Seg::Index(i),
                Err(_) => Seg::Key(p.to_string()),
            })
            .collect()),
        Value::Null => Ok(Vec::new()),
        other => Err(format!(
            "`path` must be a list of keys and indices, got {other}"
        )),
    }
}

/// Converts one result of a rule: a string (conftest style) or an object with `msg`.
pub fn raw_finding(item: &Value) -> Result<RawFinding, String> {
    match item {
        Value::String(s) => Ok(RawFinding::message(s.clone())),
        Value::Object(o) => {
            let msg = o
                .get("msg")
                .or_else(|| o.get("message"))
                .map(|m| match m {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .ok_or("a result object needs a `msg`")?;
            let path = match o.get("path") {
                None => None,
                Some(p) => Some(parse_path(p)?),
            };
            let severity = match o.get("severity").and_then(Value::as_str) {
                None => None,
                Some(s) => Some(Severity::parse(s).ok_or(format!("unknown severity `{s}`"))?),
            };
            let mut related = Vec::new();
            if let Some(Value::Array(rs)) = o.get("related") {
                for r in rs {
                    let p = parse_path(r.get("path").unwrap_or(&Value::Null))?;
                    let m = r
                        .get("msg")
                        .or_else(|| r.get("message"))
                        .and_then(Value::as_str)
                        .unwrap_or("related")
                        .to_string();
                    related.push((p, m));
                }
            }
            Ok(RawFinding {
                msg,
                path,
                severity,
                related,
                text_line: o.get("text_line").and_then(Value::as_u64).map(|n| n as u32),
                file: o.get("file").and_then(Value::as_str).map(str::to_string),
                document: o
                    .get("document")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
                pinpointed: false,
            })
        }
        other => Ok(RawFinding::message(other.to_string())),
    }
}

/// A rule's value as JSON; `None` when it is undefined. A value that cannot be converted is an
/// error (never silently no finding: that would fail open).
fn to_json(value: regorus::Value) -> Result<Option<Value>, serde_json::Error> {
    match value {
        regorus::Value::Undefined => Ok(None),
        v => serde_json::to_value(&v).map(Some),
    }
}
