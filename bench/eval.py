#!/usr/bin/python3
"""Ranking quality of clara_search, per search configuration.

Real sets first (bench/realsets.py): documents that Debian packages ship,
nobody here wrote them, with known-item queries (a page's own description or
title, removed from the page; that page is the one relevant document). These
choose the defaults. Per set and configuration:

  MRR@10    mean of 1/rank of the relevant page, 0 when it is not in the top 10
  nDCG@10   1/log2(rank + 1) when in the top 10 (one relevant page, grade 1)
  R@100     share of queries whose page is in the top 100
  ms/query  mean time of the clara_search call as the client sees it

Configurations: keyword, vector, graph alone; keyword+vector; the default
(the server's search types and fusion: keyword, vector and graph, weighted);
the default under rrf. Beside them, two references computed here in Python:
the sparse character n-gram TF-IDF cosine of bench/reference_ngram.py, and
0.4 x Clara keyword + 0.6 x that (each max-normalised), the fusion a
held-out German set was measured with.

Then the generated set as a sanity check only (its words come from the same
generator as its queries, so it cannot choose anything): 45 hand-written
queries (bench/eval/queries.tsv: exact, inflected, paraphrase) graded by the
generator's ground truth (`clara-stream generate --truth`):

  grade 2  a good document on the topic (its title or text names the topic)
  grade 1  a near-duplicate or a boilerplate-wrapped page on the topic
  grade 0  everything else (stubs, garbage, laws that never name their topic)

  nDCG@10 with gain 2^grade - 1; R@100 = relevant in the top 100 /
  min(100, relevant).

Every query runs as clara_search(query, 100, 0.0, NULL, types, weights):
min_quality 0, so the ranking is measured, not the quality filter (the
report counts the relevant pages below the default 0.5).

The script starts no server: --dsn names a database of a server where the
clara extension is installed; it creates one database per set
(clara_eval_<set>, dropped and loaded anew each run), loads it with
`clara-stream load`, runs VACUUM ANALYZE and every configuration, and writes
OUT/eval.json (everything, per query) and OUT/eval.md. --sweep adds a table
of fusion weights on the real sets. `make eval` runs it against a throwaway
cluster.
"""
import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import realsets  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
CLARA_STREAM = os.environ.get("CLARA_STREAM", str(REPO / "build" / "clara-stream"))
TOP_K = 100
NDCG_K = 10
KINDS = ("exact", "inflected", "paraphrase")
GENERATED_METRICS = ("ndcg@10", "recall@100")
REAL_METRICS = ("mrr@10", "ndcg@10", "recall@100")

# (name, search types or None for the server's default, fusion method or None
# for the server's default, weights or None)
CONFIGURATIONS = [
    ("keyword", ["keyword"], None, None),
    ("vector", ["vector"], None, None),
    ("graph", ["graph"], None, None),
    ("keyword+vector", ["keyword", "vector"], None, None),
    ("default", None, None, None),
    ("default, rrf", None, "rrf", None),
]
DEFAULT = "default"
SINGLE = ("keyword", "vector", "graph")
# Settings tried by --sweep (the default's search types, weighted fusion).
SWEEP_TITLE = (0.0, 0.5, 1.0, 2.0)
SWEEP_VECTOR = (1.0, 1.5, 2.0)
SWEEP_GRAPH = (0.0, 0.1, 0.3)


def log(msg):
    print(f"eval: {msg}", file=sys.stderr, flush=True)


class NotAvailable(Exception):
    pass


# ---------------------------------------------------------------------------
# Database

def dsn_for(base, dbname):
    return psycopg.conninfo.make_conninfo(base, dbname=dbname)


def fresh_database(base_dsn, dbname):
    with psycopg.connect(base_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        conn.execute(f"CREATE DATABASE \"{dbname}\" ENCODING 'UTF8' TEMPLATE template0")
    dsn = dsn_for(base_dsn, dbname)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        conn.execute("CREATE EXTENSION clara")
    return dsn


def load(dsn, corpus_file):
    start = time.monotonic()
    subprocess.run([CLARA_STREAM, "load", str(corpus_file), "--quiet", "--dsn", dsn], check=True)
    seconds = time.monotonic() - start
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
        row = conn.execute("""SELECT (SELECT count(*) FROM clara_documents), (SELECT count(*) FROM clara_edges),
                                     (SELECT extversion FROM pg_extension WHERE extname = 'clara')""").fetchone()
    return {"documents": row[0], "edges": row[1], "extension_version": row[2], "load_seconds": round(seconds, 2)}


def server_settings(conn):
    conn.execute("SELECT clara_query_terms('x')")  # the module defines its settings when loaded
    rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name LIKE 'clara.%' ORDER BY name").fetchall()
    conn.commit()
    return dict(rows)


def run_queries(conn, queries, types, fusion, weights):
    """Per query the ranked document ids, and the mean latency."""
    if fusion is not None:
        conn.execute("SELECT set_config('clara.fusion_method', %s, false)", [fusion])
    try:
        results, seconds = [], []
        for q in queries:
            start = time.perf_counter()
            rows = conn.execute("SELECT document_id FROM clara_search(%s, %s, 0.0, NULL, %s::text[], %s::jsonb)",
                                [q, TOP_K, types, weights]).fetchall()
            seconds.append(time.perf_counter() - start)
            results.append([r[0] for r in rows])
        conn.commit()
    except psycopg.Error:
        conn.rollback()
        raise
    finally:
        if fusion is not None:
            conn.execute("RESET clara.fusion_method")
            conn.commit()
    return results, statistics.fmean(seconds) if seconds else 0.0


def unavailable(e):
    state = getattr(e, "sqlstate", None)
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return f"{state}: {msg}" if state else msg


# ---------------------------------------------------------------------------
# Real sets: known-item metrics

def known_item(ranked, relevant):
    try:
        rank = ranked.index(relevant) + 1
    except ValueError:
        rank = None
    return {
        "rank": rank,
        "mrr@10": 1.0 / rank if rank and rank <= NDCG_K else 0.0,
        "ndcg@10": 1.0 / math.log2(rank + 1) if rank and rank <= NDCG_K else 0.0,
        "recall@100": 1.0 if rank and rank <= TOP_K else 0.0,
    }


def mean_metrics(rows, metrics):
    out = {m: statistics.fmean(r[m] for r in rows) if rows else None for m in metrics}
    out["queries"] = len(rows)
    return out


def fuse_max(lists_and_weights):
    """Weighted sum of max-normalised scores; ids best first."""
    acc = {}
    for ranked, w in lists_and_weights:
        best = max((s for _, s in ranked), default=0.0)
        if best <= 0:
            continue
        for doc_id, s in ranked:
            acc[doc_id] = acc.get(doc_id, 0.0) + w * max(s, 0.0) / best
    return [d for d, _ in sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))]


def evaluate_real_set(args, name):
    meta = realsets.build_set(name, Path(args.realsets_dir), Path(args.realsets_dir) / "debs", args.max_queries)
    set_dir = Path(args.realsets_dir) / name
    queries = [row for row in read_tsv(set_dir / "queries.tsv")]
    texts = [q["query"] for q in queries]
    dsn = fresh_database(args.dsn, "clara_eval_" + name.replace("-", "_"))
    loaded = load(dsn, set_dir / "corpus.jsonl")
    log(f"{name}: {loaded['documents']} documents, {loaded['edges']} citation edges loaded in "
        f"{loaded['load_seconds']} s; {len(queries)} queries")
    result = {"name": name, "set": meta, "loaded": loaded, "configurations": []}
    with psycopg.connect(dsn) as conn:
        result["server_settings"] = server_settings(conn)
        targets = [q["document_id"] for q in queries]
        below = conn.execute("SELECT count(*) FROM clara_documents WHERE document_id = ANY(%s) AND quality_score < 0.5",
                             [targets]).fetchone()[0]
        conn.commit()
        result["relevant_below_min_quality_0_5"] = below
        for cfg_name, types, fusion, weights in CONFIGURATIONS:
            cfg = {"name": cfg_name, "search_types": types, "fusion_method": fusion, "weights": weights}
            try:
                ranked, latency = run_queries(conn, texts, types, fusion, weights)
            except psycopg.Error as e:
                cfg.update(available=False, error=unavailable(e))
                log(f"{name} {cfg_name}: not available ({cfg['error']})")
                result["configurations"].append(cfg)
                continue
            add_known_item(cfg, queries, ranked, latency)
            result["configurations"].append(cfg)
            log(f"{name} {cfg_name}: MRR@10 {cfg['mean']['mrr@10']:.3f}, R@100 {cfg['mean']['recall@100']:.3f}")
        if not args.no_reference:
            keyword_scores = []
            for q in texts:
                rows = conn.execute("SELECT document_id, score FROM clara_bm25(%s) ORDER BY score DESC, document_id "
                                    "LIMIT 1000", [q]).fetchall()
                keyword_scores.append(rows)
            conn.commit()
            docs = [json.loads(line) for line in open(set_dir / "corpus.jsonl", encoding="utf-8")]
            start = time.perf_counter()
            import reference_ngram
            ref = reference_ngram.ReferenceNgram(docs)
            ref_lists = ref.search(texts, 1000)
            latency = (time.perf_counter() - start) / max(len(texts), 1)
            cfg = {"name": "reference: n-gram TF-IDF", "reference": True}
            add_known_item(cfg, queries, [[d for d, _ in r] for r in ref_lists], latency)
            result["configurations"].append(cfg)
            cfg = {"name": "reference: 0.4 keyword + 0.6 n-gram TF-IDF", "reference": True}
            fused = [fuse_max([(k, 0.4), (r, 0.6)]) for k, r in zip(keyword_scores, ref_lists)]
            add_known_item(cfg, queries, fused, None)
            result["configurations"].append(cfg)
            for c in result["configurations"][-2:]:
                log(f"{name} {c['name']}: MRR@10 {c['mean']['mrr@10']:.3f}, R@100 {c['mean']['recall@100']:.3f}")
        if args.sweep:
            result["sweep"] = sweep(conn, name, texts, queries)
    return result


def add_known_item(cfg, queries, ranked_lists, latency):
    per_query = []
    for q, ranked in zip(queries, ranked_lists):
        m = known_item(ranked[:TOP_K], q["document_id"])
        m["id"] = int(q["id"])
        per_query.append(m)
    kinds = sorted({q["kind"] for q in queries})
    cfg.update(available=True, ms_per_query=None if latency is None else latency * 1000,
               mean=mean_metrics(per_query, REAL_METRICS),
               by_kind={k: mean_metrics([m for q, m in zip(queries, per_query) if q["kind"] == k], REAL_METRICS)
                        for k in kinds},
               # Per query only the relevant page's rank (None: not in the top 100); the rest follows from it.
               ranks={m["id"]: m["rank"] for m in per_query})


def sweep(conn, name, texts, queries):
    rows = []
    for wt in SWEEP_TITLE:
        conn.execute("SELECT set_config('clara.title_weight', %s, false)", [str(wt)])
        conn.commit()
        for wv in SWEEP_VECTOR:
            for wg in SWEEP_GRAPH:
                weights = json.dumps({"keyword": 1.0, "vector": wv, "graph": wg})
                ranked, _ = run_queries(conn, texts, ["keyword", "vector", "graph"], "weighted", weights)
                mrr = statistics.fmean(known_item(r, q["document_id"])["mrr@10"] for r, q in zip(ranked, queries))
                rows.append({"title": wt, "vector": wv, "graph": wg, "mrr@10": mrr})
                log(f"{name} sweep title {wt} vector {wv} graph {wg}: MRR@10 {mrr:.3f}")
        # keyword alone at this title weight
        ranked, _ = run_queries(conn, texts, ["keyword"], None, None)
        mrr = statistics.fmean(known_item(r, q["document_id"])["mrr@10"] for r, q in zip(ranked, queries))
        rows.append({"title": wt, "vector": 0.0, "graph": 0.0, "mrr@10": mrr, "keyword_only": True})
        log(f"{name} sweep title {wt} keyword alone: MRR@10 {mrr:.3f}")
    conn.execute("RESET clara.title_weight")
    conn.commit()
    return rows


# ---------------------------------------------------------------------------
# The generated set (sanity check)

def read_tsv(path):
    """Rows of a TSV file with a header line; '#' lines are comments. No
    quoting: topic names contain '"'."""
    header, rows = None, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            fields = line.split("\t")
            if header is None:
                header = fields
                continue
            if len(fields) != len(header):
                raise SystemExit(f"{path}: {len(fields)} fields, expected {len(header)}: {line!r}")
            rows.append(dict(zip(header, fields)))
    return rows


def grade(doc):
    if doc["topic_in_text"] != "1":
        return 0
    if doc["quality"] == "good":
        return 2
    if doc["quality"] in ("near_duplicate", "boilerplate"):
        return 1
    return 0


def generated_judgements(queries_path, truth):
    names, by_id = {}, {}
    for d in truth:
        names.setdefault(d["topic_name"], set()).add(int(d["topic_id"]))
        by_id[int(d["topic_id"])] = d["topic_name"]
    graded = {}
    for d in truth:
        g = grade(d)
        if g > 0:
            graded.setdefault(int(d["topic_id"]), {})[d["document_id"]] = g
    queries = []
    for i, row in enumerate(read_tsv(queries_path), 1):
        topic, kind = row["topic"], row["kind"]
        if kind not in KINDS:
            raise SystemExit(f"{queries_path}: query {i}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if topic.isdigit() and int(topic) in by_id:
            ids = {int(topic)}
        elif topic in names:
            ids = names[topic]
        else:
            raise SystemExit(f"{queries_path}: query {i}: no document of the corpus is on topic {topic!r}")
        judged = {}
        for t in ids:
            judged.update(graded.get(t, {}))
        queries.append({"id": i, "query": row["query"], "kind": kind, "judged": judged})
    return queries


def dcg(grades):
    return sum((2 ** g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, 1))


def graded_metrics(ranked, judged):
    ideal = dcg(sorted(judged.values(), reverse=True)[:NDCG_K])
    found = sum(1 for doc_id in ranked[:TOP_K] if doc_id in judged)
    return {
        "ndcg@10": dcg([judged.get(d, 0) for d in ranked[:NDCG_K]]) / ideal if ideal > 0 else 0.0,
        "recall@100": found / min(TOP_K, len(judged)) if judged else 0.0,
    }


def evaluate_generated(args):
    with tempfile.TemporaryDirectory(prefix="clara-eval-") as tmp:
        corpus, truth_file = Path(tmp) / "corpus.jsonl", Path(tmp) / "truth.tsv"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(args.corpus_docs), "--seed", str(args.seed),
                        "--output", str(corpus), "--truth", str(truth_file), "--quiet"], check=True)
        queries = generated_judgements(args.queries, read_tsv(truth_file))
        dsn = fresh_database(args.dsn, "clara_eval_generated")
        loaded = load(dsn, corpus)
    log(f"generated: {loaded['documents']} documents; {len(queries)} queries")
    result = {"name": "generated", "corpus_docs": args.corpus_docs, "seed": args.seed, "loaded": loaded,
              "queries": [{k: q[k] for k in ("id", "query", "kind")} | {"relevant": len(q["judged"])}
                          for q in queries],
              "configurations": []}
    with psycopg.connect(dsn) as conn:
        result["server_settings"] = server_settings(conn)
        for cfg_name, types, fusion, weights in CONFIGURATIONS:
            cfg = {"name": cfg_name, "search_types": types, "fusion_method": fusion}
            try:
                ranked, latency = run_queries(conn, [q["query"] for q in queries], types, fusion, weights)
            except psycopg.Error as e:
                cfg.update(available=False, error=unavailable(e))
                result["configurations"].append(cfg)
                continue
            per_query = [graded_metrics(r, q["judged"]) | {"id": q["id"]} for r, q in zip(ranked, queries)]
            cfg.update(available=True, ms_per_query=latency * 1000, mean=mean_metrics(per_query, GENERATED_METRICS),
                       by_kind={k: mean_metrics([m for q, m in zip(queries, per_query) if q["kind"] == k],
                                                GENERATED_METRICS) for k in KINDS},
                       per_query=per_query)
            result["configurations"].append(cfg)
            log(f"generated {cfg_name}: nDCG@10 {cfg['mean']['ndcg@10']:.3f}, R@100 {cfg['mean']['recall@100']:.3f}")
    return result


# ---------------------------------------------------------------------------
# Report

def fmt(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def signed(x):
    return "–" if x is None else f"{x:+.3f}"


def config(result, name):
    return next((c for c in result["configurations"] if c["name"] == name and c.get("available")), None)


def margins(result):
    """The default's MRR@10 minus keyword's and minus the best single retriever's."""
    d, k = config(result, DEFAULT), config(result, "keyword")
    singles = [c for c in (config(result, n) for n in SINGLE) if c]
    if not d or not k or not singles:
        return None
    best = max(singles, key=lambda c: c["mean"]["mrr@10"])
    return {"over_keyword": d["mean"]["mrr@10"] - k["mean"]["mrr@10"],
            "best_single": best["name"], "over_best_single": d["mean"]["mrr@10"] - best["mean"]["mrr@10"],
            "recall_over_keyword": d["mean"]["recall@100"] - k["mean"]["recall@100"]}


def markdown(report):
    lines = ["# Ranking evaluation", "",
             f"{report['started']}, extension {report['extension_version']}. Real sets first: documents "
             "that Debian packages ship, known-item queries (a page's own description or title, removed from "
             "the page; that page is the one relevant document), built by `bench/realsets.py`. "
             f"Every query: `clara_search(query, {TOP_K}, 0.0, NULL, types)`. MRR@10; nDCG@10 = 1/log2(rank+1) "
             "in the top 10; R@100 = share of queries whose page is in the top 100. The references are computed "
             "in Python over the same documents (`bench/reference_ngram.py`).", ""]
    summary = ["| set | keyword | vector | default | default − keyword | default − best single | "
               "reference TF-IDF | reference fusion |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in report["real_sets"]:
        m = margins(r)
        get = lambda n: fmt(config(r, n)["mean"]["mrr@10"]) if config(r, n) else "–"  # noqa: E731
        summary.append(f"| {r['name']} | {get('keyword')} | {get('vector')} | **{get(DEFAULT)}** | "
                       f"{signed(m['over_keyword']) if m else '–'} | "
                       f"{signed(m['over_best_single']) + ' (' + m['best_single'] + ')' if m else '–'} | "
                       f"{get('reference: n-gram TF-IDF')} | {get('reference: 0.4 keyword + 0.6 n-gram TF-IDF')} |")
    lines += ["MRR@10:", ""] + summary + [""]
    for r in report["real_sets"]:
        s = r["set"]
        lines += [f"## {r['name']}", "",
                  f"`{s['package']}` {s['version']} (sha256 `{s['deb_sha256'][:16]}…`): {r['loaded']['documents']} "
                  f"documents (median {s['content_chars']['median']} characters, largest {s['content_chars']['max']}), "
                  f"{s['queries']} queries ({', '.join(f'{n} {k}' for k, n in s['kinds'].items())}; "
                  f"{s['query_candidates']} candidates), {r['loaded']['edges']} citation edges; loaded in "
                  f"{r['loaded']['load_seconds']} s. Relevant pages with quality_score < 0.5: "
                  f"{r['relevant_below_min_quality_0_5']}.", "",
                  "| configuration | MRR@10 | nDCG@10 | R@100 | ms/query |", "|---|---:|---:|---:|---:|"]
        for c in r["configurations"]:
            if not c.get("available"):
                lines.append(f"| {c['name']} | not available: {c['error']} | | | |")
                continue
            m = c["mean"]
            name = f"**{c['name']}**" if c["name"] == DEFAULT else c["name"]
            lines.append(f"| {name} | {fmt(m['mrr@10'])} | {fmt(m['ndcg@10'])} | {fmt(m['recall@100'])} | "
                         f"{fmt(c['ms_per_query'], 1)} |")
        if r.get("sweep"):
            fused = [x for x in r["sweep"] if not x.get("keyword_only")]
            lines += ["", "Settings (`--sweep`): MRR@10 of keyword, vector and graph fused (weighted, keyword "
                      "weight 1) per clara.title_weight and vector / graph weight, and of keyword alone:", "",
                      "| title_weight | keyword alone | " +
                      " | ".join(f"v {wv} g {wg}" for wv in SWEEP_VECTOR for wg in SWEEP_GRAPH) + " |",
                      "|---:|---:|" + "---:|" * (len(SWEEP_VECTOR) * len(SWEEP_GRAPH))]
            for wt in SWEEP_TITLE:
                alone = next((x["mrr@10"] for x in r["sweep"] if x.get("keyword_only") and x["title"] == wt), None)
                cells = [fmt(next((x["mrr@10"] for x in fused
                                   if x["title"] == wt and x["vector"] == wv and x["graph"] == wg), None))
                         for wv in SWEEP_VECTOR for wg in SWEEP_GRAPH]
                lines.append(f"| {wt} | {fmt(alone)} | " + " | ".join(cells) + " |")
        lines.append("")
    g = report.get("generated")
    if g:
        lines += ["## Generated set (sanity check only)", "",
                  f"{g['loaded']['documents']} generated documents (seed {g['seed']}), {len(g['queries'])} "
                  "hand-written queries graded by the generator's ground truth (2 good, 1 near-duplicate or "
                  "boilerplate page on the topic, 0 the rest). nDCG@10 with gain 2^grade − 1; R@100 = relevant "
                  "in the top 100 ÷ min(100, relevant). Its words come from the generator its queries were "
                  "written against: it cannot choose defaults.", "",
                  "| configuration | nDCG@10 | R@100 | " + " | ".join(f"nDCG@10 {k}" for k in KINDS) + " | ms/query |",
                  "|---|---:|---:|" + "---:|" * (len(KINDS) + 1)]
        for c in g["configurations"]:
            if not c.get("available"):
                lines.append(f"| {c['name']} | not available: {c['error']} |" + " |" * (len(KINDS) + 2))
                continue
            lines.append(f"| {c['name']} | {fmt(c['mean']['ndcg@10'])} | {fmt(c['mean']['recall@100'])} | " +
                         " | ".join(fmt(c["by_kind"][k]["ndcg@10"]) for k in KINDS) +
                         f" | {fmt(c['ms_per_query'], 1)} |")
        lines.append("")
    lines += [f"Settings: `{json.dumps(report['server_settings'], ensure_ascii=False)}`", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default=os.environ.get("CLARA_DSN", ""),
                    help="a database of the server to use (default: $CLARA_DSN, else PG* variables)")
    ap.add_argument("--sets", default=",".join(list(realsets.SETS) + ["generated"]),
                    help="comma-separated: real sets and/or 'generated' (default: all)")
    ap.add_argument("--realsets-dir", default=os.environ.get("CLARA_REALSETS_DIR",
                                                             str(Path.home() / ".cache" / "clara" / "realsets")),
                    help="where the real sets and their .deb files are kept (default ~/.cache/clara/realsets)")
    ap.add_argument("--max-queries", type=int, default=600, help="queries per real set at most (default 600)")
    ap.add_argument("--no-reference", action="store_true", help="skip the Python reference retrievers")
    ap.add_argument("--sweep", action="store_true", help="also try fusion weights on the real sets")
    ap.add_argument("--corpus-docs", type=int, default=5000, help="generated documents (default 5000)")
    ap.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    ap.add_argument("--queries", default=str(REPO / "bench" / "eval" / "queries.tsv"),
                    help="judged queries for the generated set")
    ap.add_argument("--out-dir", default=str(REPO / "bench" / "results"))
    args = ap.parse_args()

    names = [s for s in args.sets.split(",") if s]
    unknown = [s for s in names if s not in realsets.SETS and s != "generated"]
    if unknown:
        raise SystemExit(f"eval: unknown set(s) {', '.join(unknown)} (known: {', '.join(realsets.SETS)}, generated)")
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = {"started": started, "top_k": TOP_K, "real_sets": [], "generated": None}
    for name in names:
        if name == "generated":
            report["generated"] = evaluate_generated(args)
        else:
            report["real_sets"].append(evaluate_real_set(args, name))
    first = (report["real_sets"] or [report["generated"]])[0]
    report["extension_version"] = first["loaded"]["extension_version"]
    report["server_settings"] = first["server_settings"]

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md = markdown(report)
    (out / "eval.md").write_text(md, encoding="utf-8")
    print(md)
    log(f"wrote {out / 'eval.json'} and {out / 'eval.md'}")


if __name__ == "__main__":
    main()
