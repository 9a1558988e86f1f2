#!/usr/bin/env bash
# Stable metadata types end to end: `load` refuses a document whose metadata
# gives a stored key another JSON type (naming the line, the key, both
# types) and loads nothing, or skips it with --on-error skip; an export of a
# corpus whose documents have different keys gives every line every key,
# so `clara-stream validate` passes on the file and on an --output-dir
# dataset (zstd shards, manifest), and fails, naming the file, line and
# JSON path, on an export without uniform keys and on corrupted copies.
set -euo pipefail
TEST=metadata_types
source "$(dirname "$0")/lib/client.bash"
command -v zstd >/dev/null || fail "zstd is not installed (tools/install-deps.sh)"

new_database
"$CLARA_STREAM" generate --docs 1500 --seed 3 --output "$WORK/corpus.jsonl" --quiet
"$CLARA_STREAM" load "$WORK/corpus.jsonl" --quiet
types=$(sql -c "SELECT string_agg(key || ':' || json_type, ',' ORDER BY key) FROM clara_metadata_types()")
[ "$types" = "aktenzeichen:string,behoerde:string,gericht:string,language:string,pages:number,year:number" ] ||
    fail "catalogue after the first load: $types"
pass "load catalogues the corpus' metadata keys ($types)"

# 1. load against the stored types: year is a number in the database.
docs_before=$(sql -c "SELECT count(*) FROM clara_documents")
cat >"$WORK/more.jsonl" <<'EOF'
{"document_id":"m-1","content":"Die Genehmigung wurde erteilt.","metadata":{"year":2021,"reviewed":true}}
{"document_id":"m-2","content":"Der Bescheid ist bestandskräftig.","metadata":{"year":"2022"}}
{"document_id":"m-3","content":"Die Klage wurde abgewiesen.","metadata":{"reviewed":"yes"}}
{"document_id":"m-4","content":"Das Verfahren ist eingestellt.","metadata":{"year":null,"reviewed":false}}
EOF
expect_exit 7 "$CLARA_STREAM" load "$WORK/more.jsonl"
stderr_has 'line 2: metadata key "year" is a string, but the stored documents have a number'
stderr_has 'line 3: metadata key "reviewed" is a string, but a boolean on line 1'
docs_after=$(sql -c "SELECT count(*) FROM clara_documents")
[ "$docs_after" = "$docs_before" ] || fail "a refused load stored documents ($docs_before -> $docs_after)"
pass "load refuses a type change against the stored documents and within the file; nothing loaded"

expect_exit 0 "$CLARA_STREAM" load "$WORK/more.jsonl" --on-error skip
stderr_has "2 skipped"
loaded=$(sql -c "SELECT string_agg(document_id, ',' ORDER BY document_id) FROM clara_documents WHERE document_id LIKE 'm-%'")
[ "$loaded" = "m-1,m-4" ] || fail "--on-error skip loaded $loaded, not m-1,m-4"
reviewed=$(sql -c "SELECT json_type FROM clara_metadata_types() WHERE key = 'reviewed'")
[ "$reviewed" = "boolean" ] || fail "reviewed catalogued as '$reviewed'"
pass "--on-error skip leaves out the conflicting lines and loads the rest (reviewed: boolean)"

# The server is the last word: a direct INSERT with another type fails (23514).
err=$(sql -c "INSERT INTO clara_documents (document_id, content, metadata) VALUES ('m-9', 'x', '{\"pages\": \"7\"}')" 2>&1) &&
    fail "the server stored a string under pages"
case "$err" in *'metadata key "pages" of document "m-9" is a string, but the stored documents have a number'*) ;;
    *) fail "unexpected server error: $err" ;; esac
pass "a direct INSERT is refused by the server"

# 2. Exports: m-1 and m-4 have "reviewed", the other 1,500 documents do not.
query=(--query "Genehmigung Bescheid Klage Verfahren" --top-k 2000 --min-quality 0)
"$CLARA_STREAM" "${query[@]}" --output "$WORK/export.jsonl" --quiet
n=$(wc -l <"$WORK/export.jsonl")
[ "$n" -gt 500 ] || fail "the export has only $n lines"
grep -q '"document_id":"m-1"' "$WORK/export.jsonl" || fail "m-1 is not in the export"
expect_exit 0 "$CLARA_STREAM" validate "$WORK/export.jsonl" --json
verdict=$(cat "$WORK/stdout")
"$PYTHON" - "$verdict" "$n" <<'PY' || fail "validate --json: $verdict"
import json, sys
v = json.loads(sys.argv[1])
assert v["valid"] is True and v["files"] == 1 and v["lines"] == int(sys.argv[2]), v
PY
stderr_has "one set of keys and one JSON type per path on every line"
with_null=$(grep -c '"reviewed":null' "$WORK/export.jsonl" || true)
[ "$with_null" -eq $((n - 2)) ] || fail "$with_null lines have reviewed null, expected $((n - 2))"
pass "an export of $n lines gives every line every key (reviewed null on $with_null); validate passes"

# The same export without uniform keys: the first line whose keys differ is named.
PGOPTIONS="-c clara.uniform_metadata=off" "$CLARA_STREAM" "${query[@]}" --output "$WORK/ragged.jsonl" --quiet
first_m=$(grep -n '"document_id":"m-[14]"' "$WORK/ragged.jsonl" | head -1 | cut -d: -f1)
[ -n "$first_m" ] || fail "no m- document in the ragged export"
expect_exit 9 "$CLARA_STREAM" validate "$WORK/ragged.jsonl"
if [ "$first_m" -eq 1 ]; then want_line=2; else want_line=$first_m; fi
stderr_has "$WORK/ragged.jsonl:$want_line: \$.metadata"
pass "validate names line $want_line of an export made with clara.uniform_metadata=off"

# A corrupted copy: year turns into a string on one line.
target=$((n / 2))
awk -v t="$target" 'NR == t { sub(/"year":[0-9]+/, "\"year\":\"1999\"") } { print }' "$WORK/export.jsonl" \
    >"$WORK/corrupt.jsonl"
cmp -s "$WORK/export.jsonl" "$WORK/corrupt.jsonl" && fail "the corruption changed nothing"
expect_exit 9 "$CLARA_STREAM" validate "$WORK/corrupt.jsonl"
stderr_has "corrupt.jsonl:$target: \$.metadata.year is a string, but a number at $WORK/corrupt.jsonl:1"
# And a line cut short.
head -c 300 "$WORK/export.jsonl" >"$WORK/cut.jsonl"
expect_exit 9 "$CLARA_STREAM" validate "$WORK/cut.jsonl"
stderr_has "cut.jsonl:1: not valid JSON"
pass "validate names the line and path of a corrupted copy (line $target, \$.metadata.year) and a cut line"

# 3. A dataset directory: zstd shards per split, checked against its manifest.
out="$WORK/dataset"
"$CLARA_STREAM" "${query[@]}" --split validation=0.1 --output-dir "$out" --compression zstd --shard-size 200KB --quiet
shards=$(find "$out" -name '*.jsonl.zst' | wc -l)
[ "$shards" -ge 3 ] || fail "only $shards shards"
expect_exit 0 "$CLARA_STREAM" validate "$out" --json
verdict=$(cat "$WORK/stdout")
"$PYTHON" - "$verdict" "$n" "$shards" <<'PY' || fail "validate --json on the directory: $verdict"
import json, sys
v = json.loads(sys.argv[1])
assert v["valid"] is True and v["lines"] == int(sys.argv[2]) and v["files"] == int(sys.argv[3]), v
assert v["manifest_checked"] is True, v
PY
pass "validate passes a dataset directory of $shards zstd shards (sha256 and rows as in its manifest)"

# A shard re-compressed with a type change: named by shard and line.
victim=$(find "$out" -name 'train-00001-of-*.jsonl.zst' | head -1)
[ -n "$victim" ] || fail "no second train shard"
zstd -q -dc "$victim" | awk 'NR == 3 { sub(/"pages":[0-9]+/, "\"pages\":[1]") } { print }' | zstd -q -c >"$WORK/shard"
mv "$WORK/shard" "$victim"
expect_exit 9 "$CLARA_STREAM" validate "$out"
stderr_has "$(basename "$victim"):3: \$.metadata.pages is an array, but a number at train-00000-of-"
# Same lines, other bytes (a different compression level): only the sha256 tells.
"$CLARA_STREAM" "${query[@]}" --split validation=0.1 --output-dir "$out.2" --compression zstd --shard-size 200KB \
    --quiet
victim=$(find "$out.2" -name 'validation-00000-of-*.jsonl.zst' | head -1)
zstd -q -dc "$victim" | zstd -q -19 -c >"$WORK/shard"
mv "$WORK/shard" "$victim"
expect_exit 9 "$CLARA_STREAM" validate "$out.2" --json
stderr_has "$(basename "$victim"): sha256 "
stderr_has "differs from the manifest's"
pass "validate names a shard whose lines change a type, and one whose bytes differ from the manifest"

# 4. Two transactions bringing the same new key with different types: the
# second waits for the first (the catalogue's primary key), then reads its
# type and fails (READ COMMITTED); after a rollback it stores its own.
sql -c "BEGIN; INSERT INTO clara_documents (document_id, content, metadata)
        VALUES ('c-1', 'Genehmigung', '{\"fresh\": 1}'); SELECT pg_sleep(2); COMMIT;" >/dev/null &
first=$!
sleep 0.5
err=$(sql -c "INSERT INTO clara_documents (document_id, content, metadata)
              VALUES ('c-2', 'Genehmigung', '{\"fresh\": \"eins\"}')" 2>&1) && fail "both types of fresh were stored"
wait "$first"
case "$err" in *'metadata key "fresh" of document "c-2" is a string, but the stored documents have a number'*) ;;
    *) fail "concurrent insert: $err" ;; esac
sql -c "BEGIN; INSERT INTO clara_documents (document_id, content, metadata)
        VALUES ('c-3', 'Genehmigung', '{\"other\": 1}'); SELECT pg_sleep(2); ROLLBACK;" >/dev/null &
first=$!
sleep 0.5
sql -c "INSERT INTO clara_documents (document_id, content, metadata) VALUES ('c-4', 'Genehmigung', '{\"other\": \"x\"}')" ||
    fail "a key of a rolled-back transaction blocked another type"
wait "$first"
other=$(sql -c "SELECT json_type FROM clara_metadata_types() WHERE key = 'other'")
[ "$other" = "string" ] || fail "other catalogued as '$other' after the rollback"
pass "concurrent transactions: the later type waits and is refused; a rolled-back key leaves no trace"
