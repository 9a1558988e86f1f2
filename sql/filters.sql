-- Filters are applied inside the ranking: still exactly min(top_k, matches) rows.
\i sql/fixture/corpus.sql

CREATE FUNCTION filtered_rows(f jsonb) RETURNS TABLE (got bigint, expected bigint, ids text)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, f, search_types => '{keyword}')),
           (SELECT count(*) FROM clara_bm25('Photovoltaik Genehmigung Dachanlage') b
            JOIN clara_documents d USING (document_id)
            WHERE (f->>'domain' IS NULL OR jsonb_typeof(f->'domain') <> 'string' OR d.domain = f->>'domain')
              AND (jsonb_typeof(f->'domain') IS DISTINCT FROM 'array' OR f->'domain' ? d.domain)
              AND (f->>'document_type' IS NULL OR d.document_type = f->>'document_type')
              AND (f->>'source' IS NULL OR d.source = f->>'source')
              AND (f->>'created_after' IS NULL OR d.created_at >= (f->>'created_after')::timestamptz)
              AND (f->>'created_before' IS NULL OR d.created_at < (f->>'created_before')::timestamptz)
              AND (f->'metadata' IS NULL OR d.metadata @> (f->'metadata'))),
           (SELECT string_agg(document_id, ',' ORDER BY rank)
            FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 100, 0.0, f, search_types => '{keyword}'))
$$;

SELECT f, r.* FROM (VALUES
    ('{}'::jsonb),
    ('{"domain": "baurecht"}'),
    ('{"domain": ["baurecht", "energierecht"]}'),
    ('{"document_type": "kommentar"}'),
    ('{"source": "vg-musterstadt"}'),
    ('{"created_after": "2023-01-01"}'),
    ('{"created_before": "2023-01-01"}'),
    ('{"created_after": "2022-01-01", "created_before": "2023-06-01T00:00:00Z"}'),
    ('{"metadata": {"pages": 3}}'),
    ('{"metadata": {"gericht": "VG Musterstadt"}, "domain": "baurecht"}'),
    ('{"domain": "steuerrecht"}')
) v(f), LATERAL filtered_rows(f) r;

-- A filter value is data, never SQL.
SELECT count(*) FROM clara_stream('Photovoltaik', 10, 0.0, '{"domain": "baurecht'' OR true --"}', search_types => '{keyword}');

-- top_k still counts after filtering: 2 of the matching baurecht documents.
SELECT rank, document_id FROM clara_stream('Photovoltaik Genehmigung Dachanlage', 2, 0.0, '{"domain": "baurecht"}', search_types => '{keyword}');
DROP FUNCTION filtered_rows;
