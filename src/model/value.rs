//! A document's value as the engine holds it ([`regorus::Value`]), and the JSON it came from.
//!
//! A loaded document keeps only the engine's value: that is what every rule reads, it is
//! shared rather than copied between rules, threads and project-rule inputs, and it takes about
//! a third of the memory of the same document as a `serde_json::Value` (whose maps are B-trees
//! with room for eleven entries). The few readers that want JSON (locating findings by
//! removal, the compose stack model, fingerprints) convert what they need with [`to_json`],
//! the exact inverse of [`from_json`]: integers stay integers and floats stay floats.

use regorus::{Number, Value};
use serde_json::Value as Json;

/// The engine's value of a JSON value, node by node. Not through regorus's `Deserialize`
/// (`Value::from(serde_json::Value)`): that reads an object whose first key is
/// `$serde_json::private::Number` as a number, and fails the whole document (which then
/// becomes undefined, and no rule fires on it) when that key's value is not one. A document
/// may hold any key.
pub fn from_json(v: Json) -> Value {
    match v {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(b),
        // As serde_json hands numbers to a deserializer: unsigned, signed, else a float
        // (always finite in a serde_json value).
        Json::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
            (Some(u), _, _) => Value::from(u),
            (None, Some(i), _) => Value::from(i),
            (None, None, f) => Value::from(Number::from(f.unwrap_or_default())),
        },
        Json::String(s) => Value::from(s),
        Json::Array(items) => Value::from(items.into_iter().map(from_json).collect::<Vec<_>>()),
        Json::Object(map) => Value::from(
            map.into_iter()
                .map(|(k, v)| (Value::from(k), from_json(v)))
                .collect::<std::collections::BTreeMap<_, _>>(),
        ),
    }
}

/// The JSON a value was made from. Sets (which no document holds) become arrays; object keys
/// that are not strings (which no document holds either) become their JSON text.
pub fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Undefined => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => number(n),
        Value::String(s) => Json::String(s.to_string()),
        Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        Value::Set(s) => Json::Array(s.iter().map(to_json).collect()),
        Value::Object(o) => Json::Object(
            o.iter()
                .map(|(k, v)| {
                    let k = match k {
                        Value::String(s) => s.to_string(),
                        other => to_json(other).to_string(),
                    };
                    (k, to_json(v))
                })
                .collect(),
        ),
    }
}

/// A number as JSON: by its kind, not its value (`2.0` stays a float; the engine's own
/// serialisation prints it as `2`).
fn number(n: &Number) -> Json {
    match n {
        Number::UInt(u) => Json::from(*u),
        Number::Int(i) => Json::from(*i),
        Number::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        // Beyond 64 bits: the nearest float, as serde_json reads such a number.
        Number::BigInt(b) => b
            .to_string()
            .parse::<serde_json::Number>()
            .map_or(Json::Null, Json::Number),
    }
}

/// The member `key` of an object (`None` for a missing key or a value that is no object).
pub fn member<'v>(v: &'v Value, key: &str) -> Option<&'v Value> {
    match v {
        Value::Object(o) => o.get(&Value::from(key)),
        _ => None,
    }
}

/// The string at a path of object keys, if there is one.
pub fn str_at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v str> {
    match path.iter().try_fold(v, |v, k| member(v, k))? {
        Value::String(s) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn to_json_is_the_exact_inverse_of_from_json() {
        let samples = [
            json!({"a": [1, -7, 2.0, 0.5, 1e300, 18446744073709551615u64, -9223372036854775808i64],
                   "b": {"c": null, "d": true, "e": "text", "": {}}, "f": []}),
            json!(2.0),
            json!("x"),
            json!(null),
            json!([{"k": [[]]}]),
            // Keys regorus's own deserializer treats as a number in disguise.
            json!({"$serde_json::private::Number": "2"}),
            json!({"$serde_json::private::Number": "x", "b": 1}),
        ];
        for s in samples {
            // The same value the engine's own conversion gives, where that one works.
            let via_serde = Value::from(s.clone());
            if via_serde != Value::Undefined && !s.to_string().contains("$serde_json") {
                assert_eq!(from_json(s.clone()), via_serde);
            }
            let back = to_json(&from_json(s.clone()));
            assert_eq!(back, s);
            // Not only equal: the same text (2.0 is not printed as 2).
            assert_eq!(back.to_string(), s.to_string());
        }
    }

    #[test]
    fn members_and_strings_are_read_by_key() {
        let v = from_json(json!({"metadata": {"name": "api", "n": 3}, "kind": "Pod"}));
        assert_eq!(str_at(&v, &["metadata", "name"]), Some("api"));
        assert_eq!(str_at(&v, &["kind"]), Some("Pod"));
        assert_eq!(str_at(&v, &["metadata", "n"]), None, "not a string");
        assert_eq!(str_at(&v, &["spec", "x"]), None, "missing");
        assert!(member(&v, "metadata").is_some());
        assert!(
            member(&from_json(json!([1])), "0").is_none(),
            "not an object"
        );
    }
}
