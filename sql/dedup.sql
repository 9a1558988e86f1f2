-- Duplicates: signatures derived with the other columns, clusters kept by
-- the statement triggers, exports keeping the best-ranked copy (dedup).
\i sql/fixture/corpus.sql

-- Every document has a signature; its keys: the exact key and 16 bands.
SELECT count(*) AS documents, count(dedup) AS signed,
       bool_and(cardinality(clara_dedup_keys(dedup)) = 17) AS all_keys
FROM clara_documents WHERE content ~ '\w';
-- The fixture's dup-001 is an exact copy of bau-001.
SELECT count(*) AS clustered FROM clara_dup_clusters;

-- Planted: an exact copy of bau-001 (other case and white space), a near
-- copy (a few words changed) and a form letter written to two people.
INSERT INTO clara_documents (document_id, title, content, domain, document_type)
SELECT 'bau-001-copy', 'Kopie', '  ' || upper(content) || E'\n', domain, document_type FROM clara_documents WHERE document_id = 'bau-001';
INSERT INTO clara_documents (document_id, title, content, domain, document_type)
SELECT 'bau-001-edit', 'Abschrift', replace(content, 'verfahrensfrei', 'genehmigungsfrei'), domain, document_type
FROM clara_documents WHERE document_id = 'bau-001';
INSERT INTO clara_documents (document_id, title, content, domain, document_type) VALUES
('brief-1', 'Bescheid', E'Sehr geehrter Herr Becker,\n\nIhr Antrag auf Erteilung einer Baugenehmigung für die Errichtung einer Photovoltaikanlage auf dem Dach Ihres Wohnhauses vom 3. März wird hiermit abgelehnt, weil das Grundstück im Außenbereich liegt, die Erschließung nicht gesichert ist und öffentliche Belange des Denkmalschutzes entgegenstehen. Gegen diesen Bescheid können Sie innerhalb eines Monats nach Bekanntgabe Widerspruch bei der Bauaufsichtsbehörde einlegen.\n\nMit freundlichen Grüßen\nBauamt Musterstadt', 'baurecht', 'bescheid'),
('brief-2', 'Bescheid', E'Sehr geehrte Frau Yilmaz,\n\nIhr Antrag auf Erteilung einer Baugenehmigung für die Errichtung einer Photovoltaikanlage auf dem Dach Ihres Wohnhauses vom 3. März wird hiermit abgelehnt, weil das Grundstück im Außenbereich liegt, die Erschließung nicht gesichert ist und öffentliche Belange des Denkmalschutzes entgegenstehen. Gegen diesen Bescheid können Sie innerhalb eines Monats nach Bekanntgabe Widerspruch bei der Bauaufsichtsbehörde einlegen.\n\nMit freundlichen Grüßen\nBauamt Musterstadt', 'baurecht', 'bescheid'),
-- Different decisions under the same letterhead and closing: not duplicates.
('brief-3', 'Bescheid', E'Sehr geehrter Herr Becker,\n\nIhrem Widerspruch gegen die Festsetzung der Abwassergebühren für das Jahr 2023 wird abgeholfen, da die veranlagte Fläche fehlerhaft ermittelt wurde und die versiegelte Fläche des Grundstücks tatsächlich geringer ist. Die zu viel gezahlten Beträge werden Ihnen innerhalb von vier Wochen erstattet.\n\nMit freundlichen Grüßen\nBauamt Musterstadt', 'baurecht', 'bescheid');

SELECT d.document_id, c.near_cluster = min(c.near_cluster) OVER (PARTITION BY c.near_cluster) AS in_cluster,
       count(*) OVER (PARTITION BY c.near_cluster) AS near_size,
       count(c.exact_cluster) OVER (PARTITION BY c.exact_cluster) AS exact_size
FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key) ORDER BY 1;

-- Exports: without dedup all copies; exact keeps one of bau-001 / copy;
-- near keeps one of each cluster, always the best-ranked.
CREATE TEMP TABLE plain AS
SELECT row_number() OVER () AS rank, line::jsonb->>'document_id' AS id
FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus Baugenehmigung', 20, 0.0, search_types => '{keyword}') AS line;
SELECT id FROM plain ORDER BY rank;
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->'dup_cluster_size' AS dup_cluster_size
FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus Baugenehmigung', 20, 0.0, search_types => '{keyword}', dedup => 'near') AS line;
SELECT clara_export_summary() - 'complete' AS summary;
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->'dup_cluster_size' AS dup_cluster_size
FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus Baugenehmigung', 20, 0.0, search_types => '{keyword}', dedup => 'exact') AS line;
SELECT clara_export_summary()->'removed' AS removed;
-- The kept copy is the best-ranked one of its cluster in the plain export.
SELECT bool_and(k.rank = (SELECT min(p.rank) FROM plain p JOIN clara_documents d ON d.document_id = p.id
                          JOIN clara_dup_clusters c USING (doc_key)
                          WHERE c.near_cluster = kc.near_cluster)) AS best_kept
FROM (SELECT p.rank, p.id FROM plain p
      JOIN (SELECT line::jsonb->>'document_id' AS id
            FROM clara_stream_jsonl('Photovoltaikanlage Dach Wohnhaus Baugenehmigung', 20, 0.0,
                                    search_types => '{keyword}', dedup => 'near') AS line) n USING (id)) k
JOIN clara_documents kd ON kd.document_id = k.id JOIN clara_dup_clusters kc ON kc.doc_key = kd.doc_key;
-- Every line of a dedup export has the key, as a number (stable types).
SELECT count(*) AS lines, bool_and(jsonb_typeof(line::jsonb->'metadata'->'dup_cluster_size') = 'number') AS typed
FROM clara_stream_jsonl('Verwaltungsrecht', 20, 0.0, dedup => 'near') AS line;
-- Deletes and updates keep the clusters: a rebuild from scratch gives the
-- same groups as the triggers did.
DELETE FROM clara_documents WHERE document_id = 'bau-001';
UPDATE clara_documents SET content = content || ' Nachtrag.' WHERE document_id = 'brief-2';
UPDATE clara_documents SET metadata = '{"geprüft": true}' WHERE document_id = 'brief-1';
CREATE TEMP TABLE incremental AS
SELECT d.document_id, min(d.document_id) OVER (PARTITION BY c.near_cluster) AS grp
FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key);
SELECT clara_dedup_rebuild() AS clustered;
CREATE TEMP TABLE rebuilt AS
SELECT d.document_id, min(d.document_id) OVER (PARTITION BY c.near_cluster) AS grp
FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key);
SELECT * FROM incremental ORDER BY 1;
SELECT (SELECT count(*) FROM (SELECT * FROM incremental EXCEPT SELECT * FROM rebuilt) a) AS only_incremental,
       (SELECT count(*) FROM (SELECT * FROM rebuilt EXCEPT SELECT * FROM incremental) b) AS only_rebuilt;

-- One copy of a text carries its keys in clara_dedup_bands (the others are
-- found through its cluster); when it goes, another copy takes them over,
-- so a new copy is still found.
CREATE TEMP VIEW copies AS
SELECT d.document_id, EXISTS (SELECT 1 FROM clara_dedup_bands b WHERE b.doc_key = d.doc_key) AS has_keys,
       c.exact_cluster IS NOT NULL AS exact_copy
FROM clara_documents d JOIN clara_dup_clusters c USING (doc_key)
WHERE d.document_id IN ('dup-001', 'bau-001-copy', 'bau-001-edit', 'bau-001-again');
SELECT * FROM copies ORDER BY 1;
DELETE FROM clara_documents WHERE document_id = (SELECT document_id FROM copies WHERE has_keys AND exact_copy);
SELECT * FROM copies ORDER BY 1;
INSERT INTO clara_documents (document_id, title, content, domain, document_type)
SELECT 'bau-001-again', 'Noch eine Kopie', content, domain, document_type FROM clara_documents
WHERE document_id IN ('dup-001', 'bau-001-copy') LIMIT 1;
SELECT * FROM copies ORDER BY 1;
CREATE TEMP TABLE incremental2 AS
SELECT d.document_id, min(d.document_id) OVER (PARTITION BY c.near_cluster) AS grp
FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key);
SELECT clara_dedup_rebuild() AS clustered;
SELECT (SELECT count(*) FROM (SELECT * FROM incremental2 EXCEPT SELECT d.document_id, min(d.document_id) OVER (PARTITION BY c.near_cluster)
                              FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key)) a) AS only_incremental,
       (SELECT count(*) FROM (SELECT d.document_id, min(d.document_id) OVER (PARTITION BY c.near_cluster)
                              FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key) EXCEPT SELECT * FROM incremental2) b) AS only_rebuilt;
-- Keys: one row per band of each document that carries them, none left of
-- deleted documents; and the marker row (doc_key 0) of a filled table.
SELECT count(*) AS orphan_keys FROM clara_dedup_bands b
WHERE b.doc_key <> 0 AND NOT EXISTS (SELECT 1 FROM clara_documents d WHERE d.doc_key = b.doc_key);
SELECT count(*) AS markers FROM clara_dedup_bands WHERE doc_key = 0;

-- The key table is unlogged: a crash or a promotion leaves it empty (here
-- emptied by hand). The next writing statement finds the marker missing and
-- fills it from the signatures, leaving out its own rows: a new copy of a
-- stored text still joins its cluster, and the keys equal a rebuild's.
DELETE FROM clara_dedup_bands;
INSERT INTO clara_documents (document_id, title, content, domain, document_type)
SELECT 'bau-001-refill', 'Nach dem Absturz', content, domain, document_type FROM clara_documents
WHERE document_id = 'bau-001-copy';
SELECT count(*) AS refill_copy_joined FROM clara_dup_clusters a JOIN clara_dup_clusters b USING (exact_cluster)
WHERE a.doc_key = (SELECT doc_key FROM clara_documents WHERE document_id = 'bau-001-copy')
  AND b.doc_key = (SELECT doc_key FROM clara_documents WHERE document_id = 'bau-001-refill');
CREATE TEMP TABLE keys_filled AS SELECT band, doc_key FROM clara_dedup_bands;
SELECT clara_dedup_rebuild() > 0 AS rebuilt;
SELECT (SELECT count(*) FROM (SELECT * FROM keys_filled EXCEPT ALL SELECT band, doc_key FROM clara_dedup_bands) a) AS only_filled,
       (SELECT count(*) FROM (SELECT band, doc_key FROM clara_dedup_bands EXCEPT ALL SELECT * FROM keys_filled) b) AS only_rebuilt,
       (SELECT count(*) FROM keys_filled) > 16 AS filled;
DELETE FROM clara_documents WHERE document_id = 'bau-001-refill';

-- Row-level security: a role that cannot see brief-1 gets brief-2, the
-- best copy it may read, with the cluster size it can see.
CREATE ROLE dedup_reader;
GRANT USAGE ON SCHEMA public TO dedup_reader;
GRANT SELECT ON clara_documents TO dedup_reader;
ALTER TABLE clara_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY hide_brief_1 ON clara_documents FOR SELECT TO dedup_reader USING (document_id <> 'brief-1');
SET ROLE dedup_reader;
SELECT line::jsonb->>'document_id' AS id, line::jsonb->'metadata'->'dup_cluster_size' AS dup_cluster_size
FROM clara_stream_jsonl('Baugenehmigung Photovoltaikanlage Außenbereich', 5, 0.0, search_types => '{keyword}', dedup => 'near') AS line
WHERE line::jsonb->>'document_id' LIKE 'brief%';
SELECT count(*) FROM clara_dup_clusters;  -- the clusters are the index's, not the reader's
RESET ROLE;
DROP POLICY hide_brief_1 ON clara_documents;
ALTER TABLE clara_documents DISABLE ROW LEVEL SECURITY;
REVOKE ALL ON clara_documents FROM dedup_reader;
REVOKE ALL ON SCHEMA public FROM dedup_reader;
DROP ROLE dedup_reader;

-- Bad input.
SELECT clara_stream_jsonl('Photovoltaik', dedup => 'fuzzy');
SELECT clara_dedup_keys('\x00'::bytea);
-- TRUNCATE empties the clusters with the corpus.
TRUNCATE clara_documents, clara_edges;
SELECT count(*) AS clustered_after_truncate FROM clara_dup_clusters;
