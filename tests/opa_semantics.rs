//! Rego means what it means in OPA: one regression test per construct where regorus 0.14.1
//! diverged (issue 14; the patches are listed in vendor/regorus/TOLLGATE-PATCHES.md), each
//! checked against the answer of real OPA 1.x (`scripts/opa-diff.py` runs the same constructs
//! from tests/opa-diff/ through OPA). The engine is set up as `tollgate check` sets it up.

mod common;

use common::{json, locations, run_in, Scratch};
use serde_json::{json, Value};
use tollgate::policy::{LoadOptions, PolicySet, PolicySource};

/// Loads `(path, text)` modules as team policies, as `tollgate check` does; no load errors.
fn load(modules: &[(&str, &str)]) -> PolicySet {
    let sources: Vec<PolicySource> = modules
        .iter()
        .map(|(path, text)| PolicySource {
            path: path.to_string(),
            text: text.to_string(),
            builtin: false,
        })
        .collect();
    let set = PolicySet::load(&sources, &LoadOptions::default());
    assert!(set.errors.is_empty(), "load errors: {:?}", set.errors);
    set
}

/// Evaluates `query` over `input` with `rego` loaded as a team policy.
fn eval(modules: &[(&str, &str)], input: Value, query: &str) -> Result<Option<Value>, String> {
    let set = load(modules);
    let mut engine = set.engine.clone();
    engine.set_input(regorus::Value::from(input));
    match engine.eval_rule(query.to_string()) {
        Ok(regorus::Value::Undefined) => Ok(None),
        Ok(v) => Ok(Some(serde_json::to_value(&v).unwrap())),
        Err(e) => Err(e.to_string()),
    }
}

fn one(rego: &str, input: Value, query: &str) -> Result<Option<Value>, String> {
    eval(&[("case.rego", rego)], input, query)
}

// Row 1 (patch 2): iterating a missing or scalar collection in a rule's output expression.
#[test]
fn iteration_over_missing_collection_in_head_is_empty() {
    let rego = "package t\n\nvols contains input.spec.volumes[_].name\n\n\
                deny contains \"pod\" if input.kind == \"Pod\"\n\n\
                deny contains v if some v in vols\n";
    for spec in [
        json!({}),
        json!({"volumes": "x"}),
        json!({"volumes": null}),
        json!(3),
    ] {
        let input = json!({"kind": "Pod", "spec": spec});
        assert_eq!(
            one(rego, input.clone(), "data.t.deny"),
            Ok(Some(json!(["pod"]))),
            "{input}"
        );
    }
    // A helper of an imported package, iterating a missing collection.
    let lib = "package lib\n\nvols contains input.spec.volumes[_].name if input.kind == \"Pod\"\n";
    let main = "package t\n\nimport data.lib\n\n\
                deny contains \"pod\" if input.kind == \"Pod\"\n\n\
                deny contains v if some v in lib.vols\n";
    assert_eq!(
        eval(
            &[("lib.rego", lib), ("main.rego", main)],
            json!({"kind": "Pod"}),
            "data.t.deny"
        ),
        Ok(Some(json!(["pod"])))
    );
}

// Row 1: an evaluation error in one rule costs only that rule's results for that document.
#[test]
fn an_erroring_rule_does_not_take_down_the_other_rules() {
    let s = Scratch::new("opa-row1-isolation");
    s.write(
        "policy/broken.rego",
        "package main\n\n# Two values for one complete rule: an evaluation error in OPA too.\n\
         x := input.a\n\nx := input.b\n\ndeny contains \"broken\" if x\n",
    )
    .write(
        "policy/good.rego",
        "package good\n\ndeny contains {\"msg\": \"a is set\", \"path\": [\"a\"]} if input.a\n",
    )
    .write("doc.json", "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    let out = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "-p",
            "policy",
            "-n",
            "*",
            "--format",
            "json",
            "doc.json",
        ],
    );
    let v = json(&out);
    assert_eq!(
        locations(&v),
        vec![("good/deny".to_string(), "doc.json".to_string(), 2, 3, 2, 9)]
    );
    // The broken rule's error is reported (exit 2 wins), once.
    assert_eq!(out.status.code(), Some(2), "{v}");
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].to_string().contains("main/deny"), "{errors:?}");
}

// Row 2 (patch 1): `some x in <scalar>` is undefined for that element.
#[test]
fn some_in_scalar_is_undefined() {
    let rego = "package t\n\nxs contains x if {\n\tsome field in input\n\tsome x in field\n}\n";
    let input = json!({"a": 1, "b": [1, 2], "c": "s", "d": {"k": 3}, "e": null});
    assert_eq!(one(rego, input, "data.t.xs"), Ok(Some(json!([1, 2, 3]))));
    let rego = "package t\n\nxs contains x if some x in input.a\n";
    assert_eq!(
        one(rego, json!({"a": null}), "data.t.xs"),
        Ok(Some(json!([])))
    );
}

// Row 3 (patch 3): `not f(undefined)` is undefined, so the rule does not fire.
#[test]
fn not_call_with_undefined_argument_does_not_fire() {
    let rego = "package t\n\nis_system(ns) if ns in {\"kube-system\"}\n\n\
                deny contains \"not system\" if not is_system(input.metadata.namespace)\n\n\
                builtin contains \"no prefix\" if not startswith(input.image, \"r/\")\n\n\
                gt contains \"small\" if not input.n > 1\n\n\
                composite contains \"c\" if not [input.n] == [1]\n\n\
                plain contains \"p\" if not input.n == 1\n";
    let q = |rule: &str, input: Value| one(rego, input, &format!("data.t.{rule}"));
    assert_eq!(q("deny", json!({"metadata": {}})), Ok(Some(json!([]))));
    assert_eq!(
        q("deny", json!({"metadata": {"namespace": "app"}})),
        Ok(Some(json!(["not system"])))
    );
    assert_eq!(q("builtin", json!({})), Ok(Some(json!([]))));
    assert_eq!(q("gt", json!({})), Ok(Some(json!([]))));
    assert_eq!(q("composite", json!({})), Ok(Some(json!([]))));
    // A plain reference compared with `==` stays inside the negation, as in OPA.
    assert_eq!(q("plain", json!({})), Ok(Some(json!(["p"]))));
    // Undefined inside a called function's own body does not leak into the caller's `not`.
    let rego = "package t\n\nf(x) if startswith(input.missing, x)\n\n\
                deny contains \"f\" if not f(\"a\")\n";
    assert_eq!(one(rego, json!({}), "data.t.deny"), Ok(Some(json!(["f"]))));
}

// Patch 4: `x in c` with an undefined operand is undefined, not false.
#[test]
fn membership_with_undefined_operand_is_undefined() {
    let rego = "package t\n\nr := input.x in {1}\n\ns if not input.x in {1}\n";
    assert_eq!(one(rego, json!({}), "data.t.r"), Ok(None));
    assert_eq!(one(rego, json!({}), "data.t.s"), Ok(None));
    assert_eq!(
        one(rego, json!({"x": 2}), "data.t.s"),
        Ok(Some(json!(true)))
    );
}

// Row 4 (patch 5): `not object.get(null, …) == "N"` through a helper: the finding is made.
#[test]
fn not_over_builtin_error_is_undefined() {
    let rego = "package t\n\nhas_field(o, f) if {\n\tnot object.get(o, f, \"N\") == \"N\"\n}\n\n\
                deny contains \"no anti-affinity\" if {\n\
                \tnot has_field(input.spec.affinity, \"podAntiAffinity\")\n}\n";
    assert_eq!(
        one(rego, json!({"spec": {"affinity": null}}), "data.t.deny"),
        Ok(Some(json!(["no anti-affinity"])))
    );
    assert_eq!(
        one(
            rego,
            json!({"spec": {"affinity": {"podAntiAffinity": {}}}}),
            "data.t.deny"
        ),
        Ok(Some(json!([])))
    );
}

// Row 5 (patch 6): Go's float verbs.
#[test]
fn sprintf_float_verbs_are_go_verbs() {
    let rego = "package t\n\na := sprintf(\"%f\", [725714890 / 1048576])\n\n\
                b := sprintf(\"%.2f|%e|%g|%g|%g|%e\", [1.005, 1234.5678, 0.5, 100000.5, 0.00001, 2.5])\n\n\
                c := sprintf(\"%f %v %d\", [3, 2.5, 4])\n";
    assert_eq!(
        one(rego, json!({}), "data.t.a"),
        Ok(Some(json!("692.095652")))
    );
    assert_eq!(
        one(rego, json!({}), "data.t.b"),
        Ok(Some(json!(
            "1.00|1.234568e+03|0.5|100000.5|1e-05|2.500000e+00"
        )))
    );
    assert_eq!(
        one(rego, json!({}), "data.t.c"),
        Ok(Some(json!("%!f(int64=3) 2.5 4")))
    );
}

// Row 6: a variable compared before it is unified (`=`) in a comprehension body compiles and
// is reordered, as in OPA. (With `:=`, OPA too rejects it: "var name referenced above".)
#[test]
fn variable_used_before_unification_in_comprehension() {
    let rego = "package t\n\nnames := [name |\n\tsome i\n\
                \tinput[i].contents.metadata.name == name\n\
                \tname = input[i].metadata.name\n]\n";
    let input = json!([
        {"metadata": {"name": "a"}, "contents": {"metadata": {"name": "a"}}},
        {"metadata": {"name": "b"}, "contents": {"metadata": {"name": "c"}}}
    ]);
    assert_eq!(one(rego, input, "data.t.names"), Ok(Some(json!(["a"]))));
}

// Row 7: OPA builtins regorus lacks (values from OPA).
#[test]
fn added_builtins_answer_as_opa() {
    let rego = "package t\n\nr := [crypto.sha256(\"hello\"), crypto.md5(\"hello\"), crypto.sha1(\"hello\"),\n\
                \tcrypto.hmac.sha256(\"msg\", \"key\"), crypto.hmac.equal(\"abc\", \"abd\"),\n\
                \tregex.globs_match(\"a.a.[0-9]+z\", \".b.b2359825792*594823z\"),\n\
                \tregex.globs_match(\"[a-z]+\", \"[0-9]+\"),\n\
                \tstrings.render_template(\"Hello {{.name}}, {{.n}} items\", {\"name\": \"bob\", \"n\": 3}),\n\
                \tunits.parse_bytes(\"1KiB\")]\n\n\
                jwt := io.jwt.decode(\"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.AAE\")\n";
    assert_eq!(
        one(rego, json!({}), "data.t.r"),
        Ok(Some(json!([
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            "5d41402abc4b2a76b9719d911017c592",
            "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d",
            "2d93cbc1be167bcb1637a4a23cbff01a7878f0c50ee833954ea5221bb1b8c628",
            false,
            true,
            false,
            "Hello bob, 3 items",
            1024
        ])))
    );
    assert_eq!(
        one(rego, json!({}), "data.t.jwt"),
        Ok(Some(json!([
            {"alg": "HS256", "typ": "JWT"},
            {"sub": "1234567890"},
            "0001"
        ])))
    );
}

// Rego version detection: `import future.keywords` is v0 syntax with the v1 keywords.
#[test]
fn future_keywords_file_is_read_as_v0() {
    let rego = "package main\n\nimport future.keywords.contains\nimport future.keywords.if\n\n\
                deny[msg] {\n\tinput.a\n\tmsg := \"a\"\n}\n\n\
                deny contains \"b\" if input.b\n";
    assert_eq!(
        one(rego, json!({"a": 1, "b": 1}), "data.main.deny"),
        Ok(Some(json!(["a", "b"])))
    );
}

// Row 7: a call of a builtin that does not exist is reported once, when policies are loaded,
// located at the call; not once per document.
#[test]
fn unknown_builtin_is_reported_once_at_the_call() {
    let s = Scratch::new("opa-unknown-builtin");
    s.write(
        "policy/certs.rego",
        "package main\n\n# graphql.parse(\"not a call in a comment\")\n\
         deny contains \"bad cert\" if {\n\tcerts := crypto.x509.parse_certificates(input.cert)\n\tcount(certs) == 0\n}\n\n\
         deny contains \"sha\" if crypto.sha256(input.cert) == \"x\"\n",
    )
    .write(
        "policy/good.rego",
        "package good\n\ndeny contains {\"msg\": \"cert\", \"path\": [\"cert\"]} if input.cert\n",
    )
    .write("a.json", "{\"cert\": \"a\"}\n")
    .write("b.json", "{\"cert\": \"b\"}\n");
    let out = run_in(
        s.path(),
        &[
            "check",
            "--no-builtin",
            "-p",
            "policy",
            "-n",
            "*",
            "--format",
            "json",
            "a.json",
            "b.json",
        ],
    );
    let v = json(&out);
    assert_eq!(out.status.code(), Some(2), "{v}");
    let errors = v["errors"].as_array().cloned().unwrap_or_default();
    assert_eq!(errors.len(), 1, "{errors:?}");
    let e = &errors[0];
    assert_eq!(e["file"], "policy/certs.rego", "{e}");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(5), Some(11)),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("crypto.x509.parse_certificates"),
        "{e}"
    );
    // The other rules still report, on both documents.
    let found: Vec<String> = locations(&v)
        .into_iter()
        .map(|l| l.0 + " " + &l.1)
        .collect();
    assert_eq!(found, vec!["good/deny a.json", "good/deny b.json"]);
}

// `tollgate test --coverage`: per-policy line coverage by the unit tests, as `opa test --coverage`.
#[test]
fn test_coverage_reports_uncovered_lines_per_policy() {
    let s = Scratch::new("opa-coverage");
    s.write(
        "p/policy.rego",
        "package main\n\ndeny contains \"a\" if {\n\tinput.a\n}\n\ndeny contains \"b\" if {\n\tinput.b\n}\n",
    )
    .write(
        "p/policy_test.rego",
        "package main_test\n\nimport data.main\n\ntest_a if {\n\tmain.deny == {\"a\"} with input as {\"a\": true}\n}\n",
    );
    let out = run_in(s.path(), &["test", "p", "--coverage"]);
    let text = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("coverage p/policy.rego: 75.0% (3/4 lines); not covered: 7\n"),
        "{text}"
    );
    assert!(!text.contains("policy_test.rego:"), "{text}");
}

// Patch 9 (speed, no change in meaning): a call expression's resolution is cached per module;
// a `with` override of a function or builtin must neither use nor fill that cache, and the
// same function name resolves per package, through each module's own imports.
#[test]
fn cached_call_resolution_respects_with_overrides_and_packages() {
    let lib_a = "package lib.a\n\nname(x) := sprintf(\"a%v\", [x])\n";
    let lib_b = "package lib.b\n\nname(x) := sprintf(\"b%v\", [x])\n";
    let main = "package t\n\nimport data.lib.a as l\n\n\
                f(x) := \"real\"\n\ng(x) := \"fake\"\n\n\
                h := f(1)\n\nn := count([1, 2])\n\nviaimport := l.name(1)\n\n\
                h_mocked := x if {\n  x := h with f as g\n}\n\n\
                n_mocked := x if {\n  x := n with count as g\n}\n\n\
                results := [h, h_mocked, h, n, n_mocked, n, viaimport]\n\n\
                mocked_first := [h_mocked, h, n_mocked, n]\n";
    let other = "package u\n\nimport data.lib.b as l\n\n\
                 f(x) := \"other\"\n\nh := f(1)\n\nviaimport := l.name(2)\n\n\
                 results := [h, viaimport, data.t.h]\n";
    let set = load(&[
        ("lib_a.rego", lib_a),
        ("lib_b.rego", lib_b),
        ("main.rego", main),
        ("other.rego", other),
    ]);
    // One engine, several evaluations: what one evaluation cached serves the next; and the
    // overridden call evaluated first, then without the override, in separate evaluations.
    for order in [
        [
            "data.t.results",
            "data.t.mocked_first",
            "data.u.results",
            "data.t.h_mocked",
            "data.t.h",
        ],
        [
            "data.t.h_mocked",
            "data.t.h",
            "data.t.n_mocked",
            "data.t.n",
            "data.u.results",
        ],
    ] {
        let mut engine = set.engine.clone();
        engine.set_input(regorus::Value::from(json!({})));
        for _ in 0..2 {
            for query in order {
                let got =
                    serde_json::to_value(engine.eval_rule(query.to_string()).unwrap()).unwrap();
                let want = match query {
                    "data.t.results" => json!(["real", "fake", "real", 2, "fake", 2, "a1"]),
                    "data.t.mocked_first" => json!(["fake", "real", "fake", 2]),
                    "data.u.results" => json!(["other", "b2", "real"]),
                    "data.t.h_mocked" | "data.t.n_mocked" => json!("fake"),
                    "data.t.h" => json!("real"),
                    "data.t.n" => json!(2),
                    _ => unreachable!(),
                };
                assert_eq!(got, want, "{query} (order {order:?})");
            }
        }
    }
}

// Patch 10 (speed, no change in meaning): data added to a prepared engine refreshes only the
// data-dependent state (the with-document, the builtins cache), not the analysis of every
// module. Data changed after preparation must be what rules, and `with data…` overrides, see.
#[test]
fn data_changed_after_preparation_is_seen_also_under_with() {
    let rego = "package t\n\nv := data.cfg.x\n\n\
                w := y if {\n  y := data.cfg.x with data.cfg.other as 1\n}\n\n\
                n := count(data.cfg.list)\n";
    let set = load(&[("t.rego", rego)]);
    let mut engine = set.engine.clone();
    engine.set_input(regorus::Value::from(json!({})));
    let ask = |engine: &mut regorus::Engine, q: &str| {
        serde_json::to_value(engine.eval_rule(q.to_string()).unwrap()).unwrap()
    };
    // Prepared, with no data.
    assert_eq!(ask(&mut engine, "data.t.v"), json!("<undefined>"));
    for (x, list) in [(1, json!([1])), (2, json!([1, 2, 3]))] {
        engine.clear_data();
        engine
            .add_data(regorus::Value::from(json!({"cfg": {"x": x, "list": list}})))
            .unwrap();
        assert_eq!(ask(&mut engine, "data.t.v"), json!(x));
        assert_eq!(ask(&mut engine, "data.t.w"), json!(x));
        assert_eq!(
            ask(&mut engine, "data.t.n"),
            json!(list.as_array().unwrap().len())
        );
    }
}

// Patch 11: `lib.y` through `import data.lib` is `data.lib.y`. OPA evaluates what a reference
// needs; regorus evaluated every rule of the imported package first (a package of helpers was
// evaluated whole for every document, and a helper meant for unit tests, quadratic over every
// compose file, made 3,200 compose files take 10 s). A rule of the imported package that is not
// used must not be evaluated: here, one that is a conflict error (one key, two values) when it
// is.
#[test]
fn a_reference_through_an_import_evaluates_only_what_it_names() {
    let lib = "package lib\n\nimport rego.v1\n\n\
               conflict[k] := v if {\n  some v in input.items\n  k := \"same\"\n}\n\n\
               y := 3\n\nitems contains i if some i in input.items\n\n\
               keyed[k] := v if some k, v in input.map\n";
    let sub = "package lib.sub\n\nz := 4\n";
    let main = "package t\n\nimport rego.v1\n\nimport data.lib\nimport data.lib.sub\nimport data.lib as whole\n\n\
                y := lib.y\n\nz := lib.sub.z\n\nz2 := sub.z\n\n\
                n := count(lib.items)\n\nk := lib.keyed.a\n\n\
                mocked := v if {\n  v := lib.y with data.lib.y as 7\n}\n\n\
                both := whole.conflict\n";
    let set = load(&[("lib.rego", lib), ("sub.rego", sub), ("main.rego", main)]);
    let mut engine = set.engine.clone();
    engine.set_input(regorus::Value::from(
        json!({"items": [1, 2, 2], "map": {"a": "x"}}),
    ));
    for (query, want) in [
        ("data.t.y", json!(3)),
        ("data.t.z", json!(4)),
        ("data.t.z2", json!(4)),
        ("data.t.n", json!(2)),
        ("data.t.k", json!("x")),
        ("data.t.mocked", json!(7)),
        ("data.t.y", json!(3)),
    ] {
        let got = engine
            .eval_rule(query.to_string())
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        assert_eq!(serde_json::to_value(got).unwrap(), want, "{query}");
    }
    // The conflicting rule itself, named, is still the error it is in OPA.
    let err = engine
        .eval_rule("data.t.both".to_string())
        .expect_err("a conflict named through the import is an error");
    assert!(err.to_string().contains("multiple outputs"), "{err}");
}

// Patch 12: the rules of one input share what they compute (`eval_rule_continuing`, which
// tollgate's per-document evaluation uses): a library rule over `input` is evaluated once for
// every rule that needs it, as within one OPA query. What must not be shared: another input,
// other data, a value computed under `with`, the state left by an error.
#[test]
fn consecutive_rules_of_one_input_share_rule_values_and_nothing_stale() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let lib = "package lib\n\nimport rego.v1\n\n\
               names := tick(input.names)\n\n\
               conflict[k] := v if {\n  some v in input.items\n  k := \"same\"\n}\n";
    let rules = "package r\n\nimport rego.v1\n\nimport data.lib\n\n\
                 a := count(lib.names)\n\nb := concat(\",\", lib.names)\n\n\
                 mocked := x if {\n  x := lib.names with input.names as [\"m\"]\n}\n\n\
                 threshold := data.cfg.n\n\nbroken := lib.conflict\n";
    let set = load(&[("lib.rego", lib), ("rules.rego", rules)]);
    let calls = Arc::new(AtomicUsize::new(0));
    let mut engine = set.engine.clone();
    let counter = calls.clone();
    engine
        .add_extension(
            "tick".to_string(),
            1,
            Box::new(move |args: Vec<regorus::Value>| {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(args[0].clone())
            }),
        )
        .unwrap();
    let ask = |engine: &mut regorus::Engine, q: &str| -> Result<Value, String> {
        engine
            .eval_rule_continuing(q.to_string())
            .map(|v| serde_json::to_value(v).unwrap())
            .map_err(|e| e.to_string())
    };
    engine.set_input(regorus::Value::from(
        json!({"names": ["x", "y"], "items": [1, 2]}),
    ));
    // Under `with` first: that value is not what the next rules see.
    assert_eq!(ask(&mut engine, "data.r.mocked"), Ok(json!(["m"])));
    assert_eq!(ask(&mut engine, "data.r.a"), Ok(json!(2)));
    let after_a = calls.load(Ordering::SeqCst);
    assert_eq!(ask(&mut engine, "data.r.b"), Ok(json!("x,y")));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        after_a,
        "lib.names was evaluated again for the second rule of the same input"
    );
    // An error, then the rules again: right values.
    assert!(ask(&mut engine, "data.r.broken")
        .unwrap_err()
        .contains("multiple outputs"));
    assert_eq!(ask(&mut engine, "data.r.b"), Ok(json!("x,y")));
    // Another input: evaluated again, with its values.
    engine.set_input(regorus::Value::from(json!({"names": ["z"], "items": []})));
    let before = calls.load(Ordering::SeqCst);
    assert_eq!(ask(&mut engine, "data.r.b"), Ok(json!("z")));
    assert_eq!(ask(&mut engine, "data.r.a"), Ok(json!(1)));
    assert_eq!(calls.load(Ordering::SeqCst), before + 1);
    // Other data: seen.
    engine
        .add_data(regorus::Value::from(json!({"cfg": {"n": 1}})))
        .unwrap();
    assert_eq!(ask(&mut engine, "data.r.threshold"), Ok(json!(1)));
    engine.clear_data();
    engine
        .add_data(regorus::Value::from(json!({"cfg": {"n": 2}})))
        .unwrap();
    assert_eq!(ask(&mut engine, "data.r.threshold"), Ok(json!(2)));
    // A plain `eval_rule` in between leaves no state to the next.
    assert_eq!(
        engine
            .eval_rule("data.r.a".to_string())
            .map(|v| serde_json::to_value(v).unwrap())
            .ok(),
        Some(json!(1))
    );
    engine.set_input(regorus::Value::from(json!({"names": ["p", "q", "r"]})));
    assert_eq!(ask(&mut engine, "data.r.a"), Ok(json!(3)));
}

/// Patch 14: `Engine::add_policies` parses files on several threads and adds them as one
/// `add_policy` after another would: same modules in the same order, same per-file errors
/// (a file that fails to parse is left out, the others are added), each file in its own Rego
/// version, the engine's version setting untouched.
#[test]
fn policies_parsed_on_threads_are_the_policies_added_one_by_one() {
    let mut files: Vec<(String, String, bool)> = Vec::new();
    for i in 0..23 {
        let (text, v0) = match i % 4 {
            // v0 syntax: valid only when read as v0.
            0 => (
                format!("package p{i}\n\nx[msg] {{ msg := \"{i}\" }}\n"),
                true,
            ),
            // A syntax error.
            1 => (
                format!("package p{i}\n\nx contains msg if {{ msg := \n"),
                false,
            ),
            // v0 syntax read as v1: an error in v1.
            2 => (
                format!("package p{i}\n\nx[msg] {{ msg := \"{i}\" }}\n"),
                false,
            ),
            _ => (
                format!("package p{i}\nimport rego.v1\n\nx contains \"{i}\"\n"),
                false,
            ),
        };
        files.push((format!("f{i}.rego"), text, v0));
    }
    let mut one_by_one = regorus::Engine::new();
    let sequential: Vec<Result<String, String>> = files
        .iter()
        .map(|(path, text, v0)| {
            one_by_one.set_rego_v0(*v0);
            one_by_one
                .add_policy(path.clone(), text.clone())
                .map_err(|e| e.to_string())
        })
        .collect();
    one_by_one.set_rego_v0(false);
    for threads in [1, 2, 5] {
        let mut at_once = regorus::Engine::new();
        let results: Vec<Result<String, String>> = at_once
            .add_policies(files.clone(), threads)
            .into_iter()
            .map(|r| r.map_err(|e| e.to_string()))
            .collect();
        assert_eq!(results, sequential, "{threads} threads");
        assert!(results.iter().any(|r| r.is_err()) && results.iter().any(|r| r.is_ok()));
        let paths = |e: &mut regorus::Engine| -> Vec<String> {
            e.get_policies()
                .unwrap()
                .iter()
                .map(|s| s.get_path().to_string())
                .collect()
        };
        assert_eq!(
            paths(&mut at_once),
            paths(&mut one_by_one),
            "{threads} threads"
        );
        let all = |e: &mut regorus::Engine| {
            serde_json::to_string(&e.eval_query("data".to_string(), false).unwrap()).unwrap()
        };
        assert_eq!(all(&mut at_once), all(&mut one_by_one), "{threads} threads");
        // The engine's setting (v1 by default) is what queries are read with afterwards.
        assert!(at_once
            .eval_query("x := 1; x == 1".to_string(), false)
            .is_ok());
    }
}
