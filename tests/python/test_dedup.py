"""stream_to_jsonl with TrainingOptions(dedup=...): planted duplicates go out
once, as the best-ranked copy, with metadata.dup_cluster_size; the lines are
the server's; a mode that does not exist is refused before any query."""

import asyncio
import json

import pytest

from clara import DatasetSearchQuery, TrainingOptions

# "Fischotterpfad" occurs in none of the generated documents. pydup-a-*: one
# text three times (as written, lower case, other white space: exact
# duplicates); pydup-b-*: a text and a copy with a few words changed (near
# duplicates); pydup-c: unrelated.
A = ("Hinweis der Stadt Lindenau zum Fischotterpfad an der Alten Mühle. Der Uferweg zwischen der Brücke am "
     "Mühlgraben und dem Wehr bleibt wegen der Brutzeit der Eisvögel von März bis Juli gesperrt. Radfahrer werden "
     "gebeten, die Umleitung über den Feldweg zu nutzen, Hunde sind an der Leine zu führen. An der Infotafel am "
     "Parkplatz erklärt die Naturschutzstation, wie der Fischotter an den Fluss zurückgekehrt ist und warum die "
     "Ufer ruhig bleiben müssen. Führungen finden jeden ersten Sonntag im Monat statt, Anmeldung bei der "
     "Naturschutzstation. Verstöße gegen die Sperrung werden als Ordnungswidrigkeit verfolgt.")
B = ("Bescheid über die Erlaubnis zur Renaturierung des Fischotterpfads am Mühlgraben. Dem Antrag des "
     "Angelvereins vom fünften Mai wird mit Nebenbestimmungen entsprochen. Die Uferbefestigung aus Beton ist auf "
     "einer Länge von achtzig Metern zu entfernen und durch Weidenfaschinen zu ersetzen. Arbeiten im Gewässer "
     "sind nur von August bis Oktober erlaubt, damit Laichzeiten und Brutzeiten geschont werden. Der Verein hat "
     "die Pflanzungen fünf Jahre lang zu pflegen und Ausfälle nachzupflanzen. Gegen diesen Bescheid kann "
     "innerhalb eines Monats Klage beim Verwaltungsgericht erhoben werden. Begründung: Die Maßnahme verbessert "
     "die Durchgängigkeit des Gewässers und den Lebensraum des Fischotters und ist mit den Zielen des "
     "Gewässerentwicklungsplans vereinbar. Die Fischereibehörde und die untere Naturschutzbehörde wurden "
     "beteiligt und haben keine Einwände erhoben, sofern die Arbeitszeiten eingehalten und keine Bäume am Ufer "
     "gefällt werden. Baufahrzeuge dürfen nur den vorhandenen Wirtschaftsweg benutzen. Nach Abschluss der "
     "Arbeiten ist eine Fertigstellungsanzeige mit Fotos vorzulegen. Die Erlaubnis erlischt, wenn mit den "
     "Arbeiten nicht innerhalb von zwei Jahren begonnen wird. Die Kosten des Verfahrens trägt der Antragsteller; "
     "die Gebühr wird gesondert festgesetzt.")
C = ("Antrag auf Zuschuss für Nistkästen entlang des Fischotterpfads: Vereine und Schulen können bis zu zwanzig "
     "Kästen beantragen; die Stadt übernimmt die Hälfte der Kosten.")
PLANTED = [
    ("pydup-a-1", A),
    ("pydup-a-2", A.lower()),
    ("pydup-a-3", "\n" + A.replace(". ", ".\n\n").replace(" der ", "   der ") + "  "),
    ("pydup-b-1", B),
    # stored later, ranks better (the query's word once more): the copy to keep
    ("pydup-b-2", B.replace("achtzig", "neunzig").replace("Laichzeiten und Brutzeiten",
                                                          "Laichzeiten und Brutzeiten am Fischotterpfad")),
    ("pydup-c", C),
]
QUERY = DatasetSearchQuery("Fischotterpfad", top_k=100, min_quality_score=0.0, search_types=["keyword"])


@pytest.fixture(scope="module", autouse=True)
def planted(db):
    with db.cursor() as cur:
        for document_id, content in PLANTED:
            cur.execute(
                "INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)"
                " VALUES (%s, %s, %s, 'naturschutzrecht', 'hinweis', 'planted')"
                " ON CONFLICT (document_id) DO NOTHING",
                (document_id, "Fischotterpfad " + document_id, content))


def export(api, tmp_path, dedup):
    path = tmp_path / f"{dedup}.jsonl"
    written = api.stream_to_jsonl_sync(QUERY, path, training=TrainingOptions(dedup=dedup))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines)
    return lines


def expected(plain_ids, mode):
    """(document_id, dup_cluster_size) kept: the first of each cluster in the plain order."""
    def cluster(i):
        if i.startswith("pydup-a-") or (mode == "near" and i.startswith("pydup-b-")):
            return i[:8]
        return i
    sizes, kept = {}, []
    for i in plain_ids:
        c = cluster(i)
        sizes[c] = sizes.get(c, 0) + 1
        if sizes[c] == 1:
            kept.append((i, c))
    return [(i, sizes[c]) for i, c in kept]


def reference(db, mode):
    return [r[0] for r in db.execute(
        "SELECT clara_stream_jsonl(%s, 100, 0.0, '{}', '{keyword}', NULL, 100, NULL, NULL, 0, 'raw', NULL, NULL,"
        " NULL, 0, NULL, NULL, %s)", (QUERY.query_text, mode)).fetchall()]


def test_plain_and_none(api, tmp_path):
    plain = export(api, tmp_path, None)
    assert sorted(json.loads(l)["document_id"] for l in plain) == sorted(d[0] for d in PLANTED)
    assert all("dup_cluster_size" not in json.loads(l)["metadata"] for l in plain)
    assert export(api, tmp_path, "none") == plain


@pytest.mark.parametrize("mode,count", [("exact", 4), ("near", 3)])
def test_best_ranked_copy_kept(api, db, tmp_path, mode, count):
    plain_ids = [json.loads(l)["document_id"] for l in export(api, tmp_path, None)]
    lines = export(api, tmp_path, mode)
    got = [(d["document_id"], d["metadata"]["dup_cluster_size"]) for d in map(json.loads, lines)]
    assert len(got) == count
    assert got == expected(plain_ids, mode)
    if mode == "near":
        assert plain_ids.index("pydup-b-2") < plain_ids.index("pydup-b-1")
        assert ("pydup-b-2", 2) in got
    assert lines == reference(db, mode)


def test_async_near(api, db, tmp_path):
    path = tmp_path / "async.jsonl"
    written = asyncio.run(api.stream_to_jsonl(QUERY, path, training=TrainingOptions(dedup="near")))
    assert written == 3
    assert path.read_text(encoding="utf-8").splitlines() == reference(db, "near")


@pytest.mark.parametrize("bad", ["fuzzy", "Near", "", 1, True])
def test_unknown_mode_refused(bad):
    with pytest.raises(ValueError, match="dedup"):
        TrainingOptions(dedup=bad)
