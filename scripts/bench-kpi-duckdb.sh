#!/usr/bin/env bash
# The KPI engine beside DuckDB over the same simulated rows (issue 11, targets).
#
#   scripts/bench-kpi-duckdb.sh [stations] [months]      (defaults 50 and 12)
#
# 1. Simulates a network into a fresh SQLite file (`aftersales simulate`; PROFILE=release
#    builds release binaries, the default is debug).
# 2. Exports its repair-order rows to CSV and Parquet and times, in DuckDB (from PyPI, in
#    a venv under target/), the month aggregation the KPI engine keeps per station:
#    delivered orders, first-time fixes (no comeback within 12 months), on-time
#    hand-overs and repair minutes, for the last simulated month.
# 3. Times ours on the same database (`cargo run -p app --example kpi_month`): the rebuild
#    of that month's counters from the raw rows, and the network month dashboard read.
# 4. Prints each figure and the ratios ours / DuckDB (medians of ROUNDS runs, default 5).
# SIM_DB=<file.db> skips step 1 and uses that simulated SQLite database as it is.
# SIM_PG_URL=<postgres url> skips step 1 and uses that simulated PostgreSQL database
#   instead (`aftersales simulate --db <url>`): the rows are exported with psql and
#   ours runs on PostgreSQL over its own raw rows.
# PG_ADMIN_URL=<postgres url> adds step 5, the dashboard on PostgreSQL over counters
#   copied from the SQLite database.
set -euo pipefail
cd "$(dirname "$0")/.."
STATIONS=${1:-50}
MONTHS=${2:-12}
ROUNDS=${ROUNDS:-5}
PROFILE=${PROFILE:-debug}
TARGET=${CARGO_TARGET_DIR:-target}
WORK="$TARGET/bench-kpi"
VENV="$TARGET/duckdb-venv"
DB=${SIM_DB:-$WORK/sim.db}
mkdir -p "$WORK"
rm -f "$WORK"/orders.csv "$WORK"/orders.parquet
[ -z "${SIM_DB:-}" ] && [ -z "${SIM_PG_URL:-}" ] && rm -f "$DB" "$DB-wal" "$DB-shm"

flags=()
[ "$PROFILE" = release ] && flags=(--release)
cargo build -q "${flags[@]}" --bin aftersales
cargo build -q "${flags[@]}" -p app --example kpi_month

if [ -z "${SIM_DB:-}" ] && [ -z "${SIM_PG_URL:-}" ]; then
  echo "== simulating $STATIONS stations x $MONTHS months ($PROFILE build)"
  /usr/bin/time -f "simulate: %e s wall, %M KiB peak RSS" \
    "$TARGET/$PROFILE/aftersales" simulate --stations "$STATIONS" --months "$MONTHS" \
    --db "sqlite://$DB?mode=rwc" 2>&1 | grep -v '^\s*$' | tail -n 3
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check 'duckdb==1.*' || {
    echo "pip install duckdb into $VENV failed" >&2
    exit 1
  }
fi

# The last simulated month: the one before the current month, China time (UTC+8).
MONTH=$("$VENV/bin/python" - <<'PY'
import datetime
now = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8)))
y, m = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
print(f"{y:04d}-{m:02d}")
PY
)

COLS="id,station_id,received_at,delivered_at,promised_at,comeback_of"
if [ -n "${SIM_PG_URL:-}" ]; then
  t0=$(date +%s.%N)
  psql "$SIM_PG_URL" -qAt -v ON_ERROR_STOP=1 -c "\\copy (SELECT $COLS FROM repair_orders WHERE delivered_at IS NOT NULL) TO '$WORK/orders.csv' WITH (FORMAT csv, HEADER)"
  echo "exported from PostgreSQL in $(python3 -c "print(f'{$(date +%s.%N) - $t0:.1f}')") s"
fi

echo "== DuckDB over the exported rows of $MONTH"
DUCK=$("$VENV/bin/python" - "$DB" "$WORK" "$MONTH" "$ROUNDS" <<'PY'
import csv, datetime, sqlite3, statistics, sys, time
import duckdb
db, work, month, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tz = datetime.timezone(datetime.timedelta(hours=8))
y, m = map(int, month.split("-"))
start = datetime.datetime(y, m, 1, tzinfo=tz)
end = datetime.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=tz)
lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
import os
cols = ["id", "station_id", "received_at", "delivered_at", "promised_at", "comeback_of"]
t = time.perf_counter()
if os.path.exists(f"{work}/orders.csv"):
    # Exported by psql from a PostgreSQL database (SIM_PG_URL).
    with open(f"{work}/orders.csv") as f:
        n = sum(1 for _ in f) - 1
else:
    src = sqlite3.connect(db)
    with open(f"{work}/orders.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        n = 0
        for row in src.execute(f"SELECT {','.join(cols)} FROM repair_orders WHERE delivered_at IS NOT NULL"):
            w.writerow(["" if v is None else v for v in row])
            n += 1
export_s = time.perf_counter() - t
con = duckdb.connect()
con.execute(f"CREATE TABLE o AS SELECT * FROM read_csv('{work}/orders.csv', header=true, "
            "columns={'id':'BIGINT','station_id':'BIGINT','received_at':'BIGINT','delivered_at':'BIGINT',"
            "'promised_at':'BIGINT','comeback_of':'BIGINT'})")
con.execute(f"COPY o TO '{work}/orders.parquet' (FORMAT parquet)")
query = f"""
SELECT o.station_id, COUNT(*) AS n,
  SUM(CASE WHEN c.first IS NULL THEN 1 ELSE 0 END) AS fixed,
  SUM(CASE WHEN o.promised_at IS NOT NULL AND o.delivered_at <= o.promised_at THEN 1 ELSE 0 END) AS on_time,
  SUM((o.delivered_at - o.received_at) // 60000) AS minutes
FROM read_parquet('{work}/orders.parquet') o
LEFT JOIN (
  SELECT b.comeback_of AS id, MIN(b.received_at) AS first
  FROM read_parquet('{work}/orders.parquet') b JOIN read_parquet('{work}/orders.parquet') a ON a.id = b.comeback_of
  WHERE b.comeback_of IS NOT NULL AND b.received_at >= a.delivered_at AND b.received_at < a.delivered_at + 31536000000
  GROUP BY b.comeback_of) c ON c.id = o.id
WHERE o.delivered_at >= {lo} AND o.delivered_at < {hi}
GROUP BY o.station_id
"""
took, out = [], None
for _ in range(rounds):
    t = time.perf_counter()
    out = con.execute(query).fetchall()
    took.append(time.perf_counter() - t)
print(f"rows={n}")
print(f"export_s={export_s:.2f}")
print(f"stations={len(out)}")
print(f"orders_in_month={sum(r[1] for r in out)}")
print(f"duckdb_ms={statistics.median(took) * 1000:.1f}")
PY
)
echo "$DUCK"
echo "== ours over the same database"
OURS_URL="sqlite://$DB"
[ -n "${SIM_PG_URL:-}" ] && OURS_URL="$SIM_PG_URL"
OURS=$("$TARGET/$PROFILE/examples/kpi_month" "$OURS_URL" "$MONTH" "$ROUNDS")
echo "$OURS"
duck=$(echo "$DUCK" | sed -n 's/^duckdb_ms=//p')
rebuild=$(echo "$OURS" | sed -n 's/^rebuild_ms=//p')
dash=$(echo "$OURS" | sed -n 's/^dashboard_ms=//p')
python3 -c "print(f'ratio rebuild/duckdb = {float($rebuild)/float($duck):.2f}x; dashboard/duckdb = {float($dash)/float($duck):.2f}x')"

# 5. PostgreSQL (PG_ADMIN_URL=postgres://user@host:port/db): the dashboard reads the
#    monthly counters and the stations only, so the same counters are copied into a
#    fresh, migrated PostgreSQL database (regions, stations, kpi_monthly; the raw rows
#    stay in SQLite) and the network month dashboard is timed there.
if [ -n "${PG_ADMIN_URL:-}" ] && [ -z "${SIM_PG_URL:-}" ]; then
  PG_DB="bench_kpi_$$"
  PG_URL="${PG_ADMIN_URL%/*}/$PG_DB"
  psql "$PG_ADMIN_URL" -qAt -c "CREATE DATABASE $PG_DB" >/dev/null
  trap 'psql "$PG_ADMIN_URL" -qAt -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null' EXIT
  "$TARGET/$PROFILE/aftersales" --db "$PG_URL" migrate >/dev/null
  for table in regions stations kpi_monthly; do
    cols=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(','.join(r[1] for r in c.execute(f'PRAGMA table_info({sys.argv[2]})')))" "$DB" "$table")
    python3 - "$DB" "$table" "$cols" "$WORK/$table.csv" <<'PY'
import csv, sqlite3, sys
db, table, cols, out = sys.argv[1:5]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    for row in sqlite3.connect(db).execute(f"SELECT {cols} FROM {table} ORDER BY 1"):
        w.writerow(["" if v is None else v for v in row])
PY
    psql "$PG_URL" -qAt -v ON_ERROR_STOP=1 -c "\\copy $table ($cols) FROM '$WORK/$table.csv' WITH (FORMAT csv)"
  done
  psql "$PG_URL" -qAt -c "ANALYZE" >/dev/null
  echo "== ours on PostgreSQL: $(psql "$PG_URL" -qAt -c 'SELECT COUNT(*) FROM kpi_monthly') counters copied"
  PG_OURS=$("$TARGET/$PROFILE/examples/kpi_month" "$PG_URL" "$MONTH" "$ROUNDS" dashboard)
  echo "$PG_OURS"
  pg_dash=$(echo "$PG_OURS" | sed -n 's/^dashboard_ms=//p')
  python3 -c "print(f'ratio PostgreSQL dashboard/duckdb = {float($pg_dash)/float($duck):.2f}x')"
fi
