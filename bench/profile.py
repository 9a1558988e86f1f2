#!/usr/bin/python3
"""Where a server backend spends its time: perf on one export or one load.

  profile.py export --db DB --query Q --top-k K [--min-quality X] [--repeat R]
      opens a session, attaches `perf record -g -p <its backend pid>`, then
      runs COPY (SELECT clara_stream_jsonl(...)) TO STDOUT R times in it (the
      output is read and dropped), so the profile has the whole statement,
      ranking included.
  profile.py load --docs N [--seed S]
      `clara-stream load` of the generated corpus into a fresh database
      clara_bench_profile; perf attaches to the backend found by
      application_name as soon as it connects (the first milliseconds are lost).
  profile.py insert --docs N [--base-docs B] [--seed S]
      single-row autocommit INSERTs (issue 13): B generated documents are
      loaded first (untimed), then N more go in one INSERT each from one
      session (a prepared statement, as bench/clara_bench/write.py does),
      with perf attached to its backend.

Prints a perf report: the symbols with the most self time, then the same with
their callers' share (children), each cut at --percent-limit. perf (Debian's
linux-perf) must run as root or with kernel.perf_event_paranoid <= 1.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
CLARA_STREAM = os.environ.get("CLARA_STREAM", str(REPO / "build" / "clara-stream"))
RAW_LINES = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"


def start_perf(pid, data, freq):
    proc = subprocess.Popen(["perf", "record", "-F", str(freq), "-g", "-p", str(pid), "-o", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)  # perf needs a moment to attach
    if proc.poll() is not None:
        sys.exit("perf record failed: " + proc.stderr.read().decode(errors="replace"))
    return proc


def stop_perf(proc):
    proc.send_signal(signal.SIGINT)
    proc.wait()


def report(data, limit):
    parts = []
    for title, opts in (("self time by binary", ["--no-children", "--sort", "dso", "-g", "none"]),
                        ("self time by symbol", ["--no-children", "--sort", "dso,symbol", "-g", "none"]),
                        ("time including callees (children)", ["--children", "--sort", "symbol", "-g", "none"])):
        r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--percent-limit", str(limit)] + opts,
                           capture_output=True, text=True)
        # Unresolved addresses (the stripped postgres binary's static functions) say nothing.
        samples = [l.lstrip("# ") for l in r.stdout.splitlines() if l.startswith("# Samples")][:1]
        lines = samples + [re.sub(r"\s+(-\s+)*$", "", l) for l in r.stdout.splitlines()
                 if l.strip() and not l.startswith("#") and not re.search(r"\[\.\] (0x)?[0-9a-f]{8,}\s", l)]
        parts.append(f"## {title}\n" + "\n".join(lines[:60]))
    return "\n\n".join(parts)


def run_export(conn, args):
    rows = 0
    with conn.cursor() as cur:
        with cur.copy(f"COPY (SELECT clara_stream_jsonl(%s, %s, %s)) TO STDOUT {RAW_LINES}",
                      (args.query, args.top_k, args.min_quality)) as copy:
            for chunk in copy:
                rows += bytes(chunk).count(b"\n")
    return rows


def profile_export(args, data):
    with psycopg.connect(dbname=args.db, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("LOAD 'clara'")
        run_export(conn, args)  # untimed: caches warm, as in the benchmark
        perf = start_perf(pid, data, args.freq)
        rows = 0
        start = time.monotonic()
        try:
            for _ in range(args.repeat):
                rows += run_export(conn, args)
        finally:
            seconds = time.monotonic() - start
            stop_perf(perf)
    return (f"export: {args.repeat} × clara_stream_jsonl({args.query!r}, {args.top_k}, {args.min_quality}) "
            f"on {args.db}: {rows} rows in {seconds:.2f} s")


def profile_load(args, data):
    db = "clara_bench_profile"
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(args.docs), "--seed", str(args.seed),
                        "--output", str(corpus), "--quiet"], check=True)
        subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
        subprocess.run(["createdb", "-E", "UTF8", "-T", "template0", db], check=True)
        subprocess.run(["psql", "-qX", "-d", db, "-c", "SET client_min_messages = warning; CREATE EXTENSION clara"],
                       check=True)
        appname = f"clara_bench_profile_{os.getpid()}"
        start = time.monotonic()
        load = subprocess.Popen([CLARA_STREAM, "load", str(corpus)], stderr=subprocess.PIPE,
                                env=dict(os.environ, PGDATABASE=db, PGAPPNAME=appname))
        with psycopg.connect(dbname="postgres", autocommit=True) as mon:
            pid = None
            while pid is None and load.poll() is None:
                row = mon.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                                  (appname,)).fetchone()
                pid = row[0] if row else time.sleep(0.005)
        if pid is None:
            sys.exit("the load finished before its backend was found")
        perf = subprocess.Popen(["perf", "record", "-F", str(args.freq), "-g", "-p", str(pid), "-o", data],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, err = load.communicate()
        seconds = time.monotonic() - start
        stop_perf(perf)
        subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
    summary = err.decode(errors="replace").strip().splitlines()
    return f"load: {args.docs} documents in {seconds:.2f} s: {summary[-1] if summary else ''}"


def profile_insert(args, data):
    db = "clara_bench_profile"
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(args.base_docs + args.docs), "--seed",
                        str(args.seed), "--output", str(corpus), "--quiet"], check=True)
        lines = corpus.read_text().splitlines()
        (Path(tmp) / "base.jsonl").write_text("\n".join(lines[:args.base_docs]) + "\n")
        subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
        subprocess.run(["createdb", "-E", "UTF8", "-T", "template0", db], check=True)
        subprocess.run(["psql", "-qX", "-d", db, "-c", "SET client_min_messages = warning; CREATE EXTENSION clara"],
                       check=True)
        subprocess.run([CLARA_STREAM, "load", str(Path(tmp) / "base.jsonl"), "--quiet"], check=True,
                       env=dict(os.environ, PGDATABASE=db))
        rows = []
        for line in lines[args.base_docs:]:
            d = json.loads(line)
            rows.append(("ins-" + d["document_id"], d.get("title"), d["content"], d.get("domain"),
                         d.get("document_type"), d.get("source"), d.get("created_at"),
                         json.dumps(d.get("metadata") or {}, ensure_ascii=False)))
    insert = ("INSERT INTO clara_documents (document_id, title, content, domain, document_type, source, "
              "created_at, metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)")
    with psycopg.connect(dbname=db, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        cur = conn.cursor()
        cur.execute(insert, rows[0], prepare=True)  # untimed: loads the library, plans the statement
        perf = start_perf(pid, data, args.freq)
        start = time.monotonic()
        try:
            for r in rows[1:]:
                cur.execute(insert, r, prepare=True)
        finally:
            seconds = time.monotonic() - start
            stop_perf(perf)
    subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
    return (f"insert: {len(rows) - 1} single-row autocommit INSERTs into {args.base_docs} loaded documents "
            f"in {seconds:.2f} s ({(len(rows) - 1) / seconds:.0f}/s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["export", "load", "insert"])
    ap.add_argument("--db")
    ap.add_argument("--query", default="Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil")
    ap.add_argument("--top-k", type=int, default=100000)
    ap.add_argument("--min-quality", type=float, default=0.5)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--base-docs", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--freq", type=int, default=999)
    ap.add_argument("--percent-limit", type=float, default=1.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        data = str(Path(tmp) / "perf.data")
        if args.mode == "export":
            if not args.db:
                ap.error("export needs --db")
            head = profile_export(args, data)
        elif args.mode == "load":
            head = profile_load(args, data)
        else:
            head = profile_insert(args, data)
        print(f"# perf profile of the server backend\n{head}\n")
        print(report(data, args.percent_limit))


if __name__ == "__main__":
    sys.exit(main())
