#!/usr/bin/env bash
# make test: build, install, then every test against a throwaway PostgreSQL 15
# cluster made by pg_virtualenv (works as root or as a normal user) and
# dropped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG

echo "== build"
make -s all PG_CONFIG="$PG_CONFIG"

echo "== core unit tests (GoogleTest)"
make -s core-tests

echo "== install the extension"
if [ "$(id -u)" -eq 0 ]; then
    make -s install PG_CONFIG="$PG_CONFIG"
else
    sudo make -s install PG_CONFIG="$PG_CONFIG"
fi

echo "== tests against a throwaway cluster"
mkdir -p build/regress
pg_virtualenv -v 15 -- bash tests/in_cluster.sh
