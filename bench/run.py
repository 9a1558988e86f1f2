#!/usr/bin/python3
"""Clara's export benchmark: every variant side by side, in one run.

For each corpus database (bench/corpus.sh prepares them) and each top_k, the
variants run interleaved, RUNS times each, for the same query and min_quality:

  floor        psql COPY (SELECT content FROM clara_documents LIMIT n) TO STDOUT,
               n = the rows the ranked export gives (raw bytes, no ranking)
  naive_sql    psql COPY of jsonb_build_object(...)::text ... WHERE tsv @@ q
               ORDER BY ts_rank DESC LIMIT k (GIN index on tsv, OR semantics)
  seed_batch   bench/seed_batch.py: fetchall, dicts, json.dumps each (the seed's
               batch mode)
  clara_stream build/clara-stream export, keyword
  clara_dedup  build/clara-stream export, keyword, --dedup near and --exclude
               of a recorded export of another query (issue 12: at most 1.5 x
               clara_stream's time at 100K / top_k 100K)
  clara_chunked build/clara-stream export, keyword, --chunk-tokens 2048
               --tokenizer FILE (issue 11; skipped without a cached tokenizer;
               only at --chunked-top-k on corpora up to --chunked-max-docs)
  clara_hybrid build/clara-stream export, keyword+vector+graph (skipped while
               the server refuses it with 0A000)
  psql_clara   psql COPY of the same clara_stream_jsonl call (server work
               without our client)
  http, python clara-stream serve + curl, the Python package's
               stream_to_jsonl (skipped while they do not exist)

Each command's stdout is read through a pipe by this process and written to a
file: time to first byte runs from just before the command starts (process
start and connection included) to the first byte read. Client peak RSS is the
command's ru_maxrss, reported by bench/rss_exec.c (a child forked from this
Python process would report Python's high-water mark); the server backend is found in pg_stat_activity by
a unique application_name (PGAPPNAME) and its RssAnon is sampled every 2 ms
from /proc/PID/status (VmHWM would count the shared buffers it touched).

Every output is checked: line count (exactly min(top_k, matches), the floor
exactly n), every line a JSON object with the training keys, no duplicate
document_id, clara-stream byte-identical to psql's COPY of the same call, the
seed-style ids in the same order. A wrong output fails the run (exit 1).

Then the load throughput (clara-stream load of --load-docs documents) and
the write section (bench/clara_bench/write.py: bulk loads three ways,
single-row INSERTs at ~2 and ~10 KB, four concurrent writers, query latency
after the trickled INSERTs against after clara_compact()).

Writes OUT/<timestamp>.json, OUT/latest.md (+ OUT/<timestamp>.md) and, when
gnuplot is installed, OUT/<timestamp>.png and OUT/latest.png.

This file is the entry point (arguments, the order of the work); the work is
in bench/clara_bench/: measure.py (running and timing the variants, the load),
check.py (outputs, the server's library, the targets), report.py (Markdown,
plot, files).
"""
import argparse
import datetime
import json
import shutil
import sys
import time
from pathlib import Path

from clara_bench import REPO, log
from clara_bench.check import evaluate_targets
from clara_bench.measure import Bench, machine
from clara_bench.report import write_results
from clara_bench.write import WriteBench


def report_only(args):
    path = Path(args.report_only)
    results = json.loads(path.read_text())
    results["notes"] = list(dict.fromkeys(results["notes"]))
    results["targets"] = evaluate_targets(results)
    write_results(results, path.parent, args.no_plot)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("databases", nargs="*", help="corpus databases (bench/corpus.sh N)")
    ap.add_argument("--query", default="Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil")
    ap.add_argument("--min-quality", type=float, default=0.5)
    ap.add_argument("--top-k", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 5000, 10000, 100000])
    ap.add_argument("--all-matches", action=argparse.BooleanOptionalAction, default=True,
                    help="also top_k = all matches, on corpora of at least --all-matches-min-docs")
    ap.add_argument("--all-matches-min-docs", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--chunked-top-k", type=lambda s: [int(x) for x in s.split(",")], default=[1000, 100000],
                    help="the top_k cells where clara_chunked runs (it tokenizes every document)")
    ap.add_argument("--chunked-max-docs", type=int, default=100000,
                    help="clara_chunked only on corpora of at most this many documents")
    ap.add_argument("--variants",
                    default="floor,naive_sql,seed_batch,clara_stream,clara_hybrid,clara_dedup,clara_chunked,psql_clara,"
                            "http,python")
    ap.add_argument("--validate", choices=["first", "all"], default="first",
                    help="full JSON check of the first run of each cell (line counts are always checked)")
    ap.add_argument("--load-docs", type=int, default=100000, help="0: no load measurement")
    ap.add_argument("--load-runs", type=int, default=3)
    ap.add_argument("--write-docs", type=int, default=20000,
                    help="the write section (bench/clara_bench/write.py): documents per bulk load; 0: no write section")
    ap.add_argument("--write-single", type=int, default=2000,
                    help="single-row INSERTs at ~2 KB, and per concurrent writer (a fifth of it at ~10 KB)")
    ap.add_argument("--write-seconds", type=float, default=30,
                    help="time limit of each single-row INSERT measurement")
    ap.add_argument("--write-real-docs", type=int, default=0, help="real-size documents loaded (0: the whole sets)")
    ap.add_argument("--write-query-runs", type=int, default=15, help="runs per query of the latency comparison")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", default=str(REPO / "bench" / "results"))
    ap.add_argument("--work-dir", default="/var/tmp/clara-bench-work")
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--stamp", default="", help="name of the result files (default: the time)")
    ap.add_argument("--report-only", metavar="JSON",
                    help="measure nothing: write the Markdown and the plot again from a results file")
    args = ap.parse_args()

    if args.report_only:
        return report_only(args)
    if not args.databases and args.load_docs <= 0 and args.write_docs <= 0:
        ap.error("nothing to measure: no corpus database given, --load-docs 0 and --write-docs 0")
    bench = Bench(args)
    stamp = args.stamp or datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    results = {"timestamp": stamp, "settings": {k: v for k, v in vars(args).items()},
               "machine": machine(bench.monitor), "corpora": [], "notes": bench.notes,
               "failures": bench.failures}
    started = time.monotonic()
    for db in args.databases:
        results["corpora"].append(bench.corpus(db))
    if args.load_docs > 0:
        bench.check_library("load")
        results["load"] = bench.load()
    if args.write_docs > 0:
        bench.check_library("write")
        results["write"] = WriteBench(bench).run()
    bench.check_library("end")
    results["extension_library_sha256"] = bench.libraries
    results["bench_seconds"] = time.monotonic() - started
    results["targets"] = evaluate_targets(results)

    write_results(results, Path(args.out), args.no_plot)
    shutil.rmtree(bench.work, ignore_errors=True)
    for t in results["targets"]:
        log(f"{'met    ' if t['met'] else 'NOT MET'} {t['target']} — {t['where']}: {t['value']}")
    if bench.failures:
        log(f"{len(bench.failures)} wrong outputs:")
        for f in bench.failures:
            log("  " + f)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
