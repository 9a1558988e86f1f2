#!/usr/bin/python3
"""Random calls of clara's SQL surface: no crash, no hang, no internal error.

Calls every clara function with arguments drawn from hostile pools (random
Unicode, huge and empty texts, NULLs, NaN and out-of-range numbers, deep and
mistyped JSON, odd arrays), under random clara.* settings, with
clara.graph_edges pointing at edges relations of every column type (NULL
ends, non-text types, views, relations without the columns), as the
superuser and as a role that may only read some documents through
row-level security. Bad arguments must be refused with an SQLSTATE; what
fails the run:
  - the server crashed (the connection is lost and the postmaster restarted),
  - a statement ran past its statement_timeout (57014) or the client's own
    deadline: a loop that ignores cancel,
  - an internal error (XX000) or a corrupted-data error (XX001): a bug.

Usage: sql_fuzz.py DSN [--seconds S | --statements N] [--seed S]
Prints one summary line: statements, seconds, errors by SQLSTATE class,
crashes. Exit 0 when nothing failed.
"""

import argparse
import json
import random
import sys
import time

import psycopg
from psycopg import sql as pgsql

TIMEOUT_MS = 20000

# Column types of an edges relation, each with the expression that turns a
# text id into it.
EDGE_TYPES = [("text", "{}"), ("name", "{}::name"), ("varchar", "{}::varchar"), ("integer", "length({})"),
              ("bigint", "length({})::bigint"), ("bytea", "convert_to({}, 'UTF8')"), ("jsonb", "to_jsonb({})"),
              ("text[]", "ARRAY[{}]"), ("boolean", "length({}) > 7"), ("char(3)", "{}::char(3)")]

WORDS = ["Genehmigung", "Photovoltaik", "Baurecht", "Bescheid", "Urteil", "Dachanlage", "Verwaltungsrecht",
         "Umweltrecht", "und", "der", "§", "Art.", "Abs.", "Zaunkönig", "straße", "STRASSE", "ß", "ﬁ", "İ",
         "e\u0301", "日本語", "🙂", "\u200b", "a" * 300, "x"]


def rand_text(rng):
    kind = rng.randrange(10)
    if kind == 0:
        return ""
    if kind == 1:
        return " " * rng.randrange(1, 5) + "\t\n"
    if kind == 2:  # random code points (no NUL, no surrogates: PostgreSQL text cannot hold them)
        return "".join(chr(rng.choice([rng.randrange(1, 0x80), rng.randrange(0x80, 0xD800),
                                       rng.randrange(0xE000, 0x110000)])) for _ in range(rng.randrange(1, 60)))
    if kind == 3:  # long
        return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(500, 12000)))
    if kind == 4:  # many distinct terms
        return " ".join("w" + "".join(rng.choice("bcdfghklmnpqrstvwxz") for _ in range(6))
                        for _ in range(rng.randrange(900, 1300)))
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(1, 8)))


def rand_json(rng, depth=0):
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([0, -1, 1, 2.5, 1e308, -1e308, 10 ** 400, 1e-320, 7])
    if kind == 2:
        return rng.choice(["", "baurecht", "urteil", "2020-01-01", "yesterday", "x" * 1000, "\u0000".replace("\u0000", "")])
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return rng.choice(["keyword", "vector", "graph", "domain"])
    if kind in (5, 6):
        keys = ["domain", "document_type", "source", "created_after", "created_before", "metadata", "keyword",
                "vector", "graph", "bm25", "", "x"]
        return {rng.choice(keys): rand_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))}
    return [rand_json(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def rand_json_text(rng):
    if rng.random() < 0.1:
        return None
    if rng.random() < 0.05:
        return '{"keyword": 1e400}'
    if rng.random() < 0.05:  # deeper than PostgreSQL's own jsonb limit or just under it
        d = rng.choice([100, 5000, 100000])
        return rng.choice(['{"metadata": ' + "[" * d + "]" * d + "}", "[" * d + "]" * d])
    return json.dumps(rand_json(rng))


def rand_search_types(rng):
    kind = rng.randrange(8)
    if kind == 0:
        return None
    if kind == 1:
        return "{}"
    if kind == 2:
        return "{{keyword},{vector}}"
    if kind == 3:
        return "{keyword,NULL}"
    pool = ["keyword", "vector", "graph", "semantic", "KEYWORD", ""]
    return "{" + ",".join('"' + rng.choice(pool) + '"' for _ in range(rng.randrange(1, 5))) + "}"


def rand_int(rng):
    return rng.choice([None, 0, -1, 1, 2, 10, 100, 1000, 10 ** 6, 2 ** 31 - 1, -2 ** 31, rng.randrange(1, 5000)])


def rand_float(rng):
    return rng.choice([None, 0.0, 0.5, 1.0, 1.0000001, -0.0, -1.0, float("nan"), float("inf"), 1e-300,
                       rng.random()])


SETTINGS = {
    "clara.graph_edges": None,  # filled with the edges relations
    "clara.fusion_method": ["weighted", "rrf", "borda", ""],
    "clara.streaming": ["on", "off", "maybe"],
    "clara.streaming_batch_size": ["1", "10", "1000", "0", "-5", "100000000"],
    "clara.vector_candidates": ["1", "10", "1000", "0", "100000000"],
    "clara.graph_seeds": ["0", "1", "10", "1000", "-1"],
    "clara.title_weight": ["0", "1", "3", "-1", "1e308", "NaN"],
    "clara.index_flush_postings": ["1", "100", "1000000", "0"],
}


def setup(conn, rng):
    """Edges relations of every column type, a reader role with row-level security."""
    with conn.cursor() as cur:
        ids = [r[0] for r in cur.execute("SELECT document_id FROM clara_documents ORDER BY doc_key LIMIT 400")]
        pool = ids + [None, "", "no-such-doc"]
        cur.execute("DROP TABLE IF EXISTS fuzz_pairs")
        cur.execute("CREATE TABLE fuzz_pairs (a text, b text)")
        cur.executemany("INSERT INTO fuzz_pairs VALUES (%s, %s)",
                        [(rng.choice(pool), rng.choice(pool)) for _ in range(3000)])
        names = []
        for i, (typ, expr) in enumerate(EDGE_TYPES):
            name = f"fuzz_edges_{i}"
            cur.execute(pgsql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))
            cur.execute(pgsql.SQL("CREATE TABLE {} AS SELECT {} AS src_id, {} AS dst_id FROM fuzz_pairs LIMIT %s").format(
                pgsql.Identifier(name), pgsql.SQL(expr.format("a")), pgsql.SQL(expr.format("b"))),
                [rng.randrange(0, 3001)])
            names.append(name)
        cur.execute("DROP VIEW IF EXISTS fuzz_edges_view, fuzz_edges_wrong")
        cur.execute("CREATE VIEW fuzz_edges_view AS SELECT dst_id AS src_id, src_id AS dst_id FROM clara_edges")
        cur.execute("CREATE VIEW fuzz_edges_wrong AS SELECT 1 AS src, 2 AS dst")
        names += ["fuzz_edges_view", "fuzz_edges_wrong", "no_such_relation", "", "pg_class", "a.b.c.d"]
        SETTINGS["clara.graph_edges"] = names
        cur.execute("GRANT SELECT ON " + ", ".join(n for n in names[:len(EDGE_TYPES)] + ["fuzz_edges_view"])
                    + " TO PUBLIC")
        cur.execute("DO $$ BEGIN CREATE ROLE clara_fuzz_reader; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cur.execute("GRANT SELECT ON clara_documents TO clara_fuzz_reader")
        cur.execute("ALTER TABLE clara_documents ENABLE ROW LEVEL SECURITY")
        cur.execute("DROP POLICY IF EXISTS fuzz_half ON clara_documents")
        cur.execute("CREATE POLICY fuzz_half ON clara_documents FOR SELECT TO clara_fuzz_reader "
                    "USING (doc_key % 2 = 0)")


def teardown(conn):
    with conn.cursor() as cur:
        cur.execute("DROP POLICY IF EXISTS fuzz_half ON clara_documents")
        cur.execute("ALTER TABLE clara_documents DISABLE ROW LEVEL SECURITY")
        for name in SETTINGS["clara.graph_edges"]:
            if name.startswith("fuzz_edges_") and name not in ("fuzz_edges_view", "fuzz_edges_wrong"):
                cur.execute(pgsql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(pgsql.Identifier(name)))
        cur.execute("DROP VIEW IF EXISTS fuzz_edges_view, fuzz_edges_wrong")
        cur.execute("REVOKE ALL ON clara_documents FROM clara_fuzz_reader")
        cur.execute("DROP ROLE IF EXISTS clara_fuzz_reader")


def statement(rng):
    """One random call: (SQL text, parameters)."""
    fn = rng.choice(["clara_stream", "clara_stream_jsonl", "clara_search", "clara_stream", "clara_stream_jsonl",
                     "clara_bm25", "clara_vector", "clara_stats", "clara_query_terms", "clara_tokens",
                     "clara_grams", "set"])
    if fn == "set":
        name = rng.choice(list(SETTINGS))
        return "SELECT set_config(%s, %s, false)", [name, rng.choice(SETTINGS[name])]
    if fn in ("clara_bm25", "clara_vector", "clara_query_terms", "clara_tokens"):
        return f"SELECT count(*) FROM {fn}(%s)", [rand_text(rng)]
    if fn == "clara_grams":
        return "SELECT count(*) FROM clara_grams(%s, %s)", [rand_text(rng), rng.choice([None, True, False])]
    args = [rand_text(rng) if rng.random() > 0.05 else None, rand_int(rng), rand_float(rng), rand_json_text(rng),
            rand_search_types(rng), rand_json_text(rng)]
    types = ["text", "integer", "double precision", "jsonb", "text[]", "jsonb"]
    if fn in ("clara_stream", "clara_stream_jsonl"):
        args.append(rand_int(rng))
        types.append("integer")
    nargs = rng.randrange(1, len(args) + 1)
    placeholders = ", ".join(f"%s::{t}" for t in types[:nargs])
    what = "count(*)" if fn != "clara_stats" else "length(clara_stats::text)"
    # Streaming calls also in the SELECT list, where they stream row by row.
    if fn in ("clara_stream_jsonl",) and rng.random() < 0.5:
        return f"SELECT count(*) FROM (SELECT {fn}({placeholders})) s", args[:nargs]
    return f"SELECT {what} FROM {fn}({placeholders})", args[:nargs]


def connect(dsn):
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"SET statement_timeout = {TIMEOUT_MS}")
    return conn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dsn")
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--statements", type=int, default=500)
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2 ** 32)
    rng = random.Random(seed)

    conn = connect(args.dsn)
    started_at = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
    setup(conn, rng)
    failures = []
    errors = {}
    done = 0
    t0 = time.monotonic()
    while True:
        if args.seconds is not None:
            if time.monotonic() - t0 >= args.seconds:
                break
        elif done >= args.statements:
            break
        text, params = statement(rng)
        as_reader = rng.random() < 0.3
        began = time.monotonic()
        try:
            if as_reader:
                conn.execute("SET ROLE clara_fuzz_reader")
            conn.execute(text, params)
        except psycopg.OperationalError as e:
            if conn.closed or conn.broken:
                try:
                    conn = connect(args.dsn)
                    now = conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0]
                except psycopg.OperationalError:
                    now = None
                failures.append(f"server lost on: {text} {params!r:.300} ({e})")
                if now is None or now != started_at:
                    break
            else:
                errors[e.sqlstate or "?"] = errors.get(e.sqlstate or "?", 0) + 1
                if e.sqlstate == "57014":
                    failures.append(f"timeout (ignored cancel?) on: {text} {params!r:.300}")
        except psycopg.Error as e:
            state = e.sqlstate or "?"
            errors[state] = errors.get(state, 0) + 1
            if state in ("XX000", "XX001"):
                failures.append(f"{state} {e.diag.message_primary} on: {text} {params!r:.300}")
        finally:
            if not conn.closed and not conn.broken:
                try:
                    conn.execute("RESET ROLE")
                except psycopg.Error:
                    pass
        if time.monotonic() - began > TIMEOUT_MS / 1000 + 10:
            failures.append(f"took {time.monotonic() - began:.1f} s past its timeout: {text} {params!r:.300}")
        done += 1
        if len(failures) >= 5:
            break
    elapsed = time.monotonic() - t0
    try:
        conn.execute("RESET ALL")
        teardown(conn)
    except psycopg.Error as e:
        failures.append(f"teardown failed: {e}")
    classes = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items()))
    refused = sum(errors.values())
    print(f"sql fuzz: {done} statements in {elapsed:.0f} s (seed {seed}), {done - refused} ran, {len(failures)} failures; "
          f"refused by SQLSTATE: {classes or 'none'}")
    for f in failures:
        print("sql fuzz: FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
