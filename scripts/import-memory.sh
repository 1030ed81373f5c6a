#!/usr/bin/env bash
# Measures `aftersales import` on a large customer file: generates ROWS (default
# 2,000,000) customer rows for one station, imports them into a fresh SQLite
# database under /usr/bin/time -v, and prints the peak memory (maximum resident set
# size) and the time. Then imports the same file again, which must write nothing.
#
#   scripts/import-memory.sh [rows]     (BIN=target/release/aftersales by default)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${BIN:-$ROOT/target/release/aftersales}"
ROWS="${1:-2000000}"
[[ -x "$BIN" ]] || { echo "build $BIN first (cargo build --release --bin aftersales)" >&2; exit 1; }

WORK="$(mktemp -d -t aftersales-import-XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
DB="sqlite://$WORK/import.db"

"$BIN" --db "$DB" migrate >/dev/null
sqlite3 "$WORK/import.db" "INSERT INTO regions (code, name_zh, name_en) VALUES ('EAST1', '华东', 'East')"
cat >"$WORK/stations.csv" <<'CSV'
code,name_zh,name_en,region_code,address,adcode,city,lon,lat,opening_hours,bays,capabilities,labour_rate_yuan
SH-9001,上海浦东4S店,Shanghai Pudong Service Centre,EAST1,上海市浦东新区世纪大道100号,310115,上海市,121.544346,31.221461,08:30-18:00,12,maintenance,180.00
CSV
"$BIN" --db "$DB" import stations "$WORK/stations.csv" >/dev/null

awk -v n="$ROWS" 'BEGIN {
  print "name,phone,station_code,channel,quiet_hours,consent_service,consent_marketing"
  for (i = 0; i < n; i++) printf "客户%d,13%09d,SH-9001,sms,,1,0\n", i, i
}' >"$WORK/customers.csv"
echo "file: $ROWS rows, $(du -h "$WORK/customers.csv" | cut -f1)"

/usr/bin/time -v "$BIN" --db "$DB" import customers "$WORK/customers.csv" 2>"$WORK/time.log" </dev/null
grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$WORK/time.log"
echo "customers in the database: $(sqlite3 "$WORK/import.db" 'SELECT COUNT(*) FROM customers')"
echo "import_runs: $(sqlite3 "$WORK/import.db" 'SELECT kind, rows_done, state FROM import_runs')"
echo "==> the same file again"
"$BIN" --db "$DB" import customers "$WORK/customers.csv"
