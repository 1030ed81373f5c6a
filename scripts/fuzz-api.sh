#!/usr/bin/env bash
# Fuzzes the JSON API with schemathesis (every check) against a demo server on a
# fresh SQLite database, after validating the OpenAPI document with
# openapi-spec-validator (OpenAPI 3.1). Bounded in time (FUZZ_SECONDS, default 180)
# and reproducible (FUZZ_SEED, default 1). Exits non-zero on any 5xx, any schema
# violation or any conformance failure.
#
# Arguments are passed on to `schemathesis run`, e.g. to fuzz one operation:
#   FUZZ_SECONDS=30 scripts/fuzz-api.sh --include-path /api/v1/settings/three-guarantees
#
# Installs its Python tools into a venv under the build folder (target/fuzz-venv).
# Expects target/debug/aftersales to be built (scripts/test-all.sh builds it).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/fuzz-venv"
BIN="$TARGET/debug/aftersales"
SECONDS_BUDGET="${FUZZ_SECONDS:-180}"
SEED="${FUZZ_SEED:-1}"

die() { printf '\nERROR: %s\n' "$*" >&2; exit 1; }
[[ -x "$BIN" ]] || die "$BIN is missing: run cargo build --bin aftersales first"

if [[ ! -x "$VENV/bin/schemathesis" || ! -x "$VENV/bin/openapi-spec-validator" ]]; then
  echo "==> installing schemathesis and openapi-spec-validator into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'schemathesis==4.32.*' 'openapi-spec-validator>=0.7' \
    || die "pip install into $VENV failed"
fi

WORK="$(mktemp -d -t aftersales-fuzz-XXXXXX)"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT

# HTTP GET with python3 (needed for the venv anyway), so curl need not be installed.
fetch() {
  python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=5).read())' "$1" 2>/dev/null
}

PORT="$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')"
DB="sqlite://$WORK/fuzz.db"
BASE="http://127.0.0.1:$PORT"
"$BIN" demo --scale small --db "$DB" --listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  fetch "$BASE/readyz" >/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { tail -40 "$WORK/server.log" >&2; die "the demo server exited"; }
  sleep 0.5
done
fetch "$BASE/readyz" >/dev/null || die "the demo server did not become ready"

TOKEN="$("$BIN" --db "$DB" token --name fuzz --role administrator)"

echo "==> validating $BASE/api/openapi.json (OpenAPI 3.1)"
fetch "$BASE/api/openapi.json" >"$WORK/openapi.json" || die "cannot fetch the OpenAPI document"
"$VENV/bin/openapi-spec-validator" "$WORK/openapi.json"

echo "==> schemathesis: every check, ${SECONDS_BUDGET} s, seed $SEED"
cd "$WORK"
PYTHONPATH="$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=fuzz_hooks \
"$VENV/bin/schemathesis" --config-file "$ROOT/scripts/schemathesis.toml" \
  run "$BASE/api/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks all \
  --max-time "$SECONDS_BUDGET" \
  --seed "$SEED" \
  --workers 2 \
  --phases examples,coverage,fuzzing \
  --request-timeout 10 \
  "$@"
