//! Governed waivers: every exception is visible, justified and temporary.
//!
//! - Inline: `# tollgate: ignore[rule-a, rule-b] expires=YYYY-MM-DD reason…` on the finding's
//!   line or the line above (any file with `#` comments: YAML, `.trivyignore`).
//! - Config: `.tollgate.yml` `waivers: [{rule, path, reason, expires, owner}]`.
//!
//! A waived finding stays in the report with its [`Suppression`]. A waiver without a reason
//! still waives but raises `waiver-without-reason` (warning); an expired one waives nothing
//! and raises `waiver-expired` (warning); one that matched nothing raises `waiver-unused` (note).

use globset::Glob;
use regex::Regex;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::LazyLock;

use crate::config::Config;
use crate::model::catalog::{
    WAIVER_EXPIRED, WAIVER_INVALID_EXPIRY, WAIVER_UNUSED, WAIVER_WITHOUT_REASON,
};
use crate::model::span::locate;
use crate::model::{Finding, Seg, Sources, Span, Suppression, SuppressionKind};

static INLINE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"#\s*tollgate:\s*ignore\[([^\]]*)\]\s*(.*)$").unwrap());
static EXPIRES_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s)expires=(\S+)").unwrap());

/// One waiver, from either source.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub kind: SuppressionKind,
    /// Rule ids; `*` waives every rule.
    pub rules: Vec<String>,
    /// Inline: the file and the directive's line (it covers that line and the next).
    pub file: Option<String>,
    pub line: Option<u32>,
    /// Config: a glob of files relative to the config's folder (`None`: every file).
    pub glob: Option<globset::GlobMatcher>,
    pub reason: Option<String>,
    pub expires: Option<String>,
    /// An `expires=` that is not a date: the waiver waives nothing.
    pub invalid_expiry: bool,
    /// Where findings about the waiver point.
    pub at_file: String,
    pub at: Span,
    pub used: bool,
}

/// Parses the inline waivers of every source file.
pub fn inline(sources: &Sources) -> Vec<Waiver> {
    inline_in_comments(sources, &BTreeMap::new())
}

/// Byte ranges of every scalar and key of a file's documents: a `#` inside one of them is
/// content (`name: "api # tollgate: ignore[x]"`), not a comment.
pub type ScalarRanges = BTreeMap<String, Vec<(usize, usize)>>;

/// [`inline`], counting only directives in real comments: outside every range of `scalars`
/// for the file.
pub fn inline_in_comments(sources: &Sources, scalars: &ScalarRanges) -> Vec<Waiver> {
    let mut out = Vec::new();
    let mut files: Vec<_> = sources.values().collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    for src in files {
        if !src.text.contains("tollgate:") {
            continue;
        }
        for (i, line) in src.text.lines().enumerate() {
            let Some(c) = INLINE_RE.captures(line) else {
                continue;
            };
            let line_no = i as u32 + 1;
            let hash_offset = src.lines.line_start(line_no).unwrap_or(0)
                + c.get(0).map(|m| m.start()).unwrap_or(0);
            if scalars.get(&src.path).is_some_and(|ranges| {
                ranges
                    .iter()
                    .any(|&(start, end)| start <= hash_offset && hash_offset < end)
            }) {
                continue;
            }
            let rules: Vec<String> = c[1]
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect();
            let rest = c[2].trim();
            let expires = EXPIRES_RE.captures(rest).map(|e| e[1].to_string());
            let reason = EXPIRES_RE
                .replace(rest, " ")
                .trim()
                .trim_start_matches([':', '-', '—'])
                .trim()
                .to_string();
            // From the `#` of the directive to the end of the line.
            let line_start = src.lines.line_start(line_no).unwrap_or(0);
            let hash = c.get(0).map(|m| m.start()).unwrap_or(0);
            let at = Span::new(
                src.pos(line_start + hash),
                src.pos(line_start + line.trim_end().len()),
            );
            out.push(Waiver {
                kind: SuppressionKind::Inline,
                rules,
                file: Some(src.path.clone()),
                line: Some(line_no),
                glob: None,
                reason: (!reason.is_empty()).then_some(reason),
                invalid_expiry: expires
                    .as_deref()
                    .is_some_and(|e| chrono::NaiveDate::parse_from_str(e, "%Y-%m-%d").is_err()),
                expires,
                at_file: src.path.clone(),
                at,
                used: false,
            });
        }
    }
    out
}

/// The waivers of a config file.
pub fn from_config(cfg: &Config) -> Vec<Waiver> {
    let Some(src) = &cfg.source else {
        return Vec::new();
    };
    cfg.waivers
        .iter()
        .map(|w| Waiver {
            kind: SuppressionKind::Config,
            rules: vec![w.rule.clone()],
            file: None,
            line: None,
            glob: w
                .path
                .as_ref()
                .and_then(|p| Glob::new(p).ok())
                .map(|g| g.compile_matcher()),
            reason: w.reason.clone(),
            expires: w.expires.clone(),
            // The configuration's dates are validated with the configuration.
            invalid_expiry: false,
            at_file: src.path.clone(),
            at: locate(&cfg.spans, &[Seg::from("waivers"), Seg::Index(w.index)]).span,
            used: false,
        })
        .collect()
}

impl Waiver {
    fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }

    /// Expired or with an expiry that is not a date: it suppresses nothing.
    fn void(&self, today: &str) -> bool {
        self.invalid_expiry || self.expired(today)
    }

    fn covers(&self, f: &Finding, cfg: &Config) -> bool {
        if !self.rules.iter().any(|r| r == "*" || *r == f.rule) {
            return false;
        }
        match self.kind {
            SuppressionKind::Inline => {
                self.file.as_deref() == Some(f.file.as_str())
                    && self
                        .line
                        .is_some_and(|l| f.span.start.line == l || f.span.start.line == l + 1)
            }
            SuppressionKind::Config => match &self.glob {
                None => true,
                Some(g) => cfg
                    .relative(Path::new(&f.file))
                    .is_some_and(|rel| g.is_match(rel)),
            },
        }
    }

    fn source(&self) -> String {
        format!("{}:{}", self.at_file, self.at.start.line)
    }
}

/// A finding of one of the waiver rules of the catalog, at the waiver.
/// The waivers by what they match, so that each finding looks only at those that may cover
/// it (1,000 config waivers over 51,000 findings were 51 million path resolutions).
struct Index {
    /// Inline waivers by (file, line).
    inline: HashMap<(String, u32), Vec<usize>>,
    /// Config waivers without a path, by rule (`*` included).
    by_rule: HashMap<String, Vec<usize>>,
    /// Config waivers with a path glob: one set of all globs, and the waiver of each glob.
    globs: Option<(globset::GlobSet, Vec<usize>)>,
}

impl Index {
    fn new(waivers: &[Waiver]) -> Index {
        let mut inline: HashMap<(String, u32), Vec<usize>> = HashMap::new();
        let mut by_rule: HashMap<String, Vec<usize>> = HashMap::new();
        let mut set = globset::GlobSetBuilder::new();
        let mut ids = Vec::new();
        for (i, w) in waivers.iter().enumerate() {
            match (w.kind, &w.glob) {
                (SuppressionKind::Inline, _) => {
                    if let (Some(file), Some(line)) = (&w.file, w.line) {
                        inline.entry((file.clone(), line)).or_default().push(i);
                    }
                }
                (SuppressionKind::Config, None) => {
                    for r in &w.rules {
                        by_rule.entry(r.clone()).or_default().push(i);
                    }
                }
                (SuppressionKind::Config, Some(g)) => {
                    set.add(g.glob().clone());
                    ids.push(i);
                }
            }
        }
        let globs = if ids.is_empty() {
            None
        } else {
            set.build().ok().map(|s| (s, ids))
        };
        Index {
            inline,
            by_rule,
            globs,
        }
    }

    /// The waivers that cover `f` (unordered): `by_glob` are the config waivers whose glob
    /// matches its file.
    fn candidates(&self, f: &Finding, by_glob: &[usize], waivers: &[Waiver]) -> Vec<usize> {
        let mut out = Vec::new();
        let rule_ok = |i: &usize| waivers[*i].rules.iter().any(|r| r == "*" || *r == f.rule);
        let line = f.span.start.line;
        for l in [Some(line), line.checked_sub(1)].into_iter().flatten() {
            if let Some(ids) = self.inline.get(&(f.file.clone(), l)) {
                out.extend(ids.iter().filter(|i| rule_ok(i)));
            }
        }
        for r in [f.rule.as_str(), "*"] {
            if let Some(ids) = self.by_rule.get(r) {
                out.extend(ids);
            }
        }
        out.extend(by_glob.iter().filter(|i| rule_ok(i)));
        out
    }
}

fn waiver_finding(w: &Waiver, rule: &str, message: String) -> Finding {
    Finding::own(rule, w.at_file.clone(), w.at, message)
}

/// Applies `waivers` to `findings` and returns the findings about the waivers themselves.
pub fn apply(
    findings: &mut [Finding],
    waivers: &mut [Waiver],
    cfg: &Config,
    today: &str,
) -> Vec<Finding> {
    let index = Index::new(waivers);
    let mut globbed: HashMap<String, Vec<usize>> = HashMap::new();
    for f in findings.iter_mut() {
        let by_glob = globbed.entry(f.file.clone()).or_insert_with(|| {
            match (&index.globs, cfg.relative(Path::new(&f.file))) {
                (Some((set, ids)), Some(rel)) => {
                    set.matches(rel).into_iter().map(|g| ids[g]).collect()
                }
                _ => Vec::new(),
            }
        });
        let mut candidates: Vec<usize> = index.candidates(f, by_glob, waivers);
        candidates.sort_unstable();
        candidates.dedup();
        for i in candidates {
            let w = &mut waivers[i];
            debug_assert!(w.covers(f, cfg));
            if w.void(today) {
                w.used = true; // it matched: report it as expired, not unused
                continue;
            }
            w.used = true;
            if f.suppressed.is_none() {
                f.suppressed = Some(Suppression {
                    kind: w.kind,
                    reason: w.reason.clone(),
                    expires: w.expires.clone(),
                    source: w.source(),
                });
            }
        }
    }
    let mut out = Vec::new();
    for w in waivers.iter() {
        let rules = w.rules.join(", ");
        if w.invalid_expiry {
            let token: String = w
                .expires
                .as_deref()
                .unwrap_or_default()
                .chars()
                .take(40)
                .collect();
            out.push(waiver_finding(
                w,
                WAIVER_INVALID_EXPIRY,
                format!(
                    "the waiver for {rules} expires on `{token}`, which is not a date (YYYY-MM-DD): it suppresses nothing"
                ),
            ));
            continue;
        }
        if w.expired(today) {
            out.push(waiver_finding(
                w,
                WAIVER_EXPIRED,
                format!(
                    "the waiver for {rules} expired on {}: it no longer suppresses anything; fix the findings or renew it with a reason",
                    w.expires.as_deref().unwrap_or_default()
                ),
            ));
            continue;
        }
        if w.reason.is_none() {
            out.push(waiver_finding(
                w,
                WAIVER_WITHOUT_REASON,
                format!(
                    "the waiver for {rules} gives no reason: say why the exception is acceptable"
                ),
            ));
        }
        if !w.used {
            out.push(waiver_finding(
                w,
                WAIVER_UNUSED,
                format!("the waiver for {rules} matches no finding: remove it"),
            ));
        }
    }
    out
}
