#!/usr/bin/python3
"""Backend memory of one export, sampled while it runs.

Runs `COPY (SELECT clara_stream_jsonl(query, top_k, min_quality)) TO STDOUT`
(the raw-line CSV form) on its own connection, writes the bytes to a file,
and samples the backend's /proc/PID/status every few milliseconds: RssAnon is
the backend's private memory (VmHWM would also count the shared buffers it
touched). Prints one JSON object: rows, bytes, seconds, time to first byte,
peak RssAnon and VmHWM in kB. Needs to run on the database host.

usage: export_memory.py --query Q --top-k N [--min-quality X] [--output FILE]
"""
import argparse
import json
import sys
import threading
import time

import psycopg

EXPORT = ("COPY (SELECT clara_stream_jsonl(%s, %s, %s)) TO STDOUT "
          "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')")


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--query", required=True)
    ap.add_argument("--top-k", type=int, required=True)
    ap.add_argument("--min-quality", type=float, default=0.0)
    ap.add_argument("--output", default="/dev/null")
    ap.add_argument("--dsn", default="")
    args = ap.parse_args()

    with psycopg.connect(args.dsn, autocommit=True) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute("LOAD 'clara'")
        baseline = status_kb(pid, "RssAnon")
        peak = {"anon": baseline}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["anon"] = max(peak["anon"], status_kb(pid, "RssAnon"))
                time.sleep(0.002)

        sampler = threading.Thread(target=sample)
        sampler.start()
        rows = nbytes = 0
        first = None
        start = time.monotonic()
        try:
            with open(args.output, "wb") as out, conn.cursor() as cur:
                with cur.copy(EXPORT, (args.query, args.top_k, args.min_quality)) as copy:
                    for chunk in copy:
                        if first is None:
                            first = time.monotonic() - start
                        out.write(chunk)
                        nbytes += len(chunk)
                        rows += bytes(chunk).count(b"\n")
        finally:
            done.set()
            sampler.join()
        seconds = time.monotonic() - start
        hwm = status_kb(pid, "VmHWM")
    print(json.dumps({
        "query": args.query, "top_k": args.top_k, "min_quality": args.min_quality,
        "rows": rows, "bytes": nbytes, "seconds": round(seconds, 4),
        "first_byte_seconds": round(first or 0.0, 4),
        "docs_per_second": round(rows / seconds, 1) if seconds > 0 else None,
        "mb_per_second": round(nbytes / seconds / 1e6, 1) if seconds > 0 else None,
        "backend_rss_anon_kb_before": baseline,
        "backend_rss_anon_kb_peak": peak["anon"],
        "backend_vm_hwm_kb": hwm,
    }))


if __name__ == "__main__":
    sys.exit(main())
