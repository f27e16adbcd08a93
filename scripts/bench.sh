#!/usr/bin/env bash
# End-to-end benchmark of the release binary: prints the median, min and max wall time and the
# median peak RSS over RUNS runs of each case. Figures, not assertions.
#
#   scripts/bench.sh                 # all cases, RUNS=5, a 10,000-file synthetic repository
#   RUNS=9 N=2000 scripts/bench.sh   # other sizes
#   CASES="repo precommit" scripts/bench.sh
#
# Cases: repo (the synthetic repository, 2 threads and 1), precommit (one workflow named inside
# it), single (one workflow alone), compose (200/800/1600/3200 compose files in one folder),
# oneline (a 1.8 MB Trivy report, minified and pretty-printed). The synthetic repository comes
# from `examples/synth.rs` (shapes and proportions in `tests/common/synth.rs`) and is kept in
# target/bench between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-5}"
N="${N:-10000}"
CASES="${CASES:-repo precommit single compose oneline}"
# PROFILE=dev runs the debug build (a quick check of the script, not figures to quote).
PROFILE="${PROFILE:-release}"
cargo build --quiet --profile "$PROFILE" --bin tollgate --example synth
out_dir="$PWD/target/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")"
bin="$out_dir/tollgate"
synth="$out_dir/examples/synth"
work="$PWD/target/bench-$PROFILE"
mkdir -p "$work"

# measure LABEL DIR CMD...: runs CMD in DIR RUNS times.
measure() {
  local label="$1" dir="$2"
  shift 2
  local times=() rss=()
  for _ in $(seq "$RUNS"); do
    local out
    (cd "$dir" && /usr/bin/time -o "$work/.time" -f '%e %M' "$@" >/dev/null 2>&1) || true
    out="$(tail -1 "$work/.time")"
    times+=("${out% *}")
    rss+=("${out#* }")
  done
  python3 - "$label" "${times[@]}" -- "${rss[@]}" <<'EOF'
import statistics, sys
args = sys.argv[2:]
cut = args.index("--")
t = sorted(float(x) for x in args[:cut])
r = sorted(int(x) for x in args[cut + 1:])
print(f"{sys.argv[1]:<44} median {statistics.median(t)*1000:8.0f} ms  (min {t[0]*1000:.0f}, max {t[-1]*1000:.0f})  peak RSS {statistics.median(r)/1024:6.0f} MB")
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
      wf="$(cd "$repo" && ls .github/workflows | head -1)"
      measure "one workflow named in the $N-file repository" "$repo" "$bin" check --fail-on never ".github/workflows/$wf"
      ;;
    single)
      one="$work/single"
      if [ ! -d "$one" ]; then
        mkdir -p "$one/.github/workflows"
        cp "$repo/.github/workflows/$(cd "$repo" && ls .github/workflows | head -1)" "$one/.github/workflows/ci.yml"
      fi
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
    *)
      echo "unknown case $case" >&2
      exit 2
      ;;
  esac
done
