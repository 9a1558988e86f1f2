#!/usr/bin/env bash
# make test: build (with -Werror), lint, the core tests (plain and under
# ASan + UBSan), install, then every test against a throwaway PostgreSQL 15
# cluster made by pg_virtualenv (works as root or as a normal user) and
# dropped at the end. Ends with one "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
export PG_CONFIG
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Our code stays warning-free: every make below, and the ones the tests run,
# build with -Werror (make reads WERROR from the environment).
export WERROR=1
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (extension, client)"
make -s -j"$jobs" all client PG_CONFIG="$PG_CONFIG" || exit 1

# clang-format and clang-tidy (make lint); a finding fails the run, the
# other suites still run.
echo "== lint"
lint_log=$(mktemp)
make -s -k -j"$jobs" lint >"$lint_log" 2>&1
lint_status=$?
if [ "$lint_status" -eq 0 ]; then
    echo "lint: clean"
else
    # clang-tidy's findings in full, clang-format's counted (make format
    # applies them); anything else (a missing tool) as it came.
    tidy=$(grep -E -A3 '\[(bugprone|performance|clang-diagnostic)-' "$lint_log" | head -n 120)
    format=$(grep -c 'clang-format-violations' "$lint_log")
    [ -n "$tidy" ] && echo "$tidy"
    [ "$format" -gt 0 ] && echo "lint: $format places not in .clang-format's style (make format)"
    [ -n "$tidy" ] || [ "$format" -gt 0 ] || head -n 40 "$lint_log"
    echo "lint: FAILED (make lint)"
fi
rm -f "$lint_log"

echo "== core unit tests (GoogleTest)"
make -s -j"$jobs" build/core_tests || exit 1
./build/core_tests 2>&1 | tee -a "$log"
core_status=${PIPESTATUS[0]}

echo "== core unit tests under AddressSanitizer and UBSan"
make -s -j"$jobs" CORE_SANITIZE=1 build/core_tests_asan || exit 1
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./build/core_tests_asan 2>&1 | tee -a "$log"
asan_status=${PIPESTATUS[0]}

echo "== install the extension"
if [ "$(id -u)" -eq 0 ]; then
    make -s install PG_CONFIG="$PG_CONFIG" || exit 1
else
    sudo make -s install PG_CONFIG="$PG_CONFIG" || exit 1
fi

echo "== tests against a throwaway cluster"
mkdir -p build/regress
# A PG* environment pointing at another server would confuse pg_virtualenv.
# pg_stat_statements lets tests/integration/fdw.sh count remote queries.
env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE -u PGPASSWORD \
    pg_virtualenv -t -v 15 -o shared_preload_libraries=pg_stat_statements -- bash tests/in_cluster.sh 2>&1 | tee -a "$log"
cluster_status=${PIPESTATUS[0]}

# One summary line over all suites.
passed=0 failed=0
# Both GoogleTest runs (plain and sanitized) count.
gtest_passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
gtest_failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | awk '{n += $1} END {print n + 0}')
passed=$((passed + gtest_passed)); failed=$((failed + gtest_failed))
if [ "$lint_status" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
regress_ok=$(grep -cE '^(ok|test) .* \.\.\. ok' "$log")
regress_bad=$(grep -cE '\.\.\. FAILED' "$log")
passed=$((passed + regress_ok)); failed=$((failed + regress_bad))
int_ok=$(grep -c '^PASSED: tests/integration/' "$log")
int_bad=$(grep -c '^FAILED: tests/integration/' "$log")
passed=$((passed + int_ok)); failed=$((failed + int_bad))
if [ "$core_status" -ne 0 ] || [ "$asan_status" -ne 0 ] || [ "$cluster_status" -ne 0 ]; then
    [ "$failed" -eq 0 ] && failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
