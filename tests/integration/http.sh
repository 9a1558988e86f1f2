#!/usr/bin/env bash
# clara-stream serve over loopback, with curl: the stream is byte-identical
# to the CLI export; every error before the first byte is its HTTP status
# with a JSON body; an error after it aborts the chunked transfer; a client
# that goes away cancels its query; a slow reader holds the database back
# with flat server memory; 32 streams run at once.
set -euo pipefail
TEST=http
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/http.bash"
new_http_corpus

start_server main --dsn "dbname=$DB" --pool-size 32 --shutdown-grace 1
MAIN_URL=$URL
MAIN_PID=$SERVER_PID

# 0. A second serve on the port in use is refused (cpp-httplib's
#    SO_REUSEPORT would let it bind and take half of the connections).
rc=0
"$CLARA_STREAM" serve --listen "${MAIN_URL#http://}" --dsn "dbname=$DB" 2>"$WORK/second.err" &
second=$!
for i in $(seq 1 100); do kill -0 "$second" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$second" 2>/dev/null; then
    kill "$second"
    fail "a second serve on ${MAIN_URL#http://} kept running"
fi
wait "$second" || rc=$?
[ "$rc" = 6 ] || fail "a second serve on the same port: exit $rc, expected 6"
grep -q "cannot listen" "$WORK/second.err" || fail "a second serve: no reason given: $(cat "$WORK/second.err")"
pass "a second serve on the port in use exits 6: $(tail -1 "$WORK/second.err")"

# 1. The stream is byte-identical to the CLI export of the same query, for
#    the defaults and for every argument (the last query has quotes,
#    backslashes and a newline).
nasty=$'Baurecht "Dachanlage" O\'Brien C:\\Verwaltung\\ \\n Photovoltaik\n\tGenehmigung'
check_identical() {
    local name=$1 query=$2 top_k=$3 min_quality=$4 extra=$5
    shift 5
    post /api/datasets/stream "$(body "$query" "$top_k" "$min_quality" "$extra")" "$WORK/$name.http"
    [ "$(status)" = 200 ] || fail "$name: HTTP $(status): $(head -c 300 "$WORK/$name.http")"
    "$CLARA_STREAM" --query "$query" --top-k "$top_k" --min-quality "$min_quality" --output "$WORK/$name.cli" \
        --quiet "$@"
    [ -s "$WORK/$name.cli" ] || fail "$name: the CLI export is empty (choose a query that matches)"
    cmp -s "$WORK/$name.cli" "$WORK/$name.http" || fail "$name: HTTP body differs from the CLI export"
    pass "$name: $(lines "$WORK/$name.http") lines, byte-identical to the CLI export"
}
check_identical defaults "Verwaltungsrecht Photovoltaik" 1000 0.5 '{}'
check_identical seed_advanced "Baurecht Dachanlage" 5000 0.7 '{"search_query": {"filters": {"domain": "baurecht"}}}' \
    --domain baurecht
check_identical arguments "Genehmigung Bescheid" 50 0.3 \
    '{"search_query": {"filters": {"document_type": ["bescheid", "urteil"], "created_after": "2010-01-01"},
      "search_types": ["keyword"], "weights": {"keyword": 1}}, "batch_size": 7}' \
    --filter 'document_type=["bescheid","urteil"]' --filter created_after=2010-01-01 --search-types keyword \
    --weights keyword=1 --batch-size 7
check_identical nasty_query "$nasty" 300 0 '{}'
check_identical training "Genehmigung Bescheid" 40 0.3 \
    '{"training": {"format": "prompt-completion", "prompt_template": "Titel: {title}", "split": "validation=0.3",
                   "split_seed": 4}}' \
    --format prompt-completion --prompt-template 'Titel: {title}' --split validation=0.3 --split-seed 4
check_jsonl "$WORK/defaults.http"

# The seed's response: ndjson, chunked, an attachment named after the dataset
# (sanitised: no path, no quotes, no leading dot).
post /api/datasets/stream "$(body Photovoltaik 3 0.5 '{"name": "../../etc/Förder \"daten\""}')" "$WORK/headers.http"
[ "$(header Content-Type)" = "application/x-ndjson" ] || fail "Content-Type: $(header Content-Type)"
[ "$(header Transfer-Encoding)" = "chunked" ] || fail "Transfer-Encoding: $(header Transfer-Encoding)"
[ "$(header Content-Disposition)" = 'attachment; filename="_.._etc_F__rder__daten_.jsonl"' ] ||
    fail "Content-Disposition: $(header Content-Disposition)"
pass "ndjson, chunked, Content-Disposition with the sanitised name"

# Nothing matches: 200 and an empty body (a complete, empty dataset).
post /api/datasets/stream "$(body Photovoltaik 100 0.5 '{"search_query": {"filters": {"domain": "nirgendwo"}}}')" \
    "$WORK/empty.http"
[ "$(status)" = 200 ] && [ ! -s "$WORK/empty.http" ] || fail "empty result: HTTP $(status), $(wc -c <"$WORK/empty.http") bytes"
pass "no match: 200 with an empty body"

# 2. Errors before the first byte: status codes with {"error", "field"}.
post /api/datasets/stream '{"search_query": {"query_text": "x"' "$WORK/e.json"
expect_error 400 null "$WORK/e.json"
# A number past double's range, and bytes that are not UTF-8: 400, not 500.
post /api/datasets/stream '{"search_query": {"query_text": "x", "top_k": 1e309}}' "$WORK/e.json"
expect_error 400 null "$WORK/e.json"
post /api/datasets/stream "$(printf '{"search_query": {"query_text": "x\377\376"}}')" "$WORK/e.json"
expect_error 400 null "$WORK/e.json"
grep -q 'not valid UTF-8' "$WORK/e.json" || fail "invalid UTF-8: $(cat "$WORK/e.json")"
post /api/datasets/stream "$(body x 10 0.5 '{"search_query": {"top_k": "many"}}')" "$WORK/e.json"
expect_error 400 search_query.top_k "$WORK/e.json"
post /api/datasets/stream "$(body x 10 0.5 '{"search_query": {"min_quality_score": 1.5}}')" "$WORK/e.json"
expect_error 400 search_query.min_quality_score "$WORK/e.json"
post /api/datasets/stream '{"search_query": {"query_text": "x", "min_quality": 0.9}}' "$WORK/e.json"
expect_error 400 search_query.min_quality "$WORK/e.json"  # a misspelt key is an error, not the default
post /api/datasets/stream '{"name": "x"}' "$WORK/e.json"
expect_error 400 search_query "$WORK/e.json"
post /api/datasets/stream "$(body x 10 0.5 '{"export_formats": ["parquet"]}')" "$WORK/e.json"
expect_error 400 export_formats "$WORK/e.json"
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"search_query": {"filters": {"colour": "blue"}}}')" "$WORK/e.json"
expect_error 400 search_query.filters "$WORK/e.json"
grep -q '"sqlstate":"22023"' "$WORK/e.json" || fail "the server's SQLSTATE is missing: $(cat "$WORK/e.json")"
# 80,000 levels of nesting crashed serve (SIGSEGV); a key given twice was
# taken silently: both 400 now, and the server still answers.
"$PYTHON" -c 'd = 80000; print("{\"search_query\": {\"query_text\": \"x\", \"filters\": {\"metadata\": " + "[" * d + "]" * d + "}}}")' \
    >"$WORK/deep.json"
post /api/datasets/stream @"$WORK/deep.json" "$WORK/e.json"
expect_error 400 null "$WORK/e.json"
grep -q 'nested deeper than 64 levels' "$WORK/e.json" || fail "deep JSON: $(cat "$WORK/e.json")"
post /api/datasets/stream '{"search_query": {"query_text": "x", "top_k": 1, "top_k": 100000}}' "$WORK/e.json"
expect_error 400 null "$WORK/e.json"
grep -q '\\"top_k\\" twice' "$WORK/e.json" || fail "duplicate key: $(cat "$WORK/e.json")"
code=$(curl -sS -o /dev/null -w '%{http_code}' "$MAIN_URL/health")
[ "$code" = 200 ] || fail "serve does not answer after the deep request: HTTP $code"
pass "80,000-deep JSON and a repeated key: 400, server up"
# Wrong methods on known paths: 405 with Allow, not 404.
for method in PUT DELETE PATCH; do
    code=$(curl -sS -o "$WORK/e.json" -D "$WORK/headers" -w '%{http_code}' -X "$method" "$MAIN_URL/api/datasets/stream" \
        -H 'Content-Type: application/json' --data-binary '{}')
    [ "$code" = 405 ] || fail "$method /api/datasets/stream: HTTP $code, expected 405"
    allow=$(header Allow)
    [ "$allow" = POST ] || fail "$method: Allow is '$allow'"
    code=$(curl -sS -o /dev/null -w '%{http_code}' -X "$method" "$MAIN_URL/health" -H 'Content-Length: 0')
    [ "$code" = 405 ] || fail "$method /health: HTTP $code, expected 405"
done
pass "PUT, DELETE, PATCH on known paths: 405 with Allow"
# A header line over the parser's limit: 400, and the connection closes, so
# what followed inside that header is never parsed as a next request.
"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10000
    + b"GET /api/datasets/stats?query=smuggled HTTP/1.1\r\nHost: x\r\n\r\n" + b"\r\n\r\n")' >"$WORK/smuggle.http"
smuggle=$(raw_exchange "$MAIN_URL" "$WORK/smuggle.http")
[ "$smuggle" = "1 HTTP/1.1 400 Bad Request" ] || fail "oversized header: answers '$smuggle', expected one 400 and a close"
! grep -q 'smuggled' "$WORK/main.log" || fail "the rest of an oversized header was parsed as a request"
pass "oversized header: one 400, connection closed, nothing parsed from its rest"
# Many headers, each under the line limit: 64 KiB for the whole head.
"$PYTHON" -c 'import sys; sys.stdout.buffer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n"
    + b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 4000) for i in range(20)) + b"\r\n")' >"$WORK/many.http"
many=$(raw_exchange "$MAIN_URL" "$WORK/many.http")
[ "$many" = "1 HTTP/1.1 400 Bad Request" ] || fail "80 KB of headers: answered '$many', expected 400 and a close"
pass "80 KB of headers in 4 KB lines: 400, connection closed"
# An encoded CR/LF in a path cannot forge an access-log line (no token needed
# for a 404): the log escapes control bytes, spaces and backslashes.
code=$(curl -sS -o /dev/null -w '%{http_code}' "$MAIN_URL/no%0A2026-01-01T00:00:00Z%20127.0.0.1:1%20GET%20/forged%20200%0D")
[ "$code" = 404 ] || fail "a path with %0A: HTTP $code"
for i in $(seq 1 40); do
    grep -qF '/no\x0a2026-01-01T00:00:00Z\x20127.0.0.1:1\x20GET\x20/forged\x20200\x0d 404' "$WORK/main.log" && break
    sleep 0.05
done
grep -qF '/no\x0a2026-01-01T00:00:00Z\x20127.0.0.1:1\x20GET\x20/forged\x20200\x0d 404' "$WORK/main.log" ||
    fail "the escaped path is not in the access log: $(tail -n 3 "$WORK/main.log")"
! grep -q '^2026-01-01T00:00:00Z' "$WORK/main.log" || fail "a forged line reached the access log"
pass "a path with %0A / %0D / %20 is escaped in the access log, no forged line"
# The training object: its keys and types checked here, its values by the server.
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"training": {"chunk_size": 64}}')" "$WORK/e.json"
expect_error 400 training.chunk_size "$WORK/e.json"
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"training": {"chunk_tokens": "64"}}')" "$WORK/e.json"
expect_error 400 training.chunk_tokens "$WORK/e.json"
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"training": {"chunk_tokens": 64}}')" "$WORK/e.json"
[ "$(status)" = 400 ] && grep -q 'chunk_tokens needs a tokenizer' "$WORK/e.json" ||
    fail "chunk_tokens without a tokenizer: HTTP $(status): $(head -c 300 "$WORK/e.json")"
post /api/datasets/search "$(body Genehmigung 10 0.5 '{"training": {"format": "text"}}')" "$WORK/e.json"
expect_error 400 training "$WORK/e.json"
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"search_query": {"search_types": ["semantic"]}}')" "$WORK/e.json"
expect_error 400 search_query.search_types "$WORK/e.json"
post /api/datasets/stream "$(body Genehmigung 10 0.5 '{"search_query": {"search_types": ["vector"], "weights": {"vector": 0}}}')" "$WORK/e.json"
expect_error 400 search_query.weights "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$MAIN_URL/api/datasets/stream" -H 'Content-Type: text/plain' \
    --data-binary "$(body x 10 0.5)" >"$WORK/status"
expect_error 415 Content-Type "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$MAIN_URL/api/datasets/stream" -H 'Content-Type:' \
    --data-binary "$(body x 10 0.5)" >"$WORK/status"
expect_error 415 Content-Type "$WORK/e.json"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$WORK/huge.json"  # 2 MB > the default --max-body of 1 MiB
curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary @"$WORK/huge.json" >"$WORK/status"
expect_error 413 null "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/huge.json" >"$WORK/status"
expect_error 413 null "$WORK/e.json"  # no Content-Length: counted while reading
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$MAIN_URL/api/datasets/nothing" >"$WORK/status"
expect_error 404 null "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$MAIN_URL/api/datasets/stream" >"$WORK/status"
expect_error 405 null "$WORK/e.json"
pass "400 (malformed JSON, bad and unknown fields, server-rejected filter, search type and weights), 415, 413, 404, 405"

echo -n "s3cret-$$" >"$WORK/token"
start_server token --dsn "dbname=$DB" --token-file "$WORK/token"
for auth in "" "Authorization: Bearer wrong" "Authorization: Basic czNjcmV0"; do
    curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$URL/api/datasets/stream" -H "$auth" \
        -H 'Content-Type: application/json' --data-binary "$(body Photovoltaik 5 0.5)" >"$WORK/status"
    expect_error 401 Authorization "$WORK/e.json"
done
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$URL/api/datasets/stats?query=Photovoltaik" >"$WORK/status"
expect_error 401 Authorization "$WORK/e.json"
curl -sS -o "$WORK/token.http" -w '%{http_code}' -X POST "$URL/api/datasets/stream" -H "Authorization: Bearer s3cret-$$" \
    -H 'Content-Type: application/json' --data-binary "$(body Photovoltaik 5 0.5)" >"$WORK/status"
[ "$(status)" = 200 ] && [ "$(lines "$WORK/token.http")" = 5 ] || fail "with the token: HTTP $(status)"
pass "--token-file: 401 without, with a wrong or a non-bearer token; 200 with it"

# 503: the database cannot be reached; all connections of the pool busy.
start_server down --dsn "host=127.0.0.1 port=1 dbname=$DB connect_timeout=2"
curl -sS -o "$WORK/e.json" -w '%{http_code}' -X POST "$URL/api/datasets/stream" -H 'Content-Type: application/json' \
    --data-binary "$(body Photovoltaik 5 0.5)" >"$WORK/status"
expect_error 503 null "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$URL/health" >"$WORK/status"
[ "$(status)" = 503 ] || fail "health of an unreachable database: HTTP $(status)"
start_server busy --dsn "dbname=$DB" --pool-size 1 --pool-wait 0.3
BUSY_URL=$URL
curl -sS -N --limit-rate 50k -o /dev/null -X POST "$BUSY_URL/api/datasets/stream" -H 'Content-Type: application/json' \
    --data-binary "$(body "Verwaltungsrecht Baurecht Umweltrecht" 100000 0)" &
holder=$!
sleep 0.5
curl -sS -o "$WORK/e.json" -w '%{http_code}' -D "$WORK/headers" -X POST "$BUSY_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body Photovoltaik 5 0.5)" >"$WORK/status"
expect_error 503 null "$WORK/e.json"
[ "$(header Retry-After)" = 1 ] || fail "503 without Retry-After"
kill "$holder"
wait "$holder" 2>/dev/null || true
pass "503 when the database is unreachable and when the pool stays busy"

# 3. The batch endpoints answer what the SQL functions answer.
post /api/datasets/search "$(body "Verwaltungsrecht Photovoltaik" 20 0.6)" "$WORK/search.json"
[ "$(status)" = 200 ] || fail "search: HTTP $(status)"
sql -c "SELECT string_agg(rank || ' ' || document_id, ',' ORDER BY rank) FROM clara_search('Verwaltungsrecht Photovoltaik', 20, 0.6)" \
    >"$WORK/search.sql"
"$PYTHON" - "$WORK/search.json" >"$WORK/search.ids" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["total"] == len(d["documents"]), d["total"]
print(",".join("%d %s" % (x["rank"], x["document_id"]) for x in d["documents"]))
PY
search_sql=$(cat "$WORK/search.sql")
search_http=$(cat "$WORK/search.ids")
[ -n "$search_sql" ] || fail "search: clara_search found nothing (choose a query that matches)"
[ "$search_http" = "$search_sql" ] || fail "search: $search_http != $search_sql"
curl -sS -o "$WORK/stats.json" -w '%{http_code}' -G "$MAIN_URL/api/datasets/stats" --data-urlencode "query=$nasty" \
    --data-urlencode top_k=500 --data-urlencode min_quality_score=0.2 --data-urlencode domain=baurecht >"$WORK/status"
[ "$(status)" = 200 ] || fail "stats: HTTP $(status): $(cat "$WORK/stats.json")"
PGCLIENTENCODING=UTF8 psql -qXAt -v ON_ERROR_STOP=1 -d "$DB" -v q="$nasty" >"$WORK/stats.sql" <<'SQL'
SELECT clara_stats(:'q', 500, 0.2, '{"domain": "baurecht"}')
SQL
stats_http=$(cat "$WORK/stats.json")
stats_sql=$(cat "$WORK/stats.sql")
[ -n "$stats_http" ] && [ -n "$stats_sql" ] || fail "stats: an empty answer (HTTP '$stats_http', SQL '$stats_sql')"
[ "$stats_http" = "$stats_sql" ] || fail "stats: $stats_http != $stats_sql"
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$MAIN_URL/api/datasets/stats?query=x&top_k=0" >"$WORK/status"
expect_error 400 top_k "$WORK/e.json"
# The stream body's training names as parameters: stats counts what that
# stream writes, split by split (tokens: the documented estimate, ceil of
# UTF-8 bytes / 3.7 per line, without a tokenizer).
post /api/datasets/stream "$(body "Genehmigung Nachbar Bescheid" 200 0.0 \
    '{"training": {"split": "validation=0.3", "split_seed": 5, "dedup": "near"}}')" "$WORK/split.jsonl"
[ "$(status)" = 200 ] || fail "stream with training: HTTP $(status): $(head -c 300 "$WORK/split.jsonl")"
curl -sS -o "$WORK/split-stats.json" -w '%{http_code}' -G "$MAIN_URL/api/datasets/stats" \
    --data-urlencode "query=Genehmigung Nachbar Bescheid" --data-urlencode top_k=200 \
    --data-urlencode min_quality_score=0.0 --data-urlencode split=validation=0.3 --data-urlencode split_seed=5 \
    --data-urlencode dedup=near >"$WORK/status"
[ "$(status)" = 200 ] || fail "stats with training: HTTP $(status): $(cat "$WORK/split-stats.json")"
verdict=$("$PYTHON" - "$WORK/split.jsonl" "$WORK/split-stats.json" <<'PY'
import collections, json, sys
docs, lines, tokens = collections.Counter(), collections.Counter(), collections.Counter()
for raw in open(sys.argv[1], encoding="utf-8"):
    line = json.loads(raw)
    split = line["metadata"]["split"]
    docs[split] += 1
    lines[split] += 1
    tokens[split] += (len(line["text"].encode("utf-8")) * 10 + 36) // 37
stats = json.load(open(sys.argv[2]))
written = {s: {"documents": docs[s], "lines": lines[s], "tokens": tokens[s]} for s in lines}
problems = []
if stats["splits"] != written: problems.append(f"splits: streamed {written}, stats {stats['splits']}")
if stats["token_count"] != "estimate": problems.append(f"token_count {stats['token_count']}")
if len(written) != 2: problems.append(f"expected train and validation lines: {written}")
print("; ".join(problems) or "equal")
PY
)
[ "$verdict" = equal ] || fail "stats with training parameters: $verdict"
curl -sS -o "$WORK/e.json" -w '%{http_code}' "$MAIN_URL/api/datasets/stats?query=x&dedup=fuzzy" >"$WORK/status"
expect_error 400 training.dedup "$WORK/e.json"
curl -sS -o "$WORK/e.json" -w '%{http_code}' -G "$MAIN_URL/api/datasets/stats" --data-urlencode query=x \
    --data-urlencode split=train=0.1 >"$WORK/status"
expect_error 400 null "$WORK/e.json"
grep -q "train is the rest" "$WORK/e.json" || fail "stats split error: $(cat "$WORK/e.json")"
curl -sS -o "$WORK/health.json" -w '%{http_code}' "$MAIN_URL/health" >"$WORK/status"
version=$(sql -c "SELECT extversion FROM pg_extension WHERE extname = 'clara'")
[ -n "$version" ] || fail "health: no clara extension version in the database"
"$PYTHON" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"] == "ok" and d["extension_version"] == sys.argv[2], d' \
    "$WORK/health.json" "$version" || fail "health: $(cat "$WORK/health.json")"
pass "search = clara_search, stats = clara_stats (with the training parameters: what the stream writes), health reports extension $version"
# /search builds its answer in memory (25 MB at top_k 10,000 here); once
# sent, the server gives it back: no copy kept in a worker's arena or in a
# pooled connection's input buffer.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$MAIN_PID/status"; }
rss_before=$(rss_kb)
for i in 1 2 3; do
    post /api/datasets/search "$(body "Genehmigung Bescheid Verwaltungsrecht" 10000 0)" "$WORK/big.json"
    [ "$(status)" = 200 ] || fail "large /search: HTTP $(status)"
done
big=$(wc -c <"$WORK/big.json")
rss_after=$(rss_kb)
[ -n "$rss_before" ] && [ -n "$rss_after" ] && [ "$big" -gt 10000000 ] || fail "large /search: no measurement ($big bytes)"
[ $((rss_after - rss_before)) -lt 10240 ] ||
    fail "large /search: server RSS $rss_before -> $rss_after kB after three $big-byte answers"
pass "three $big-byte /search answers: server RSS +$((rss_after - rss_before)) kB afterwards"

# 4. A client that goes away cancels its query, mid-stream and before the
#    first byte. "Running" = a serve backend that is not idle.
BIG_QUERY="Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil"
curl -sS -N --limit-rate 500k -o "$WORK/cut.http" -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body "$BIG_QUERY" 100000 0 '{"batch_size": 10}')" &
client=$!
for i in $(seq 1 100); do [ -s "$WORK/cut.http" ] && break; sleep 0.05; done
sleep 0.5
[ "$(running)" -eq 1 ] || fail "mid-stream: expected the export to be running"
kill "$client"
wait "$client" 2>/dev/null || true
wait_not_running "client gone mid-stream"
pass "client gone mid-stream: query cancelled within 1.5 s"

# Before the first byte: the statement waits for a lock, the client leaves.
sql -c "BEGIN; LOCK TABLE clara_documents IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(8); COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.3
curl -sS -o /dev/null -X POST "$MAIN_URL/api/datasets/stream" -H 'Content-Type: application/json' \
    --data-binary "$(body Photovoltaik 5 0.5)" &
client=$!
sleep 0.7
[ "$(running)" -eq 1 ] || fail "before the first byte: expected the export to be waiting"
kill "$client"
wait "$client" 2>/dev/null || true
wait_not_running "client gone before the first byte"
sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(8)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" 2>/dev/null || true
grep -q ' 499 .*client closed the connection before the first document' "$WORK/main.log" ||
    fail "no 499 access-log line for the client that left"
pass "client gone before the first byte: query cancelled within 1.5 s"

# 5. An error after the first byte aborts the transfer: curl sees it
#    incomplete (exit 18), and what arrived is whole training lines.
curl -sS -N --limit-rate 5m -o "$WORK/aborted.http" -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body "$BIG_QUERY" 100000 0)" 2>"$WORK/curl.err" &
client=$!
for i in $(seq 1 100); do [ -s "$WORK/aborted.http" ] && break; sleep 0.05; done
[ "$(sql -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE application_name = 'clara-stream serve' AND state = 'active'")" -eq 1 ] ||
    fail "mid-stream error: no running export to terminate"
rc=0
wait "$client" || rc=$?
[ "$rc" -eq 18 ] || fail "mid-stream error: curl exit $rc, expected 18 (transfer closed early): $(cat "$WORK/curl.err")"
check_jsonl "$WORK/aborted.http"
full=$(sql -c "SELECT count(*) FROM clara_search('$BIG_QUERY', 100000, 0)")
[ "$(lines "$WORK/aborted.http")" -lt "$full" ] || fail "mid-stream error: the whole result arrived"
# The backend either dies silently or first sends its FATAL message (57P01).
grep -Eq " 200 rows=$(lines "$WORK/aborted.http") .* aborted: (connection lost|terminating connection)" "$WORK/main.log" ||
    fail "no access-log line for the aborted stream: $(grep aborted "$WORK/main.log")"
pass "error mid-stream: transfer aborted after $(lines "$WORK/aborted.http") of $full lines, no error line in the data"

# 6. Backpressure: a slow reader keeps the server's COPY waiting on a full
#    socket (ClientWrite) instead of the server buffering the result.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$MAIN_PID/status"; }
rss_before=$(rss)
curl -sS -N --limit-rate 100k -o /dev/null -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body "$BIG_QUERY" 100000 0)" &
client=$!
sleep 3
state=$(sql -c "SELECT state || '/' || coalesce(wait_event, '') FROM pg_stat_activity
                WHERE application_name = 'clara-stream serve' AND state <> 'idle'")
rss_during=$(rss)
kill "$client"
wait "$client" 2>/dev/null || true
[ "$state" = "active/ClientWrite" ] || fail "slow reader: the export is '$state', expected blocked in ClientWrite"
[ -n "$rss_before" ] && [ -n "$rss_during" ] || fail "slow reader: no RSS measurement of serve ('$rss_before', '$rss_during')"
[ $((rss_during - rss_before)) -lt 10240 ] || fail "slow reader: server RSS grew from $rss_before to $rss_during kB"
wait_not_running "slow reader gone"
pass "slow reader: export waits in ClientWrite, server RSS +$((rss_during - rss_before)) kB"

# A client that reads nothing at all is dropped after --stall-timeout (a
# slow one is not: above), its query cancelled.
start_server stall --dsn "dbname=$DB" --stall-timeout 1
"$PYTHON" - "${URL#http://}" "$(body "$BIG_QUERY" 100000 0)" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].split(":")
body = sys.argv[2].encode()
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /api/datasets/stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Content-Length: %d\r\n\r\n" % len(body) + body)
time.sleep(6)  # never reads
PY
silent=$!
for i in $(seq 1 100); do
    grep -q 'aborted: client gone (write failed or stalled)' "$WORK/stall.log" && break
    sleep 0.1
done
grep -q 'aborted: client gone (write failed or stalled)' "$WORK/stall.log" || fail "a client that reads nothing was not dropped"
wait_not_running "stalled client dropped"
kill "$silent" 2>/dev/null || true
wait "$silent" 2>/dev/null || true
pass "a client that reads nothing is dropped after --stall-timeout, its query cancelled"

# 7. 32 streams at once, each its own top_k: all complete, each equal to its
#    CLI export. A lock on the corpus holds every statement before its first
#    row, so all 32 must be running in the database at the same moment (the
#    HTTP workers and the connection pool both allow it) before it is let go.
sql -c "BEGIN; LOCK TABLE clara_documents IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(30); COMMIT" >/dev/null 2>&1 &
locker=$!
sleep 0.3
mkdir -p "$WORK/many"
: >"$WORK/many/pids"
for i in $(seq 1 32); do
    curl -sS -o "$WORK/many/$i.http" -w '%{http_code}' -X POST "$MAIN_URL/api/datasets/stream" \
        -H 'Content-Type: application/json' \
        --data-binary "$(body "Genehmigung Bescheid Verwaltungsrecht" $((200 + i)) 0.3)" >"$WORK/many/$i.status" &
    echo $! >>"$WORK/many/pids"
done
waiting=0
for i in $(seq 1 100); do
    waiting=$(sql -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'clara-stream serve'
                      AND state = 'active' AND wait_event_type = 'Lock'")
    [ "$waiting" -eq 32 ] && break
    sleep 0.05
done
sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$locker" 2>/dev/null || true
[ "$waiting" -eq 32 ] || fail "32 concurrent streams: only $waiting statements ran at once"
for pid in $(cat "$WORK/many/pids"); do wait "$pid" || fail "a concurrent stream's curl failed"; done
for i in $(seq 1 32); do
    [ "$(cat "$WORK/many/$i.status")" = 200 ] || fail "stream $i: HTTP $(cat "$WORK/many/$i.status")"
    "$CLARA_STREAM" --query "Genehmigung Bescheid Verwaltungsrecht" --top-k $((200 + i)) --min-quality 0.3 \
        --output "$WORK/many/$i.cli" --quiet
    cmp -s "$WORK/many/$i.cli" "$WORK/many/$i.http" || fail "stream $i differs from its CLI export"
    [ "$(lines "$WORK/many/$i.http")" -eq $((200 + i)) ] || fail "stream $i: $(lines "$WORK/many/$i.http") lines"
done
[ "$(md5sum "$WORK"/many/*.http | cut -d' ' -f1 | sort -u | wc -l)" -eq 32 ] || fail "the 32 outputs are not distinct"
pass "32 concurrent streams: all 32 in the database at once, all 200, each equal to its CLI export, all distinct"

# 8. One access-log line per request: time, remote, method path, status,
#    rows, bytes, ms.
grep -Eq "^[0-9T:.-]+Z 127\.0\.0\.1:[0-9]+ POST /api/datasets/stream 200 rows=1000 bytes=$(wc -c <"$WORK/defaults.http") ms=[0-9.]+$" \
    "$WORK/main.log" || fail "no access-log line for the defaults export"
grep -Eq '^[0-9T:.-]+Z 127\.0\.0\.1:[0-9]+ POST /api/datasets/stream 415 rows=0 bytes=[0-9]+ ms=' "$WORK/main.log" ||
    fail "no access-log line for the 415"
pass "access log: one line per request"

# 9. SIGTERM stops the server: running streams get --shutdown-grace to
#    finish, then end between two lines, their queries cancelled; exit 0.
curl -sS -N --limit-rate 500k -o "$WORK/stopped.http" -X POST "$MAIN_URL/api/datasets/stream" \
    -H 'Content-Type: application/json' --data-binary "$(body "$BIG_QUERY" 100000 0)" 2>/dev/null &
client=$!
# Wait until the stream is under way (ranking 100K documents on a busy CI
# machine can take a few seconds), else SIGTERM would find nothing to abort.
for i in $(seq 1 600); do [ -s "$WORK/stopped.http" ] && break; sleep 0.05; done
[ -s "$WORK/stopped.http" ] || fail "the stream to be stopped never started"
kill -TERM "$MAIN_PID"
rc=0
wait "$MAIN_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "serve exited $rc after SIGTERM"
# The stream outlasted --shutdown-grace 1: it ended between two lines, without
# the terminating chunk (curl exit 18), every line whole.
rc=0
wait "$client" || rc=$?
[ "$rc" -eq 18 ] || fail "stream cut by SIGTERM: curl exit $rc, expected 18"
check_jsonl "$WORK/stopped.http"
wait_not_running "after SIGTERM"
grep -q 'aborted: server stopping' "$WORK/main.log" ||
    fail "the running stream was not aborted on SIGTERM: $(tail -n 3 "$WORK/main.log")"
pass "SIGTERM: stream ended after the grace between two lines ($(lines "$WORK/stopped.http") whole lines), query cancelled, exit 0"
