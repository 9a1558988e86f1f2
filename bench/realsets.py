#!/usr/bin/python3
"""Judged retrieval sets from real documents that Debian packages ship.

Nobody here wrote these texts, so nothing in Clara can agree with them by
construction (unlike the generated corpus, whose words come from the same
generator as its queries). Each set is a known-item task: a query is a
page's own short description or title, that text is removed from the page
before it is stored, and the page it came from is the one relevant document.

  de-libreoffice  libreoffice-help-de: LibreOffice's German help pages. Query:
                  the page's first short-help sentence (<span class="avis">
                  after the heading, the tooltip text), removed from the page.
  de-manpages     manpages-de: German manual pages. Query: the description in
                  the NAME ("BEZEICHNUNG") line, e.g. "Verzeichnisinhalte
                  auflisten" for ls(1); the NAME section is removed. Title:
                  the page's name, "ls(1)".
  en-postgresql   postgresql-doc-15: the PostgreSQL 15 manual. Reference pages
                  (SQL commands, programs, SPI): query = the one-line purpose
                  ("define a new table"), removed; title = the command. Other
                  pages: query = the section title without its number ("String
                  Functions and Operators"); the page is stored without title
                  or heading.

Queries that do not single out a page (fewer than 3 words, or the same text
as another page's query) and queries of pages with little text left (< 200
characters after the removal) are left out; those pages stay in the corpus
as distractors, as do pages with no query (LibreOffice's guides, release
notes). Navigation (prev/next bars, tables of contents, which repeat other
pages' titles) is not part of a page's text. Pages with the same title and
text are stored once. Citations (for graph search) are the links between
pages of the set: HTML links, and a manual page's SIEHE AUCH references.

At most --max-queries (600) queries per set, a sample by a hash of the page's
id, so the same pages are chosen every time.

The packages are fetched with `apt-get download` (no installation) into a
cache directory; each set records the package version and the SHA-256 of the
.deb, so a report names exactly the text it was measured on. Output per set:
DIR/NAME/corpus.jsonl (the `clara-stream load` format), DIR/NAME/queries.tsv
(id, query, document_id, kind) and DIR/NAME/set.json.

Usage: realsets.py --out DIR [--sets a,b] [--max-queries N]
"""
import argparse
import gzip
import hashlib
import html
import html.parser
import json
import os
import re
import subprocess
import sys
import tempfile
import unicodedata
from pathlib import Path

SETS = {
    "de-libreoffice": {"package": "libreoffice-help-de", "language": "de"},
    "de-manpages": {"package": "manpages-de", "language": "de"},
    "en-postgresql": {"package": "postgresql-doc-15", "language": "en"},
}
# The format of the files this script writes: bump when a set's construction
# changes, so a cached set is rebuilt.
BUILD_VERSION = 4
MIN_CONTENT_CHARS = 200
MIN_QUERY_WORDS = 3


def log(msg):
    print(f"realsets: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Packages

def fetch_package(package, cache):
    """The .deb of package (downloaded once into cache) and its version."""
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{package}_*.deb"))
    if not debs:
        log(f"downloading {package} (apt-get download)")
        # apt's sandbox user cannot write into a root-owned temporary dir; as
        # root it then downloads unsandboxed with a warning, which is fine.
        r = subprocess.run(["apt-get", "download", package], cwd=cache, capture_output=True, text=True)
        debs = sorted(cache.glob(f"{package}_*.deb"))
        if r.returncode != 0 or not debs:
            raise SystemExit(f"realsets: could not download {package}: {r.stderr.strip() or r.stdout.strip()}"
                             " (run apt-get update, or pass --debs DIR with the .deb files)")
    deb = debs[-1]
    version = subprocess.run(["dpkg-deb", "-f", str(deb), "Version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    sha = hashlib.sha256(deb.read_bytes()).hexdigest()
    return deb, version, sha


def extract(deb, into):
    subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True)


# ---------------------------------------------------------------------------
# Text

BLOCK_TAGS = {"p", "div", "br", "li", "dt", "dd", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table",
              "section", "blockquote", "hr", "ul", "ol", "dl", "td", "th"}
SKIP_TAGS = {"script", "style", "head", "noscript"}
VOID_TAGS = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}


class Node:
    __slots__ = ("tag", "attrs", "children", "parent")

    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.children, self.parent = tag, dict(attrs), [], parent

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def find_all(self, pred):
        out, stack = [], [self]
        while stack:
            n = stack.pop()
            if isinstance(n, Node):
                if pred(n):
                    out.append(n)
                stack.extend(reversed(n.children))
        return out

    def find(self, pred):
        found = self.find_all(pred)
        return found[0] if found else None

    def remove(self):
        if self.parent is not None:
            self.parent.children = [c for c in self.parent.children if c is not self]
            self.parent = None


class TreeBuilder(html.parser.HTMLParser):
    """A forgiving DOM: enough for DocBook and LibreOffice's generated HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        n = Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in VOID_TAGS:
            self.cur = n

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not None and n.tag != tag:
            n = n.parent
        if n is not None and n.parent is not None:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def parse_html(text):
    b = TreeBuilder()
    b.feed(text)
    b.close()
    return b.root


def node_text(node):
    """Text of a subtree, paragraphs on their own lines, whitespace folded
    (inside <pre> lines are kept)."""
    parts = []

    def walk(n, pre):
        if isinstance(n, str):
            parts.append(n if pre else re.sub(r"\s+", " ", n))
            return
        if n.tag in SKIP_TAGS or n.attrs.get("hidden") is not None:
            return
        block = n.tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        for c in n.children:
            walk(c, pre or n.tag == "pre")
        if block:
            parts.append("\n")

    walk(node, False)
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in "".join(parts).split("\n")]
    out, blank = [], False
    for line in lines:
        if line:
            out.append(line)
    return "\n".join(out)


def inline_text(node):
    return re.sub(r"\s+", " ", node_text(node)).strip()


def words(text):
    return re.findall(r"\w+", text)


def remove_text(content, query):
    """content with every occurrence of the query text removed (whitespace
    and case insensitive), so the page does not contain its own query."""
    pattern = r"\s+".join(re.escape(w) for w in query.split())
    return re.sub(pattern, " ", content, flags=re.IGNORECASE)


def norm_query(q):
    return unicodedata.normalize("NFC", re.sub(r"\s+", " ", q)).strip()


# ---------------------------------------------------------------------------
# The sets: each builder yields (document, query or None, kind)

def build_libreoffice(root):
    base = root / "usr/share/libreoffice/help/de/text"
    for path in sorted(base.rglob("*.html")):
        tree = parse_html(path.read_text(encoding="utf-8", errors="replace"))
        area = tree.find(lambda n: n.attrs.get("id") == "DisplayArea")
        if area is None:
            continue
        h1 = area.find(lambda n: n.tag == "h1")
        title = inline_text(h1) if h1 is not None else None
        query = None
        avis = area.find(lambda n: "avis" in n.classes())
        if avis is not None:
            query = norm_query(inline_text(avis))
            avis.remove()
        if h1 is not None:
            h1.remove()
        content = node_text(area)
        if query:
            content = remove_text(content, query)
        rel = path.relative_to(base).as_posix()
        # Links name pages as "de/text/<path>" below the help root.
        cites = [m.group(1) for m in (re.match(r"^de/text/([^#?]+\.html)", a.attrs.get("href") or "")
                                      for a in area.find_all(lambda n: n.tag == "a")) if m]
        yield {"document_id": "lo:" + rel, "title": title, "content": content, "document_type": "help page",
               "citations": ["lo:" + c for c in cites]}, query, "description"


def render_manpage(path):
    """A manual page as plain UTF-8 text (groff, no formatting characters)."""
    src = gzip.decompress(path.read_bytes())
    r = subprocess.run(["groff", "-k", "-mandoc", "-Tutf8", "-P", "-cbou", "-rLL=100n", "-rLT=100n"],
                       input=src, capture_output=True)
    if r.returncode != 0:
        return None
    return r.stdout.decode("utf-8", errors="replace")


NAME_HEADINGS = ("BEZEICHNUNG", "NAME")


def build_manpages(root):
    base = root / "usr/share/man/de"
    for path in sorted(base.rglob("*.gz")):
        if path.is_symlink():
            continue
        text = render_manpage(path)
        if not text:
            continue
        lines = text.split("\n")
        # Sections start at unindented lines; the NAME section holds
        # "name, name2 - description" over one or more lines.
        sections, cur = [], None
        for line in lines:
            if line and not line[0].isspace():
                cur = [line.strip(), []]
                sections.append(cur)
            elif cur is not None:
                cur[1].append(line.strip())
        # The first and last lines are groff's page header and footer.
        sections = [s for s in sections if s[1]]
        name_sec = next((s for s in sections if s[0] in NAME_HEADINGS), None)
        query = None
        if name_sec is not None:
            name_line = " ".join(l for l in name_sec[1] if l)
            m = re.match(r"^(.*?)\s+[-\u2010\u2013\u2014]+\s+(.*)$", name_line)
            if m:
                query = norm_query(m.group(2))
        body = "\n".join(s[0] + "\n" + "\n".join(l for l in s[1] if l) for s in sections if s is not name_sec)
        # Citations: the pages named in SIEHE AUCH (SEE ALSO), as name(section).
        see_also = next((s for s in sections if s[0] in ("SIEHE AUCH", "SEE ALSO")), None)
        cites = []
        if see_also is not None:
            cites = [f"man:{m.group(1)}.{m.group(2)}" for m in
                     re.finditer(r"([\w.+-]+)\((\d\w*)\)", " ".join(see_also[1]))]
        stem = path.name[:-3]                      # ls.1
        name, _, section = stem.rpartition(".")
        if query:
            body = remove_text(body, query)
        yield {"document_id": f"man:{name}.{section}", "title": f"{name}({section})", "content": body,
               "document_type": "manual page", "citations": cites}, query, "description"


def build_postgresql(root):
    base = root / "usr/share/doc/postgresql-doc-15/html"
    for path in sorted(base.glob("*.html")):
        tree = parse_html(path.read_text(encoding="utf-8", errors="replace"))
        body = tree.find(lambda n: n.tag == "body")
        if body is None:
            continue
        for n in body.find_all(lambda n: any(c in ("navheader", "navfooter", "toc") for c in n.classes())):
            n.remove()
        page_id = "pg:" + path.name
        cites = ["pg:" + m.group(1) for m in (re.match(r"^([\w.-]+\.html)", a.attrs.get("href") or "")
                                              for a in body.find_all(lambda n: n.tag == "a")) if m]
        refname = body.find(lambda n: "refnamediv" in n.classes())
        if refname is not None:
            title_node = refname.find(lambda n: "refentrytitle" in n.classes())
            title = inline_text(title_node) if title_node is not None else None
            purpose = refname.find(lambda n: n.tag == "p")
            query = None
            if purpose is not None:
                m = re.match(r"^.*?\s+[\u2014-]+\s+(.*)$", inline_text(purpose))
                if m:
                    query = norm_query(m.group(1))
            refname.remove()
            content = node_text(body)
            if query:
                content = remove_text(content, query)
            yield {"document_id": page_id, "title": title, "content": content,
                   "document_type": "reference page", "citations": cites}, query, "description"
            continue
        titlepage = body.find(lambda n: "titlepage" in n.classes())
        heading = titlepage.find(lambda n: n.tag in ("h1", "h2", "h3")) if titlepage is not None else None
        if heading is None:
            continue
        raw_title = inline_text(heading)
        titlepage.remove()
        # "9.4. String Functions and Operators", "Chapter 9. ...", "E.1. Release 15.20"
        query = norm_query(re.sub(r"^(Chapter|Part|Appendix)?\s*[0-9A-Z]+(\.[0-9]+)*\.\s+", "", raw_title))
        kind = "title"
        if re.match(r"^(Release|Prior Releases)\b", query) or path.name in ("index.html", "bookindex.html"):
            query = None   # release notes and indexes: no meaningful title query
        content = node_text(body)
        if query:
            content = remove_text(content, query)
        yield {"document_id": page_id, "title": None, "content": content,
               "document_type": "manual section", "citations": cites}, query, kind


BUILDERS = {"de-libreoffice": build_libreoffice, "de-manpages": build_manpages, "en-postgresql": build_postgresql}


# ---------------------------------------------------------------------------

def stable_hash(text):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def build_set(name, out_dir, cache, max_queries):
    spec = SETS[name]
    deb, version, sha = fetch_package(spec["package"], cache)
    target = out_dir / name
    meta_path = target / "set.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("deb_sha256") == sha and meta.get("build_version") == BUILD_VERSION and \
                meta.get("max_queries") == max_queries:
            log(f"{name}: up to date ({meta['documents']} documents, {meta['queries']} queries)")
            return meta
    log(f"{name}: building from {deb.name}")
    with tempfile.TemporaryDirectory(prefix="clara-realset-") as tmp:
        extract(deb, Path(tmp))
        rows = list(BUILDERS[name](Path(tmp)))

    # One copy of pages with identical text (LibreOffice ships some twice).
    docs, seen_text = [], {}
    for doc, query, kind in rows:
        doc["content"] = doc["content"].strip()
        key = hashlib.sha256((doc["title"] or "").encode() + b"\0" + doc["content"].encode()).hexdigest()
        if key in seen_text or not doc["content"]:
            continue
        seen_text[key] = doc["document_id"]
        docs.append((doc, query, kind))

    # Queries must single out their page: unique text, enough words, a page
    # with enough text left to search.
    query_count = {}
    for doc, query, kind in docs:
        if query:
            k = query.casefold()
            query_count[k] = query_count.get(k, 0) + 1
    queries = []
    for doc, query, kind in docs:
        if not query or query_count[query.casefold()] > 1:
            continue
        if len(words(query)) < MIN_QUERY_WORDS or len(doc["content"]) < MIN_CONTENT_CHARS:
            continue
        queries.append({"query": query, "document_id": doc["document_id"], "kind": kind})
    total_candidates = len(queries)
    # A deterministic sample (by hash of the document id) when capped.
    queries.sort(key=lambda q: stable_hash(q["document_id"]))
    if max_queries and len(queries) > max_queries:
        queries = queries[:max_queries]
    queries.sort(key=lambda q: q["document_id"])

    target.mkdir(parents=True, exist_ok=True)
    source = f"debian:{spec['package']}={version}"
    ids = {doc["document_id"] for doc, _, _ in docs}
    edges = 0
    with open(target / "corpus.jsonl", "w", encoding="utf-8") as f:
        for doc, _, _ in docs:
            cites = sorted({c for c in doc.get("citations", []) if c in ids and c != doc["document_id"]})
            edges += len(cites)
            line = {"document_id": doc["document_id"], "title": doc["title"], "content": doc["content"],
                    "domain": name, "document_type": doc["document_type"], "source": source,
                    "citations": cites}
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
    with open(target / "queries.tsv", "w", encoding="utf-8") as f:
        f.write("id\tquery\tdocument_id\tkind\n")
        for i, q in enumerate(queries, 1):
            f.write(f"{i}\t{q['query']}\t{q['document_id']}\t{q['kind']}\n")
    lengths = sorted(len(d["content"]) for d, _, _ in docs)
    meta = {"name": name, "package": spec["package"], "version": version, "deb": deb.name, "deb_sha256": sha,
            "language": spec["language"], "build_version": BUILD_VERSION, "max_queries": max_queries,
            "documents": len(docs), "queries": len(queries), "citations": edges, "query_candidates": total_candidates,
            "content_chars": {"median": lengths[len(lengths) // 2], "max": lengths[-1],
                              "total": sum(lengths)},
            "kinds": {k: sum(q["kind"] == k for q in queries) for k in sorted({q["kind"] for q in queries})}}
    meta_path.write_text(json.dumps(meta, indent=1) + "\n")
    log(f"{name}: {len(docs)} documents (median {meta['content_chars']['median']} characters), "
        f"{len(queries)} queries of {total_candidates}, {edges} citations")
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="directory for the sets")
    ap.add_argument("--sets", default=",".join(SETS), help=f"comma-separated, of {', '.join(SETS)}")
    ap.add_argument("--debs", default=None, help="where the .deb files are cached (default OUT/debs)")
    ap.add_argument("--max-queries", type=int, default=600, help="queries per set at most (0 = all)")
    args = ap.parse_args()
    out = Path(args.out)
    names = [s for s in args.sets.split(",") if s]
    for s in names:
        if s not in SETS:
            raise SystemExit(f"realsets: unknown set {s!r} (known: {', '.join(SETS)})")
    cache = Path(args.debs) if args.debs else out / "debs"
    for s in names:
        build_set(s, out, cache, args.max_queries)


if __name__ == "__main__":
    main()
