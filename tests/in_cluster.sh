#!/usr/bin/env bash
# Runs inside pg_virtualenv: PGHOST, PGPORT, PGUSER, PGPASSWORD point at a
# fresh cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

echo "-- pg_regress"
if ! make -s installcheck PG_CONFIG="$PG_CONFIG"; then
    status=1
    [ -f build/regress/regression.diffs ] && head -n 200 build/regress/regression.diffs
fi

for t in tests/integration/*.sh; do
    [ -e "$t" ] || continue
    echo "-- $t"
    if bash "$t"; then
        echo "PASSED: $t"
    else
        echo "FAILED: $t"
        status=1
    fi
done
exit $status
