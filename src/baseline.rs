//! Baselines: `.tollgate-baseline.json`, the findings a repository has accepted for now.
//! `tollgate baseline` writes one (sorted, one entry a line, so that diffs stay readable);
//! `tollgate check --baseline FILE` leaves out the findings it lists and reports the entries
//! that no longer match anything, so the file shrinks as the debt is paid.
//!
//! Entries match by fingerprint ([`crate::model::fingerprint`]): rule, file, document
//! identity, requested path and value, and occurrence, never lines or wording.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

use crate::model::fingerprint::BaselineEntry;
use crate::model::{Diagnostic, Finding};

/// The default file name.
pub const DEFAULT_FILE: &str = ".tollgate-baseline.json";

/// The version of the file format.
pub const FORMAT_VERSION: u32 = 1;

/// Baseline files larger than this are refused (64 MiB).
const MAX_SIZE: usize = 64 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileIn {
    version: u32,
    #[serde(default)]
    #[allow(dead_code)]
    tool: Option<String>,
    findings: Vec<BaselineEntry>,
}

#[derive(Serialize)]
struct Header<'a> {
    version: u32,
    tool: &'a str,
}

/// Parses a baseline file's text. `display` names the file in errors (which never quote it).
pub fn parse(text: &str, display: &str) -> Result<Vec<BaselineEntry>, Diagnostic> {
    if text.len() > MAX_SIZE {
        return Err(Diagnostic::in_file(
            format!("the baseline is larger than {MAX_SIZE} bytes"),
            display,
        ));
    }
    let file: FileIn = serde_json::from_str(text).map_err(|e| {
        Diagnostic::at(
            format!(
                "invalid baseline ({}); `tollgate baseline` writes a valid one",
                describe(&e)
            ),
            display,
            e.line() as u32,
            e.column() as u32,
        )
    })?;
    if file.version != FORMAT_VERSION {
        return Err(Diagnostic::in_file(
            format!(
                "unsupported baseline version {} (this tollgate reads version {FORMAT_VERSION})",
                file.version
            ),
            display,
        ));
    }
    Ok(file.findings)
}

/// What went wrong in a JSON document, without quoting it.
fn describe(e: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Data => "not a tollgate baseline",
        Category::Eof => "truncated",
    }
}

/// Reads a baseline file.
pub fn read(path: &Path) -> Result<Vec<BaselineEntry>, Diagnostic> {
    let display = crate::discover::display_path(path);
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::in_file(format!("cannot read the baseline: {}", e.kind()), &display)
    })?;
    if meta.len() > MAX_SIZE as u64 {
        return Err(Diagnostic::in_file(
            format!("the baseline is larger than {MAX_SIZE} bytes"),
            display,
        ));
    }
    crate::stats::file_read(path);
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::in_file(format!("cannot read the baseline: {}", e.kind()), &display)
    })?;
    parse(&text, &display)
}

/// The text of a baseline file: a header, then the entries sorted (file, rule, path,
/// fingerprint), one JSON object a line.
pub fn render(entries: &[BaselineEntry]) -> String {
    let mut entries = entries.to_vec();
    entries.sort();
    entries.dedup();
    let header = serde_json::to_string(&Header {
        version: FORMAT_VERSION,
        tool: "tollgate",
    })
    .unwrap_or_default();
    // `{"version":1,"tool":"tollgate"` then `,"findings":[` …
    let mut out = String::new();
    out.push_str(header.trim_end_matches('}'));
    out.push_str(",\"findings\":[\n");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
        if i + 1 < entries.len() {
            out.push(',');
        }
        out.push('\n');
    }
    out.push_str("]}\n");
    out
}

/// The entries for a run's findings: every finding no waiver covers.
pub fn entries(findings: &[Finding]) -> Vec<BaselineEntry> {
    findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(BaselineEntry::of)
        .collect()
}

/// The result of applying a baseline to findings.
#[derive(Debug, Default)]
pub struct Applied {
    /// The findings the baseline does not list (waived ones included).
    pub findings: Vec<Finding>,
    /// How many findings it listed (left out as pre-existing).
    pub pre_existing: usize,
    /// Its entries that match no finding (paid off), sorted.
    pub unmatched: Vec<BaselineEntry>,
}

/// Leaves out the findings (not waived, with their fingerprints set) that `baseline` lists.
/// Each entry matches at most one finding.
pub fn apply(findings: Vec<Finding>, baseline: &[BaselineEntry]) -> Applied {
    let mut wanted: BTreeMap<&str, usize> = BTreeMap::new();
    for e in baseline {
        *wanted.entry(e.fingerprint.as_str()).or_insert(0) += 1;
    }
    let mut out = Applied::default();
    for f in findings {
        let left = match f.suppressed {
            None => wanted.get_mut(f.fingerprint.as_str()).filter(|n| **n > 0),
            Some(_) => None,
        };
        match left {
            Some(n) => {
                *n -= 1;
                out.pre_existing += 1;
            }
            None => out.findings.push(f),
        }
    }
    // Of the entries of a fingerprint, as many as are left did not match: the last ones.
    for e in baseline.iter().rev() {
        if let Some(n) = wanted.get_mut(e.fingerprint.as_str()) {
            if *n > 0 {
                *n -= 1;
                out.unmatched.push(e.clone());
            }
        }
    }
    out.unmatched.sort();
    out
}

/// `--prune`: the entries of `old` that still match a finding (no new ones).
pub fn prune(old: &[BaselineEntry], findings: &[Finding]) -> Vec<BaselineEntry> {
    let applied = apply(findings.to_vec(), old);
    let mut unmatched: BTreeMap<&BaselineEntry, usize> = BTreeMap::new();
    for e in &applied.unmatched {
        *unmatched.entry(e).or_insert(0) += 1;
    }
    let mut kept = Vec::new();
    for e in old {
        match unmatched.get_mut(e) {
            Some(n) if *n > 0 => *n -= 1,
            _ => kept.push(e.clone()),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{fingerprint, Pos, Severity, Span};

    fn finding(file: &str, msg: &str) -> Finding {
        let p = Pos {
            line: 1,
            column: 1,
            offset: 0,
        };
        Finding {
            rule: "r".into(),
            severity: Severity::Error,
            message: msg.into(),
            file: file.into(),
            span: Span::new(p, p),
            path: None,
            document: 0,
            related: Vec::new(),
            suppressed: None,
            pinpointed: false,
            identity: None,
            fingerprint: String::new(),
        }
    }

    fn printed(mut fs: Vec<Finding>) -> Vec<Finding> {
        fingerprint::assign(&mut fs);
        fs
    }

    #[test]
    fn render_then_parse_round_trips_sorted_one_entry_a_line() {
        let fs = printed(vec![finding("b.yml", "x"), finding("a.yml", "y")]);
        let text = render(&entries(&fs));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].contains("\"a.yml\""), "{text}");
        assert!(lines[2].contains("\"b.yml\""), "{text}");
        let back = parse(&text, "f").unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].file, "a.yml");
        assert_eq!(render(&back), text);
        assert_eq!(
            render(&[]),
            "{\"version\":1,\"tool\":\"tollgate\",\"findings\":[\n]}\n"
        );
        assert!(parse(&render(&[]), "f").unwrap().is_empty());
    }

    #[test]
    fn invalid_files_are_one_located_error_that_quotes_nothing() {
        let e = parse("{\"version\": 1, \"findings\": [secret-token]}", "b.json").unwrap_err();
        assert_eq!(e.file.as_deref(), Some("b.json"));
        assert_eq!(e.line, Some(1));
        assert!(!e.message.contains("secret"), "{}", e.message);
        let e = parse("{\"version\": 9, \"findings\": []}", "b.json").unwrap_err();
        assert!(e.message.contains("version 9"), "{}", e.message);
        let e = parse("[]", "b.json").unwrap_err();
        assert!(
            e.message.contains("not a tollgate baseline"),
            "{}",
            e.message
        );
    }

    #[test]
    fn apply_leaves_out_listed_findings_counts_repeats_and_lists_unmatched() {
        let fs = printed(vec![
            finding("a.yml", "x"),
            finding("a.yml", "x"),
            finding("a.yml", "y"),
        ]);
        // The baseline knows one `x` and a `z` that is gone.
        let gone = printed(vec![finding("a.yml", "z")]);
        let baseline = vec![BaselineEntry::of(&fs[0]), BaselineEntry::of(&gone[0])];
        let applied = apply(fs.clone(), &baseline);
        assert_eq!(applied.pre_existing, 1);
        let left: Vec<&str> = applied
            .findings
            .iter()
            .map(|f| f.fingerprint.as_str())
            .collect();
        assert_eq!(
            left,
            vec![fs[1].fingerprint.as_str(), fs[2].fingerprint.as_str()]
        );
        assert_eq!(applied.unmatched, vec![BaselineEntry::of(&gone[0])]);
        // Pruning keeps what still matches and adds nothing.
        assert_eq!(prune(&baseline, &fs), vec![BaselineEntry::of(&fs[0])]);
    }

    #[test]
    fn waived_findings_are_neither_written_nor_matched() {
        let mut fs = printed(vec![finding("a.yml", "x")]);
        let baseline = entries(&fs);
        fs[0].suppressed = Some(crate::model::Suppression {
            kind: crate::model::SuppressionKind::Inline,
            reason: None,
            expires: None,
            source: "a.yml:1".into(),
        });
        assert!(entries(&fs).is_empty());
        let applied = apply(fs, &baseline);
        assert_eq!(applied.pre_existing, 0);
        assert_eq!(applied.findings.len(), 1);
        assert_eq!(applied.unmatched.len(), 1);
    }
}
