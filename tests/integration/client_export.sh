#!/usr/bin/env bash
# clara-stream export: byte-identical to psql's COPY of the same call, every
# line a training line, exact counts, stdout, the seed's flags, and Ctrl-C /
# SIGTERM leaving neither a file nor a running query behind.
set -euo pipefail
TEST=client_export
source "$(dirname "$0")/lib/client.bash"

new_database
"$CLARA_STREAM" generate --docs 4000 --seed 11 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet

# 1. Byte-identical to psql's COPY, for the defaults and for every argument.
#    The last query has quotes, backslashes and a newline: it must reach the
#    server as it is (no SQL splicing, no escaping on our side).
nasty=$'Baurecht "Dachanlage" O\'Brien C:\\Verwaltung\\ \\n Photovoltaik\n\tGenehmigung'
check_identical() {
    local name=$1 query=$2 sql_args=$3
    shift 3
    "$CLARA_STREAM" --query "$query" --output "$WORK/$name.jsonl" --quiet "$@"
    reference_copy "$query" "$sql_args" >"$WORK/$name.ref"
    [ -s "$WORK/$name.ref" ] || fail "$name: the reference export is empty (choose a query that matches)"
    cmp -s "$WORK/$name.ref" "$WORK/$name.jsonl" || fail "$name: export differs from psql's COPY"
    check_jsonl "$WORK/$name.jsonl"
    pass "$name: $(lines "$WORK/$name.jsonl") lines, byte-identical to psql COPY, all parse"
}
check_identical defaults "Verwaltungsrecht Photovoltaik" "1000, 0.5, '{}', NULL, NULL, 100"
check_identical seed_advanced "Baurecht Dachanlage" "5000, 0.7, '{\"domain\": \"baurecht\"}', NULL, NULL, 100" \
    --domain baurecht --min-quality 0.7 --top-k 5000
check_identical filters "Genehmigung Bescheid" \
    "50, 0.3, '{\"document_type\": [\"bescheid\", \"urteil\"], \"created_after\": \"2010-01-01\"}', '{keyword}', '{\"keyword\": 1}', 7" \
    --top-k 50 --min-quality 0.3 --filter 'document_type=["bescheid","urteil"]' --filter created_after=2010-01-01 \
    --search-types keyword --weights keyword=1 --batch-size 7
check_identical nasty_query "$nasty" "300, 0.0, '{}', NULL, NULL, 100" --top-k 300 --min-quality 0

# 2. Counts: exactly top_k when more match, exactly the matches when fewer.
matching=$(sql -c "SELECT count(*) FROM clara_search('Genehmigung', 100000, 0.5)")
[ "$matching" -gt 25 ] || fail "expected more than 25 matches for 'Genehmigung', got $matching"
"$CLARA_STREAM" --query Genehmigung --top-k 25 --output "$WORK/k25.jsonl" --quiet
[ "$(lines "$WORK/k25.jsonl")" -eq 25 ] || fail "top_k 25 gave $(lines "$WORK/k25.jsonl") lines"
"$CLARA_STREAM" --query Genehmigung --top-k 100000 --output "$WORK/all.jsonl" --quiet
[ "$(lines "$WORK/all.jsonl")" -eq "$matching" ] || fail "top_k 100000 gave $(lines "$WORK/all.jsonl") lines, $matching match"
ids=$("$PYTHON" -c 'import json,sys; ids=[json.loads(l)["document_id"] for l in open(sys.argv[1])]; print(len(ids)-len(set(ids)))' "$WORK/all.jsonl")
[ "$ids" -eq 0 ] || fail "$ids duplicate documents in one export"
pass "counts: 25 of $matching for top_k 25, all $matching for top_k 100000, no duplicates"

# 3. --output - writes the same bytes to stdout, and no file.
(cd "$WORK" && "$CLARA_STREAM" --query "Verwaltungsrecht Photovoltaik" --output - --quiet >"$WORK/stdout.jsonl")
cmp -s "$WORK/defaults.ref" "$WORK/stdout.jsonl" || fail "--output - differs from psql's COPY"
[ ! -e "$WORK/-" ] && [ ! -e "$WORK/-.partial" ] || fail "--output - created a file"
pass "--output - is byte-identical"

# 4. The summary line on stderr; the file is complete (no .partial left).
"$CLARA_STREAM" --query Genehmigung --top-k 10 --output "$WORK/sub/dir/ten.jsonl" 2>"$WORK/summary"
grep -Eq '^clara-stream: 10 documents, [0-9.]+ MB to .*ten.jsonl in [0-9.]+ s .*first document after [0-9]+ ms$' \
    "$WORK/summary" || fail "unexpected summary: $(cat "$WORK/summary")"
[ ! -e "$WORK/sub/dir/ten.jsonl.partial" ] || fail "a .partial file was left next to a finished export"
pass "summary line, parent directories created"

# 5. A failed export leaves an existing FILE as it was and no .partial.
echo keep >"$WORK/kept.jsonl"
expect_exit 5 "$CLARA_STREAM" --query Genehmigung --filter colour=blue --output "$WORK/kept.jsonl"
stderr_has 'unknown filter key "colour"'
stderr_has 'SQLSTATE 22023'
[ "$(cat "$WORK/kept.jsonl")" = keep ] && [ ! -e "$WORK/kept.jsonl.partial" ] || fail "a failed export touched FILE"
pass "server error: exit 5, FILE untouched"

# 5b. FILE.partial is taken (another export to the same path, or a symlink
#     planted there): refused, nothing written through it; a replaced FILE
#     keeps its permissions.
echo other >"$WORK/busy.jsonl.partial"
expect_exit 6 "$CLARA_STREAM" --query Genehmigung --top-k 5 --output "$WORK/busy.jsonl"
stderr_has "busy.jsonl.partial already exists: another export to"
[ "$(cat "$WORK/busy.jsonl.partial")" = other ] && [ ! -e "$WORK/busy.jsonl" ] || fail "a taken FILE.partial was written"
echo secret >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/linked.jsonl.partial"
expect_exit 6 "$CLARA_STREAM" --query Genehmigung --top-k 5 --output "$WORK/linked.jsonl"
[ "$(cat "$WORK/victim")" = secret ] && [ ! -e "$WORK/linked.jsonl" ] && [ -L "$WORK/linked.jsonl.partial" ] ||
    fail "an export wrote through a symlink at FILE.partial"
echo old >"$WORK/private.jsonl"
chmod 600 "$WORK/private.jsonl"
"$CLARA_STREAM" --query Genehmigung --top-k 5 --output "$WORK/private.jsonl" --quiet
mode=$(stat -c %a "$WORK/private.jsonl")
[ "$mode" = 600 ] && [ "$(lines "$WORK/private.jsonl")" -eq 5 ] || fail "replacing a 0600 FILE gave mode $mode"
pass "FILE.partial taken or a symlink: exit 6, nothing written through it; a replaced FILE keeps mode 600"

# 5c. A 251-byte name: FILE.partial would pass the 255-byte limit, so the
#     partial file gets a cut name with a hash; the CLI and the Python
#     package agree on it (a partial taken under the Python name stops the CLI).
long_name=$(printf 'a%.0s' $(seq 1 235))ääääü.jsonl  # 251 bytes
"$CLARA_STREAM" --query Genehmigung --top-k 5 --output "$WORK/$long_name" --quiet
[ "$(lines "$WORK/$long_name")" -eq 5 ] || fail "a 251-byte file name: no export"
taken=$(PYTHONPATH="$PWD/client/python" "$PYTHON" -P -c 'import sys; from clara._files import partial_path; print(partial_path(sys.argv[1]))' \
    "$WORK/$long_name")
[ -n "$taken" ] && [ "$taken" != "$WORK/$long_name.partial" ] || fail "the Python partial name: '$taken'"
echo other >"$taken"
expect_exit 6 "$CLARA_STREAM" --query Genehmigung --top-k 5 --output "$WORK/$long_name" --quiet
stderr_has "already exists: another export to"
rm -f "$taken"
left=$(ls "$WORK" | grep -c '^aaa.*partial' || true)
[ "$left" -eq 0 ] || fail "a partial file was left: $(ls "$WORK" | grep '^aaa.*partial')"
pass "a 251-byte file name: exported; its partial name is the same in the CLI and Python"

# 5d. Ctrl-C while the reader of stdout has stopped reading: the export
#     ends at once (exit 130), not when the reader drains the pipe.
fifo="$WORK/stalled.fifo"
mkfifo "$fifo"
sleep 60 <"$fifo" &
stalled_reader=$!
"$CLARA_STREAM" --query "Genehmigung Bescheid Verwaltungsrecht" --top-k 100000 --min-quality 0 --output - \
    --quiet >"$fifo" 2>"$WORK/stalled.err" &
pid=$!
for i in $(seq 1 200); do
    [ "$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara-stream'
                 AND wait_event = 'ClientWrite'")" -ge 1 ] && break
    sleep 0.05
done
sleep 0.5  # the client now blocks in write() on the full pipe
kill -INT "$pid"
for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" "$stalled_reader" 2>/dev/null || true
    fail "Ctrl-C with a stalled reader: still running 5 s later"
fi
rc=0
wait "$pid" || rc=$?
kill "$stalled_reader" 2>/dev/null || true
wait "$stalled_reader" 2>/dev/null || true
[ "$rc" -eq 130 ] || fail "Ctrl-C with a stalled reader: exit $rc, expected 130 ($(cat "$WORK/stalled.err"))"
pass "Ctrl-C while stdout's reader has stopped: exit 130 at once"

# 5e. The server ends the session mid-stream (pg_terminate_backend): exit 3,
#     the connection code, not 5 (a rejected query); no file.
out="$WORK/lost.jsonl"
"$CLARA_STREAM" --query "Genehmigung Bescheid Verwaltungsrecht" --top-k 100000 --min-quality 0 --batch-size 1 \
    --output "$out" 2>"$WORK/lost.err" &
pid=$!
for i in $(seq 1 500); do [ -s "$out.partial" ] && break; sleep 0.01; done
kill -STOP "$pid"
[ -s "$out.partial" ] || fail "lost connection: no partial file appeared"
n=$(sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'clara-stream'")
[ "$n" -eq 1 ] || fail "lost connection: $n exports to terminate"
kill -CONT "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" -eq 3 ] || fail "lost connection: exit $rc, expected 3 ($(cat "$WORK/lost.err"))"
[ ! -e "$out" ] && [ ! -e "$out.partial" ] || fail "lost connection: left $(ls "$out"*)"
pass "the server ends the session mid-stream: exit 3, no file ($(head -c 120 "$WORK/lost.err"))"

# 6. A signal mid-stream cancels the query: exit 130 (SIGINT) / 143 (SIGTERM),
#    no FILE, no FILE.partial, no backend still running the query. The client
#    is stopped once its first bytes are on disk, so the server is certainly
#    mid-stream (blocked on a full socket) when the signal arrives.
running_exports() {
    sql -c "SELECT count(*) FROM pg_stat_activity
            WHERE application_name = 'clara-stream' AND query LIKE '%clara_stream_jsonl%'"
}
cancel_mid_stream() {
    local sig=$1 want=$2 out="$WORK/cancel-$1.jsonl" pid rc=0 i
    "$CLARA_STREAM" --query "Genehmigung Bescheid Verwaltungsrecht" --top-k 100000 --min-quality 0 \
        --batch-size 1 --output "$out" 2>"$WORK/cancel.err" &
    pid=$!
    for i in $(seq 1 500); do
        [ -s "$out.partial" ] && break
        sleep 0.01
    done
    kill -STOP "$pid"
    [ -s "$out.partial" ] || fail "$sig: no partial file appeared"
    [ ! -e "$out" ] || fail "$sig: the export finished before it could be interrupted"
    [ "$(running_exports)" -eq 1 ] || fail "$sig: expected the export query to be running"
    kill "-$sig" "$pid"
    kill -CONT "$pid"
    wait "$pid" || rc=$?
    [ "$rc" -eq "$want" ] || fail "$sig: exit $rc, expected $want ($(cat "$WORK/cancel.err"))"
    [ ! -e "$out" ] && [ ! -e "$out.partial" ] || fail "$sig: left $(ls "$out"*)"
    grep -q "no file written" "$WORK/cancel.err" || fail "$sig: stderr: $(cat "$WORK/cancel.err")"
    for i in $(seq 1 50); do
        [ "$(running_exports)" -eq 0 ] && break
        sleep 0.1
    done
    [ "$(running_exports)" -eq 0 ] || fail "$sig: a backend is still running the export query"
    pass "$sig mid-stream: exit $want, no file, no partial, no running query"
}
cancel_mid_stream INT 130
cancel_mid_stream TERM 143
