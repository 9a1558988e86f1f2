"""stream_to_jsonl with TrainingOptions(record=, exclude=, exclude_held_out=):
the export ledger (docs/training.md#export-ledger) through the Python package,
with the same arguments as the CLI and HTTP."""

import json

import pytest

from clara import DatasetSearchQuery, TrainingOptions

# "Uhuhorst" occurs in none of the generated documents.
WORDS = ("Felsen Brut Kletterer Sperrung Hang Steinbruch Nachwuchs Horst Revier Wanderweg Schild Aufsicht "
         "Behoerde Winter Fruehjahr Beobachtung").split()
PLANTED = [("pyled-%02d" % i,
            "Hinweis %d zum Uhuhorst. " % i + " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(60)))
           for i in range(12)]
QUERY = DatasetSearchQuery("Uhuhorst", top_k=100, min_quality_score=0.0, search_types=["keyword"])


@pytest.fixture(scope="module", autouse=True)
def planted(db):
    with db.cursor() as cur:
        for document_id, content in PLANTED:
            cur.execute(
                "INSERT INTO clara_documents (document_id, title, content, domain, document_type, source)"
                " VALUES (%s, %s, %s, 'naturschutzrecht', 'hinweis', 'planted')"
                " ON CONFLICT (document_id) DO NOTHING",
                (document_id, "Uhuhorst " + document_id, content))
    yield
    # Recorded validation documents would be held out of other test files' exports.
    db.execute("SELECT clara_drop_export(name) FROM clara_exports WHERE name LIKE 'py-ledger-%'")


def export(api, tmp_path, name, **options):
    path = tmp_path / f"{name}.jsonl"
    written = api.stream_to_jsonl_sync(QUERY, path, training=TrainingOptions(**options))
    lines = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines()]
    assert written == len(lines)
    return lines


def test_record_then_exclude(api, db, tmp_path):
    first = export(api, tmp_path, "first", split="validation=0.4", split_seed=3, record="py-ledger-1")
    validation = {d["document_id"] for d in first if d["metadata"]["split"] == "validation"}
    assert validation and len(first) == 12
    row = db.execute("SELECT documents, splits FROM clara_list_exports() WHERE name = 'py-ledger-1'").fetchone()
    assert row[0] == 12 and row[1]["validation"] == len(validation)

    # held out of a later train split by default, back with exclude_held_out=False
    later = export(api, tmp_path, "later")
    assert not validation & {d["document_id"] for d in later}
    assert len(later) == 12 - len(validation)
    assert len(export(api, tmp_path, "back", exclude_held_out=False)) == 12

    # exclude: the whole export, or one split of it
    assert export(api, tmp_path, "none", exclude=["py-ledger-1"]) == []
    kept = export(api, tmp_path, "val", exclude=["py-ledger-1:validation"], exclude_held_out=False)
    assert {d["document_id"] for d in kept} == {d for d, _ in PLANTED} - validation


def test_taken_name_records_nothing_more(api, db, tmp_path):
    once = export(api, tmp_path, "once", record="py-ledger-2")
    with pytest.raises(Exception, match="already exists"):
        export(api, tmp_path, "twice", record="py-ledger-2")
    assert db.execute("SELECT documents FROM clara_exports WHERE name = 'py-ledger-2'").fetchone()[0] == len(once)


def test_options_are_checked():
    with pytest.raises(ValueError, match="exclude"):
        TrainingOptions(exclude="py-ledger-1")
    with pytest.raises(ValueError, match="record"):
        TrainingOptions(record="")
    with pytest.raises(ValueError, match="exclude_held_out"):
        TrainingOptions(exclude_held_out="no")
