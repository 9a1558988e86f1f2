#!/usr/bin/python3
"""The seed's batch mode, as the reference for what Clara replaces.

`documents = await api.search_datasets(query)` then
`api.export_to_jsonl(documents, path)`: run the search, fetch every row into
memory (psycopg fetchall), build a dict per document, then json.dumps each
one as a line. The ranking itself is Clara's batch function `clara_search`
(the same rows, in the same order, as the streaming export), so the
difference measured is batch-in-Python against streaming, not the ranking.

usage: seed_batch.py --query Q --top-k N [--min-quality X] [--dsn DSN]
Writes JSONL to stdout; connection from --dsn or the PG* variables.
"""
import argparse
import json
import sys

import psycopg

SEARCH = """SELECT document_id, content, metadata, source, quality_score, relevance_score
            FROM clara_search(%s, %s, %s, '{}', '{keyword}')"""


def search_datasets(conn, query, top_k, min_quality):
    rows = conn.execute(SEARCH, (query, top_k, min_quality)).fetchall()
    return [{"text": content, "metadata": metadata, "source": source,
             "quality_score": quality_score, "document_id": document_id,
             "relevance_score": relevance_score}
            for document_id, content, metadata, source, quality_score, relevance_score in rows]


def export_to_jsonl(documents, out):
    for doc in documents:
        out.write(json.dumps(doc, ensure_ascii=False))
        out.write("\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--query", required=True)
    ap.add_argument("--top-k", type=int, required=True)
    ap.add_argument("--min-quality", type=float, default=0.5)
    ap.add_argument("--dsn", default="")
    args = ap.parse_args()
    with psycopg.connect(args.dsn) as conn:
        documents = search_datasets(conn, args.query, args.top_k, args.min_quality)
    out = open(sys.stdout.fileno(), "w", encoding="utf-8", closefd=False)
    export_to_jsonl(documents, out)
    out.flush()


if __name__ == "__main__":
    sys.exit(main())
