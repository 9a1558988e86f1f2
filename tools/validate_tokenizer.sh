#!/usr/bin/env bash
# Validates extension/core/tokenizer.cpp against PostgreSQL 15.
#
#   tools/validate_tokenizer.sh [--docs N] [--doc-check N]
#
# 1. Stemmer + stop words, word by word: every distinct lower-cased
#    letter-only word of a generated corpus (clara-stream generate, N docs,
#    default 20000), of the English texts in /usr/share/common-licenses, of
#    /usr/share/dict/ngerman and /usr/share/dict/american-english when present
#    (Debian packages wngerman, wamerican), and a built-in list of German
#    inflections, is run through our stop lists + german_stem and through
#    PostgreSQL: ts_lexize on a simple dictionary with english.stop
#    (accept = false, as clara_english_stop), then ts_lexize('german_stem').
#    Prints the agreement per source and lists disagreements.
# 2. Whole documents (informational): the lexemes of the first --doc-check
#    documents (default 2000) from Tokenizer::tokenize against those of
#    ts_debug('clara_de_en'-like configuration), minus the whole-compound
#    tokens (asciihword, hword, numhword) we deliberately do not emit. The
#    remaining differences come from the PostgreSQL parser's special token
#    types (numbers with '.', host names, URLs, file paths ...).
#
# Needs g++, libstemmer-dev and the client's build dependencies (make client),
# python3 and pg_virtualenv (postgresql-15); runs a throwaway cluster. Exit
# status 1 if any word disagrees.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = "--in-cluster" ]; then
    # Inside pg_virtualenv: $2 is the work directory.
    W=$2
    createdb -E UTF8 -l C.UTF-8 -T template0 tokval
    psql -X -q -v ON_ERROR_STOP=1 -d tokval <<SQL
CREATE TEXT SEARCH DICTIONARY en_stop (TEMPLATE = pg_catalog.simple, STOPWORDS = english, ACCEPT = false);
CREATE TEXT SEARCH CONFIGURATION de_en (COPY = pg_catalog.german);
ALTER TEXT SEARCH CONFIGURATION de_en
    ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
    WITH en_stop, pg_catalog.german_stem;
CREATE TABLE words (id int, source text, word text);
\copy words FROM '$W/words.tsv'
CREATE TABLE docs (id int, body text);
\copy docs FROM '$W/docs.tsv'
\copy (SELECT id, CASE WHEN ts_lexize('en_stop', word) = '{}' THEN '' ELSE coalesce(array_to_string(ts_lexize('german_stem', word), ' '), '?') END FROM words ORDER BY id) TO '$W/pg_words.tsv'
\copy (SELECT d.id, l FROM docs d, LATERAL (SELECT unnest(t.lexemes) AS l FROM ts_debug('de_en', d.body) t WHERE t.alias NOT IN ('asciihword', 'hword', 'numhword')) x ORDER BY d.id) TO '$W/pg_docs.tsv'
SQL
    exit 0
fi

DOCS=20000
DOC_CHECK=2000
while [ $# -gt 0 ]; do
    case "$1" in
    --docs) DOCS=$2; shift 2 ;;
    --doc-check) DOC_CHECK=$2; shift 2 ;;
    *) echo "usage: $0 [--docs N] [--doc-check N]" >&2; exit 2 ;;
    esac
done

W=$(mktemp -d /tmp/clara-tokval.XXXXXX)
chmod 755 "$W"  # the cluster's server (user postgres) reads and writes here
echo "work directory: $W"
CXX=${CXX:-g++}
FLAGS="-std=c++17 -O2 -Wall -Wextra -Werror"

echo "== build the client (its generate command) and the tokenizer driver"
# CLARA_STREAM: an already built client; by default the worktree's, built here.
if [ -z "${CLARA_STREAM:-}" ]; then
    make -s -C "$ROOT" client
    CLARA_STREAM=$ROOT/build/clara-stream
fi
cat >"$W/driver.cpp" <<'CPP'
// words: "id \t source \t word" lines -> "id \t stem" ("" for a stop word).
// docs:  "id \t body" (COPY text format) -> "id \t lexeme" per lexeme.
#include "tokenizer.hpp"
#include <iostream>
#include <string>
int main(int argc, char **argv) {
    std::ios::sync_with_stdio(false);
    const std::string mode = argc > 1 ? argv[1] : "";
    std::string line;
    clara::Tokenizer tok;
    clara::LexemeList lex;
    while (std::getline(std::cin, line)) {
        const size_t tab = line.find('\t');
        const std::string id = line.substr(0, tab);
        std::string rest = line.substr(tab + 1);
        if (mode == "words") {
            const std::string word = rest.substr(rest.find('\t') + 1);
            std::cout << id << '\t' << (clara::is_stop_word(word) ? std::string() : clara::german_stem(word)) << '\n';
        } else {
            std::string body;  // undo COPY text escapes
            for (size_t i = 0; i < rest.size(); ++i) {
                if (rest[i] != '\\' || i + 1 == rest.size()) { body.push_back(rest[i]); continue; }
                const char c = rest[++i];
                body.push_back(c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c);
            }
            lex.clear();
            tok.tokenize(body, lex);
            for (size_t i = 0; i < lex.size(); ++i) std::cout << id << '\t' << lex[i] << '\n';
        }
    }
}
CPP
$CXX $FLAGS -I"$ROOT/extension/core" -o "$W/driver" "$W/driver.cpp" "$ROOT/extension/core/tokenizer.cpp" -lstemmer

echo "== generate $DOCS documents"
"$CLARA_STREAM" generate --docs "$DOCS" --output "$W/corpus.jsonl"

echo "== collect words"
/usr/bin/python3 - "$W" "$DOC_CHECK" <<'PY'
import json, re, sys, glob, os
w, doc_check = sys.argv[1], int(sys.argv[2])
letters = re.compile(r"[^\W\d_]+")
sources = {}

def add(source, text):
    s = sources.setdefault(source, set())
    for m in letters.findall(text.lower()):
        s.add(m)

with open(os.path.join(w, "corpus.jsonl"), encoding="utf-8") as f, \
        open(os.path.join(w, "docs.tsv"), "w", encoding="utf-8") as docs:
    for i, line in enumerate(f):
        d = json.loads(line)
        for key in ("title", "content"):
            if d.get(key):
                add("corpus", d[key])
        if i < doc_check:
            body = d.get("content") or ""
            body = body.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
            docs.write("%d\t%s\n" % (i, body))
for path in sorted(glob.glob("/usr/share/common-licenses/*")):
    if os.path.isfile(path):
        add("english-licenses", open(path, encoding="utf-8", errors="replace").read())
for name, path in (("ngerman", "/usr/share/dict/ngerman"), ("american", "/usr/share/dict/american-english")):
    if os.path.exists(path):
        add(name, open(path, encoding="utf-8", errors="replace").read())
# German inflections and derivations exercising every rule of the stemmer.
stems = ["haus", "kind", "bau", "recht", "verwaltung", "ordn", "frei", "klug", "schön", "groß", "fuß",
         "straß", "gefähr", "möglich", "ergebn", "kenntn", "verhältn", "bedürfn", "zeugn", "heiz",
         "photovoltaik", "freifläch", "energ", "feuer", "bayer", "treu", "steuer", "mauer", "neu",
         "abenteu", "ruh", "müh", "lehr", "arbeit", "fahr", "lauf", "sprech", "gebäud", "wohn"]
suffixes = ["", "e", "en", "em", "er", "ern", "es", "s", "st", "est", "nis", "nisse", "nissen", "isse",
            "ung", "ungen", "heit", "heiten", "keit", "keiten", "lichkeit", "igkeit", "igkeiten", "isch",
            "ische", "ischen", "lich", "liche", "lichen", "licher", "end", "ende", "enden", "ig", "ige",
            "igen", "igung", "igend", "ik", "iken", "erheit", "enheit", "erlich", "enlich", "bar",
            "barkeit", "los", "losigkeit", "sam", "samkeit", "tum", "tümer", "chen", "lein", "in",
            "innen", "ist", "isten", "ismus", "ität", "ation", "ationen", "ieren", "iert", "ierte",
            "ierung", "ierungen", "nd", "ns", "ßen", "ße", "äst", "ößt", "üs", "ys", "yer", "uen", "eu"]
extra = set()
for st in stems:
    for su in suffixes:
        extra.add(st + su)
extra.update("""aufeinanderfolgenden aufeinanderfolgende ablösung ablösungen äußerst außerordentlich
straße straßen fußgängerüberweg maß maße masse größte größten weiß weißt heißt ließ ließen
muß müssen mußte daß bayern bayerische bauer bauern feuerwehr treue treuer koyote ayurveda
beyer mayer meyer ouzo euer eure äu äußere qualität qualitäten übergeordnet überprüfung
schönheit schönheiten sicherheit sicherheiten gerechtigkeit gerechtigkeiten freundlichkeit
möglichkeit möglichkeiten tätigkeit tätigkeiten häufigkeit flüssigkeit heiterkeit
beziehungsweise insbesondere grundsätzlich grundsätzliche ordnungsgemäß ordnungsgemäße
ermessensfehlgebrauch verwaltungsrechtsstreit außenbereich widerspruchsbescheid
a b c d e f g ab abc ss ß ßß sss ä ö ü äö üü uyu ayaya yuy uuu aua aya iyi oyo ey
kaiser kaisers kaiserin kaiserinnen häuser häusern häusers kinder kindern kindes
bestes besten bestem bester gästen lästig lästige festes festem geistig geistige
erst ersten fest fastest lustig lustigste längst längste gebst gibst hältst
""".split())
sources["inflections"] = extra
with open(os.path.join(w, "words.tsv"), "w", encoding="utf-8") as out:
    i = 0
    for source in sources:
        for word in sorted(sources[source]):
            out.write("%d\t%s\t%s\n" % (i, source, word))
            i += 1
print("  " + ", ".join("%s: %d" % (k, len(v)) for k, v in sources.items()))
PY

echo "== ours"
"$W/driver" words <"$W/words.tsv" >"$W/ours_words.tsv"
"$W/driver" docs <"$W/docs.tsv" >"$W/ours_docs.tsv"

echo "== PostgreSQL 15 (throwaway cluster)"
(
    unset PGHOST PGPORT PGUSER PGDATABASE PGPASSWORD
    pg_virtualenv -t -v 15 -- bash "$ROOT/tools/validate_tokenizer.sh" --in-cluster "$W" >"$W/pg.log" 2>&1
) || { cat "$W/pg.log"; exit 1; }

echo "== compare"
/usr/bin/python3 - "$W" <<'PY'
import collections, os, sys
w = sys.argv[1]

def read(name):
    with open(os.path.join(w, name), encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f]

words = {int(r[0]): (r[1], r[2]) for r in read("words.tsv")}
ours = {int(r[0]): r[1] for r in read("ours_words.tsv")}
pg = {int(r[0]): r[1] for r in read("pg_words.tsv")}
total = collections.Counter()
agree = collections.Counter()
bad = []
for i, (source, word) in words.items():
    total[source] += 1
    if ours[i] == pg[i]:
        agree[source] += 1
    else:
        bad.append((source, word, ours[i], pg[i]))
print("words: stop list + german_stem vs ts_lexize")
for source in total:
    print("  %-17s %7d / %7d agree (%.4f%%)" % (source, agree[source], total[source],
                                              100.0 * agree[source] / total[source]))
print("  %-17s %7d / %7d agree (%.4f%%)" % ("all", sum(agree.values()), sum(total.values()),
                                          100.0 * sum(agree.values()) / sum(total.values())))
with open(os.path.join(w, "disagreements.tsv"), "w", encoding="utf-8") as f:
    for b in bad:
        f.write("\t".join(b) + "\n")
for b in bad[:40]:
    print("  DIFF %s: %r ours=%r pg=%r" % b)

# Documents (informational).
def bags(name):
    d = collections.defaultdict(collections.Counter)
    for r in read(name):
        d[int(r[0])][r[1]] += 1
    return d
ob, pb = bags("ours_docs.tsv"), bags("pg_docs.tsv")
ids = sorted(set(ob) | set(pb))
same = sum(1 for i in ids if ob[i] == pb[i])
n_ours = sum(sum(c.values()) for c in ob.values())
n_pg = sum(sum(c.values()) for c in pb.values())
only_ours, only_pg = collections.Counter(), collections.Counter()
for i in ids:
    only_ours.update(ob[i] - pb[i])
    only_pg.update(pb[i] - ob[i])
print("documents: Tokenizer::tokenize vs ts_debug (without whole-compound tokens)")
shared = n_ours - sum(only_ours.values())
print("  %d documents with lexemes, %d with identical lexeme bags; %d lexemes ours, %d PostgreSQL, "
      "%d shared (%.2f%% of ours, %.2f%% of PostgreSQL's)"
      % (len(ids), same, n_ours, n_pg, shared, 100.0 * shared / max(n_ours, 1), 100.0 * shared / max(n_pg, 1)))
print("  most frequent only ours:", ", ".join("%s x%d" % kv for kv in only_ours.most_common(12)))
print("  most frequent only PostgreSQL:", ", ".join("%s x%d" % kv for kv in only_pg.most_common(12)))
sys.exit(1 if bad else 0)
PY
