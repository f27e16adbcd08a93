//! The human report, snapshotted over the demo repository (which has a malformed manifest next
//! to valid files), and its color and summary behaviour.

mod common;
use common::*;

#[test]
fn demo_repository_human_output() {
    let o = run_in(
        &repo_root(),
        &[
            "check",
            "fixtures/demo",
            "--color",
            "never",
            "--today",
            "2026-11-26",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("demo_human", stdout(&o));
}

#[test]
fn demo_repository_json_output() {
    let o = run_in(
        &repo_root(),
        &[
            "check",
            "fixtures/demo",
            "-f",
            "json",
            "--today",
            "2026-11-26",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    insta::assert_snapshot!("demo_json", stdout(&o));
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let colored = run_in(
        &repo_root(),
        &["check", "fixtures/demo", "--color", "always"],
    );
    assert!(
        stdout(&colored).contains("\u{1b}["),
        "ANSI escapes with --color always"
    );
    let plain = bin()
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .args(["check", "fixtures/demo"])
        .output()
        .unwrap();
    assert!(
        !stdout(&plain).contains("\u{1b}["),
        "NO_COLOR (and no terminal) means plain"
    );
}
