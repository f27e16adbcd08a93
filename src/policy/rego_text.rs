//! What tollgate reads from Rego source itself (regorus keeps no comments and does not list a
//! package's rules): the package, the conftest entry rules (`deny`, `violation`, `warn` and
//! their `_suffix` forms), `exception` rules, and whether a file is Rego v0.

use regex::Regex;
use std::sync::LazyLock;

// The patterns are ASCII (`[A-Za-z0-9_]`, `(?-u:\b)`): Rego identifiers are ASCII, and
// Unicode `\w`/`\b` made compiling them a tenth of a one-file run (issue 9).

static PACKAGE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*package\s+([A-Za-z_][A-Za-z0-9_.]*)").unwrap());
static ENTRY_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(deny|violation|warn)(_[A-Za-z0-9_]+)?(?-u:\b)").unwrap());
static EXCEPTION_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^exception(?-u:\b)").unwrap());
static TEST_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^(test_[A-Za-z0-9_]+|todo_[A-Za-z0-9_]+)(?-u:\b)").unwrap());

/// The package a Rego file declares.
pub fn package_of(text: &str) -> Option<String> {
    PACKAGE_RE.captures(text).map(|c| c[1].to_string())
}

/// The 1-based line of the `package` declaration (1 when there is none).
pub fn package_line(text: &str) -> u32 {
    let at = PACKAGE_RE.find(text).map(|m| m.start()).unwrap_or(0);
    text[..at].lines().count() as u32 + 1
}

/// The conftest entry rules a file defines, in order, each once.
pub fn entries(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in ENTRY_RE.find_iter(text) {
        let name = m.as_str().to_string();
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Whether the file defines conftest `exception` rules.
pub fn has_exception(text: &str) -> bool {
    EXCEPTION_RE.is_match(text)
}

/// The `test_` and `todo_` rules of a test file, each once, with their 1-based lines.
pub fn tests(text: &str) -> Vec<(String, usize)> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for m in TEST_RE.captures_iter(text) {
        let name = m[1].to_string();
        if out.iter().any(|(n, _)| *n == name) {
            continue; // several bodies of one test rule
        }
        let line = text[..m.get(0).map(|g| g.start()).unwrap_or(0)]
            .lines()
            .count()
            + 1;
        out.push((name, line));
    }
    out
}

/// The text with comments and string literals blanked out (same length, same lines): ASCII
/// bytes inside them become spaces (newlines stay), others are kept, so the text stays UTF-8
/// and every character keeps its column. Byte by byte: the whole pack is scanned on every run.
fn code_only(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let blank = |out: &mut Vec<u8>, i: usize| {
        if bytes[i].is_ascii() && bytes[i] != b'\n' {
            out[i] = b' ';
        }
    };
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    blank(&mut out, i);
                    i += 1;
                }
            }
            q @ (b'"' | b'`') => {
                blank(&mut out, i);
                i += 1;
                while i < bytes.len() {
                    let b = bytes[i];
                    blank(&mut out, i);
                    i += 1;
                    if q == b'"' && b == b'\\' {
                        if i < bytes.len() {
                            blank(&mut out, i);
                            i += 1;
                        }
                    } else if b == q {
                        break;
                    }
                }
            }
            _ => i += 1,
        }
    }
    // Only ASCII bytes were replaced, by ASCII: still UTF-8.
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// The calls of dotted names (`crypto.sha256(`) in code, with their 1-based line and column,
/// leaving out names whose first part is `data`, `input` or an import's alias.
pub fn dotted_calls(text: &str) -> Vec<(String, u32, u32)> {
    static CALL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[^A-Za-z0-9_.])([a-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*\(")
            .unwrap()
    });
    static IMPORT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?m)^\s*import\s+([A-Za-z0-9_.]+)(?:\s+as\s+([A-Za-z0-9_]+))?").unwrap()
    });
    let code = code_only(text);
    let aliases: Vec<String> = IMPORT
        .captures_iter(&code)
        .map(|c| match c.get(2) {
            Some(a) => a.as_str().to_string(),
            None => c[1].rsplit('.').next().unwrap_or_default().to_string(),
        })
        .collect();
    let mut out = Vec::new();
    // Lines counted as the matches advance (once over the text, not once per call).
    let (mut line, mut line_start, mut scanned) = (1u32, 0usize, 0usize);
    for c in CALL.captures_iter(&code) {
        let m = c.get(1).expect("group 1");
        let name = m.as_str();
        let first = name.split('.').next().unwrap_or_default();
        if first == "data" || first == "input" || aliases.iter().any(|a| a == first) {
            continue;
        }
        for (i, b) in code.as_bytes()[scanned..m.start()].iter().enumerate() {
            if *b == b'\n' {
                line += 1;
                line_start = scanned + i + 1;
            }
        }
        scanned = m.start();
        let col = code[line_start..m.start()].chars().count() as u32 + 1;
        out.push((name.to_string(), line, col));
    }
    out
}

/// True for a Rego v0 file: it imports `future.keywords` (v0 syntax with the v1 keywords; in
/// v1, `deny[msg] if {…}` would mean another thing) without `rego.v1`; or it neither imports
/// `rego.v1` nor uses the v1 keywords `if` and `contains`, and it has rule bodies (`{`).
pub fn looks_like_v0(text: &str) -> bool {
    static REGO_V1: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*import\s+rego\.v1(?-u:\b)").unwrap());
    static FUTURE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?m)^\s*import\s+future\.keywords(?-u:\b)").unwrap());
    static V1_KEYWORDS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?-u:\b)if\s*\{|(?-u:\b)contains(?-u:\b)|(?-u:\b)if\s+[A-Za-z0-9_]").unwrap()
    });
    if REGO_V1.is_match(text) {
        return false;
    }
    if FUTURE.is_match(text) {
        return true;
    }
    !V1_KEYWORDS.is_match(text) && text.contains('{')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_keywords_is_v0_and_rego_v1_is_v1() {
        assert!(looks_like_v0(
            "package p\nimport future.keywords.if\ndeny[msg] if { msg := 1 }\n"
        ));
        assert!(looks_like_v0("package p\nimport future.keywords\n"));
        assert!(!looks_like_v0(
            "package p\nimport rego.v1\nimport future.keywords.if\np if { true }\n"
        ));
        assert!(!looks_like_v0("package p\ndeny contains 1 if { true }\n"));
        assert!(looks_like_v0("package p\ndeny[msg] { msg := 1 }\n"));
    }

    #[test]
    fn code_only_blanks_comments_and_strings_keeping_lines_and_columns() {
        let text = "a := \"x.y(\\\"é\\\\\" # no\nb := `r\\` # ü.f(\nc := \"multi\nline\"";
        let code = code_only(text);
        assert_eq!(
            code,
            "a :=        é        \nb :=        ü   \nc :=       \n     "
        );
        assert_eq!(code.chars().count(), text.chars().count());
    }

    #[test]
    fn dotted_calls_skip_comments_strings_data_and_imports() {
        let text = "package p\nimport data.lib.k8s\nimport data.x as y\n\
                    # crypto.md5(\"comment\")\n\
                    r := [crypto.sha256(\"a.b(\"), k8s.name(input), y.f(1), data.z.g(2), f(3)]\n";
        assert_eq!(
            dotted_calls(text),
            vec![("crypto.sha256".to_string(), 5, 7)]
        );
        // Several calls: lines and (character) columns of each, after non-ASCII text.
        let text = "package p\nx := time.now_ns()\ny := [1,\n  \"é\", crypto.md5(\"a\")]\nz := io.jwt.decode(\"t\")\n";
        assert_eq!(
            dotted_calls(text),
            vec![
                ("time.now_ns".to_string(), 2, 6),
                ("crypto.md5".to_string(), 4, 8),
                ("io.jwt.decode".to_string(), 5, 6)
            ]
        );
    }

    #[test]
    fn reads_packages_entries_and_tests() {
        let text = "# METADATA\n# title: x\npackage team.rules\n\ndeny contains x if { x := 1 }\nwarn_latest contains y if { y := 2 }\ndeny contains z if { z := 3 }\nexception contains [\"latest\"] if true\n";
        assert_eq!(package_of(text).as_deref(), Some("team.rules"));
        assert_eq!(package_line(text), 3);
        assert_eq!(entries(text), vec!["deny", "warn_latest"]);
        assert!(has_exception(text));
        let tests_text = "package t\n\ntest_a if true\n\ntest_a if false\ntodo_b if true\n";
        assert_eq!(
            tests(tests_text),
            vec![("test_a".to_string(), 3), ("todo_b".to_string(), 6)]
        );
        assert!(looks_like_v0(
            "package main\n\ndeny[msg] { msg := \"x\" }\n"
        ));
        assert!(!looks_like_v0(
            "package main\nimport rego.v1\n\ndeny contains msg if { msg := \"x\" }\n"
        ));
    }
}
