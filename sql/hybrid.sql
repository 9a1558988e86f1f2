-- Hybrid retrieval: character 4-gram postings kept with the documents,
-- vector search, the citation graph, fusion, and the checks inside the
-- ranking.
-- This file reads the index tables themselves: every statement indexes its
-- documents at once, none waits in the pending list (sql/pending.sql).
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql

-- What a text is indexed by: the 4-grams of its words between '<' and '>',
-- lower-cased, diacritics folded, stop words dropped; a document's content
-- only up to its first 700 code points (lead => true).
SELECT clara_grams('Größe der Häuser') AS grams;
SELECT cardinality(clara_grams(repeat('wort ', 400))) AS whole,
       cardinality(clara_grams(repeat('wort ', 400), true)) AS lead;

-- The gram postings hold, for every document, one posting per distinct gram
-- of its lead (after a compaction: earlier files changed documents, whose
-- old postings stay until then): the block headers' counts add up to that,
-- and clara_corpus holds the sum of the lead lengths as stored (the nearest
-- of 32 lengths 19 % apart).
CREATE FUNCTION lead_grams(t text, c text) RETURNS text[] LANGUAGE sql AS $$
    SELECT clara_grams(coalesce(t, '')) || clara_grams(c, true)
$$;
CREATE FUNCTION block_count(b bytea) RETURNS bigint LANGUAGE sql AS $$
    SELECT get_byte(b, 0) + 256 * get_byte(b, 1) + 65536 * get_byte(b, 2) + 16777216::bigint * get_byte(b, 3)
$$;
CREATE FUNCTION stored_length(n bigint) RETURNS bigint LANGUAGE sql AS $$
    SELECT CASE WHEN n = 0 THEN 0 ELSE
        (SELECT r FROM unnest('{4,5,6,7,8,10,11,14,16,19,23,27,32,38,46,54,65,77,92,109,130,154,184,219,260,
                                310,368,438,522,621,739,879}'::int[]) r ORDER BY abs(r - n), r LIMIT 1) END
$$;
CREATE VIEW gram_check AS
SELECT (SELECT sum(block_count(postings)) FROM clara_gram_postings) AS postings,
       (SELECT sum((SELECT count(DISTINCT g) FROM unnest(lead_grams(title, content)) g)) FROM clara_documents)
           AS distinct_lead_grams,
       (SELECT gram_length FROM clara_corpus) AS gram_length,
       (SELECT sum(stored_length(cardinality(lead_grams(title, content)))) FROM clara_documents) AS lead_lengths;
SELECT clara_compact() = (SELECT count(*) FROM clara_documents) AS compacted;
SELECT postings = distinct_lead_grams AS postings_ok, gram_length = lead_lengths AS lengths_ok FROM gram_check;
SELECT bool_and(documents = block_count(postings)) AS counts_ok FROM clara_gram_postings;

-- A metadata change keeps the postings; a new text gets a new key and new
-- postings (the old ones stay, dead, until clara_compact()); the lengths
-- follow every change.
SELECT doc_key AS old_key FROM clara_documents WHERE document_id = 'ver-001' \gset
SELECT sum(block_count(postings)) AS postings_before FROM clara_gram_postings \gset
UPDATE clara_documents SET metadata = metadata || '{"note": 1}' WHERE document_id = 'ver-001';
SELECT sum(block_count(postings)) = :postings_before AS metadata_kept FROM clara_gram_postings;
UPDATE clara_documents SET content = content || ' Nachtrag.' WHERE document_id = 'ver-001';
SELECT sum(block_count(postings)) - :postings_before AS postings_added,
       (SELECT count(DISTINCT g) FROM clara_documents, unnest(lead_grams(title, content)) g
        WHERE document_id = 'ver-001') AS new_document_grams
FROM clara_gram_postings;
SELECT gram_length = lead_lengths AS lengths_ok FROM gram_check;
UPDATE clara_documents SET content = left(content, -length(' Nachtrag.')), metadata = metadata - 'note'
WHERE document_id = 'ver-001';
INSERT INTO clara_documents (document_id, title, content) VALUES ('tmp-001', 'Kurz', 'Ein vorübergehender Text.');
DELETE FROM clara_documents WHERE document_id = 'tmp-001';
SELECT gram_length = lead_lengths AS lengths_ok FROM gram_check;
-- clara_compact() drops the dead postings.
SELECT clara_compact() = (SELECT count(*) FROM clara_documents) AS compacted;
SELECT postings = distinct_lead_grams AS postings_ok, gram_length = lead_lengths AS lengths_ok FROM gram_check;

-- Vector similarity against an independent computation in SQL of the
-- formula in core/ngram.hpp: BM25 (k1 1.2, b 0.75) over the lead's grams
-- (tf capped at 8, lengths as stored) that are in at most half of the
-- documents, query grams weighted 1 + ln(tf), divided by the query's largest
-- possible score (all of its grams).
CREATE FUNCTION vector_reference(q text) RETURNS TABLE (document_id text, similarity float8) LANGUAGE sql AS $$
    WITH d AS (SELECT d.document_id, g, count(*) AS tf
               FROM clara_documents d, unnest(lead_grams(d.title, d.content)) g GROUP BY 1, 2),
         len AS (SELECT d.document_id, stored_length(cardinality(lead_grams(d.title, d.content))) AS l
                 FROM clara_documents d),
         stats AS (SELECT count(*)::float8 AS n, avg(l) AS avg_l FROM len),
         qg AS (SELECT g, 1 + ln(count(*)) AS wq FROM unnest(clara_grams(q)) g GROUP BY g),
         df AS (SELECT qg.g, qg.wq, count(d.document_id) AS df FROM qg LEFT JOIN d USING (g) GROUP BY 1, 2),
         w AS (SELECT g, wq * ln(1 + (n - df + 0.5) / (df + 0.5)) AS w, df * 2 <= n AS scored FROM df, stats),
         mx AS (SELECT sum(w * 2.2) AS m FROM w)
    SELECT d.document_id,
           sum(w.w * least(d.tf, 8) * 2.2 / (least(d.tf, 8) + 1.2 * (0.25 + 0.75 * len.l / stats.avg_l))) / mx.m
    FROM d JOIN w USING (g) JOIN len USING (document_id), stats, mx
    WHERE w.scored
    GROUP BY d.document_id, mx.m
$$;
SELECT q, count(*) AS documents,
       bool_and(coalesce(abs(v.similarity - r.similarity) <= 1e-5 * r.similarity, false)) AS same_similarity,
       bool_and(coalesce(v.similarity > 0 AND v.similarity < 1, false)) AS in_range
FROM unnest(ARRAY['Einspeisevergütung für Solaranlagen', 'Photovoltaik Dach', 'solar permit rooftop',
                  'Denkmalschutzbehörden Genehmigung Genehmigung']) q,
     LATERAL (SELECT * FROM clara_vector(q)) v FULL JOIN LATERAL vector_reference(q) r USING (document_id)
GROUP BY q ORDER BY q;

-- A document's own title finds it first.
SELECT document_id, similarity > 0.3 AS similar FROM clara_vector('Einspeisevergütung für Solaranlagen') LIMIT 1;
-- Inflections and compounds: no document contains the word
-- "Denkmalschutzbehörden", so keyword search finds nothing; its character
-- n-grams still lead to the documents about Denkmalschutz.
SELECT count(*) AS keyword_hits FROM clara_bm25('Denkmalschutzbehörden');
SELECT string_agg(document_id, ',' ORDER BY document_id) AS vector_top3
FROM (SELECT document_id FROM clara_vector('Denkmalschutzbehörden') LIMIT 3) v;

-- clara.vector_min_similarity: a vector match must be more similar than it
-- (default 0: any shared gram). Words no document is about share only a few
-- common grams with it, so a threshold keeps them from returning weak matches.
CREATE TEMP TABLE sims AS SELECT * FROM clara_vector('Quantenchromodynamik Teilchenbeschleuniger');
SELECT max(similarity) < 0.3 AS all_weak FROM sims;
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
-- With both weights, documents only the vector retriever found come in too
-- (compounds keyword search does not split).
SELECT count(*) FILTER (WHERE document_id NOT IN
                            (SELECT document_id FROM clara_bm25('Baugenehmigungsverfahren Photovoltaikanlagen')))
           AS vector_only_rows
FROM clara_stream('Baugenehmigungsverfahren Photovoltaikanlagen', 100, 0.0, '{}', '{keyword,vector}');

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
-- An edge with a missing end links nothing, and ends of another type than
-- text (name, varchar) are read as text.
CREATE TEMP TABLE odd_edges (src_id name, dst_id varchar);
INSERT INTO odd_edges VALUES ('eng-001', 'ene-001'), ('ene-001', NULL), (NULL, 'bau-002'), (NULL, NULL);
SET clara.graph_edges = 'pg_temp.odd_edges';
SELECT rank, document_id FROM clara_stream('Einspeisevergütung Netzbetreiber', 10, 0.0, '{}', '{graph}');
SET clara.graph_edges = 'other_edges';
DROP TABLE odd_edges;
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

-- clara_compact() rebuilds the gram postings as well.
DELETE FROM clara_gram_postings;
SELECT clara_compact() = (SELECT count(*) FROM clara_documents) AS compacted;
SELECT postings = distinct_lead_grams AS postings_back FROM gram_check;
DROP VIEW gram_check;
DROP FUNCTION vector_reference, lead_grams, block_count, stored_length;
