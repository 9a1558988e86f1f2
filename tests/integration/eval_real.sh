#!/usr/bin/env bash
# Ranking quality on real text (bench/eval.py over the real sets that
# bench/realsets.py builds from Debian packages): the default search must
# stay ahead of keyword search and of the best single retriever on every set,
# and the vector retriever must stay ahead of the reference character n-gram
# TF-IDF (bench/reference_ngram.py). A change that makes ranking worse on
# documents nobody here wrote fails here, whatever the generated corpus says.
# The numbers themselves are in bench/results/eval.md (make eval).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "eval_real: FAIL: $*" >&2; exit 1; }

/usr/bin/python3 bench/eval.py --sets de-libreoffice,de-manpages,en-postgresql --out-dir "$out" \
    >"$out/stdout" 2>"$out/stderr" || fail "bench/eval.py failed: $(tail -n 5 "$out/stderr")"
[ -s "$out/eval.json" ] || fail "no eval.json"

/usr/bin/python3 - "$out/eval.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
sets = report["real_sets"]
if len(sets) != 3:
    sys.exit(f"eval_real: FAIL: {len(sets)} real sets evaluated, expected 3")
bad = []
for r in sets:
    cfg = {c["name"]: c for c in r["configurations"]}
    missing = [n for n in ("keyword", "vector", "graph", "default", "reference: n-gram TF-IDF")
               if not cfg.get(n, {}).get("available")]
    if missing:
        bad.append(f"{r['name']}: not evaluated: {', '.join(missing)}")
        continue
    mrr = {n: c["mean"]["mrr@10"] for n, c in cfg.items() if c.get("available")}
    queries = cfg["default"]["mean"]["queries"]
    if queries < 500:
        bad.append(f"{r['name']}: only {queries} queries")
    best_single = max(("keyword", "vector", "graph"), key=lambda n: mrr[n])
    line = (f"{r['name']}: default {mrr['default']:.3f}, keyword {mrr['keyword']:.3f}, vector {mrr['vector']:.3f}, "
            f"reference {mrr['reference: n-gram TF-IDF']:.3f}")
    print(f"eval_real: {line}")
    if not mrr["default"] > mrr["keyword"]:
        bad.append(f"{line}: the default is not ahead of keyword search")
    if not mrr["default"] >= mrr[best_single]:
        bad.append(f"{line}: the default is behind {best_single}")
    if not mrr["vector"] >= mrr["reference: n-gram TF-IDF"]:
        bad.append(f"{line}: vector search is behind the reference n-gram TF-IDF")
if bad:
    sys.exit("eval_real: FAIL: " + "; ".join(bad))
PY
echo "eval_real: ok: on 3 real sets the default is ahead of keyword search and of every single retriever, vector search ahead of the reference"
