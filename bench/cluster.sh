#!/usr/bin/env bash
# The benchmark's own PostgreSQL 15 cluster, kept between runs so the corpora
# (minutes to load at 1M documents) are loaded once and reused.
#   bench/cluster.sh start   create it if needed, start it, print its PG* settings
#   bench/cluster.sh stop    stop it (the data stays)
#   bench/cluster.sh env     print the PG* settings (for eval)
# As root it lives in /var/tmp/clara-bench and belongs to postgres (initdb
# refuses root); as a normal user in $HOME/.cache/clara-bench. Default server
# settings (as a fresh Debian install), local socket only.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
BENCH_PORT=${CLARA_BENCH_PORT:-54399}
if [ "$(id -u)" -eq 0 ]; then
    BENCH_DIR=${CLARA_BENCH_DIR:-/var/tmp/clara-bench}
    DB_USER=postgres
    as_db_user() { runuser -u postgres -- "$@"; }
else
    BENCH_DIR=${CLARA_BENCH_DIR:-$HOME/.cache/clara-bench}
    DB_USER=$(id -un)
    as_db_user() { "$@"; }
fi
PGDATA_DIR=$BENCH_DIR/pgdata

print_env() {
    echo "export PGHOST=$BENCH_DIR PGPORT=$BENCH_PORT PGUSER=$DB_USER"
    echo "unset PGDATABASE PGPASSWORD CLARA_DSN"
}

case "${1:-start}" in
start)
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        mkdir -p "$BENCH_DIR"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$BENCH_DIR"
        as_db_user "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$DB_USER" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
        echo "bench cluster: created $PGDATA_DIR" >&2
    fi
    if ! as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$BENCH_DIR/postgresql.log" \
            -o "-p $BENCH_PORT -k $BENCH_DIR -c listen_addresses=''" start >/dev/null
        echo "bench cluster: started on socket $BENCH_DIR port $BENCH_PORT" >&2
    fi
    print_env
    ;;
stop)
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop
    fi
    ;;
env)
    print_env
    ;;
*)
    echo "usage: bench/cluster.sh start|stop|env" >&2
    exit 2
    ;;
esac
