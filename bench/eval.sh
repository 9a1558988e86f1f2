#!/usr/bin/env bash
# make eval: the ranking evaluation (bench/eval.py) in a throwaway PostgreSQL 15
# cluster, created with bench/cluster.sh in a fresh temporary directory (as root
# it belongs to postgres), removed afterwards. Local socket only, so the port
# (CLARA_EVAL_PORT, default 54398) cannot collide with another server's TCP
# port. Arguments go to bench/eval.py (--sets, --sweep, --max-queries N,
# --corpus-docs N, --out-dir DIR, ...); results in bench/results/eval.{json,md}
# by default. The real sets are built from Debian packages fetched with
# apt-get download into ~/.cache/clara/realsets (CLARA_REALSETS_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
log() { echo "eval: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

bash tools/install-deps.sh >/dev/null
make -s all client
# Evaluate the extension as built here: install it when the server's copy differs.
if ! cmp -s clara.so "$(pg_config --pkglibdir)/clara.so"; then
    log "installing the extension (the server's clara.so differs from ./clara.so)"
    as_root make -s install >/dev/null
fi

if [ "$(id -u)" -eq 0 ]; then
    dir=$(mktemp -d /var/tmp/clara-eval.XXXXXX)
else
    dir=$(mktemp -d "${TMPDIR:-/tmp}/clara-eval.XXXXXX")
fi
export CLARA_BENCH_DIR=$dir CLARA_BENCH_PORT=${CLARA_EVAL_PORT:-54398}
cleanup() {
    bash bench/cluster.sh stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
eval "$(bash bench/cluster.sh start 2>/dev/null)"

/usr/bin/python3 bench/eval.py --dsn "host=$PGHOST port=$PGPORT user=$PGUSER dbname=postgres" "$@"
