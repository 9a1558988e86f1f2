-- clara 0.2.0 -> 0.3.0: the vector retriever becomes sparse vectors of
-- character 4-grams over each document's lead, scored with BM25 weights
-- (docs/hybrid.md), in place of the dense 256-dimension embeddings: on the
-- real evaluation sets they reached less than half of the keyword search's
-- quality and pulled the fused default below keyword search alone.
\echo Use "ALTER EXTENSION clara UPDATE" to load this file. \quit

DROP TABLE clara_embeddings;

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

-- Sum of the documents' lead lengths in grams (BM25's average length).
ALTER TABLE clara_corpus ADD COLUMN gram_length bigint NOT NULL DEFAULT 0;

-- TRUNCATE of the corpus empties the gram postings too.
CREATE OR REPLACE FUNCTION clara_documents_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = @extschema@, pg_catalog AS $$
BEGIN
    TRUNCATE clara_postings, clara_terms, clara_gram_postings;
    UPDATE clara_corpus SET n_docs = 0, total_length = 0, dead_postings = 0, gram_length = 0;
    RETURN NULL;
END
$$;

-- clara_vector(query) keeps its signature; similarity is now the share of
-- the query's gram weight a document matches (0..1).

-- The character 4-grams of a text as the vector retriever sees them, in
-- order, repeats included. A document is indexed by the grams of its title
-- and those of its content with lead => true (its first 700 code points).
CREATE FUNCTION clara_grams(body text, lead boolean DEFAULT false) RETURNS text[]
    AS 'MODULE_PATHNAME', 'clara_grams' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

-- Gram postings of the documents already stored (and a compacted BM25 index).
SELECT clara_compact();
