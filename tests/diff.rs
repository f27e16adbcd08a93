//! Diff-aware gating on real repositories built with git2 in temporary folders: `--new-only`,
//! `--changed-files`, `--diff-base REF|auto` (GitHub's merge commit, `GITHUB_BASE_REF`),
//! committed and uncommitted changes, renames, deleted files and project-scope rules, shallow
//! clones without the base commit, and baselines that follow renamed files.

mod common;

use common::{bin, json, locations, repo_root, stderr, stdout, Scratch};
use git2::{IndexAddOption, Oid, Repository, Signature};
use serde_json::Value;
use std::path::Path;
use std::process::Output;

const GITHUB_VARS: &[&str] = &[
    "GITHUB_ACTIONS",
    "GITHUB_EVENT_NAME",
    "GITHUB_BASE_REF",
    "GITHUB_HEAD_REF",
    "GITHUB_EVENT_PATH",
    "GITHUB_SHA",
    "GITHUB_REPOSITORY",
    "GITHUB_TOKEN",
    "GITHUB_API_URL",
    "GITHUB_SERVER_URL",
    "GITHUB_STEP_SUMMARY",
];

/// A Deployment with one finding (`k8s-zero-downtime-rollout` at `maxUnavailable: 1`, line 11).
fn deployment(name: &str) -> String {
    format!(
        "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  replicas: 3
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 1
  selector:
    matchLabels: {{app: {name}}}
  template:
    metadata:
      labels: {{app: {name}}}
    spec:
      securityContext: {{runAsNonRoot: true}}
      containers:
        - name: {name}
          image: ghcr.io/acme/{name}:1.8.0
          readinessProbe:
            httpGet: {{path: /readyz, port: 8080}}
          livenessProbe:
            httpGet: {{path: /healthz, port: 8080}}
          resources:
            requests: {{cpu: 250m, memory: 256Mi}}
            limits: {{memory: 512Mi}}
"
    )
}

/// A repository in a scratch folder.
struct Git {
    s: Scratch,
    repo: Repository,
}

impl Git {
    fn new(name: &str) -> Git {
        let s = Scratch::new(&format!("diff-{name}"));
        let repo = Repository::init_opts(
            s.path(),
            git2::RepositoryInitOptions::new().initial_head("main"),
        )
        .unwrap();
        let mut cfg = repo.config().unwrap();
        cfg.set_str("user.name", "t").unwrap();
        cfg.set_str("user.email", "t@example.com").unwrap();
        Git { s, repo }
    }

    fn write(&self, rel: &str, text: &str) -> &Self {
        self.s.write(rel, text);
        self
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.s.path().join(rel)).unwrap();
    }

    fn sig() -> Signature<'static> {
        Signature::new("t", "t@example.com", &git2::Time::new(1_700_000_000, 0)).unwrap()
    }

    /// Stages everything (additions, changes, deletions) and returns the tree.
    fn stage(&self) -> Oid {
        let mut index = self.repo.index().unwrap();
        index.add_all(["*"], IndexAddOption::DEFAULT, None).unwrap();
        index.update_all(["*"], None).unwrap();
        index.write().unwrap();
        index.write_tree().unwrap()
    }

    /// Commits everything on HEAD's branch.
    fn commit(&self, msg: &str) -> Oid {
        let tree = self.repo.find_tree(self.stage()).unwrap();
        let parent = self.repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit> = parent.iter().collect();
        self.repo
            .commit(
                Some("HEAD"),
                &Self::sig(),
                &Self::sig(),
                msg,
                &tree,
                &parents,
            )
            .unwrap()
    }

    /// Creates `name` at HEAD and switches to it (the working tree stays).
    fn branch(&self, name: &str) {
        let head = self.repo.head().unwrap().peel_to_commit().unwrap();
        self.repo.branch(name, &head, true).unwrap();
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
    }

    /// Switches to `name`, checking its tree out.
    fn switch(&self, name: &str) {
        self.repo.set_head(&format!("refs/heads/{name}")).unwrap();
        self.repo
            .checkout_head(Some(
                git2::build::CheckoutBuilder::new()
                    .force()
                    .remove_untracked(true),
            ))
            .unwrap();
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = bin();
        for v in GITHUB_VARS {
            c.env_remove(v);
        }
        c.current_dir(self.s.path()).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().expect("tollgate runs")
    }

    fn json(&self, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Value) {
        let mut all = vec!["check", "--format", "json"];
        all.extend_from_slice(args);
        let o = self.run(&all, env);
        (o.status.code(), json(&o))
    }
}

type Loc = (String, String, u64, u64, u64, u64);

fn loc(rule: &str, file: &str, line: u64, col: u64, end_col: u64) -> Loc {
    (rule.into(), file.into(), line, col, line, end_col)
}

/// main: `api.yaml` with one finding. feature: a committed `worker.yaml` with one, comments
/// inserted above the finding of `api.yaml`, and an uncommitted `jobs.yaml` with one.
fn feature_repo(name: &str) -> Git {
    let g = Git::new(name);
    g.write("deploy/api.yaml", &deployment("api"));
    g.write("README.md", "# service\n");
    g.commit("base");
    g.branch("feature");
    g.write("deploy/worker.yaml", &deployment("worker"));
    g.write(
        "deploy/api.yaml",
        &format!("# the API\n# moved down\n{}", deployment("api")),
    );
    g.commit("feature");
    g.write("deploy/jobs.yaml", &deployment("jobs"));
    g
}

#[test]
fn new_only_reports_committed_and_uncommitted_findings_the_branch_adds() {
    let g = feature_repo("newonly");
    let (code, all) = g.json(&[], &[]);
    assert_eq!(locations(&all).len(), 3, "{all}");
    assert_eq!(code, Some(1));
    let (code, v) = g.json(&["--new-only", "--diff-base", "main"], &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        locations(&v),
        vec![
            loc("k8s-zero-downtime-rollout", "deploy/jobs.yaml", 11, 7, 24),
            loc("k8s-zero-downtime-rollout", "deploy/worker.yaml", 11, 7, 24),
        ]
    );
    assert_eq!(v["summary"]["pre_existing"], 1, "{v}");
    assert_eq!(v["diff"]["base"], "`main`");
    assert_eq!(v["diff"]["mode"], "new-only");
    assert_eq!(v["diff"]["touched_files"], 3);
    let human = g.run(&["check", "--new-only", "--diff-base", "main"], &[]);
    assert!(
        stdout(&human).contains("1 pre-existing left out (not new since `main`)"),
        "{}",
        stdout(&human)
    );
    // --diff-base alone means --new-only.
    let (_, alone) = g.json(&["--diff-base", "main"], &[]);
    assert_eq!(locations(&alone), locations(&v));
    // Fixing the moved finding's value on the branch does not make anything new.
    g.write(
        "deploy/api.yaml",
        &deployment("api").replace("maxUnavailable: 1", "maxUnavailable: 0"),
    );
    let (_, fixed) = g.json(&["--new-only", "--diff-base", "main"], &[]);
    assert_eq!(locations(&fixed), locations(&v));
    assert_eq!(fixed["summary"]["pre_existing"], 0, "{fixed}");
}

#[test]
fn changed_files_reports_everything_in_touched_files_only() {
    let g = feature_repo("changed");
    g.write("deploy/other.yaml", &deployment("other"));
    // other.yaml goes into the base commit of a second branch, so it is untouched there.
    let (code, v) = g.json(&["--changed-files", "--diff-base", "main"], &[]);
    assert_eq!(code, Some(1));
    // other.yaml is untracked, so touched: every file has its finding.
    assert_eq!(locations(&v).len(), 4, "{v}");
    g.commit("other");
    g.branch("second");
    g.write(
        "deploy/worker.yaml",
        &format!("# edit\n{}", deployment("worker")),
    );
    let (code, v) = g.json(&["--changed-files", "--diff-base", "feature"], &[]);
    assert_eq!(code, Some(1));
    assert_eq!(
        locations(&v),
        vec![loc(
            "k8s-zero-downtime-rollout",
            "deploy/worker.yaml",
            12,
            7,
            24
        )]
    );
    assert_eq!(v["summary"]["pre_existing"], 3, "{v}");
    assert_eq!(v["diff"]["mode"], "changed-files");
}

#[test]
fn a_diff_that_touches_no_checked_file_is_a_clean_run_that_says_so() {
    let g = Git::new("nochecked");
    g.write("deploy/api.yaml", &deployment("api"));
    g.commit("base");
    g.branch("feature");
    g.write("README.md", "# docs only\n");
    let (code, v) = g.json(&["--new-only", "--diff-base", "main"], &[]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["findings"], Value::Array(Vec::new()));
    assert_eq!(v["summary"]["pre_existing"], 1);
    assert_eq!(v["diff"]["touched_files"], 0);
    let o = g.run(&["check", "--new-only", "--diff-base", "main"], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("the diff against `main` touches no checked file"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_renamed_file_keeps_its_findings_old_and_its_baseline_entries() {
    let g = Git::new("rename");
    g.write("deploy/api.yaml", &deployment("api"));
    g.commit("base");
    let o = g.run(&["baseline"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    g.commit("baseline");
    g.branch("feature");
    let text = std::fs::read_to_string(g.s.path().join("deploy/api.yaml")).unwrap();
    g.remove("deploy/api.yaml");
    g.write("k8s/api.yaml", &format!("# moved\n{text}"));
    g.commit("move");
    let (code, v) = g.json(&["--new-only", "--diff-base", "main"], &[]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["summary"]["pre_existing"], 1, "{v}");
    // The baseline's entry follows the file: with --changed-files the renamed file is touched,
    // and the baseline still leaves its finding out.
    let (code, v) = g.json(
        &[
            "--changed-files",
            "--diff-base",
            "main",
            "--baseline",
            ".tollgate-baseline.json",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["summary"]["baseline_unmatched"], 0, "{v}");
    assert_eq!(v["summary"]["pre_existing"], 1, "{v}");
    // Without the diff, git's rename is unknown: the entry is for the old path.
    let (code, v) = g.json(&["--baseline", ".tollgate-baseline.json"], &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        v["baseline"]["unmatched"][0]["file"], "deploy/api.yaml",
        "{v}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

#[test]
fn deleting_the_backup_cronjob_fails_on_the_database_it_backed_up() {
    let g = Git::new("project");
    copy_dir(
        &repo_root().join("policies/kubernetes/postgres-backup/fixtures/pass"),
        g.s.path(),
    );
    g.commit("base");
    g.branch("feature");
    g.remove("ops/backup.yaml");
    for mode in ["--new-only", "--changed-files"] {
        let (code, v) = g.json(&[mode, "--diff-base", "main"], &[]);
        assert_eq!(code, Some(1), "{mode}: {v}");
        let rules: Vec<Loc> = locations(&v)
            .into_iter()
            .filter(|l| l.0 == "postgres-backup")
            .collect();
        assert_eq!(
            rules,
            vec![loc("postgres-backup", "deploy/db/postgres.yaml", 3, 1, 18)],
            "{mode}: {v}"
        );
    }
}

/// main: base B0; feature (from B0): F adds worker.yaml; main moves on: B1 adds other.yaml
/// (with a finding); HEAD: GitHub's merge commit M (parents B1, F), detached.
fn merge_repo(name: &str) -> (Git, Oid) {
    let g = Git::new(name);
    g.write("deploy/api.yaml", &deployment("api"));
    let b0 = g.commit("base");
    g.branch("feature");
    g.write("deploy/worker.yaml", &deployment("worker"));
    let f = g.commit("feature");
    g.switch("main");
    g.write("deploy/other.yaml", &deployment("other"));
    let b1 = g.commit("main moves on");
    let _ = b0;
    g.write("deploy/worker.yaml", &deployment("worker"));
    let m = {
        let tree = g.repo.find_tree(g.stage()).unwrap();
        let parents = [
            &g.repo.find_commit(b1).unwrap(),
            &g.repo.find_commit(f).unwrap(),
        ];
        g.repo
            .commit(
                None,
                &Git::sig(),
                &Git::sig(),
                "Merge F into B1",
                &tree,
                &parents,
            )
            .unwrap()
    };
    g.repo.set_head_detached(m).unwrap();
    g.repo
        .checkout_head(Some(git2::build::CheckoutBuilder::new().force()))
        .unwrap();
    (g, m)
}

#[test]
fn auto_base_is_the_first_parent_of_githubs_merge_commit() {
    let (g, _) = merge_repo("merge");
    let env = [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ];
    let (code, v) = g.json(&["--new-only"], &env);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        locations(&v),
        vec![loc(
            "k8s-zero-downtime-rollout",
            "deploy/worker.yaml",
            11,
            7,
            24
        )]
    );
    assert_eq!(v["summary"]["pre_existing"], 2, "{v}");
    assert!(
        v["diff"]["base"].as_str().unwrap().contains("first parent"),
        "{v}"
    );
    // As the action runs it: the policies from the same base.
    let (code, v2) = g.json(&["--new-only", "--policies-from", "auto"], &env);
    assert_eq!(code, Some(1), "{v2}");
    assert_eq!(locations(&v2), locations(&v));
    assert_eq!(v2["policy_changes"], serde_json::json!([]));
}

#[test]
fn auto_base_uses_github_base_ref_then_the_upstream() {
    let g = feature_repo("baseref");
    // origin/main as a remote-tracking branch.
    let main = g.repo.revparse_single("main").unwrap().id();
    g.repo
        .reference("refs/remotes/origin/main", main, true, "fetch")
        .unwrap();
    let env = [("GITHUB_EVENT_NAME", "push"), ("GITHUB_BASE_REF", "main")];
    let (code, v) = g.json(&["--new-only"], &env);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["diff"]["base"], "`origin/main`");
    assert_eq!(locations(&v).len(), 2, "{v}");
    // No GitHub variables: the upstream of the branch.
    let mut cfg = g.repo.config().unwrap();
    cfg.set_str("remote.origin.url", "https://example.invalid/r.git")
        .unwrap();
    cfg.set_str("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")
        .unwrap();
    cfg.set_str("branch.feature.remote", "origin").unwrap();
    cfg.set_str("branch.feature.merge", "refs/heads/main")
        .unwrap();
    let (code, v) = g.json(&["--changed-files"], &[]);
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["diff"]["base"], "`origin/main`");
    // Neither: one clear error, every finding still reported, exit 2.
    let g2 = feature_repo("nobase");
    let (code, v) = g2.json(&["--new-only"], &[]);
    assert_eq!(code, Some(2), "{v}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 1, "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--diff-base REF"),
        "{v}"
    );
    assert_eq!(locations(&v).len(), 3);
}

#[test]
fn a_shallow_clone_without_the_base_commit_is_one_error_naming_the_fetch_depth() {
    let (g, m) = merge_repo("shallow");
    // What `actions/checkout` with the default depth 1 leaves: the merge commit only, grafted
    // as a root by `.git/shallow`, no base branch.
    std::fs::write(g.s.path().join(".git/shallow"), format!("{m}\n")).unwrap();
    let parents: Vec<Oid> = g.repo.find_commit(m).unwrap().parent_ids().collect();
    for p in parents {
        let hex = p.to_string();
        std::fs::remove_file(
            g.s.path()
                .join(format!(".git/objects/{}/{}", &hex[..2], &hex[2..])),
        )
        .unwrap();
    }
    for name in ["main", "feature"] {
        g.repo
            .find_reference(&format!("refs/heads/{name}"))
            .unwrap()
            .delete()
            .unwrap();
    }
    let env = [
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_BASE_REF", "main"),
    ];
    let (code, v) = g.json(&["--new-only"], &env);
    assert_eq!(code, Some(2), "{v}");
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{v}");
    let msg = errors[0]["message"].as_str().unwrap();
    assert!(msg.contains("fetch-depth: 2"), "{msg}");
    // Findings are still all reported.
    assert_eq!(locations(&v).len(), 3, "{v}");
    // Outside a pull_request run: origin/main is missing.
    let (code, v) = g.json(&["--new-only"], &[("GITHUB_BASE_REF", "main")]);
    assert_eq!(code, Some(2));
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("`origin/main`") && msg.contains("fetch-depth: 0"),
        "{msg}"
    );
}

#[test]
fn outside_a_repository_the_diff_modes_are_one_error() {
    let s = Scratch::new("diff-norepo");
    s.write("deploy/api.yaml", &deployment("api"));
    let mut c = bin();
    for v in GITHUB_VARS {
        c.env_remove(v);
    }
    let o = c
        .current_dir(s.path())
        .args([
            "check",
            "--format",
            "json",
            "--new-only",
            "--diff-base",
            "main",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not in a git repository"),
        "{v}"
    );
    assert_eq!(locations(&v).len(), 1);
}

/// A team policy: no Deployment named `legacy`.
const NO_LEGACY: &str = "\
# METADATA
# title: No legacy Deployments
# custom:
#   id: no-legacy
#   severity: error
#   input: [kubernetes]
package tollgate.team.no_legacy

import rego.v1

deny contains {\"msg\": \"the legacy Deployment is retired\", \"path\": [\"metadata\", \"name\"]} if {
	input.kind == \"Deployment\"
	input.metadata.name == \"legacy\"
}
";

#[test]
fn policies_from_the_base_ignore_what_the_pull_request_loosens_and_say_so() {
    let g = Git::new("policiesfrom");
    g.write(".tollgate.yml", "policies: [team]\n");
    g.write("team/no_legacy.rego", NO_LEGACY);
    g.write("deploy/api.yaml", &deployment("api"));
    g.commit("base");
    g.branch("feature");
    // The pull request adds a `legacy` Deployment, switches the rollout rule off, neuters the
    // team policy, and adds a baseline listing its own finding.
    g.write("deploy/legacy.yaml", &deployment("legacy"));
    g.write(
        ".tollgate.yml",
        "policies: [team]\nignore: [k8s-zero-downtime-rollout]\n",
    );
    g.write(
        "team/no_legacy.rego",
        &NO_LEGACY.replace("input.metadata.name == \"legacy\"", "false"),
    );
    g.write("team/extra.rego", "package tollgate.team.extra\n");
    // As the pull request wants it: nothing fails.
    let (code, v) = g.json(&[], &[]);
    assert_eq!(code, Some(0), "{v}");
    // With the base's policies: both findings on legacy.yaml, and the changes are listed.
    let (code, v) = g.json(
        &[
            "--policies-from",
            "main",
            "--new-only",
            "--diff-base",
            "main",
        ],
        &[],
    );
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(
        locations(&v),
        vec![
            loc("no-legacy", "deploy/legacy.yaml", 4, 3, 15),
            loc("k8s-zero-downtime-rollout", "deploy/legacy.yaml", 11, 7, 24),
        ]
    );
    assert_eq!(
        v["policy_changes"],
        serde_json::json!([".tollgate.yml", "team/extra.rego", "team/no_legacy.rego"]),
        "{v}"
    );
    let o = g.run(&["check", "--policies-from", "main"], &[]);
    assert!(
        stdout(&o).contains(
            "note: policy changes in this pull request take effect after merge: .tollgate.yml, team/extra.rego, team/no_legacy.rego"
        ),
        "{}",
        stdout(&o)
    );
    let md = g.run(
        &["check", "--format", "markdown", "--policies-from", "main"],
        &[],
    );
    assert!(
        stdout(&md).contains("take effect after merge"),
        "{}",
        stdout(&md)
    );
    // A baseline the pull request adds is not at the base: one error.
    g.write(".tollgate-baseline.json", "{\"version\":1,\"findings\":[]}");
    let (code, v) = g.json(
        &[
            "--policies-from",
            "main",
            "--baseline",
            ".tollgate-baseline.json",
        ],
        &[],
    );
    assert_eq!(code, Some(2), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not at main"),
        "{v}"
    );
    // An unknown revision is one error, and the working tree's policies are not used instead
    // silently: the error says so and the exit code is 2.
    let (code, v) = g.json(&["--policies-from", "nosuchbranch"], &[]);
    assert_eq!(code, Some(2), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("--policies-from"),
        "{v}"
    );
}

#[test]
fn waivers_the_pull_request_adds_apply_are_listed_and_can_be_refused() {
    let g = Git::new("newwaivers");
    let old_waiver = deployment("old").replace(
        "      maxUnavailable: 1",
        "      # tollgate: ignore[k8s-zero-downtime-rollout] expires=2099-01-31 agreed in 2025\n      maxUnavailable: 1",
    );
    g.write("deploy/old.yaml", &old_waiver);
    g.write("deploy/api.yaml", &deployment("api"));
    g.commit("base");
    g.branch("feature");
    g.write(
        "deploy/api.yaml",
        &deployment("api").replace(
            "      maxUnavailable: 1",
            "      # tollgate: ignore[k8s-zero-downtime-rollout] expires=2099-12-31 the PR says so\n      maxUnavailable: 1",
        ),
    );
    g.write("deploy/old.yaml", &format!("# touched\n{old_waiver}"));
    let (code, v) = g.json(&["--changed-files", "--diff-base", "main"], &[]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(
        v["new_waivers"],
        serde_json::json!([{"file": "deploy/api.yaml", "line": 11, "rules": ["k8s-zero-downtime-rollout"],
                            "reason": "the PR says so", "expires": "2099-12-31", "applied": true}]),
        "{v}"
    );
    let o = g.run(&["check", "--changed-files", "--diff-base", "main"], &[]);
    assert!(
        stdout(&o).contains("note: waiver added by this pull request: deploy/api.yaml:11 (k8s-zero-downtime-rollout): the PR says so, expires 2099-12-31"),
        "{}",
        stdout(&o)
    );
    // --no-new-waivers: the new waiver's finding counts; the old waiver still applies.
    let (code, v) = g.json(
        &["--changed-files", "--diff-base", "main", "--no-new-waivers"],
        &[],
    );
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["new_waivers"][0]["applied"], false);
    let active: Vec<Loc> = locations(&v)
        .into_iter()
        .zip(v["findings"].as_array().unwrap())
        .filter(|(_, f)| f.get("suppressed").is_none())
        .map(|(l, _)| l)
        .collect();
    assert_eq!(
        active,
        vec![loc(
            "k8s-zero-downtime-rollout",
            "deploy/api.yaml",
            12,
            7,
            24
        )],
        "{v}"
    );
}

/// A conftest-style team policy reading `data.yaml` beside it with `parse_config_file`.
const REGISTRY: &str = "package main

import rego.v1

registries := parse_config_file(\"data.yaml\").registries

deny contains msg if {
  input.kind == \"Deployment\"
  some c in input.spec.template.spec.containers
  not startswith_any(c.image)
  msg := sprintf(\"container %s runs an image from an unapproved registry\", [c.name])
}

startswith_any(image) if {
  some r in registries
  startswith(image, r)
}
";

/// Under `--policies-from REF`, a team policy's relative `parse_config_file` reads the file
/// beside it as it is at REF, from the object database: the pull request cannot loosen the
/// data by editing or deleting it; a path out of the repository is refused.
#[test]
fn policies_from_reads_relative_config_files_at_the_revision() {
    let g = Git::new("policies-from-relative");
    g.write(".tollgate.yml", "policies: [team]\n");
    g.write("team/registry.rego", REGISTRY);
    g.write("team/data.yaml", "registries: [ghcr.io/acme/]\n");
    g.write(
        "deploy/web.yaml",
        &deployment("web").replace("ghcr.io/acme/web:1.8.0", "docker.io/library/nginx:1.27"),
    );
    g.commit("base");
    g.branch("feature");
    // The pull request approves the registry it uses.
    g.write(
        "team/data.yaml",
        "registries: [ghcr.io/acme/, docker.io/]\n",
    );
    let (code, v) = g.json(&["--no-builtin"], &[]);
    assert_eq!(code, Some(0), "{v}");
    let want = vec![loc("main/deny", "deploy/web.yaml", 21, 11, 46)];
    let (code, v) = g.json(&["--no-builtin", "--policies-from", "main"], &[]);
    assert_eq!(code, Some(1), "{v}");
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(locations(&v), want, "{v}");
    // Deleted from the working tree: still read at main.
    g.remove("team/data.yaml");
    let (code, v) = g.json(&["--no-builtin", "--policies-from", "main"], &[]);
    assert_eq!(code, Some(1), "{v}");
    assert!(v["errors"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(locations(&v), want, "{v}");
    // A revision whose policy reads out of the repository: refused, located at the call,
    // whatever the disk holds there.
    g.write("team/data.yaml", "registries: [ghcr.io/acme/]\n");
    g.write(
        "team/registry.rego",
        &REGISTRY.replace("\"data.yaml\"", "\"../../outside.yaml\""),
    );
    g.commit("escape");
    std::fs::write(
        g.s.path().join("../outside.yaml"),
        "registries: [docker.io/]\n",
    )
    .unwrap();
    let (code, v) = g.json(&["--no-builtin", "--policies-from", "feature"], &[]);
    let _ = std::fs::remove_file(g.s.path().join("../outside.yaml"));
    assert_eq!(code, Some(2), "{v}");
    let e = &v["errors"][0];
    assert_eq!(e["file"], "team/registry.rego", "{v}");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(5), Some(32)),
        "{v}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("parse_config_file: ../../outside.yaml"),
        "{v}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("outside the repository"),
        "{v}"
    );
}

#[test]
fn a_baseline_from_the_base_policies_holds_what_they_find() {
    let g = Git::new("baselinefrom");
    g.write(".tollgate.yml", "policies: [team]\n");
    g.write("team/no_legacy.rego", NO_LEGACY);
    g.write("deploy/legacy.yaml", &deployment("legacy"));
    g.commit("base");
    g.branch("feature");
    // The branch loosens the configuration and neuters the team policy.
    g.write(
        ".tollgate.yml",
        "policies: [team]\nignore: [k8s-zero-downtime-rollout]\n",
    );
    g.write(
        "team/no_legacy.rego",
        &NO_LEGACY.replace("input.metadata.name == \"legacy\"", "false"),
    );
    let rules = |text: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(text).unwrap();
        let mut r: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["rule"].as_str().unwrap().to_string())
            .collect();
        r.sort();
        r
    };
    let baseline = g.s.path().join(".tollgate-baseline.json");
    // From the working tree: the loosened policies find nothing.
    let o = g.run(&["baseline"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(rules(&std::fs::read_to_string(&baseline).unwrap()).is_empty());
    // From main: both findings, and a note that the working tree's changes are not applied.
    let o = g.run(&["baseline", "--policies-from", "main"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        rules(&std::fs::read_to_string(&baseline).unwrap()),
        vec!["k8s-zero-downtime-rollout", "no-legacy"]
    );
    assert!(stdout(&o).contains("with 2 entries"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains(
            "note: the working tree's changes to .tollgate.yml, team/no_legacy.rego are not applied: the baseline holds what the policies at main find"
        ),
        "{}",
        stderr(&o)
    );
    // An unknown revision: exit 2, and no baseline written.
    std::fs::remove_file(&baseline).unwrap();
    let o = g.run(&["baseline", "--policies-from", "nosuchbranch"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--policies-from"), "{}", stderr(&o));
    assert!(!baseline.exists());
}
