-- The pending list (README, Maintenance; docs/limits.md): a statement that
-- adds at most clara.pending_max_docs documents stores each as one
-- clara_pending row instead of postings and document frequencies. Searches
-- must rank pending documents exactly as indexed ones: every result below is
-- taken with the documents pending, again after clara_flush_pending(), and
-- again after clara_compact(), and compared byte for byte.
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql
SET clara.pending_max_docs = 16;
SELECT count(*) AS pending_after_fixture FROM clara_pending;

-- Five single-row INSERTs and one of two rows: six statements, seven rows.
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-1', 'Solaranlage auf dem Carport', 'Die Photovoltaikanlage auf dem Carport braucht keine Baugenehmigung, sagt die Behörde.', 'baurecht');
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-2', 'Speicher im Keller', 'Ein Batteriespeicher für die Photovoltaik im Keller: Brandschutz und Genehmigung.', 'baurecht');
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-3', 'Solar permit', 'A rooftop solar permit was granted by the building authority after the neighbour objected.', 'baurecht');
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-4', 'Widerspruch gegen Bescheid', 'Der Widerspruch gegen den Bescheid der Bauaufsichtsbehörde wurde zurückgewiesen; Photovoltaik bleibt.', 'baurecht');
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-5', 'Denkmalschutz und Dachanlage', 'Denkmalschutz: die Dachanlage wurde genehmigt, weil das Ortsbild nicht leidet.', 'baurecht');
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
('pend-6', 'Speicher Genehmigung', 'Genehmigung für den Speicher der Photovoltaikanlage erteilt.', 'baurecht'),
('pend-7', 'Photovoltaik Photovoltaik', 'Photovoltaik, Photovoltaik und nochmals Photovoltaik.', 'baurecht');

-- The pending path's statements are planned once per backend and kept
-- (extension/plans.hpp), as the index's others.
SELECT count(*) AS kept_insert_pending_plans FROM pg_backend_memory_contexts
WHERE name = 'CachedPlanSource' AND ident LIKE 'INSERT INTO %.clara_pending %';

-- The rows wait in the list, not in the index; the corpus statistics count
-- them at once, and pending_bytes is the list's size.
SELECT count(*) AS pending FROM clara_pending;
SELECT count(*) AS postings_of_pending
FROM clara_postings p, generate_series(0, length(p.postings) / 12 - 1) i
WHERE get_byte(p.postings, i * 12) + 256 * get_byte(p.postings, i * 12 + 1)
      + 65536 * get_byte(p.postings, i * 12 + 2) IN (SELECT doc_key FROM clara_pending);
SELECT n_docs = (SELECT count(*) FROM clara_documents) AS n_docs_exact,
       total_length = (SELECT sum(doc_length) FROM clara_documents) AS length_exact,
       pending_bytes = (SELECT sum(length(data)) FROM clara_pending) AS pending_bytes_exact
FROM clara_corpus;

-- Deleting a pending document drops its row; updating one's text replaces
-- it (the new text gets a new doc_key); a metadata-only update keeps it.
DELETE FROM clara_documents WHERE document_id = 'pend-5';
UPDATE clara_documents SET content = 'Der Widerspruch gegen den Bescheid wurde zurückgewiesen; die Solaranlage bleibt.'
WHERE document_id = 'pend-4';
UPDATE clara_documents SET metadata = '{"pages": 2}' WHERE document_id = 'pend-3';
SELECT count(*) AS pending,
       count(*) FILTER (WHERE doc_key IN (SELECT doc_key FROM clara_documents)) AS of_live_documents
FROM clara_pending;
SELECT n_docs = (SELECT count(*) FROM clara_documents) AS n_docs_exact,
       total_length = (SELECT sum(doc_length) FROM clara_documents) AS length_exact,
       pending_bytes = (SELECT sum(length(data)) FROM clara_pending) AS pending_bytes_exact
FROM clara_corpus;

-- Every reader, three ways: keyword, vector and hybrid search (scores,
-- order), the raw BM25 and vector rankings, the export's lines, the stats.
CREATE FUNCTION pending_readers() RETURNS TABLE (reader text, result text) LANGUAGE sql AS $$
    SELECT 'keyword', string_agg(document_id || ' ' || relevance_score, ', ' ORDER BY rank)
    FROM clara_search('Photovoltaik Genehmigung Speicher Widerspruch', 100, 0.0, search_types => '{keyword}')
    UNION ALL
    SELECT 'vector', string_agg(document_id || ' ' || relevance_score, ', ' ORDER BY rank)
    FROM clara_search('Photovoltaikanlage Dachanlage', 100, 0.0, search_types => '{vector}')
    UNION ALL
    SELECT 'hybrid', string_agg(document_id || ' ' || relevance_score, ', ' ORDER BY rank)
    FROM clara_search('Solaranlage Genehmigung Behörde', 100, 0.0)
    UNION ALL
    SELECT 'bm25', string_agg(b::text, ', ' ORDER BY b::text) FROM clara_bm25('Photovoltaik Speicher') b
    UNION ALL
    SELECT 'export', md5(string_agg(l, E'\n'))
    FROM clara_stream_jsonl('Photovoltaik Genehmigung Denkmalschutz solar', 100, 0.0) l
    UNION ALL
    SELECT 'stats', clara_stats('Photovoltaik Genehmigung', 100, 0.0)::text
$$;
CREATE TEMP TABLE with_pending AS SELECT * FROM pending_readers();
-- The pending documents are found: each is in some result.
SELECT d AS pending_document_found
FROM unnest('{pend-1,pend-2,pend-3,pend-4,pend-6,pend-7}'::text[]) d
WHERE EXISTS (SELECT FROM with_pending WHERE result LIKE '%' || d || ' %') ORDER BY d;

SELECT clara_flush_pending() AS flushed;
SELECT count(*) AS pending, (SELECT pending_bytes FROM clara_corpus) AS pending_bytes FROM clara_pending;
CREATE TEMP TABLE flushed AS SELECT * FROM pending_readers();
SELECT w.reader, w.result = f.result AS same_after_flush FROM with_pending w JOIN flushed f USING (reader)
ORDER BY reader;

-- The flushed index equals a rebuild: document frequencies and postings.
CREATE TEMP TABLE index_flushed AS
SELECT t.term, t.df, (SELECT string_agg(encode(substr(p.postings, i * 12 + 1, 12), 'hex'), '' ORDER BY
                          substr(p.postings, i * 12 + 1, 4))
                      FROM clara_postings p, generate_series(0, length(p.postings) / 12 - 1) i
                      WHERE p.term = t.term) AS postings
FROM clara_terms t WHERE t.df <> 0;
SELECT clara_compact() AS compacted;
SELECT count(*) AS terms_differing FROM (
    (SELECT * FROM index_flushed EXCEPT
     SELECT t.term, t.df, (SELECT string_agg(encode(substr(p.postings, i * 12 + 1, 12), 'hex'), '' ORDER BY
                               substr(p.postings, i * 12 + 1, 4))
                           FROM clara_postings p, generate_series(0, length(p.postings) / 12 - 1) i
                           WHERE p.term = t.term)
     FROM clara_terms t WHERE t.df <> 0)
    UNION ALL
    (SELECT t.term, t.df, (SELECT string_agg(encode(substr(p.postings, i * 12 + 1, 12), 'hex'), '' ORDER BY
                               substr(p.postings, i * 12 + 1, 4))
                           FROM clara_postings p, generate_series(0, length(p.postings) / 12 - 1) i
                           WHERE p.term = t.term)
     FROM clara_terms t WHERE t.df <> 0
     EXCEPT SELECT * FROM index_flushed)) d;
CREATE TEMP TABLE compacted AS SELECT * FROM pending_readers();
SELECT w.reader, w.result = c.result AS same_after_compact FROM with_pending w JOIN compacted c USING (reader)
ORDER BY reader;

-- The limit: with 64 kB, the statement that passes it indexes the whole
-- list, its own documents too, in one go.
SET clara.pending_list_limit = 64;
CREATE FUNCTION words(i int) RETURNS text LANGUAGE sql AS $$
    SELECT 'Speicher ' || string_agg(md5(i::text || '-' || j::text), ' ') FROM generate_series(1, 40) j
$$;
DO $$
DECLARE i int := 1;
BEGIN
    LOOP
        INSERT INTO clara_documents (document_id, title, content) VALUES ('limit-' || i, 'Limit ' || i, words(i));
        EXIT WHEN (SELECT pending_bytes FROM clara_corpus) = 0 OR i >= 200;
        i := i + 1;
    END LOOP;
    RAISE NOTICE 'the list was emptied by the statement that passed 64 kB: %',
        (SELECT pending_bytes FROM clara_corpus) = 0 AND NOT EXISTS (SELECT FROM clara_pending);
    RAISE NOTICE 'more than 10 documents were pending before: %', i > 10;
END
$$;
SELECT (SELECT df FROM clara_terms WHERE term = 'speich')
       = (SELECT count(*) FROM clara_documents WHERE tsv @@ 'speich'::tsquery) AS df_exact,
       (SELECT count(*) FROM clara_documents WHERE tsv @@ 'speich'::tsquery) > 10 AS several;
RESET clara.pending_list_limit;

-- The background flush (README, Maintenance): with the inline flush out of
-- reach, committed single-row INSERTs past clara.pending_background_limit
-- start a worker, which indexes the list by itself (polled, at most 60 s).
SHOW clara.pending_background_limit;
SET clara.pending_list_limit = '1GB';
SET clara.pending_background_limit = 64;
SELECT format('INSERT INTO clara_documents (document_id, title, content) VALUES (%L, %L, words(%s))',
              'bg-' || i, 'Hintergrund ' || i, 1000 + i)
FROM generate_series(1, 60) i \gexec
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN (SELECT count(*) FROM clara_pending) < 60;
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;
SELECT count(*) < 60 AS indexed_in_background,
       (SELECT pending_bytes FROM clara_corpus) = (SELECT coalesce(sum(length(data)), 0) FROM clara_pending)
           AS pending_bytes_exact
FROM clara_pending;
SELECT clara_flush_pending() >= 0 AS flushed;
SELECT (SELECT df FROM clara_terms WHERE term = 'speich')
       = (SELECT count(*) FROM clara_documents WHERE tsv @@ 'speich'::tsquery) AS df_exact;
RESET clara.pending_list_limit;
RESET clara.pending_background_limit;
-- The worker keeps flushing at the size its session set (64 kB) until it
-- has been idle for 2 s: end it, so the tests after this one see lists
-- that only their own statements flush.
SELECT count(pg_terminate_backend(pid)) >= 0 AS ended FROM pg_stat_activity
WHERE backend_type = 'clara flush' AND datname = current_database();
DO $$
BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN NOT EXISTS (SELECT FROM pg_stat_activity
                              WHERE backend_type = 'clara flush' AND datname = current_database());
        PERFORM pg_sleep(0.05);
    END LOOP;
END
$$;

-- A statement over clara.pending_max_docs documents is indexed at once.
INSERT INTO clara_documents (document_id, title, content)
SELECT 'bulk-' || i, 'Bulk ' || i, 'Photovoltaik auf Dach Nummer ' || i FROM generate_series(1, 17) i;
SELECT count(*) AS pending FROM clara_pending;

-- TRUNCATE empties the list with the index.
INSERT INTO clara_documents (document_id, title, content) VALUES ('t-1', 'Eins', 'Photovoltaik eins');
TRUNCATE clara_documents;
SELECT count(*) AS pending, (SELECT pending_bytes FROM clara_corpus) AS pending_bytes FROM clara_pending;

-- Only the extension's owner reads or writes the list, as the rest of the index.
SELECT has_table_privilege('public', 'clara_pending', 'SELECT') AS public_may_read;

-- A damaged row is an error, not a silently wrong ranking.
INSERT INTO clara_documents (document_id, title, content) VALUES ('bad-1', 'Kaputt', 'Photovoltaik kaputt');
UPDATE clara_pending SET data = '\x0102';
DO $$
BEGIN
    PERFORM count(*) FROM clara_search('Photovoltaik', 10, 0.0);
EXCEPTION WHEN data_corrupted THEN
    RAISE NOTICE '% %', SQLSTATE, regexp_replace(SQLERRM, '[0-9]+', 'N');
END
$$;
SELECT clara_compact() AS compacted;
SELECT count(*) AS found FROM clara_search('Photovoltaik', 10, 0.0);
