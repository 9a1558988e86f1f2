-- issue 16: comments, search_path, parallel safety
-- clara 0.4.0 -> 0.5.0. The objects of 0.4.0 get the descriptions that
-- extension/clara.sql gives them (COMMENT ON every function, table, the
-- sequence and the text search objects), so \df+ and \dt+ explain them in
-- an updated database as in a fresh one.
--
-- Nothing else of 0.4.0's catalog changes: its SQL and PL/pgSQL functions
-- already pin search_path (0.3.0 -> 0.4.0), its C functions keep the
-- caller's (clara.sql's header says why), and every function's parallel
-- label stays what 0.4.0 declared (PARALLEL SAFE for the three pure text
-- functions, the default UNSAFE for the rest), now written out with its
-- reason in clara.sql.
\echo Use "ALTER EXTENSION clara UPDATE" to load this file. \quit

-- ---------------------------------------------------------------------------
-- issue 13: postings blocks merged on write (extension/core/merge.hpp). The
-- terms' counters start from the blocks already stored. First: the
-- statements below write clara_documents, and the index trigger keeps the
-- counters.
ALTER TABLE clara_terms ADD COLUMN blocks integer NOT NULL DEFAULT 0;
-- Room for HOT updates of the counters (clara.sql says why); pages written
-- from here on keep it (VACUUM FULL clara_terms rewrites the old ones).
ALTER TABLE clara_terms SET (fillfactor = 70);
UPDATE clara_terms t SET blocks = p.n
FROM (SELECT term, count(*)::integer AS n FROM clara_postings GROUP BY term) p
WHERE p.term = t.term;

-- issue 13: the pending list for small writing statements (clara.sql says
-- how it works). Before anything below writes clara_documents.
ALTER TABLE clara_corpus ADD COLUMN pending_bytes bigint NOT NULL DEFAULT 0;
-- The pending list (GIN's fastupdate): a statement adding at most
-- clara.pending_max_docs documents stores each here, one row with its terms,
-- frequencies, length and grams (extension/core/pending_row.hpp), instead of
-- postings and document frequencies; clara_corpus counts it at once.
-- Searches read every row as if it were indexed; the statement that fills the
-- list past clara.pending_list_limit, clara_flush_pending() and
-- clara_compact() index the rows and delete them in one transaction.
CREATE TABLE clara_pending (
    doc_key integer PRIMARY KEY,
    data    bytea NOT NULL
) WITH (toast_tuple_target = 8160);
-- Kept inline and uncompressed up to a page: searches read every row.
ALTER TABLE clara_pending ALTER COLUMN data SET STORAGE MAIN;

REVOKE ALL ON clara_pending FROM PUBLIC;

-- Indexes the pending list now (a writing statement does it when the list
-- passes clara.pending_list_limit). Returns the number of documents moved.
CREATE FUNCTION clara_flush_pending() RETURNS bigint
    AS 'MODULE_PATHNAME', 'clara_flush_pending' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes the index tables
COMMENT ON FUNCTION clara_flush_pending() IS
    'Moves the pending list''s documents into the word and gram postings; returns their number; owner of clara_documents only';


COMMENT ON TEXT SEARCH DICTIONARY clara_english_stop IS
    'Clara: drops English stop words and passes every other word on (to german_stem in clara_de_en)';
COMMENT ON TEXT SEARCH CONFIGURATION clara_de_en IS
    'Clara: German and English text, the lexemes of clara_documents.tsv (English stop words, then German Snowball stems)';
COMMENT ON SEQUENCE clara_doc_key_seq IS
    'Clara: doc_key of each new or re-texted document, drawn by the clara_documents_derive trigger';
COMMENT ON TABLE clara_edges IS
    'Clara citation graph: src_id cites dst_id (clara-stream load fills it from each document''s "citations")';
COMMENT ON TABLE clara_postings IS
    'Clara BM25 index: postings blocks per term (doc_key, tf, doc_length); the extension''s owner only';
COMMENT ON TABLE clara_terms IS
    'Clara BM25 index: document frequency of each term over the live documents; the extension''s owner only';
COMMENT ON TABLE clara_corpus IS
    'Clara corpus statistics (one row): documents, total length, dead postings, total gram length, pending list bytes; the extension''s owner only';
COMMENT ON TABLE clara_gram_postings IS
    'Clara vector index: postings blocks per character 4-gram of each document''s lead; the extension''s owner only';
COMMENT ON TABLE clara_pending IS
    'Clara pending list: index data of documents added by small statements, not yet in the postings; the extension''s owner only';
COMMENT ON TABLE clara_sources IS
    'Clara enrichment sources: relations whose rows add fields to exported metadata (clara_register_source)';
COMMENT ON TABLE clara_tokenizers IS
    'Clara tokenizers of users'' models (clara_register_tokenizer): the file''s bytes and what was read from it';
COMMENT ON FUNCTION clara_documents_derive() IS
    'Trigger: computes a stored document''s derived columns (doc_key, tsv, term_tfs, doc_length, quality_score, quality_signals, content_hash)';
COMMENT ON FUNCTION clara_documents_index() IS
    'Trigger: keeps the word and gram postings, document frequencies and corpus statistics after each statement on clara_documents';
COMMENT ON FUNCTION clara_documents_truncate() IS
    'Trigger: empties the index and the corpus statistics when clara_documents is truncated';
COMMENT ON FUNCTION clara_compact() IS
    'Rebuilds the word and gram postings from the live documents (drops dead postings, merges blocks); returns the number of documents indexed; owner of clara_documents only';
COMMENT ON FUNCTION clara_stream(text, integer, double precision, jsonb, text[], jsonb, integer) IS
    'Ranked documents for a query, quality-filtered, one row per call (call it in the SELECT list to stream)';
COMMENT ON FUNCTION clara_stream_jsonl(text, integer, double precision, jsonb, text[], jsonb, integer, text, integer, integer, text, text, text, text, bigint, text, bigint) IS
    'clara_stream''s documents as training lines (JSONL), optionally chunked by a tokenizer, formatted, split or cut to a token budget: what COPY (SELECT ...) TO STDOUT exports';
COMMENT ON FUNCTION clara_search(text, integer, double precision, jsonb, text[], jsonb) IS
    'clara_stream''s rows for a query, returned all at once (batch form)';
COMMENT ON FUNCTION clara_bm25(text) IS
    'BM25 score of every document containing any query term (no quality threshold, filters or fusion), for inspection';
COMMENT ON FUNCTION clara_vector(text) IS
    'Similarity (0..1) of every document sharing character 4-grams with the query (no depth limit, quality threshold or filters), for inspection';
COMMENT ON FUNCTION clara_stats(text, integer, double precision, jsonb, text[], jsonb) IS
    'Statistics of a query''s result (the seed''s get_statistics): total_documents, avg_quality_score, avg_relevance_score, total_tokens, domains, document_types';
COMMENT ON FUNCTION clara_query_terms(text) IS
    'The distinct lexemes of a query, as the ranking looks them up';
COMMENT ON FUNCTION clara_tokens(text) IS
    'Every lexeme of a text in order, repeats included: the tokens BM25 counts (German stems, German and English stop words dropped)';
COMMENT ON FUNCTION clara_grams(text, boolean) IS
    'The character 4-grams of a text as the vector retriever sees them, in order, repeats included (lead => true: a document''s first 700 code points)';
COMMENT ON FUNCTION clara_register_source(text, regclass, name, integer, text) IS
    'Registers or replaces an enrichment source: a relation keyed by document id whose other columns become fields of metadata->name';
COMMENT ON FUNCTION clara_unregister_source(text) IS
    'Removes an enrichment source; false if there was none of that name';
COMMENT ON FUNCTION clara_register_tokenizer(text, text) IS
    'Registers a model tokenizer (tokenizer.json, tiktoken, SentencePiece .model) from a file on the database server (superuser or pg_read_server_files); returns what was read';
COMMENT ON FUNCTION clara_register_tokenizer(text, bytea) IS
    'Registers a model tokenizer (tokenizer.json, tiktoken, SentencePiece .model) from the file''s bytes (any role); returns what was read';
COMMENT ON FUNCTION clara_unregister_tokenizer(text) IS
    'Removes a tokenizer registered by the calling role (any, for a superuser); false if there was none';
COMMENT ON FUNCTION clara_token_count(text, text) IS
    'Number of tokens of a text by a registered tokenizer (no BOS/EOS)';
COMMENT ON FUNCTION clara_tokenize(text, text) IS
    'Token ids of a text by a registered tokenizer (no BOS/EOS)';
COMMENT ON FUNCTION clara_chunks(text, text, integer, integer) IS
    'A text cut into chunks of at most chunk_tokens tokens of a registered tokenizer, consecutive chunks sharing about chunk_overlap tokens (char_start, char_end in code points)';

-- ---------------------------------------------------------------------------
-- issue 12: duplicates kept out at query time (docs/training.md#duplicates).
-- Each document carries a duplicate signature (the hash of its normalised
-- text and a word 5-gram MinHash), derived with the other columns; a table
-- of its keys finds the candidates of a new document, and a
-- statement trigger files documents that have duplicates into
-- clara_dup_clusters. An export with dedup => 'exact' or 'near' keeps the
-- best-ranked document of each cluster.
ALTER TABLE clara_documents ADD COLUMN dedup bytea;
COMMENT ON TABLE clara_documents IS
    'Clara corpus; tsv, term_tfs, doc_length, quality_score, quality_signals, content_hash, dedup and doc_key are derived';
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

-- The keys of the signed documents (one band key per MinHash band; the
-- exact key for a text without words; one copy of each text), for finding
-- a new document's candidates: one btree lookup per key, written in key
-- order a statement at a time. (A GIN index over clara_dedup_keys(dedup)
-- did the same at twice the cost per key and halved the load rate.)
-- UNLOGGED: derived from the signatures and read only by writers, so it
-- writes no WAL (16 rows per document were a third of a bulk load's WAL).
-- A crash or a standby's promotion leaves it empty; the first writing
-- statement after that sees its marker row (band = the smallest bigint,
-- doc_key 0) missing and fills it again from the signatures.
CREATE UNLOGGED TABLE clara_dedup_bands (
    band    bigint  NOT NULL,
    doc_key integer NOT NULL
);
CREATE INDEX clara_dedup_bands_band ON clara_dedup_bands (band, doc_key);
REVOKE ALL ON clara_dedup_bands FROM PUBLIC;
COMMENT ON TABLE clara_dedup_bands IS 'derived, unlogged: the duplicate lookup keys of the signed documents (refilled from the signatures after a crash)';

CREATE FUNCTION clara_documents_dedup() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_dedup' LANGUAGE C;
COMMENT ON FUNCTION clara_documents_dedup() IS
    'Trigger: files each statement''s added documents into the clusters of clara_dup_clusters (as the extension''s owner)';
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
             @extschema@.clara_dup_clusters, @extschema@.clara_dedup_bands, @extschema@.clara_metadata_keys,
             @extschema@.clara_pending;
    UPDATE @extschema@.clara_corpus
    SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0, pending_bytes = 0;
    RETURN NULL;
END
$$;

-- ---------------------------------------------------------------------------
-- issue 12: the export ledger (docs/training.md#export-ledger). An export
-- with record => 'NAME' files every document it writes (id, content hash,
-- split) under NAME, in its own transaction; exclude => '{NAME, NAME:split}'
-- keeps them out of a later export, and by default no later train split gets
-- a document an earlier export put in validation or test.
--
-- A ledger is user data, not derived: nothing could rebuild it, so pg_dump
-- keeps it (pg_extension_config_dump). Row-level security: a role sees,
-- excludes by and drops only exports owned by roles it is a member of.
CREATE TABLE clara_exports (
    name       text PRIMARY KEY,
    owner      name NOT NULL DEFAULT current_user,
    created_at timestamptz NOT NULL DEFAULT now(),
    query      text NOT NULL,
    arguments  jsonb NOT NULL DEFAULT '{}',
    documents  bigint NOT NULL DEFAULT 0
);
COMMENT ON TABLE clara_exports IS
    'Recorded exports (clara_stream_jsonl record => name): query, arguments, documents written';
CREATE TABLE clara_export_documents (
    export_name  text NOT NULL REFERENCES clara_exports (name) ON DELETE CASCADE,
    document_id  text NOT NULL,
    content_hash bytea,
    split        text NOT NULL DEFAULT 'train'
);
COMMENT ON TABLE clara_export_documents IS
    'The documents of each recorded export: document_id, content_hash (clara_documents.content_hash) and split';
-- Exclusion looks documents up by id and by content hash; listing and
-- dropping go by export.
CREATE INDEX clara_export_documents_export ON clara_export_documents (export_name, split);
CREATE INDEX clara_export_documents_id ON clara_export_documents (document_id);
CREATE INDEX clara_export_documents_hash ON clara_export_documents (content_hash);
-- Held-out documents, so an export finds at once that there are none (and
-- skips the per-batch lookup).
CREATE INDEX clara_export_documents_held_out ON clara_export_documents (export_name) WHERE split <> 'train';

ALTER TABLE clara_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE clara_export_documents ENABLE ROW LEVEL SECURITY;
CREATE POLICY clara_exports_member ON clara_exports
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'))
    WITH CHECK (pg_catalog.pg_has_role(owner, 'MEMBER'));
-- A document row is visible with its export (whose policy applies inside).
CREATE POLICY clara_export_documents_member ON clara_export_documents
    USING (EXISTS (SELECT 1 FROM @extschema@.clara_exports e WHERE e.name = export_name));
GRANT SELECT, INSERT, UPDATE (documents), DELETE ON clara_exports TO PUBLIC;
GRANT SELECT, INSERT, DELETE ON clara_export_documents TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('clara_exports', '');
SELECT pg_catalog.pg_extension_config_dump('clara_export_documents', '');

-- Listing: a function (running as the caller, so the policies apply; a plain
-- view would read the tables as its owner).
CREATE FUNCTION clara_list_exports()
RETURNS TABLE (name text, owner name, created_at timestamptz, query text, documents bigint, splits jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT e.name, e.owner, e.created_at, e.query, e.documents,
           coalesce((SELECT jsonb_object_agg(s.split, s.n ORDER BY s.split)
                     FROM (SELECT d.split, count(*) AS n FROM @extschema@.clara_export_documents d
                           WHERE d.export_name = e.name GROUP BY d.split) s), '{}')
    FROM @extschema@.clara_exports e ORDER BY e.created_at, e.name
$$;
COMMENT ON FUNCTION clara_list_exports() IS
    'Recorded exports the caller may see: name, owner, created_at, query, documents, documents per split';

CREATE FUNCTION clara_drop_export(name text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    DELETE FROM @extschema@.clara_exports e WHERE e.name = clara_drop_export.name RETURNING e.documents INTO n;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'export "%" does not exist', clara_drop_export.name
            USING ERRCODE = 'undefined_object',
                  HINT = 'clara_list_exports() lists the exports you may see: your own and those of roles you are a member of.';
    END IF;
    RETURN n;
END
$$;
COMMENT ON FUNCTION clara_drop_export(text) IS
    'Drops a recorded export and its documents; returns its number of documents';

-- Exports: dedup => 'exact' | 'near' (NULL: none); record, exclude,
-- exclude_held_out: the ledger above.
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
COMMENT ON FUNCTION clara_stream_jsonl(text, integer, double precision, jsonb, text[], jsonb, integer, text, integer, integer, text, text, text, text, bigint, text, bigint, text, text, text[], boolean, text[], text) IS
    'clara_stream''s documents as training lines (JSONL), optionally chunked by a tokenizer, formatted, split, cut to a token budget, without duplicates, earlier exports'' documents or evaluation text, recorded: what COPY (SELECT ...) TO STDOUT exports';

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
COMMENT ON FUNCTION clara_unregister_eval_set(text) IS
    'Drops an evaluation set (the role that registered it, or a superuser); false when there was none';

-- What the last export of this session did: documents ranked, written,
-- removed by each step.
CREATE FUNCTION clara_export_summary() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_export_summary' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION clara_export_summary() IS
    'Counts of the last clara_stream_jsonl call in this session: documents ranked, written, removed per step';

-- Documents stored before 0.5.0 get their signatures (and clusters) now:
-- this rewrites clara_documents once.
UPDATE clara_documents SET dedup = NULL;


-- ---------------------------------------------------------------------------
-- issue 11: stable metadata types (docs/training.md#stable-types). Every
-- top-level key of the stored documents' metadata with its JSON type (null: only null
-- values so far; null fits every type). A statement trigger files the keys
-- of each statement's new rows and refuses a value of another type than the
-- one stored (23514); exports give every line every key, null where a
-- document has none (clara.uniform_metadata). Keys stay when their
-- documents are deleted (an export keeps its columns); TRUNCATE empties it.
-- Derived, like the index: the triggers rebuild it when a dump is restored;
-- only the extension's owner may read or write it (clara_metadata_types()
-- lists it). At most 1,024 keys of at most 1,024 bytes (54000 past that).
CREATE TABLE clara_metadata_keys (
    key       text PRIMARY KEY,
    json_type text NOT NULL
              CHECK (json_type IN ('string', 'number', 'boolean', 'array', 'object', 'null'))
);
REVOKE ALL ON clara_metadata_keys FROM PUBLIC;
COMMENT ON TABLE clara_metadata_keys IS
    'derived: every top-level metadata key of the stored documents and its JSON type; the extension''s owner only';

CREATE FUNCTION clara_documents_catalogue() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_catalogue' LANGUAGE C
    PARALLEL UNSAFE;  -- writes clara_metadata_keys
COMMENT ON FUNCTION clara_documents_catalogue() IS
    'Trigger: files the top-level metadata keys of each statement''s new documents in clara_metadata_keys, refusing a value whose JSON type differs from the stored one';
-- Named to fire before the index and dedup triggers (same event, name
-- order): a refused document costs no indexing.
CREATE TRIGGER clara_documents_catalogue_insert
    AFTER INSERT ON clara_documents REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_catalogue();
CREATE TRIGGER clara_documents_catalogue_update
    AFTER UPDATE ON clara_documents REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_catalogue();

CREATE FUNCTION clara_metadata_types() RETURNS TABLE (key text, json_type text)
    AS 'MODULE_PATHNAME', 'clara_metadata_types' LANGUAGE C STABLE
    PARALLEL UNSAFE;  -- reads clara_metadata_keys as the extension's owner
COMMENT ON FUNCTION clara_metadata_types() IS
    'The metadata keys of the stored documents and their JSON types, in the order exports write them';

-- The keys of the documents stored before 0.5.0. A key stored with two
-- JSON types gets the one most documents have (a warning names it); a
-- document with the other type is refused when it is stored again.
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN
        SELECT t.key, pg_catalog.string_agg(t.json_type || ' (' || t.n || ')', ', ' ORDER BY t.n DESC) AS types
        FROM (SELECT e.key, pg_catalog.jsonb_typeof(e.value) AS json_type, pg_catalog.count(*) AS n
              FROM @extschema@.clara_documents d, pg_catalog.jsonb_each(d.metadata) e
              WHERE pg_catalog.jsonb_typeof(e.value) <> 'null' GROUP BY 1, 2) t
        GROUP BY t.key HAVING pg_catalog.count(*) > 1
    LOOP
        RAISE WARNING 'metadata key "%" is stored with several JSON types: %; exports keep one type per key, the first',
            k.key, k.types;
    END LOOP;
END
$$;
INSERT INTO clara_metadata_keys (key, json_type)
SELECT DISTINCT ON (t.key) t.key, t.json_type
FROM (SELECT e.key, pg_catalog.jsonb_typeof(e.value) AS json_type, pg_catalog.count(*) AS n
      FROM clara_documents d, pg_catalog.jsonb_each(d.metadata) e
      WHERE pg_catalog.octet_length(e.key) <= 1024 GROUP BY 1, 2) t
ORDER BY t.key, t.json_type = 'null', t.n DESC, t.json_type;


-- ---------------------------------------------------------------------------
-- issues 11 and 12: clara_stats takes the export's arguments and counts what
-- that export would write (tokens by the tokenizer or estimated, per split,
-- removed per step). Replaced, not overloaded: a second clara_stats with the
-- old six arguments would make every call of up to six ambiguous.
DROP FUNCTION clara_stats(text, integer, double precision, jsonb, text[], jsonb);
CREATE FUNCTION clara_stats(
    query         text,
    top_k         integer          DEFAULT 100,
    min_quality   double precision DEFAULT 0.5,
    filters       jsonb            DEFAULT '{}',
    search_types  text[]           DEFAULT NULL,
    weights       jsonb            DEFAULT NULL,
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
    exclude         text[]         DEFAULT NULL,
    exclude_held_out boolean       DEFAULT true,
    decontaminate      text[]      DEFAULT NULL,
    decontaminate_mode text        DEFAULT 'drop')
RETURNS jsonb
AS 'MODULE_PATHNAME', 'clara_stats' LANGUAGE C VOLATILE
PARALLEL UNSAFE;
COMMENT ON FUNCTION clara_stats(text, integer, double precision, jsonb, text[], jsonb, text, integer, integer, text, text, text, text, bigint, text, bigint, text, text[], boolean, text[], text) IS
    'Statistics of what clara_stream_jsonl with the same arguments would write (the seed''s get_statistics): total_documents, avg_quality_score, avg_relevance_score, total_tokens (tokenizer or estimate), total_words, domains, document_types, splits, removed';
