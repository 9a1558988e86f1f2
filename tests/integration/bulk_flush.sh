#!/usr/bin/env bash
# A large statement's flushes (issue 13, bulk loading): one INSERT ... SELECT
# whose gram postings pass clara.index_flush_postings several times while its
# word postings stay under it writes the grams at each of those flushes and
# the words once, so every term has one block; the word postings, the terms'
# counters and the keyword, vector and hybrid rankings equal those of a
# rebuild (clara_compact()).
set -euo pipefail
TEST=bulk_flush
source "$(dirname "$0")/lib/client.bash"

new_database
"$CLARA_STREAM" generate --docs 600 --seed 31 --output "$WORK/corpus.jsonl" --quiet
"$PYTHON" - "$WORK/corpus.jsonl" "$WORK/corpus.csv" <<'PY'
import csv, json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w", newline="") as out:
    w = csv.writer(out)
    for line in f:
        d = json.loads(line)
        w.writerow([d["document_id"], d.get("title"), d["content"], d.get("domain"), d.get("document_type"),
                    d.get("source"), d.get("created_at"), json.dumps(d.get("metadata") or {})])
PY
cols="document_id, title, content, domain, document_type, source, created_at, metadata"
sql -c "CREATE TABLE staging AS SELECT $cols FROM clara_documents WITH NO DATA" \
    -c "\\copy staging ($cols) FROM '$WORK/corpus.csv' (FORMAT csv)"

# The budget: just over the statement's word postings (one per distinct term
# of a document), found by the same INSERT rolled back.
trial=$(sql -c "BEGIN" -c "INSERT INTO clara_documents ($cols) SELECT $cols FROM staging" \
    -c "SELECT sum(cardinality(term_tfs)) FROM clara_documents" -c "ROLLBACK" | tail -n 1)
[ -n "$trial" ] && [ "$trial" -gt 0 ] || fail "the trial INSERT counted no word postings"
budget=$((trial + trial / 20))
PGOPTIONS="-c clara.index_flush_postings=$budget" sql -c "INSERT INTO clara_documents ($cols) SELECT $cols FROM staging"

words=$(sql -c "SELECT sum(cardinality(term_tfs)) FROM clara_documents")
grams=$(sql -c "SELECT sum(documents) FROM clara_gram_postings")
[ -n "$words" ] && [ -n "$grams" ] || fail "no postings counted"
[ "$words" -lt "$budget" ] || fail "the word postings ($words) should stay under the budget ($budget)"
[ "$grams" -gt $((2 * budget)) ] || fail "the gram postings ($grams) should pass the budget ($budget) twice"
gram_blocks=$(sql -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_gram_postings GROUP BY gram) s")
[ -n "$gram_blocks" ] && [ "$gram_blocks" -ge 2 ] || fail "the grams should have been flushed more than once (up to '$gram_blocks' blocks a gram)"
term_blocks=$(sql -c "SELECT max(n) FROM (SELECT count(*) AS n FROM clara_postings GROUP BY term) s")
[ "$term_blocks" = 1 ] || fail "a term has $term_blocks blocks after one statement whose word postings fit the budget"
pass "one INSERT ... SELECT of 600 documents, budget $budget: $words word postings in one block a term, $grams gram postings in up to $gram_blocks blocks a gram"

wrong=$(sql -c "SELECT count(*) FROM clara_terms t FULL JOIN (SELECT term, count(*) AS n FROM clara_postings GROUP BY term) p
                  USING (term) WHERE coalesce(t.blocks, 0) <> coalesce(p.n, 0)")
[ "$wrong" = 0 ] || fail "$wrong terms' block counters disagree with the stored blocks"
postings() {
    sql -c "SELECT md5(string_agg(term || ':' || encode(postings, 'hex'), ',' ORDER BY term)) || ' ' || count(*) FROM clara_postings"
}
state() {  # the terms, the corpus statistics and the rankings of a few queries
    local q out
    out=$(sql -c "SELECT md5(string_agg(term || ':' || df || ':' || blocks, ',' ORDER BY term)) FROM clara_terms" \
        -c "SELECT n_docs || ' ' || total_length || ' ' || gram_length FROM clara_corpus")
    for q in 'Verwaltungsrecht Baurecht Bescheid' 'Urteil Klage Mietvertrag' 'energy grid regulation'; do
        out+=" "$(sql -v q="$q" <<'SQL'
SELECT md5(string_agg(t || document_id || ':' || round(relevance_score::numeric, 9), ',' ORDER BY t, rank))
FROM (SELECT 'k' AS t, * FROM clara_search(:'q', 500, 0.0, search_types => '{keyword}')
      UNION ALL SELECT 'v', * FROM clara_search(:'q', 500, 0.0, search_types => '{vector}')
      UNION ALL SELECT 'h', * FROM clara_search(:'q', 500, 0.0)) s
SQL
)
    done
    echo "$out"
}
before=$(postings)
state_before=$(state)
docs=$(sql -c "SELECT clara_compact()")
[ "$docs" = 600 ] || fail "clara_compact() indexed '$docs' documents, expected 600"
after=$(postings)
state_after=$(state)
[ -n "$before" ] && [ "$before" = "$after" ] || fail "word postings differ from a rebuild's: $before vs $after"
[ -n "$state_before" ] && [ "$state_before" = "$state_after" ] ||
    fail "terms, statistics or rankings differ from a rebuild's: $state_before vs $state_after"
pass "word postings (${before#* } blocks), terms, statistics and keyword/vector/hybrid rankings equal a rebuild's"
