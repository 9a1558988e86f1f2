#!/usr/bin/env bash
# Crash safety (issue 13, point 6): kill -9 of a backend while it loads
# documents, and while it rebuilds the index (clara_compact()). The server
# then runs crash recovery (every backend restarts, WAL is replayed); after
# it, what was committed is whole: the index equals a fresh rebuild (every
# term's document frequency, the corpus statistics) and the duplicate
# clusters equal clara_dedup_rebuild()'s.
set -euo pipefail
TEST=crash_recovery
source "$(dirname "$0")/lib/client.bash"

new_database
"$CLARA_STREAM" generate --docs 6000 --seed 13 --output "$WORK/corpus.jsonl" --quiet
head -n 1500 "$WORK/corpus.jsonl" >"$WORK/first.jsonl"
tail -n 4500 "$WORK/corpus.jsonl" >"$WORK/rest.jsonl"
"$CLARA_STREAM" load "$WORK/first.jsonl" --quiet

index_state() {
    sql -c "SELECT md5(string_agg(term || ':' || df, ',' ORDER BY term)) || ' ' || count(*) FROM clara_terms
            WHERE df <> 0" -c "SELECT n_docs || ' ' || total_length || ' ' || gram_length FROM clara_corpus"
}
cluster_state() {  # the duplicate groups, as document ids
    sql -c "SELECT coalesce(md5(string_agg(g, ';' ORDER BY g)), 'none') FROM (
              SELECT string_agg(d.document_id, ',' ORDER BY d.document_id) AS g
              FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key) GROUP BY c.near_cluster) s"
}
# The pid of a backend of this database running a query like $1, once it
# has run for a while.
busy_backend() {
    local pattern=$1 pid="" i
    for i in $(seq 1 600); do
        pid=$(psql -qXAt -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'
                AND state = 'active' AND query ILIKE '$pattern' AND pid <> pg_backend_pid() LIMIT 1")
        [ -n "$pid" ] && break
        sleep 0.05
    done
    [ -n "$pid" ] || fail "no backend running $pattern"
    echo "$pid"
}
wait_for_server() {
    local i
    for i in $(seq 1 300); do
        psql -qXAt -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "the server did not come back after the crash"
}
check_whole() {  # what: after crash recovery the index and clusters equal a rebuild
    local what=$1 live rebuilt docs live_clusters rebuilt_clusters
    live=$(index_state)
    live_clusters=$(cluster_state)
    [ -n "$live" ] && [ -n "$live_clusters" ] || fail "$what: no index state"
    docs=$(sql -c "SELECT clara_compact()")
    rebuilt=$(index_state)
    [ -n "$rebuilt" ] || fail "$what: no index state after clara_compact()"
    [ "$live" = "$rebuilt" ] || fail "$what: the index differs from a rebuild:
  live    $live
  rebuilt $rebuilt"
    sql -c "SELECT clara_dedup_rebuild()" >/dev/null
    rebuilt_clusters=$(cluster_state)
    [ -n "$rebuilt_clusters" ] || fail "$what: no cluster state after clara_dedup_rebuild()"
    [ "$live_clusters" = "$rebuilt_clusters" ] || fail "$what: the duplicate clusters differ from a rebuild"
    pass "$what: $docs documents, the index and the duplicate clusters equal a fresh rebuild"
}

# 1. kill -9 of the loading backend, in the middle of its statements.
rc=0
PGOPTIONS="-c clara.index_flush_postings=2000" "$CLARA_STREAM" load "$WORK/rest.jsonl" --quiet \
    2>"$WORK/load.err" &
loader=$!
pid=$(busy_backend '%clara_documents%')
sleep 0.5
kill -9 "$pid"
wait "$loader" || rc=$?
[ "$rc" -ne 0 ] || fail "the load survived its backend's kill -9"
wait_for_server
n=$(sql -c "SELECT count(*) FROM clara_documents")
# A load is one transaction: nothing of the killed one may remain.
[ "$n" -eq 1500 ] || fail "after the crash: $n documents, expected the 1500 loaded before"
check_whole "kill -9 during a load (exit $rc, none of it kept)"

# 2. kill -9 while clara_compact() rewrites the index: the rewrite is lost,
#    the index before it stays. The load just before it was committed but
#    not checkpointed: recovery replays it from the WAL.
"$CLARA_STREAM" load "$WORK/rest.jsonl" --quiet
before=$(index_state)
[ -n "$before" ] || fail "no index state before the rebuild"
rc=0
psql -qXAt -d "$DB" -c "SELECT clara_compact()" >/dev/null 2>"$WORK/compact.err" &
compact=$!
pid=$(busy_backend '%clara_compact%')
sleep 0.3
kill -9 "$pid"
wait "$compact" || rc=$?
[ "$rc" -ne 0 ] || fail "clara_compact() survived its backend's kill -9"
wait_for_server
after=$(index_state)
[ "$after" = "$before" ] || fail "a killed clara_compact() changed the index:
  before $before
  after  $after"
pass "kill -9 during clara_compact(): the index is the one before it"
check_whole "after the killed rebuild"
