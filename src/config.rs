//! `.tollgate.yml`: rule selection, severities and settings, extra policies and data,
//! exclusions, forced input kinds, and waivers. Validated once against the schema tollgate
//! ships (`tollgate schema`, which includes the built-in rules' settings schemas), with errors
//! located in the file, then deserialized into typed values (`RawConfig`).

use globset::{Glob, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use crate::confined::Confinement;
use crate::model::span::locate;
use crate::model::{catalog, Diagnostic, Kind, RuleMeta, Seg, Severity, SourceFile, SpanNode};
use crate::source::{self, yaml};

/// The hand-written part of the JSON schema of `.tollgate.yml`; [`schema`] completes it from
/// the registry of input kinds. `schema/tollgate.schema.json` is the generated whole (a test
/// keeps it current).
const SCHEMA_BASE: &str = include_str!("../schema/tollgate.schema.json");

/// Names tollgate looks for, in order.
pub const FILE_NAMES: [&str; 2] = source::CONFIG_FILE_NAMES;

/// The JSON schema of `.tollgate.yml`: the base, with one `inputs` key per kind that the
/// configuration may force.
pub fn schema() -> Value {
    let mut schema: Value = serde_json::from_str(SCHEMA_BASE).unwrap_or(Value::Null);
    let inputs: Map<String, Value> = source::KINDS
        .iter()
        .filter(|k| k.forceable)
        .map(|k| {
            (
                k.kind.name().to_string(),
                serde_json::json!({"$ref": "#/$defs/globs"}),
            )
        })
        .collect();
    if let Some(p) = schema.pointer_mut("/properties/inputs/properties") {
        *p = Value::Object(inputs);
    }
    // One entry per built-in rule with a settings schema: a rule's entry as any rule's
    // (`rules.additionalProperties`), its `settings` being the rule's own schema.
    let any_rule = schema
        .pointer("/properties/rules/additionalProperties")
        .cloned()
        .unwrap_or(Value::Null);
    let rules: Map<String, Value> = crate::policy::pack::builtin_settings_schemas()
        .into_iter()
        .map(|(id, settings)| {
            let mut entry = any_rule.clone();
            if let Some(p) = entry.pointer_mut("/properties/settings") {
                *p = settings;
            }
            (id, entry)
        })
        .collect();
    if let Some(Value::Object(r)) = schema.pointer_mut("/properties/rules") {
        r.insert("properties".into(), Value::Object(rules));
    }
    schema
}

/// [`schema`] as pretty-printed JSON (what `tollgate schema` prints).
pub fn schema_text() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).unwrap_or_default();
    s.push('\n');
    s
}

/// The compiled schema, or why it does not compile (a bug: the run then fails, closed).
static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> =
    LazyLock::new(|| jsonschema::validator_for(&SCHEMA).map_err(|e| e.to_string()));

/// [`schema`], computed once.
static SCHEMA: LazyLock<Value> = LazyLock::new(schema);

/// `fail-on`: the lowest severity that fails the run (the config's key and `--fail-on`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Error,
    Warning,
    Note,
    Never,
}

impl FailOn {
    /// The lowest severity that fails the run; `None`: nothing does.
    pub fn level(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Note => Some(Severity::Note),
            FailOn::Never => None,
        }
    }
}

/// `.tollgate.yml` as written, deserialized once it has passed the schema (which locates
/// every error; these types only carry the values). The schema and these types describe the
/// same keys: `deny_unknown_fields` makes a key one of them lacks a bug a test catches.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    fail_on: Option<FailOn>,
    #[serde(default)]
    rules: BTreeMap<String, RawRule>,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    data: Vec<String>,
    namespaces: Option<Vec<String>>,
    #[serde(default)]
    exclude: Vec<String>,
    reports: Option<Vec<String>>,
    /// Kind name -> globs.
    #[serde(default)]
    inputs: BTreeMap<String, Vec<String>>,
    max_file_size: Option<u64>,
    #[serde(default)]
    waivers: Vec<RawWaiver>,
    compose: Option<RawCompose>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    severity: Option<Severity>,
    #[serde(default)]
    settings: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    rule: String,
    path: Option<String>,
    reason: Option<String>,
    expires: Option<String>,
    owner: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompose {
    #[serde(default)]
    stacks: Vec<Vec<String>>,
}

#[derive(Clone, Debug, Default)]
pub struct RuleConfig {
    pub severity: Option<Severity>,
    pub settings: Map<String, Value>,
}

/// A `waivers:` entry.
#[derive(Clone, Debug, Default)]
pub struct ConfigWaiver {
    pub rule: String,
    pub path: Option<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
    pub owner: Option<String>,
    pub index: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The file's text (absent when no config file was found).
    pub source: Option<Arc<SourceFile>>,
    pub spans: SpanNode,
    /// The folder paths in the config are relative to.
    pub dir: PathBuf,
    /// The folder every file the config names (`data:`, `policies:`) must resolve inside:
    /// the repository holding the config (see [`crate::confined`]).
    pub root: PathBuf,
    pub select: Option<Vec<String>>,
    pub ignore: Vec<String>,
    pub fail_on: Option<FailOn>,
    pub rules: BTreeMap<String, RuleConfig>,
    pub policies: Vec<PathBuf>,
    pub data: Vec<PathBuf>,
    pub namespaces: Option<Vec<String>>,
    pub exclude: Vec<String>,
    pub reports: Option<Vec<String>>,
    pub inputs: Vec<(Kind, String)>,
    pub max_file_size: Option<u64>,
    pub waivers: Vec<ConfigWaiver>,
    /// Errors in built-in rules' settings, found with the rest of the schema errors but
    /// reported by [`Config::validate_rules`] with the errors about rule ids, so that one run
    /// shows both.
    pub settings_errors: Vec<Diagnostic>,
    /// `compose: {stacks: […]}`: compose files merged into one stack, as displayed (the
    /// config's paths are relative to its folder).
    pub compose_stacks: Vec<Vec<String>>,
}

/// The configuration of a run: the nearest `.tollgate.yml` from `start` (the working
/// directory) up to the git root; outside a git repository, in `start` only. Never from the
/// paths being checked: `tollgate check a b` uses one configuration for both. The one place
/// the lookup lives, so that per-folder configurations can come later.
pub fn find(start: &Path) -> Option<PathBuf> {
    // Any entry, symlinks included: a link to outside is refused when read.
    find_where(start, |p| p.symlink_metadata().is_ok())
}

/// The first of tollgate's configuration names for which `exists` holds, from `start` up to
/// the git root (outside git: `start` only). `--policies-from` asks whether the file exists at
/// a revision.
pub fn find_where(start: &Path, exists: impl Fn(&Path) -> bool) -> Option<PathBuf> {
    let start = std::path::absolute(if start.as_os_str().is_empty() {
        Path::new(".")
    } else {
        start
    })
    .ok()?;
    let in_git = start.ancestors().any(|d| d.join(".git").exists());
    for dir in start.ancestors() {
        for name in FILE_NAMES {
            let p = dir.join(name);
            if exists(&p) {
                return Some(p);
            }
        }
        if !in_git || dir.join(".git").exists() {
            break;
        }
    }
    None
}

/// A schema error that quotes at most the offending token: a short scalar is shown, anything
/// longer (a whole file read as a string, a mapping) is described by its type.
fn schema_message(e: &jsonschema::ValidationError) -> String {
    let short = match e.instance().as_ref() {
        Value::String(s) => s.len() <= 40 && !s.contains(['\n', '\r']),
        Value::Array(_) | Value::Object(_) => false,
        _ => true,
    };
    if short {
        e.to_string()
    } else {
        let kind = match e.instance().as_ref() {
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            _ => "a mapping",
        };
        e.masked_with(kind).to_string()
    }
}

/// What a value must be, in words, from its JSON schema (`None` when the schema says too little).
fn describe(schema: &Value) -> Option<String> {
    let num = |k: &str| schema.get(k).and_then(Value::as_f64);
    let words = |v: &Value| {
        v.as_array().map(|a| {
            a.iter()
                .map(|x| {
                    format!(
                        "`{}`",
                        x.as_str().map_or_else(|| x.to_string(), str::to_string)
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
    };
    if let Some(e) = schema.get("enum").and_then(words) {
        return Some(format!("one of {e}"));
    }
    let Some(t) = schema.get("type").and_then(Value::as_str) else {
        // A union (`anyOf`) says in its description what it takes.
        return schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_string);
    };
    Some(match t {
        t @ ("number" | "integer") => {
            let noun = if t == "integer" {
                "a whole number"
            } else {
                "a number"
            };
            match (num("minimum"), num("maximum")) {
                (Some(lo), Some(hi)) => format!("{noun} from {lo} to {hi}"),
                (Some(0.0), None) => format!("{noun} (0 or more)"),
                (Some(lo), None) => format!("{noun} of at least {lo}"),
                (None, Some(hi)) => format!("{noun} of at most {hi}"),
                (None, None) => noun.to_string(),
            }
        }
        "boolean" => "true or false".into(),
        "string" => "a string".into(),
        "object" => "a mapping".into(),
        "array" => match schema.get("items") {
            Some(items) => match items.get("enum").and_then(words) {
                Some(e) => format!("a list of {e}"),
                None => match items.get("type").and_then(Value::as_str) {
                    Some("string") => "a list of strings".into(),
                    Some("number" | "integer") => "a list of numbers".into(),
                    _ => "a list".into(),
                },
            },
            None => "a list".into(),
        },
        _ => return None,
    })
}

/// A percentage setting (0–100) given as a fraction (`0.8`): its schema rejects the open
/// interval (0, 1) with `not: {type: number, exclusiveMinimum: 0, exclusiveMaximum: 1}`.
fn is_fraction_error(e: &jsonschema::ValidationError) -> bool {
    matches!(e.kind(), jsonschema::error::ValidationErrorKind::Not { .. })
        && e.instance().as_f64().is_some_and(|v| v > 0.0 && v < 1.0)
}

/// The message of a schema error inside a rule's settings: `rel` is the path below the
/// settings mapping, `setting` the schema of the setting it is in.
fn setting_message(
    rule: &str,
    rel: &[Seg],
    e: &jsonschema::ValidationError,
    setting: Option<&Value>,
) -> String {
    let Some(Seg::Key(key)) = rel.first() else {
        return schema_message(e);
    };
    if rel.len() == 1 && is_fraction_error(e) {
        let v = e.instance().as_f64().unwrap_or_default();
        return format!(
            "setting `{key}` of rule `{rule}` must be a percentage from 0 to 100: {v} reads as {v}%, which looks like a fraction (write {} for {}%)",
            (v * 100.0).round(),
            (v * 100.0).round()
        );
    }
    let union = matches!(
        e.kind(),
        jsonschema::error::ValidationErrorKind::AnyOf { .. }
            | jsonschema::error::ValidationErrorKind::OneOfNotValid { .. }
    );
    match setting.and_then(describe) {
        Some(want) if rel.len() == 1 && union => {
            format!("setting `{key}` of rule `{rule}` must be {want}")
        }
        Some(want) if rel.len() == 1 => format!(
            "setting `{key}` of rule `{rule}` must be {want}: {}",
            schema_message(e)
        ),
        _ => format!(
            "setting `{}` of rule `{rule}`: {}",
            crate::model::path_to_string(rel),
            schema_message(e)
        ),
    }
}

/// Schema errors of `value` against a rule's settings schema, as (path below the settings,
/// message). Unknown settings are named with the rule's settings and a did-you-mean.
fn settings_errors(rule: &str, schema: &Value, value: &Value) -> Vec<(Vec<Seg>, String)> {
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            return vec![(
                Vec::new(),
                format!(
                    "internal error: the settings schema of rule `{rule}` does not compile: {e}"
                ),
            )]
        }
    };
    let known: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for e in validator.iter_errors(value) {
        let rel = pointer_path(&e.instance_path().to_string());
        if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
            e.kind()
        {
            if rel.is_empty() {
                for key in unexpected {
                    out.push((
                        vec![Seg::Key(key.clone())],
                        unknown_setting(rule, key, &known),
                    ));
                }
                continue;
            }
        }
        let setting = match rel.first() {
            Some(Seg::Key(k)) => schema.pointer(&format!(
                "/properties/{}",
                k.replace('~', "~0").replace('/', "~1")
            )),
            _ => None,
        };
        let message = setting_message(rule, &rel, &e, setting);
        out.push((rel, message));
    }
    out
}

/// "rule `X` has no setting `key`", with the likely intended one and the rule's settings.
fn unknown_setting(rule: &str, key: &str, known: &[String]) -> String {
    let hint = did_you_mean(key, known.iter().map(String::as_str))
        .map(|k| format!(" (did you mean `{k}`?)"))
        .unwrap_or_default();
    let list = if known.is_empty() {
        "none".to_string()
    } else {
        known
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("rule `{rule}` has no setting `{key}`{hint} (its settings: {list})")
}

/// What a setting of a rule without a settings schema (a team rule's) must be, judged from its
/// METADATA default: the same JSON type; a non-negative number when the default is one; a list of
/// the default's item type. `None` when `value` fits.
fn setting_mismatch(default: &Value, value: &Value) -> Option<String> {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    };
    match (default, value) {
        (Value::Null, _) => None,
        (Value::Number(d), Value::Number(v)) => {
            let non_negative = d.as_f64().is_some_and(|d| d >= 0.0);
            (non_negative && v.as_f64().is_some_and(|v| v < 0.0))
                .then(|| format!("a non-negative number, as its default `{d}`"))
        }
        (Value::Array(d), Value::Array(v)) => {
            let item = d.first().map(kind)?;
            let uniform = d.iter().all(|x| kind(x) == item);
            (uniform && v.iter().any(|x| kind(x) != item)).then(|| {
                format!(
                    "a list of {}s",
                    item.trim_start_matches("a ").trim_start_matches("an ")
                )
            })
        }
        (d, v) if kind(d) != kind(v) => Some(format!("{}, as its default", kind(d))),
        _ => None,
    }
}

/// For a path inside a built-in rule's settings (`rules.<id>.settings…`): the rule's id, the
/// path below its settings and the settings' schema.
fn in_rule_settings(path: &[Seg]) -> Option<(&str, &[Seg], &'static Value)> {
    let [Seg::Key(rules), Seg::Key(id), Seg::Key(settings), rel @ ..] = path else {
        return None;
    };
    if rules != "rules" || settings != "settings" {
        return None;
    }
    let schema = SCHEMA
        .get("properties")?
        .get("rules")?
        .get("properties")?
        .get(id.as_str())?
        .get("properties")?
        .get("settings")?;
    Some((id, rel, schema))
}

/// Turns a JSON pointer (`/waivers/0/expires`) into a path.
fn pointer_path(pointer: &str) -> Vec<Seg> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| match s.parse::<usize>() {
            // A list index (`waivers[0]`); a mapping key that is a number locates the same.
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(s.replace("~1", "/").replace("~0", "~")),
        })
        .collect()
}

/// Edit distance, for did-you-mean suggestions.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The closest of `known` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'k>(word: &str, known: impl IntoIterator<Item = &'k str>) -> Option<&'k str> {
    known
        .into_iter()
        .map(|k| (distance(word, k), k))
        .filter(|(d, k)| *d <= (k.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, k)| k)
}

/// The keys the schema allows where an `additionalProperties` error was raised.
fn allowed_keys(schema_path: &str) -> Vec<String> {
    let Some(parent) = schema_path.strip_suffix("/additionalProperties") else {
        return Vec::new();
    };
    SCHEMA
        .pointer(&format!("{parent}/properties"))
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

impl Config {
    /// A diagnostic located at `path` in the config file.
    pub fn error_at(&self, path: &[Seg], message: impl Into<String>) -> Diagnostic {
        match &self.source {
            Some(src) => {
                let loc = locate(&self.spans, path);
                Diagnostic::at(
                    message,
                    src.path.clone(),
                    loc.span.start.line,
                    loc.span.start.column,
                )
            }
            None => Diagnostic::new(message),
        }
    }

    /// The folders files named by the config may be read from.
    pub fn confinement(&self) -> Confinement {
        Confinement::new(&self.root)
    }

    /// Reads and validates a config file. `confined`: the file was found in the repository
    /// (not named by the user), so it must be a regular file inside the repository.
    pub fn load(path: &Path, confined: bool) -> Result<Config, Vec<Diagnostic>> {
        let display = crate::discover::display_path(path);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = crate::confined::repository_root(&dir);
        let read = if confined {
            Confinement::new(&root).read_to_string(path, crate::confined::DEFAULT_LIMIT)
        } else {
            crate::confined::read_limited(path, crate::confined::DEFAULT_LIMIT)
                .and_then(crate::confined::utf8)
        };
        let text = read.map_err(|e| {
            vec![Diagnostic::in_file(
                format!("cannot read the configuration: {e}"),
                display.clone(),
            )]
        })?;
        Config::from_text(path, text)
    }

    /// Validates a config given as text (read from a git tree by `--policies-from`); `path`
    /// is where it is (its folder is what relative paths in it are relative to).
    pub fn from_text(path: &Path, text: String) -> Result<Config, Vec<Diagnostic>> {
        let display = crate::discover::display_path(path);
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let root = crate::confined::repository_root(&dir);
        let source = SourceFile::new(display.clone(), text);
        let docs =
            yaml::parse(&source.text, &source.lines, yaml::Limits::default()).map_err(|e| {
                vec![Diagnostic::at(
                    format!("invalid YAML: {}", e.message),
                    display.clone(),
                    e.pos.line,
                    e.pos.column,
                )]
            })?;
        let (value, spans) = docs
            .into_iter()
            .next()
            .map(|d| (d.value, d.spans))
            .unwrap_or((Value::Object(Map::new()), SpanNode::default()));
        let value = if value.is_null() {
            Value::Object(Map::new())
        } else {
            value
        };
        let mut cfg = Config {
            source: Some(source),
            spans,
            dir,
            root,
            ..Config::default()
        };
        let mut errors = Vec::new();
        let mut settings_errors = Vec::new();
        let validator = VALIDATOR.as_ref().map_err(|e| {
            vec![Diagnostic::new(format!(
                "internal error: the configuration schema does not compile: {e}"
            ))]
        })?;
        {
            let v = validator;
            for e in v.iter_errors(&value) {
                let pointer = e.instance_path().to_string();
                let path = pointer_path(&pointer);
                if let Some((id, rel, settings)) = in_rule_settings(&path) {
                    // Named as the rule's setting, with what it must be.
                    let messages = match e.kind() {
                        jsonschema::error::ValidationErrorKind::AdditionalProperties {
                            unexpected,
                        } if rel.is_empty() => {
                            let known: Vec<String> = settings
                                .get("properties")
                                .and_then(Value::as_object)
                                .map(|o| o.keys().cloned().collect())
                                .unwrap_or_default();
                            unexpected
                                .iter()
                                .map(|k| {
                                    (vec![Seg::Key(k.clone())], unknown_setting(id, k, &known))
                                })
                                .collect()
                        }
                        _ => {
                            let setting = match rel.first() {
                                Some(Seg::Key(k)) => {
                                    settings.get("properties").and_then(|p| p.get(k))
                                }
                                _ => None,
                            };
                            vec![(Vec::new(), setting_message(id, rel, &e, setting))]
                        }
                    };
                    for (extra, message) in messages {
                        let mut at = path.clone();
                        at.extend(extra);
                        settings_errors.push(cfg.error_at(
                            &at,
                            format!(
                                "invalid configuration: `{}`: {message}",
                                crate::model::path_to_string(&at)
                            ),
                        ));
                    }
                    continue;
                }
                if let jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } =
                    e.kind()
                {
                    // At the unknown key itself, with the likely intended one.
                    let allowed = allowed_keys(&e.schema_path().to_string());
                    for key in unexpected {
                        let mut at = path.clone();
                        at.push(Seg::Key(key.clone()));
                        let hint = did_you_mean(key, allowed.iter().map(String::as_str))
                            .map(|k| format!(" (did you mean `{k}`?)"))
                            .unwrap_or_default();
                        errors.push(cfg.error_at(
                            &at,
                            format!(
                                "invalid configuration: unknown key `{}`{hint}",
                                crate::model::path_to_string(&at)
                            ),
                        ));
                    }
                    continue;
                }
                let at = if pointer.is_empty() {
                    "the configuration".to_string()
                } else {
                    format!("`{}`", crate::model::path_to_string(&path))
                };
                let message = schema_message(&e);
                errors.push(cfg.error_at(&path, format!("invalid configuration: {at}: {message}")));
            }
        }
        if !errors.is_empty() {
            errors.extend(settings_errors);
            errors.sort_by_key(|d| (d.line, d.column));
            return Err(errors);
        }
        settings_errors.sort_by_key(|d| (d.line, d.column));
        cfg.settings_errors = settings_errors;
        // Valid against the schema: now the typed form (a mismatch would be a bug in the
        // schema, reported rather than panicking).
        let raw: RawConfig = match serde_json::from_value(value) {
            Ok(raw) => raw,
            Err(e) => {
                return Err(vec![Diagnostic::in_file(
                    format!(
                        "internal error: the configuration passed its schema but not its type: {e}"
                    ),
                    display,
                )])
            }
        };
        cfg.select = raw.select;
        cfg.ignore = raw.ignore;
        cfg.fail_on = raw.fail_on;
        cfg.policies = raw.policies.iter().map(|p| cfg.dir.join(p)).collect();
        cfg.data = raw.data.iter().map(|p| cfg.dir.join(p)).collect();
        cfg.namespaces = raw.namespaces;
        cfg.exclude = raw.exclude;
        cfg.reports = raw.reports;
        cfg.max_file_size = raw.max_file_size;
        for (k, globs) in raw.inputs {
            let Some(spec) = source::kind_named(&k).filter(|s| s.forceable) else {
                errors.push(cfg.error_at(
                    &[Seg::from("inputs"), Seg::from(k.as_str())],
                    format!("invalid configuration: unknown input kind `{k}`"),
                ));
                continue;
            };
            for (i, g) in globs.into_iter().enumerate() {
                if let Err(e) = Glob::new(&g) {
                    errors.push(cfg.error_at(
                        &[Seg::from("inputs"), Seg::from(k.as_str()), Seg::Index(i)],
                        format!("invalid configuration: bad glob `{g}`: {e}"),
                    ));
                }
                cfg.inputs.push((spec.kind, g));
            }
        }
        cfg.rules = raw
            .rules
            .into_iter()
            .map(|(id, r)| {
                (
                    id,
                    RuleConfig {
                        severity: r.severity,
                        settings: r.settings,
                    },
                )
            })
            .collect();
        if let Some(compose) = raw.compose {
            let dir = crate::discover::display_path(&cfg.dir);
            let dir = if dir == "." { String::new() } else { dir };
            for stack in compose.stacks {
                cfg.compose_stacks.push(
                    stack
                        .iter()
                        .filter_map(|f| source::compose::resolve(&dir, f))
                        .collect(),
                );
            }
        }
        for (index, w) in raw.waivers.into_iter().enumerate() {
            let at = |key: &str| [Seg::from("waivers"), Seg::Index(index), Seg::from(key)];
            if let Some(d) = &w.expires {
                if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
                    errors.push(cfg.error_at(
                        &at("expires"),
                        format!("invalid configuration: `{d}` is not a date (YYYY-MM-DD)"),
                    ));
                }
            }
            if let Some(p) = &w.path {
                if let Err(e) = Glob::new(p) {
                    errors.push(cfg.error_at(
                        &at("path"),
                        format!("invalid configuration: bad glob `{p}`: {e}"),
                    ));
                }
            }
            cfg.waivers.push(ConfigWaiver {
                rule: w.rule,
                path: w.path,
                reason: w.reason.filter(|r| !r.trim().is_empty()),
                expires: w.expires,
                owner: w.owner,
                index,
            });
        }
        for (key, list) in [
            ("exclude", &cfg.exclude),
            ("reports", cfg.reports.as_ref().unwrap_or(&Vec::new())),
        ] {
            for (i, g) in list.iter().enumerate() {
                if let Err(e) = Glob::new(g) {
                    errors.push(cfg.error_at(
                        &[Seg::from(key), Seg::Index(i)],
                        format!("invalid configuration: bad glob `{g}`: {e}"),
                    ));
                }
            }
        }
        if errors.is_empty() {
            Ok(cfg)
        } else {
            errors.append(&mut cfg.settings_errors);
            errors.sort_by_key(|d| (d.line, d.column));
            Err(errors)
        }
    }

    /// Whether a rule runs: `select` (when given) must name it or its category, and `ignore`
    /// must not.
    pub fn selected(&self, id: &str, category: Option<&str>) -> bool {
        let named = |list: &[String]| list.iter().any(|s| s == id || Some(s.as_str()) == category);
        if named(&self.ignore) {
            return false;
        }
        match &self.select {
            Some(sel) => named(sel),
            None => true,
        }
    }

    /// Checks rule ids, categories and setting names against the loaded rules. Categories are
    /// those of the loaded rules and of the registry's input kinds (see
    /// [`known_rule_or_category`]).
    /// `unloaded` are ids of rules whose file failed to load (reported on their own).
    pub fn validate_rules(&self, rules: &[RuleMeta], unloaded: &[String]) -> Vec<Diagnostic> {
        let mut errors = self.settings_errors.clone();
        let known = |id: &str| {
            rules.iter().any(|r| r.id == id)
                || catalog::is_own(id)
                || unloaded.iter().any(|u| u == id)
        };
        let list_check = |key: &str, list: &[String], errors: &mut Vec<Diagnostic>| {
            for (i, s) in list.iter().enumerate() {
                if !known_rule_or_category(rules, unloaded, s) {
                    errors.push(self.error_at(
                        &[Seg::from(key), Seg::Index(i)],
                        format!("unknown rule or category `{s}` (see `tollgate rules`)"),
                    ));
                }
            }
        };
        if let Some(sel) = &self.select {
            list_check("select", sel, &mut errors);
        }
        list_check("ignore", &self.ignore, &mut errors);
        for (id, rc) in &self.rules {
            let Some(rule) = rules.iter().find(|r| &r.id == id) else {
                if !catalog::is_own(id) && !unloaded.contains(id) {
                    errors.push(self.error_at(
                        &[Seg::from("rules"), Seg::from(id.as_str())],
                        format!("unknown rule `{id}` (see `tollgate rules`)"),
                    ));
                }
                continue;
            };
            if in_rule_settings(&[
                Seg::from("rules"),
                Seg::from(id.as_str()),
                Seg::from("settings"),
            ])
            .is_some()
            {
                continue; // validated with the configuration's schema
            }
            if let Some(schema) = &rule.settings_schema {
                // The rule's own schema (a team rule's; a built-in rule's settings were
                // validated with the configuration's schema already).
                for (rel, message) in
                    settings_errors(id, schema, &Value::Object(rc.settings.clone()))
                {
                    let mut at = vec![
                        Seg::from("rules"),
                        Seg::from(id.as_str()),
                        Seg::from("settings"),
                    ];
                    at.extend(rel);
                    errors.push(self.error_at(
                        &at,
                        format!(
                            "invalid configuration: `{}`: {message}",
                            crate::model::path_to_string(&at)
                        ),
                    ));
                }
                continue;
            }
            let defaults = rule.settings.as_object().cloned().unwrap_or_default();
            for (key, value) in &rc.settings {
                let at = [
                    Seg::from("rules"),
                    Seg::from(id.as_str()),
                    Seg::from("settings"),
                    Seg::from(key.as_str()),
                ];
                if let Some(expected) = defaults.get(key).and_then(|d| setting_mismatch(d, value)) {
                    // A wrongly typed setting would silently disable the gate (`lines: "80"`
                    // compares as a string; `-5` or `null` passes everything).
                    errors.push(self.error_at(
                        &at,
                        format!(
                            "invalid configuration: setting `{key}` of rule `{id}` must be {expected}"
                        ),
                    ));
                }
                if !defaults.contains_key(key) {
                    let known: Vec<String> = defaults.keys().cloned().collect();
                    errors.push(self.error_at(&at, unknown_setting(id, key, &known)));
                }
            }
        }
        for w in &self.waivers {
            if w.rule != "*" && !known(&w.rule) {
                errors.push(self.error_at(
                    &[Seg::from("waivers"), Seg::Index(w.index), Seg::from("rule")],
                    format!("unknown rule `{}` (see `tollgate rules`)", w.rule),
                ));
            }
        }
        errors
    }

    /// Settings overrides for `data.tollgate.config`.
    pub fn settings(&self) -> BTreeMap<String, Value> {
        self.rules
            .iter()
            .filter(|(_, rc)| !rc.settings.is_empty())
            .map(|(id, rc)| (id.clone(), Value::Object(rc.settings.clone())))
            .collect()
    }

    /// A glob set of `globs` (validated when the configuration was loaded).
    pub fn globset(globs: &[String]) -> Option<GlobSet> {
        if globs.is_empty() {
            return None;
        }
        let mut b = GlobSetBuilder::new();
        for g in globs {
            b.add(Glob::new(g).ok()?);
        }
        b.build().ok()
    }

    /// `path` relative to the config's folder, `/`-separated; `None` when outside it.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let base = std::path::absolute(if self.dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            &self.dir
        })
        .ok()?;
        let abs = std::path::absolute(path).ok()?;
        let rel = abs.strip_prefix(&base).ok()?;
        Some(rel.to_string_lossy().replace('\\', "/"))
    }
}

/// Whether `name` is a rule id (loaded, tollgate's own, or of a file that failed to load) or a
/// category (of a loaded rule or of an input kind).
pub fn known_rule_or_category(rules: &[RuleMeta], unloaded: &[String], name: &str) -> bool {
    rules
        .iter()
        .any(|r| r.id == name || r.category.as_deref() == Some(name))
        || catalog::is_own(name)
        || unloaded.iter().any(|u| u == name)
        || source::categories().contains(&name)
}

/// The commented starter configuration `tollgate init` writes.
pub const STARTER: &str = r#"# tollgate configuration: https://github.com/tollgate-dev/tollgate
# Validate and complete it in your editor with the schema: `tollgate schema > tollgate.schema.json`.

# Rules to run: rule ids or categories (workflow, compose, kubernetes, coverage, trivy).
# Absent = every rule.
# select: [workflow, kubernetes, coverage-threshold]

# Rules not to run.
# ignore: [postgres-backup]

# Lowest severity that fails the run: error, warning, note or never.
fail-on: error

# Per-rule severity and settings (see `tollgate explain RULE` for each rule's settings).
rules:
  coverage-threshold:
    settings:
      lines: 85
      functions: 85
      branches: 80
      statements: 85
  # workflow-protected-deploy:
  #   severity: warning
  #   settings:
  #     deploy_pattern: "(?i)^(deploy|release)"

# Your own policies (conftest-style or tollgate METADATA rules) and data files.
# policies: [policy/]
# data: [policy/data.yaml]

# Files not to check (globs, relative to this file).
exclude:
  - "**/testdata/**"

# Force a kind on files with unusual names.
# inputs:
#   kubernetes: ["deploy/*.yaml.tpl"]

# Exceptions. Each needs a reason, and should expire.
# waivers:
#   - rule: k8s-probes
#     path: deploy/legacy/*.yaml
#     reason: the legacy batch worker has no HTTP endpoint; replaced in Q1
#     expires: 2027-03-31
#     owner: team-payments
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, Vec<Diagnostic>> {
        Config::from_text(
            &std::env::temp_dir().join("cfg-unit/.tollgate.yml"),
            text.to_string(),
        )
    }

    /// One value for every key the schema allows, so that a key added to the schema but not
    /// to the typed form (or the other way round) fails here.
    const EVERY_KEY: &str = "\
select: [kubernetes]
ignore: [k8s-probes]
fail-on: warning
rules:
  coverage-threshold:
    severity: note
    settings: {lines: 70}
policies: [team]
data: [team/data.yaml]
namespaces: [main]
exclude: [\"**/testdata/**\"]
reports: [\"out/*.json\"]
inputs:
  kubernetes: [\"deploy/*.tpl\"]
max-file-size: 1000
waivers:
  - rule: k8s-probes
    path: deploy/*.yaml
    reason: \" \"
    expires: 2027-01-31
    owner: team-a
compose:
  stacks: [[a.yml, b.yml]]
";

    #[test]
    fn every_schema_key_deserializes_into_the_typed_config() {
        let keys: Vec<String> = SCHEMA["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        for k in &keys {
            assert!(
                EVERY_KEY.contains(&format!("\n{k}:")) || EVERY_KEY.starts_with(&format!("{k}:")),
                "the test config lacks `{k}`"
            );
        }
        let c = load(EVERY_KEY).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.select, Some(vec!["kubernetes".to_string()]));
        assert_eq!(c.ignore, vec!["k8s-probes".to_string()]);
        assert_eq!(c.fail_on, Some(FailOn::Warning));
        assert_eq!(c.fail_on.and_then(FailOn::level), Some(Severity::Warning));
        let rule = &c.rules["coverage-threshold"];
        assert_eq!(rule.severity, Some(Severity::Note));
        assert_eq!(rule.settings.get("lines"), Some(&serde_json::json!(70)));
        assert_eq!(c.policies, vec![c.dir.join("team")]);
        assert_eq!(c.data, vec![c.dir.join("team/data.yaml")]);
        assert_eq!(c.namespaces, Some(vec!["main".to_string()]));
        assert_eq!(c.exclude, vec!["**/testdata/**".to_string()]);
        assert_eq!(c.reports, Some(vec!["out/*.json".to_string()]));
        assert_eq!(
            c.inputs,
            vec![(Kind("kubernetes"), "deploy/*.tpl".to_string())]
        );
        assert_eq!(c.max_file_size, Some(1000));
        let w = &c.waivers[0];
        assert_eq!(
            (w.rule.as_str(), w.path.as_deref(), w.reason.as_deref()),
            ("k8s-probes", Some("deploy/*.yaml"), None),
            "a blank reason is no reason"
        );
        assert_eq!(
            (w.expires.as_deref(), w.owner.as_deref(), w.index),
            (Some("2027-01-31"), Some("team-a"), 0)
        );
        assert_eq!(c.compose_stacks.len(), 1);
        assert_eq!(c.compose_stacks[0].len(), 2);
    }

    #[test]
    fn an_empty_or_null_file_is_the_default_configuration() {
        for text in ["", "# nothing\n", "null\n"] {
            let c = load(text).unwrap_or_else(|e| panic!("{text:?}: {e:?}"));
            assert_eq!(c.select, None);
            assert_eq!(c.fail_on, None);
            assert!(c.rules.is_empty() && c.waivers.is_empty() && c.inputs.is_empty());
        }
    }

    #[test]
    fn invalid_values_are_located_schema_errors_not_deserialization_errors() {
        let errs =
            load("fail-on: sometimes\nmax-file-size: -1\nwaivers:\n  - path: x\n").unwrap_err();
        let at: Vec<(Option<u32>, Option<u32>)> = errs.iter().map(|d| (d.line, d.column)).collect();
        assert_eq!(
            at,
            vec![(Some(1), Some(1)), (Some(2), Some(1)), (Some(4), Some(5))],
            "{errs:?}"
        );
        assert!(
            errs.iter().all(|d| !d.message.contains("internal error")),
            "{errs:?}"
        );
    }

    #[test]
    fn the_starter_configuration_loads() {
        let c = load(STARTER).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(c.fail_on, Some(FailOn::Error));
        assert_eq!(
            c.rules["coverage-threshold"].settings.get("branches"),
            Some(&serde_json::json!(80))
        );
    }
}
