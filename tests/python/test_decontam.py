"""stream_to_jsonl with TrainingOptions(decontaminate=...): a document quoting
13 consecutive words of a registered evaluation text is left out (or, in
report mode, kept with metadata.eval_overlap on every line); the lines are
the server's; bad options are refused before any query."""

import json

import pytest

from clara import DatasetSearchQuery, TrainingOptions

# "Feuersalamanderweg" occurs in none of the generated documents.
EVAL = ("Warum bleibt der Feuersalamanderweg zwischen der alten Brücke und dem Steinbruch im Frühjahr nachts "
        "gesperrt, obwohl dort kaum Autos fahren?")
WORDS = EVAL.replace(",", "").replace("?", "").split()
PLANTED = [
    ("pydc-13", "Ein Leserbrief fragt: " + " ".join(WORDS[4:17]) + ". So steht es am Feuersalamanderweg."),
    ("pydc-12", "Ein Leserbrief fragt: " + " ".join(WORDS[4:16]) + ". So steht es am Feuersalamanderweg."),
]
QUERY = DatasetSearchQuery("Feuersalamanderweg", top_k=100, min_quality_score=0.0, search_types=["keyword"])


@pytest.fixture(scope="module", autouse=True)
def planted(db):
    with db.cursor() as cur:
        for document_id, content in PLANTED:
            cur.execute(
                "INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)"
                " VALUES (%s, %s, %s, 'naturschutzrecht', 'leserbrief', 'planted') ON CONFLICT DO NOTHING",
                (document_id, "Feuersalamanderweg " + document_id, content))
        cur.execute("SELECT clara_unregister_eval_set('py-eval')")
        cur.execute("SELECT clara_register_eval_set('py-eval', ARRAY[%s])", (EVAL,))
    yield
    db.execute("SELECT clara_unregister_eval_set('py-eval')")


def export(api, tmp_path, **options):
    path = tmp_path / "out.jsonl"
    written = api.stream_to_jsonl_sync(QUERY, path, training=TrainingOptions(**options))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert written == len(lines)
    return lines


def reference(db, mode):
    return [r[0] for r in db.execute(
        "SELECT clara_stream_jsonl(%s, 100, 0.0, '{}', '{keyword}', NULL, 100, decontaminate => '{py-eval}',"
        " decontaminate_mode => %s)", (QUERY.query_text, mode)).fetchall()]


def test_drop(api, db, tmp_path):
    lines = export(api, tmp_path, decontaminate=["py-eval"])
    assert [json.loads(l)["document_id"] for l in lines] == ["pydc-12"]
    assert lines == reference(db, "drop")


def test_report(api, db, tmp_path):
    lines = export(api, tmp_path, decontaminate=("py-eval",), decontaminate_mode="report")
    got = sorted((d["document_id"], d["metadata"]["eval_overlap"]) for d in map(json.loads, lines))
    assert got == [("pydc-12", 0), ("pydc-13", 1)]
    assert lines == reference(db, "report")


@pytest.mark.parametrize("options", [{"decontaminate": "py-eval"}, {"decontaminate": [1]}, {"decontaminate": [""]},
                                     {"decontaminate": ["x"], "decontaminate_mode": "mark"}])
def test_bad_options_refused(options):
    with pytest.raises(ValueError, match="decontaminate"):
        TrainingOptions(**options)
