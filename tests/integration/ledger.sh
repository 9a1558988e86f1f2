#!/usr/bin/env bash
# The export ledger through the CLI: --record files an export's documents
# per split, a later export keeps the earlier validation split out of its
# train split (by document_id or content hash), --exclude NAME[:split] keeps
# a recorded export out, clara-stream exports lists and --drop drops, and
# another role neither sees nor drops what is not its own. Failed exports
# record nothing; --record works where transactions default to read-only.
set -euo pipefail
TEST=ledger
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/http.bash"
OTHER="clara_ledger_other_$$"
trap 'stop_servers; cleanup; dropuser --if-exists "$OTHER" 2>/dev/null || true' EXIT

new_database
"$CLARA_STREAM" generate --docs 200 --seed 5 --quiet | "$CLARA_STREAM" load - --quiet

# 40 distinct notices that all match "Moorlerche" (a word the generator
# never writes).
"$PYTHON" - "$WORK/planted.jsonl" <<'PY'
import json, random, sys
rng = random.Random(7)
words = ("Weg Wiese Ufer Brutzeit Leine Hund Besucher Sperrung Schutzgebiet Gemeinde Vogel Nest Schilf "
         "Beobachtung Winter Sommer Auflage Antrag Behoerde Pflege Mahd Graben Weide Damm Steg").split()
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(40):
        text = "Bekanntmachung Nummer %d zur Moorlerche. " % i + " ".join(
            " ".join(rng.choice(words) for _ in range(12)) + "." for _ in range(8))
        f.write(json.dumps({"document_id": "lerche-%02d" % i, "title": "Moorlerche %d" % i, "content": text,
                            "domain": "naturschutzrecht", "document_type": "bekanntmachung",
                            "source": "planted"}) + "\n")
PY
"$CLARA_STREAM" load "$WORK/planted.jsonl" --quiet
ARGS=(--query Moorlerche --top-k 100 --min-quality 0 --search-types keyword)

# ids FILE...: the sorted document_ids of the files' lines, one per line.
ids() { cat "$@" | "$PYTHON" -c 'import json,sys; print("\n".join(sorted(json.loads(l)["document_id"] for l in sys.stdin if l.strip())))'; }

# 1. Record run1 with a validation split; exclusion of nothing yet.
"$CLARA_STREAM" "${ARGS[@]}" --split validation=0.3 --split-seed 1 --record run1 --output-dir "$WORK/run1" \
    2>"$WORK/run1.summary" || fail "--record run1: $(cat "$WORK/run1.summary")"
grep -Eq '^clara-stream: 40 documents \(0 held out\), ' "$WORK/run1.summary" ||
    fail "run1 summary line: $(cat "$WORK/run1.summary")"
ids "$WORK"/run1/validation-*.jsonl >"$WORK/run1.validation"
nval=$(lines "$WORK/run1.validation")
[ "$nval" -gt 3 ] || fail "run1: only $nval validation documents"
ntrain=$((40 - nval))
listing=$("$CLARA_STREAM" exports)
case "$listing" in *run1*"train=$ntrain validation=$nval"*) ;; *) fail "exports listing: $listing" ;; esac
"$CLARA_STREAM" exports --json >"$WORK/exports.json"
"$PYTHON" - "$WORK/exports.json" "$nval" <<'PY' || fail "exports --json: $(cat "$WORK/exports.json")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert [r["name"] for r in rows] == ["run1"], rows
assert rows[0]["documents"] == 40 and rows[0]["splits"]["validation"] == int(sys.argv[2]), rows
PY
pass "--record run1: 40 documents, $nval in validation; exports lists them per split"

# 2. A later export with other splits: its train split holds none of run1's
#    validation documents, and says how many it held out.
"$CLARA_STREAM" "${ARGS[@]}" --split validation=0.3 --split-seed 2 --output-dir "$WORK/second" 2>"$WORK/second.summary"
ids "$WORK"/second/train-*.jsonl >"$WORK/second.train"
both=$(comm -12 "$WORK/run1.validation" "$WORK/second.train" | wc -l)
[ "$both" -eq 0 ] || fail "second export's train has $both of run1's validation documents"
"$PYTHON" - "$WORK/second/manifest.json" <<'PY' || fail "manifest.json: $(cat "$WORK/second/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["removed"]["held_out"] > 0 and m["removed"]["excluded"] == 0, m["removed"]
assert m["training"]["exclude_held_out"] is True and m["training"]["record"] is None, m["training"]
PY
grep -Eq ' held out\), ' "$WORK/second.summary" || fail "second summary line: $(cat "$WORK/second.summary")"
pass "a later train split keeps run1's validation documents out ($(grep -o '[0-9]* held out' "$WORK/second.summary"))"

# 3. --exclude run1:validation (held-out exclusion off): everything but
#    those; --exclude run1: nothing.
"$CLARA_STREAM" "${ARGS[@]}" --exclude run1:validation --no-held-out-exclusion --output "$WORK/ex_val.jsonl" \
    2>"$WORK/ex_val.summary"
n=$(ids "$WORK/ex_val.jsonl" | grep -c '^lerche-' || true)
[ "$n" -eq "$ntrain" ] || fail "--exclude run1:validation: $n planted documents, expected $ntrain"
both=$(ids "$WORK/ex_val.jsonl" | comm -12 "$WORK/run1.validation" - | wc -l)
[ "$both" -eq 0 ] || fail "--exclude run1:validation let $both validation documents through"
grep -Eq "\\($nval excluded\\)" "$WORK/ex_val.summary" || fail "ex_val summary: $(cat "$WORK/ex_val.summary")"
"$CLARA_STREAM" "${ARGS[@]}" --exclude run1 --output "$WORK/ex_all.jsonl" --quiet
n=$(ids "$WORK/ex_all.jsonl" | grep -c '^lerche-' || true)
[ "$n" -eq 0 ] || fail "--exclude run1: $n planted documents left"
pass "--exclude run1:validation leaves the $ntrain train documents; --exclude run1 none"

# 4. The same text under a new document_id is held out by its content hash.
first=$(head -1 "$WORK/run1.validation")
sql -c "INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)
        SELECT 'lerche-copy', title, content, domain, document_type, source FROM clara_documents
        WHERE document_id = '$first'"
"$CLARA_STREAM" "${ARGS[@]}" --output "$WORK/copy.jsonl" --quiet
n=$(ids "$WORK/copy.jsonl" | grep -c '^lerche-copy$' || true)
[ "$n" -eq 0 ] || fail "lerche-copy (the text of validation document $first) went to train"
pass "a copy of $first under a new id is held out by its content hash"

# 5. Failures record nothing: a taken name, an unknown export to exclude.
expect_exit 5 "$CLARA_STREAM" "${ARGS[@]}" --record run1 --output "$WORK/again.jsonl"
stderr_has 'export "run1" already exists'
[ ! -e "$WORK/again.jsonl" ] || fail "a failed --record left a file"
expect_exit 5 "$CLARA_STREAM" "${ARGS[@]}" --record run2 --exclude nope --output "$WORK/nope.jsonl"
stderr_has 'export "nope" does not exist'
n=$(sql -c "SELECT count(*) FROM clara_exports WHERE name = 'run2'")
[ "$n" -eq 0 ] || fail "a failed export was recorded"
expect_exit 2 "$CLARA_STREAM" "${ARGS[@]}" --record "" --output "$WORK/empty.jsonl"
pass "a taken name and an unknown --exclude fail (exit 5) and record nothing"

# 6. Where transactions default to read-only, --record still writes.
PGOPTIONS='-c default_transaction_read_only=on' "$CLARA_STREAM" "${ARGS[@]}" --record run3 \
    --output "$WORK/run3.jsonl" --quiet
n=$(sql -c "SELECT documents FROM clara_exports WHERE name = 'run3'")
m=$(lines "$WORK/run3.jsonl")
[ "$n" -eq "$m" ] || fail "run3 recorded $n documents of $m lines"
pass "--record under default_transaction_read_only: $n documents recorded"

# 7. HTTP: training.record / exclude / exclude_held_out, the CLI's bytes.
"$CLARA_STREAM" "${ARGS[@]}" --exclude run1:validation --no-held-out-exclusion --output "$WORK/cli4.jsonl" --quiet
start_server main
MAIN_URL=$URL
post /api/datasets/stream "$(body Moorlerche 100 0 '{"search_query": {"search_types": ["keyword"]}, "training": {"record": "run4", "exclude": ["run1:validation"], "exclude_held_out": false}}')" \
    "$WORK/http4.jsonl"
code=$(status)
[ "$code" = 200 ] || fail "HTTP record: status $code: $(head -c 300 "$WORK/http4.jsonl")"
cmp -s "$WORK/cli4.jsonl" "$WORK/http4.jsonl" || fail "HTTP exclude differs from the CLI's export"
n=$(sql -c "SELECT documents FROM clara_exports WHERE name = 'run4'")
m=$(lines "$WORK/http4.jsonl")
[ "$n" -eq "$m" ] || fail "HTTP run4 recorded $n documents of $m lines"
post /api/datasets/stream "$(body Moorlerche 100 0 '{"training": {"exclude": "run1"}}')" "$WORK/http_bad.json"
expect_error 400 training.exclude "$WORK/http_bad.json"
post /api/datasets/stream "$(body Moorlerche 100 0 '{"training": {"exclude": ["nope"]}}')" "$WORK/http_nope.json"
code=$(status)
[ "$code" != 200 ] || fail "HTTP exclude of an unknown export: status 200"
"$CLARA_STREAM" exports --drop run4 --quiet
pass "HTTP: training.record/exclude/exclude_held_out give the CLI's bytes and record $n documents; bad values 400"

# 8. Another role sees none of it and cannot drop it; the owner can.
# A password: pg_virtualenv's cluster authenticates TCP connections by one
# (a trust setup ignores it).
other_password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
sql -c "CREATE ROLE \"$OTHER\" LOGIN PASSWORD '$other_password'"
sql -c "GRANT SELECT ON clara_documents TO \"$OTHER\""
listing=$(PGPASSWORD=$other_password "$CLARA_STREAM" exports -U "$OTHER")
case "$listing" in *run1*) fail "$OTHER sees run1: $listing" ;; esac
PGPASSWORD=$other_password expect_exit 5 "$CLARA_STREAM" exports -U "$OTHER" --drop run1
stderr_has 'export "run1" does not exist'
"$CLARA_STREAM" exports --drop run1 --quiet
"$CLARA_STREAM" exports --drop run3 2>"$WORK/drop.summary"
grep -q 'dropped export run3' "$WORK/drop.summary" || fail "drop summary: $(cat "$WORK/drop.summary")"
n=$(sql -c "SELECT count(*) FROM clara_export_documents")
[ "$n" -eq 0 ] || fail "$n ledger rows left after dropping every export"
sql -c "REVOKE ALL ON clara_documents FROM \"$OTHER\""
pass "another role neither lists nor drops run1; the owner drops it with its documents"
