#!/usr/bin/env bash
# The release benchmarks of the platform issues, one after the other, on SQLite and on
# PostgreSQL, each printing its own figures (what it measures is in the header of
# each example). Builds the release binaries first.
#
#   scripts/bench-release.sh [what ...]
#
# what: stage booking jobs notice privacy kpi complaint search (default: all but
# search, which needs a full demo database: SEARCH_DB=sqlite:///tmp/full.db).
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432/test); the examples
# make their own databases or tables there.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
WHAT=("$@")
(( ${#WHAT[@]} > 0 )) || WHAT=(stage booking jobs notice privacy kpi complaint)
BIN=target/release/examples
say() { printf '\n==> %s\n' "$*"; }

cargo build --release -q --bin aftersales --examples -p aftersales -p web -p app

fresh_pg() { # name -> url of a new empty database
  local db="bench_$1_$$"
  psql "$PG_URL" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
  psql "$PG_URL" -qAt -c "CREATE DATABASE \"$db\"" >/dev/null
  echo "${PG_URL%/*}/$db"
}

for w in "${WHAT[@]}"; do
  case "$w" in
    stage)
      say "stage change (issue 9: >= 50 % of the raw transaction rate, p99 < 20 ms at 200 req/s) — SQLite"
      env -u TEST_DATABASE_URL "$BIN/bench_stage" 2000
      say "stage change — PostgreSQL"
      TEST_DATABASE_URL="$PG_URL" "$BIN/bench_stage" 2000 ;;
    booking)
      say "200 simultaneous bookings for 3 places (issue 20: p99 < 150 ms) — SQLite"
      env -u TEST_DATABASE_URL "$BIN/bench_booking" 10
      say "bookings — PostgreSQL"
      TEST_DATABASE_URL="$PG_URL" "$BIN/bench_booking" 10 ;;
    jobs)
      for workers in 1 2; do
        say "100,000 due timers, $workers worker process(es) (issue 9: < 30 s, each once) — SQLite"
        "$BIN/bench_jobs" "sqlite:///tmp/bench-jobs-$$-$workers.db?mode=rwc" 100000 "$workers"
        rm -f /tmp/bench-jobs-$$-$workers.db*
        say "100,000 due timers, $workers worker process(es) — PostgreSQL"
        "$BIN/bench_jobs" "$(fresh_pg jobs$workers)" 100000 "$workers"
      done ;;
    notice)
      say "provider notices (issue 22: < 5 ms p99, 1,000/s on PostgreSQL) — SQLite"
      env -u TEST_DATABASE_URL "$BIN/bench_notice" 2000 200
      say "provider notices — PostgreSQL"
      TEST_DATABASE_URL="$PG_URL" "$BIN/bench_notice" 2000 200 ;;
    privacy)
      say "privacy policy cost on the lists (issue 21: < 5 %) — SQLite"
      env -u TEST_DATABASE_URL "$BIN/bench_privacy" 5000 200
      say "privacy policy cost — PostgreSQL"
      TEST_DATABASE_URL="$PG_URL" "$BIN/bench_privacy" 5000 200 ;;
    kpi)
      say "network month dashboard, 1,000 stations (issue 11: < 1 s) — SQLite"
      rm -f /tmp/bench-kpi-$$.db*
      "$BIN/bench_kpi" "sqlite:///tmp/bench-kpi-$$.db?mode=rwc" 1000 0 10
      rm -f /tmp/bench-kpi-$$.db*
      say "network month dashboard — PostgreSQL"
      "$BIN/bench_kpi" "$(fresh_pg kpi)" 1000 0 10 ;;
    complaint)
      say "complaint queue with 100,000 open complaints (issue 10: < 200 ms) — PostgreSQL"
      TEST_DATABASE_URL="$PG_URL" "$BIN/bench_complaint_queue" 100000 30 ;;
    search)
      say "search at full demo scale (issue 17: < 50 ms p99) — ${SEARCH_DB:?set SEARCH_DB to a full demo database}"
      "$BIN/bench_search" "$SEARCH_DB" 200 ;;
    *) echo "unknown benchmark: $w" >&2; exit 2 ;;
  esac
done
