-- clara_stats: the seed's get_statistics over exactly what clara_stream_jsonl
-- with the same arguments writes (the export's own path, lines counted
-- instead of built): tokens by a tokenizer or an estimate, per split, and
-- the documents each step removed.
\i sql/fixture/corpus.sql
DELETE FROM clara_exports;

-- A byte-level BPE tokenizer.json without merges: one token per UTF-8 byte,
-- so its counts are octet_length (GPT-2's byte-to-character table).
WITH b AS (SELECT c, c BETWEEN 33 AND 126 OR c BETWEEN 161 AND 172 OR c BETWEEN 174 AND 255 AS printable
           FROM generate_series(0, 255) c),
     m AS (SELECT c, CASE WHEN printable THEN chr(c)
                          ELSE chr(255 + (count(*) FILTER (WHERE NOT printable) OVER (ORDER BY c))::int) END AS sym
           FROM b)
SELECT clara_register_tokenizer('bytes', convert_to(jsonb_build_object(
           'pre_tokenizer', jsonb_build_object('type', 'ByteLevel', 'add_prefix_space', false),
           'model', jsonb_build_object('type', 'BPE', 'vocab', (SELECT jsonb_object_agg(sym, c) FROM m),
                                       'merges', '[]'::jsonb))::text, 'UTF8'))->>'vocabulary' AS vocabulary;
SELECT clara_token_count('Größe', 'bytes') AS bytes_of_groesse;

-- The old positional call still works; without a tokenizer the tokens are
-- the documented estimate, ceil(UTF-8 bytes / 3.7), and say so.
SELECT jsonb_pretty(clara_stats('Photovoltaik Genehmigung', 100, 0.5, '{}', '{keyword}', NULL));
WITH s AS (SELECT clara_stats('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}') AS j),
     r AS (SELECT d.* FROM clara_search('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}') c
           JOIN clara_documents d USING (document_id))
SELECT (j->>'total_tokens')::bigint = (SELECT sum((octet_length(content) * 10 + 36) / 37) FROM r) AS estimate_ok,
       (j->>'total_words')::bigint = (SELECT sum((quality_signals->>'word_count')::bigint) FROM r) AS words_ok,
       (j->>'total_documents')::bigint = (SELECT count(*) FROM r) AS documents_ok,
       j->>'token_count' AS token_count
FROM s;

-- With a tokenizer alone: its count of every written document's text.
WITH s AS (SELECT clara_stats('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}',
                              tokenizer => 'bytes') AS j)
SELECT (j->>'total_tokens')::bigint
           = (SELECT sum(octet_length(content))
              FROM clara_search('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')) AS tokens_ok,
       j->>'token_count' AS token_count
FROM s;

-- Stats equal what the export wrote, split by split: documents, lines
-- (chunks) and the sum of the lines' token_count; removed equals the
-- export's own summary.
CREATE TEMP TABLE exported AS
SELECT l::jsonb AS j FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    tokenizer => 'bytes', chunk_tokens => 200, chunk_overlap => 20, split => 'validation=0.3,test=0.2',
    split_seed => 3, dedup => 'exact', format => 'text') l;
CREATE TEMP TABLE export_summary AS SELECT clara_export_summary() AS j;
CREATE TEMP TABLE stats AS SELECT clara_stats('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    tokenizer => 'bytes', chunk_tokens => 200, chunk_overlap => 20, split => 'validation=0.3,test=0.2',
    split_seed => 3, dedup => 'exact', format => 'text') AS j;
SELECT jsonb_pretty(j - 'avg_quality_score' - 'avg_relevance_score') FROM stats;
SELECT (SELECT jsonb_object_agg(k, v) FROM stats, jsonb_each(j->'splits') s(k, v) WHERE (v->>'lines')::int > 0)
       = (SELECT jsonb_object_agg(split, jsonb_build_object(
           'documents', documents, 'lines', lines, 'tokens', tokens))
       FROM (SELECT j->'metadata'->>'split' AS split, count(DISTINCT j->>'document_id') AS documents,
                    count(*) AS lines, sum((j->'metadata'->>'token_count')::bigint) AS tokens
             FROM exported GROUP BY 1) e) AS splits_equal_export,
       (SELECT j->'removed' FROM stats) = (SELECT j->'removed' FROM export_summary) AS removed_equal_summary,
       (SELECT j->'splits' FROM stats) = (SELECT j->'splits' FROM export_summary) AS summary_splits_equal,
       (SELECT (j->>'total_lines')::bigint FROM stats) = (SELECT count(*) FROM exported) AS lines_equal;
-- Averages and counts over the documents written (one per document, not per chunk).
SELECT abs((SELECT (j->>'avg_quality_score')::float8 FROM stats)
           - (SELECT avg(d.quality_score) FROM (SELECT DISTINCT j->>'document_id' AS id FROM exported) e
              JOIN clara_documents d ON d.document_id = e.id)) < 1e-12 AS avg_quality_ok,
       (SELECT j->'domains' FROM stats) = (SELECT jsonb_object_agg(domain, n) FROM (
           SELECT coalesce(d.domain, '') AS domain, count(*) AS n FROM (SELECT DISTINCT j->>'document_id' AS id FROM exported) e
           JOIN clara_documents d ON d.document_id = e.id GROUP BY 1) g) AS domains_ok;

-- only_split: that split alone.
SELECT clara_stats('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0, split => 'validation=0.3,test=0.2',
                   split_seed => 3, only_split => 'test')->'splits' AS test_only;

-- A token budget: what it cut counts as removed (ranked documents left
-- unwritten), and the tokens stay within it, as in the export.
CREATE TEMP TABLE budgeted AS
SELECT l::jsonb AS j FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    tokenizer => 'bytes', token_budget => 3000) l;
SELECT clara_export_summary()->'removed' AS export_removed;
WITH s AS (SELECT clara_stats('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
                              tokenizer => 'bytes', token_budget => 3000) AS j)
SELECT j->'removed' AS removed, (j->>'total_tokens')::bigint <= 3000 AS within_budget,
       (j->>'total_tokens')::bigint = (SELECT sum(octet_length(j->>'text')) FROM budgeted) AS tokens_equal_export,
       (j->>'total_documents')::bigint = (SELECT count(*) FROM budgeted) AS documents_equal_export,
       (j->>'total_documents')::bigint + (j->'removed'->>'token_budget')::bigint
           = (j->>'documents_ranked')::bigint AS all_ranked_accounted
FROM s;

-- Held out by the ledger and excluded: the same counts as the export's.
SELECT count(*) AS recorded FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    split => 'validation=0.3', split_seed => 1, record => 'stats-v1') l;
SELECT count(*) AS lines FROM clara_stream_jsonl('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    split => 'validation=0.3', split_seed => 2) l;
SELECT clara_export_summary()->'removed' AS export_removed;
SELECT clara_stats('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    split => 'validation=0.3', split_seed => 2)->'removed' AS stats_removed;
SELECT clara_stats('Photovoltaik Behörde Verwaltungsakt solar Anlage', 50, 0.0,
    exclude => '{stats-v1:validation}', exclude_held_out => false)->'removed' AS stats_removed;
SELECT clara_drop_export('stats-v1') > 0 AS dropped;

-- Errors: the export's own SQLSTATE, message and hint.
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
\pset format unaligned
SELECT args, error_of('SELECT clara_stats(''Photovoltaik'', ' || args || ')') AS stats_error,
       error_of('SELECT clara_stats(''Photovoltaik'', ' || args || ')')
           = error_of('SELECT count(*) FROM clara_stream_jsonl(''Photovoltaik'', ' || args || ')') AS same_as_export
FROM unnest(ARRAY[
    'tokenizer => ''nope'', chunk_tokens => 64',
    'split => ''validation=0.6,test=0.5''',
    'split => ''train=0.1''',
    'split => ''validation=0.1'', only_split => ''test''',
    'dedup => ''fuzzy''',
    'format => ''sharegpt''',
    'token_budget => 100',
    'tokenizer => ''bytes'', chunk_tokens => 64, chunk_overlap => 40',
    'decontaminate => ''{unbekannt}''',
    'exclude => ''{nope}''']) AS args;
-- A tokenizer alone is fine for statistics (the export needs chunks or a
-- budget for it); an unknown one is the same error.
SELECT error_of('SELECT clara_stats(''Photovoltaik'', tokenizer => ''nope'')') AS unknown_tokenizer;
\pset format aligned
SELECT clara_unregister_tokenizer('bytes');
