"""The write section (issue 13): how fast documents go in, and what trickled
single-row INSERTs do to query latency.

  bulk       the same generated ~2 KB documents three ways into an empty
             database: `clara-stream load`, `COPY clara_documents FROM STDIN`
             and `INSERT INTO clara_documents SELECT ... FROM` a staging table
             (COPY and INSERT ... SELECT store documents only, no citation
             edges); then real-size documents the same three ways. Beside
             them, the floors: COPY and INSERT ... SELECT of the same rows
             into a plain table of the same eight columns with a primary key
             (no derived column, no other index, no trigger), so the bulk
             rates read as a share of what PostgreSQL itself takes on this
             machine (clara-stream load against the COPY floor); and what
             one core derives from the same files without PostgreSQL
             (build/derive_speed): a bulk load in one backend's ceiling
  single     single-row autocommit INSERTs, one statement per document, from
             one psycopg connection (prepared statement, documents parsed
             before the clock starts; the client's and the backend's CPU time
             are reported, so a client-bound figure shows itself), at ~2 KB
             and at ~10 KB into the bulk-loaded database
  writers    four processes inserting single rows at once, disjoint ids
  latency    keyword queries after all those trickled INSERTs (once no
             background flush runs) and on a copy of that database after
             clara_compact() (+ VACUUM ANALYZE both), timed in alternation:
             the ratio

Real-size documents are the Debian manual pages of bench/realsets.py
(de-manpages, ~9 KB; en-postgresql, ~6 KB) when `make eval` has cached them;
otherwise generated documents of five joined contents (~9 KB), and the report
says so. The ~10 KB single-row INSERTs take the documents of 8 to 12 KB."""
import csv
import io
import json
import multiprocessing
import os
import statistics
import subprocess
import time
from pathlib import Path

import psycopg

from clara_bench import REPO, log
from clara_bench.measure import CLARA_STREAM, BackendSampler

DERIVE_SPEED = REPO / "build" / "derive_speed"  # make build/derive_speed (bench/run.sh builds it)

REALSETS = Path(os.environ.get("CLARA_REALSETS_DIR", Path.home() / ".cache" / "clara" / "realsets"))
REAL_SETS = ("de-manpages", "en-postgresql")
COLUMNS = ("document_id", "title", "content", "domain", "document_type", "source", "created_at", "metadata")
INSERT = ("INSERT INTO clara_documents (document_id, title, content, domain, document_type, source, created_at, "
          "metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s::jsonb)")
LATENCY_QUERIES = ("Verwaltungsrecht Baurecht Umweltrecht Energierecht Bescheid Urteil",
                   "Genehmigung Bescheid Planfeststellung Behörde",
                   "Wasserrecht Umweltverträglichkeit Gutachten")
DB = "clara_bench_write"


def row(doc, prefix=""):
    return (prefix + doc["document_id"], doc.get("title"), doc["content"], doc.get("domain"),
            doc.get("document_type"), doc.get("source"), doc.get("created_at"),
            json.dumps(doc.get("metadata") or {}, ensure_ascii=False))


def doc_bytes(rows):
    """The documents' size: the UTF-8 bytes of their stored text fields."""
    return sum(len(v.encode()) for r in rows for v in r if v)


def cpu_seconds(pid):
    """utime + stime of a process, from /proc (a backend on this host)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def insert_rows(dbname, rows, deadline, appname):
    """Single-row autocommit INSERTs until rows or the deadline run out.
    Returns (inserted, seconds, client CPU s, backend CPU s, errors by SQLSTATE)."""
    errors = {}
    with psycopg.connect(dbname=dbname, autocommit=True, application_name=appname) as conn:
        pid = conn.info.backend_pid
        cur = conn.cursor()
        cur.execute(INSERT, rows[0], prepare=True)  # untimed: plans the statement
        inserted = 1
        backend0, client0 = cpu_seconds(pid), time.process_time()
        start = time.monotonic()
        for r in rows[1:]:
            if time.monotonic() >= deadline:
                break
            try:
                cur.execute(INSERT, r, prepare=True)
                inserted += 1
            except psycopg.Error as e:
                errors[e.sqlstate or "?"] = errors.get(e.sqlstate or "?", 0) + 1
        seconds = time.monotonic() - start
        return (inserted - 1, seconds, time.process_time() - client0, cpu_seconds(pid) - backend0, errors)


def writer_process(dbname, rows, deadline, start_at, queue):
    try:
        while time.monotonic() < start_at:
            time.sleep(0.001)
        queue.put(insert_rows(dbname, rows, deadline, f"clara_bench_writer_{os.getpid()}"))
    except Exception as e:  # reported to the parent, which fails the run
        queue.put(("error", repr(e)))


class WriteBench:
    def __init__(self, bench):
        self.bench, self.args = bench, bench.args
        self.work = bench.work
        self.failures = bench.failures

    # -- databases ---------------------------------------------------------------
    def fresh_database(self):
        subprocess.run(["dropdb", "--if-exists", DB], check=True, capture_output=True)
        subprocess.run(["createdb", "-E", "UTF8", "-T", "template0", DB], check=True)
        subprocess.run(["psql", "-qX", "-v", "ON_ERROR_STOP=1", "-d", DB, "-c",
                        "SET client_min_messages = warning; CREATE EXTENSION clara; CHECKPOINT"], check=True)

    def count(self, table="clara_documents"):
        with psycopg.connect(dbname=DB, autocommit=True) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]

    def expect_count(self, what, want, table="clara_documents"):
        got = self.count(table)
        if got != want:
            self.failures.append(f"write {what}: {got} documents stored in {table}, expected {want}")
            log(f"FAIL write {what}: {got} documents in {table}, expected {want}")

    # -- the documents -----------------------------------------------------------
    def generated(self, n, seed):
        path = self.work / f"write-{n}-{seed}.jsonl"
        subprocess.run([CLARA_STREAM, "generate", "--docs", str(n), "--seed", str(seed), "--output", str(path),
                        "--quiet"], check=True)
        return path

    def real_documents(self, limit):
        """(JSONL path, source description): the cached real sets, else
        generated documents of five joined contents."""
        files = [REALSETS / s / "corpus.jsonl" for s in REAL_SETS]
        path = self.work / "write-real.jsonl"
        if all(f.is_file() for f in files):
            lines = []
            for f in files:
                lines += f.read_bytes().splitlines(keepends=True)
            if limit:  # every set represented
                lines = [l for i, l in enumerate(lines) if i % max(len(lines) // limit, 1) == 0][:limit]
            path.write_bytes(b"".join(lines))
            return path, f"real ({' + '.join(REAL_SETS)}, bench/realsets.py)"
        self.bench.note(f"write: no real set cached in {REALSETS} (make eval builds them): the ~10 KB documents "
                        "are generated, five generated contents joined")
        n = limit or 2000
        docs = [json.loads(l) for l in self.generated(5 * n, self.args.seed + 7).read_text().splitlines()]
        with open(path, "w") as out:
            for i in range(n):
                group = docs[5 * i:5 * i + 5]
                doc = dict(group[0], document_id=f"big-{i:07d}", citations=[],
                           content="\n\n".join(d["content"] for d in group))
                out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return path, "generated (five generated contents joined per document)"

    @staticmethod
    def rows_of(path, prefix=""):
        return [row(json.loads(l), prefix) for l in path.read_text().splitlines() if l.strip()]

    # -- bulk ----------------------------------------------------------------------
    def bulk_load(self, path, n, what):
        self.fresh_database()
        r = self.bench.measure([CLARA_STREAM, "load", str(path)], DB, self.work / "load.out")
        summary = r.pop("stderr").strip().splitlines()
        if r["exit"] != 0:
            self.failures.append(f"write {what}: clara-stream load exit {r['exit']}: {summary[-1:]}")
        self.expect_count(what, n)
        return r

    def bulk_sql(self, rows, method):
        """COPY or INSERT ... SELECT of rows into an empty database, timed.
        plain_copy and plain_insert_select: the same into a plain table of the
        loaded columns with a primary key (no derived column, no other index,
        no trigger) in the same kind of database: the floors the others are
        read against."""
        self.fresh_database()
        buf = io.StringIO()
        csv.writer(buf).writerows(rows)
        data = buf.getvalue().encode()
        cols = ", ".join(COLUMNS)
        plain = method.startswith("plain_")
        table = "bench_plain" if plain else "clara_documents"
        appname = f"clara_bench_write_{os.getpid()}_{method}"
        with psycopg.connect(dbname=DB, autocommit=True, application_name=appname) as conn:
            if plain:
                conn.execute(f"CREATE TABLE bench_plain AS SELECT {cols} FROM clara_documents WITH NO DATA")
                conn.execute("ALTER TABLE bench_plain ADD PRIMARY KEY (document_id)")
            if method.endswith("insert_select"):
                conn.execute(f"CREATE TABLE bench_staging AS SELECT {cols} FROM clara_documents WITH NO DATA")
                with conn.cursor().copy(f"COPY bench_staging ({cols}) FROM STDIN (FORMAT csv)") as cp:
                    cp.write(data)
                conn.execute("VACUUM ANALYZE bench_staging")
            sampler = BackendSampler(self.bench.monitor, appname)
            sampler.start()
            start = time.monotonic()
            if method.endswith("copy"):
                with conn.cursor().copy(f"COPY {table} ({cols}) FROM STDIN (FORMAT csv)") as cp:
                    for i in range(0, len(data), 1 << 20):
                        cp.write(data[i:i + (1 << 20)])
            else:
                conn.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM bench_staging")
            seconds = time.monotonic() - start
            sampler.stop.set()
            sampler.join()
        self.expect_count(method, len(rows), table)
        return {"seconds": seconds, "backend_rss_anon_kb": sampler.peak_kb or None}

    def derive_speed(self, path, what):
        """What one core derives from these documents without PostgreSQL
        (bench/derive_speed.cpp, best of 3): the ceiling of a bulk load in
        one backend, whatever PostgreSQL costs."""
        if not DERIVE_SPEED.is_file():
            self.bench.note(f"write: no derivation speed: {DERIVE_SPEED} is not built (make build/derive_speed)")
            return None
        r = subprocess.run([str(DERIVE_SPEED), str(path), "3"], capture_output=True, text=True)
        if r.returncode != 0:
            self.failures.append(f"write derive_speed {what}: exit {r.returncode}: {r.stderr.strip()[-300:]}")
            return None
        # A line per stage after the header: its name (words), then seconds,
        # ns/byte, us/doc, MB/s (and a checksum); the stage names are the tool's.
        stages = {}
        for line in r.stdout.splitlines()[2:]:
            parts = line.split()
            first = next((i for i, p in enumerate(parts) if p.replace(".", "", 1).isdigit()), None)
            if first is None or first == 0 or len(parts) < first + 4:
                continue
            seconds, ns_per_byte, us_per_doc, mb_per_second = map(float, parts[first:first + 4])
            stages[" ".join(parts[:first])] = {"seconds": seconds, "ns_per_byte": ns_per_byte,
                                               "us_per_doc": us_per_doc, "mb_per_second": mb_per_second}
        if "all stages" not in stages:
            self.failures.append(f"write derive_speed {what}: no total in its output: {r.stdout[-300:]}")
            return None
        total = stages.pop("all stages")
        return {"documents": what, "mb_per_second": total["mb_per_second"], "us_per_doc": total["us_per_doc"],
                "docs_per_second": 1e6 / total["us_per_doc"], "stages": stages}

    # -- the whole section ----------------------------------------------------------
    def run(self):
        a = self.args
        n = a.write_docs
        result = {"documents": n, "bulk": [], "single": [], "notes": []}
        started = time.monotonic()

        small = self.generated(n, a.seed)
        small_rows = self.rows_of(small)
        small_mb = doc_bytes(small_rows) / 1e6
        for method in ("plain_copy", "copy", "plain_insert_select", "insert_select"):
            r = self.bulk_sql(small_rows, method)
            result["bulk"].append(self.bulk_entry(method, "generated ~2 KB", n, small_mb, r))
        real, real_source = self.real_documents(a.write_real_docs)
        real_rows = self.rows_of(real)
        real_mb = doc_bytes(real_rows) / 1e6
        r = self.bulk_load(real, len(real_rows), "real-size load")
        result["bulk"].append(self.bulk_entry("clara_stream_load", real_source, len(real_rows), real_mb, r))
        for method in ("plain_copy", "copy", "plain_insert_select", "insert_select"):
            r = self.bulk_sql(real_rows, method)
            result["bulk"].append(self.bulk_entry(method, real_source, len(real_rows), real_mb, r))
        result["real_source"] = real_source
        result["derive"] = [d for d in (self.derive_speed(small, "generated ~2 KB"),
                                        self.derive_speed(real, real_source)) if d]
        # Last: its database stays, the base of the single-row INSERTs.
        r = self.bulk_load(small, n, "load")
        result["bulk"].insert(0, self.bulk_entry("clara_stream_load", "generated ~2 KB", n, small_mb, r))

        # Single-row INSERTs: new ids (a prefix) for the same kind of documents.
        trickle = self.rows_of(self.generated(a.write_single, a.seed + 1), "s2-")
        result["single"].append(self.single("generated ~2 KB", trickle, a.write_single))
        # ~10 KB: the real-size documents of 8 to 12 KB.
        ten_kb = [r for r in self.rows_of(real, "s10-") if 8000 <= doc_bytes([r]) <= 12000]
        ten_kb = ten_kb[:max(a.write_single // 5, 2)]
        if len(ten_kb) >= 2:
            result["single"].append(self.single(real_source.split(" (")[0] + " 8–12 KB", ten_kb, len(ten_kb) - 1))
        else:
            self.bench.note("write: no single-row INSERTs at ~10 KB: fewer than 2 of the real-size documents "
                            "have 8 to 12 KB (raise --write-real-docs)")
        result["writers"] = self.writers(a.write_single)
        result["latency"] = self.latency(sum(s["inserted"] for s in result["single"]) +
                                         result["writers"]["inserted"])
        subprocess.run(["dropdb", "--if-exists", DB], check=True, capture_output=True)
        for f in self.work.glob("write-*.jsonl"):
            f.unlink()
        result["seconds"] = time.monotonic() - started
        return result

    @staticmethod
    def bulk_entry(method, docs, n, mb, r):
        return {"method": method, "documents": docs, "count": n, "mb": mb, "seconds": r["seconds"],
                "docs_per_second": n / r["seconds"], "mb_per_second": mb / r["seconds"],
                "backend_rss_anon_kb": r.get("backend_rss_anon_kb"), "client_rss_kb": r.get("client_rss_kb")}

    def single(self, what, rows, limit):
        before = self.count()
        rows = rows[:limit + 1]
        inserted, seconds, client_cpu, backend_cpu, errors = insert_rows(
            DB, rows, time.monotonic() + self.args.write_seconds, f"clara_bench_single_{os.getpid()}")
        if errors:
            self.failures.append(f"write single-row {what}: errors {errors}")
        self.expect_count(f"single-row {what}", before + inserted + 1)
        mb = doc_bytes(rows[1:inserted + 1]) / 1e6
        entry = {"documents": what, "inserted": inserted + 1, "timed": inserted, "seconds": seconds,
                 "docs_per_second": inserted / seconds if seconds else None,
                 "mb_per_second": mb / seconds if seconds else None,
                 "avg_kb": 1000 * mb / max(inserted, 1),
                 "client_cpu_share": client_cpu / seconds if seconds else None,
                 "backend_cpu_share": backend_cpu / seconds if seconds else None}
        log(f"write single-row {what}: {inserted} INSERTs in {seconds:.1f}s "
            f"({entry['docs_per_second']:,.0f}/s; client CPU {100 * entry['client_cpu_share']:.0f} %, "
            f"backend CPU {100 * entry['backend_cpu_share']:.0f} %)")
        return entry

    def writers(self, per_writer):
        rows = self.rows_of(self.generated(4 * per_writer, self.args.seed + 2))
        before = self.count()
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        start_at = time.monotonic() + 1.0  # every writer connected before the first INSERT
        deadline = start_at + self.args.write_seconds
        procs = [ctx.Process(target=writer_process,
                             args=(DB, [("w%d-" % i + r[0],) + r[1:] for r in rows[i::4]], deadline, start_at,
                                   queue))
                 for i in range(4)]
        for p in procs:
            p.start()
        results = [queue.get() for _ in procs]
        for p in procs:
            p.join()
        broken = [r for r in results if r[0] == "error"]
        if broken:
            self.failures.append(f"write writers: {broken}")
            return {"inserted": 0, "docs_per_second": None, "errors": {}, "seconds": None}
        errors = {}
        for r in results:
            for state, k in r[4].items():
                errors[state] = errors.get(state, 0) + k
        inserted = sum(r[0] + 1 for r in results)
        seconds = max(r[1] for r in results)
        if errors:
            self.failures.append(f"write four writers: errors by SQLSTATE {errors} (40P01 is a deadlock)")
        self.expect_count("four writers", before + inserted)
        entry = {"writers": 4, "inserted": inserted, "seconds": seconds, "errors": errors,
                 "docs_per_second": sum(r[0] for r in results) / seconds if seconds else None,
                 "client_cpu_share": sum(r[2] for r in results) / seconds if seconds else None,
                 "backend_cpu_share": sum(r[3] for r in results) / seconds if seconds else None}
        log(f"write four writers: {inserted} INSERTs, {entry['docs_per_second']:,.0f}/s together, errors {errors}")
        return entry

    def latency(self, trickled):
        """Keyword queries on the database after the trickled INSERTs and on a
        copy of it after clara_compact(), side by side: the two are timed
        in alternation, run by run, so a change in the machine's load
        touches both alike (measured one after the other, the compacted
        side alone varied 8–15 ms between runs)."""
        copy = DB + "_compacted"
        with psycopg.connect(dbname=DB, autocommit=True) as conn:
            flushes = self.wait_for_background_flush(conn)
            conn.execute("VACUUM ANALYZE")
            pending = conn.execute("SELECT count(*), coalesce(sum(length(data)), 0) FROM clara_pending").fetchone()
            rows_before = conn.execute("SELECT count(*) FROM clara_postings").fetchone()[0]
            docs = conn.execute("SELECT count(*) FROM clara_documents").fetchone()[0]
        subprocess.run(["dropdb", "--if-exists", copy], check=True, capture_output=True)
        subprocess.run(["createdb", "-T", DB, copy], check=True, capture_output=True)
        try:
            with psycopg.connect(dbname=copy, autocommit=True) as conn:
                start = time.monotonic()
                conn.execute("SELECT clara_compact()")
                compact_seconds = time.monotonic() - start
                conn.execute("VACUUM ANALYZE")
                rows_after = conn.execute("SELECT count(*) FROM clara_postings").fetchone()[0]
            with psycopg.connect(dbname=DB, autocommit=True) as trickled_conn, \
                    psycopg.connect(dbname=copy, autocommit=True) as compacted_conn:
                before, after = self.query_times(trickled_conn, compacted_conn)
        finally:
            subprocess.run(["dropdb", "--if-exists", copy], check=True, capture_output=True)
        ratio = sum(before) / sum(after) if sum(after) else None
        log(f"write latency: {1000 * sum(before):.1f} ms after {trickled} trickled INSERTs ({pending[0]} documents "
            f"pending), {1000 * sum(after):.1f} ms after clara_compact() ({ratio:.2f} ×)")
        return {"trickled": trickled, "documents": docs, "queries": list(LATENCY_QUERIES),
                "seconds_trickled": before, "seconds_compacted": after, "ratio": ratio,
                "postings_rows_trickled": rows_before, "postings_rows_compacted": rows_after,
                "pending_rows": pending[0], "pending_bytes": pending[1], "background_flushes_waited": flushes,
                "compact_seconds": compact_seconds}

    @staticmethod
    def wait_for_background_flush(conn):
        """Waits (at most 60 s) until no background flush runs in the
        database: the copy needs no other session connected to it.
        Returns how many polls found one running."""
        busy = 0
        for _ in range(600):
            n = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'clara flush' "
                             "AND datname = current_database()").fetchone()[0]
            if n == 0:
                return busy
            busy += 1
            time.sleep(0.1)
        return busy

    def query_times(self, *conns):
        """Per query and connection: the median of write_query_runs runs of
        a keyword clara_search top_k 100 (one untimed run first on each),
        the connections taking turns run by run."""
        times = [[] for _ in conns]
        for q in LATENCY_QUERIES:
            sql = "SELECT count(*) FROM clara_search(%s, 100, 0.5, search_types => '{keyword}')"
            runs = [[] for _ in conns]
            for conn in conns:
                conn.execute(sql, (q,))
            for _ in range(self.args.write_query_runs):
                for conn, r in zip(conns, runs):
                    start = time.perf_counter()
                    conn.execute(sql, (q,)).fetchone()
                    r.append(time.perf_counter() - start)
            for t, r in zip(times, runs):
                t.append(statistics.median(r))
        return times
