#!/usr/bin/env bash
# Foundation benchmarks on the full demo database (SQLite by default):
#   - demo --scale full build time (skipped when the database file already exists),
#   - start-up to ready,
#   - GET /api/v1/vehicles/by-vin/{vin} under load: wrk in a second process, 64 connections,
#     random VINs from the database, and the server's peak resident memory.
# Usage: scripts/bench-foundation.sh [database-file] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
DB_FILE=${1:-/tmp/aftersales-full.db}
SECONDS_RUN=${2:-20}
PORT=${PORT:-18099}
command -v wrk >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk sqlite3; }
command -v sqlite3 >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q sqlite3
CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target} cargo build --release --bin aftersales -q
BIN=target/release/aftersales
URL="sqlite://$DB_FILE"
if [ ! -f "$DB_FILE" ]; then
  echo "== demo --scale full on SQLite"
  /usr/bin/time -f "demo full: %e s wall, %M KB peak RSS" "$BIN" --db "$URL" demo --scale full --no-serve
fi
TOKEN=$("$BIN" --db "$URL" token --name bench --role administrator)
sqlite3 "$DB_FILE" "SELECT vin FROM vehicles ORDER BY random() LIMIT 20000" > /tmp/bench-vins.txt
echo "== start-up to ready"
start=$(date +%s%N)
"$BIN" --db "$URL" serve --listen "127.0.0.1:$PORT" 2>/tmp/bench-server.log &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null; do sleep 0.01; done
end=$(date +%s%N)
echo "start-up to ready: $(( (end - start) / 1000000 )) ms"
cat > /tmp/bench-vin.lua <<LUA
local vins = {}
for line in io.lines("/tmp/bench-vins.txt") do vins[#vins + 1] = line end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/v1/vehicles/by-vin/" .. vins[(i % #vins) + 1], { ["Authorization"] = "Bearer $TOKEN" })
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s: %.0f  p50: %.2f ms  p99: %.2f ms  errors: %d non-2xx/3xx: %d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
LUA
# A short warm-up first, so the figures are of a running server rather than of the
# first touches of a cold database file.
wrk -t2 -c64 -d5s -s /tmp/bench-vin.lua "http://127.0.0.1:$PORT" >/dev/null
echo "== GET vehicle by VIN, 64 connections, ${SECONDS_RUN}s"
wrk -t2 -c64 -d"${SECONDS_RUN}s" --latency -s /tmp/bench-vin.lua "http://127.0.0.1:$PORT" | tail -n 3
echo "server peak RSS: $(grep VmHWM /proc/$SERVER/status | awk '{print $2/1024 " MB"}')"
