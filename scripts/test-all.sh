#!/usr/bin/env bash
# Runs every test of Aftersales:
#   1. Rust tests on SQLite (the default), then on PostgreSQL (TEST_DATABASE_URL);
#   2. the API fuzz (scripts/fuzz-api.sh, schemathesis) against a demo server on SQLite;
#   3. the browser tests (tests/browser, headless Debian Chromium via playwright-core)
#      against a demo server on SQLite and one on PostgreSQL, each followed by a scan
#      of that server's log and outbox for secrets (scripts/scan-secrets.mjs).
# Installs what is missing first (Debian packages chromium, postgresql and a Chinese
# font for the screenshots; the npm packages of tests/browser) and starts the local
# PostgreSQL if it is not running.
#
# Time (CI must stay under 30 minutes on 2 cores): after the build and the SQLite run
# (which use both cores), the work that mostly waits runs on two sides at once: the
# Rust tests on PostgreSQL and then the browser suite on PostgreSQL beside the API fuzz
# and then the browser suite on SQLite.
# Each side's output is kept in its own log and printed whole when it ends. Set
# SERIAL=1 to run everything one after the other.
#
# PostgreSQL: 127.0.0.1:5432, user postgres (trust auth), database test; the Rust
# tests create their own databases from TEST_DATABASE_URL, the browser run creates
# and drops a database browser_<random>.
# Set SKIP_INSTALL=1 to install nothing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_DB=test
PG_ADMIN_URL="postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${PG_DB}"
CHROMIUM=/usr/bin/chromium
BROWSER_DIR=tests/browser
READY_TIMEOUT=600 # the demo builds six months of history first; slow under load

say() { printf '\n==> %s\n' "$*"; }
die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }

WORK="$(mktemp -d -t aftersales-test-XXXXXX)"
SERVER_PID=""
PG_TEST_DBS=()

cleanup() {
  local rc=$?
  stop_server
  for db in "${PG_TEST_DBS[@]+"${PG_TEST_DBS[@]}"}"; do
    psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qAt \
      -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_server() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
}

# ---------------------------------------------------------------------------
# 1. Install what is missing.

install_missing() {
  command -v cargo >/dev/null || die "cargo is not on PATH"
  command -v node >/dev/null && command -v npm >/dev/null || die "node and npm are needed for the browser tests"

  local pkgs=()
  if [[ ! -x "$CHROMIUM" ]] || ! command -v pg_ctlcluster >/dev/null || ! command -v psql >/dev/null \
     || ! command -v pg_isready >/dev/null; then
    pkgs+=(chromium postgresql)
  fi
  # A Chinese font, or the console (Chinese by default) shows boxes in the screenshots.
  if ! command -v fc-list >/dev/null || [[ -z "$(fc-list :lang=zh 2>/dev/null)" ]]; then
    pkgs+=(fonts-wqy-microhei)
  fi
  if (( ${#pkgs[@]} > 0 )); then
    say "installing Debian packages: ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq -o DPkg::Lock::Timeout=300 && apt-get install -y -qq -o DPkg::Lock::Timeout=300 "${pkgs[@]}"; } >"$WORK/apt.log" 2>&1; then
      tail -n 40 "$WORK/apt.log" >&2
      die "apt-get install ${pkgs[*]} failed"
    fi
  fi

  if [[ ! -d "$BROWSER_DIR/node_modules/playwright-core" ]]; then
    say "installing the npm packages of $BROWSER_DIR"
    local cmd=(npm install)
    [[ -f "$BROWSER_DIR/package-lock.json" ]] && cmd=(npm ci)
    if ! (cd "$BROWSER_DIR" && "${cmd[@]}" --no-audit --no-fund --loglevel=error) >"$WORK/npm.log" 2>&1; then
      cat "$WORK/npm.log" >&2
      die "${cmd[*]} in $BROWSER_DIR failed"
    fi
  fi
}

# ---------------------------------------------------------------------------
# 2. PostgreSQL must be up.

pg_ok() {
  psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qAt -w -c 'select 1' >/dev/null 2>&1
}

ensure_postgres() {
  if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    local version
    version="$(ls /etc/postgresql 2>/dev/null | head -1)"
    [[ -n "$version" ]] || die "PostgreSQL is not running and no cluster is configured under /etc/postgresql"
    say "starting PostgreSQL $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  fi
  local started=$SECONDS
  until pg_ok; do
    if (( SECONDS - started >= 30 )); then
      psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -w -c 'select 1' >&2 || true
      die "cannot connect to PostgreSQL: psql -h $PG_HOST -p $PG_PORT -U $PG_USER -d $PG_DB -c 'select 1' still fails after 30 s (the tests need a server there with trust auth and a database '$PG_DB')"
    fi
    sleep 1
  done
}

# ---------------------------------------------------------------------------
# Counting: every runner's own summary is kept; the totals are printed at the end.

PASSED=0
FAILED=0
SKIPPED=0

count_cargo() { # log file of a cargo test run
  local p f i
  read -r p f i < <(awk '
    /^test result: / {
      for (k = 1; k <= NF; k++) {
        if ($k ~ /^passed;?$/)  p += $(k-1)
        if ($k ~ /^failed;?$/)  f += $(k-1)
        if ($k ~ /^ignored;?$/) i += $(k-1)
      }
      n++
    }
    END { if (n == 0) { print "x x x" } else { print p+0, f+0, i+0 } }' "$1")
  [[ "$p" != x ]] || die "found no 'test result:' line in the cargo test output"
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + i))
}

count_node() { # log file of a node --test run
  local p f s c
  p="$(awk '/^(#|ℹ) pass [0-9]+/{print $3}' "$1" | tail -1)"
  f="$(awk '/^(#|ℹ) fail [0-9]+/{print $3}' "$1" | tail -1)"
  s="$(awk '/^(#|ℹ) skipped [0-9]+/{print $3}' "$1" | tail -1)"
  c="$(awk '/^(#|ℹ) cancelled [0-9]+/{print $3}' "$1" | tail -1)"
  [[ -n "$p" && -n "$f" ]] || die "found no '# pass' / '# fail' summary in the node --test output"
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f + ${c:-0})); SKIPPED=$((SKIPPED + ${s:-0}))
}

# ---------------------------------------------------------------------------
# 3. Rust tests.

rust_tests_sqlite() {
  say "cargo test --workspace (SQLite)"
  env -u TEST_DATABASE_URL cargo test --workspace 2>&1 | tee "$WORK/cargo-sqlite.log"
  count_cargo "$WORK/cargo-sqlite.log"
}

# PostgreSQL tests spend most of their time waiting on the server (each test copies a
# database from the migrated template and drops it again), so six threads per test
# binary finish in less than half the time of the default two.
rust_tests_postgres() { # log file
  TEST_DATABASE_URL="$PG_ADMIN_URL" cargo test --workspace -- --test-threads="${PG_TEST_THREADS:-6}" 2>&1 | tee "$1"
}

# ---------------------------------------------------------------------------
# 4. Browser tests against a demo server.

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

http_status() { # url -> prints the status code, or 000
  node -e 'fetch(process.argv[1],{signal:AbortSignal.timeout(2000)}).then(r=>console.log(r.status),()=>console.log("000"))' "$1"
}

browser_tests() { # label database-url; prints to stdout, the caller keeps it in a log
  local label="$1" url="$2" port log status started
  trap stop_server EXIT
  port="$(free_port)"
  log="$WORK/server-$label.log"
  echo "browser tests on $label: starting target/debug/aftersales demo on 127.0.0.1:$port"
  AFTERSALES_DATABASE_URL="$url" AFTERSALES_LISTEN="127.0.0.1:$port" \
    target/debug/aftersales demo --scale small --db "$url" --listen "127.0.0.1:$port" >"$log" 2>&1 &
  SERVER_PID=$!

  started=$SECONDS
  while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      tail -n 60 "$log"
      SERVER_PID=""
      echo "ERROR: the demo server ($label) exited before it was ready (log above)"
      return 1
    fi
    status="$(http_status "http://127.0.0.1:$port/readyz")"
    [[ "$status" == 200 ]] && break
    if (( SECONDS - started >= READY_TIMEOUT )); then
      tail -n 60 "$log"
      echo "ERROR: GET /readyz of the demo server ($label) did not answer 200 within ${READY_TIMEOUT} s (last status: $status)"
      return 1
    fi
    sleep 0.5
  done
  echo "ready after $((SECONDS - started)) s"

  local rc=0
  # The two page-level walks (every page of every role: walk.test.mjs for raw keys, one
  # language and overflow, about 100 s; a11y.test.mjs for axe-core, about 140 s) check
  # what the pages say, which does not depend on the database behind them: each runs
  # once, the walk on the PostgreSQL side and axe-core on the SQLite side, so that the
  # two sides (the SQLite one also runs the API fuzz) end within a minute of each other.
  local files=()
  for f in "$BROWSER_DIR"/*.test.mjs; do
    if [[ "$label" == postgres && "$f" == */a11y.test.mjs ]] \
       || [[ "$label" == sqlite && "$f" == */walk.test.mjs ]]; then
      continue
    fi
    files+=("$f")
  done
  SERVER_LOG="$log" BASE_URL="http://127.0.0.1:$port" timeout 1500 node --test "${files[@]}" 2>&1 \
    | tee "$WORK/node-$label.log" || rc=$?
  stop_server
  if (( rc != 0 )); then
    echo "--- last lines of the server log ($label) ---"
    tail -n 40 "$log"
    echo "ERROR: browser tests on $label failed"
    return 1
  fi

  # After the whole browser suite: no one-time code, whole mobile number, ID number
  # or token in the server's log (the demo's marked code lines excepted) or in any
  # delivered outbox row (issue 21).
  echo "==> secrets scan of the server log and the outbox ($label)"
  node scripts/scan-secrets.mjs --log "$log" --db "$url" \
    || { echo "ERROR: secrets found in the log or the outbox on $label (list above)"; return 1; }
}

# Side by side: starts each "label command…" in the background with its output in
# $WORK/side-<label>.log, waits for all, prints each log whole in the order given,
# and fails naming every side that failed. SERIAL=1 runs them one after the other.
SIDE_LABELS=()
SIDE_PIDS=()
side() { # label command...
  local label="$1"; shift
  say "started: $label"
  if [[ "${SERIAL:-0}" == 1 ]]; then
    ( "$@" ) >"$WORK/side-$label.log" 2>&1 &
    wait $! && echo 0 >"$WORK/side-$label.rc" || echo $? >"$WORK/side-$label.rc"
    SIDE_PIDS+=("")
  else
    ( "$@"; echo $? >"$WORK/side-$label.rc" ) >"$WORK/side-$label.log" 2>&1 &
    SIDE_PIDS+=("$!")
  fi
  SIDE_LABELS+=("$label")
}
wait_sides() {
  local i label rc failed=()
  for i in "${!SIDE_LABELS[@]}"; do
    [[ -n "${SIDE_PIDS[$i]}" ]] && wait "${SIDE_PIDS[$i]}" 2>/dev/null || true
  done
  for i in "${!SIDE_LABELS[@]}"; do
    label="${SIDE_LABELS[$i]}"
    rc="$(cat "$WORK/side-$label.rc" 2>/dev/null || echo 1)"
    say "$label (exit $rc)"
    cat "$WORK/side-$label.log"
    (( rc == 0 )) || failed+=("$label")
  done
  SIDE_LABELS=()
  SIDE_PIDS=()
  (( ${#failed[@]} == 0 )) || die "failed: ${failed[*]} (their output above)"
}

# ---------------------------------------------------------------------------

[[ "${SKIP_INSTALL:-0}" == 1 ]] || install_missing
ensure_postgres
START=$SECONDS
rust_tests_sqlite
echo "(Rust tests on SQLite, with the build: $((SECONDS - START)) s)"

# The demo server of the browser tests is the binary `cargo test` just built for the
# process tests (tests/*_processes.rs), target/debug/aftersales: the same code. A
# separate `cargo build` would compile the dependency tree a second time (2.5 minutes
# on 2 cores), because the test build's feature set includes the dev-dependencies'.
[[ -x target/debug/aftersales ]] || die "cargo test did not leave target/debug/aftersales"
mkdir -p "$BROWSER_DIR/screenshots"

# API fuzz on SQLite (scripts/fuzz-api.sh: schemathesis, every check, installed into
# target/fuzz-venv on first use), held at zero failures in two bounded runs: the GET
# operations (75 s), then the write operations (150 s). The document states what a
# write body may hold (text rules, lengths, plates, passwords, code lists from the
# domain's own lists, which role needs a station or a region, rules across fields as
# if/then and oneOf); a rule no JSON Schema can state (a reference to a record this
# database does not hold, a value another record holds, weights that must add up, a
# window's end after its start) is a 409 the operation declares, and an upload whose
# bytes are not what they claim a 415 (scripts/schemathesis.toml). FUZZ_WRITES=0 skips
# the write run. Excluded GET operations, each for its reason:
#   /api/v1/stations/{id}/slots: `preferred` (UTC ms, RFC 3339 or local
#     `YYYY-MM-DD HH:MM`) has no schema yet (capacity);
#   /api/v1/audit and /api/v1/audit/export: `to` before `from` is refused, a rule
#     across two parameters that OpenAPI cannot state (privacy).
fuzz_gets() {
  FUZZ_SECONDS="${FUZZ_SECONDS:-75}" bash scripts/fuzz-api.sh \
    --include-method GET \
    --exclude-path '/api/v1/stations/{id}/slots' \
    --exclude-path /api/v1/audit \
    --exclude-path /api/v1/audit/export \
    || { echo "ERROR: the API fuzz found failures (output above; reproduce with scripts/fuzz-api.sh)"; return 1; }
  if [[ "${FUZZ_WRITES:-1}" == 1 ]]; then
    echo "==> API fuzz on SQLite (write operations, ${FUZZ_WRITE_SECONDS:-150} s)"
    FUZZ_SECONDS="${FUZZ_WRITE_SECONDS:-150}" bash scripts/fuzz-api.sh \
      --include-method POST --include-method PUT --include-method PATCH --include-method DELETE \
      || { echo "ERROR: the write-operation API fuzz found failures (reproduce with scripts/fuzz-api.sh)"; return 1; }
  fi
}

PG_BROWSER_DB="browser_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -qAt -w -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE \"$PG_BROWSER_DB\"" >/dev/null || die "cannot create database $PG_BROWSER_DB"
PG_TEST_DBS+=("$PG_BROWSER_DB")

# Two sides, each a sequence: the PostgreSQL side runs the Rust tests on PostgreSQL
# (mostly waiting on the server) and then the browser suite on PostgreSQL; the SQLite
# side runs the API fuzz and then the browser suite on SQLite.
postgres_side() {
  rust_tests_postgres "$WORK/cargo-postgres.log" || return 1
  echo "==> browser tests on PostgreSQL"
  browser_tests postgres "postgres://${PG_USER}@${PG_HOST}:${PG_PORT}/${PG_BROWSER_DB}"
}
sqlite_side() {
  echo "==> API fuzz on SQLite (GET operations, ${FUZZ_SECONDS:-75} s)"
  fuzz_gets || return 1
  echo "==> browser tests on SQLite"
  browser_tests sqlite "sqlite://$WORK/browser.db"
}

START=$SECONDS
side "postgres" postgres_side
side "sqlite" sqlite_side
wait_sides
count_cargo "$WORK/cargo-postgres.log"
for label in sqlite postgres; do
  count_node "$WORK/node-$label.log"
  PASSED=$((PASSED + 1)) # its secrets scan
done
echo "(both sides: $((SECONDS - START)) s)"

say "all tests passed (Rust on SQLite and PostgreSQL, browser on SQLite and PostgreSQL); screenshots in $BROWSER_DIR/screenshots/"
if (( SKIPPED > 0 )); then
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
  echo "$PASSED passed, $FAILED failed"
fi
