#!/usr/bin/env bash
# clara-stream load on over-long lines: every bad line is named by its
# number and skipped with --on-error skip.
set -euo pipefail
TEST=client_load_rejects
source "$(dirname "$0")/lib/client.bash"

new_database
# The ids of the loaded documents, in order.
loaded() { sql -c "SELECT coalesce(string_agg(document_id, ',' ORDER BY document_id), '') FROM clara_documents"; }
long() { head -c "$1" /dev/zero | tr '\0' "$2"; }

# 3. --max-line-bytes: a longer line is a bad line, never held whole.
{
    echo '{"document_id":"m1","content":"kurz"}'
    printf '{"document_id":"m2","content":"%s"}\n' "$(long 3000000 a)"
    echo '{"document_id":"m3","content":"auch kurz"}'
} >"$WORK/long.jsonl"
expect_exit 7 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 1048576
stderr_has "line 2: the line is 3000033 bytes long (--max-line-bytes 1048576)"
expect_exit 0 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 1048576 --on-error skip
stderr_has "3 read, 2 inserted, 0 updated, 0 unchanged, 1 skipped"
expect_exit 0 "$CLARA_STREAM" load "$WORK/long.jsonl"
stderr_has "3 read, 1 inserted, 0 updated, 2 unchanged, 0 skipped"
len=$(sql -c "SELECT length(content) FROM clara_documents WHERE document_id = 'm2'")
[ "$len" -eq 3000000 ] || fail "m2 has $len characters"
expect_exit 2 "$CLARA_STREAM" load "$WORK/long.jsonl" --max-line-bytes 10
pass "--max-line-bytes: a longer line is reported with its number and skipped"
