#!/usr/bin/env bash
# Clara's benchmark, one command.
#
#   bench/run.sh            (make bench) the full run on the server given by PG*
#                           variables, or with --cluster on the benchmark's own
#                           persistent cluster (bench/cluster.sh): corpora of 10K,
#                           100K and 1M generated documents (loaded once, reused),
#                           every variant at top_k 1K, 5K, 10K, 100K and all
#                           matches at 1M, load throughput on 100K, a perf profile
#                           of the backend; results in bench/results/.
#   bench/run.sh --smoke    (make bench-smoke, CI) 10K corpus, top_k 100, 1K and
#                           all matches, one run each, every output fully checked,
#                           a 2K-document load, the write section at a tiny
#                           size; fails on any wrong output.
#
# The write section (bench/clara_bench/write.py, issue 13) runs after the
# exports in both: bulk loads three ways, single-row INSERTs at ~2 and ~10 KB,
# four concurrent writers, query latency after trickled INSERTs vs after
# clara_compact(); a few minutes at the default sizes.
#
# Environment: BENCH_SIZES ("10000 100000 1000000"), BENCH_RUNS (3),
# BENCH_TOP_K (1000,5000,10000,100000), BENCH_LOAD_RUNS (3), BENCH_PROFILE (1),
# BENCH_RELOAD=1 (load the corpora again); the write section: BENCH_WRITE_DOCS
# (20000 per bulk load; 0 skips the section), BENCH_WRITE_SINGLE (2000
# single-row INSERTs, and per concurrent writer), BENCH_WRITE_SECONDS (30, the
# limit of each single-row measurement). Other arguments go to bench/run.py.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
cluster=0
extra=()
for arg in "$@"; do
    case $arg in
    --smoke) mode=smoke ;;
    --cluster) cluster=1 ;;
    *) extra+=("$arg") ;;
    esac
done
log() { echo "bench: $*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi; }

make -s all client build/rss_exec build/derive_speed

if [ "$mode" = full ]; then
    # The plot needs gnuplot; the profile needs perf (Debian: linux-perf).
    need=()
    command -v gnuplot >/dev/null || need+=(gnuplot-nox)
    [ "${BENCH_PROFILE:-1}" = 1 ] && ! command -v perf >/dev/null && need+=(linux-perf)
    if [ ${#need[@]} -gt 0 ]; then
        log "installing ${need[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null ||
            log "could not install ${need[*]}: no plot / no profile"
    fi
    # Measure the extension as built here: install it when the server's copy differs.
    libdir=$(pg_config --pkglibdir)
    if ! cmp -s clara.so "$libdir/clara.so"; then
        log "installing the extension (the server's clara.so differs from ./clara.so)"
        as_root make -s install >/dev/null
    fi
fi

if [ "$cluster" = 1 ]; then
    eval "$(bash bench/cluster.sh start)"
fi
psql -qXAt -d postgres -c "SELECT 1" >/dev/null || { log "cannot connect to the server (PG* variables)"; exit 1; }

if [ "$mode" = smoke ]; then
    db=$(bash bench/corpus.sh 10000)
    out=$(mktemp -d)
    trap 'rm -rf "$out"' EXIT
    status=0
    /usr/bin/python3 bench/run.py "$db" --top-k 100,1000,100000 --runs 1 --validate all \
        --chunked-top-k 100,1000 \
        --load-docs 2000 --load-runs 1 --out "$out" --work-dir "$out/work" --no-plot \
        --write-docs 1000 --write-single 100 --write-seconds 10 --write-real-docs 300 --write-query-runs 3 \
        "${extra[@]}" || status=$?
    [ -f "$out/latest.md" ] && cat "$out/latest.md"
    [ "$status" -eq 0 ] && log "smoke passed" || log "smoke FAILED"
    exit "$status"
fi

stamp=$(date +%Y%m%d-%H%M%S)
dbs=()
for n in ${BENCH_SIZES:-10000 100000 1000000}; do
    dbs+=("$(bash bench/corpus.sh "$n")")
done
status=0
/usr/bin/python3 bench/run.py "${dbs[@]}" --stamp "$stamp" --runs "${BENCH_RUNS:-3}" \
    --top-k "${BENCH_TOP_K:-1000,5000,10000,100000}" --load-runs "${BENCH_LOAD_RUNS:-3}" \
    --write-docs "${BENCH_WRITE_DOCS:-20000}" --write-single "${BENCH_WRITE_SINGLE:-2000}" \
    --write-seconds "${BENCH_WRITE_SECONDS:-30}" \
    "${extra[@]}" || status=$?

# Where the time goes: perf on the backend of the bulk export, the top_k 5K
# export (time to first document is its ranking), the load and single-row
# INSERTs.
if [ "${BENCH_PROFILE:-1}" = 1 ] && command -v perf >/dev/null; then
    profile_db=clara_bench_100000
    printf '%s\n' "${dbs[@]}" | grep -qx "$profile_db" || profile_db=${dbs[-1]}
    prof=bench/results/$stamp-perf.txt
    {
        /usr/bin/python3 bench/profile.py export --db "$profile_db" --top-k 100000
        echo
        /usr/bin/python3 bench/profile.py export --db "$profile_db" --top-k 5000 --repeat 20
        echo
        /usr/bin/python3 bench/profile.py load --docs 100000
        echo
        /usr/bin/python3 bench/profile.py insert --docs 2000
    } >"$prof" 2>&1 || log "profiling failed (see $prof)"
    log "perf profiles in $prof"
fi
exit "$status"
