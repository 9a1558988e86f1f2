-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION clara UPDATE TO '0.5.0'" to load this file. \quit

-- ---------------------------------------------------------------------------
-- issue 12: duplicates kept out at query time (docs/training.md#duplicates).
-- Each document carries a duplicate signature (the hash of its normalised
-- text and a word 5-gram MinHash), derived with the other columns; a GIN
-- index over its keys finds the candidates of a new document, and a
-- statement trigger files documents that have duplicates into
-- clara_dup_clusters. An export with dedup => 'exact' or 'near' keeps the
-- best-ranked document of each cluster.
ALTER TABLE clara_documents ADD COLUMN dedup bytea;
COMMENT ON COLUMN clara_documents.dedup IS
    'derived: duplicate signature of content (clara_dedup_signature); read by exports with dedup';

CREATE FUNCTION clara_dedup_signature(content text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clara_dedup_signature' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clara_dedup_signature(text) IS
    'Duplicate signature of a text: hash of its normalised form (NFC, lower case, white space) and a word 5-gram MinHash';
CREATE FUNCTION clara_dedup_keys(signature bytea) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'clara_dedup_keys' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION clara_dedup_keys(bytea) IS
    'Index keys of a duplicate signature: the exact key, then one key per MinHash band';

-- Documents with at least one duplicate, and their clusters: near_cluster
-- (near or exact duplicates, transitively) and exact_cluster (same
-- normalised text). A label is a doc_key of the cluster. Derived (rebuilt
-- by the triggers when a dump is restored), kept as the extension's owner.
CREATE TABLE clara_dup_clusters (
    doc_key       integer PRIMARY KEY,
    near_cluster  integer NOT NULL,
    exact_cluster integer
);
CREATE INDEX clara_dup_clusters_near ON clara_dup_clusters (near_cluster);
CREATE INDEX clara_dup_clusters_exact ON clara_dup_clusters (exact_cluster);
REVOKE ALL ON clara_dup_clusters FROM PUBLIC;
COMMENT ON TABLE clara_dup_clusters IS 'derived: clusters of duplicate documents (dedup => exact | near)';

-- fastupdate off: every insert files a document by many small lookups, each of
-- which would scan the whole pending list.
CREATE INDEX clara_documents_dedup_keys ON clara_documents USING gin (clara_dedup_keys(dedup))
    WITH (fastupdate = off);

CREATE FUNCTION clara_documents_dedup() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_dedup' LANGUAGE C;
CREATE TRIGGER clara_documents_dedup_insert
    AFTER INSERT ON clara_documents REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_dedup();
CREATE TRIGGER clara_documents_dedup_update
    AFTER UPDATE ON clara_documents REFERENCING OLD TABLE AS old_docs NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_dedup();
CREATE TRIGGER clara_documents_dedup_delete
    AFTER DELETE ON clara_documents REFERENCING OLD TABLE AS old_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_dedup();

-- Files every document again from scratch: after duplicates were stored by
-- concurrent transactions (which do not see each other's rows). Only the
-- owner of clara_documents may run it, as for clara_compact().
CREATE FUNCTION clara_dedup_rebuild() RETURNS bigint
    AS 'MODULE_PATHNAME', 'clara_dedup_rebuild' LANGUAGE C;
COMMENT ON FUNCTION clara_dedup_rebuild() IS
    'Rebuilds clara_dup_clusters from every document; returns the number of documents in clusters';

CREATE OR REPLACE FUNCTION clara_documents_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    TRUNCATE @extschema@.clara_postings, @extschema@.clara_terms, @extschema@.clara_gram_postings,
             @extschema@.clara_dup_clusters;
    UPDATE @extschema@.clara_corpus SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0;
    RETURN NULL;
END
$$;

-- Exports: dedup => 'exact' | 'near' (NULL: none).
DROP FUNCTION clara_stream_jsonl(text, integer, double precision, jsonb, text[], jsonb, integer, text, integer,
                                 integer, text, text, text, text, bigint, text, bigint);
CREATE FUNCTION clara_stream_jsonl(
    query         text,
    top_k         integer          DEFAULT 100,
    min_quality   double precision DEFAULT 0.5,
    filters       jsonb            DEFAULT '{}',
    search_types  text[]           DEFAULT NULL,
    weights       jsonb            DEFAULT NULL,
    batch_size    integer          DEFAULT NULL,
    tokenizer     text             DEFAULT NULL,
    chunk_tokens  integer          DEFAULT NULL,
    chunk_overlap integer          DEFAULT 0,
    format          text           DEFAULT 'raw',
    prompt_template text           DEFAULT NULL,
    text_template   text           DEFAULT NULL,
    split           text           DEFAULT NULL,
    split_seed      bigint         DEFAULT 0,
    only_split      text           DEFAULT NULL,
    token_budget    bigint         DEFAULT NULL,
    dedup           text           DEFAULT NULL,
    -- 18-20: the export ledger (issue 12 point 3)
    record          text           DEFAULT NULL,
    exclude         text[]         DEFAULT NULL,
    exclude_held_out boolean       DEFAULT true,
    -- 21-22: decontamination against registered evaluation sets
    decontaminate      text[]      DEFAULT NULL,
    decontaminate_mode text        DEFAULT 'drop')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'clara_stream_jsonl' LANGUAGE C VOLATILE ROWS 100;

-- ---------------------------------------------------------------------------
-- issue 12: decontamination (docs/training.md#decontamination). An
-- evaluation set is the hashes of the word n-grams (13 words by default)
-- of its texts; an export with decontaminate => ARRAY['set'] leaves out
-- (or, decontaminate_mode => 'report', marks with metadata.eval_overlap)
-- every document sharing a gram with one of the sets. Everyone may list
-- the sets; the library writes both tables as the extension's owner and
-- reads the texts as the caller.
CREATE TABLE clara_eval_sets (
    name          text PRIMARY KEY,
    n             integer NOT NULL CHECK (n BETWEEN 1 AND 64),
    texts         bigint NOT NULL,
    grams         bigint NOT NULL,
    registered_by name NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    source        text NOT NULL     -- where the texts came from: relation.column, a file, "N texts"
);
CREATE TABLE clara_eval_grams (
    set_name text NOT NULL REFERENCES clara_eval_sets (name) ON DELETE CASCADE,
    gram     bigint NOT NULL,
    PRIMARY KEY (set_name, gram)
);
REVOKE ALL ON clara_eval_sets, clara_eval_grams FROM PUBLIC;
GRANT SELECT ON clara_eval_sets TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('clara_eval_sets', '');
SELECT pg_catalog.pg_extension_config_dump('clara_eval_grams', '');
COMMENT ON TABLE clara_eval_sets IS 'evaluation sets for decontaminate: gram length, counts, who registered them';
COMMENT ON TABLE clara_eval_grams IS '64-bit hashes of the word n-grams of each evaluation set';

-- Registers the non-NULL values of relation.text_column (read with the
-- caller's privileges), or the given texts. Spell the relation as a
-- regclass ('evalq'::regclass) where a literal would be ambiguous with the
-- text[] form. An existing name is an error (42710): drop it first.
CREATE FUNCTION clara_register_eval_set(name text, relation regclass, text_column name DEFAULT 'text',
                                        n integer DEFAULT 13, source text DEFAULT NULL) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_eval_set_relation' LANGUAGE C VOLATILE;
CREATE FUNCTION clara_register_eval_set(name text, texts text[], n integer DEFAULT 13) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_eval_set_texts' LANGUAGE C VOLATILE;
CREATE FUNCTION clara_unregister_eval_set(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'clara_unregister_eval_set' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION clara_register_eval_set(text, regclass, name, integer, text) IS
    'Registers the word n-grams of a column of evaluation texts for clara_stream_jsonl(decontaminate => ...)';
COMMENT ON FUNCTION clara_register_eval_set(text, text[], integer) IS
    'Registers the word n-grams of evaluation texts for clara_stream_jsonl(decontaminate => ...)';

-- What the last export of this session did: documents ranked, written,
-- removed by each step.
CREATE FUNCTION clara_export_summary() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_export_summary' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION clara_export_summary() IS
    'Counts of the last clara_stream_jsonl call in this session: documents ranked, written, removed per step';

-- Documents stored before 0.5.0 get their signatures (and clusters) now:
-- this rewrites clara_documents once.
UPDATE clara_documents SET dedup = NULL;
