#!/usr/bin/env bash
# Merging on write (issue 13, point 4): documents added one INSERT at a time
# (each statement appends a postings block per term and per gram it
# touches) keep every term below clara.index_merge_blocks blocks, with no
# manual step (grams are merged by clara_compact() only, which leaves one
# block per gram); the terms' block counters equal the stored blocks; the merged
# postings of the live documents are exactly those a rebuild writes;
# searches rank the same before and after clara_compact(). Then four
# sessions insert at once: no deadlock, nothing lost.
set -euo pipefail
TEST=merge_on_write
source "$(dirname "$0")/lib/client.bash"

# Every statement here indexes its documents at once: the pending list
# (concurrent_writers.sh, sql/pending.sql) would hold them back from the
# postings this test watches.
NO_PENDING="-c clara.pending_max_docs=0"
export PGOPTIONS="$NO_PENDING"
new_database
"$CLARA_STREAM" generate --docs 2400 --seed 21 --output "$WORK/corpus.jsonl" --quiet
head -n 1200 "$WORK/corpus.jsonl" >"$WORK/base.jsonl"
"$CLARA_STREAM" load "$WORK/base.jsonl" --quiet

# One INSERT per line of a JSONL file, as an application would write them.
inserts() {  # in out
    "$PYTHON" - "$1" "$2" <<'PY'
import json, sys
def q(s):
    return "'" + str(s).replace("'", "''") + "'"
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        d = json.loads(line)
        out.write("INSERT INTO clara_documents (document_id, title, content, domain, document_type, source) "
                  f"VALUES ({q(d['document_id'])}, {q(d['title'])}, {q(d['content'])}, {q(d['domain'])}, "
                  f"{q(d['document_type'])}, {q(d['source'])});\n")
PY
}
sed -n '1201,1800p' "$WORK/corpus.jsonl" >"$WORK/trickle.jsonl"
inserts "$WORK/trickle.jsonl" "$WORK/trickle.sql"
threshold=4
PGOPTIONS="$NO_PENDING -c clara.index_merge_blocks=$threshold" psql -qX -v ON_ERROR_STOP=1 -d "$DB" -f "$WORK/trickle.sql" >/dev/null

# The most blocks any term or gram has, and the counters that disagree with
# the stored blocks.
most_blocks() {
    sql -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_postings GROUP BY term) s" \
        -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_gram_postings GROUP BY gram) s"
}
wrong_counters() {
    sql -c "SELECT count(*) FROM clara_terms t FULL JOIN (SELECT term, count(*) AS n FROM clara_postings GROUP BY term) p
              USING (term) WHERE coalesce(t.blocks, 0) <> coalesce(p.n, 0)"
}
# Every word posting of a live document (term, doc_key, tf, length), as one
# hash: merging must neither lose nor double one.
live_postings() {
    sql -c "SELECT md5(string_agg(p, ',' ORDER BY p)) || ' ' || count(*) FROM (
              SELECT term || ':' || encode(substr(postings, i * 12 + 1, 12), 'hex') AS p,
                     get_byte(postings, i * 12) + get_byte(postings, i * 12 + 1) * 256
                     + get_byte(postings, i * 12 + 2) * 65536 + get_byte(postings, i * 12 + 3)::bigint * 16777216 AS k
              FROM clara_postings, generate_series(0, length(postings) / 12 - 1) AS i) s
            WHERE k IN (SELECT doc_key FROM clara_documents)"
}
rankings() {  # keyword, vector and hybrid rankings of a few queries, as one hash
    local q out=""
    for q in 'Verwaltungsrecht Baurecht Bescheid' 'Urteil Klage Mietvertrag' 'energy grid regulation'; do
        out+=$(sql -v q="$q" <<'SQL'
SELECT md5(string_agg(t || document_id || ':' || round(relevance_score::numeric, 9), ',' ORDER BY t, rank))
FROM (SELECT 'k' AS t, * FROM clara_search(:'q', 500, 0.0, search_types => '{keyword}')
      UNION ALL SELECT 'v', * FROM clara_search(:'q', 500, 0.0, search_types => '{vector}')
      UNION ALL SELECT 'h', * FROM clara_search(:'q', 500, 0.0)) s
SQL
)
        out+=" "
    done
    echo "$out"
}

blocks=$(most_blocks | tr '\n' ' ')
words=${blocks%% *}
grams=$(echo "$blocks" | cut -d' ' -f2)
[ -n "$words" ] && [ -n "$grams" ] || fail "no blocks counted"
[ "$words" -lt "$threshold" ] || fail "a term has $words blocks after 600 single-row INSERTs (merge threshold $threshold)"
pass "600 single-row INSERTs: at most $words blocks per term (threshold $threshold; grams: up to $grams)"

# Without merging the same statements (other ids, rolled back) leave one
# block per statement.
sed "s/VALUES ('doc-/VALUES ('again-doc-/" "$WORK/trickle.sql" >"$WORK/again.sql"
unmerged=$(PGOPTIONS="$NO_PENDING -c clara.index_merge_blocks=0" sql -c "BEGIN" -f "$WORK/again.sql" \
    -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_postings GROUP BY term) s" -c "ROLLBACK" | tail -n 1)
[ -n "$unmerged" ] && [ "$unmerged" -gt 100 ] || fail "without merging a term should have over 100 blocks, got '$unmerged'"
pass "the same INSERTs without merging: up to $unmerged blocks per term"

counters=$(wrong_counters | tr '\n' ' ')
[ "$counters" = "0 " ] || fail "$counters terms' block counters disagree with the stored blocks"
postings=$(live_postings)
ranked=$(rankings)
[ -n "$postings" ] && [ -n "$ranked" ] || fail "no postings or rankings"
docs=$(sql -c "SELECT clara_compact()")
[ "$docs" -eq 1800 ] || fail "clara_compact() indexed $docs documents, expected 1800"
rebuilt=$(live_postings)
ranked_rebuilt=$(rankings)
[ "$postings" = "$rebuilt" ] || fail "merged postings differ from a rebuild's: $postings vs $rebuilt"
[ "$ranked" = "$ranked_rebuilt" ] || fail "rankings differ after clara_compact(): $ranked vs $ranked_rebuilt"
grams=$(sql -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_gram_postings GROUP BY gram) s")
[ "$grams" = 1 ] || fail "after clara_compact() a gram has $grams blocks"
pass "counters exact; postings (${postings#* }) and keyword/vector/hybrid rankings equal a rebuild's"

# Updates that change the text (new keys, dead postings) and deletes, one
# statement each, merging at every second block. (Rankings are not compared
# here: a gram's document frequency counts dead postings until
# clara_compact() drops them.)
sql -c "SELECT document_id FROM clara_documents ORDER BY document_id LIMIT 40" >"$WORK/ids"
{
    while read -r id; do
        echo "UPDATE clara_documents SET content = content || ' Nachtrag zum Bescheid' WHERE document_id = '$id';"
    done <"$WORK/ids"
    sql -c "SELECT 'DELETE FROM clara_documents WHERE document_id = ''' || document_id || ''';'
            FROM clara_documents ORDER BY document_id DESC LIMIT 30"
} >"$WORK/changes.sql"
PGOPTIONS="$NO_PENDING -c clara.index_merge_blocks=2" psql -qX -v ON_ERROR_STOP=1 -d "$DB" -f "$WORK/changes.sql" >/dev/null
counters=$(wrong_counters | tr '\n' ' ')
[ "$counters" = "0 " ] || fail "block counters disagree after updates and deletes: $counters"
postings=$(live_postings)
sql -c "SELECT clara_compact()" >/dev/null
rebuilt=$(live_postings)
[ -n "$postings" ] && [ "$postings" = "$rebuilt" ] || fail "after updates and deletes postings differ from a rebuild's"
pass "40 updates and 30 deletes: counters exact, live postings equal a rebuild's"

# Four sessions at once, one statement per document, merging often.
sed -n '1801,2400p' "$WORK/corpus.jsonl" | split -l 150 - "$WORK/part."
pids=()
for part in "$WORK"/part.*; do
    inserts "$part" "$part.sql"
    PGOPTIONS="$NO_PENDING -c clara.index_merge_blocks=$threshold" \
        psql -qX -v ON_ERROR_STOP=1 -d "$DB" -f "$part.sql" >/dev/null 2>"$part.err" &
    pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
[ "$status" -eq 0 ] || fail "a concurrent writer failed: $(cat "$WORK"/part.*.err | head -c 600)"
count=$(sql -c "SELECT count(*) FROM clara_documents")
[ "$count" -eq 2370 ] || fail "expected 2370 documents after the concurrent writers, got $count"
counters=$(wrong_counters | tr '\n' ' ')
[ "$counters" = "0 " ] || fail "block counters disagree after concurrent writers: $counters"
blocks=$(most_blocks | tr '\n' ' ')
words=${blocks%% *}
[ -n "$words" ] && [ "$words" -lt "$threshold" ] || fail "after concurrent writers a term has '$words' blocks"
postings=$(live_postings)
ranked=$(rankings)
sql -c "SELECT clara_compact()" >/dev/null
rebuilt=$(live_postings)
ranked_rebuilt=$(rankings)
[ -n "$postings" ] && [ "$postings" = "$rebuilt" ] || fail "after concurrent writers postings differ from a rebuild's"
[ "$ranked" = "$ranked_rebuilt" ] || fail "after concurrent writers rankings differ from a rebuild's"
pass "four concurrent writers: 2370 documents, no deadlock, counters exact, postings and rankings equal a rebuild's"
