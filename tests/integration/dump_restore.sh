#!/usr/bin/env bash
# pg_dump keeps the corpus; restoring it rebuilds the BM25 index through the
# triggers, so rankings and statistics come back identical.
set -euo pipefail
src=clara_dump_src dst=clara_dump_dst
dump=$(mktemp)
trap 'rm -f "$dump"; dropdb --if-exists "$src"; dropdb --if-exists "$dst"' EXIT
fail() { echo "dump_restore: $*" >&2; exit 1; }

dropdb --if-exists "$src"; dropdb --if-exists "$dst"
createdb "$src"
psql -qX -v ON_ERROR_STOP=1 -d "$src" <<'SQL'
CREATE EXTENSION clara;
INSERT INTO clara_documents (document_id, title, content, domain, created_at, metadata)
SELECT 'doc-' || g, 'Bescheid ' || g,
       'Die Behörde erteilt die Genehmigung für die Photovoltaikanlage Nummer ' || g
       || repeat(' Das Dach trägt die Anlage, der Nachbar widerspricht.', g % 7 + 1),
       CASE WHEN g % 2 = 0 THEN 'baurecht' ELSE 'energierecht' END,
       '2024-01-01'::timestamptz + g * interval '1 day', jsonb_build_object('n', g)
FROM generate_series(1, 300) g;
DELETE FROM clara_documents WHERE document_id IN ('doc-7', 'doc-8');
UPDATE clara_documents SET content = content || ' Widerspruch zurückgewiesen.' WHERE document_id = 'doc-9';
INSERT INTO clara_edges (src_id, dst_id) VALUES ('doc-1', 'doc-2');
-- The export ledger is user data: kept by pg_dump.
CREATE TEMP TABLE dumped AS SELECT l FROM clara_stream_jsonl('Photovoltaik Nachbar', 40, 0.0, split => 'validation=0.5', record => 'dumped') l;
SQL

pg_dump -d "$src" -f "$dump"
createdb "$dst"
psql -qX -v ON_ERROR_STOP=1 -d "$dst" -f "$dump" >/dev/null

query() { psql -qXAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
for q in "SELECT count(*) FROM clara_documents" \
         "SELECT n_docs || '/' || total_length FROM clara_corpus" \
         "SELECT count(*) FROM clara_edges" \
         "SELECT string_agg(document_id || ':' || round(score::numeric, 12), ',' ORDER BY score DESC, document_id) FROM clara_bm25('Photovoltaik Widerspruch Dach')" \
         "SELECT name || ' ' || owner || ' ' || documents || ' ' || arguments::text FROM clara_exports" \
         "SELECT string_agg(export_name || ':' || document_id || ':' || split || ':' || encode(content_hash, 'hex'), ',' ORDER BY document_id) FROM clara_export_documents" \
         "SELECT md5(string_agg(l, E'\n')) FROM clara_stream_jsonl('Genehmigung Nachbar', 50, 0.0) l"; do
    a=$(query "$src" "$q"); b=$(query "$dst" "$q")
    [ -n "$a" ] || fail "empty result for: $q"
    [ "$a" = "$b" ] || fail "differs after restore: $q
  source:   ${a:0:200}
  restored: ${b:0:200}"
done
[ "$(query "$dst" "SELECT count(*) FROM clara_documents")" = 298 ] || fail "expected 298 documents"
echo "dump_restore: corpus, statistics, edges, BM25 scores, the export ledger and JSONL identical after pg_dump + restore"
