#!/usr/bin/env bash
# ALTER EXTENSION clara UPDATE from 0.1.0: the documents stay, the new
# objects appear, every stored document gets its embedding, and the result is
# the same extension as a fresh CREATE EXTENSION (same objects, same
# definitions, the same exports for the same corpus). Before the update the
# new library refuses to work on the old objects with a clear error.
set -euo pipefail
cd "$(dirname "$0")/../.."
old=clara_upgrade_old new=clara_upgrade_new
work=$(mktemp -d)
trap 'rm -rf "$work"; dropdb --if-exists "$old"; dropdb --if-exists "$new"' EXIT
fail() { echo "upgrade: FAIL: $*" >&2; exit 1; }
pass() { echo "upgrade: ok: $*"; }
q() { psql -qXAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

build/clara-stream generate --docs 1500 --seed 11 --output "$work/corpus.jsonl" --quiet
dropdb --if-exists "$old"; dropdb --if-exists "$new"
createdb "$old"; createdb "$new"
PGOPTIONS="-c client_min_messages=warning" q "$old" "CREATE EXTENSION clara VERSION '0.1.0'"
PGOPTIONS="-c client_min_messages=warning" q "$new" "CREATE EXTENSION clara"
[ "$(q "$old" "SELECT extversion FROM pg_extension WHERE extname = 'clara'")" = 0.1.0 ] || fail "no 0.1.0 install"

# The 0.2.0 library on 0.1.0 objects: a clear error naming the fix.
if q "$old" "SELECT count(*) FROM clara_search('Genehmigung')" >/dev/null 2>"$work/err"; then
    fail "a search on 0.1.0 objects worked with the 0.2.0 library"
fi
grep -q 'version 0.1.0, its library is 0.2.0' "$work/err" && grep -q 'ALTER EXTENSION clara UPDATE' "$work/err" ||
    fail "unclear error before the update: $(cat "$work/err")"
pass "before the update: $(head -n 1 "$work/err" | sed 's/^psql:[^E]*//')"

# The 0.1.0 database gets its documents. Its row trigger (derived columns)
# is the same in both versions; the statement triggers that keep the index
# belong to the new library, which refuses old objects, so they are off
# during this load: the index is then built by the update (clara_compact),
# which is what the update does for an old database's documents anyway.
for t in insert update delete; do q "$old" "ALTER TABLE clara_documents DISABLE TRIGGER clara_documents_index_$t"; done
PGDATABASE=$old build/clara-stream load "$work/corpus.jsonl" >/dev/null 2>"$work/load.err" ||
    fail "loading into the 0.1.0 database: $(cat "$work/load.err")"
for t in insert update delete; do q "$old" "ALTER TABLE clara_documents ENABLE TRIGGER clara_documents_index_$t"; done
PGDATABASE=$new build/clara-stream load "$work/corpus.jsonl" >/dev/null 2>"$work/load.err" ||
    fail "loading into the 0.2.0 database: $(cat "$work/load.err")"
docs=$(q "$old" "SELECT count(*) FROM clara_documents")
[ "$docs" -eq 1500 ] || fail "the 0.1.0 database holds $docs documents, not 1500"

PGOPTIONS="-c client_min_messages=warning" q "$old" "ALTER EXTENSION clara UPDATE"
[ "$(q "$old" "SELECT extversion FROM pg_extension WHERE extname = 'clara'")" = 0.2.0 ] || fail "not at 0.2.0"
[ "$(q "$old" "SELECT count(*) FROM clara_embeddings e JOIN clara_documents d USING (doc_key)")" -eq 1500 ] ||
    fail "not every document has an embedding after the update"
pass "update: 1500 documents kept, 1500 embeddings computed"

# The same objects with the same definitions as a fresh install.
members="SELECT string_agg(o, E'\n' ORDER BY o) FROM (SELECT pg_describe_object(classid, objid, 0) AS o
         FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
           AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'clara')) m"
[ "$(q "$old" "$members")" = "$(q "$new" "$members")" ] || fail "the extension's objects differ from a fresh install:
$(diff <(q "$old" "$members") <(q "$new" "$members"))"
defs="SELECT md5(string_agg(pg_get_functiondef(p.oid), '' ORDER BY p.proname))
      FROM pg_proc p WHERE p.proname LIKE 'clara%' AND p.prokind = 'f'"
[ "$(q "$old" "$defs")" = "$(q "$new" "$defs")" ] || fail "function definitions differ from a fresh install"
columns="SELECT string_agg(c.relname || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
                           || ':' || a.attstorage, ',' ORDER BY c.relname, a.attnum)
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relname LIKE 'clara%' AND a.attnum > 0 AND NOT a.attisdropped"
[ "$(q "$old" "$columns")" = "$(q "$new" "$columns")" ] || fail "table columns differ from a fresh install"
config="SELECT array_to_string(extconfig::regclass[], ',') FROM pg_extension WHERE extname = 'clara'"
[ "$(q "$old" "$config")" = "$(q "$new" "$config")" ] || fail "pg_dump configuration tables differ"
pass "same objects, function definitions, columns and dump configuration as CREATE EXTENSION"

# And the same exports.
for query in "Genehmigung Bescheid Verwaltungsrecht" "Photovoltaikanlage Carport" "Denkmalschutzbehörden"; do
    for db in "$old" "$new"; do
        PGDATABASE=$db build/clara-stream --query "$query" --top-k 300 --min-quality 0.3 \
            --output "$work/$db.jsonl" --quiet
    done
    [ -s "$work/$old.jsonl" ] || fail "empty export for $query"
    cmp -s "$work/$old.jsonl" "$work/$new.jsonl" || fail "the updated database exports differently for: $query"
done
pass "hybrid exports byte-identical to a fresh install (3 queries)"
