#!/usr/bin/python3
"""Precision and recall of Clara's duplicate detection on real text.

The documents are the real sets of bench/realsets.py (German manual pages,
LibreOffice's German help, the PostgreSQL manual: text Debian ships, nobody
here wrote). Into that corpus the script plants duplicates of sampled pages
(--bases, default 300, pages of at least 80 words), one kind per page:

  exact      the same text with changed case and white space (an exact
             duplicate after normalisation)
  edit       3 % of the words replaced by other words of the corpus
  edit10     10 % of the words replaced (a hard case: J about 0.6)
  reorder    the paragraphs in another order
  boiler     a different header and footer (40 words of another page each)
  letter     German form letters: the same body (a page's first 150 words)
             under different names, addresses and dates, three letters each

and, as negatives, pairs that must NOT merge:

  shared     two different pages wrapped in the same 80 words of
             boilerplate (header + footer taken from a third page): two
             different decisions with the same letterhead

Everything is loaded with `clara-stream load` into a fresh database (PG*
environment), then the clusters are read from clara_dup_clusters. Reported:
per kind, the share of planted pairs found in one near cluster (recall) and
for `exact` in one exact cluster; the share of negative pairs merged; pair
precision over every predicted pair that involves a planted document; and
the clusters found among the untouched pages (natural duplicates in the
real corpus, listed for inspection).

Usage: dedup_eval.py --sets DIR --clara-stream PATH [--bases N] [--seed S]
                     [--json OUT]
"""
import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile

SETS = ["de-manpages", "de-libreoffice", "en-postgresql"]
KINDS = ["exact", "edit", "edit10", "reorder", "boiler", "letter"]
FIRST = ["Anna", "Jonas", "Fatma", "Lukas", "Marie", "Mehmet", "Sophie", "Paul", "Lea", "Felix", "Emma", "Noah"]
LAST = ["Müller", "Schmidt", "Yilmaz", "Weber", "Wagner", "Becker", "Hoffmann", "Schulz", "Koch", "Richter"]
STREETS = ["Hauptstraße", "Schulweg", "Lindenallee", "Bahnhofstraße", "Am Markt", "Gartenweg"]
CITIES = ["10115 Berlin", "80331 München", "50667 Köln", "01067 Dresden", "20095 Hamburg", "04109 Leipzig"]


def psql(db, sql):
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql],
                         check=True, capture_output=True, text=True)
    return out.stdout


def words_of(text):
    return text.split()


def replace_words(rng, text, share, vocabulary):
    words = text.split(" ")
    n = max(1, int(len(words) * share))
    for i in rng.sample(range(len(words)), min(n, len(words))):
        words[i] = rng.choice(vocabulary)
    return " ".join(words)


def reorder(rng, text):
    """The paragraphs in another order; a text with fewer than 4 paragraphs
    is cut into 4 blocks of lines first."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    if len(paragraphs) < 4:
        lines = text.split("\n")
        step = max(1, len(lines) // 4)
        paragraphs = ["\n".join(lines[i:i + step]) for i in range(0, len(lines), step)]
    shuffled = paragraphs[:]
    for _ in range(10):
        rng.shuffle(shuffled)
        if shuffled != paragraphs:
            break
    return "\n\n".join(shuffled)


def shingles(text, n=5):
    words = re.findall(r"[^\W_]+", text.lower())
    if len(words) < n:
        return {tuple(words)} if words else set()
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def jaccard(a, b):
    return len(a & b) / len(a | b) if a or b else 1.0


def letter(rng, body, k):
    first, last = FIRST[(k * 5) % len(FIRST)], LAST[(k * 3) % len(LAST)]
    anrede = "Sehr geehrte Frau" if k % 2 else "Sehr geehrter Herr"
    return (f"{first} {last}\n{rng.choice(STREETS)} {rng.randint(1, 120)}\n{rng.choice(CITIES)}\n\n"
            f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.2026\n\n{anrede} {last},\n\n{body}\n\n"
            f"Mit freundlichen Grüßen\n\n{rng.choice(FIRST)} {rng.choice(LAST)}\nSachbearbeitung")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", required=True, help="directory of realsets.py output")
    ap.add_argument("--clara-stream", required=True)
    ap.add_argument("--bases", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db", default="clara_dedup_eval")
    ap.add_argument("--json")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    docs = []
    for name in SETS:
        path = os.path.join(args.sets, name, "corpus.jsonl")
        with open(path, encoding="utf-8") as f:
            for line in f:
                d = json.loads(line)
                docs.append({"document_id": d["document_id"], "title": d.get("title"), "content": d["content"]})
    vocabulary = sorted({w for d in docs[:2000] for w in words_of(d["content"]) if w.isalpha()})
    long_docs = [d for d in docs if len(words_of(d["content"])) >= 80]
    chosen = rng.sample(long_docs, min(args.bases + 200, len(long_docs)))
    bases, spare = chosen[:args.bases], chosen[args.bases:]

    planted = []      # (kind, document_id a, document_id b): must be one cluster
    negatives = []    # (document_id a, document_id b): must not
    extra = []        # documents added
    planted_ids = set()
    for i, base in enumerate(bases):
        kind = KINDS[i % len(KINDS)]
        text = base["content"]
        bid = base["document_id"]
        if kind == "letter":
            body = " ".join(words_of(text)[:150])
            ids = []
            for k in range(3):
                did = f"dup:{i}:letter{k}"
                extra.append({"document_id": did, "title": "Bescheid", "content": letter(rng, body, i * 3 + k)})
                ids.append(did)
            for a, b in itertools.combinations(ids, 2):
                planted.append((kind, a, b))
            planted_ids.update(ids)
            continue
        if kind == "exact":
            variant = "  " + text.lower().replace(" ", "  \t") + "\n"
        elif kind == "edit":
            variant = replace_words(rng, text, 0.03, vocabulary)
        elif kind == "edit10":
            variant = replace_words(rng, text, 0.10, vocabulary)
        elif kind == "reorder":
            variant = reorder(rng, text)
        else:  # boiler: the page under two different letterheads (20 + 20 words)
            a, b = words_of(rng.choice(long_docs)["content"]), words_of(rng.choice(long_docs)["content"])
            framed = " ".join(a[:20]) + "\n\n" + text + "\n\n" + " ".join(a[-20:])
            variant = " ".join(b[:20]) + "\n\n" + text + "\n\n" + " ".join(b[-20:])
            base = dict(base, content=framed)
            bid = f"dup:{i}:boiler-base"
            extra.append(base | {"document_id": bid})
        did = f"dup:{i}:{kind}"
        extra.append({"document_id": did, "title": base.get("title"), "content": variant})
        planted.append((kind, bid, did))
        planted_ids.update([bid, did])

    # Negatives: pairs of different pages in the same 80 words of boilerplate.
    for j in range(0, len(spare) - 2, 3):
        a, b, frame = spare[j], spare[j + 1], words_of(spare[j + 2]["content"])
        head, foot = " ".join(frame[:40]), " ".join(frame[-40:])
        ids = []
        for k, page in enumerate((a, b)):
            body = " ".join(words_of(page["content"])[:200])
            did = f"neg:{j}:{k}"
            extra.append({"document_id": did, "title": "Bescheid", "content": f"{head}\n\n{body}\n\n{foot}"})
            ids.append(did)
        negatives.append((ids[0], ids[1]))
        planted_ids.update(ids)

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "corpus.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for d in docs + extra:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        psql("postgres", f"DROP DATABASE IF EXISTS {args.db}")
        psql("postgres", f"CREATE DATABASE {args.db}")
        psql(args.db, "CREATE EXTENSION clara")
        subprocess.run([args.clara_stream, "load", "-d", args.db, "--quiet", path], check=True)

    contents = {d["document_id"]: d["content"] for d in docs + extra}
    rows = psql(args.db, "SELECT d.document_id, c.near_cluster, COALESCE(c.exact_cluster, 0) "
                         "FROM clara_dup_clusters c JOIN clara_documents d USING (doc_key)")
    near, exact = {}, {}
    for line in rows.splitlines():
        did, n, e = line.split("|")
        near[did] = int(n)
        if int(e):
            exact[did] = int(e)

    def together(m, a, b):
        return a in m and b in m and m[a] == m[b]

    result = {"documents": len(docs) + len(extra), "bases": len(bases), "kinds": {}}
    for kind in KINDS:
        pairs = [(a, b) for k, a, b in planted if k == kind]
        found = sum(together(near, a, b) for a, b in pairs)
        entry = {"pairs": len(pairs), "near_recall": round(found / len(pairs), 3) if pairs else None}
        if kind == "exact":
            entry["exact_recall"] = round(sum(together(exact, a, b) for a, b in pairs) / len(pairs), 3)
        result["kinds"][kind] = entry
    merged = sum(together(near, a, b) for a, b in negatives)
    result["negatives"] = {"pairs": len(negatives), "merged": merged,
                           "false_merge_rate": round(merged / len(negatives), 3) if negatives else None}
    # Pair precision over predicted pairs that involve a planted document: a
    # pair is right when it was planted, or when the two texts' word 5-gram
    # sets (computed exactly here) have Jaccard >= 0.7 anyway; other pairs
    # (joined through a third document, or wrong) count against it.
    clusters = {}
    for did, c in near.items():
        clusters.setdefault(c, []).append(did)
    truth = {frozenset((a, b)) for _, a, b in planted}
    predicted = correct = natural_pairs = 0
    natural = []
    for members in clusters.values():
        if not any(m in planted_ids for m in members):
            natural.append(sorted(members))
            continue
        for a, b in itertools.combinations(members, 2):
            if a not in planted_ids and b not in planted_ids:
                continue
            predicted += 1
            if frozenset((a, b)) in truth:
                correct += 1
            elif jaccard(shingles(contents[a]), shingles(contents[b])) >= 0.7:
                correct += 1
                natural_pairs += 1
    all_truth = len(truth)
    found_truth = sum(together(near, *tuple(p)) for p in truth)
    result["pairs"] = {"planted": all_truth, "found": found_truth, "predicted": predicted, "correct": correct,
                       "right_unplanted": natural_pairs,
                       "precision": round(correct / predicted, 3) if predicted else None,
                       "recall": round(found_truth / all_truth, 3) if all_truth else None}
    natural_right = sum(
        all(jaccard(shingles(contents[a]), shingles(contents[b])) >= 0.5 for a, b in itertools.combinations(m, 2))
        for m in natural)
    result["natural_clusters"] = {"count": len(natural), "documents": sum(len(m) for m in natural),
                                  "all_pairs_jaccard_at_least_0.5": natural_right, "examples": natural[:5]}
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
