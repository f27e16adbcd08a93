#!/usr/bin/env bash
# Compares the JSON reports of two revisions of tollgate on the same inputs: every fixture case
# of the built-in pack (policies/*/*/fixtures/*), fixtures/demo, and ../shared/corpus when it is
# there. A restructuring that must not change behaviour shows "0 differ".
#
#   scripts/compare-revisions.sh [REV_A [REV_B]]        build both (default: HEAD vs the working tree)
#   scripts/compare-revisions.sh --bin A_BIN B_BIN       compare two built binaries
#
# REV_B may be `WORKTREE` (the checkout as it is). Builds go to target/compare (debug profile, one
# build dir shared by both, so dependencies are built once). Inputs are copied into a temporary
# folder outside any git repository first, so that no `.tollgate.yml` above them is picked up, and
# each is checked from its own folder (paths in the reports are relative). Exit 0 when every
# report is identical, 1 otherwise (the differences are printed with `diff -u`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

build() { # build REV OUT_BIN
  local rev="$1" out="$2" src
  if [ "$rev" = WORKTREE ]; then
    src="$root"
  else
    src="$tmp/src-$(git rev-parse --short "$rev")"
    git worktree add --detach --quiet "$src" "$rev"
  fi
  echo "building $rev" >&2
  CARGO_TARGET_DIR="$root/target/compare" cargo build --quiet --manifest-path "$src/Cargo.toml" --bin tollgate
  cp "$root/target/compare/debug/tollgate" "$out"
  if [ "$rev" != WORKTREE ]; then git worktree remove --force "$src"; fi
}

if [ "${1:-}" = --bin ]; then
  a="$(realpath "$2")" b="$(realpath "$3")"
else
  a="$tmp/tollgate-a" b="$tmp/tollgate-b"
  build "${1:-HEAD}" "$a"
  build "${2:-WORKTREE}" "$b"
fi

inputs="$tmp/inputs"
mkdir -p "$inputs"
for case in policies/*/*/fixtures/*/; do
  name="$(echo "${case%/}" | tr '/' '_')"
  cp -r "$case" "$inputs/$name"
done
cp -r fixtures/demo "$inputs/demo"
corpus="$root/../shared/corpus"
if [ -d "$corpus" ]; then
  cp -r "$corpus" "$inputs/corpus"
  chmod -R u+w "$inputs/corpus"
else
  echo "note: $corpus is missing: the corpus is not compared" >&2
fi

n=0
differ=0
for dir in "$inputs"/*/; do
  n=$((n + 1))
  name="$(basename "$dir")"
  (cd "$dir" && "$a" check -f json --fail-on never --today 2026-06-01 . >"$tmp/a.json" 2>/dev/null) || true
  (cd "$dir" && "$b" check -f json --fail-on never --today 2026-06-01 . >"$tmp/b.json" 2>/dev/null) || true
  if ! cmp -s "$tmp/a.json" "$tmp/b.json"; then
    differ=$((differ + 1))
    echo "== $name differs"
    diff -u "$tmp/a.json" "$tmp/b.json" | head -40 || true
  fi
done
echo "compared $n inputs: $differ differ"
[ "$differ" -eq 0 ]
