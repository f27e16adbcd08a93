//! The location contract as a table: (YAML or JSON text, path) -> (line, col, end_line, end_col).

use super::*;
use crate::source::yaml;

/// (line, column, end line, end column).
type Loc = (u32, u32, u32, u32);

fn parse_path(p: &str) -> Vec<Seg> {
    if p.is_empty() {
        return Vec::new();
    }
    p.split('/')
        .map(|s| match s.parse::<usize>() {
            Ok(i) => Seg::Index(i),
            Err(_) => Seg::Key(s.to_string()),
        })
        .collect()
}

/// Locates `path` in document `doc` of `text`.
fn at(text: &str, doc: usize, path: &str) -> Loc {
    let lines = LineIndex::new(text);
    let docs = yaml::parse(text, &lines, yaml::Limits::default()).expect("parses");
    let l = locate(&docs[doc].spans, &parse_path(path));
    (
        l.span.start.line,
        l.span.start.column,
        l.span.end.line,
        l.span.end.column,
    )
}

const DEPLOY: &str = "\
# a comment before the document
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels:
    app.kubernetes.io/name: api
spec:
  replicas: 2
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
  template:
    spec:
      containers:
        - name: api   # the main container
          image: ghcr.io/acme/api:1.2.3
          ports:
          - containerPort: 8080
        - name: sidecar
          image: envoy
";

#[test]
fn block_and_flow_style() {
    let cases: &[(&str, Loc)] = &[
        ("kind", (3, 1, 3, 17)),
        ("metadata", (4, 1, 4, 9)),       // block mapping: key only
        ("metadata/name", (5, 3, 5, 12)), // scalar: key to end of value
        ("metadata/labels/app.kubernetes.io~name", (6, 3, 6, 9)), // absent: nearest ancestor
        ("spec/replicas", (9, 3, 9, 14)),
        ("spec/strategy/rollingUpdate", (12, 5, 12, 52)), // flow mapping: whole entry
        (
            "spec/strategy/rollingUpdate/maxUnavailable",
            (12, 34, 12, 51),
        ),
        ("spec/strategy/rollingUpdate/maxSurge", (12, 21, 12, 32)),
        ("spec/template/spec/containers", (15, 7, 15, 17)),
        ("spec/template/spec/containers/0", (16, 11, 16, 20)), // item: its first entry
        ("spec/template/spec/containers/0/image", (17, 11, 17, 40)),
        (
            "spec/template/spec/containers/0/ports/0/containerPort",
            (19, 13, 19, 32),
        ),
        ("spec/template/spec/containers/0/ports/0", (19, 13, 19, 32)),
        ("spec/template/spec/containers/1", (20, 11, 20, 24)),
        (
            "spec/template/spec/containers/1/resources/limits",
            (20, 11, 20, 24),
        ), // absent under item
        ("spec/template/spec/containers/7", (15, 7, 15, 17)), // index out of range
        ("spec/template/spec/securityContext", (14, 5, 14, 9)),
        ("status/replicas", (2, 1, 2, 20)), // absent top-level key: the document's first entry
        ("", (2, 1, 2, 20)),
    ];
    for (path, want) in cases {
        let path = path.replace('~', "/");
        // `~` stands for a `/` inside a key in this table; keys with `/` are located by Seg::Key.
        let got = if path.contains("app.kubernetes.io/name") {
            let lines = LineIndex::new(DEPLOY);
            let docs = yaml::parse(DEPLOY, &lines, yaml::Limits::default()).unwrap();
            let p = vec![
                Seg::from("metadata"),
                Seg::from("labels"),
                Seg::from("app.kubernetes.io/name"),
            ];
            let l = locate(&docs[0].spans, &p);
            (
                l.span.start.line,
                l.span.start.column,
                l.span.end.line,
                l.span.end.column,
            )
        } else {
            at(DEPLOY, 0, &path)
        };
        let want = if path.contains("app.kubernetes.io/name") {
            (7, 5, 7, 32)
        } else {
            *want
        };
        assert_eq!(got, want, "path {path}");
    }
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let text = "\
x-defaults: &defaults
  restart: always
  healthcheck:
    test: [CMD, true]
services:
  web:
    <<: *defaults
    image: nginx
  db:
    healthcheck: *hc
    image: postgres
  cache:
    image: redis
    logging: &log {driver: json-file}
  worker:
    logging: *log
";
    // `*hc` is undefined above: use a valid variant for the alias cases.
    let text = text.replace("    healthcheck: *hc\n", "    env: &hc {A: 1}\n");
    let cases: &[(&str, Loc)] = &[
        ("services/web/restart", (7, 5, 7, 18)), // merged: the `<<: *defaults` entry
        ("services/web/healthcheck/test", (7, 5, 7, 18)),
        ("services/web/image", (8, 5, 8, 17)),
        ("services/worker/logging", (16, 5, 16, 18)), // alias: key to the `*log` token
        ("services/worker/logging/driver", (16, 5, 16, 18)),
        ("services/cache/logging/driver", (14, 20, 14, 37)),
        ("x-defaults/restart", (2, 3, 2, 18)),
        ("services/db/env/A", (10, 15, 10, 19)),
    ];
    for (path, want) in cases {
        assert_eq!(at(&text, 0, path), *want, "path {path}");
    }
    // The definition is a related location.
    let lines = LineIndex::new(&text);
    let docs = yaml::parse(&text, &lines, yaml::Limits::default()).unwrap();
    let l = locate(&docs[0].spans, &parse_path("services/web/restart"));
    let def = l.defined_at.expect("merged values know their definition");
    assert_eq!((def.start.line, def.start.column), (2, 3));
    // Explicit keys win over merged ones.
    let t = "b: &b {k: 1, j: 2}\nm:\n  <<: *b\n  k: 3\n";
    let docs = yaml::parse(t, &LineIndex::new(t), yaml::Limits::default()).unwrap();
    assert_eq!(docs[0].value["m"], serde_json::json!({"k": 3, "j": 2}));
    assert_eq!(at(t, 0, "m/k"), (4, 3, 4, 7));
    assert_eq!(at(t, 0, "m/j"), (3, 3, 3, 9));
    // A list of merged mappings: the first one wins.
    let t = "a: &a {k: 1}\nb: &b {k: 2, z: 0}\nm:\n  <<: [*a, *b]\n";
    let docs = yaml::parse(t, &LineIndex::new(t), yaml::Limits::default()).unwrap();
    assert_eq!(docs[0].value["m"], serde_json::json!({"k": 1, "z": 0}));
    assert_eq!(at(t, 0, "m/z"), (4, 3, 4, 15));
}

#[test]
fn multi_document_streams() {
    let text = "\
---
apiVersion: v1
kind: Service
metadata: {name: a}
---
# second
apiVersion: apps/v1
kind: Deployment
spec:
  replicas: 3
...
---
kind: ConfigMap
";
    assert_eq!(at(text, 0, "metadata/name"), (4, 12, 4, 19));
    assert_eq!(at(text, 1, "spec/replicas"), (10, 3, 10, 14));
    assert_eq!(at(text, 1, ""), (7, 1, 7, 20));
    assert_eq!(at(text, 1, "spec/template"), (9, 1, 9, 5));
    assert_eq!(at(text, 2, "kind"), (13, 1, 13, 16));
}

#[test]
fn block_scalars_quoted_keys_and_comments() {
    let text = "\
data:
  # the redis configuration
  redis.conf: |
    appendonly no
    save \"\"
  \"quoted key\": 'single'
  plain: \"double # not a comment\"   # a comment
  folded: >-
    one
    two
  empty:
  'it''s': ok
";
    let cases: &[(&str, Loc)] = &[
        ("data/redis.conf", (3, 3, 3, 13)), // block scalar: the key
        ("data/quoted key", (6, 3, 6, 25)),
        ("data/plain", (7, 3, 7, 34)),
        ("data/folded", (8, 3, 8, 9)),
        ("data/empty", (11, 3, 11, 8)),
        ("data/it's", (12, 3, 12, 14)),
    ];
    for (path, want) in cases {
        assert_eq!(at(text, 0, path), *want, "path {path}");
    }
    let lines = LineIndex::new(text);
    let docs = yaml::parse(text, &lines, yaml::Limits::default()).unwrap();
    assert_eq!(
        docs[0].value["data"]["redis.conf"],
        "appendonly no\nsave \"\"\n"
    );
    assert_eq!(docs[0].value["data"]["folded"], "one two");
    assert!(docs[0].value["data"]["empty"].is_null());
    // The value span of a block scalar starts at its content.
    let l = locate(&docs[0].spans, &parse_path("data/redis.conf"));
    assert_eq!((l.value.start.line, l.block), (4, true));
}

#[test]
fn crlf_line_endings() {
    let text = "a: 1\r\nb:\r\n  c: hello\r\n  d: [1, 2]\r\n";
    assert_eq!(at(text, 0, "a"), (1, 1, 1, 5));
    assert_eq!(at(text, 0, "b"), (2, 1, 2, 2));
    assert_eq!(at(text, 0, "b/c"), (3, 3, 3, 11));
    assert_eq!(at(text, 0, "b/d/1"), (4, 10, 4, 11));
}

#[test]
fn json_documents() {
    let text = "{\n  \"SchemaVersion\": 2,\n  \"Results\": [\n    {\n      \"Target\": \"app\",\n      \"Vulnerabilities\": [\n        {\"VulnerabilityID\": \"CVE-1\", \"Severity\": \"HIGH\"}\n      ]\n    }\n  ]\n}\n";
    let cases: &[(&str, Loc)] = &[
        ("SchemaVersion", (2, 3, 2, 21)),
        ("Results/0/Target", (5, 7, 5, 22)),
        (
            "Results/0/Vulnerabilities/0/VulnerabilityID",
            (7, 10, 7, 36),
        ),
        ("Results/0/Vulnerabilities/0/Severity", (7, 38, 7, 56)),
        ("Results/0/Vulnerabilities/0", (7, 9, 7, 57)),
        ("Results/0/Misconfigurations", (4, 5, 9, 6)),
    ];
    for (path, want) in cases {
        assert_eq!(at(text, 0, path), *want, "path {path}");
    }
}

#[test]
fn unicode_columns_count_characters() {
    let text = "name: \"héllo wörld\"\nnext: 1\n";
    assert_eq!(at(text, 0, "name"), (1, 1, 1, 20));
    let text = "ключ: значение\nб: 1\n";
    assert_eq!(at(text, 0, "ключ"), (1, 1, 1, 15));
    assert_eq!(at(text, 0, "б"), (2, 1, 2, 5));
}

#[test]
fn nested_sequences_and_empty_collections() {
    let text = "matrix:\n  - [a, b]\n  - - c\n    - d\n  - {}\n  - []\n";
    assert_eq!(at(text, 0, "matrix/0"), (2, 5, 2, 11));
    assert_eq!(at(text, 0, "matrix/0/1"), (2, 9, 2, 10));
    assert_eq!(at(text, 0, "matrix/1/1"), (4, 7, 4, 8));
    assert_eq!(at(text, 0, "matrix/2"), (5, 5, 5, 7));
    assert_eq!(at(text, 0, "matrix/3"), (6, 5, 6, 7));
}

#[test]
fn paths_render_with_quoted_keys() {
    let p = vec![
        Seg::from("spec"),
        Seg::from("template"),
        Seg::from("containers"),
        Seg::Index(0),
    ];
    assert_eq!(path_to_string(&p), "spec.template.containers[0]");
    let p = vec![Seg::from("data"), Seg::from("redis.conf")];
    assert_eq!(path_to_string(&p), "data[\"redis.conf\"]");
    let p = vec![
        Seg::from("metadata"),
        Seg::from("labels"),
        Seg::from("app.kubernetes.io/name"),
    ];
    assert_eq!(
        path_to_string(&p),
        "metadata.labels[\"app.kubernetes.io/name\"]"
    );
    assert_eq!(
        path_to_string(&[Seg::from("jobs"), Seg::from("build-and-test")]),
        "jobs.build-and-test"
    );
}

#[test]
fn scalars_follow_the_core_schema() {
    let text = "on: push\nyes: NO\nmode: 0755\nn: 12\nf: 1.5\nv: [3.10]\nnull_: ~\nb: true\nbig: 123456789012345678901\nhex: 0x1F\nstr: !!str 42\ninf: .inf\n";
    let docs = yaml::parse(text, &LineIndex::new(text), yaml::Limits::default()).unwrap();
    let v = &docs[0].value;
    assert_eq!(v["on"], "push");
    assert_eq!(v["yes"], "NO");
    assert_eq!(v["mode"], "0755");
    assert_eq!(v["n"], 12);
    assert_eq!(v["f"], 1.5);
    assert_eq!(v["v"][0], 3.1);
    assert!(v["null_"].is_null());
    assert_eq!(v["b"], true);
    assert!(v["big"].is_number());
    assert_eq!(v["hex"], 31);
    assert_eq!(v["str"], "42");
    assert_eq!(v["inf"], ".inf");
}

#[test]
fn hostile_input_is_an_error_not_a_crash() {
    let limits = yaml::Limits::default();
    let deep = "[".repeat(100_000);
    assert!(yaml::parse(&deep, &LineIndex::new(&deep), limits).is_err());
    let deep = "- ".repeat(50_000) + "x\n";
    let e = yaml::parse(&deep, &LineIndex::new(&deep), limits).unwrap_err();
    assert!(
        e.message.contains("nesting") || e.message.contains("recursion limit"),
        "{e:?}"
    );
    let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!(
            "a{i}: &a{i} [{}]\n",
            [prev.as_str(); 9].join(", ")
        ));
    }
    let e = yaml::parse(&bomb, &LineIndex::new(&bomb), limits).unwrap_err();
    assert!(e.message.contains("too large"), "{e:?}");
    let dup = "a: 1\nb: 2\na: 3\n";
    let e = yaml::parse(dup, &LineIndex::new(dup), limits).unwrap_err();
    assert_eq!((e.pos.line, e.pos.column), (3, 1));
    let bad = "a: [1, 2\nb: 3\n";
    let e = yaml::parse(bad, &LineIndex::new(bad), limits).unwrap_err();
    assert!(e.pos.line >= 1);
}

#[test]
fn columns_on_long_lines_count_characters() {
    // One long line with non-ASCII characters: checkpoints must give the same columns as
    // counting from the line's start.
    let mut text = String::from("first line\n");
    for i in 0..3000 {
        text.push_str(if i % 7 == 0 { "é\u{1F600}x" } else { "abc" });
    }
    text.push_str("\nlast ü\n");
    let idx = LineIndex::new(&text);
    let start = text.find('\n').unwrap() + 1;
    for (chars, (i, _)) in text[start..].char_indices().enumerate().step_by(97) {
        if text[start + i..].starts_with('\n') {
            break;
        }
        let p = idx.pos(&text, start + i);
        assert_eq!(
            (p.line, p.column),
            (2, chars as u32 + 1),
            "at byte {}",
            start + i
        );
    }
    let last = text.rfind("ü").unwrap();
    assert_eq!(idx.pos(&text, last).column, 6);
    assert_eq!(idx.pos(&text, 3).column, 4);
    // Offsets inside a character are clamped to its start.
    let e = text.find('é').unwrap();
    assert_eq!(idx.pos(&text, e + 1), idx.pos(&text, e));
}

#[test]
fn a_span_map_answers_by_key_in_key_order_and_the_last_repeat_wins() {
    let at = |line: u32| {
        SpanNode::leaf(Span::point(Pos {
            line,
            column: 1,
            offset: 0,
        }))
    };
    let m: SpanMap = vec![
        ("spec".to_string(), at(3)),
        ("apiVersion".to_string(), at(1)),
        ("kind".to_string(), at(2)),
        ("spec".to_string(), at(9)),
    ]
    .into_iter()
    .collect();
    assert_eq!(m.len(), 3);
    assert_eq!(
        m.keys().map(String::as_str).collect::<Vec<_>>(),
        ["apiVersion", "kind", "spec"]
    );
    assert_eq!(m.get("kind").map(|n| n.value.start.line), Some(2));
    assert_eq!(m.get("spec").map(|n| n.value.start.line), Some(9));
    assert!(m.get("metadata").is_none() && !m.contains_key("zzz") && m.contains_key("apiVersion"));
    assert!(SpanMap::new().get("").is_none());
    let back: Vec<String> = m.into_iter().map(|(k, _)| k).collect();
    assert_eq!(back, ["apiVersion", "kind", "spec"]);
}

/// Every node of every loaded document is a `SpanNode`, held until the run ends (issue 9: the
/// span trees are the largest part of a repository's memory). Its size is pinned so that a new
/// field is a decision: 144 bytes (64-bit) with an unboxed `use_site`, 112 now.
#[test]
fn a_span_node_stays_small() {
    let size = std::mem::size_of::<SpanNode>();
    assert!(size <= 112, "SpanNode is {size} bytes");
}
