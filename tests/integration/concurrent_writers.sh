#!/usr/bin/env bash
# Concurrent writers: four loads at once, each flushing its index many
# times (clara.index_flush_postings=300), of disjoint new ids, and then two
# loads of the same new ids in opposite orders. No deadlock (40P01), no lost
# or doubled document, and the index equals a fresh rebuild afterwards:
# every term's document frequency and the corpus statistics are what
# clara_compact() computes from the stored documents.
set -euo pipefail
TEST=concurrent_writers
source "$(dirname "$0")/lib/client.bash"

new_database
"$CLARA_STREAM" generate --docs 4000 --seed 9 --output "$WORK/corpus.jsonl" --quiet
head -n 3200 "$WORK/corpus.jsonl" | split -l 800 - "$WORK/part."
tail -n 800 "$WORK/corpus.jsonl" >"$WORK/shared.jsonl"
tac "$WORK/shared.jsonl" >"$WORK/shared-reversed.jsonl"
export PGOPTIONS="-c clara.index_flush_postings=300"

# index_state: every term's df and the corpus counts, as one text.
index_state() {
    sql -c "SELECT md5(string_agg(term || ':' || df, ',' ORDER BY term)) || ' ' || count(*) FROM clara_terms
            WHERE df <> 0" -c "SELECT n_docs || ' ' || total_length || ' ' || gram_length FROM clara_corpus"
}

run_loads() {  # files...: one load each, all at once; fails on any non-zero exit
    local pids=() f rc=0 i=0
    for f in "$@"; do
        "$CLARA_STREAM" load "$f" --quiet 2>"$WORK/load.$i.err" &
        pids+=($!)
        i=$((i + 1))
    done
    i=0
    for pid in "${pids[@]}"; do
        wait "$pid" || { rc=$?; echo "load $i: exit $rc: $(cat "$WORK/load.$i.err")" >&2; }
        i=$((i + 1))
    done
    [ "$rc" -eq 0 ] || fail "a concurrent load failed (deadlock?): $(cat "$WORK"/load.*.err)"
}

run_loads "$WORK"/part.*
n=$(sql -c "SELECT count(*) FROM clara_documents")
[ "$n" -eq 3200 ] || fail "four disjoint loads: $n documents, expected 3200"
pass "four concurrent loads of disjoint ids, many flushes each: no deadlock, 3200 documents"

run_loads "$WORK/shared.jsonl" "$WORK/shared-reversed.jsonl"
n=$(sql -c "SELECT count(*) FROM clara_documents")
dup=$(sql -c "SELECT count(*) - count(DISTINCT document_id) FROM clara_documents")
[ "$n" -eq 4000 ] && [ "$dup" -eq 0 ] || fail "two loads of the same ids: $n documents, $dup doubled"
pass "two concurrent loads of the same new ids in opposite orders: no deadlock, none lost or doubled"

# The same 800 documents changed, loaded twice at once in opposite orders:
# both loads UPDATE the same existing rows (and replace their edges).
"$PYTHON" - "$WORK/shared.jsonl" "$WORK/changed.jsonl" <<'PY'
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        doc = json.loads(line)
        doc["content"] += " Nachtrag: geändert."
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
PY
tac "$WORK/changed.jsonl" >"$WORK/changed-reversed.jsonl"
run_loads "$WORK/changed.jsonl" "$WORK/changed-reversed.jsonl"
n=$(sql -c "SELECT count(*) FROM clara_documents WHERE content LIKE '% Nachtrag: geändert.'")
[ "$n" -eq 800 ] || fail "two loads changing the same documents: $n of 800 changed"
pass "two concurrent loads changing the same 800 documents in opposite orders: no deadlock, all changed"

live=$(index_state)
[ -n "$live" ] || fail "no index state"
rebuilt_docs=$(sql -c "SELECT clara_compact()")
rebuilt=$(index_state)
[ -n "$rebuilt" ] && [ "$rebuilt_docs" -eq 4000 ] || fail "clara_compact(): '$rebuilt_docs' documents"
[ "$live" = "$rebuilt" ] || fail "the index after concurrent loads differs from a rebuild:
  live    $live
  rebuilt $rebuilt"
pass "the index after concurrent loads equals a fresh rebuild (every term's df, corpus counts)"

# The pending list (docs/limits.md): four writers of single-row INSERTs at
# once (each row a pending row), the list kept small (64 kB) so that many
# statements flush it while the others write, and a fifth session deleting
# and re-texting documents, pending or indexed, at the same time. No
# deadlock, no error; after clara_flush_pending() the index equals a fresh
# rebuild: every term's df and every posting of a live document.
unset PGOPTIONS
export PGOPTIONS="-c clara.pending_list_limit=64 -c clara.pending_max_docs=16"
sql -c "TRUNCATE clara_documents"
sql <<'SQL'
CREATE FUNCTION pending_text(w int, i int) RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(CASE WHEN j % 3 = 0 THEN md5(w || '-' || i || '-' || j)
                           ELSE (ARRAY['Photovoltaik', 'Speicher', 'Genehmigung', 'Behörde', 'Dachanlage',
                                       'Widerspruch', 'Bescheid', 'Denkmalschutz'])[1 + (w * 7 + i * 3 + j) % 8]
                      END, ' ')
    FROM generate_series(1, 40) j
$$;
SQL
per_writer=250
for w in 1 2 3 4; do
    for i in $(seq 1 "$per_writer"); do
        echo "INSERT INTO clara_documents (document_id, title, content) VALUES ('w$w-$i', 'Writer $w document $i', pending_text($w, $i));"
    done >"$WORK/writer.$w.sql"
done
for i in $(seq 1 150); do
    if [ $((i % 2)) -eq 0 ]; then
        echo "DELETE FROM clara_documents WHERE document_id = (SELECT document_id FROM clara_documents ORDER BY random() LIMIT 1);"
    else
        echo "UPDATE clara_documents SET content = content || ' geändert $i' WHERE document_id = (SELECT document_id FROM clara_documents ORDER BY random() LIMIT 1);"
    fi
done >"$WORK/changer.sql"
run_sql_files() {  # what file...: runs the SQL files at once; fails on any error
    local what=$1 pids=() f pid rc=0
    shift
    for f in "$@"; do
        sql -f "$f" >/dev/null 2>"$f.err" &
        pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
    [ "$rc" -eq 0 ] || fail "$what failed (deadlock?): $(cat "${@/%/.err}")"
}
run_sql_files "a concurrent single-row writer" "$WORK"/writer.*.sql "$WORK/changer.sql"
deleted=$(grep -c '^DELETE' "$WORK/changer.sql")
n=$(sql -c "SELECT count(*) FROM clara_documents")
dup=$(sql -c "SELECT count(*) - count(DISTINCT document_id) FROM clara_documents")
[ "$n" -ge $((4 * per_writer - deleted)) ] && [ "$dup" -eq 0 ] || fail "single-row writers: $n documents, $dup doubled"
flushes=$(sql -c "SELECT count(*) FROM clara_terms WHERE df > 0")
[ "$flushes" -gt 0 ] || fail "the pending list was never flushed during the writes"
pass "four single-row writers and a changer at once through the pending list: no deadlock, $n documents, none doubled"

# index_state: every term's df; every posting of a live document (term and
# its 12 bytes, however split into blocks); the corpus counts.
pending_state() {
    sql -c "SELECT md5(string_agg(term || ':' || df, ',' ORDER BY term)) || ' ' || count(*) FROM clara_terms
            WHERE df <> 0" \
        -c "SELECT md5(string_agg(p, ',' ORDER BY p COLLATE \"C\")) || ' ' || count(*) FROM (
              SELECT term || ':' || encode(substring(postings FROM 1 + 12 * i FOR 12), 'hex') AS p,
                     get_byte(postings, 12 * i) + 256 * get_byte(postings, 12 * i + 1)
                     + 65536 * get_byte(postings, 12 * i + 2) + 16777216 * get_byte(postings, 12 * i + 3) AS k
              FROM clara_postings, generate_series(0, length(postings) / 12 - 1) i) s
            WHERE k IN (SELECT doc_key FROM clara_documents)" \
        -c "SELECT n_docs || ' ' || total_length || ' ' || gram_length || ' ' || pending_bytes FROM clara_corpus"
}
pending_rows=$(sql -c "SELECT count(*) FROM clara_pending")
bytes_ok=$(sql -c "SELECT pending_bytes = (SELECT coalesce(sum(length(data)), 0) FROM clara_pending) FROM clara_corpus")
[ "$bytes_ok" = t ] || fail "clara_corpus.pending_bytes differs from the pending rows' size"
orphans=$(sql -c "SELECT count(*) FROM clara_pending WHERE doc_key NOT IN (SELECT doc_key FROM clara_documents)")
[ "$orphans" -eq 0 ] || fail "$orphans pending rows of documents that are gone"
moved=$(sql -c "SELECT clara_flush_pending()")
[ "$moved" -eq "$pending_rows" ] || fail "clara_flush_pending() moved $moved of $pending_rows pending documents"
live=$(pending_state)
[ -n "$live" ] || fail "no index state"
rebuilt_docs=$(sql -c "SELECT clara_compact()")
rebuilt=$(pending_state)
[ -n "$rebuilt" ] && [ "$rebuilt_docs" -eq "$n" ] || fail "clara_compact(): '$rebuilt_docs' documents of $n"
[ "$live" = "$rebuilt" ] || fail "the index after pending writes and a flush differs from a rebuild:
  live    $live
  rebuilt $rebuilt"
pass "after pending writes and clara_flush_pending() ($moved documents) the index equals a fresh rebuild (df, postings, corpus)"

# The background flush (docs/limits.md, "Pending list"): the same four
# writers and the changer, with clara.pending_background_limit at 64 kB and
# the inline flush out of reach (clara.pending_list_limit 1 GB), so only
# the worker moves the list into the index; meanwhile a sixth session runs
# clara_compact() now and then, which deletes the whole index in the
# reverse lock order of a flush (the worker holds clara_documents in ROW
# EXCLUSIVE mode, so the two queue). No statement fails; once the workers
# are done the list is short, and after a last flush the index equals a
# fresh rebuild.
export PGOPTIONS="-c clara.pending_list_limit=1048576 -c clara.pending_background_limit=64 -c clara.pending_max_docs=16"
sql -c "TRUNCATE clara_documents"
for f in "$WORK"/writer.*.sql; do sed -i "s/VALUES ('w/VALUES ('bg-w/" "$f"; done
for i in 1 2 3 4 5; do echo "SELECT pg_sleep(0.3); SELECT clara_compact();"; done >"$WORK/compacter.sql"
run_sql_files "a writer beside the background flush" "$WORK"/writer.*.sql "$WORK/changer.sql" "$WORK/compacter.sql"

# Waits (polling, at most 60 s) until no worker has run for a second.
wait_for_flush_workers() {
    local idle=0 running
    for _ in $(seq 1 300); do
        running=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'clara flush'")
        if [ "$running" -eq 0 ]; then idle=$((idle + 1)); else idle=0; fi
        [ "$idle" -ge 5 ] && return 0
        sleep 0.2
    done
    fail "a background flush was still running after 60 s"
}
wait_for_flush_workers
n=$(sql -c "SELECT count(*) FROM clara_documents")
dup=$(sql -c "SELECT count(*) - count(DISTINCT document_id) FROM clara_documents")
[ "$n" -ge $((4 * per_writer - deleted)) ] && [ "$dup" -eq 0 ] || fail "writers beside the background flush: $n documents, $dup doubled"
pending_rows=$(sql -c "SELECT count(*) FROM clara_pending")
pending_kb=$(sql -c "SELECT pending_bytes / 1024 FROM clara_corpus")
# What the last writers added after the last worker's snapshot may stay:
# less than the 64 kB that starts a worker and what came during its flush.
[ "$pending_kb" -lt 256 ] || fail "the pending list holds $pending_kb kB ($pending_rows rows) after the background flushes"
bytes_ok=$(sql -c "SELECT pending_bytes = (SELECT coalesce(sum(length(data)), 0) FROM clara_pending) FROM clara_corpus")
[ "$bytes_ok" = t ] || fail "clara_corpus.pending_bytes differs from the pending rows' size after the background flushes"
pass "four single-row writers, a changer and clara_compact() beside the background flush: no error, $n documents, $pending_rows rows ($pending_kb kB) left pending"

# Without the compacter, nothing but the worker can flush: the index must
# have grown while the writers wrote.
sql -c "TRUNCATE clara_documents"
for f in "$WORK"/writer.*.sql; do sed -i "s/VALUES ('bg-w/VALUES ('bg2-w/" "$f"; done
run_sql_files "a writer" "$WORK"/writer.*.sql
wait_for_flush_workers
indexed=$(sql -c "SELECT count(*) FROM clara_documents d WHERE NOT EXISTS (SELECT 1 FROM clara_pending p WHERE p.doc_key = d.doc_key)")
[ "$indexed" -gt 0 ] || fail "no document left the pending list: the background flush never ran"
pending_rows=$(sql -c "SELECT count(*) FROM clara_pending")
moved=$(sql -c "SELECT clara_flush_pending()")
[ "$moved" -eq "$pending_rows" ] || fail "clara_flush_pending() moved $moved of $pending_rows pending documents"
live=$(pending_state)
[ -n "$live" ] || fail "no index state"
n=$(sql -c "SELECT count(*) FROM clara_documents")
rebuilt_docs=$(sql -c "SELECT clara_compact()")
rebuilt=$(pending_state)
[ -n "$rebuilt" ] && [ "$rebuilt_docs" -eq "$n" ] || fail "clara_compact(): '$rebuilt_docs' documents of $n"
[ "$live" = "$rebuilt" ] || fail "the index after background flushes differs from a rebuild:
  live    $live
  rebuilt $rebuilt"
pass "the background flush alone indexed $indexed of $n documents while four writers wrote; the index equals a fresh rebuild"
