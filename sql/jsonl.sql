-- clara_stream_jsonl: one training line per row, the export format.
\i sql/fixture/corpus.sql

-- Key order is fixed; every line is one JSON object on one line.
SELECT line ~ '^\{"text":".*","metadata":\{.*\},"source":(".*"|null),"quality_score":[0-9.e-]+,"document_id":".*","relevance_score":[0-9.e-]+\}$' AS shape,
       position(E'\n' IN line) = 0 AS one_line,
       jsonb_typeof(line::jsonb) AS type
FROM clara_stream_jsonl('Photovoltaik Dachanlage', 5, 0.5, search_types => '{keyword}') AS line;

-- The line carries the same row as clara_stream: text round-trips to the
-- stored content, metadata equals the merged metadata.
SELECT count(*) AS rows,
       bool_and(j->>'text' = s.content) AS text_roundtrip,
       bool_and(j->'metadata' = s.metadata) AS metadata_same,
       bool_and((j->>'quality_score')::float8 = s.quality_score) AS quality_same,
       bool_and((j->>'relevance_score')::float8 = s.relevance_score) AS relevance_same,
       bool_and(j->>'source' IS NOT DISTINCT FROM s.source) AS source_same
FROM (SELECT row_number() OVER () AS n, line::jsonb AS j
      FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}') AS line) l
JOIN (SELECT rank AS n, * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')) s USING (n);

SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}') AS line;

-- Hard characters: quotes, backslashes, tabs, newlines, other control
-- characters, non-ASCII; numbers and nested values in metadata.
INSERT INTO clara_documents (document_id, title, content, source, metadata) VALUES
('esc-001', 'Sonderzeichen "Photovoltaik"',
 E'Zeile 1: "Anführung" und \\Backslash\\\n\tTab, Steuerzeichen \x01\x1f, Umlaute äöüß, Euro €, Emoji 🌞.\r\nPhotovoltaik.',
 NULL,
 '{"nested": {"b": [1, 2.50, -3e2, true, null], "a": "x\"y"}, "z": 1, "title": "stale"}');
SELECT line FROM clara_stream_jsonl('Steuerzeichen', 1, 0.0, search_types => '{keyword}') AS line;
SELECT (line::jsonb)->>'text' = (SELECT content FROM clara_documents WHERE document_id = 'esc-001') AS roundtrip
FROM clara_stream_jsonl('Steuerzeichen', 1, 0.0, search_types => '{keyword}') AS line;

-- COPY in CSV mode with a quote and delimiter that never occur gives the raw
-- lines (text-format COPY would double every backslash).
COPY (SELECT clara_stream_jsonl('Steuerzeichen Photovoltaik', 100, 0.0, search_types => '{keyword}'))
    TO '/tmp/clara_regress_export.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02');
SELECT count(*) AS lines, bool_and(l::jsonb ? 'document_id') AS all_parse,
       count(*) = (SELECT count(*) FROM clara_stream('Steuerzeichen Photovoltaik', 100, 0.0, search_types => '{keyword}')) AS count_ok
FROM regexp_split_to_table(rtrim(pg_read_file('/tmp/clara_regress_export.jsonl'), E'\n'), E'\n') AS l;
SELECT (l::jsonb)->>'text' = (SELECT content FROM clara_documents WHERE document_id = 'esc-001') AS copy_roundtrip
FROM regexp_split_to_table(rtrim(pg_read_file('/tmp/clara_regress_export.jsonl'), E'\n'), E'\n') AS l
WHERE (l::jsonb)->>'document_id' = 'esc-001';

DELETE FROM clara_documents WHERE document_id = 'esc-001';

-- Trainer formats: the same provenance keys, the text in the format's
-- fields; templates with placeholders, '{{' for a brace.
SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}',
                                    format => 'text') AS line;
SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}',
                                    format => 'messages') AS line;
SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}',
                                    format => 'prompt-completion',
                                    prompt_template => 'Frage ({query}): {{{title}}} aus {domain}') AS line;
SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}',
                                    format => 'alpaca', prompt_template => 'Fasse {document_id} zusammen.') AS line;
SELECT line FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}',
                                    format => 'text', text_template => E'# {title}\n{text}\n-- {source}') AS line;
\set VERBOSITY terse
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, format => 'sharegpt');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, format => 'text', text_template => '{titel}');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, format => 'text', text_template => '{title');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, format => 'alpaca', prompt_template => 'a } b');
\set VERBOSITY default

-- Splits: a document's split is fixed by a hash of the seed and its
-- document_id, whatever the query; only_split keeps one.
CREATE TEMP TABLE split_a AS
SELECT (l::jsonb)->>'document_id' AS id, (l::jsonb)->'metadata'->>'split' AS split
FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}',
                        split => 'validation=0.3,test=0.2', split_seed => 7) AS l;
CREATE TEMP TABLE split_b AS
SELECT (l::jsonb)->>'document_id' AS id, (l::jsonb)->'metadata'->>'split' AS split
FROM clara_stream_jsonl('Dachanlage Baurecht Energierecht', 100, 0.0, search_types => '{keyword}',
                        split => 'validation=0.3,test=0.2', split_seed => 7) AS l;
SELECT count(*) AS shared, bool_and(a.split = b.split) AS same_split FROM split_a a JOIN split_b b USING (id);
SELECT split, count(*) FROM split_a GROUP BY split ORDER BY split;
SELECT count(*) AS only_test, bool_and((l::jsonb)->'metadata'->>'split' = 'test') AS all_test
FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}',
                        split => 'validation=0.3,test=0.2', split_seed => 7, only_split => 'test') AS l;
SELECT count(*) FILTER (WHERE a.split <> c.split) > 0 AS another_seed_moves_some
FROM split_a a JOIN (SELECT (l::jsonb)->>'document_id' AS id, (l::jsonb)->'metadata'->>'split' AS split
      FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}',
                              split => 'validation=0.3,test=0.2', split_seed => 8) AS l) c USING (id);
DROP TABLE split_a, split_b;
\set VERBOSITY terse
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, split => 'validation=0.6,test=0.5');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, split => 'train=0.1');
SELECT count(*) FROM clara_stream_jsonl('Photovoltaik', 1, 0.0, split => 'validation=0.1', only_split => 'test');
\set VERBOSITY default
