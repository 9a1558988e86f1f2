"""Reporting: the results as Markdown (OUT/<stamp>.md and OUT/latest.md), the
JSON itself and, when gnuplot is installed, a figure (OUT/<stamp>.png)."""
import json
import shutil
import subprocess
from pathlib import Path

from clara_bench import VARIANTS, log


def fmt_ms(seconds):
    return "–" if seconds is None else f"{1000 * seconds:,.0f} ms"


def fmt_mb(kb):
    return "–" if not kb else f"{kb / 1024:.1f}"


def markdown(results):
    m = results["machine"]
    a = results["settings"]
    has_http = any("http" in e["variants"] for c in results["corpora"] for e in c["top_k"])
    out = [f"# Clara benchmark {results['timestamp']}", "",
           f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}, "
           f"Linux {m['kernel']}; PostgreSQL {m['postgres']} on the same host "
           f"(shared_buffers {m['server_settings'].get('shared_buffers')}, "
           f"work_mem {m['server_settings'].get('work_mem')}, otherwise defaults); git {m['git']}.", "",
           f"Query `{a['query']}`, min_quality {a['min_quality']}, {a['runs']} runs per cell "
           f"(median, min–max); variants interleaved. Time to first byte runs from the command's start "
           f"(process start and connection included) to the first byte on its stdout. Client RSS: peak "
           f"(ru_maxrss); backend: peak RssAnon sampled every 2 ms. Ratio: docs/s against the floor "
           f"(`COPY (SELECT content FROM clara_documents LIMIT n)`, n = the same rows). The naive SQL has "
           f"a GIN index on `tsv` (created by the benchmark; the extension creates none) and matches any "
           f"query term (`{results['corpora'][0]['naive_tsquery'] if results['corpora'] else ''}`). "
           f"The seed-style batch ranks with `clara_search` (same rows, same order), then fetchall, "
           f"dicts, `json.dumps`."
           + (" HTTP: `curl` against one `clara-stream serve` started per corpus (pool of 2 connections, "
              "already open: its first byte has no process start or connection in it); its client RSS is "
              "curl's plus the server process's VmRSS peak." if has_http else ""), ""]
    out += ["## MISSION.md targets", "", "| target | where | measured | |", "|---|---|---:|---|"]
    for t in results["targets"]:
        out.append(f"| {t['target']} | {t['where']} | {t['value']} | {'**met**' if t['met'] else '**not met**'} |")
    out.append("")
    for c in results["corpora"]:
        out += [f"## {c['documents']:,} documents ({c['database_bytes'] / 1e9:.2f} GB database), "
                f"{c['matches']:,} matching", ""]
        rel = c.get("relation_bytes") or {}
        if rel:
            per = 100000 / c["documents"]
            out += ["Relations (with TOAST and indexes; per 100K documents): " + ", ".join(
                f"{name} {b / 1e6:,.0f} MB ({b * per / 1e6:,.0f})" for name, b in rel.items() if b > 65536) + ".", ""]
        out += [
                "| top_k | variant | rows | first byte ms | total s (min–max) | docs/s | MB/s | "
                "× floor | client RSS MB | backend RssAnon MB |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for e in c["top_k"]:
            label = f"all ({e['top_k']:,})" if e["all_matches"] else f"{e['top_k']:,}"
            for v, s in e["variants"].items():
                ratio = f"{s['ratio_to_floor']:.2f}" if s.get("ratio_to_floor") else "–"
                out.append(
                    f"| {label} | {VARIANTS[v]}{'' if s['ok'] else ' **WRONG OUTPUT**'} | {s['rows']:,} | "
                    f"{fmt_ms(s['first_byte_seconds']).replace(' ms', '')} | "
                    f"{s['seconds']:.3f} ({s['seconds_min']:.3f}–{s['seconds_max']:.3f}) | "
                    f"{s['docs_per_second']:,.0f} | {s['mb_per_second']:.1f} | {ratio} | "
                    f"{fmt_mb(s['client_rss_kb'])} | {fmt_mb(s['backend_rss_anon_kb'])} |")
        out.append("")
    if results.get("load"):
        l = results["load"]
        out += ["## Load", "",
                f"`clara-stream load` of {l['documents']:,} generated documents into an empty database "
                f"(derived columns, BM25 postings and citation edges included), {len(l['runs'])} runs: "
                f"median {l['seconds']:.2f} s ({l['seconds_min']:.2f}–{l['seconds_max']:.2f}), "
                f"**{l['docs_per_second']:,.0f} documents/s**; client RSS {fmt_mb(l['client_rss_kb'])} MB, "
                f"backend RssAnon {fmt_mb(l['backend_rss_anon_kb'])} MB."]
        w = l.get("without_dedup")
        if w:
            out += ["", f"The same runs side by side with the duplicate-filing triggers disabled (no "
                        f"`clara_dedup_bands` / `clara_dup_clusters` upkeep; signatures still computed): median "
                        f"{w['seconds']:.2f} s ({w['seconds_min']:.2f}–{w['seconds_max']:.2f}), "
                        f"{w['docs_per_second']:,.0f} documents/s; **with filing = "
                        f"{l['ratio_to_without_dedup']:.2f} × the rate without**."]
        out.append("")
    if results.get("write"):
        out += write_markdown(results["write"])
    if results["notes"]:
        out += ["## Notes", ""] + [f"- {n}" for n in results["notes"]] + [""]
    if results["failures"]:
        out += ["## FAILURES", ""] + [f"- {f}" for f in results["failures"]] + [""]
    return "\n".join(out)


def write_markdown(w):
    """The write section (issue 13): bulk, single-row, concurrent, latency."""
    from clara_bench.check import BULK_METHODS
    out = ["## Writes", "",
           f"Bulk: {w['documents']:,} generated documents into an empty database each way (COPY and INSERT ... "
           f"SELECT store documents only, no citation edges), then real-size documents the same three ways: "
           f"{w['real_source']}. Floors: the same COPY and INSERT ... SELECT into a plain table of the eight loaded "
           "columns with a primary key (no derived column, no other index, no trigger), in the same kind of fresh "
           f"database. MB: the documents' text fields (UTF-8). Single-row: one autocommit INSERT per "
           "document from one psycopg session (prepared statement, documents parsed before the clock starts); "
           "CPU: the client's and the backend's CPU time over the wall time (a client near 100 % would be the "
           "bottleneck).", "",
           "| measurement | documents | count | s | docs/s | MB/s | client CPU | backend CPU | backend RssAnon MB |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    derive_notes = []
    for b in w["bulk"]:
        out.append(f"| bulk: {BULK_METHODS[b['method']]} | {b['documents']} | {b['count']:,} | {b['seconds']:.2f} | "
                   f"{b['docs_per_second']:,.0f} | {b['mb_per_second']:.1f} | – | – | "
                   f"{fmt_mb(b.get('backend_rss_anon_kb'))} |")
    for d in w.get("derive") or []:
        stages = ", ".join(f"{name} {st['ns_per_byte']:.1f}" for name, st in d["stages"].items())
        out.append(f"| deriving the columns alone, no PostgreSQL (build/derive_speed, one core, best of 3) | "
                   f"{d['documents']} | – | – | {d['docs_per_second']:,.0f} | {d['mb_per_second']:.1f} | – | – | "
                   f"– |")
        derive_notes.append(f"{d['documents'].split(' (')[0]}: {stages} ns/byte")
    for s in w["single"]:
        if s["docs_per_second"] is None:
            continue
        out.append(f"| single-row INSERT | {s['documents']} (avg {s['avg_kb']:.1f} KB) | {s['timed']:,} | "
                   f"{s['seconds']:.2f} | {s['docs_per_second']:,.0f} | {s['mb_per_second']:.1f} | "
                   f"{100 * s['client_cpu_share']:.0f} % | {100 * s['backend_cpu_share']:.0f} % | – |")
    wr = w.get("writers") or {}
    if wr.get("docs_per_second") is not None:
        out.append(f"| 4 concurrent writers, single-row INSERTs | generated ~2 KB, disjoint ids | "
                   f"{wr['inserted']:,} | {wr['seconds']:.2f} | {wr['docs_per_second']:,.0f} | – | "
                   f"{100 * wr['client_cpu_share']:.0f} % | {100 * wr['backend_cpu_share']:.0f} % | – |")
    out.append("")
    if derive_notes:
        out += ["Deriving, per stage (tokenizer, term index, quality signals with their JSON, duplicate signature, "
                "lead 4-grams): " + "; ".join(derive_notes) + ". Its MB/s count the title and content bytes only; "
                "its docs/s is one core's ceiling for a bulk load in one backend.", ""]
    lat = w.get("latency")
    if lat and lat.get("ratio"):
        per = ", ".join(f"{1000 * a:.1f} → {1000 * b:.1f}" for a, b in
                        zip(lat["seconds_trickled"], lat["seconds_compacted"]))
        out += [f"Query latency (keyword `clara_search` top_k 100, median of the runs, per query {per} ms) after "
                f"{lat['trickled']:,} trickled single-row INSERTs: **{lat['ratio']:.2f} ×** that after "
                f"`clara_compact()` ({lat['compact_seconds']:.1f} s; clara_postings "
                f"{lat['postings_rows_trickled']:,} → {lat['postings_rows_compacted']:,} rows; "
                f"{lat['documents']:,} documents; {lat.get('pending_rows', 0):,} of them pending). The compacted "
                f"side is a copy of the database, timed in alternation with it.", ""]
    return out


def plot(results, png):
    """docs/s and memory against top_k, one column per corpus (gnuplot)."""
    if shutil.which("gnuplot") is None:
        results["notes"].append("no plot: gnuplot is not installed (apt-get install gnuplot-nox)")
        return False
    stem = png.with_suffix("")
    variants = [v for v in VARIANTS if any(v in e["variants"] for c in results["corpora"] for e in c["top_k"])]
    files = []
    for c in results["corpora"]:
        dat = Path(f"{stem}-{c['documents']}.dat")
        with open(dat, "w") as f:
            f.write("# rows " + " ".join(f"{v}_docs_s {v}_rss_mb" for v in variants) + "\n")
            for e in c["top_k"]:
                cols = []
                for v in variants:
                    s = e["variants"].get(v)
                    if s:
                        rss = ((s["client_rss_kb"] or 0) + (s["backend_rss_anon_kb"] or 0)) / 1024
                        cols += [f"{s['docs_per_second']:.1f}", f"{rss:.1f}"]
                    else:
                        cols += ["NaN", "NaN"]
                f.write(f"{max(e['rows'], 1)} " + " ".join(cols) + "\n")
        files.append((c["documents"], dat))
    n = len(files)
    script = [f"set terminal pngcairo noenhanced size {max(560 * n, 700)},900 font ',9'" if has_pngcairo()
              else f"set terminal png noenhanced size {max(560 * n, 700)},900",
              f"set output '{png}'", f"set multiplot layout 2,{n} title 'Clara export: {results['timestamp']}'",
              "set logscale x", "set grid", "set key top left font ',8'", "set xlabel 'rows exported (top_k)'"]
    for what, col_off, ylabel, log_y in (("docs/s", 2, "documents/s", True),
                                         ("RSS", 3, "client + backend peak MB", True)):
        for docs, dat in files:
            script.append(f"set title '{docs:,} docs: {what}'")
            script.append(f"set ylabel '{ylabel}'")
            script.append("set logscale y" if log_y else "unset logscale y")
            parts = [f"'{dat}' using 1:{col_off + 2 * i} with linespoints title '{VARIANTS[v].split(':')[0]}'"
                     for i, v in enumerate(variants)]
            script.append("plot " + ", ".join(parts))
    script.append("unset multiplot")
    gp = Path(f"{stem}.gp")
    gp.write_text("\n".join(script) + "\n")
    r = subprocess.run(["gnuplot", str(gp)], capture_output=True, text=True)
    for _, dat in files:
        dat.unlink()
    gp.unlink()
    if r.returncode != 0:
        results["notes"].append(f"plot failed: {r.stderr.strip()[-300:]}")
        return False
    return True


def has_pngcairo():
    r = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
    return "pngcairo" in (r.stdout + r.stderr)


def write_results(results, out, no_plot):
    stamp = results["timestamp"]
    out.mkdir(parents=True, exist_ok=True)
    if not no_plot and plot(results, out / f"{stamp}.png"):
        shutil.copyfile(out / f"{stamp}.png", out / "latest.png")
        results["plot"] = f"{stamp}.png"
    (out / f"{stamp}.json").write_text(json.dumps(results, indent=1) + "\n")
    md = markdown(results)
    if results.get("plot"):
        md += f"\n![docs/s and memory against top_k]({results['plot']})\n"
    (out / f"{stamp}.md").write_text(md)
    (out / "latest.md").write_text(md)
    log(f"wrote {out / (stamp + '.json')}, {out / 'latest.md'} in {results['bench_seconds']:.0f}s")
