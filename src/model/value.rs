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

/// The engine's value of a JSON value.
pub fn from_json(v: Json) -> Value {
    Value::from(v)
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
        ];
        for s in samples {
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
