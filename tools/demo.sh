#!/usr/bin/env bash
# make demo: from a fresh clone to a real export.
#   dependencies (apt) -> build -> install the extension -> a local cluster
#   (or the server your PG* variables / CLARA_DSN point at) -> sample corpus
#   -> load -> the seed's quick-start query -> data/training.jsonl
# Safe to run again: the cluster is reused, an unchanged corpus loads nothing.
# make demo-stop (tools/demo.sh stop) stops the local cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

PG_BIN=/usr/lib/postgresql/15/bin
DEMO_PORT=${DEMO_PORT:-54329}
DEMO_DOCS=${DEMO_DOCS:-20000}
DEMO_DB=clara_demo
# initdb and pg_ctl refuse to run as root, and the postgres user cannot enter
# a 0700 home directory: as root the cluster lives under /var/tmp and belongs
# to postgres; as a normal user it lives in the clone.
if [ "$(id -u)" -eq 0 ]; then
    DEMO_DIR=/var/tmp/clara-demo
    DB_USER=postgres
    as_db_user() { runuser -u postgres -- "$@"; }
else
    DEMO_DIR=$repo/.demo
    DB_USER=$(id -un)
    as_db_user() { "$@"; }
fi
PGDATA_DIR=$DEMO_DIR/pgdata
SOCKET_DIR=$DEMO_DIR
step() { printf '\n== %s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

stop_cluster() {
    if [ -f "$PGDATA_DIR/postmaster.pid" ]; then
        as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w stop
    else
        echo "demo: no local demo cluster is running"
    fi
}

if [ "${1:-}" = stop ]; then
    stop_cluster
    exit 0
fi

step "dependencies (Debian packages)"
bash tools/install-deps.sh

step "build"
make -s all client

step "install the extension"
if [ "$(id -u)" -eq 0 ]; then
    make -s install
elif command -v sudo >/dev/null; then
    sudo make -s install
else
    die "installing the extension into PostgreSQL's directories needs root or sudo"
fi
CLIENT=$repo/build/clara-stream

step "database"
if [ -n "${CLARA_DSN:-}" ] || [ -n "${PGHOST:-}${PGPORT:-}${PGDATABASE:-}" ]; then
    DSN=${CLARA_DSN:-}
    echo "using the server from ${CLARA_DSN:+CLARA_DSN}${CLARA_DSN:-PG* variables}"
    psql -X ${DSN:+"$DSN"} -qAt -c "SELECT 1" >/dev/null || die "cannot connect to the server given by CLARA_DSN / PG*"
    PGOPTIONS="-c client_min_messages=warning" psql -X ${DSN:+"$DSN"} -q -c "CREATE EXTENSION IF NOT EXISTS clara" \
        -c "ALTER EXTENSION clara UPDATE" || die "cannot create (or update) the clara extension there"
else
    if [ ! -f "$PGDATA_DIR/PG_VERSION" ]; then
        mkdir -p "$DEMO_DIR"
        [ "$(id -u)" -eq 0 ] && chown postgres: "$DEMO_DIR"
        as_db_user "$PG_BIN/initdb" -D "$PGDATA_DIR" -U "$DB_USER" -E UTF8 --locale=C.UTF-8 -A trust >/dev/null
        echo "created a cluster in $PGDATA_DIR (local socket only, no TCP)"
    fi
    if ! as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1; then
        as_db_user "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -w -l "$DEMO_DIR/postgresql.log" \
            -o "-p $DEMO_PORT -k $SOCKET_DIR -c listen_addresses=''" start >/dev/null
        echo "started PostgreSQL 15 on socket $SOCKET_DIR, port $DEMO_PORT (log: $DEMO_DIR/postgresql.log)"
    else
        echo "reusing the running cluster in $PGDATA_DIR"
    fi
    admin="host=$SOCKET_DIR port=$DEMO_PORT user=$DB_USER dbname=postgres"
    if [ "$(psql -X "$admin" -qAt -c "SELECT count(*) FROM pg_database WHERE datname = '$DEMO_DB'")" = 0 ]; then
        psql -X "$admin" -q -c "CREATE DATABASE $DEMO_DB"
    fi
    DSN="host=$SOCKET_DIR port=$DEMO_PORT user=$DB_USER dbname=$DEMO_DB"
    # An older installed version is updated in place (its documents stay).
    PGOPTIONS="-c client_min_messages=warning" psql -X "$DSN" -q -v ON_ERROR_STOP=1 \
        -c "CREATE EXTENSION IF NOT EXISTS clara" -c "ALTER EXTENSION clara UPDATE"
fi

mkdir -p data
step "sample corpus: $DEMO_DOCS generated documents"
"$CLIENT" generate --docs "$DEMO_DOCS" --seed 42 --output data/sample_corpus.jsonl
ls -l data/sample_corpus.jsonl

step "load (derives quality, tokens and the BM25 index)"
"$CLIENT" load data/sample_corpus.jsonl ${DSN:+--dsn "$DSN"}
# Index-only candidate checks need the visibility map.
psql -X ${DSN:+"$DSN"} -q -c "VACUUM ANALYZE clara_documents"

step "export: the seed's quick start"
echo '$ clara-stream --query "Verwaltungsrecht Photovoltaik" --output data/training.jsonl'
"$CLIENT" --query "Verwaltungsrecht Photovoltaik" --output data/training.jsonl ${DSN:+--dsn "$DSN"}

step "what was written"
/usr/bin/python3 - data/training.jsonl <<'PY'
import json, sys
path = sys.argv[1]
lines = [json.loads(l) for l in open(path, encoding="utf-8")]
ids = {d["document_id"] for d in lines}
size = sum(len(json.dumps(d, ensure_ascii=False)) + 1 for d in lines)
print(f"{path}: {len(lines)} documents, every line parses, {len(ids)} distinct ids, about {size / 1e6:.1f} MB")
if lines:
    q = [d["quality_score"] for d in lines]
    print(f"quality_score {min(q):.3f} .. {max(q):.3f}; relevance {lines[-1]['relevance_score']:.3f} .. {lines[0]['relevance_score']:.3f}")
    first = dict(lines[0])
    first["text"] = first["text"][:160].replace("\n", " ") + " ..."
    print("first line (text shortened):")
    print(json.dumps(first, ensure_ascii=False, indent=2))
PY
echo
"$CLIENT" stats --query "Verwaltungsrecht Photovoltaik" --top-k 1000 ${DSN:+--dsn "$DSN"}
echo
echo "demo: done. Stop the local cluster with: make demo-stop"
