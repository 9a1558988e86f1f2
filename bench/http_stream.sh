#!/usr/bin/env bash
# clara-stream serve next to the CLI export and the Python package, in one
# run, on the database given by PG* / CLARA_DSN (a loaded corpus, e.g.
# `clara-stream generate --docs 100000 | clara-stream load -`):
#   1. CLI export of QUERY to /dev/null        (first document, total)
#   2. HTTP POST /api/datasets/stream, curl -o /dev/null  (first byte, total)
#   3. Python stream_to_jsonl to a file (fsync + rename) and stream_datasets
# each RUNS times (default 3), median; then
#   4. 32 concurrent HTTP streams of top_k CONCURRENT_TOP_K (default 5000)
#      against a fresh server: wall time, and the server's peak RSS (VmHWM).
# All with the server batch size BATCH_SIZE (default 100, the default everywhere).
#
# usage: bench/http_stream.sh [QUERY] [TOP_K] [MIN_QUALITY]
set -euo pipefail
cd "$(dirname "$0")/.."
QUERY=${1:-"Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil"}
TOP_K=${2:-100000}
MIN_QUALITY=${3:-0}
RUNS=${RUNS:-3}
CONCURRENT_TOP_K=${CONCURRENT_TOP_K:-5000}
BATCH_SIZE=${BATCH_SIZE:-100}  # the same server batch size for CLI, HTTP and Python
CLARA_STREAM=${CLARA_STREAM:-build/clara-stream}
PYTHON=/usr/bin/python3
WORK=$(mktemp -d)
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT

start_server() {
    "$CLARA_STREAM" serve --listen 127.0.0.1:0 --pool-size 32 2>"$WORK/serve.log" &
    SERVER=$!
    for _ in $(seq 1 100); do grep -q "listening on" "$WORK/serve.log" && break; sleep 0.05; done
    URL=$(sed -n 's|.*listening on \(http://[0-9.]*:[0-9]*\) .*|\1|p' "$WORK/serve.log")
}
stop_server() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }
body() {
    "$PYTHON" -c 'import json,sys; print(json.dumps({"name": "bench", "search_query": {"query_text": sys.argv[1],
        "top_k": int(sys.argv[2]), "min_quality_score": float(sys.argv[3])}, "batch_size": int(sys.argv[4])}))' \
        "$1" "$2" "$3" "$BATCH_SIZE"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

start_server
BODY=$(body "$QUERY" "$TOP_K" "$MIN_QUALITY")
: >"$WORK/cli" ; : >"$WORK/http"; : >"$WORK/py"
for run in $(seq 1 "$RUNS"); do
    t0=$(now)
    "$CLARA_STREAM" --query "$QUERY" --top-k "$TOP_K" --min-quality "$MIN_QUALITY" --batch-size "$BATCH_SIZE" \
        --output /dev/null 2>"$WORK/cli.err"
    t1=$(now)
    first=$(sed -n 's/.*first document after \([0-9]*\) ms.*/\1/p' "$WORK/cli.err")
    echo "$first $(echo "$t1 - $t0" | bc)" >>"$WORK/cli"
    curl -sS -o /dev/null -w '%{time_starttransfer} %{time_total} %{size_download}\n' -X POST "$URL/api/datasets/stream" \
        -H 'Content-Type: application/json' --data-binary "$BODY" >>"$WORK/http"
    "$PYTHON" -P - "$QUERY" "$TOP_K" "$MIN_QUALITY" "$WORK/py.jsonl" "$BATCH_SIZE" >>"$WORK/py" <<'PY'
import asyncio, sys, time
sys.path.insert(0, "client/python")
from clara import DatasetSearchAPI, DatasetSearchQuery
query = DatasetSearchQuery(sys.argv[1], top_k=int(sys.argv[2]), min_quality_score=float(sys.argv[3]))
api = DatasetSearchAPI()
async def main():
    t = time.perf_counter()
    n = await api.stream_to_jsonl(query, sys.argv[4], batch_size=int(sys.argv[5]))
    to_file = time.perf_counter() - t
    t = time.perf_counter(); first = None; m = 0
    async for _ in api.stream_datasets(query, batch_size=int(sys.argv[5])):
        if first is None:
            first = time.perf_counter() - t
        m += 1
    print(n, to_file, first * 1000, time.perf_counter() - t)
asyncio.run(main())
PY
done
rows=$(wc -l <"$WORK/py.jsonl")
bytes=$(stat -c %s "$WORK/py.jsonl")
stop_server

# 32 at once against a fresh server, each its own top_k (distinct outputs).
start_server
hwm_idle=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status")
t0=$(now)
pids=()
for i in $(seq 1 32); do
    curl -sS -o "$WORK/c$i" -X POST "$URL/api/datasets/stream" -H 'Content-Type: application/json' \
        --data-binary "$(body "$QUERY" $((CONCURRENT_TOP_K + i)) "$MIN_QUALITY")" &
    pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(now)
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$SERVER/status")
concurrent_bytes=$(cat "$WORK"/c* | wc -c)
concurrent_rows=$(cat "$WORK"/c* | wc -l)
stop_server

"$PYTHON" - "$WORK" "$rows" "$bytes" "$RUNS" <<PY
import statistics, sys
work, rows, size, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def cols(name):
    return [list(map(float, l.split())) for l in open(f"{work}/{name}") if l.strip()]
cli, http, py = cols("cli"), cols("http"), cols("py")
m = lambda xs: statistics.median(xs)
print(f"query: $QUERY   top_k: $TOP_K   min_quality: $MIN_QUALITY   batch_size: $BATCH_SIZE   rows: {rows}"
      f"   {size/1e6:.1f} MB   runs: {runs} (median)")
print(f"{'':34} {'first doc/byte':>15} {'total s':>9} {'docs/s':>9} {'MB/s':>7}")
def row(name, first_ms, total):
    print(f"{name:34} {first_ms:12.0f} ms {total:9.2f} {rows/total:9.0f} {size/1e6/total:7.1f}")
row("CLI export -> /dev/null", m([c[0] for c in cli]), m([c[1] for c in cli]))
row("HTTP stream (curl -> /dev/null)", m([h[0] * 1000 for h in http]), m([h[1] for h in http]))
row("Python stream_to_jsonl -> file", float("nan"), m([p[1] for p in py]))
row("Python stream_datasets (objects)", m([p[2] for p in py]), m([p[3] for p in py]))
assert all(int(h[2]) == size for h in http), "HTTP body size differs from the export"
print(f"32 concurrent HTTP streams (top_k $CONCURRENT_TOP_K+i): $concurrent_rows rows, {$concurrent_bytes/1e6:.0f} MB"
      f" in {$t1 - $t0:.2f} s; server VmHWM {$hwm/1024:.1f} MB (idle {$hwm_idle/1024:.1f} MB)")
PY
