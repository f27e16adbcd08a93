//! `--github-check` and `--github-comment` against a mock GitHub API on loopback (a small
//! `std::net` server started by each test; `GITHUB_API_URL` points the real binary at it):
//! request paths, headers and bodies, annotation batches past 50, the sticky comment updated
//! rather than duplicated and updated when the pull request is clean, each error path
//! (401, 403, 404, 422, `Retry-After` retried then success), exit codes that never change, and
//! no output that ever shows the token.

mod common;

use common::{bin, stderr, stdout, Scratch};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::sync::{Arc, Mutex};

const TOKEN: &str = "ghs_TOPSECRETtoken0123456789abcdef";
const HEAD_SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const MERGE_SHA: &str = "fedcba9876543210fedcba9876543210fedcba98";

/// One request the mock received.
#[derive(Clone, Debug)]
struct Req {
    method: String,
    /// Path and query.
    path: String,
    /// Lower-case names.
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    fn header(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

struct Resp {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn resp(status: u16, body: Value) -> Resp {
    Resp {
        status,
        headers: Vec::new(),
        body: body.to_string(),
    }
}

type Handler = dyn Fn(&Req, &[Req]) -> Resp + Send + Sync;

/// A mock HTTP/1.1 server on 127.0.0.1: answers each request with `handler(request, earlier
/// requests)` and records it.
struct Mock {
    url: String,
    seen: Arc<Mutex<Vec<Req>>>,
}

impl Mock {
    fn start(handler: impl Fn(&Req, &[Req]) -> Resp + Send + Sync + 'static) -> Mock {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, h) = (seen.clone(), handler.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (s, h) = (s.clone(), h.clone());
                std::thread::spawn(move || serve(stream, &s, &*h));
            }
        });
        Mock { url, seen }
    }

    fn requests(&self) -> Vec<Req> {
        self.seen.lock().unwrap().clone()
    }
}

/// Serves the requests of one connection (keep-alive), until the client closes it.
fn serve(stream: TcpStream, seen: &Mutex<Vec<Req>>, handler: &Handler) {
    let mut out = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, path) = (method.to_string(), path.to_string());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let get = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
        let mut body = Vec::new();
        if let Some(len) = get("content-length").and_then(|v| v.parse::<usize>().ok()) {
            body.resize(len, 0);
            r.read_exact(&mut body).unwrap();
        } else if get("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
            loop {
                let mut size = String::new();
                r.read_line(&mut size).unwrap();
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk).unwrap();
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        let req = Req {
            method,
            path,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let response = {
            let mut all = seen.lock().unwrap();
            let response = handler(&req, &all);
            all.push(req);
            response
        };
        let mut text = format!(
            "HTTP/1.1 {} X\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\n",
            response.status,
            response.body.len()
        );
        for (n, v) in &response.headers {
            text.push_str(&format!("{n}: {v}\r\n"));
        }
        text.push_str("\r\n");
        text.push_str(&response.body);
        if out.write_all(text.as_bytes()).is_err() {
            return;
        }
    }
}

/// A check-run object as GitHub answers (the fields a client may read).
fn check_run_body(id: u64) -> Value {
    json!({
        "id": id,
        "node_id": "CR_kwDO",
        "head_sha": HEAD_SHA,
        "name": "tollgate",
        "status": "completed",
        "conclusion": "failure",
        "url": format!("https://api.github.com/repos/acme/svc/check-runs/{id}"),
        "html_url": format!("https://github.com/acme/svc/runs/{id}"),
        "output": {"title": "t", "summary": "s", "annotations_count": 0,
                   "annotations_url": format!("https://api.github.com/repos/acme/svc/check-runs/{id}/annotations")},
    })
}

fn comment_body(id: u64, body: &str) -> Value {
    json!({
        "id": id,
        "node_id": "IC_kwDO",
        "body": body,
        "url": format!("https://api.github.com/repos/acme/svc/issues/comments/{id}"),
        "html_url": format!("https://github.com/acme/svc/pull/7#issuecomment-{id}"),
        "issue_url": "https://api.github.com/repos/acme/svc/issues/7",
        "user": {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"},
        "created_at": "2026-12-01T10:00:00Z",
        "updated_at": "2026-12-01T10:00:00Z",
    })
}

/// A team rule with one finding per flagged item, each on its own line (`--no-builtin`).
const ITEMS_RULE: &str = "\
# METADATA
# title: Items are not flagged
# custom:
#   id: item-flag
#   severity: error
package tollgate.team.items

import rego.v1

deny contains {\"msg\": sprintf(\"item %d is flagged\", [i]), \"path\": [\"items\", i, \"flag\"]} if {
\tsome i, item in input.items
\titem.flag == true
}

warn contains {\"msg\": \"the note is loud\", \"path\": [\"note\"]} if {
\tinput.note == \"LOUD\"
}
";

/// A repository with `n` findings of `item-flag` in `config/items.yaml` (lines 6..6+n).
fn repo(name: &str, n: usize) -> Scratch {
    let s = Scratch::new(&format!("github-{name}"));
    s.write("policies/items.rego", ITEMS_RULE);
    set_items(&s, n, false);
    s.write(
        "event.json",
        &json!({"action": "synchronize", "number": 7,
                "pull_request": {"number": 7, "head": {"sha": HEAD_SHA}, "base": {"sha": "b"}}})
        .to_string(),
    );
    s
}

fn set_items(s: &Scratch, n: usize, loud: bool) {
    let mut text =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: items\nitems:\n");
    for _ in 0..n {
        text.push_str("  - flag: true\n");
    }
    text.push_str("  - flag: false\n");
    if loud {
        text.push_str("note: LOUD\n");
    }
    s.write("config/items.yaml", &text);
}

/// Runs `tollgate check` in `s` with the GitHub environment pointed at `api`, and `extra`
/// arguments.
fn run(s: &Scratch, api: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = bin();
    for v in [
        "GITHUB_ACTIONS",
        "GITHUB_EVENT_NAME",
        "GITHUB_BASE_REF",
        "GITHUB_EVENT_PATH",
        "GITHUB_SHA",
        "GITHUB_REPOSITORY",
        "GITHUB_TOKEN",
        "GITHUB_API_URL",
        "GITHUB_SERVER_URL",
        "TOLLGATE_LINK_SHA",
    ] {
        c.env_remove(v);
    }
    c.current_dir(s.path())
        .args(["check", "--no-builtin", "--policy", "policies", "config"])
        .args(extra)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_REPOSITORY", "acme/svc")
        .env("GITHUB_SHA", MERGE_SHA)
        .env("GITHUB_EVENT_PATH", s.path().join("event.json"))
        .env("GITHUB_API_URL", api);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("tollgate runs")
}

/// Every output of a run, and every request body the mock received, must not hold the token.
fn assert_no_token(o: &Output, mock: Option<&Mock>) {
    let all = format!("{}{}", stdout(o), stderr(o));
    assert!(!all.contains(TOKEN), "the token leaked: {all}");
    assert!(
        !all.contains("TOPSECRET"),
        "part of the token leaked: {all}"
    );
    if let Some(m) = mock {
        for r in m.requests() {
            assert!(!r.body.contains(TOKEN), "{}", r.body);
            assert!(!r.path.contains(TOKEN), "{}", r.path);
        }
    }
}

fn check_runs_mock() -> Mock {
    Mock::start(|req, _| match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/repos/acme/svc/check-runs") => resp(201, check_run_body(99)),
        ("PATCH", "/repos/acme/svc/check-runs/99") => resp(200, check_run_body(99)),
        _ => resp(404, json!({"message": "Not Found"})),
    })
}

#[test]
fn a_check_run_carries_every_finding_in_batches_of_fifty() {
    let s = repo("checkrun", 120);
    let mock = check_runs_mock();
    let o = run(&s, &mock.url, &["--github-check", "--format", "json"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_no_token(&o, Some(&mock));
    let reqs = mock.requests();
    let shape: Vec<(&str, &str)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        shape,
        vec![
            ("POST", "/repos/acme/svc/check-runs"),
            ("PATCH", "/repos/acme/svc/check-runs/99"),
            ("PATCH", "/repos/acme/svc/check-runs/99"),
        ]
    );
    for r in &reqs {
        assert_eq!(r.header("authorization"), vec![format!("Bearer {TOKEN}")]);
        assert_eq!(r.header("accept"), vec!["application/vnd.github+json"]);
        assert_eq!(r.header("x-github-api-version"), vec!["2022-11-28"]);
        assert!(
            r.header("user-agent").iter().all(|v| !v.is_empty())
                && !r.header("user-agent").is_empty(),
            "{:?}",
            r.headers
        );
        assert_eq!(r.header("content-type"), vec!["application/json"]);
    }
    let created = reqs[0].json();
    assert_eq!(created["name"], "tollgate");
    // The pull request's head commit, not GitHub's merge commit (GITHUB_SHA).
    assert_eq!(created["head_sha"], HEAD_SHA);
    assert_eq!(created["status"], "completed");
    assert_eq!(created["conclusion"], "failure");
    assert!(created["completed_at"].as_str().unwrap().ends_with('Z'));
    let title = created["output"]["title"].as_str().unwrap();
    assert!(title.starts_with("120 findings (120 errors"), "{title}");
    let summary = created["output"]["summary"].as_str().unwrap();
    assert!(summary.starts_with("## tollgate: failed"), "{summary}");
    assert!(summary.contains("item-flag"), "{summary}");
    // Links in the summary point at the head commit.
    assert!(
        summary.contains(&format!(
            "https://github.com/acme/svc/blob/{HEAD_SHA}/config/items.yaml#L6"
        )),
        "{summary}"
    );
    let batches: Vec<Vec<Value>> = reqs
        .iter()
        .map(|r| {
            r.json()["output"]["annotations"]
                .as_array()
                .unwrap()
                .clone()
        })
        .collect();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![50, 50, 20]
    );
    // The updates keep the title and summary (GitHub requires them with annotations).
    for r in &reqs[1..] {
        let v = r.json();
        assert_eq!(v["output"]["title"], title);
        assert_eq!(v["output"]["summary"], summary);
    }
    // Every finding once, in order, at its line and columns.
    let all: Vec<&Value> = batches.iter().flatten().collect();
    for (i, a) in all.iter().enumerate() {
        let line = 6 + i as u64;
        assert_eq!(a["path"], "config/items.yaml");
        assert_eq!(a["start_line"], line, "{a}");
        assert_eq!(a["end_line"], line, "{a}");
        assert_eq!(a["start_column"], 5, "{a}");
        assert_eq!(a["end_column"], 15, "{a}");
        assert_eq!(a["annotation_level"], "failure");
        assert_eq!(a["title"], "item-flag");
        assert_eq!(a["message"], format!("item {i} is flagged"));
        assert_eq!(a["raw_details"], "help: Items are not flagged");
    }
    let err = stderr(&o);
    assert!(
        err.contains("tollgate: --github-check: check run `tollgate` (failure) on 0123456789ab with 120 annotations"),
        "{err}"
    );
    // The JSON report on standard output is untouched.
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 120);
}

#[test]
fn a_clean_run_is_a_successful_check_run_and_warnings_are_warnings() {
    let s = repo("checkrun-clean", 0);
    let mock = check_runs_mock();
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let v = reqs[0].json();
    assert_eq!(v["conclusion"], "success");
    assert_eq!(v["output"]["annotations"], json!([]));
    assert!(v["output"]["summary"]
        .as_str()
        .unwrap()
        .starts_with("## tollgate: passed"));
    // A warning below the failing level: the run passes, the annotation is a warning.
    set_items(&s, 0, true);
    let mock = check_runs_mock();
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v = mock.requests()[0].json();
    assert_eq!(v["conclusion"], "success");
    let a = &v["output"]["annotations"][0];
    assert_eq!(a["annotation_level"], "warning", "{v}");
    assert_eq!(a["message"], "the note is loud");
    // Without the pull request event: GITHUB_SHA.
    std::fs::write(
        s.path().join("event.json"),
        "{\"ref\": \"refs/heads/main\"}",
    )
    .unwrap();
    let mock = check_runs_mock();
    let o = run(&s, &mock.url, &["--github-check", "--quiet"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(mock.requests()[0].json()["head_sha"], MERGE_SHA);
    // --quiet: the success line is not printed.
    assert!(!stderr(&o).contains("--github-check"), "{}", stderr(&o));
}

/// A mock of the issue-comments API holding `existing` comments (id, body) on pull request 7;
/// created comments get ids from 500.
fn comments_mock(existing: Vec<(u64, String)>) -> Mock {
    Mock::start(move |req, _| {
        let path = req.path.as_str();
        match req.method.as_str() {
            "GET" if path.starts_with("/repos/acme/svc/issues/7/comments?") => {
                let page: usize = path
                    .split("page=")
                    .last()
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                let list: Vec<Value> = existing
                    .iter()
                    .skip((page - 1) * 100)
                    .take(100)
                    .map(|(id, body)| comment_body(*id, body))
                    .collect();
                resp(200, Value::Array(list))
            }
            "POST" if path == "/repos/acme/svc/issues/7/comments" => {
                resp(201, comment_body(500, req.json()["body"].as_str().unwrap()))
            }
            "PATCH" if path.starts_with("/repos/acme/svc/issues/comments/") => {
                let id: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
                resp(200, comment_body(id, req.json()["body"].as_str().unwrap()))
            }
            _ => resp(404, json!({"message": "Not Found"})),
        }
    })
}

#[test]
fn the_comment_is_created_once_then_updated_and_says_when_the_pull_request_is_clean() {
    let s = repo("comment", 3);
    // No comment yet: listed, then created with the marker and the Markdown report.
    let mock = comments_mock(vec![(1, "LGTM".into())]);
    let o = run(&s, &mock.url, &["--github-comment"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_no_token(&o, Some(&mock));
    let reqs = mock.requests();
    let shape: Vec<(&str, &str)> = reqs
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "GET",
                "/repos/acme/svc/issues/7/comments?per_page=100&page=1"
            ),
            ("POST", "/repos/acme/svc/issues/7/comments"),
        ]
    );
    assert_eq!(
        reqs[0].header("authorization"),
        vec![format!("Bearer {TOKEN}")]
    );
    let body = reqs[1].json()["body"].as_str().unwrap().to_string();
    assert!(
        body.starts_with("<!-- tollgate:sticky-comment -->\n## tollgate: failed"),
        "{body}"
    );
    assert!(body.contains("item 2 is flagged"), "{body}");
    assert!(stderr(&o).contains("tollgate: --github-comment: commented on pull request #7"));

    // The next run finds it (on the second page, after 100 others) and updates it: PATCH, no
    // second comment.
    let mut existing: Vec<(u64, String)> = (1..=100).map(|i| (i, format!("comment {i}"))).collect();
    existing.push((500, body.clone()));
    let mock = comments_mock(existing.clone());
    let o = run(&s, &mock.url, &["--github-comment"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let shape: Vec<(String, String)> = mock
        .requests()
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        shape,
        vec![
            (
                "GET".into(),
                "/repos/acme/svc/issues/7/comments?per_page=100&page=1".into()
            ),
            (
                "GET".into(),
                "/repos/acme/svc/issues/7/comments?per_page=100&page=2".into()
            ),
            ("PATCH".into(), "/repos/acme/svc/issues/comments/500".into()),
        ]
    );
    assert!(stderr(&o).contains("updated the tollgate comment on pull request #7"));

    // Fixed: the comment is updated to say the pull request is clean.
    set_items(&s, 0, false);
    let mock = comments_mock(existing);
    let o = run(&s, &mock.url, &["--github-comment"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reqs = mock.requests();
    let patch = reqs.last().unwrap();
    assert_eq!(
        (patch.method.as_str(), patch.path.as_str()),
        ("PATCH", "/repos/acme/svc/issues/comments/500")
    );
    let body = patch.json()["body"].as_str().unwrap().to_string();
    assert!(
        body.starts_with("<!-- tollgate:sticky-comment -->\n"),
        "{body}"
    );
    assert!(
        body.contains("finds nothing in this pull request any more"),
        "{body}"
    );
    assert!(body.contains("## tollgate: passed"), "{body}");
    assert!(!body.contains("item 0 is flagged"), "{body}");
    assert!(stderr(&o).contains("(now clean)"), "{}", stderr(&o));

    // Clean with no comment of tollgate's: nothing is created.
    let mock = comments_mock(vec![(1, "LGTM".into())]);
    let o = run(&s, &mock.url, &["--github-comment"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0].method, "GET");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn a_comment_needs_a_pull_request_event() {
    let s = repo("comment-push", 1);
    std::fs::write(
        s.path().join("event.json"),
        "{\"ref\": \"refs/heads/main\"}",
    )
    .unwrap();
    let mock = comments_mock(Vec::new());
    let o = run(&s, &mock.url, &["--github-comment"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(mock.requests().is_empty());
    let err = stderr(&o);
    assert!(
        err.contains("warning: --github-comment: GITHUB_EVENT_PATH names no pull request"),
        "{err}"
    );
}

/// Runs with `--github-check --github-comment` against a mock that answers every request
/// with `status` and `message`; returns the output.
fn failing(name: &str, n: usize, status: u16, message: &str) -> (Output, Mock) {
    let s = repo(name, n);
    let message = message.to_string();
    let mock = Mock::start(move |_, _| {
        resp(
            status,
            json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
        )
    });
    let o = run(&s, &mock.url, &["--github-check", "--github-comment"], &[]);
    (o, mock)
}

#[test]
fn api_errors_are_one_line_each_and_never_change_the_exit_code() {
    for (status, message, expect) in [
        (401, "Bad credentials", "HTTP 401 while creating the check run: the token is invalid or expired (GitHub says: Bad credentials)"),
        (403, "Resource not accessible by integration", "HTTP 403 while creating the check run: the token may not do this: check runs need `checks: write`"),
        (404, "Not Found", "HTTP 404 while creating the check run: not found"),
        (422, "Validation Failed", "HTTP 422 while creating the check run: GitHub refused the request as invalid (GitHub says: Validation Failed)"),
    ] {
        for (n, code) in [(2, 1), (0, 0)] {
            let (o, mock) = failing(&format!("err-{status}-{n}"), n, status, message);
            assert_eq!(o.status.code(), Some(code), "{status}: {}", stderr(&o));
            assert_no_token(&o, Some(&mock));
            let err = stderr(&o);
            let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning:")).collect();
            // One line for the check run, one for the comment (its listing failed).
            assert_eq!(warnings.len(), 2, "{err}");
            assert!(warnings[0].starts_with(&format!("warning: --github-check: {expect}")), "{err}");
            assert!(
                warnings[1].starts_with(&format!("warning: --github-comment: HTTP {status} while listing the pull request's comments")),
                "{err}"
            );
            // No retries: GitHub did not ask for any.
            assert_eq!(mock.requests().len(), 2, "{status}");
        }
    }
    // A server that is not there: one line each, the exit code unchanged.
    let s = repo("err-unreachable", 1);
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let o = run(
        &s,
        &format!("http://127.0.0.1:{port}"),
        &["--github-check"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_no_token(&o, None);
    let err = stderr(&o);
    assert!(
        err.contains(&format!("warning: --github-check: cannot reach the GitHub API at http://127.0.0.1:{port} while creating the check run")),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.starts_with("warning:")).count(),
        1,
        "{err}"
    );
    // A policy error (exit 2) stays 2 when the API fails.
    s.write(
        "policies/broken.rego",
        "package broken\n\ndeny contains x if {\n",
    );
    let mock = Mock::start(|_, _| resp(401, json!({"message": "Bad credentials"})));
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("HTTP 401"), "{}", stderr(&o));
}

#[test]
fn secondary_rate_limits_are_retried_after_what_github_says_then_succeed() {
    let s = repo("retry", 1);
    let mock = Mock::start(|req, earlier| {
        let tries = earlier
            .iter()
            .filter(|r| r.method == req.method && r.path == req.path)
            .count();
        if tries == 0 {
            return Resp {
                status: 403,
                headers: vec![("retry-after", "1".into())],
                body: json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}).to_string(),
            };
        }
        match req.method.as_str() {
            "POST" => resp(201, check_run_body(5)),
            _ => resp(404, json!({"message": "Not Found"})),
        }
    });
    let start = std::time::Instant::now();
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert!(start.elapsed() >= std::time::Duration::from_secs(1));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    // The same request again.
    assert_eq!(reqs[0].body, reqs[1].body);
    let err = stderr(&o);
    assert!(
        err.contains("warning: --github-check: HTTP 403 while creating the check run: GitHub asks to retry in 1 s (GitHub says: You have exceeded a secondary rate limit."),
        "{err}"
    );
    assert!(err.contains("retrying (attempt 2 of 3)"), "{err}");
    assert!(
        err.contains("tollgate: --github-check: check run `tollgate` (failure)"),
        "{err}"
    );

    // A limit that never lifts: bounded (3 attempts), one final line, exit code unchanged.
    let mock = Mock::start(|_, _| Resp {
        status: 429,
        headers: vec![("retry-after", "0".into())],
        body: json!({"message": "slow down"}).to_string(),
    });
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(mock.requests().len(), 3);
    let err = stderr(&o);
    assert!(err.contains("gave up after 3 attempts"), "{err}");
    // A wait longer than tollgate makes is not made.
    let mock = Mock::start(|_, _| Resp {
        status: 403,
        headers: vec![("retry-after", "3600".into())],
        body: json!({"message": "secondary rate limit"}).to_string(),
    });
    let start = std::time::Instant::now();
    let o = run(&s, &mock.url, &["--github-check"], &[]);
    assert!(start.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(mock.requests().len(), 1);
    assert!(
        stderr(&o).contains("retry in 3600 s; gave up after 1 attempt"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn without_a_token_nothing_is_sent_and_one_line_says_so() {
    let s = repo("notoken", 1);
    let mock = check_runs_mock();
    let o = run(&s, &mock.url, &["--github-check"], &[("GITHUB_TOKEN", "")]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(mock.requests().is_empty());
    let err = stderr(&o);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("GITHUB_TOKEN")).collect();
    assert_eq!(
        lines,
        vec!["warning: --github-check: GITHUB_TOKEN is not set, so nothing was sent to GitHub (the exit code is unchanged)"],
        "{err}"
    );
    // Clean and without a token: still 0.
    set_items(&s, 0, false);
    let o = run(&s, &mock.url, &["--github-check"], &[("GITHUB_TOKEN", "")]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn the_token_never_appears_in_any_output() {
    // Every output format, verbose, with every API call failing in a way that quotes back
    // what it was sent, and GitHub's messages echoing the token.
    let s = repo("token-grep", 60);
    let echo = Mock::start(|req, _| {
        let auth = req.header("authorization").join(",");
        resp(
            422,
            json!({"message": format!("Validation Failed for {auth} on {}", req.path),
                   "errors": [{"message": auth}]}),
        )
    });
    let sarif = s.path().join("out.sarif");
    let junit = s.path().join("out.xml");
    let md = s.path().join("out.md");
    let summary = s.path().join("summary.md");
    let o = run(
        &s,
        &echo.url,
        &[
            "--github-check",
            "--github-comment",
            "--verbose",
            "--format",
            "github",
            "--format",
            &format!("sarif={}", sarif.display()),
            "--format",
            &format!("junit={}", junit.display()),
            "--format",
            &format!("markdown={}", md.display()),
        ],
        &[("GITHUB_STEP_SUMMARY", summary.to_str().unwrap())],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_no_token(&o, Some(&echo));
    let err = stderr(&o);
    assert!(err.contains("HTTP 422"), "{err}");
    assert!(err.contains("Bearer ***"), "{err}");
    for f in [&sarif, &junit, &md, &summary] {
        let text = std::fs::read_to_string(f).unwrap();
        assert!(!text.contains(TOKEN), "{}", f.display());
    }
    // The requests themselves carried it only in the Authorization header.
    for r in echo.requests() {
        for (n, v) in &r.headers {
            if n != "authorization" {
                assert!(!v.contains(TOKEN), "{n}");
            }
        }
    }
    // An unreachable API and a malformed API URL: no token either.
    for api in ["http://127.0.0.1:1", "not a url ^^"] {
        let o = run(&s, api, &["--github-check", "--github-comment"], &[]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_no_token(&o, None);
        assert!(
            stderr(&o).contains("warning: --github-check"),
            "{}",
            stderr(&o)
        );
    }
    // A token with a line break (pasted from a file) is trimmed; one with inner spaces is
    // refused without being shown.
    let mock = check_runs_mock();
    let o = run(
        &s,
        &mock.url,
        &["--github-check"],
        &[("GITHUB_TOKEN", &format!("{TOKEN}\n"))],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(
        mock.requests()[0].header("authorization"),
        vec![format!("Bearer {TOKEN}")]
    );
    let o = run(
        &s,
        &mock.url,
        &["--github-check"],
        &[("GITHUB_TOKEN", &format!("{TOKEN} x"))],
    );
    assert_no_token(&o, None);
    assert!(
        stderr(&o).contains("GITHUB_TOKEN holds characters"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn github_enterprise_server_keeps_the_api_path_prefix() {
    let s = repo("ghes", 1);
    let mock = Mock::start(|req, _| {
        if req.method == "POST" && req.path == "/api/v3/repos/acme/svc/check-runs" {
            resp(201, check_run_body(3))
        } else {
            resp(404, json!({"message": "Not Found"}))
        }
    });
    let o = run(
        &s,
        &format!("{}/api/v3/", mock.url),
        &["--github-check"],
        &[],
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("check run `tollgate` (failure)"),
        "{}",
        stderr(&o)
    );
    assert_eq!(mock.requests().len(), 1);
}
