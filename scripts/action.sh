#!/usr/bin/env bash
# The logic of the tollgate GitHub Action (action.yml), kept here so that it can be tested
# (tests/action.rs) and run by hand.
#
#   scripts/action.sh prepare   print `dir=` and `key=` (GITHUB_OUTPUT) for the cache step
#   scripts/action.sh           find or install tollgate, run one check, set the outputs
#
# The check prints GitHub annotations, appends the job summary (GITHUB_STEP_SUMMARY), writes the
# SARIF report, and sets the outputs `findings`, `errors`, `sarif-file` and `exit-code`. The
# script exits with tollgate's exit code: 0 passed, 1 findings at or above the fail level,
# 2 policy, configuration or usage errors (and failures to install).
#
# Inputs, as the action passes them:
#   INPUT_PATHS       files or folders to check, separated by spaces or newlines (default: .)
#   INPUT_CONFIG      a configuration file (default: tollgate finds .tollgate.yml)
#   INPUT_POLICIES    extra policy folders or files, separated by spaces or newlines
#   INPUT_FAIL_ON     error, warning, note or never (default: the configuration's, else error)
#   INPUT_SARIF_FILE  where to write SARIF (default: tollgate.sarif)
#   INPUT_ARGS        more arguments for `tollgate check`, split on whitespace
#   INPUT_INSTALL     auto (the released binary of this version, else build from source),
#                     release (the released binary or fail), source (always build)
#   INPUT_NEW_ONLY    auto (--new-only on pull_request and pull_request_target events), true,
#                     false
#   INPUT_POLICIES_FROM_BASE  auto (--policies-from auto on pull_request and
#                     pull_request_target events: policies as they are on the base), true, false
#   INPUT_CHECK_RUN   true: --github-check (a check run `tollgate` with every finding as an
#                     annotation; needs `checks: write`); default false
#   INPUT_COMMENT     true: --github-comment (one sticky pull-request comment; needs
#                     `pull-requests: write`); default false
#   GITHUB_TOKEN      the token of these two (the action passes its `token` input); tollgate
#                     never prints it
# Settings:
#   TOLLGATE_BIN            use this tollgate binary as it is
#   TOLLGATE_INSTALL_DIR    where tollgate is installed (bin/tollgate inside); cached by the action
#   TOLLGATE_DOWNLOAD_BASE  where releases are downloaded from; the archive is
#                           $BASE/v$VERSION/tollgate-$TARGET.tar.gz
#   TOLLGATE_CHECKSUMS      the file of pinned checksums (default: release-checksums.txt in
#                           the action's own checkout). A release binary is installed only if
#                           its SHA-256 is written there (`<sha256>  v<version>/tollgate-<target>
#                           .tar.gz`, committed by the release workflow before tagging), so that
#                           pinning the action by commit pins the binary too; a checksum
#                           downloaded beside the archive is not trusted.
#   TOLLGATE_VERSION        the version to download (default: the action's Cargo.toml version)
#   TOLLGATE_TARGET         the target triple to download (default: this machine's)
#   TOLLGATE_INSTALL_CMD    the command that builds from source (default: cargo install
#                           --locked --path "$GITHUB_ACTION_PATH" --root "$TOLLGATE_INSTALL_DIR")
#   GITHUB_ACTION_PATH      the action's own checkout (default: the repository of this script)
set -euo pipefail

ACTION_PATH="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
DEFAULT_BASE="https://github.com/tollgate-dev/tollgate/releases/download"
INSTALL_DIR="${TOLLGATE_INSTALL_DIR:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tollgate-action}"
export TOLLGATE_INSTALL_DIR="$INSTALL_DIR" GITHUB_ACTION_PATH="$ACTION_PATH"

log() { printf 'tollgate-action: %s\n' "$*"; }
fail() {
  # A failure of the action itself: an annotation, exit 2.
  printf '::error title=tollgate::%s\n' "$*"
  exit 2
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | awk '{print $1}'
  else
    shasum -a 256 "$1" | awk '{print $1}'
  fi
}

set_output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

version() {
  if [ -n "${TOLLGATE_VERSION:-}" ]; then
    echo "${TOLLGATE_VERSION#v}"
    return
  fi
  sed -n 's/^version *= *"\([^"]*\)".*/\1/p' "$ACTION_PATH/Cargo.toml" | head -n1
}

target() {
  if [ -n "${TOLLGATE_TARGET:-}" ]; then
    echo "$TOLLGATE_TARGET"
    return
  fi
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) echo x86_64-unknown-linux-gnu ;;
    Linux-aarch64 | Linux-arm64) echo aarch64-unknown-linux-gnu ;;
    Darwin-arm64) echo aarch64-apple-darwin ;;
    Darwin-x86_64) echo x86_64-apple-darwin ;;
    *) echo "" ;;
  esac
}

# The cache key of a source build: the sources' hash, per OS and architecture.
prepare() {
  local sum
  sum=$(
    cd "$ACTION_PATH" &&
      find Cargo.toml Cargo.lock build.rs src policies -type f 2>/dev/null | LC_ALL=C sort |
      while read -r f; do printf '%s %s\n' "$(sha256 "$f")" "$f"; done |
        { if command -v sha256sum >/dev/null 2>&1; then sha256sum; else shasum -a 256; fi; } |
        cut -c1-16
  )
  set_output dir "$INSTALL_DIR"
  set_output key "tollgate-$(uname -s)-$(uname -m)-$(version)-$sum"
  echo "dir=$INSTALL_DIR"
  echo "key=tollgate-$(uname -s)-$(uname -m)-$(version)-$sum"
}

# The SHA-256 pinned for a release file (`v<version>/tollgate-<target>.tar.gz`), or nothing.
pinned_checksum() {
  local file="${TOLLGATE_CHECKSUMS:-$ACTION_PATH/release-checksums.txt}"
  [ -f "$file" ] || return 0
  awk -v name="$1" '$2 == name && length($1) == 64 && $1 ~ /^[0-9a-f]+$/ {print $1; exit}' "$file"
}

# Downloads the released binary into $INSTALL_DIR/bin. Returns 1 when there is none (so the
# caller can build from source); a checksum mismatch is fatal.
download() {
  local base version target url tmp expected actual found
  base="${TOLLGATE_DOWNLOAD_BASE:-$DEFAULT_BASE}"
  version=$(version)
  target=$(target)
  if [ -z "$version" ] || [ -z "$target" ]; then
    log "no released binary for this platform ($(uname -s) $(uname -m))"
    return 1
  fi
  if ! command -v curl >/dev/null 2>&1; then
    log "curl is missing: cannot download a released binary"
    return 1
  fi
  url="${base%/}/v$version/tollgate-$target.tar.gz"
  expected=$(pinned_checksum "v$version/tollgate-$target.tar.gz")
  if [ -z "$expected" ]; then
    log "no checksum pinned in the action for tollgate $version ($target): no released binary"
    return 1
  fi
  tmp=$(mktemp -d)
  log "downloading $url"
  if ! curl -fsSL --retry 2 --connect-timeout 10 -o "$tmp/tollgate.tar.gz" "$url"; then
    rm -rf "$tmp"
    log "no released binary at $url"
    return 1
  fi
  actual=$(sha256 "$tmp/tollgate.tar.gz")
  if [ "$expected" != "$actual" ]; then
    rm -rf "$tmp"
    fail "checksum mismatch for $url: expected ${expected:-nothing}, got $actual"
  fi
  mkdir -p "$tmp/x"
  tar -xzf "$tmp/tollgate.tar.gz" -C "$tmp/x" || fail "cannot unpack $url"
  found=$(find "$tmp/x" -type f -name tollgate | head -n1)
  [ -n "$found" ] || fail "$url holds no tollgate binary"
  mkdir -p "$INSTALL_DIR/bin"
  cp "$found" "$INSTALL_DIR/bin/tollgate"
  chmod 755 "$INSTALL_DIR/bin/tollgate"
  rm -rf "$tmp"
  log "installed the released tollgate $version ($target)"
}

build_from_source() {
  local cmd
  cmd="${TOLLGATE_INSTALL_CMD:-cargo install --locked --path \"\$GITHUB_ACTION_PATH\" --root \"\$TOLLGATE_INSTALL_DIR\"}"
  log "building tollgate from source: $cmd"
  bash -c "$cmd" || fail "building tollgate from source failed"
  [ -x "$INSTALL_DIR/bin/tollgate" ] || fail "the source build left no $INSTALL_DIR/bin/tollgate"
}

# Whether an auto|true|false input is on: auto means on for pull request events.
switch_on() {
  local name="$1" value="$2"
  case "$value" in
    true) return 0 ;;
    false) return 1 ;;
    auto | "")
      case "${GITHUB_EVENT_NAME:-}" in
        pull_request | pull_request_target) return 0 ;;
        *) return 1 ;;
      esac
      ;;
    *) fail "$name must be auto, true or false, not '$value'" ;;
  esac
}

# Whether a true|false input is on (default false).
switch_bool() {
  local name="$1" value="$2"
  case "$value" in
    true) return 0 ;;
    false | "") return 1 ;;
    *) fail "$name must be true or false, not '$value'" ;;
  esac
}

# Sets BIN to the tollgate binary to use, installing it if needed.
install() {
  local mode="${INPUT_INSTALL:-auto}"
  if [ -n "${TOLLGATE_BIN:-}" ]; then
    [ -x "$TOLLGATE_BIN" ] || fail "TOLLGATE_BIN=$TOLLGATE_BIN is not an executable"
    log "using $TOLLGATE_BIN"
    BIN="$TOLLGATE_BIN"
    return
  fi
  BIN="$INSTALL_DIR/bin/tollgate"
  if [ -x "$BIN" ]; then
    log "using the cached $BIN"
    return
  fi
  case "$mode" in
    auto) download || build_from_source ;;
    release) download || fail "no released tollgate $(version) for $(target) (install: release)" ;;
    source) build_from_source ;;
    *) fail "install must be auto, release or source, not '$mode'" ;;
  esac
}

main() {
  echo "::group::Install tollgate"
  install
  "$BIN" --version
  echo "::endgroup::"

  cd "${GITHUB_WORKSPACE:-$PWD}"
  local sarif="${INPUT_SARIF_FILE:-tollgate.sarif}"
  # tollgate writes `findings` and `errors` to the outputs file itself (--github-output):
  # nothing here parses its reports.
  local outputs
  outputs=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/tollgate-outputs.XXXXXX")
  local -a args=(check)
  set -f # inputs are split on whitespace, never globbed
  local p
  for p in ${INPUT_POLICIES:-}; do args+=(--policy "$p"); done
  if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
  if [ -n "${INPUT_FAIL_ON:-}" ]; then args+=(--fail-on "$INPUT_FAIL_ON"); fi
  if switch_on new-only "${INPUT_NEW_ONLY:-auto}"; then args+=(--new-only); fi
  if switch_on policies-from-base "${INPUT_POLICIES_FROM_BASE:-auto}"; then
    args+=(--policies-from auto)
  fi
  if switch_bool check-run "${INPUT_CHECK_RUN:-false}"; then args+=(--github-check); fi
  if switch_bool comment "${INPUT_COMMENT:-false}"; then args+=(--github-comment); fi
  args+=(--format github --format "sarif=$sarif" --github-output "$outputs")
  for p in ${INPUT_ARGS:-}; do args+=("$p"); done
  # `--` first: a file named `-c.yml` is a path, not an option.
  args+=(--)
  for p in ${INPUT_PATHS:-.}; do args+=("$p"); done
  set +f

  local code=0
  "$BIN" "${args[@]}" || code=$?

  # `findings=N` and `errors=N`, as tollgate wrote them (nothing when it stopped before
  # reporting, e.g. on a usage error): passed on as they are, read back only for the log.
  local findings="" errors="" line
  while IFS= read -r line; do
    case "$line" in
      findings=[0-9]*) findings="${line#findings=}" ;;
      errors=[0-9]*) errors="${line#errors=}" ;;
    esac
  done <"$outputs"
  rm -f "$outputs"
  set_output findings "$findings"
  set_output errors "$errors"
  if [ -f "$sarif" ]; then
    set_output sarif-file "$sarif"
  else
    set_output sarif-file ""
  fi
  set_output exit-code "$code"
  log "findings: ${findings:-?}, errors: ${errors:-?}, exit code $code"
  return "$code"
}

case "${1:-}" in
  prepare) prepare ;;
  "") main ;;
  *)
    echo "usage: $0 [prepare]" >&2
    exit 2
    ;;
esac
