#!/usr/bin/env bash
# A short run of the SQL-surface fuzzer (tests/fuzz/sql_fuzz.py) on a corpus
# with citations: random arguments, settings and edges relations of every
# column type, as the superuser and as a reader under row-level security.
# Fails on a crash, a statement that outlives its statement_timeout, or an
# internal error. make fuzz runs it longer (CLARA_FUZZ_SECONDS).
set -euo pipefail
TEST=fuzz_sql
source "$(dirname "$0")/lib/client.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
"$PYTHON" -c 'import psycopg' 2>/dev/null || fail "$PYTHON lacks psycopg (python3-psycopg)"

new_database
"$CLARA_STREAM" generate --docs 2000 --seed 17 --quiet | "$CLARA_STREAM" load - --quiet
edges=$(sql -c "SELECT count(*) FROM clara_edges")
[ "$edges" -gt 0 ] || fail "the corpus has no citations: the graph would not be exercised"

seconds=${CLARA_FUZZ_SECONDS:-40}
rc=0
"$PYTHON" "$ROOT/tests/fuzz/sql_fuzz.py" "dbname=$DB" --seconds "$seconds" ${CLARA_FUZZ_SEED:+--seed "$CLARA_FUZZ_SEED"} \
    | tee "$WORK/fuzz.out" || rc=${PIPESTATUS[0]}
summary=$(grep '^sql fuzz: [0-9]' "$WORK/fuzz.out" || true)
[ -n "$summary" ] || fail "the fuzzer printed no summary (exit $rc)"
[ "$rc" -eq 0 ] || fail "$summary"
statements=$(echo "$summary" | sed -n 's/^sql fuzz: \([0-9]*\) statements.*/\1/p')
[ "$statements" -ge 50 ] || fail "only $statements statements ran: $summary"
up=$(sql -c "SELECT 1")
[ "$up" = 1 ] || fail "the server does not answer after the fuzz run"
pass "${summary#sql fuzz: }"
