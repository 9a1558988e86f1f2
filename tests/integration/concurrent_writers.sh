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
