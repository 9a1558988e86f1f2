-- Merging on write (README, Maintenance): each writing statement appends a
-- postings block per term; a statement that leaves a term at
-- clara.index_merge_blocks blocks merges the smallest of them (as many as
-- have a largest block no bigger than the others together, at least two).
-- This file reads the index tables themselves: every statement indexes its
-- documents at once, none waits in the pending list (sql/pending.sql).
SET clara.pending_max_docs = 0;
\i sql/fixture/corpus.sql
SET clara.index_merge_blocks = 3;
SELECT (clara_query_terms('Quokkas'))[1] AS term \gset
CREATE TABLE merge_log (step int, stored bigint, counted int, sizes text, postings bigint);
CREATE FUNCTION add_quokka(step int) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO clara_documents (document_id, title, content)
    VALUES ('quokka-' || step, 'Quokkas', 'Quokkas auf Rottnest Island, Bericht ' || step);
END $$;
CREATE FUNCTION log_blocks(step int, t text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO merge_log
    SELECT step, count(*), (SELECT blocks FROM clara_terms WHERE term = t),
           string_agg((length(postings) / 12)::text, ',' ORDER BY length(postings)), sum(length(postings) / 12)
    FROM clara_postings WHERE term = t;
$$;
-- One statement per document (a DO block would be one statement).
SELECT add_quokka(1); SELECT log_blocks(1, :'term');
SELECT add_quokka(2); SELECT log_blocks(2, :'term');
SELECT add_quokka(3); SELECT log_blocks(3, :'term');
SELECT add_quokka(4); SELECT log_blocks(4, :'term');
SELECT add_quokka(5); SELECT log_blocks(5, :'term');
SELECT add_quokka(6); SELECT log_blocks(6, :'term');
-- 0 never merges.
SET clara.index_merge_blocks = 0;
SELECT add_quokka(7); SELECT log_blocks(7, :'term');
SELECT add_quokka(8); SELECT log_blocks(8, :'term');
SELECT add_quokka(9); SELECT log_blocks(9, :'term');
RESET clara.index_merge_blocks;
-- stored: rows in clara_postings; counted: clara_terms.blocks; sizes:
-- postings per block; postings: all of them (one per document).
SELECT * FROM merge_log ORDER BY step;
-- Every document is found, each once.
SELECT count(*) AS found, count(DISTINCT document_id) AS distinct_found FROM clara_bm25('Quokkas');
-- A rebuild leaves one block, counted.
SELECT clara_compact() > 0 AS compacted;
SELECT count(*) AS stored, (SELECT blocks FROM clara_terms WHERE term = :'term') AS counted
FROM clara_postings WHERE term = :'term';
-- ... and one block per gram (the rebuild checks every gram).
SELECT max(n) AS most_gram_blocks FROM (SELECT count(*) AS n FROM clara_gram_postings GROUP BY gram) s;
