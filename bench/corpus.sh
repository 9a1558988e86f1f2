#!/usr/bin/env bash
# bench/corpus.sh N: makes sure database clara_bench_<N> on the server given by
# PG* holds the generated corpus `clara-stream generate --docs N --seed SEED`
# (default seed 42), ready for the benchmark:
#   - loaded with `clara-stream load` (generate piped straight into load),
#   - a GIN index on tsv (the naive SQL baseline's index: the extension itself
#     creates none, its ranking has its own postings),
#   - VACUUM ANALYZE (the candidate check is an index-only scan only then).
# A marker table, bench_corpus, records what was loaded: documents, seed and a
# hash of the generator settings (N, seed, the generator's source). When it and
# the row count match, nothing is done; otherwise the database is dropped and
# loaded again (BENCH_RELOAD=1 forces that). The hash of the extension's SQL
# script at load time is recorded too: when it changed since, a warning says
# the corpus was derived by an older extension (reload with BENCH_RELOAD=1).
# Prints the database name on stdout; progress on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: bench/corpus.sh N}
SEED=${BENCH_SEED:-42}
CLARA_STREAM=${CLARA_STREAM:-build/clara-stream}
DB=clara_bench_$N
log() { echo "bench corpus $N: $*" >&2; }

sharedir=$(pg_config --sharedir 2>/dev/null || /usr/lib/postgresql/15/bin/pg_config --sharedir)
settings_hash=$( { echo "docs=$N seed=$SEED"; cat tools/generator/corpus_generator.cpp tools/generator/corpus_generator.hpp \
                                                  tools/generator/corpus_words.inc; } |
                 sha256sum | cut -c1-16)
extension_hash=$(cat "$sharedir"/extension/clara--*.sql | sha256sum | cut -c1-16)

psql_db() { PGOPTIONS="-c client_min_messages=warning" psql -qXAt -v ON_ERROR_STOP=1 -d "$DB" "$@"; }

current=""
if [ "${BENCH_RELOAD:-0}" != 1 ] &&
   [ "$(psql -qXAt -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" = 1 ]; then
    current=$(psql_db -c "SELECT docs || ' ' || settings_hash || ' ' || (SELECT count(*) FROM clara_documents)
                           FROM bench_corpus" 2>/dev/null || true)
fi
if [ "$current" = "$N $settings_hash $N" ]; then
    log "reusing $DB (marker $settings_hash, $N rows)"
    # A corpus kept from an earlier build: its extension objects follow the
    # installed library (a no-op when they are current).
    PGOPTIONS="-c client_min_messages=warning" psql_db -c "ALTER EXTENSION clara UPDATE"
    loaded_with=$(psql_db -c "SELECT extension_hash FROM bench_corpus")
    [ "$loaded_with" = "$extension_hash" ] ||
        log "warning: loaded with another version of the extension's SQL script ($loaded_with, now $extension_hash); BENCH_RELOAD=1 reloads"
else
    log "loading into $DB (marker ${current:-none} -> $N $settings_hash $N)"
    dropdb --if-exists "$DB" 2>/dev/null
    createdb -E UTF8 -T template0 "$DB"
    PGOPTIONS="-c client_min_messages=warning" psql_db -c "CREATE EXTENSION clara"
    start=$(date +%s.%N)
    "$CLARA_STREAM" generate --docs "$N" --seed "$SEED" --quiet |
        PGDATABASE=$DB "$CLARA_STREAM" load - >&2
    load_seconds=$(echo "$(date +%s.%N) - $start" | bc)
    psql_db -c "CREATE TABLE bench_corpus (docs bigint, seed int, settings_hash text, extension_hash text,
                    load_seconds float8, loaded_at timestamptz DEFAULT now())"
    psql_db -c "INSERT INTO bench_corpus VALUES ($N, $SEED, '$settings_hash', '$extension_hash', $load_seconds)"
    log "loaded in ${load_seconds}s"
fi
# Cheap when already done: IF NOT EXISTS, and VACUUM skips all-visible pages.
start=$(date +%s)
psql_db -c "CREATE INDEX IF NOT EXISTS bench_naive_tsv_gin ON clara_documents USING gin (tsv)"
psql_db -c "VACUUM ANALYZE"
log "GIN index on tsv + VACUUM ANALYZE: $(( $(date +%s) - start ))s"
echo "$DB"
