-- clara_stream: ranked once, then rows read batch by batch, one per call.
\i sql/fixture/corpus.sql
\pset null '(null)'

SELECT rank, document_id, round(relevance_score::numeric, 4) AS relevance, quality_score >= 0.5 AS good
FROM clara_stream('Photovoltaik Dachanlage', 10, 0.5, search_types => '{keyword}');

-- Exactly min(top_k, matching documents) rows: the filter runs inside the ranking.
CREATE FUNCTION expected_rows(q text, k int, m float8) RETURNS bigint LANGUAGE sql AS $$
    SELECT least(k, count(*)) FROM clara_bm25(q) b JOIN clara_documents d USING (document_id)
    WHERE d.quality_score >= m
$$;
SELECT k, m, (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', k, m, search_types => '{keyword}')) AS got,
       expected_rows('Photovoltaik Genehmigung', k, m) AS expected
FROM (VALUES (1, 0.0), (3, 0.5), (5, 0.0), (100, 0.0), (100, 0.5), (100, 0.9)) v(k, m);

-- Ranks are 1..n, relevance is score / best score (first row 1, never above),
-- order is relevance descending then document_id; no document twice.
WITH s AS (SELECT * FROM clara_stream('Photovoltaik Genehmigung Behörde', 100, 0.0, search_types => '{keyword}'))
SELECT count(*) AS rows, count(DISTINCT document_id) AS distinct_ids,
       bool_and(rank = expected_rank) AS ranks_ok,
       max(relevance_score) = 1 AS best_is_one, min(relevance_score) > 0 AS positive,
       bool_and(relevance_score <= prev_relevance OR prev_relevance IS NULL) AS descending
FROM (SELECT s.*, row_number() OVER (ORDER BY rank) AS expected_rank,
             lag(relevance_score) OVER (ORDER BY rank) AS prev_relevance FROM s) x;

-- Equal scores (bau-001 and dup-001 are the same text) are ordered by document_id.
SELECT rank, document_id, relevance_score FROM clara_stream('Wohnhauses Landesbauordnung', 5, 0.0, search_types => '{keyword}');
-- ... and at the top_k boundary the smaller document_id wins.
SELECT rank, document_id FROM clara_stream('Wohnhauses Landesbauordnung', 1, 0.0, search_types => '{keyword}');

-- Streaming form: called in the SELECT list, expanded outside (one call per row,
-- not one per column as (f()).* would do).
SELECT (s).rank, (s).document_id
FROM (SELECT clara_stream('Photovoltaik', 4, 0.0, search_types => '{keyword}') AS s OFFSET 0) x;

-- Every batch size gives the same rows, as many (EXCEPT alone would pass two
-- empty or duplicated results).
SELECT (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1, search_types => '{keyword}')) AS rows_batch_1,
       (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1000, search_types => '{keyword}')) AS rows_batch_1000,
       count(*) AS differing_rows FROM (
    (SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1000, search_types => '{keyword}'))
    UNION ALL
    (SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1000, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, batch_size => 1, search_types => '{keyword}'))) d;

-- clara_search is the batch form of the same rows, as many.
SELECT (SELECT count(*) FROM clara_stream('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}')) AS stream_rows,
       (SELECT count(*) FROM clara_search('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}')) AS search_rows,
       count(*) AS differing_rows FROM (
    (SELECT * FROM clara_stream('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_search('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}'))
    UNION ALL
    (SELECT * FROM clara_search('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_stream('Verwaltungsrecht Photovoltaik', 50, 0.3, search_types => '{keyword}'))) d;

-- Metadata: stored keys plus domain, document_type and title, the columns winning.
UPDATE clara_documents SET metadata = metadata || '{"domain": "stale"}' WHERE document_id = 'ver-002';
SELECT document_id, metadata FROM clara_stream('Einspeisung', 10, 0.0, search_types => '{keyword}') ORDER BY rank;
UPDATE clara_documents SET metadata = metadata - 'domain' WHERE document_id = 'ver-002';

-- Stopped early (LIMIT, here mid-batch), a stream gave the first rows of the
-- full ranking, and the next one in the same transaction starts afresh with
-- all its rows. (There is no cursor to look for: each batch is one query.)
BEGIN;
SELECT clara_stream_jsonl('Photovoltaik', 100, 0.0, batch_size => 2, search_types => '{keyword}')
     = (SELECT l FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, search_types => '{keyword}') l) AS first_line LIMIT 1;
SELECT array_agg((s).rank ORDER BY (s).rank) AS ranks,
       array_agg((s).document_id ORDER BY (s).rank)
     = (SELECT array_agg(document_id ORDER BY rank) FROM clara_stream('Photovoltaik', 3, 0.0, search_types => '{keyword}'))
       AS first_documents
FROM (SELECT clara_stream('Photovoltaik', 100, 0.0, batch_size => 2, search_types => '{keyword}') AS s LIMIT 3) x;
SELECT count(*) AS rows, count(*) = expected_rows('Photovoltaik', 100, 0.0) AS complete
FROM (SELECT clara_stream('Photovoltaik', 100, 0.0, batch_size => 2, search_types => '{keyword}')) s;
COMMIT;

-- A query of stop words only has no terms: no rows, and a notice says why.
SELECT count(*) FROM clara_stream('und the of', 10, 0.0, search_types => '{keyword}');
-- No match: no rows.
SELECT count(*) FROM clara_stream('Quantenchromodynamik', 10, 0.0, search_types => '{keyword}');

-- Defaults: top_k 100, min_quality 0.5.
SELECT count(*) = expected_rows('Photovoltaik', 100, 0.5) AS defaults_ok FROM clara_stream('Photovoltaik', search_types => '{keyword}');
-- The candidate check has two forms: one range query over doc_key when the
-- candidates are a good part of the keys they span (above: a small corpus),
-- a query per chunk of keys (= ANY) when they are few and far apart. 40 more
-- documents between two that alone hold a rare word take the second form;
-- a word all 40 hold takes the first. Both against the reference count.
INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)
SELECT 'spread-' || lpad(i::text, 2, '0'), 'Streuung ' || i,
       CASE WHEN i IN (1, 40) THEN 'Der Seltenheitsnachweis der Behörde wurde im Verfahren ausführlich begründet und geprüft. '
            ELSE '' END ||
       'Die Gemeinde prüft den Antrag auf Streuobstwiese nach den Vorgaben des Naturschutzrechts. ' ||
       'Der Bescheid nennt die Auflagen, die Fristen und die zuständige Stelle für Rückfragen.',
       'umweltrecht', 'bescheid', 'test'
FROM generate_series(1, 40) i;
SELECT q, (SELECT count(*) FROM clara_stream(q, 100, 0.0, search_types => '{keyword}')) AS got,
       expected_rows(q, 100, 0.0) AS expected
FROM (VALUES ('Seltenheitsnachweis'), ('Streuobstwiese')) v(q);
DELETE FROM clara_documents WHERE document_id LIKE 'spread-%';
DROP FUNCTION expected_rows;
