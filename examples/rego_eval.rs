//! The tollgate side of the differential test against OPA (`scripts/opa-diff.py`).
//!
//! `rego_eval pack POLICIES_DIR TODAY` prints the built-in pack as cases (JSON on stdout): each
//! pack rule's entry rules on each document of its fixture folders, and each `test_` rule of
//! the pack's `*_test.rego` files, with the modules, `data` and `input` tollgate uses.
//!
//! `rego_eval eval CASES.json` evaluates cases (`{"module_sets": {id: {path: text}},
//! "cases": [{"name", "modules", "data", "input", "query"}]}`) with tollgate's engine, set up
//! as `tollgate check` sets it up (policies loaded by `PolicySet::load`, conftest and extra
//! builtins, `eval_rule` on the interpreter), and prints `{name: {"value": v} | {"undefined":
//! true} | {"error": message}}`.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use tollgate::discover::{self, DiscoverOptions};
use tollgate::policy::{rego_text, LoadOptions, PolicySet, PolicySource};
use tollgate::read;
use tollgate::source::yaml;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.first().map(String::as_str) {
        Some("pack") if args.len() == 3 => pack_cases(Path::new(&args[1]), &args[2]),
        Some("eval") if args.len() == 2 => {
            let text = std::fs::read_to_string(&args[1]).expect("read the cases file");
            let cases: Value = serde_json::from_str(&text).expect("the cases file is JSON");
            eval_cases(&cases)
        }
        _ => {
            eprintln!("usage: rego_eval pack POLICIES_DIR TODAY | rego_eval eval CASES.json");
            std::process::exit(2);
        }
    };
    println!("{}", serde_json::to_string(&out).expect("JSON out"));
}

fn sources(modules: &Map<String, Value>) -> Vec<PolicySource> {
    modules
        .iter()
        .map(|(path, text)| PolicySource {
            path: path.clone(),
            text: text.as_str().unwrap_or_default().to_string(),
            builtin: false,
        })
        .collect()
}

fn eval_cases(cases: &Value) -> Value {
    let sets = cases["module_sets"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut loaded: BTreeMap<String, PolicySet> = BTreeMap::new();
    let mut out = Map::new();
    for case in cases["cases"].as_array().cloned().unwrap_or_default() {
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let set_id = case["modules"].as_str().unwrap_or_default().to_string();
        let set = loaded.entry(set_id.clone()).or_insert_with(|| {
            let modules = sets[&set_id].as_object().cloned().unwrap_or_default();
            PolicySet::load(&sources(&modules), &LoadOptions::default())
        });
        let result = if !set.errors.is_empty() {
            json!({"error": set.errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")})
        } else {
            let mut engine = set.engine.clone();
            engine.clear_data();
            let data_ok = match case.get("data") {
                Some(d) if d.is_object() => engine.add_data(regorus::Value::from(d.clone())),
                _ => Ok(()),
            };
            match data_ok {
                Err(e) => json!({"error": format!("data: {e}")}),
                Ok(()) => {
                    match case.get("input") {
                        Some(i) => engine.set_input(regorus::Value::from(i.clone())),
                        None => engine.set_input(regorus::Value::Undefined),
                    }
                    let query = case["query"].as_str().unwrap_or_default().to_string();
                    match engine.eval_rule(query) {
                        Ok(regorus::Value::Undefined) => json!({"undefined": true}),
                        Ok(v) => match serde_json::to_value(&v) {
                            Ok(v) => json!({ "value": v }),
                            Err(e) => json!({"error": format!("result: {e}")}),
                        },
                        Err(e) => json!({"error": e.to_string()}),
                    }
                }
            }
        };
        out.insert(name, result);
    }
    Value::Object(out)
}

/// The pack's rules on their fixtures, and its unit tests, as cases.
fn pack_cases(dir: &Path, today: &str) -> Value {
    let all = tollgate::policy::pack::dir_sources(dir, true).expect("read the policies folder");
    let rules_only: Vec<PolicySource> = all
        .iter()
        .filter(|s| !s.path.ends_with("_test.rego"))
        .cloned()
        .collect();
    let to_map = |srcs: &[PolicySource]| -> Value {
        Value::Object(
            srcs.iter()
                .map(|s| (s.path.clone(), Value::String(s.text.clone())))
                .collect(),
        )
    };
    let mut cases = Vec::new();
    // Unit tests: every `test_` rule, without input.
    for src in all.iter().filter(|s| s.path.ends_with("_test.rego")) {
        let Some(pkg) = rego_text::package_of(&src.text) else {
            continue;
        };
        for (name, _) in rego_text::tests(&src.text) {
            if name.starts_with("test_") {
                cases.push(json!({
                    "name": format!("pack-test {}:{name}", src.path),
                    "modules": "pack+tests",
                    "query": format!("data.{pkg}.{name}"),
                }));
            }
        }
    }
    // Fixtures: every document of every fixture case folder, each entry rule of its rule.
    let mut set = PolicySet::load(&rules_only, &LoadOptions::default());
    for rule in set.rules.clone() {
        let rule_dir = Path::new(&rule.file)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let fixtures = rule_dir.join("fixtures");
        let Ok(entries) = std::fs::read_dir(&fixtures) else {
            continue;
        };
        let mut case_dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        case_dirs.sort();
        for case_dir in case_dirs.into_iter().filter(|p| p.is_dir()) {
            let (candidates, _) =
                discover::discover(std::slice::from_ref(&case_dir), &DiscoverOptions::default());
            let loaded = read::load_all(
                &candidates,
                tollgate::check::DEFAULT_MAX_FILE_SIZE,
                yaml::Limits::default(),
            );
            let (extra, _) = read::shared_data(
                &loaded.documents,
                today,
                &case_dir,
                tollgate::check::DEFAULT_MAX_FILE_SIZE,
                &[],
            );
            set.set_data(&BTreeMap::new(), extra, &[]);
            let data = set
                .engine
                .eval_rule("data.tollgate".to_string())
                .ok()
                .and_then(|v| serde_json::to_value(&v).ok())
                .unwrap_or_else(|| json!({}));
            for doc in loaded.documents.iter().filter(|d| rule.applies_to(d.kind)) {
                for entry in &rule.entries {
                    cases.push(json!({
                        "name": format!("pack-fixture {} {} #{} {entry}", rule.id, doc.path(), doc.index),
                        "modules": "pack",
                        "data": {"tollgate": data},
                        "input": doc.value,
                        "query": format!("data.{}.{entry}", rule.package),
                    }));
                }
            }
        }
    }
    json!({
        "module_sets": {"pack": to_map(&rules_only), "pack+tests": to_map(&all)},
        "cases": cases,
    })
}
