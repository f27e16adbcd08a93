//! The evaluate stage: every applicable rule on every document (in parallel, one engine clone
//! per worker thread), then project-scope rules over all documents, and conftest's `--combine`.

use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};

use crate::model::{Diagnostic, Kind, RawFinding, Scope};
use crate::policy::{self, PolicySet, Rule};
use crate::source::Document;

/// A raw finding of a rule about the document at an index.
pub type Located<'p> = (usize, &'p Rule, RawFinding);

/// Evaluates every applicable rule on every document (in parallel), then project rules.
pub fn evaluate<'p>(
    policies: &'p PolicySet,
    docs: &[Document],
    combine: bool,
) -> (Vec<(usize, &'p Rule, RawFinding)>, Vec<Diagnostic>) {
    evaluate_some(policies, docs, combine, &|_| true)
}

/// [`evaluate`], with document-scope rules only on the documents `wanted` accepts (project
/// rules and `--combine` still see every document): the diff modes evaluate the base only
/// where the diff touched it.
pub fn evaluate_some<'p>(
    policies: &'p PolicySet,
    docs: &[Document],
    combine: bool,
    wanted: &(dyn Fn(&Document) -> bool + Sync),
) -> (Vec<(usize, &'p Rule, RawFinding)>, Vec<Diagnostic>) {
    let _limit = crate::policy::load::MemoryLimit::arm(policies.memory_budget);
    // One engine clone per worker thread; rules one by one, so that an error names its rule.
    // (A single batched query per document was measured no faster: the cost is in the rules.)
    let doc_rules: Vec<&Rule> = policies
        .rules
        .iter()
        .filter(|r| r.scope == Scope::Document && !(combine && r.conftest))
        .collect();
    let per_doc: Vec<(Vec<Located<'_>>, Vec<Diagnostic>)> = docs
        .par_iter()
        .enumerate()
        .map_init(
            || policies.engine.clone(),
            |engine, (i, doc)| {
                let mut found = Vec::new();
                let mut errs = Vec::new();
                if !wanted(doc) {
                    return (found, errs);
                }
                let rules: Vec<&&Rule> = doc_rules
                    .iter()
                    .filter(|r| r.applies_to(doc.kind))
                    .collect();
                if rules.is_empty() {
                    return (found, errs);
                }
                engine.set_input(doc.value.clone());
                for rule in rules {
                    match policy::evaluate(engine, rule) {
                        Ok(raws) => found.extend(raws.into_iter().map(|r| (i, *rule, r))),
                        // Reported once, at the call, when the policies were loaded.
                        Err(e) if calls_unknown(policies, &e.to_string()) => {}
                        Err(e) => {
                            let mut d = e.to_diagnostic();
                            d.message = format!("{} (on {})", d.message, doc.path());
                            errs.push(d)
                        }
                    }
                }
                (found, errs)
            },
        )
        .collect();
    let mut found = Vec::new();
    let mut errors = Vec::new();
    for (f, e) in per_doc {
        found.extend(f);
        errors.extend(e);
    }
    if combine {
        let (f, e) = evaluate_combined(policies, docs);
        found.extend(f);
        errors.extend(e);
    }
    let project_rules: Vec<&Rule> = policies
        .rules
        .iter()
        .filter(|r| r.scope == Scope::Project)
        .collect();
    if !project_rules.is_empty() {
        let mut engine = policies.engine.clone();
        let mut by_kind: HashMap<Option<Vec<Kind>>, Vec<&Rule>> = HashMap::new();
        for r in project_rules {
            by_kind.entry(r.inputs.clone()).or_default().push(r);
        }
        let mut groups: Vec<_> = by_kind.into_iter().collect();
        groups.sort_by_key(|(_, rs)| rs[0].id.clone());
        let index: HashMap<(&str, usize), usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| ((d.path(), d.index), i))
            .collect();
        for (_, rules) in groups {
            // `{"documents": [{"file", "kind", "index", "content"}, …]}`, built from the
            // converted documents (not through JSON again), and `files`: each file's positions
            // in `documents`, so that rules group by file in linear time (a comprehension per
            // file over every document is quadratic).
            let mut listed: Vec<regorus::Value> = Vec::new();
            let mut files: BTreeMap<regorus::Value, Vec<regorus::Value>> = BTreeMap::new();
            for d in docs {
                if !rules[0].applies_to(d.kind) {
                    continue;
                }
                files
                    .entry(regorus::Value::from(d.path()))
                    .or_default()
                    .push(regorus::Value::from(listed.len() as u64));
                listed.push(project_entry(d));
            }
            let files: BTreeMap<regorus::Value, regorus::Value> = files
                .into_iter()
                .map(|(k, v)| (k, regorus::Value::from(v)))
                .collect();
            let mut input = BTreeMap::new();
            input.insert("documents".into(), regorus::Value::from(listed));
            input.insert("files".into(), regorus::Value::from(files));
            engine.set_input(regorus::Value::from(input));
            for rule in rules {
                match policy::evaluate(&mut engine, rule) {
                    Ok(raws) => {
                        for raw in raws {
                            let file = raw.file.clone().unwrap_or_default();
                            let at = index
                                .get(&(file.as_str(), raw.document.unwrap_or(0)))
                                .copied()
                                .or_else(|| docs.iter().position(|d| d.path() == file));
                            match at {
                                Some(i) => found.push((i, rule, raw)),
                                None => errors.push(Diagnostic::at(
                                    format!(
                                        "rule {}: a project-scope finding must name the `file` (and `document`) it is about; got file {:?}",
                                        rule.id, raw.file
                                    ),
                                    rule.file.clone(),
                                    rule.line,
                                    1,
                                )),
                            }
                        }
                    }
                    Err(e) => errors.push(e.to_diagnostic()),
                }
            }
        }
    }
    (found, errors)
}

/// One document of a project rule's input: `{"file", "kind", "index", "content"}`.
fn project_entry(d: &Document) -> regorus::Value {
    let mut o = BTreeMap::new();
    o.insert("file".into(), regorus::Value::from(d.path()));
    o.insert("kind".into(), regorus::Value::from(d.kind.name()));
    o.insert("index".into(), regorus::Value::from(d.index as u64));
    o.insert("content".into(), d.value.clone());
    regorus::Value::from(o)
}

/// Whether an evaluation error is a call of a function reported unknown at load time.
fn calls_unknown(policies: &PolicySet, message: &str) -> bool {
    policies
        .unknown_functions
        .iter()
        .any(|n| message.contains(&format!("could not find function {n}")))
}

/// conftest's `--combine`: conftest-style rules run once, with `input` the list of
/// `{"path", "contents"}` of every document. A result naming a `file` (or a `path` that is a
/// file) is located in it; others at the first document.
fn evaluate_combined<'p>(
    policies: &'p PolicySet,
    docs: &[Document],
) -> (Vec<(usize, &'p Rule, RawFinding)>, Vec<Diagnostic>) {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    if docs.is_empty() {
        return (found, errors);
    }
    let mut engine = policies.engine.clone();
    let listed: Vec<regorus::Value> = docs
        .iter()
        .map(|d| {
            let mut o = BTreeMap::new();
            o.insert("path".into(), regorus::Value::from(d.path()));
            o.insert("contents".into(), d.value.clone());
            regorus::Value::from(o)
        })
        .collect();
    engine.set_input(regorus::Value::from(listed));
    for rule in policies.rules.iter().filter(|r| r.conftest) {
        match policy::evaluate(&mut engine, rule) {
            Ok(raws) => {
                for mut raw in raws {
                    let at = raw
                        .file
                        .as_deref()
                        .and_then(|f| docs.iter().position(|d| d.path() == f))
                        .unwrap_or(0);
                    if raw.file.is_none() {
                        // The path of a combined result is relative to the whole list.
                        raw.path = None;
                    }
                    found.push((at, rule, raw));
                }
            }
            Err(e) => errors.push(e.to_diagnostic()),
        }
    }
    (found, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SourceFile;
    use crate::source::{self, Claim, LoadContext};
    use serde_json::json;

    #[test]
    fn a_project_entry_is_the_value_the_json_route_gives() {
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a, labels: {x: '1'}}\nspec:\n  replicas: 3\n  ratio: 0.5\n  big: 18446744073709551615\n  neg: -7\n  on: true\n  none: null\n  list: [1, two, {three: 3}]\n";
        let src = SourceFile::new("a.yaml".into(), text.into());
        let loaded = source::load(
            src,
            Claim::Content(source::Format::Yaml),
            LoadContext {
                explicit: true,
                limits: Default::default(),
            },
        );
        let d = &loaded.documents[0];
        let direct = project_entry(d);
        let via_json = regorus::Value::from(json!({"file": d.path(), "kind": d.kind.name(),
            "index": d.index, "content": crate::model::value::to_json(&d.value)}));
        assert_eq!(direct, via_json);
    }
}
