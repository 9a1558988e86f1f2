#!/usr/bin/env bash
# --dedup through the CLI and the HTTP API (the Python package: tests/python/
# test_dedup.py): planted duplicates among a generated corpus, exported with
# exact, near and none. The kept copy of a cluster is the best-ranked one
# (the first of its cluster in the plain export), metadata.dup_cluster_size
# counts the cluster, the summary line and manifest.json count what was left
# out, and every interface sends psql's bytes for the same SQL call.
set -euo pipefail
TEST=dedup
source "$(dirname "$0")/lib/client.bash"
source "$(dirname "$0")/lib/http.bash"

new_database
"$CLARA_STREAM" generate --docs 300 --seed 3 --quiet | "$CLARA_STREAM" load - --quiet

# Six documents that all match "Kranichrast" (a word the generator never
# writes): dup-a-* the same notice three times (as written, lower case,
# other white space: exact duplicates), dup-b-* a decision and a copy with
# a few words changed (near duplicates), dup-c an unrelated text.
"$PYTHON" - "$WORK/planted.jsonl" <<'PY'
import json, sys
a = ("Bekanntmachung der Gemeinde Wiesental zur Kranichrast am Moorweiher. Die Gemeinde weist darauf hin, dass "
     "die Wege rund um den Moorweiher vom ersten Oktober bis zum dreissigsten November fuer Besucher gesperrt "
     "sind, weil dort jedes Jahr mehrere tausend Kraniche auf ihrem Zug nach Sueden rasten. Hunde sind auch "
     "ausserhalb dieser Zeit an der Leine zu fuehren. Die Beobachtungshuette am Nordufer bleibt geoeffnet und "
     "bietet einen guten Blick auf die Schlafplaetze der Voegel in den fruehen Morgenstunden. Wer die Sperrung "
     "missachtet, handelt ordnungswidrig und muss mit einem Bussgeld rechnen. Fuer Rueckfragen steht das "
     "Ordnungsamt der Gemeinde montags bis freitags zwischen neun und zwoelf Uhr zur Verfuegung.")
b = ("Bescheid ueber die Genehmigung einer Fotoplattform an der Kranichrast im Landschaftsschutzgebiet "
     "Obere Aue. Dem Antrag des Naturschutzvereins vom zwoelften Maerz wird unter Auflagen stattgegeben. "
     "Die Plattform darf eine Grundflaeche von zwanzig Quadratmetern nicht ueberschreiten und ist aus "
     "unbehandeltem Laerchenholz zu errichten. Bauarbeiten sind nur in den Monaten Juni bis August zulaessig, "
     "damit rastende Zugvoegel nicht gestoert werden. Der Verein hat die Plattform dauerhaft zu unterhalten "
     "und Schaeden innerhalb von vier Wochen zu beheben. Gegen diesen Bescheid kann innerhalb eines Monats "
     "nach Bekanntgabe Widerspruch bei der unteren Naturschutzbehoerde erhoben werden. Begruendung: Das "
     "Vorhaben dient der Umweltbildung und ist mit dem Schutzzweck des Gebietes vereinbar, wenn die genannten "
     "Auflagen eingehalten werden. Die Fachbehoerde fuer Naturschutz wurde beteiligt und hat keine Bedenken "
     "erhoben, sofern die Bauzeiten eingehalten und keine Gehoelze beseitigt werden. Die Zufahrt erfolgt "
     "ausschliesslich ueber den vorhandenen Wirtschaftsweg; Fahrzeuge duerfen die Wiesen nicht befahren. Nach "
     "Abschluss der Arbeiten ist der Behoerde eine Fertigstellungsanzeige mit Fotos vorzulegen. Diese Genehmigung "
     "erlischt, wenn mit dem Bau nicht innerhalb von zwei Jahren begonnen wird. Die Kosten des Verfahrens traegt "
     "der Antragsteller; die Gebuehr wird mit gesondertem Bescheid festgesetzt.")
c = ("Merkblatt fuer Landwirte: Entschaedigung fuer Frassschaeden durch Kraniche in der Umgebung der Kranichrast. "
     "Antraege sind bis zum Jahresende mit Flurstuecksnummer, Kultur und geschaetzter Schadensflaeche "
     "einzureichen; ein Gutachter besichtigt die Flaechen und setzt die Hoehe der Zahlung fest.")
docs = [
    ("dup-a-1", a),
    ("dup-a-2", a.lower()),
    ("dup-a-3", "  " + a.replace(". ", ".\n\n").replace(" die ", "  die ") + "\n"),
    ("dup-b-1", b),
    # a changed word and three added ones, among them the query's: this copy,
    # stored later, ranks better (word 5-gram Jaccard with dup-b-1: 0.88)
    ("dup-b-2", b.replace("Laerchenholz", "Eichenholz").replace("rastende Zugvoegel",
                                                                "rastende Kraniche der Kranichrast")),
    ("dup-c", c),
]
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for doc_id, content in docs:
        f.write(json.dumps({"document_id": doc_id, "title": "Kranichrast " + doc_id, "content": content,
                            "domain": "naturschutzrecht", "document_type": "bekanntmachung",
                            "source": "planted"}) + "\n")
PY
"$CLARA_STREAM" load "$WORK/planted.jsonl" --quiet

Q=Kranichrast
ARGS=(--query "$Q" --top-k 100 --min-quality 0 --search-types keyword)
# clara_stream_jsonl's arguments for ARGS, up to dedup (the 18th)
SQL_ARGS="100, 0.0, '{}', '{keyword}', NULL, 100, NULL, NULL, 0, 'raw', NULL, NULL, NULL, 0, NULL, NULL"

# ids FILE: the document_ids of FILE's lines, in order, one line.
ids() { "$PYTHON" -c 'import json,sys; print(" ".join(json.loads(l)["document_id"] for l in open(sys.argv[1])))' "$1"; }
# sizes FILE: document_id=dup_cluster_size for every line (absent: -).
sizes() {
    "$PYTHON" -c 'import json,sys
out = []
for l in open(sys.argv[1]):
    d = json.loads(l)
    out.append("%s=%s" % (d["document_id"], d["metadata"].get("dup_cluster_size", "-")))
print(" ".join(out))' "$1"
}

# 1. The plain export: all six, no dup_cluster_size; --dedup none is the same bytes.
"$CLARA_STREAM" "${ARGS[@]}" --output "$WORK/plain.jsonl" --quiet
n=$(lines "$WORK/plain.jsonl")
[ "$n" -eq 6 ] || fail "plain export: $n lines, expected the 6 planted documents"
plain=$(ids "$WORK/plain.jsonl")
got=$(sizes "$WORK/plain.jsonl")
case "$got" in *=[0-9]*) fail "plain export has dup_cluster_size: $got" ;; esac
"$CLARA_STREAM" "${ARGS[@]}" --dedup none --output "$WORK/none.jsonl" 2>"$WORK/none.summary"
cmp -s "$WORK/plain.jsonl" "$WORK/none.jsonl" || fail "--dedup none differs from the plain export"
grep -q 'duplicates removed' "$WORK/none.summary" && fail "--dedup none counts duplicates: $(cat "$WORK/none.summary")"
# The near copy stored second ranks first: keeping it is keeping the best,
# not the oldest.
case " $plain " in *" dup-b-2 "*" dup-b-1 "*) ;; *) fail "dup-b-2 should rank above dup-b-1: $plain" ;; esac
pass "plain and --dedup none: 6 lines ($plain), the same bytes"

# The expected kept ids and sizes, from the plain export's order: the first
# of each cluster stays.
expected() {  # $1: exact|near
    "$PYTHON" - "$1" $plain <<'PY'
import sys
mode, order = sys.argv[1], sys.argv[2:]
def cluster(i):
    if i.startswith("dup-a-"):
        return "a"
    if i.startswith("dup-b-") and mode == "near":
        return "b"
    return i
kept, size = [], {}
for i in order:
    c = cluster(i)
    size[c] = size.get(c, 0) + 1
    if size[c] == 1:
        kept.append((i, c))
print(" ".join("%s=%d" % (i, size[c]) for i, c in kept))
PY
}

# 2. exact and near: the kept copies, their cluster sizes, the summary line,
#    and psql's bytes for the same call.
check_mode() {
    local mode=$1 want_lines=$2 want_removed=$3 want got n
    "$CLARA_STREAM" "${ARGS[@]}" --dedup "$mode" --output "$WORK/$mode.jsonl" 2>"$WORK/$mode.summary"
    check_jsonl "$WORK/$mode.jsonl"
    n=$(lines "$WORK/$mode.jsonl")
    [ "$n" -eq "$want_lines" ] || fail "--dedup $mode: $n lines, expected $want_lines"
    want=$(expected "$mode")
    got=$(sizes "$WORK/$mode.jsonl")
    [ "$got" = "$want" ] || fail "--dedup $mode: kept and sizes '$got', expected '$want' (plain order: $plain)"
    grep -Eq "^clara-stream: $want_lines documents \\($want_removed duplicates removed\\), " "$WORK/$mode.summary" ||
        fail "--dedup $mode: summary line: $(cat "$WORK/$mode.summary")"
    reference_copy "$Q" "$SQL_ARGS, '$mode'" >"$WORK/$mode.ref"
    cmp -s "$WORK/$mode.ref" "$WORK/$mode.jsonl" || fail "--dedup $mode differs from psql's COPY"
    pass "--dedup $mode: $got; '$want_removed duplicates removed'; byte-identical to psql"
}
check_mode exact 4 2
check_mode near 3 3
got=$(sizes "$WORK/near.jsonl")
case " $got " in *" dup-b-2=2 "*) ;; *) fail "--dedup near did not keep dup-b-2, the better-ranked copy: $got" ;; esac

# 3. A mode that does not exist: exit 2 and one line saying why, no file.
expect_exit 2 "$CLARA_STREAM" "${ARGS[@]}" --dedup fuzzy --output "$WORK/fuzzy.jsonl"
stderr_has "--dedup"
stderr_has "fuzzy"
n=$(wc -l <"$WORK/stderr")
[ "$n" -eq 1 ] || fail "--dedup fuzzy: $n lines on stderr: $(cat "$WORK/stderr")"
[ ! -e "$WORK/fuzzy.jsonl" ] || fail "--dedup fuzzy wrote a file"
pass "--dedup fuzzy: exit 2, $(cat "$WORK/stderr")"

# 4. --output-dir: manifest.json has the mode and the count.
"$CLARA_STREAM" "${ARGS[@]}" --dedup near --output-dir "$WORK/set" --quiet
"$PYTHON" - "$WORK/set/manifest.json" <<'PY' || fail "manifest.json: $(cat "$WORK/set/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["training"]["dedup"] == "near", m["training"]
# other steps (decontamination, ...) did not run: their counts are 0
assert m["removed"]["duplicates"] == 3 and sum(m["removed"].values()) == 3, m.get("removed")
assert sum(s["rows"] for s in m["splits"].values()) == 3, m["splits"]
PY
"$CLARA_STREAM" "${ARGS[@]}" --output-dir "$WORK/set_plain" --quiet
"$PYTHON" - "$WORK/set_plain/manifest.json" <<'PY' || fail "plain manifest.json: $(cat "$WORK/set_plain/manifest.json")"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["training"]["dedup"] is None, m["training"]
assert m["removed"]["duplicates"] == 0 and sum(m["removed"].values()) == 0, m.get("removed")
PY
pass "manifest.json: training.dedup and removed.duplicates"

# 5. HTTP: training.dedup gives the CLI's bytes; a bad mode is a 400 naming the field.
start_server main
MAIN_URL=$URL
for mode in exact near; do
    post /api/datasets/stream "$(body "$Q" 100 0 "{\"search_query\": {\"search_types\": [\"keyword\"]}, \"training\": {\"dedup\": \"$mode\"}}")" \
        "$WORK/http_$mode.jsonl"
    code=$(status)
    [ "$code" = 200 ] || fail "HTTP dedup $mode: status $code: $(head -c 300 "$WORK/http_$mode.jsonl")"
    cmp -s "$WORK/$mode.jsonl" "$WORK/http_$mode.jsonl" || fail "HTTP dedup $mode differs from the CLI's export"
done
post /api/datasets/stream "$(body "$Q" 100 0 '{"training": {"dedup": "fuzzy"}}')" "$WORK/http_bad.json"
expect_error 400 training.dedup "$WORK/http_bad.json"
post /api/datasets/stream "$(body "$Q" 100 0 '{"training": {"dedup": 1}}')" "$WORK/http_bad.json"
expect_error 400 training.dedup "$WORK/http_bad.json"
pass "HTTP: training.dedup exact and near are the CLI's bytes; bad values 400 with field training.dedup"
