-- Enrichment: registered relations add fields to the metadata of streamed
-- documents, looked up once per batch, with a timeout and a failure policy.
-- (tests/integration/fdw.sh does the same through postgres_fdw.)
\i sql/fixture/corpus.sql

CREATE TABLE court_notes (document_id text PRIMARY KEY, court_rank int, note text);
INSERT INTO court_notes VALUES ('bau-001', 1, 'Leitentscheidung'), ('bau-002', 2, 'Denkmal'),
    ('ver-002', 3, NULL);
-- Counts the lookups: the CTE runs once per query, whatever the plan.
CREATE SEQUENCE lookups;
CREATE VIEW counted_notes AS
    WITH c AS MATERIALIZED (SELECT nextval('lookups')) SELECT n.* FROM court_notes n, c;

SELECT clara_register_source('court', 'counted_notes');
SELECT name, relation, key_column, timeout_ms, on_error, enabled FROM clara_sources;

-- The fields appear under the source's name, always an array: documents
-- without a row get [] (one JSON type in every line).
SELECT document_id, metadata->'court' AS court
FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}') ORDER BY rank;
-- The training lines carry them too, inside metadata (same bytes as the row).
SELECT (line::jsonb)->'metadata'->'court' AS court
FROM clara_stream_jsonl('Dachanlage Denkmalbereich', 1, 0.0, search_types => '{keyword}') AS line;

-- One lookup per batch, not per document: 8 rows in batches of 3 = 3 lookups.
SELECT setval('lookups', 1, false);
SELECT count(*) AS rows FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}',
                                          batch_size => 3);
SELECT currval('lookups') AS lookups;

-- Several rows for one document become an array, in a stable order.
CREATE TABLE tags (document_id text, tag text);
INSERT INTO tags VALUES ('bau-002', 'solar'), ('bau-002', 'denkmal');
SELECT clara_register_source('tags', 'tags');
SELECT metadata->'tags' AS tags FROM clara_stream('Dachanlage Denkmalbereich', 1, 0.0, search_types => '{keyword}');
SELECT clara_unregister_source('tags') AS removed, clara_unregister_source('tags') AS again;

-- A failing source: 'fail' ends the stream with an error naming it ...
CREATE VIEW broken_notes AS SELECT document_id, 1 / (court_rank - court_rank) AS x FROM court_notes;
SELECT clara_register_source('broken', 'broken_notes');
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0);
-- ... 'skip' warns once and exports with its field null.
SELECT clara_register_source('broken', 'broken_notes', on_error => 'skip');
SELECT count(*) AS rows, count(*) FILTER (WHERE metadata->'broken' = 'null') AS broken_null,
       count(*) FILTER (WHERE jsonb_array_length(metadata->'court') > 0) AS with_court
FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}', batch_size => 2);
SELECT clara_unregister_source('broken');

-- A slow source: the lookup is cancelled after timeout_ms.
CREATE VIEW slow_notes AS SELECT n.* FROM court_notes n, pg_sleep(5) s;
SELECT clara_register_source('slow', 'slow_notes', timeout_ms => 100);
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0);
SELECT clara_register_source('slow', 'slow_notes', timeout_ms => 100, on_error => 'skip');
SELECT count(*) AS rows, count(*) FILTER (WHERE metadata->'slow' = 'null') AS slow_null
FROM clara_stream('Photovoltaik', 10, 0.0);
-- The statement's own timeout is not the source's: it cancels the statement.
SELECT clara_register_source('slow', 'slow_notes', timeout_ms => 10000, on_error => 'skip');
SET statement_timeout = '200ms';
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0);
RESET statement_timeout;
SELECT clara_unregister_source('slow');

-- Registration checks its arguments.
\set VERBOSITY terse
SELECT clara_register_source('Court Notes', 'court_notes');
SELECT clara_register_source('domain', 'court_notes');
SELECT clara_register_source('x', 'court_notes', key_column => 'nope');
SELECT clara_register_source('x', 'court_notes', key_column => 'court_rank');
SELECT clara_register_source('x', 'court_notes', timeout_ms => 0);
SELECT clara_register_source('x', 'court_notes', on_error => 'ignore');
SELECT clara_register_source('x', 'no_such_table');
-- A source whose relation was dropped is reported by name.
CREATE TABLE gone (document_id text);
SELECT clara_register_source('gone', 'gone');
DROP TABLE gone;
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0);
\set VERBOSITY default
SELECT clara_unregister_source('gone');

-- Lookups run with the caller's privileges.
CREATE ROLE clara_enrich_reader;
GRANT SELECT ON clara_documents TO clara_enrich_reader;
SET ROLE clara_enrich_reader;
\set VERBOSITY terse
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0, search_types => '{keyword}');
\set VERBOSITY default
RESET ROLE;
REVOKE ALL ON clara_documents FROM clara_enrich_reader;
DROP ROLE clara_enrich_reader;

SELECT clara_unregister_source('court');
DROP VIEW counted_notes, broken_notes, slow_notes;
DROP TABLE court_notes, tags;
DROP SEQUENCE lookups;
