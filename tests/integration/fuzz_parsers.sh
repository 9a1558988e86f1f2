#!/usr/bin/env bash
# The libFuzzer targets (build/fuzz/<target>, make fuzz-build; sources and
# seeds in tests/fuzz/) for CLARA_FUZZ_SECONDS in all (default 60: a quarter
# each), one after the other. Prints each target's executions, speed, corpus
# and crashes; fails when a target finds a crash, a sanitizer report, a
# timeout or a broken invariant (libFuzzer exits non-zero). The input that
# did it is kept in build/fuzz/crashes/ with the command that replays it.
# The corpus each target grows is kept in build/fuzz/corpus/<target>, so
# longer runs (make fuzz) build on each other. Needs no database.
set -uo pipefail
TEST=fuzz_parsers
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
fail() { echo "$TEST: FAIL: $*" >&2; exit 1; }

make -s fuzz-build >/dev/null || fail "make fuzz-build failed (clang-14 and libclang-rt-14-dev: tools/install-deps.sh)"

targets=(load_document request http_server text)
total=${CLARA_FUZZ_SECONDS:-60}
each=$(( total / ${#targets[@]} ))
[ "$each" -ge 1 ] || each=1
mkdir -p build/fuzz/crashes
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

status=0 summary=()
for t in "${targets[@]}"; do
    corpus=build/fuzz/corpus/$t
    mkdir -p "$corpus"
    opts=(-max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
          -artifact_prefix="build/fuzz/crashes/$t-")
    case $t in
        # Longer inputs find nothing more here and are slower per run.
        http_server) opts+=(-max_len=16384 -dict=tests/fuzz/http.dict -close_fd_mask=2) ;;  # no access log
        *) opts+=(-max_len=8192) ;;
    esac
    rc=0
    ./build/fuzz/"$t" "${opts[@]}" "$corpus" "tests/fuzz/corpus/$t" >"$WORK/$t.log" 2>&1 || rc=$?
    stat() { sed -n "s/^stat::$1: *//p" "$WORK/$t.log" | tail -1; }
    runs=$(stat number_of_executed_units) speed=$(stat average_exec_per_sec)
    units=$(ls "$corpus" | wc -l)
    if [ "$rc" -eq 0 ]; then
        line="$t: ${runs:-?} executions in $each s (${speed:-?}/s), corpus $units, 0 crashes"
    else
        status=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$WORK/$t.log" | tail -1)
        line="$t: CRASH after ${runs:-?} executions (libFuzzer exit $rc): ${artifact:-no input written}"
        grep -E 'ERROR: |invariant broken|SUMMARY|runtime error' "$WORK/$t.log" | head -5 | sed 's/^/    /'
        [ -n "$artifact" ] && echo "    replay: ./build/fuzz/$t $artifact"
    fi
    echo "$TEST: $line"
    summary+=("$line")
done
[ "$status" -eq 0 ] || fail "a target crashed (inputs in build/fuzz/crashes/)"
echo "$TEST: ok: $(IFS=';'; echo "${summary[*]}" | sed 's/;/; /g')"
