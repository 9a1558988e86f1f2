#!/usr/bin/env bash
# A tokenizer file is sent once and parsed once per backend (issue 11's
# fixed cost per export):
#  - a backend keeps a few parsed tokenizers by the sha256 of their file:
#    the same content under another name is not parsed again, the least
#    recently used is dropped after four (client_min_messages = debug1 shows
#    each parse);
#  - dropping one never frees it under a running export: a cursor keeps
#    streaming chunks counted by it, the same lines as a fresh export;
#  - clara-stream --tokenizer FILE sends nothing when the server holds the
#    file's bytes already: a role that may not register tokenizers exports
#    with a file registered before, and is refused one that is not.
# Tokenizers: small byte-level tokenizer.json files written here (Llama 3's
# pre-tokenizer, a few dozen merges each, so each has its own sha256).
set -euo pipefail
TEST=tokenizer_cache
source "$(dirname "$0")/lib/client.bash"
OTHER="clara_tokcache_other_$$"
# The server reads the files (pg_read_binary_file): a directory it can enter.
FILES=$(mktemp -d /tmp/clara-tokcache.XXXXXX)
trap 'rm -rf "$FILES"; cleanup; dropuser --if-exists "$OTHER" 2>/dev/null || true' EXIT

new_database
"$CLARA_STREAM" generate --docs 200 --seed 11 --quiet | "$CLARA_STREAM" load - --quiet

# t0 .. t7: 256 byte tokens, then 12 + i merges of frequent German pairs.
"$PYTHON" - "$FILES" <<'PY'
import json, sys
def byte_level(bs):
    printable = [b for b in range(256) if ord("!") <= b <= ord("~") or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return "".join(table[b] for b in bs)
pairs = [("e", "n"), ("e", "r"), ("c", "h"), (" ", "d"), ("i", "e"), ("s", "t"), ("e", "i"), ("u", "n"),
         (" ", "s"), ("t", "e"), ("g", "e"), ("a", "n"), ("i", "n"), (" ", "b"), ("r", "e"), ("n", "g"),
         ("s", "ch"), (" d", "ie"), (" d", "er"), ("ge", "n")]
split = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
for i in range(8):
    vocab = {byte_level(bytes([b])): b for b in range(256)}
    merges = []
    for a, b in pairs[:12 + i]:
        vocab.setdefault(byte_level((a + b).encode()), len(vocab))
        merges.append(byte_level(a.encode()) + " " + byte_level(b.encode()))
    doc = {"version": "1.0", "normalizer": None,
           "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
               {"type": "Split", "pattern": {"Regex": split}, "behavior": "Isolated", "invert": False},
               {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
           "model": {"type": "BPE", "vocab": vocab, "merges": merges}}
    json.dump(doc, open(f"{sys.argv[1]}/t{i}.json", "w"))
PY
chmod 755 "$FILES"
chmod 644 "$FILES"/*
for i in 0 1 2 3 4 5; do
    info=$(sql -c "SELECT clara_register_tokenizer('t$i', pg_read_binary_file('$FILES/t$i.json'))")
    [ -n "$info" ] || fail "registering t$i printed nothing"
done
info=$(sql -c "SELECT clara_register_tokenizer('t0copy', pg_read_binary_file('$FILES/t0.json'))")
[ -n "$info" ] || fail "registering t0copy printed nothing"
distinct=$(sql -c "SELECT count(DISTINCT sha256) FROM clara_tokenizers")
[ "$distinct" = 6 ] || fail "expected 6 distinct files, got $distinct"

# 1. One backend: which calls parse (DEBUG1 "parsed in").
count() { echo "-c"; echo "SELECT clara_token_count('Die Genehmigung in Bremen bei Regen, ringsum', '$1')"; }
mapfile -t calls < <(count t0; count t0; count t0copy; count t1; count t2; count t3; count t0; count t4; count t1;
    count t0copy)
psql -qXAt -v ON_ERROR_STOP=1 -d "$DB" -c "SET client_min_messages = debug1" "${calls[@]}" \
    >"$WORK/counts" 2>"$WORK/debug" || fail "token counts failed: $(head -c 500 "$WORK/debug")"
parsed=$(grep -o 'tokenizer "[a-z0-9]*" (sha256 [0-9a-f]*) parsed' "$WORK/debug" | cut -d'"' -f2 | paste -sd' ')
# t0 once (t0 again and t0copy are the same bytes), t1 t2 t3, t0 touched
# again, t4 drops the least recently used (t1), so t1 is parsed again, and
# that drops t2; t0copy is still kept.
[ "$parsed" = "t0 t1 t2 t3 t4 t1" ] || fail "parsed in one backend: '$parsed' (debug: $(head -c 800 "$WORK/debug"))"
counts=$(sort -u "$WORK/counts" | wc -l)
[ "$counts" -ge 2 ] || fail "token counts do not differ between tokenizers: $(paste -sd' ' "$WORK/counts")"
pass "one backend parses each file once, by sha256 (t0copy = t0), keeps four, drops the least recently used"

# 2. A running export keeps its tokenizer when the cache drops it.
query="Genehmigung Bescheid Verwaltungsrecht"
args="50, 0, search_types => '{keyword}', tokenizer => 't0', chunk_tokens => 16, chunk_overlap => 2"
echo "SELECT clara_stream_jsonl(:'q', $args);" | sql -v q="$query" >"$WORK/fresh.jsonl"
lines=$(wc -l <"$WORK/fresh.jsonl")
[ "$lines" -gt 50 ] || fail "the chunked export has $lines lines (choose a query that matches)"
sql -v q="$query" >"$WORK/cursor.out" <<SQL || fail "the cursor export failed"
BEGIN;
DECLARE c NO SCROLL CURSOR FOR SELECT clara_stream_jsonl(:'q', $args);
FETCH 5 FROM c;
SELECT clara_token_count('x', 't1') + clara_token_count('x', 't2') + clara_token_count('x', 't3')
     + clara_token_count('x', 't4') + clara_token_count('x', 't5') AS other_tokenizers;
FETCH ALL FROM c;
COMMIT;
SQL
grep '^{' "$WORK/cursor.out" >"$WORK/cursor.jsonl" || true
grep -qx 5 "$WORK/cursor.out" || fail "the five other tokenizers did not count: $(grep -v '^{' "$WORK/cursor.out")"
cmp -s "$WORK/fresh.jsonl" "$WORK/cursor.jsonl" ||
    fail "the cursor's chunks differ from a fresh export after its tokenizer was dropped from the cache"
pass "a cursor streams the same $lines chunk lines after five other tokenizers dropped its own from the cache"

# 3. clara-stream --tokenizer FILE: sent once. A role that may not call
# clara_register_tokenizer(text, bytea) exports with a file that is there.
export_with() { # FILE OUT [psql-style user]
    "$CLARA_STREAM" --query "$query" --top-k 50 --min-quality 0 --search-types keyword --tokenizer "$1" \
        --chunk-tokens 16 --chunk-overlap 2 --output "$2" --quiet "${@:3}"
}
export_with "$FILES/t6.json" "$WORK/owner.jsonl"
registered=$(sql -c "SELECT count(*) FROM clara_tokenizers WHERE name LIKE 'sha256-%'")
[ "$registered" = 1 ] || fail "the CLI registered $registered files, expected t6's"
other_password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
sql -c "CREATE ROLE \"$OTHER\" LOGIN PASSWORD '$other_password'"
sql -c "GRANT SELECT ON clara_documents TO \"$OTHER\""
sql -c "REVOKE EXECUTE ON FUNCTION clara_register_tokenizer(text, bytea) FROM PUBLIC"
PGPASSWORD=$other_password expect_exit 0 export_with "$FILES/t6.json" "$WORK/other.jsonl" -U "$OTHER"
cmp -s "$WORK/owner.jsonl" "$WORK/other.jsonl" || fail "the other role's export differs from the owner's"
# The check is real: a file the server does not hold is sent, and refused.
PGPASSWORD=$other_password expect_exit 5 export_with "$FILES/t7.json" "$WORK/refused.jsonl" -U "$OTHER"
stderr_has "permission denied for function clara_register_tokenizer"
sql -c "GRANT EXECUTE ON FUNCTION clara_register_tokenizer(text, bytea) TO PUBLIC"
sql -c "REVOKE ALL ON clara_documents FROM \"$OTHER\""
pass "clara-stream sends a tokenizer file only when the server does not hold its sha256"
