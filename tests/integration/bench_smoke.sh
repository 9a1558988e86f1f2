#!/usr/bin/env bash
# make bench-smoke inside the test cluster: every benchmark variant runs once
# on a 10K corpus (top_k 100, 1K, all) and a 2K load; fails when a variant's
# output is wrong (line count, JSON, duplicate ids, clara-stream differing
# from psql's COPY) or a command fails, so the harness cannot rot.
set -euo pipefail
cd "$(dirname "$0")/../.."
status=0
bash bench/run.sh --smoke || status=$?
dropdb --if-exists clara_bench_10000 2>/dev/null || true
exit "$status"
