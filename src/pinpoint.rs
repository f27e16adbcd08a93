//! Locating findings whose rule gave no path (conftest-style rules return only a message): the
//! smallest part of the document whose change makes that exact finding disappear, found by
//! re-evaluating only that rule on altered copies of the document.
//!
//! A change *silences* a finding when, after it, the rule no longer reports that message *and*
//! reports nothing new: a message that quotes a name changes when the name changes, and that is
//! not a fix. Two searches, within [`Budget::evaluations`] rule evaluations per finding:
//!
//! 1. Every scalar is altered in turn (a boolean negated, a number changed, a string extended,
//!    a null made a string): `runAsNonRoot: false`, `image: nginx:latest` and `privileged: true`
//!    are found this way. One silencing scalar is the location; several are located at their
//!    closest common ancestor, or at the deepest of them when that ancestor is the document
//!    itself (a `kind` guard and the value at fault have nothing in common).
//! 2. Otherwise, from the root down, each child of a silencing node is removed in turn, keeping
//!    the deepest node whose removal silences the finding (a container, for a rule about
//!    something the container lacks; a list item or a key whose value no change of the same
//!    kind can fix).
//!
//! A Kubernetes manifest's `kind` and `apiVersion` are never candidates: changing them turns
//! most rules off, which says nothing about where the problem is. A finding nothing silences (a
//! rule that fires because something is missing at the top) keeps no path and is shown at the
//! document's start.

use rayon::prelude::*;
use serde_json::Value;
use std::collections::HashMap;

use crate::model::{RawFinding, Scope, Seg};
use crate::policy::{self, PolicySet, Rule};
use crate::source::{kubernetes, Document};

/// How hard to look.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Rule evaluations per finding.
    pub evaluations: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget { evaluations: 300 }
    }
}

/// Counts of what was pinpointed, for `--timings` and measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Findings without a path that were searched.
    pub searched: usize,
    /// Of those, located below the document's root.
    pub located: usize,
    /// Rule evaluations spent.
    pub evaluations: usize,
}

/// The children of a JSON node, as path segments.
fn children(v: &Value) -> Vec<Seg> {
    match v {
        Value::Object(o) => o.keys().map(|k| Seg::Key(k.clone())).collect(),
        Value::Array(a) => (0..a.len()).map(Seg::Index).collect(),
        _ => Vec::new(),
    }
}

fn get<'v>(v: &'v Value, path: &[Seg]) -> Option<&'v Value> {
    path.iter().try_fold(v, |v, seg| match (v, seg) {
        (Value::Object(o), Seg::Key(k)) => o.get(k),
        (Value::Array(a), Seg::Index(i)) => a.get(*i),
        _ => None,
    })
}

/// Every scalar of `v` (in key order), with its path.
fn leaves(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    match v {
        Value::Object(_) | Value::Array(_) => {
            for seg in children(v) {
                path.push(seg);
                if let Some(c) = get(v, &path[path.len() - 1..]) {
                    leaves(c, path, out);
                }
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

/// A different scalar of the same kind (a null becomes a string).
fn altered(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Value::from(i.wrapping_add(1)),
            None => Value::from(n.as_f64().unwrap_or(0.0) * 2.0 + 1.0),
        },
        Value::String(s) => Value::String(format!("{s}~")),
        _ => Value::String("~".into()),
    }
}

/// A copy of `v` with the scalar at `path` altered.
fn with_altered(v: &Value, path: &[Seg]) -> Value {
    let mut out = v.clone();
    if let Some(node) = get_mut(&mut out, path) {
        *node = altered(node);
    }
    out
}

fn get_mut<'v>(v: &'v mut Value, path: &[Seg]) -> Option<&'v mut Value> {
    path.iter().try_fold(v, |v, seg| match (v, seg) {
        (Value::Object(o), Seg::Key(k)) => o.get_mut(k),
        (Value::Array(a), Seg::Index(i)) => a.get_mut(*i),
        _ => None,
    })
}

/// The longest common prefix of paths.
fn common_ancestor(paths: &[Vec<Seg>]) -> Vec<Seg> {
    let Some(first) = paths.first() else {
        return Vec::new();
    };
    let mut n = first.len();
    for p in &paths[1..] {
        n = n.min(first.iter().zip(p).take_while(|(a, b)| a == b).count());
    }
    first[..n].to_vec()
}

/// A copy of `v` without the node at `path` (a list item is removed, shifting the others).
fn without(v: &Value, path: &[Seg]) -> Value {
    let mut out = v.clone();
    let Some((last, parent)) = path.split_last() else {
        return Value::Null;
    };
    let mut node = &mut out;
    for seg in parent {
        node = match (node, seg) {
            (Value::Object(o), Seg::Key(k)) => match o.get_mut(k) {
                Some(n) => n,
                None => return out,
            },
            (Value::Array(a), Seg::Index(i)) => match a.get_mut(*i) {
                Some(n) => n,
                None => return out,
            },
            _ => return out,
        };
    }
    match (node, last) {
        (Value::Object(o), Seg::Key(k)) => {
            o.remove(k);
        }
        (Value::Array(a), Seg::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
    out
}

struct Search<'a> {
    engine: regorus::Engine,
    rule: &'a Rule,
    doc: &'a Value,
    /// Root keys never altered (a manifest's `kind` and `apiVersion`).
    fixed: &'static [&'static str],
    msg: &'a str,
    /// How many findings of the rule carry this message on the whole document.
    count: usize,
    /// The other messages of the rule on the whole document.
    others: Vec<String>,
    left: usize,
    spent: usize,
}

impl Search<'_> {
    fn fixed(&self, path: &[Seg]) -> bool {
        matches!(path.first(), Some(Seg::Key(k)) if self.fixed.contains(&k.as_str()))
    }

    /// Whether the document `changed` silences the finding without raising a new one.
    fn silences(&mut self, changed: Value) -> bool {
        if self.left == 0 {
            return false;
        }
        self.left -= 1;
        self.spent += 1;
        self.engine
            .set_input(crate::model::value::from_json(changed));
        let Ok(raws) = policy::evaluate(&mut self.engine, self.rule) else {
            return false;
        };
        let same = raws.iter().filter(|r| r.msg == self.msg).count();
        let new = raws
            .iter()
            .any(|r| r.msg != self.msg && !self.others.contains(&r.msg));
        same < self.count && !new
    }

    /// The deepest node under `path` whose removal silences the finding (`path` itself when
    /// no child does).
    fn descend(&mut self, path: Vec<Seg>) -> Vec<Seg> {
        let Some(node) = get(self.doc, &path) else {
            return path;
        };
        let mut best = path.clone();
        for seg in children(node) {
            let mut child = path.clone();
            child.push(seg);
            if self.fixed(&child) {
                continue;
            }
            if self.silences(without(self.doc, &child)) {
                let found = self.descend(child);
                if found.len() > best.len() {
                    best = found;
                }
            }
        }
        best
    }

    /// The location: silencing scalars first, else the deepest silencing removal.
    fn find(&mut self) -> Vec<Seg> {
        let mut all = Vec::new();
        leaves(self.doc, &mut Vec::new(), &mut all);
        let mut hits: Vec<Vec<Seg>> = Vec::new();
        for leaf in all {
            if !self.fixed(&leaf) && self.silences(with_altered(self.doc, &leaf)) {
                hits.push(leaf);
            }
        }
        if hits.is_empty() {
            return self.descend(Vec::new());
        }
        match common_ancestor(&hits) {
            // Unrelated scalars (a guard and the value at fault): the deepest one.
            p if p.is_empty() => {
                let deepest = hits.iter().map(Vec::len).max().unwrap_or(0);
                hits.into_iter()
                    .find(|h| h.len() == deepest)
                    .unwrap_or_default()
            }
            p => p,
        }
    }
}

/// Gives a path to every raw finding of a document-scope rule that has none, where removal
/// can find one. `raws` are `(document index, rule, finding)` as the evaluate stage returns
/// them; conftest rules run with `--combine` (`combined`) are left alone.
pub fn pinpoint(
    policies: &PolicySet,
    docs: &[Document],
    raws: &mut [(usize, &Rule, RawFinding)],
    combined: bool,
    budget: Budget,
) -> Stats {
    let _limit = crate::policy::load::MemoryLimit::arm(policies.memory_budget);
    let wanted = |(_, rule, raw): &(usize, &Rule, RawFinding)| {
        raw.path.is_none()
            && raw.file.is_none()
            && rule.scope == Scope::Document
            && !(combined && rule.conftest)
    };
    // The messages of each (document, rule), to tell a fix from a reworded finding: grouped
    // once, not searched for each finding.
    let mut messages: HashMap<(usize, &str), Vec<String>> = HashMap::new();
    for (i, rule, raw) in raws.iter() {
        messages
            .entry((*i, rule.id.as_str()))
            .or_default()
            .push(raw.msg.clone());
    }
    let jobs: Vec<(usize, Vec<String>)> = raws
        .iter()
        .enumerate()
        .filter(|(_, r)| wanted(r))
        .map(|(n, (i, rule, _))| (n, messages[&(*i, rule.id.as_str())].clone()))
        .collect();
    let results: Vec<(usize, Option<Vec<Seg>>, usize)> = jobs
        .into_par_iter()
        .map(|(n, all)| {
            let (i, rule, raw) = &raws[n];
            let doc = &docs[*i];
            let json = crate::model::value::to_json(&doc.value);
            let count = all.iter().filter(|m| **m == raw.msg).count();
            let others = all.into_iter().filter(|m| *m != raw.msg).collect();
            let mut search = Search {
                engine: policies.engine.clone(),
                rule,
                doc: &json,
                fixed: if doc.kind == kubernetes::KIND {
                    &["kind", "apiVersion"]
                } else {
                    &[]
                },
                msg: &raw.msg,
                count,
                others,
                left: budget.evaluations,
                spent: 0,
            };
            let path = search.find();
            (n, (!path.is_empty()).then_some(path), search.spent)
        })
        .collect();
    let mut stats = Stats::default();
    for (n, path, spent) in results {
        stats.searched += 1;
        stats.evaluations += spent;
        if let Some(p) = path {
            stats.located += 1;
            raws[n].2.path = Some(p);
            raws[n].2.pinpointed = true;
        }
    }
    stats
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn removes_keys_and_items() {
        let v = json!({"a": {"b": [1, 2, 3]}, "c": 1});
        assert_eq!(
            without(&v, &[Seg::from("a"), Seg::from("b"), Seg::Index(1)]),
            json!({"a": {"b": [1, 3]}, "c": 1})
        );
        assert_eq!(
            without(&v, &[Seg::from("c")]),
            json!({"a": {"b": [1, 2, 3]}})
        );
        // A path that does not exist changes nothing.
        assert_eq!(without(&v, &[Seg::from("x"), Seg::from("y")]), v);
        assert_eq!(
            get(&v, &[Seg::from("a"), Seg::from("b"), Seg::Index(2)]),
            Some(&json!(3))
        );
        assert_eq!(children(&json!([1, 2])), vec![Seg::Index(0), Seg::Index(1)]);
        let mut all = Vec::new();
        leaves(&v, &mut Vec::new(), &mut all);
        assert_eq!(all.len(), 4);
        assert_eq!(
            with_altered(
                &json!({"a": [true, 1, "x", null]}),
                &[Seg::from("a"), Seg::Index(0)]
            ),
            json!({"a": [false, 1, "x", null]})
        );
        assert_eq!(altered(&json!(1)), json!(2));
        assert_eq!(altered(&json!("x")), json!("x~"));
        assert_eq!(altered(&json!(null)), json!("~"));
        let a = vec![Seg::from("a"), Seg::from("b"), Seg::Index(0)];
        let b = vec![Seg::from("a"), Seg::from("b"), Seg::Index(1)];
        assert_eq!(
            common_ancestor(&[a.clone(), b]),
            vec![Seg::from("a"), Seg::from("b")]
        );
        assert_eq!(common_ancestor(std::slice::from_ref(&a)), a);
    }
}
