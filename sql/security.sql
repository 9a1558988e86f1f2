-- Reading runs as the caller: privileges and row-level security apply to
-- every result, and filter values are parameters, never SQL. A searcher
-- needs SELECT on clara_documents and nothing else: the index tables belong
-- to the extension's owner, who alone reads and writes them.
\i sql/fixture/corpus.sql

CREATE ROLE clara_reader_baurecht;
GRANT SELECT ON clara_documents TO clara_reader_baurecht;
ALTER TABLE clara_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_baurecht ON clara_documents FOR SELECT TO clara_reader_baurecht
    USING (domain = 'baurecht');
-- Citations between documents of both sides: the graph must not lead the
-- reader to a hidden document.
INSERT INTO clara_edges (src_id, dst_id)
SELECT a.document_id, b.document_id
FROM (SELECT document_id FROM clara_documents WHERE domain = 'baurecht' ORDER BY document_id LIMIT 5) a,
     (SELECT document_id FROM clara_documents WHERE domain <> 'baurecht' ORDER BY document_id LIMIT 5) b;

SET ROLE clara_reader_baurecht;
SELECT rank, document_id FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{keyword}');
SELECT count(*) AS lines, bool_and((l::jsonb)->'metadata'->>'domain' = 'baurecht') AS only_baurecht
FROM clara_stream_jsonl('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{keyword}') AS l;
-- top_k counts visible documents: exactly min(top_k, visible matches).
SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 2, 0.0, search_types => '{keyword}');
-- Hybrid search (the default) too: vector and graph candidates pass the
-- same visibility check, and graph seeds are visible documents.
SELECT count(*) AS rows, bool_and(metadata->>'domain' = 'baurecht') AS only_baurecht
FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0);
SELECT count(*) AS rows, bool_and(metadata->>'domain' = 'baurecht') AS only_baurecht
FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{graph}');
SELECT count(*) AS rows, bool_and(d.domain = 'baurecht') AS only_baurecht
FROM clara_vector('Dachanlagen') v JOIN clara_documents d USING (document_id);
RESET ROLE;
-- (The owner's graph search does reach the other domains through them.)
SELECT count(*) > 0 AS rows, bool_or(metadata->>'domain' <> 'baurecht') AS other_domains
FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{graph}');
SET ROLE clara_reader_baurecht;
-- No posting, term statistic, gram or edge can be read directly: each
-- would tell about hidden documents.
\set VERBOSITY terse
SELECT count(*) FROM clara_postings;
SELECT count(*) FROM clara_terms;
SELECT count(*) FROM clara_corpus;
SELECT count(*) FROM clara_gram_postings;
SELECT count(*) FROM clara_edges;
-- Nor may a searcher rebuild the index (it reads every document).
SELECT clara_compact();
\set VERBOSITY default
RESET ROLE;

-- A loader writes documents, and the index follows, but it cannot write the
-- index itself: a forged posting would move everyone's ranking.
CREATE ROLE clara_loader;
GRANT SELECT, INSERT, UPDATE, DELETE ON clara_documents TO clara_loader;
CREATE POLICY loader_writes ON clara_documents TO clara_loader USING (true) WITH CHECK (true);
SET ROLE clara_loader;
INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)
VALUES ('sec-001', 'Zaunkönigbrutplatz', 'Der Zaunkönigbrutplatz am Bachufer bleibt während der Brutzeit geschützt. '
        'Arbeiten am Ufergehölz ruhen bis zum Ende der Brutzeit.', 'naturschutzrecht', 'merkblatt', 'test');
\set VERBOSITY terse
INSERT INTO clara_postings VALUES ('photovolta', '\x923e000040420f0001000000');
INSERT INTO clara_terms VALUES ('photovolta', 1000000);
UPDATE clara_corpus SET n_docs = 1;
DELETE FROM clara_gram_postings;
\set VERBOSITY default
RESET ROLE;
SELECT document_id FROM clara_stream('Zaunkönigbrutplatz', 10, 0.0, search_types => '{keyword}');
SELECT document_id FROM clara_stream('Zaunkönigbrutplatz', 10, 0.0, search_types => '{vector}');
SET ROLE clara_loader;
DELETE FROM clara_documents WHERE document_id = 'sec-001';
RESET ROLE;
SELECT count(*) FROM clara_stream('Zaunkönigbrutplatz', 10, 0.0, search_types => '{keyword}');

-- Without SELECT on the corpus there is nothing to read.
CREATE ROLE clara_nobody;
SET ROLE clara_nobody;
\set VERBOSITY terse
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0, search_types => '{keyword}');
\set VERBOSITY default
RESET ROLE;

-- The owner sees everything again.
SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{keyword}');

-- A user's objects cannot stand in for built-ins inside clara's functions,
-- whatever the caller's search_path: a better-matching unnest(integer[]) or
-- jsonb_build_object in public, a ->> or !~ operator there.
CREATE FUNCTION public.unnest(integer[]) RETURNS SETOF integer LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked unnest ran'; END $$;
CREATE FUNCTION public.jsonb_build_object(text, text, text, text, text, text) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked jsonb_build_object ran'; END $$;
CREATE FUNCTION public.hijack_arrow(jsonb, text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked ->> ran'; END $$;
CREATE OPERATOR public.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = public.hijack_arrow);
CREATE FUNCTION public.hijack_match(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'hijacked !~ ran'; END $$;
CREATE OPERATOR public.!~ (LEFTARG = text, RIGHTARG = text, FUNCTION = public.hijack_match);
SET search_path = public, pg_catalog;
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik Genehmigung', 20, 0.0);
SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', 20, 0.0);
SELECT (clara_stats('Photovoltaik Genehmigung', 20, 0.0))->'total_documents' AS total_documents;
\set VERBOSITY terse
SELECT clara_register_source('Bad Name', 'clara_documents');
\set VERBOSITY default
RESET search_path;
DROP OPERATOR public.->> (jsonb, text);
DROP OPERATOR public.!~ (text, text);
DROP FUNCTION public.unnest(integer[]), public.jsonb_build_object(text, text, text, text, text, text),
    public.hijack_arrow(jsonb, text), public.hijack_match(text, text);

-- An export reads its documents without SQL, through a small buffer ring
-- (extension/fetch.cpp), only when the caller may read the whole table;
-- under row-level security it reads them by SQL. Both give the same bytes:
-- the superuser's export (direct) against a reader's whose policy shows
-- every row (SQL).
CREATE ROLE clara_reader_all;
GRANT SELECT ON clara_documents TO clara_reader_all;
CREATE POLICY all_rows ON clara_documents FOR SELECT TO clara_reader_all USING (true);
SELECT count(*) AS lines, md5(string_agg(l, E'\n')) AS direct_md5
FROM (SELECT clara_stream_jsonl('Photovoltaik Genehmigung', 1000, 0.0, batch_size => 7) AS l) s \gset
SELECT :lines AS lines;  -- several batches of 7
SET ROLE clara_reader_all;
SELECT count(*) = :lines AS same_count, md5(string_agg(l, E'\n')) = :'direct_md5' AS same_bytes
FROM (SELECT clara_stream_jsonl('Photovoltaik Genehmigung', 1000, 0.0, batch_size => 7) AS l) s;
RESET ROLE;
-- The direct read locates the ranked documents in one pass over the doc_key
-- index and reads them by heap TID; a key whose first index entry is a dead
-- version (here: every document updated in this transaction, a new index
-- entry each) is looked up again. The updated rows come out, as by SQL.
BEGIN;
UPDATE clara_documents SET source = coalesce(source, '') || ' (revised)';
SELECT count(*) AS lines, md5(string_agg(l, E'\n')) AS direct_md5,
       bool_and((l::jsonb)->>'source' LIKE '% (revised)') AS revised
FROM (SELECT clara_stream_jsonl('Photovoltaik Genehmigung', 1000, 0.0, batch_size => 7) AS l) s \gset
SELECT :lines AS lines, :'revised' AS revised;
SET ROLE clara_reader_all;
SELECT count(*) = :lines AS same_count, md5(string_agg(l, E'\n')) = :'direct_md5' AS same_bytes
FROM (SELECT clara_stream_jsonl('Photovoltaik Genehmigung', 1000, 0.0, batch_size => 7) AS l) s;
RESET ROLE;
ROLLBACK;
DROP POLICY all_rows ON clara_documents;
REVOKE ALL ON clara_documents FROM clara_reader_all;
DROP ROLE clara_reader_all;

DELETE FROM clara_edges;
DROP POLICY only_baurecht ON clara_documents;
DROP POLICY loader_writes ON clara_documents;
ALTER TABLE clara_documents DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON clara_documents FROM clara_reader_baurecht, clara_loader;
DROP ROLE clara_reader_baurecht;
DROP ROLE clara_nobody;
DROP ROLE clara_loader;
