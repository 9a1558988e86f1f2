-- clara 0.1.0 -> 0.2.0: hybrid retrieval (embeddings, vector and graph
-- search, fusion) and enrichment sources. CREATE EXTENSION clara runs
-- clara--0.1.0.sql and then this; ALTER EXTENSION clara UPDATE runs this on
-- a 0.1.0 database, followed by the later scripts.
\echo Use "ALTER EXTENSION clara UPDATE" to load this file. \quit

-- Vector search: each document's embedding (hashed character n-grams of
-- title and content, 256 dimensions, int8 with a scale: 264 bytes; see
-- docs/hybrid.md), kept by the same statement triggers as the postings and
-- scanned exactly by the ranking. Stored PLAIN: never compressed or toasted.
CREATE TABLE clara_embeddings (
    doc_key   integer PRIMARY KEY,
    embedding bytea NOT NULL
);
ALTER TABLE clara_embeddings ALTER COLUMN embedding SET STORAGE PLAIN;

-- Enrichment sources: relations (tables, views, foreign tables) whose rows
-- add fields to the streamed documents' metadata, under the source's name,
-- looked up once per batch by document_id. Register with
-- clara_register_source(). Everyone may read the registry; the lookups run
-- with the caller's privileges on each relation.
CREATE TABLE clara_sources (
    name       text PRIMARY KEY,
    relation   regclass NOT NULL,
    key_column name NOT NULL DEFAULT 'document_id',
    timeout_ms integer NOT NULL DEFAULT 5000 CHECK (timeout_ms > 0),
    on_error   text NOT NULL DEFAULT 'fail' CHECK (on_error IN ('fail', 'skip')),
    enabled    boolean NOT NULL DEFAULT true
);
GRANT SELECT ON clara_sources TO PUBLIC;

SELECT pg_catalog.pg_extension_config_dump('clara_sources', '');

-- TRUNCATE of the corpus empties the embeddings too.
CREATE OR REPLACE FUNCTION clara_documents_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = @extschema@, pg_catalog AS $$
BEGIN
    TRUNCATE clara_postings, clara_terms, clara_embeddings;
    UPDATE clara_corpus SET n_docs = 0, total_length = 0, dead_postings = 0;
    RETURN NULL;
END
$$;

-- Registers (or replaces) an enrichment source. relation: a table, view or
-- foreign table with a text key column holding document ids; every other
-- column becomes a field of metadata->name. timeout_ms bounds each lookup;
-- on_error 'fail' ends the export with an error, 'skip' warns once and
-- exports without the source's fields.
CREATE FUNCTION clara_register_source(
    name       text,
    relation   regclass,
    key_column name    DEFAULT 'document_id',
    timeout_ms integer DEFAULT 5000,
    on_error   text    DEFAULT 'fail')
RETURNS void
LANGUAGE plpgsql SET search_path = @extschema@, pg_catalog AS $$
DECLARE
    key_type regtype;
BEGIN
    IF name IS NULL OR name !~ '^[a-z_][a-z0-9_]*$' THEN
        RAISE EXCEPTION 'invalid enrichment source name %', coalesce(quote_literal(name), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use lower-case letters, digits and underscores, starting with a letter: it becomes a metadata key.';
    END IF;
    IF name IN ('title', 'domain', 'document_type') THEN
        RAISE EXCEPTION 'enrichment source name "%" is taken by a document column', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'metadata already carries title, domain and document_type; choose another name.';
    END IF;
    IF relation IS NULL THEN
        RAISE EXCEPTION 'relation must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT a.atttypid::regtype INTO key_type FROM pg_attribute a
    WHERE a.attrelid = relation AND a.attname = key_column AND a.attnum > 0 AND NOT a.attisdropped;
    IF key_type IS NULL THEN
        RAISE EXCEPTION 'relation % has no column %', relation, quote_ident(key_column)
            USING ERRCODE = 'undefined_column',
                  HINT = 'Pass key_column => the column that holds document ids.';
    END IF;
    IF key_type NOT IN ('text'::regtype, 'character varying'::regtype) THEN
        RAISE EXCEPTION 'key column % of % is %, not text', quote_ident(key_column), relation, key_type
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'Document ids are text: use a view that casts the key to text.';
    END IF;
    IF timeout_ms IS NULL OR timeout_ms <= 0 THEN
        RAISE EXCEPTION 'timeout_ms must be positive, not %', coalesce(timeout_ms::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'The longest the lookup of one batch may take, in milliseconds.';
    END IF;
    IF on_error IS NULL OR on_error NOT IN ('fail', 'skip') THEN
        RAISE EXCEPTION 'on_error must be ''fail'' or ''skip'', not %', coalesce(quote_literal(on_error), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = '''fail'' ends the export with an error; ''skip'' exports without the source''s fields.';
    END IF;
    INSERT INTO clara_sources AS s (name, relation, key_column, timeout_ms, on_error)
    VALUES (name, relation, key_column, timeout_ms, on_error)
    ON CONFLICT ON CONSTRAINT clara_sources_pkey DO UPDATE
        SET relation = excluded.relation, key_column = excluded.key_column,
            timeout_ms = excluded.timeout_ms, on_error = excluded.on_error, enabled = true;
END
$$;

-- Removes an enrichment source; false if there was none of that name.
CREATE FUNCTION clara_unregister_source(name text) RETURNS boolean
LANGUAGE sql SET search_path = @extschema@, pg_catalog AS $$
    WITH d AS (DELETE FROM clara_sources s WHERE s.name = clara_unregister_source.name RETURNING 1)
    SELECT count(*) > 0 FROM d
$$;

-- Cosine similarity of every document more similar than 0 to the query
-- (the vector retriever without its depth limit, quality or filters).
CREATE FUNCTION clara_vector(query text)
RETURNS TABLE (document_id text, similarity double precision)
AS 'MODULE_PATHNAME', 'clara_vector' LANGUAGE C VOLATILE;

-- The stored documents are indexed again by the last script of the update
-- chain (clara--0.2.0--0.3.0.sql): the library only serves the newest version.
