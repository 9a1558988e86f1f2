#!/usr/bin/env bash
# clara-stream's exit codes: bad flags 2, unreachable server 3, database
# without the extension 4, server error 5, output error 6.
set -euo pipefail
TEST=client_errors
source "$(dirname "$0")/lib/client.bash"

new_database

# 2: bad flags, caught before connecting.
expect_exit 2 "$CLARA_STREAM" --output "$WORK/x.jsonl"
stderr_has "--query and --output (or --output-dir) are required"
expect_exit 2 "$CLARA_STREAM" --query x
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --top-k many
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --top-k 0
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --min-quality 1.5
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --no-such-flag
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --filter domain
stderr_has "expected key=value"
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --domain a --filter domain=b
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --weights keyword=high
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --search-types keyword,,graph
expect_exit 2 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --dsn "nonsense ="
stderr_has "invalid connection string"
expect_exit 2 "$CLARA_STREAM" load
expect_exit 2 "$CLARA_STREAM" load "$WORK/x.jsonl" --on-error maybe
expect_exit 2 "$CLARA_STREAM" stats
expect_exit 2 "$CLARA_STREAM" generate
expect_exit 0 "$CLARA_STREAM" --help
[ ! -e "$WORK/x.jsonl" ] && [ ! -e "$WORK/x.jsonl.partial" ] || fail "a usage error created a file"
pass "bad flags: exit 2"

# 3: nothing listens / no such database; one line on stderr.
expect_exit 3 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --dsn "host=127.0.0.1 port=1 connect_timeout=5"
stderr_has "cannot connect"
[ "$(wc -l <"$WORK/stderr")" -eq 1 ] || fail "connection error is not one line: $(cat "$WORK/stderr")"
expect_exit 3 "$CLARA_STREAM" stats --query x --dsn "dbname=clara_no_such_database_$$"
CLARA_DSN="dbname=clara_no_such_database_$$" expect_exit 3 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl"
# --dsn wins over CLARA_DSN
CLARA_DSN="host=127.0.0.1 port=1" expect_exit 0 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --dsn "dbname=$DB"
rm -f "$WORK/x.jsonl"
pass "unreachable server / unknown database: exit 3; --dsn over CLARA_DSN"

# 4: the database has no clara extension.
bare="${DB}_bare"
createdb "$bare"
trap 'dropdb --if-exists "$bare" 2>/dev/null || true; cleanup' EXIT
echo '{"document_id":"a","content":"x"}' >"$WORK/one.jsonl"
expect_exit 4 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --dsn "dbname=$bare"
stderr_has "CREATE EXTENSION clara"
expect_exit 4 "$CLARA_STREAM" stats --query x --dsn "dbname=$bare"
expect_exit 4 "$CLARA_STREAM" load "$WORK/one.jsonl" --dsn "dbname=$bare"
pass "missing extension: exit 4"

# 5: the server rejects the arguments (its message and SQLSTATE come through).
expect_exit 5 "$CLARA_STREAM" --query "   " --output "$WORK/x.jsonl"
stderr_has "query must not be empty"
expect_exit 5 "$CLARA_STREAM" --query x --output "$WORK/x.jsonl" --search-types keyword,colour
stderr_has "unknown search type"
expect_exit 5 "$CLARA_STREAM" stats --query x --filter created_after=yesterday-ish
[ ! -e "$WORK/x.jsonl" ] && [ ! -e "$WORK/x.jsonl.partial" ] || fail "a server error left a file"
pass "server errors: exit 5"

# 6: the output cannot be written; the input cannot be read.
touch "$WORK/not-a-dir"
expect_exit 6 "$CLARA_STREAM" --query x --output "$WORK/not-a-dir/x.jsonl"
expect_exit 6 "$CLARA_STREAM" load "$WORK/does-not-exist.jsonl"
pass "I/O errors: exit 6"
