#!/usr/bin/env bash
# clara-stream load: line-numbered validation, --on-error abort (nothing
# loaded) and skip, duplicates, idempotence (a second load writes nothing),
# updates, citations -> clara_edges, stdin.
set -euo pipefail
TEST=client_load
source "$(dirname "$0")/lib/client.bash"

new_database
docs() { sql -c "SELECT count(*) FROM clara_documents"; }
# Every row version of the corpus and the graph: equal before and after
# means nothing was written, not even an identical new version.
# Each half is read and checked on its own: a failing query (or an empty
# corpus) fails the test instead of comparing two equal empty strings.
versions() {
    local documents edges
    documents=$(sql -c "SELECT md5(string_agg(document_id || ':' || xmin || ':' || doc_key, ',' ORDER BY document_id)) FROM clara_documents") &&
        edges=$(sql -c "SELECT md5(coalesce(string_agg(src_id || '>' || dst_id || ':' || xmin, ',' ORDER BY src_id, dst_id), '')) FROM clara_edges") &&
        [ -n "$documents" ] && [ -n "$edges" ] || fail "versions: a query failed or the corpus is empty"
    echo "$documents $edges"
}
# unchanged_since BEFORE WHAT: the row versions are still BEFORE.
unchanged_since() {
    local after
    after=$(versions)
    [ -n "$1" ] && [ -n "$after" ] && [ "$after" = "$1" ] || fail "$2"
}

cat >"$WORK/good.jsonl" <<'EOF_DOCS'
{"document_id":"a","title":"Bescheid","content":"Die Behörde erteilt die Baugenehmigung für die Photovoltaikanlage auf dem Dach.","domain":"baurecht","document_type":"bescheid","source":"stadt","created_at":"2024-01-31T12:00:00Z","metadata":{"aktenzeichen":"1 K 2/24","year":2024},"citations":["b","c"]}
{"document_id":"b","content":"Tab\there, newline\nthere, backslash \\ and quote \" and ß €.","metadata":null,"citations":null}

{"document_id":"c","title":null,"content":"Das Verwaltungsgericht weist die Klage gegen den Bescheid ab.","created_at":"2023-05-01","citations":["a"]}
EOF_DOCS

# 1. A clean load; the text arrives exactly as it was in the JSON.
expect_exit 0 "$CLARA_STREAM" load "$WORK/good.jsonl"
stderr_has "3 read, 3 inserted, 0 updated, 0 unchanged, 0 skipped; edges +3 -0"
[ "$(sql -c "SELECT content FROM clara_documents WHERE document_id = 'b'")" = $'Tab\there, newline\nthere, backslash \\ and quote " and ß €.' ] ||
    fail "content of b was altered on the way in"
[ "$(sql -c "SELECT created_at = '2024-01-31 12:00:00+00' AND metadata = '{\"aktenzeichen\":\"1 K 2/24\",\"year\":2024}' FROM clara_documents WHERE document_id = 'a'")" = t ] ||
    fail "created_at or metadata of a differ"
[ "$(sql -c "SELECT string_agg(src_id || '>' || dst_id || ':' || relation, ',' ORDER BY src_id, dst_id) FROM clara_edges")" = "a>b:cites,a>c:cites,c>a:cites" ] ||
    fail "edges: $(sql -c "SELECT string_agg(src_id || '>' || dst_id, ',') FROM clara_edges")"
pass "load: 3 documents, text and edges exact"

# 2. Loading the same file again writes nothing.
before=$(versions)
expect_exit 0 "$CLARA_STREAM" load "$WORK/good.jsonl"
stderr_has "3 read, 0 inserted, 0 updated, 3 unchanged, 0 skipped; edges +0 -0"
unchanged_since "$before" "a second load of the same file wrote rows"
pass "idempotent: second load 0 inserted, 0 updated, no new row versions"

# 3. Changed documents are updated, new ones inserted, a document's edges
#    replaced by its new citations; unchanged ones untouched.
sed -e 's/auf dem Dach/auf dem Carport/' -e 's/"citations":\["b","c"\]/"citations":["c","d"]/' "$WORK/good.jsonl" >"$WORK/changed.jsonl"
echo '{"document_id":"d","content":"Neu: der Widerspruch ist zulässig."}' >>"$WORK/changed.jsonl"
b_version=$(sql -c "SELECT xmin FROM clara_documents WHERE document_id = 'b'")
[ -n "$b_version" ] || fail "no document b before the update"
expect_exit 0 "$CLARA_STREAM" load "$WORK/changed.jsonl"
stderr_has "4 read, 1 inserted, 1 updated, 2 unchanged, 0 skipped; edges +1 -1"
[ "$(sql -c "SELECT xmin FROM clara_documents WHERE document_id = 'b'")" = "$b_version" ] || fail "unchanged b was rewritten"
[ "$(sql -c "SELECT string_agg(dst_id, ',' ORDER BY dst_id) FROM clara_edges WHERE src_id = 'a'")" = "c,d" ] || fail "edges of a not replaced"
[ "$(sql -c "SELECT count(*) FROM clara_documents WHERE content LIKE '%Carport%'")" = 1 ] || fail "a not updated"
pass "update: 1 inserted, 1 updated, 2 unchanged, edges of a replaced"

# 4. --on-error abort (the default): every bad line reported with its number,
#    nothing loaded, exit 7.
cat >"$WORK/bad.jsonl" <<'EOF_DOCS'
{"document_id":"e1","content":"gut"}
{"document_id":"e2","content":42}
{"document_id":"e3","content":"gut"}
not json at all
{"document_id":"e5","content":"x","colour":"blue"}
{"document_id":"e6","content":"x","created_at":"31.01.2024"}
{"document_id":"e1","content":"noch einmal"}
{"document_id":"e8","content":"gut","citations":[""]}
EOF_DOCS
before=$(versions)
expect_exit 7 "$CLARA_STREAM" load "$WORK/bad.jsonl"
stderr_has "line 2: content must be a string, not a number"
stderr_has "line 4: not valid JSON at column 1"
stderr_has 'line 5: unknown key "colour"'
stderr_has "line 6: created_at"
stderr_has "line 8: citations must be non-empty"
stderr_has "5 malformed lines"
stderr_has "nothing loaded"
unchanged_since "$before" "--on-error abort changed the corpus"
pass "abort: line numbers reported, nothing loaded, exit 7"

# A repeated document_id is an input error too (found on the server).
head -n 1 "$WORK/bad.jsonl" >"$WORK/dup.jsonl"
sed -n 7p "$WORK/bad.jsonl" >>"$WORK/dup.jsonl"
expect_exit 7 "$CLARA_STREAM" load "$WORK/dup.jsonl"
stderr_has 'line 2: duplicate document_id "e1" (first on line 1)'
unchanged_since "$before" "a duplicate document_id changed the corpus"
pass "abort: duplicate document_id, nothing loaded"

# 5. --on-error skip loads the valid lines (the first of a repeated id).
expect_exit 0 "$CLARA_STREAM" load "$WORK/bad.jsonl" --on-error skip
stderr_has "8 read, 2 inserted, 0 updated, 0 unchanged, 6 skipped"
stderr_has "line 7: duplicate document_id"
[ "$(sql -c "SELECT string_agg(document_id || '=' || content, ',' ORDER BY document_id) FROM clara_documents WHERE document_id LIKE 'e%'")" = "e1=gut,e3=gut" ] ||
    fail "skip loaded the wrong rows"
pass "skip: 2 loaded, 6 skipped"

# 6. stdin, and a generated corpus through the whole path twice.
"$CLARA_STREAM" generate --docs 1500 --seed 3 --output - --quiet | "$CLARA_STREAM" load - --quiet
[ "$(docs)" -eq 1506 ] || fail "expected 1506 documents after loading 1500 from stdin, got $(docs)"
before=$(versions)
"$CLARA_STREAM" generate --docs 1500 --seed 3 --output "$WORK/corpus.jsonl" --quiet
expect_exit 0 "$CLARA_STREAM" load "$WORK/corpus.jsonl"
stderr_has "1500 read, 0 inserted, 0 updated, 1500 unchanged, 0 skipped; edges +0 -0"
unchanged_since "$before" "reloading the generated corpus wrote rows"
pass "stdin load of a generated corpus; reloading it changes nothing"

# 7. stats over the loaded corpus, as JSON and as a table.
"$CLARA_STREAM" stats --query "Genehmigung" --top-k 50 --json >"$WORK/stats.json"
[ "$(sql -c "SELECT clara_stats('Genehmigung', 50, 0.5) = '$(cat "$WORK/stats.json")'::jsonb")" = t ] ||
    fail "stats --json differs from clara_stats: $(cat "$WORK/stats.json")"
"$CLARA_STREAM" stats --query "Genehmigung" --top-k 50 >"$WORK/stats.txt"
grep -Eq '^total_documents +[0-9]+$' "$WORK/stats.txt" || fail "stats table: $(cat "$WORK/stats.txt")"
pass "stats: JSON equals clara_stats(), table printed"

# 8. stats with the export's flags reports what that export wrote: per
# split the documents, the lines (chunks) and the sum of their token_count,
# and the removals of its manifest. A byte-level tokenizer.json without
# merges (one token per UTF-8 byte, GPT-2's byte table) goes by path, as a
# user's file would.
"$PYTHON" - "$WORK/bytes.json" <<'PY'
import json, sys
printable = [c for c in range(256) if 33 <= c <= 126 or 161 <= c <= 172 or 174 <= c <= 255]
table, extra = {}, 0
for c in range(256):
    if c in printable:
        table[c] = chr(c)
    else:
        table[c] = chr(256 + extra)
        extra += 1
json.dump({"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False},
           "model": {"type": "BPE", "vocab": {table[c]: c for c in range(256)}, "merges": []}},
          open(sys.argv[1], "w"), ensure_ascii=False)
PY
flags=(--query "Genehmigung Nachbar" --top-k 300 --min-quality 0 --tokenizer "$WORK/bytes.json" --chunk-tokens 256
    --chunk-overlap 32 --split validation=0.2,test=0.1 --split-seed 4 --dedup near --format text)
expect_exit 0 "$CLARA_STREAM" "${flags[@]}" --output-dir "$WORK/set" --quiet
expect_exit 0 "$CLARA_STREAM" stats "${flags[@]}" --json
cp "$WORK/stdout" "$WORK/set-stats.json"
verdict=$("$PYTHON" - "$WORK/set" "$WORK/set-stats.json" <<'PY'
import collections, glob, json, os, sys
stats = json.load(open(sys.argv[2]))
docs, lines, tokens = collections.defaultdict(set), collections.Counter(), collections.Counter()
for path in glob.glob(os.path.join(sys.argv[1], "*.jsonl")):
    for raw in open(path, encoding="utf-8"):
        line = json.loads(raw)
        split = line["metadata"]["split"]
        docs[split].add(line["document_id"])
        lines[split] += 1
        tokens[split] += line["metadata"]["token_count"]
written = {s: {"documents": len(docs[s]), "lines": lines[s], "tokens": tokens[s]} for s in lines}
reported = {s: c for s, c in stats["splits"].items() if c["lines"] > 0}
manifest = json.load(open(os.path.join(sys.argv[1], "manifest.json")))
problems = []
if written != reported: problems.append(f"splits: exported {written}, stats {reported}")
if len(written) < 3: problems.append(f"expected lines in all three splits: {written}")
if manifest["removed"] != stats["removed"]: problems.append(f"removed: manifest {manifest['removed']}, stats {stats['removed']}")
if stats["removed"]["duplicates"] < 1: problems.append("expected the generated corpus's duplicates to be removed")
if stats["total_tokens"] != sum(tokens.values()): problems.append("total_tokens is not the lines' token_count sum")
if not stats["token_count"].startswith("tokenizer:"): problems.append(f"token_count {stats['token_count']}")
print("; ".join(problems) or "equal")
PY
)
[ "$verdict" = equal ] || fail "stats differs from what the export wrote: $verdict"
# The same statistics from SQL, by the tokenizer's registered name.
name=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["token_count"].split(":", 1)[1])' "$WORK/set-stats.json")
[ -n "$name" ] || fail "no tokenizer name in $(cat "$WORK/set-stats.json")"
same=$(sql -v name="$name" -v j="$(cat "$WORK/set-stats.json")" <<'SQL'
SELECT clara_stats('Genehmigung Nachbar', 300, 0.0, tokenizer => :'name', chunk_tokens => 256, chunk_overlap => 32,
                   split => 'validation=0.2,test=0.1', split_seed => 4, dedup => 'near', format => 'text')
       = :'j'::jsonb
SQL
)
[ "$same" = t ] || fail "clara_stats by the tokenizer's name differs from stats --json: $same"
pass "stats with the export's flags: per split documents, lines and tokens equal the exported set's, removed its manifest's"

# Bad flags: the export's own errors, exit 5 with the server's reason.
expect_exit 5 "$CLARA_STREAM" stats --query x --split train=0.1
stderr_has "split: train is the rest"
expect_exit 5 "$CLARA_STREAM" stats --query x --tokenizer no-such-tokenizer
stderr_has 'tokenizer "no-such-tokenizer" is not registered'
expect_exit 2 "$CLARA_STREAM" stats --query x --decontaminate-report
stderr_has "--decontaminate-report needs --decontaminate NAME"
pass "stats: bad flags fail as the export's do"
