#!/usr/bin/env bash
# Crash safety (issue 13, point 6): kill -9 of a backend while it loads
# documents, and while it rebuilds the index (clara_compact()); then the
# whole server stopped with `pg_ctl stop -m immediate` (no checkpoint) during
# a load and during clara_compact(), and started again. The server runs crash
# recovery each time (WAL replay); after it, what was committed is whole: the
# index equals a fresh rebuild (every term's document frequency and postings,
# the corpus statistics) and the duplicate clusters equal
# clara_dedup_rebuild()'s; the duplicate keys (an unlogged table, empty after
# recovery) are filled again by the first write, which finds the copy of a
# document stored before the crash. The server is the one the tests were given
# (lib/server.bash finds its data directory and pg_ctl).
set -euo pipefail
TEST=crash_recovery
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/server.bash"

new_database
"$CLARA_STREAM" generate --docs 10500 --seed 13 --output "$WORK/corpus.jsonl" --quiet
sed -n '1,1500p' "$WORK/corpus.jsonl" >"$WORK/first.jsonl"
sed -n '1501,6000p' "$WORK/corpus.jsonl" >"$WORK/rest.jsonl"
sed -n '6001,7500p' "$WORK/corpus.jsonl" >"$WORK/third.jsonl"
sed -n '7501,10500p' "$WORK/corpus.jsonl" >"$WORK/fourth.jsonl"
"$CLARA_STREAM" load "$WORK/first.jsonl" --quiet

# index_state: every term's df; every posting (term, doc_key, tf, length:
# the 12-byte records of the blocks, so how they are split into blocks does
# not count); the corpus counts. One text per line.
index_state() {
    sql -c "SELECT md5(string_agg(term || ':' || df, ',' ORDER BY term)) || ' ' || count(*) FROM clara_terms
            WHERE df <> 0" \
        -c "SELECT md5(string_agg(p, ',' ORDER BY p COLLATE \"C\")) || ' ' || count(*) FROM (
              SELECT term || ':' || encode(substring(postings FROM 1 + 12 * i FOR 12), 'hex') AS p
              FROM clara_postings, generate_series(0, length(postings) / 12 - 1) i) s" \
        -c "SELECT n_docs || ' ' || total_length || ' ' || gram_length FROM clara_corpus"
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
# The duplicate lookup keys (clara_dedup_bands, unlogged), marker row included.
keys_state() {
    sql -c "SELECT coalesce(md5(string_agg(band || ':' || doc_key, ',' ORDER BY band, doc_key)), 'none') || ' ' ||
            count(*) FROM clara_dedup_bands"
}
# After crash recovery the unlogged key table is empty; the first writing
# statement fills it again. A copy of a document stored before the crash,
# inserted now, must join that document's cluster, and the keys must equal
# the ones clara_dedup_rebuild() writes (compared in check_whole). The
# copies stay (deleting one would leave dead postings until a compaction);
# the steps' counts leave them out.
copies=0
copy_joins_cluster() {  # what
    local what=$1 n original joined copy
    copies=$((copies + 1))
    copy="copy-$copies-"

    n=$(sql -c "SELECT count(*) FROM clara_dedup_bands")
    [ "$n" -eq 0 ] || fail "$what: clara_dedup_bands holds $n rows after crash recovery (it is unlogged: 0 expected)"
    original=$(sql -c "SELECT document_id FROM clara_documents WHERE document_id NOT LIKE 'copy-%'
                       ORDER BY doc_key LIMIT 1 OFFSET 700")
    [ -n "$original" ] || fail "$what: no document to copy"
    joined=$(store_copy sql "$original" "$copy$original")
    [ "$joined" -eq 1 ] || fail "$what: a copy of $original inserted after recovery is not in its cluster"
    n=$(sql -c "SELECT count(*) FROM clara_dedup_bands")
    [ "$n" -gt 1000 ] || fail "$what: clara_dedup_bands holds $n rows after the first write (not filled again)"
}
check_whole() {  # what: after crash recovery the index and clusters equal a rebuild
    local what=$1 live rebuilt docs live_clusters rebuilt_clusters live_keys rebuilt_keys
    copy_joins_cluster "$what"
    # (The copy, a single-row INSERT, waits in the pending list: into the
    # index with it, as a rebuild would.)
    sql -c "SELECT clara_flush_pending()" >/dev/null
    live_keys=$(keys_state)
    live=$(index_state)
    live_clusters=$(cluster_state)
    [ "$(wc -l <<<"$live")" -eq 3 ] && [ -n "$live_clusters" ] || fail "$what: no index state"
    docs=$(sql -c "SELECT clara_compact()")
    rebuilt=$(index_state)
    [ "$(wc -l <<<"$rebuilt")" -eq 3 ] || fail "$what: no index state after clara_compact()"
    [ "$live" = "$rebuilt" ] || fail "$what: the index differs from a rebuild:
  live    $live
  rebuilt $rebuilt"
    sql -c "SELECT clara_dedup_rebuild()" >/dev/null
    rebuilt_clusters=$(cluster_state)
    [ -n "$rebuilt_clusters" ] || fail "$what: no cluster state after clara_dedup_rebuild()"
    [ "$live_clusters" = "$rebuilt_clusters" ] || fail "$what: the duplicate clusters differ from a rebuild"
    rebuilt_keys=$(keys_state)
    [ -n "$live_keys" ] && [ -n "$rebuilt_keys" ] || fail "$what: no duplicate key state"
    [ "$live_keys" = "$rebuilt_keys" ] || fail "$what: the duplicate keys filled after recovery differ from a rebuild's:
  filled  $live_keys
  rebuilt $rebuilt_keys"
    pass "$what: $docs documents, the index, the duplicate keys (filled again after recovery) and clusters equal a fresh rebuild"
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
n=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id NOT LIKE 'copy-%'")
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

# 3. pg_ctl stop -m immediate while a load runs. The load before it was
#    committed but not checkpointed: recovery replays it from the WAL; the
#    interrupted one leaves nothing.
"$CLARA_STREAM" load "$WORK/third.jsonl" --quiet
rc=0
PGOPTIONS="-c clara.index_flush_postings=2000" "$CLARA_STREAM" load "$WORK/fourth.jsonl" --quiet \
    2>"$WORK/load.err" &
loader=$!
busy_backend '%clara_documents%' >/dev/null
sleep 0.5
stop_immediate
wait "$loader" || rc=$?
[ "$rc" -ne 0 ] || fail "the load survived pg_ctl stop -m immediate"
start_again
n=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id NOT LIKE 'copy-%'")
[ "$n" -eq 7500 ] || fail "after the immediate stop: $n documents, expected the 7500 committed before"
check_whole "pg_ctl stop -m immediate during a load (exit $rc, none of it kept)"

# 4. pg_ctl stop -m immediate while clara_compact() rewrites the index.
"$CLARA_STREAM" load "$WORK/fourth.jsonl" --quiet
before=$(index_state)
[ "$(wc -l <<<"$before")" -eq 3 ] || fail "no index state before the rebuild"
rc=0
psql -qXAt -d "$DB" -c "SELECT clara_compact()" >/dev/null 2>"$WORK/compact.err" &
compact=$!
busy_backend '%clara_compact%' >/dev/null
sleep 0.3
stop_immediate
wait "$compact" || rc=$?
[ "$rc" -ne 0 ] || fail "clara_compact() survived pg_ctl stop -m immediate"
start_again
after=$(index_state)
[ "$after" = "$before" ] || fail "an interrupted clara_compact() changed the index:
  before $before
  after  $after"
pass "pg_ctl stop -m immediate during clara_compact(): the index is the one before it"
check_whole "after the interrupted rebuild (10500 documents)"
