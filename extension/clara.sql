-- clara: the whole SQL surface of the current version, in one file.
--
-- make installs this file as clara--<default_version>.sql (clara.control):
-- CREATE EXTENSION clara runs it. A database made by an earlier version
-- reaches the same objects through the update scripts beside this file
-- (clara--A--B.sql, run by ALTER EXTENSION clara UPDATE);
-- tests/integration/upgrade.sh checks that both end alike. So every change
-- here goes into a new update script too, and a released version's script
-- is never edited.
--
-- Conventions, one per function below:
--  * COMMENT ON FUNCTION: what \df+ and a reader see.
--  * PARALLEL: written out, with the reason.
--  * search_path: SQL and PL/pgSQL functions pin theirs (pg_catalog first, so
--    no function or operator a user creates can stand in for a built-in one;
--    pg_temp last). C functions do not: they resolve what the caller names
--    (clara.graph_edges, regclass arguments) with the caller's search_path,
--    and run their own statements through catalog.cpp's spi_connect() with
--    search_path = pg_catalog, pg_temp and every table schema-qualified. A
--    SET clause would also wrap every call (each streamed row, each trigger
--    firing) in a settings save and restore.
--  * Privileges: every function runs as its caller (SECURITY INVOKER), so
--    row-level security and grants on clara_documents apply to what it
--    reads. The index tables are read and written by the library as the
--    extension's owner (catalog.hpp: as_index_owner), never by the caller;
--    clara_documents_truncate is the one SECURITY DEFINER function, for
--    the same reason.
\echo Use "CREATE EXTENSION clara" to load this file. \quit

DO $$
BEGIN
    IF pg_catalog.current_setting('server_encoding') <> 'UTF8' THEN
        RAISE EXCEPTION 'clara requires a UTF8 database, not %',
            pg_catalog.current_setting('server_encoding')
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Create the database with ENCODING ''UTF8''.';
    END IF;
END
$$;

-- ===========================================================================
-- Text search for your own tsquery use of tsv: English stop words are
-- dropped first, then the German Snowball stemmer (which also drops German
-- stop words). The extension's own tokenizer (clara_tokens) gives the same
-- lexemes for ordinary words, much faster; hyphenated compounds it indexes by
-- their parts only.
CREATE TEXT SEARCH DICTIONARY clara_english_stop (
    TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION clara_de_en (COPY = pg_catalog.german);
ALTER TEXT SEARCH CONFIGURATION clara_de_en
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH clara_english_stop, pg_catalog.german_stem;

COMMENT ON TEXT SEARCH DICTIONARY clara_english_stop IS
    'Clara: drops English stop words and passes every other word on (to german_stem in clara_de_en)';
COMMENT ON TEXT SEARCH CONFIGURATION clara_de_en IS
    'Clara: German and English text, the lexemes of clara_documents.tsv (English stop words, then German Snowball stems)';

-- ===========================================================================
-- The corpus. The columns after metadata are derived by the
-- clara_documents_derive trigger whenever a row is stored.
CREATE SEQUENCE clara_doc_key_seq AS integer;

CREATE TABLE clara_documents (
    document_id     text PRIMARY KEY CHECK (document_id <> ''),
    title           text,
    content         text NOT NULL,
    domain          text,
    document_type   text,
    source          text,
    created_at      timestamptz,
    metadata        jsonb NOT NULL DEFAULT '{}'
                    CHECK (pg_catalog.jsonb_typeof(metadata) = 'object'),
    -- derived: compact internal key, a new one whenever title or content
    -- change. No default: the row trigger draws it (as the extension, so the
    -- caller needs no privilege on the sequence, and once per row).
    doc_key         integer NOT NULL,
    -- derived: title (weight A) and content (weight D) in clara_de_en
    tsv             tsvector,
    -- derived: exact term frequency of each lexeme of tsv, in tsv's order
    -- (tsvector itself keeps at most 256 positions per lexeme)
    term_tfs        integer[],
    -- derived: number of indexed tokens (BM25 document length)
    doc_length      integer,
    quality_score   double precision,
    quality_signals jsonb,
    content_hash    bytea,
    -- derived: duplicate signature of content (clara_dedup_signature)
    dedup           bytea
);
ALTER SEQUENCE clara_doc_key_seq OWNED BY clara_documents.doc_key;
-- Rows up to a page stay whole in the heap: an export then reads each
-- document with one heap access instead of TOAST index lookups (measured:
-- 100K-document export 2.3 s -> 1.8 s; the heap grows by about half).
-- Larger values are compressed with lz4, several times faster than pglz.
ALTER TABLE clara_documents SET (toast_tuple_target = 8160);
ALTER TABLE clara_documents
    ALTER COLUMN content SET COMPRESSION lz4,
    ALTER COLUMN tsv SET COMPRESSION lz4,
    ALTER COLUMN term_tfs SET COMPRESSION lz4,
    ALTER COLUMN metadata SET COMPRESSION lz4,
    ALTER COLUMN quality_signals SET COMPRESSION lz4;
-- No GIN index on tsv: the ranking reads its own postings, and maintaining
-- GIN took a quarter of the load time. For your own tsquery searches:
--   CREATE INDEX ON clara_documents USING gin (tsv);
-- The ranking checks candidates by doc_key for min_quality, the filters and
-- visibility, and orders ties by document_id: with these columns in the
-- index that is an index-only scan once VACUUM has set the visibility map
-- (measured on 100K documents: checking 88K candidates 402 ms -> 120 ms).
CREATE UNIQUE INDEX clara_documents_doc_key_idx ON clara_documents (doc_key)
    INCLUDE (quality_score, domain, document_type, source, created_at, document_id);

COMMENT ON TABLE clara_documents IS
    'Clara corpus; tsv, term_tfs, doc_length, quality_score, quality_signals, content_hash, dedup and doc_key are derived';
COMMENT ON COLUMN clara_documents.dedup IS
    'derived: duplicate signature of content (clara_dedup_signature); read by exports with dedup';

-- ===========================================================================
-- Duplicates (docs/training.md#duplicates): each document's signature (the
-- hash of its normalised text and a word 5-gram MinHash), a table of its
-- keys that finds a new document's candidates, and the clusters of the
-- documents that have duplicates, kept by a statement trigger. An export
-- with dedup => 'exact' or 'near' keeps the best-ranked document of each.

-- Pure functions of their argument: IMMUTABLE, PARALLEL SAFE.
CREATE FUNCTION clara_dedup_signature(content text) RETURNS bytea
    AS 'MODULE_PATHNAME', 'clara_dedup_signature' LANGUAGE C IMMUTABLE STRICT
    PARALLEL SAFE;  -- a pure function of its argument
COMMENT ON FUNCTION clara_dedup_signature(text) IS
    'Duplicate signature of a text: hash of its normalised form (NFC, lower case, white space) and a word 5-gram MinHash';
CREATE FUNCTION clara_dedup_keys(signature bytea) RETURNS bigint[]
    AS 'MODULE_PATHNAME', 'clara_dedup_keys' LANGUAGE C IMMUTABLE STRICT
    PARALLEL SAFE;  -- a pure function of its argument
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
COMMENT ON SEQUENCE clara_doc_key_seq IS
    'Clara: doc_key of each new or re-texted document, drawn by the clara_documents_derive trigger';

-- Citation graph: src cites dst. No foreign keys: a citation may name a
-- document that is loaded later (or never). Filled by `clara-stream load`
-- from each document's "citations".
CREATE TABLE clara_edges (
    src_id   text NOT NULL,
    dst_id   text NOT NULL,
    relation text NOT NULL DEFAULT 'cites',
    PRIMARY KEY (src_id, dst_id, relation)
);
CREATE INDEX clara_edges_dst_idx ON clara_edges (dst_id);

COMMENT ON TABLE clara_edges IS
    'Clara citation graph: src_id cites dst_id (clara-stream load fills it from each document''s "citations")';

-- ===========================================================================
-- The index. Its rows describe every document (terms, frequencies, grams),
-- including those a role's privileges or row-level security hide, and a
-- forged row would move everyone's ranking; so only the extension's owner
-- may read or write these tables, and the library does both as that owner
-- (docs/security.md). Searchers need SELECT on clara_documents, loaders
-- INSERT/UPDATE/DELETE on it (and on clara_edges for citations).

-- BM25: per-term postings blocks (doc_key, tf, doc_length; 12 bytes each),
-- one block per term per flush of a loading statement. Postings of deleted
-- or re-keyed documents stay until clara_compact(); the ranking drops them
-- when it checks candidates against clara_documents.
CREATE TABLE clara_postings (
    term     text NOT NULL,
    postings bytea NOT NULL
);
ALTER TABLE clara_postings ALTER COLUMN postings SET STORAGE EXTERNAL;
CREATE INDEX clara_postings_term_idx ON clara_postings (term);

-- Exact document frequencies of live documents, per term.
CREATE TABLE clara_terms (
    term   text PRIMARY KEY,
    df     integer NOT NULL,  -- no CHECK: it would see the negative delta of an upsert
    -- The term's rows in clara_postings: a statement that leaves
    -- clara.index_merge_blocks or more merges some of them (core/merge.hpp).
    blocks integer NOT NULL DEFAULT 0
-- Room on each page for the new versions of the rows a flush updates: the
-- update stays on its page (HOT) and writes no entry into the term index.
-- Full pages made the first flush after a load write ~5K pkey entries:
-- 0.45 s of backend CPU and 0.95 s wall for 2,000 pending documents, against
-- 0.32 s and 0.51 s at 70 (docs/benchmarks.md).
) WITH (fillfactor = 70);

-- Corpus statistics for BM25 and the gram vectors, maintained once per
-- statement.
CREATE TABLE clara_corpus (
    singleton     boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    n_docs        bigint NOT NULL DEFAULT 0,
    total_length  bigint NOT NULL DEFAULT 0,
    dead_postings bigint NOT NULL DEFAULT 0,
    -- Sum of the documents' lead lengths in grams (BM25's average length).
    gram_length   bigint NOT NULL DEFAULT 0,
    -- Bytes of clara_pending's rows (clara.pending_list_limit is checked against it).
    pending_bytes bigint NOT NULL DEFAULT 0
);
INSERT INTO clara_corpus DEFAULT VALUES;

-- Vector search: per-gram postings blocks (doc_key, tf, lead length; about
-- 2-3 bytes a posting, see core/ngram.hpp), one block per gram per flush of
-- a loading statement, appended. Postings of deleted or re-keyed documents
-- stay until clara_compact(), as in clara_postings.
CREATE TABLE clara_gram_postings (
    gram      integer NOT NULL,
    documents integer NOT NULL,  -- postings in the block (its df share), read without the block
    postings  bytea NOT NULL
);
ALTER TABLE clara_gram_postings ALTER COLUMN postings SET STORAGE EXTERNAL;
CREATE INDEX clara_gram_postings_gram_idx ON clara_gram_postings (gram);

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

REVOKE ALL ON clara_postings, clara_terms, clara_corpus, clara_gram_postings, clara_pending FROM PUBLIC;

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

-- ===========================================================================
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

COMMENT ON TABLE clara_sources IS
    'Clara enrichment sources: relations whose rows add fields to exported metadata (clara_register_source)';

-- ===========================================================================
-- Tokenizers of users' models, for token counts and token-budget chunks
-- (docs/training.md). The file's bytes are kept here, so every backend (and
-- pg_dump) has them; each backend parses a tokenizer once. Everyone may list
-- them; the library reads and writes the table as the extension's owner.
CREATE TABLE clara_tokenizers (
    name          text PRIMARY KEY,
    kind          text NOT NULL,     -- tokenizer.json | tiktoken | sentencepiece
    pattern       text NOT NULL,     -- the pre-tokenizer: cl100k, o200k, qwen2, gpt2; SentencePiece: bpe, unigram
    vocabulary    integer NOT NULL,
    sha256        text NOT NULL,
    data          bytea NOT NULL,
    registered_by name NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON clara_tokenizers FROM PUBLIC;
GRANT SELECT (name, kind, pattern, vocabulary, sha256, registered_by, registered_at) ON clara_tokenizers TO PUBLIC;

COMMENT ON TABLE clara_tokenizers IS
    'Clara tokenizers of users'' models (clara_register_tokenizer): the file''s bytes and what was read from it';

-- ===========================================================================
-- pg_dump keeps the corpus, the citations, the registries; the index tables
-- are rebuilt by the triggers when the documents are restored.
SELECT pg_catalog.pg_extension_config_dump('clara_documents', '');
SELECT pg_catalog.pg_extension_config_dump('clara_doc_key_seq', '');
SELECT pg_catalog.pg_extension_config_dump('clara_edges', '');
SELECT pg_catalog.pg_extension_config_dump('clara_sources', '');
SELECT pg_catalog.pg_extension_config_dump('clara_tokenizers', '');

-- ===========================================================================
-- Maintenance triggers. Triggers never run in parallel workers; they are
-- PARALLEL UNSAFE because they write (the index, the sequence).

CREATE FUNCTION clara_documents_derive() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_derive' LANGUAGE C
    PARALLEL UNSAFE;  -- draws doc_key from a sequence
CREATE TRIGGER clara_documents_derive
    BEFORE INSERT OR UPDATE ON clara_documents
    FOR EACH ROW EXECUTE FUNCTION clara_documents_derive();
COMMENT ON FUNCTION clara_documents_derive() IS
    'Trigger: computes a stored document''s derived columns (doc_key, tsv, term_tfs, doc_length, quality_score, quality_signals, content_hash)';

CREATE FUNCTION clara_documents_index() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_index' LANGUAGE C
    PARALLEL UNSAFE;  -- writes the index tables
CREATE TRIGGER clara_documents_index_insert
    AFTER INSERT ON clara_documents REFERENCING NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_index();
CREATE TRIGGER clara_documents_index_update
    AFTER UPDATE ON clara_documents REFERENCING OLD TABLE AS old_docs NEW TABLE AS new_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_index();
CREATE TRIGGER clara_documents_index_delete
    AFTER DELETE ON clara_documents REFERENCING OLD TABLE AS old_docs
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_index();
COMMENT ON FUNCTION clara_documents_index() IS
    'Trigger: keeps the word and gram postings, document frequencies and corpus statistics after each statement on clara_documents';

CREATE FUNCTION clara_documents_dedup() RETURNS trigger
    AS 'MODULE_PATHNAME', 'clara_documents_dedup' LANGUAGE C
    PARALLEL UNSAFE;  -- writes clara_dup_clusters
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

-- ===========================================================================
-- Stable metadata types (docs/training.md#stable-types). Every top-level
-- key of the stored documents' metadata with its JSON type (null: only null
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

-- TRUNCATE of the corpus (the caller needs TRUNCATE on clara_documents)
-- empties the index as its owner: SECURITY DEFINER. Every name in it is
-- schema-qualified, so its search_path holds nothing a user can create in.
CREATE FUNCTION clara_documents_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp
PARALLEL UNSAFE  -- writes the index tables
AS $$
BEGIN
    TRUNCATE @extschema@.clara_postings, @extschema@.clara_terms, @extschema@.clara_gram_postings,
             @extschema@.clara_dup_clusters, @extschema@.clara_dedup_bands, @extschema@.clara_metadata_keys,
             @extschema@.clara_pending;
    UPDATE @extschema@.clara_corpus
    SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0, pending_bytes = 0;
    RETURN NULL;
END
$$;
CREATE TRIGGER clara_documents_truncate
    AFTER TRUNCATE ON clara_documents
    FOR EACH STATEMENT EXECUTE FUNCTION clara_documents_truncate();
COMMENT ON FUNCTION clara_documents_truncate() IS
    'Trigger: empties the index and the corpus statistics when clara_documents is truncated';

-- Rebuilds the postings from the live documents (drops dead postings and
-- merges small blocks). Returns the number of documents indexed.
CREATE FUNCTION clara_compact() RETURNS bigint
    AS 'MODULE_PATHNAME', 'clara_compact' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- rewrites the index tables
COMMENT ON FUNCTION clara_compact() IS
    'Rebuilds the word and gram postings from the live documents (drops dead postings, merges blocks); returns the number of documents indexed; owner of clara_documents only';

-- Indexes the pending list now (a writing statement does it when the list
-- passes clara.pending_list_limit). Returns the number of documents moved.
CREATE FUNCTION clara_flush_pending() RETURNS bigint
    AS 'MODULE_PATHNAME', 'clara_flush_pending' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes the index tables
COMMENT ON FUNCTION clara_flush_pending() IS
    'Moves the pending list''s documents into the word and gram postings; returns their number; owner of clara_documents only';

-- Files every document again from scratch: after duplicates were stored by
-- concurrent transactions (which do not see each other's rows). Only the
-- owner of clara_documents may run it, as for clara_compact().
CREATE FUNCTION clara_dedup_rebuild() RETURNS bigint
    AS 'MODULE_PATHNAME', 'clara_dedup_rebuild' LANGUAGE C
    PARALLEL UNSAFE;  -- rewrites clara_dup_clusters
COMMENT ON FUNCTION clara_dedup_rebuild() IS
    'Rebuilds clara_dup_clusters from every document; returns the number of documents in clusters';

-- ===========================================================================
-- The export ledger (docs/training.md#export-ledger). An export
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
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
PARALLEL UNSAFE  -- the default: a listing gains nothing from parallel workers
AS $$
    SELECT e.name, e.owner, e.created_at, e.query, e.documents,
           coalesce((SELECT jsonb_object_agg(s.split, s.n ORDER BY s.split)
                     FROM (SELECT d.split, count(*) AS n FROM @extschema@.clara_export_documents d
                           WHERE d.export_name = e.name GROUP BY d.split) s), '{}')
    FROM @extschema@.clara_exports e ORDER BY e.created_at, e.name
$$;
COMMENT ON FUNCTION clara_list_exports() IS
    'Recorded exports the caller may see: name, owner, created_at, query, documents, documents per split';

CREATE FUNCTION clara_drop_export(name text) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp
PARALLEL UNSAFE  -- deletes rows
AS $$
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

-- ===========================================================================
-- Decontamination (docs/training.md#decontamination). An
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
    AS 'MODULE_PATHNAME', 'clara_register_eval_set_relation' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes the evaluation tables
CREATE FUNCTION clara_register_eval_set(name text, texts text[], n integer DEFAULT 13) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_eval_set_texts' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes the evaluation tables
CREATE FUNCTION clara_unregister_eval_set(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'clara_unregister_eval_set' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- deletes from the evaluation tables
COMMENT ON FUNCTION clara_register_eval_set(text, regclass, name, integer, text) IS
    'Registers the word n-grams of a column of evaluation texts for clara_stream_jsonl(decontaminate => ...)';
COMMENT ON FUNCTION clara_register_eval_set(text, text[], integer) IS
    'Registers the word n-grams of evaluation texts for clara_stream_jsonl(decontaminate => ...)';
COMMENT ON FUNCTION clara_unregister_eval_set(text) IS
    'Drops an evaluation set (the role that registered it, or a superuser); false when there was none';

-- ===========================================================================
-- Retrieval. None of these is STRICT: a NULL optional argument means its
-- default, a NULL query is an error (a STRICT function would silently return
-- nothing).
--
-- The ranking functions are PARALLEL UNSAFE: enrichment lookups run in
-- subtransactions (PostgreSQL refuses to start one in parallel mode, even
-- in the leader), and the ranking switches to the extension's owner to read
-- the index and keeps batch state across calls.

-- Streams ranked documents: the ranking runs once, then rows are read batch
-- by batch (clara.streaming_batch_size) and returned one per call. Call it
-- in the SELECT list to stream; in FROM the executor materialises it first.
CREATE FUNCTION clara_stream(
    query        text,
    top_k        integer          DEFAULT 100,
    min_quality  double precision DEFAULT 0.5,
    filters      jsonb            DEFAULT '{}',
    search_types text[]           DEFAULT NULL,
    weights      jsonb            DEFAULT NULL,
    batch_size   integer          DEFAULT NULL)
RETURNS TABLE (rank bigint, document_id text, content text, metadata jsonb,
               source text, quality_score double precision,
               relevance_score double precision)
AS 'MODULE_PATHNAME', 'clara_stream' LANGUAGE C VOLATILE ROWS 100
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_stream(text, integer, double precision, jsonb, text[], jsonb, integer) IS
    'Ranked documents for a query, quality-filtered, one row per call (call it in the SELECT list to stream)';

-- The same rows as training lines (the JSONL export format), cut to a token
-- budget: one line per chunk, its metadata carrying chunk_index,
-- chunk_count, token_count, char_start and char_end; and in the shape the
-- trainer reads (format: raw, text, messages, prompt-completion, alpaca;
-- templates with {title} {text} {query} ...); with split
-- ('validation=0.02,test=0.01') each line's metadata names its document's
-- split, fixed by a hash of split_seed and document_id (only_split keeps
-- one); token_budget ends the export before the line that would take the
-- tokens out past it; dedup ('exact' | 'near') keeps the best-ranked
-- document of each cluster of duplicates, with metadata.dup_cluster_size;
-- record, exclude and exclude_held_out use the export ledger above;
-- decontaminate (set names) drops documents sharing a word 13-gram with
-- those evaluation sets, or with decontaminate_mode 'report' marks them.
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
    record          text           DEFAULT NULL,
    exclude         text[]         DEFAULT NULL,
    exclude_held_out boolean       DEFAULT true,
    decontaminate      text[]      DEFAULT NULL,
    decontaminate_mode text        DEFAULT 'drop')
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'clara_stream_jsonl' LANGUAGE C VOLATILE ROWS 100
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_stream_jsonl(text, integer, double precision, jsonb, text[], jsonb, integer, text, integer, integer, text, text, text, text, bigint, text, bigint, text, text, text[], boolean, text[], text) IS
    'clara_stream''s documents as training lines (JSONL), optionally chunked by a tokenizer, formatted, split, cut to a token budget, without duplicates, earlier exports'' documents or evaluation text, recorded: what COPY (SELECT ...) TO STDOUT exports';

-- What the last export of this session did: documents ranked, written,
-- removed by each step.
CREATE FUNCTION clara_export_summary() RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_export_summary' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- reads this backend's state of its last export
COMMENT ON FUNCTION clara_export_summary() IS
    'Counts of the last clara_stream_jsonl call in this session: documents ranked, written, removed per step';

-- Batch form: the same rows, returned all at once.
CREATE FUNCTION clara_search(
    query        text,
    top_k        integer          DEFAULT 100,
    min_quality  double precision DEFAULT 0.5,
    filters      jsonb            DEFAULT '{}',
    search_types text[]           DEFAULT NULL,
    weights      jsonb            DEFAULT NULL)
RETURNS TABLE (rank bigint, document_id text, content text, metadata jsonb,
               source text, quality_score double precision,
               relevance_score double precision)
AS 'MODULE_PATHNAME', 'clara_search' LANGUAGE C VOLATILE ROWS 100
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_search(text, integer, double precision, jsonb, text[], jsonb) IS
    'clara_stream''s rows for a query, returned all at once (batch form)';

-- Raw BM25 scores of every document matching any query term (no quality or
-- filter), for inspection and for checking the ranking.
CREATE FUNCTION clara_bm25(query text)
RETURNS TABLE (document_id text, score double precision)
AS 'MODULE_PATHNAME', 'clara_bm25' LANGUAGE C VOLATILE
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_bm25(text) IS
    'BM25 score of every document containing any query term (no quality threshold, filters or fusion), for inspection';

-- Similarity of every document sharing grams with the query: the share of
-- the query's gram weight a document matches, 0..1 (the vector retriever
-- without its depth limit, quality or filters).
CREATE FUNCTION clara_vector(query text)
RETURNS TABLE (document_id text, similarity double precision)
AS 'MODULE_PATHNAME', 'clara_vector' LANGUAGE C VOLATILE
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_vector(text) IS
    'Similarity (0..1) of every document sharing character 4-grams with the query (no depth limit, quality threshold or filters), for inspection';

-- The seed's get_statistics over what clara_stream_jsonl with the same
-- arguments (less batch_size and record) would write: that export's own
-- path, its lines counted instead of built. total_tokens counts the
-- tokenizer's tokens of the text the lines carry (token_count
-- 'tokenizer:NAME'), or estimates them as ceil(UTF-8 bytes / 3.7)
-- (token_count 'estimate'); total_words is the quality signals' word count;
-- splits has documents, lines and tokens per split; removed the documents
-- each step kept out (clara_export_summary()'s counts).
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
PARALLEL UNSAFE;  -- see Retrieval above
COMMENT ON FUNCTION clara_stats(text, integer, double precision, jsonb, text[], jsonb, text, integer, integer, text, text, text, text, bigint, text, bigint, text, text[], boolean, text[], text) IS
    'Statistics of what clara_stream_jsonl with the same arguments would write (the seed''s get_statistics): total_documents, avg_quality_score, avg_relevance_score, total_tokens (tokenizer or estimate), total_words, domains, document_types, splits, removed';

-- ===========================================================================
-- Text as the ranking sees it. Pure functions of their arguments (no table,
-- no setting, no state): IMMUTABLE, PARALLEL SAFE.

-- The query's distinct lexemes as the ranking looks them up.
CREATE FUNCTION clara_query_terms(query text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'clara_query_terms' LANGUAGE C IMMUTABLE STRICT
    PARALLEL SAFE;  -- pure
COMMENT ON FUNCTION clara_query_terms(text) IS
    'The distinct lexemes of a query, as the ranking looks them up';

-- Every lexeme of a text, in order, duplicates included: the tokens BM25
-- counts (German Snowball stems; German and English stop words dropped).
CREATE FUNCTION clara_tokens(body text) RETURNS text[]
    AS 'MODULE_PATHNAME', 'clara_tokens' LANGUAGE C IMMUTABLE STRICT
    PARALLEL SAFE;  -- pure
COMMENT ON FUNCTION clara_tokens(text) IS
    'Every lexeme of a text in order, repeats included: the tokens BM25 counts (German stems, German and English stop words dropped)';

-- The character 4-grams of a text as the vector retriever sees them, in
-- order, repeats included. A document is indexed by the grams of its title
-- and those of its content with lead => true (its first 700 code points).
CREATE FUNCTION clara_grams(body text, lead boolean DEFAULT false) RETURNS text[]
    AS 'MODULE_PATHNAME', 'clara_grams' LANGUAGE C IMMUTABLE STRICT
    PARALLEL SAFE;  -- pure
COMMENT ON FUNCTION clara_grams(text, boolean) IS
    'The character 4-grams of a text as the vector retriever sees them, in order, repeats included (lead => true: a document''s first 700 code points)';

-- ===========================================================================
-- Enrichment sources (the registry is clara_sources above). Both write the
-- registry: PARALLEL UNSAFE.

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
LANGUAGE plpgsql SET search_path = pg_catalog, @extschema@, pg_temp
PARALLEL UNSAFE  -- writes clara_sources
AS $$
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
COMMENT ON FUNCTION clara_register_source(text, regclass, name, integer, text) IS
    'Registers or replaces an enrichment source: a relation keyed by document id whose other columns become fields of metadata->name';

-- Removes an enrichment source; false if there was none of that name.
CREATE FUNCTION clara_unregister_source(name text) RETURNS boolean
LANGUAGE sql SET search_path = pg_catalog, @extschema@, pg_temp
PARALLEL UNSAFE  -- writes clara_sources
AS $$
    WITH d AS (DELETE FROM clara_sources s WHERE s.name = clara_unregister_source.name RETURNING 1)
    SELECT count(*) > 0 FROM d
$$;
COMMENT ON FUNCTION clara_unregister_source(text) IS
    'Removes an enrichment source; false if there was none of that name';

-- ===========================================================================
-- Model tokenizers (the registry is clara_tokenizers above).
--
-- Registers the tokenizer file at path on the database server (superuser or
-- pg_read_server_files), or given as bytes (any role; clara-stream
-- --tokenizer PATH sends the file). Refuses files it cannot use; a name
-- registered by another role with other content is not replaced.
CREATE FUNCTION clara_register_tokenizer(name text, path text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_tokenizer_path' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes clara_tokenizers
COMMENT ON FUNCTION clara_register_tokenizer(text, text) IS
    'Registers a model tokenizer (tokenizer.json, tiktoken, SentencePiece .model) from a file on the database server (superuser or pg_read_server_files); returns what was read';
CREATE FUNCTION clara_register_tokenizer(name text, data bytea) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_tokenizer_data' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes clara_tokenizers
COMMENT ON FUNCTION clara_register_tokenizer(text, bytea) IS
    'Registers a model tokenizer (tokenizer.json, tiktoken, SentencePiece .model) from the file''s bytes (any role); returns what was read';
CREATE FUNCTION clara_unregister_tokenizer(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'clara_unregister_tokenizer' LANGUAGE C VOLATILE
    PARALLEL UNSAFE;  -- writes clara_tokenizers
COMMENT ON FUNCTION clara_unregister_tokenizer(text) IS
    'Removes a tokenizer registered by the calling role (any, for a superuser); false if there was none';

-- Tokens of a text by a registered tokenizer (no BOS/EOS: trainers add
-- them). PARALLEL UNSAFE: each backend parses a tokenizer once and keeps it
-- (a worker would parse it again, seconds for a large tokenizer.json), and
-- it reads clara_tokenizers as the extension's owner; not checked under
-- parallel query.
CREATE FUNCTION clara_token_count(body text, tokenizer text) RETURNS integer
    AS 'MODULE_PATHNAME', 'clara_token_count' LANGUAGE C STABLE STRICT
    PARALLEL UNSAFE;  -- see above
COMMENT ON FUNCTION clara_token_count(text, text) IS
    'Number of tokens of a text by a registered tokenizer (no BOS/EOS)';
CREATE FUNCTION clara_tokenize(body text, tokenizer text) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'clara_tokenize' LANGUAGE C STABLE STRICT
    PARALLEL UNSAFE;  -- see above
COMMENT ON FUNCTION clara_tokenize(text, text) IS
    'Token ids of a text by a registered tokenizer (no BOS/EOS)';

-- A text cut into chunks of at most chunk_tokens tokens (paragraphs, legal
-- headings, sentences, white space preferred), consecutive chunks sharing
-- about chunk_overlap tokens; char_start / char_end in code points.
CREATE FUNCTION clara_chunks(body text, tokenizer text, chunk_tokens integer, chunk_overlap integer DEFAULT 0)
RETURNS TABLE (chunk_index integer, chunk_count integer, token_count integer, char_start integer,
               char_end integer, chunk text)
    AS 'MODULE_PATHNAME', 'clara_chunks' LANGUAGE C STABLE
    PARALLEL UNSAFE;  -- as clara_token_count
COMMENT ON FUNCTION clara_chunks(text, text, integer, integer) IS
    'A text cut into chunks of at most chunk_tokens tokens of a registered tokenizer, consecutive chunks sharing about chunk_overlap tokens (char_start, char_end in code points)';
