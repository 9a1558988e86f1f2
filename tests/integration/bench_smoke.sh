#!/usr/bin/env bash
# make bench-smoke inside the test cluster: every benchmark variant runs once
# on a 10K corpus (top_k 100, 1K, all), a 2K load and the write section at a
# tiny size (bulk three ways, single-row INSERTs, four writers, latency after
# compaction); fails when a variant's output is wrong (line count, JSON,
# duplicate ids, clara-stream differing from psql's COPY), a write loses or
# doubles a document or hits an error, or a command fails, so the harness
# cannot rot.
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
bash bench/run.sh --smoke || status=$?
dropdb --if-exists clara_bench_10000 2>/dev/null || true
exit "$status"
