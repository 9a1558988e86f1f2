#!/usr/bin/env bash
# clara-stream next to psql, in one run, on the database given by PG* /
# CLARA_DSN (a loaded corpus, e.g. `clara-stream generate --docs 100000 |
# clara-stream load -`):
#   1. clara-stream export to a file (fsync + rename included)
#   2. clara-stream export to /dev/null (written in place, no fsync)
#   3. psql COPY of the same clara_stream_jsonl call (same server work)
#   4. psql COPY (SELECT content FROM clara_documents LIMIT k) TO STDOUT, k the
#      rows of 1. (the mission's raw floor)
# Each runs RUNS times (default 3); the table shows the median wall time, the
# rows/s and MB/s it gives, and the client's peak RSS (/usr/bin/time).
#
# usage: bench/client_stream.sh [QUERY] [TOP_K] [MIN_QUALITY]
set -euo pipefail
cd "$(dirname "$0")/.."
QUERY=${1:-"Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil"}
TOP_K=${2:-100000}
MIN_QUALITY=${3:-0}
RUNS=${RUNS:-3}
CLARA_STREAM=${CLARA_STREAM:-build/clara-stream}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# time_runs NAME OUTPUT CMD...: median seconds and max RSS over RUNS runs.
time_runs() {
    local name=$1 out=$2 i
    shift 2
    : >"$WORK/times"
    for i in $(seq 1 "$RUNS"); do
        /usr/bin/time -f "%e %M" -o "$WORK/time" "$@" >"$out" 2>"$WORK/stderr" ||
            { cat "$WORK/stderr" >&2; exit 1; }
        cat "$WORK/time" >>"$WORK/times"
    done
    local median rss
    median=$(sort -n "$WORK/times" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    rss=$(awk 'BEGIN {m=0} {if ($2>m) m=$2} END {print m}' "$WORK/times")
    echo "$name $median $rss"
}

copy_jsonl="COPY (SELECT clara_stream_jsonl(:'q', $TOP_K, $MIN_QUALITY, '{}', NULL, NULL, 100)) TO STDOUT WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"

echo "$copy_jsonl" >"$WORK/copy.sql"
"$CLARA_STREAM" --query "$QUERY" --top-k "$TOP_K" --min-quality "$MIN_QUALITY" --output "$WORK/export.jsonl" 2>"$WORK/first"
rows=$(wc -l <"$WORK/export.jsonl")
bytes=$(stat -c %s "$WORK/export.jsonl")
psql -qXAt -c "COPY (SELECT content FROM clara_documents LIMIT $rows) TO STDOUT" >"$WORK/raw.txt"
raw_bytes=$(stat -c %s "$WORK/raw.txt")

{
    time_runs "clara-stream→file" /dev/null "$CLARA_STREAM" --query "$QUERY" --top-k "$TOP_K" \
        --min-quality "$MIN_QUALITY" --output "$WORK/export.jsonl" --quiet
    time_runs "clara-stream→/dev/null" /dev/null "$CLARA_STREAM" --query "$QUERY" --top-k "$TOP_K" \
        --min-quality "$MIN_QUALITY" --output /dev/null --quiet
    time_runs "psql-COPY-clara_stream_jsonl" "$WORK/psql.jsonl" psql -qX -v q="$QUERY" -f "$WORK/copy.sql"
    time_runs "psql-COPY-raw-content" "$WORK/raw.txt" psql -qX -c "COPY (SELECT content FROM clara_documents LIMIT $rows) TO STDOUT"
} >"$WORK/results"

cmp -s "$WORK/export.jsonl" "$WORK/psql.jsonl" || echo "warning: clara-stream and psql exports differ" >&2
echo "query: $QUERY   top_k: $TOP_K   min_quality: $MIN_QUALITY   rows: $rows   runs: $RUNS (median)"
echo "clara-stream summary of the first run: $(grep -v NOTICE "$WORK/first" | tail -n 1)"
printf '%-30s %8s %10s %9s %10s\n' "" seconds "rows/s" "MB/s" "peak RSS"
while read -r name secs rss; do
    b=$bytes
    [ "$name" = psql-COPY-raw-content ] && b=$raw_bytes
    awk -v n="$name" -v s="$secs" -v r="$rows" -v b="$b" -v m="$rss" \
        'BEGIN { printf "%-30s %8.2f %10.0f %9.1f %8.1f MB\n", n, s, r / s, b / 1e6 / s, m / 1024 }'
done <"$WORK/results"
