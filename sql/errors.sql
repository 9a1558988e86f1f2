-- Bad arguments: each is an error with SQLSTATE, message and hint.
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
\pset format unaligned
\pset tuples_only on

SELECT error_of('SELECT * FROM clara_stream(NULL)');
SELECT error_of('SELECT * FROM clara_stream('''')');
SELECT error_of('SELECT * FROM clara_stream(''   '')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 0)');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', -5)');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 1.5)');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, -0.1)');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, ''NaN'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"domian": "baurecht"}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''["baurecht"]'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"domain": 7}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"domain": []}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"domain": ["baurecht", 1]}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"created_after": 2023}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"created_after": "yesterday-ish"}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, ''{"metadata": "pages"}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, search_types => ''{}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, search_types => ''{semantic}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, search_types => ''{vector}'', weights => ''{"vector": 0, "keyword": 1}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, search_types => ARRAY[NULL]::text[])');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''[1]'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''{"bm25": 1}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''{"keyword": -1}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''{"keyword": "high"}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, batch_size => 0)');
SELECT error_of('SELECT * FROM clara_stream_jsonl(''Photovoltaik'', 10, 0.5, batch_size => 1000000)');
SELECT error_of('SELECT * FROM clara_search(''Photovoltaik'', 0)');
-- Limits: numbers beyond any sensible weight (and beyond double's range)
-- are refused without quoting their 400 digits; a min_quality just above 1
-- is named as given; arrays of arrays are not a list of search types.
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''{"keyword": 1e308}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, weights => ''{"vector": 1e400}'')');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 1.0000001)');
SELECT error_of('SELECT * FROM clara_stream(''Photovoltaik'', 10, 0.5, search_types => ''{{keyword},{vector}}'')');
-- A query is a few words, not a corpus: its size and its distinct terms are
-- capped before any index lookup (a query of every indexed term ran for
-- minutes and ignored cancel).
SELECT error_of('SELECT * FROM clara_stream(repeat(''Photovoltaik '', 6000))');
SELECT error_of('SELECT * FROM clara_bm25((SELECT string_agg(''x'' || translate(i::text, ''0123456789'', ''bcdfghklmn''), '' '') FROM generate_series(1, 2000) i))');
SELECT error_of('SELECT * FROM clara_bm25((SELECT string_agg(''x'' || translate(i::text, ''0123456789'', ''bcdfghklmn''), '' '') FROM generate_series(1, 500) i))');

\pset format aligned
\pset tuples_only off
-- NULL optional arguments take their defaults (the functions are not STRICT).
SELECT count(*) > 0 AS rows FROM clara_stream('Photovoltaik', NULL, NULL, NULL, NULL, NULL, NULL);
SELECT count(*) > 0 AS rows FROM clara_stream('Photovoltaik', 10, 0.0, search_types => '{keyword}', weights => '{"keyword": 1}');

-- Cancel and statement_timeout stop a running query.
\set SHOW_CONTEXT never
SET statement_timeout = '1ms';
SELECT count(*) FROM generate_series(1, 5000) g, LATERAL clara_stream('Photovoltaik Genehmigung ' || g, 100, 0.0);
RESET statement_timeout;
\set SHOW_CONTEXT errors
DROP FUNCTION error_of;
