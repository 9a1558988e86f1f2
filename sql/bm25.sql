-- Okapi BM25 (k1 = 1.2, b = 0.75, idf = ln(1 + (N - n + 0.5) / (n + 0.5))),
-- checked against an independent computation in SQL over the same tokens:
-- every token of title || content comes from clara_tokens() and is counted
-- here, not read from the index, term_tfs or a tsvector (which keeps at most
-- 256 positions per lexeme: rep-001 has more). With clara.title_weight = w
-- each query term adds w * idf * ttf (k1 + 1) / (ttf + k1), ttf = its count in
-- the title; the textbook form first (w = 0), the title boost at the end.
-- This file reads the index tables themselves: every statement indexes its
-- documents at once, none waits in the pending list (sql/pending.sql).
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql
SET clara.title_weight = 0;

-- The tokenizer gives PostgreSQL's own clara_de_en lexemes for ordinary text.
SELECT clara_tokens(t) = ARRAY(SELECT unnest(d.lexemes) FROM ts_debug('clara_de_en', t) d) AS same_as_postgres
FROM (VALUES ('Die Bauaufsichtsbehörde prüft, ob Vorschriften des Denkmalschutzes entgegenstehen.'),
             ('The directive requires member states to ensure that permits are granted quickly.'),
             ('Größere Anlagen über 30 Kilowatt benötigen eine Genehmigung nach § 35 BauGB.')) v(t);
SELECT clara_tokens('Photovoltaik-Freiflächenanlagen auf 3.000 m² Dächern');

CREATE FUNCTION bm25_reference(q text, title_weight float8 DEFAULT 0) RETURNS TABLE (document_id text, score float8)
LANGUAGE sql AS $$
    WITH docs AS (SELECT d.document_id, coalesce(d.title, '') || ' ' || d.content AS body, d.title
                  FROM clara_documents d),
    tokens AS (SELECT docs.document_id, unnest(clara_tokens(docs.body)) AS lexeme FROM docs),
    tf AS (SELECT tokens.document_id, tokens.lexeme, count(*)::float8 AS tf FROM tokens GROUP BY 1, 2),
    ttf AS (SELECT docs.document_id, t.lexeme, count(*)::float8 AS ttf
            FROM docs, unnest(clara_tokens(coalesce(docs.title, ''))) t(lexeme) GROUP BY 1, 2),
    len AS (SELECT tf.document_id, sum(tf.tf) AS dl FROM tf GROUP BY 1),
    stats AS (
        SELECT count(*)::float8 AS n, coalesce((SELECT sum(dl) FROM len), 0) / count(*) AS avgdl FROM docs),
    q AS (SELECT DISTINCT unnest(clara_tokens(q)) AS lexeme),
    df AS (SELECT tf.lexeme, count(*)::float8 AS df FROM tf WHERE tf.lexeme IN (SELECT lexeme FROM q) GROUP BY 1)
    SELECT tf.document_id,
           sum(ln(1 + (stats.n - df.df + 0.5) / (df.df + 0.5))
               * (tf.tf * (1.2 + 1) / (tf.tf + 1.2 * (1 - 0.75 + 0.75 * len.dl / stats.avgdl))
                  + title_weight * coalesce(ttf.ttf * (1.2 + 1) / (ttf.ttf + 1.2), 0)))
    FROM tf JOIN df USING (lexeme) JOIN len USING (document_id) LEFT JOIN ttf USING (document_id, lexeme), stats
    GROUP BY 1
$$;

-- Same documents, same scores to 1e-9 relative, for several queries.
CREATE FUNCTION bm25_agreement(q text) RETURNS TABLE (documents bigint, missing bigint, agree boolean)
LANGUAGE sql AS $$
    SELECT count(*),
           count(*) FILTER (WHERE r.score IS NULL OR c.score IS NULL),
           coalesce(bool_and(abs(r.score - c.score) <= 1e-9 * abs(r.score)), true)
    FROM bm25_reference(q, current_setting('clara.title_weight')::float8) r FULL JOIN clara_bm25(q) c USING (document_id)
$$;

SELECT q, a.* FROM (VALUES
    ('Photovoltaik'),
    ('Verwaltungsrecht Photovoltaik'),
    ('Baurecht Dachanlage'),
    ('Anhörung vor Erlass eines Verwaltungsakts'),
    ('solar rooftop permit'),
    ('Die Behörde prüft den Denkmalschutz und die Genehmigung einer Photovoltaikanlage auf dem Dach')
) v(q), LATERAL bm25_agreement(q) a;

-- A document matches when it contains any query term (not all of them).
SELECT count(*) AS matches FROM clara_bm25('Photovoltaik Klimaschutz');
SELECT count(*) AS photovoltaik_only FROM clara_bm25('Photovoltaik');
SELECT count(*) AS klimaschutz_only FROM clara_bm25('Klimaschutz');

-- German and English: inflected forms meet their stem, English stop words
-- are dropped, German stop words too.
SELECT clara_query_terms('Die Photovoltaikanlagen auf den Dächern');
SELECT clara_query_terms('the permits for the solar panels');

-- Statistics stay exact as documents change: update, delete, insert.
UPDATE clara_documents SET content = content || E'\nErgänzung: Photovoltaik Photovoltaik Speicher.' WHERE document_id = 'ene-001';
DELETE FROM clara_documents WHERE document_id = 'dup-001';
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
    ('new-001', 'Speicher', 'Ein Batteriespeicher neben der Photovoltaikanlage braucht keine eigene Genehmigung.', 'energierecht');
SELECT n_docs, dead_postings > 0 AS has_dead_postings FROM clara_corpus;
SELECT q, a.* FROM (VALUES ('Photovoltaik'), ('Speicher Genehmigung'), ('Baurecht Dachanlage')) v(q),
       LATERAL bm25_agreement(q) a;

-- Upserts (INSERT ... ON CONFLICT, what the loader runs) keep them exact too,
-- and so does a statement that writes its postings in many small flushes.
SET clara.index_flush_postings = 7;
INSERT INTO clara_documents (document_id, title, content, domain) VALUES
    ('ene-001', 'Einspeisevergütung', 'Die Einspeisevergütung für Photovoltaik sinkt jährlich.', 'energierecht'),
    ('new-002', 'Speicher und Photovoltaik', 'Speicher erhöhen den Eigenverbrauch einer Photovoltaikanlage deutlich.', 'energierecht')
ON CONFLICT (document_id) DO UPDATE SET title = excluded.title, content = excluded.content;
RESET clara.index_flush_postings;
SELECT q, a.* FROM (VALUES ('Photovoltaik'), ('Einspeisevergütung Speicher'), ('Eigenverbrauch')) v(q),
       LATERAL bm25_agreement(q) a;
SELECT n_docs = (SELECT count(*) FROM clara_documents) AS n_ok,
       total_length = (SELECT sum(doc_length) FROM clara_documents) AS length_ok FROM clara_corpus;
DELETE FROM clara_documents WHERE document_id = 'new-002';

-- Compaction drops dead postings and changes no score.
CREATE TEMP TABLE scores_before AS SELECT * FROM clara_bm25('Photovoltaik Genehmigung');
SELECT clara_compact();
SELECT n_docs, dead_postings FROM clara_corpus;
SELECT count(*) AS rows, bool_and(b.score = a.score) AS unchanged
FROM scores_before b FULL JOIN clara_bm25('Photovoltaik Genehmigung') a USING (document_id);

-- The title boost (the default, clara.title_weight = 1): the same documents,
-- scores as the reference computes them with the title term, and a title
-- match now outranks the same words in the text.
RESET clara.title_weight;
SELECT current_setting('clara.title_weight') AS title_weight;
SELECT q, a.* FROM (VALUES
    ('Photovoltaik'),
    ('Dachanlage Denkmalbereich'),
    ('Anhörung vor Erlass eines Verwaltungsakts'),
    ('solar rooftop permit residential roofs')
) v(q), LATERAL bm25_agreement(q) a;
-- Exactly the documents with the word in their title gain.
SET clara.title_weight = 0;
CREATE TEMP TABLE textbook AS SELECT * FROM clara_bm25('Photovoltaik');
RESET clara.title_weight;
SELECT count(*) AS matches, count(*) FILTER (WHERE b.score > t.score) AS boosted,
       bool_and((b.score > t.score) = (clara_tokens(coalesce(d.title, '')) @> clara_query_terms('Photovoltaik')))
           AS boosted_iff_in_title
FROM textbook t JOIN clara_bm25('Photovoltaik') b USING (document_id) JOIN clara_documents d USING (document_id);
DROP TABLE textbook;

-- TRUNCATE empties the index too.
BEGIN;
TRUNCATE clara_documents;
SELECT n_docs, (SELECT count(*) FROM clara_postings) AS postings FROM clara_corpus;
ROLLBACK;
DROP FUNCTION bm25_agreement, bm25_reference;
