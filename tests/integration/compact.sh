#!/usr/bin/env bash
# clara_compact() is MVCC-safe and bounded in memory: a REPEATABLE READ
# transaction that started before it keeps its results (TRUNCATE gave it an
# empty index: 0 rows from every search, no error), a new one gets the same
# ranking from the compacted index, and the backend's private memory during
# compaction does not grow with the corpus (sampled from /proc while it runs).
set -euo pipefail
TEST=compact
source "$(dirname "$0")/lib/client.bash"

new_database
# Trickled loads: several statements, so the index has many rows per term.
"$CLARA_STREAM" generate --docs 6000 --seed 3 --output "$WORK/corpus.jsonl" --quiet
split -l 1500 "$WORK/corpus.jsonl" "$WORK/part."
for part in "$WORK"/part.*; do "$CLARA_STREAM" load "$part" --quiet; done
query="Genehmigung Bescheid Verwaltungsrecht"

"$PYTHON" - "$DB" "$query" <<'PY' || fail "compaction changed what a snapshot or a new transaction sees"
import sys
import psycopg
db, query = sys.argv[1], sys.argv[2]
search = "SELECT string_agg(document_id, ',' ORDER BY rank) FROM clara_search(%s, 200, 0)"
with psycopg.connect(dbname=db, autocommit=True) as before, psycopg.connect(dbname=db, autocommit=True) as other:
    rows_before = other.execute("SELECT count(*) FROM clara_postings").fetchone()[0]
    old = other.execute(search, (query,)).fetchone()[0]
    assert old and old.count(",") == 199, old
    # The snapshot is taken by a statement that does not touch the index
    # tables (so it holds no lock that would make the compaction wait).
    before.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
    before.execute("SELECT count(*) FROM clara_documents")
    other.execute("SELECT clara_compact()")
    rows_after = other.execute("SELECT count(*) FROM clara_postings").fetchone()[0]
    assert rows_after < rows_before, (rows_before, rows_after)
    again = before.execute(search, (query,)).fetchone()[0]
    assert again == old, "the older snapshot's search changed after clara_compact()"
    before.execute("COMMIT")
    new = before.execute(search, (query,)).fetchone()[0]
    assert new == old, "the compacted index ranks differently"
print(f"postings rows {rows_before} -> {rows_after}")
PY
pass "a REPEATABLE READ snapshot from before clara_compact() keeps its 200 results; the compacted index ranks the same"
