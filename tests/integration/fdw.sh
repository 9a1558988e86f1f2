#!/usr/bin/env bash
# Enrichment sources and the graph's edges behind a real postgres_fdw foreign
# server: a second database on the same cluster stands in for a remote store
# (Chroma, Neo4j, ...). Checks, through clara-stream exports:
#   1. the remote's fields arrive in metadata for exactly its documents;
#   2. one remote query per batch, not per document (pg_stat_statements);
#   3. a remote that is down: 'fail' aborts the export (one line, no file),
#      'skip' exports everything with the field null, the WARNING off stdout;
#   4. a slow remote: cancelled after timeout_ms, on the remote too;
#   5. a foreign edges table (clara.graph_edges) gives the same graph search
#      as clara_edges.
set -euo pipefail
TEST=fdw
source "$(dirname "$0")/lib/client.bash"

REMOTE="${DB}_remote"
trap 'dropdb --if-exists --force "$REMOTE" 2>/dev/null || true; cleanup' EXIT
# psql on the remote database (the stand-in for the remote store).
rsql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$REMOTE" "$@"; }
# A SQL string literal.
literal() { local q="'"; printf "'%s'" "${1//$q/$q$q}"; }
now_ms() { date +%s%3N; }

new_database
createdb -E UTF8 -T template0 "$REMOTE"
DSN="dbname=$DB"
"$CLARA_STREAM" generate --docs 2000 --seed 7 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --dsn "$DSN" --quiet

# The remote: a row for about a third of the documents (a NULL, quotes and
# umlauts among the values), plus one id the corpus does not have.
rsql -c "CREATE TABLE court_notes (document_id text PRIMARY KEY, court_rank int, note text)"
sql -c "COPY (SELECT document_id, doc_key % 5,
                     CASE WHEN doc_key % 7 = 0 THEN NULL ELSE 'Kammer \"' || document_id || '\" Größe ''' || doc_key END
              FROM clara_documents WHERE doc_key % 3 = 0) TO STDOUT" |
    rsql -c "COPY court_notes FROM STDIN"
rsql -c "INSERT INTO court_notes VALUES ('doc-9999999', 9, 'not in the corpus')"
rsql -c "SELECT json_object_agg(document_id, json_build_object('court_rank', court_rank, 'note', note))
         FROM court_notes" >"$WORK/expected.json"
remote_rows=$(rsql -c "SELECT count(*) FROM court_notes")

# The foreign server: this cluster, the remote database, our credentials.
options="dbname $(literal "$REMOTE"), port $(literal "${PGPORT:-5432}")"
[ -n "${PGHOST:-}" ] && options="host $(literal "$PGHOST"), $options"
mapping=""
[ -n "${PGUSER:-}" ] && mapping="user $(literal "$PGUSER")"
[ -n "${PGPASSWORD:-}" ] && mapping="${mapping:+$mapping, }password $(literal "$PGPASSWORD")"
sql >/dev/null <<SQL
CREATE EXTENSION postgres_fdw;
CREATE SERVER remote FOREIGN DATA WRAPPER postgres_fdw OPTIONS ($options);
CREATE USER MAPPING FOR CURRENT_USER SERVER remote ${mapping:+OPTIONS ($mapping)};
CREATE FOREIGN TABLE court_notes (document_id text, court_rank int, note text)
    SERVER remote OPTIONS (table_name 'court_notes');
SELECT clara_register_source('court', 'court_notes');
SQL
[ "$(sql -c "SELECT count(*) FROM court_notes")" -eq "$remote_rows" ] ||
    fail "the foreign table does not show the remote's $remote_rows rows"

# pg_stat_statements, if the cluster preloads it (tests/run_all.sh does).
have_pgss=false
if sql -c "SHOW shared_preload_libraries" | tr ',' '\n' | tr -d ' ' | grep -qx pg_stat_statements; then
    sql -c "CREATE EXTENSION pg_stat_statements"
    have_pgss=true
fi
# remote_calls TEXT: statements run in the remote database whose text has
# TEXT and ANY (postgres_fdw's DECLARE ... CURSOR FOR SELECT ... = ANY (...)).
remote_calls() {
    sql -v remote="$REMOTE" -v pattern="%$1%" <<'SQL'
SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = :'remote')
  AND query LIKE :'pattern' AND query LIKE '%ANY%'
SQL
}
ceil_div() { echo $((($1 + $2 - 1) / $2)); }

QUERY="Genehmigung Bescheid"
B=40
export_court() {  # export_court TOP_K FILE [more flags]
    local k=$1 out=$2
    shift 2
    "$CLARA_STREAM" --query "$QUERY" --top-k "$k" --min-quality 0 --batch-size "$B" --output "$out" \
        --dsn "$DSN" --quiet "$@"
}

# 1. The fields of the remote row, for exactly the documents the remote has.
check_court() {
    "$PYTHON" - "$WORK/expected.json" "$1" <<'PY' || fail "$1: the court fields do not match the remote table"
import json, sys
expected = json.load(open(sys.argv[1], encoding="utf-8"))
with_court = without = 0
for n, raw in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    doc = json.loads(raw)
    did, md = doc["document_id"], doc["metadata"]
    # Always an array: one JSON type in every line.
    if did in expected:
        assert md.get("court") == [expected[did]], f"line {n} ({did}): court {md.get('court')!r}, remote row {expected[did]!r}"
        with_court += 1
    else:
        assert md.get("court") == [], f"line {n} ({did}): court {md.get('court')!r}, but the remote has no row"
        without += 1
assert with_court > 0 and without > 0, f"{with_court} lines with court, {without} without: choose another query"
print(with_court, without)
PY
}
[ "$have_pgss" = true ] && sql -c "SELECT pg_stat_statements_reset()" >/dev/null
export_court 400 "$WORK/small.jsonl"
check_jsonl "$WORK/small.jsonl"
counts=$(check_court "$WORK/small.jsonl")  # (not read < <(...): its failure would go unnoticed)
read -r with without <<<"$counts"
small=$(lines "$WORK/small.jsonl")
pass "enrichment through postgres_fdw: $with of $small lines carry the remote row (values equal), $without without"

# 2. One remote query per batch: ceil(rows / batch size), for a small and a
#    bigger export alike (so proportional to batches, not to documents).
if [ "$have_pgss" = true ]; then
    calls_small=$(remote_calls court_notes)
    [ "$calls_small" -eq "$(ceil_div "$small" "$B")" ] ||
        fail "$small rows in batches of $B: $calls_small remote queries, expected $(ceil_div "$small" "$B")"
    sql -c "SELECT pg_stat_statements_reset()" >/dev/null
    export_court 1600 "$WORK/big.jsonl"
    check_court "$WORK/big.jsonl" >/dev/null
    big=$(lines "$WORK/big.jsonl")
    [ "$big" -ge $((3 * small)) ] || fail "the bigger export has $big lines, not at least 3 x $small"
    calls_big=$(remote_calls court_notes)
    [ "$calls_big" -eq "$(ceil_div "$big" "$B")" ] ||
        fail "$big rows in batches of $B: $calls_big remote queries, expected $(ceil_div "$big" "$B")"
    pass "remote queries: $calls_small for $small rows, $calls_big for $big rows (batches of $B)"
else
    echo "$TEST: skipped: remote query count: pg_stat_statements is not in shared_preload_libraries" \
         "(start the cluster with -o shared_preload_libraries=pg_stat_statements)"
fi

# 3. The remote is down (nothing listens on its port).
down_port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sql -c "ALTER SERVER remote OPTIONS (SET port '$down_port')"
expect_exit 5 "$CLARA_STREAM" --query "$QUERY" --top-k 400 --min-quality 0 --batch-size "$B" \
    --output "$WORK/down.jsonl" --dsn "$DSN"
stderr_has 'clara-stream: enrichment source "court" failed: could not connect to server "remote"'
[ "$(lines "$WORK/stderr")" -eq 1 ] || fail "remote down: stderr is not one line: $(cat "$WORK/stderr")"
[ ! -e "$WORK/down.jsonl" ] && [ ! -e "$WORK/down.jsonl.partial" ] || fail "remote down: a failed export left a file"
reason=$(cat "$WORK/stderr")
pass "remote down, on_error fail: exit 5, no file, one line: ${reason%%;*})"

sql -c "SELECT clara_register_source('court', 'court_notes', on_error => 'skip')" >/dev/null
expect_exit 0 export_court 400 "$WORK/skip.jsonl"
stderr_has 'enrichment source "court" skipped for the rest of this stream: could not connect to server "remote"'
[ "$(grep -c 'skipped for the rest of this stream' "$WORK/stderr")" -eq 1 ] ||
    fail "remote down, skip: expected one WARNING: $(cat "$WORK/stderr")"
check_jsonl "$WORK/skip.jsonl"
# The same export as the enriched one, less the field; and on stdout too.
"$PYTHON" - "$WORK/small.jsonl" "$WORK/skip.jsonl" <<'PY' || fail "remote down, skip: not the enriched export less its field"
import json, sys
def docs(path, drop):
    out = []
    for raw in open(path, encoding="utf-8"):
        doc = json.loads(raw)
        if drop:
            doc["metadata"]["court"] = None
        else:
            assert doc["metadata"]["court"] is None, f"{doc['document_id']} has a value of a skipped source"
        out.append(doc)
    return out
a, b = docs(sys.argv[1], True), docs(sys.argv[2], False)
assert a == b, f"{len(a)} enriched lines, {len(b)} skipped ones, or their documents differ"
PY
expect_exit 0 export_court 400 -
cmp -s "$WORK/stdout" "$WORK/skip.jsonl" || fail "remote down, skip: --output - differs from the file (WARNING on stdout?)"
stderr_has "skipped for the rest of this stream"
pass "remote down, on_error skip: exit 0, one WARNING, all $(lines "$WORK/skip.jsonl") lines parse, the field null in each; stdout clean"
sql -c "ALTER SERVER remote OPTIONS (SET port $(literal "${PGPORT:-5432}"))"
sql -c "SELECT clara_unregister_source('court')" >/dev/null

# 4. A slow remote: a view that sleeps SLEEP s, a source that waits 300 ms.
SLEEP=10
rsql -c "CREATE VIEW slow_notes AS SELECT n.* FROM court_notes n, pg_sleep($SLEEP) s"
sql -c "CREATE FOREIGN TABLE slow_notes (document_id text, court_rank int, note text)
        SERVER remote OPTIONS (table_name 'slow_notes')"
sql -c "SELECT clara_register_source('slow', 'slow_notes', timeout_ms => 300)" >/dev/null
# Remote backends sleeping in the slow view.
remote_sleepers() {
    sql -v remote="$REMOTE" <<'SQL'
SELECT count(*) FROM pg_stat_activity WHERE datname = :'remote' AND wait_event = 'PgSleep' AND pid <> pg_backend_pid()
SQL
}
# wait_for_sleepers N SECONDS: polls until remote_sleepers is N. The count
# is read into a variable and must be a number: a failing query is a
# failure, not an end of the wait (`[ "" -ne N ]` is false).
wait_for_sleepers() {
    local want=$1 deadline=$(($(now_ms) + $2 * 1000)) got
    while :; do
        got=$(remote_sleepers) || fail "wait_for_sleepers: the pg_stat_activity query failed"
        [[ $got =~ ^[0-9]+$ ]] || fail "wait_for_sleepers: not a count: '$got'"
        [ "$got" -eq "$want" ] && return 0
        [ "$(now_ms)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
}
# The probe sees a sleeping remote: a local query without a timeout, then
# cancelled (postgres_fdw passes the cancel on).
PGAPPNAME=fdw_probe psql -qXAt -d "$DB" -c "SELECT count(*) FROM slow_notes" >/dev/null 2>&1 &
probe=$!
wait_for_sleepers 1 5 || fail "slow remote: the probe never saw the remote backend in pg_sleep"
sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'fdw_probe'" >/dev/null
wait "$probe" && fail "slow remote: the probe query was not cancelled"
wait_for_sleepers 0 5 || fail "slow remote: the cancelled probe left the remote sleeping"

started=$(now_ms)
expect_exit 5 export_court 400 "$WORK/slow.jsonl"
fail_ms=$(($(now_ms) - started))
stderr_has 'enrichment source "slow" failed: no answer within 300 ms'
[ "$(lines "$WORK/stderr")" -eq 1 ] || fail "slow remote: stderr is not one line: $(cat "$WORK/stderr")"
[ "$fail_ms" -lt 2500 ] || fail "slow remote: the export took $fail_ms ms to fail, expected well under ${SLEEP} s"
[ ! -e "$WORK/slow.jsonl" ] && [ ! -e "$WORK/slow.jsonl.partial" ] || fail "slow remote: a failed export left a file"
wait_for_sleepers 0 2 || fail "slow remote: 2 s after the failed export a remote backend still sleeps (cancel did not reach it)"
pass "slow remote, on_error fail: exit 5 after $fail_ms ms, 'no answer within 300 ms', remote cancelled"

sql -c "SELECT clara_register_source('slow', 'slow_notes', timeout_ms => 300, on_error => 'skip')" >/dev/null
started=$(now_ms)
expect_exit 0 export_court 400 "$WORK/slow.jsonl"
skip_ms=$(($(now_ms) - started))
stderr_has 'enrichment source "slow" skipped for the rest of this stream: no answer within 300 ms'
check_jsonl "$WORK/slow.jsonl"
[ "$(lines "$WORK/slow.jsonl")" -eq "$small" ] || fail "slow remote, skip: $(lines "$WORK/slow.jsonl") lines, expected $small"
"$PYTHON" -c 'import json, sys; assert all(json.loads(l)["metadata"]["slow"] is None for l in open(sys.argv[1]))' \
    "$WORK/slow.jsonl" || fail "slow remote, skip: a line has a value of a skipped source (null expected)"
[ "$skip_ms" -lt $((SLEEP * 1000)) ] || fail "slow remote, skip: the export took $skip_ms ms"
wait_for_sleepers 0 2 || fail "slow remote: 2 s after the skipping export a remote backend still sleeps"
pass "slow remote, on_error skip: exit 0 after $skip_ms ms, $small lines with the field null, remote cancelled"
sql -c "SELECT clara_unregister_source('slow')" >/dev/null

# 5. The graph's edges from a foreign table: the same export as clara_edges.
rsql -c "CREATE TABLE edges (src_id text NOT NULL, dst_id text NOT NULL); CREATE TABLE no_edges (LIKE edges)"
sql -c "COPY clara_edges (src_id, dst_id) TO STDOUT" | rsql -c "COPY edges FROM STDIN"
[ "$(rsql -c "SELECT count(*) FROM edges")" -gt 0 ] || fail "the corpus has no citation edges"
sql <<'SQL'
CREATE FOREIGN TABLE remote_edges (src_id text, dst_id text) SERVER remote OPTIONS (table_name 'edges');
CREATE FOREIGN TABLE remote_no_edges (src_id text, dst_id text) SERVER remote OPTIONS (table_name 'no_edges');
SQL
export_graph() {  # export_graph FILE: graph search only
    "$CLARA_STREAM" --query "$QUERY" --search-types graph --top-k 1000 --min-quality 0 \
        --output "$1" --dsn "$DSN" --quiet
}
export_graph "$WORK/graph_local.jsonl"
[ "$(lines "$WORK/graph_local.jsonl")" -gt 0 ] || fail "graph search over clara_edges found nothing"
[ "$have_pgss" = true ] && sql -c "SELECT pg_stat_statements_reset()" >/dev/null
PGOPTIONS="-c clara.graph_edges=public.remote_edges" export_graph "$WORK/graph_remote.jsonl"
cmp -s "$WORK/graph_local.jsonl" "$WORK/graph_remote.jsonl" ||
    fail "graph search over the foreign edges table differs from clara_edges"
check_jsonl "$WORK/graph_remote.jsonl"
edge_queries=""
if [ "$have_pgss" = true ]; then
    edge_queries=$(remote_calls public.edges)
    [ "$edge_queries" -eq 1 ] || fail "graph search: $edge_queries queries on the remote edges, expected 1"
    edge_queries=", 1 remote edges query"
fi
# Control: an empty foreign edges table does change the result.
PGOPTIONS="-c clara.graph_edges=public.remote_no_edges" export_graph "$WORK/graph_none.jsonl"
! cmp -s "$WORK/graph_local.jsonl" "$WORK/graph_none.jsonl" ||
    fail "graph search ignores clara.graph_edges (an empty edges table gives the same export)"
pass "graph search over a foreign edges table: $(lines "$WORK/graph_remote.jsonl") lines byte-identical to clara_edges$edge_queries; empty edges: $(lines "$WORK/graph_none.jsonl") lines"
