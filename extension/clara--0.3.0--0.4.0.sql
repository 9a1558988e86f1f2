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
