-- Hybrid retrieval: embeddings kept with the documents, vector search,
-- the citation graph, fusion, and the checks inside the ranking.

-- Every document has one embedding (256 dimensions, int8 + scale: 264 bytes
-- with a 4-byte header 'E', format 2, dimension 256 little-endian).
SELECT count(*) AS embeddings,
       count(*) = (SELECT count(*) FROM clara_documents) AS one_per_document,
       bool_and(length(embedding) = 264) AS all_264_bytes,
       bool_and(substr(embedding, 1, 4) = '\x45020001'::bytea) AS header_ok
FROM clara_embeddings e JOIN clara_documents d USING (doc_key);

-- A new text gets a new key and a new embedding; the old one goes. Metadata
-- changes keep both.
SELECT doc_key AS old_key FROM clara_documents WHERE document_id = 'ver-001' \gset
UPDATE clara_documents SET metadata = metadata || '{"note": 1}' WHERE document_id = 'ver-001';
SELECT count(*) AS kept FROM clara_embeddings WHERE doc_key = :old_key;
UPDATE clara_documents SET content = content || ' Nachtrag.' WHERE document_id = 'ver-001';
SELECT count(*) AS old_gone FROM clara_embeddings WHERE doc_key = :old_key;
SELECT count(*) AS new_there FROM clara_embeddings e JOIN clara_documents d USING (doc_key)
WHERE d.document_id = 'ver-001';
UPDATE clara_documents SET content = left(content, -length(' Nachtrag.')), metadata = metadata - 'note'
WHERE document_id = 'ver-001';
INSERT INTO clara_documents (document_id, title, content) VALUES ('tmp-001', 'Kurz', 'Ein vorübergehender Text.');
SELECT doc_key AS tmp_key FROM clara_documents WHERE document_id = 'tmp-001' \gset
DELETE FROM clara_documents WHERE document_id = 'tmp-001';
SELECT count(*) AS deleted_gone FROM clara_embeddings WHERE doc_key = :tmp_key;
SELECT count(*) = (SELECT count(*) FROM clara_documents) AS still_one_per_document FROM clara_embeddings;

-- Vector search: a document's own title finds it first; similarities lie in
-- (0, 1] and are ordered.
SELECT document_id, similarity > 0.3 AS similar FROM clara_vector('Einspeisevergütung für Solaranlagen') LIMIT 1;
SELECT bool_and(similarity > 0 AND similarity <= 1.0001) AS in_range FROM clara_vector('Photovoltaik Dach');
-- Inflections and compounds: no document contains the word
-- "Denkmalschutzbehörden", so keyword search finds nothing; its character
-- n-grams still lead to the documents about Denkmalschutz.
SELECT count(*) AS keyword_hits FROM clara_bm25('Denkmalschutzbehörden');
SELECT string_agg(document_id, ',' ORDER BY document_id) AS vector_top3
FROM (SELECT document_id FROM clara_vector('Denkmalschutzbehörden') LIMIT 3) v;

-- clara.vector_min_similarity: a vector match must be more similar than it
-- (default 0). Every text is a little similar by hashing noise, so a word
-- no document has still finds nearest neighbours, unless a threshold is set.
CREATE TEMP TABLE sims AS SELECT * FROM clara_vector('Quantenchromodynamik Teilchenbeschleuniger');
SELECT count(*) > 0 AS noise_matches, max(similarity) < 0.3 AS all_weak FROM sims;
SET clara.vector_min_similarity = 0.3;
SELECT count(*) AS above_threshold FROM clara_vector('Quantenchromodynamik Teilchenbeschleuniger');
SELECT count(*) AS rows FROM clara_stream('Quantenchromodynamik Teilchenbeschleuniger', 10, 0.0, '{}', '{vector}');
SELECT (SELECT count(*) FROM clara_vector('Photovoltaik Dachanlage')) AS kept,
       (SELECT count(*) FROM clara_stream('Photovoltaik Dachanlage', 100, 0.0, '{}', '{vector}')) AS streamed,
       bool_and(similarity > 0.3) AS all_above FROM clara_vector('Photovoltaik Dachanlage');
RESET clara.vector_min_similarity;
DROP TABLE sims;

-- Exactly min(top_k, matches) rows for keyword + vector, where a match is
-- a document either retriever found that passes min_quality and filters.
CREATE FUNCTION kv_matches(q text, m float8, dom text) RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM clara_documents d
    WHERE d.document_id IN (SELECT document_id FROM clara_bm25(q) UNION SELECT document_id FROM clara_vector(q))
      AND d.quality_score >= m AND (dom IS NULL OR d.domain = dom)
$$;
SELECT k, m, dom,
       (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', k, m,
            CASE WHEN dom IS NULL THEN '{}' ELSE jsonb_build_object('domain', dom) END,
            '{keyword,vector}')) AS got,
       least(k, kv_matches('Photovoltaik Genehmigung', m, dom)) AS expected
FROM (VALUES (1, 0.0, NULL), (3, 0.5, NULL), (100, 0.0, NULL), (100, 0.5, NULL), (100, 0.0, 'baurecht'),
             (2, 0.5, 'energierecht')) v(k, m, dom);

-- The vector list starts at clara.vector_candidates documents and is
-- deepened when the checks leave too few: still exact with a depth of 1.
SET clara.vector_candidates = 1;
SELECT (SELECT count(*) FROM clara_stream('Sonnenenergie', 100, 0.5, '{"domain": "baurecht"}', '{vector}')) AS got,
       (SELECT count(*) FROM clara_vector('Sonnenenergie') v JOIN clara_documents d USING (document_id)
        WHERE d.quality_score >= 0.5 AND d.domain = 'baurecht') AS expected;
RESET clara.vector_candidates;

-- Fused results: ranks 1..n, no document twice, relevance 1 first and
-- descending, ties by document_id; under both fusion methods.
CREATE FUNCTION fused_ok(q text) RETURNS TABLE (rows bigint, distinct_ids bigint, ordered boolean) LANGUAGE sql AS $$
    WITH s AS (SELECT * FROM clara_stream(q, 100, 0.0))
    SELECT count(*), count(DISTINCT document_id),
           bool_and(rank = 1 AND relevance_score = 1 OR
                    relevance_score < prev_rel OR relevance_score = prev_rel AND document_id > prev_id)
    FROM (SELECT *, lag(relevance_score) OVER w AS prev_rel, lag(document_id) OVER w AS prev_id
          FROM s WINDOW w AS (ORDER BY rank)) x
$$;
SET clara.fusion_method = 'rrf';
SELECT * FROM fused_ok('Photovoltaik Genehmigung Behörde');
SET clara.fusion_method = 'weighted';
SELECT * FROM fused_ok('Photovoltaik Genehmigung Behörde');
RESET clara.fusion_method;

-- Weights: a retriever with weight 0 adds nothing, so keyword + vector with
-- vector at 0 is the keyword ranking (with fused relevance = score / best).
SELECT count(*) AS rows,
       bool_and(a.document_id = b.document_id) AS same_order,
       bool_and(abs(a.relevance_score - b.relevance_score) < 1e-12) AS same_relevance
FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, '{}', '{keyword}') a
FULL JOIN clara_stream('Photovoltaik Genehmigung', 100, 0.0, '{}', '{keyword,vector}',
                       '{"keyword": 1, "vector": 0}') b USING (rank);
-- With both weights, documents only the vector retriever found come in too.
SELECT count(*) FILTER (WHERE document_id NOT IN (SELECT document_id FROM clara_bm25('Photovoltaik Genehmigung')))
           AS vector_only_rows
FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, '{}', '{keyword,vector}');

-- Graph: no edges, no graph results.
SELECT count(*) AS graph_rows FROM clara_stream('Einspeisevergütung Netzbetreiber', 10, 0.0, '{}', '{graph}');
-- ver-001 cites ene-001, the best hit; bau-002 is cited by it. Edges to
-- documents that do not exist are ignored.
INSERT INTO clara_edges (src_id, dst_id) VALUES ('ver-001', 'ene-001'), ('ene-001', 'bau-002'),
    ('ene-001', 'missing-doc');
SELECT rank, document_id FROM clara_stream('Einspeisevergütung Netzbetreiber', 10, 0.0, '{}', '{graph}');
-- Graph documents pass the same checks.
SELECT rank, document_id FROM clara_stream('Einspeisevergütung Netzbetreiber', 10, 0.0, '{"domain": "baurecht"}',
                                           '{graph}');
-- The edges may come from another relation: a view (or a foreign table).
CREATE VIEW other_edges AS SELECT 'eng-001'::text AS src_id, 'ene-001'::text AS dst_id;
SET clara.graph_edges = 'other_edges';
SELECT rank, document_id FROM clara_stream('Einspeisevergütung Netzbetreiber', 10, 0.0, '{}', '{graph}');
\set VERBOSITY terse
SET clara.graph_edges = 'no_such_edges';
SELECT count(*) FROM clara_stream('Einspeisevergütung', 10, 0.0, '{}', '{graph}');
CREATE VIEW bad_edges AS SELECT 'a'::text AS source_id, 'b'::text AS dst_id;
SET clara.graph_edges = 'bad_edges';
SELECT count(*) FROM clara_stream('Einspeisevergütung', 10, 0.0, '{}', '{graph}');
RESET clara.graph_edges;
-- Bad fusion settings and weights.
SET clara.fusion_method = 'borda';
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0, '{}', '{keyword,vector}', '{"keyword": 0, "vector": 0}');
\set VERBOSITY default
DELETE FROM clara_edges;
DROP VIEW other_edges, bad_edges;
DROP FUNCTION kv_matches, fused_ok;

-- clara_compact() rebuilds the embeddings as well.
DELETE FROM clara_embeddings;
SELECT clara_compact() = (SELECT count(*) FROM clara_documents) AS compacted;
SELECT count(*) = (SELECT count(*) FROM clara_documents) AS embeddings_back FROM clara_embeddings;
