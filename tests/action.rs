//! The GitHub Action's script (`scripts/action.sh`), run as the action runs it: with a fake
//! `GITHUB_*` environment in a scratch folder, the test binary as the prebuilt tollgate, and a
//! loopback HTTP server standing in for the release downloads.

mod common;
use common::*;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fake runner: a workspace (a copy of `fixtures/formats/`), the output and summary files.
struct Runner {
    scratch: Scratch,
}

impl Runner {
    fn new(name: &str) -> Runner {
        let scratch = Scratch::new(&format!("action-{name}"));
        copy_dir(
            &repo_root().join("fixtures/formats"),
            &scratch.path().join("workspace"),
        );
        Runner { scratch }
    }
    fn workspace(&self) -> PathBuf {
        self.scratch.path().join("workspace")
    }
    fn file(&self, name: &str) -> PathBuf {
        self.scratch.path().join(name)
    }
    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.file(name)).unwrap_or_default()
    }
    /// The `name=value` lines written to GITHUB_OUTPUT.
    fn outputs(&self) -> HashMap<String, String> {
        self.read("output")
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
    /// The script with the action's inputs for the fixture (team policies only).
    fn script(&self) -> Command {
        let mut c = Command::new("bash");
        c.arg(repo_root().join("scripts/action.sh"));
        for (k, _) in std::env::vars() {
            if k.starts_with("GITHUB_") || k.starts_with("INPUT_") || k.starts_with("TOLLGATE_") {
                c.env_remove(k);
            }
        }
        c.env_remove("RUNNER_TEMP")
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_WORKSPACE", self.workspace())
            .env("GITHUB_ACTION_PATH", repo_root())
            .env("GITHUB_OUTPUT", self.file("output"))
            .env("GITHUB_STEP_SUMMARY", self.file("summary"))
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_SHA", "0123abcd")
            .env("TOLLGATE_INSTALL_DIR", self.file("install"))
            .env("INPUT_POLICIES", "policies")
            .env("INPUT_ARGS", "--no-builtin")
            .env("INPUT_SARIF_FILE", "reports/tollgate.sarif")
            .current_dir(self.scratch.path());
        c
    }
    fn prebuilt(&self) -> Command {
        let mut c = self.script();
        c.env("TOLLGATE_BIN", env!("CARGO_BIN_EXE_tollgate"));
        c
    }
}

fn run(mut c: Command) -> Output {
    c.output().expect("bash runs")
}

#[test]
fn violations_give_annotations_summary_outputs_and_exit_1() {
    let r = Runner::new("violations");
    let o = run(r.prebuilt());
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    assert!(out.contains("::group::Install tollgate"), "{out}");
    assert!(
        out.contains("::error file=deploy/app.yaml,line=11,col=11,endLine=11,endColumn=41,title=image-pinned::container api uses a :latest image"),
        "{out}"
    );
    assert!(out.contains("::warning file=compose.yaml,line=3,"), "{out}");
    assert!(
        out.contains("::notice file=.github/workflows/ci.yml,line=4,"),
        "{out}"
    );
    let summary = r.read("summary");
    assert!(summary.starts_with("## tollgate: failed"), "{summary}");
    assert!(
        summary.contains("(https://github.com/acme/shop/blob/0123abcd/deploy/app.yaml#L11)"),
        "{summary}"
    );
    let outputs = r.outputs();
    assert_eq!(outputs["findings"], "7");
    assert_eq!(outputs["errors"], "0");
    assert_eq!(outputs["sarif-file"], "reports/tollgate.sarif");
    assert_eq!(outputs["exit-code"], "1");
    let sarif: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(r.workspace().join("reports/tollgate.sarif")).unwrap(),
    )
    .unwrap();
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 7);
}

#[test]
fn a_clean_repository_passes_and_fail_on_is_passed_through() {
    let r = Runner::new("clean");
    let ws = r.workspace();
    std::fs::remove_dir_all(ws.join("deploy")).unwrap();
    std::fs::remove_file(ws.join("compose.yaml")).unwrap();
    // Only the note (job-timeout) is left: it passes at the default level...
    let o = run(r.prebuilt());
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    assert_eq!(r.outputs()["findings"], "1");
    assert!(r
        .read("summary")
        .contains("1 finding (0 errors, 0 warnings, 1 note)"));
    // ...and fails with fail-on: note.
    std::fs::remove_file(r.file("output")).unwrap();
    let mut c = r.prebuilt();
    c.env("INPUT_FAIL_ON", "note");
    let o = run(c);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(r.outputs()["exit-code"], "1");
    // With the workflow fixed, nothing is found; `paths` limits the check.
    std::fs::remove_file(r.file("output")).unwrap();
    let mut c = r.prebuilt();
    c.env("INPUT_PATHS", "compose.yaml\nnothing-here.yaml");
    std::fs::write(
        ws.join("compose.yaml"),
        "services:\n  web:\n    image: redis:7\n",
    )
    .unwrap();
    std::fs::write(ws.join("nothing-here.yaml"), "a: 1\n").unwrap();
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    let outputs = r.outputs();
    assert_eq!(outputs["findings"], "0");
    assert_eq!(outputs["errors"], "0");
    assert!(!stdout(&o).contains("::notice"), "{}", stdout(&o));
}

#[test]
fn policy_errors_exit_2_with_an_error_count() {
    let r = Runner::new("errors");
    std::fs::write(
        r.workspace().join("policies/broken.rego"),
        "package broken\n\ndeny contains x if {\n",
    )
    .unwrap();
    let o = run(r.prebuilt());
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("title=tollgate::"), "{}", stdout(&o));
    assert_eq!(r.outputs()["errors"], "1");
    assert_eq!(r.outputs()["exit-code"], "2");
}

/// The outputs action.yml declares: each `name:` under `outputs:` with the value the check step
/// sets under the same name.
fn declared_outputs() -> Vec<String> {
    let yml = std::fs::read_to_string(repo_root().join("action.yml")).unwrap();
    let mut names = Vec::new();
    let mut inside = false;
    let mut current: Option<String> = None;
    for line in yml.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            inside = line == "outputs:";
            continue;
        }
        if !inside {
            continue;
        }
        if let Some(name) = line
            .strip_prefix("  ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.strip_suffix(':'))
        {
            current = Some(name.to_string());
        } else if let Some(value) = line.trim().strip_prefix("value: ") {
            let name = current.take().expect("a value under an output");
            assert_eq!(
                value,
                format!("${{{{ steps.check.outputs.{name} }}}}"),
                "output {name}"
            );
            names.push(name);
        }
    }
    names.sort();
    names
}

#[test]
fn every_output_the_script_sets_is_declared_by_the_action() {
    let declared = declared_outputs();
    assert!(declared.contains(&"exit-code".to_string()), "{declared:?}");
    for (name, setup) in [
        ("violations", None),
        (
            "broken-policy",
            Some("package broken\n\ndeny contains x if {\n"),
        ),
    ] {
        let r = Runner::new(&format!("outputs-{name}"));
        if let Some(text) = setup {
            std::fs::write(r.workspace().join("policies/broken.rego"), text).unwrap();
        }
        let o = run(r.prebuilt());
        assert_ne!(o.status.code(), Some(0), "{}", stdout(&o));
        // Each output once, and exactly the declared ones.
        let lines = r.read("output");
        let mut written: Vec<String> = lines
            .lines()
            .map(|l| l.split_once('=').unwrap().0.to_string())
            .collect();
        written.sort();
        assert_eq!(written, declared, "{lines}");
    }
}

#[test]
fn tollgate_writes_the_step_outputs_itself() {
    let r = Runner::new("github-output");
    let ws = r.workspace();
    std::fs::write(r.file("out"), "earlier=step\n").unwrap();
    let args = |extra: &[&str]| {
        let mut a = vec!["check", "--no-builtin", "-p", "policies", "-f", "json"];
        a.extend_from_slice(extra);
        run_in(&ws, &a)
    };
    let out_file = r.file("out");
    let out = out_file.to_str().unwrap();
    let o = args(&["--github-output", out]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let summary = &json(&o)["summary"];
    // Appended after what an earlier step wrote; the counts are the JSON summary's.
    assert_eq!(
        r.read("out"),
        format!(
            "earlier=step\nfindings={}\nerrors={}\n",
            summary["findings"], summary["errors"]
        )
    );
    assert_eq!(summary["findings"], 7);
    // With policy errors and a waiver-free run: the same two lines, counted.
    std::fs::write(
        ws.join("policies/broken.rego"),
        "package broken\n\ndeny contains x if {\n",
    )
    .unwrap();
    std::fs::remove_file(r.file("out")).unwrap();
    let o = args(&["--github-output", out]);
    assert_eq!(o.status.code(), Some(2));
    let summary = &json(&o)["summary"];
    assert_eq!(summary["errors"], 1);
    assert_eq!(r.read("out"), "findings=7\nerrors=1\n");
    // A file that cannot be written is an error, exit 2, never a silent pass.
    let o = args(&[
        "--github-output",
        ws.join("no/such/dir/out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot write the step outputs"),
        "{}",
        stderr(&o)
    );
}

// --- installing: the released binary, its checksum, the fallback -----------------------------

/// A loopback HTTP server serving `files` (path → body) and 404 for anything else; records the
/// paths asked for. It stops when dropped.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(files: HashMap<String, Vec<u8>>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (req, halt) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(120);
            while !halt.load(Ordering::SeqCst) && Instant::now() < deadline {
                let (stream, _) = match listener.accept() {
                    Ok(s) => s,
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(10));
                        continue;
                    }
                };
                stream.set_nonblocking(false).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let mut reader = BufReader::new(stream);
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // Skip the headers.
                loop {
                    let mut h = String::new();
                    match reader.read_line(&mut h) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if h == "\r\n" || h == "\n" => break,
                        Ok(_) => {}
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                req.lock().unwrap().push(path.clone());
                let mut stream = reader.into_inner();
                let _ = match files.get(&path) {
                    Some(body) => stream
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .and_then(|_| stream.write_all(body)),
                    None => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
                    ),
                };
                let _ = stream.flush();
            }
        });
        Server {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }
    fn base(&self) -> String {
        format!("http://127.0.0.1:{}/releases/download", self.port)
    }
    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A release archive as the release workflow makes it: the binary and the README at the top.
fn release_archive(dir: &Path) -> Vec<u8> {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_tollgate"), pkg.join("tollgate")).unwrap();
    std::fs::write(pkg.join("README.md"), "tollgate\n").unwrap();
    let archive = dir.join("tollgate.tar.gz");
    // gzip -1: the debug binary is large, and the level does not matter here.
    let o = Command::new("sh")
        .arg("-c")
        .arg(r#"tar -cf - -C "$1" tollgate README.md | gzip -1 > "$2""#)
        .arg("sh")
        .arg(&pkg)
        .arg(&archive)
        .output()
        .expect("sh runs");
    assert!(o.status.success(), "{}", stderr(&o));
    let mut bytes = Vec::new();
    std::fs::File::open(&archive)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn sha256_hex(path: &Path) -> String {
    let o = Command::new("sha256sum")
        .arg(path)
        .output()
        .or_else(|_| {
            Command::new("shasum")
                .args(["-a", "256"])
                .arg(path)
                .output()
        })
        .expect("sha256sum or shasum");
    stdout(&o).split_whitespace().next().unwrap().to_string()
}

const ARCHIVE: &str = "/releases/download/v9.8.7/tollgate-test-target.tar.gz";

/// Pins `sum` as the checksum of version 9.8.7's `test-target` archive, as the release workflow
/// commits it into the action's source.
fn pin(r: &Runner, sum: &str) {
    std::fs::write(
        r.file("checksums.txt"),
        format!("# pinned\n{}  v1.0.0/tollgate-test-target.tar.gz\n{sum}  v9.8.7/tollgate-test-target.tar.gz\n", "1".repeat(64)),
    )
    .unwrap();
}

/// The script set up to download version 9.8.7 for `test-target` from `server`, with a source
/// build that records that it ran (and installs the test binary), and checksums read from the
/// runner's `checksums.txt` (see [`pin`]).
fn downloading(r: &Runner, server: &Server) -> Command {
    let mut c = r.script();
    c.env("TOLLGATE_DOWNLOAD_BASE", server.base())
        .env("TOLLGATE_CHECKSUMS", r.file("checksums.txt"))
        .env("TOLLGATE_VERSION", "9.8.7")
        .env("TOLLGATE_TARGET", "test-target")
        .env("FAKE_BUILT_BIN", env!("CARGO_BIN_EXE_tollgate"))
        .env(
            "TOLLGATE_INSTALL_CMD",
            r#"echo "source build in $GITHUB_ACTION_PATH" > "$TOLLGATE_INSTALL_DIR.marker" && mkdir -p "$TOLLGATE_INSTALL_DIR/bin" && cp "$FAKE_BUILT_BIN" "$TOLLGATE_INSTALL_DIR/bin/tollgate""#,
        );
    c
}

#[test]
fn the_released_binary_is_downloaded_and_verified() {
    let r = Runner::new("download");
    let bytes = release_archive(r.scratch.path());
    let sum = sha256_hex(&r.scratch.path().join("tollgate.tar.gz"));
    pin(&r, &sum);
    let server = Server::start(HashMap::from([(ARCHIVE.to_string(), bytes)]));
    let o = run(downloading(&r, &server));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    // The pinned checksum is the only one: none is downloaded.
    assert_eq!(server.requests(), vec![ARCHIVE.to_string()]);
    assert!(
        out.contains("installed the released tollgate 9.8.7 (test-target)"),
        "{out}"
    );
    assert!(r.file("install/bin/tollgate").is_file());
    assert!(!r.file("install.marker").exists(), "no source build");
    assert!(
        out.contains("::error file=deploy/app.yaml,line=11,"),
        "{out}"
    );
    assert_eq!(r.outputs()["findings"], "7");
    // The next run uses the installed (cached) binary without asking the server.
    let o = run(downloading(&r, &server));
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("using the cached"), "{}", stdout(&o));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_checksum_mismatch_fails_without_installing() {
    let r = Runner::new("mismatch");
    let bytes = release_archive(r.scratch.path());
    let sum = sha256_hex(&r.scratch.path().join("tollgate.tar.gz"));
    pin(&r, &"0".repeat(64));
    // A `.sha256` served beside the archive that matches it changes nothing: only the pinned
    // checksum counts.
    let server = Server::start(HashMap::from([
        (ARCHIVE.to_string(), bytes),
        (
            format!("{ARCHIVE}.sha256"),
            format!("{sum}  tollgate-test-target.tar.gz\n").into_bytes(),
        ),
    ]));
    let o = run(downloading(&r, &server));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(2), "{out}\n{}", stderr(&o));
    assert!(
        out.contains("::error title=tollgate::checksum mismatch for http://127.0.0.1:"),
        "{out}"
    );
    assert!(!r.file("install/bin/tollgate").exists());
    assert!(
        !r.file("install.marker").exists(),
        "no fallback on a bad checksum"
    );
}

#[test]
fn without_a_release_it_builds_from_source() {
    let r = Runner::new("fallback");
    pin(&r, &"2".repeat(64));
    let server = Server::start(HashMap::new());
    let o = run(downloading(&r, &server));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    assert_eq!(server.requests(), vec![ARCHIVE.to_string()]);
    assert!(
        out.contains("no released binary at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("building tollgate from source"), "{out}");
    assert_eq!(
        r.read("install.marker").trim(),
        format!("source build in {}", repo_root().display())
    );
    assert_eq!(r.outputs()["findings"], "7");

    // install: release does not fall back; install: source does not download.
    let r = Runner::new("release-only");
    pin(&r, &"2".repeat(64));
    let mut c = downloading(&r, &server);
    c.env("INPUT_INSTALL", "release");
    let o = run(c);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("no released tollgate 9.8.7 for test-target"));
    assert!(!r.file("install.marker").exists());
    let r = Runner::new("source-only");
    let before = server.requests().len();
    let mut c = downloading(&r, &server);
    c.env("INPUT_INSTALL", "source");
    let o = run(c);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(r.file("install.marker").exists());
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_release_without_a_pinned_checksum_is_not_downloaded() {
    let r = Runner::new("unpinned");
    let bytes = release_archive(r.scratch.path());
    let sum = sha256_hex(&r.scratch.path().join("tollgate.tar.gz"));
    // Pinned for another version only; the server offers the archive and a matching .sha256.
    std::fs::write(
        r.file("checksums.txt"),
        format!("{}  v1.0.0/tollgate-test-target.tar.gz\n", "4".repeat(64)),
    )
    .unwrap();
    let server = Server::start(HashMap::from([
        (ARCHIVE.to_string(), bytes),
        (
            format!("{ARCHIVE}.sha256"),
            format!("{sum}  tollgate-test-target.tar.gz\n").into_bytes(),
        ),
    ]));
    let o = run(downloading(&r, &server));
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}\n{}", stderr(&o));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(
        out.contains("no checksum pinned in the action for tollgate 9.8.7 (test-target)"),
        "{out}"
    );
    assert!(r.file("install.marker").exists(), "a source build instead");
}

/// The action passes the paths after `--`: a file named `-c.yml` is not read as an option.
#[test]
fn paths_that_look_like_options_stay_paths() {
    let r = Runner::new("dash");
    std::fs::write(
        r.workspace().join("-c.yml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    let mut c = r.prebuilt();
    c.env("INPUT_PATHS", "-c.yml");
    let o = run(c);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{}", stderr(&o));
    assert_eq!(r.outputs()["findings"], "0", "{out}");
}

#[test]
fn a_failed_source_build_fails_the_action() {
    let r = Runner::new("build-fails");
    let mut c = r.script();
    c.env("INPUT_INSTALL", "source")
        .env("TOLLGATE_INSTALL_CMD", "echo compiling; exit 101");
    let o = run(c);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(stdout(&o).contains("::error title=tollgate::building tollgate from source failed"));
    assert!(!r.file("output").exists(), "no outputs without a check");
}

#[test]
fn prepare_gives_the_cache_folder_and_key() {
    let r = Runner::new("prepare");
    let mut c = r.script();
    c.arg("prepare");
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let outputs = r.outputs();
    assert_eq!(
        outputs["dir"],
        r.file("install").to_string_lossy().to_string()
    );
    let key = &outputs["key"];
    assert!(
        key.starts_with("tollgate-") && key.contains(env!("CARGO_PKG_VERSION")),
        "{key}"
    );
    // Stable across runs.
    std::fs::remove_file(r.file("output")).unwrap();
    let mut c = r.script();
    c.arg("prepare");
    run(c);
    assert_eq!(&r.outputs()["key"], key);
}

/// A stand-in tollgate that records its arguments, one run a line.
fn recording_bin(r: &Runner) -> PathBuf {
    let bin = r.file("fake-tollgate");
    std::fs::write(
        &bin,
        format!(
            "#!/usr/bin/env bash\nprintf '%s\\n' \"$*\" >> '{}'\n",
            r.file("calls").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// An event, the inputs set, and whether `--new-only` and `--policies-from auto` are expected.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], bool, bool);

#[test]
fn pull_requests_get_new_only_and_the_base_policies_by_default() {
    let cases: &[Case<'_>] = &[
        ("pull_request", &[], true, true),
        ("pull_request_target", &[], true, true),
        ("push", &[], false, false),
        ("pull_request", &[("INPUT_NEW_ONLY", "false")], false, true),
        (
            "pull_request",
            &[("INPUT_POLICIES_FROM_BASE", "false")],
            true,
            false,
        ),
        (
            "push",
            &[
                ("INPUT_NEW_ONLY", "true"),
                ("INPUT_POLICIES_FROM_BASE", "true"),
            ],
            true,
            true,
        ),
    ];
    for (i, (event, inputs, new_only, from_base)) in cases.iter().enumerate() {
        let r = Runner::new(&format!("pr-defaults-{i}"));
        let mut c = r.script();
        c.env("TOLLGATE_BIN", recording_bin(&r))
            .env("GITHUB_EVENT_NAME", event);
        for (k, v) in inputs.iter() {
            c.env(k, v);
        }
        let o = run(c);
        assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
        let calls = r.read("calls");
        let check = calls
            .lines()
            .find(|l| l.starts_with("check "))
            .unwrap_or_else(|| panic!("no check run: {calls}"));
        assert_eq!(
            check.contains(" --new-only "),
            *new_only,
            "{event} {inputs:?}: {check}"
        );
        assert_eq!(
            check.contains(" --policies-from auto "),
            *from_base,
            "{event} {inputs:?}: {check}"
        );
    }
    let r = Runner::new("pr-defaults-bad");
    let mut c = r.script();
    c.env("TOLLGATE_BIN", recording_bin(&r))
        .env("INPUT_NEW_ONLY", "yes");
    let o = run(c);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stdout(&o).contains("::error title=tollgate::new-only must be auto, true or false"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn check_run_and_comment_are_off_unless_asked_for_and_pass_the_token() {
    let r = Runner::new("api-off");
    let mut c = r.script();
    c.env("TOLLGATE_BIN", recording_bin(&r))
        .env("GITHUB_EVENT_NAME", "pull_request");
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let calls = r.read("calls");
    assert!(
        !calls.contains("--github-check") && !calls.contains("--github-comment"),
        "{calls}"
    );

    let r = Runner::new("api-on");
    let bin = r.file("fake-tollgate");
    // Records the arguments, and whether the token reached tollgate (never its value).
    std::fs::write(
        &bin,
        format!(
            "#!/usr/bin/env bash\nprintf '%s token=%s\\n' \"$*\" \"${{GITHUB_TOKEN:+set}}\" >> '{}'\n",
            r.file("calls").display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut c = r.script();
    c.env("TOLLGATE_BIN", &bin)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .env("GITHUB_TOKEN", "ghs_x")
        .env("INPUT_CHECK_RUN", "true")
        .env("INPUT_COMMENT", "true")
        .env("INPUT_PATHS", "--github-check.yaml");
    let o = run(c);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let calls = r.read("calls");
    let check = calls.lines().find(|l| l.starts_with("check ")).unwrap();
    // Both flags, before `--`; a path that looks like a flag stays a path.
    let (opts, paths) = check.split_once(" -- ").unwrap();
    assert!(opts.contains(" --github-check "), "{check}");
    assert!(opts.contains(" --github-comment "), "{check}");
    assert_eq!(paths, "--github-check.yaml token=set", "{check}");

    for (input, value) in [("INPUT_CHECK_RUN", "yes"), ("INPUT_COMMENT", "on")] {
        let r = Runner::new("api-bad");
        let mut c = r.script();
        c.env("TOLLGATE_BIN", recording_bin(&r)).env(input, value);
        let o = run(c);
        assert_eq!(o.status.code(), Some(2), "{input}");
        let name = if input == "INPUT_CHECK_RUN" {
            "check-run"
        } else {
            "comment"
        };
        assert!(
            stdout(&o).contains(&format!(
                "::error title=tollgate::{name} must be true or false, not '{value}'"
            )),
            "{}",
            stdout(&o)
        );
    }
}

#[test]
fn action_yml_declares_the_api_inputs_off_and_passes_the_token() {
    let yml = std::fs::read_to_string(common::repo_root().join("action.yml")).unwrap();
    for (input, default) in [
        ("check-run", "default: \"false\""),
        ("comment", "default: \"false\""),
        ("token", "default: ${{ github.token }}"),
    ] {
        let at = yml
            .find(&format!("\n  {input}:\n"))
            .unwrap_or_else(|| panic!("no input {input}"));
        let block: String = yml[at + 1..]
            .lines()
            .skip(1)
            .take_while(|l| l.starts_with("    "))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(block.contains(default), "{input}: {block}");
    }
    for line in [
        "INPUT_CHECK_RUN: ${{ inputs.check-run }}",
        "INPUT_COMMENT: ${{ inputs.comment }}",
        "GITHUB_TOKEN: ${{ inputs.token }}",
    ] {
        assert!(yml.contains(line), "{line}");
    }
}
