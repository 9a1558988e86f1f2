#!/usr/bin/env bash
# The benchmark's own programs build (with the suite's -Werror) and work:
# build/derive_speed times every derivation stage over 3,000 generated
# documents, twice. The first run starts with the tokenizer's word cache
# empty, the second with it warm; derive_speed exits 3 when a stage's
# output (its checksum) differs between them. Also checked: every stage
# and the total are reported with a rate, and a file that is not a corpus
# gets exit 1 and a one-line reason. build/tokenizer_speed is only built
# (it needs a model tokenizer file that CI does not have). Needs no
# database.
set -uo pipefail
TEST=bench_tools
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
fail() { echo "$TEST: FAIL: $*" >&2; exit 1; }

make -s build/derive_speed build/tokenizer_speed >/dev/null || fail "make build/derive_speed build/tokenizer_speed failed"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

./build/clara-stream generate --docs 3000 --quiet -o "$WORK/corpus.jsonl" || fail "clara-stream generate failed"
rc=0
./build/derive_speed "$WORK/corpus.jsonl" 2 >"$WORK/out" 2>"$WORK/err" || rc=$?
[ "$rc" -eq 0 ] || fail "derive_speed exit $rc: $(cat "$WORK/err")"
for stage in tokenize "term index" "quality + JSON" "dedup signature" "lead 4-grams" "all stages"; do
    # A line per stage: its name, then seconds, ns/byte, us/doc and a positive MB/s.
    line=$(grep -F "$stage " "$WORK/out" | head -1)
    [ -n "$line" ] || fail "no line for stage '$stage' in: $(cat "$WORK/out")"
    rate=$(printf '%s\n' "$line" | sed "s/^$stage *//" | awk '{print $4}')
    awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }' || fail "stage '$stage' has no rate: $line"
done
docs=$(sed -n 's/^\([0-9]*\) documents,.*/\1/p' "$WORK/out")
[ "$docs" = 3000 ] || fail "derive_speed read '$docs' documents, expected 3000"

printf '{"title": "no content"}\n' >"$WORK/bad.jsonl"
rc=0
./build/derive_speed "$WORK/bad.jsonl" >/dev/null 2>"$WORK/err" || rc=$?
[ "$rc" -eq 1 ] || fail "a document without content: exit $rc, expected 1"
reason=$(cat "$WORK/err")
case $reason in
    *"line 1 is not a document with a string content"*) ;;
    *) fail "a document without content: reason '$reason'" ;;
esac

echo "$TEST: derive_speed over 3,000 documents, cold and warm runs agree; $(grep '^all stages' "$WORK/out" | awk '{print $(NF)}') MB/s in all"
