//! The built-in pack: every Rego unit test and fixture test passes (`tollgate test`), a moved
//! fixture mark fails with a located message, and `tollgate check` on a copy of the fixtures
//! reports each planted violation at its mark.

mod common;
use common::*;

#[test]
fn the_builtin_pack_passes_its_own_tests() {
    let o = run_in(&repo_root(), &["test"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let last = out.lines().last().unwrap_or_default();
    assert!(last.contains(" passed, 0 failed"), "{out}");
}

#[test]
fn a_moved_mark_fails_with_a_located_message() {
    let s = Scratch::new("moved-mark");
    let rule = "kubernetes/zero-downtime-rollout";
    copy_dir(
        &repo_root().join("policies").join(rule),
        &s.path().join("policies").join(rule),
    );
    copy_dir(
        &repo_root().join("policies/lib"),
        &s.path().join("policies/lib"),
    );
    let fixture = s
        .path()
        .join("policies")
        .join(rule)
        .join("fixtures/fail/deploy/api.yaml");
    let text = std::fs::read_to_string(&fixture).unwrap();
    // Move the mark on `type: Recreate` one line down.
    let moved = text.replace(
        "    type: Recreate  # expect: k8s-zero-downtime-rollout\n  template:\n",
        "    type: Recreate\n  template:  # expect: k8s-zero-downtime-rollout\n",
    );
    assert_ne!(moved, text, "the fixture changed shape");
    std::fs::write(&fixture, moved).unwrap();
    let o = run_in(s.path(), &["test", "policies"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let file = format!("policies/{rule}/fixtures/fail/deploy/api.yaml");
    assert!(
        out.contains(&format!(
            "{file}:20: expected a `k8s-zero-downtime-rollout` finding on this line"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{file}:19: unexpected `k8s-zero-downtime-rollout` finding"
        )),
        "{out}"
    );
}

#[test]
fn check_on_a_copy_of_the_fail_fixtures_reports_every_mark() {
    // Every rule's fail fixtures, copied out of the pack; each is its own scan root (project
    // rules and the `.trivyignore` depend on the root), checked with the embedded pack.
    let s = Scratch::new("all-fixtures");
    let root = repo_root().join("policies");
    let mut checked = 0;
    for cat in std::fs::read_dir(&root).unwrap().flatten() {
        if !cat.path().is_dir() {
            continue;
        }
        for rule in std::fs::read_dir(cat.path()).unwrap().flatten() {
            let fail = rule.path().join("fixtures/fail");
            if !fail.is_dir() {
                continue;
            }
            let name = format!(
                "{}-{}",
                cat.file_name().to_string_lossy(),
                rule.file_name().to_string_lossy()
            );
            let dir = s.path().join(&name);
            copy_dir(&fail, &dir);
            let prefix = format!("{}/", dir.display());
            let o = run_in(&dir, &["check", "-f", "json", "--fail-on", "never"]);
            let found: Vec<(String, String, u64)> = locations(&json(&o))
                .into_iter()
                .map(|l| (l.0, l.1, l.2))
                .collect();
            for ((file, line), rules) in tollgate::testing::marks(&dir) {
                let rel = file.strip_prefix(&prefix).unwrap_or(&file).to_string();
                for r in rules {
                    checked += 1;
                    assert!(
                        found
                            .iter()
                            .any(|f| f.0 == r && f.1 == rel && f.2 == line as u64),
                        "{name}/{rel}:{line}: no {r} finding; found {found:?}"
                    );
                }
            }
        }
    }
    assert!(checked > 0);
}

#[test]
fn testing_a_folder_uses_its_own_library_files() {
    let s = Scratch::new("own-lib");
    copy_dir(
        &repo_root().join("policies/lib"),
        &s.path().join("policies/lib"),
    );
    let lib = s.path().join("policies/lib/result.rego");
    let text = std::fs::read_to_string(&lib).unwrap() + "\nprobe := \"on-disk\"\n";
    std::fs::write(&lib, text).unwrap();
    s.write(
        "policies/x/x_test.rego",
        "package x_test\n\nimport rego.v1\n\ntest_lib_is_the_on_disk_one if data.tollgate.lib.result.probe == \"on-disk\"\n",
    );
    let o = run_in(s.path(), &["test", "policies", "--namespace", "x_test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 passed, 0 failed"), "{}", stdout(&o));
}

#[test]
fn docs_rules_md_is_generated_from_the_rule_readmes() {
    let set = tollgate::cli::load_policies(&[], false, false);
    let want = tollgate::policy::docs::rules_markdown(&set.rules);
    let path = repo_root().join("docs/rules.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test pack`"
    );
    // Every built-in rule has its README and title, and every rule folder of the pack loaded
    // as a rule (the count follows the folders, so adding a rule never breaks this test).
    let builtin: Vec<_> = set.rules.iter().filter(|r| r.builtin).collect();
    let folders = std::fs::read_dir(repo_root().join("policies"))
        .unwrap()
        .flatten()
        .filter(|c| c.file_name() != "lib" && c.path().is_dir())
        .flat_map(|c| std::fs::read_dir(c.path()).unwrap().flatten())
        .filter(|r| r.path().join("README.md").is_file())
        .count();
    assert_eq!(
        builtin.len(),
        folders,
        "{:?}",
        builtin.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    for r in builtin {
        assert!(r.readme.is_some(), "{} has no README", r.id);
        assert!(r.title.is_some(), "{} has no title", r.id);
    }
}
