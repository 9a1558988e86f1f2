#!/usr/bin/env bash
# PostgreSQL users' habits (issue 16): psql's -h/-p/-U/-d on every
# subcommand that connects, over --dsn / $CLARA_DSN; --help lists the exit
# codes and the environment; `| head -1` ends the export quietly; one
# version number for the client, the Python package and the extension.
set -euo pipefail
TEST=client_habits
source "$(dirname "$0")/lib/client.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

new_database
"$CLARA_STREAM" generate --docs 3000 --seed 16 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet
query="Verwaltungsrecht Photovoltaik Genehmigung"

# 1. -h is --host now, not help.
expect_exit 2 "$CLARA_STREAM" -h
stderr_has "--host"
expect_exit 0 "$CLARA_STREAM" --help
pass "-h is no longer help; --help is"

# 2. The flags override the fields of a connection string that points
# elsewhere: $CLARA_DSN, then --dsn; PGDATABASE is not what makes it work.
host=${PGHOST:-localhost} port=${PGPORT:-5432} user=${PGUSER:-$(id -un)}
elsewhere="host=127.0.0.1 port=1 user=clara_no_such_role dbname=clara_no_such_database"
export CLARA_DSN=$elsewhere
unset PGDATABASE
expect_exit 0 "$CLARA_STREAM" --query "$query" --output "$WORK/flags.jsonl" -h "$host" -p "$port" -U "$user" -d "$DB"
n=$(lines "$WORK/flags.jsonl")
[ "$n" -gt 0 ] || fail "-h/-p/-U/-d over CLARA_DSN exported nothing"
expect_exit 0 "$CLARA_STREAM" --query "$query" --output "$WORK/long.jsonl" --dsn "$elsewhere" \
    --host "$host" --port "$port" --username "$user" --dbname "$DB"
cmp -s "$WORK/flags.jsonl" "$WORK/long.jsonl" || fail "long flags over --dsn: a different export"
expect_exit 0 "$CLARA_STREAM" stats --query "$query" --json -h "$host" -p "$port" -U "$user" -d "$DB"
stats_total=$("$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["total_documents"])' <"$WORK/stdout")
[ "$stats_total" = "$n" ] || fail "stats with flags: $stats_total documents, the export had $n"
echo '{"document_id":"habits-1","content":"Ein Dokument, das mit -d geladen wurde, über die Flaggen."}' \
    >"$WORK/one.jsonl"
expect_exit 0 "$CLARA_STREAM" load "$WORK/one.jsonl" --quiet -h "$host" -p "$port" -U "$user" -d "$DB"
loaded=$(sql -c "SELECT count(*) FROM clara_documents WHERE document_id = 'habits-1'")
[ "$loaded" = 1 ] || fail "load -d $DB did not load into $DB"
pass "-h/-p/-U/-d override CLARA_DSN and --dsn: export ($n lines), stats, load"

# Each flag alone overrides its field: a wrong one fails the connection (3).
unset CLARA_DSN
good="host=$host port=$port user=$user dbname=$DB"
expect_exit 3 "$CLARA_STREAM" --query "$query" --output "$WORK/x.jsonl" --dsn "$good" -p 1
expect_exit 3 "$CLARA_STREAM" stats --query "$query" --dsn "$good" -U clara_no_such_role
stderr_has "clara_no_such_role"
expect_exit 3 "$CLARA_STREAM" stats --query "$query" --dsn "$good" -d clara_no_such_database
stderr_has "clara_no_such_database"
expect_exit 3 "$CLARA_STREAM" stats --query "$query" --dsn "$good" -h /nonexistent/socket/dir
[ ! -e "$WORK/x.jsonl" ] && [ ! -e "$WORK/x.jsonl.partial" ] || fail "a failed connection left a file"
# psql's -d with a connection string; given twice (with --dsn) is a usage error.
expect_exit 0 "$CLARA_STREAM" stats --query "$query" -d "$good"
expect_exit 2 "$CLARA_STREAM" stats --query "$query" -d "$good" --dsn "$good"
stderr_has "not both"
pass "-p / -U / -d / -h each override their field of --dsn (exit 3); -d takes a connection string"

# serve: the same flags.
CLARA_DSN=$elsewhere "$CLARA_STREAM" serve --listen 127.0.0.1:0 -h "$host" -p "$port" -U "$user" -d "$DB" \
    2>"$WORK/serve.log" &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true; cleanup' EXIT
url=""
for _ in $(seq 100); do
    url=$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9]*\) .*|\1|p' "$WORK/serve.log")
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || fail "serve exited: $(cat "$WORK/serve.log")"
    sleep 0.1
done
[ -n "$url" ] || fail "serve did not start: $(cat "$WORK/serve.log")"
health=$(curl -s -o "$WORK/health" -w '%{http_code}' "$url/health")
[ "$health" = 200 ] || fail "serve -h/-p/-U/-d: /health $health: $(cat "$WORK/health")"
kill "$serve_pid"
wait "$serve_pid" || true
pass "serve -h/-p/-U/-d over CLARA_DSN: /health 200"
export PGDATABASE=$DB

# 3. --help ends with the exit codes (every one in exit_code.hpp) and the
# environment variables the client reads; so does a subcommand's.
for cmd in "" load stats serve; do
    # shellcheck disable=SC2086
    expect_exit 0 "$CLARA_STREAM" $cmd --help
    cp "$WORK/stdout" "$WORK/help"
    grep -q "^Exit codes:" "$WORK/help" || fail "$cmd --help: no exit codes"
    codes=$(sed -n 's/^ *\([a-z_]*\) = \([0-9]*\),.*/\2/p' "$ROOT/client/exit_code.hpp")
    [ -n "$codes" ] || fail "no exit codes read from exit_code.hpp"
    for code in $codes; do
        grep -qE "^ +$code  " "$WORK/help" || fail "$cmd --help does not list exit code $code"
        grep -qE "^\| $code \|" "$ROOT/docs/cli.md" || fail "docs/cli.md does not list exit code $code"
    done
    vars=$(grep -rhoE 'getenv\("[A-Z_]+"\)' "$ROOT/client" | sed 's/getenv("\(.*\)")/\1/' | sort -u)
    [ -n "$vars" ] || fail "no getenv calls found in client/"
    for var in $vars PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD; do
        grep -qw "$var" "$WORK/help" || fail "$cmd --help does not mention \$$var"
    done
done
pass "--help (and load/stats/serve --help) list every exit code and the environment variables"

# 4. A reader that stops early: no message, exit 141, nothing left behind.
rc=$({ "$CLARA_STREAM" --query "$query" --top-k 3000 --min-quality 0 --output - 2>"$WORK/pipe.err"; echo $? >"$WORK/pipe.rc"; } | head -1 >"$WORK/first.jsonl"; cat "$WORK/pipe.rc")
[ "$rc" = 141 ] || fail "export | head -1: exit $rc (stderr: $(cat "$WORK/pipe.err"))"
[ ! -s "$WORK/pipe.err" ] || fail "export | head -1 wrote to stderr: $(cat "$WORK/pipe.err")"
first=$(lines "$WORK/first.jsonl")
[ "$first" = 1 ] || fail "head -1 got $first lines"
rc=$({ "$CLARA_STREAM" generate --docs 20000 --output - 2>"$WORK/pipe.err"; echo $? >"$WORK/pipe.rc"; } | head -1 >/dev/null; cat "$WORK/pipe.rc")
[ "$rc" = 141 ] || fail "generate | head -1: exit $rc (stderr: $(cat "$WORK/pipe.err"))"
[ ! -s "$WORK/pipe.err" ] || fail "generate | head -1 wrote to stderr: $(cat "$WORK/pipe.err")"
# A FIFO as --output is written in place: no FIFO.partial either.
mkfifo "$WORK/fifo"
head -1 <"$WORK/fifo" >/dev/null &
expect_exit 141 "$CLARA_STREAM" --query "$query" --top-k 3000 --min-quality 0 --output "$WORK/fifo"
wait
[ ! -s "$WORK/stderr" ] || fail "export to a closed FIFO wrote to stderr: $(cat "$WORK/stderr")"
leftover=$(find "$WORK" -name '*.partial')
[ -z "$leftover" ] || fail "left behind: $leftover"
# The backend ends once it notices the closed connection: allow it 5 s.
running=1
for _ in $(seq 50); do
    running=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara-stream' AND datname = current_database()")
    [ "$running" = 0 ] && break
    sleep 0.1
done
[ "$running" = 0 ] || fail "$running clara-stream backends still running after the pipe closed"
pass "export / generate | head -1: exit 141, stderr empty, no .partial, no backend left"

# 5. Progress on a terminal (script(1) gives the client a pty): load shows
# bytes of the file's total, percentage and ETA; an export shows --top-k as
# the upper bound it is. On a pipe, as before, only the summary.
command -v script >/dev/null || fail "script(1) (util-linux) is needed for the progress test"
"$CLARA_STREAM" generate --docs 20000 --seed 17 --output "$WORK/big.jsonl" --quiet
size_mb=$("$PYTHON" -c 'import os,sys; print(f"{os.path.getsize(sys.argv[1]) / 1e6:.1f}")' "$WORK/big.jsonl")
script -qec "'$CLARA_STREAM' load '$WORK/big.jsonl' -d '$DB'" "$WORK/load.tty" </dev/null >/dev/null
tr '\r' '\n' <"$WORK/load.tty" >"$WORK/load.lines"
grep -qE "documents  [0-9.]+ of $size_mb MB  [0-9]+%  ETA [0-9]+:[0-9]{2}  [0-9]+/s" "$WORK/load.lines" ||
    fail "load on a terminal: no 'N documents  X of $size_mb MB  P%  ETA m:ss' line: $(head -c 600 "$WORK/load.lines")"
script -qec "'$CLARA_STREAM' --query '$query' --top-k 2500 --min-quality 0 --output - -d '$DB' | (sleep 1; cat >/dev/null)" \
    "$WORK/export.tty" </dev/null >/dev/null
tr '\r' '\n' <"$WORK/export.tty" >"$WORK/export.lines"
grep -qE "[0-9]+ of ≤2500 documents \(--top-k\)  [0-9.]+ MB  ≥[0-9]+%" "$WORK/export.lines" ||
    fail "export on a terminal: no 'N of ≤2500 documents (--top-k) ... ≥P%' line: $(head -c 600 "$WORK/export.lines")"
grep -qE "≥[0-9]+%  ETA ≤[0-9]+:[0-9]{2}" "$WORK/export.lines" ||
    fail "export on a terminal: no ETA once rows arrive: $(head -c 600 "$WORK/export.lines")"
expect_exit 0 "$CLARA_STREAM" load "$WORK/big.jsonl"
if grep -q "ETA" "$WORK/stderr"; then fail "progress drawn on a stderr that is no terminal"; fi
pass "progress on a terminal: load X of $size_mb MB, P%, ETA; export of ≤--top-k with ≥P% and ETA ≤; none on a pipe"

# 6. One version number: clara-stream --version, the Python package's
# clara.__version__ and the extension created here are all clara.control's
# default_version (the Makefile compiles it into the client).
control=$(sed -n "s/^default_version = '\(.*\)'$/\1/p" "$ROOT/extension/clara.control")
[ -n "$control" ] || fail "no default_version in extension/clara.control"
expect_exit 0 "$CLARA_STREAM" --version
client_version=$(cat "$WORK/stdout")
[ "$client_version" = "clara-stream $control" ] ||
    fail "clara-stream --version says '$client_version', clara.control's default_version is $control"
python_version=$(cd "$WORK" && PYTHONPATH="$ROOT/client/python" "$PYTHON" -P -c 'import clara; print(clara.__version__)')
[ "$python_version" = "$control" ] ||
    fail "the Python package's clara.__version__ is '$python_version', clara.control's default_version is $control"
extension_version=$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'clara'")
[ "$extension_version" = "$control" ] ||
    fail "CREATE EXTENSION clara made version '$extension_version', clara.control's default_version is $control"
pass "one version: clara-stream --version, clara.__version__ and the extension are $control"
