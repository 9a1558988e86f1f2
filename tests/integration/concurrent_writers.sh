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
pids=()
for f in "$WORK"/writer.*.sql "$WORK/changer.sql"; do
    sql -f "$f" >/dev/null 2>"$f.err" &
    pids+=($!)
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=$?; done
[ "$rc" -eq 0 ] || fail "a concurrent single-row writer failed (deadlock?): $(cat "$WORK"/*.sql.err)"
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
