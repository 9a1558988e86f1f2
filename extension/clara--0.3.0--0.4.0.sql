-- clara 0.3.0 -> 0.4.0: the index tables stop being an interface. Their rows
-- describe every document (terms, frequencies, grams), including those a
-- role's privileges or row-level security hide, and a forged row would move
-- everyone's ranking; so only the extension's owner may read or write them,
-- and the library does both as that owner (docs/security.md). Searchers need
-- SELECT on clara_documents, loaders INSERT/UPDATE/DELETE on it (and on
-- clara_edges for citations). The SQL functions resolve names in pg_catalog
-- first, so no object a user creates can stand in for a built-in one.
\echo Use "ALTER EXTENSION clara UPDATE" to load this file. \quit

-- Every privilege granted on the index tables, to PUBLIC or to any role, is
-- taken back (0.3.0's README asked for such grants).
DO $$
DECLARE
    grant_row record;
BEGIN
    FOR grant_row IN
        SELECT DISTINCT c.oid::regclass AS relation,
               CASE WHEN acl.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(r.rolname) END AS grantee
        FROM pg_catalog.pg_class c
        CROSS JOIN LATERAL pg_catalog.aclexplode(c.relacl) acl
        LEFT JOIN pg_catalog.pg_roles r ON r.oid = acl.grantee
        WHERE c.relnamespace = '@extschema@'::regnamespace
          AND c.relname IN ('clara_postings', 'clara_terms', 'clara_corpus', 'clara_gram_postings')
          AND acl.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('REVOKE ALL ON %s FROM %s', grant_row.relation, grant_row.grantee);
    END LOOP;
END
$$;
REVOKE ALL ON clara_postings, clara_terms, clara_corpus, clara_gram_postings FROM PUBLIC;

-- TRUNCATE of the corpus (the caller needs TRUNCATE on clara_documents)
-- empties the index as its owner.
CREATE OR REPLACE FUNCTION clara_documents_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    TRUNCATE @extschema@.clara_postings, @extschema@.clara_terms, @extschema@.clara_gram_postings;
    UPDATE @extschema@.clara_corpus SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0;
    RETURN NULL;
END
$$;

-- pg_catalog first: a user's public.->>(jsonb, text) or public.!~(text,
-- text) can no longer run inside these functions with the caller's rights.
ALTER FUNCTION clara_stats(text, integer, double precision, jsonb, text[], jsonb)
    SET search_path = pg_catalog, @extschema@, pg_temp;
ALTER FUNCTION clara_register_source(text, regclass, name, integer, text)
    SET search_path = pg_catalog, @extschema@, pg_temp;
ALTER FUNCTION clara_unregister_source(text)
    SET search_path = pg_catalog, @extschema@, pg_temp;

-- The row trigger gives every new or re-texted document its doc_key (as the
-- extension, no privilege on the sequence needed); the column default drew a
-- second, unused key per row, as the caller, who needed USAGE on the
-- sequence for it.
ALTER TABLE clara_documents ALTER COLUMN doc_key DROP DEFAULT;

-- ---------------------------------------------------------------------------
-- Tokenizers of users' models, for token counts and token-budget chunks
-- (docs/training.md). The file's bytes are kept here, so every backend (and
-- pg_dump) has them; each backend parses a tokenizer once. Everyone may list
-- them; the library reads and writes the table as the extension's owner.
CREATE TABLE clara_tokenizers (
    name          text PRIMARY KEY,
    kind          text NOT NULL,     -- tokenizer.json | tiktoken
    pattern       text NOT NULL,     -- the pre-tokenizer: cl100k, o200k, qwen2, gpt2
    vocabulary    integer NOT NULL,
    sha256        text NOT NULL,
    data          bytea NOT NULL,
    registered_by name NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON clara_tokenizers FROM PUBLIC;
GRANT SELECT (name, kind, pattern, vocabulary, sha256, registered_by, registered_at) ON clara_tokenizers TO PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('clara_tokenizers', '');

-- Registers the tokenizer file at path on the database server (superuser or
-- pg_read_server_files), or given as bytes (any role; clara-stream
-- --tokenizer PATH sends the file). Refuses files it cannot use; a name
-- registered by another role with other content is not replaced.
CREATE FUNCTION clara_register_tokenizer(name text, path text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_tokenizer_path' LANGUAGE C VOLATILE;
CREATE FUNCTION clara_register_tokenizer(name text, data bytea) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'clara_register_tokenizer_data' LANGUAGE C VOLATILE;
CREATE FUNCTION clara_unregister_tokenizer(name text) RETURNS boolean
    AS 'MODULE_PATHNAME', 'clara_unregister_tokenizer' LANGUAGE C VOLATILE;

-- Tokens of a text by a registered tokenizer (no BOS/EOS: trainers add them).
CREATE FUNCTION clara_token_count(body text, tokenizer text) RETURNS integer
    AS 'MODULE_PATHNAME', 'clara_token_count' LANGUAGE C STABLE STRICT;
CREATE FUNCTION clara_tokenize(body text, tokenizer text) RETURNS integer[]
    AS 'MODULE_PATHNAME', 'clara_tokenize' LANGUAGE C STABLE STRICT;

-- A text cut into chunks of at most chunk_tokens tokens (paragraphs, legal
-- headings, sentences, white space preferred), consecutive chunks sharing
-- about chunk_overlap tokens; char_start / char_end in code points.
CREATE FUNCTION clara_chunks(body text, tokenizer text, chunk_tokens integer, chunk_overlap integer DEFAULT 0)
RETURNS TABLE (chunk_index integer, chunk_count integer, token_count integer, char_start integer,
               char_end integer, chunk text)
    AS 'MODULE_PATHNAME', 'clara_chunks' LANGUAGE C STABLE;

-- Training lines cut to a token budget: one line per chunk, its metadata
-- carrying chunk_index, chunk_count, token_count, char_start and char_end;
-- and in the shape the trainer reads (format: raw, text, messages,
-- prompt-completion, alpaca; templates with {title} {text} {query} ...);
-- with split ('validation=0.02,test=0.01') each line's metadata names its
-- document's split, fixed by a hash of split_seed and document_id (only_split
-- keeps one); token_budget ends the export before the line that would take
-- the tokens out past it.
DROP FUNCTION clara_stream_jsonl(text, integer, double precision, jsonb, text[], jsonb, integer);
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
    token_budget    bigint         DEFAULT NULL)
RETURNS SETOF text
AS 'MODULE_PATHNAME', 'clara_stream_jsonl' LANGUAGE C VOLATILE ROWS 100;
