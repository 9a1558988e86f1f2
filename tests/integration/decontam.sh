#!/usr/bin/env bash
# --decontaminate through the CLI: an evaluation set registered from a JSONL
# file (clara-stream eval-set register), a document quoting 13 consecutive
# words of an evaluation text left out, one quoting 12 kept; the report mode
# keeps both and writes metadata.eval_overlap on every line; the summary
# line and manifest.json count what was left out; the CLI sends psql's
# bytes for the same SQL call; errors have their exit codes.
set -euo pipefail
TEST=decontam
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/http.bash"

new_database
"$CLARA_STREAM" generate --docs 300 --seed 5 --quiet | "$CLARA_STREAM" load - --quiet

# The evaluation texts and three documents matching "Kranichrast" (a word
# the generator never writes): quote-13 quotes 13 consecutive words of the
# first evaluation text (other case and punctuation), quote-12 only 12,
# clean none.
"$PYTHON" - "$WORK/eval.jsonl" "$WORK/planted.jsonl" <<'PY'
import json, sys
q1 = ("Welche Wege rund um den Moorweiher sind vom ersten Oktober bis zum dreissigsten November fuer Besucher "
      "gesperrt, und warum gilt die Sperrung auch fuer Radfahrer?")
q2 = "Wer traegt die Kosten des Verfahrens nach dem Bundesnaturschutzgesetz?"
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i, q in enumerate([q1, q2]):
        f.write(json.dumps({"id": i, "text": q}) + "\n")
    f.write("\n")  # blank lines are skipped
words = q1.replace(",", "").replace("?", "").split()
start = words.index("Moorweiher")
thirteen, twelve = " ".join(words[start:start + 13]), " ".join(words[start + 1:start + 13])
docs = [("quote-13", "Aus dem Forum zur Kranichrast: " + thirteen.upper() + ". So stand es im Aushang."),
        ("quote-12", "Aus dem Forum zur Kranichrast: " + twelve + ". So stand es im Aushang."),
        ("clean", "Die Kranichrast am Moorweiher zieht jedes Jahr viele Besucher an, die die Voegel beobachten.")]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for doc_id, content in docs:
        f.write(json.dumps({"document_id": doc_id, "title": "Kranichrast " + doc_id, "content": content,
                            "domain": "naturschutzrecht", "document_type": "forum", "source": "planted"}) + "\n")
PY
"$CLARA_STREAM" load "$WORK/planted.jsonl" --quiet

# 1. eval-set register: counts on stderr and in clara_eval_sets.
expect_exit 0 "$CLARA_STREAM" eval-set register fragen "$WORK/eval.jsonl"
stderr_has 'registered evaluation set "fragen": 2 texts, 14 grams of 13 words'
row=$(sql -c "SELECT n, texts, grams, source FROM clara_eval_sets WHERE name = 'fragen'")
[ "$row" = "13|2|14|file $WORK/eval.jsonl" ] || fail "clara_eval_sets: $row"
pass "eval-set register"

ids() { "$PYTHON" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["document_id"] for l in open(sys.argv[1]))))' "$1"; }
ARGS=(--query Kranichrast --top-k 100 --min-quality 0 --search-types keyword)

# 2. drop: quote-13 is left out and counted, quote-12 and clean stay.
"$CLARA_STREAM" "${ARGS[@]}" --output "$WORK/plain.jsonl" --quiet
got=$(ids "$WORK/plain.jsonl")
[ "$got" = "clean quote-12 quote-13" ] || fail "plain export: $got"
"$CLARA_STREAM" "${ARGS[@]}" --decontaminate fragen --output "$WORK/drop.jsonl" 2>"$WORK/drop.summary"
check_jsonl "$WORK/drop.jsonl"
got=$(ids "$WORK/drop.jsonl")
[ "$got" = "clean quote-12" ] || fail "--decontaminate: $got"
grep -Eq '^clara-stream: 2 documents \(1 contaminated removed\), ' "$WORK/drop.summary" ||
    fail "summary line: $(cat "$WORK/drop.summary")"
pass "--decontaminate drops the quoting document, keeps the 12-word quote"

# 3. The same bytes as psql's COPY of the same call.
reference_copy Kranichrast "100, 0.0, '{}', '{keyword}', NULL, 100, decontaminate => '{fragen}'" >"$WORK/psql.jsonl"
cmp -s "$WORK/psql.jsonl" "$WORK/drop.jsonl" || fail "CLI and psql differ"
pass "psql's bytes"

# 4. report: all three, eval_overlap a number on every line, > 0 only for quote-13.
"$CLARA_STREAM" "${ARGS[@]}" --decontaminate fragen --decontaminate-report --output "$WORK/report.jsonl" \
    2>"$WORK/report.summary"
got=$("$PYTHON" -c 'import json,sys
out = []
for l in open(sys.argv[1]):
    m = json.loads(l)["metadata"]
    assert type(m["eval_overlap"]) is int, l
    out.append((json.loads(l)["document_id"], m["eval_overlap"]))
print(" ".join("%s=%d" % (i, n) for i, n in sorted(out)))' "$WORK/report.jsonl")
[ "$got" = "clean=0 quote-12=0 quote-13=1" ] || fail "--decontaminate-report: $got"
grep -q 'removed' "$WORK/report.summary" && fail "report mode counts removals: $(cat "$WORK/report.summary")"
# Every line of a larger export has the key (the generated corpus included).
n_all=$("$CLARA_STREAM" --query "Antrag Frist" --top-k 200 --min-quality 0 --decontaminate fragen \
    --decontaminate-report --output - --quiet | "$PYTHON" -c 'import json,sys
print(sum(1 for l in sys.stdin if type(json.loads(l)["metadata"]["eval_overlap"]) is int))')
[ "$n_all" -gt 50 ] || fail "report mode on the generated corpus: $n_all lines with eval_overlap"
pass "--decontaminate-report"

# 5. --output-dir: manifest.json names the sets and counts the removal.
"$CLARA_STREAM" "${ARGS[@]}" --decontaminate fragen --output-dir "$WORK/set" --quiet
"$PYTHON" - "$WORK/set/manifest.json" <<'PY' || fail "manifest.json: $(cat "$WORK/set/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["removed"]["contaminated"] == 1, m["removed"]
assert m["training"]["decontaminate"] == ["fragen"], m["training"]
assert m["training"]["decontaminate_mode"] == "drop", m["training"]
PY
pass "manifest.json"

# 6. Errors: a taken name, an unknown set, a bad file, the flag alone.
expect_exit 5 "$CLARA_STREAM" eval-set register fragen "$WORK/eval.jsonl"
stderr_has "42710"
stderr_has "already exists"
expect_exit 5 "$CLARA_STREAM" "${ARGS[@]}" --decontaminate fragen --decontaminate nirgends --output "$WORK/x.jsonl"
stderr_has 'evaluation set "nirgends" is not registered'
[ ! -e "$WORK/x.jsonl" ] || fail "a failed export left $WORK/x.jsonl"
printf '{"text": "eins zwei drei"}\n{"question": "no text"}\n' >"$WORK/bad.jsonl"
expect_exit 7 "$CLARA_STREAM" eval-set register schlecht "$WORK/bad.jsonl"
stderr_has "line 2"
left=$(sql -c "SELECT count(*) FROM clara_eval_sets WHERE name = 'schlecht'")
[ "$left" = 0 ] || fail "a rejected file registered a set"
expect_exit 2 "$CLARA_STREAM" "${ARGS[@]}" --decontaminate-report --output "$WORK/x.jsonl"
stderr_has "--decontaminate"
pass "errors"

# 7. HTTP: training.decontaminate gives the CLI's bytes; bad values are 400s naming the field.
start_server main
MAIN_URL=$URL
post /api/datasets/stream "$(body Kranichrast 100 0 '{"search_query": {"search_types": ["keyword"]}, "training": {"decontaminate": ["fragen"]}}')" \
    "$WORK/http_drop.jsonl"
code=$(status)
[ "$code" = 200 ] || fail "HTTP decontaminate: status $code: $(head -c 300 "$WORK/http_drop.jsonl")"
cmp -s "$WORK/drop.jsonl" "$WORK/http_drop.jsonl" || fail "HTTP decontaminate differs from the CLI's export"
post /api/datasets/stream "$(body Kranichrast 100 0 '{"search_query": {"search_types": ["keyword"]}, "training": {"decontaminate": ["fragen"], "decontaminate_mode": "report"}}')" \
    "$WORK/http_report.jsonl"
code=$(status)
[ "$code" = 200 ] || fail "HTTP decontaminate report: status $code"
cmp -s "$WORK/report.jsonl" "$WORK/http_report.jsonl" || fail "HTTP report mode differs from the CLI's export"
post /api/datasets/stream "$(body Kranichrast 100 0 '{"training": {"decontaminate": "fragen"}}')" "$WORK/http_bad.json"
expect_error 400 training.decontaminate "$WORK/http_bad.json"
post /api/datasets/stream "$(body Kranichrast 100 0 '{"training": {"decontaminate": ["fragen"], "decontaminate_mode": "mark"}}')" "$WORK/http_bad.json"
expect_error 400 training.decontaminate_mode "$WORK/http_bad.json"
post /api/datasets/stream "$(body Kranichrast 100 0 '{"training": {"decontaminate": ["nirgends"]}}')" "$WORK/http_unknown.json"
code=$(status)
case "$code" in 4??) ;; *) fail "HTTP unknown set: status $code: $(head -c 300 "$WORK/http_unknown.json")" ;; esac
grep -q 'nirgends' "$WORK/http_unknown.json" || fail "HTTP unknown set: the error does not name it"
stop_servers
pass "HTTP: training.decontaminate (drop and report) are the CLI's bytes; bad values 4xx naming the field"

# 8. drop: the set and its grams are gone; dropping it again is an error.
expect_exit 0 "$CLARA_STREAM" eval-set drop fragen
left=$(sql -c "SELECT count(*) FROM clara_eval_grams WHERE set_name = 'fragen'")
[ "$left" = 0 ] || fail "grams left after drop: $left"
expect_exit 2 "$CLARA_STREAM" eval-set drop fragen
stderr_has "not registered"
pass "eval-set drop"
