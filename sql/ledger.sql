-- The export ledger: record => NAME files what an export wrote (id, content
-- hash, split); exclude => '{NAME, NAME:split}' keeps it out of a later
-- export; by default no later train split gets an earlier export's
-- validation or test document. Row-level security: a role sees, excludes by
-- and drops only exports of roles it is a member of.
\i sql/fixture/corpus.sql
-- The ledger is user data: a run leaves none behind for the next file.
DELETE FROM clara_exports;

-- Recorded with a validation split (seed 1 puts bau-001, dup-001 and
-- bau-002 there).
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->>'split' AS split
FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                        split => 'validation=0.3', split_seed => 1, batch_size => 4, record => 'v1') AS line;
SELECT name, owner = current_user AS mine, query, documents, splits FROM clara_list_exports();
SELECT arguments->'split' AS split, arguments->'top_k' AS top_k, arguments->'exclude_held_out' AS held_out
FROM clara_exports WHERE name = 'v1';
SELECT split, count(*), count(content_hash) AS hashed FROM clara_export_documents GROUP BY split ORDER BY 1;

-- A later export: its train split has none of v1's validation documents.
CREATE TEMP TABLE second AS
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->>'split' AS split
FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                        split => 'validation=0.3', split_seed => 2, batch_size => 4) AS line;
SELECT count(*) AS train_lines,
       count(*) FILTER (WHERE id IN (SELECT document_id FROM clara_export_documents WHERE split = 'validation'))
           AS earlier_validation
FROM second WHERE split = 'train';
SELECT clara_export_summary()->'removed' AS removed;
-- Without splits everything is train: the same documents are held out.
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0) AS line;
SELECT clara_export_summary()->'removed' AS removed;
-- exclude_held_out => false lets them back in.
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                                                 exclude_held_out => false) AS line;

-- exclude NAME: nothing of v1; NAME:split: only that split.
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                                                 exclude => '{v1}') AS line;
SELECT clara_export_summary()->'removed' AS removed;
SELECT line::jsonb->>'document_id' AS id
FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                        exclude => '{v1:train}', exclude_held_out => false) AS line ORDER BY 1;
SELECT clara_export_summary()->'removed' AS removed;

-- Matched by content hash too: the same text under a new document_id.
INSERT INTO clara_documents (document_id, title, content, domain, document_type)
SELECT 'bau-001-neu', 'Neu', content, domain, document_type FROM clara_documents WHERE document_id = 'bau-001';
SELECT count(*) FILTER (WHERE line::jsonb->>'document_id' = 'bau-001-neu') AS new_copy_out
FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus', 50, 0.0, search_types => '{keyword}') AS line;
SELECT clara_export_summary()->'removed' AS removed;
SELECT count(*) FILTER (WHERE line::jsonb->>'document_id' = 'bau-001-neu') AS new_copy_out
FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus', 50, 0.0, search_types => '{keyword}',
                        exclude_held_out => false) AS line;

-- With an enrichment source (its lookup runs before the ledger's in each
-- batch), recorded and held out alike.
CREATE TABLE ledger_notes (document_id text PRIMARY KEY, note text);
INSERT INTO ledger_notes VALUES ('bau-002', 'Denkmal'), ('ver-001', 'Anhörung');
SELECT clara_register_source('notes', 'ledger_notes');
SELECT count(*) AS lines, count(*) FILTER (WHERE line::jsonb->'metadata'->'notes' <> '[]') AS enriched
FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0, batch_size => 3,
                        record => 'enriched') AS line;
SELECT documents, splits FROM clara_list_exports() WHERE name = 'enriched';
SELECT clara_export_summary()->'removed' AS removed;
SELECT clara_drop_export('enriched') AS dropped_documents;
SELECT clara_unregister_source('notes') AS unregistered;
DROP TABLE ledger_notes;

-- An export that fails records nothing: the ledger is written in its own
-- transaction. Here the statement fails after every line was produced.
SELECT line::jsonb->>'document_id' AS id,
       1 / (CASE WHEN line::jsonb->>'document_id' = 'ver-002' THEN 0 ELSE 1 END) AS boom
FROM clara_stream_jsonl('Photovoltaik Behörde', 50, 0.0, record => 'failed', batch_size => 2) AS line;
-- Streaming (in the SELECT list), cancelled by a statement timeout.
-- (Terse: where the cancel lands varies.)
\set VERBOSITY terse
BEGIN;
SET LOCAL statement_timeout = '50ms';
SELECT clara_stream_jsonl('Photovoltaik Behörde', 50, 0.0, record => 'cancelled', batch_size => 1), pg_sleep(0.02);
ROLLBACK;
\set VERBOSITY default
SELECT count(*) AS exports FROM clara_exports WHERE name IN ('failed', 'cancelled');

-- A caller that stops reading early (LIMIT) records the batches it
-- finished: the documents of the batch it stopped in are not filed (the
-- CLI and HTTP always read to the end).
SELECT count(*) FROM (SELECT clara_stream_jsonl('Photovoltaik Behörde', 50, 0.0, record => 'limited', batch_size => 2)
                      LIMIT 3) l;
SELECT documents FROM clara_exports WHERE name = 'limited';
SELECT clara_drop_export('limited') AS dropped_documents;

-- Errors: the name is taken, a read-only transaction, an unknown export.
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, record => 'v1') AS line;
BEGIN READ ONLY;
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, record => 'ro') AS line;
ROLLBACK;
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, exclude => '{nope}') AS line;
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, exclude => '{v1:}') AS line;
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, record => '') AS line;
SELECT clara_drop_export('nope');

-- Row-level security: another role neither sees v1 nor drops it nor is
-- kept from v1's documents; its own export is visible to its members.
CREATE ROLE ledger_other;
CREATE ROLE ledger_member IN ROLE ledger_other;
GRANT SELECT ON clara_documents TO ledger_other;
SET ROLE ledger_other;
SELECT count(*) AS visible FROM clara_list_exports();
SELECT count(*) AS visible_documents FROM clara_export_documents;
SELECT clara_drop_export('v1');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 5, 0.0, exclude => '{v1}') AS line;
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                                                 record => 'o1') AS line;
SELECT clara_export_summary()->'removed' AS removed;
SET ROLE ledger_member;
SELECT name, owner, documents FROM clara_list_exports();
RESET ROLE;
SELECT name, owner, documents FROM clara_list_exports() ORDER BY name;

-- Dropping takes the documents with it.
SELECT clara_drop_export('v1') AS dropped_documents;
SELECT count(*) AS left_of_v1 FROM clara_export_documents WHERE export_name = 'v1';
SELECT clara_drop_export('o1') AS dropped_documents;
REVOKE ALL ON clara_documents FROM ledger_other;
DROP ROLE ledger_member;
DROP ROLE ledger_other;
