-- Quality scores: a document property in 0..1, explained by its signals.
\i sql/fixture/corpus.sql

-- Prose (German and English) scores clearly above stubs, repeated lines,
-- random characters and boilerplate.
SELECT document_id,
       CASE WHEN document_id IN ('stub-001', 'rep-001', 'gar-001', 'boi-001') THEN 'poor' ELSE 'prose' END AS kind,
       quality_score >= 0.7 AS high, quality_score <= 0.45 AS low
FROM clara_documents ORDER BY kind DESC, document_id;

SELECT min(quality_score) FILTER (WHERE document_id NOT IN ('stub-001', 'rep-001', 'gar-001', 'boi-001'))
     - max(quality_score) FILTER (WHERE document_id IN ('stub-001', 'rep-001', 'gar-001', 'boi-001')) >= 0.3
       AS clear_margin
FROM clara_documents;

-- Signals explain the score.
SELECT document_id, quality_signals->>'language' AS language,
       (quality_signals->>'duplicate_line_fraction')::float8 > 0.5 AS repetitive,
       (quality_signals->>'stopword_ratio')::float8 > 0.1 AS has_stopwords
FROM clara_documents WHERE document_id IN ('bau-001', 'eng-001', 'rep-001', 'gar-001') ORDER BY 1;

SELECT jsonb_object_keys(quality_signals) AS signal FROM clara_documents WHERE document_id = 'bau-001' ORDER BY 1;

-- Deterministic: storing the same document again gives the same score.
CREATE TEMP TABLE before AS SELECT document_id, quality_score, quality_signals FROM clara_documents;
UPDATE clara_documents SET content = content || ' ' WHERE document_id = 'bau-001';
UPDATE clara_documents SET content = rtrim(content) WHERE document_id = 'bau-001';
SELECT b.quality_score = d.quality_score AND b.quality_signals = d.quality_signals AS same
FROM before b JOIN clara_documents d USING (document_id) WHERE document_id = 'bau-001';

-- Metadata completeness counts: the same text without title and domain scores lower.
INSERT INTO clara_documents (document_id, content)
SELECT 'bare-001', content FROM clara_documents WHERE document_id = 'bau-001';
SELECT (SELECT quality_score FROM clara_documents WHERE document_id = 'bare-001')
     < (SELECT quality_score FROM clara_documents WHERE document_id = 'bau-001') AS metadata_counts;
DELETE FROM clara_documents WHERE document_id = 'bare-001';

-- Text read with the wrong charset keeps its stop words and word shapes;
-- the encoding signal still marks it.
INSERT INTO clara_documents (document_id, title, domain, document_type, source, created_at, content)
SELECT 'moji-001', title, domain, document_type, source, created_at,
       convert_from(convert_to(content, 'UTF8'), 'LATIN1')
FROM clara_documents WHERE document_id = 'bau-001';
SELECT document_id, quality_score <= 0.45 AS low, (quality_signals->>'mojibake_ratio')::float8 > 0.02 AS mojibake
FROM clara_documents WHERE document_id IN ('bau-001', 'moji-001') ORDER BY 1;
DELETE FROM clara_documents WHERE document_id = 'moji-001';
