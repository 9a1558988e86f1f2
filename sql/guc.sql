-- Settings: clara.streaming_enabled and clara.streaming_batch_size. They
-- exist once the library is loaded (any clara call loads it, or LOAD, or
-- session_preload_libraries = 'clara').
\i sql/fixture/corpus.sql
LOAD 'clara';
SHOW clara.streaming_enabled;
SHOW clara.streaming_batch_size;
SHOW clara.index_flush_postings;
SET clara.index_flush_postings = 0;

SET clara.streaming_batch_size = 0;
SET clara.streaming_batch_size = 100001;
SET clara.streaming_batch_size = 7;
SELECT count(*) FROM clara_stream('Photovoltaik', 100, 0.0, search_types => '{keyword}');
RESET clara.streaming_batch_size;

-- The prefix is reserved: a typo is an error, not a silent new setting.
SET clara.streaming_batchsize = 10;

-- Off: clara_stream computes the whole result first, like clara_search; same rows
-- (and as many: EXCEPT alone would pass two empty or duplicated results).
SET clara.streaming_enabled = off;
SELECT (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')) AS stream_rows,
       (SELECT count(*) FROM clara_search('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')) AS search_rows,
       count(*) AS differing_rows FROM (
    (SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_search('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}'))
    UNION ALL
    (SELECT * FROM clara_search('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}')
     EXCEPT SELECT * FROM clara_stream('Photovoltaik Genehmigung', 100, 0.0, search_types => '{keyword}'))) d;
SELECT count(*) FROM (SELECT clara_stream_jsonl('Photovoltaik', 100, 0.0, search_types => '{keyword}')) s;
RESET clara.streaming_enabled;

-- clara_stats: the seed's get_statistics over a query's result.
SELECT jsonb_pretty(clara_stats('Photovoltaik Genehmigung', 100, 0.5, search_types => '{keyword}'));
SELECT (clara_stats('Photovoltaik', 100, 0.0, search_types => '{keyword}')->>'total_documents')::int
     = (SELECT count(*) FROM clara_stream('Photovoltaik', 100, 0.0, search_types => '{keyword}')) AS stats_count_ok;
