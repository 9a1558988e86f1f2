#!/usr/bin/env bash
# The Python package (client/python/clara) against a real cluster: pytest
# over tests/python, with Debian's python3 and psycopg 3. A corpus of 30K
# generated documents, so the streams are large enough to show flat memory
# and early first documents.
set -euo pipefail
TEST=python
source "$(dirname "$0")/lib/client.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

"$PYTHON" -c 'import psycopg, pytest' 2>/dev/null ||
    fail "$PYTHON lacks psycopg or pytest (python3-psycopg, python3-pytest: tools/install-deps.sh)"

new_database
"$CLARA_STREAM" generate --docs 30000 --seed 5 --quiet | "$CLARA_STREAM" load - --quiet

# -P: the repository root must not come first on sys.path (its clara.so,
# the extension, would shadow the clara package). No bytecode or cache
# files in the tree.
rc=0
(cd "$ROOT" && CLARA_TEST_DSN="dbname=$DB" PYTHONPATH="$ROOT/client/python" PYTHONDONTWRITEBYTECODE=1 \
    "$PYTHON" -P -m pytest -q -p no:cacheprovider -o console_output_style=classic tests/python) \
    2>&1 | tee "$WORK/pytest.out" || rc=${PIPESTATUS[0]}
[ "$rc" -ne 5 ] || fail "pytest collected no tests"
[ "$rc" -eq 0 ] || fail "pytest exit $rc"
summary=$(grep -E '^[0-9]+ passed' "$WORK/pytest.out" | tail -n 1)
[ -n "$summary" ] || fail "no pytest summary line"
pass "pytest: $summary"
