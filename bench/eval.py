#!/usr/bin/python3
"""Ranking quality of clara_search on the generated sample corpus.

Judged queries (bench/eval/queries.tsv: query, topic, kind) against the
generator's ground truth: every generated document is about one topic
(`clara-stream generate --truth`), so the relevant documents of a query are
those generated on its topic, graded by what their text actually is:

  grade 2  a good document on the topic (its title or text names the topic)
  grade 1  a near-duplicate or a boilerplate-wrapped page on the topic (the
           same subject, but a copy or buried in navigation and cookie text)
  grade 0  everything else, and on the topic: stubs (3-10 words; only the title
           can name the topic), garbage (never about anything) and the few laws
           whose paragraphs never name their topic (topic_in_text = 0)

Metrics per query, from `clara_search(query, 100, 0.0, NULL, types, weights)`:

  ndcg@10            gain 2^grade - 1, discount log2(rank + 1); the ideal DCG
                     from all judged documents of the topic (best 10 grades)
  recall@100         |relevant in top 100| / min(100, |relevant|), relevant =
                     grade >= 1: 1.0 is reachable even with > 100 relevant
  recall@100_plain   |relevant in top 100| / |relevant| (capped at 100/|relevant|
                     when a topic has more than 100 relevant documents)

Configurations: keyword, vector, graph alone; keyword+vector and
keyword+vector+graph, each under clara.fusion_method = rrf and = weighted. A
configuration the server refuses (SQLSTATE 0A000 for a search type it does not
offer, an unknown setting or value) is reported as not available.

The script starts no server: --dsn names a database that has the clara
extension (default: $CLARA_DSN, else the PG* variables). It generates the
corpus (documents and ground truth) into a work directory, loads it with
`clara-stream load` (unless --skip-load: then the database must already hold
exactly that corpus), runs VACUUM ANALYZE, runs every query in every
configuration and writes OUT/eval.json (everything, per query) and
OUT/eval.md (tables). `make eval` runs it against a throwaway cluster.
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

REPO = Path(__file__).resolve().parent.parent
CLARA_STREAM = os.environ.get("CLARA_STREAM", str(REPO / "build" / "clara-stream"))
KINDS = ("exact", "inflected", "paraphrase")
TOP_K = 100
NDCG_K = 10
METRICS = ("ndcg@10", "recall@100", "recall@100_plain")

# (name, search types, fusion method or None)
CONFIGURATIONS = [
    ("keyword", ["keyword"], None),
    ("vector", ["vector"], None),
    ("graph", ["graph"], None),
    ("keyword+vector rrf", ["keyword", "vector"], "rrf"),
    ("keyword+vector weighted", ["keyword", "vector"], "weighted"),
    ("keyword+vector+graph rrf", ["keyword", "vector", "graph"], "rrf"),
    ("keyword+vector+graph weighted", ["keyword", "vector", "graph"], "weighted"),
]


def log(msg):
    print(f"eval: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Inputs

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


def read_truth(path):
    docs = read_tsv(path)
    for d in docs:
        d["topic_id"] = int(d["topic_id"])
        d["topic_in_text"] = d["topic_in_text"] == "1"
    return docs


def grade(doc):
    """Relevance of a document to its own topic (see the module docstring)."""
    if not doc["topic_in_text"]:
        return 0
    q = doc["quality"]
    if q == "good":
        return 2
    if q in ("near_duplicate", "boilerplate"):
        return 1
    return 0  # stub, garbage


def read_queries(path, truth):
    names = {}  # topic name -> ids (a name can belong to two topics)
    for d in truth:
        names.setdefault(d["topic_name"], set()).add(d["topic_id"])
    ids = {d["topic_id"]: d["topic_name"] for d in truth}
    queries = []
    for i, row in enumerate(read_tsv(path), 1):
        topic, kind = row["topic"], row["kind"]
        if kind not in KINDS:
            raise SystemExit(f"{path}: query {i}: kind {kind!r} is not one of {', '.join(KINDS)}")
        if topic.isdigit():
            if int(topic) not in ids:
                raise SystemExit(f"{path}: query {i}: topic {topic} has no document in the corpus")
            topic_ids = {int(topic)}
            topic_name = ids[int(topic)]
        elif topic in names:
            topic_ids, topic_name = names[topic], topic
        else:
            raise SystemExit(f"{path}: query {i}: no document of the corpus is on topic {topic!r}")
        queries.append({"id": i, "query": row["query"], "kind": kind, "topic": topic_name,
                        "topic_ids": sorted(topic_ids)})
    return queries


def judgements(queries, truth):
    """Per query: document_id -> grade (> 0 only)."""
    by_topic = {}
    for d in truth:
        g = grade(d)
        if g > 0:
            by_topic.setdefault(d["topic_id"], {})[d["document_id"]] = g
    out = []
    for q in queries:
        j = {}
        for t in q["topic_ids"]:
            j.update(by_topic.get(t, {}))
        out.append(j)
    return out


# ---------------------------------------------------------------------------
# Metrics

def dcg(grades):
    return sum((2 ** g - 1) / math.log2(rank + 1) for rank, g in enumerate(grades, 1))


def metrics(ranked, judged):
    gains = [judged.get(doc_id, 0) for doc_id in ranked[:NDCG_K]]
    ideal = dcg(sorted(judged.values(), reverse=True)[:NDCG_K])
    relevant = len(judged)
    found = sum(1 for doc_id in ranked[:TOP_K] if doc_id in judged)
    return {
        "ndcg@10": dcg(gains) / ideal if ideal > 0 else 0.0,
        "recall@100": found / min(TOP_K, relevant) if relevant else 0.0,
        "recall@100_plain": found / relevant if relevant else 0.0,
    }


def means(rows):
    out = {m: statistics.fmean(r[m] for r in rows) if rows else None for m in METRICS}
    out["queries"] = len(rows)
    return out


# ---------------------------------------------------------------------------
# Database

def prepare(args, dsn, corpus_file, truth_docs):
    with psycopg.connect(dsn, autocommit=True) as conn:
        have = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'clara'").fetchone()
        if not have:
            raise SystemExit("the database has no clara extension (CREATE EXTENSION clara)")
        n = conn.execute("SELECT count(*) FROM clara_documents").fetchone()[0]
        if args.skip_load:
            # The database must hold exactly this corpus: same ids, same count.
            ids = [truth_docs[0]["document_id"], truth_docs[-1]["document_id"]]
            present = conn.execute("SELECT count(*) FROM clara_documents WHERE document_id = ANY(%s)",
                                   [ids]).fetchone()[0]
            if n != len(truth_docs) or present != len(ids):
                raise SystemExit(f"--skip-load: the database holds {n} documents, not the "
                                 f"{len(truth_docs)}-document corpus (seed {args.seed})")
            log(f"reusing the loaded corpus ({n} documents)")
        else:
            if n:
                raise SystemExit(f"the database already holds {n} documents: use an empty database, "
                                 "or --skip-load to evaluate what it holds")
            cmd = [CLARA_STREAM, "load", str(corpus_file), "--quiet"]
            if dsn:
                cmd += ["--dsn", dsn]
            start = time.monotonic()
            subprocess.run(cmd, check=True)
            log(f"loaded {len(truth_docs)} documents in {time.monotonic() - start:.1f} s")
        edges = conn.execute("SELECT count(*) FROM clara_edges").fetchone()[0]
        conn.execute("VACUUM ANALYZE")
        return have[0], edges


def server_settings(conn):
    # The module defines its settings when it is loaded: call it once first.
    conn.execute("SELECT clara_query_terms('x')")
    rows = conn.execute("SELECT name, setting FROM pg_settings WHERE name LIKE 'clara.%' ORDER BY name").fetchall()
    return dict(rows)


def run_configuration(conn, queries, types, fusion, weights, have_fusion_setting):
    """Rows of document ids per query, the mean latency; raises psycopg.Error."""
    if fusion is not None:
        if not have_fusion_setting:
            raise NotAvailable("the server has no setting clara.fusion_method")
        conn.execute("SELECT set_config('clara.fusion_method', %s, false)", [fusion])
    results, seconds = [], []
    for q in queries:
        start = time.perf_counter()
        rows = conn.execute(
            "SELECT document_id FROM clara_search(%s, %s, 0.0, NULL, %s::text[], %s::jsonb)",
            [q["query"], TOP_K, types, weights]).fetchall()
        seconds.append(time.perf_counter() - start)
        results.append([r[0] for r in rows])
    conn.commit()
    return results, statistics.fmean(seconds)


class NotAvailable(Exception):
    pass


# ---------------------------------------------------------------------------
# Report

def fmt(x):
    return "–" if x is None else f"{x:.3f}"


def markdown(report):
    c = report["corpus"]
    lines = [
        "# Ranking evaluation",
        "",
        f"{report['started']}: {c['documents']} generated documents (seed {c['seed']}), "
        f"{len(report['queries'])} judged queries over {report['topics']} topics "
        f"({', '.join(f'{n} {k}' for k, n in report['queries_per_kind'].items())}), "
        f"`clara_search(query, {TOP_K}, 0.0, NULL, types, weights)`; extension {report['extension_version']}, "
        f"{c['edges']} citation edges.",
        "",
        "Grades: 2 = good document on the topic, 1 = near-duplicate or boilerplate page on it, "
        "0 = anything else (stubs and garbage included). nDCG@10 with gain 2^grade − 1 and the ideal "
        "from all judged documents; **R@100** = relevant (grade ≥ 1) found in the top 100 ÷ min(100, "
        "relevant); **R@100 plain** = the same ÷ all relevant. Relevant documents per query: "
        f"median {report['relevant_per_query']['median']}, min {report['relevant_per_query']['min']}, "
        f"max {report['relevant_per_query']['max']}.",
        "",
        "| configuration | nDCG@10 | R@100 | R@100 plain | " +
        " | ".join(f"nDCG@10 {k}" for k in KINDS) + " | " + " | ".join(f"R@100 {k}" for k in KINDS) +
        " | ms/query |",
        "|---|" + "---:|" * (4 + 2 * len(KINDS)),
    ]
    for cfg in report["configurations"]:
        if not cfg["available"]:
            lines.append("| " + " | ".join([cfg["name"], "not available"] + [""] * (3 + 2 * len(KINDS))) + " |")
            continue
        m, bk = cfg["mean"], cfg["by_kind"]
        lines.append(
            f"| {cfg['name']} | {fmt(m['ndcg@10'])} | {fmt(m['recall@100'])} | {fmt(m['recall@100_plain'])} | " +
            " | ".join(fmt(bk[k]["ndcg@10"]) for k in KINDS) + " | " +
            " | ".join(fmt(bk[k]["recall@100"]) for k in KINDS) + f" | {cfg['ms_per_query']:.1f} |")
    missing = [c for c in report["configurations"] if not c["available"]]
    if missing:
        lines += ["", "Not available:", ""]
        lines += [f"- {c['name']}: {c['error']}" for c in missing]
    avail = [c for c in report["configurations"] if c["available"]]
    if avail:
        lines += ["", "## nDCG@10 per query", "",
                  "| # | kind | query | relevant | " + " | ".join(c["name"] for c in avail) + " |",
                  "|---:|---|---|---:|" + "---:|" * len(avail)]
        for i, q in enumerate(report["queries"]):
            lines.append(f"| {q['id']} | {q['kind']} | {q['query']} | {q['relevant']} | " +
                         " | ".join(fmt(c["per_query"][i]["ndcg@10"]) for c in avail) + " |")
    lines += ["", f"Settings: `{json.dumps(report['server_settings'], ensure_ascii=False)}`", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dsn", default=os.environ.get("CLARA_DSN", ""),
                    help="database with the clara extension (default: $CLARA_DSN, else PG* variables)")
    ap.add_argument("--corpus-docs", type=int, default=5000, help="documents to generate (default 5000)")
    ap.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    ap.add_argument("--queries", default=str(REPO / "bench" / "eval" / "queries.tsv"))
    ap.add_argument("--out-dir", default=str(REPO / "bench" / "results"))
    ap.add_argument("--skip-load", action="store_true",
                    help="evaluate the corpus the database already holds (it must be this one)")
    ap.add_argument("--weights", default=None, help="weights jsonb passed to every configuration (default NULL)")
    ap.add_argument("--work-dir", default=None, help="where the corpus files go (default: a temporary directory)")
    args = ap.parse_args()

    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with tempfile.TemporaryDirectory(prefix="clara-eval-") as tmp:
        work = Path(args.work_dir or tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus_file, truth_file = work / "corpus.jsonl", work / "truth.tsv"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(args.corpus_docs), "--seed", str(args.seed),
                        "--output", str(corpus_file), "--truth", str(truth_file), "--quiet"], check=True)
        truth = read_truth(truth_file)
        queries = read_queries(args.queries, truth)
        judged = judgements(queries, truth)
        extension_version, edges = prepare(args, args.dsn, corpus_file, truth)

    relevant = [len(j) for j in judged]
    report = {
        "started": started,
        "corpus": {"documents": args.corpus_docs, "seed": args.seed, "edges": edges},
        "extension_version": extension_version,
        "top_k": TOP_K,
        "weights": json.loads(args.weights) if args.weights else None,
        "grading": {"2": "good, topic named in title or text", "1": "near_duplicate or boilerplate, topic named",
                    "0": "stub, garbage, or the topic never named"},
        "metrics": {"ndcg@10": "gain 2^grade-1, log2(rank+1) discount, ideal from all judged documents",
                    "recall@100": "relevant (grade>=1) in top 100 / min(100, relevant)",
                    "recall@100_plain": "relevant (grade>=1) in top 100 / relevant"},
        "topics": len({t for q in queries for t in q["topic_ids"]}),
        "queries_per_kind": {k: sum(q["kind"] == k for q in queries) for k in KINDS},
        "relevant_per_query": {"median": statistics.median(relevant), "min": min(relevant), "max": max(relevant)},
        "queries": [dict(q, relevant=len(j), grade2=sum(g == 2 for g in j.values())) for q, j in zip(queries, judged)],
        "configurations": [],
    }

    with psycopg.connect(args.dsn) as conn:
        settings = server_settings(conn)
        conn.commit()
        report["server_settings"] = settings
        have_fusion = "clara.fusion_method" in settings
        default_fusion = settings.get("clara.fusion_method")
        for name, types, fusion in CONFIGURATIONS:
            cfg = {"name": name, "search_types": types, "fusion_method": fusion}
            try:
                results, latency = run_configuration(conn, queries, types, fusion, args.weights, have_fusion)
            except (psycopg.Error, NotAvailable) as e:
                conn.rollback()
                state = getattr(e, "sqlstate", None)
                msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                cfg.update(available=False, error=f"{state}: {msg}" if state else msg)
                log(f"{name}: not available ({cfg['error']})")
                report["configurations"].append(cfg)
                continue
            finally:
                if fusion is not None and have_fusion:
                    conn.execute("SELECT set_config('clara.fusion_method', %s, false)", [default_fusion])
                    conn.commit()
            per_query = []
            for q, ranked, j in zip(queries, results, judged):
                m = metrics(ranked, j)
                m.update(id=q["id"], returned=len(ranked), top10=ranked[:10])
                per_query.append(m)
            cfg.update(available=True, ms_per_query=latency * 1000, mean=means(per_query),
                       by_kind={k: means([m for q, m in zip(queries, per_query) if q["kind"] == k]) for k in KINDS},
                       per_query=per_query)
            log(f"{name}: nDCG@10 {cfg['mean']['ndcg@10']:.3f}, R@100 {cfg['mean']['recall@100']:.3f} "
                f"(plain {cfg['mean']['recall@100_plain']:.3f})")
            report["configurations"].append(cfg)

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "eval.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    md = markdown(report)
    (out / "eval.md").write_text(md, encoding="utf-8")
    print(md.split("\n## ")[0])
    log(f"wrote {out / 'eval.json'} and {out / 'eval.md'}")


if __name__ == "__main__":
    main()
