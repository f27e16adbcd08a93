//! Finding fingerprints, for SARIF `partialFingerprints` (and anything else that must recognise
//! a finding across runs).

use std::collections::HashMap;

use super::finding::Finding;
use super::outcome::Outcome;

/// FNV-1a, 128 bits: small, stable across Rust versions and platforms.
fn fnv1a128(bytes: &[u8]) -> u128 {
    let mut h: u128 = 0x6c62272e07bb014262b821756295c58d;
    for b in bytes {
        h ^= *b as u128;
        h = h.wrapping_mul(0x0000000001000000000000000000013B);
    }
    h
}

/// The text of a finding's first line, trimmed (empty when the file's text is not known).
fn line_text<'a>(outcome: &'a Outcome, f: &Finding) -> &'a str {
    outcome
        .sources
        .get(&f.file)
        .map(|s| s.line_text(f.span.start.line).trim())
        .unwrap_or("")
}

/// One fingerprint per finding (in order): a hash of the rule id, the file path and the trimmed
/// text of the finding's line, then `:N`, the finding's occurrence among those with the same
/// three. Line numbers are not part of it, so a fingerprint survives lines moving above it; it
/// changes when the line itself changes or the file is renamed.
pub fn fingerprints(outcome: &Outcome) -> Vec<String> {
    let mut seen: HashMap<u128, usize> = HashMap::new();
    outcome
        .findings
        .iter()
        .map(|f| {
            let mut key = Vec::new();
            for part in [f.rule.as_str(), f.file.as_str(), line_text(outcome, f)] {
                key.extend_from_slice(part.as_bytes());
                key.push(0);
            }
            let h = fnv1a128(&key);
            let n = seen.entry(h).or_insert(0);
            *n += 1;
            format!("{h:032x}:{n}")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Finding, Pos, Severity, SourceFile, Span};

    fn finding(file: &str, line: u32) -> Finding {
        let p = |column| Pos {
            line,
            column,
            offset: 0,
        };
        Finding {
            rule: "team-rule".into(),
            severity: Severity::Warning,
            message: "m".into(),
            file: file.into(),
            span: Span::new(p(1), p(5)),
            path: None,
            document: 0,
            related: Vec::new(),
            pinpointed: false,
            suppressed: None,
        }
    }

    fn outcome(text: &str, lines: &[u32]) -> Outcome {
        let mut o = Outcome::default();
        o.sources.insert(
            "a.yml".into(),
            SourceFile::new("a.yml".into(), text.to_string()),
        );
        o.findings = lines.iter().map(|l| finding("a.yml", *l)).collect();
        o
    }

    #[test]
    fn fingerprints_ignore_line_numbers_and_count_repeats() {
        let before = fingerprints(&outcome("x: 1\nimage: latest\n", &[2]));
        let after = fingerprints(&outcome("# new\n\nx: 1\n  image: latest\n", &[4]));
        assert_eq!(before, after);
        let changed = fingerprints(&outcome("x: 1\nimage: pinned\n", &[2]));
        assert_ne!(before, changed);
        let twice = fingerprints(&outcome("image: latest\nimage: latest\n", &[1, 2]));
        assert_eq!(
            twice[0].split_once(':').unwrap().0,
            twice[1].split_once(':').unwrap().0
        );
        assert!(
            twice[0].ends_with(":1") && twice[1].ends_with(":2"),
            "{twice:?}"
        );
        assert_eq!(twice[0], before[0]);
    }
}
