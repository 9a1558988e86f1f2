-- Reading runs as the caller: privileges and row-level security apply to
-- every result, and filter values are parameters, never SQL.

CREATE ROLE clara_reader_baurecht;
GRANT SELECT ON clara_documents, clara_postings, clara_terms, clara_corpus, clara_gram_postings, clara_edges
    TO clara_reader_baurecht;
ALTER TABLE clara_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_baurecht ON clara_documents FOR SELECT TO clara_reader_baurecht
    USING (domain = 'baurecht');

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
SELECT count(*) AS rows, bool_and(d.domain = 'baurecht') AS only_baurecht
FROM clara_vector('Dachanlagen') v JOIN clara_documents d USING (document_id);
RESET ROLE;

-- Without SELECT on the corpus there is nothing to read.
CREATE ROLE clara_nobody;
SET ROLE clara_nobody;
\set VERBOSITY terse
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0, search_types => '{keyword}');
\set VERBOSITY default
RESET ROLE;

-- The owner sees everything again.
SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, search_types => '{keyword}');

DROP POLICY only_baurecht ON clara_documents;
ALTER TABLE clara_documents DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON clara_documents, clara_postings, clara_terms, clara_corpus, clara_gram_postings, clara_edges
    FROM clara_reader_baurecht;
DROP ROLE clara_reader_baurecht;
DROP ROLE clara_nobody;
