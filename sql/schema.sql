-- The corpus table and its derived columns, over the fixture corpus.
\pset null '(null)'

SELECT extname, extversion FROM pg_extension WHERE extname = 'clara';

SELECT column_name, data_type
FROM information_schema.columns
WHERE table_name = 'clara_documents'
ORDER BY ordinal_position;

-- The fixture (sql/fixture/corpus.sql): German and English administrative-law
-- prose, plus documents of poor quality (stub, repeated line, random
-- characters, boilerplate).
-- This file reads the index tables themselves: every statement indexes its
-- documents at once, none waits in the pending list (sql/pending.sql).
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql

SELECT document_id, doc_key > 0 AS has_key, doc_length, length(content_hash) AS hash_bytes,
       cardinality(term_tfs) = length(tsv) AS tfs_match_lexemes,
       quality_score BETWEEN 0 AND 1 AS score_in_range,
       quality_signals ? 'word_count' AS has_signals
FROM clara_documents ORDER BY document_id;

-- The full-text vector is built by the extension: it must read back as itself.
SELECT bool_and(tsv::text::tsvector = tsv) AS tsv_roundtrip FROM clara_documents;

-- Title words carry weight A in the full-text vector, content words D.
SELECT ts_filter(tsv, '{a}') AS title_lexemes FROM clara_documents WHERE document_id = 'bau-002';

-- Corpus statistics follow the rows.
SELECT n_docs, total_length = (SELECT sum(doc_length) FROM clara_documents) AS length_ok, dead_postings
FROM clara_corpus;
SELECT count(*) = (SELECT count(DISTINCT l) FROM clara_documents, unnest(tsv) u(l)) AS one_df_per_term,
       bool_and(df = (SELECT count(*) FROM clara_documents WHERE tsvector_to_array(tsv) @> ARRAY[term]))
           AS df_exact
FROM clara_terms WHERE df > 0;

-- A metadata-only update keeps the document's key and postings.
SELECT doc_key AS key_before FROM clara_documents WHERE document_id = 'ver-001' \gset
UPDATE clara_documents SET metadata = metadata || '{"pages": 7}' WHERE document_id = 'ver-001';
SELECT doc_key = :key_before AS same_key FROM clara_documents WHERE document_id = 'ver-001';
SELECT dead_postings FROM clara_corpus;

-- Derived columns are not the caller's to set.
UPDATE clara_documents SET quality_score = 0.99, doc_length = 1 WHERE document_id = 'ver-001';
SELECT quality_score <> 0.99 AS recomputed, doc_length > 1 AS length_kept FROM clara_documents WHERE document_id = 'ver-001';

-- Non-object metadata is refused.
\set VERBOSITY terse
INSERT INTO clara_documents (document_id, content, metadata) VALUES ('bad', 'text', '[1,2]');
-- Empty ids are refused.
INSERT INTO clara_documents (document_id, content) VALUES ('', 'text');
\set VERBOSITY default

-- pg_dump keeps the corpus rows.
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS t(oid) JOIN pg_class c ON c.oid = t.oid
WHERE e.extname = 'clara' ORDER BY 1;
