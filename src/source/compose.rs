//! docker compose files: `compose*.y{a,}ml` and `docker-compose*.y{a,}ml`, as written.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use std::sync::Arc;

use super::parse::{file_name_lower, load_stream};
use super::{Document, KindSpec, LoadContext, Loaded, Loader};
use crate::model::value::to_json;
use crate::model::{Kind, SourceFile};

pub const KIND: Kind = Kind("compose");

fn named(path: &Path) -> bool {
    let name = file_name_lower(path);
    super::is_yaml_path(path) && (name.starts_with("compose") || name.starts_with("docker-compose"))
}

fn load(source: &Arc<SourceFile>, ctx: LoadContext) -> Loaded {
    load_stream(source, ctx, KIND)
}

pub static SPEC: KindSpec = KindSpec {
    kind: KIND,
    aliases: &["docker-compose"],
    category: Some("compose"),
    summary: "docker compose files (`compose*.yaml`, `docker-compose*.yml`)",
    forceable: true,
    report_globs: &[],
    named,
    load: Loader::Own(load),
    context: super::NamedContext::ComposeStack,
};

// ---------------------------------------------------------------------------------------------
// The stack model: which compose files `docker compose` merges into one project.
// ---------------------------------------------------------------------------------------------

/// The names `docker compose` loads by default, in its order of preference, each with the
/// override files it loads after it.
const DEFAULT_FILES: [(&str, [&str; 2]); 4] = [
    (
        "compose.yaml",
        ["compose.override.yaml", "compose.override.yml"],
    ),
    (
        "compose.yml",
        ["compose.override.yml", "compose.override.yaml"],
    ),
    (
        "docker-compose.yaml",
        [
            "docker-compose.override.yaml",
            "docker-compose.override.yml",
        ],
    ),
    (
        "docker-compose.yml",
        [
            "docker-compose.override.yml",
            "docker-compose.override.yaml",
        ],
    ),
];

/// Whether `name` is one of the default file names (a base or its override): a file so named
/// is merged with the others of its folder.
pub fn is_default_name(name: &str) -> bool {
    DEFAULT_FILES
        .iter()
        .any(|(b, o)| *b == name || o.contains(&name))
}

/// The default file names, bases and overrides.
pub fn default_names() -> impl Iterator<Item = &'static str> {
    DEFAULT_FILES
        .iter()
        .flat_map(|(b, o)| std::iter::once(*b).chain(o.iter().copied()))
}

/// A `.env` larger than this is not read for `COMPOSE_FILE`.
const MAX_ENV_SIZE: u64 = 64 * 1024;

fn folder_of(file: &str) -> &str {
    file.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// `rel` (a path as written in a compose file or `.env`) resolved against `dir`, lexically, in
/// tollgate's display form. `None` for an absolute or remote path, or one above the scan.
pub fn resolve(dir: &str, rel: &str) -> Option<String> {
    let rel = rel.trim();
    if rel.is_empty() || rel.starts_with('/') || rel.contains("://") || rel.contains('$') {
        return None;
    }
    let mut parts: Vec<&str> = dir
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    for seg in rel.split(['/', '\\']) {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none_or(|p| p == "..") {
                    return None;
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    Some(if dir.starts_with('/') {
        format!("/{joined}")
    } else {
        joined
    })
}

/// The paths a compose file pulls into its stack: `include:` entries (a string, or `path:` as
/// a string or list) and `extends.file` of its services.
fn linked(content: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(Value::Array(items)) = content.get("include") {
        for item in items {
            match item {
                Value::String(s) => out.push(s.clone()),
                Value::Object(o) => match o.get("path") {
                    Some(Value::String(s)) => out.push(s.clone()),
                    Some(Value::Array(a)) => {
                        out.extend(a.iter().filter_map(Value::as_str).map(str::to_string))
                    }
                    _ => {}
                },
                _ => {}
            }
        }
    }
    if let Some(Value::Object(services)) = content.get("services") {
        for svc in services.values() {
            if let Some(Value::String(f)) = svc.get("extends").and_then(|e| e.get("file")) {
                out.push(f.clone());
            }
        }
    }
    out
}

/// The files the compose file `file` (a display path) names in `include:` and `extends.file`,
/// resolved to display paths.
pub fn linked_files(file: &str, content: &Value) -> Vec<String> {
    linked(content)
        .iter()
        .filter_map(|l| resolve(folder_of(file), l))
        .collect()
}

/// The files `COMPOSE_FILE` names in the `.env` of the folder `dir` (display form), resolved.
pub fn env_files(dir: &str) -> Vec<String> {
    read_env(dir)
        .and_then(|t| env_compose_files(&t))
        .map(|fs| fs.iter().filter_map(|f| resolve(dir, f)).collect())
        .unwrap_or_default()
}

/// `COMPOSE_FILE` of a `.env` file's text: its files, split on `COMPOSE_PATH_SEPARATOR` (from
/// the same file) or `:` (`;` too, as on Windows).
pub fn env_compose_files(text: &str) -> Option<Vec<String>> {
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.starts_with('#') {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(v);
            vars.insert(k.trim().to_string(), v.to_string());
        }
    }
    let files = vars.get("COMPOSE_FILE")?;
    let sep = vars
        .get("COMPOSE_PATH_SEPARATOR")
        .filter(|s| !s.is_empty())
        .cloned();
    let parts: Vec<String> = match sep {
        Some(sep) => files.split(sep.as_str()).map(str::to_string).collect(),
        None => files.split([':', ';']).map(str::to_string).collect(),
    };
    let parts: Vec<String> = parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then_some(parts)
}

fn read_env(dir: &str) -> Option<String> {
    let path = if dir.is_empty() {
        Path::new(".env").to_path_buf()
    } else {
        Path::new(dir).join(".env")
    };
    let meta = std::fs::symlink_metadata(&path).ok()?;
    if !meta.is_file() || meta.len() > MAX_ENV_SIZE {
        return None;
    }
    crate::stats::file_read(&path);
    std::fs::read_to_string(&path).ok()
}

/// Which compose files form one stack, as `docker compose` merges them. Each stack starts
/// from its seed files, in order:
/// - a stack declared in `.tollgate.yml` (`compose: {stacks: [[a, b]]}`), files in display form;
/// - `COMPOSE_FILE` in a folder's `.env` (files relative to that folder);
/// - else the folder's default file (`compose.yaml`, `compose.yml`, `docker-compose.yaml`,
///   `docker-compose.yml`, the first that exists) with its override file;
/// - every other compose file alone.
///
/// A file that a declared stack names is in the declared stacks only.
///
/// Then each stack takes in, transitively, the files its files name in `include:` and
/// `extends.file`. `env` reads a folder's `.env` (the real one reads the disk).
pub fn stacks_with(
    files: &BTreeMap<String, Value>,
    declared: &[Vec<String>],
    env: &dyn Fn(&str) -> Option<String>,
) -> Vec<Vec<String>> {
    let mut seeds: Vec<Vec<String>> = Vec::new();
    for d in declared {
        let s: Vec<String> = d
            .iter()
            .filter(|f| files.contains_key(*f))
            .cloned()
            .collect();
        if !s.is_empty() {
            seeds.push(s);
        }
    }
    // A file a declared stack names is in the declared stacks only.
    let declared_files: BTreeSet<String> = seeds.iter().flatten().cloned().collect();
    let undeclared = |s: Vec<String>| -> Vec<String> {
        s.into_iter()
            .filter(|f| !declared_files.contains(f))
            .collect()
    };
    let folders: BTreeSet<&str> = files.keys().map(|f| folder_of(f)).collect();
    let join = |dir: &str, name: &str| {
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    };
    for dir in folders {
        let from_env = env(dir).and_then(|t| env_compose_files(&t)).map(|fs| {
            fs.iter()
                .filter_map(|f| resolve(dir, f))
                .filter(|f| files.contains_key(f))
                .collect::<Vec<_>>()
        });
        if let Some(s) = from_env.filter(|s| !s.is_empty()) {
            let s = undeclared(s);
            if !s.is_empty() {
                seeds.push(s);
            }
            continue;
        }
        if let Some((base, overrides)) = DEFAULT_FILES
            .iter()
            .find(|(b, _)| files.contains_key(&join(dir, b)))
        {
            let mut s = vec![join(dir, base)];
            if let Some(o) = overrides
                .iter()
                .map(|o| join(dir, o))
                .find(|o| files.contains_key(o))
            {
                s.push(o);
            }
            let s = undeclared(s);
            if !s.is_empty() {
                seeds.push(s);
            }
        }
    }
    let member: BTreeSet<String> = seeds.iter().flatten().cloned().collect();
    for f in files.keys() {
        if !member.contains(f) {
            seeds.push(vec![f.clone()]);
        }
    }
    let mut out: Vec<Vec<String>> = Vec::new();
    // Stacks already listed, looked up by hash: `out.contains` was quadratic in the stacks.
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    for seed in seeds {
        let mut stack = seed;
        let mut i = 0;
        while i < stack.len() {
            let f = stack[i].clone();
            if let Some(content) = files.get(&f) {
                for l in linked(content) {
                    if let Some(p) = resolve(folder_of(&f), &l) {
                        if files.contains_key(&p) && !stack.contains(&p) {
                            stack.push(p);
                        }
                    }
                }
            }
            i += 1;
        }
        if seen.insert(stack.clone()) {
            out.push(stack);
        }
    }
    out
}

/// The stack model of the loaded compose documents, for `data.tollgate.compose`:
/// `{"stacks": [[file, …], …]}`.
pub fn stack_data(docs: &[Document], declared: &[Vec<String>]) -> Value {
    let mut files: BTreeMap<String, Value> = BTreeMap::new();
    for d in docs.iter().filter(|d| d.kind == KIND) {
        files
            .entry(d.path().to_string())
            .or_insert_with(|| to_json(&d.value));
    }
    let stacks = stacks_with(&files, declared, &read_env);
    // `of`: the stacks (indices) each file is part of, for rules to look up in linear time.
    let mut of: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, st) in stacks.iter().enumerate() {
        for f in st {
            of.entry(f.as_str()).or_default().push(i);
        }
    }
    serde_json::json!({ "stacks": stacks, "of": of })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn files(list: &[(&str, Value)]) -> BTreeMap<String, Value> {
        list.iter()
            .map(|(f, v)| (f.to_string(), v.clone()))
            .collect()
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn base_and_override_form_one_stack_and_other_siblings_their_own() {
        let fs = files(&[
            ("app/docker-compose.yml", json!({})),
            ("app/docker-compose.override.yml", json!({})),
            ("app/docker-compose.prod.yml", json!({})),
            ("compose.yaml", json!({})),
        ]);
        let s = stacks_with(&fs, &[], &no_env);
        assert_eq!(
            s,
            vec![
                vec!["compose.yaml".to_string()],
                vec![
                    "app/docker-compose.yml".to_string(),
                    "app/docker-compose.override.yml".to_string()
                ],
                vec!["app/docker-compose.prod.yml".to_string()],
            ]
        );
    }

    #[test]
    fn compose_yaml_is_preferred_and_its_own_override_family_is_used() {
        let fs = files(&[
            ("compose.yaml", json!({})),
            ("docker-compose.yml", json!({})),
            ("docker-compose.override.yml", json!({})),
        ]);
        let s = stacks_with(&fs, &[], &no_env);
        assert_eq!(s[0], vec!["compose.yaml".to_string()]);
        assert!(s.contains(&vec!["docker-compose.yml".to_string()]));
        assert!(s.contains(&vec!["docker-compose.override.yml".to_string()]));
    }

    #[test]
    fn include_and_extends_paths_join_the_stack_transitively() {
        let fs = files(&[
            (
                "svc/compose.yaml",
                json!({"include": ["../db/compose.yaml", {"path": ["./extra.yml"]}],
                       "services": {"api": {"extends": {"file": "common.yml", "service": "base"}}}}),
            ),
            ("svc/extra.yml", json!({})),
            ("svc/common.yml", json!({"include": [{"path": "more.yml"}]})),
            ("svc/more.yml", json!({})),
            ("db/compose.yaml", json!({})),
        ]);
        let s = stacks_with(&fs, &[], &no_env);
        assert!(s.contains(&vec![
            "svc/compose.yaml".to_string(),
            "db/compose.yaml".to_string(),
            "svc/extra.yml".to_string(),
            "svc/common.yml".to_string(),
            "svc/more.yml".to_string(),
        ]));
    }

    #[test]
    fn compose_file_in_env_replaces_the_defaults() {
        let fs = files(&[
            ("ops/docker-compose.yml", json!({})),
            ("ops/docker-compose.override.yml", json!({})),
            ("ops/docker-compose.ci.yml", json!({})),
        ]);
        let env = |dir: &str| {
            (dir == "ops").then(|| {
                "# stack\nCOMPOSE_FILE=docker-compose.yml:docker-compose.ci.yml\n".to_string()
            })
        };
        let s = stacks_with(&fs, &[], &env);
        assert_eq!(
            s,
            vec![
                vec![
                    "ops/docker-compose.yml".to_string(),
                    "ops/docker-compose.ci.yml".to_string()
                ],
                vec!["ops/docker-compose.override.yml".to_string()],
            ]
        );
    }

    #[test]
    fn env_separator_and_quotes_are_read() {
        assert_eq!(
            env_compose_files("COMPOSE_PATH_SEPARATOR=,\nexport COMPOSE_FILE=\"a.yml,b.yml\"\n"),
            Some(vec!["a.yml".to_string(), "b.yml".to_string()])
        );
        assert_eq!(env_compose_files("OTHER=1\n"), None);
        assert_eq!(env_compose_files("COMPOSE_FILE=\n"), None);
    }

    #[test]
    fn declared_stacks_come_first_and_paths_never_leave_the_scan() {
        let fs = files(&[
            (
                "docker-compose.yml",
                json!({"include": ["../../etc/x.yml", "/abs.yml"]}),
            ),
            ("docker-compose.ci.yml", json!({})),
        ]);
        let declared = vec![vec![
            "docker-compose.yml".to_string(),
            "docker-compose.ci.yml".to_string(),
            "missing.yml".to_string(),
        ]];
        let s = stacks_with(&fs, &declared, &no_env);
        assert_eq!(
            s,
            vec![vec![
                "docker-compose.yml".to_string(),
                "docker-compose.ci.yml".to_string()
            ]]
        );
        assert_eq!(resolve("a", "../../x"), None);
        assert_eq!(resolve("a/b", "../c.yml").as_deref(), Some("a/c.yml"));
        assert_eq!(
            resolve("/tmp/a", "./c.yml").as_deref(),
            Some("/tmp/a/c.yml")
        );
        assert_eq!(resolve("", "./c.yml").as_deref(), Some("c.yml"));
    }
}
