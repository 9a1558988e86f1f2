#!/usr/bin/env bash
# Exports on a streaming hot standby (issue 13, point 6; MISSION.md "Scale
# past one machine"): a replica made with `pg_basebackup -R` from the test
# server (a second data directory, its own port, a Unix socket only) follows
# the primary by streaming replication; after documents are loaded on the
# primary and the standby has replayed them, the standby's exports (clara-stream
# and psql's COPY of clara_stream_jsonl) are byte-identical to the primary's,
# and a write on the standby is refused.
set -euo pipefail
TEST=standby
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/server.bash"

new_database
"$CLARA_STREAM" generate --docs 3000 --seed 21 --output "$WORK/corpus.jsonl" --quiet
sed -n '1,1000p' "$WORK/corpus.jsonl" >"$WORK/before.jsonl"
sed -n '1001,3000p' "$WORK/corpus.jsonl" >"$WORK/after.jsonl"
"$CLARA_STREAM" load "$WORK/before.jsonl" --quiet

# The standby's directory (data and socket) belongs to the server's owner.
STANDBY=$(mktemp -d /tmp/clara-standby-XXXXXX)
chown "$SERVER_OWNER" "$STANDBY"
STANDBY_PORT=$((${PGPORT:-5432} + 1000))
stop_standby() {
    if [ -f "$STANDBY/data/postmaster.pid" ]; then
        as_owner "$SERVER_BINDIR/pg_ctl" stop -D "$STANDBY/data" -m fast -w >/dev/null 2>&1 || true
    fi
    rm -rf "$STANDBY"
    cleanup
}
trap stop_standby EXIT

# pg_basebackup as the owner, with this test's connection settings (the
# password, when there is one, goes into primary_conninfo with -R).
as_owner env PGHOST="${PGHOST:-}" PGPORT="${PGPORT:-}" PGUSER="${PGUSER:-}" PGPASSWORD="${PGPASSWORD:-}" \
    "$SERVER_BINDIR/pg_basebackup" -D "$STANDBY/data" -R -X stream --checkpoint=fast \
    >"$WORK/basebackup.log" 2>&1 || fail "pg_basebackup -R failed: $(tail -n 5 "$WORK/basebackup.log")"
[ -f "$STANDBY/data/standby.signal" ] || fail "pg_basebackup -R wrote no standby.signal"
# Its own configuration: the primary's may live outside its data directory
# (Debian's /etc/postgresql) and names the primary's port and socket. A hot
# standby refuses to start with fewer connections, workers or locks than the
# primary: those are the primary's.
limits=$(psql -qXAt -d postgres -c "SELECT string_agg(name || ' = ' || setting, E'\n') FROM pg_settings
           WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
                          'max_prepared_transactions', 'max_locks_per_transaction')")
[ -n "$limits" ] || fail "cannot read the primary's connection and lock limits"
cat >"$STANDBY/data/postgresql.conf" <<EOF
port = $STANDBY_PORT
listen_addresses = ''
unix_socket_directories = '$STANDBY'
hot_standby = on
fsync = off
$limits
EOF
printf 'local all all trust\n' >"$STANDBY/data/pg_hba.conf"
: >"$STANDBY/data/pg_ident.conf"
chown "$SERVER_OWNER" "$STANDBY/data/postgresql.conf" "$STANDBY/data/pg_hba.conf" "$STANDBY/data/pg_ident.conf"
as_owner "$SERVER_BINDIR/pg_ctl" start -D "$STANDBY/data" -w -l "$STANDBY/standby.log" >/dev/null ||
    fail "the standby did not start: $(tail -n 5 "$STANDBY/standby.log")"
standby_dsn="host=$STANDBY port=$STANDBY_PORT user=${PGUSER:-$SERVER_OWNER} dbname=$DB"
standby_sql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$standby_dsn" "$@"; }

recovering=$(standby_sql -c "SELECT pg_is_in_recovery()")
[ "$recovering" = t ] || fail "the standby is not in recovery (pg_is_in_recovery: $recovering)"

# Loaded after the base backup: these documents reach the standby only by
# streaming replication.
"$CLARA_STREAM" load "$WORK/after.jsonl" --quiet
target=$(sql -c "SELECT pg_current_wal_lsn()")
[ -n "$target" ] || fail "no WAL position on the primary"
replayed=f
for _ in $(seq 1 600); do
    replayed=$(standby_sql -c "SELECT coalesce(pg_last_wal_replay_lsn() >= '$target'::pg_lsn, false)")
    [ "$replayed" = t ] && break
    sleep 0.1
done
[ "$replayed" = t ] || fail "the standby did not replay up to $target in 60 s"
receiver=$(standby_sql -c "SELECT status FROM pg_stat_wal_receiver")
[ "$receiver" = streaming ] || fail "the standby's WAL receiver is '$receiver', not streaming"
n=$(standby_sql -c "SELECT count(*) FROM clara_documents")
[ "$n" -eq 3000 ] || fail "the standby has $n documents, expected 3000"
pass "pg_basebackup -R standby: streaming, replayed to $target, 3000 documents"

# The same exports on both: keyword, the default hybrid search, a filter.
query="Genehmigung Bescheid Verwaltungsrecht Baurecht"
export_pair() {  # name, clara-stream arguments..., then the SQL arguments after the query
    local name=$1 rest=$2
    shift 2
    "$CLARA_STREAM" --query "$query" "$@" --output "$WORK/$name.primary.jsonl" --quiet ||
        fail "$name: export on the primary failed"
    "$CLARA_STREAM" --dsn "$standby_dsn" --query "$query" "$@" --output "$WORK/$name.standby.jsonl" --quiet ||
        fail "$name: export on the standby failed"
    reference_copy "$query" "$rest" >"$WORK/$name.primary.copy"
    PGCLIENTENCODING=UTF8 psql -qX -v ON_ERROR_STOP=1 -d "$standby_dsn" -v q="$query" >"$WORK/$name.standby.copy" <<SQL ||
COPY (SELECT clara_stream_jsonl(:'q', $rest)) TO STDOUT WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
SQL
        fail "$name: psql COPY on the standby failed"
    local lines_primary
    lines_primary=$(lines "$WORK/$name.primary.jsonl")
    [ "$lines_primary" -gt 100 ] || fail "$name: only $lines_primary lines on the primary"
    check_jsonl "$WORK/$name.standby.jsonl"
    cmp -s "$WORK/$name.primary.jsonl" "$WORK/$name.standby.jsonl" ||
        fail "$name: clara-stream's export on the standby differs from the primary's"
    cmp -s "$WORK/$name.primary.copy" "$WORK/$name.standby.copy" ||
        fail "$name: psql COPY of clara_stream_jsonl on the standby differs from the primary's"
    cmp -s "$WORK/$name.primary.jsonl" "$WORK/$name.primary.copy" ||
        fail "$name: clara-stream's export differs from psql COPY on the primary"
    pass "$name: $lines_primary lines, byte-identical on primary and standby (clara-stream and psql COPY)"
}
export_pair keyword "2000, 0.3, search_types => '{keyword}'" --top-k 2000 --min-quality 0.3 --search-types keyword
export_pair hybrid "2000, 0.3" --top-k 2000 --min-quality 0.3
export_pair filtered "1000, 0.0, filters => '{\"domain\": \"verwaltungsrecht\"}'" \
    --top-k 1000 --min-quality 0 --domain verwaltungsrecht
# Duplicate filtering reads the clusters (logged), never the lookup keys
# (unlogged, so a standby cannot read them).
export_pair near "2000, 0.3, search_types => '{keyword}', dedup => 'near'" \
    --top-k 2000 --min-quality 0.3 --search-types keyword --dedup near

# Loading is the primary's: the standby refuses it with an error.
expect_exit 5 "$CLARA_STREAM" load --dsn "$standby_dsn" "$WORK/after.jsonl" --quiet
stderr_has "read-only"
pass "a load on the standby is refused (read-only transaction)"

# Promoted, the standby takes writes. Its duplicate lookup keys (an unlogged
# table: empty on a standby and after promotion) are filled again by its
# first writing statement: a copy of a replicated document joins that
# document's cluster, and the keys are as many as the primary's.
as_owner "$SERVER_BINDIR/pg_ctl" promote -D "$STANDBY/data" -w >/dev/null || fail "pg_ctl promote failed"
recovering=$(standby_sql -c "SELECT pg_is_in_recovery()")
[ "$recovering" = f ] || fail "the promoted standby is still in recovery"
n=$(standby_sql -c "SELECT count(*) FROM clara_dedup_bands")
[ "$n" -eq 0 ] || fail "the promoted standby has $n duplicate keys before its first write (unlogged: 0 expected)"
original=$(standby_sql -c "SELECT document_id FROM clara_documents ORDER BY doc_key LIMIT 1 OFFSET 1500")
[ -n "$original" ] || fail "no document to copy on the promoted standby"
joined=$(store_copy standby_sql "$original" "copy-$original")
[ "$joined" -eq 1 ] || fail "a copy of $original written on the promoted standby is not in its cluster"
keys=$(standby_sql -c "SELECT count(*) FROM clara_dedup_bands")
primary_keys=$(sql -c "SELECT count(*) FROM clara_dedup_bands")
[ "$keys" -gt 1000 ] && [ "$keys" -eq "$primary_keys" ] ||
    fail "the promoted standby holds $keys duplicate keys after its first write, the primary $primary_keys"
pass "promoted: the first write filled the duplicate keys again ($keys, as on the primary); a copy joins its cluster"
