"""Clara's export benchmark (bench/run.py), in three parts:

  measure  runs every variant (bench/run.py's docstring lists them), times it
           and samples memory; loads a corpus for the load throughput
  check    every output right (line count, JSON keys, no duplicate ids,
           clara-stream equal to psql's COPY), the server's library unchanged,
           MISSION.md's targets met or not
  report   the results as Markdown and a gnuplot figure, written to OUT/

Shared here: where the repository is, the variants' names, the log line.
"""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent

VARIANTS = {
    "floor": "floor: psql COPY content LIMIT n",
    "naive_sql": "naive SQL: ts_rank + jsonb_build_object (GIN)",
    "seed_batch": "seed-style Python batch (psycopg, json.dumps)",
    "clara_stream": "clara-stream export (keyword)",
    "clara_hybrid": "clara-stream export (hybrid)",
    "clara_dedup": "clara-stream export (keyword, --dedup near, --exclude)",
    "clara_chunked": "clara-stream export (keyword, --chunk-tokens 2048)",
    "psql_clara": "psql COPY clara_stream_jsonl",
    "http": "HTTP: curl /api/datasets/stream",
    "python": "Python: stream_to_jsonl",
}


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)
