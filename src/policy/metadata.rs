//! `# METADATA` blocks, parsed by tollgate (regorus drops comments). The block is the run of
//! comment lines that starts with `# METADATA`; its body is YAML:
//!
//! ```rego
//! # METADATA
//! # title: Deployments roll out with zero downtime
//! # description: …
//! # custom:
//! #   id: k8s-zero-downtime-rollout
//! #   severity: error
//! #   input: [kubernetes]
//! #   scope: document
//! #   settings: {max_unavailable: 0}
//! ```

use serde_json::{json, Map, Value};

use crate::model::LineIndex;
use crate::source::yaml;

/// What [`parse`] gives.
pub type Parsed = Result<Option<Metadata>, (u32, String)>;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metadata {
    pub title: Option<String>,
    pub description: Option<String>,
    pub id: Option<String>,
    pub severity: Option<String>,
    pub input: Option<Vec<String>>,
    pub scope: Option<String>,
    pub settings: Option<Value>,
    /// `custom.schema`: the JSON schema of each setting, by name.
    pub schema: Option<Map<String, Value>>,
    /// Line of the `# METADATA` marker (1-based).
    pub line: u32,
}

/// Parses the first METADATA block of a Rego file. Errors carry the 1-based line.
pub fn parse(rego: &str) -> Parsed {
    let lines: Vec<&str> = rego.lines().collect();
    let Some(start) = lines.iter().position(|l| {
        l.trim_start()
            .strip_prefix('#')
            .is_some_and(|c| c.trim() == "METADATA")
    }) else {
        return Ok(None);
    };
    let mut body = String::new();
    for l in &lines[start + 1..] {
        let Some(c) = l.trim_start().strip_prefix('#') else {
            break;
        };
        body.push_str(c.strip_prefix(' ').unwrap_or(c));
        body.push('\n');
    }
    let line = start as u32 + 1;
    let index = LineIndex::new(&body);
    let docs = yaml::parse(&body, &index, yaml::Limits::default()).map_err(|e| {
        (
            line + e.pos.line,
            format!("invalid METADATA: {}", e.message),
        )
    })?;
    let value = docs
        .into_iter()
        .next()
        .map(|d| d.value)
        .unwrap_or(Value::Null);
    let Value::Object(obj) = value else {
        return Err((line, "invalid METADATA: expected a YAML mapping".into()));
    };
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let custom = obj.get("custom").cloned().unwrap_or(Value::Null);
    let input = match custom.get("input") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(vec![s.clone()]),
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| v.as_str().map(str::to_string).ok_or(()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    (
                        line,
                        "invalid METADATA: `custom.input` must list kind names".to_string(),
                    )
                })?,
        ),
        Some(_) => {
            return Err((
                line,
                "invalid METADATA: `custom.input` must be a kind or a list of kinds".into(),
            ))
        }
    };
    let settings = match custom.get("settings") {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v.clone()),
        Some(_) => {
            return Err((
                line,
                "invalid METADATA: `custom.settings` must be a mapping".into(),
            ))
        }
    };
    let schema = match custom.get("schema") {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => {
            if let Some((k, _)) = o.iter().find(|(_, v)| !v.is_object() && !v.is_boolean()) {
                return Err((
                    line,
                    format!(
                        "invalid METADATA: `custom.schema.{k}` must be a JSON schema (a mapping)"
                    ),
                ));
            }
            Some(o.clone())
        }
        Some(_) => {
            return Err((
                line,
                "invalid METADATA: `custom.schema` must map each setting to its JSON schema".into(),
            ))
        }
    };
    Ok(Some(Metadata {
        title: s(obj.get("title")),
        description: s(obj.get("description")),
        id: s(custom.get("id")),
        severity: s(custom.get("severity")),
        input,
        scope: s(custom.get("scope")),
        settings,
        schema,
        line,
    }))
}

impl Metadata {
    /// The JSON schema of the rule's `settings` mapping, from `custom.schema` (one schema per
    /// setting, each given its METADATA default): no other keys. `None` without a schema.
    pub fn settings_schema(&self) -> Option<Value> {
        Some(settings_schema(
            self.schema.as_ref()?,
            self.settings.as_ref(),
        ))
    }
}

/// The JSON schema of a `settings` mapping: `per_key` (setting -> schema), each with its
/// default from `defaults`, and no other key.
pub fn settings_schema(per_key: &Map<String, Value>, defaults: Option<&Value>) -> Value {
    let properties: Map<String, Value> = per_key
        .iter()
        .map(|(k, s)| {
            let mut s = s.clone();
            if let (Value::Object(o), Some(d)) = (&mut s, defaults.and_then(|d| d.get(k))) {
                o.entry("default").or_insert_with(|| d.clone());
            }
            (k.clone(), s)
        })
        .collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": properties,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_custom_fields() {
        let rego = "# METADATA\n# title: T\n# custom:\n#   id: my-rule\n#   severity: warning\n#   input: [kubernetes, compose]\n#   settings: {max: 3}\npackage x\n";
        let m = parse(rego).unwrap().unwrap();
        assert_eq!(m.title.as_deref(), Some("T"));
        assert_eq!(m.id.as_deref(), Some("my-rule"));
        assert_eq!(m.severity.as_deref(), Some("warning"));
        assert_eq!(m.input, Some(vec!["kubernetes".into(), "compose".into()]));
        assert_eq!(m.settings, Some(serde_json::json!({"max": 3})));
        assert_eq!(m.line, 1);
    }

    #[test]
    fn schema_maps_settings_to_json_schemas_with_their_defaults() {
        let rego = "# METADATA\n# custom:\n#   settings: {max: 3}\n#   schema:\n#     max: {type: integer}\npackage x\n";
        let m = parse(rego).unwrap().unwrap();
        assert_eq!(
            m.settings_schema(),
            Some(serde_json::json!({
                "type": "object",
                "additionalProperties": false,
                "properties": {"max": {"type": "integer", "default": 3}},
            }))
        );
        assert_eq!(
            parse("# METADATA\n# custom: {}\n")
                .unwrap()
                .unwrap()
                .settings_schema(),
            None
        );
        let err = parse("# METADATA\n# custom:\n#   schema: [max]\n").unwrap_err();
        assert!(err.1.contains("custom.schema"), "{err:?}");
        let err = parse("# METADATA\n# custom:\n#   schema: {max: 3}\n").unwrap_err();
        assert!(err.1.contains("custom.schema.max"), "{err:?}");
    }

    #[test]
    fn no_block_is_none_and_bad_yaml_is_located() {
        assert_eq!(parse("package x\n").unwrap(), None);
        let err = parse("package x\n# METADATA\n# title: [unclosed\n").unwrap_err();
        assert!(err.0 >= 2, "{err:?}");
        let err = parse("# METADATA\n# custom:\n#   input: 3\n").unwrap_err();
        assert!(err.1.contains("custom.input"), "{err:?}");
    }
}
