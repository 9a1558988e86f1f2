# Helpers for the clara-stream integration tests (sourced, not run: the test
# runner only runs tests/integration/*.sh). Each test sets TEST before
# sourcing; it gets its own database, dropped again on exit.
CLARA_STREAM=${CLARA_STREAM:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)/build/clara-stream}
PYTHON=/usr/bin/python3  # Debian's, whatever python3 comes first on PATH
[ -x "$CLARA_STREAM" ] || { echo "$TEST: $CLARA_STREAM is not built (make client)" >&2; exit 1; }

WORK=$(mktemp -d)
DB="clara_${TEST}_$$"
cleanup() {
    rm -rf "$WORK"
    dropdb --if-exists "$DB" 2>/dev/null || true
}
trap cleanup EXIT

fail() { echo "$TEST: FAIL: $*" >&2; exit 1; }
pass() { echo "$TEST: ok: $*"; }

# psql on the test database: unaligned, tuples only, stop on error.
sql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

new_database() {
    dropdb --if-exists "$DB"
    createdb -E UTF8 -T template0 "$DB"
    sql -c "CREATE EXTENSION clara"
    export PGDATABASE=$DB
}

# expect_exit CODE CMD...: runs CMD, its stderr kept in $WORK/stderr.
expect_exit() {
    local want=$1 got=0
    shift
    "$@" >"$WORK/stdout" 2>"$WORK/stderr" || got=$?
    [ "$got" -eq "$want" ] || fail "expected exit $want, got $got from: $* (stderr: $(head -c 500 "$WORK/stderr"))"
}

# stderr_has TEXT: the last expect_exit's stderr mentions TEXT.
stderr_has() {
    grep -qF -- "$1" "$WORK/stderr" || fail "stderr does not mention '$1': $(head -c 500 "$WORK/stderr")"
}

# The reference export: psql's COPY of the same call. $1 query, then the SQL
# text of the remaining arguments (top_k, min_quality, filters, search_types,
# weights, batch_size). The query travels as a psql variable (:'q' quotes it).
reference_copy() {
    local query=$1 rest=$2
    PGCLIENTENCODING=UTF8 psql -qX -v ON_ERROR_STOP=1 -d "$DB" -v q="$query" <<SQL
COPY (SELECT clara_stream_jsonl(:'q', $rest)) TO STDOUT WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SQL
}

# Every line is a training line: valid JSON, the six keys in their order.
check_jsonl() {
    "$PYTHON" - "$1" <<'PY' || fail "$1 has lines that are not training lines"
import json, sys
keys = ["text", "metadata", "source", "quality_score", "document_id", "relevance_score"]
with open(sys.argv[1], "rb") as f:
    for n, raw in enumerate(f, 1):
        assert raw.endswith(b"\n"), f"line {n}: no newline"
        doc = json.loads(raw.decode("utf-8"))
        assert list(doc) == keys, f"line {n}: keys {list(doc)}"
        assert isinstance(doc["metadata"], dict), f"line {n}: metadata"
PY
}

lines() { wc -l <"$1" | tr -d ' '; }

# store_copy RUN ORIGINAL COPY: stores a copy of document ORIGINAL's text
# under the id COPY (RUN: sql, or a function like it for another server) and
# prints how many exact-duplicate clusters hold both (1 when the copy was
# filed with its original).
store_copy() {
    local run=$1 original=$2 copy=$3
    "$run" -c "INSERT INTO clara_documents (document_id, title, content, domain)
               SELECT '$copy', title, content, domain FROM clara_documents WHERE document_id = '$original'" >/dev/null
    "$run" -c "SELECT count(*) FROM clara_dup_clusters a JOIN clara_dup_clusters b ON a.exact_cluster = b.exact_cluster
               WHERE a.doc_key = (SELECT doc_key FROM clara_documents WHERE document_id = '$original')
                 AND b.doc_key = (SELECT doc_key FROM clara_documents WHERE document_id = '$copy')"
}
