-- Stable metadata types: the catalogue of the stored documents' metadata
-- keys, refused type changes, and exports that give every line every key.
\i sql/fixture/corpus.sql
CREATE FUNCTION error_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text; message text; hint text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN state || ': ' || message || coalesce(' -- HINT: ' || nullif(hint, ''), '');
END
$$;

-- The fixture's keys, in the order exports write them (jsonb's: shorter first).
SELECT * FROM clara_metadata_types();

-- Every line of an export has the same metadata keys; a document without
-- a key has null there; its own values are unchanged.
SELECT count(*) AS lines,
       count(DISTINCT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(j->'metadata') k)) AS key_sets,
       bool_and(j->'metadata' ? 'celex' AND j->'metadata' ? 'aktenzeichen') AS every_key,
       count(*) FILTER (WHERE j->'metadata'->'celex' = 'null') AS celex_null,
       bool_and(j->'metadata' @> d.metadata) AS own_values_kept
FROM (SELECT line::jsonb AS j FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0) AS line) l
JOIN clara_documents d ON d.document_id = l.j->>'document_id';

-- clara_stream's metadata (and so clara_search's, the CLI's, HTTP's and
-- Python's) is the line's.
SELECT bool_and(j->'metadata' = s.metadata) AS same_metadata, count(*) AS rows
FROM (SELECT row_number() OVER () AS n, line::jsonb AS j
      FROM clara_stream_jsonl('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}') AS line) l
JOIN (SELECT rank AS n, * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')) s
USING (n);

-- A key Clara writes itself (title) keeps Clara's value; the stored one is not repeated.
SELECT j->'metadata'->'title' AS title, j->'metadata'->'pages' AS pages
FROM (SELECT line::jsonb AS j FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0,
                                                      search_types => '{keyword}') AS line) l;

-- clara.uniform_metadata = off: each document's stored keys only (as before 0.5.0).
SET clara.uniform_metadata = off;
SELECT line::jsonb->'metadata' AS metadata
FROM clara_stream_jsonl('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}') AS line;
SELECT metadata FROM clara_stream('Einspeisevergütung Netzbetreiber', 1, 0.0, search_types => '{keyword}');
RESET clara.uniform_metadata;

\pset format unaligned
\pset tuples_only on
-- A value of another type than the stored one is refused (23514), whether
-- inserted or updated; null fits every type.
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-1', 'Text', '{"pages": "drei"}')$$);
SELECT error_of($$UPDATE clara_documents SET metadata = '{"celex": 32023}' WHERE document_id = 'eng-001'$$);
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-1', 'Text', '{"pages": null, "celex": "x"}')$$);
-- Two documents of one statement that disagree.
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-2', 'Text', '{"band": 1}'), ('t-3', 'Text', '{"band": [1]}')$$);
-- A key only ever null so far takes the first type that comes.
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-4', 'Text', '{"later": null}')$$);
SELECT key, json_type FROM clara_metadata_types() WHERE key = 'later';
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-5', 'Text', '{"later": {"a": 1}}')$$);
SELECT key, json_type FROM clara_metadata_types() WHERE key = 'later';
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-6', 'Text', '{"later": true}')$$);
-- Nothing of a refused statement stays.
SELECT count(*) FROM clara_documents WHERE document_id IN ('t-1', 't-2', 't-3', 't-6');
SELECT count(*) FROM clara_metadata_types() WHERE key = 'band';

-- The bounds: keys of at most 1,024 bytes, at most 1,024 keys.
SELECT error_of(format($$INSERT INTO clara_documents (document_id, content, metadata) VALUES ('t-7', 'Text', %L)$$,
                       jsonb_build_object(repeat('k', 1025), 1)));
SELECT error_of(format($$INSERT INTO clara_documents (document_id, content, metadata) VALUES ('t-8', 'Text', %L)$$,
                       (SELECT jsonb_object_agg('k' || i, i) FROM generate_series(1, 1025) i)));
SELECT error_of(format($$INSERT INTO clara_documents (document_id, content, metadata) VALUES ('t-9', 'Text', %L)$$,
                       (SELECT jsonb_object_agg('k' || i, i)
                        FROM generate_series(1, 1024 - (SELECT count(*)::int FROM clara_metadata_types())) i)));
SELECT count(*) FROM clara_metadata_types();
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-10', 'Text', '{"one_more": 1, "k1": 2}')$$);
-- Keys already there still take documents.
SELECT error_of($$INSERT INTO clara_documents (document_id, content, metadata)
                  VALUES ('t-11', 'Text', '{"k1": 5, "pages": 2}')$$);
\pset format aligned
\pset tuples_only off

-- Deleting documents keeps their keys (an export keeps its columns);
-- TRUNCATE empties the catalogue with the corpus.
DELETE FROM clara_documents WHERE document_id IN ('t-9', 't-11');
SELECT count(*) AS keys_after_delete FROM clara_metadata_types();
TRUNCATE clara_documents;
SELECT count(*) AS keys_after_truncate FROM clara_metadata_types();
INSERT INTO clara_documents (document_id, content, metadata) VALUES ('t-12', 'Text', '{"pages": "drei"}');
SELECT * FROM clara_metadata_types();

-- The catalogue belongs to the extension's owner, like the index tables.
CREATE ROLE clara_types_reader;
GRANT SELECT ON clara_documents TO clara_types_reader;
SET ROLE clara_types_reader;
\set VERBOSITY terse
SELECT * FROM clara_metadata_keys;
\set VERBOSITY default
SELECT * FROM clara_metadata_types();
RESET ROLE;
DROP OWNED BY clara_types_reader;
DROP ROLE clara_types_reader;
DROP FUNCTION error_of(text);
