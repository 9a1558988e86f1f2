#!/usr/bin/env bash
# sqlsmith (Debian's package) against a database with the clara extension
# and a small loaded corpus, as a role with the loader's and searcher's
# grants (docs/security.md): random queries over every function, operator
# and table it can see, clara_* included, and random INSERT / UPDATE /
# DELETE / MERGE on clara_documents and clara_edges (the indexing triggers).
# Statements may fail; the server must not: the test fails when it stops
# answering or its log says a backend was terminated by a signal.
# CLARA_FUZZ_SECONDS (default 30) bounds the run; make fuzz runs it longer.
set -euo pipefail
TEST=fuzz_sqlsmith
source "$(dirname "$0")/lib/client.bash"
command -v sqlsmith >/dev/null || fail "sqlsmith is not installed (apt-get install sqlsmith; tools/install-deps.sh)"

new_database
"$CLARA_STREAM" generate --docs 500 --seed 23 --quiet | "$CLARA_STREAM" load - --quiet
role=clara_smith_$$
password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
sql <<SQL
CREATE ROLE $role LOGIN PASSWORD '$password';
GRANT SELECT, INSERT, UPDATE, DELETE ON clara_documents, clara_edges TO $role;
-- sqlsmith sets no timeout of its own: a random cross join must not run for minutes.
ALTER ROLE $role SET statement_timeout = '2s';
SQL
cleanup_role() {
    sql -c "DROP OWNED BY $role" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    cleanup
}
trap cleanup_role EXIT

# The server's log: pg_virtualenv's cluster is "regress" (pg_lsclusters knows where its log is).
log=$(pg_lsclusters -h 2>/dev/null | awk -v port="${PGPORT:-5432}" '$3 == port { print $7; exit }')
log_lines_before=0
[ -n "$log" ] && [ -r "$log" ] && log_lines_before=$(wc -l <"$log")

seconds=${CLARA_FUZZ_SECONDS:-30}
seed=${CLARA_FUZZ_SEED:-$RANDOM}
started=$(date +%s)
# sqlsmith runs until stopped; SIGINT makes it print its report (queries, error counts).
timeout -s INT "$seconds" sqlsmith --verbose --exclude-catalog --seed="$seed" --dump-all-queries \
    --target="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=$DB user=$role password=$password" \
    >"$WORK/queries.sql" 2>"$WORK/sqlsmith.err" || true
elapsed=$(( $(date +%s) - started ))

# sqlsmith repeats its report as it goes: the last one counts.
awk '/^queries: [0-9]+/ { report = "" } { report = report $0 "\n" } END { printf "%s", report }' \
    "$WORK/sqlsmith.err" >"$WORK/report"
queries=$(sed -n 's/^queries: \([0-9]*\).*/\1/p' "$WORK/report")
[ -n "$queries" ] || fail "sqlsmith printed no report: $(tail -c 800 "$WORK/sqlsmith.err")"
errors=$(awk -F'\t' '$1 ~ /^[0-9]+$/ && $2 ~ /ERROR/ { n += $1 } END { print n + 0 }' "$WORK/report")
error_rate=$(sed -n 's/^error rate: //p' "$WORK/report")
clara_queries=$(awk 'BEGIN { RS = ";\n" } /clara_[a-z_]+ *\(/ { n++ } END { print n + 0 }' "$WORK/queries.sql")
# The progress lines: '.' ok, 'e' error, 'S' syntax error, 't' timeout, 'C' lost connection.
lost=$(grep -E '^[.a-zA-Z]+$' "$WORK/sqlsmith.err" | grep -vE '[a-df-zA-BD-RT-Z]' | tr -cd 'C' | wc -c)
echo "$TEST: seed $seed, $elapsed s: $queries queries ($clara_queries call a clara_ function), $errors errors (rate ${error_rate:-?}), $lost lost connections"
echo "$TEST: most frequent errors:"
grep -P '^\d+\tERROR' "$WORK/report" | sort -rn | sed -n 1,5p | cut -c1-120 | sed 's/^/    /'

up=$(sql -c "SELECT 1" 2>/dev/null || true)
[ "$up" = 1 ] || fail "the server does not answer after sqlsmith (seed $seed)"
if [ -n "$log" ] && [ -r "$log" ]; then
    crashes=$(tail -n +"$((log_lines_before + 1))" "$log" | grep -E 'terminated by signal|server process .* was terminated|PANIC' || true)
    if [ -n "$crashes" ]; then
        echo "$crashes" | head -5
        # The statement that killed the backend is in the log line after "Failed process was running".
        tail -n +"$((log_lines_before + 1))" "$log" | grep -A1 'terminated by signal' | head -10
        fail "a backend crashed under sqlsmith (seed $seed)"
    fi
else
    echo "$TEST: warning: the server log was not found; only checked that it answers"
fi
[ "$queries" -ge 100 ] || fail "only $queries queries ran"
pass "$queries queries in $elapsed s ($clara_queries calling clara_), $errors errors, no crash"
