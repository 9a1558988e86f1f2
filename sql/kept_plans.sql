-- The statements every writing statement runs (the index's postings,
-- document frequencies, merges and corpus statistics; the metadata
-- catalogue's read) are planned once per backend and kept
-- (extension/plans.hpp); the plan cache plans them again when their tables
-- change, and each is kept for the schema its text names.
-- This file reads the index tables themselves: every statement indexes its
-- documents at once, none waits in the pending list (sql/pending.sql).
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql
-- A kept plan is a CachedPlanSource context whose identifier is its text.
CREATE FUNCTION kept_plans() RETURNS TABLE (statement text, plans bigint) LANGUAGE sql AS $$
    SELECT s, count(*) FROM (
        SELECT CASE WHEN ident LIKE 'INSERT INTO %.clara_postings %' THEN 'insert postings'
                    WHEN ident LIKE 'INSERT INTO %.clara_gram_postings %' THEN 'insert gram postings'
                    WHEN ident LIKE 'WITH counted AS (INSERT INTO %.clara_terms %' THEN 'count terms'
                    WHEN ident LIKE 'UPDATE %.clara_corpus SET n_docs = n_docs + %' THEN 'update corpus'
                    WHEN ident LIKE 'SELECT key, json_type FROM %.clara_metadata_keys WHERE %' THEN 'read metadata keys'
               END AS s
        FROM pg_backend_memory_contexts WHERE name = 'CachedPlanSource') k
    WHERE s IS NOT NULL GROUP BY s ORDER BY s
$$;
SELECT * FROM kept_plans();
-- Three more writing statements of one row each: the same plans, no new ones.
INSERT INTO clara_documents (document_id, title, content, metadata)
VALUES ('kept-1', 'Quokkas', 'Quokkas auf Rottnest Island', '{"pages": 1}');
INSERT INTO clara_documents (document_id, title, content, metadata)
VALUES ('kept-2', 'Quokkas', 'Quokkas und Kängurus auf Rottnest Island', '{"pages": 2}');
UPDATE clara_documents SET content = 'Quokkas am Strand von Rottnest Island' WHERE document_id = 'kept-1';
SELECT * FROM kept_plans();
SELECT df FROM clara_terms WHERE term = (clara_query_terms('Quokkas'))[1];

-- One session across DROP EXTENSION and CREATE EXTENSION (in a database
-- of its own): the plans kept for public's tables are planned again for
-- the new tables of the same names, and a plan is kept anew for another
-- schema's.
SELECT current_database() AS regress_db \gset
SET client_min_messages = warning;
DROP DATABASE IF EXISTS clara_kept_plans;  -- left by an interrupted run
RESET client_min_messages;
CREATE DATABASE clara_kept_plans TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C';
\c clara_kept_plans
SET client_min_messages = warning;
SET clara.pending_max_docs = 0;
CREATE EXTENSION clara;
INSERT INTO clara_documents (document_id, title, content) VALUES ('a', 'Quokkas', 'Quokkas auf Rottnest Island');
DROP EXTENSION clara;
CREATE SCHEMA elsewhere;
CREATE EXTENSION clara SCHEMA elsewhere;
INSERT INTO elsewhere.clara_documents (document_id, title, content)
VALUES ('b', 'Quokkas', 'Quokkas auf Rottnest Island');
INSERT INTO elsewhere.clara_documents (document_id, title, content)
VALUES ('c', 'Kängurus', 'Kängurus und Quokkas in Westaustralien');
SELECT document_id FROM elsewhere.clara_bm25('Quokkas') ORDER BY document_id;
SELECT n_docs, (SELECT df FROM elsewhere.clara_terms WHERE term = (elsewhere.clara_query_terms('Quokkas'))[1]) AS df
FROM elsewhere.clara_corpus;
SELECT count(*) AS elsewhere_gram_plans FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident LIKE 'INSERT INTO elsewhere.clara_gram_postings %';
DROP EXTENSION clara;
CREATE EXTENSION clara SCHEMA public;
INSERT INTO clara_documents (document_id, title, content) VALUES ('d', 'Quokkas', 'Quokkas auf Rottnest Island');
INSERT INTO clara_documents (document_id, title, content) VALUES ('e', 'Quokkas', 'Noch mehr Quokkas');
SELECT document_id FROM clara_bm25('Quokkas') ORDER BY document_id;
SELECT n_docs, (SELECT df FROM clara_terms WHERE term = (clara_query_terms('Quokkas'))[1]) AS df,
       (SELECT count(*) FROM clara_gram_postings) > 0 AS has_grams
FROM clara_corpus;
\c :regress_db
DROP DATABASE clara_kept_plans;
