//! The GitHub API side of a check (`--github-check`, `--github-comment`), an integration on top
//! of the reports: it reads the outcome through [`report::Context`], reuses the Markdown report,
//! and is called by the command line after the exit code is decided.
//!
//! - A check run named `tollgate` on the head commit, with the conclusion, the Markdown summary
//!   and every finding as an annotation. GitHub takes at most [`ANNOTATIONS_PER_REQUEST`]
//!   annotations per request: the run is created with the first 50 and updated (PATCH) with
//!   the others, 50 at a time (120 go out as 50, 50, 20).
//! - One sticky pull-request comment, found again by [`MARKER`] among the pull request's
//!   comments and updated (PATCH) rather than duplicated. A clean run updates an existing comment
//!   to say so and creates none.
//!
//! The environment: `GITHUB_TOKEN`, `GITHUB_REPOSITORY`, `GITHUB_SHA`, `GITHUB_EVENT_PATH` (the
//! pull request's number and head commit, which differs from `GITHUB_SHA` on `pull_request`
//! events) and `GITHUB_API_URL` (GitHub Enterprise Server, tests).
//!
//! Failures (401, 403, 404, 422, rate limits, an unreachable server) are one line each; requests
//! are retried only where GitHub says to (`Retry-After`, an exhausted rate limit), a bounded
//! number of times, and nothing here changes the exit code. The token is never part of any
//! message: it goes only into the `Authorization` header, and every text that could quote it is
//! passed through [`Env::redact`].
//!
//! octocrab is used for its HTTP stack (rustls with ring, timeouts, the base URI and the
//! authorization header), through its raw `_get`/`_post`/`_patch`: the bodies are built and
//! read here, so the statuses and headers (`Retry-After`) stay visible, and a comment is
//! updated with PATCH as GitHub's API wants.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::{json, Value};

use crate::model::{Finding, Severity};
use crate::report::common::{counts, plural, rule_doc, rule_title};
use crate::report::markdown::{self, Limits, Links};
use crate::report::Context;

/// The hidden marker of tollgate's sticky comment.
pub const MARKER: &str = "<!-- tollgate:sticky-comment -->";

/// Annotations per request (GitHub's limit).
pub const ANNOTATIONS_PER_REQUEST: usize = 50;

/// The check run's name.
pub const CHECK_NAME: &str = "tollgate";

/// Attempts per request when GitHub asks to retry later.
const ATTEMPTS: u32 = 3;

/// The longest wait a `Retry-After` (or a rate-limit reset) may ask for, in seconds; longer
/// waits are not made (the job would sit idle), the request is given up with one line.
const MAX_WAIT: u64 = 90;

/// GitHub's limit on a check run's summary and on a comment's body, in characters.
const MAX_TEXT: usize = 65_000;

/// Pages of 100 comments searched for the marker.
const MAX_PAGES: u32 = 30;

/// One annotation of the check run, as GitHub's API takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: u32,
    pub end_line: u32,
    /// Columns only on one-line annotations (GitHub refuses them otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<u32>,
    /// `failure`, `warning` or `notice`.
    pub annotation_level: &'static str,
    pub title: String,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_details: Option<String>,
}

/// What to publish for a run.
#[derive(Clone, Debug, Default)]
pub struct Publication {
    /// `--github-check`.
    pub check_run: bool,
    /// `--github-comment`.
    pub comment: bool,
    /// `success` or `failure` (from the exit code).
    pub conclusion: &'static str,
    /// The check run's title (the counts line).
    pub title: String,
    /// The Markdown report: the check run's summary and the comment.
    pub markdown: String,
    pub annotations: Vec<Annotation>,
    /// Findings and errors that cannot be annotated (files outside the repository, standard
    /// input): the summary still lists them.
    pub not_annotated: usize,
    /// No finding and no error: an existing comment is updated to say so, none is created.
    pub clean: bool,
}

/// The GitHub environment of a run.
#[derive(Clone, Default)]
pub struct Env {
    token: Option<String>,
    repository: Option<String>,
    sha: Option<String>,
    pull_request: Option<u64>,
    head_sha: Option<String>,
    api_url: String,
    server_url: Option<String>,
    link_sha: Option<String>,
}

/// Never shows the token.
impl fmt::Debug for Env {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Env")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("repository", &self.repository)
            .field("sha", &self.sha)
            .field("pull_request", &self.pull_request)
            .field("head_sha", &self.head_sha)
            .field("api_url", &self.api_url)
            .finish()
    }
}

impl Env {
    /// Reads the environment through `var` (unset and empty alike are `None`), so tests can
    /// supply it.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> Env {
        let var = |k: &str| var(k).filter(|v| !v.trim().is_empty());
        let mut env = Env {
            token: var("GITHUB_TOKEN").map(|t| t.trim().to_string()),
            repository: var("GITHUB_REPOSITORY"),
            sha: var("GITHUB_SHA"),
            api_url: var("GITHUB_API_URL")
                .unwrap_or_else(|| "https://api.github.com".into())
                .trim_end_matches('/')
                .to_string(),
            server_url: var("GITHUB_SERVER_URL"),
            link_sha: var("TOLLGATE_LINK_SHA"),
            ..Env::default()
        };
        if let Some(path) = var("GITHUB_EVENT_PATH") {
            let event = read_event(std::path::Path::new(&path));
            let pr = &event["pull_request"];
            env.pull_request = pr["number"].as_u64();
            env.head_sha = pr["head"]["sha"].as_str().map(str::to_string);
        }
        env
    }

    /// The commit the check run belongs to: the pull request's head, else `GITHUB_SHA`.
    fn head(&self) -> Option<&str> {
        self.head_sha.as_deref().or(self.sha.as_deref())
    }

    /// Links to files and lines at the head commit (`TOLLGATE_LINK_SHA` overrides it).
    fn links(&self) -> Links {
        let server = self.server_url.as_deref().unwrap_or("https://github.com");
        let sha = self.link_sha.as_deref().or(self.head());
        Links {
            base: match (&self.repository, sha) {
                (Some(repo), Some(sha)) => Some(format!(
                    "{}/{repo}/blob/{sha}/",
                    server.trim_end_matches('/')
                )),
                _ => None,
            },
        }
    }

    /// `text` with the token replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        match &self.token {
            Some(t) if !t.is_empty() => text.replace(t.as_str(), "***"),
            _ => text.to_string(),
        }
    }
}

/// The event file GitHub writes (small JSON); anything unreadable is "not a pull request".
fn read_event(path: &std::path::Path) -> Value {
    const MAX_EVENT: u64 = 64 * 1024 * 1024;
    std::fs::metadata(path)
        .ok()
        .filter(|m| m.is_file() && m.len() <= MAX_EVENT)
        .and_then(|_| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or(Value::Null)
}

/// What [`publish`] reports as it goes: a done action, or a problem (one line each).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Done(String),
    Problem(String),
}

/// Whether a file path can carry an annotation: relative, inside the repository.
fn annotatable(file: &str) -> bool {
    !(file.is_empty()
        || file == "-"
        || file.starts_with('/')
        || file.starts_with("..")
        || file.contains(":\\")
        || file.contains(":/"))
}

/// `text` cut to at most `max` bytes on a character boundary, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "failure",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

fn annotation(ctx: &Context<'_>, f: &Finding) -> Annotation {
    let start = f.span.start.line.max(1);
    let end = f.span.end.line.max(start);
    let one_line = start == end && f.span.start.column > 0;
    let mut details = Vec::new();
    if let Some(t) = rule_title(ctx, &f.rule) {
        details.push(format!("help: {t}"));
    }
    if let Some(url) = rule_doc(ctx, &f.rule) {
        details.push(format!("see {url}"));
    }
    Annotation {
        path: f.file.clone(),
        start_line: start,
        end_line: end,
        start_column: one_line.then_some(f.span.start.column),
        end_column: one_line.then_some(f.span.end.column.max(f.span.start.column)),
        annotation_level: level(f.severity),
        title: clip(&f.rule, 255),
        message: clip(&f.message, 60_000),
        raw_details: (!details.is_empty()).then(|| clip(&details.join("\n"), 60_000)),
    }
}

/// What `--github-check` and `--github-comment` publish for a run that exits with `code`.
pub fn publication(ctx: &Context<'_>, env: &Env, code: i32) -> Publication {
    let o = ctx.outcome;
    let mut annotations = Vec::new();
    let mut not_annotated = 0;
    for f in o.active() {
        if annotatable(&f.file) {
            annotations.push(annotation(ctx, f));
        } else {
            not_annotated += 1;
        }
    }
    for d in &o.errors {
        match (&d.file, d.line) {
            (Some(file), Some(line)) if annotatable(file) => annotations.push(Annotation {
                path: file.clone(),
                start_line: line.max(1),
                end_line: line.max(1),
                start_column: None,
                end_column: None,
                annotation_level: "failure",
                title: "tollgate".into(),
                message: clip(&d.message, 60_000),
                raw_details: None,
            }),
            _ => not_annotated += 1,
        }
    }
    let limits = Limits {
        open: Limits::default().open,
        total: MAX_TEXT - 5_000,
    };
    Publication {
        check_run: false,
        comment: false,
        conclusion: if code == 0 { "success" } else { "failure" },
        title: clip(&counts(ctx), 1_000),
        markdown: markdown::render_with(ctx, &env.links(), limits),
        annotations,
        not_annotated,
        clean: o.active().next().is_none() && o.errors.is_empty(),
    }
}

/// Publishes `p` with the GitHub API, telling `notice` what happens (one line each). Never
/// fails: whatever goes wrong is a [`Notice::Problem`].
pub fn publish(p: &Publication, env: &Env, notice: &mut dyn FnMut(Notice)) {
    let wanted = match (p.check_run, p.comment) {
        (false, false) => return,
        (true, true) => "--github-check and --github-comment",
        (true, false) => "--github-check",
        (false, true) => "--github-comment",
    };
    let Some(token) = env.token.clone() else {
        notice(Notice::Problem(format!(
            "{wanted}: GITHUB_TOKEN is not set, so nothing was sent to GitHub (the exit code is unchanged)"
        )));
        return;
    };
    // A header value holds visible ASCII; anything else would be refused (or make the HTTP
    // client fail) with the token in hand: say so without showing it.
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        notice(Notice::Problem(format!(
            "{wanted}: GITHUB_TOKEN holds characters a token cannot have (spaces or control characters), so nothing was sent to GitHub"
        )));
        return;
    }
    let Some(repo) = env
        .repository
        .as_deref()
        .filter(|r| {
            r.split_once('/').is_some_and(|(o, n)| {
                !o.is_empty()
                    && !n.is_empty()
                    && !n.contains('/')
                    && r.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
            })
        })
        .map(str::to_string)
    else {
        notice(Notice::Problem(format!(
            "{wanted}: GITHUB_REPOSITORY is not set as OWNER/REPO, so nothing was sent to GitHub"
        )));
        return;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            notice(Notice::Problem(format!(
                "{wanted}: cannot start the HTTP client: {e}"
            )));
            return;
        }
    };
    runtime.block_on(async {
        // octocrab spawns its service worker: built inside the runtime.
        let client = match client(env, token) {
            Ok(c) => c,
            Err(e) => {
                notice(Notice::Problem(format!("{wanted}: {e}")));
                return;
            }
        };
        let api = Api {
            client,
            env,
            base: format!("/repos/{repo}"),
        };
        if p.check_run {
            let mut retrying = |n| notice(prefixed("--github-check", n));
            match check_run(&api, p, &mut retrying).await {
                Ok(line) => notice(Notice::Done(line)),
                Err(e) => notice(Notice::Problem(format!("--github-check: {e}"))),
            }
        }
        if p.comment {
            let mut retrying = |n| notice(prefixed("--github-comment", n));
            match comment(&api, p, &mut retrying).await {
                Ok(Some(line)) => notice(Notice::Done(line)),
                Ok(None) => {}
                Err(e) => notice(Notice::Problem(format!("--github-comment: {e}"))),
            }
        }
    });
}

/// A problem line of one flag's requests, named by the flag.
fn prefixed(flag: &str, n: Notice) -> Notice {
    match n {
        Notice::Problem(m) => Notice::Problem(format!("{flag}: {m}")),
        done => done,
    }
}

fn client(env: &Env, token: String) -> Result<octocrab::Octocrab, String> {
    let builder = octocrab::OctocrabBuilder::new()
        .personal_token(token)
        .add_header(
            http::header::ACCEPT,
            "application/vnd.github+json".to_string(),
        )
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(60)))
        .set_write_timeout(Some(Duration::from_secs(60)));
    let builder = builder
        .base_uri(env.api_url.as_str())
        .map_err(|_| format!("GITHUB_API_URL is not a URL: {}", env.redact(&env.api_url)))?;
    builder.build().map_err(|e| {
        format!(
            "cannot set up the HTTP client: {}",
            env.redact(&e.to_string())
        )
    })
}

struct Api<'a> {
    client: octocrab::Octocrab,
    env: &'a Env,
    /// `/repos/OWNER/REPO`.
    base: String,
}

#[derive(Clone, Copy, Debug)]
enum Method {
    Get,
    Post,
    Patch,
}

/// How long GitHub asks to wait before retrying, if it does: `Retry-After` (secondary rate
/// limits, 429, 503), or the reset time of an exhausted rate limit (`x-ratelimit-remaining: 0`).
fn retry_wait(status: u16, headers: &http::HeaderMap, now: u64) -> Option<u64> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(secs) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return matches!(status, 403 | 429 | 502 | 503 | 504).then_some(secs);
    }
    if matches!(status, 403 | 429) && header("x-ratelimit-remaining") == Some("0") {
        let reset = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok())?;
        return Some(reset.saturating_sub(now) + 1);
    }
    None
}

fn first_line(s: &str) -> String {
    clip(s.lines().next().unwrap_or(""), 300)
}

impl Api<'_> {
    /// Sends a request; retries where GitHub says to, at most [`ATTEMPTS`] times and never
    /// waiting more than [`MAX_WAIT`] seconds; a failure is one line naming what was attempted.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
        notice: &mut dyn FnMut(Notice),
    ) -> Result<Value, String> {
        let mut attempt = 1;
        loop {
            let sent = match method {
                Method::Get => self.client._get(path).await,
                Method::Post => self.client._post(path, body).await,
                Method::Patch => self.client._patch(path, body).await,
            };
            let response = sent.map_err(|e| {
                format!(
                    "cannot reach the GitHub API at {} while {what}: {}",
                    self.env.redact(&self.env.api_url),
                    self.env.redact(&first_line(&error_chain(&e)))
                )
            })?;
            let status = response.status().as_u16();
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let wait = retry_wait(status, response.headers(), now);
            let text = self
                .client
                .body_to_string(response)
                .await
                .unwrap_or_default();
            if (200..300).contains(&status) {
                return Ok(serde_json::from_str(&text).unwrap_or(Value::Null));
            }
            let says = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["message"].as_str().map(first_line))
                .map(|m| self.env.redact(&m))
                .filter(|m| !m.is_empty());
            let says_part = says
                .as_deref()
                .map(|m| format!(" (GitHub says: {m})"))
                .unwrap_or_default();
            if let Some(wait) = wait {
                if attempt < ATTEMPTS && wait <= MAX_WAIT {
                    notice(Notice::Problem(format!(
                        "HTTP {status} while {what}: GitHub asks to retry in {wait} s{says_part}; retrying (attempt {} of {ATTEMPTS})",
                        attempt + 1
                    )));
                    tokio::time::sleep(Duration::from_secs(wait)).await;
                    attempt += 1;
                    continue;
                }
                return Err(format!(
                    "HTTP {status} while {what}: rate limited, GitHub asks to retry in {wait} s; gave up after {attempt} attempt{}{says_part}",
                    if attempt == 1 { "" } else { "s" }
                ));
            }
            let why = match status {
                401 => "the token is invalid or expired",
                403 => "the token may not do this: check runs need `checks: write`, comments `pull-requests: write`, and pull requests from forks get a read-only token",
                404 => "not found: check GITHUB_REPOSITORY, the pull request, and that the token can see the repository",
                422 => "GitHub refused the request as invalid",
                429 => "too many requests",
                s if s >= 500 => "GitHub had a server error",
                _ => "unexpected response",
            };
            return Err(format!("HTTP {status} while {what}: {why}{says_part}"));
        }
    }
}

/// An error with its sources, on one line (hyper's "error trying to connect: …").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        source = inner.source();
    }
    s
}

/// Cuts the Markdown to GitHub's limit (it is rendered below it; this is the last guard).
fn limit_text(text: &str) -> String {
    if text.len() <= MAX_TEXT {
        return text.to_string();
    }
    format!(
        "{}\n\n… cut at GitHub's size limit: the job log and the SARIF report have every finding.\n",
        clip(text, MAX_TEXT - 200)
    )
}

/// Creates the check run with the first 50 annotations, then adds the others 50 at a time.
async fn check_run(
    api: &Api<'_>,
    p: &Publication,
    notice: &mut dyn FnMut(Notice),
) -> Result<String, String> {
    let Some(sha) = api.env.head() else {
        return Err(
            "no head commit: GITHUB_SHA is not set (nor a pull request in GITHUB_EVENT_PATH)"
                .into(),
        );
    };
    let summary = limit_text(&p.markdown);
    let mut batches = p.annotations.chunks(ANNOTATIONS_PER_REQUEST);
    let first = batches.next().unwrap_or(&[]);
    let created = api
        .send(
            Method::Post,
            &format!("{}/check-runs", api.base),
            Some(&json!({
                "name": CHECK_NAME,
                "head_sha": sha,
                "status": "completed",
                "conclusion": p.conclusion,
                "completed_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "output": {"title": p.title, "summary": summary, "annotations": first},
            })),
            "creating the check run",
            notice,
        )
        .await?;
    let Some(id) = created["id"].as_u64() else {
        return Err("creating the check run: GitHub's answer has no check run id".into());
    };
    let mut sent = first.len();
    for batch in batches {
        api.send(
            Method::Patch,
            &format!("{}/check-runs/{id}", api.base),
            Some(&json!({
                "output": {"title": p.title, "summary": summary, "annotations": batch},
            })),
            "adding annotations to the check run",
            notice,
        )
        .await
        .map_err(|e| {
            format!(
                "{e} ({sent} of {} annotations were sent)",
                p.annotations.len()
            )
        })?;
        sent += batch.len();
    }
    let mut line = format!(
        "--github-check: check run `{CHECK_NAME}` ({}) on {} with {}",
        p.conclusion,
        sha.chars().take(12).collect::<String>(),
        plural(sent, "annotation", "annotations")
    );
    if p.not_annotated > 0 {
        line.push_str(&format!(
            " ({} outside the repository, listed in the summary only)",
            p.not_annotated
        ));
    }
    Ok(line)
}

/// The comment for a clean run that follows an earlier report.
fn clean_body(markdown: &str) -> String {
    format!(
        "{MARKER}\n**tollgate finds nothing in this pull request any more:** the findings reported here before are fixed or waived.\n\n{}",
        limit_text(markdown)
    )
}

/// Creates or updates the sticky comment. `None` when there is nothing to do (a clean run with
/// no comment yet).
async fn comment(
    api: &Api<'_>,
    p: &Publication,
    notice: &mut dyn FnMut(Notice),
) -> Result<Option<String>, String> {
    let Some(number) = api.env.pull_request else {
        return Err("GITHUB_EVENT_PATH names no pull request (not a pull_request event), so no comment was written".into());
    };
    let mut existing = None;
    'pages: for page in 1..=MAX_PAGES {
        let list = api
            .send(
                Method::Get,
                &format!(
                    "{}/issues/{number}/comments?per_page=100&page={page}",
                    api.base
                ),
                None,
                "listing the pull request's comments",
                notice,
            )
            .await?;
        let items = list.as_array().map(Vec::as_slice).unwrap_or_default();
        for c in items {
            if c["body"].as_str().is_some_and(|b| b.contains(MARKER)) {
                existing = c["id"].as_u64();
                break 'pages;
            }
        }
        if items.len() < 100 {
            break;
        }
    }
    let body = if p.clean {
        clean_body(&p.markdown)
    } else {
        format!("{MARKER}\n{}", limit_text(&p.markdown))
    };
    match existing {
        Some(id) => {
            api.send(
                Method::Patch,
                &format!("{}/issues/comments/{id}", api.base),
                Some(&json!({ "body": body })),
                "updating the pull request comment",
                notice,
            )
            .await?;
            Ok(Some(format!(
                "--github-comment: updated the tollgate comment on pull request #{number}{}",
                if p.clean { " (now clean)" } else { "" }
            )))
        }
        None if p.clean => Ok(None),
        None => {
            api.send(
                Method::Post,
                &format!("{}/issues/{number}/comments", api.base),
                Some(&json!({ "body": body })),
                "commenting on the pull request",
                notice,
            )
            .await?;
            Ok(Some(format!(
                "--github-comment: commented on pull request #{number}"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn the_pull_request_event_gives_the_number_and_the_head_commit() {
        let dir = std::env::temp_dir().join(format!("tollgate-gh-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let event = dir.join("event.json");
        std::fs::write(
            &event,
            r#"{"pull_request": {"number": 42, "head": {"sha": "feedface"}}}"#,
        )
        .unwrap();
        let env = Env::from_vars(&vars(&[
            ("GITHUB_TOKEN", "  ghs_secret\n"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_SHA", "merge"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ]));
        assert_eq!(env.pull_request, Some(42));
        assert_eq!(env.head(), Some("feedface"));
        assert_eq!(env.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(env.token.as_deref(), Some("ghs_secret"));
        assert!(!format!("{env:?}").contains("ghs_secret"));
        assert_eq!(env.redact("a ghs_secret b"), "a *** b");
        assert_eq!(
            env.links().base.as_deref(),
            Some("https://github.com/o/r/blob/feedface/")
        );
        // A push: no pull request, GITHUB_SHA; a broken event file is no pull request.
        std::fs::write(&event, "{not json").unwrap();
        let env = Env::from_vars(&vars(&[
            ("GITHUB_SHA", "abc"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
        ]));
        assert_eq!((env.pull_request, env.head()), (None, Some("abc")));
        assert_eq!(env.api_url, "https://api.github.com");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retries_only_where_github_says_to() {
        let mut h = http::HeaderMap::new();
        assert_eq!(retry_wait(403, &h, 0), None);
        h.insert("retry-after", "7".parse().unwrap());
        assert_eq!(retry_wait(403, &h, 0), Some(7));
        assert_eq!(retry_wait(429, &h, 0), Some(7));
        assert_eq!(retry_wait(422, &h, 0), None);
        let mut h = http::HeaderMap::new();
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", "1010".parse().unwrap());
        assert_eq!(retry_wait(403, &h, 1000), Some(11));
        assert_eq!(retry_wait(401, &h, 1000), None);
    }

    #[test]
    fn only_paths_inside_the_repository_are_annotated() {
        assert!(annotatable("deploy/api.yaml"));
        for p in ["", "-", "/abs/x.yml", "../x.yml", "C:\\x.yml"] {
            assert!(!annotatable(p), "{p}");
        }
        assert_eq!(clip("ééé", 5), "é…");
        assert_eq!(clip("abc", 5), "abc");
    }

    #[test]
    fn without_a_token_or_repository_nothing_is_sent() {
        let p = Publication {
            check_run: true,
            ..Publication::default()
        };
        let mut seen = Vec::new();
        publish(&p, &Env::default(), &mut |n| seen.push(n));
        assert_eq!(seen.len(), 1);
        assert!(matches!(&seen[0], Notice::Problem(m) if m.contains("GITHUB_TOKEN is not set")));
        let env = Env::from_vars(&vars(&[("GITHUB_TOKEN", "t"), ("GITHUB_REPOSITORY", "x")]));
        seen.clear();
        publish(&p, &env, &mut |n| seen.push(n));
        assert!(matches!(&seen[..], [Notice::Problem(m)] if m.contains("OWNER/REPO")));
        let env = Env::from_vars(&vars(&[
            ("GITHUB_TOKEN", "bad token"),
            ("GITHUB_REPOSITORY", "o/r"),
        ]));
        seen.clear();
        publish(&p, &env, &mut |n| seen.push(n));
        assert!(
            matches!(&seen[..], [Notice::Problem(m)] if m.contains("characters") && !m.contains("bad token"))
        );
        // Asked for nothing: nothing said.
        seen.clear();
        publish(&Publication::default(), &Env::default(), &mut |n| {
            seen.push(n)
        });
        assert!(seen.is_empty());
    }
}
